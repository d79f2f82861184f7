#include "metrics.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "gateway.h"
#include "log.h"
#include "natpmp/codec.h"
#include "wgpeer/tracker.h"

struct metrics {
	struct gateway *g;
	struct MHD_Daemon *httpd;
	struct loop_watch watch;
};

struct text {
	char *buf;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->buf && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			fatal("metrics");
	}
}

static void head(struct text *t, const char *name, const char *type, const char *help)
{
	add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric of one unlabelled sample. */
static void single(struct text *t, const char *name, const char *type,
		   const char *help, double value)
{
	head(t, name, type, help);
	add(t, "%s %.17g\n", name, value);
}

char *metrics_render(const struct gateway *g, size_t *len)
{
	static const char *ops[] = { "0", "1", "2", "other" };
	static const char *bounds[] = { "0.0005", "0.001", "0.002", "0.005", "0.01",
					"0.025", "0.1", "+Inf" };
	const struct gateway_stats *s = &g->stats;
	struct text t = { 0 };
	uint64_t cumulative = 0;

	head(&t, "portgate_mappings", "gauge", "Mappings in force, by protocol.");
	add(&t, "portgate_mappings{protocol=\"udp\"} %zu\n", mapping_table_count(g->mappings, MAPPING_UDP));
	add(&t, "portgate_mappings{protocol=\"tcp\"} %zu\n", mapping_table_count(g->mappings, MAPPING_TCP));
	head(&t, "portgate_requests_total", "counter",
	     "NAT-PMP requests answered, by opcode and result.");
	for (int op = 0; op < 4; op++)
		for (int r = 0; r < 6; r++)
			if (s->requests[op][r])
				add(&t, "portgate_requests_total{opcode=\"%s\",result=\"%s\"} %llu\n",
				    ops[op], natpmp_result_name((uint16_t)r),
				    (unsigned long long)s->requests[op][r]);
	single(&t, "portgate_requests_ignored_total", "counter",
	       "Datagrams left unanswered: too short, or responses.", (double)(s->ignored));
	single(&t, "portgate_requests_rate_limited_total", "counter",
	       "Requests refused by the per-peer rate limit.", (double)(s->rate_limited));
	head(&t, "portgate_mapping_events_total", "counter", "Mappings created and removed, by event.");
	add(&t, "portgate_mapping_events_total{event=\"created\"} %llu\n", (unsigned long long)s->mappings_created);
	add(&t, "portgate_mapping_events_total{event=\"deleted\"} %llu\n", (unsigned long long)s->mappings_deleted);
	add(&t, "portgate_mapping_events_total{event=\"expired\"} %llu\n", (unsigned long long)s->mappings_expired);
	add(&t, "portgate_mapping_events_total{event=\"dropped\"} %llu\n", (unsigned long long)s->mappings_dropped);
	single(&t, "portgate_nft_transactions_total", "counter",
	       "nftables batches sent.", (double)(s->nft_transactions));
	single(&t, "portgate_nft_transaction_failures_total", "counter",
	       "nftables batches the kernel refused (nothing changed).", (double)(s->nft_failures));
	head(&t, "portgate_nft_transaction_seconds", "histogram",
	     "Time from sending a batch to its last ack.");
	for (int i = 0; i < 8; i++) {
		cumulative += s->nft_latency_buckets[i];
		add(&t, "portgate_nft_transaction_seconds_bucket{le=\"%s\"} %llu\n", bounds[i],
		    (unsigned long long)cumulative);
	}
	add(&t, "portgate_nft_transaction_seconds_sum %.6f\n", s->nft_latency_sum_ms / 1000);
	add(&t, "portgate_nft_transaction_seconds_count %llu\n", (unsigned long long)cumulative);
	single(&t, "portgate_peers", "gauge",
	       "WireGuard peers on the interface.", (double)(wg_tracker_device(g->peers)->n_peers));
	single(&t, "portgate_peers_vanished_total", "counter",
	       "Peers whose mappings were dropped because they vanished.", (double)(s->peers_vanished));
	single(&t, "portgate_conntrack_deleted_total", "counter",
	       "Conntrack entries deleted with their mappings.", (double)(s->conntrack_deleted));
	single(&t, "portgate_poll_duration_seconds", "gauge",
	       "Duration of the last WireGuard peer poll.", (double)(s->last_poll_ms / 1000));
	single(&t, "portgate_epoch_seconds", "gauge",
	       "The NAT-PMP epoch: seconds since the mapping state began.", (double)(gateway_epoch(g)));
	*len = t.len;
	return t.buf;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	size_t len = 0;
	char *body;

	(void)version; (void)upload; (void)upload_len; (void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("only GET\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		len = strlen(body);
	} else if (strcmp(url, "/metrics")) {
		body = strdup("see /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
		len = strlen(body);
	} else {
		body = metrics_render(m->g, &len);
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void httpd_ready(struct loop_watch *w, uint32_t events)
{
	struct metrics *m = w->arg;

	(void)events;
	MHD_run(m->httpd);
}

struct metrics *metrics_open(struct gateway *g, const char *listen_addr)
{
	struct metrics *m = calloc(1, sizeof(*m));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;
	char host[64];
	unsigned port;

	if (!m || sscanf(listen_addr, "%63[^:]:%u", host, &port) != 2 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		free(m);
		return NULL;
	}
	sin.sin_port = htons((uint16_t)port);
	m->g = g;
	/* MHD_USE_EPOLL without an internal thread: its epoll fd joins ours. */
	m->httpd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t)port,
				    NULL, NULL, answer, m,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				    MHD_OPTION_CONNECTION_TIMEOUT, 5u,
				    MHD_OPTION_CONNECTION_LIMIT, 16u,
				    MHD_OPTION_END);
	info = m->httpd ? MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		log_warn("metrics: cannot listen on %s", listen_addr);
		if (m->httpd)
			MHD_stop_daemon(m->httpd);
		free(m);
		return NULL;
	}
	m->watch = (struct loop_watch){ info->epoll_fd, httpd_ready, m };
	loop_add(&g->loop, &m->watch);
	log_info("metrics: http://%s/metrics", listen_addr);
	return m;
}

void metrics_tick(struct metrics *m)
{
	if (m)
		MHD_run(m->httpd);
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	loop_del(&m->g->loop, &m->watch);
	MHD_stop_daemon(m->httpd);
	free(m);
}
