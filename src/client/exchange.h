/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One round of NAT-PMP with a gateway: op 0 and a mapping request per
 * protocol, sent together, retransmitted unanswered ones after 250 ms,
 * doubling (RFC 6886 §3.1), until all are answered or the round's budget
 * is spent. The socket is bound to the tunnel's own address (with policy
 * routing an unbound socket's answers are routed elsewhere) and connected
 * to gateway:5351, so the kernel drops answers from anyone else. */
#ifndef PORTGATE_CLIENT_EXCHANGE_H
#define PORTGATE_CLIENT_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "client/renew.h"

struct exchange;

/* Addresses in host byte order. NULL with errno set. */
struct exchange *exchange_open(uint32_t bind_addr, uint32_t gateway);
void exchange_close(struct exchange *x);
int exchange_fd(const struct exchange *x);
/* Sends a new round; lifetime 0 deletes the mappings. */
void exchange_start(struct exchange *x, const struct renew_config *cfg, uint32_t lifetime,
		    int64_t now_ms);
/* The next retransmit or the round's end; INT64_MAX when idle. */
int64_t exchange_next_ms(const struct exchange *x);
/* Call when the timer fires or the socket is readable: true when the round
 * is over (everything answered, or the budget spent). */
bool exchange_step(struct exchange *x, int64_t now_ms);
bool exchange_busy(const struct exchange *x);
const struct renew_round *exchange_round(const struct exchange *x);

#endif
