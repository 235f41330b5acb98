/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_PUSH_OCC_H
#define OVPN_PUSH_OCC_H

/*
 * OCC options string: the "options" field of key method 2
 * (OpenVPN src/openvpn/options.c options_string). Comma-separated
 * "name[ value]" fields in this order:
 *
 *   V4,dev-type tun,link-mtu 1541,tun-mtu 1500,proto UDPv4[,tun-ipv6]
 *   [,comp-lzo][,mtu-dynamic][,keydir N][,cipher C],auth A,keysize N
 *   [,tls-auth],key-method 2,tls-client|tls-server
 *
 * OpenVPN only compares the strings for a warning; the server reads a few
 * fields from the client's: cipher (NCP with pre-2.4 clients), comp-lzo
 * (compression framing, ssl.c key_method_2_read), tun-mtu, proto,
 * key-method, tls-client, mtu-dynamic (--fragment, not supported).
 * Unknown fields are counted and ignored; a known field with a malformed
 * value, an empty field or a control character rejects the string.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVPN_OCC_NAME_MAX	64	/* cipher / auth / proto / dev-type */

enum ovpn_occ_field {
	OVPN_OCC_DEV_TYPE,
	OVPN_OCC_LINK_MTU,
	OVPN_OCC_TUN_MTU,
	OVPN_OCC_PROTO,
	OVPN_OCC_TUN_IPV6,
	OVPN_OCC_COMP_LZO,
	OVPN_OCC_MTU_DYNAMIC,
	OVPN_OCC_KEYDIR,
	OVPN_OCC_CIPHER,
	OVPN_OCC_AUTH,
	OVPN_OCC_KEYSIZE,
	OVPN_OCC_TLS_AUTH,
	OVPN_OCC_KEY_METHOD,
	OVPN_OCC_TLS_CLIENT,
	OVPN_OCC_TLS_SERVER,
	OVPN_OCC_FIELD_MAX,
};

struct ovpn_occ {
	uint32_t seen;			/* 1 << enum ovpn_occ_field */
	unsigned n_unknown;
	unsigned link_mtu;
	unsigned tun_mtu;
	unsigned keydir;
	unsigned keysize;
	unsigned key_method;
	char dev_type[OVPN_OCC_NAME_MAX];
	char proto[OVPN_OCC_NAME_MAX];
	char cipher[OVPN_OCC_NAME_MAX];
	char auth[OVPN_OCC_NAME_MAX];
};

static inline bool ovpn_occ_has(const struct ovpn_occ *o, enum ovpn_occ_field f)
{
	return (o->seen >> f) & 1u;
}

/*
 * Parse s[0..len) (NUL not needed). The first field must be "V4".
 * Returns 0, or -EINVAL (NULL) / -EBADMSG (malformed) / -EMSGSIZE (value
 * too long) with *reason set. On error *o is zeroed. Thread-safe.
 */
int ovpn_push_occ_parse(const char *s, size_t len, struct ovpn_occ *o,
			const char **reason);

/*
 * Fill o with what a 2.6 server in server mode announces: dev-type tun,
 * link-mtu tun_mtu + 41 (+1 with comp-lzo; only compared for warnings),
 * tun-mtu, proto, [comp-lzo], auth SHA1, keysize 128, key-method 2,
 * tls-server. proto is e.g. "UDPv4" or "TCPv4_SERVER".
 * Returns 0 or -EINVAL (NULL, proto too long).
 */
int ovpn_push_occ_server_init(struct ovpn_occ *o, const char *proto,
			      unsigned tun_mtu, bool comp_lzo);

/*
 * Format o as an options string in OpenVPN's field order (fields not in
 * o->seen are left out). Returns strlen or -EINVAL / -ENOSPC.
 */
int ovpn_push_occ_build(const struct ovpn_occ *o, char *out, size_t cap);

#endif
