/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drives src/nft from the namespace tests: one command per run, "hold" to
 * keep the table's owner alive, or "serve": one writer running the lines
 * "OUTFILE CMD [ARGS] [-- CMD ...]" read from stdin, each writing its output
 * to OUTFILE and answering "end STATUS" on stdout (on kernels without
 * persistent tables the table lives as long as its writer, as it does with
 * portgated). Output is meant for grep, not for people. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "ctnl/conntrack.h"
#include "nft/nft.h"
#include "nft/nft_impl.h"

static uint8_t proto_of(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	fatalx("bad protocol %s", s);
}

static uint32_t addr_of(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		fatalx("bad address %s", s);
	return ntohl(a.s_addr);
}

static void addr6_of(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET6, s, out) != 1)
		fatalx("bad IPv6 address %s", s);
}

static int print_elem(const struct nft_element *e, void *arg)
{
	char text[INET6_ADDRSTRLEN];

	(void)arg;
	if (e->space == NFT_SPACE_IPV4)
		inet_ntop(AF_INET, e->addr.b + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, e->addr.b, text, sizeof(text));
	if (e->space != NFT_SPACE_IPV4)
		printf("%s ", e->space == NFT_SPACE_NAT66 ? "nat66" : "pinhole");
	printf("%s %u %s %u remaining_ms=%llu owner_port=%u lifetime=%u\n",
	       e->proto == IPPROTO_TCP ? "tcp" : e->proto == IPPROTO_UDP ? "udp" : "?",
	       e->external_port, text, e->target_port,
	       (unsigned long long)e->remaining_ms, e->owner_port,
	       e->granted_lifetime_s);
	return 0;
}

static void element(struct nft_element *e, char **argv)
{
	memset(e, 0, sizeof(*e));
	e->proto = proto_of(argv[0]);
	e->external_port = (uint16_t)atoi(argv[1]);
	e->addr = ip_addr_from_v4(addr_of(argv[2]));
	e->target_port = (uint16_t)atoi(argv[3]);
	e->lifetime_s = (uint32_t)atoi(argv[4]);
	e->granted_lifetime_s = e->lifetime_s;
	e->owner_port = e->target_port;
	memset(e->owner, 0x42, sizeof(e->owner));
}

/* SPACE PROTO PORT ADDR6 TARGET_PORT LIFETIME (nat66 or pinhole) */
static void element6(struct nft_element *e, char **argv)
{
	memset(e, 0, sizeof(*e));
	if (!strcmp(argv[0], "nat66"))
		e->space = NFT_SPACE_NAT66;
	else if (!strcmp(argv[0], "pinhole"))
		e->space = NFT_SPACE_PINHOLE;
	else
		fatalx("bad space %s", argv[0]);
	e->proto = proto_of(argv[1]);
	e->external_port = (uint16_t)atoi(argv[2]);
	addr6_of(argv[3], e->addr.b);
	e->target_port = (uint16_t)atoi(argv[4]);
	e->lifetime_s = e->granted_lifetime_s = (uint32_t)atoi(argv[5]);
	e->owner_port = e->target_port;
	memset(e->owner, 0x42, sizeof(e->owner));
}

/* One cleanup of flow, all of it at once, as ctqueue.c spreads it over the
 * daemon's loop. */
static int ct_delete(struct conntrack *ct, const struct ip_addr *orig_dst,
		     const struct ct_flow *flow, size_t *deleted)
{
	struct ct_cleanup *c = conntrack_cleanup_begin(ct, orig_dst, flow, 1);
	int ret;

	if (!c)
		return -errno;
	while ((ret = conntrack_cleanup_step(c, CT_CLEANUP_SLICE, deleted)) > 0)
		;
	conntrack_cleanup_free(c);
	return ret;
}

static int run(struct nft_writer *w, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct nft_element e;
	struct nft_txn *txn;
	int ret;

	if (!strcmp(cmd, "external")) {
		struct ip_addr addrs[8];
		int n = 0;

		for (int i = 1; i < argc && n < 8; i++)
			addrs[n++] = ip_addr_from_v4(addr_of(argv[i]));
		return nft_writer_set_external(w, IP_V4, addrs, (size_t)n);
	}
	if (!strcmp(cmd, "external6") && argc >= 2) {
		struct ip_addr addr;

		addr6_of(argv[1], addr.b);
		return nft_writer_set_external(w, IP_V6, &addr, 1);
	}
	if (!strcmp(cmd, "put6") && argc >= 7) {
		element6(&e, argv + 1);
		txn = nft_txn_begin(w);
		nft_txn_put(txn, &e, argc > 7 && !strcmp(argv[7], "replace"));
		return nft_txn_commit(txn);
	}
	if (!strcmp(cmd, "del6") && argc >= 7) {
		element6(&e, argv + 1);
		txn = nft_txn_begin(w);
		nft_txn_delete_element(txn, &e);
		return nft_txn_commit(txn);
	}
	if (!strcmp(cmd, "put") && argc >= 6) {
		element(&e, argv + 1);
		txn = nft_txn_begin(w);
		nft_txn_put(txn, &e, argc > 6 && !strcmp(argv[6], "replace"));
		return nft_txn_commit(txn);
	}
	if (!strcmp(cmd, "del") && argc >= 3) {
		txn = nft_txn_begin(w);
		nft_txn_delete_element(txn, &(struct nft_element){
			.space = NFT_SPACE_IPV4, .proto = proto_of(argv[1]),
			.external_port = (uint16_t)atoi(argv[2]) });
		return nft_txn_commit(txn);
	}
	/* As on kernels before 6.3: plain DEL, which fails on a missing key. */
	if (!strcmp(cmd, "nodestroy")) {
		w->has_destroy = false;
		return 0;
	}
	/* One batch: delete PROTO PORT, then put the element of ARGS. */
	if (!strcmp(cmd, "delput") && argc >= 8) {
		txn = nft_txn_begin(w);
		nft_txn_delete_element(txn, &(struct nft_element){
			.space = NFT_SPACE_IPV4, .proto = proto_of(argv[1]),
			.external_port = (uint16_t)atoi(argv[2]) });
		element(&e, argv + 3);
		nft_txn_put(txn, &e, false);
		return nft_txn_commit(txn);
	}
	if (!strcmp(cmd, "bulk") && argc >= 5) {
		/* N elements, alternately UDP and TCP, from port START. */
		long n = atol(argv[1]);
		char *spec[5] = { "udp", "0", argv[3], "0", argv[4] };

		txn = nft_txn_begin(w);
		for (long i = 0; i < n; i++) {
			char port[8];

			snprintf(port, sizeof(port), "%ld", atol(argv[2]) + i / 2);
			spec[0] = i % 2 ? "tcp" : "udp";
			spec[1] = port;
			spec[3] = port;
			element(&e, spec);
			if (nft_txn_put(txn, &e, false) < 0)
				fatalx("out of memory");
		}
		return nft_txn_commit(txn);
	}
	if (!strcmp(cmd, "badbatch") && argc >= 6) {
		/* A good put, then the same key again with another target,
		 * which the kernel refuses (EEXIST): nothing may change. */
		struct nft_element clash;

		element(&e, argv + 1);
		clash = e;
		clash.target_port = (uint16_t)(e.target_port + 1);
		txn = nft_txn_begin(w);
		nft_txn_put(txn, &e, false);
		nft_txn_put(txn, &clash, false);
		return nft_txn_commit(txn);
	}
	if (!strcmp(cmd, "churn") && argc >= 3) {
		/* N transactions, each replacing one element: the per-request
		 * kernel cost the daemon pays. */
		long n = atol(argv[1]);
		char *spec[5] = { "udp", argv[2], "10.77.0.2", argv[2], "600" };
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++) {
			element(&e, spec);
			txn = nft_txn_begin(w);
			nft_txn_put(txn, &e, true);
			if ((ret = nft_txn_commit(txn)) < 0)
				return ret;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("churn %ld transactions: %.1f us each\n", n,
		       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / (double)n);
		return 0;
	}
	if (!strcmp(cmd, "dump"))
		return nft_writer_dump(w, print_elem, NULL);
	if (!strcmp(cmd, "remove"))
		return nft_writer_remove_table(w);
	if (!strcmp(cmd, "hold")) {
		printf("holding\n");
		fflush(stdout);
		pause();
		return 0;
	}
	if (!strcmp(cmd, "ctdel") && argc >= 5) {
		struct conntrack *ct = conntrack_open();
		struct ct_flow f = { .proto = proto_of(argv[1]),
				     .external_port = (uint16_t)atoi(argv[2]),
				     .internal_addr = ip_addr_from_v4(addr_of(argv[3])),
				     .target_port = (uint16_t)atoi(argv[4]) };
		struct ip_addr dst = ip_addr_from_v4(argc > 5 ? addr_of(argv[5]) : 0);
		size_t deleted = 0;

		if (!ct)
			return -errno;
		ret = ct_delete(ct, argc > 5 ? &dst : NULL, &f, &deleted);
		printf("conntrack deleted=%zu dumped=%zu\n", deleted, conntrack_last_dump_size(ct));
		conntrack_close(ct);
		return ret;
	}
	if (!strcmp(cmd, "ctcut") && argc >= 4) {
		/* ctcut PROTO PORT ADDRESS: the entries sent to ADDRESS (IPv4 or
		 * IPv6) and PORT that nothing NATed, as a new forward cuts them. */
		struct conntrack *ct = conntrack_open();
		struct ct_flow f = { .proto = proto_of(argv[1]),
				     .external_port = (uint16_t)atoi(argv[2]),
				     .target_port = (uint16_t)atoi(argv[2]),
				     .kind = CT_FLOW_UNNATED };
		size_t deleted = 0;

		if (strchr(argv[3], ':'))
			addr6_of(argv[3], f.internal_addr.b);
		else
			f.internal_addr = ip_addr_from_v4(addr_of(argv[3]));
		if (!ct)
			return -errno;
		ret = ct_delete(ct, NULL, &f, &deleted);
		printf("conntrack deleted=%zu dumped=%zu\n", deleted, conntrack_last_dump_size(ct));
		conntrack_close(ct);
		return ret;
	}
	fatalx("unknown command %s", cmd);
}

/* Several commands in one run, separated by "--"; stops at the first that
 * fails. */
static int run_line(struct nft_writer *w, int argc, char **argv)
{
	int ret = 0;

	for (int i = 0; i < argc;) {
		int j = i;

		while (j < argc && strcmp(argv[j], "--"))
			j++;
		ret = run(w, j - i, argv + i);
		printf("%s: %s%s%s\n", argv[i], ret ? strerror(-ret) : "ok",
		       nft_writer_last_error(w)[0] ? " — " : "",
		       nft_writer_last_error(w));
		fflush(stdout);
		if (ret)
			break;
		i = j + 1;
	}
	return ret;
}

static int serve(struct nft_writer *w)
{
	bool has_destroy = w->has_destroy;
	char line[4096];
	int out = dup(STDOUT_FILENO);

	if (out < 0)
		fatal("dup");
	while (fgets(line, sizeof(line), stdin)) {
		char *argv[64], *save = NULL;
		int argc = 0, ret = 1, fd;

		for (char *t = strtok_r(line, " \t\n", &save); t && argc < 64;
		     t = strtok_r(NULL, " \t\n", &save))
			argv[argc++] = t;
		if (argc < 2)
			continue;
		fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
			w->has_destroy = has_destroy;	/* "nodestroy" is for its line */
			ret = run_line(w, argc - 1, argv + 1);
			fflush(stdout);
			dup2(out, STDOUT_FILENO);
		}
		printf("end %d\n", ret ? 1 : 0);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nft_config cfg = { .table = "portgate", .inner_ifname = "pgin0",
				  .timeout_grace_s = 0, .mark = 0x08000000 };
	struct nft_writer *w;
	bool adopted;
	uint64_t origin;
	int opt, ret;

	log_init(true, false, "nfttool");
	while ((opt = getopt(argc, argv, "+t:i:g:")) != -1) {
		if (opt == 't')
			cfg.table = optarg;
		else if (opt == 'i')
			cfg.inner_ifname = optarg;
		else if (opt == 'g')
			cfg.timeout_grace_s = (uint32_t)atoi(optarg);
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: nfttool [-t table] [-i ifname] [-g grace] CMD [ARGS] [-- CMD ...] | serve\n");
		return 2;
	}
	if (getenv("PORTGATE_TABLE_MODE") &&
	    nft_table_mode_parse(getenv("PORTGATE_TABLE_MODE"), &cfg.mode) < 0)
		fatalx("bad PORTGATE_TABLE_MODE");
	w = nft_writer_open(&cfg);
	if (!w)
		fatal("netlink");
	ret = nft_writer_setup(w, &adopted, &origin);
	if (ret < 0)
		fatalx("setup: %s", strerror(-ret));
	printf("setup adopted=%d owner=%d persist=%d origin=%llu mode=%s stale=%d\n", adopted,
	       nft_writer_features(w)->owner, nft_writer_features(w)->persist,
	       (unsigned long long)origin, nft_table_mode_name(nft_writer_features(w)->mode),
	       nft_writer_stale(w));
	fflush(stdout);
	if (!strcmp(argv[optind], "serve"))
		ret = serve(w);
	else
		ret = run_line(w, argc - optind, argv + optind);
	nft_writer_close(w);
	return ret ? 1 : 0;
}
