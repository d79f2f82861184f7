/* The gateway's own services: a forward on the external address shadows
 * any local socket that new flows to that port would otherwise reach (a
 * TCP listener, a bound UDP socket: ssh on 2222, a web panel, another
 * WireGuard interface). Asked of the kernel (sock_diag), never of a list. */
#ifndef PORTGATE_NFT_LOCALSOCK_H
#define PORTGATE_NFT_LOCALSOCK_H

#include <stdbool.h>
#include <stdint.h>

struct local_sockets;

struct local_sockets *local_sockets_open(void);
void local_sockets_close(struct local_sockets *l);
/* Reads which ports a TCP listener or a bound UDP socket holds on addr or
 * on the wildcard address (one dump each): a snapshot that the queries
 * below answer from. 0 or -errno. */
int local_sockets_refresh(struct local_sockets *l, uint32_t addr);
/* As of the last refresh: a new flow of proto (IPPROTO_TCP/UDP) to the
 * port would reach a local socket. */
bool local_sockets_in_use(const struct local_sockets *l, uint8_t proto, uint16_t port);
/* Calls cb for every port that a TCP listener or a bound UDP socket holds
 * on addr or on the wildcard address. 0 or -errno. */
int local_sockets_each(struct local_sockets *l, uint32_t addr,
		       void (*cb)(uint8_t proto, uint16_t port, void *arg), void *arg);

#endif
