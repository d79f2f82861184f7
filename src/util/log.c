/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool log_to_stderr = true;
static bool log_to_journal;	/* stderr is the journal: lines carry <N> */
static bool log_debug_enabled;

/* systemd sets JOURNAL_STREAM=DEV:INO for the stream it connected to
 * stderr; a stderr redirected elsewhere since no longer matches. */
static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(bool to_stderr, bool debug, const char *ident)
{
	log_to_journal = stderr_is_journal();
	log_to_stderr = to_stderr || log_to_journal;
	log_debug_enabled = debug;
	if (!log_to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void log_emit(int priority, const char *fmt, va_list ap, int errnum)
{
	char msg[1024], prefix[8] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to_stderr) {
		/* sd-daemon(3): the journal reads the priority from "<N>". */
		if (log_to_journal)
			snprintf(prefix, sizeof(prefix), "<%d>", priority);
		if (errnum)
			fprintf(stderr, "%s%s: %s\n", prefix, msg, strerror(errnum));
		else
			fprintf(stderr, "%s%s\n", prefix, msg);
		fflush(stderr);
	} else if (errnum) {
		syslog(priority, "%s: %s", msg, strerror(errnum));
	} else {
		syslog(priority, "%s", msg);
	}
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

bool log_debugging(void)
{
	return log_debug_enabled;
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_enabled)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
