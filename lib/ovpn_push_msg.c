/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel text messages other than PUSH_REPLY: builders for what
 * the server sends, and the splitter/classifier for what it receives
 * (OpenVPN src/openvpn/push.c; forward.c check_incoming_control_channel,
 * ssl_pkt.c extract_command_buffer for the receive side).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ovpn_push.h"
#include "ovpn_text.h"

/* Keyword table; the order only matters for ovpn_push_msg_name(). */
static const char *const msg_kw[] = {
	[OVPN_PUSH_MSG_UNKNOWN] = "UNKNOWN",
	[OVPN_PUSH_MSG_PUSH_REQUEST] = "PUSH_REQUEST",
	[OVPN_PUSH_MSG_PUSH_REPLY] = "PUSH_REPLY",
	[OVPN_PUSH_MSG_EXIT] = "EXIT",
	[OVPN_PUSH_MSG_AUTH_FAILED] = "AUTH_FAILED",
	[OVPN_PUSH_MSG_AUTH_PENDING] = "AUTH_PENDING",
	[OVPN_PUSH_MSG_INFO] = "INFO",
	[OVPN_PUSH_MSG_INFO_PRE] = "INFO_PRE",
	[OVPN_PUSH_MSG_CR_RESPONSE] = "CR_RESPONSE",
	[OVPN_PUSH_MSG_RESTART] = "RESTART",
	[OVPN_PUSH_MSG_HALT] = "HALT",
	[OVPN_PUSH_MSG_PUSH_UPDATE] = "PUSH_UPDATE",
};

#define MSG_KW_N (sizeof(msg_kw) / sizeof(msg_kw[0]))

/* snprintf into out; the result must fit cap and a 2.6 server's bundle. */
static int msg_fmt(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int msg_fmt(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (out == NULL || cap == 0)
		return -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= cap || n >= OVPN_PUSH_BUNDLE_SIZE) {
		out[0] = '\0';
		return -EMSGSIZE;
	}
	return n;
}

/* NULL or "" = no text; otherwise it must be printable. */
static bool text_valid(const char *t)
{
	return t == NULL || ovpn_text_printable(t, strlen(t));
}

/* "KW", or "KW,text" when there is a text. */
static int kw_text(char *out, size_t cap, const char *kw, const char *text)
{
	if (!text_valid(text))
		return -EINVAL;
	if (text == NULL || text[0] == '\0')
		return msg_fmt(out, cap, "%s", kw);
	return msg_fmt(out, cap, "%s,%s", kw, text);
}

int ovpn_push_auth_failed(char *out, size_t cap, const char *reason)
{
	return kw_text(out, cap, "AUTH_FAILED", reason);
}

static const char *const advance_name[] = {
	[OVPN_PUSH_ADVANCE_NO] = "no",
	[OVPN_PUSH_ADVANCE_ADDR] = "addr",
	[OVPN_PUSH_ADVANCE_REMOTE] = "remote",
};

/* "[backoff N,advance X]", "[backoff N]", "[advance X]" or "". */
static void temp_flags(char *buf, size_t cap, unsigned backoff,
		       enum ovpn_push_advance adv)
{
	char b[32] = "";

	if (backoff != 0)
		snprintf(b, sizeof(b), "backoff %u", backoff);
	if (backoff == 0 && adv == OVPN_PUSH_ADVANCE_DEFAULT)
		buf[0] = '\0';
	else if (adv == OVPN_PUSH_ADVANCE_DEFAULT)
		snprintf(buf, cap, "[%s]", b);
	else
		snprintf(buf, cap, "[%s%sadvance %s]", b, backoff ? "," : "",
			 advance_name[adv]);
}

int ovpn_push_auth_failed_temp(char *out, size_t cap, unsigned backoff,
			       enum ovpn_push_advance adv, const char *text)
{
	char flags[64];

	if (!text_valid(text) || (unsigned)adv > OVPN_PUSH_ADVANCE_REMOTE)
		return -EINVAL;
	temp_flags(flags, sizeof(flags), backoff, adv);
	return msg_fmt(out, cap, "AUTH_FAILED,TEMP%s:%s", flags,
		       text != NULL ? text : "");
}

int ovpn_push_restart(char *out, size_t cap, unsigned flags, const char *text)
{
	const char *p = (flags & OVPN_PUSH_RESTART_F_KEEP_PASS) ? "P" : "";
	const char *n = (flags & OVPN_PUSH_RESTART_F_NEXT_REMOTE) ? "N" : "";
	const char *t = text != NULL ? text : "";

	if (!text_valid(text) || (flags & ~3u) != 0)
		return -EINVAL;
	/* A text starting with '[' would be read as flags: bracket it. */
	if (flags == 0 && t[0] == '[')
		return msg_fmt(out, cap, "RESTART,[]%s", t);
	if (flags != 0)
		return msg_fmt(out, cap, "RESTART,[%s%s]%s", p, n, t);
	if (t[0] == '\0')
		return msg_fmt(out, cap, "RESTART");
	return msg_fmt(out, cap, "RESTART,%s", t);
}

int ovpn_push_halt(char *out, size_t cap, const char *text)
{
	return kw_text(out, cap, "HALT", text);
}

int ovpn_push_auth_pending(char *out, size_t cap, unsigned timeout)
{
	if (timeout == 0)
		return msg_fmt(out, cap, "AUTH_PENDING");
	return msg_fmt(out, cap, "AUTH_PENDING,timeout %u", timeout);
}

void ovpn_push_msg_parse(const char *s, size_t len, struct ovpn_push_msg *m)
{
	m->type = OVPN_PUSH_MSG_UNKNOWN;
	m->arg = "";
	m->arg_len = 0;
	if (s == NULL)
		return;
	for (size_t t = 1; t < MSG_KW_N; t++) {
		size_t kl = strlen(msg_kw[t]);

		if (len < kl || memcmp(s, msg_kw[t], kl) != 0)
			continue;
		if (len == kl) {
			m->type = (enum ovpn_push_msg_type)t;
			return;
		}
		if (s[kl] == ',') {
			m->type = (enum ovpn_push_msg_type)t;
			m->arg = s + kl + 1;
			m->arg_len = len - kl - 1;
			return;
		}
	}
}

const char *ovpn_push_msg_name(enum ovpn_push_msg_type t)
{
	if ((unsigned)t >= MSG_KW_N)
		return msg_kw[OVPN_PUSH_MSG_UNKNOWN];
	return msg_kw[t];
}

int ovpn_push_msg_next(const uint8_t *buf, size_t len, size_t *off,
		       const char **msg, size_t *msg_len)
{
	const uint8_t *start, *nul;
	size_t n;

	if (buf == NULL || off == NULL || *off >= len)
		return 0;
	start = buf + *off;
	nul = memchr(start, '\0', len - *off);
	if (nul == NULL)
		return 0;
	n = (size_t)(nul - start);
	*off += n + 1;
	while (n > 0 && (start[n - 1] == '\n' || start[n - 1] == '\r'))
		n--;
	if (!ovpn_text_printable((const char *)start, n))
		return -EBADMSG;
	*msg = (const char *)start;
	*msg_len = n;
	return 1;
}
