/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging in the style of OpenBSD daemons: stderr when asked, syslog
 * otherwise. When stderr is the journal ($JOURNAL_STREAM names it) lines go
 * there, asked or not, each with its syslog priority as a "<N>" prefix.
 * log_warn appends strerror(errno); log_warnx does not. */
#ifndef PORTGATE_LOG_H
#define PORTGATE_LOG_H

#include <stdbool.h>

void log_init(bool to_stderr, bool debug, const char *ident);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether log_debug prints: callers skip formatting its arguments. */
bool log_debugging(void);
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
