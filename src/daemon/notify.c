/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/notify.h"

#include <string.h>

#include "daemon/gateway.h"
#include "daemon/policy.h"
#include "util/log.h"
#include "util/sdnotify.h"

void notify_ready(const struct gateway *g)
{
	const struct mapping_table *t = gateway_mappings(g);
	int ret;

	ret = sdnotify("READY=1\nSTATUS=serving %s: %zu mappings (%zu udp, %zu tcp)",
		       gateway_policy(g)->interface,
		       mapping_table_count(t, MAPPING_UDP) + mapping_table_count(t, MAPPING_TCP),
		       mapping_table_count(t, MAPPING_UDP), mapping_table_count(t, MAPPING_TCP));
	if (ret < 0)
		log_warnx("NOTIFY_SOCKET: %s", strerror(-ret));
}
