/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/tableguard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft/monitor.h"
#include "nft/nft.h"
#include "util/log.h"
#include "util/clock.h"
#include "util/loop.h"

struct table_guard {
	struct loop *loop;
	struct nft_writer *w;
	struct nft_monitor *mon;	/* un-owned mode only */
	struct loop_watch mon_w;
	int (*rebuild)(void *arg);
	void *arg;
	bool failing;			/* the last rebuild was refused: said once */
	int64_t last_ms;		/* the last rebuild's start */
	char table[256];
};

/* Notifications rebuild at most this often; what comes sooner waits for
 * the next poll. Two programs that each re-make the table when the other
 * changes it (two portgated on one table name) then fight once a poll,
 * in the log, not in a loop. */
#define GUARD_MIN_INTERVAL_MS 200

static void repair(struct table_guard *tg, const char *why)
{
	int ret;

	if (!nft_writer_stale(tg->w))
		return;
	if (!tg->failing)
		log_warnx("nft: %s: re-creating the tables with every mapping", why);
	tg->last_ms = mono_now_ms();
	ret = tg->rebuild(tg->arg);
	if (ret == 0 && tg->failing)
		log_info("nft: the tables are whole again");
	/* Refused (another program holds the name, say): tried again after
	 * the next poll. */
	tg->failing = ret < 0;
}

static void monitor_readable(struct loop_watch *lw, uint32_t events)
{
	struct table_guard *tg = lw->arg;
	int ret = nft_monitor_read(tg->mon);

	(void)events;
	if (ret < 0) {
		/* The look after each poll still guards the tables. */
		log_warnx("nft: cannot read nftables notifications: %s", strerror(-ret));
		return;
	}
	if (ret == 0)
		return;
	nft_writer_set_stale(tg->w);
	if (mono_now_ms() - tg->last_ms < GUARD_MIN_INTERVAL_MS) {
		log_warnx("nft: the tables changed again within %d ms of their rebuild: "
			  "rebuilt after the next poll (is another program re-making "
			  "table ip %s?)", GUARD_MIN_INTERVAL_MS, tg->table);
		return;
	}
	repair(tg, "another program changed the tables");
}

struct table_guard *table_guard_open(struct loop *loop, struct nft_writer *w,
				     const char *table, int (*rebuild)(void *arg),
				     void *arg)
{
	struct table_guard *tg = calloc(1, sizeof(*tg));
	int saved;

	if (!tg)
		return NULL;
	*tg = (struct table_guard){ .loop = loop, .w = w,
				    .mon_w = { -1, monitor_readable, tg },
				    .rebuild = rebuild, .arg = arg };
	snprintf(tg->table, sizeof(tg->table), "%s", table);
	if (nft_writer_features(w)->mode != NFT_MODE_UNOWNED)
		return tg;
	tg->mon = nft_monitor_open(table, nft_writer_portid(w));
	if (!tg->mon)
		goto fail;
	tg->mon_w.fd = nft_monitor_fd(tg->mon);
	if (loop_add(loop, &tg->mon_w) < 0)
		goto fail;
	return tg;
fail:
	saved = errno;
	log_warn("nft: nftables notifications");
	tg->mon_w.fd = -1;
	table_guard_close(tg);
	errno = saved;
	return NULL;
}

void table_guard_close(struct table_guard *tg)
{
	if (!tg)
		return;
	if (tg->mon_w.fd >= 0)
		loop_del(tg->loop, &tg->mon_w);
	nft_monitor_close(tg->mon);
	free(tg);
}

void table_guard_check(struct table_guard *tg)
{
	int ret;

	if (!tg)
		return;
	if (nft_writer_features(tg->w)->mode == NFT_MODE_UNOWNED &&
	    !nft_writer_stale(tg->w) && (ret = nft_writer_verify(tg->w)) < 0)
		log_warnx("nft: cannot read the tables back: %s", strerror(-ret));
	repair(tg, "the tables are not as portgated made them");
}
