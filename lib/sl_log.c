/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_log.h"

static const char *log_prog = "sluice";
static enum sl_log_level log_max = SL_LOG_INFO;
static const char *const level_names[] = { "error", "warning", "info", "debug" };

void sl_log_init(const char *prog, enum sl_log_level max)
{
	log_prog = prog;
	log_max = max;
}

void sl_log(enum sl_log_level lvl, const char *fmt, ...)
{
	char line[1024];
	struct tm tm;
	time_t now;
	va_list ap;
	int n, m;

	if (lvl > log_max)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%d] %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, log_prog, (int)getpid(), level_names[lvl]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return; /* nowhere left to report it */
}

static bool esc_plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '\\';
}

static size_t esc_len(const char *in)
{
	size_t n = 0;

	for (; *in != '\0'; in++)
		n += esc_plain((unsigned char)*in) ? 1 : 4;
	return n;
}

const char *sl_esc(const char *in, char *out, size_t len)
{
	size_t room, o = 0;

	if (len == 0)
		return out;
	/* Cut: keep room for "..." and the NUL (when there is any). */
	room = esc_len(in) < len || len <= 4 ? len - 1 : len - 4;
	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (o + (esc_plain(c) ? 1 : 4) > room)
			break;
		if (esc_plain(c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	if (*in != '\0' && len > 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
