/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nft/nft.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "util/base64.h"
#include "util/clock.h"
#include "util/log.h"
#include "nft/nft_impl.h"
#include "util/nlutil.h"
#include "nft/nftmsg.h"
#include "nft/ruleset.h"

#define EPOCH_PREFIX "portgate epoch-origin-ms="

struct nft_writer *nft_writer_open(const struct nft_config *cfg)
{
	struct nft_writer *w = calloc(1, sizeof(*w));
	struct mnl_socket *nl;
	int one = 1, rcvbuf = 4 << 20;

	if (!w)
		return NULL;
	w->cfg = *cfg;
	w->sock = nl_sock_open(NETLINK_NETFILTER, 0, SOCK_CLOEXEC, false);
	if (!w->sock) {
		int saved = errno;

		free(w);
		errno = saved;
		return NULL;
	}
	nl = nl_sock_mnl(w->sock);
	/* Extended acks say which attribute the kernel refused; capped acks
	 * keep a large batch's errors from echoing the whole batch back. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	return w;
}

void nft_writer_close(struct nft_writer *w)
{
	if (!w)
		return;
	/* Closing the owner's socket orphans a persistent table (its elements
	 * keep forwarding); an un-owned one has nothing to do with it. */
	nl_sock_close(w->sock);
	free(w);
}

const struct nft_features *nft_writer_features(const struct nft_writer *w)
{
	return &w->features;
}

const char *nft_writer_last_error(const struct nft_writer *w)
{
	return w->last_error;
}

int writer_commit_batch(struct nft_writer *w, struct nl_batch *b)
{
	int ret = nl_batch_commit(b, w->last_error, sizeof(w->last_error));

	nl_batch_free(b);
	return ret;
}

/* ---- reading the table back ------------------------------------------- */

struct table_info {
	bool found;
	uint32_t flags;
	uint64_t epoch_origin_ms;
	bool has_origin;
};

static int parse_table_comment(const struct nftnl_udata *attr, void *data)
{
	struct table_info *info = data;
	const char *s = nftnl_udata_get(attr);
	uint32_t len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) != NFTNL_UDATA_TABLE_COMMENT || !len ||
	    s[len - 1] != '\0')
		return MNL_CB_OK;
	if (!strncmp(s, EPOCH_PREFIX, strlen(EPOCH_PREFIX)) &&
	    sscanf(s + strlen(EPOCH_PREFIX), "%" SCNu64, &info->epoch_origin_ms) == 1)
		info->has_origin = true;
	return MNL_CB_OK;
}

static int table_cb(const struct nlmsghdr *msg, void *arg)
{
	struct table_info *info = arg;
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t ulen = 0;
	const void *ud;

	if (!t)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(msg, t) == 0) {
		info->found = true;
		info->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &ulen);
		if (ud && ulen)
			nftnl_udata_parse(ud, ulen, parse_table_comment, info);
	}
	nftnl_table_free(t);
	return 0;
}

static int get_table(struct nft_writer *w, uint32_t family, struct table_info *info)
{
	char buf[512];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int ret;

	if (!t)
		return -ENOMEM;
	memset(info, 0, sizeof(*info));
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, w->cfg.table);
	nlh = nftnl_table_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, (uint16_t)family,
					  NLM_F_ACK, nl_sock_next_seq(w->sock));
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = nl_request(w->sock, nlh, table_cb, info);
	return ret == -ENOENT ? 0 : ret;
}

/* ---- setup and adoption ----------------------------------------------- */

/* One table and its shape. recreate: the table may exist (with any
 * flags): made (without flags) if missing, deleted, then made anew, all in
 * the batch; an owner's flag does not change on an existing table. */
static int put_table(struct nft_writer *w, struct nl_batch *b, uint32_t family,
		     bool recreate)
{
	const char *t = w->cfg.table;
	char comment[64];
	int ret;

	snprintf(comment, sizeof(comment), EPOCH_PREFIX "%" PRIu64, w->epoch_origin_ms);
	if (recreate && ((ret = msg_put_table(b, family, t, NFT_TABLE_FLAGS_KEEP, NULL)) ||
			 (ret = msg_del_table(b, family, t))))
		return ret;
	if ((ret = msg_put_table(b, family, t, w->flags, comment)))
		return ret;
	return family == NFPROTO_IPV4 ? ruleset_put_shape(b, t, w->cfg.inner_ifname,
							 w->cfg.guard_tcp_port)
				      : ruleset6_put_shape(b, t, w->cfg.inner_ifname, w->cfg.mark);
}

int writer_put_tables(struct nft_writer *w, struct nl_batch *b)
{
	int ret = put_table(w, b, NFPROTO_IPV4, true);

	return ret ? ret : put_table(w, b, NFPROTO_IPV6, true);
}

/* Both tables in one batch, with this mode's flags. delete_first: the ip
 * table's mappings are not ours; delete6: nor are the ip6 table's
 * (another epoch's, or not ours). */
static int declare(struct nft_writer *w, uint64_t origin, bool delete_first, bool delete6)
{
	struct nl_batch b;
	int ret;

	w->epoch_origin_ms = origin;
	if ((ret = nl_batch_init(&b, w->sock)) < 0)
		return ret;
	if ((ret = put_table(w, &b, NFPROTO_IPV4, delete_first)) ||
	    (ret = put_table(w, &b, NFPROTO_IPV6, delete6))) {
		nl_batch_free(&b);
		return ret;
	}
	return writer_commit_batch(w, &b);
}

/* Whether an owned table outlives its owner here (6.9+): a table made with
 * the flags and deleted in one batch says so, and leaves nothing behind. */
static bool kernel_persists(struct nft_writer *w)
{
	char name[64];
	struct nl_batch b;

	snprintf(name, sizeof(name), "%.50s-probe", w->cfg.table);
	if (nl_batch_init(&b, w->sock) < 0)
		return false;
	if (msg_put_table(&b, NFPROTO_IPV4, name, NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST,
			  NULL) ||
	    msg_del_table(&b, NFPROTO_IPV4, name)) {
		nl_batch_free(&b);
		return false;
	}
	return writer_commit_batch(w, &b) == 0;
}

static void probe_destroy(struct nft_writer *w)
{
	struct nl_batch b;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t key[8] = { 0 };
	struct nlmsghdr *nlh;
	char *room;

	if (!s || !e || nl_batch_init(&b, w->sock) < 0) {
		nftnl_set_free(s);
		nftnl_set_elem_free(e);
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, w->cfg.table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, NFT_MAP_FORWARDS);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
	nftnl_set_elem_add(s, e);
	room = nl_batch_room(&b);
	if (room) {
		nlh = nftnl_nlmsg_build_hdr(room, NFT_MSG_DESTROYSETELEM_, NFPROTO_IPV4,
					    NLM_F_ACK, nl_batch_seq(&b));
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nl_batch_push(&b);
		w->has_destroy = writer_commit_batch(w, &b) == 0;
	} else {
		nl_batch_free(&b);
	}
	nftnl_set_free(s);
	w->features.destroy = w->has_destroy;
}

/* The mode: the one asked for, or the best this kernel has. */
static int choose_mode(struct nft_writer *w)
{
	enum nft_table_mode mode = w->cfg.mode;

	w->features.kernel_persist = kernel_persists(w);
	if (mode == NFT_MODE_AUTO)
		mode = w->features.kernel_persist ? NFT_MODE_PERSISTENT : NFT_MODE_UNOWNED;
	if (mode == NFT_MODE_PERSISTENT && !w->features.kernel_persist) {
		log_warnx("nft: persistent tables asked for, but this kernel has none "
			  "(6.9+)");
		return -EOPNOTSUPP;
	}
	w->features.mode = mode;
	w->flags = mode == NFT_MODE_PERSISTENT ? NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST : 0;
	w->features.owner = w->flags & NFT_TABLE_F_OWNER;
	w->features.persist = w->flags & NFT_TABLE_F_PERSIST;
	return 0;
}

/* The ip6 table alone, before its elements could be read as ours: 1, or
 * -errno. */
static int delete_table6(struct nft_writer *w)
{
	struct nl_batch b;
	int ret;

	if ((ret = nl_batch_init(&b, w->sock)) < 0)
		return ret;
	if ((ret = msg_del_table(&b, NFPROTO_IPV6, w->cfg.table)) < 0) {
		nl_batch_free(&b);
		return ret;
	}
	ret = writer_commit_batch(w, &b);
	return ret < 0 ? ret : 1;
}

/* Declares the tables over the ones a previous run left (epoch origin
 * kept): 0, 1 when they carry the other mode's flags (adopted as they
 * are, stale), or -errno. */
static int take_over(struct nft_writer *w, uint64_t origin, bool delete6)
{
	int ret = declare(w, origin, false, delete6);

	/* A previous owner that just exited releases the table a moment
	 * after its process is gone. */
	for (int i = 0; ret == -EPERM && i < 30; i++) {
		struct timespec pause = { 0, 100 * 1000 * 1000 };

		nanosleep(&pause, NULL);
		ret = declare(w, origin, false, delete6);
	}
	if (ret == -EPERM) {
		log_warnx("nft: table ip %s is owned by another running process",
			  w->cfg.table);
		return ret;
	}
	/* The owner and persist flags of an existing table do not change:
	 * read its elements back, then rebuild it in this mode. */
	if (ret == -EOPNOTSUPP) {
		log_info("nft: table ip %s was kept in the other mode; adopting its "
			 "mappings and re-creating it %s", w->cfg.table,
			 nft_table_mode_name(w->features.mode));
		w->epoch_origin_ms = origin;
		w->stale = true;
		return delete6 ? delete_table6(w) : 1;
	}
	return ret;
}

int nft_writer_setup(struct nft_writer *w, bool *adopted,
		     uint64_t *epoch_origin_ms)
{
	struct table_info info, info6;
	bool keep6;
	int ret;

	*adopted = false;
	*epoch_origin_ms = (uint64_t)boot_now_ms();
	if ((ret = choose_mode(w)) < 0 ||
	    (ret = get_table(w, NFPROTO_IPV4, &info)) < 0 ||
	    (ret = get_table(w, NFPROTO_IPV6, &info6)) < 0)
		return ret;
	/* The ip6 table's mappings are adopted with the ip table's, when
	 * both are of one epoch; otherwise they are not ours to serve. */
	keep6 = info.found && info.has_origin && info6.has_origin &&
		info6.epoch_origin_ms == info.epoch_origin_ms;
	if (info.found && info.has_origin) {
		ret = take_over(w, info.epoch_origin_ms, info6.found && !keep6);
		if (ret >= 0) {
			*adopted = true;
			*epoch_origin_ms = info.epoch_origin_ms;
		} else if (ret != -EPERM) {
			/* Of a shape we cannot declare over. */
			log_warnx("nft: table ip %s cannot be adopted (%s%s%s); replacing "
				  "it, its mappings are lost", w->cfg.table, strerror(-ret),
				  w->last_error[0] ? ": " : "", w->last_error);
			ret = declare(w, *epoch_origin_ms, true, info6.found);
		}
	} else if (info.found) {
		/* Made by someone else (nft -f): its mappings are not ours. */
		log_warnx("nft: table ip %s was not made by portgated; replacing it, "
			  "its elements are dropped", w->cfg.table);
		ret = declare(w, *epoch_origin_ms, true, info6.found);
	} else {
		ret = declare(w, *epoch_origin_ms, false, info6.found);
	}
	if (ret < 0)
		return ret;
	/* Table comments came in 5.10; an older kernel drops ours silently. */
	if (!w->stale && get_table(w, NFPROTO_IPV4, &info) == 0 && info.found &&
	    !info.has_origin)
		log_warnx("nft: this kernel keeps no table comment (5.10+): the epoch "
			  "restarts from 0 and a restarted portgated cannot adopt the "
			  "mappings");
	probe_destroy(w);
	return 0;
}

bool nft_writer_stale(const struct nft_writer *w)
{
	return w->stale;
}

void nft_writer_set_stale(struct nft_writer *w)
{
	w->stale = true;
}

uint32_t nft_writer_portid(const struct nft_writer *w)
{
	return mnl_socket_get_portid(nl_sock_mnl(w->sock));
}

static bool table_is_ours(const struct nft_writer *w, const struct table_info *info)
{
	return info->found && info->has_origin &&
	       info->epoch_origin_ms == w->epoch_origin_ms &&
	       (info->flags & (NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST)) == w->flags;
}

int nft_writer_verify(struct nft_writer *w)
{
	struct table_info info, info6;
	int ret;

	if ((ret = get_table(w, NFPROTO_IPV4, &info)) < 0 ||
	    (ret = get_table(w, NFPROTO_IPV6, &info6)) < 0)
		return ret;
	if (table_is_ours(w, &info) && table_is_ours(w, &info6))
		return 0;
	w->stale = true;
	return 1;
}

int nft_writer_remove_table(struct nft_writer *w)
{
	struct table_info info6;
	struct nl_batch b;
	int ret;

	if ((ret = get_table(w, NFPROTO_IPV6, &info6)) < 0 ||
	    (ret = nl_batch_init(&b, w->sock)) < 0)
		return ret;
	if ((ret = msg_del_table(&b, NFPROTO_IPV4, w->cfg.table)) < 0 ||
	    (info6.found && (ret = msg_del_table(&b, NFPROTO_IPV6, w->cfg.table)) < 0)) {
		nl_batch_free(&b);
		return ret;
	}
	return writer_commit_batch(w, &b);
}
