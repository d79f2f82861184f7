/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See renew.h. The epoch check is RFC 6886 §3.6's: a gateway whose epoch
 * advanced less than 7/8 of the time that passed (minus 2 s of slack) lost
 * its mappings, and the client asks again at once — once: a gateway whose
 * epoch goes back round after round is asked no sooner than retry_after. */
#include "client/renew.h"

#include <string.h>

#define NINE_TRIES_MS 127750

void renew_init(struct renew_state *s, const struct renew_config *cfg, int64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->next_ms = now_ms;
}

int64_t renew_round_budget_ms(const struct renew_config *cfg)
{
	int64_t life = (int64_t)cfg->lifetime * 1000;

	return life > 0 && life < NINE_TRIES_MS ? life : NINE_TRIES_MS;
}

bool renew_port_accepted(const struct renew_config *cfg, uint16_t port)
{
	return !cfg->accept_high || (port >= cfg->accept_low && port <= cfg->accept_high);
}

static bool mapped(const struct renew_answer *a)
{
	return a->answered && a->result == 0 && a->external_port && a->lifetime;
}

/* True when the gateway's epoch went backwards (state lost). */
static bool epoch_reset(struct renew_state *s, const struct renew_answer *a, int64_t now_ms)
{
	bool reset = false;

	if (!a->answered)
		return false;
	if (s->has_epoch) {
		int64_t elapsed = (now_ms - s->epoch_at_ms) / 1000;
		int64_t expect = (int64_t)s->epoch + elapsed * 7 / 8 - 2;

		reset = (int64_t)a->epoch < expect;
	}
	s->has_epoch = true;
	s->epoch = a->epoch;
	s->epoch_at_ms = now_ms;
	return reset;
}

/* The granted lifetime decides the next renewal: at renew_after when the
 * gateway granted what was asked, at 3/4 of it when it granted more, or
 * less than renew_after leaves. */
static int64_t renew_in_ms(const struct renew_config *cfg, uint32_t granted)
{
	uint64_t three_quarters = (uint64_t)granted * 750;

	if (granted > cfg->lifetime || three_quarters < (uint64_t)cfg->renew_after * 1000)
		return three_quarters > 1000 ? (int64_t)three_quarters : 1000;
	return (int64_t)cfg->renew_after * 1000;
}

/* When to ask again after the epoch went back, renew_ms being when the
 * grant wants it. The first time at once: the gateway restarted and every
 * mapping must be seen back. Again on the next round: the gateway is broken
 * or hostile, and each round costs an app sync; spaced like a failed round,
 * but never past the renewal, so that the grant does not lapse. */
static int64_t after_reset_ms(struct renew_state *s, int64_t renew_ms)
{
	int64_t spaced = (int64_t)s->cfg.retry_after * 1000;

	if (!s->reasked) {
		s->reasked = true;
		return 0;
	}
	return spaced < renew_ms ? spaced : renew_ms;
}

/* A grant outside accept_ports: no usable port, as after failures (the
 * apps keep what they had, and are told nothing). Said and counted once
 * per port, not every renewal. It is not a failure: the mapping is still
 * renewed, since asking again would only get the same port back. */
static unsigned refuse(struct renew_state *s, uint16_t port)
{
	unsigned ev = 0;

	if (port != s->refused_port) {
		ev |= RENEW_PORT_REFUSED;
		s->refused_port = port;
		s->ports_refused++;
	}
	if (s->port) {
		ev |= RENEW_PORT_LOST;
		s->port = 0;
	}
	return ev;
}

/* The port the apps get changed, or not. */
static unsigned use(struct renew_state *s, uint16_t port, int64_t now_ms)
{
	s->refused_port = 0;
	if (port == s->port)
		return 0;
	s->port = port;
	s->port_changes++;
	s->changed_at_ms = now_ms;
	return RENEW_PORT_CHANGED;
}

static unsigned fail(struct renew_state *s, int64_t now_ms)
{
	unsigned ev = RENEW_FAILED;

	s->failed_rounds++;
	s->failures++;
	s->next_ms = now_ms + (int64_t)s->cfg.retry_after * 1000;
	if (s->cfg.fail_limit && s->failures >= s->cfg.fail_limit &&
	    now_ms >= s->cooldown_until_ms) {
		ev |= RENEW_RECOVER;
		s->recoveries++;
		s->failures = 0;
		s->cooldown_until_ms = now_ms + (int64_t)s->cfg.cooldown * 1000;
		s->next_ms = s->cooldown_until_ms;
	}
	/* Asked twice in vain: the port is not to be relied on. */
	if (s->port && s->failures >= 2) {
		ev |= RENEW_PORT_LOST;
		s->port = 0;
	}
	return ev;
}

unsigned renew_round_done(struct renew_state *s, const struct renew_round *r, int64_t now_ms)
{
	bool want_udp = s->cfg.protos & RENEW_UDP, want_tcp = s->cfg.protos & RENEW_TCP;
	const struct renew_answer *main = want_tcp ? &r->tcp : &r->udp;
	unsigned ev = 0;
	uint32_t granted;

	s->rounds++;
	if (epoch_reset(s, &r->op0, now_ms) ||
	    epoch_reset(s, main->answered ? main : &r->udp, now_ms)) {
		ev |= RENEW_EPOCH_RESET;
		s->epoch_resets++;
	} else {
		s->reasked = false;	/* a sane round ends a streak of resets */
	}
	if (r->op0.answered && r->op0.result == 0 && r->op0.addr != s->addr) {
		if (s->addr)
			ev |= RENEW_ADDRESS_CHANGED;
		s->addr = r->op0.addr;
	}
	if ((want_udp && !mapped(&r->udp)) || (want_tcp && !mapped(&r->tcp)))
		return ev | fail(s, now_ms);
	/* Both asked and different ports: TCP's is the one apps get. */
	if (want_udp && want_tcp && r->udp.external_port != r->tcp.external_port)
		ev |= RENEW_PROTOS_DIFFER;
	s->failures = 0;
	if (renew_port_accepted(&s->cfg, main->external_port))
		ev |= use(s, main->external_port, now_ms);
	else
		ev |= refuse(s, main->external_port);
	granted = main->lifetime;
	if (want_udp && want_tcp && r->udp.lifetime < granted)
		granted = r->udp.lifetime;
	/* The gateway lost its state: what it just granted is new; ask again
	 * soon to be sure every mapping is back. */
	s->next_ms = now_ms + renew_in_ms(&s->cfg, granted);
	if (ev & RENEW_EPOCH_RESET)
		s->next_ms = now_ms + after_reset_ms(s, s->next_ms - now_ms);
	return ev;
}
