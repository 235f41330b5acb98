/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential fuzzing of the crypto backends (ovpn_engine.h): the same
 * bytes go to OpenSSL keys and to intel-ipsec-mb keys with the same key
 * material, for every cipher, and both must agree (abort otherwise).
 *
 *   open: the input as a packet (as is, and with a V2/key-id 0 first byte)
 *         to every RX key, one mixed burst per backend: same verdict, and
 *         on success the same rx fields and payload.
 *   seal: the input as plaintext (at most 1500 bytes, packet-id from its
 *         first bytes) with every TX key, the CBC IV pools set alike: same
 *         verdict and bytes; then each backend's packet must open with the
 *         other backend's key back to the input.
 *
 * Four keys are those of the captured vectors (tests/unit/test_data_*.c),
 * so the seeds in corpus/engine reach the decrypt path; the others have
 * seeds sealed with their keys. Where ipsec-mb cannot run, its keys fall
 * back to OpenSSL and the comparison is trivially equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_engine.h"

#define MAX_IN		4096
#define MAX_PT		1500
#define BUF_LEN		(MAX_IN + 128)

struct fuzz_key {
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;
	uint8_t cipher[32];
	uint8_t hmac[64];
};

/* KAT-1 (AES-256-GCM), KAT-4 (ChaCha), KAT-6 (CBC/SHA256), KAT-7
 * (AES-128-GCM); the rest filled in setup(). */
static struct fuzz_key fkeys[] = {
	{ OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
	  { 0x6c, 0x3b, 0x92, 0x49, 0xe6, 0xd6, 0xc0, 0x4a, 0x98, 0x36, 0xbb, 0x95,
	    0xca, 0x7b, 0xdf, 0xb1, 0xa0, 0xb3, 0x47, 0x09, 0xaa, 0x86, 0x3a, 0x08,
	    0xcd, 0x16, 0x78, 0x4d, 0x20, 0xd0, 0x38, 0x9e },
	  { 0xe5, 0xa5, 0x06, 0x40, 0x86, 0x9d, 0xdf, 0x17 } },
	{ OVPN_DATA_ALG_CHACHA20_POLY1305, OVPN_DATA_MD_NONE,
	  { 0xcf, 0x80, 0xfa, 0x4f, 0x7e, 0x79, 0x8f, 0x83, 0x1d, 0xaf, 0xde, 0xb2,
	    0xfe, 0xa8, 0x71, 0xcd, 0xab, 0x81, 0x31, 0x01, 0xc7, 0x94, 0xb0, 0x2b,
	    0x1d, 0xbc, 0xe6, 0xd6, 0xe9, 0xc8, 0xef, 0x9f },
	  { 0x81, 0xd6, 0xf3, 0xc3, 0xc5, 0xd8, 0xa8, 0x81 } },
	{ OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256,
	  { 0x49, 0x17, 0x5e, 0x0a, 0x45, 0x0f, 0x66, 0x7c, 0xa1, 0x4d, 0x2e, 0xf9,
	    0x82, 0xa3, 0xff, 0xe6, 0x24, 0x66, 0x62, 0x77, 0x57, 0xb7, 0x3c, 0x17,
	    0xff, 0x63, 0x8c, 0x8f, 0x5b, 0xfc, 0xd7, 0x3f },
	  { 0x71, 0xb7, 0x93, 0x12, 0x4a, 0x96, 0x5b, 0xb3, 0x60, 0x2f, 0x4e, 0x02,
	    0x72, 0xcd, 0xf7, 0xe1, 0x6e, 0xfc, 0x4d, 0x43, 0xab, 0x51, 0xc4, 0x75,
	    0x1c, 0x7a, 0xe2, 0x1a, 0xd7, 0x06, 0xcc, 0xb0 } },
	{ OVPN_DATA_ALG_AES_128_GCM, OVPN_DATA_MD_NONE,
	  { 0xfd, 0x71, 0x39, 0x9a, 0xa5, 0x18, 0xad, 0xd2, 0xb6, 0x20, 0x72, 0xfe,
	    0x2d, 0xbb, 0xee, 0x3d },
	  { 0xb7, 0x07, 0x34, 0x3a, 0x3c, 0x59, 0x45, 0x4c } },
	{ OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA1, { 0 }, { 0 } },
	{ OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA256, { 0 }, { 0 } },
	{ OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA512, { 0 }, { 0 } },
	{ OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA1, { 0 }, { 0 } },
	{ OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA512, { 0 }, { 0 } },
};
#define N_KEYS (sizeof(fkeys) / sizeof(fkeys[0]))
#define N_KAT_KEYS 4

static struct ovpn_data_key rx_keys[OVPN_BACKEND_NUM][N_KEYS];
static struct ovpn_data_key tx_keys[OVPN_BACKEND_NUM][N_KEYS];
static struct ovpn_engine *eng;

static struct ovpn_data_op ops[OVPN_BACKEND_NUM][2 * N_KEYS];
static uint8_t bufs[OVPN_BACKEND_NUM][2 * N_KEYS][BUF_LEN];

static void setup(void)
{
	static int done;

	if (done)
		return;
	for (size_t i = N_KAT_KEYS; i < N_KEYS; i++)
		for (size_t j = 0; j < sizeof(fkeys[i].hmac); j++) {
			if (j < sizeof(fkeys[i].cipher))
				fkeys[i].cipher[j] = (uint8_t)(i * 29 + j * 3 + 1);
			fkeys[i].hmac[j] = (uint8_t)(i * 31 + j * 5 + 2);
		}
	for (int b = 0; b < OVPN_BACKEND_NUM; b++)
		for (size_t i = 0; i < N_KEYS; i++) {
			struct ovpn_data_key_cfg cfg = {
				.alg = fkeys[i].alg, .md = fkeys[i].md,
				.dir = OVPN_DATA_DIR_RX, .key_id = 0,
				.cipher_key = fkeys[i].cipher, .hmac_key = fkeys[i].hmac,
				.backend = (uint8_t)b,
			};

			if (ovpn_data_key_init(&rx_keys[b][i], &cfg) != 0)
				abort();
			cfg.dir = OVPN_DATA_DIR_TX;
			cfg.opcode = i % 2 ? OVPN_P_DATA_V1 : OVPN_P_DATA_V2;
			cfg.peer_id = 0x123456;
			if (ovpn_data_key_init(&tx_keys[b][i], &cfg) != 0)
				abort();
		}
	eng = ovpn_engine_new();
	if (eng == NULL)
		abort();
	done = 1;
}

static void same_or_abort(size_t n, int seal)
{
	const struct ovpn_data_op *a = ops[OVPN_BACKEND_OPENSSL];
	const struct ovpn_data_op *b = ops[OVPN_BACKEND_IPSEC_MB];

	for (size_t i = 0; i < n; i++) {
		if (a[i].result != b[i].result)
			abort();
		if (a[i].result <= 0)
			continue;
		if (seal) {
			if (memcmp(a[i].pkt, b[i].pkt, (size_t)a[i].result) != 0)
				abort();
			continue;
		}
		if (a[i].rx.pid != b[i].rx.pid || a[i].rx.peer_id != b[i].rx.peer_id ||
		    a[i].rx.off != b[i].rx.off || a[i].rx.opcode != b[i].rx.opcode ||
		    a[i].rx.key_id != b[i].rx.key_id ||
		    (size_t)a[i].rx.off + (size_t)a[i].result > a[i].len ||
		    memcmp(a[i].pkt + a[i].rx.off, b[i].pkt + b[i].rx.off,
			   (size_t)a[i].result) != 0)
			abort();
	}
}

/* The input as a packet to every RX key, as is and as V2 key-id 0. */
static void try_open(const uint8_t *data, size_t size)
{
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		for (size_t i = 0; i < 2 * N_KEYS; i++) {
			struct ovpn_data_op *op = &ops[b][i];

			memcpy(bufs[b][i], data, size);
			if (i >= N_KEYS && size > 0)
				bufs[b][i][0] = 0x48;
			memset(op, 0, sizeof(*op));
			op->k = &rx_keys[b][i % N_KEYS];
			op->pkt = bufs[b][i];
			op->len = size;
		}
		ovpn_data_open_burst(eng, ops[b], 2 * N_KEYS);
	}
	same_or_abort(2 * N_KEYS, 0);
}

/* The input as plaintext with every TX key; then crosswise opens. */
static void try_seal(const uint8_t *data, size_t size, uint32_t pid)
{
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		for (size_t i = 0; i < N_KEYS; i++) {
			struct ovpn_data_key *k = &tx_keys[b][i];
			struct ovpn_data_op *op = &ops[b][i];

			if (!k->aead) {	/* the same IVs on both sides */
				memset(k->iv_pool, (int)(pid + i),
				       OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN);
				k->u.iv_next = 0;
			}
			memcpy(bufs[b][i] + ovpn_data_head_len(k), data, size);
			memset(op, 0, sizeof(*op));
			op->k = k;
			op->pkt = bufs[b][i];
			op->len = size;
			op->cap = BUF_LEN;
			op->pid = pid;
		}
		ovpn_data_seal_burst(eng, ops[b], N_KEYS);
	}
	same_or_abort(N_KEYS, 1);
	if (ops[0][0].result < 0)
		return;
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		for (size_t i = 0; i < N_KEYS; i++) {
			struct ovpn_data_op *op = &ops[b][i];

			op->len = (size_t)op->result;
			op->k = &rx_keys[1 - b][i];
		}
		ovpn_data_open_burst(eng, ops[b], N_KEYS);
		for (size_t i = 0; i < N_KEYS; i++)
			if (ops[b][i].result != (int)size || ops[b][i].rx.pid != pid ||
			    memcmp(ops[b][i].pkt + ops[b][i].rx.off, data, size) != 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IN)
		return 0;
	setup();
	try_open(data, size);
	try_seal(data, size > MAX_PT ? MAX_PT : size,
		 size >= 4 ? ovpn_get_be32(data) : 1);
	return 0;
}
