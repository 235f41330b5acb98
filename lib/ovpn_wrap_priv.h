/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_WRAP_PRIV_H
#define OVPN_WRAP_PRIV_H

/*
 * Helpers shared by ovpn_wrap.c, ovpn_wrap_v2.c and ovpn_wrap_cookie.c.
 * Not part of the public API.
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Keyed HMAC context; each packet re-inits it with the same key. */
EVP_MAC_CTX *ovpn_wrap_hmac_new(const char *md, const uint8_t *key, size_t klen);
/* HMAC of a|b|c (b, c may be empty), truncated to outlen bytes. */
int ovpn_wrap_mac3(EVP_MAC_CTX *ctx, const uint8_t *a, size_t alen,
		   const uint8_t *b, size_t blen, const uint8_t *c, size_t clen,
		   uint8_t *out, size_t outlen);
/* AES-256-CTR with a full 16-byte initial counter block. */
int ovpn_wrap_ctr_run(EVP_CIPHER_CTX *ctx, const uint8_t *iv,
		      const uint8_t *in, size_t len, uint8_t *out);
/* (Re)key an AES-256-CTR context, allocating it on first use. */
int ovpn_wrap_ctr_key(EVP_CIPHER_CTX **ctx, const uint8_t *key);

#endif
