/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer-info parser (OpenVPN src/openvpn/ssl.c push_peer_info writes the
 * string). Table-driven: one row per known variable says how its value is
 * decoded and where it is stored.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ovpn_peerinfo.h"
#include "ovpn_text.h"

enum pi_kind {
	PI_STR,		/* copied into a char array */
	PI_U32,		/* decimal number */
	PI_BOOL,	/* decimal number, non-zero = true */
};

struct pi_var {
	const char *name;
	enum ovpn_peerinfo_var id;
	enum pi_kind kind;
	size_t off;		/* offset of the destination in the struct */
	size_t size;		/* destination size (PI_STR) */
};

#define PI_S(n, id, f) { n, id, PI_STR, offsetof(struct ovpn_peerinfo, f), \
			 sizeof(((struct ovpn_peerinfo *)0)->f) }
#define PI_U(n, id, f) { n, id, PI_U32, offsetof(struct ovpn_peerinfo, f), 0 }
#define PI_B(n, id, f) { n, id, PI_BOOL, offsetof(struct ovpn_peerinfo, f), 0 }

static const struct pi_var pi_vars[] = {
	PI_S("IV_VER", OVPN_PI_VER, ver),
	PI_S("IV_PLAT", OVPN_PI_PLAT, plat),
	PI_S("IV_PLAT_VER", OVPN_PI_PLAT_VER, plat_ver),
	PI_S("IV_GUI_VER", OVPN_PI_GUI_VER, gui_ver),
	PI_S("IV_SSO", OVPN_PI_SSO, sso),
	PI_S("IV_SSL", OVPN_PI_SSL, ssl),
	PI_S("IV_HWADDR", OVPN_PI_HWADDR, hwaddr),
	PI_S("IV_CIPHERS", OVPN_PI_CIPHERS, ciphers),
	PI_U("IV_PROTO", OVPN_PI_PROTO, proto),
	PI_U("IV_NCP", OVPN_PI_NCP, ncp),
	PI_U("IV_MTU", OVPN_PI_MTU, mtu),
	PI_B("IV_TCPNL", OVPN_PI_TCPNL, tcpnl),
	PI_B("IV_LZO", OVPN_PI_LZO, lzo),
	PI_B("IV_LZ4", OVPN_PI_LZ4, lz4),
	PI_B("IV_LZ4v2", OVPN_PI_LZ4V2, lz4v2),
	PI_B("IV_LZO_STUB", OVPN_PI_LZO_STUB, lzo_stub),
	PI_B("IV_COMP_STUB", OVPN_PI_COMP_STUB, comp_stub),
	PI_B("IV_COMP_STUBv2", OVPN_PI_COMP_STUBV2, comp_stubv2),
};

static const char *const pi_proto_names[] = {
	[1] = "DATA_V2",
	[2] = "REQUEST_PUSH",
	[3] = "TLS_KEY_EXPORT",
	[4] = "AUTH_PENDING_KW",
	[5] = "NCP_P2P",
	[6] = "DNS_OPTION",
	[7] = "CC_EXIT_NOTIFY",
	[8] = "AUTH_FAIL_TEMP",
	[9] = "DYN_TLS_CRYPT",
	[10] = "DATA_EPOCH",
	[11] = "DNS_OPTION_V2",
	[12] = "PUSH_UPDATE",
};

/* A name is what OpenVPN's setenv accepts for IV_/UV_: [A-Za-z0-9_]+. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static int parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static const struct pi_var *lookup(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(pi_vars) / sizeof(pi_vars[0]); i++)
		if (strlen(pi_vars[i].name) == n &&
		    memcmp(pi_vars[i].name, name, n) == 0)
			return &pi_vars[i];
	return NULL;
}

static int store(struct ovpn_peerinfo *pi, const struct pi_var *v,
		 const char *val, size_t n, const char **reason)
{
	uint8_t *dst = (uint8_t *)pi + v->off;
	uint32_t num;

	if (v->kind == PI_STR) {
		if (n >= v->size) {
			*reason = "value too long";
			return -EMSGSIZE;
		}
		memcpy(dst, val, n);
		dst[n] = '\0';
		return 0;
	}
	if (parse_u32(val, n, &num) < 0) {
		*reason = "bad number";
		return -EBADMSG;
	}
	if (v->kind == PI_U32)
		memcpy(dst, &num, sizeof(num));
	else
		*(bool *)dst = num != 0;
	return 0;
}

static int parse_line(struct ovpn_peerinfo *pi, const char *s, size_t n,
		      const char **reason)
{
	const char *eq = memchr(s, '=', n);
	const struct pi_var *v;
	size_t nlen;

	if (n > OVPN_PI_LINE_MAX) {
		*reason = "line too long";
		return -EMSGSIZE;
	}
	if (eq == NULL) {
		*reason = "line without '='";
		return -EBADMSG;
	}
	nlen = (size_t)(eq - s);
	if (!name_ok(s, nlen)) {
		*reason = "bad variable name";
		return -EBADMSG;
	}
	if (!ovpn_text_printable(eq + 1, n - nlen - 1)) {
		*reason = "control character in value";
		return -EBADMSG;
	}
	v = lookup(s, nlen);
	if (v == NULL) {
		if (nlen > 3 && memcmp(s, "UV_", 3) == 0)
			pi->n_uv++;
		else
			pi->n_unknown++;
		return 0;
	}
	if (ovpn_peerinfo_has(pi, v->id)) {
		*reason = "duplicate variable";
		return -EBADMSG;
	}
	pi->seen |= 1u << v->id;
	return store(pi, v, eq + 1, n - nlen - 1, reason);
}

static int parse_text(const char *text, size_t len, void *out,
		      const char **reason)
{
	struct ovpn_peerinfo *pi = out;
	size_t off = 0;

	if (len == 0)
		return 0;	/* text may be NULL */
	if (memchr(text, '\0', len) != NULL) {
		*reason = "embedded NUL";
		return -EBADMSG;
	}
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		int rc = n == 0 ? 0 : parse_line(pi, text + off, n, reason);

		if (rc < 0)
			return rc;
		off += n + 1;
	}
	return 0;
}

int ovpn_peerinfo_parse(const char *text, size_t len, struct ovpn_peerinfo *pi,
			const char **reason)
{
	return ovpn_text_parse(text, len, pi, sizeof(*pi), parse_text, reason);
}

bool ovpn_peerinfo_ncp_capable(const struct ovpn_peerinfo *pi)
{
	return pi->ncp >= 2 || ovpn_peerinfo_has(pi, OVPN_PI_CIPHERS);
}

const char *ovpn_peerinfo_proto_name(unsigned bit)
{
	if (bit >= sizeof(pi_proto_names) / sizeof(pi_proto_names[0]))
		return NULL;
	return pi_proto_names[bit];
}
