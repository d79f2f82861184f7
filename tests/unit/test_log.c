/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Log lines on stderr: plain when asked for with -e, with the syslog
 * priority as "<N>" when stderr is the journal ($JOURNAL_STREAM names the
 * very file stderr is), and plain again when it names another file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

/* Runs one log call with stderr on a fresh file; returns what it wrote. */
static const char *logged(bool to_stderr, bool journal, void (*emit)(void))
{
	static char out[256];
	char path[] = "/tmp/pg-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct stat st;
	char stream[64];
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	/* A journal stream, or one that is not stderr's file (inode + 1). */
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (journal ? 0 : 1));
	setenv("JOURNAL_STREAM", stream, 1);
	fflush(stderr);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	log_init(to_stderr, false, "test_log");
	emit();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	return out;
}

static void warn_line(void)
{
	log_warnx("peer %d refused", 7);
}

static void info_line(void)
{
	log_info("policy reloaded");
}

static void journal_lines_carry_their_priority(void **state)
{
	(void)state;
	assert_string_equal(logged(false, true, warn_line), "<4>peer 7 refused\n");
	assert_string_equal(logged(true, true, info_line), "<6>policy reloaded\n");
}

static void other_stderr_lines_are_plain(void **state)
{
	(void)state;
	assert_string_equal(logged(true, false, warn_line), "peer 7 refused\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(journal_lines_carry_their_priority),
		cmocka_unit_test(other_stderr_lines_are_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
