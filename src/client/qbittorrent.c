/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qBittorrent's WebUI API v2: a login sets the SID cookie (kept by the
 * handle), preferences says listen_port, setPreferences changes it with
 * random_port and upnp off (so a restart keeps it and nothing else maps a
 * port), and preferences is read again. A 403 means the session ended:
 * one new login. */
#include "client/apps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client/http.h"

struct webui {
	struct http *h;
	const struct client_app *app;
	char password[256];
	struct http_reply *r;
};

static void url_of(const struct webui *w, const char *path, char *out, size_t len)
{
	size_t n = strlen(w->app->url);

	snprintf(out, len, "%.*s%s", (int)(n && w->app->url[n - 1] == '/' ? n - 1 : n),
		 w->app->url, path);
}

static int login(struct webui *w, char *err, size_t errlen)
{
	char url[CLIENT_PATH_MAX + 32], body[768];
	char *user = curl_easy_escape(NULL, w->app->username, 0);
	char *pass = curl_easy_escape(NULL, w->password, 0);
	struct http_request req = { .url = url, .body = body,
				    .content_type = "application/x-www-form-urlencoded",
				    .timeout_s = (long)w->app->timeout };
	int ret;

	url_of(w, "/api/v2/auth/login", url, sizeof(url));
	snprintf(body, sizeof(body), "username=%s&password=%s", user ? user : "",
		 pass ? pass : "");
	curl_free(user);
	curl_free(pass);
	ret = http_do(w->h, &req, w->r, err, errlen);
	memset(body, 0, sizeof(body));
	if (ret)
		return -1;
	if (w->r->status != 200 || strncmp(w->r->body, "Ok.", 3)) {
		snprintf(err, errlen, "login refused (HTTP %ld: %.40s)", w->r->status, w->r->body);
		return -1;
	}
	return 0;
}

/* A request, with one new login when the session has ended (403). */
static int call(struct webui *w, const char *path, const char *body, char *err, size_t errlen)
{
	char url[CLIENT_PATH_MAX + 32];
	struct http_request req = { .url = url, .body = body,
				    .content_type = body ? "application/x-www-form-urlencoded" : NULL,
				    .timeout_s = (long)w->app->timeout };

	url_of(w, path, url, sizeof(url));
	for (int attempt = 0; attempt < 2; attempt++) {
		if (http_do(w->h, &req, w->r, err, errlen))
			return -1;
		if (w->r->status != 403)
			break;
		if (attempt == 0 && login(w, err, errlen))
			return -1;
	}
	if (w->r->status != 200) {
		snprintf(err, errlen, "%s answered HTTP %ld", path, w->r->status);
		return -1;
	}
	return 0;
}

static long listen_port(struct webui *w, char *err, size_t errlen)
{
	json_t *root, *port;
	long value = -1;

	if (call(w, "/api/v2/app/preferences", NULL, err, errlen))
		return -1;
	root = json_loads(w->r->body, 0, NULL);
	port = json_object_get(root, "listen_port");
	if (json_is_integer(port))
		value = (long)json_integer_value(port);
	else
		snprintf(err, errlen, "preferences did not say listen_port");
	json_decref(root);
	return value;
}

long qbittorrent_port(const struct client_app *a, char *msg, size_t len)
{
	struct webui w = { .app = a };
	long now = -1;

	if (a->password_file[0] && read_secret(a->password_file, w.password,
					       sizeof(w.password), msg, len))
		return -1;
	if ((w.h = http_new()) && (w.r = calloc(1, sizeof(*w.r))) && !login(&w, msg, len))
		now = listen_port(&w, msg, len);
	memset(w.password, 0, sizeof(w.password));
	free(w.r);
	http_free(w.h);
	return now;
}

int qbittorrent_sync(const struct client_app *a, uint16_t port, char *msg, size_t len)
{
	struct webui w = { .app = a };
	char body[160];
	long now;
	int ret = -1;

	if (a->password_file[0] && read_secret(a->password_file, w.password,
					       sizeof(w.password), msg, len))
		return -1;
	if (!(w.h = http_new()) || !(w.r = calloc(1, sizeof(*w.r)))) {
		snprintf(msg, len, "out of memory");
		goto out;
	}
	if (login(&w, msg, len) || (now = listen_port(&w, msg, len)) < 0)
		goto out;
	if (now == port) {
		snprintf(msg, len, "listen_port is %u already", port);
		ret = 0;
		goto out;
	}
	snprintf(body, sizeof(body), "json=%%7B%%22listen_port%%22%%3A%u%%2C%%22random_port"
		 "%%22%%3Afalse%%2C%%22upnp%%22%%3Afalse%%7D", port);
	if (call(&w, "/api/v2/app/setPreferences", body, msg, len) ||
	    (now = listen_port(&w, msg, len)) < 0)
		goto out;
	if (now != port) {
		snprintf(msg, len, "set listen_port %u, but it says %ld", port, now);
		goto out;
	}
	snprintf(msg, len, "listen_port set to %u", port);
	ret = 0;
out:
	memset(w.password, 0, sizeof(w.password));
	free(w.r);
	http_free(w.h);
	return ret;
}
