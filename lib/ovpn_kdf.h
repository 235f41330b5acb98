/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_KDF_H
#define OVPN_KDF_H

/*
 * Data-channel key derivation (OpenVPN src/openvpn/ssl.c
 * generate_key_expansion_tls_export, generate_key_expansion_openvpn_prf;
 * crypto.c key_direction_state_init for the slices).
 *
 * Both methods produce the same 256-byte "key2" block:
 *
 *   0           64          128         192         256
 *   +-----------+-----------+-----------+-----------+
 *   | key[0]    | key[0]    | key[1]    | key[1]    |
 *   | cipher    | hmac      | cipher    | hmac      |
 *   +-----------+-----------+-----------+-----------+
 *     client -> server        server -> client
 *
 * cipher key = first K bytes of the cipher slice; HMAC key (CBC modes) =
 * first H bytes of the hmac slice; AEAD implicit IV ("nonce tail") = first
 * 8 bytes of the hmac slice. The server encrypts with key[1] and decrypts
 * with key[0]; a client does the opposite.
 *
 * TLS-EKM (2.6 clients, pushed as "tls-ekm"):
 *   key2 = TLS exporter(label "EXPORTER-OpenVPN-datakeys", no context, 256)
 *
 * Legacy PRF (TLS 1.0 PRF = P_MD5 xor P_SHA1 over split secret):
 *   master = PRF(pre_master, "OpenVPN master secret"
 *                            || c.random1 || s.random1, 48)
 *   key2   = PRF(master, "OpenVPN key expansion"
 *                        || c.random2 || s.random2 || c.sid || s.sid, 256)
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "ovpn_km.h"

#define OVPN_KDF_KEY2_LEN	256
#define OVPN_KDF_SLICE_LEN	64
#define OVPN_KDF_MASTER_LEN	48
#define OVPN_KDF_SID_LEN	8
#define OVPN_KDF_NONCE_TAIL_LEN	8	/* 12-byte AEAD IV minus 4-byte packet id */
#define OVPN_KDF_EKM_LABEL	"EXPORTER-OpenVPN-datakeys"
#define OVPN_KDF_LABEL_MASTER	"OpenVPN master secret"
#define OVPN_KDF_LABEL_EXPAND	"OpenVPN key expansion"

/* Everything the legacy PRF needs; pointers are borrowed. */
struct ovpn_kdf_prf_src {
	const uint8_t *pre_master;	/* OVPN_KM_PRE_MASTER_LEN, client's */
	const uint8_t *client_random1;	/* OVPN_KM_RANDOM_LEN each */
	const uint8_t *client_random2;
	const uint8_t *server_random1;
	const uint8_t *server_random2;
	const uint8_t *client_sid;	/* OVPN_KDF_SID_LEN each */
	const uint8_t *server_sid;
};

/* What the data plane needs to know about a data-channel cipher. */
struct ovpn_kdf_cipher {
	bool aead;			/* GCM / ChaCha20-Poly1305 */
	uint8_t key_len;		/* K */
	uint8_t hmac_len;		/* H (CBC only, 0 for AEAD) */
};

/* One direction's key material, sliced for the cipher in use. */
struct ovpn_kdf_dir {
	uint8_t key[OVPN_KDF_SLICE_LEN];	/* first key_len bytes valid */
	uint8_t hmac[OVPN_KDF_SLICE_LEN];	/* first hmac_len bytes (CBC) */
	uint8_t nonce_tail[OVPN_KDF_NONCE_TAIL_LEN];	/* AEAD only */
};

/* tx = what this side encrypts with, rx = what it decrypts with. */
struct ovpn_kdf_keys {
	struct ovpn_kdf_cipher cipher;
	struct ovpn_kdf_dir tx;
	struct ovpn_kdf_dir rx;
};

/*
 * key2 from the TLS exporter of a finished handshake (TLS 1.2 or 1.3).
 * Returns 0, -EINVAL (NULL) or -EIO (exporter failed; key2 wiped).
 * Uses only ssl; safe to call from any thread that owns ssl.
 */
int ovpn_kdf_ekm(SSL *ssl, uint8_t key2[OVPN_KDF_KEY2_LEN]);

/*
 * key2 by OpenVPN's legacy two-stage TLS 1.0 PRF. The master secret is
 * wiped before return. Returns 0, -EINVAL or -EIO (OpenSSL KDF failure,
 * e.g. FIPS mode without MD5; key2 wiped).
 */
int ovpn_kdf_prf(const struct ovpn_kdf_prf_src *src,
		 uint8_t key2[OVPN_KDF_KEY2_LEN]);

/*
 * One TLS 1.0/1.1 PRF call through OpenSSL's EVP_KDF "TLS1-PRF":
 * out = PRF(secret, label || seed1 || seed2 ..., out_len). seeds is an
 * array of n_seeds (pointer, length) pairs. Exposed for known-answer tests.
 * Returns 0, -EINVAL (seed longer than 256 bytes) or -EIO.
 */
struct ovpn_kdf_seed {
	const void *p;
	size_t len;
};
int ovpn_kdf_tls1_prf(const uint8_t *secret, size_t secret_len,
		      const struct ovpn_kdf_seed *seeds, unsigned n_seeds,
		      uint8_t *out, size_t out_len);

/*
 * Describe a data cipher by its OpenVPN name ("AES-256-GCM",
 * "CHACHA20-POLY1305", "AES-256-CBC", ...); auth ("SHA256", ...) is used
 * for CBC only and ignored for AEAD ciphers, as OpenVPN does.
 * Returns 0, -EINVAL (NULL) or -ENOENT (unknown / unsupported mode or
 * digest; "none" is not supported).
 */
int ovpn_kdf_cipher_lookup(const char *cipher, const char *auth,
			   struct ovpn_kdf_cipher *out);

/*
 * Slice key2 into tx/rx for one side: server = true gives the server's
 * view (tx = key[1], rx = key[0]). Returns 0, -EINVAL (bad cipher
 * description) or -EKEYREJECTED (an all-zero cipher key, which OpenVPN
 * rejects as "Bad dynamic key generated"; keys wiped).
 */
int ovpn_kdf_keys_map(const uint8_t key2[OVPN_KDF_KEY2_LEN],
		      const struct ovpn_kdf_cipher *cipher, bool server,
		      struct ovpn_kdf_keys *keys);

/* OPENSSL_cleanse the key material. */
void ovpn_kdf_keys_wipe(struct ovpn_kdf_keys *keys);

#endif
