/* The gateway's own services: a forward on the external address shadows
 * any local socket that new flows to that port would otherwise reach (a
 * TCP listener, a bound UDP socket: ssh on 2222, a web panel, another
 * WireGuard interface). Asked of the kernel (sock_diag), never of a list. */
#ifndef PORTGATE_NFT_LOCALSOCK_H
#define PORTGATE_NFT_LOCALSOCK_H

#include <stdint.h>

struct local_sockets;

struct local_sockets *local_sockets_open(void);
void local_sockets_close(struct local_sockets *l);
/* 1 when a new flow of proto (IPPROTO_TCP/UDP) to addr:port (host order)
 * would reach a local socket, 0 when none would, -errno. */
int local_sockets_busy(struct local_sockets *l, uint8_t proto, uint32_t addr,
		       uint16_t port);
/* Calls cb for every port that a TCP listener or a bound UDP socket holds
 * on addr or on the wildcard address. 0 or -errno. */
int local_sockets_each(struct local_sockets *l, uint32_t addr,
		       void (*cb)(uint8_t proto, uint16_t port, void *arg), void *arg);

#endif
