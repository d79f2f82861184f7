/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client/apps.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_TIMEOUT_MS 30000
/* Random names collide about never: a few tries, then the error. */
#define PORT_FILE_TRIES 8

const char *const app_names[APP_COUNT] = { "port_file", "transmission", "qbittorrent", "hook",
					   "down_hook" };

/* A new temporary beside path, under a name nobody can guess and created
 * here (O_EXCL, O_NOFOLLOW): whoever may write in the directory cannot
 * plant a symlink that makes us write through it. -1 with errno set. */
static int port_file_tmp(const char *path, char *tmp, size_t len)
{
	for (int tries = 0; tries < PORT_FILE_TRIES; tries++) {
		uint64_t r;
		int fd, n;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return -1;
		n = snprintf(tmp, len, "%s.%016llx.tmp", path, (unsigned long long)r);
		if (n < 0 || (size_t)n >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* The whole text, synced, and fd closed whatever happens: 0, or -1 with
 * errno set (EIO for a short write, which sets none). */
static int fill_and_close(int fd, const char *text, size_t n)
{
	ssize_t w = write(fd, text, n);
	int ret = w >= 0 && (size_t)w == n && fsync(fd) == 0 ? 0 : -1;
	int saved = w >= 0 && (size_t)w != n ? EIO : errno;

	if (close(fd) < 0 && ret == 0)
		return -1;
	errno = saved;
	return ret;
}

/* gluetun's format: the number and a newline, replaced atomically; empty
 * when no port is forwarded (gluetun empties it too). */
int port_file_write(const char *path, uint16_t port, char *msg, size_t len)
{
	char tmp[CLIENT_PATH_MAX + 32], text[16] = "";
	int n = port ? snprintf(text, sizeof(text), "%u\n", port) : 0;
	int fd = port_file_tmp(path, tmp, sizeof(tmp)), saved;

	if (fd < 0) {
		snprintf(msg, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fill_and_close(fd, text, (size_t)n) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		snprintf(msg, len, "%s: %s", path, strerror(saved));
		return -1;
	}
	if (port)
		snprintf(msg, len, "%s says %u", path, port);
	else
		snprintf(msg, len, "%s emptied", path);
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

	/* The loop never asks with such a port (renew.c keeps none), but this
	 * is the last gate before a port leaves the process. */
	if (!renew_port_accepted(&c->renew, port)) {
		dprintf(fd, "accept_ports error %u is outside accept_ports %u-%u: no app told\n",
			port, c->renew.accept_low, c->renew.accept_high);
		return 1;
	}
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

int apps_lost(const struct client_config *c, uint16_t old_port, int fd)
{
	char msg[512];
	int failed = 0;

	if (c->port_file[0])
		failed += report(fd, APP_PORT_FILE, port_file_write(c->port_file, 0, msg,
								  sizeof(msg)), msg);
	if (c->down_hook[0])
		failed += report(fd, APP_DOWN_HOOK, hook_run(c->down_hook, old_port, msg,
							   sizeof(msg)), msg);
	return failed;
}
