/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-channel key derivation: TLS-EKM and OpenVPN's legacy PRF, and the
 * mapping of the 256-byte key block to per-direction keys (ovpn_kdf.h).
 * Every intermediate buffer that held key material is cleansed on the way
 * out, on success and on failure.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "ovpn_kdf.h"

#define KDF_SEED_MAX	256	/* our longest seed is 21 + 64 + 16 = 101 */

int ovpn_kdf_ekm(SSL *ssl, uint8_t key2[OVPN_KDF_KEY2_LEN])
{
	static const char label[] = OVPN_KDF_EKM_LABEL;

	if (ssl == NULL || key2 == NULL)
		return -EINVAL;
	/*
	 * use_context = 0: OpenVPN passes no context, and for TLS 1.2 "no
	 * context" and "empty context" give different keys (RFC 5705 §4).
	 */
	if (SSL_export_keying_material(ssl, key2, OVPN_KDF_KEY2_LEN, label,
				       sizeof(label) - 1, NULL, 0, 0) != 1) {
		OPENSSL_cleanse(key2, OVPN_KDF_KEY2_LEN);
		return -EIO;
	}
	return 0;
}

/* Concatenate the seed parts; -EINVAL if they do not fit. */
static int seed_join(const struct ovpn_kdf_seed *seeds, unsigned n,
		     uint8_t *buf, size_t *len)
{
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		if (seeds[i].len > KDF_SEED_MAX - off ||
		    (seeds[i].p == NULL && seeds[i].len != 0))
			return -EINVAL;
		memcpy(buf + off, seeds[i].p, seeds[i].len);
		off += seeds[i].len;
	}
	*len = off;
	return 0;
}

static int prf_derive(const uint8_t *secret, size_t secret_len,
		      uint8_t *seed, size_t seed_len, uint8_t *out,
		      size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		/* MD5-SHA1 selects the TLS 1.0/1.1 split P_MD5 xor P_SHA1. */
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						 (char *)"MD5-SHA1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
						  (void *)secret, secret_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
						  seed, seed_len),
		OSSL_PARAM_construct_end(),
	};
	int rc = -EIO;

	if (ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int ovpn_kdf_tls1_prf(const uint8_t *secret, size_t secret_len,
		      const struct ovpn_kdf_seed *seeds, unsigned n_seeds,
		      uint8_t *out, size_t out_len)
{
	uint8_t seed[KDF_SEED_MAX];
	size_t seed_len;
	int rc;

	if (secret == NULL || out == NULL || (seeds == NULL && n_seeds != 0))
		return -EINVAL;
	rc = seed_join(seeds, n_seeds, seed, &seed_len);
	if (rc == 0)
		rc = prf_derive(secret, secret_len, seed, seed_len, out, out_len);
	if (rc < 0)
		OPENSSL_cleanse(out, out_len);
	OPENSSL_cleanse(seed, sizeof(seed));
	return rc;
}

static bool prf_src_ok(const struct ovpn_kdf_prf_src *s)
{
	return s != NULL && s->pre_master != NULL &&
	       s->client_random1 != NULL && s->client_random2 != NULL &&
	       s->server_random1 != NULL && s->server_random2 != NULL &&
	       s->client_sid != NULL && s->server_sid != NULL;
}

int ovpn_kdf_prf(const struct ovpn_kdf_prf_src *src,
		 uint8_t key2[OVPN_KDF_KEY2_LEN])
{
	uint8_t master[OVPN_KDF_MASTER_LEN];
	int rc;

	if (!prf_src_ok(src) || key2 == NULL)
		return -EINVAL;

	const struct ovpn_kdf_seed ms[] = {
		{ OVPN_KDF_LABEL_MASTER, sizeof(OVPN_KDF_LABEL_MASTER) - 1 },
		{ src->client_random1, OVPN_KM_RANDOM_LEN },
		{ src->server_random1, OVPN_KM_RANDOM_LEN },
	};
	/* The session ids are part of the seed (the RFC draft omits them). */
	const struct ovpn_kdf_seed ks[] = {
		{ OVPN_KDF_LABEL_EXPAND, sizeof(OVPN_KDF_LABEL_EXPAND) - 1 },
		{ src->client_random2, OVPN_KM_RANDOM_LEN },
		{ src->server_random2, OVPN_KM_RANDOM_LEN },
		{ src->client_sid, OVPN_KDF_SID_LEN },
		{ src->server_sid, OVPN_KDF_SID_LEN },
	};

	rc = ovpn_kdf_tls1_prf(src->pre_master, OVPN_KM_PRE_MASTER_LEN, ms, 3,
			       master, sizeof(master));
	if (rc == 0)
		rc = ovpn_kdf_tls1_prf(master, sizeof(master), ks, 5, key2,
				       OVPN_KDF_KEY2_LEN);
	OPENSSL_cleanse(master, sizeof(master));
	return rc;
}

static int cipher_mode(const char *name, struct ovpn_kdf_cipher *out)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	int rc = -ENOENT;

	if (c == NULL)
		return -ENOENT;
	int mode = EVP_CIPHER_get_mode(c);
	int klen = EVP_CIPHER_get_key_length(c);

	out->aead = (EVP_CIPHER_get_flags(c) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0;
	/* AEAD with the 12-byte IV OpenVPN builds (pid || nonce tail) only. */
	if (out->aead && (mode == EVP_CIPH_GCM_MODE ||
			  mode == EVP_CIPH_STREAM_CIPHER) &&
	    EVP_CIPHER_get_iv_length(c) == 12)
		rc = 0;
	else if (!out->aead && mode == EVP_CIPH_CBC_MODE)
		rc = 0;
	if (klen <= 0 || klen > OVPN_KDF_SLICE_LEN)
		rc = -ENOENT;
	out->key_len = (uint8_t)klen;
	EVP_CIPHER_free(c);
	return rc;
}

static int digest_len(const char *name, uint8_t *len)
{
	EVP_MD *md = name != NULL ? EVP_MD_fetch(NULL, name, NULL) : NULL;
	int n = md != NULL ? EVP_MD_get_size(md) : 0;

	EVP_MD_free(md);
	if (n <= 0 || n > OVPN_KDF_SLICE_LEN)
		return -ENOENT;
	*len = (uint8_t)n;
	return 0;
}

int ovpn_kdf_cipher_lookup(const char *cipher, const char *auth,
			   struct ovpn_kdf_cipher *out)
{
	int rc;

	if (cipher == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = cipher_mode(cipher, out);
	if (rc == 0 && !out->aead)
		rc = digest_len(auth, &out->hmac_len);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* slot = key2 + 128 * index: cipher slice then hmac slice. */
static void dir_fill(struct ovpn_kdf_dir *d, const uint8_t *slot,
		     const struct ovpn_kdf_cipher *c)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->key, slot, c->key_len);
	if (c->aead)
		memcpy(d->nonce_tail, slot + OVPN_KDF_SLICE_LEN,
		       OVPN_KDF_NONCE_TAIL_LEN);
	else
		memcpy(d->hmac, slot + OVPN_KDF_SLICE_LEN, c->hmac_len);
}

int ovpn_kdf_keys_map(const uint8_t key2[OVPN_KDF_KEY2_LEN],
		      const struct ovpn_kdf_cipher *cipher, bool server,
		      struct ovpn_kdf_keys *keys)
{
	const uint8_t *c2s = key2, *s2c = key2 + 2 * OVPN_KDF_SLICE_LEN;

	if (key2 == NULL || cipher == NULL || keys == NULL ||
	    cipher->key_len == 0 || cipher->key_len > OVPN_KDF_SLICE_LEN ||
	    cipher->hmac_len > OVPN_KDF_SLICE_LEN ||
	    (!cipher->aead && cipher->hmac_len == 0))
		return -EINVAL;
	keys->cipher = *cipher;
	/* Server: KEY_DIRECTION_INVERSE, i.e. send on key[1], receive key[0]. */
	dir_fill(&keys->tx, server ? s2c : c2s, cipher);
	dir_fill(&keys->rx, server ? c2s : s2c, cipher);
	if (all_zero(keys->tx.key, cipher->key_len) ||
	    all_zero(keys->rx.key, cipher->key_len)) {
		ovpn_kdf_keys_wipe(keys);
		return -EKEYREJECTED;
	}
	return 0;
}

void ovpn_kdf_keys_wipe(struct ovpn_kdf_keys *keys)
{
	if (keys != NULL)
		OPENSSL_cleanse(keys, sizeof(*keys));
}
