/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_CBC_H
#define OVPN_CBC_H

/*
 * Legacy CBC + HMAC data packets, encrypt-then-MAC (OpenVPN
 * src/openvpn/crypto.c openvpn_encrypt_v1, openvpn_decrypt_v1). The header
 * is never covered by the HMAC, not even for P_DATA_V2:
 *
 * +------------+-----------------+-------------+----------------------------------+
 * | op [+pid24]| HMAC(IV || CT)  | IV (16 B)   | CBC( packet-id | payload | pad ) |
 * +------------+-----------------+-------------+----------------------------------+
 *   1 or 4 B     H = 20/32/64 B    random        PKCS#7 pad, 1..16 bytes
 *
 * Same contracts as ovpn_data_seal()/ovpn_data_open() (ovpn_data.h), for a
 * key whose algorithm is CBC (ERR_INVAL otherwise). A 2.6 client uses CBC
 * only when it cannot negotiate an AEAD cipher (ssl_ncp.c
 * check_pull_client_ncp, options.c options_postprocess_cipher).
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_data_key.h"

/*
 * Seal with an IV from the key's pool (one RAND_bytes() per
 * OVPN_CBC_IV_POOL packets). The HMAC runs from precomputed inner/outer
 * states (ovpn_hmac.h): no allocation per packet, as on the AEAD path.
 */
int ovpn_cbc_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		  size_t cap, uint32_t pid);
/* Same with a caller-supplied IV (its own batched RNG output, or tests). */
int ovpn_cbc_seal_iv(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, uint32_t pid, const uint8_t iv[OVPN_CBC_IV_LEN]);
int ovpn_cbc_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		  struct ovpn_data_rx *rx);

/*
 * The framing both backends share (OpenSSL above, intel-ipsec-mb in
 * ovpn_imb.c), so they draw IVs from the same pool, check and frame a
 * packet the same way and judge its padding the same way; only the
 * arithmetic differs.
 */
struct ovpn_cbc_frame {
	uint8_t *mac;		/* HMAC field, k->hmac_len bytes */
	uint8_t *iv;		/* IV, then the ciphertext: the HMAC covers */
	uint8_t *ct;		/* iv .. ct + ct_len */
	size_t ct_len;		/* whole blocks */
};

/* The next IV of k's pool, refilled by one RAND_bytes() when used up;
 * NULL if the RNG fails. ovpn_cbc_seal() = this + ovpn_cbc_seal_iv(). */
const uint8_t *ovpn_cbc_next_iv(struct ovpn_data_key *k);
/* Seal: every check of ovpn_cbc_seal_iv(); header, IV, packet-id and
 * padding written around the payload, f filled. Returns the packet length
 * the seal will have, or an error. */
int ovpn_cbc_seal_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			size_t pt_len, size_t cap, uint32_t pid,
			const uint8_t iv[OVPN_CBC_IV_LEN], struct ovpn_cbc_frame *f);
/* Open: every check of ovpn_cbc_open() before the HMAC; rx's header fields
 * and f filled. Returns 0 or an error. */
int ovpn_cbc_open_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			size_t len, struct ovpn_data_rx *rx, struct ovpn_cbc_frame *f);
/* Open, after the HMAC matched and f->ct was decrypted in place: check the
 * padding, fill rx->pid and rx->off. Returns the payload length, or
 * ERR_PADDING / ERR_SHORT. */
int ovpn_cbc_open_done(const uint8_t *pkt, const struct ovpn_cbc_frame *f,
		       struct ovpn_data_rx *rx);

#endif
