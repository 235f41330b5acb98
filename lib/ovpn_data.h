/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_DATA_H
#define OVPN_DATA_H

/*
 * OpenVPN 2.6 data channel: classification, data headers, and the per-key
 * seal/open of AEAD (AES-GCM, ChaCha20-Poly1305) and legacy CBC+HMAC
 * packets. Reference: ../shared/protocol/data-channel.md (cited as "doc §n").
 *
 * Companion modules with their own headers: ovpn_pktid.h (TX counter and
 * replay window), ovpn_comp.h (compression framing), ovpn_inband.h (ping and
 * OCC messages). All of them report failures with the error codes below.
 *
 * AEAD packet, P_DATA_V2 (doc §3.1):
 *
 *  0        1                 4                 8                  24
 * +--------+-----------------+-----------------+------------------+------------+
 * | 0x48|k |  peer-id (24b)  | packet-id (32b) | AEAD tag (16 B)  | ciphertext |
 * +--------+-----------------+-----------------+------------------+------------+
 *  \___________________ AAD (8 B) _____________/
 *
 * AEAD packet, P_DATA_V1: the opcode byte is NOT authenticated.
 *
 *  0        1                 5                  21
 * +--------+-----------------+------------------+------------+
 * | 0x30|k | packet-id (32b) | AEAD tag (16 B)  | ciphertext |
 * +--------+-----------------+------------------+------------+
 *           \__ AAD (4 B) __/
 *
 * nonce (12 B) = packet-id (4 B, as on the wire) || nonce tail (8 B, the
 * "implicit IV": first 8 bytes of the direction's hmac key slice, doc §2).
 *
 * CBC + HMAC packet (doc §4.1), encrypt-then-MAC; the header is never
 * covered by the HMAC, not even for P_DATA_V2:
 *
 * +------------+-----------------+-------------+----------------------------------+
 * | op [+pid24]| HMAC(IV || CT)  | IV (16 B)   | CBC( packet-id | payload | pad ) |
 * +------------+-----------------+-------------+----------------------------------+
 *   1 or 4 B     H = 20/32/64 B    random        PKCS#7 pad, 1..16 bytes
 *
 * Buffers: everything works in place on one contiguous buffer (an mbuf's
 * data room). seal() expects the plaintext at pkt + ovpn_data_head_len()
 * and builds the header in front of it; open() leaves the plaintext inside
 * the packet and reports its offset. No function allocates memory, takes a
 * lock, looks anything up by name, prints or exits on the packet path;
 * caveat for CBC only: see ovpn_cbc_seal().
 *
 * Thread safety: a struct ovpn_data_key holds mutable OpenSSL state and (CBC)
 * an IV pool, so each key context must be used by one thread at a time; the
 * data plane gives every key exactly one writing lcore (STYLE.md §5).
 * Distinct contexts may be used concurrently. init/free must not race with
 * seal/open: free a key only after every worker has passed a grace period.
 * The classification, header and error-table functions are pure.
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ovpn_proto.h"

/* Error codes: every function returns >= 0 on success, one of these on
 * failure. -err indexes a counter array of OVPN_DATA_ERR_NUM entries. */
enum ovpn_data_err {
	OVPN_DATA_OK = 0,
	OVPN_DATA_ERR_SHORT = -1,
	OVPN_DATA_ERR_TOO_LONG = -2,
	OVPN_DATA_ERR_OPCODE = -3,
	OVPN_DATA_ERR_KEY_ID = -4,
	OVPN_DATA_ERR_AUTH = -5,
	OVPN_DATA_ERR_BLOCK_LEN = -6,
	OVPN_DATA_ERR_PADDING = -7,
	OVPN_DATA_ERR_PKTID_ZERO = -8,
	OVPN_DATA_ERR_REPLAY = -9,
	OVPN_DATA_ERR_TOO_OLD = -10,
	OVPN_DATA_ERR_PKTID_EXHAUSTED = -11,
	OVPN_DATA_ERR_LZO = -12,
	OVPN_DATA_ERR_COMPRESSED = -13,
	OVPN_DATA_ERR_COMP_FRAMING = -14,
	OVPN_DATA_ERR_NOSPACE = -15,
	OVPN_DATA_ERR_INVAL = -16,
	OVPN_DATA_ERR_CRYPTO = -17,
};
#define OVPN_DATA_ERR_NUM	18	/* entries incl. OVPN_DATA_OK */

/* Short identifier ("auth", "replay") for counter names; "unknown" if err is
 * out of range. */
const char *ovpn_data_err_name(int err);
/* One-line description for logs and `show` output. */
const char *ovpn_data_err_desc(int err);

/* ---- classification and data headers (doc §1, §3.1) ---- */

#define OVPN_DATA_V1_HDR_LEN	1
#define OVPN_DATA_V2_HDR_LEN	4
#define OVPN_DATA_PKTID_LEN	4
#define OVPN_AEAD_TAG_LEN	16
#define OVPN_AEAD_NONCE_LEN	12
#define OVPN_AEAD_AAD_V2_LEN	8
#define OVPN_AEAD_AAD_V1_LEN	4
#define OVPN_CBC_BLOCK_LEN	16
#define OVPN_CBC_IV_LEN		16
#define OVPN_HMAC_MAX_LEN	64
/* Longest packet or payload we handle; keeps lengths inside OpenSSL's int. */
#define OVPN_DATA_MAX_LEN	65535

enum ovpn_data_class {
	OVPN_DATA_CLASS_DROP = 0,	/* empty, or opcode 0 / 12..31 */
	OVPN_DATA_CLASS_DATA_V1,
	OVPN_DATA_CLASS_DATA_V2,	/* at least the 4-byte header present */
	OVPN_DATA_CLASS_CONTROL,	/* every other known opcode */
};

/* Split on byte 0 (STYLE.md §6). A P_DATA_V2 shorter than its 4-byte
 * header is DROP, so DATA_V2 guarantees ovpn_data_peer_id() is safe. */
enum ovpn_data_class ovpn_data_classify(const uint8_t *pkt, size_t len);

/* 24-bit peer-id of a packet classified DATA_V2. */
static inline uint32_t ovpn_data_peer_id(const uint8_t *pkt)
{
	return (uint32_t)pkt[1] << 16 | (uint32_t)pkt[2] << 8 | pkt[3];
}

struct ovpn_data_hdr {
	uint8_t opcode;		/* OVPN_P_DATA_V1 or OVPN_P_DATA_V2 */
	uint8_t key_id;
	uint8_t len;		/* 1 or 4 */
	uint32_t peer_id;	/* OVPN_PEER_ID_UNDEF for V1 */
};

/* Parse a data header. Returns its length (1 or 4), ERR_SHORT or
 * ERR_OPCODE (not a data packet). */
int ovpn_data_hdr_parse(const uint8_t *pkt, size_t len, struct ovpn_data_hdr *h);

/* Write a V1 (peer_id ignored) or V2 header into dst. Returns its length,
 * ERR_NOSPACE if cap is too small, ERR_INVAL for a bad opcode/peer-id. */
int ovpn_data_hdr_build(uint8_t *dst, size_t cap, unsigned int opcode,
			unsigned int key_id, uint32_t peer_id);

/* ---- key contexts ---- */

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

/* What the control plane hands over for one direction of one key state. */
struct ovpn_data_key_cfg {
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;		/* CBC only; NONE for AEAD */
	enum ovpn_data_dir dir;
	uint8_t key_id;			/* 0..7 */
	uint8_t opcode;			/* TX: OVPN_P_DATA_V2 or _V1 */
	uint32_t peer_id;		/* TX with V2: the client's peer-id */
	/* First K bytes of the direction's 64-byte cipher slice (doc §2). */
	const uint8_t *cipher_key;
	/* AEAD: first 8 bytes of the hmac slice (nonce tail).
	 * CBC: first H bytes of the hmac slice (HMAC key). */
	const uint8_t *hmac_key;
};

/* CBC IVs are drawn from a per-key pool refilled by one RAND_bytes() call
 * every OVPN_CBC_IV_POOL packets (RAND_bytes is a userspace DRBG but costs a
 * call chain that allocates (about 1.5 libcrypto allocations per call on
 * OpenSSL 3.0, measured); batching amortises both). */
#define OVPN_CBC_IV_POOL	32

struct ovpn_data_key {
	EVP_CIPHER_CTX *cctx;		/* keyed once; per packet only the IV */
	EVP_CIPHER *cipher;		/* fetched once at init */
	EVP_MAC_CTX *hmac;		/* CBC: keyed once at init */
	EVP_MAC *mac;
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
		struct {
			uint32_t next;				/* CBC */
			uint8_t pool[OVPN_CBC_IV_POOL][OVPN_CBC_IV_LEN];
		} iv;
	} u;
};

/* Receive-side result of a successful open. */
struct ovpn_data_rx {
	uint32_t pid;		/* packet-id: feed ovpn_pktid_recv_check() */
	uint32_t peer_id;	/* V2 header value, OVPN_PEER_ID_UNDEF for V1 */
	uint16_t off;		/* payload starts at pkt + off */
	uint8_t opcode;
	uint8_t key_id;
};

/* Key bytes for alg (16 or 32), HMAC bytes for md (0, 20, 32, 64). */
size_t ovpn_data_alg_key_len(enum ovpn_data_alg alg);
size_t ovpn_data_md_len(enum ovpn_data_md md);
/* Map OpenVPN's spelling ("AES-256-GCM", "SHA256") to the enums; -1 if
 * unknown. Case-insensitive, as OpenVPN compares cipher names. */
int ovpn_data_alg_from_name(const char *name);
int ovpn_data_md_from_name(const char *name);

/* Fetch the cipher (and HMAC), create and key the contexts. Returns 0,
 * ERR_INVAL for an inconsistent cfg, ERR_CRYPTO if libcrypto fails. On
 * failure k is left freed (safe to call ovpn_data_key_free again). Not for
 * the packet path. */
int ovpn_data_key_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg);

/* Free the OpenSSL contexts (which wipe their key schedules) and
 * OPENSSL_cleanse() the whole struct (nonce tail, IV pool). Idempotent. */
void ovpn_data_key_free(struct ovpn_data_key *k);

/* Bytes the TX path needs in front of the plaintext (header, packet-id,
 * tag or HMAC+IV+packet-id) and at most behind it (CBC padding). */
size_t ovpn_data_head_len(const struct ovpn_data_key *k);
size_t ovpn_data_tail_max(const struct ovpn_data_key *k);

/*
 * Seal in place. On entry pkt[head .. head + pt_len) holds the plaintext,
 * head = ovpn_data_head_len(k); cap is the number of writable bytes from
 * pkt (>= head + pt_len + ovpn_data_tail_max(k) suffices). pid comes from
 * ovpn_pktid_send_next(). Returns the packet length (from pkt), or
 * ERR_SHORT (empty plaintext), ERR_TOO_LONG, ERR_NOSPACE, ERR_INVAL (RX key
 * or pid 0), ERR_CRYPTO. Dispatches to ovpn_aead_seal()/ovpn_cbc_seal().
 */
int ovpn_data_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		   size_t cap, uint32_t pid);

/*
 * Open in place: check length and key-id, authenticate, decrypt. Returns the
 * payload length (>= 1) with rx filled, or ERR_SHORT, ERR_TOO_LONG,
 * ERR_OPCODE, ERR_KEY_ID, ERR_AUTH, ERR_BLOCK_LEN/ERR_PADDING (CBC),
 * ERR_INVAL (TX key), ERR_CRYPTO. The packet-id is NOT replay-checked here:
 * the caller runs ovpn_pktid_recv_check(rx->pid) next, only on success
 * (authenticate first, then replay: doc §3.3, STYLE.md §9). On failure the
 * buffer content is unspecified and must be dropped.
 */
int ovpn_data_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		   struct ovpn_data_rx *rx);

/* The AEAD and CBC halves, same contracts as above (k must be of that kind). */
int ovpn_aead_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		   size_t cap, uint32_t pid);
int ovpn_aead_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		   struct ovpn_data_rx *rx);

/*
 * CBC seal with an IV from the key's pool (one RAND_bytes() per
 * OVPN_CBC_IV_POOL packets). Caveat: OpenSSL 3.0's HMAC re-init duplicates
 * the digest state internally, i.e. libcrypto itself makes two small
 * allocations per CBC packet (measured with CRYPTO_set_mem_functions); the
 * AEAD path makes none. CBC is the legacy profile (doc §4.2).
 */
int ovpn_cbc_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		  size_t cap, uint32_t pid);
/* Same with a caller-supplied IV (its own batched RNG output, or tests). */
int ovpn_cbc_seal_iv(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, uint32_t pid, const uint8_t iv[OVPN_CBC_IV_LEN]);
int ovpn_cbc_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		  struct ovpn_data_rx *rx);

/* Internal to ovpn_data.c/ovpn_aead.c/ovpn_cbc.c: the checks and header
 * work both codecs share. rx_hdr returns the header length or an error;
 * tx_hdr checks sizes (tail = padding the codec will add) and writes the
 * opcode/peer-id header, returning its length or an error. */
int ovpn_data_rx_hdr(const struct ovpn_data_key *k, const uint8_t *pkt,
		     size_t len, struct ovpn_data_rx *rx);
int ovpn_data_tx_hdr(const struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, size_t tail, uint32_t pid);

static inline uint32_t ovpn_data_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void ovpn_data_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
