/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/yconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fail_at(struct yconf *l, const yaml_node_t *node, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->name,
		 node ? node->start_mark.line + 1 : 1,
		 node ? node->start_mark.column + 1 : 1, reason);
	return -1;
}

const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int want_scalar(struct yconf *l, const yaml_node_t *n, const char *what,
		       const char **out)
{
	*out = scalar(n);
	if (!*out)
		return fail_at(l, n, "%s must be a single value", what);
	return 0;
}

int get_uint(struct yconf *l, const yaml_node_t *n, const char *what,
		    unsigned long min, unsigned long max, uint32_t *out)
{
	const char *s;
	char *end;
	unsigned long v;

	if (want_scalar(l, n, what, &s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || *s == '-' || *s == '+' || errno)
		return fail_at(l, n, "%s must be a whole number, not \"%s\"", what, s);
	if (v < min || v > max)
		return fail_at(l, n, "%s must be between %lu and %lu, not %lu", what,
			       min, max, v);
	*out = (uint32_t)v;
	return 0;
}

int get_bool(struct yconf *l, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s;

	if (want_scalar(l, n, what, &s))
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no"))
		*out = false;
	else
		return fail_at(l, n, "%s must be true or false, not \"%s\"", what, s);
	return 0;
}

int get_string(struct yconf *l, const yaml_node_t *n, const char *what,
		      char *out, size_t max)
{
	const char *s;

	if (want_scalar(l, n, what, &s))
		return -1;
	if (!*s || strlen(s) >= max)
		return fail_at(l, n, "%s must be 1 to %zu characters", what, max - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int each_pair(struct yconf *l, yaml_node_t *map, const char *what,
		     yconf_pair_fn fn, void *arg)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return fail_at(l, map, "%s must be a mapping of keys to values", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const char *key = scalar(k);

		if (!key)
			return fail_at(l, k, "keys in %s must be plain names", what);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(yaml_document_get_node(l->doc, q->key)), key))
				return fail_at(l, k, "%s appears twice in %s", key, what);
		if (fn(l, key, k, v, arg))
			return -1;
	}
	return 0;
}

int unknown(struct yconf *l, yaml_node_t *k, const char *key, const char *where)
{
	return fail_at(l, k, "unknown key \"%s\" in %s", key, where);
}

int yconf_parse(struct yconf *y, const char *text, size_t len,
		int (*root)(struct yconf *, yaml_node_t *))
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *top;
	int ret;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(y->err, y->errlen, "%s: out of memory", y->name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(y->err, y->errlen, "%s:%zu:%zu: %s%s%s", y->name,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "not valid YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	y->doc = &doc;
	top = yaml_document_get_root_node(&doc);
	ret = root(y, top);
	y->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

char *yconf_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t n;

		if (*len + 1 >= cap) {
			char *t;

			if (cap >= (1u << 20)) {
				snprintf(err, errlen, "%s: larger than 1 MiB", path);
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			if (!(t = realloc(text, cap))) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			text = t;
		}
		n = fread(text + *len, 1, cap - *len - 1, f);
		if (n == 0)
			break;
		*len += n;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	text[*len] = '\0';
	return text;
fail:
	free(text);
	fclose(f);
	return NULL;
}
