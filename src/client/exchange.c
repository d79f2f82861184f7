/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client/exchange.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "natpmp/codec.h"

#define FIRST_WAIT_MS 250

enum { ASK_OP0, ASK_UDP, ASK_TCP, ASK_COUNT };

struct exchange {
	int fd;
	bool busy;
	bool asked[ASK_COUNT];
	uint8_t req[ASK_COUNT][NATPMP_MAP_REQUEST_LEN];
	size_t req_len[ASK_COUNT];
	int64_t deadline_ms, resend_ms, wait_ms;
	struct renew_round round;
};

struct exchange *exchange_open(uint32_t bind_addr, uint32_t gateway)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(bind_addr) };
	struct sockaddr_in gw = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(gateway),
				  .sin_port = htons(NATPMP_SERVER_PORT) };
	struct exchange *x = calloc(1, sizeof(*x));
	int err;

	if (!x)
		return NULL;
	x->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd >= 0 && bind(x->fd, (struct sockaddr *)&me, sizeof(me)) == 0 &&
	    connect(x->fd, (struct sockaddr *)&gw, sizeof(gw)) == 0)
		return x;
	err = errno;
	exchange_close(x);
	errno = err;
	return NULL;
}

void exchange_close(struct exchange *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

int exchange_fd(const struct exchange *x)
{
	return x->fd;
}

static struct renew_answer *answer_slot(struct exchange *x, int ask)
{
	return ask == ASK_OP0 ? &x->round.op0 : ask == ASK_UDP ? &x->round.udp : &x->round.tcp;
}

static void send_unanswered(struct exchange *x)
{
	for (int a = 0; a < ASK_COUNT; a++)
		if (x->asked[a] && !answer_slot(x, a)->answered)
			(void)send(x->fd, x->req[a], x->req_len[a], 0);	/* lost: resent */
}

void exchange_start(struct exchange *x, const struct renew_config *cfg, uint32_t lifetime,
		    int64_t now_ms)
{
	static const uint8_t ops[ASK_COUNT] = { NATPMP_OP_EXTERNAL_ADDRESS, NATPMP_OP_MAP_UDP,
						NATPMP_OP_MAP_TCP };

	memset(&x->round, 0, sizeof(x->round));
	x->asked[ASK_OP0] = lifetime != 0;
	x->asked[ASK_UDP] = cfg->protos & RENEW_UDP;
	x->asked[ASK_TCP] = cfg->protos & RENEW_TCP;
	for (int a = 0; a < ASK_COUNT; a++)
		x->req_len[a] = natpmp_encode_request(x->req[a], sizeof(x->req[a]), ops[a],
						      cfg->internal_port, 0, lifetime);
	x->busy = true;
	x->wait_ms = FIRST_WAIT_MS;
	x->resend_ms = now_ms + x->wait_ms;
	x->deadline_ms = now_ms + renew_round_budget_ms(cfg);
	send_unanswered(x);
}

int64_t exchange_next_ms(const struct exchange *x)
{
	if (!x->busy)
		return INT64_MAX;
	return x->resend_ms < x->deadline_ms ? x->resend_ms : x->deadline_ms;
}

bool exchange_busy(const struct exchange *x)
{
	return x->busy;
}

const struct renew_round *exchange_round(const struct exchange *x)
{
	return &x->round;
}

/* The socket is connected: only gateway:5351 gets here. */
static void read_answers(struct exchange *x)
{
	uint8_t buf[64];
	ssize_t n;

	while ((n = recv(x->fd, buf, sizeof(buf), 0)) >= 0) {
		struct natpmp_response r;
		struct renew_answer *a;
		int ask;

		if (!natpmp_decode_response(buf, (size_t)n, &r) || r.opcode > NATPMP_OP_MAP_TCP)
			continue;
		ask = r.opcode;	/* 0, 1 (UDP), 2 (TCP): the same order */
		if (!x->asked[ask] || (ask != ASK_OP0 && r.internal_port != 0 &&
				       r.internal_port != (uint16_t)(x->req[ask][4] << 8 |
								     x->req[ask][5])))
			continue;
		a = answer_slot(x, ask);
		a->answered = true;
		a->result = r.result;
		a->epoch = r.epoch;
		a->addr = r.addr;
		a->external_port = r.external_port;
		a->lifetime = r.lifetime;
	}
}

static bool all_answered(struct exchange *x)
{
	for (int a = 0; a < ASK_COUNT; a++)
		if (x->asked[a] && !answer_slot(x, a)->answered)
			return false;
	return true;
}

bool exchange_step(struct exchange *x, int64_t now_ms)
{
	if (!x->busy)
		return false;
	read_answers(x);
	if (all_answered(x) || now_ms >= x->deadline_ms) {
		x->busy = false;
		return true;
	}
	if (now_ms >= x->resend_ms) {
		x->wait_ms *= 2;
		x->resend_ms = now_ms + x->wait_ms;
		send_unanswered(x);
	}
	return false;
}
