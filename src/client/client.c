/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client/client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/apps.h"
#include "client/exchange.h"
#include "client/renew.h"
#include "client/route.h"
#include "util/clock.h"
#include "util/httpmetrics.h"
#include "util/log.h"
#include "util/loop.h"

#define APP_RETRY_FIRST_MS 2000
#define DELETE_WAIT_MS 1000

struct client {
	const struct client_config *cfg;
	struct loop loop;
	struct loop_watch timer_w, sock_w, signal_w, child_w;
	struct exchange *x;
	struct renew_state renew;
	struct metrics *metrics;
	/* The apps: told in a child; the port they last took. */
	pid_t child;
	uint16_t child_port;		/* 0: the child reports a lost port */
	uint16_t synced_port;
	uint16_t told_port;		/* the last port a child was started with */
	bool apps_due;			/* ask the apps (after every good round) */
	bool lost_due;			/* empty the port file, run the down_hook */
	int64_t app_retry_ms;
	int64_t app_backoff_ms;
	uint64_t app_results[APP_COUNT][2];	/* per app: ok, failed */
	time_t changed_at;		/* wall clock, for the metrics */
};

/* ---- addresses ----------------------------------------------------------- */

/* The gateway the routes name, else a guess: WireGuard tunnels seldom
 * have a via (wg-quick never writes one), and then the network's first
 * address is the gateway; for a single address (ProtonVPN gives
 * 10.2.0.2/32, its gateway is 10.2.0.1) the first of its /24. */
static void find_gateway(const char *ifname, uint32_t local, uint32_t mask,
			 struct client_addrs *out)
{
	struct route_hop hop;
	unsigned ifindex = if_nametoindex(ifname);
	int ret = ifindex ? route_lookup((int)ifindex, local, &hop) : -ENODEV;

	if (ret == 0 && hop.gateway && hop.gateway != local) {
		out->gateway = hop.gateway;
		snprintf(out->source, sizeof(out->source), "the via of the tunnel's route "
			 "(/%u in table %u)", hop.dst_len, hop.table);
		return;
	}
	out->gateway = (local & (mask > 0xfffffffcu ? 0xffffff00u : mask)) | 1;
	snprintf(out->source, sizeof(out->source), "guessed: %s; set gateway: if wrong",
		 ret == 0 ? "the tunnel's route has no via" : "no route out of the tunnel");
}

int client_addresses(const struct client_config *c, struct client_addrs *out, char *err,
		     size_t errlen)
{
	struct ifaddrs *ifs, *i;
	uint32_t mask = 0;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifs) < 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (i = ifs; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, c->interface))
			continue;
		out->local = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		mask = i->ifa_netmask ? ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr) : 0;
		found = true;
	}
	freeifaddrs(ifs);
	if (!found) {
		snprintf(err, errlen, "interface %s has no IPv4 address (is the tunnel up?)",
			 c->interface);
		return -1;
	}
	if (c->has_gateway) {
		out->gateway = c->gateway;
		snprintf(out->source, sizeof(out->source), "from the configuration");
	} else {
		find_gateway(c->interface, out->local, mask, out);
	}
	if (out->gateway == out->local) {
		snprintf(err, errlen, "cannot tell the gateway of %s: set gateway:", c->interface);
		return -1;
	}
	return 0;
}

/* ---- the apps, in a child ------------------------------------------------- */

/* A child starts with the signals the loop blocked (for its signalfd)
 * unblocked: SIGTERM must end it, and the programs it runs. */
static void child_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_output(struct loop_watch *w, uint32_t events);

/* For the port in use, or (none in use) to report told_port lost. */
static void child_start(struct client *cl, bool changed)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_warn("apps: pipe");
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("apps: fork");
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		child_signals();
		close(fds[0]);
		_exit((cl->renew.port ? apps_sync(cl->cfg, cl->renew.port, changed, fds[1])
				      : apps_lost(cl->cfg, cl->told_port, fds[1])) ? 1 : 0);
	}
	close(fds[1]);
	cl->child = pid;
	cl->child_port = cl->renew.port;
	if (cl->renew.port)
		cl->told_port = cl->renew.port;
	cl->child_w = (struct loop_watch){ fds[0], child_output, cl };
	cl->apps_due = false;
}

static void child_output(struct loop_watch *w, uint32_t events)
{
	struct client *cl = w->arg;
	char buf[4096];
	ssize_t n = read(w->fd, buf, sizeof(buf) - 1);
	int status = 1;

	(void)events;
	if (n > 0) {
		buf[n] = '\0';
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			bool failed = strstr(line, " error ") != NULL;

			for (int a = 0; a < APP_COUNT; a++)
				if (!strncmp(line, app_names[a], strlen(app_names[a])) &&
				    line[strlen(app_names[a])] == ' ')
					cl->app_results[a][failed]++;
			if (failed)
				log_warnx("apps: %s", line);
			else
				log_info("apps: %s", line);
		}
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	loop_watch_close(&cl->loop, w);
	waitpid(cl->child, &status, 0);
	cl->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		cl->synced_port = cl->child_port;
		cl->app_backoff_ms = 0;
		if (!cl->child_port) {
			cl->lost_due = false;
			cl->told_port = 0;
		}
		return;
	}
	/* Tried again soon, then less and less often, never slower than
	 * the renewals. */
	cl->app_backoff_ms = cl->app_backoff_ms ? cl->app_backoff_ms * 2 : APP_RETRY_FIRST_MS;
	if (cl->app_backoff_ms > (int64_t)cl->cfg->renew.renew_after * 1000)
		cl->app_backoff_ms = (int64_t)cl->cfg->renew.renew_after * 1000;
	cl->app_retry_ms = mono_now_ms() + cl->app_backoff_ms;
	cl->apps_due = true;
}

static bool have_apps(const struct client_config *c)
{
	return c->port_file[0] || c->hook[0] || c->transmission.on || c->qbittorrent.on;
}

/* Whether a child is due (when app_retry_ms allows): the port in use not
 * yet taken or checked this renewal, or a lost port not yet reported. */
static bool apps_pending(const struct client *cl)
{
	if (cl->child)
		return false;
	if (!cl->renew.port)
		return cl->lost_due;
	return have_apps(cl->cfg) && (cl->apps_due || cl->renew.port != cl->synced_port);
}

static void maybe_tell_apps(struct client *cl, int64_t now)
{
	if (cl->renew.port)
		cl->lost_due = false;	/* a port again before the loss was told */
	if (!apps_pending(cl) || now < cl->app_retry_ms)
		return;
	child_start(cl, cl->renew.port != cl->synced_port);
	if (cl->child && loop_add(&cl->loop, &cl->child_w) < 0)
		log_warn("apps: watch");
}

/* ---- recovery ------------------------------------------------------------ */

/* The admin's command (a shell line from the configuration), detached:
 * a grandchild runs it, so nothing is left for us to reap. */
static void run_recovery(const struct client *cl)
{
	pid_t pid = fork();

	if (pid == 0) {
		child_signals();
		setsid();
		if (fork() == 0) {
			execl("/bin/sh", "sh", "-c", cl->cfg->recovery_command, (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	if (pid < 0) {
		log_warn("recovery: fork");
		return;
	}
	waitpid(pid, NULL, 0);
	log_warnx("recovery: %u renewals failed in a row: running \"%s\"; next try in "
		  "%u s", cl->cfg->renew.fail_limit, cl->cfg->recovery_command,
		  cl->cfg->renew.cooldown);
}

/* ---- the renewal loop ----------------------------------------------------- */

static void round_done(struct client *cl, int64_t now)
{
	const struct renew_round *r = exchange_round(cl->x);
	uint16_t before = cl->renew.port;
	unsigned ev = renew_round_done(&cl->renew, r, now);

	log_debug("natpmp: round: op0 %s epoch %u, udp %s %u, tcp %s %u -> events %#x",
		  r->op0.answered ? "answered" : "silent", r->op0.epoch,
		  r->udp.answered ? "answered" : "silent", r->udp.external_port,
		  r->tcp.answered ? "answered" : "silent", r->tcp.external_port, ev);

	if ((ev & RENEW_EPOCH_RESET) && cl->renew.next_ms <= now)
		log_warnx("natpmp: the gateway's epoch went back: it lost its mappings; asking "
			  "again at once");
	else if (ev & RENEW_EPOCH_RESET)
		log_warnx("natpmp: the gateway's epoch went back again (%llu times): asking "
			  "again in %lld s, not at once", (unsigned long long)cl->renew.epoch_resets,
			  (long long)((cl->renew.next_ms - now) / 1000));
	if (ev & RENEW_ADDRESS_CHANGED) {
		struct in_addr a = { htonl(cl->renew.addr) };

		log_info("natpmp: the external address is now %s", inet_ntoa(a));
	}
	if (ev & RENEW_PROTOS_DIFFER)
		log_warnx("natpmp: UDP got port %u and TCP %u: the apps get TCP's",
			  r->udp.external_port, r->tcp.external_port);
	if (ev & RENEW_PORT_REFUSED)
		log_warnx("natpmp: the gateway granted port %u, outside accept_ports %u-%u: "
			  "not given to the apps; no usable port until it grants one inside",
			  cl->renew.refused_port, cl->cfg->renew.accept_low,
			  cl->cfg->renew.accept_high);
	if (ev & RENEW_PORT_CHANGED) {
		log_info("natpmp: forwarded port %u (was %u)", cl->renew.port, before);
		cl->changed_at = time(NULL);
	}
	if (ev & RENEW_FAILED)
		log_warnx("natpmp: renewal failed (%s; %u in a row)",
			  !r->tcp.answered && !r->udp.answered ? "no answer from the gateway"
			  : "the gateway refused", cl->renew.failures);
	if (ev & RENEW_PORT_LOST) {
		log_warnx("natpmp: no forwarded port any more");
		/* Only what was given a port has one to take back. */
		cl->lost_due = cl->told_port && (cl->cfg->port_file[0] || cl->cfg->down_hook[0]);
		if (!cl->lost_due)
			cl->synced_port = 0;
		cl->app_retry_ms = 0;
		cl->app_backoff_ms = 0;
	}
	if (ev & RENEW_RECOVER)
		run_recovery(cl);
	if (!(ev & RENEW_FAILED))
		cl->apps_due = true;
}

static void rearm(struct client *cl)
{
	int64_t next = exchange_busy(cl->x) ? exchange_next_ms(cl->x) : cl->renew.next_ms;

	if (apps_pending(cl) && cl->app_retry_ms < next)
		next = cl->app_retry_ms;
	timer_at(cl->timer_w.fd, next);
}

static void step(struct client *cl)
{
	int64_t now = mono_now_ms();

	if (exchange_busy(cl->x)) {
		if (exchange_step(cl->x, now))
			round_done(cl, now);
	} else if (now >= cl->renew.next_ms) {
		exchange_start(cl->x, &cl->cfg->renew, cl->cfg->renew.lifetime, now);
	}
	maybe_tell_apps(cl, now);
	rearm(cl);
}

static void timer_fired(struct loop_watch *w, uint32_t events)
{
	(void)events;
	timer_ack(w->fd);
	step(w->arg);
}

static void socket_readable(struct loop_watch *w, uint32_t events)
{
	(void)events;
	step(w->arg);
}

static void signal_received(struct loop_watch *w, uint32_t events)
{
	struct client *cl = w->arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si))
		cl->loop.stop = true;
}

/* On stop, when asked: lifetime 0 for every mapping, one short round. */
static void delete_mappings(struct client *cl)
{
	int64_t start = mono_now_ms();

	exchange_start(cl->x, &cl->cfg->renew, 0, start);
	while (mono_now_ms() - start < DELETE_WAIT_MS && !exchange_step(cl->x, mono_now_ms()))
		usleep(20000);
	log_info("natpmp: mappings deleted on stop");
}

/* ---- metrics ------------------------------------------------------------- */

/* The client's series are portgate_renewer_*: the gateway's own include
 * portgate_client_mappings, and a scrape of both must not mix them up. */
static void series(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP portgate_renewer_%s %s\n# TYPE portgate_renewer_%s %s\n", name, help,
		name, type);
}

/* A series of one value, never negative. */
static void one(FILE *f, const char *name, const char *type, const char *help,
		unsigned long long value)
{
	series(f, name, type, help);
	fprintf(f, "portgate_renewer_%s %llu\n", name, value);
}

static char *render(void *arg, size_t *len)
{
	const struct client *cl = arg;
	const struct renew_state *r = &cl->renew;
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	one(f, "port", "gauge", "The forwarded port the apps are given (0: none).", r->port);
	one(f, "port_changes_total", "counter", "Times the forwarded port changed.",
	    r->port_changes);
	one(f, "port_changed_timestamp_seconds", "gauge",
	    "When the port last changed (Unix time; 0: never).",
	    cl->changed_at > 0 ? (unsigned long long)cl->changed_at : 0);
	one(f, "renewals_total", "counter", "Renewal rounds the gateway answered.",
	    r->rounds - r->failed_rounds);
	one(f, "failures_total", "counter", "Renewal rounds that failed (no answer, or a refusal).",
	    r->failed_rounds);
	one(f, "recoveries_total", "counter", "Times the recovery command ran.", r->recoveries);
	one(f, "epoch_resets_total", "counter", "Rounds whose gateway epoch went back.",
	    r->epoch_resets);
	one(f, "ports_refused_total", "counter", "Granted ports outside accept_ports, once a port.",
	    r->ports_refused);
	series(f, "app_updates_total", "counter", "Apps told the port, by app and result.");
	for (int a = 0; a < APP_COUNT; a++)
		for (int k = 0; k < 2; k++)
			if (cl->app_results[a][k])
				fprintf(f, "portgate_renewer_app_updates_total{app=\"%s\","
					"result=\"%s\"} %llu\n", app_names[a],
					k ? "failed" : "ok",
					(unsigned long long)cl->app_results[a][k]);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*len = size;
	return text;
}

/* gluetun's control server answers GET /v1/openvpn/portforwarded with
 * {"port":N}, 0 when none: the helpers that read it (qBittorrent and
 * rTorrent port updaters) can read portgate-client instead. */
static char *render_forwarded(void *arg, size_t *len)
{
	const struct client *cl = arg;
	char *text = NULL;
	int n = asprintf(&text, "{\"port\":%u}\n", cl->renew.port);

	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return text;
}

/* ---- start and stop ------------------------------------------------------ */

static int open_signals(struct client *cl)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	cl->signal_w = (struct loop_watch){ signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC),
					    signal_received, cl };
	return cl->signal_w.fd < 0 ? -1 : loop_add(&cl->loop, &cl->signal_w);
}

int client_run(const struct client_config *c)
{
	struct client cl = { .cfg = c };
	struct client_addrs ad;
	struct in_addr a, b;
	char err[256], la[16];
	int ret = 1;

	if (client_addresses(c, &ad, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}
	a.s_addr = htonl(ad.local);
	b.s_addr = htonl(ad.gateway);
	snprintf(la, sizeof(la), "%s", inet_ntoa(a));
	if (loop_init(&cl.loop) < 0 || !(cl.x = exchange_open(ad.local, ad.gateway))) {
		log_warn("natpmp: socket on %s", la);
		goto out;
	}
	renew_init(&cl.renew, &c->renew, mono_now_ms());
	cl.sock_w = (struct loop_watch){ exchange_fd(cl.x), socket_readable, &cl };
	if (loop_add(&cl.loop, &cl.sock_w) < 0 ||
	    loop_timer_open(&cl.loop, &cl.timer_w, timer_fired, &cl) < 0 || open_signals(&cl) < 0) {
		log_warn("event loop");
		goto out;
	}
	if (c->metrics_listen[0] &&
	    (!(cl.metrics = metrics_open(&cl.loop, c->metrics_listen, render, &cl)) ||
	     metrics_route(cl.metrics, "/v1/openvpn/portforwarded", "application/json",
			   render_forwarded, &cl) < 0))
		goto out;
	log_info("portgate-client: %s on %s, gateway %s:5351 (%s), internal port %u, "
		 "lifetime %u s, renewed every %u s", la, c->interface, inet_ntoa(b), ad.source,
		 c->renew.internal_port, c->renew.lifetime, c->renew.renew_after);
	if (c->renew.accept_high)
		log_info("portgate-client: the apps get only ports %u-%u (accept_ports)",
			 c->renew.accept_low, c->renew.accept_high);
	step(&cl);
	ret = loop_run(&cl.loop) < 0;
	if (c->delete_on_stop && cl.renew.port)
		delete_mappings(&cl);
out:
	if (cl.child) {
		kill(cl.child, SIGTERM);
		waitpid(cl.child, NULL, 0);
	}
	metrics_close(cl.metrics);
	exchange_close(cl.x);
	loop_close(&cl.loop);
	return ret;
}
