/* What the gateway does when WireGuard peers or interfaces change. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "natpmp/codec.h"
#include "nft/nft.h"
#include "wgpeer/rtnl.h"
#include "wgpeer/tracker.h"

/* Mappings of peers whose allowed-ips changed: keep those still covered. */
static void handle_events(struct gateway *g, struct wg_events *ev)
{
	bool sweep = false;

	mapping_table_begin(g->mappings);
	for (size_t i = 0; i < ev->n; i++) {
		struct wg_event *e = &ev->items[i];
		char peer[9];

		key_to_short(peer, e->key);
		switch (e->type) {
		case WG_EVENT_PEER_ADDED:
			log_debug("wg: peer %s added", peer);
			break;
		case WG_EVENT_PEER_REMOVED:
			log_info("wg: peer %s is gone", peer);
			if (mapping_table_drop_peer(g->mappings, e->key))
				g->stats.peers_vanished++;
			break;
		case WG_EVENT_HANDSHAKE_STALE:
			log_info("wg: peer %s has not completed a handshake for %u s",
				 peer, g->policy.stale_handshake);
			if (mapping_table_drop_peer(g->mappings, e->key))
				g->stats.peers_vanished++;
			break;
		case WG_EVENT_ALLOWED_IPS_LOST:
			log_info("wg: peer %s lost %zu allowed-ips prefix(es)", peer, e->n_lost);
			sweep = true;
			break;
		}
	}
	if (gateway_apply(g, "dropped (peer vanished)") < 0)
		g->sweep_needed = true;
	if (sweep)
		gateway_sweep(g, "dropped (address no longer the peer's)");
	wg_events_clear(ev);
}

void gateway_sync_reserved(struct gateway *g)
{
	mapping_table_clear_reserved(g->mappings);
	for (size_t i = 0; i < g->policy.n_reserved; i++)
		mapping_table_reserve_port(g->mappings, g->policy.reserved[i], true);
	mapping_table_reserve_port(g->mappings, NATPMP_SERVER_PORT, true);
	mapping_table_reserve_port(g->mappings, NATPMP_CLIENT_PORT, true);
	if (g->wg_listen_port)
		mapping_table_reserve_port(g->mappings, g->wg_listen_port, true);
}

/* What a finished poll means for the mappings. */
static void poll_done(struct gateway *g, int ret, struct wg_events *ev)
{
	bool first = !g->peers_valid;

	g->stats.last_poll_ms = wg_tracker_last_poll_ms(g->peers);
	if (ret == -ENODEV) {
		if (g->wg_present)
			log_warnx("wg: interface %s is gone: dropping every mapping",
				  g->policy.interface);
		g->wg_present = false;
		handle_events(g, ev);
		return;
	}
	if (ret < 0) {
		/* A hiccup is not a vanished peer: keep everything. */
		log_warnx("wg: cannot read %s: %s", g->policy.interface, strerror(-ret));
		wg_events_clear(ev);
		return;
	}
	if (!g->wg_present)
		log_info("wg: reading %s through %s: %zu peers", g->policy.interface,
			 wg_tracker_backend(g->peers),
			 wg_tracker_device(g->peers)->n_peers);
	g->wg_present = true;
	g->peers_valid = true;
	if (wg_tracker_device(g->peers)->listen_port != g->wg_listen_port) {
		g->wg_listen_port = wg_tracker_device(g->peers)->listen_port;
		gateway_sync_reserved(g);
	}
	handle_events(g, ev);
	/* After a restart, adopted mappings whose peer is not there go; after
	 * a refused drop, the same sweep catches up. */
	if (first || g->sweep_needed)
		gateway_sweep(g, first ? "dropped (peer not on the interface)"
				       : "dropped (peer vanished, retried)");
}

void gateway_poll_peers_now(struct gateway *g)
{
	struct wg_events ev = { 0 };

	poll_done(g, wg_tracker_poll(g->peers, time(NULL), &ev), &ev);
}

static void poll_readable(struct loop_watch *w, uint32_t events)
{
	struct gateway *g = w->arg;
	struct wg_events ev = { 0 };
	int ret;

	(void)events;
	ret = wg_tracker_poll_continue(g->peers, time(NULL), &ev);
	if (ret == 1)
		return;
	loop_del(&g->loop, w);
	w->fd = -1;
	poll_done(g, ret, &ev);
}

/* Userspace WireGuard answers through the event loop: a large peer list
 * being written out never holds up NAT-PMP replies. */
void gateway_poll_peers(struct gateway *g)
{
	struct wg_events ev = { 0 };
	int fd, ret;

	if (wg_tracker_poll_pending(g->peers)) {
		if (mono_now_ms() - g->poll_started_ms < 2000)
			return;	/* the last one is still coming */
		log_warnx("wg: %s did not answer within 2 s", g->policy.interface);
		loop_del(&g->loop, &g->wgpoll_w);
		g->wgpoll_w.fd = -1;
		wg_tracker_poll_abort(g->peers);
	}
	g->poll_started_ms = mono_now_ms();
	ret = wg_tracker_poll_begin(g->peers, time(NULL), &ev, &fd);
	if (ret == 1) {
		g->wgpoll_w = (struct loop_watch){ fd, poll_readable, g };
		loop_add(&g->loop, &g->wgpoll_w);
		return;
	}
	poll_done(g, ret, &ev);
}

void gateway_poll_timer(struct loop_watch *w, uint32_t events)
{
	(void)events;
	timer_ack(w->fd);
	gateway_poll_peers(w->arg);
	metrics_tick(((struct gateway *)w->arg)->metrics);
}

void gateway_sync_external(struct gateway *g)
{
	uint32_t addr = g->policy.external_address;
	bool known = g->policy.has_external_address;
	int ret;

	if (!known) {
		size_t n = 0;

		known = rtnl_ipv4_addrs(g->policy.external_interface, &addr, 1, &n) == 0 && n;
	}
	if (known == g->external_known && (!known || addr == g->external_addr))
		return;
	ret = nft_writer_set_external(g->nft, &addr, known ? 1 : 0);
	if (ret < 0) {
		log_warnx("nft: cannot set the external address: %s", strerror(-ret));
		return;
	}
	g->external_known = known;
	g->external_addr = addr;
	if (known) {
		struct in_addr a = { htonl(addr) };

		log_info("external address %s", inet_ntoa(a));
		gateway_announce_start(g);
	} else {
		log_warnx("external interface %s has no IPv4 address",
			  g->policy.external_interface);
	}
}

/* Links or addresses changed somewhere: look at the ones we care about. */
void gateway_rtnl_event(struct loop_watch *w, uint32_t events)
{
	struct gateway *g = w->arg;
	struct rtnl_link_state st;

	(void)events;
	if (!rtnl_watch_drain(g->rtnl))
		return;
	if (rtnl_link_get(g->policy.interface, &st) == 0) {
		if ((!st.exists || !st.up) && g->wg_present) {
			struct wg_events ev = { 0 };

			log_warnx("wg: interface %s is %s: dropping every mapping",
				  g->policy.interface, st.exists ? "down" : "gone");
			g->wg_present = false;
			wg_tracker_forget_all(g->peers, &ev);
			handle_events(g, &ev);
		} else if (st.exists && st.up && !g->wg_present) {
			gateway_poll_peers(g);
		}
	}
	gateway_sync_sockets(g);
	gateway_sync_external(g);
}
