/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_HMAC_H
#define OVPN_HMAC_H

/*
 * HMAC-SHA1/256/512 for the CBC data channel's OpenSSL backend, with no
 * allocation per packet (RFC 2104): the digest states after the key's
 * ipad and opad blocks are computed once per key; each packet copies them
 * into stack contexts and hashes its data.
 *
 * Why not EVP: OpenSSL 3.0's EVP_MAC_init() with the stored key duplicates
 * the digest state through the provider's dupctx (2 allocations per
 * packet), and EVP_MD_CTX_copy_ex() does the same (1 per copy); measured
 * with CRYPTO_set_mem_functions, see bench/RESULTS.md. The SHA contexts of
 * <openssl/sha.h> are plain structs a copy duplicates. Those functions are
 * deprecated in 3.0 and bypass providers (no FIPS provider on this path);
 * ovpn_hmac.c is the one place that uses them.
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_data_key.h"

struct ovpn_hmac;

/* Precompute the states for md with key (at most one block; the data
 * channel's keys are digest-sized). NULL for NONE/unknown md, a key longer
 * than the block, or no memory. Not for the packet path. */
struct ovpn_hmac *ovpn_hmac_new(enum ovpn_data_md md, const uint8_t *key, size_t key_len);

/* Wipe and free; NULL is fine. */
void ovpn_hmac_free(struct ovpn_hmac *h);

/* out = HMAC(key, data[0..len)); returns the MAC length (20, 32, 64).
 * h is only read: one key may serve several threads. */
size_t ovpn_hmac_calc(const struct ovpn_hmac *h, const uint8_t *data, size_t len,
		      uint8_t out[OVPN_HMAC_MAX_LEN]);

#endif
