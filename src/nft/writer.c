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
	int one = 1, rcvbuf = 4 << 20;

	if (!w)
		return NULL;
	w->cfg = *cfg;
	w->seq = (uint32_t)time(NULL);
	w->sock = nl_sock_open(NETLINK_NETFILTER, 0, SOCK_CLOEXEC, false);
	if (!w->sock) {
		int saved = errno;

		free(w);
		errno = saved;
		return NULL;
	}
	w->nl = nl_sock_mnl(w->sock);
	/* Extended acks say which attribute the kernel refused; capped acks
	 * keep a large batch's errors from echoing the whole batch back. */
	mnl_socket_setsockopt(w->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(w->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	return w;
}

void nft_writer_close(struct nft_writer *w)
{
	if (!w)
		return;
	/* Closing the owner's socket orphans a persistent table (its elements
	 * keep forwarding) and removes a non-persistent one. */
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
	int ret = nl_batch_commit(w->nl, b, w->last_error, sizeof(w->last_error));

	w->seq = nl_batch_seq(b);
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
					  NLM_F_ACK, w->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = nl_request(w->sock, nlh, table_cb, info);
	return ret == -ENOENT ? 0 : ret;
}

/* ---- setup and adoption ----------------------------------------------- */

/* Both tables in one batch. delete_first: the ip table's mappings are not
 * ours; delete6: nor are the ip6 table's (another epoch's, or not ours). */
static int declare(struct nft_writer *w, uint32_t flags, uint64_t origin,
		   bool delete_first, bool delete6)
{
	char comment[64];
	struct nl_batch b;
	const char *t = w->cfg.table;
	int ret;

	snprintf(comment, sizeof(comment), EPOCH_PREFIX "%" PRIu64, origin);
	if ((ret = nl_batch_init(&b, w->seq)) < 0)
		return ret;
	if ((delete_first && (ret = msg_del_table(&b, NFPROTO_IPV4, t))) ||
	    (ret = msg_put_table(&b, NFPROTO_IPV4, t, flags, comment)) ||
	    (ret = ruleset_put_shape(&b, t, w->cfg.inner_ifname)) ||
	    (delete6 && (ret = msg_del_table(&b, NFPROTO_IPV6, t))) ||
	    (ret = msg_put_table(&b, NFPROTO_IPV6, t, flags, comment)) ||
	    (ret = ruleset6_put_shape(&b, t, w->cfg.inner_ifname, w->cfg.mark))) {
		nl_batch_free(&b);
		return ret;
	}
	return writer_commit_batch(w, &b);
}

/* Owner and persist flags, newest first: what this kernel (and, for a table
 * that exists, its current flags) accepts decides. */
static int declare_with_best_flags(struct nft_writer *w, uint64_t origin,
				   bool delete_first, bool delete6)
{
	static const uint32_t tries[] = {
		NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST, NFT_TABLE_F_OWNER, 0,
	};
	struct table_info info;
	int ret = -EINVAL;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		ret = declare(w, tries[i], origin, delete_first, delete6);
		if (ret != -EOPNOTSUPP && ret != -EINVAL)
			break;
	}
	if (ret == 0 && get_table(w, NFPROTO_IPV4, &info) == 0 && info.found) {
		w->features.owner = info.flags & NFT_TABLE_F_OWNER;
		w->features.persist = info.flags & NFT_TABLE_F_PERSIST;
	}
	return ret;
}

static void probe_destroy(struct nft_writer *w)
{
	struct nl_batch b;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t key[8] = { 0 };
	struct nlmsghdr *nlh;
	char *room;

	if (!s || !e || nl_batch_init(&b, w->seq) < 0) {
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
}

int nft_writer_setup(struct nft_writer *w, bool *adopted,
		     uint64_t *epoch_origin_ms)
{
	struct table_info info, info6;
	bool keep6;
	int ret;

	*adopted = false;
	*epoch_origin_ms = (uint64_t)boot_now_ms();
	if ((ret = get_table(w, NFPROTO_IPV4, &info)) < 0 ||
	    (ret = get_table(w, NFPROTO_IPV6, &info6)) < 0)
		return ret;
	/* The ip6 table's mappings are adopted with the ip table's, when
	 * both are of one epoch; otherwise they are not ours to serve. */
	keep6 = info.found && info.has_origin && info6.has_origin &&
		info6.epoch_origin_ms == info.epoch_origin_ms;
	if (info.found) {
		ret = declare_with_best_flags(w, info.epoch_origin_ms, false,
					      info6.found && !keep6);
		/* A previous owner that just exited releases the table a
		 * moment after its process is gone. */
		for (int i = 0; ret == -EPERM && i < 30; i++) {
			struct timespec pause = { 0, 100 * 1000 * 1000 };

			nanosleep(&pause, NULL);
			ret = declare_with_best_flags(w, info.epoch_origin_ms, false,
						      info6.found && !keep6);
		}
		if (ret == -EPERM) {
			log_warnx("nft: table ip %s is owned by another running "
				  "process", w->cfg.table);
			return ret;
		}
		if (ret == 0 && info.has_origin) {
			*adopted = true;
			*epoch_origin_ms = info.epoch_origin_ms;
		} else {
			/* Made by someone else (nft -f), or of a shape we
			 * cannot declare: its mappings are not ours. */
			log_warnx("nft: table ip %s cannot be adopted (%s%s%s); "
				  "replacing it, its mappings are lost",
				  w->cfg.table,
				  ret ? strerror(-ret) : "not made by portgated",
				  w->last_error[0] ? ": " : "", w->last_error);
			ret = declare_with_best_flags(w, *epoch_origin_ms, true, info6.found);
		}
	} else {
		ret = declare_with_best_flags(w, *epoch_origin_ms, false, info6.found);
	}
	if (ret < 0)
		return ret;
	if (!w->features.owner)
		log_warnx("nft: this kernel has no table owner flag (5.12+): "
			  "other programs can change table ip %s", w->cfg.table);
	else if (!w->features.persist)
		log_warnx("nft: this kernel has no persistent tables (6.9+): "
			  "mappings stop forwarding while portgated restarts");
	probe_destroy(w);
	return 0;
}

int nft_writer_remove_table(struct nft_writer *w)
{
	struct table_info info6;
	struct nl_batch b;
	int ret;

	if ((ret = get_table(w, NFPROTO_IPV6, &info6)) < 0 ||
	    (ret = nl_batch_init(&b, w->seq)) < 0)
		return ret;
	if ((ret = msg_del_table(&b, NFPROTO_IPV4, w->cfg.table)) < 0 ||
	    (info6.found && (ret = msg_del_table(&b, NFPROTO_IPV6, w->cfg.table)) < 0)) {
		nl_batch_free(&b);
		return ret;
	}
	return writer_commit_batch(w, &b);
}
