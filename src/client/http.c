/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define HTTP_TIMEOUT_S 5L
#define HTTP_CONNECT_TIMEOUT_S 3L

struct http {
	CURL *curl;
};

struct http *http_new(void)
{
	struct http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	if (!(h->curl = curl_easy_init())) {
		free(h);
		return NULL;
	}
	curl_easy_setopt(h->curl, CURLOPT_COOKIEFILE, "");	/* cookies in memory */
	return h;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

static size_t body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_reply *r = arg;
	size_t len = size * n, room = sizeof(r->body) - 1 - r->len;

	memcpy(r->body + r->len, p, len < room ? len : room);
	r->len += len < room ? len : room;
	r->body[r->len] = '\0';
	return len;
}

static size_t header_cb(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "X-Transmission-Session-Id:";
	struct http_reply *r = arg;
	size_t len = size * n;

	if (len > sizeof(name) && !strncasecmp(p, name, sizeof(name) - 1)) {
		const char *v = p + sizeof(name) - 1;
		size_t vl = len - (sizeof(name) - 1);

		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		if (vl < sizeof(r->session_id)) {
			memcpy(r->session_id, v, vl);
			r->session_id[vl] = '\0';
		}
	}
	return len;
}

int http_do(struct http *h, const struct http_request *req, struct http_reply *r,
	    char *err, size_t errlen)
{
	struct curl_slist *headers = NULL;
	char ctype[128];
	CURLcode rc;

	/* Every option a request uses is set here each time; no reset,
	 * which would also forget the cookie engine (qBittorrent's SID). */
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(h->curl, CURLOPT_URL, req->url);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, req->timeout_s ? req->timeout_s : HTTP_TIMEOUT_S);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (req->body) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, req->body);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	}
	if (req->content_type) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", req->content_type);
		headers = curl_slist_append(headers, ctype);
	}
	if (req->header)
		headers = curl_slist_append(headers, req->header);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_USERNAME, req->user);
	curl_easy_setopt(h->curl, CURLOPT_PASSWORD, req->user && req->password ? req->password : NULL);
	rc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", req->url, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

int read_secret(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
	static const char cred[] = "credential:";
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char full[512];
	FILE *f;

	/* credential:NAME is systemd's LoadCredential=NAME:... */
	if (!strncmp(path, cred, sizeof(cred) - 1)) {
		if (!dir) {
			snprintf(err, errlen, "%s: no CREDENTIALS_DIRECTORY (not under systemd "
				 "with LoadCredential=)", path);
			return -1;
		}
		snprintf(full, sizeof(full), "%s/%s", dir, path + sizeof(cred) - 1);
		path = full;
	}
	f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!fgets(out, (int)cap, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}
