/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LOG_H
#define SL_LOG_H

/*
 * Logging for the slow path only (never per packet). Lines go to stderr as
 *   2026-11-22T10:00:00Z sluice-dataplane[1234] info: message
 * Thread-safe: each line is written with one write(2).
 */
#include <stddef.h>

enum sl_log_level { SL_LOG_ERR, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG };

void sl_log_init(const char *prog, enum sl_log_level max);
void sl_log(enum sl_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Text that came from outside (usernames, certificate names, peer-info,
 * admin requests) in a log line or a listing: every byte outside '!'..'~'
 * (spaces, control characters, non-ASCII) and the backslash itself as
 * \xNN, so a value can neither end the line nor read as two fields. A
 * value longer than the buffer is cut and ends in "...". Returns out.
 */
const char *sl_esc(const char *in, char *out, size_t len);

#define SL_ESC_MAX	200	/* a 47-byte name escaped whole, with room */
/* sl_esc() into a buffer that lives until the end of the enclosing block:
 * SL_INFO("auth: user %s", SL_ESC(name)). */
#define SL_ESC(in)	sl_esc((in), (char[SL_ESC_MAX]){ 0 }, SL_ESC_MAX)

#define SL_ERR(...)   sl_log(SL_LOG_ERR, __VA_ARGS__)
#define SL_WARN(...)  sl_log(SL_LOG_WARN, __VA_ARGS__)
#define SL_INFO(...)  sl_log(SL_LOG_INFO, __VA_ARGS__)
#define SL_DEBUG(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)

#endif
