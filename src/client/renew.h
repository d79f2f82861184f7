/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client's renewal rules, as a state machine without sockets or
 * clocks (callers pass "now"): what a round of answers means — the port,
 * its changes, a port outside accept_ports, the gateway's epoch going
 * backwards, failures and when to run the recovery command — and when to
 * ask next. */
#ifndef PORTGATE_CLIENT_RENEW_H
#define PORTGATE_CLIENT_RENEW_H

#include <stdbool.h>
#include <stdint.h>

#define RENEW_UDP 1u
#define RENEW_TCP 2u

struct renew_config {
	unsigned protos;		/* RENEW_UDP | RENEW_TCP */
	uint16_t internal_port;		/* 1: ProtonVPN's "any port, to itself" */
	uint32_t lifetime;		/* asked for, seconds (60) */
	uint32_t renew_after;		/* seconds (45) */
	uint32_t retry_after;		/* seconds after a failed round (15) */
	uint32_t fail_limit;		/* failed rounds before recovery; 0: never */
	uint32_t cooldown;		/* seconds after a recovery (10) */
	uint16_t accept_low, accept_high;	/* accept_ports; high 0: any port */
};

/* What one round heard: the external address (op 0) and each mapping. */
struct renew_answer {
	bool answered;
	uint16_t result;		/* RFC 6886 */
	uint32_t epoch;
	uint16_t external_port;
	uint32_t lifetime;
	uint32_t addr;			/* op 0 only, host byte order */
};

struct renew_round {
	struct renew_answer op0, udp, tcp;
};

/* What a round changed; the daemon acts on them. */
enum renew_event {
	RENEW_PORT_CHANGED = 1u << 0,	/* tell the apps */
	RENEW_PORT_LOST = 1u << 1,	/* no port any more (failures, refused) */
	RENEW_EPOCH_RESET = 1u << 2,	/* the gateway lost its state */
	RENEW_RECOVER = 1u << 3,	/* run the recovery command now */
	RENEW_PROTOS_DIFFER = 1u << 4,	/* UDP and TCP got different ports */
	RENEW_ADDRESS_CHANGED = 1u << 5,
	RENEW_FAILED = 1u << 6,		/* this round failed */
	RENEW_PORT_REFUSED = 1u << 7,	/* a new grant outside accept_ports */
};

struct renew_state {
	struct renew_config cfg;
	uint16_t port;			/* in use; 0: none */
	uint16_t refused_port;		/* granted, outside accept_ports; 0: none */
	uint32_t addr;			/* external address; 0: unknown */
	bool has_epoch;
	uint32_t epoch;
	int64_t epoch_at_ms;
	uint32_t failures;		/* consecutive failed rounds */
	int64_t next_ms;		/* the next round */
	int64_t cooldown_until_ms;
	bool reasked;			/* the last reset was asked again at once */
	/* Counters for the metrics. */
	uint64_t rounds, failed_rounds, port_changes, recoveries;
	uint64_t epoch_resets;		/* rounds whose epoch went back */
	uint64_t ports_refused;		/* grants outside accept_ports, once a port */
	int64_t changed_at_ms;
};

void renew_init(struct renew_state *s, const struct renew_config *cfg, int64_t now_ms);
/* A round ended (answered or timed out): returns enum renew_event bits
 * and sets next_ms. */
unsigned renew_round_done(struct renew_state *s, const struct renew_round *r, int64_t now_ms);
/* How long a round may wait for its answers: RFC 6886's nine tries
 * (127.75 s), cut to the lifetime asked so that a round never outlives
 * the mapping it renews. */
int64_t renew_round_budget_ms(const struct renew_config *cfg);
/* Whether port is one the apps may be given (accept_ports). */
bool renew_port_accepted(const struct renew_config *cfg, uint16_t port);

#endif
