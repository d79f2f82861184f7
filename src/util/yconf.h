/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict YAML loading, shared by the gateway's policy and the client's
 * configuration: unknown keys, duplicates and bad values are errors, each
 * "FILE:LINE:COL: reason" in the loader's err, and every helper returns -1
 * on an error, 0 otherwise. */
#ifndef PORTGATE_UTIL_YCONF_H
#define PORTGATE_UTIL_YCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

struct yconf {
	const char *name;		/* the file, in messages */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	void *out;			/* what is being filled */
	void *ctx;			/* the caller's own */
};

int fail_at(struct yconf *l, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *scalar(const yaml_node_t *n);
int want_scalar(struct yconf *l, const yaml_node_t *n, const char *what,
		const char **out);
int get_uint(struct yconf *l, const yaml_node_t *n, const char *what,
	     unsigned long min, unsigned long max, uint32_t *out);
int get_bool(struct yconf *l, const yaml_node_t *n, const char *what, bool *out);
/* 1 to max - 1 characters. */
int get_string(struct yconf *l, const yaml_node_t *n, const char *what,
	       char *out, size_t max);
/* Calls fn for every key/value of a mapping node, rejecting duplicates. */
typedef int (*yconf_pair_fn)(struct yconf *, const char *key, yaml_node_t *key_node,
			     yaml_node_t *value, void *arg);
int each_pair(struct yconf *l, yaml_node_t *map, const char *what, yconf_pair_fn fn,
	      void *arg);
int unknown(struct yconf *l, yaml_node_t *k, const char *key, const char *where);

/* Parses text and calls root with the document's root node (NULL for an
 * empty document). y->name, err, errlen, out and ctx are the caller's. */
int yconf_parse(struct yconf *y, const char *text, size_t len,
		int (*root)(struct yconf *, yaml_node_t *));
/* The whole file (at most 1 MiB), NUL-terminated; NULL with the reason in
 * err. */
char *yconf_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
