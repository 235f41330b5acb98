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
 * OVPN_CBC_IV_POOL packets). Caveat: OpenSSL 3.0's HMAC re-init duplicates
 * the digest state internally, i.e. libcrypto itself makes two small
 * allocations per CBC packet (measured with CRYPTO_set_mem_functions); the
 * AEAD path makes none.
 */
int ovpn_cbc_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		  size_t cap, uint32_t pid);
/* Same with a caller-supplied IV (its own batched RNG output, or tests). */
int ovpn_cbc_seal_iv(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, uint32_t pid, const uint8_t iv[OVPN_CBC_IV_LEN]);
int ovpn_cbc_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		  struct ovpn_data_rx *rx);

#endif
