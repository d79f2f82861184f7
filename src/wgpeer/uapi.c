/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cross-platform UAPI of userspace WireGuard (wireguard-go, boringtun):
 * a unix socket at /var/run/wireguard/IFNAME.sock, "get=1\n\n", and a reply
 * of key=value lines ending with errno=N and an empty line. Keys are hex. */
#include "wgpeer/wgpeer.h"

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
#define UAPI_REPLY_MAX (64u << 20)

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

/* One "key=value" line of the reply. */
static int parse_line(char *line, struct wg_device_info *dev,
		      struct wg_peer_info **peer, bool *have_errno, int *remote_errno)
{
	char *value = strchr(line, '=');
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
		*have_errno = true;
		*remote_errno = (int)v;
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
		*peer = wg_device_peer(dev, key, true);
		return *peer ? 0 : -ENOMEM;
	}
	/* Everything else belongs to a peer, or is for others to read. */
	if (!*peer)
		return 0;
	if (!strcmp(line, "allowed_ip"))
		return parse_allowed_ip(*peer, value);
	if (!strcmp(line, "last_handshake_time_sec")) {
		if (parse_u64(value, INT64_MAX, &v) < 0)
			return -EPROTO;
		(*peer)->last_handshake_sec = (int64_t)v;
	}
	return 0;
}

int wg_uapi_parse(char *text, size_t len, struct wg_device_info *dev)
{
	struct wg_peer_info *peer = NULL;
	bool have_errno = false;
	int remote_errno = 0, ret = 0;
	size_t pos = 0;

	while (pos < len && ret == 0) {
		char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - line) : len - pos;

		pos += line_len + 1;
		if (line_len == 0)
			break;	/* the empty line that ends the reply */
		if (!nl || memchr(line, '\0', line_len)) {
			ret = -EPROTO;
			break;
		}
		*nl = '\0';
		ret = parse_line(line, dev, &peer, &have_errno, &remote_errno);
	}
	explicit_bzero(text, len);
	if (ret)
		return ret;
	if (!have_errno)
		return -EPROTO;
	return remote_errno ? -remote_errno : 0;
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

static void reply_free(struct wg_uapi_read *r)
{
	if (r->buf) {
		explicit_bzero(r->buf, r->len);
		free(r->buf);
	}
	r->buf = NULL;
	r->len = r->cap = 0;
}

void wg_uapi_abort(struct wg_uapi_read *r)
{
	reply_free(r);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

int wg_uapi_begin(const char *ifname, const char *socket_path, struct wg_uapi_read *r)
{
	static const char request[] = "get=1\n\n";
	int fd = uapi_connect(ifname, socket_path);

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (fd < 0)
		return fd;
	if (send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	r->fd = fd;
	return 0;
}

/* The reply ends with the blank line after errno=, or at EOF. */
static bool reply_complete(const struct wg_uapi_read *r)
{
	return r->len >= 2 && r->buf[r->len - 1] == '\n' && r->buf[r->len - 2] == '\n';
}

int wg_uapi_continue(struct wg_uapi_read *r)
{
	for (;;) {
		ssize_t n;

		if (reply_complete(r))
			return 0;
		if (r->len == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 16384;
			char *nb;

			if (cap > UAPI_REPLY_MAX)
				return -EMSGSIZE;
			/* Not realloc: the old buffer holds the private key
			 * until wiped. */
			nb = malloc(cap);
			if (!nb)
				return -ENOMEM;
			if (r->buf)
				memcpy(nb, r->buf, r->len);
			explicit_bzero(r->buf ? r->buf : nb, r->buf ? r->len : 0);
			free(r->buf);
			r->buf = nb;
			r->cap = cap;
		}
		n = recv(r->fd, r->buf + r->len, r->cap - r->len, MSG_DONTWAIT);
		if (n > 0) {
			r->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		return -errno;
	}
}

int wg_uapi_finish(struct wg_uapi_read *r, const char *ifname,
		   struct wg_device_info *dev)
{
	int ret;

	snprintf(dev->ifname, sizeof(dev->ifname), "%s", ifname);
	ret = r->buf ? wg_uapi_parse(r->buf, r->len, dev) : -EPROTO;
	wg_uapi_abort(r);
	return ret;
}
