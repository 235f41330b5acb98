/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_DATA_UTIL_H
#define TEST_DATA_UTIL_H

/*
 * Helpers shared by the data-channel unit tests: hex decoding and key
 * context set-up from the vectors captured from real OpenVPN 2.6.14
 * sessions (throw-away keys).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ovpn_data.h"

/* Decode hex into dst; returns the byte count or (size_t)-1 on bad input
 * (a test bug, so callers CHECK the result). */
static inline size_t hex2bin(const char *hex, uint8_t *dst, size_t cap)
{
	size_t n = strlen(hex) / 2;

	if (strlen(hex) % 2 != 0 || n > cap)
		return (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		char *end;

		dst[i] = (uint8_t)strtoul(b, &end, 16);
		if (*end != '\0')
			return (size_t)-1;
	}
	return n;
}

/* Key context from hex key material; hmac_hex is the nonce tail for AEAD. */
static inline int key_from_hex(struct ovpn_data_key *k, enum ovpn_data_alg alg,
			       enum ovpn_data_md md, enum ovpn_data_dir dir,
			       unsigned int opcode, unsigned int key_id,
			       uint32_t peer_id, const char *key_hex,
			       const char *hmac_hex)
{
	uint8_t key[64], hmac[64];
	struct ovpn_data_key_cfg cfg = {
		.alg = alg, .md = md, .dir = dir, .key_id = (uint8_t)key_id,
		.opcode = (uint8_t)opcode, .peer_id = peer_id,
		.cipher_key = key, .hmac_key = hmac,
	};

	memset(key, 0, sizeof(key));
	memset(hmac, 0, sizeof(hmac));
	if (hex2bin(key_hex, key, sizeof(key)) == (size_t)-1 ||
	    hex2bin(hmac_hex, hmac, sizeof(hmac)) == (size_t)-1)
		return -100;
	return ovpn_data_key_init(k, &cfg);
}

/* libcrypto's allocations, counted once data_count_allocs() hooked them;
 * it must run before libcrypto's first allocation (first thing in main). */
static inline unsigned long *data_allocs(void)
{
	static unsigned long n;

	return &n;
}

static inline void *data_count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	++*data_allocs();
	return malloc(n);
}

static inline void *data_count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	++*data_allocs();
	return realloc(p, n);
}

static inline void data_count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static inline int data_count_allocs(void)
{
	return CRYPTO_set_mem_functions(data_count_malloc, data_count_realloc, data_count_free);
}

/* Deterministic filler so failures reproduce. */
static inline void fill_pattern(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed * 7 + 1);
}

#endif
