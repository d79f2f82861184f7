/* Requests: {"command": "status" | "list" | "peers" | "reload"} and
 * {"command": "drop", "peer": KEY} or {"command": "drop", "protocol": "tcp",
 * "port": N}. Answers are JSON objects; failures are {"error": "..."}. */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "base64.h"
#include "gateway.h"
#include "log.h"
#include "wgpeer/tracker.h"

#define REQUEST_MAX 4096

struct control {
	struct gateway *g;
	struct loop_watch watch;
	char path[108];
};

static const char *peer_name(const struct gateway *g, const uint8_t *key)
{
	const struct policy_peer *p = policy_peer_find(&g->policy, key);

	return p && p->name[0] ? p->name : NULL;
}

static json_t *key_json(const uint8_t *key)
{
	char b64[KEY_B64_LEN + 1];

	key_to_base64(b64, key);
	return json_string(b64);
}

static json_t *addr_json(uint32_t addr)
{
	struct in_addr a = { htonl(addr) };

	return json_string(inet_ntoa(a));
}

static json_t *do_status(struct gateway *g)
{
	const struct wg_device_info *dev = wg_tracker_device(g->peers);

	return json_pack("{s:s, s:I, s:I, s:o, s:s, s:s, s:I, s:{s:I, s:I}, s:{s:s, s:I}}",
		"version", PORTGATE_VERSION,
		"uptime", (json_int_t)(time(NULL) - g->started),
		"epoch", (json_int_t)gateway_epoch(g),
		"external_address", g->external_known ? addr_json(g->external_addr) : json_null(),
		"interface", g->policy.interface,
		"wireguard_backend", wg_tracker_backend(g->peers),
		"peers", (json_int_t)dev->n_peers,
		"mappings", "udp", (json_int_t)mapping_table_count(g->mappings, MAPPING_UDP),
			    "tcp", (json_int_t)mapping_table_count(g->mappings, MAPPING_TCP),
		"policy", "path", g->policy.path, "loaded_at", (json_int_t)g->policy.loaded_at);
}

struct list_ctx {
	struct gateway *g;
	json_t *arr;
	int64_t now;
};

static void list_one(const struct mapping_view *v, void *arg)
{
	struct list_ctx *ctx = arg;
	const char *name = peer_name(ctx->g, v->peer);
	int64_t left = (v->expires_ms - ctx->now + 999) / 1000;

	json_array_append_new(ctx->arr, json_pack(
		"{s:o, s:o, s:s, s:i, s:o, s:i, s:i, s:I, s:I}",
		"peer", key_json(v->peer),
		"peer_name", name ? json_string(name) : json_null(),
		"protocol", proto_name(v->proto),
		"external_port", v->external_port,
		"internal_address", addr_json(v->addr),
		"internal_port", v->target_port,
		"requested_internal_port", v->internal_port,
		"lifetime", (json_int_t)v->lifetime,
		"remaining", (json_int_t)(left > 0 ? left : 0)));
}

static json_t *do_list(struct gateway *g)
{
	struct list_ctx ctx = { g, json_array(), mono_now_ms() };

	mapping_table_foreach(g->mappings, list_one, &ctx);
	return json_pack("{s:o}", "mappings", ctx.arr);
}

static json_t *do_peers(struct gateway *g)
{
	const struct wg_device_info *dev = wg_tracker_device(g->peers);
	json_t *arr = json_array();

	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer_info *p = &dev->peers[i];
		const char *name = peer_name(g, p->key);
		json_t *ips = json_array();

		for (size_t k = 0; k < p->n_ips; k++) {
			char a[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 4];

			inet_ntop(p->ips[k].family, p->ips[k].addr, a, sizeof(a));
			snprintf(s, sizeof(s), "%s/%u", a, p->ips[k].cidr);
			json_array_append_new(ips, json_string(s));
		}
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:I, s:I, s:b}",
			"key", key_json(p->key),
			"name", name ? json_string(name) : json_null(),
			"allowed_ips", ips,
			"mappings", (json_int_t)mapping_table_peer_ports(g->mappings, p->key),
			"last_handshake", (json_int_t)p->last_handshake_sec,
			"denied", policy_denies(&g->policy, p->key)));
	}
	return json_pack("{s:o}", "peers", arr);
}

static json_t *error_json(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

static json_t *do_drop(struct gateway *g, json_t *req)
{
	const char *peer = json_string_value(json_object_get(req, "peer"));
	const char *proto = json_string_value(json_object_get(req, "protocol"));
	json_t *port = json_object_get(req, "port");
	size_t n;

	if (peer) {
		uint8_t key[32];

		if (!key_from_base64(key, peer))
			return error_json("peer is not a WireGuard public key");
		n = gateway_drop_peer(g, key, "dropped by operator");
		return json_pack("{s:I}", "dropped", (json_int_t)n);
	}
	if (proto && json_is_integer(port) && json_integer_value(port) > 0 &&
	    json_integer_value(port) < 65536 &&
	    (!strcmp(proto, "tcp") || !strcmp(proto, "udp"))) {
		mapping_table_begin(g->mappings);
		n = mapping_table_drop_port(g->mappings,
					    !strcmp(proto, "tcp") ? MAPPING_TCP : MAPPING_UDP,
					    (uint16_t)json_integer_value(port));
		if (gateway_apply(g, "dropped by operator") < 0)
			return error_json("the kernel refused the change; nothing changed");
		return json_pack("{s:I}", "dropped", (json_int_t)n);
	}
	return error_json("drop needs \"peer\", or \"protocol\" (tcp/udp) and \"port\"");
}

static json_t *handle(struct gateway *g, const char *text)
{
	json_error_t jerr;
	json_t *req = json_loads(text, 0, &jerr), *out;
	const char *cmd = json_string_value(json_object_get(req, "command"));
	char err[512];

	if (!cmd)
		out = error_json("expected {\"command\": ...}");
	else if (!strcmp(cmd, "status"))
		out = do_status(g);
	else if (!strcmp(cmd, "list"))
		out = do_list(g);
	else if (!strcmp(cmd, "peers"))
		out = do_peers(g);
	else if (!strcmp(cmd, "drop"))
		out = do_drop(g, req);
	else if (!strcmp(cmd, "reload"))
		out = gateway_reload(g, err, sizeof(err)) == 0 ? json_pack("{s:b}", "ok", 1)
							       : error_json(err);
	else
		out = error_json("unknown command");
	json_decref(req);
	return out;
}

/* One short exchange per connection. The socket is for root or the control
 * group only, and a one-second timeout bounds how long a client can hold
 * the loop. */
static void accept_one(struct loop_watch *w, uint32_t events)
{
	struct control *c = w->arg;
	struct timeval tv = { 1, 0 };
	char req[REQUEST_MAX + 1];
	size_t len = 0;
	json_t *answer;
	char *text;
	int fd;

	(void)events;
	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < REQUEST_MAX) {
		ssize_t n = read(fd, req + len, REQUEST_MAX - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(req, '\n', len))
			break;
	}
	req[len] = '\0';
	answer = handle(c->g, req);
	text = json_dumps(answer, JSON_COMPACT);
	if (text) {
		size_t off = 0, total = strlen(text);

		while (off < total) {
			ssize_t n = write(fd, text + off, total - off);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (write(fd, "\n", 1) < 0)
			log_debug("control: client went away");
	}
	free(text);
	json_decref(answer);
	close(fd);
}

struct control *control_open(struct gateway *g)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *c = calloc(1, sizeof(*c));
	gid_t gid = 0;
	char dir[108], *slash;
	int fd;

	if (!c)
		return NULL;
	c->g = g;
	snprintf(c->path, sizeof(c->path), "%s", g->policy.control_socket);
	snprintf(dir, sizeof(dir), "%s", c->path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0750);	/* systemd's RuntimeDirectory may have made it */
	}
	if (g->policy.control_group[0]) {
		struct group *gr = getgrnam(g->policy.control_group);

		if (!gr) {
			log_warnx("control: group %s does not exist", g->policy.control_group);
			free(c);
			return NULL;
		}
		gid = gr->gr_gid;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(c->path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(c->path, gid ? 0660 : 0600) < 0 ||
	    (gid && chown(c->path, (uid_t)-1, gid) < 0) || listen(fd, 16) < 0) {
		log_warn("control: %s", c->path);
		if (fd >= 0)
			close(fd);
		free(c);
		return NULL;
	}
	c->watch = (struct loop_watch){ fd, accept_one, c };
	loop_add(&g->loop, &c->watch);
	return c;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	loop_del(&c->g->loop, &c->watch);
	close(c->watch.fd);
	unlink(c->path);
	free(c);
}
