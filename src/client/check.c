/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client check: the diagnosis users of port forwarding do by hand,
 * one line per step with a verdict and, when it fails, the fix. */
#include "client/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/apps.h"
#include "client/client.h"
#include "client/exchange.h"
#include "natpmp/codec.h"
#include "util/clock.h"
#include "wgpeer/tracker.h"

#define HANDSHAKE_RECENT_S 180
#define CHECK_ROUND_MS 3000

struct verdicts {
	FILE *out;
	int failed;
};

static void say(struct verdicts *v, bool ok, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void say(struct verdicts *v, bool ok, const char *step, const char *fmt, ...)
{
	va_list ap;

	fprintf(v->out, "%-4s %-22s ", ok ? "ok" : "FAIL", step);
	va_start(ap, fmt);
	vfprintf(v->out, fmt, ap);
	va_end(ap);
	fputc('\n', v->out);
	v->failed += !ok;
}

static void check_tunnel(struct verdicts *v, const struct client_config *c)
{
	/* The gateway's own reader: userspace WireGuard's socket, else the
	 * kernel's, with its timeout. */
	struct wg_tracker *t = wg_tracker_new(c->interface, NULL, 0);
	struct wg_events ev = { 0 };
	const struct wg_device_info *dev;
	int64_t newest = 0;
	int ret;

	if (!t) {
		say(v, false, "wireguard", "cannot read %s: out of memory", c->interface);
		return;
	}
	if ((ret = wg_tracker_poll(t, time(NULL), &ev)) < 0) {
		say(v, false, "wireguard", "cannot read %s (%s): is it a WireGuard interface, "
		    "and are we root?", c->interface, strerror(-ret));
		goto out;
	}
	dev = wg_tracker_device(t);
	for (size_t i = 0; i < dev->n_peers; i++)
		if (dev->peers[i].last_handshake_sec > newest)
			newest = dev->peers[i].last_handshake_sec;
	if (!newest)
		say(v, false, "handshake", "no handshake with any peer yet: check the endpoint, "
		    "keys and that UDP reaches the server");
	else if (time(NULL) - newest > HANDSHAKE_RECENT_S)
		say(v, false, "handshake", "the last one was %lld s ago: the tunnel is down "
		    "(restart it; set persistent-keepalive)", (long long)(time(NULL) - newest));
	else
		say(v, true, "handshake", "%lld s ago", (long long)(time(NULL) - newest));
out:
	wg_events_clear(&ev);
	wg_tracker_free(t);
}

/* Where an unbound socket's packets to the gateway would leave from. */
static void check_route(struct verdicts *v, uint32_t local, uint32_t gateway)
{
	struct sockaddr_in gw = { .sin_family = AF_INET, .sin_port = htons(5351),
				  .sin_addr.s_addr = htonl(gateway) }, me;
	socklen_t sl = sizeof(me);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct in_addr a;

	if (fd < 0 || connect(fd, (struct sockaddr *)&gw, sizeof(gw)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &sl) < 0) {
		say(v, false, "route", "no route to the gateway: the tunnel's routes are missing");
	} else if (ntohl(me.sin_addr.s_addr) != local) {
		a = me.sin_addr;
		say(v, true, "route", "unbound sockets would use %s, not the tunnel: "
		    "portgate-client binds the tunnel's address, but an app's own NAT-PMP "
		    "(policy routing) may get no answer", inet_ntoa(a));
	} else {
		say(v, true, "route", "through the tunnel");
	}
	if (fd >= 0)
		close(fd);
}

static const struct renew_round *one_round(struct exchange *x, const struct renew_config *cfg)
{
	int64_t start = mono_now_ms();

	exchange_start(x, cfg, cfg->lifetime, start);
	while (!exchange_step(x, mono_now_ms())) {
		struct pollfd p = { .fd = exchange_fd(x), .events = POLLIN };

		if (mono_now_ms() - start > CHECK_ROUND_MS) {
			exchange_step(x, INT64_MAX);	/* ends the round */
			break;
		}
		poll(&p, 1, 50);
	}
	return exchange_round(x);
}

/* Whether something listens on this TCP port in this namespace. */
static bool tcp_listening(uint16_t port)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	bool found = false;

	for (size_t i = 0; i < 2 && !found; i++) {
		FILE *f = fopen(files[i], "r");
		char line[512];
		unsigned lport, st;

		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f))
			found = sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x",
				       &lport, &st) == 2 && lport == port && st == 0x0a;
		fclose(f);
	}
	return found;
}

static void check_app(struct verdicts *v, const char *name, long app_port, const char *msg,
		      uint16_t port)
{
	if (app_port < 0)
		say(v, false, name, "%s", msg);
	else if (port && app_port != port)
		say(v, false, name, "listens on %ld, the forwarded port is %u: traffic arrives "
		    "where nothing listens (\"forwarded but firewalled\"); run portgate-client "
		    "with this app configured, or set its port to %u", app_port, port, port);
	else if (port && !tcp_listening(port))
		say(v, false, name, "says port %u, but nothing listens on TCP %u here", port, port);
	else
		say(v, true, name, "listens on the forwarded port %ld", app_port);
}

int client_check(const struct client_config *c, FILE *out)
{
	struct verdicts v = { out, 0 };
	struct client_addrs ad;
	const struct renew_round *r;
	struct exchange *x;
	struct in_addr a, g;
	char err[256], msg[256], gws[16];
	uint16_t port = 0;

	if (client_addresses(c, &ad, err, sizeof(err)) < 0) {
		say(&v, false, "interface", "%s", err);
		return 1;
	}
	a.s_addr = htonl(ad.local);
	g.s_addr = htonl(ad.gateway);
	snprintf(gws, sizeof(gws), "%s", inet_ntoa(g));
	say(&v, true, "interface", "%s has %s; gateway %s (%s)", c->interface, inet_ntoa(a), gws,
	    ad.source);
	check_tunnel(&v, c);
	check_route(&v, ad.local, ad.gateway);
	if (!(x = exchange_open(ad.local, ad.gateway))) {
		say(&v, false, "socket", "cannot bind %s: %s", inet_ntoa(a), strerror(errno));
		return 1;
	}
	r = one_round(x, &c->renew);
	if (!r->op0.answered)
		say(&v, false, "gateway", "no answer from %s:5351: the server does not do port "
		    "forwarding (ProtonVPN: pick a P2P server and enable NAT-PMP in the "
		    "config), a route overlaps the tunnel's, or a firewall drops UDP 5351", gws);
	else if (r->op0.result)
		say(&v, false, "gateway", "answers %s to the address request",
		    natpmp_result_name(r->op0.result));
	else {
		g.s_addr = htonl(r->op0.addr);
		say(&v, true, "gateway", "external address %s, epoch %u", inet_ntoa(g), r->op0.epoch);
	}
	if (r->tcp.answered && !r->tcp.result)
		port = r->tcp.external_port;
	else if (r->udp.answered && !r->udp.result)
		port = r->udp.external_port;
	if (port && !renew_port_accepted(&c->renew, port))
		say(&v, false, "mapping", "port %u is outside accept_ports %u-%u: the client "
		    "will not give it to the apps (widen accept_ports, or get another port "
		    "from the gateway)", port, c->renew.accept_low, c->renew.accept_high);
	else if (port)
		say(&v, true, "mapping", "port %u for %u s", port,
		    r->tcp.answered ? r->tcp.lifetime : r->udp.lifetime);
	else
		say(&v, false, "mapping", "refused: %s (2: not a peer or denied; 4: out of "
		    "ports or over the quota)", natpmp_result_name(r->tcp.answered ? r->tcp.result
								     : r->udp.result));
	exchange_close(x);
	if (c->transmission.on)
		check_app(&v, "transmission", transmission_port(&c->transmission, msg, sizeof(msg)),
			  msg, port);
	if (c->qbittorrent.on)
		check_app(&v, "qbittorrent", qbittorrent_port(&c->qbittorrent, msg, sizeof(msg)),
			  msg, port);
	fprintf(out, "%s\n", v.failed ? "verdict: something is wrong (see FAIL above)"
				       : "verdict: the port is forwarded and the apps use it");
	return v.failed ? 1 : 0;
}
