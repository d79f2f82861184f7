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

/* Sends the batch, reads every ack, frees the batch. */
int writer_commit_batch(struct nft_writer *w, struct nl_batch *b);

#endif
