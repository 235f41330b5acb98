/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel text helpers (see ovpn_text.h).
 */
#include <errno.h>
#include <string.h>

#include "ovpn_text.h"

bool ovpn_text_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

int ovpn_text_parse(const char *s, size_t len, void *out, size_t size,
		    int (*parse)(const char *s, size_t len, void *out,
				 const char **why),
		    const char **reason)
{
	const char *why = NULL;
	int rc;

	if (out == NULL || (s == NULL && len != 0)) {
		if (reason != NULL)
			*reason = "invalid argument";
		return -EINVAL;
	}
	memset(out, 0, size);
	rc = parse(s, len, out, &why);
	if (rc < 0) {
		memset(out, 0, size);
		if (reason != NULL)
			*reason = why;
	}
	return rc;
}
