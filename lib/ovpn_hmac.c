/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC from precomputed inner/outer digest states (see ovpn_hmac.h;
 * RFC 2104 section 2). The low-level SHA functions are deprecated in
 * OpenSSL 3.0: this file alone opts in to them, for the reason given in
 * the header.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "ovpn_hmac.h"

union sha_ctx {
	SHA_CTX s1;
	SHA256_CTX s256;
	SHA512_CTX s512;
};

struct ovpn_hmac {
	union sha_ctx inner;	/* after (key ^ ipad) */
	union sha_ctx outer;	/* after (key ^ opad) */
	enum ovpn_data_md md;
};

#define HMAC_BLOCK_MAX	128	/* SHA-512 */

static size_t block_len(enum ovpn_data_md md)
{
	return md == OVPN_DATA_MD_SHA512 ? 128 : 64;
}

static void sha_init(enum ovpn_data_md md, union sha_ctx *c)
{
	switch (md) {
	case OVPN_DATA_MD_SHA1: SHA1_Init(&c->s1); break;
	case OVPN_DATA_MD_SHA256: SHA256_Init(&c->s256); break;
	default: SHA512_Init(&c->s512); break;
	}
}

static void sha_update(enum ovpn_data_md md, union sha_ctx *c, const void *p, size_t n)
{
	switch (md) {
	case OVPN_DATA_MD_SHA1: SHA1_Update(&c->s1, p, n); break;
	case OVPN_DATA_MD_SHA256: SHA256_Update(&c->s256, p, n); break;
	default: SHA512_Update(&c->s512, p, n); break;
	}
}

/* Finish c into out; returns the digest length. */
static size_t sha_final(enum ovpn_data_md md, union sha_ctx *c, uint8_t *out)
{
	switch (md) {
	case OVPN_DATA_MD_SHA1: SHA1_Final(out, &c->s1); return SHA_DIGEST_LENGTH;
	case OVPN_DATA_MD_SHA256: SHA256_Final(out, &c->s256); return SHA256_DIGEST_LENGTH;
	default: SHA512_Final(out, &c->s512); return SHA512_DIGEST_LENGTH;
	}
}

struct ovpn_hmac *ovpn_hmac_new(enum ovpn_data_md md, const uint8_t *key, size_t key_len)
{
	uint8_t pad[HMAC_BLOCK_MAX];
	struct ovpn_hmac *h;
	size_t block = block_len(md);

	if ((md != OVPN_DATA_MD_SHA1 && md != OVPN_DATA_MD_SHA256 &&
	     md != OVPN_DATA_MD_SHA512) || key_len > block || (key == NULL && key_len > 0))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->md = md;
	memset(pad, 0, block);
	if (key_len > 0)
		memcpy(pad, key, key_len);
	for (size_t i = 0; i < block; i++)
		pad[i] ^= 0x36;
	sha_init(md, &h->inner);
	sha_update(md, &h->inner, pad, block);
	for (size_t i = 0; i < block; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	sha_init(md, &h->outer);
	sha_update(md, &h->outer, pad, block);
	OPENSSL_cleanse(pad, sizeof(pad));
	return h;
}

void ovpn_hmac_free(struct ovpn_hmac *h)
{
	if (h == NULL)
		return;
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

size_t ovpn_hmac_calc(const struct ovpn_hmac *h, const uint8_t *data, size_t len,
		      uint8_t out[OVPN_HMAC_MAX_LEN])
{
	union sha_ctx c = h->inner;
	uint8_t ihash[OVPN_HMAC_MAX_LEN];
	size_t n;

	sha_update(h->md, &c, data, len);
	n = sha_final(h->md, &c, ihash);
	c = h->outer;
	sha_update(h->md, &c, ihash, n);
	n = sha_final(h->md, &c, out);
	OPENSSL_cleanse(&c, sizeof(c));
	return n;
}
