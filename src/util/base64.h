/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Standard base64 of WireGuard's 32-byte keys (44 characters with padding). */
#ifndef PORTGATE_BASE64_H
#define PORTGATE_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_LEN 32
#define KEY_B64_LEN 44	/* without the terminating NUL */

void key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN]);
/* Strict: exactly 44 characters, one '=' of padding, zero spare bits. */
bool key_from_base64(uint8_t key[KEY_LEN], const char *in);
/* The first 8 characters, for logs. */
void key_to_short(char out[9], const uint8_t key[KEY_LEN]);
bool key_from_hex(uint8_t key[KEY_LEN], const char *in, size_t len);
/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);

#endif
