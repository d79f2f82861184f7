/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Start, reload and stop of the gateway: the modules are opened here, in
 * order, and wired to each other. Start-up errors are fatal (returned with
 * the reason logged); nothing after start-up is. */
#include "daemon/core.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon/announce.h"
#include "daemon/api.h"
#include "daemon/apiserve.h"
#include "daemon/commands.h"
#include "daemon/control.h"
#include "daemon/ownaddrs.h"
#include "daemon/ctqueue.h"
#include "daemon/notify.h"
#include "daemon/events.h"
#include "util/httpmetrics.h"
#include "daemon/prometheus.h"
#include "daemon/ratelimit.h"
#include "daemon/sockets.h"
#include "daemon/tableguard.h"
#include "daemon/upnp_server.h"
#include "daemon/upnpdesc.h"
#include "daemon/wgwatch.h"
#include "sockdiag/localsock.h"
#include "nft/nft.h"
#include "util/addrclass.h"
#include "util/log.h"
#include "util/sdnotify.h"

static void signal_event(struct loop_watch *w, uint32_t events)
{
	struct gateway *g = w->arg;
	struct signalfd_siginfo si;
	char err[512];

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			sdnotify_reloading();	/* systemd's Type=notify-reload */
			if (gateway_reload(g, err, sizeof(err)) < 0)
				log_warnx("reload refused, the running policy stays: %s", err);
			notify_ready(g);
		} else {
			/* Both modes keep the tables (gateway_free says when
			 * nftables.remove_on_exit removes them). */
			log_info("signal %u: stopping%s", si.ssi_signo,
				 g->policy.nft_remove_on_exit ? ""
				 : "; the tables stay, so forwards keep working "
				   "until portgated is back");
			g->loop.stop = true;
		}
	}
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

/* How the tables outlive the daemon: the best the kernel has, unless
 * PORTGATE_TABLE_MODE (for tests: docs/operations.md, "Kernels") says. */
static int table_mode(enum nft_table_mode *mode)
{
	const char *s = getenv("PORTGATE_TABLE_MODE");

	*mode = NFT_MODE_AUTO;
	if (s && nft_table_mode_parse(s, mode) < 0) {
		log_warnx("PORTGATE_TABLE_MODE=%s: not auto, persistent or unowned", s);
		return -EINVAL;
	}
	return 0;
}

static void log_table_mode(const struct gateway *g)
{
	const struct nft_features *f = nft_writer_features(g->nft);

	if (f->mode == NFT_MODE_PERSISTENT)
		log_info("nft: persistent owned tables (ip and ip6 %s): nothing else can "
			 "change them, they outlive portgated", g->policy.nft_table);
	else
		log_info("nft: un-owned tables (ip and ip6 %s), repaired on foreign change: "
			 "they outlive portgated; %s", g->policy.nft_table,
			 f->kernel_persist ? "persistent tables are there, but "
					     "PORTGATE_TABLE_MODE=unowned"
					   : "this kernel has no persistent tables (6.9+)");
	if (!f->destroy)
		log_info("nft: no DESTROY of set elements (6.3+): a delete of an "
			 "element the kernel already expired is sent again without it");
}

/* The tables: created, or adopted with the mappings a previous run left. */
static int setup_nft(struct gateway *g)
{
	struct nft_config nc = { g->policy.nft_table, g->policy.interface,
				 GATEWAY_TIMEOUT_GRACE_S, g->policy.ipv6_mark, NFT_MODE_AUTO,
				 g->policy.upnp ? g->policy.upnp_port : 0 };
	bool adopted = false;
	int ret;

	if ((ret = table_mode(&nc.mode)) < 0)
		return ret;
	g->nft = nft_writer_open(&nc);
	if (!g->nft) {
		log_warn("nft: netlink socket (CAP_NET_ADMIN needed)");
		return -errno;
	}
	ret = nft_writer_setup(g->nft, &adopted, &g->epoch_origin_ms);
	if (ret < 0) {
		log_warnx("nft: cannot set up table ip %s: %s%s%s", g->policy.nft_table,
			  strerror(-ret), nft_writer_last_error(g->nft)[0] ? ": " : "",
			  nft_writer_last_error(g->nft));
		return ret;
	}
	log_table_mode(g);
	g->guard = table_guard_open(&g->loop, g->nft, g->policy.nft_table,
				    gateway_rebuild_tables, g);
	if (!g->guard)
		return -errno;
	if (adopted)
		return gateway_adopt_kernel_state(g);
	log_info("nft: created table ip %s; epoch starts at 0", g->policy.nft_table);
	return 0;
}

static int open_modules(struct gateway *g)
{
	struct wg_watch_config wc = {
		.ifname = g->policy.interface,
		.uapi_socket = g->policy.uapi_socket[0] ? g->policy.uapi_socket : NULL,
		.poll_interval_s = g->policy.poll_interval,
		.stale_after_s = g->policy.stale_handshake,
	};
	int ret;

	g->mappings = mapping_table_new();
	g->rate = ratelimit_new(g->policy.rate);
	g->batch = request_batch_new(g);
	g->upnp_descs = upnp_descs_new();
	if (!g->mappings || !g->rate || !g->batch || !g->upnp_descs)
		return -ENOMEM;
	g->local = local_sockets_open();
	if (!g->local)
		log_warn("sock_diag: ports of local services will not be checked");
	else
		mapping_table_set_port_busy(g->mappings, gateway_port_busy, g);
	g->ctq = ct_queue_open(&g->loop, &g->stats);
	g->events = events_open(&g->loop, &g->stats);
	g->announcer = announcer_open(&g->loop, gateway_announce, g);
	g->sockets = pmp_sockets_open(&g->loop, gateway_requests_readable, g);
	g->wg = wg_watch_open(&g->loop, &wc, &gateway_wg_ops, g);
	g->own = own_addrs_new();
	if (!g->ctq || !g->events || !g->announcer || !g->sockets || !g->wg || !g->own)
		return errno ? -errno : -ENOMEM;
	events_configure(g->events, g->policy.events_exec, g->policy.events_timeout);
	/* Never forwarded to, from the first request on (the first poll's
	 * sweep checks adopted mappings against them). */
	g->refused_classes = ADDR_CLASS_ALL;
	ret = own_addrs_refresh(g->own, wg_watch_rtnl(g->wg));
	if (ret < 0) {
		log_warnx("rtnetlink: cannot read the gateway's own addresses: %s",
			  strerror(-ret));
		return ret;
	}
	return 0;
}

static int start(struct gateway *g)
{
	int ret;

	if ((ret = loop_init(&g->loop)) < 0 || (ret = setup_signals(g)) < 0 ||
	    (ret = loop_timer_open(&g->loop, &g->expiry_w, gateway_expiry_timer, g)) < 0) {
		errno = -ret;
		log_warn("event loop");
		return ret;
	}
	/* The forwards added at run time join the policy's before anything
	 * is adopted, staged or swept. */
	if (gateway_load_stored(g) < 0)
		return -EINVAL;
	if ((ret = open_modules(g)) < 0) {
		errno = -ret;
		log_warn("start-up");
		return ret;
	}
	if ((ret = setup_nft(g)) < 0)
		return ret;
	gateway_sync_reserved(g);
	wg_watch_poll_blocking(g->wg);
	if (!wg_watch_present(g->wg))
		log_warnx("wg: interface %s is not there yet; waiting for it",
			  g->policy.interface);
	gateway_sync_external(g);
	/* Tables adopted from a run in the other mode are made again now,
	 * with the addresses just set. */
	table_guard_check(g->guard);
	if (gateway_sync_sockets(g) < 0) {
		log_warnx("natpmp: cannot listen on every address of %s; stopping",
			  g->policy.interface);
		return -EADDRINUSE;
	}
	wg_watch_start(g->wg);
	gateway_rearm_expiry(g);
	g->control = control_open(&g->loop, g->policy.control_socket,
				  g->policy.control_group, gateway_command, g);
	if (!g->control)
		return -EADDRNOTAVAIL;
	if (g->policy.metrics_listen[0] &&
	    !(g->metrics = metrics_open(&g->loop, g->policy.metrics_listen,
					gateway_render_metrics, g)))
		return -EADDRNOTAVAIL;
	if (g->policy.api_listen[0]) {
		struct api_config ac = { g->policy.api_listen, g->policy.api_token_file,
					 g->policy.api_tls_cert, g->policy.api_tls_key };

		if (!(g->api = api_open(&g->loop, &ac, gateway_api_request, g)))
			return -EADDRNOTAVAIL;
	}
	return 0;
}

struct gateway *gateway_new(const struct policy *policy)
{
	struct gateway *g = calloc(1, sizeof(*g));

	if (!g) {
		log_warn("start-up");
		return NULL;
	}
	g->policy = *policy;
	g->started = time(NULL);
	g->loop.epfd = -1;
	g->signal_w.fd = g->expiry_w.fd = -1;
	if (start(g) < 0) {
		gateway_free(g);
		return NULL;
	}
	return g;
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

void gateway_free(struct gateway *g)
{
	if (!g)
		return;
	ct_queue_close(g->ctq);	/* cuts what is still queued */
	events_close(g->events);
	control_close(g->control);
	metrics_close(g->metrics);
	api_close(g->api);
	pmp_sockets_close(g->sockets);
	upnp_server_close(g->upnp);
	upnp_descs_free(g->upnp_descs);
	announcer_close(g->announcer);
	wg_watch_close(g->wg);
	local_sockets_close(g->local);
	own_addrs_free(g->own);
	table_guard_close(g->guard);
	if (g->nft && g->policy.nft_remove_on_exit) {
		int ret = nft_writer_remove_table(g->nft);

		if (ret < 0)
			log_warnx("nft: cannot remove the table: %s", strerror(-ret));
		else
			log_info("nft: table removed (nftables.remove_on_exit)");
	}
	nft_writer_close(g->nft);
	ratelimit_free(g->rate);
	request_batch_free(g->batch);
	mapping_table_free(g->mappings);
	loop_watch_close(&g->loop, &g->expiry_w);
	loop_watch_close(&g->loop, &g->signal_w);
	policy_free(&g->policy);
	free(g->stored);
	loop_close(&g->loop);
	free(g);
}

static bool same_api(const struct policy *a, const struct policy *b)
{
	return !strcmp(a->api_listen, b->api_listen) &&
	       !strcmp(a->api_token_file, b->api_token_file) &&
	       !strcmp(a->api_tls_cert, b->api_tls_cert) &&
	       !strcmp(a->api_tls_key, b->api_tls_key);
}

/* These name resources set up once; changing them needs a restart. */
static void keep_fixed_keys(struct policy *next, const struct policy *cur)
{
	if (!strcmp(next->interface, cur->interface) &&
	    !strcmp(next->nft_table, cur->nft_table) &&
	    !strcmp(next->uapi_socket, cur->uapi_socket) &&
	    !strcmp(next->control_socket, cur->control_socket) &&
	    !strcmp(next->control_group, cur->control_group) &&
	    !strcmp(next->metrics_listen, cur->metrics_listen) &&
	    !strcmp(next->state_dir, cur->state_dir) && same_api(next, cur) &&
	    next->ipv6_mark == cur->ipv6_mark && next->upnp == cur->upnp &&
	    next->upnp_port == cur->upnp_port && next->upnp_version == cur->upnp_version)
		return;
	log_warnx("reload: interface, uapi_socket, nftables.table, control.socket, "
		  "control.group, metrics.listen, api.listen, api.token_file, api.tls_cert, "
		  "api.tls_key, state_dir, ipv6.mark and upnp keep their running values "
		  "until a restart");
	memcpy(next->state_dir, cur->state_dir, sizeof(next->state_dir));
	memcpy(next->api_listen, cur->api_listen, sizeof(next->api_listen));
	memcpy(next->api_token_file, cur->api_token_file, sizeof(next->api_token_file));
	memcpy(next->api_tls_cert, cur->api_tls_cert, sizeof(next->api_tls_cert));
	memcpy(next->api_tls_key, cur->api_tls_key, sizeof(next->api_tls_key));
	next->ipv6_mark = cur->ipv6_mark;
	next->upnp = cur->upnp;
	next->upnp_port = cur->upnp_port;
	next->upnp_version = cur->upnp_version;
	memcpy(next->interface, cur->interface, sizeof(next->interface));
	memcpy(next->nft_table, cur->nft_table, sizeof(next->nft_table));
	memcpy(next->uapi_socket, cur->uapi_socket, sizeof(next->uapi_socket));
	memcpy(next->control_socket, cur->control_socket, sizeof(next->control_socket));
	memcpy(next->control_group, cur->control_group, sizeof(next->control_group));
	memcpy(next->metrics_listen, cur->metrics_listen, sizeof(next->metrics_listen));
}

int gateway_reload(struct gateway *g, char *err, size_t errlen)
{
	struct policy next;

	if (policy_load(g->policy.path, &next, err, errlen) < 0)
		return -1;
	if (next.warning[0])
		log_warnx("%s", next.warning);
	keep_fixed_keys(&next, &g->policy);
	policy_free(&g->policy);
	g->policy = next;
	gateway_merge_stored(g);
	ratelimit_reset(g->rate, next.rate);
	wg_tracker_set_stale_after(wg_watch_tracker(g->wg), next.stale_handshake);
	wg_watch_set_interval(g->wg, next.poll_interval);
	events_configure(g->events, next.events_exec, next.events_timeout);
	gateway_sync_reserved(g);
	gateway_sync_external(g);	/* announced if it moved */
	/* ipv6 turned on or off: the IPv6 sockets follow. */
	gateway_sync_sockets(g);
	gateway_sweep(g, REASON_POLICY);
	gateway_warn_statics(g);
	log_info("policy reloaded from %s", next.path);
	return 0;
}
