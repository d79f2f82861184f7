/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgatectl: the operator's view of a running portgated. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/policy.h"

#define DEFAULT_SOCKET "/run/portgate/control.sock"
#define EXIT_NOT_RUNNING 3

/* --help on stdout, exit 0; a usage error on stderr, exit 2. */
static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: portgatectl [-c POLICY | -s SOCKET] [--json] COMMAND\n"
		"       portgatectl --help | --version\n"
		"  -c POLICY         the socket the policy's control.socket names (default:\n"
		"                    " POLICY_DEFAULT_PATH "'s, else " DEFAULT_SOCKET ")\n"
		"  -s SOCKET         this socket\n"
		"  status            version, uptime, epoch, external address, counts\n"
		"  list              every mapping: peer, kind (dynamic or static), protocol,\n"
		"                    ports, lifetime left\n"
		"  peers             WireGuard peers, allowed-ips, mappings, handshakes\n"
		"  drop PEER         remove every mapping of a peer (public key)\n"
		"  drop PROTO/PORT   remove one mapping, e.g. drop tcp/40000\n"
		"  reload            re-read the policy (like SIGHUP)\n"
		"  forward list [PEER]                  static forwards (policy and run time)\n"
		"  forward add PEER PROTO/EXTERNAL [INTERNAL [ADDRESS]]\n"
		"                    EXTERNAL and INTERNAL may be ranges: tcp/30000-30009\n"
		"                    add a static forward at run time (kept in the daemon's\n"
		"                    state file), e.g. forward add alice tcp/2222 22\n"
		"  forward del PEER PROTO/PORT          remove it (or drop that dynamic mapping)\n"
		"  PEER: a public key or the peer's name in the policy; PROTO: tcp, udp, both\n"
		"exit: 0 ok, 1 refused or permission denied, 2 usage, 3 portgated not running\n");
	exit(status);
}

/* Why connect failed, said so that the operator knows what to do. */
static void connect_failed(const char *path)
{
	int saved = errno;
	struct stat st;
	struct group *gr;

	if (saved != EACCES && saved != EPERM) {
		fprintf(stderr, "portgatectl: portgated is not running (cannot connect "
			"to %s: %s)\n", path, strerror(saved));
		exit(EXIT_NOT_RUNNING);
	}
	gr = stat(path, &st) == 0 ? getgrgid(st.st_gid) : NULL;
	fprintf(stderr, "portgatectl: permission denied on %s: run as root or as a member "
		"of its group%s%s%s (the policy's control.group)\n", path,
		gr ? " (" : "", gr ? gr->gr_name : "", gr ? ")" : "");
	exit(1);
}

/* The socket a policy names (control.socket). An unreadable or bad policy
 * named with -c is an error (exit 1); the default one, when absent or
 * unreadable, leaves the default socket, and when bad, says so too. */
static const char *policy_socket(const char *path, bool named, char *buf, size_t len)
{
	struct policy p;
	char err[512];

	if (!named && access(path, R_OK) < 0)
		return DEFAULT_SOCKET;
	if (policy_load(path, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "portgatectl: cannot find the control socket: %s\n", err);
		if (named)
			exit(1);
		return DEFAULT_SOCKET;
	}
	snprintf(buf, len, "%s", p.control_socket);
	policy_free(&p);
	return buf;
}

static json_t *ask(const char *path, json_t *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	json_error_t jerr;
	json_t *answer;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		connect_failed(path);
	if (!text || !buf || write(fd, text, strlen(text)) < 0 || write(fd, "\n", 1) < 0) {
		fprintf(stderr, "portgatectl: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	answer = json_loadb(buf, len, 0, &jerr);
	if (!answer) {
		fprintf(stderr, "portgatectl: unreadable answer from portgated: %s\n", jerr.text);
		exit(1);
	}
	free(buf);
	free(text);
	return answer;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void short_key(char out[9], const char *key)
{
	snprintf(out, 9, "%s", key);
}

static void print_status(json_t *a)
{
	json_t *m = json_object_get(a, "mappings"), *p = json_object_get(a, "policy");
	json_t *f = json_object_get(a, "static_forwards");
	time_t loaded = (time_t)num(p, "loaded_at");
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&loaded));
	printf("portgated %s, up %llds\n", str(a, "version"), num(a, "uptime"));
	printf("epoch:            %lld\n", num(a, "epoch"));
	printf("external address: %s\n", str(a, "external_address"));
	/* external.advertise: clients are told the address above. */
	if (json_object_get(a, "matched_address"))
		printf("forwards match:   %s\n", str(a, "matched_address"));
	printf("interface:        %s (%s)\n", str(a, "interface"), str(a, "wireguard_backend"));
	printf("peers:            %lld\n", num(a, "peers"));
	printf("mappings:         %lld udp, %lld tcp\n", num(m, "udp"), num(m, "tcp"));
	printf("static forwards:  %lld udp, %lld tcp\n", num(f, "udp"), num(f, "tcp"));
	printf("policy:           %s, loaded %s\n", str(p, "path"), when);
}

static void print_list(json_t *a)
{
	json_t *arr = json_object_get(a, "mappings"), *m;
	size_t i;

	printf("%-16s %-6s %-7s %-6s %-5s %-8s %-22s %s\n", "PEER", "FAMILY", "KIND", "VIA",
	       "PROTO", "EXTERNAL", "INTERNAL", "LEFT");
	json_array_foreach(arr, i, m) {
		char peer[9], target[64], left[48];
		const char *name = json_string_value(json_object_get(m, "peer_name"));
		bool v6 = !strcmp(str(m, "family"), "ipv6");

		short_key(peer, str(m, "peer"));
		snprintf(target, sizeof(target), v6 ? "[%s]:%lld" : "%s:%lld",
			 str(m, "internal_address"), num(m, "internal_port"));
		if (json_is_null(json_object_get(m, "lifetime")))
			snprintf(left, sizeof(left), "never expires");
		else
			snprintf(left, sizeof(left), "%llds of %llds", num(m, "remaining"),
				 num(m, "lifetime"));
		printf("%-16s %-6s %-7s %-6s %-5s %-8lld %-22s %s\n", name ? name : peer,
		       str(m, "family"), str(m, "kind"), str(m, "via"), str(m, "protocol"),
		       num(m, "external_port"), target, left);
	}
	if (!json_array_size(arr))
		printf("(no mappings)\n");
}

/* A port, or a range as the daemon writes it ("30000-30009"). */
static const char *ports_text(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	snprintf(buf, len, "%lld", json_integer_value(v));
	return buf;
}

static void print_forwards(json_t *a)
{
	json_t *arr = json_object_get(a, "forwards"), *f;
	size_t i;

	printf("%-16s %-8s %-5s %-11s %-26s %s\n", "PEER", "ORIGIN", "PROTO", "EXTERNAL",
	       "INTERNAL", "STATE");
	json_array_foreach(arr, i, f) {
		char peer[9], target[64], ext[16], in[16];
		const char *name = json_string_value(json_object_get(f, "peer_name"));

		short_key(peer, str(f, "peer"));
		snprintf(target, sizeof(target), "%s:%s",
			 json_is_null(json_object_get(f, "address")) ? "(peer)" : str(f, "address"),
			 ports_text(f, "internal", in, sizeof(in)));
		printf("%-16s %-8s %-5s %-11s %-26s %s\n", name ? name : peer, str(f, "origin"),
		       str(f, "protocol"), ports_text(f, "external", ext, sizeof(ext)), target,
		       json_is_true(json_object_get(f, "installed")) ? "installed"
								: "peer away");
	}
	if (!json_array_size(arr))
		printf("(no static forwards)\n");
}

/* A port as a number, a range as text: the daemon checks both. */
static json_t *port_json(const char *text)
{
	return text[0] && !text[strspn(text, "0123456789")] ? json_integer(atoi(text))
							    : json_string(text);
}

/* forward list [PEER] | add PEER PROTO/EXT [INT [ADDR]] | del PEER PROTO/PORT */
static json_t *forward_request(int argc, char **argv)
{
	const char *action = argc > 0 ? argv[0] : "", *ports;
	char proto[8];
	unsigned port;
	json_t *req;

	if (!strcmp(action, "list") && argc <= 2) {
		req = json_pack("{s:s, s:s}", "command", "forward", "action", "list");
		if (argc == 2)
			json_object_set_new(req, "peer", json_string(argv[1]));
		return req;
	}
	if (argc < 3 || sscanf(argv[2], "%7[a-z]/%u", proto, &port) != 2)
		usage(stderr, 2);
	ports = strchr(argv[2], '/') + 1;
	if (!strcmp(action, "del") && argc == 3)
		return json_pack("{s:s, s:s, s:s, s:s, s:i}", "command", "forward", "action",
				 "del", "peer", argv[1], "protocol", proto, "port", (int)port);
	if (strcmp(action, "add") || argc > 5)
		usage(stderr, 2);
	req = json_pack("{s:s, s:s, s:s, s:s, s:o}", "command", "forward", "action", "add",
			"peer", argv[1], "protocol", proto, "external", port_json(ports));
	if (argc >= 4)
		json_object_set_new(req, "internal", port_json(argv[3]));
	if (argc == 5)
		json_object_set_new(req, "address", json_string(argv[4]));
	return req;
}

static void print_peers(json_t *a)
{
	json_t *arr = json_object_get(a, "peers"), *p, *ip;
	size_t i, k;

	printf("%-44s %-16s %-8s %-10s %s\n", "PEER", "NAME", "MAPPINGS", "HANDSHAKE",
	       "ALLOWED IPS");
	json_array_foreach(arr, i, p) {
		long long hs = num(p, "last_handshake");
		const char *name = json_string_value(json_object_get(p, "name"));
		char ago[32];

		if (hs)
			snprintf(ago, sizeof(ago), "%llds ago", (long long)time(NULL) - hs);
		else
			snprintf(ago, sizeof(ago), "never");
		printf("%-44s %-16s %-8lld %-10s ", str(p, "key"), name ? name : "-",
		       num(p, "mappings"), ago);
		json_array_foreach(json_object_get(p, "allowed_ips"), k, ip)
			printf("%s%s", k ? "," : "", json_string_value(ip));
		if (json_is_true(json_object_get(p, "denied")))
			printf(" (denied by policy)");
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *policy = NULL, *cmd;
	char from_policy[sizeof(((struct policy *)0)->control_socket)];
	bool as_json = false;
	json_t *req, *answer;
	int opt, ret = 0;

	while ((opt = getopt_long(argc, argv, "jc:s:hV", opts, NULL)) != -1) {
		if (opt == 'j') {
			as_json = true;
		} else if (opt == 's') {
			path = optarg;
		} else if (opt == 'c') {
			policy = optarg;
		} else if (opt == 'h') {
			usage(stdout, 0);
		} else if (opt == 'V') {
			printf("portgatectl %s\n", PORTGATE_VERSION);
			return 0;
		} else {
			usage(stderr, 2);
		}
	}
	if (optind >= argc || (path && policy))
		usage(stderr, 2);
	if (!path)
		path = policy_socket(policy ? policy : POLICY_DEFAULT_PATH, policy != NULL,
				     from_policy, sizeof(from_policy));
	cmd = argv[optind];
	if (!strcmp(cmd, "drop")) {
		char proto[8];
		unsigned port;

		if (optind + 2 != argc)
			usage(stderr, 2);
		if (sscanf(argv[optind + 1], "%7[a-z]/%u", proto, &port) == 2)
			req = json_pack("{s:s, s:s, s:i}", "command", "drop", "protocol", proto,
					"port", (int)port);
		else
			req = json_pack("{s:s, s:s}", "command", "drop", "peer", argv[optind + 1]);
	} else if (!strcmp(cmd, "forward")) {
		req = forward_request(argc - optind - 1, argv + optind + 1);
	} else if (!strcmp(cmd, "status") || !strcmp(cmd, "list") || !strcmp(cmd, "peers") ||
		   !strcmp(cmd, "reload")) {
		if (optind + 1 != argc)
			usage(stderr, 2);
		req = json_pack("{s:s}", "command", cmd);
	} else {
		usage(stderr, 2);
	}
	answer = ask(path, req);
	if (json_object_get(answer, "error")) {
		fprintf(stderr, "portgatectl: %s\n", str(answer, "error"));
		ret = 1;
	} else if (as_json) {
		char *text = json_dumps(answer, JSON_INDENT(2));

		printf("%s\n", text);
		free(text);
	} else if (!strcmp(cmd, "status")) {
		print_status(answer);
	} else if (!strcmp(cmd, "list")) {
		print_list(answer);
	} else if (!strcmp(cmd, "peers")) {
		print_peers(answer);
	} else if (!strcmp(cmd, "drop")) {
		printf("dropped %lld mapping(s)\n", num(answer, "dropped"));
	} else if (!strcmp(cmd, "forward") && json_object_get(answer, "forwards")) {
		print_forwards(answer);
	} else if (!strcmp(cmd, "forward") && json_object_get(answer, "removed")) {
		printf("removed (%lld mapping(s) went)\n", num(answer, "removed"));
	} else if (!strcmp(cmd, "forward")) {
		printf("added%s\n", json_is_true(json_object_get(answer, "installed"))
					     ? "" : " (installed when its peer is on the interface)");
	} else {
		printf("policy reloaded\n");
	}
	json_decref(req);
	json_decref(answer);
	return ret;
}
