/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The forwards maps' key and data bytes, pinned: what the kernel's
 * concatenated types hold (every field padded to 4 bytes, network order),
 * as `nft list map` shows them (tests/netns/test_nft.sh reads them back
 * from a real kernel). A change here is a change of the kernel format that
 * a restarted daemon must still read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nft/nft_impl.h"

static void ipv4_forward(void **state)
{
	/* tcp . 8080 : 10.66.0.2 . 22 */
	static const uint8_t want_key[8] = { 6, 0, 0, 0, 0x1f, 0x90, 0, 0 };
	static const uint8_t want_data[8] = { 10, 66, 0, 2, 0, 22, 0, 0 };
	struct nft_element e = { .space = NFT_SPACE_IPV4, .proto = 6, .external_port = 8080,
				 .addr = ip_addr_from_v4(0x0a420002), .target_port = 22 };
	struct nft_element back = { .space = NFT_SPACE_IPV4 };
	uint8_t key[NFT_KEY_MAX], data[NFT_DATA_MAX];

	(void)state;
	assert_int_equal(nft_encode_key(key, &e), 8);
	assert_memory_equal(key, want_key, 8);
	assert_int_equal(nft_encode_data(data, &e), 8);
	assert_memory_equal(data, want_data, 8);
	nft_decode_key_data(&back, key, 8, data, 8);
	assert_int_equal(back.proto, 6);
	assert_int_equal(back.external_port, 8080);
	assert_int_equal(ip_addr_v4(&back.addr), 0x0a420002);
	assert_int_equal(back.target_port, 22);
}

static void nat66_forward(void **state)
{
	/* udp . 25000 : fd00::2 . 6881 */
	static const uint8_t addr6[16] = { 0xfd, [15] = 2 };
	static const uint8_t want_key[8] = { 17, 0, 0, 0, 0x61, 0xa8, 0, 0 };
	uint8_t want_data[20] = { 0 };
	struct nft_element e = { .space = NFT_SPACE_NAT66, .proto = 17, .external_port = 25000,
				 .target_port = 6881 };
	struct nft_element back = { .space = NFT_SPACE_NAT66 };
	uint8_t key[NFT_KEY_MAX], data[NFT_DATA_MAX];

	(void)state;
	memcpy(e.addr.b, addr6, 16);
	memcpy(want_data, addr6, 16);
	want_data[16] = 0x1a;
	want_data[17] = 0xe1;
	assert_int_equal(nft_encode_key(key, &e), 8);
	assert_memory_equal(key, want_key, 8);
	assert_int_equal(nft_encode_data(data, &e), 20);
	assert_memory_equal(data, want_data, 20);
	nft_decode_key_data(&back, key, 8, data, 20);
	assert_memory_equal(back.addr.b, addr6, 16);
	assert_int_equal(back.external_port, 25000);
	assert_int_equal(back.target_port, 6881);
}

static void routed_pinhole(void **state)
{
	/* 2001:db8:66::2 . tcp . 6881, no data */
	static const uint8_t addr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x66, [15] = 2 };
	uint8_t want_key[24] = { 0 };
	struct nft_element e = { .space = NFT_SPACE_PINHOLE, .proto = 6, .external_port = 6881,
				 .target_port = 6881 };
	struct nft_element back = { .space = NFT_SPACE_PINHOLE };
	uint8_t key[NFT_KEY_MAX], data[NFT_DATA_MAX];

	(void)state;
	memcpy(e.addr.b, addr6, 16);
	memcpy(want_key, addr6, 16);
	want_key[16] = 6;
	want_key[20] = 0x1a;
	want_key[21] = 0xe1;
	assert_int_equal(nft_encode_key(key, &e), 24);
	assert_memory_equal(key, want_key, 24);
	assert_int_equal(nft_encode_data(data, &e), 0);
	nft_decode_key_data(&back, key, 24, NULL, 0);
	assert_memory_equal(back.addr.b, addr6, 16);
	assert_int_equal(back.proto, 6);
	assert_int_equal(back.external_port, 6881);
	assert_int_equal(back.target_port, 6881);
}

/* Bytes of another length are not read as ours. */
static void other_lengths_are_ignored(void **state)
{
	static const uint8_t junk[24] = { 6, 1, 2, 3, 4, 5, 6, 7 }, unread[16];
	struct nft_element back = { .space = NFT_SPACE_IPV4 };

	(void)state;
	nft_decode_key_data(&back, junk, 7, junk, 9);
	assert_int_equal(back.proto, 0);
	assert_int_equal(back.external_port, 0);
	assert_memory_equal(back.addr.b, unread, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_forward),
		cmocka_unit_test(nat66_forward),
		cmocka_unit_test(routed_pinhole),
		cmocka_unit_test(other_lengths_are_ignored),
	};

	return cmocka_run_group_tests_name("nft: element bytes", tests, NULL, NULL);
}
