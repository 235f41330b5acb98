/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the data-channel parsers of untrusted bytes: classification, the data
 * header, open() under fixed keys for every codec (the keys of the captured
 * vectors, so corpus seeds reach the decrypt path), compression de-framing
 * in every mode and in-band detection. Also a differential check: the input
 * sealed as plaintext must open back to itself (abort otherwise), and the
 * input read as a packet-id stream must keep the replay window sane.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_comp.h"
#include "ovpn_data.h"
#include "ovpn_inband.h"
#include "ovpn_pktid.h"

#define MAX_IN 4096

struct fuzz_key {
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;
	uint8_t cipher[32];
	uint8_t hmac[32];
};

/* KAT-1 c2s (AES-256-GCM), KAT-4 (ChaCha), KAT-6 (CBC/SHA256), AES-128-GCM. */
static const struct fuzz_key fkeys[] = {
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
	{ OVPN_DATA_ALG_AES_128_GCM, OVPN_DATA_MD_NONE, { 1, 2, 3 }, { 4, 5, 6 } },
};
#define N_KEYS (sizeof(fkeys) / sizeof(fkeys[0]))

static struct ovpn_data_key rx_keys[N_KEYS], tx_keys[N_KEYS];

static void setup(void)
{
	static int done;

	if (done)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		struct ovpn_data_key_cfg cfg = {
			.alg = fkeys[i].alg, .md = fkeys[i].md,
			.dir = OVPN_DATA_DIR_RX, .key_id = 0,
			.cipher_key = fkeys[i].cipher, .hmac_key = fkeys[i].hmac,
		};

		if (ovpn_data_key_init(&rx_keys[i], &cfg) != 0)
			abort();
		cfg.dir = OVPN_DATA_DIR_TX;
		cfg.opcode = i % 2 ? OVPN_P_DATA_V1 : OVPN_P_DATA_V2;
		cfg.peer_id = 0x123456;
		if (ovpn_data_key_init(&tx_keys[i], &cfg) != 0)
			abort();
	}
	done = 1;
}

/* De-frame in every mode, then look for ping/OCC. */
static void payload_stages(const uint8_t *p, size_t len)
{
	static const enum ovpn_comp_mode modes[] = {
		OVPN_COMP_NONE, OVPN_COMP_LZO, OVPN_COMP_STUB, OVPN_COMP_STUB_V2,
	};
	uint8_t buf[MAX_IN];
	struct ovpn_occ_msg occ;

	for (size_t m = 0; m < 4; m++) {
		size_t off;
		int n;

		memcpy(buf, p, len);
		n = ovpn_comp_strip(modes[m], buf, len, &off);
		if (n < 0)
			continue;
		if (off + (size_t)n > len)
			abort();
		if (ovpn_inband_parse(buf + off, (size_t)n, &occ) == OVPN_INBAND_OCC &&
		    occ.body + occ.body_len != buf + off + n)
			abort();
	}
}

static void try_open(const uint8_t *data, size_t size)
{
	uint8_t buf[MAX_IN];

	for (size_t i = 0; i < N_KEYS; i++) {
		struct ovpn_data_rx rx;
		int n;

		memcpy(buf, data, size);
		n = ovpn_data_open(&rx_keys[i], buf, size, &rx);
		if (n <= 0)
			continue;
		if ((size_t)rx.off + (size_t)n > size)
			abort();
		payload_stages(buf + rx.off, (size_t)n);
	}
}

/* Differential: seal the input as plaintext, open it, compare. */
static void round_trip(const uint8_t *data, size_t size, uint32_t pid)
{
	uint8_t buf[MAX_IN + 128];

	if (size == 0 || size > MAX_IN || pid == 0)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		size_t head = ovpn_data_head_len(&tx_keys[i]);
		struct ovpn_data_rx rx;
		int len, n;

		memcpy(buf + head, data, size);
		len = ovpn_data_seal(&tx_keys[i], buf, size, sizeof(buf), pid);
		if (len < 0)
			abort();
		n = ovpn_data_open(&rx_keys[i], buf, (size_t)len, &rx);
		if (n != (int)size || rx.pid != pid ||
		    memcmp(buf + rx.off, data, size) != 0)
			abort();
	}
}

/* Packet-id stream: accepted ids are never accepted twice. */
static void replay_stream(const uint8_t *data, size_t size)
{
	struct ovpn_pktid_recv w;
	unsigned int window = size ? 1 + data[0] * 16u : 64;

	if (ovpn_pktid_recv_init(&w, window) != 0)
		abort();
	for (size_t i = 1; i + 4 <= size; i += 4) {
		uint32_t pid = ovpn_get_be32(data + i);

		if (ovpn_pktid_recv_check(&w, pid) == 0 &&
		    ovpn_pktid_recv_check(&w, pid) == 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovpn_data_hdr h;

	if (size > MAX_IN)
		return 0;
	setup();
	(void)ovpn_data_classify(data, size);
	if (ovpn_data_hdr_parse(data, size, &h) > (int)size)
		abort();
	try_open(data, size);
	payload_stages(data, size);
	round_trip(data, size > 1500 ? 1500 : size,
		   size >= 4 ? ovpn_get_be32(data) : 1);
	replay_stream(data, size);
	return 0;
}
