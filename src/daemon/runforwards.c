/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Static forwards added at run time (HTTP API, portgatectl forward): the
 * same leases, checks and transactions as the policy's forwards (they join
 * policy.forwards, marked runtime), kept in the daemon's state file and
 * never in the operator's policy. A change is written to the state file
 * first, then to the kernel in one transaction; when the kernel refuses,
 * the file and the forwards go back to what they were. */
#include "daemon/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/forwardspec.h"
#include "daemon/forwardstore.h"
#include "util/base64.h"
#include "util/log.h"

int gateway_load_stored(struct gateway *g)
{
	char err[640];

	if (forward_store_load(g->policy.state_dir, &g->stored, &g->n_stored, err,
			       sizeof(err)) < 0) {
		log_warnx("state: %s", err);
		return -1;
	}
	if (g->n_stored)
		log_info("state: %zu static forwards added at run time", g->n_stored);
	gateway_merge_stored(g);
	return 0;
}

/* Appends f to the policy's forwards when it fits beside them. */
static int join(struct policy *p, const struct policy_forward *f, char *why, size_t len)
{
	struct policy_forward *grown;

	if (policy_forward_conflict(p, f, p->forwards, p->n_forwards, why, len))
		return -EINVAL;
	grown = realloc(p->forwards, (p->n_forwards + 1) * sizeof(*grown));
	if (!grown) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	p->forwards = grown;
	p->forwards[p->n_forwards++] = *f;
	return 0;
}

void gateway_merge_stored(struct gateway *g)
{
	char why[256];

	for (size_t i = 0; i < g->n_stored; i++) {
		const struct policy_forward *f = &g->stored[i];

		if (join(&g->policy, f, why, sizeof(why)) < 0)
			log_warnx("state: the forward of %s %u added at run time is left out "
				  "(kept in the state file): %s", forward_protos_name(f->protos),
				  f->external_port, why);
	}
	policy_forwards_sort(&g->policy);
}

/* A port a client's mapping holds now: the forward would take it. */
static const char *held_by_mapping(const struct gateway *g, const struct policy_forward *f,
				   char *buf, size_t len)
{
	struct mapping_view v;
	char who[9];

	for (unsigned i = 0; i < forward_span(f); i++) {
		for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
			if (!(f->protos & (1u << p)) ||
			    !mapping_table_find_by_port(g->mappings, MAPPING_SPACE_IPV4,
							(enum mapping_proto)p,
							(uint16_t)(f->external_port + i), &v) ||
			    v.is_static)
				continue;
			key_to_short(who, v.peer);
			snprintf(buf, len, "%s %u is held by a mapping of peer %s (drop it first, "
				 "or wait until it expires)", proto_name(v.proto), v.external_port,
				 who);
			return buf;
		}
	}
	return NULL;
}

/* The policy's forwards, the state file's list and the kernel move to the
 * new lists together, or stay as they were. Takes over both lists. */
static int commit(struct gateway *g, struct policy_forward *fwd, size_t n_fwd,
		  struct policy_forward *stored, size_t n_stored,
		  const struct policy_forward *drop, char *err, size_t len)
{
	struct policy_forward *old_fwd = g->policy.forwards, *old_stored = g->stored;
	size_t old_n_fwd = g->policy.n_forwards, old_n_stored = g->n_stored;
	char why[512];
	int ret;

	if (forward_store_save(g->policy.state_dir, stored, n_stored, why, sizeof(why)) < 0) {
		snprintf(err, len, "cannot write the state file: %s", why);
		free(fwd);
		free(stored);
		return -EIO;
	}
	g->policy.forwards = fwd;
	g->policy.n_forwards = n_fwd;
	g->stored = stored;
	g->n_stored = n_stored;
	policy_forwards_sort(&g->policy);
	gateway_sync_reserved(g);
	ret = mapping_table_begin(g->mappings);
	for (unsigned i = 0; ret == 0 && drop && i < forward_span(drop); i++)
		for (int p = 0; p < MAPPING_PROTO_COUNT; p++)
			if (drop->protos & (1u << p))
				mapping_table_drop_port(g->mappings, MAPPING_SPACE_IPV4,
							(enum mapping_proto)p,
							(uint16_t)(drop->external_port + i));
	if (ret == 0 && (ret = gateway_stage_statics(g)) < 0)
		mapping_table_rollback(g->mappings);
	if (ret == 0)
		ret = gateway_apply(g, REASON_OPERATOR);
	if (ret == 0) {
		free(old_fwd);
		free(old_stored);
		return 0;
	}
	g->policy.forwards = old_fwd;
	g->policy.n_forwards = old_n_fwd;
	g->stored = old_stored;
	g->n_stored = old_n_stored;
	gateway_sync_reserved(g);
	free(fwd);
	free(stored);
	if (forward_store_save(g->policy.state_dir, old_stored, old_n_stored, why,
			       sizeof(why)) < 0)
		log_warnx("state: cannot put the state file back: %s", why);
	snprintf(err, len, "the kernel refused the change; nothing changed");
	return -EAGAIN;
}

/* A copy of n forwards with room for one more. */
static struct policy_forward *copy_plus_one(const struct policy_forward *f, size_t n)
{
	struct policy_forward *c = malloc((n + 1) * sizeof(*c));

	if (c && n)
		memcpy(c, f, n * sizeof(*c));
	return c;
}

int gateway_forward_add(struct gateway *g, const struct policy_forward *f,
			char *err, size_t len)
{
	struct policy_forward *fwd, *stored;
	char why[256];

	if (policy_forward_conflict(&g->policy, f, g->policy.forwards, g->policy.n_forwards,
				    why, sizeof(why)) ||
	    held_by_mapping(g, f, why, sizeof(why)) ||
	    gateway_static_unusable(g, f, why, sizeof(why))) {
		snprintf(err, len, "%s", why);
		return -EINVAL;
	}
	fwd = copy_plus_one(g->policy.forwards, g->policy.n_forwards);
	stored = copy_plus_one(g->stored, g->n_stored);
	if (!fwd || !stored) {
		free(fwd);
		free(stored);
		snprintf(err, len, "out of memory; nothing changed");
		return -EAGAIN;
	}
	fwd[g->policy.n_forwards] = *f;
	stored[g->n_stored] = *f;
	return commit(g, fwd, g->policy.n_forwards + 1, stored, g->n_stored + 1, NULL,
		      err, len);
}

/* Takes protos off the run-time forward of key covering port in a list
 * (a range goes whole): 0 when found, with the entry as it was in *was (an
 * entry left without protocols goes). */
static int take_off(struct policy_forward *list, size_t *n, const uint8_t key[32],
		    unsigned protos, uint16_t port, struct policy_forward *was)
{
	for (size_t i = 0; i < *n; i++) {
		struct policy_forward *f = &list[i];

		if (!f->runtime || !forward_covers(f, port) || memcmp(f->key, key, 32) ||
		    !(f->protos & protos))
			continue;
		*was = *f;
		f->protos &= ~protos;
		if (!f->protos)
			memmove(f, f + 1, (--*n - i) * sizeof(*f));
		return 0;
	}
	return -ENOENT;
}

static int del_static(struct gateway *g, const uint8_t key[32], unsigned protos,
		      uint16_t port, char *err, size_t len)
{
	struct policy_forward *fwd = copy_plus_one(g->policy.forwards, g->policy.n_forwards);
	struct policy_forward *stored = copy_plus_one(g->stored, g->n_stored);
	struct policy_forward drop = { 0 }, was;
	size_t n_fwd = g->policy.n_forwards, n_stored = g->n_stored;

	if (!fwd || !stored) {
		free(fwd);
		free(stored);
		snprintf(err, len, "out of memory; nothing changed");
		return -EAGAIN;
	}
	take_off(fwd, &n_fwd, key, protos, port, &drop);
	take_off(stored, &n_stored, key, protos, port, &was);
	drop.protos = protos;	/* every port of the entry, these protocols */
	return commit(g, fwd, n_fwd, stored, n_stored, &drop, err, len);
}

int gateway_forward_del(struct gateway *g, const uint8_t key[32], unsigned protos,
			uint16_t port, size_t *removed, char *err, size_t len)
{
	unsigned statics = 0, dynamics = 0;
	struct mapping_view v;
	int ret;

	*removed = 0;
	for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
		const struct policy_forward *f;

		if (!(protos & (1u << p)))
			continue;
		f = policy_forward_at(&g->policy, (enum mapping_proto)p, port);
		if (f && !memcmp(f->key, key, 32) && !f->runtime) {
			snprintf(err, len, "%s %u is a static forward of the policy file; "
				 "remove it there and reload", proto_name((enum mapping_proto)p),
				 port);
			return -EPERM;
		}
		if (f && !memcmp(f->key, key, 32))
			statics |= 1u << p;
		else if (!f && mapping_table_find_by_port(g->mappings, MAPPING_SPACE_IPV4,
							  (enum mapping_proto)p, port, &v) &&
			 !memcmp(v.peer, key, 32))
			dynamics |= 1u << p;
	}
	if (!statics && !dynamics) {
		snprintf(err, len, "this peer has no forward at %s %u",
			 forward_protos_name(protos), port);
		return -ENOENT;
	}
	if (statics) {
		size_t before = mapping_table_count_static(g->mappings, MAPPING_UDP) +
				mapping_table_count_static(g->mappings, MAPPING_TCP);

		if ((ret = del_static(g, key, statics, port, err, len)) < 0)
			return ret;
		*removed += before - mapping_table_count_static(g->mappings, MAPPING_UDP) -
			    mapping_table_count_static(g->mappings, MAPPING_TCP);
	}
	for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
		size_t n = 0;

		if (!(dynamics & (1u << p)))
			continue;
		if (gateway_drop_port(g, (enum mapping_proto)p, port, &n) < 0) {
			snprintf(err, len, "the kernel refused the change; the mapping stays");
			return -EAGAIN;
		}
		*removed += n;
	}
	return 0;
}

bool gateway_forward_installed(const struct gateway *g, enum mapping_proto proto,
			       uint16_t port)
{
	struct mapping_view v;

	return mapping_table_find_by_port(g->mappings, MAPPING_SPACE_IPV4, proto, port, &v) &&
	       v.is_static;
}
