/* The cross-platform UAPI of userspace WireGuard (wireguard-go, boringtun):
 * a unix socket at /var/run/wireguard/IFNAME.sock, "get=1\n\n", and a reply
 * of key=value lines ending with errno=N and an empty line. Keys are hex. */
#include "wgpeer/wgpeer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"

#define UAPI_DIR "/var/run/wireguard"
#define UAPI_REPLY_MAX (64u << 20)
#define UAPI_TIMEOUT_MS 2000

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

/* Reads until the blank line after errno= or EOF, within a deadline: a hung
 * userspace daemon must not stall the gateway. */
static int read_reply(int fd, char **out, size_t *out_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	struct timespec start, now;

	if (!buf)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long waited;
		ssize_t n;

		if (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n')
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 +
			 (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= UAPI_TIMEOUT_MS || poll(&pfd, 1, (int)(UAPI_TIMEOUT_MS - waited)) == 0) {
			explicit_bzero(buf, len);
			free(buf);
			return -ETIMEDOUT;
		}
		if (len == cap) {
			char *n2;

			if (cap >= UAPI_REPLY_MAX) {
				explicit_bzero(buf, len);
				free(buf);
				return -EMSGSIZE;
			}
			n2 = malloc(cap * 2);
			if (!n2) {
				explicit_bzero(buf, len);
				free(buf);
				return -ENOMEM;
			}
			memcpy(n2, buf, len);
			explicit_bzero(buf, len);
			free(buf);
			buf = n2;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			explicit_bzero(buf, len);
			free(buf);
			return -err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

int wg_uapi_get(const char *ifname, const char *socket_path,
		struct wg_device_info *dev)
{
	static const char request[] = "get=1\n\n";
	char *reply = NULL;
	size_t len = 0;
	int fd = uapi_connect(ifname, socket_path), ret;

	if (fd < 0)
		return fd;
	if (send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = read_reply(fd, &reply, &len);
	close(fd);
	if (ret < 0)
		return ret;
	snprintf(dev->ifname, sizeof(dev->ifname), "%s", ifname);
	ret = wg_uapi_parse(reply, len, dev);
	free(reply);
	return ret;
}

int wg_device_get(const char *ifname, const char *socket_path,
		  struct wg_device_info *dev, const char **backend)
{
	int ret = wg_uapi_get(ifname, socket_path, dev);

	*backend = "uapi";
	if (ret != -ENODEV)
		return ret;
	wg_device_clear(dev);
	*backend = "kernel";
	return wg_genl_get(ifname, dev);
}
