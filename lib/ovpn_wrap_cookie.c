/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless HMAC cookie (see ovpn_wrap_cookie.h).
 */
#include <string.h>

#include <netinet/in.h>
#include <openssl/crypto.h>

#include "ovpn_wrap.h"
#include "ovpn_wrap_cookie.h"
#include "ovpn_wrap_priv.h"

/* slot(4) + family(2) + port(2) + IPv6 address(16) */
#define COOKIE_IN_MAX	24

struct ovpn_wrap_cookie {
	EVP_MAC_CTX *mac;
	uint32_t slot_len;
};

struct ovpn_wrap_cookie *
ovpn_wrap_cookie_new(const uint8_t key[OVPN_COOKIE_KEY_LEN],
		     unsigned hand_window, int *err)
{
	struct ovpn_wrap_cookie *c = OPENSSL_zalloc(sizeof(*c));

	if (c == NULL) {
		*err = -OVPN_WRAP_E_NOMEM;
		return NULL;
	}
	/* OpenVPN's quantisation: half the hand-window, rounded up. */
	c->slot_len = (hand_window + 1) / 2;
	if (c->slot_len == 0)
		c->slot_len = 1;
	c->mac = ovpn_wrap_hmac_new("SHA256", key, OVPN_COOKIE_KEY_LEN);
	if (c->mac == NULL) {
		ovpn_wrap_cookie_free(c);
		*err = -OVPN_WRAP_E_CRYPTO;
		return NULL;
	}
	*err = 0;
	return c;
}

void ovpn_wrap_cookie_free(struct ovpn_wrap_cookie *c)
{
	if (c == NULL)
		return;
	EVP_MAC_CTX_free(c->mac);
	OPENSSL_clear_free(c, sizeof(*c));
}

uint32_t ovpn_wrap_cookie_slot(const struct ovpn_wrap_cookie *c, uint64_t now)
{
	return (uint32_t)(now / c->slot_len);
}

/* Serialise family, port and address; returns bytes written or -E_INVAL. */
static int addr_bytes(const struct sockaddr *sa, uint8_t *out)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

	if (sa == NULL)
		return -OVPN_WRAP_E_INVAL;
	out[0] = (uint8_t)(sa->sa_family >> 8);
	out[1] = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(out + 2, &in4->sin_port, 2);
		memcpy(out + 4, &in4->sin_addr, 4);
		return 8;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out + 2, &in6->sin6_port, 2);
		memcpy(out + 4, &in6->sin6_addr, 16);
		return 20;
	}
	return -OVPN_WRAP_E_INVAL;
}

static int cookie_at(struct ovpn_wrap_cookie *c, uint32_t slot,
		     const struct sockaddr *sa, const uint8_t *client_sid,
		     uint8_t *sid)
{
	uint8_t in[COOKIE_IN_MAX];
	int n;

	ovpn_put_be32(in, slot);
	if ((n = addr_bytes(sa, in + 4)) < 0)
		return n;
	return ovpn_wrap_mac3(c->mac, in, 4 + (size_t)n, client_sid,
			      OVPN_SID_LEN, NULL, 0, sid, OVPN_SID_LEN);
}

int ovpn_wrap_cookie_make(struct ovpn_wrap_cookie *c, uint64_t now,
			  const struct sockaddr *sa,
			  const uint8_t client_sid[OVPN_SID_LEN],
			  uint8_t sid[OVPN_SID_LEN])
{
	return cookie_at(c, ovpn_wrap_cookie_slot(c, now), sa, client_sid, sid);
}

int ovpn_wrap_cookie_check(struct ovpn_wrap_cookie *c, uint64_t now,
			   const struct sockaddr *sa,
			   const uint8_t client_sid[OVPN_SID_LEN],
			   const uint8_t echoed_sid[OVPN_SID_LEN])
{
	uint32_t slot = ovpn_wrap_cookie_slot(c, now);
	uint8_t want[OVPN_SID_LEN];
	int ok = 0, rc;

	/* Equality wins; see the header for the inverted 2.6.14 test. */
	for (uint32_t back = 0; back <= OVPN_COOKIE_SLOTS_BACK; back++) {
		if ((rc = cookie_at(c, slot - back, sa, client_sid, want)) < 0)
			return rc;
		ok |= CRYPTO_memcmp(want, echoed_sid, OVPN_SID_LEN) == 0;
	}
	OPENSSL_cleanse(want, sizeof(want));
	return ok ? 0 : -OVPN_WRAP_E_COOKIE;
}
