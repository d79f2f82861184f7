/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A gateway for unit tests of the daemon core: the real core, the fake
 * data plane (fake_nft.c), a fake userspace WireGuard answering on a unix
 * socket with two peers at 127.0.0.2 and 127.0.0.3, and clients sending
 * real datagrams over loopback to a socket the test hands to the request
 * path. */
#ifndef PORTGATE_TESTS_CORE_HARNESS_H
#define PORTGATE_TESTS_CORE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_A_ADDR "127.0.0.2"
#define PEER_B_ADDR "127.0.0.3"
#define STRANGER_ADDR "127.0.0.9"

struct gateway;

struct harness {
	struct gateway *g;
	int server_fd;		/* the gateway's side: 127.0.0.1, any port */
	uint16_t server_port;
	int clients[3];		/* bound to PEER_A, PEER_B, STRANGER */
	int server6_fd, client6;	/* harness_up6: both on ::1; -1 before */
	uint16_t server6_port;
	char dir[64];
	int uapi_pid;
};

/* cmocka fixtures: a harness with the default policy in *state. */
int harness_setup(void **state);
int harness_teardown(void **state);
/* extra_yaml is appended to the test policy, extra_peers to the peers the
 * fake WireGuard lists (UAPI lines); either may be "". */
void harness_up(struct harness *h, const char *extra_yaml, const char *extra_peers);
void harness_down(struct harness *h);
/* IPv6 over loopback: the gateway's socket and one client, both on ::1
 * (give a peer allowed_ip=::1/128). false when this host has no IPv6
 * loopback (the test skips). */
bool harness_up6(struct harness *h);
void harness_send6(struct harness *h, const void *buf, size_t len);
void harness_serve6(struct harness *h);
int harness_recv6(struct harness *h, uint8_t *buf, size_t cap);
/* The fake WireGuard lists these peers from its next answer on. */
void harness_set_peers(struct harness *h, const char *extra_peers);
/* Runs the gateway's event loop for ms milliseconds. */
void harness_run(struct harness *h, int ms);
/* Runs it until done(arg) holds, at most deadline_ms: whether it held. */
bool harness_run_until(struct harness *h, bool (*done)(void *arg), void *arg,
		       int deadline_ms);
/* Runs it until the conntrack queue has cut everything pushed so far (a
 * failed assertion after 2 s). */
void harness_settle_conntrack(struct harness *h);
/* Runs it until fd has something to read, or its end (a failed assertion
 * after deadline_ms). */
void harness_run_until_readable(struct harness *h, int fd, int deadline_ms);
/* Client i sends a datagram to the gateway. */
void harness_send(struct harness *h, int client, const void *buf, size_t len);
/* The gateway serves everything sent so far, as one batch. */
void harness_serve(struct harness *h);
/* Client i's next answer (waits up to 1 s): its length, or -1. */
int harness_recv(struct harness *h, int client, uint8_t *buf, size_t cap);
/* The control command's answer must contain want. */
void harness_says(struct harness *h, const char *request, const char *want);
/* A NAT-PMP mapping request (op 1 UDP, 2 TCP). */
void harness_map(struct harness *h, int client, uint8_t op, uint16_t internal,
		 uint16_t suggested, uint32_t lifetime);

#endif
