/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one walk of netlink messages (util/nlutil.c): a message is taken only
 * whole, whatever its length field says, so that no caller walks off the
 * buffer the kernel (or a fuzzer) filled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/netlink.h>

#include "util/nlutil.h"

/* Two messages of 20 and 16 bytes (the first padded to 20 already). */
static size_t two_messages(char *buf)
{
	struct nlmsghdr *a = (struct nlmsghdr *)buf;
	struct nlmsghdr *b = (struct nlmsghdr *)(buf + 20);

	memset(buf, 0, 64);
	a->nlmsg_len = 20;
	a->nlmsg_seq = 1;
	b->nlmsg_len = 16;
	b->nlmsg_seq = 2;
	return 36;
}

static void whole_messages_are_walked_in_order(void **state)
{
	char buf[64] __attribute__((aligned(8)));
	size_t len = two_messages(buf), pos = 0;
	const struct nlmsghdr *nlh;

	(void)state;
	nlh = nl_msg_next(buf, len, &pos);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_seq, 1);
	nlh = nl_msg_next(buf, len, &pos);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_seq, 2);
	assert_null(nl_msg_next(buf, len, &pos));
	assert_int_equal(pos, len);
	assert_true(nl_msgs_whole(buf, len));
	/* A tail shorter than a header is no message, and no harm. */
	assert_true(nl_msgs_whole(buf, len + 8));
}

/* 2^31 and more: what libmnl's int comparison takes for a negative length
 * that fits (found by fuzzing genl and the monitor). */
static void a_length_of_2_31_is_not_walked(void **state)
{
	char buf[64] __attribute__((aligned(8)));
	size_t len = two_messages(buf), pos = 0;

	(void)state;
	((struct nlmsghdr *)(buf + 20))->nlmsg_len = 0x80000000u;
	assert_non_null(nl_msg_next(buf, len, &pos));
	assert_null(nl_msg_next(buf, len, &pos));
	assert_int_equal(pos, 20);
	assert_false(nl_msgs_whole(buf, len));
}

static void a_length_past_the_buffer_is_not_walked(void **state)
{
	char buf[64] __attribute__((aligned(8)));
	size_t len = two_messages(buf), pos = 0;

	(void)state;
	((struct nlmsghdr *)(buf + 20))->nlmsg_len = 17;
	assert_non_null(nl_msg_next(buf, len, &pos));
	assert_null(nl_msg_next(buf, len, &pos));
	assert_false(nl_msgs_whole(buf, len));
}

static void a_length_below_a_header_is_not_walked(void **state)
{
	char buf[64] __attribute__((aligned(8)));
	size_t len = two_messages(buf), pos = 0;

	(void)state;
	((struct nlmsghdr *)buf)->nlmsg_len = 0;
	assert_null(nl_msg_next(buf, len, &pos));
	assert_int_equal(pos, 0);
	assert_false(nl_msgs_whole(buf, len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_messages_are_walked_in_order),
		cmocka_unit_test(a_length_of_2_31_is_not_walked),
		cmocka_unit_test(a_length_past_the_buffer_is_not_walked),
		cmocka_unit_test(a_length_below_a_header_is_not_walked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
