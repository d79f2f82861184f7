/* Start, reload and stop of the gateway. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "control.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "nft/conntrack.h"
#include "nft/nft.h"
#include "ratelimit.h"
#include "wgpeer/rtnl.h"
#include "wgpeer/tracker.h"

static void signal_event(struct loop_watch *w, uint32_t events)
{
	struct gateway *g = w->arg;
	struct signalfd_siginfo si;
	char err[512];

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (gateway_reload(g, err, sizeof(err)) < 0)
				log_warnx("reload refused, the running policy stays: %s", err);
		} else {
			log_info("signal %u: stopping; the table stays so forwards keep "
				 "working until portgated is back", si.ssi_signo);
			g->loop.stop = true;
		}
	}
}

static int add_timer(struct gateway *g, struct loop_watch *w, loop_fn fn)
{
	int fd = timer_new();

	if (fd < 0)
		return fd;
	*w = (struct loop_watch){ fd, fn, g };
	return loop_add(&g->loop, w);
}

static int setup_signals(struct gateway *g)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	g->signal_w = (struct loop_watch){ fd, signal_event, g };
	return loop_add(&g->loop, &g->signal_w);
}

int gateway_init(struct gateway *g, const struct policy *policy)
{
	struct nft_config nc;
	bool adopted = false;
	int ret;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < GATEWAY_MAX_SOCKETS; i++)
		g->socks[i].watch.fd = -1;
	g->policy = *policy;
	g->started = time(NULL);
	if ((ret = loop_init(&g->loop)) < 0 || (ret = setup_signals(g)) < 0) {
		errno = -ret;
		log_warn("event loop");
		return ret;
	}
	g->mappings = mapping_table_new();
	g->rate = ratelimit_new(policy->rate);
	nc = (struct nft_config){ policy->nft_table, policy->interface,
				  GATEWAY_TIMEOUT_GRACE_S };
	g->nft = nft_writer_open(&nc);
	if (!g->nft) {
		log_warn("nft: netlink socket (CAP_NET_ADMIN needed)");
		return -errno;
	}
	if ((ret = nft_writer_setup(g->nft, &adopted, &g->epoch_origin_ms)) < 0) {
		log_warnx("nft: cannot set up table ip %s: %s%s%s", policy->nft_table,
			  strerror(-ret), nft_writer_last_error(g->nft)[0] ? ": " : "",
			  nft_writer_last_error(g->nft));
		return ret;
	}
	if (adopted && (ret = gateway_adopt_kernel_state(g)) < 0)
		return ret;
	if (!adopted)
		log_info("nft: created table ip %s; epoch starts at 0", policy->nft_table);
	g->ct = conntrack_open();
	if (!g->ct)
		log_warn("conntrack: netlink socket; established flows of removed "
			 "mappings will not be cut");
	g->peers = wg_tracker_new(policy->interface,
				  policy->uapi_socket[0] ? policy->uapi_socket : NULL,
				  policy->stale_handshake);
	g->rtnl = rtnl_watch_open();
	if (!g->peers || !g->rtnl) {
		log_warn("rtnetlink");
		return -ENOMEM;
	}
	g->rtnl_w = (struct loop_watch){ rtnl_watch_fd(g->rtnl), gateway_rtnl_event, g };
	if ((ret = loop_add(&g->loop, &g->rtnl_w)) < 0 ||
	    (ret = add_timer(g, &g->expiry_w, gateway_expiry_timer)) < 0 ||
	    (ret = add_timer(g, &g->poll_w, gateway_poll_timer)) < 0 ||
	    (ret = add_timer(g, &g->announce_w, gateway_announce_tick)) < 0 ||
	    (ret = add_timer(g, &g->conntrack_w, gateway_conntrack_timer)) < 0) {
		errno = -ret;
		log_warn("event loop");
		return ret;
	}
	gateway_sync_reserved(g);
	gateway_poll_peers_now(g);
	if (!g->wg_present)
		log_warnx("wg: interface %s is not there yet; waiting for it",
			  policy->interface);
	gateway_sync_external(g);
	gateway_sync_sockets(g);
	timer_every(g->poll_w.fd, (int64_t)policy->poll_interval * 1000);
	gateway_rearm_expiry(g);
	g->control = control_open(g);
	if (!g->control)
		log_warnx("control: no control socket; portgatectl will not reach us");
	if (policy->metrics_listen[0] &&
	    !(g->metrics = metrics_open(g, policy->metrics_listen)))
		return -EADDRNOTAVAIL;
	return 0;
}

int gateway_run(struct gateway *g)
{
	int ret;

	log_info("portgated %s running: %s, table ip %s, epoch %u, %zu mappings",
		 PORTGATE_VERSION, g->policy.interface, g->policy.nft_table,
		 gateway_epoch(g),
		 mapping_table_count(g->mappings, MAPPING_UDP) +
			 mapping_table_count(g->mappings, MAPPING_TCP));
	ret = loop_run(&g->loop);
	if (ret < 0) {
		errno = -ret;
		log_warn("event loop");
	}
	return ret;
}

void gateway_shutdown(struct gateway *g)
{
	if (g->peers && wg_tracker_poll_pending(g->peers))
		loop_del(&g->loop, &g->wgpoll_w);
	gateway_conntrack_flush(g);
	free(g->ct_pending);
	control_close(g->control);
	metrics_close(g->metrics);
	gateway_close_sockets(g);
	if (g->nft && g->policy.nft_remove_on_exit) {
		int ret = nft_writer_remove_table(g->nft);

		if (ret < 0)
			log_warnx("nft: cannot remove the table: %s", strerror(-ret));
		else
			log_info("nft: table removed (nftables.remove_on_exit)");
	}
	nft_writer_close(g->nft);
	conntrack_close(g->ct);
	wg_tracker_free(g->peers);
	rtnl_watch_close(g->rtnl);
	ratelimit_free(g->rate);
	mapping_table_free(g->mappings);
	policy_free(&g->policy);
	loop_close(&g->loop);
}

int gateway_reload(struct gateway *g, char *err, size_t errlen)
{
	struct policy next;

	if (policy_load(g->policy.path, &next, err, errlen) < 0)
		return -1;
	/* These name resources set up once; changing them needs a restart. */
	if (strcmp(next.interface, g->policy.interface) ||
	    strcmp(next.nft_table, g->policy.nft_table) ||
	    strcmp(next.uapi_socket, g->policy.uapi_socket) ||
	    strcmp(next.control_socket, g->policy.control_socket) ||
	    strcmp(next.metrics_listen, g->policy.metrics_listen)) {
		log_warnx("reload: interface, uapi_socket, nftables.table, control.socket "
			  "and metrics.listen keep their running values until a restart");
		memcpy(next.interface, g->policy.interface, sizeof(next.interface));
		memcpy(next.nft_table, g->policy.nft_table, sizeof(next.nft_table));
		memcpy(next.uapi_socket, g->policy.uapi_socket, sizeof(next.uapi_socket));
		memcpy(next.control_socket, g->policy.control_socket,
		       sizeof(next.control_socket));
		memcpy(next.metrics_listen, g->policy.metrics_listen,
		       sizeof(next.metrics_listen));
	}
	policy_free(&g->policy);
	g->policy = next;
	ratelimit_reset(g->rate, next.rate);
	wg_tracker_set_stale_after(g->peers, next.stale_handshake);
	timer_every(g->poll_w.fd, (int64_t)next.poll_interval * 1000);
	gateway_sync_reserved(g);
	g->external_known = false;	/* re-read, and announce if it moved */
	gateway_sync_external(g);
	gateway_sweep(g, "dropped (policy reload)");
	log_info("policy reloaded from %s", next.path);
	return 0;
}
