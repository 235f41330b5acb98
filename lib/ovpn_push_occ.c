/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OCC options string parser and builder (ovpn_push_occ.h). One table row
 * per known field, in OpenVPN's output order; the parser and the builder
 * both walk it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ovpn_push_occ.h"
#include "ovpn_text.h"

enum occ_kind {
	OCC_FLAG,	/* "tls-client" */
	OCC_UINT,	/* "tun-mtu 1500" */
	OCC_STR,	/* "proto UDPv4" */
};

struct occ_def {
	const char *name;
	enum occ_kind kind;
	size_t off;
};

#define OCC_F(n)	{ n, OCC_FLAG, 0 }
#define OCC_U(n, f)	{ n, OCC_UINT, offsetof(struct ovpn_occ, f) }
#define OCC_S(n, f)	{ n, OCC_STR, offsetof(struct ovpn_occ, f) }

static const struct occ_def occ_defs[OVPN_OCC_FIELD_MAX] = {
	[OVPN_OCC_DEV_TYPE] = OCC_S("dev-type", dev_type),
	[OVPN_OCC_LINK_MTU] = OCC_U("link-mtu", link_mtu),
	[OVPN_OCC_TUN_MTU] = OCC_U("tun-mtu", tun_mtu),
	[OVPN_OCC_PROTO] = OCC_S("proto", proto),
	[OVPN_OCC_TUN_IPV6] = OCC_F("tun-ipv6"),
	[OVPN_OCC_COMP_LZO] = OCC_F("comp-lzo"),
	[OVPN_OCC_MTU_DYNAMIC] = OCC_F("mtu-dynamic"),
	[OVPN_OCC_KEYDIR] = OCC_U("keydir", keydir),
	[OVPN_OCC_CIPHER] = OCC_S("cipher", cipher),
	[OVPN_OCC_AUTH] = OCC_S("auth", auth),
	[OVPN_OCC_KEYSIZE] = OCC_U("keysize", keysize),
	[OVPN_OCC_TLS_AUTH] = OCC_F("tls-auth"),
	[OVPN_OCC_KEY_METHOD] = OCC_U("key-method", key_method),
	[OVPN_OCC_TLS_CLIENT] = OCC_F("tls-client"),
	[OVPN_OCC_TLS_SERVER] = OCC_F("tls-server"),
};

static const char occ_version[] = "V4";

static int occ_uint(const char *s, size_t n, unsigned *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = (unsigned)v;
	return 0;
}

static int occ_find(const char *name, size_t n)
{
	for (int i = 0; i < OVPN_OCC_FIELD_MAX; i++)
		if (strlen(occ_defs[i].name) == n &&
		    memcmp(occ_defs[i].name, name, n) == 0)
			return i;
	return -1;
}

/* Decode the value of a known field; vlen == SIZE_MAX means no value. */
static int occ_value(struct ovpn_occ *o, const struct occ_def *d,
		     const char *v, size_t vlen, const char **reason)
{
	uint8_t *dst = (uint8_t *)o + d->off;

	switch (d->kind) {
	case OCC_FLAG:
		if (vlen != SIZE_MAX) {
			*reason = "unexpected value for a flag field";
			return -EBADMSG;
		}
		return 0;
	case OCC_UINT:
		if (vlen == SIZE_MAX || occ_uint(v, vlen, (unsigned *)dst) < 0) {
			*reason = "bad number";
			return -EBADMSG;
		}
		return 0;
	default:
		if (vlen == SIZE_MAX || vlen == 0) {
			*reason = "missing value";
			return -EBADMSG;
		}
		if (vlen >= OVPN_OCC_NAME_MAX) {
			*reason = "value too long";
			return -EMSGSIZE;
		}
		memcpy(dst, v, vlen);
		dst[vlen] = '\0';
		return 0;
	}
}

static int occ_field(struct ovpn_occ *o, const char *s, size_t n,
		     const char **reason)
{
	const char *sp = memchr(s, ' ', n);
	size_t nlen = sp != NULL ? (size_t)(sp - s) : n;
	int id;

	if (n == 0) {
		*reason = "empty field";
		return -EBADMSG;
	}
	id = occ_find(s, nlen);
	if (id < 0) {
		o->n_unknown++;
		return 0;
	}
	if (ovpn_occ_has(o, (enum ovpn_occ_field)id)) {
		*reason = "duplicate field";
		return -EBADMSG;
	}
	o->seen |= 1u << id;
	return occ_value(o, &occ_defs[id], sp != NULL ? sp + 1 : NULL,
			 sp != NULL ? n - nlen - 1 : SIZE_MAX, reason);
}

static int occ_check_text(const char *s, size_t len, const char **reason)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f) {
			*reason = "control or non-ASCII character";
			return -EBADMSG;
		}
	}
	return 0;
}

static int occ_parse(const char *s, size_t len, void *out, const char **reason)
{
	struct ovpn_occ *o = out;
	size_t vl = sizeof(occ_version) - 1, off;
	int rc = occ_check_text(s, len, reason);

	if (rc < 0)
		return rc;
	if (len < vl || memcmp(s, occ_version, vl) != 0 ||
	    (len > vl && s[vl] != ',')) {
		*reason = "missing V4 version field";
		return -EBADMSG;
	}
	for (off = vl; rc == 0 && off < len; ) {
		const char *f = s + off + 1;
		const char *comma = memchr(f, ',', len - off - 1);
		size_t n = comma != NULL ? (size_t)(comma - f) : len - off - 1;

		rc = occ_field(o, f, n, reason);
		off += n + 1;
	}
	return rc;
}

int ovpn_push_occ_parse(const char *s, size_t len, struct ovpn_occ *o,
			const char **reason)
{
	return ovpn_text_parse(s, len, o, sizeof(*o), occ_parse, reason);
}

static void occ_set_str(struct ovpn_occ *o, enum ovpn_occ_field f,
			const char *v)
{
	char *dst = (char *)o + occ_defs[f].off;

	snprintf(dst, OVPN_OCC_NAME_MAX, "%s", v);
	o->seen |= 1u << f;
}

static void occ_set_uint(struct ovpn_occ *o, enum ovpn_occ_field f, unsigned v)
{
	memcpy((uint8_t *)o + occ_defs[f].off, &v, sizeof(v));
	o->seen |= 1u << f;
}

int ovpn_push_occ_server_init(struct ovpn_occ *o, const char *proto,
			      unsigned tun_mtu, bool comp_lzo)
{
	if (o == NULL || proto == NULL || proto[0] == '\0' ||
	    strlen(proto) >= OVPN_OCC_NAME_MAX)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	occ_set_str(o, OVPN_OCC_DEV_TYPE, "tun");
	/* What 2.6 computes for its BF-CBC/SHA1 compatibility frame. */
	occ_set_uint(o, OVPN_OCC_LINK_MTU, tun_mtu + 41 + (comp_lzo ? 1 : 0));
	occ_set_uint(o, OVPN_OCC_TUN_MTU, tun_mtu);
	occ_set_str(o, OVPN_OCC_PROTO, proto);
	if (comp_lzo)
		o->seen |= 1u << OVPN_OCC_COMP_LZO;
	occ_set_str(o, OVPN_OCC_AUTH, "SHA1");
	occ_set_uint(o, OVPN_OCC_KEYSIZE, 128);
	occ_set_uint(o, OVPN_OCC_KEY_METHOD, 2);
	o->seen |= 1u << OVPN_OCC_TLS_SERVER;
	return 0;
}

/* Append ",name[ value]" for field f; false when out of room. */
static bool occ_emit(const struct ovpn_occ *o, int f, char *out, size_t cap,
		     size_t *off)
{
	const struct occ_def *d = &occ_defs[f];
	const uint8_t *src = (const uint8_t *)o + d->off;
	unsigned u;
	int n;

	if (d->kind == OCC_FLAG) {
		n = snprintf(out + *off, cap - *off, ",%s", d->name);
	} else if (d->kind == OCC_UINT) {
		memcpy(&u, src, sizeof(u));
		n = snprintf(out + *off, cap - *off, ",%s %u", d->name, u);
	} else {
		n = snprintf(out + *off, cap - *off, ",%s %.*s", d->name,
			     OVPN_OCC_NAME_MAX - 1, (const char *)src);
	}
	if (n < 0 || (size_t)n >= cap - *off)
		return false;
	*off += (size_t)n;
	return true;
}

int ovpn_push_occ_build(const struct ovpn_occ *o, char *out, size_t cap)
{
	size_t off = sizeof(occ_version) - 1;

	if (o == NULL || out == NULL)
		return -EINVAL;
	if (cap <= off)
		return -ENOSPC;
	memcpy(out, occ_version, sizeof(occ_version));
	for (int f = 0; f < OVPN_OCC_FIELD_MAX; f++) {
		if (ovpn_occ_has(o, (enum ovpn_occ_field)f) &&
		    !occ_emit(o, f, out, cap, &off)) {
			out[0] = '\0';
			return -ENOSPC;
		}
	}
	return (int)off;
}
