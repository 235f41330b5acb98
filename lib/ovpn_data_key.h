/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_DATA_KEY_H
#define OVPN_DATA_KEY_H

/*
 * The data-channel key context and what describes it: the types shared by
 * the framing (ovpn_hdr.h), the two codecs (ovpn_aead.h, ovpn_cbc.h) and
 * the key life cycle (ovpn_data.h). Types and sizes only, no functions.
 *
 * Thread safety: a struct ovpn_data_key holds mutable OpenSSL state and (CBC
 * TX) an IV pool (ipsec-mb key material is read-only after init), so each key
 * context must be used by one thread at a time; the data plane gives every
 * key exactly one writing lcore (docs/architecture.md, "Peers, keys and
 * their lifetime"). Distinct contexts may be used
 * concurrently. init/free must not race with seal/open: free a key only after
 * every worker has passed a grace period.
 */
#include <stdint.h>

#include <openssl/evp.h>

#include "ovpn_proto.h"

#define OVPN_AEAD_TAG_LEN	16
#define OVPN_AEAD_NONCE_LEN	12
#define OVPN_AEAD_AAD_V2_LEN	8
#define OVPN_AEAD_AAD_V1_LEN	4
#define OVPN_CBC_BLOCK_LEN	16
#define OVPN_CBC_IV_LEN		16
#define OVPN_HMAC_MAX_LEN	64

enum ovpn_data_alg {
	OVPN_DATA_ALG_AES_128_GCM = 0,
	OVPN_DATA_ALG_AES_256_GCM,
	OVPN_DATA_ALG_CHACHA20_POLY1305,
	OVPN_DATA_ALG_AES_128_CBC,	/* legacy, needs a digest */
	OVPN_DATA_ALG_AES_256_CBC,
	OVPN_DATA_ALG_NUM,
};

enum ovpn_data_md {
	OVPN_DATA_MD_NONE = 0,		/* AEAD */
	OVPN_DATA_MD_SHA1,
	OVPN_DATA_MD_SHA256,
	OVPN_DATA_MD_SHA512,
	OVPN_DATA_MD_NUM,
};

enum ovpn_data_dir {
	OVPN_DATA_DIR_TX = 0,		/* seal only */
	OVPN_DATA_DIR_RX,		/* open only */
};

/*
 * What the control plane hands over for one direction of one key state.
 * The slices are those of OpenVPN's struct key (src/openvpn/crypto.h: a
 * 64-byte cipher slice and a 64-byte hmac slice per direction).
 */
struct ovpn_data_key_cfg {
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;		/* CBC only; NONE for AEAD */
	enum ovpn_data_dir dir;
	uint8_t key_id;			/* 0..7 */
	uint8_t opcode;			/* TX: OVPN_P_DATA_V2 or _V1 */
	uint32_t peer_id;		/* TX with V2: the client's peer-id */
	/* First K bytes of the direction's 64-byte cipher slice. */
	const uint8_t *cipher_key;
	/* AEAD: first 8 bytes of the hmac slice (nonce tail, OpenVPN ssl.c
	 * key_ctx_update_implicit_iv). CBC: first H bytes of the hmac slice
	 * (HMAC key). */
	const uint8_t *hmac_key;
	/* enum ovpn_backend (ovpn_engine.h): 0 = OpenSSL, the default. A
	 * backend that cannot do this cipher here falls back to OpenSSL. */
	uint8_t backend;
};

/* CBC IVs are drawn from a per-key pool refilled by one RAND_bytes() call
 * every OVPN_CBC_IV_POOL packets (RAND_bytes is a userspace DRBG but costs a
 * call chain that allocates (about 1.5 libcrypto allocations per call on
 * OpenSSL 3.0, measured); batching amortises both). Only CBC TX keys have
 * one (ovpn_data_key_mem_len()). */
#define OVPN_CBC_IV_POOL	32

/* Alignment of a key's material (ovpn_data_key_init_in()): the ipsec-mb
 * AVX-512 code loads the GCM tables 64 bytes at a time. */
#define OVPN_DATA_KEY_ALIGN	64

struct ovpn_hmac;

/*
 * One cache line: what every packet of the key reads. The bulky per-key
 * state of one backend and cipher lives outside it, in the key's material
 * (mem_len bytes): the ipsec-mb key schedules sized for the cipher
 * (ovpn_imb.c), then the CBC IV pool of a TX key. ovpn_data_key_init()
 * allocates it; ovpn_data_key_init_in() takes the caller's memory, so a
 * data-plane key holds both directions and their material in one block.
 */
struct ovpn_data_key {
	/* ipsec-mb: the key schedules (GCM key and GHASH tables, the ChaCha20
	 * key, or CBC schedules and HMAC states) at the start of the
	 * material; NULL for an OpenSSL key */
	void *imb;
	/* OpenSSL backend (NULL for an ipsec-mb key) */
	EVP_CIPHER_CTX *cctx;		/* keyed once; per packet only the IV */
	struct ovpn_hmac *hmac;		/* CBC: inner/outer states, made once
					 * at init (ovpn_hmac.h) */
	uint8_t backend;		/* enum ovpn_backend, after fallback */
	uint8_t alg;			/* enum ovpn_data_alg */
	uint8_t aead;			/* 1 for GCM/ChaCha, 0 for CBC */
	uint8_t dir;			/* enum ovpn_data_dir */
	uint8_t key_id;
	uint8_t opcode;			/* TX header */
	uint8_t hdr_len;		/* TX header length */
	uint8_t hmac_len;		/* CBC: H; AEAD: 0 */
	uint32_t peer_id;		/* TX header, V2 */
	union {
		uint8_t nonce_tail[OVPN_NONCE_TAIL_LEN];	/* AEAD */
		uint32_t iv_next;	/* CBC TX: next unused IV of iv_pool */
	} u;
	/* CBC TX: OVPN_CBC_IV_POOL IVs, in the material after the schedules */
	uint8_t (*iv_pool)[OVPN_CBC_IV_LEN];
	/* Key life cycle only: the material's length (it starts at imb, else
	 * at iv_pool), wiped by ovpn_data_key_free() */
	uint16_t mem_len;
	uint8_t mem_own;		/* 1: ovpn_data_key_init() allocated it */
};

_Static_assert(sizeof(struct ovpn_data_key) <= 64,
	       "a key's per-packet fields fit one cache line");

/* Receive-side result of a successful open. */
struct ovpn_data_rx {
	uint32_t pid;		/* packet-id: feed ovpn_pktid_recv_check() */
	uint32_t peer_id;	/* V2 header value, OVPN_PEER_ID_UNDEF for V1 */
	uint16_t off;		/* payload starts at pkt + off */
	uint8_t opcode;
	uint8_t key_id;
};

#endif
