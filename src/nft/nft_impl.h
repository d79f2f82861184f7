/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The writer's internals, shared by writer.c and elements.c. */
#ifndef PORTGATE_NFT_IMPL_H
#define PORTGATE_NFT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "nft/nft.h"
#include "nft/nlbatch.h"

struct nft_writer {
	struct nft_config cfg;
	struct nl_sock *sock;
	struct mnl_socket *nl;		/* sock's, for batches */
	uint32_t seq;
	struct nft_features features;
	bool has_destroy;	/* NFT_MSG_DESTROYSETELEM: no ENOENT */
	char last_error[256];
};

struct nft_txn {
	struct nft_writer *w;
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

#endif
