/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_ENGINE_H
#define OVPN_ENGINE_H

/*
 * Data-channel crypto backends and the burst API.
 *
 * A key is bound to a backend when it is made (ovpn_data_key_cfg.backend):
 *
 *   OVPN_BACKEND_OPENSSL   OpenSSL 3 EVP, one packet at a time (ovpn_aead.c,
 *                          ovpn_cbc.c)
 *   OVPN_BACKEND_IPSEC_MB  intel-ipsec-mb's job API (ovpn_imb.c): key
 *                          schedules, GCM tables and HMAC inner/outer states
 *                          computed once per key; a burst of packets is
 *                          submitted together and its completions matched
 *                          back in order
 *
 * A cipher the ipsec-mb backend cannot do falls back to OpenSSL for that key
 * (ovpn_data_key_backend() tells which one a key got). Either backend
 * produces the same bytes for the same key, packet-id and input: the packet
 * format is OpenVPN's (OpenVPN src/openvpn/crypto.c openvpn_encrypt_aead,
 * openvpn_encrypt_v1), only the arithmetic differs.
 *
 * An engine is per thread (the ipsec-mb manager holds per-lane state, and a
 * reservoir of RAND_bytes() output that refills the CBC IV pools of
 * ipsec-mb keys, one call per 1024 IVs), so every data-plane worker makes
 * its own; it is not shared and not locked. Nothing on the burst path
 * allocates, locks, prints or exits, except inside RAND_bytes() when CBC
 * IVs run out (as on the OpenSSL path, see ovpn_cbc_seal()).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovpn_data.h"

/* ovpn_data_key_cfg.backend selects one of these (0, the default, is OpenSSL). */

enum ovpn_backend {
	OVPN_BACKEND_OPENSSL = 0,
	OVPN_BACKEND_IPSEC_MB = 1,
	OVPN_BACKEND_NUM,
};

const char *ovpn_backend_name(enum ovpn_backend b);	/* "openssl", "ipsec-mb" */

/*
 * Can backend b run on this CPU (and was it built in)? 0 if so; else -1
 * with a reason in why ("no AES-NI", "built without intel-ipsec-mb", ...).
 * On success for ipsec-mb, why gets the architecture picked ("avx512",
 * "avx2", "sse").
 */
int ovpn_backend_probe(enum ovpn_backend b, char *why, size_t len);

/* Does backend b do this cipher (and digest, for CBC) itself? */
bool ovpn_backend_has(enum ovpn_backend b, enum ovpn_data_alg alg, enum ovpn_data_md md);

/* Per-thread state of every backend (ipsec-mb: an IMB_MGR). */
struct ovpn_engine;

/* NULL on allocation failure. Not for the packet path. */
struct ovpn_engine *ovpn_engine_new(void);
void ovpn_engine_free(struct ovpn_engine *e);

/* One packet of a burst. */
struct ovpn_data_op {
	struct ovpn_data_key *k;
	uint8_t *pkt;
	size_t len;		/* seal: plaintext length at pkt + head_len; open: packet length */
	size_t cap;		/* seal: writable bytes from pkt */
	uint32_t pid;		/* seal: the packet-id to use */
	struct ovpn_data_rx rx;	/* open: filled on success */
	int result;		/* out: as ovpn_data_seal()/ovpn_data_open() return */
};

/*
 * Seal / open ops[0..n) in place, keys and backends mixed freely; each op's
 * result is what ovpn_data_seal()/ovpn_data_open() would return for it
 * alone, and the bytes are the same. n may be 0. (The one-packet
 * ovpn_data_seal()/ovpn_data_open() have no engine: they serve OpenSSL keys
 * only and return OVPN_DATA_ERR_INVAL for an ipsec-mb key; so does a burst
 * with e NULL.) ipsec-mb ops go to the library together, up to 64 at a
 * time, in the order given; OpenSSL ops run one by one as they come.
 */
void ovpn_data_seal_burst(struct ovpn_engine *e, struct ovpn_data_op *ops, unsigned n);
void ovpn_data_open_burst(struct ovpn_engine *e, struct ovpn_data_op *ops, unsigned n);

/* The backend key k really uses (after any fallback). */
enum ovpn_backend ovpn_data_key_backend(const struct ovpn_data_key *k);

#endif
