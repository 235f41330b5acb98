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

#endif
