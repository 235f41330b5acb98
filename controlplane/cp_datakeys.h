/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_DATAKEYS_H
#define SL_CP_DATAKEYS_H

/*
 * Data-channel keys and renegotiation (cp_datakeys.c): the peer and its
 * first keys into the data plane (PEER_NEW, KEY_NEW), the server's
 * renegotiation triggers (reneg_sec, reneg_bytes, reneg_pkts, packet-id
 * exhaustion), and the switch to a new key (KEY_SWAP, then KEY_DEL of the
 * old slot).
 */
#include "cp_keystate.h"

/* KEYS from KS's key method 2 exchange go to the data plane (the first
 * with the peer); 0, or -ENOSPC when the pool is full. Wipes nothing:
 * the caller owns KEYS. */
int cp_datakeys_activate(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
			 const struct ovpn_kdf_keys *keys, uint64_t now);
/* enum sl_cipher / enum sl_digest -> OpenVPN's name ("AES-256-CBC",
 * "SHA256", "none"), "?" if unknown. */
const char *cp_datakeys_cipher_name(uint8_t cipher);
const char *cp_datakeys_digest_name(uint8_t digest);
/* enum sl_digest of a cipher's HMAC (NONE for AEAD), by its length. */
uint8_t cp_datakeys_digest(const struct ovpn_kdf_cipher *kc);
/* Renegotiation timers and triggers of an established session. */
void cp_datakeys_timers(struct cp_ctx *ctx, struct cp_session *s, uint64_t now);

#endif
