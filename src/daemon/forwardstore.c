/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/forwardstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/forwardspec.h"

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int parse_list(json_t *root, struct policy_forward **out, size_t *n,
		      const char *path, char *err, size_t len)
{
	json_t *list = json_object_get(root, "forwards"), *item;
	struct policy_forward *f;
	size_t i, count = json_array_size(list);
	char why[160];

	if (!json_is_array(list) || count > FORWARD_STORE_MAX) {
		snprintf(err, len, "%s: expected {\"forwards\": [...]}", path);
		return -1;
	}
	f = calloc(count ? count : 1, sizeof(*f));
	if (!f) {
		snprintf(err, len, "%s: out of memory", path);
		return -1;
	}
	json_array_foreach(list, i, item) {
		if (forward_from_json(item, true, &f[i], why, sizeof(why)) < 0) {
			snprintf(err, len, "%s: forward %zu: %s", path, i + 1, why);
			free(f);
			return -1;
		}
	}
	*out = f;
	*n = count;
	return 0;
}

int forward_store_load(const char *dir, struct policy_forward **out, size_t *n,
		       char *err, size_t len)
{
	char path[512];
	json_error_t jerr;
	json_t *root;
	int ret;

	*out = NULL;
	*n = 0;
	path_of(path, sizeof(path), dir, FORWARD_STORE_FILE);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return 0;
		snprintf(err, len, "%s:%d: %s", path, jerr.line, jerr.text);
		return -1;
	}
	ret = parse_list(root, out, n, path, err, len);
	json_decref(root);
	return ret;
}

static json_t *list_json(const struct policy_forward *f, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, forward_to_json(&f[i], true)) < 0) {
			json_decref(list);
			return NULL;
		}
	return list ? json_pack("{s:i, s:o}", "version", 1, "forwards", list) : NULL;
}

/* The text, to a new file, synced: 0 or -errno. */
static int write_synced(const char *path, const char *text)
{
	size_t len = strlen(text), done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (done < len && ret == 0) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno != EINTR)
			ret = -errno;
		else if (w > 0)
			done += (size_t)w;
	}
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

/* The rename itself made durable. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int forward_store_save(const char *dir, const struct policy_forward *f, size_t n,
		       char *err, size_t len)
{
	char path[512], tmp[512];
	json_t *root = list_json(f, n);
	char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	int ret;

	json_decref(root);
	path_of(path, sizeof(path), dir, FORWARD_STORE_FILE);
	path_of(tmp, sizeof(tmp), dir, "." FORWARD_STORE_FILE ".tmp");
	if (!text) {
		snprintf(err, len, "%s: out of memory", path);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		ret = -errno;
	else if ((ret = write_synced(tmp, text)) == 0 && rename(tmp, path) < 0)
		ret = -errno;
	free(text);
	if (ret < 0) {
		unlink(tmp);
		snprintf(err, len, "%s: %s", path, strerror(-ret));
		return -1;
	}
	sync_dir(dir);
	return 0;
}
