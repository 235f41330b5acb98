/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_WRAP_H
#define OVPN_WRAP_H

/*
 * Control-channel wrapping: tls-auth and tls-crypt, plus the replay-id
 * (packet-id long form) they carry (OpenVPN src/openvpn/ssl_pkt.c swap_hmac,
 * tls_crypt.c tls_crypt_wrap/tls_crypt_unwrap, crypto.c
 * key_direction_state_init, packet_id.c packet_id_write). tls-crypt-v2 is
 * in ovpn_wrap_v2.h, the stateless cookie in ovpn_wrap_cookie.h.
 *
 * Every wrapper turns the plain packet of ovpn_ctrl.h
 *     op|kid (1) | own sid (8) | inner (ack block, msg-id, payload)
 * into its wire form and back.
 *
 * tls-auth (H = digest size: SHA1 20, SHA256 32, SHA512 64):
 *
 *   0        1          9            9+H         13+H        17+H
 *   +--------+----------+------------+-----------+-----------+---------+
 *   | op|kid | own sid  | HMAC (H)   | rid ctr   | rid time  | inner   |
 *   +--------+----------+------------+-----------+-----------+---------+
 *   HMAC = HMAC(Ka_dir, rid ctr | rid time | op|kid | own sid | inner)
 *   (OpenVPN computes over the replay-id first and then swaps the blocks
 *    into wire order; we feed the HMAC in that order directly.)
 *
 * tls-crypt (fixed AES-256-CTR + HMAC-SHA256):
 *
 *   0        1          9           13          17           49
 *   +--------+----------+-----------+-----------+------------+-------------+
 *   | op|kid | own sid  | rid ctr   | rid time  | tag (32)   | AES-CTR(    |
 *   |        |          |           |           |            |   inner)    |
 *   +--------+----------+-----------+-----------+------------+-------------+
 *   tag = HMAC-SHA256(Ka, bytes[0..17) | inner); IV = tag[0..16)
 *
 * Key slices of the 256-byte static key (key[0] = bytes 0..127,
 * key[1] = 128..255, each cipher(64) | hmac(64)):
 *   direction   send uses   receive uses
 *   bidi        key[0]      key[0]
 *   0 NORMAL    key[0]      key[1]        (tls-auth server "0", tls-crypt server)
 *   1 INVERSE   key[1]      key[0]        (tls-auth client "1", tls-crypt client)
 *
 * A struct ovpn_wrap holds one HMAC context per direction (and one AES-CTR
 * context per direction for tls-crypt), made once when the key is loaded;
 * no allocation per packet. It is not thread-safe: one per thread.
 * Wrap and unwrap never work in place: out must not overlap the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovpn_ctrl.h"

#define OVPN_KEY2_LEN		256	/* struct key2: two cipher|hmac slots */
#define OVPN_KEY_SLOT_LEN	128
#define OVPN_KEY_CIPHER_OFF	0
#define OVPN_KEY_HMAC_OFF	64
#define OVPN_WRAP_RID_LEN	8
#define OVPN_TLS_CRYPT_TAG_LEN	32
#define OVPN_TLS_CRYPT_KEY_LEN	32	/* AES-256 and the HMAC-SHA256 key */
#define OVPN_TLS_CRYPT_OFF_TAG	(OVPN_CTRL_HDR_LEN + OVPN_WRAP_RID_LEN)
#define OVPN_TLS_CRYPT_OFF_CT	(OVPN_TLS_CRYPT_OFF_TAG + OVPN_TLS_CRYPT_TAG_LEN)
#define OVPN_WRAP_HMAC_MAX	64

/* Failures: negative OVPN_WRAP_E_* codes, listed in ovpn_err.h. */

enum ovpn_key_dir {
	OVPN_KEY_DIR_NORMAL = 0,	/* "key-direction 0" */
	OVPN_KEY_DIR_INVERSE = 1,	/* "key-direction 1" */
	OVPN_KEY_DIR_BIDI = 2,		/* no key-direction */
};

enum ovpn_wrap_digest {
	OVPN_WRAP_SHA1,
	OVPN_WRAP_SHA256,
	OVPN_WRAP_SHA512,
};

enum ovpn_wrap_mode {
	OVPN_WRAP_TLS_AUTH,
	OVPN_WRAP_TLS_CRYPT,
};

/*
 * Replay-id, "long form" packet-id: 32-bit counter and 32-bit Unix time.
 * Both travel big-endian.
 */
struct ovpn_wrap_rid {
	uint32_t counter;
	uint32_t time;
};

/*
 * Sending side of a replay-id: the counter is pre-incremented, so a fresh
 * context sends 1 first (0x0F000001 for an early-negotiation tls-crypt-v2
 * client, start = OVPN_V2_EARLY_NEG_START). The time is fixed at the first
 * use; it only moves when the counter is exhausted.
 */
struct ovpn_wrap_pid_tx {
	uint32_t counter;	/* last value sent */
	uint32_t time;		/* 0 until the first packet */
};

void ovpn_wrap_pid_tx_init(struct ovpn_wrap_pid_tx *tx, uint32_t start);
/* Next replay-id at now (Unix s). Returns 0 or -OVPN_WRAP_E_PID_WRAP. */
int ovpn_wrap_pid_tx_next(struct ovpn_wrap_pid_tx *tx, uint32_t now,
			  struct ovpn_wrap_rid *rid);

/*
 * Receive-side replay window (packet_id_test in OpenVPN, 64 packets):
 *   counter 0 -> refused;  time < newest time -> refused;
 *   time > newest -> accepted, window restarts at this time;
 *   same time -> accepted if above the highest counter, or within the 64
 *   below it and not seen yet.
 * check() is pure; update() records an accepted, authenticated id.
 */
#define OVPN_WRAP_REPLAY_WINDOW	64

struct ovpn_wrap_replay {
	bool active;		/* false until the first accepted id */
	uint32_t time;		/* newest time seen */
	uint32_t top;		/* highest counter at that time */
	uint64_t seen;		/* bit i: counter top - i was seen */
};

void ovpn_wrap_replay_init(struct ovpn_wrap_replay *r);
int ovpn_wrap_replay_check(const struct ovpn_wrap_replay *r,
			   const struct ovpn_wrap_rid *rid);
void ovpn_wrap_replay_update(struct ovpn_wrap_replay *r,
			     const struct ovpn_wrap_rid *rid);

struct ovpn_wrap;

/*
 * tls-auth context from a 256-byte static key. dir picks the hmac slots as
 * in the table above. Returns NULL and *err < 0 on failure.
 */
struct ovpn_wrap *ovpn_wrap_tls_auth_new(const uint8_t key2[OVPN_KEY2_LEN],
					 enum ovpn_wrap_digest digest,
					 enum ovpn_key_dir dir, int *err);
/*
 * tls-crypt context; server selects NORMAL (server) or INVERSE (client)
 * slices. Also used with the tls-crypt-v2 client key Kc.
 */
struct ovpn_wrap *ovpn_wrap_tls_crypt_new(const uint8_t key2[OVPN_KEY2_LEN],
					  bool server, int *err);
/*
 * Load new tls-crypt keys into an existing context without allocating
 * (the tls-crypt-v2 server unwraps each Kc into a scratch context).
 */
int ovpn_wrap_tls_crypt_rekey(struct ovpn_wrap *w,
			      const uint8_t key2[OVPN_KEY2_LEN], bool server);
/* Frees the contexts (which wipe their keys) and cleanses the struct. */
void ovpn_wrap_free(struct ovpn_wrap *w);

enum ovpn_wrap_mode ovpn_wrap_mode(const struct ovpn_wrap *w);
/* Bytes a wrapped packet adds to its plain form (tls-auth H+8, tls-crypt 40). */
size_t ovpn_wrap_overhead(const struct ovpn_wrap *w);

/*
 * Mode-specific wrap/unwrap with an explicit replay-id. Return the output
 * length or a negative OVPN_WRAP_E_* code. Unwrap authenticates only (no
 * replay check) and fills *rid; on failure nothing usable is left in out.
 */
int ovpn_wrap_tls_auth_wrap(struct ovpn_wrap *w, const struct ovpn_wrap_rid *rid,
			    const uint8_t *plain, size_t len,
			    uint8_t *out, size_t cap);
int ovpn_wrap_tls_auth_unwrap(struct ovpn_wrap *w, const uint8_t *wire,
			      size_t len, uint8_t *out, size_t cap,
			      struct ovpn_wrap_rid *rid);
int ovpn_wrap_tls_crypt_wrap(struct ovpn_wrap *w, const struct ovpn_wrap_rid *rid,
			     const uint8_t *plain, size_t len,
			     uint8_t *out, size_t cap);
int ovpn_wrap_tls_crypt_unwrap(struct ovpn_wrap *w, const uint8_t *wire,
			       size_t len, uint8_t *out, size_t cap,
			       struct ovpn_wrap_rid *rid);

/*
 * Generic entry points: wrap takes the next replay-id from tx (every
 * transmission, retransmissions included, gets a new one); unwrap
 * authenticates, then, if replay is not NULL, checks and records the
 * replay-id. Pass replay = NULL on the stateless cookie path (OpenVPN
 * ignores the packet-id there).
 */
int ovpn_wrap_wrap(struct ovpn_wrap *w, struct ovpn_wrap_pid_tx *tx,
		   uint32_t now, const uint8_t *plain, size_t len,
		   uint8_t *out, size_t cap);
int ovpn_wrap_unwrap(struct ovpn_wrap *w, struct ovpn_wrap_replay *replay,
		     const uint8_t *wire, size_t len, uint8_t *out, size_t cap,
		     struct ovpn_wrap_rid *rid);

#endif
