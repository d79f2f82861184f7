/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cross-platform UAPI of userspace WireGuard (wireguard-go, boringtun):
 * a unix socket at /var/run/wireguard/IFNAME.sock, "get=1\n\n", and a reply
 * of key=value lines ending with errno=N and an empty line. Keys are hex. */
#include "wgpeer/backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/base64.h"

#define UAPI_DIR "/var/run/wireguard"

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -EPROTO;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EPROTO;
	*out = v;
	return 0;
}

static int parse_allowed_ip(struct wg_peer_info *peer, char *value)
{
	char *slash = strchr(value, '/');
	uint8_t addr[16];
	uint64_t cidr;
	int family;

	if (!slash)
		return -EPROTO;
	*slash = '\0';
	family = strchr(value, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, value, addr) != 1 ||
	    parse_u64(slash + 1, family == AF_INET ? 32 : 128, &cidr) < 0)
		return -EPROTO;
	return wg_peer_add_ip(peer, (uint8_t)family, addr, (uint8_t)cidr);
}

/* One "key=value" line of the reply; the peer being read is the device's
 * last (wg_device_peer appends). */
static int parse_line(char *line, struct wg_device_info *dev, struct wg_uapi_parser *p)
{
	char *value = strchr(line, '=');
	struct wg_peer_info *peer = p->in_peer ? &dev->peers[dev->n_peers - 1] : NULL;
	uint8_t key[WG_KEY_LEN];
	uint64_t v;

	if (!value)
		return -EPROTO;
	*value++ = '\0';
	if (!strcmp(line, "private_key")) {
		explicit_bzero(value, strlen(value));
		return 0;
	}
	if (!strcmp(line, "errno")) {
		if (parse_u64(value, INT_MAX, &v) < 0)
			return -EPROTO;
		p->have_errno = true;
		p->remote_errno = (int)v;
		return 0;
	}
	if (!strcmp(line, "listen_port")) {
		if (parse_u64(value, 65535, &v) < 0)
			return -EPROTO;
		dev->listen_port = (uint16_t)v;
		return 0;
	}
	if (!strcmp(line, "public_key")) {
		if (!key_from_hex(key, value, strlen(value)))
			return -EPROTO;
		p->in_peer = wg_device_peer(dev, key, true) != NULL;
		return p->in_peer ? 0 : -ENOMEM;
	}
	/* Everything else belongs to a peer, or is for others to read. */
	if (!peer)
		return 0;
	if (!strcmp(line, "allowed_ip"))
		return parse_allowed_ip(peer, value);
	if (!strcmp(line, "last_handshake_time_sec")) {
		if (parse_u64(value, INT64_MAX, &v) < 0)
			return -EPROTO;
		peer->last_handshake_sec = (int64_t)v;
	}
	return 0;
}

void wg_uapi_parser_init(struct wg_uapi_parser *p)
{
	memset(p, 0, sizeof(*p));
}

long wg_uapi_feed(struct wg_uapi_parser *p, char *text, size_t len,
		  struct wg_device_info *dev)
{
	size_t pos = 0;
	int ret = 0;

	while (pos < len && !p->ended && ret == 0) {
		char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t line_len;

		if (!nl)
			break;	/* unfinished: the caller keeps it for later */
		line_len = (size_t)(nl - line);
		pos += line_len + 1;
		if (line_len == 0) {
			p->ended = true;	/* the empty line that ends the reply */
		} else if (memchr(line, '\0', line_len)) {
			ret = -EPROTO;
		} else {
			*nl = '\0';
			ret = parse_line(line, dev, p);
		}
	}
	if (p->ended)
		pos = len;	/* nothing after the end counts */
	explicit_bzero(text, ret ? len : pos);
	return ret ? ret : (long)pos;
}

int wg_uapi_feed_buf(struct wg_uapi_parser *p, char *buf, size_t *len,
		     struct wg_device_info *dev)
{
	long used = wg_uapi_feed(p, buf, *len, dev);
	size_t rest;

	if (used < 0)
		return (int)used;
	rest = *len - (size_t)used;
	memmove(buf, buf + used, rest);
	/* The line moved to the front leaves no copy behind it. */
	explicit_bzero(buf + rest, (size_t)used);
	*len = rest;
	return 0;
}

int wg_uapi_end(const struct wg_uapi_parser *p)
{
	if (!p->have_errno)
		return -EPROTO;
	return p->remote_errno ? -p->remote_errno : 0;
}

int wg_uapi_parse(char *text, size_t len, struct wg_device_info *dev)
{
	struct wg_uapi_parser p;
	long used;

	wg_uapi_parser_init(&p);
	used = wg_uapi_feed(&p, text, len, dev);
	if (used < 0)
		return (int)used;
	if ((size_t)used < len) {
		/* A last line without its newline. */
		explicit_bzero(text, len);
		return -EPROTO;
	}
	return wg_uapi_end(&p);
}

static int uapi_connect(const char *ifname, const char *socket_path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (socket_path) {
		if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", socket_path) >=
		    (int)sizeof(sun.sun_path))
			return -EINVAL;
	} else if (strchr(ifname, '/') ||
		   snprintf(sun.sun_path, sizeof(sun.sun_path), UAPI_DIR "/%s.sock",
			    ifname) >= (int)sizeof(sun.sun_path)) {
		return -EINVAL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = errno;

		close(fd);
		/* A socket file whose daemon died answers ECONNREFUSED. */
		return err == ENOENT || err == ECONNREFUSED ? -ENODEV : -err;
	}
	return fd;
}

void wg_uapi_abort(struct wg_uapi_read *r)
{
	if (r->buf) {
		explicit_bzero(r->buf, r->len);
		free(r->buf);
	}
	r->buf = NULL;
	r->len = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int wg_uapi_begin(const char *ifname, const char *socket_path, struct wg_uapi_read *r)
{
	static const char request[] = "get=1\n\n";
	int fd;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	wg_uapi_parser_init(&r->parser);
	fd = uapi_connect(ifname, socket_path);
	if (fd < 0)
		return fd;
	r->buf = malloc(WG_UAPI_SLICE);
	if (!r->buf) {
		close(fd);
		return -ENOMEM;
	}
	if (send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
		int err = errno;

		wg_uapi_abort(r);
		close(fd);
		return -err;
	}
	r->fd = fd;
	return 0;
}

/* One receive of at most a slice, and the lines it completed parsed: the
 * rest (an unfinished line) moves to the front for the next one. */
int wg_uapi_continue(struct wg_uapi_read *r, struct wg_device_info *dev)
{
	ssize_t n;
	int ret;

	if (r->parser.ended)
		return 0;
	if (r->len == WG_UAPI_SLICE)
		return -EPROTO;	/* a line longer than any the UAPI writes */
	do
		n = recv(r->fd, r->buf + r->len, WG_UAPI_SLICE - r->len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -errno;
	if (n == 0)
		return r->len ? -EPROTO : 0;	/* EOF, or within a line */
	r->len += (size_t)n;
	ret = wg_uapi_feed_buf(&r->parser, r->buf, &r->len, dev);
	if (ret < 0)
		return ret;
	return r->parser.ended ? 0 : 1;
}

int wg_uapi_finish(struct wg_uapi_read *r, const char *ifname,
		   struct wg_device_info *dev)
{
	int ret = wg_uapi_end(&r->parser);

	snprintf(dev->ifname, sizeof(dev->ifname), "%s", ifname);
	wg_uapi_abort(r);
	return ret;
}
