/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers of the test_upnp_* tests: the recorded vectors of
 * tests/unit/data/upnp (made by its capture script from real upnpc and
 * libtorrent), and reading back what the UPnP layer writes with expat, so a
 * check looks at the document's elements, not at its bytes. */
#ifndef PORTGATE_TESTS_UPNP_TESTLIB_H
#define PORTGATE_TESTS_UPNP_TESTLIB_H

#include <dirent.h>
#include <expat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* upnpc 2.2.4 writes the description into the body unescaped: `upnpc -e
 * 'my <app> & "co"'` sent XML no parser may accept. */
#define UNESCAPED_VECTOR "upnpc-v1-28-AddPortMapping.http"

/* Tests run from the tree's top (make unit). */
#define VECTORS_DIR "tests/unit/data/upnp"
#define VECTORS_MAX 128

struct vector {
	char name[256];		/* CLIENT-NN-WHAT.EXT */
	char what[64];		/* msearch, get, or the SOAP action */
	char *data;
	size_t len;
	/* HTTP requests: the SOAPACTION header's value and the body. */
	char soapaction[256];
	const char *body;
	size_t body_len;
};

static inline void vector_split_http(struct vector *v)
{
	const char *end = strstr(v->data, "\r\n\r\n"), *line = v->data;

	if (!end)
		return;
	v->body = end + 4;
	v->body_len = v->len - (size_t)(v->body - v->data);
	while (line < end) {
		const char *eol = strstr(line, "\r\n");

		if (!strncasecmp(line, "SOAPAction:", 11)) {
			const char *val = line + 11;

			while (*val == ' ')
				val++;
			snprintf(v->soapaction, sizeof(v->soapaction), "%.*s", (int)(eol - val), val);
		}
		line = eol + 2;
	}
}

static inline bool vector_read(const char *file, struct vector *v)
{
	char path[300];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), VECTORS_DIR "/%s", file);
	f = fopen(path, "rb");
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	v->data = calloc(1, (size_t)n + 1);
	v->len = fread(v->data, 1, (size_t)n, f);
	fclose(f);
	return v->len == (size_t)n;
}

static int vector_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vector *)a)->name, ((const struct vector *)b)->name);
}

/* Every vector whose name ends in suffix (".udp", ".http"), sorted by name. */
static inline size_t vectors_load(const char *suffix, struct vector *out)
{
	DIR *d = opendir(VECTORS_DIR);
	struct dirent *e;
	size_t n = 0, sl = strlen(suffix);

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < VECTORS_MAX) {
		size_t l = strlen(e->d_name);
		const char *dash;
		struct vector *v = &out[n];

		if (l <= sl || strcmp(e->d_name + l - sl, suffix))
			continue;
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%s", e->d_name);
		dash = strrchr(v->name, '-');
		snprintf(v->what, sizeof(v->what), "%.*s", (int)(l - sl - (size_t)(dash + 1 - v->name)), dash + 1);
		if (!vector_read(e->d_name, v))
			break;
		vector_split_http(v);
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(out[0]), vector_cmp);
	return n;
}

/* The control calls: every HTTP vector but the GETs and the unescaped one. */
static inline size_t vectors_load_calls(struct vector *out)
{
	size_t n = vectors_load(".http", out), k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(out[i].what, "get") || !strcmp(out[i].name, UNESCAPED_VECTOR))
			free(out[i].data);
		else
			out[k++] = out[i];
	}
	return k;
}

/* One vector by file name, split; false if it cannot be read. */
static inline bool vector_load_one(const char *file, struct vector *v)
{
	memset(v, 0, sizeof(*v));
	if (!vector_read(file, v))
		return false;
	vector_split_http(v);
	return true;
}

static inline void vectors_free(struct vector *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
}

/* ---- reading a document back --------------------------------------------- */

#define DOC_TEXTS_MAX 256

/* The text of every element whose local name is `local` (and whose
 * parent's is `parent`, when given), in document order. */
struct doc {
	const char *local;
	const char *parent;
	char stack[32][64];		/* local names of the open elements (expat's strings do not last) */
	size_t depth;
	char *texts[DOC_TEXTS_MAX];
	size_t n;
	char *cur;
	size_t cur_len;
	bool in;
};

static inline const char *local_of(const char *name)
{
	const char *sep = strrchr(name, ' ');

	return sep ? sep + 1 : name;
}

static void XMLCALL doc_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct doc *d = ud;
	const char *up = d->depth ? d->stack[d->depth - 1] : "";

	(void)atts;
	if (d->depth < 32)
		snprintf(d->stack[d->depth], sizeof(d->stack[0]), "%s", local_of(name));
	d->depth++;
	if (!strcmp(local_of(name), d->local) && d->n < DOC_TEXTS_MAX &&
	    (!d->parent || (d->depth <= 32 && !strcmp(up, d->parent)))) {
		d->in = true;
		d->cur = calloc(1, 1);
		d->cur_len = 0;
	}
}

static void XMLCALL doc_end(void *ud, const XML_Char *name)
{
	struct doc *d = ud;

	d->depth--;
	if (d->in && !strcmp(local_of(name), d->local)) {
		d->texts[d->n++] = d->cur;
		d->in = false;
	}
}

static void XMLCALL doc_text(void *ud, const XML_Char *s, int len)
{
	struct doc *d = ud;

	if (!d->in)
		return;
	d->cur = realloc(d->cur, d->cur_len + (size_t)len + 1);
	memcpy(d->cur + d->cur_len, s, (size_t)len);
	d->cur_len += (size_t)len;
	d->cur[d->cur_len] = '\0';
}

/* Parses xml (namespace-aware); false if it is not well-formed. */
static inline bool doc_read_in(const char *xml, size_t len, const char *parent, const char *local,
			       struct doc *d)
{
	XML_Parser p = XML_ParserCreateNS(NULL, ' ');
	bool ok;

	memset(d, 0, sizeof(*d));
	d->local = local;
	d->parent = parent;
	XML_SetUserData(p, d);
	XML_SetElementHandler(p, doc_start, doc_end);
	XML_SetCharacterDataHandler(p, doc_text);
	ok = XML_Parse(p, xml, (int)len, XML_TRUE) == XML_STATUS_OK;
	XML_ParserFree(p);
	if (d->in)
		free(d->cur);
	return ok;
}

static inline bool doc_read(const char *xml, size_t len, const char *local, struct doc *d)
{
	return doc_read_in(xml, len, NULL, local, d);
}

static inline void doc_free(struct doc *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->texts[i]);
}

/* The first text of local in xml, copied to out; "" (and false) if none. */
static inline bool doc_first(const char *xml, size_t len, const char *local, char *out, size_t cap)
{
	struct doc d;
	bool ok = doc_read(xml, len, local, &d) && d.n > 0;

	snprintf(out, cap, "%s", ok ? d.texts[0] : "");
	doc_free(&d);
	return ok;
}

#endif
