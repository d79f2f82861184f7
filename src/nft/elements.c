/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Elements of the forwards maps (ip and ip6), the pinhole set and the
 * address sets: transactions, the address sets, and reading them back. */
#include "util/array.h"
#include "nft/nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "util/base64.h"
#include "nft/nft_impl.h"
#include "nft/ruleset.h"

#define ELEMS_PER_MSG 200
#define ELEM_TAG "pg1"


static uint32_t family_of(enum nft_space space)
{
	return space == NFT_SPACE_IPV4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

static const char *set_of(enum nft_space space)
{
	return space == NFT_SPACE_PINHOLE ? NFT_SET_PINHOLES : NFT_MAP_FORWARDS;
}

/* A pinhole's key is its address first. */
uint32_t nft_encode_key(uint8_t key[NFT_KEY_MAX], const struct nft_element *e)
{
	uint16_t be = htons(e->external_port);

	memset(key, 0, NFT_KEY_MAX);
	if (e->space == NFT_SPACE_PINHOLE) {
		memcpy(key, e->addr.b, 16);
		key[16] = e->proto;
		memcpy(key + 20, &be, 2);
		return 24;
	}
	key[0] = e->proto;
	memcpy(key + 4, &be, 2);
	return 8;
}

uint32_t nft_encode_data(uint8_t data[NFT_DATA_MAX], const struct nft_element *e)
{
	uint16_t port_be = htons(e->target_port);

	memset(data, 0, NFT_DATA_MAX);
	if (e->space == NFT_SPACE_PINHOLE)
		return 0;
	if (e->space == NFT_SPACE_NAT66) {
		memcpy(data, e->addr.b, 16);
		memcpy(data + 16, &port_be, 2);
		return 20;
	}
	memcpy(data, e->addr.b + 12, 4);	/* IPv4-mapped: its last 4 */
	memcpy(data + 4, &port_be, 2);
	return 8;
}

static bool encode_userdata(struct nftnl_set_elem *se, const struct nft_element *e)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
	char key[KEY_B64_LEN + 1], comment[NFTNL_UDATA_COMMENT_MAXLEN];

	if (!ud)
		return false;
	/* A comment, so `nft list map` shows whose mapping it is. */
	key_to_base64(key, e->owner);
	snprintf(comment, sizeof(comment), ELEM_TAG " %s %u %u %u", key,
		 e->owner_port, e->granted_lifetime_s, e->owner_tag);
	nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, comment);
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return true;
}

static struct nftnl_set *set_for(const struct nft_writer *w, uint32_t family,
				 const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s) {
		nftnl_set_set_str(s, NFTNL_SET_TABLE, w->cfg.table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
	}
	return s;
}

static int push_elems(struct nl_batch *b, struct nftnl_set *s, uint16_t type,
		      uint16_t flags)
{
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;

	if (!room)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(room, type, (uint16_t)nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
				    flags | NLM_F_ACK, nl_batch_seq(b));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nl_batch_push(b);
	return 0;
}

/* ---- transactions ----------------------------------------------------- */

struct nft_txn *nft_txn_begin(struct nft_writer *w)
{
	struct nft_txn *txn = calloc(1, sizeof(*txn));

	if (txn)
		txn->w = w;
	return txn;
}

int nft_txn_delete_element(struct nft_txn *txn, const struct nft_element *e)
{
	if (!ARRAY_RESERVE(txn->dels, txn->ndels, txn->cap_dels))
		return -ENOMEM;
	txn->dels[txn->ndels++] = *e;
	return 0;
}

int nft_txn_put(struct nft_txn *txn, const struct nft_element *e, bool replace)
{
	int ret;

	/* Re-adding refreshes a timeout only on 6.12+; DEL+NEW of one key in
	 * one batch replaces it atomically on every kernel. */
	if (replace && (ret = nft_txn_delete_element(txn, e)) < 0)
		return ret;
	if (!ARRAY_RESERVE(txn->puts, txn->nputs, txn->cap_puts))
		return -ENOMEM;
	txn->puts[txn->nputs++] = *e;
	return 0;
}

struct nft_txn *nft_txn_begin_rebuild(struct nft_writer *w)
{
	struct nft_txn *txn = nft_txn_begin(w);

	if (txn)
		txn->rebuild = true;
	return txn;
}

size_t nft_txn_size(const struct nft_txn *txn)
{
	/* A rebuild is never empty: it makes the tables. */
	return txn->ndels + txn->nputs + txn->rebuild;
}

void nft_txn_abort(struct nft_txn *txn)
{
	if (!txn)
		return;
	free(txn->puts);
	free(txn->dels);
	free(txn);
}

static struct nftnl_set_elem *elem_of(const struct nft_writer *w,
				      const struct nft_element *e, bool put)
{
	uint64_t grace_ms = (uint64_t)w->cfg.timeout_grace_s * 1000;
	struct nftnl_set_elem *se = nftnl_set_elem_alloc();
	uint8_t key[NFT_KEY_MAX], data[NFT_DATA_MAX];
	uint32_t dlen;

	if (!se)
		return NULL;
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, key, nft_encode_key(key, e));
	if (!put)
		return se;
	if (!encode_userdata(se, e)) {
		nftnl_set_elem_free(se);
		return NULL;
	}
	if ((dlen = nft_encode_data(data, e)))
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, data, dlen);
	/* Without a timeout an element stays (a static forward). */
	if (e->lifetime_s)
		nftnl_set_elem_set_u64(se, NFTNL_SET_ELEM_TIMEOUT,
				       (uint64_t)e->lifetime_s * 1000 + grace_ms);
	return se;
}

/* The elements of one space, in messages of up to ELEMS_PER_MSG. */
static int build_space(struct nft_txn *txn, struct nl_batch *b, const struct nft_element *list,
		       size_t n, enum nft_space space, bool put)
{
	uint16_t type = put ? NFT_MSG_NEWSETELEM
		      : txn->w->has_destroy ? NFT_MSG_DESTROYSETELEM_ : NFT_MSG_DELSETELEM;
	size_t i = 0;

	while (i < n) {
		struct nftnl_set *s = NULL;
		size_t in_msg = 0;
		int ret;

		for (; i < n && in_msg < ELEMS_PER_MSG; i++) {
			struct nftnl_set_elem *se;

			if (list[i].space != space)
				continue;
			if (!s && !(s = set_for(txn->w, family_of(space), set_of(space))))
				return -ENOMEM;
			if (!(se = elem_of(txn->w, &list[i], put))) {
				nftnl_set_free(s);
				return -ENOMEM;
			}
			nftnl_set_elem_add(s, se);
			in_msg++;
		}
		if (!s)
			break;
		ret = push_elems(b, s, type, put ? NLM_F_CREATE : 0);
		nftnl_set_free(s);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int build_all(struct nft_txn *txn, struct nl_batch *b)
{
	int ret = 0;

	/* Deletes first: a key deleted and added in one batch ends up added. */
	for (enum nft_space sp = NFT_SPACE_IPV4; ret == 0 && sp <= NFT_SPACE_PINHOLE; sp++)
		ret = build_space(txn, b, txn->dels, txn->ndels, sp, false);
	for (enum nft_space sp = NFT_SPACE_IPV4; ret == 0 && sp <= NFT_SPACE_PINHOLE; sp++)
		ret = build_space(txn, b, txn->puts, txn->nputs, sp, true);
	return ret;
}

static int send_txn(struct nft_txn *txn)
{
	struct nft_writer *w = txn->w;
	struct nl_batch b;
	int ret;

	w->last_error[0] = '\0';
	ret = nl_batch_init(&b, w->sock);
	if (ret == 0 && txn->rebuild &&
	    ((ret = writer_put_tables(w, &b)) == 0))
		ret = writer_put_addresses(w, &b);
	if (ret == 0 && (ret = build_all(txn, &b)) == 0)
		return writer_commit_batch(w, &b);
	nl_batch_free(&b);
	return ret;
}

static int elem_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	*(bool *)arg = true;
	return 0;
}

/* Whether the map holds the key now: 1, 0, or -errno. */
static int element_exists(struct nft_writer *w, const struct nft_element *e)
{
	struct nftnl_set *s = set_for(w, family_of(e->space), set_of(e->space));
	struct nftnl_set_elem *se = elem_of(w, e, false);
	char buf[512];
	struct nlmsghdr *nlh;
	bool found = false;
	int ret;

	if (!s || !se) {
		nftnl_set_elem_free(se);
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_elem_add(s, se);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)family_of(e->space), 0,
				    nl_sock_next_seq(w->sock));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	ret = nl_request(w->sock, nlh, elem_cb, &found);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : found;
}

/* Keeps the deletes of keys the map still holds. */
static int drop_missing_deletes(struct nft_txn *txn)
{
	size_t kept = 0;

	for (size_t i = 0; i < txn->ndels; i++) {
		int ret = element_exists(txn->w, &txn->dels[i]);

		if (ret < 0)
			return ret;
		if (ret)
			txn->dels[kept++] = txn->dels[i];
	}
	if (kept == txn->ndels)
		return -ENOENT;	/* not a missing element after all */
	txn->ndels = kept;
	return 0;
}

int nft_txn_commit(struct nft_txn *txn)
{
	int ret = 0;

	if (nft_txn_size(txn))
		ret = send_txn(txn);
	/* Without DESTROY (kernels before 6.3), deleting an element the
	 * kernel already expired fails the batch with ENOENT. It is gone,
	 * which is what was asked: send the rest again. */
	if (ret == -ENOENT && !txn->w->has_destroy && txn->ndels && !txn->rebuild &&
	    (ret = drop_missing_deletes(txn)) == 0)
		ret = nft_txn_size(txn) ? send_txn(txn) : 0;
	if (ret == 0 && txn->rebuild)
		txn->w->stale = false;
	nft_txn_abort(txn);
	return ret;
}

/* ---- the address sets: external and tunnel, ip and ip6 ------------------ */

static const struct {
	uint32_t family;
	const char *name;
	size_t alen;
} addr_sets[ADDR_SETS] = {
	[ADDR_EXTERNAL4] = { NFPROTO_IPV4, NFT_SET_EXTERNAL, 4 },
	[ADDR_TUNNEL4] = { NFPROTO_IPV4, NFT_SET_TUNNEL, 4 },
	[ADDR_EXTERNAL6] = { NFPROTO_IPV6, NFT_SET_EXTERNAL, 16 },
	[ADDR_TUNNEL6] = { NFPROTO_IPV6, NFT_SET_TUNNEL, 16 },
};

/* n addresses (network order) into set `which`: added, or with flush
 * first, the set's whole content. */
static int push_addresses(struct nft_writer *w, struct nl_batch *b, int which,
			  const uint8_t *addrs, size_t n, bool flush)
{
	size_t alen = addr_sets[which].alen;
	struct nftnl_set *s = set_for(w, addr_sets[which].family, addr_sets[which].name);
	int ret = 0;

	if (!s)
		return -ENOMEM;
	if (flush)
		ret = push_elems(b, s, NFT_MSG_DELSETELEM, 0);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct nftnl_set_elem *se = nftnl_set_elem_alloc();

		if (!se) {
			ret = -ENOMEM;
			break;
		}
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, addrs + i * alen, (uint32_t)alen);
		nftnl_set_elem_add(s, se);
	}
	if (ret == 0 && n)
		ret = push_elems(b, s, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	nftnl_set_free(s);
	return ret;
}

int writer_put_addresses(struct nft_writer *w, struct nl_batch *b)
{
	int ret = 0;

	for (int i = 0; ret == 0 && i < ADDR_SETS; i++)
		ret = push_addresses(w, b, i, w->addrs[i].bytes, w->addrs[i].n, false);
	return ret;
}

/* The set's whole content. It is also what a rebuild fills the set with,
 * even when this batch fails (the table may be gone: the rebuild makes it
 * with what is wanted now). */
static int set_addresses(struct nft_writer *w, int which, enum ip_family fam,
			 const struct ip_addr *addrs, size_t n)
{
	size_t alen = addr_sets[which].alen, len;
	struct nl_batch b;
	int ret;

	if (n > ADDR_SET_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (ip_addr_family(&addrs[i]) != fam)
			return -EINVAL;
	for (size_t i = 0; i < n; i++)
		memcpy(w->addrs[which].bytes + i * alen, ip_addr_bytes(&addrs[i], &len), alen);
	w->addrs[which].n = n;
	if ((ret = nl_batch_init(&b, w->sock)) < 0)
		return ret;
	/* Flush and refill in one batch: never a moment with neither. */
	if ((ret = push_addresses(w, &b, which, w->addrs[which].bytes, n, true)) < 0) {
		nl_batch_free(&b);
		return ret;
	}
	return writer_commit_batch(w, &b);
}

int nft_writer_set_external(struct nft_writer *w, enum ip_family fam,
			    const struct ip_addr *addrs, size_t n)
{
	return set_addresses(w, fam == IP_V4 ? ADDR_EXTERNAL4 : ADDR_EXTERNAL6, fam, addrs, n);
}

int nft_writer_set_tunnel(struct nft_writer *w, enum ip_family fam,
			  const struct ip_addr *addrs, size_t n)
{
	return set_addresses(w, fam == IP_V4 ? ADDR_TUNNEL4 : ADDR_TUNNEL6, fam, addrs, n);
}

/* ---- reading the map back ---------------------------------------------- */

struct dump_ctx {
	const struct nft_writer *w;
	enum nft_space space;
	int (*cb)(const struct nft_element *, void *);
	void *arg;
};

static int parse_elem_comment(const struct nftnl_udata *attr, void *data)
{
	struct nft_element *e = data;
	const char *s = nftnl_udata_get(attr);
	uint32_t len = nftnl_udata_len(attr);
	char key[KEY_B64_LEN + 1];
	unsigned port, lifetime, tag = 0;
	int fields;

	if (nftnl_udata_type(attr) != NFTNL_UDATA_SET_ELEM_COMMENT || !len ||
	    s[len - 1] != '\0')
		return MNL_CB_OK;
	/* The tag came later: a comment without it (an older daemon's) is
	 * read as tag 0. */
	fields = sscanf(s, ELEM_TAG " %44s %u %u %u", key, &port, &lifetime, &tag);
	if (fields >= 3 && port <= 65535 && tag <= 255 && key_from_base64(e->owner, key)) {
		e->owner_port = (uint16_t)port;
		e->granted_lifetime_s = lifetime;
		e->owner_tag = (uint8_t)tag;
	}
	return MNL_CB_OK;
}

void nft_decode_key_data(struct nft_element *e, const uint8_t *key, uint32_t klen,
			 const uint8_t *data, uint32_t dlen)
{
	uint16_t port_be;
	uint32_t addr_be;

	if (key && klen == 8) {
		e->proto = key[0];
		memcpy(&port_be, key + 4, 2);
		e->external_port = ntohs(port_be);
	}
	if (key && klen == 24 && e->space == NFT_SPACE_PINHOLE) {
		e->addr = ip_addr_from_v6(key);
		e->proto = key[16];
		memcpy(&port_be, key + 20, 2);
		e->external_port = e->target_port = ntohs(port_be);
	}
	if (data && dlen == 20 && e->space == NFT_SPACE_NAT66) {
		e->addr = ip_addr_from_v6(data);
		memcpy(&port_be, data + 16, 2);
		e->target_port = ntohs(port_be);
	}
	if (data && dlen == 8 && e->space == NFT_SPACE_IPV4) {
		memcpy(&addr_be, data, 4);
		memcpy(&port_be, data + 4, 2);
		e->addr = ip_addr_from_v4(ntohl(addr_be));
		e->target_port = ntohs(port_be);
	}
}

static void decode_elem(const struct nft_writer *w, enum nft_space space,
			struct nftnl_set_elem *se, struct nft_element *e)
{
	uint32_t klen = 0, dlen = 0, ulen = 0;
	const uint8_t *key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
	const uint8_t *data = nftnl_set_elem_get(se, NFTNL_SET_ELEM_DATA, &dlen);
	const void *ud = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &ulen);
	uint64_t grace_ms = (uint64_t)w->cfg.timeout_grace_s * 1000, left = 0;

	memset(e, 0, sizeof(*e));
	e->space = space;
	nft_decode_key_data(e, key, klen, data, dlen);
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_EXPIRATION))
		left = nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_EXPIRATION);
	e->remaining_ms = left > grace_ms ? left - grace_ms : 0;
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_TIMEOUT))
		e->lifetime_s = (uint32_t)(nftnl_set_elem_get_u64(se, NFTNL_SET_ELEM_TIMEOUT) / 1000);
	if (ud && ulen)
		nftnl_udata_parse(ud, ulen, parse_elem_comment, e);
}

static int elems_cb(const struct nlmsghdr *msg, void *arg)
{
	struct dump_ctx *ctx = arg;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *se;
	int ret = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(msg, s) < 0) {
		nftnl_set_free(s);
		return -EINVAL;
	}
	it = nftnl_set_elems_iter_create(s);
	for (se = it ? nftnl_set_elems_iter_next(it) : NULL; se && ret == 0;
	     se = nftnl_set_elems_iter_next(it)) {
		struct nft_element e;

		decode_elem(ctx->w, ctx->space, se, &e);
		ret = ctx->cb(&e, ctx->arg);
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return ret;
}

static int dump_space(struct nft_writer *w, struct dump_ctx *ctx)
{
	struct nftnl_set *s = set_for(w, family_of(ctx->space), set_of(ctx->space));
	char buf[512];
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)family_of(ctx->space),
				    NLM_F_DUMP, nl_sock_next_seq(w->sock));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nl_request(w->sock, nlh, elems_cb, ctx);
}

int nft_writer_dump(struct nft_writer *w,
		    int (*cb)(const struct nft_element *, void *), void *arg)
{
	struct dump_ctx ctx = { w, 0, cb, arg };
	int ret = 0;

	for (ctx.space = NFT_SPACE_IPV4; ret == 0 && ctx.space <= NFT_SPACE_PINHOLE; ctx.space++)
		ret = dump_space(w, &ctx);
	return ret;
}
