#include "client/apps.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_TIMEOUT_MS 30000

const char *const app_names[APP_COUNT] = { "port_file", "transmission", "qbittorrent", "hook" };

/* gluetun's format: the number and a newline, replaced atomically. */
int port_file_write(const char *path, uint16_t port, char *msg, size_t len)
{
	char tmp[CLIENT_PATH_MAX + 16], text[16];
	int fd, n = snprintf(text, sizeof(text), "%u\n", port);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(msg, len, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		return -1;
	}
	snprintf(msg, len, "%s says %u", path, port);
	return 0;
}

/* HOOK PORT, without a shell: nothing in the port can be interpreted. */
int hook_run(const char *hook, uint16_t port, char *msg, size_t len)
{
	char arg[8];
	int status;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%u", port);
	pid = fork();
	if (pid < 0) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execl(hook, hook, arg, (char *)NULL);
		_exit(127);
	}
	for (int waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited += 50) {
		if (waited >= HOOK_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(msg, len, "%s %s: killed after %d s", hook, arg, HOOK_TIMEOUT_MS / 1000);
			return -1;
		}
		nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(msg, len, "%s %s: exit status %d", hook, arg,
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -1;
	}
	snprintf(msg, len, "%s %s: done", hook, arg);
	return 0;
}

static int report(int fd, enum app_kind app, int ret, const char *msg)
{
	dprintf(fd, "%s %s %s\n", app_names[app], ret ? "error" : "ok", msg);
	return ret ? 1 : 0;
}

int apps_sync(const struct client_config *c, uint16_t port, bool changed, int fd)
{
	char msg[512];
	int failed = 0;

	if (c->port_file[0] && changed)
		failed += report(fd, APP_PORT_FILE, port_file_write(c->port_file, port, msg,
								  sizeof(msg)), msg);
	if (c->transmission.on)
		failed += report(fd, APP_TRANSMISSION, transmission_sync(&c->transmission, port,
								       msg, sizeof(msg)), msg);
	if (c->qbittorrent.on)
		failed += report(fd, APP_QBITTORRENT, qbittorrent_sync(&c->qbittorrent, port, msg,
								     sizeof(msg)), msg);
	if (c->hook[0] && changed)
		failed += report(fd, APP_HOOK, hook_run(c->hook, port, msg, sizeof(msg)), msg);
	return failed;
}
