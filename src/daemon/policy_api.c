/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy's `api:` section: the operator's HTTP API and web page. Off
 * unless listen is set; then a token file is required, and TLS takes a
 * certificate and its key together. */
#include "daemon/policy_loader.h"

#include <string.h>

#include "util/listenaddr.h"

static int api_pair(struct yconf *l, const char *key, yaml_node_t *k, yaml_node_t *v,
		    void *arg)
{
	struct policy *p = P(l);
	struct sockaddr_storage ss;
	socklen_t sl;

	(void)arg;
	if (!strcmp(key, "listen")) {
		if (get_string(l, v, "api.listen", p->api_listen, sizeof(p->api_listen)))
			return -1;
		if (listen_addr_parse(p->api_listen, &ss, &sl) < 0)
			return fail_at(l, v, "api.listen must be ADDRESS:PORT, e.g. "
				       "127.0.0.1:9835 or [::1]:9835");
		return 0;
	}
	if (!strcmp(key, "token_file"))
		return get_string(l, v, "api.token_file", p->api_token_file,
				  sizeof(p->api_token_file));
	if (!strcmp(key, "tls_cert"))
		return get_string(l, v, "api.tls_cert", p->api_tls_cert, sizeof(p->api_tls_cert));
	if (!strcmp(key, "tls_key"))
		return get_string(l, v, "api.tls_key", p->api_tls_key, sizeof(p->api_tls_key));
	return unknown(l, k, key, "api");
}

int api_parse(struct yconf *l, yaml_node_t *v)
{
	struct policy *p = P(l);

	if (each_pair(l, v, "api", api_pair, NULL))
		return -1;
	if (!p->api_listen[0])
		return fail_at(l, v, "api needs listen (e.g. 127.0.0.1:9835)");
	if (!p->api_token_file[0])
		return fail_at(l, v, "api needs token_file: every request must carry its "
			       "token (Authorization: Bearer ...)");
	if (!p->api_tls_cert[0] != !p->api_tls_key[0])
		return fail_at(l, v, "api.tls_cert and api.tls_key go together");
	return 0;
}
