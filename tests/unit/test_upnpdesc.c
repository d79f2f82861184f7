/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UPnP mappings' descriptions in memory (src/daemon/upnpdesc.c): bounded,
 * cut at a UTF-8 character's boundary, keyed by protocol and port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/upnpdesc.h"

static void set_get_forget(void **state)
{
	struct upnp_descs *d = upnp_descs_new();

	(void)state;
	assert_non_null(d);
	assert_string_equal(upnp_descs_get(d, MAPPING_TCP, 21000), "");
	assert_int_equal(upnp_descs_set(d, MAPPING_TCP, 21000, "web"), 0);
	assert_int_equal(upnp_descs_set(d, MAPPING_UDP, 21000, "game"), 0);
	assert_int_equal(upnp_descs_set(d, MAPPING_TCP, 1024, "low"), 0);
	assert_string_equal(upnp_descs_get(d, MAPPING_TCP, 21000), "web");
	assert_string_equal(upnp_descs_get(d, MAPPING_UDP, 21000), "game");
	assert_string_equal(upnp_descs_get(d, MAPPING_TCP, 1024), "low");
	/* A later holder of the port replaces it; "" forgets it. */
	assert_int_equal(upnp_descs_set(d, MAPPING_TCP, 21000, "other"), 0);
	assert_string_equal(upnp_descs_get(d, MAPPING_TCP, 21000), "other");
	assert_int_equal(upnp_descs_count(d), 3);
	assert_int_equal(upnp_descs_set(d, MAPPING_TCP, 21000, ""), 0);
	assert_string_equal(upnp_descs_get(d, MAPPING_TCP, 21000), "");
	assert_string_equal(upnp_descs_get(d, MAPPING_UDP, 21000), "game");
	assert_int_equal(upnp_descs_count(d), 2);
	upnp_descs_free(d);
}

/* 63 ASCII bytes and a 2-byte character: the character does not fit in
 * 64 and goes whole; 64 ASCII bytes and more are cut at 64. */
static void bounded_at_a_character(void **state)
{
	struct upnp_descs *d = upnp_descs_new();
	char text[80];

	(void)state;
	memset(text, 'a', 63);
	strcpy(text + 63, "\xc3\xa9z");
	assert_int_equal(upnp_descs_set(d, MAPPING_UDP, 5000, text), 0);
	assert_int_equal(strlen(upnp_descs_get(d, MAPPING_UDP, 5000)), 63);
	memset(text, 'b', 70);
	text[70] = '\0';
	assert_int_equal(upnp_descs_set(d, MAPPING_UDP, 5000, text), 0);
	assert_int_equal(strlen(upnp_descs_get(d, MAPPING_UDP, 5000)), UPNP_DESC_KEEP);
	upnp_descs_free(d);
}

/* Many ports, set out of order: each found again (the binary search). */
static void many(void **state)
{
	struct upnp_descs *d = upnp_descs_new();
	char text[16];

	(void)state;
	for (unsigned i = 0; i < 2000; i++) {
		uint16_t port = (uint16_t)(1024 + (i * 7919) % 60000);

		snprintf(text, sizeof(text), "p%u", port);
		assert_int_equal(upnp_descs_set(d, MAPPING_TCP, port, text), 0);
	}
	for (unsigned i = 0; i < 2000; i++) {
		uint16_t port = (uint16_t)(1024 + (i * 7919) % 60000);

		snprintf(text, sizeof(text), "p%u", port);
		assert_string_equal(upnp_descs_get(d, MAPPING_TCP, port), text);
		assert_string_equal(upnp_descs_get(d, MAPPING_UDP, port), "");
	}
	upnp_descs_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_get_forget),
		cmocka_unit_test(bounded_at_a_character),
		cmocka_unit_test(many),
	};

	return cmocka_run_group_tests_name("upnpdesc", tests, NULL, NULL);
}
