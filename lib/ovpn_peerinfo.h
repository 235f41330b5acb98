/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_PEERINFO_H
#define OVPN_PEERINFO_H

/*
 * Peer-info: the last string of the client's key-method-2 message
 * (OpenVPN src/openvpn/ssl.c push_peer_info; IV_PROTO bits in ssl.h).
 * One variable per line, every line terminated by '\n':
 *
 *   IV_VER=2.6.14\n
 *   IV_PLAT=linux\n
 *   IV_TCPNL=1\n
 *   IV_MTU=1600\n
 *   IV_NCP=2\n
 *   IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\n
 *   IV_PROTO=990\n
 *   IV_LZO_STUB=1\n
 *   IV_COMP_STUB=1\n
 *   IV_COMP_STUBv2=1\n
 *
 * Known variables are decoded into struct ovpn_peerinfo; unknown IV_* and
 * UV_* variables are ignored (UV_* are only counted). A line without '=',
 * with a bad name, with control characters, a bad number or a value too
 * long for its field rejects the whole string with a reason: it came from
 * a client that does not speak the protocol.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IV_PROTO bits (ssl.h); bit 0 is reserved and never set by 2.x clients. */
#define OVPN_IV_PROTO_DATA_V2		(1u << 1)
#define OVPN_IV_PROTO_REQUEST_PUSH	(1u << 2)
#define OVPN_IV_PROTO_TLS_KEY_EXPORT	(1u << 3)
#define OVPN_IV_PROTO_AUTH_PENDING_KW	(1u << 4)
#define OVPN_IV_PROTO_NCP_P2P		(1u << 5)
#define OVPN_IV_PROTO_DNS_OPTION	(1u << 6)
#define OVPN_IV_PROTO_CC_EXIT_NOTIFY	(1u << 7)
#define OVPN_IV_PROTO_AUTH_FAIL_TEMP	(1u << 8)
#define OVPN_IV_PROTO_DYN_TLS_CRYPT	(1u << 9)
/* 2.7 only; decoded so that logs can show them, never acted upon. */
#define OVPN_IV_PROTO_DATA_EPOCH	(1u << 10)
#define OVPN_IV_PROTO_DNS_OPTION_V2	(1u << 11)
#define OVPN_IV_PROTO_PUSH_UPDATE	(1u << 12)

/* Which variables were present (struct ovpn_peerinfo.seen). */
enum ovpn_peerinfo_var {
	OVPN_PI_VER,
	OVPN_PI_PLAT,
	OVPN_PI_PLAT_VER,
	OVPN_PI_GUI_VER,
	OVPN_PI_SSO,
	OVPN_PI_SSL,
	OVPN_PI_HWADDR,
	OVPN_PI_CIPHERS,
	OVPN_PI_PROTO,
	OVPN_PI_NCP,
	OVPN_PI_MTU,
	OVPN_PI_TCPNL,
	OVPN_PI_LZO,
	OVPN_PI_LZ4,
	OVPN_PI_LZ4V2,
	OVPN_PI_LZO_STUB,
	OVPN_PI_COMP_STUB,
	OVPN_PI_COMP_STUBV2,
	OVPN_PI_VAR_MAX,
};

#define OVPN_PI_SHORT_MAX	64	/* version / platform strings, NUL incl. */
#define OVPN_PI_SSO_MAX		128
#define OVPN_PI_CIPHERS_MAX	512
#define OVPN_PI_LINE_MAX	1024	/* one "NAME=value" line */

struct ovpn_peerinfo {
	uint32_t seen;			/* 1 << enum ovpn_peerinfo_var */
	uint32_t proto;			/* IV_PROTO, 0 if absent */
	unsigned ncp;			/* IV_NCP, 0 if absent */
	unsigned mtu;			/* IV_MTU, 0 if absent */
	unsigned n_uv;			/* UV_* variables seen (ignored) */
	unsigned n_unknown;		/* unknown IV_* / other names (ignored) */
	/* Boolean capabilities: value "1" (any non-zero number) sets them. */
	bool tcpnl;
	bool lzo;
	bool lz4;
	bool lz4v2;
	bool lzo_stub;
	bool comp_stub;
	bool comp_stubv2;
	char ver[OVPN_PI_SHORT_MAX];
	char plat[OVPN_PI_SHORT_MAX];
	char plat_ver[OVPN_PI_SHORT_MAX];
	char gui_ver[OVPN_PI_SHORT_MAX];
	char ssl[OVPN_PI_SHORT_MAX];
	char hwaddr[OVPN_PI_SHORT_MAX];
	char sso[OVPN_PI_SSO_MAX];
	char ciphers[OVPN_PI_CIPHERS_MAX];
};

/*
 * Parse text[0..len) (no NUL needed; an embedded NUL is an error).
 * Empty lines are skipped, the last line may lack its '\n', a known
 * variable given twice is an error (OpenVPN would silently use the first,
 * which makes logs and decisions disagree).
 * Returns 0, or -EINVAL (NULL argument) / -EBADMSG (malformed) /
 * -EMSGSIZE (line or value too long) with *reason set to a static string.
 * On error *pi is zeroed. Thread-safe.
 */
int ovpn_peerinfo_parse(const char *text, size_t len, struct ovpn_peerinfo *pi,
			const char **reason);

static inline bool ovpn_peerinfo_has(const struct ovpn_peerinfo *pi,
				     enum ovpn_peerinfo_var v)
{
	return (pi->seen >> v) & 1u;
}

static inline bool ovpn_peerinfo_proto(const struct ovpn_peerinfo *pi,
				       uint32_t bit)
{
	return (pi->proto & bit) != 0;
}

/*
 * "NCP capable" as 2.6 decides whether to push `cipher`: IV_NCP >= 2 or
 * an IV_CIPHERS list present (ssl_ncp.c tls_peer_supports_ncp).
 */
bool ovpn_peerinfo_ncp_capable(const struct ovpn_peerinfo *pi);

/* Name of an IV_PROTO bit ("DATA_V2", ...), NULL for unnamed bits. */
const char *ovpn_peerinfo_proto_name(unsigned bit);

#endif
