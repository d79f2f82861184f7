/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The writer's internals, shared by writer.c and elements.c. */
#ifndef PORTGATE_NFT_IMPL_H
#define PORTGATE_NFT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "nft/nft.h"
#include "util/nlutil.h"

/* The address sets, as nft_writer_set_* last filled them: a rebuild fills
 * them again. */
enum { ADDR_EXTERNAL4, ADDR_TUNNEL4, ADDR_EXTERNAL6, ADDR_TUNNEL6, ADDR_SETS };
#define ADDR_SET_MAX 64

struct nft_writer {
	struct nft_config cfg;
	struct nl_sock *sock;
	struct nft_features features;
	bool has_destroy;	/* NFT_MSG_DESTROYSETELEM: no ENOENT */
	uint32_t flags;		/* the tables' flags in this mode */
	uint64_t epoch_origin_ms;	/* the tables' comment */
	bool stale;
	struct {
		uint8_t bytes[ADDR_SET_MAX * 16];
		size_t n;
	} addrs[ADDR_SETS];
	char last_error[256];
};

struct nft_txn {
	struct nft_writer *w;
	bool rebuild;		/* nft_txn_begin_rebuild */
	struct nft_element *puts;
	size_t nputs, cap_puts;
	struct nft_element *dels;	/* their keys */
	size_t ndels, cap_dels;
};

/* An element's key and data as the kernel holds them (elements.c). Every
 * field of a concatenation is padded to 4 bytes: tcp . 8080 is
 * 06 00 00 00 1f 90 00 00. The lengths returned; data is 0 bytes for a
 * pinhole. decode fills what the bytes say, the rest of e untouched. */
#define NFT_KEY_MAX 24
#define NFT_DATA_MAX 20
uint32_t nft_encode_key(uint8_t key[NFT_KEY_MAX], const struct nft_element *e);
uint32_t nft_encode_data(uint8_t data[NFT_DATA_MAX], const struct nft_element *e);
void nft_decode_key_data(struct nft_element *e, const uint8_t *key, uint32_t klen,
			 const uint8_t *data, uint32_t dlen);

/* Sends the batch, reads every ack, frees the batch. */
int writer_commit_batch(struct nft_writer *w, struct nl_batch *b);
/* Into b: both tables made again from nothing (writer.c), then the
 * address sets' cached contents (elements.c). */
int writer_put_tables(struct nft_writer *w, struct nl_batch *b);
int writer_put_addresses(struct nft_writer *w, struct nl_batch *b);

#endif
