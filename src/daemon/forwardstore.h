/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's own state file of the static forwards added at run time
 * (STATE_DIR/forwards.json): never the operator's policy file. Written
 * whole to a temporary file, synced and renamed over the old one, so a
 * crash leaves either the old list or the new one. */
#ifndef PORTGATE_DAEMON_FORWARDSTORE_H
#define PORTGATE_DAEMON_FORWARDSTORE_H

#include <stddef.h>

#include "daemon/policy.h"

#define FORWARD_STORE_FILE "forwards.json"
/* More entries than this is not a state file we wrote. */
#define FORWARD_STORE_MAX 65536

/* Reads the list (malloc'd, each marked runtime); a missing file is an
 * empty list. 0, or -1 with "PATH: reason" in err. */
int forward_store_load(const char *dir, struct policy_forward **out, size_t *n,
		       char *err, size_t len);
/* Replaces the file with these n forwards (the directory is made, 0700,
 * when missing). 0, or -1 with the reason in err. */
int forward_store_save(const char *dir, const struct policy_forward *f, size_t n,
		       char *err, size_t len);

#endif
