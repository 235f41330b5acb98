/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_AEAD_H
#define OVPN_AEAD_H

/*
 * AEAD data packets (AES-GCM, ChaCha20-Poly1305), OpenVPN 2.6 format
 * (OpenVPN src/openvpn/crypto.c openvpn_encrypt_aead, openvpn_decrypt_aead).
 *
 * P_DATA_V2:
 *
 *  0        1                 4                 8                  24
 * +--------+-----------------+-----------------+------------------+------------+
 * | 0x48|k |  peer-id (24b)  | packet-id (32b) | AEAD tag (16 B)  | ciphertext |
 * +--------+-----------------+-----------------+------------------+------------+
 *  \___________________ AAD (8 B) _____________/
 *
 * P_DATA_V1: the opcode byte is NOT authenticated (ssl.c
 * handle_data_channel_packet starts the AAD after it).
 *
 *  0        1                 5                  21
 * +--------+-----------------+------------------+------------+
 * | 0x30|k | packet-id (32b) | AEAD tag (16 B)  | ciphertext |
 * +--------+-----------------+------------------+------------+
 *           \__ AAD (4 B) __/
 *
 * nonce (12 B) = packet-id (4 B, as on the wire) || nonce tail (8 B, the
 * "implicit IV": first 8 bytes of the direction's hmac key slice, ssl.c
 * key_ctx_update_implicit_iv).
 *
 * Same contracts as ovpn_data_seal()/ovpn_data_open() (ovpn_data.h), for a
 * key whose algorithm is AEAD (ERR_INVAL otherwise). No allocation.
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_data_key.h"

int ovpn_aead_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		   size_t cap, uint32_t pid);
int ovpn_aead_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		   struct ovpn_data_rx *rx);

/*
 * The framing both backends share (OpenSSL above, intel-ipsec-mb in
 * ovpn_imb.c), so they check, frame and judge a packet the same way and
 * differ only in the arithmetic: where nonce, AAD, tag and data are.
 */
struct ovpn_aead_frame {
	uint8_t nonce[OVPN_AEAD_NONCE_LEN];
	const uint8_t *aad;
	size_t aad_len;
	uint8_t *tag;		/* in the packet */
	uint8_t *data;		/* seal: plaintext, open: ciphertext (in place) */
	size_t data_len;
};

/* Seal: every check of ovpn_aead_seal(), header and packet-id written, f
 * filled. Returns the packet length the seal will have, or an error. */
int ovpn_aead_seal_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			 size_t pt_len, size_t cap, uint32_t pid,
			 struct ovpn_aead_frame *f);
/* Open: every check of ovpn_aead_open() before the tag; rx and f filled.
 * Returns the ciphertext length (the payload length once the tag matches),
 * or an error. */
int ovpn_aead_open_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			 size_t len, struct ovpn_data_rx *rx,
			 struct ovpn_aead_frame *f);

#endif
