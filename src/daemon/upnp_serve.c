/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UPnP IGD on the request path: a decoded control call (src/upnp/igd.h)
 * becomes mapping-table calls inside the transaction, with the same peers,
 * policy, quotas, rates and kernel batch as NAT-PMP and PCP, on the same
 * table: a port mapped through UPnP is the forward NAT-PMP and PCP see for
 * the same (peer, protocol, internal port), and the other way round.
 *
 * UPnP names a mapping by (protocol, external port), NAT-PMP by (peer,
 * internal port): a call that names a port finds it by the external port,
 * and a mapping that is not the asker's is not there for it (714: another
 * peer's mappings are neither seen nor touched, and nothing says they
 * exist). WANIPConnection is IPv4: every mapping here is in the IPv4
 * space. */
#include "daemon/request.h"

#include <netinet/in.h>
#include <string.h>

#include "daemon/upnpdesc.h"
#include "util/ipaddr.h"
#include "util/log.h"

static enum mapping_proto proto_of(uint8_t ip_proto)
{
	return ip_proto == IPPROTO_TCP ? MAPPING_TCP : MAPPING_UDP;
}

static uint8_t ip_proto_of(enum mapping_proto p)
{
	return p == MAPPING_TCP ? IPPROTO_TCP : IPPROTO_UDP;
}

/* A client's own mapping on the external port, not the admin's. */
static bool own_mapping(const struct serve_ctx *c, const uint8_t *peer, uint8_t ip_proto,
			uint16_t port, struct mapping_view *v)
{
	return mapping_table_find_by_port(c->mappings, MAPPING_SPACE_IPV4, proto_of(ip_proto),
					  port, v) &&
	       !v->is_static && !memcmp(v->peer, peer, MAPPING_PEER_KEY_LEN);
}

static void entry_of(const struct serve_ctx *c, const struct mapping_view *v,
		     struct igd_entry *e)
{
	int64_t left = v->expires_ms - c->now_ms;

	*e = (struct igd_entry){
		.proto = ip_proto_of(v->proto),
		.external_port = v->external_port,
		.internal_port = v->target_port,
		.enabled = true,
		.lease_remaining = left > 0 ? (uint32_t)((left + 999) / 1000) : 0,
		.description = v->via == MAPPING_VIA_UPNP
			       ? upnp_descs_get(c->upnp_descs, v->proto, v->external_port)
			       : NULL,
	};
	e->internal_client = v->addr;
}

static int refusal_code(enum mapping_refusal why)
{
	switch (why) {
	case MAPPING_NOT_EXACT:
		return UPNP_CONFLICT;
	case MAPPING_QUOTA:
	case MAPPING_NO_PORT:
		return UPNP_NO_PORT_MAPS_AVAILABLE;
	default:
		return UPNP_ACTION_FAILED;
	}
}

/* AddPortMapping (exact: the port asked or 718) and AddAnyPortMapping. A
 * repeated add of the same mapping renews it. */
static int serve_add(const struct serve_ctx *c, struct upnp_call *u, bool exact)
{
	const struct igd_add *a = &u->req->add;
	struct mapping_limits lim;
	struct mapping_request mr = {
		.peer = u->peer,
		.via = MAPPING_VIA_UPNP,
		.space = MAPPING_SPACE_IPV4,
		.proto = proto_of(a->proto),
		.internal_port = a->internal_port,
		.suggested_port = a->external_port,
		.exact_port = exact,
	};
	struct mapping_reply r;

	/* NewInternalClient: the asker's own address or its routed subnet,
	 * never the gateway's (PCP THIRD_PARTY's rule); IPv4 only. */
	mr.addr = a->internal_client;
	if (!ip_addr_is_v4(&mr.addr) ||
	    !request_target_allowed(c, u->peer, &mr.addr))
		return UPNP_NOT_AUTHORIZED;
	/* We hold no disabled entries: such an add cannot be kept as asked. */
	if (!a->enabled)
		return UPNP_ACTION_FAILED;
	if (!c->external[IP_V4].known)
		return UPNP_ACTION_FAILED;
	policy_limits_for(c->policy, u->peer, &lim);
	/* Lease 0 (IGDv1's "permanent") gets the policy's maximum; others
	 * are clamped into the policy's range, never refused (725). */
	mr.lifetime = a->lease ? a->lease : lim.lifetime_max;
	request_map(c, &lim, &mr, &r);
	if (r.refusal != MAPPING_GRANTED)
		return refusal_code(r.refusal);
	u->res->reserved_port = r.external_port;
	u->needs_commit = true;
	return UPNP_OK;
}

static int serve_delete(const struct serve_ctx *c, struct upnp_call *u)
{
	const struct igd_key *k = &u->req->key;
	struct mapping_view v;

	if (!own_mapping(c, u->peer, k->proto, k->external_port, &v))
		return UPNP_NO_SUCH_ENTRY;
	mapping_table_drop_mapping(c->mappings, MAPPING_SPACE_IPV4, u->peer, v.proto,
				   v.internal_port);
	u->needs_commit = true;
	return UPNP_OK;
}

static int serve_get_specific(const struct serve_ctx *c, struct upnp_call *u)
{
	const struct igd_key *k = &u->req->key;
	struct mapping_view v;

	if (!own_mapping(c, u->peer, k->proto, k->external_port, &v))
		return UPNP_NO_SUCH_ENTRY;
	entry_of(c, &v, &u->res->entry);
	return UPNP_OK;
}

/* The asker's own client mappings in the IPv4 space, in the store's
 * order of its leases (stable while nothing changes), as GetGeneric's
 * index and the range calls walk them: a walk of the peer's mappings,
 * not of the table. */
struct own_walk {
	const struct serve_ctx *c;
	const struct igd_range *range;	/* NULL: every one */
	size_t seen;			/* matches so far */
	size_t want;			/* GetGeneric: the index asked */
	struct igd_entry *out;		/* room for cap entries */
	size_t cap;
};

static void walk_one(const struct mapping_view *v, void *arg)
{
	struct own_walk *w = arg;
	const struct igd_range *r = w->range;

	if (v->is_static || v->space != MAPPING_SPACE_IPV4)
		return;
	if (r && (ip_proto_of(v->proto) != r->proto || v->external_port < r->start_port ||
		  v->external_port > r->end_port))
		return;
	if (!r && w->seen == w->want)
		entry_of(w->c, v, w->out);
	else if (r && w->seen < w->cap)
		entry_of(w->c, v, &w->out[w->seen]);
	w->seen++;
}

static int serve_get_generic(const struct serve_ctx *c, struct upnp_call *u)
{
	struct own_walk w = { c, NULL, 0, u->req->index, &u->res->entry, 1 };

	mapping_table_peer_foreach(c->mappings, u->peer, walk_one, &w);
	return w.seen > w.want ? UPNP_OK : UPNP_ARRAY_INDEX_INVALID;
}

/* The asker's mappings in the range, at most cap (and max_entries). */
static size_t walk_range(const struct serve_ctx *c, struct upnp_call *u)
{
	const struct igd_range *r = &u->req->range;
	size_t cap = r->max_entries && r->max_entries < u->list_cap ? r->max_entries
								    : u->list_cap;
	struct own_walk w = { c, r, 0, 0, u->list, cap };

	mapping_table_peer_foreach(c->mappings, u->peer, walk_one, &w);
	return w.seen < cap ? w.seen : cap;
}

static int serve_list(const struct serve_ctx *c, struct upnp_call *u)
{
	u->res->entries = u->list;
	u->res->nentries = walk_range(c, u);
	return u->res->nentries ? UPNP_OK : UPNP_NO_SUCH_ENTRY;
}

/* Deletes what the walk found (at most list_cap a call: a client asks
 * again for the rest); 730 when nothing of the asker's is in the range. */
static int serve_delete_range(const struct serve_ctx *c, struct upnp_call *u)
{
	size_t n = walk_range(c, u);

	for (size_t i = 0; i < n; i++) {
		struct mapping_view v;

		if (own_mapping(c, u->peer, u->list[i].proto, u->list[i].external_port, &v))
			mapping_table_drop_mapping(c->mappings, MAPPING_SPACE_IPV4, u->peer,
						   v.proto, v.internal_port);
	}
	u->nlisted = n;
	u->needs_commit = n > 0;
	return n ? UPNP_OK : UPNP_PORT_MAPPING_NOT_FOUND;
}

/* The calls that only read what the gateway knows. */
static int serve_info(const struct serve_ctx *c, struct upnp_call *u)
{
	struct igd_result *res = u->res;

	if (c->external[IP_V4].known)
		res->external_ip = c->external[IP_V4].addr;
	res->connected = c->external[IP_V4].known;
	res->uptime = c->uptime_s;
	/* WANCommonInterfaceConfig's counters and link speeds: not kept per
	 * peer; upnpc only prints them. */
	res->counter = 0;
	res->up_bps = res->down_bps = 0;
	return UPNP_OK;
}

int upnp_serve(const struct serve_ctx *c, struct upnp_call *u)
{
	u->needs_commit = false;
	u->nlisted = 0;
	switch (u->req->action) {
	case IGD_ADD_PORT_MAPPING:
		return serve_add(c, u, true);
	case IGD_ADD_ANY_PORT_MAPPING:
		return serve_add(c, u, false);
	case IGD_DELETE_PORT_MAPPING:
		return serve_delete(c, u);
	case IGD_DELETE_PORT_MAPPING_RANGE:
		return serve_delete_range(c, u);
	case IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY:
		return serve_get_specific(c, u);
	case IGD_GET_GENERIC_PORT_MAPPING_ENTRY:
		return serve_get_generic(c, u);
	case IGD_GET_LIST_OF_PORT_MAPPINGS:
		return serve_list(c, u);
	default:
		return serve_info(c, u);
	}
}

/* Descriptions follow what the kernel holds: kept for an add that
 * committed (replacing whatever an earlier holder of the port left),
 * forgotten with a delete. */
static void settle_descriptions(const struct serve_ctx *c, const struct upnp_call *u)
{
	const struct igd_request *q = u->req;

	switch (q->action) {
	case IGD_ADD_PORT_MAPPING:
	case IGD_ADD_ANY_PORT_MAPPING:
		if (upnp_descs_set(c->upnp_descs, proto_of(q->add.proto), u->res->reserved_port,
				   q->add.description) < 0)
			log_warnx("upnp: no memory for a mapping's description");
		break;
	case IGD_DELETE_PORT_MAPPING:
		upnp_descs_set(c->upnp_descs, proto_of(q->key.proto), q->key.external_port, "");
		break;
	case IGD_DELETE_PORT_MAPPING_RANGE:
		for (size_t i = 0; i < u->nlisted; i++)
			upnp_descs_set(c->upnp_descs, proto_of(u->list[i].proto),
				       u->list[i].external_port, "");
		break;
	default:
		break;
	}
}

int upnp_settle(const struct serve_ctx *c, const struct upnp_call *u, int code,
		bool committed)
{
	if (code != UPNP_OK || !u->needs_commit)
		return code;
	if (!committed)
		return UPNP_ACTION_FAILED;
	settle_descriptions(c, u);
	return UPNP_OK;
}
