/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client/clientconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/listenaddr.h"
#include "util/yconf.h"

#define C(l) ((struct client_config *)(l)->out)

#define CREDENTIAL_PREFIX "credential:"

const char *client_path_problem(enum client_path kind, const char *path, char *buf,
				size_t len)
{
	const char *name = path + strlen(CREDENTIAL_PREFIX);
	struct stat st;

	if (kind == CLIENT_PATH_SECRET && !strncmp(path, CREDENTIAL_PREFIX,
						   strlen(CREDENTIAL_PREFIX)))
		/* A name inside $CREDENTIALS_DIRECTORY, never a way out of it. */
		return !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")
		       ? "credential:NAME takes a file name (no /)" : NULL;
	if (path[0] != '/')
		/* The run's directory is the service manager's choice, not the
		 * configuration's: a relative path would land anywhere. */
		return kind == CLIENT_PATH_SECRET ? "must be an absolute path or credential:NAME"
		       : kind == CLIENT_PATH_PROGRAM ? "must be an absolute path (it is run "
						       "without a shell)"
		       : "must be an absolute path";
	if (kind != CLIENT_PATH_PROGRAM)
		return NULL;
	if (stat(path, &st) < 0) {
		snprintf(buf, len, "%s: %s", path, strerror(errno));
		return buf;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
		snprintf(buf, len, "%s is not an executable file", path);
		return buf;
	}
	return NULL;
}

/* The kernel's rule for a name (dev_valid_name): what no link can be
 * called is refused before the run looks for it. */
const char *client_ifname_problem(const char *name)
{
	if (!*name || strlen(name) >= IF_NAMESIZE)
		return "is 1 to 15 characters";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "cannot be . or ..";
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
			return "has no /, : or white space";
	return NULL;
}

/* A path for kind: a string that passes client_path_problem. */
static int get_path(struct yconf *l, yaml_node_t *v, const char *what, enum client_path kind,
		    char *out, size_t max)
{
	char buf[CLIENT_PATH_MAX + 64];
	const char *why;

	if (get_string(l, v, what, out, max))
		return -1;
	why = client_path_problem(kind, out, buf, sizeof(buf));
	return why ? fail_at(l, v, "%s %s", what, why) : 0;
}

static int get_addr(struct yconf *l, yaml_node_t *v, const char *what, uint32_t *out)
{
	struct in_addr a;
	const char *s;

	if (want_scalar(l, v, what, &s))
		return -1;
	if (inet_pton(AF_INET, s, &a) != 1)
		return fail_at(l, v, "%s \"%s\" is not an IPv4 address", what, s);
	*out = ntohl(a.s_addr);
	return 0;
}

static int protocols(struct yconf *l, yaml_node_t *v)
{
	const char *s;

	if (want_scalar(l, v, "protocols", &s))
		return -1;
	if (!strcmp(s, "both"))
		C(l)->renew.protos = RENEW_UDP | RENEW_TCP;
	else if (!strcmp(s, "udp"))
		C(l)->renew.protos = RENEW_UDP;
	else if (!strcmp(s, "tcp"))
		C(l)->renew.protos = RENEW_TCP;
	else
		return fail_at(l, v, "protocols must be both, udp or tcp, not \"%s\"", s);
	return 0;
}

/* A run of decimal digits at s (no sign, no space, which strtoul would
 * let pass): its value, saturated at ULONG_MAX, and end after it. */
static bool digits(const char *s, char **end, unsigned long *v)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, end, 10);
	if (errno == ERANGE)
		*v = ULONG_MAX;
	return true;
}

/* LOW-HIGH, two ports with LOW <= HIGH; an error says which rule broke. */
static int accept_ports(struct yconf *l, yaml_node_t *v)
{
	unsigned long lo, hi;
	const char *s;
	char *end;

	if (want_scalar(l, v, "accept_ports", &s))
		return -1;
	if (!digits(s, &end, &lo) || *end != '-' || !digits(end + 1, &end, &hi) || *end)
		return fail_at(l, v, "accept_ports must be LOW-HIGH (e.g. 49152-65535), "
			       "not \"%s\"", s);
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
		return fail_at(l, v, "accept_ports \"%s\": ports are 1 to 65535", s);
	if (lo > hi)
		return fail_at(l, v, "accept_ports \"%s\": LOW is above HIGH", s);
	C(l)->renew.accept_low = (uint16_t)lo;
	C(l)->renew.accept_high = (uint16_t)hi;
	return 0;
}

static int app_pair(struct yconf *l, const char *key, yaml_node_t *k, yaml_node_t *v,
		    void *arg)
{
	struct client_app *a = arg;

	if (!strcmp(key, "url")) {
		if (get_string(l, v, "url", a->url, sizeof(a->url)))
			return -1;
		if (strncmp(a->url, "http://", 7) && strncmp(a->url, "https://", 8))
			return fail_at(l, v, "url must start with http:// or https://");
		return 0;
	}
	if (!strcmp(key, "username"))
		return get_string(l, v, "username", a->username, sizeof(a->username));
	if (!strcmp(key, "password_file"))
		return get_path(l, v, "password_file", CLIENT_PATH_SECRET, a->password_file,
				sizeof(a->password_file));
	if (!strcmp(key, "timeout"))
		return get_uint(l, v, "timeout", 1, 300, &a->timeout);
	return unknown(l, k, key, "an app's settings (url, username, password_file, timeout)");
}

static int app(struct yconf *l, yaml_node_t *v, const char *what, struct client_app *a)
{
	if (each_pair(l, v, what, app_pair, a))
		return -1;
	if (!a->url[0])
		return fail_at(l, v, "%s needs a url", what);
	if (!a->timeout)
		a->timeout = 5;
	a->on = true;
	return 0;
}

static int recovery_pair(struct yconf *l, const char *key, yaml_node_t *k, yaml_node_t *v,
			 void *arg)
{
	struct client_config *c = C(l);

	(void)arg;
	if (!strcmp(key, "command"))
		return get_string(l, v, "recovery.command", c->recovery_command,
				  sizeof(c->recovery_command));
	if (!strcmp(key, "after"))
		return get_uint(l, v, "recovery.after", 1, 100, &c->renew.fail_limit);
	if (!strcmp(key, "cooldown"))
		return get_uint(l, v, "recovery.cooldown", 0, 3600, &c->renew.cooldown);
	return unknown(l, k, key, "recovery");
}

static int top_pair(struct yconf *l, const char *key, yaml_node_t *k, yaml_node_t *v,
		    void *arg)
{
	struct client_config *c = C(l);
	uint32_t n;

	(void)arg;
	if (!strcmp(key, "interface")) {
		char name[64];
		const char *why;

		if (get_string(l, v, "interface", name, sizeof(name)))
			return -1;
		if ((why = client_ifname_problem(name)))
			return fail_at(l, v, "interface \"%s\" %s", name, why);
		memcpy(c->interface, name, strlen(name) + 1);	/* < IF_NAMESIZE */
		return 0;
	}
	if (!strcmp(key, "gateway")) {
		c->has_gateway = true;
		return get_addr(l, v, "gateway", &c->gateway);
	}
	if (!strcmp(key, "protocols"))
		return protocols(l, v);
	if (!strcmp(key, "internal_port")) {
		if (get_uint(l, v, "internal_port", 1, 65535, &n))
			return -1;
		c->renew.internal_port = (uint16_t)n;
		return 0;
	}
	if (!strcmp(key, "lifetime"))
		return get_uint(l, v, "lifetime", 2, 86400, &c->renew.lifetime);
	if (!strcmp(key, "renew_every"))
		return get_uint(l, v, "renew_every", 1, 86400, &c->renew.renew_after);
	if (!strcmp(key, "retry_every"))
		return get_uint(l, v, "retry_every", 1, 3600, &c->renew.retry_after);
	if (!strcmp(key, "accept_ports"))
		return accept_ports(l, v);
	if (!strcmp(key, "port_file"))
		return get_path(l, v, "port_file", CLIENT_PATH_WRITTEN, c->port_file,
				sizeof(c->port_file));
	if (!strcmp(key, "hook"))
		return get_path(l, v, "hook", CLIENT_PATH_PROGRAM, c->hook, sizeof(c->hook));
	if (!strcmp(key, "down_hook"))
		return get_path(l, v, "down_hook", CLIENT_PATH_PROGRAM, c->down_hook,
				sizeof(c->down_hook));
	if (!strcmp(key, "transmission"))
		return app(l, v, "transmission", &c->transmission);
	if (!strcmp(key, "qbittorrent"))
		return app(l, v, "qbittorrent", &c->qbittorrent);
	if (!strcmp(key, "recovery"))
		return each_pair(l, v, "recovery", recovery_pair, NULL);
	if (!strcmp(key, "delete_on_stop"))
		return get_bool(l, v, "delete_on_stop", &c->delete_on_stop);
	if (!strcmp(key, "metrics_listen")) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (get_string(l, v, "metrics_listen", c->metrics_listen,
			       sizeof(c->metrics_listen)))
			return -1;
		/* Refused here, not only when the run opens it (-n says so). */
		if (listen_addr_parse(c->metrics_listen, &ss, &sl) < 0)
			return fail_at(l, v, "metrics_listen must be ADDRESS:PORT, "
				       "e.g. 127.0.0.1:9835 or [::1]:9835");
		return 0;
	}
	return unknown(l, k, key, "the configuration");
}

static int load_root(struct yconf *l, yaml_node_t *root)
{
	struct client_config *c = C(l);

	if (!root)
		return fail_at(l, NULL, "the configuration is empty");
	if (each_pair(l, root, "the configuration", top_pair, NULL))
		return -1;
	if (!c->interface[0])
		return fail_at(l, root, "interface (the WireGuard interface) is required");
	if (c->renew.renew_after >= c->renew.lifetime)
		return fail_at(l, root, "renew_every (%u) must be shorter than lifetime (%u)",
			       c->renew.renew_after, c->renew.lifetime);
	if (c->renew.fail_limit && !c->recovery_command[0])
		return fail_at(l, root, "recovery.after needs recovery.command");
	return 0;
}

void client_config_defaults(struct client_config *c)
{
	memset(c, 0, sizeof(*c));
	c->renew = (struct renew_config){
		.protos = RENEW_UDP | RENEW_TCP, .internal_port = 1, .lifetime = 60,
		.renew_after = 45, .retry_after = 15, .fail_limit = 0, .cooldown = 10,
	};
}

int client_config_load_string(const char *name, const char *text, size_t len,
			      struct client_config *out, char *err, size_t errlen)
{
	struct client_config c;
	struct yconf l = { .name = name, .out = &c, .err = err, .errlen = errlen };

	client_config_defaults(&c);
	if (yconf_parse(&l, text, len, load_root))
		return -1;
	/* recovery.command alone: the seed's 3 failures. */
	if (c.recovery_command[0] && !c.renew.fail_limit)
		c.renew.fail_limit = 3;
	*out = c;
	return 0;
}

int client_config_load(const char *path, struct client_config *out, char *err, size_t errlen)
{
	size_t len;
	char *text = yconf_read_file(path, &len, err, errlen);
	int ret;

	if (!text)
		return -1;
	ret = client_config_load_string(path, text, len, out, err, errlen);
	free(text);
	return ret;
}
