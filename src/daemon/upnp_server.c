/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trust boundary holds three times over: both sockets are bound to the
 * WireGuard interface (nothing from another interface reaches them), the
 * kernel's input guard drops the HTTP port to the tunnel addresses from
 * elsewhere, and every search and connection is answered for a peer's
 * source only. Nothing is ever sent to the group: WireGuard has no peer
 * for it; answers go to the asker. */
#include "daemon/upnp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/stats.h"
#include "upnp/describe.h"
#include "upnp/ssdp.h"
#include "util/ipaddr.h"
#include "util/httploop.h"
#include "util/log.h"
#include "util/loop.h"

#define UPNP_HTTP_TIMEOUT_S 5
#define UPNP_HTTP_CONNECTIONS 64
#define UPNP_HTTP_PER_ADDRESS 4
#define UPNP_HTTP_MEMORY (SOAP_BODY_MAX + 8192)
/* Datagrams read per wake-up: the loop never stays here long. */
#define UPNP_SSDP_BATCH 16

struct upnp_server {
	struct loop *loop;
	struct upnp_device dev;
	uint16_t http_port;
	int ifindex;
	struct upnp_server_ops ops;
	void *arg;
	struct stats *stats;
	struct loop_watch ssdp;
	struct http_loop http;
	bool http_open;
	struct igd_entry list[UPNP_LIST_MAX];	/* a call's listing, until answered */
};

/* ---- SSDP ---------------------------------------------------------------- */

static int ssdp_socket(const struct upnp_server_config *cfg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(SSDP_PORT) };
	struct ip_mreqn m = { .imr_ifindex = cfg->ifindex };
	int one = 1, zero = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, SSDP_GROUP_V4, &m.imr_multiaddr);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->ifname, strlen(cfg->ifname)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The interface and the local address a datagram arrived on (the
 * tunnel address the asker reaches us at). */
static bool arrival(struct msghdr *mh, int *ifindex, uint32_t *local)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*ifindex = pi.ipi_ifindex;
			*local = ntohl(pi.ipi_spec_dst.s_addr);
			return true;
		}
	}
	return false;
}

static void answer_search(struct upnp_server *s, int fd, const struct sockaddr_in *from,
			  const struct ssdp_search *q, uint32_t local)
{
	struct ssdp_reply r[SSDP_REPLIES_MAX];
	char out[SSDP_RESPONSE_MAX];
	struct ip_addr self = ip_addr_from_v4(local);
	size_t n = ssdp_match(&s->dev, q->st, r);

	if (!n) {
		stats_count(s->stats, STAT_UPNP_SEARCHES_IGNORED, 1);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = ssdp_encode(out, sizeof(out), &s->dev, &r[i], &self, s->http_port);

		if (len && sendto(fd, out, len, MSG_DONTWAIT, (const struct sockaddr *)from,
				  sizeof(*from)) < 0)
			log_warn("upnp: ssdp answer");
	}
	stats_count(s->stats, STAT_UPNP_SEARCHES_ANSWERED, 1);
}

/* One datagram: through the tunnel, a well-formed search, from a peer's
 * source within its rate; anything else gets nothing. */
static bool ssdp_one(struct upnp_server *s, int fd)
{
	uint8_t buf[SSDP_MAX_LEN + 1];
	uint8_t cmsg[CMSG_SPACE(sizeof(struct in_pktinfo))] __attribute__((aligned(8)));
	struct sockaddr_in from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = cmsg,
			     .msg_controllen = sizeof(cmsg) };
	struct ssdp_search q;
	uint32_t local = 0;
	int ifindex = 0;
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("upnp: ssdp receive");
		return false;
	}
	if (!arrival(&mh, &ifindex, &local) || ifindex != s->ifindex ||
	    from.sin_family != AF_INET || ssdp_parse(buf, (size_t)n, &q) != SSDP_SEARCH ||
	    !s->ops.peer_ok(s->arg, &from, true)) {
		stats_count(s->stats, STAT_UPNP_SEARCHES_IGNORED, 1);
		return true;
	}
	answer_search(s, fd, &from, &q, local);
	return true;
}

static void ssdp_readable(struct loop_watch *w, uint32_t events)
{
	struct upnp_server *s = w->arg;

	(void)events;
	for (int i = 0; i < UPNP_SSDP_BATCH && ssdp_one(s, w->fd); i++)
		;
}

/* ---- HTTP ---------------------------------------------------------------- */

/* A connection's request body, read up to SOAP_BODY_MAX. */
struct upload {
	size_t len;
	bool too_long;
	char body[SOAP_BODY_MAX];
};

static enum MHD_Result send_body(struct MHD_Connection *conn, unsigned status, char *body,
				 size_t len, const char *type)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body,
								     MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Server", "Linux UPnP/1.1 portgate/" PORTGATE_VERSION);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_empty(struct MHD_Connection *conn, unsigned status)
{
	char *body = strdup("");

	return body ? send_body(conn, status, body, 0, "text/plain") : MHD_NO;
}

#define XML_TYPE "text/xml; charset=\"utf-8\""

static const struct sockaddr_in *client_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return NULL;
	return (const struct sockaddr_in *)ci->client_addr;
}

static enum MHD_Result describe(struct upnp_server *s, struct MHD_Connection *conn,
				enum upnp_doc doc)
{
	char *body = malloc(UPNP_DOC_MAX);
	size_t len = body ? upnp_describe(body, UPNP_DOC_MAX, &s->dev, doc) : 0;

	if (!len) {
		free(body);
		return send_empty(conn, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	return send_body(conn, MHD_HTTP_OK, body, len, XML_TYPE);
}

/* A description costs what a search does: within the peer's rate, else
 * 503 with Retry-After (the connection's source was checked at accept). */
static enum MHD_Result get_description(struct upnp_server *s, struct MHD_Connection *conn,
				 enum upnp_doc doc)
{
	const struct sockaddr_in *from = client_of(conn);
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (from && s->ops.peer_ok(s->arg, from, true))
		return describe(s, conn, doc);
	stats_count(s->stats, STAT_UPNP_HTTP_REFUSED, 1);
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Retry-After", "1");
	ret = MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The answer of a call: the action's response, or a UPnPError fault. */
static enum MHD_Result answer_call(struct MHD_Connection *conn, const struct igd_request *q,
				   const struct igd_result *res, int code)
{
	size_t cap = IGD_LIST_OVERHEAD + (res->nentries ? res->nentries : 1) * IGD_LIST_ENTRY_MAX;
	char *body = malloc(cap);
	size_t len = 0;

	if (!body)
		return MHD_NO;
	if (code == UPNP_OK && !(len = igd_encode(body, cap, q, res)))
		code = UPNP_ACTION_FAILED;
	if (code != UPNP_OK)
		return send_body(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, body,
				 soap_encode_fault(body, cap, code), XML_TYPE);
	return send_body(conn, MHD_HTTP_OK, body, len, XML_TYPE);
}

/* A POST to a control URL: SOAP parsed (expat), the call decoded against
 * the action table, then the owner's. */
static enum MHD_Result control(struct upnp_server *s, struct MHD_Connection *conn,
			       enum upnp_service svc, const struct upload *up)
{
	const char *sa = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "SOAPAction");
	const struct sockaddr_in *from = client_of(conn);
	struct igd_result res = { 0 };
	struct soap_request soap;
	struct igd_request q;
	const char *why = NULL;
	int code;

	if (!from)
		return send_empty(conn, MHD_HTTP_FORBIDDEN);
	if (up->too_long)
		return send_empty(conn, MHD_HTTP_CONTENT_TOO_LARGE);
	code = sa ? soap_parse(sa, up->body, up->len, &soap, &why) : UPNP_INVALID_ACTION;
	if (code == UPNP_OK && soap.service != svc)
		code = UPNP_INVALID_ACTION;
	if (code == UPNP_OK)
		code = igd_decode(&s->dev, &soap, &q);
	if (code == UPNP_OK)
		code = s->ops.control(s->arg, from, &q, &res, s->list, UPNP_LIST_MAX);
	if (code < 0) {
		stats_count(s->stats, STAT_UPNP_HTTP_REFUSED, 1);
		return send_empty(conn, MHD_HTTP_FORBIDDEN);
	}
	if (why)
		log_debug("upnp: %s", why);
	stats_upnp_action(s->stats, code);
	return answer_call(conn, &q, &res, code);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_len, void **state)
{
	struct upnp_server *s = cls;
	struct upload *up = *state;
	enum upnp_service svc;
	enum upnp_doc doc;

	(void)version;
	if (!strcmp(method, "GET") && (doc = upnp_doc_for_path(url)) != UPNP_DOC_NONE)
		return get_description(s, conn, doc);
	if (strcmp(method, "POST") || !upnp_control_for_path(url, &svc))
		return send_empty(conn, MHD_HTTP_NOT_FOUND);
	if (!up) {
		/* The headers: the body follows in further calls. */
		if (!(up = calloc(1, sizeof(*up))))
			return MHD_NO;
		*state = up;
		return MHD_YES;
	}
	if (*data_len) {
		if (*data_len > sizeof(up->body) - up->len)
			up->too_long = true;	/* read, not kept */
		else
			memcpy(up->body + up->len, data, *data_len);
		up->len += up->too_long ? 0 : *data_len;
		*data_len = 0;
		return MHD_YES;
	}
	return control(s, conn, svc, up);
}

static void completed(void *cls, struct MHD_Connection *conn, void **state,
		      enum MHD_RequestTerminationCode why)
{
	(void)cls; (void)conn; (void)why;
	free(*state);
	*state = NULL;
}

/* A connection from a source no peer owns is closed unanswered. */
static enum MHD_Result accept_peer(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct upnp_server *s = cls;

	if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in) &&
	    s->ops.peer_ok(s->arg, (const struct sockaddr_in *)addr, false))
		return MHD_YES;
	stats_count(s->stats, STAT_UPNP_HTTP_REFUSED, 1);
	return MHD_NO;
}

static int http_socket(const struct upnp_server_config *cfg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cfg->http_port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* SO_REUSEADDR: a restart finds the port in TIME_WAIT; the device
	 * binding still keeps it to the tunnel. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->ifname, strlen(cfg->ifname)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int http_open(struct upnp_server *s, const struct upnp_server_config *cfg)
{
	struct MHD_Daemon *httpd;
	int fd = http_socket(cfg);

	if (fd < 0) {
		log_warn("upnp: cannot listen on %s port %u/tcp", cfg->ifname, cfg->http_port);
		return -1;
	}
	httpd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, accept_peer, s, handle, s,
				 MHD_OPTION_LISTEN_SOCKET, fd,
				 MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)UPNP_HTTP_TIMEOUT_S,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned)UPNP_HTTP_CONNECTIONS,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)UPNP_HTTP_PER_ADDRESS,
				 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)UPNP_HTTP_MEMORY,
				 MHD_OPTION_END);
	if (!httpd) {
		close(fd);
		log_warnx("upnp: the HTTP server did not start");
		errno = EIO;
		return -1;
	}
	if (http_loop_open(&s->http, s->loop, httpd) < 0) {
		log_warn("upnp: the HTTP server cannot join the loop");
		return -1;
	}
	s->http_open = true;
	return 0;
}

struct upnp_server *upnp_server_open(struct loop *loop, const struct upnp_server_config *cfg,
				     const struct upnp_server_ops *ops, void *arg,
				     struct stats *stats)
{
	struct upnp_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	*s = (struct upnp_server){ .loop = loop, .http_port = cfg->http_port,
				   .ifindex = cfg->ifindex, .ops = *ops, .arg = arg,
				   .stats = stats };
	s->ssdp.fd = -1;
	if (!upnp_device_init(&s->dev, cfg->version, cfg->seed, cfg->friendly_name)) {
		log_warnx("upnp: cannot describe the device");
		free(s);
		errno = EINVAL;
		return NULL;
	}
	s->ssdp = (struct loop_watch){ ssdp_socket(cfg), ssdp_readable, s };
	if (s->ssdp.fd < 0 || loop_add(loop, &s->ssdp) < 0) {
		log_warn("upnp: cannot listen for SSDP on %s port %d/udp", cfg->ifname, SSDP_PORT);
		goto fail;
	}
	if (http_open(s, cfg) < 0)
		goto fail;
	log_info("upnp: IGD:%u on %s, SSDP %d/udp, HTTP %u/tcp", cfg->version, cfg->ifname,
		 SSDP_PORT, cfg->http_port);
	return s;
fail:
	upnp_server_close(s);
	return NULL;
}

void upnp_server_close(struct upnp_server *s)
{
	if (!s)
		return;
	if (s->http_open)
		http_loop_close(&s->http);
	loop_watch_close(s->loop, &s->ssdp);
	free(s);
}

int upnp_server_ifindex(const struct upnp_server *s)
{
	return s->ifindex;
}
