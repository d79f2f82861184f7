/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/policy_loader.h"
#include "util/addrclass.h"
#include "util/base64.h"
#include "util/listenaddr.h"

static int get_ifname(struct yconf *l, const yaml_node_t *n, const char *what,
		      char out[POLICY_IFNAME_MAX])
{
	if (get_string(l, n, what, out, POLICY_IFNAME_MAX))
		return -1;
	if (strpbrk(out, "/ \t:") || !strcmp(out, ".") || !strcmp(out, ".."))
		return fail_at(l, n, "%s \"%s\" is not an interface name", what, out);
	return 0;
}

static int get_range(struct yconf *l, const yaml_node_t *n, const char *what,
		     uint16_t *lo, uint16_t *hi)
{
	const char *s;
	unsigned a, b;
	char extra;

	if (want_scalar(l, n, what, &s))
		return -1;
	if (sscanf(s, "%u-%u%c", &a, &b, &extra) != 2 || a < 1 || b > 65535 || a > b)
		return fail_at(l, n, "%s must look like 1024-65535 (1 <= low <= high "
			       "<= 65535), not \"%s\"", what, s);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* The address told to clients (external.advertise, ipv6.external.advertise):
 * a host address of the family, never one no client could reach. */
static int get_advertise(struct yconf *l, const yaml_node_t *n, const char *what, int family,
			 struct ip_addr *out)
{
	uint8_t a[16];
	uint32_t v4;
	const char *s;
	enum addr_class c;

	if (want_scalar(l, n, what, &s))
		return -1;
	if (inet_pton(family, s, family == AF_INET ? a + 12 : a) != 1)
		return fail_at(l, n, "%s \"%s\" is not an %s address", what, s,
			       family == AF_INET ? "IPv4" : "IPv6");
	if (family == AF_INET)
		memcpy(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
	c = family == AF_INET6 && addr_v4(a, &v4) ? ADDR_RESERVED : addr_class_of(a);
	if (c != ADDR_UNICAST)
		return fail_at(l, n, "%s \"%s\" is a %s address: clients cannot reach it", what,
			       s, addr_class_name(c));
	memcpy(out->b, a, 16);
	return 0;
}

static int external_pair(struct yconf *l, const char *key, yaml_node_t *k,
			 yaml_node_t *v, void *arg)
{
	struct in_addr a;
	const char *s;

	(void)arg;
	if (!strcmp(key, "interface"))
		return get_ifname(l, v, "external.interface", P(l)->external_interface);
	if (!strcmp(key, "address")) {
		if (want_scalar(l, v, "external.address", &s))
			return -1;
		if (inet_pton(AF_INET, s, &a) != 1)
			return fail_at(l, v, "external.address \"%s\" is not an IPv4 address", s);
		P(l)->has_external_address = true;
		P(l)->external_address = ip_addr_from_v4(ntohl(a.s_addr));
		return 0;
	}
	if (!strcmp(key, "advertise")) {
		P(l)->has_advertise[IP_V4] = true;
		return get_advertise(l, v, "external.advertise", AF_INET, &P(l)->advertise[IP_V4]);
	}
	return unknown(l, k, key, "external");
}

/* A reserved item: a port or a range, "8000-8099". */
static int reserved_item(struct yconf *l, yaml_node_t *item, uint16_t *first, unsigned *count)
{
	const char *s;

	if (want_scalar(l, item, "a reserved port", &s))
		return -1;
	if (policy_port_range(s, first, count) < 0)
		return fail_at(l, item, "a reserved port must be a port or a range of ports "
			       "(1-65535), e.g. 22 or 8000-8099, not \"%s\"", s);
	return 0;
}

static int by_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Each port of each item, sorted (policy_is_reserved searches them). */
static int reserved_list(struct yconf *l, yaml_node_t *v)
{
	size_t total = 0;
	uint16_t first;
	unsigned count;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_at(l, v, "ports.reserved must be a list of ports, e.g. [22, 8000-8099]");
	for (yaml_node_item_t *i = v->data.sequence.items.start;
	     i < v->data.sequence.items.top; i++) {
		if (reserved_item(l, yaml_document_get_node(l->doc, *i), &first, &count))
			return -1;
		total += count;
	}
	if (total > 65535)
		return fail_at(l, v, "ports.reserved names more than 65535 ports");
	P(l)->reserved = calloc(total ? total : 1, sizeof(*P(l)->reserved));
	if (!P(l)->reserved)
		return fail_at(l, v, "out of memory");
	for (yaml_node_item_t *i = v->data.sequence.items.start;
	     i < v->data.sequence.items.top; i++) {
		reserved_item(l, yaml_document_get_node(l->doc, *i), &first, &count);
		for (unsigned k = 0; k < count; k++)
			P(l)->reserved[P(l)->n_reserved++] = (uint16_t)(first + k);
	}
	qsort(P(l)->reserved, P(l)->n_reserved, sizeof(*P(l)->reserved), by_port);
	return 0;
}

static int ports_pair(struct yconf *l, const char *key, yaml_node_t *k,
		      yaml_node_t *v, void *arg)
{
	yaml_node_t **reserved_node = arg;

	if (!strcmp(key, "range"))
		return get_range(l, v, "ports.range", &P(l)->port_min, &P(l)->port_max);
	if (!strcmp(key, "reserved")) {
		*reserved_node = v;
		return reserved_list(l, v);
	}
	return unknown(l, k, key, "ports");
}

static int lifetime_pair(struct yconf *l, const char *key, yaml_node_t *k,
			 yaml_node_t *v, void *arg)
{
	(void)arg;
	if (!strcmp(key, "min"))
		return get_uint(l, v, "lifetime.min", 1, 86400 * 7, &P(l)->lifetime_min);
	if (!strcmp(key, "max"))
		return get_uint(l, v, "lifetime.max", 1, 86400 * 7, &P(l)->lifetime_max);
	return unknown(l, k, key, "lifetime");
}

static int mapping_pair(struct yconf *l, const char *key, yaml_node_t *k,
			yaml_node_t *v, void *arg)
{
	const char *s;

	(void)arg;
	if (strcmp(key, "mode"))
		return unknown(l, k, key, "mapping");
	if (want_scalar(l, v, "mapping.mode", &s))
		return -1;
	if (!strcmp(s, "same-port")) {
		/* Retired: it sent the traffic of a client's listen port X to
		 * the external port number whenever X was not granted. Old
		 * files keep loading, and behave as rfc. */
		snprintf(P(l)->warning, sizeof(P(l)->warning),
			 "%s:%zu:%zu: mapping.mode same-port is retired and works as rfc: "
			 "a non-zero internal port is always honoured, internal 0 or 1 "
			 "forwards to the external port number", l->name,
			 v->start_mark.line + 1, v->start_mark.column + 1);
	} else if (strcmp(s, "rfc")) {
		return fail_at(l, v, "mapping.mode must be rfc, not \"%s\"", s);
	}
	return 0;
}

static int limits_pair(struct yconf *l, const char *key, yaml_node_t *k,
		       yaml_node_t *v, void *arg)
{
	(void)arg;
	if (!strcmp(key, "per_peer"))
		return get_uint(l, v, "limits.per_peer", 1, 65535, &P(l)->per_peer);
	if (!strcmp(key, "rate"))
		return get_uint(l, v, "limits.rate", 0, 1000000, &P(l)->rate);
	return unknown(l, k, key, "limits");
}

static int peer_pair(struct yconf *l, const char *key, yaml_node_t *k,
		     yaml_node_t *v, void *arg)
{
	struct policy_peer *peer = arg;
	uint32_t n;

	if (!strcmp(key, "per_peer")) {
		if (get_uint(l, v, "per_peer", 1, 65535, &n))
			return -1;
		peer->has_per_peer = true;
		peer->per_peer = n;
		return 0;
	}
	if (!strcmp(key, "ports")) {
		peer->has_ports = true;
		return get_range(l, v, "ports", &peer->port_min, &peer->port_max);
	}
	if (!strcmp(key, "deny"))
		return get_bool(l, v, "deny", &peer->deny);
	if (!strcmp(key, "name"))
		return get_string(l, v, "name", peer->name, sizeof(peer->name));
	if (!strcmp(key, "forwards"))
		return forwards_parse(l, peer, v);
	return unknown(l, k, key, "a peer's settings");
}

static int peers_pair(struct yconf *l, const char *key, yaml_node_t *k,
		      yaml_node_t *v, void *arg)
{
	struct policy_peer *peer = &P(l)->peers[P(l)->n_peers];

	(void)arg;
	memset(peer, 0, sizeof(*peer));
	if (!key_from_base64(peer->key, key))
		return fail_at(l, k, "\"%s\" is not a WireGuard public key (44 "
			       "characters of base64)", key);
	if (each_pair(l, v, "a peer's settings", peer_pair, peer))
		return -1;
	if (peer->has_ports && (peer->port_min < P(l)->port_min ||
				peer->port_max > P(l)->port_max))
		return fail_at(l, v, "the peer's ports %u-%u are outside ports.range "
			       "%u-%u", peer->port_min, peer->port_max,
			       P(l)->port_min, P(l)->port_max);
	P(l)->n_peers++;
	return 0;
}

static int sub_pair(struct yconf *l, const char *key, yaml_node_t *k,
		    yaml_node_t *v, void *arg)
{
	const char *section = arg;

	if (!strcmp(section, "nftables")) {
		if (!strcmp(key, "table"))
			return get_string(l, v, "nftables.table", P(l)->nft_table,
					  sizeof(P(l)->nft_table));
		if (!strcmp(key, "remove_on_exit"))
			return get_bool(l, v, "nftables.remove_on_exit",
					&P(l)->nft_remove_on_exit);
	} else if (!strcmp(section, "control")) {
		if (!strcmp(key, "socket"))
			return get_string(l, v, "control.socket", P(l)->control_socket,
					  sizeof(P(l)->control_socket));
		if (!strcmp(key, "group"))
			return get_string(l, v, "control.group", P(l)->control_group,
					  sizeof(P(l)->control_group));
	} else if (!strcmp(section, "metrics")) {
		if (!strcmp(key, "listen")) {
			struct sockaddr_storage ss;
			socklen_t sl;

			if (get_string(l, v, "metrics.listen", P(l)->metrics_listen,
				       sizeof(P(l)->metrics_listen)))
				return -1;
			if (listen_addr_parse(P(l)->metrics_listen, &ss, &sl) < 0)
				return fail_at(l, v, "metrics.listen must be ADDRESS:PORT, "
					       "e.g. 127.0.0.1:9834 or [::1]:9834");
			return 0;
		}
	}
	return unknown(l, k, key, section);
}

/* An absolute path to an executable regular file, checked now: a typo is
 * a load error, not a failure at the first event. */
static int get_program(struct yconf *l, const yaml_node_t *n, const char *what, char *out,
		       size_t len)
{
	struct stat st;

	if (get_string(l, n, what, out, len))
		return -1;
	if (out[0] != '/')
		return fail_at(l, n, "%s \"%s\" must be an absolute path", what, out);
	if (stat(out, &st) < 0)
		return fail_at(l, n, "%s \"%s\": %s", what, out, strerror(errno));
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return fail_at(l, n, "%s \"%s\" is not an executable file", what, out);
	return 0;
}

static int events_pair(struct yconf *l, const char *key, yaml_node_t *k, yaml_node_t *v,
		       void *arg)
{
	(void)arg;
	if (!strcmp(key, "exec"))
		return get_program(l, v, "events.exec", P(l)->events_exec,
				   sizeof(P(l)->events_exec));
	if (!strcmp(key, "timeout"))
		return get_uint(l, v, "events.timeout", 1, 3600, &P(l)->events_timeout);
	return unknown(l, k, key, "events");
}

static int ipv6_external_pair(struct yconf *l, const char *key, yaml_node_t *k,
			      yaml_node_t *v, void *arg)
{
	(void)arg;
	if (!strcmp(key, "interface"))
		return get_ifname(l, v, "ipv6.external.interface", P(l)->ipv6_external_interface);
	if (!strcmp(key, "advertise")) {
		P(l)->has_advertise[IP_V6] = true;
		return get_advertise(l, v, "ipv6.external.advertise", AF_INET6,
				     &P(l)->advertise[IP_V6]);
	}
	return unknown(l, k, key, "ipv6.external");
}

static int ipv6_pair(struct yconf *l, const char *key, yaml_node_t *k, yaml_node_t *v,
		     void *arg)
{
	const char *s;
	char *end;
	unsigned long mark;

	(void)arg;
	if (!strcmp(key, "mode")) {
		if (want_scalar(l, v, "ipv6.mode", &s))
			return -1;
		if (!strcmp(s, "routed"))
			P(l)->ipv6_mode = POLICY_IPV6_ROUTED;
		else if (!strcmp(s, "nat66"))
			P(l)->ipv6_mode = POLICY_IPV6_NAT66;
		else
			return fail_at(l, v, "ipv6.mode must be routed or nat66, not \"%s\"", s);
		return 0;
	}
	if (!strcmp(key, "external"))
		return each_pair(l, v, "ipv6.external", ipv6_external_pair, NULL);
	if (!strcmp(key, "mark")) {
		if (want_scalar(l, v, "ipv6.mark", &s))
			return -1;
		errno = 0;
		mark = strtoul(s, &end, 0);
		if (errno || *end || !*s || mark == 0 || mark > UINT32_MAX)
			return fail_at(l, v, "ipv6.mark must be a non-zero 32-bit number "
				       "(e.g. 0x08000000), not \"%s\"", s);
		P(l)->ipv6_mark = (uint32_t)mark;
		return 0;
	}
	return unknown(l, k, key, "ipv6");
}

struct top_seen {
	yaml_node_t *peers, *reserved, *ports, *lifetime, *ipv6, *events;
};

static int top_pair(struct yconf *l, const char *key, yaml_node_t *k,
		    yaml_node_t *v, void *arg)
{
	struct top_seen *seen = arg;

	if (!strcmp(key, "interface"))
		return get_ifname(l, v, "interface", P(l)->interface);
	if (!strcmp(key, "external"))
		return each_pair(l, v, "external", external_pair, NULL);
	if (!strcmp(key, "ports")) {
		seen->ports = v;
		return each_pair(l, v, "ports", ports_pair, &seen->reserved);
	}
	if (!strcmp(key, "lifetime")) {
		seen->lifetime = v;
		return each_pair(l, v, "lifetime", lifetime_pair, NULL);
	}
	if (!strcmp(key, "mapping"))
		return each_pair(l, v, "mapping", mapping_pair, NULL);
	if (!strcmp(key, "limits"))
		return each_pair(l, v, "limits", limits_pair, NULL);
	if (!strcmp(key, "peers")) {
		/* After ports: a peer's range is checked against it. */
		seen->peers = v;
		return 0;
	}
	if (!strcmp(key, "uapi_socket"))
		return get_string(l, v, "uapi_socket", P(l)->uapi_socket,
				  sizeof(P(l)->uapi_socket));
	if (!strcmp(key, "poll_interval"))
		return get_uint(l, v, "poll_interval", 1, 3600, &P(l)->poll_interval);
	if (!strcmp(key, "stale_handshake"))
		return get_uint(l, v, "stale_handshake", 0, 86400 * 30, &P(l)->stale_handshake);
	if (!strcmp(key, "catch_all_peers"))
		return get_bool(l, v, "catch_all_peers", &P(l)->catch_all_peers);
	if (!strcmp(key, "pcp"))
		return get_bool(l, v, "pcp", &P(l)->pcp);
	if (!strcmp(key, "ipv6")) {
		seen->ipv6 = v;
		return each_pair(l, v, "ipv6", ipv6_pair, NULL);
	}
	if (!strcmp(key, "events")) {
		seen->events = v;
		return each_pair(l, v, "events", events_pair, NULL);
	}
	if (!strcmp(key, "api"))
		return api_parse(l, v);
	if (!strcmp(key, "upnp"))
		return upnp_parse(l, v);
	if (!strcmp(key, "state_dir"))
		return get_string(l, v, "state_dir", P(l)->state_dir, sizeof(P(l)->state_dir));
	if (!strcmp(key, "nftables") || !strcmp(key, "control") || !strcmp(key, "metrics"))
		return each_pair(l, v, key, sub_pair, (void *)key);
	return unknown(l, k, key, "the policy");
}

static void set_defaults(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->port_min = 1024;
	p->port_max = 65535;
	p->lifetime_min = 60;
	p->lifetime_max = 7200;
	p->per_peer = 8;
	p->rate = 10;
	p->poll_interval = 1;
	p->pcp = true;
	p->ipv6_mark = POLICY_IPV6_MARK_DEFAULT;
	p->upnp_port = POLICY_UPNP_PORT_DEFAULT;
	p->upnp_version = 2;
	p->events_timeout = 10;
	snprintf(p->nft_table, sizeof(p->nft_table), "portgate");
	snprintf(p->control_socket, sizeof(p->control_socket), "/run/portgate/control.sock");
	snprintf(p->state_dir, sizeof(p->state_dir), "/var/lib/portgate");
}

static int peer_key_cmp(const void *a, const void *b)
{
	return memcmp(((const struct policy_peer *)a)->key,
		      ((const struct policy_peer *)b)->key, 32);
}

static int check_whole(struct yconf *l, yaml_node_t *root, struct top_seen *seen)
{
	struct policy *p = P(l);

	if (!p->interface[0])
		return fail_at(l, root, "interface (the WireGuard interface) is required");
	if (!p->external_interface[0] && !p->has_external_address)
		return fail_at(l, root, "external.interface or external.address is required");
	if (p->external_interface[0] && p->has_external_address)
		return fail_at(l, root, "give external.interface or external.address, not both");
	if (seen->events && !p->events_exec[0])
		return fail_at(l, seen->events, "events needs exec: the program to run");
	if (seen->ipv6 && p->ipv6_mode == POLICY_IPV6_OFF)
		return fail_at(l, seen->ipv6, "ipv6.mode (routed or nat66) is required");
	if (seen->ipv6 && !p->pcp)
		return fail_at(l, seen->ipv6, "ipv6 needs pcp: true (IPv6 mappings are "
			       "asked for with PCP only)");
	if (p->has_advertise[IP_V6] && p->ipv6_mode != POLICY_IPV6_NAT66)
		return fail_at(l, seen->ipv6, "ipv6.external.advertise needs ipv6.mode nat66 "
			       "(a routed peer is told its own address)");
	if (p->ipv6_mode == POLICY_IPV6_NAT66 && !p->ipv6_external_interface[0]) {
		if (!p->external_interface[0])
			return fail_at(l, seen->ipv6, "ipv6.mode nat66 needs ipv6.external.interface "
				       "(external.address names no interface)");
		memcpy(p->ipv6_external_interface, p->external_interface,
		       sizeof(p->ipv6_external_interface));
	}
	if (p->lifetime_min > p->lifetime_max)
		return fail_at(l, seen->lifetime, "lifetime.min %u is above lifetime.max %u",
			       p->lifetime_min, p->lifetime_max);
	for (yaml_node_item_t *i = seen->reserved ? seen->reserved->data.sequence.items.start
						  : NULL;
	     seen->reserved && i < seen->reserved->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(l->doc, *i);
		uint16_t first;
		unsigned count;

		reserved_item(l, item, &first, &count);
		if (first < p->port_min || first + count - 1 > p->port_max)
			return fail_at(l, item, "reserved port %s is outside ports.range %u-%u",
				       scalar(item), p->port_min, p->port_max);
	}
	if (seen->peers) {
		size_t n = seen->peers->type == YAML_MAPPING_NODE
			? (size_t)(seen->peers->data.mapping.pairs.top -
				   seen->peers->data.mapping.pairs.start) : 0;

		p->peers = calloc(n ? n : 1, sizeof(*p->peers));
		if (!p->peers)
			return fail_at(l, seen->peers, "out of memory");
		if (each_pair(l, seen->peers, "peers", peers_pair, NULL))
			return -1;
		qsort(p->peers, p->n_peers, sizeof(*p->peers), peer_key_cmp);
	}
	return forwards_check(l);
}

/* The loader's ctx: forward_nodes first (policy_forwards.c reads it). */
struct load_ctx {
	struct forward_nodes fwd;
	struct top_seen seen;
};

static int load_root(struct yconf *l, yaml_node_t *root)
{
	struct load_ctx *ctx = l->ctx;

	if (!root)
		return fail_at(l, NULL, "the policy is empty");
	if (each_pair(l, root, "the policy", top_pair, &ctx->seen))
		return -1;
	return check_whole(l, root, &ctx->seen);
}

int policy_load_string(const char *name, const char *text, size_t len,
		       struct policy *out, char *err, size_t errlen)
{
	struct policy p;
	struct load_ctx ctx = { 0 };
	struct yconf l = { .name = name, .out = &p, .ctx = &ctx, .err = err,
			   .errlen = errlen };
	int ret;

	set_defaults(&p);
	snprintf(p.path, sizeof(p.path), "%s", name);
	ret = yconf_parse(&l, text, len, load_root);
	free(ctx.fwd.nodes);
	if (ret) {
		policy_free(&p);
		return -1;
	}
	p.loaded_at = time(NULL);
	*out = p;
	return 0;
}

int policy_load(const char *path, struct policy *out, char *err, size_t errlen)
{
	size_t len;
	char *text = yconf_read_file(path, &len, err, errlen);
	int ret;

	if (!text)
		return -1;
	ret = policy_load_string(path, text, len, out, err, errlen);
	free(text);
	return ret;
}

void policy_free(struct policy *p)
{
	free(p->reserved);
	free(p->peers);
	free(p->forwards);
	p->reserved = NULL;
	p->peers = NULL;
	p->forwards = NULL;
	p->n_reserved = p->n_peers = p->n_forwards = 0;
}

const struct policy_peer *policy_peer_find(const struct policy *p,
					   const uint8_t key[32])
{
	struct policy_peer want;

	if (!p->n_peers)
		return NULL;
	memcpy(want.key, key, 32);
	return bsearch(&want, p->peers, p->n_peers, sizeof(*p->peers), peer_key_cmp);
}

void policy_limits_for(const struct policy *p, const uint8_t key[32],
		       struct mapping_limits *out)
{
	const struct policy_peer *peer = policy_peer_find(p, key);

	out->port_min = p->port_min;
	out->port_max = p->port_max;
	out->per_peer = p->per_peer;
	out->lifetime_min = p->lifetime_min;
	out->lifetime_max = p->lifetime_max;
	if (peer && peer->has_per_peer)
		out->per_peer = peer->per_peer;
	if (peer && peer->has_ports) {
		out->port_min = peer->port_min;
		out->port_max = peer->port_max;
	}
}

bool policy_denies(const struct policy *p, const uint8_t key[32])
{
	const struct policy_peer *peer = policy_peer_find(p, key);

	return peer && peer->deny;
}

bool policy_is_reserved(const struct policy *p, uint16_t port)
{
	return p->n_reserved &&
	       bsearch(&port, p->reserved, p->n_reserved, sizeof(port), by_port) != NULL;
}

bool policy_refuses_prefix(const struct policy *p, bool ipv6, uint8_t cidr)
{
	return cidr < (ipv6 ? POLICY_CATCH_ALL_PREFIX6 : POLICY_CATCH_ALL_PREFIX) &&
	       !p->catch_all_peers;
}
