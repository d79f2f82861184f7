/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink: the state of an interface, its addresses (IPv4, global IPv6,
 * and every address of the host for the gateway's own), and a socket
 * that wakes the event loop whenever links or addresses change. Events are
 * only a trigger: the owner re-reads the state it cares about, so a lost
 * event (ENOBUFS) costs nothing but a re-read. */
#ifndef PORTGATE_WGPEER_RTNL_H
#define PORTGATE_WGPEER_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

struct rtnl_watch;

struct rtnl_link_state {
	bool exists;
	bool up;
	int ifindex;
};

struct rtnl_watch *rtnl_watch_open(void);
void rtnl_watch_close(struct rtnl_watch *w);
int rtnl_watch_fd(const struct rtnl_watch *w);
/* Drains pending events; true when anything about links or addresses
 * changed (or events were lost). */
bool rtnl_watch_drain(struct rtnl_watch *w);

/* Queries go through the watch's own query socket, opened once. */
int rtnl_link_get(struct rtnl_watch *w, const char *ifname,
		  struct rtnl_link_state *state);
/* The global addresses of family fam of ifname, at most max, in the
 * kernel's order; IPv6 ones only when ready for use (DAD done). */
int rtnl_addrs(struct rtnl_watch *w, const char *ifname, enum ip_family fam,
	       struct ip_addr *addrs, size_t max, size_t *n);

/* Every address of every interface, both families, as the kernel lists
 * them: cb gets each with its
 * prefix length, and an IPv4 address's broadcast address too (IFA_BROADCAST,
 * prefix length 32) where it has one. 0 or -errno. */
int rtnl_all_addrs(struct rtnl_watch *w,
		   void (*cb)(const struct ip_addr *addr, uint8_t prefixlen, void *arg),
		   void *arg);
/* One message of that dump (the kernel's bytes: fuzzed). */
struct nlmsghdr;
void rtnl_parse_addr(const struct nlmsghdr *nlh,
		     void (*cb)(const struct ip_addr *addr, uint8_t prefixlen, void *arg),
		     void *arg);

#endif
