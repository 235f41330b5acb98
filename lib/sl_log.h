/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LOG_H
#define SL_LOG_H

/*
 * Logging for the slow path only (never per packet). Lines go to stderr as
 *   2026-11-22T10:00:00Z sluice-dataplane[1234] info: message
 * Thread-safe: each line is written with one write(2).
 */
enum sl_log_level { SL_LOG_ERR, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG };

void sl_log_init(const char *prog, enum sl_log_level max);
void sl_log(enum sl_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define SL_ERR(...)   sl_log(SL_LOG_ERR, __VA_ARGS__)
#define SL_WARN(...)  sl_log(SL_LOG_WARN, __VA_ARGS__)
#define SL_INFO(...)  sl_log(SL_LOG_INFO, __VA_ARGS__)
#define SL_DEBUG(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)

#endif
