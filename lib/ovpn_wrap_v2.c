/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls-crypt-v2 client-key wrapping and the V3 / WKC_V1 trailers
 * (see ovpn_wrap_v2.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ovpn_wrap_v2.h"
#include "ovpn_wrap_priv.h"

#define V2_KE_OFF	0	/* server key: cipher slot */
#define V2_KA_OFF	64	/* server key: hmac slot */

struct ovpn_wrap_v2_server {
	EVP_CIPHER_CTX *ctr;
	EVP_MAC_CTX *mac;
};

struct ovpn_wrap_v2_server *
ovpn_wrap_v2_server_new(const uint8_t key[OVPN_V2_SERVER_KEY_LEN], int *err)
{
	struct ovpn_wrap_v2_server *s = OPENSSL_zalloc(sizeof(*s));

	if (s == NULL) {
		*err = -OVPN_WRAP_E_NOMEM;
		return NULL;
	}
	*err = ovpn_wrap_ctr_key(&s->ctr, key + V2_KE_OFF);
	if (*err == 0) {
		s->mac = ovpn_wrap_hmac_new("SHA256", key + V2_KA_OFF,
					    OVPN_TLS_CRYPT_KEY_LEN);
		if (s->mac == NULL)
			*err = -OVPN_WRAP_E_CRYPTO;
	}
	if (*err < 0) {
		ovpn_wrap_v2_server_free(s);
		return NULL;
	}
	return s;
}

void ovpn_wrap_v2_server_free(struct ovpn_wrap_v2_server *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->ctr);
	EVP_MAC_CTX_free(s->mac);
	OPENSSL_clear_free(s, sizeof(*s));
}

int ovpn_wrap_v2_wrap_client_key(struct ovpn_wrap_v2_server *s,
				 const uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				 const uint8_t *meta, size_t meta_len,
				 uint8_t *wkc, size_t cap)
{
	size_t total = OVPN_V2_WKC_MIN + meta_len;
	uint8_t lenb[2];
	int rc;

	if (meta_len > OVPN_V2_META_MAX)
		return -OVPN_WRAP_E_META;
	if (cap < total)
		return -OVPN_WRAP_E_NOSPACE;
	lenb[0] = (uint8_t)(total >> 8);
	lenb[1] = (uint8_t)total;
	rc = ovpn_wrap_mac3(s->mac, lenb, 2, kc, OVPN_V2_CLIENT_KEY_LEN,
			    meta, meta_len, wkc, OVPN_TLS_CRYPT_TAG_LEN);
	if (rc < 0)
		return rc;
	/* Encrypt Kc | metadata in two pieces of one CTR stream. */
	rc = ovpn_wrap_ctr_run(s->ctr, wkc, kc, OVPN_V2_CLIENT_KEY_LEN,
			       wkc + OVPN_TLS_CRYPT_TAG_LEN);
	if (rc == 0 && meta_len) {
		int outl = 0;

		if (!EVP_EncryptUpdate(s->ctr, wkc + OVPN_TLS_CRYPT_TAG_LEN +
				       OVPN_V2_CLIENT_KEY_LEN, &outl, meta,
				       (int)meta_len) || (size_t)outl != meta_len)
			rc = -OVPN_WRAP_E_CRYPTO;
	}
	if (rc < 0)
		return rc;
	memcpy(wkc + total - 2, lenb, 2);
	return (int)total;
}

/* Decrypt the body of WKc into kc | meta (meta_cap checked by the caller). */
static int wkc_decrypt(struct ovpn_wrap_v2_server *s, const uint8_t *wkc,
		       size_t body, uint8_t *kc, uint8_t *meta)
{
	const uint8_t *ct = wkc + OVPN_TLS_CRYPT_TAG_LEN;
	size_t mlen = body - OVPN_V2_CLIENT_KEY_LEN;
	int outl = 0;
	int rc = ovpn_wrap_ctr_run(s->ctr, wkc, ct, OVPN_V2_CLIENT_KEY_LEN, kc);

	if (rc == 0 && mlen &&
	    (!EVP_EncryptUpdate(s->ctr, meta, &outl,
				ct + OVPN_V2_CLIENT_KEY_LEN, (int)mlen) ||
	     (size_t)outl != mlen))
		rc = -OVPN_WRAP_E_CRYPTO;
	return rc;
}

int ovpn_wrap_v2_unwrap_client_key(struct ovpn_wrap_v2_server *s,
				   const uint8_t *wkc, size_t wkc_len,
				   uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				   uint8_t *meta, size_t meta_cap,
				   size_t *meta_len)
{
	uint8_t tag[OVPN_TLS_CRYPT_TAG_LEN];
	size_t body, mlen;
	int rc;

	if (wkc_len < OVPN_V2_WKC_MIN || wkc_len > OVPN_V2_WKC_MAX ||
	    ((size_t)wkc[wkc_len - 2] << 8 | wkc[wkc_len - 1]) != wkc_len)
		return -OVPN_WRAP_E_WKC_LEN;
	body = wkc_len - OVPN_TLS_CRYPT_TAG_LEN - OVPN_V2_WKC_LEN_LEN;
	mlen = body - OVPN_V2_CLIENT_KEY_LEN;
	if (mlen > meta_cap)
		return -OVPN_WRAP_E_NOSPACE;
	rc = wkc_decrypt(s, wkc, body, kc, meta);
	if (rc == 0)
		rc = ovpn_wrap_mac3(s->mac, wkc + wkc_len - 2, 2,
				    kc, OVPN_V2_CLIENT_KEY_LEN, meta, mlen,
				    tag, sizeof(tag));
	if (rc == 0 && CRYPTO_memcmp(tag, wkc, sizeof(tag)) != 0)
		rc = -OVPN_WRAP_E_WKC_AUTH;
	if (rc < 0) {
		OPENSSL_cleanse(kc, OVPN_V2_CLIENT_KEY_LEN);
		if (mlen)
			OPENSSL_cleanse(meta, mlen);
		return rc;
	}
	*meta_len = mlen;
	return 0;
}

int ovpn_wrap_v2_split(const uint8_t *pkt, size_t len, size_t *wkc_off)
{
	size_t wlen;

	if (len < 1 + OVPN_V2_WKC_MIN)
		return -OVPN_WRAP_E_SHORT;
	wlen = (size_t)pkt[len - 2] << 8 | pkt[len - 1];
	/* Never let WKc swallow the opcode byte (see the header). */
	if (wlen < OVPN_V2_WKC_MIN || wlen > OVPN_V2_WKC_MAX || wlen > len - 1)
		return -OVPN_WRAP_E_WKC_LEN;
	*wkc_off = len - wlen;
	return (int)wlen;
}

int ovpn_wrap_v2_append_wkc(uint8_t *buf, size_t len, size_t cap,
			    const uint8_t *wkc, size_t wkc_len)
{
	if (wkc_len < OVPN_V2_WKC_MIN || wkc_len > OVPN_V2_WKC_MAX)
		return -OVPN_WRAP_E_WKC_LEN;
	if (cap < len || cap - len < wkc_len || len + wkc_len > INT32_MAX)
		return -OVPN_WRAP_E_NOSPACE;
	memcpy(buf + len, wkc, wkc_len);
	return (int)(len + wkc_len);
}

int ovpn_wrap_v2_server_unwrap(struct ovpn_wrap_v2_server *s,
			       struct ovpn_wrap *tc,
			       struct ovpn_wrap_replay *replay,
			       const uint8_t *wire, size_t len,
			       uint8_t *out, size_t cap,
			       struct ovpn_wrap_rid *rid,
			       uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
			       uint8_t *meta, size_t meta_cap, size_t *meta_len)
{
	unsigned op;
	size_t off;
	int rc;

	if (len < 1)
		return -OVPN_WRAP_E_SHORT;
	op = ovpn_op_opcode(wire[0]);
	if (op != OVPN_P_CONTROL_HARD_RESET_CLIENT_V3 &&
	    op != OVPN_P_CONTROL_WKC_V1)
		return -OVPN_WRAP_E_OPCODE;
	if ((rc = ovpn_wrap_v2_split(wire, len, &off)) < 0)
		return rc;
	rc = ovpn_wrap_v2_unwrap_client_key(s, wire + off, len - off, kc,
					    meta, meta_cap, meta_len);
	if (rc == 0)
		rc = ovpn_wrap_tls_crypt_rekey(tc, kc, true);
	if (rc == 0)
		rc = ovpn_wrap_unwrap(tc, replay, wire, off, out, cap, rid);
	return rc;
}

int ovpn_wrap_v2_meta_parse(const uint8_t *meta, size_t len, uint8_t *type,
			    uint64_t *timestamp)
{
	if (len < 1)
		return -OVPN_WRAP_E_META;
	*type = meta[0];
	*timestamp = 0;
	if (meta[0] == OVPN_V2_META_USER)
		return 0;
	if (meta[0] != OVPN_V2_META_TIMESTAMP || len != OVPN_V2_META_TS_LEN)
		return -OVPN_WRAP_E_META;
	for (unsigned i = 1; i < OVPN_V2_META_TS_LEN; i++)
		*timestamp = *timestamp << 8 | meta[i];
	return 0;
}

void ovpn_wrap_v2_meta_timestamp(uint64_t t, uint8_t out[OVPN_V2_META_TS_LEN])
{
	out[0] = OVPN_V2_META_TIMESTAMP;
	for (unsigned i = 8; i >= 1; i--, t >>= 8)
		out[i] = (uint8_t)t;
}
