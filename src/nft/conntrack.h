/* Removing a forward must also stop the flows it let in: without this, an
 * established connection keeps being forwarded by its conntrack entry long
 * after the map element is gone. */
#ifndef PORTGATE_NFT_CONNTRACK_H
#define PORTGATE_NFT_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

/* The flows of one forward: original direction proto/dport = the external
 * side, reply source = the internal target. */
struct ct_flow {
	uint8_t proto;
	uint16_t external_port;
	uint32_t internal_addr;		/* host byte order */
	uint16_t target_port;
};

struct conntrack;

struct conntrack *conntrack_open(void);
void conntrack_close(struct conntrack *ct);
/* One dump of the IPv4 conntrack table, then one delete per matching entry.
 * With orig_dst (host order; 0: any) the kernel filters the dump to flows
 * sent to that address (5.8+), so that the NATed traffic of a busy VPN
 * server is not read back on every removal. *deleted counts the entries
 * removed. 0 or -errno. */
int conntrack_delete_flows(struct conntrack *ct, uint32_t orig_dst,
			   const struct ct_flow *flows, size_t n, size_t *deleted);
/* Entries the last dump read (for tests and metrics). */
size_t conntrack_last_dump_size(const struct conntrack *ct);

#endif
