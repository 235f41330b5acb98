/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_DATA_H
#define OVPN_DATA_H

/*
 * OpenVPN 2.6 data channel: the key context life cycle and the per-key
 * seal/open of AEAD (AES-GCM, ChaCha20-Poly1305) and legacy CBC+HMAC
 * packets. This header is the data channel's front door: it brings in
 *
 *   ovpn_err.h       the OVPN_DATA_ERR_* codes and ovpn_strerror()
 *   ovpn_hdr.h       classification, data headers, head/tail lengths
 *   ovpn_data_key.h  struct ovpn_data_key and its configuration
 *   ovpn_aead.h      the AEAD codec, with its packet layout
 *   ovpn_cbc.h       the CBC codec, with its packet layout
 *
 * and the call graph runs one way: ovpn_data.c -> ovpn_aead.c/ovpn_cbc.c ->
 * ovpn_hdr.c. The crypto backends sit beside it: ovpn_engine.h (the burst
 * API) and ovpn_imb.c (the ipsec-mb backend, which calls only the codecs'
 * framing functions; ovpn_data.c calls it to make and free its keys).
 * Companion modules with their own headers: ovpn_pktid.h (TX counter and
 * replay window), ovpn_comp.h (compression framing), ovpn_inband.h (ping
 * and OCC messages). All of them report failures with
 * the OVPN_DATA_ERR_* codes: every function returns >= 0 on success, one of
 * those on failure.
 *
 * Buffers: everything works in place on one contiguous buffer (an mbuf's
 * data room). seal() expects the plaintext at pkt + ovpn_data_head_len()
 * and builds the header in front of it; open() leaves the plaintext inside
 * the packet and reports its offset. No function allocates memory, takes a
 * lock, looks anything up by name, prints or exits on the packet path;
 * caveat for CBC only: see ovpn_cbc_seal(). Thread safety: see
 * ovpn_data_key.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_aead.h"
#include "ovpn_cbc.h"
#include "ovpn_data_key.h"
#include "ovpn_err.h"
#include "ovpn_hdr.h"
#include "ovpn_proto.h"

/* Key bytes for alg (16 or 32), HMAC bytes for md (0, 20, 32, 64). */
size_t ovpn_data_alg_key_len(enum ovpn_data_alg alg);
size_t ovpn_data_md_len(enum ovpn_data_md md);
/* Map OpenVPN's spelling ("AES-256-GCM", "SHA256") to the enums; -1 if
 * unknown. Case-insensitive, as OpenVPN compares cipher names. */
int ovpn_data_alg_from_name(const char *name);
int ovpn_data_md_from_name(const char *name);

/* Fetch the cipher (and HMAC), create and key the contexts; or, for
 * cfg->backend = ipsec-mb, expand the key for that backend (falling back to
 * OpenSSL where it cannot run, see ovpn_engine.h). The key's material (see
 * ovpn_data_key_mem_len()) is allocated here. Returns 0, ERR_INVAL for
 * an inconsistent cfg, ERR_CRYPTO if libcrypto (or an allocation) fails. On
 * failure k is left freed (safe to call ovpn_data_key_free again). Not for
 * the packet path. */
int ovpn_data_key_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg);

/* Bytes of material (ipsec-mb key schedules sized for the cipher, the IV
 * pool of a CBC TX key) a key of cfg keeps outside struct ovpn_data_key; a
 * multiple of OVPN_DATA_KEY_ALIGN, 0 for none (an OpenSSL AEAD key). */
size_t ovpn_data_key_mem_len(const struct ovpn_data_key_cfg *cfg);

/* ovpn_data_key_init() with the material in the caller's mem: len >=
 * ovpn_data_key_mem_len(cfg) bytes, OVPN_DATA_KEY_ALIGN-aligned (NULL if
 * that is 0), else ERR_INVAL. The caller frees mem after
 * ovpn_data_key_free(), which wipes it. */
int ovpn_data_key_init_in(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg,
			  void *mem, size_t len);

/* Free the OpenSSL contexts (which wipe their key schedules), wipe the
 * material (and free it if ovpn_data_key_init() allocated it), and
 * OPENSSL_cleanse() the whole struct (nonce tail). Idempotent. */
void ovpn_data_key_free(struct ovpn_data_key *k);

/*
 * Seal in place. On entry pkt[head .. head + pt_len) holds the plaintext,
 * head = ovpn_data_head_len(k); cap is the number of writable bytes from
 * pkt (>= head + pt_len + ovpn_data_tail_max(k) suffices). pid comes from
 * ovpn_pktid_send_next(). Returns the packet length (from pkt), or
 * ERR_SHORT (empty plaintext), ERR_TOO_LONG, ERR_NOSPACE, ERR_INVAL (RX key,
 * pid 0, or a key whose backend is not OpenSSL: those need the burst API of
 * ovpn_engine.h), ERR_CRYPTO. Dispatches to ovpn_aead_seal()/ovpn_cbc_seal().
 */
int ovpn_data_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		   size_t cap, uint32_t pid);

/*
 * Open in place: check length and key-id, authenticate, decrypt. Returns the
 * payload length (>= 1) with rx filled, or ERR_SHORT, ERR_TOO_LONG,
 * ERR_OPCODE, ERR_KEY_ID, ERR_AUTH, ERR_BLOCK_LEN/ERR_PADDING (CBC),
 * ERR_INVAL (TX key, or not an OpenSSL key), ERR_CRYPTO. The packet-id is NOT replay-checked here:
 * the caller runs ovpn_pktid_recv_check(rx->pid) next, only on success
 * (authenticate first, then replay, as OpenVPN src/openvpn/crypto.c calls
 * crypto_check_replay only after decryption). On failure the buffer content
 * is unspecified and must be dropped.
 */
int ovpn_data_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		   struct ovpn_data_rx *rx);

#endif
