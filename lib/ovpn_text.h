/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_TEXT_H
#define OVPN_TEXT_H

/*
 * What the parsers and builders of control-channel text (peer-info, the
 * OCC options string, the server's messages) share. Pure; thread-safe.
 */
#include <stdbool.h>
#include <stddef.h>

/*
 * The one text rule of control-channel strings: no ASCII control character
 * and no DEL. Bytes >= 0x80 pass, for UTF-8 GUI strings (OpenVPN
 * src/openvpn/forward.c check_incoming_control_channel refuses
 * non-printable content).
 */
bool ovpn_text_printable(const char *s, size_t n);

/*
 * The front door of a text parser: refuse a NULL out (or NULL s with a
 * length), clear out (size bytes), run parse, and on failure clear out
 * again and pass parse's reason on (reason may be NULL). Returns parse's
 * result, or -EINVAL with the reason "invalid argument".
 */
int ovpn_text_parse(const char *s, size_t len, void *out, size_t size,
		    int (*parse)(const char *s, size_t len, void *out,
				 const char **why),
		    const char **reason);

#endif
