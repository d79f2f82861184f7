/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/clock.h"

/* The address $NOTIFY_SOCKET names: its length, 0 when it names none we
 * can use (relative, too long, or an AF_VSOCK address). */
static socklen_t notify_address(const char *name, struct sockaddr_un *sun)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 || len >= sizeof(sun->sun_path))
		return 0;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, name, len);
	if (name[0] == '@')	/* abstract: a leading NUL, no terminator */
		sun->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			   (name[0] == '/'));
}

int sdnotify(const char *fmt, ...)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t alen;
	char msg[512];
	va_list ap;
	ssize_t n;
	int fd, len;

	if (!name || !name[0])
		return 0;
	alen = notify_address(name, &sun);
	if (!alen)
		return -EAFNOSUPPORT;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(msg))
		return -EMSGSIZE;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* MSG_DONTWAIT: the event loop never blocks, even on a busy manager. */
	n = sendto(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT,
		   (struct sockaddr *)&sun, alen);
	len = n < 0 ? -errno : 0;
	close(fd);
	return len;
}

int sdnotify_reloading(void)
{
	return sdnotify("RELOADING=1\nMONOTONIC_USEC=%lld", (long long)mono_now_us());
}
