/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/base64.h"

#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN])
{
	size_t o = 0;

	for (size_t i = 0; i < KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16;
		size_t n = KEY_LEN - i;

		if (n > 1)
			v |= (uint32_t)key[i + 1] << 8;
		if (n > 2)
			v |= key[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = n > 1 ? alphabet[v >> 6 & 63] : '=';
		out[o++] = n > 2 ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

bool key_from_base64(uint8_t key[KEY_LEN], const char *in)
{
	uint32_t v = 0;
	size_t o = 0;

	if (strlen(in) != KEY_B64_LEN || in[43] != '=')
		return false;
	for (size_t i = 0; i < 43; i++) {
		int d = b64_value(in[i]);

		if (d < 0)
			return false;
		v = v << 6 | (uint32_t)d;
		if (i % 4 == 3) {
			key[o++] = (uint8_t)(v >> 16);
			key[o++] = (uint8_t)(v >> 8);
			key[o++] = (uint8_t)v;
			v = 0;
		}
	}
	/* 43 characters: 40 make 30 bytes, the last 3 carry 18 bits for the
	 * final 2 bytes, whose 2 spare bits must be zero. */
	if (v & 3)
		return false;
	key[o++] = (uint8_t)(v >> 10);
	key[o++] = (uint8_t)(v >> 2);
	return o == KEY_LEN;
}

void key_to_short(char out[9], const uint8_t key[KEY_LEN])
{
	char full[KEY_B64_LEN + 1];

	key_to_base64(full, key);
	memcpy(out, full, 8);
	out[8] = '\0';
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool key_from_hex(uint8_t key[KEY_LEN], const char *in, size_t len)
{
	if (len != 2 * KEY_LEN)
		return false;
	for (size_t i = 0; i < KEY_LEN; i++) {
		int hi = hex_digit(in[2 * i]), lo = hex_digit(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}
