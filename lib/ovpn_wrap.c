/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls-auth / tls-crypt wrapping and the replay-id (see ovpn_wrap.h).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ovpn_wrap.h"
#include "ovpn_wrap_priv.h"

struct ovpn_wrap {
	enum ovpn_wrap_mode mode;
	size_t hmac_len;
	EVP_MAC_CTX *mac_tx;
	EVP_MAC_CTX *mac_rx;
	EVP_CIPHER_CTX *ctr_tx;		/* tls-crypt only */
	EVP_CIPHER_CTX *ctr_rx;
};

/* ---- replay-id ---------------------------------------------------------- */

static void rid_put(uint8_t *p, const struct ovpn_wrap_rid *rid)
{
	ovpn_put_be32(p, rid->counter);
	ovpn_put_be32(p + 4, rid->time);
}

static void rid_get(const uint8_t *p, struct ovpn_wrap_rid *rid)
{
	rid->counter = ovpn_get_be32(p);
	rid->time = ovpn_get_be32(p + 4);
}

void ovpn_wrap_pid_tx_init(struct ovpn_wrap_pid_tx *tx, uint32_t start)
{
	tx->counter = start;
	tx->time = 0;
}

int ovpn_wrap_pid_tx_next(struct ovpn_wrap_pid_tx *tx, uint32_t now,
			  struct ovpn_wrap_rid *rid)
{
	if (tx->time == 0)
		tx->time = now;
	/*
	 * The long form may restart the counter under a newer time; within
	 * the same second that would repeat (time, counter) pairs.
	 */
	if (tx->counter == UINT32_MAX) {
		if (now <= tx->time)
			return -OVPN_WRAP_E_PID_WRAP;
		tx->time = now;
		tx->counter = 0;
	}
	rid->counter = ++tx->counter;
	rid->time = tx->time;
	return 0;
}

void ovpn_wrap_replay_init(struct ovpn_wrap_replay *r)
{
	memset(r, 0, sizeof(*r));
}

int ovpn_wrap_replay_check(const struct ovpn_wrap_replay *r,
			   const struct ovpn_wrap_rid *rid)
{
	uint32_t back;

	if (rid->counter == 0)
		return -OVPN_WRAP_E_REPLAY;
	if (!r->active || rid->time > r->time)
		return 0;
	if (rid->time < r->time)
		return -OVPN_WRAP_E_REPLAY;
	if (rid->counter > r->top)
		return 0;
	back = r->top - rid->counter;
	if (back >= OVPN_WRAP_REPLAY_WINDOW || (r->seen >> back) & 1)
		return -OVPN_WRAP_E_REPLAY;
	return 0;
}

void ovpn_wrap_replay_update(struct ovpn_wrap_replay *r,
			     const struct ovpn_wrap_rid *rid)
{
	uint32_t shift;

	if (!r->active || rid->time > r->time) {
		r->active = true;
		r->time = rid->time;
		r->top = rid->counter;
		r->seen = 1;
		return;
	}
	if (rid->counter > r->top) {
		shift = rid->counter - r->top;
		r->seen = shift >= OVPN_WRAP_REPLAY_WINDOW ? 0 : r->seen << shift;
		r->seen |= 1;
		r->top = rid->counter;
	} else if (r->top - rid->counter < OVPN_WRAP_REPLAY_WINDOW) {
		r->seen |= 1ull << (r->top - rid->counter);
	}
}

/* ---- contexts ----------------------------------------------------------- */

static const char *digest_name(enum ovpn_wrap_digest d, size_t *len)
{
	switch (d) {
	case OVPN_WRAP_SHA1:
		*len = 20;
		return "SHA1";
	case OVPN_WRAP_SHA256:
		*len = 32;
		return "SHA256";
	case OVPN_WRAP_SHA512:
		*len = 64;
		return "SHA512";
	}
	return NULL;
}

EVP_MAC_CTX *ovpn_wrap_hmac_new(const char *md, const uint8_t *key, size_t klen)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

	EVP_MAC_free(mac);
	if (ctx == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, klen, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * Which 128-byte key[] slot each direction uses: NORMAL sends with key[0]
 * and receives with key[1]; INVERSE the opposite; BIDI key[0] both ways.
 */
static void slots(enum ovpn_key_dir dir, size_t *tx, size_t *rx)
{
	*tx = dir == OVPN_KEY_DIR_INVERSE ? OVPN_KEY_SLOT_LEN : 0;
	*rx = dir == OVPN_KEY_DIR_NORMAL ? OVPN_KEY_SLOT_LEN : 0;
}

static struct ovpn_wrap *wrap_alloc(enum ovpn_wrap_mode mode, int *err)
{
	struct ovpn_wrap *w = OPENSSL_zalloc(sizeof(*w));

	if (w == NULL)
		*err = -OVPN_WRAP_E_NOMEM;
	else
		w->mode = mode;
	return w;
}

struct ovpn_wrap *ovpn_wrap_tls_auth_new(const uint8_t key2[OVPN_KEY2_LEN],
					 enum ovpn_wrap_digest digest,
					 enum ovpn_key_dir dir, int *err)
{
	struct ovpn_wrap *w;
	const char *md;
	size_t hlen, tx, rx;

	*err = -OVPN_WRAP_E_INVAL;
	md = digest_name(digest, &hlen);
	if (md == NULL || dir > OVPN_KEY_DIR_BIDI)
		return NULL;
	if ((w = wrap_alloc(OVPN_WRAP_TLS_AUTH, err)) == NULL)
		return NULL;
	w->hmac_len = hlen;
	slots(dir, &tx, &rx);
	/* Only the first H bytes of a 64-byte hmac slot are key material. */
	w->mac_tx = ovpn_wrap_hmac_new(md, key2 + tx + OVPN_KEY_HMAC_OFF, hlen);
	w->mac_rx = ovpn_wrap_hmac_new(md, key2 + rx + OVPN_KEY_HMAC_OFF, hlen);
	if (w->mac_tx == NULL || w->mac_rx == NULL) {
		ovpn_wrap_free(w);
		*err = -OVPN_WRAP_E_CRYPTO;
		return NULL;
	}
	*err = 0;
	return w;
}

int ovpn_wrap_ctr_key(EVP_CIPHER_CTX **ctx, const uint8_t *key)
{
	if (*ctx == NULL && (*ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -OVPN_WRAP_E_NOMEM;
	if (!EVP_EncryptInit_ex(*ctx, EVP_aes_256_ctr(), NULL, key, NULL))
		return -OVPN_WRAP_E_CRYPTO;
	return 0;
}

static int mac_key(EVP_MAC_CTX **ctx, const uint8_t *key)
{
	if (*ctx == NULL) {
		*ctx = ovpn_wrap_hmac_new("SHA256", key, OVPN_TLS_CRYPT_KEY_LEN);
		return *ctx ? 0 : -OVPN_WRAP_E_CRYPTO;
	}
	return EVP_MAC_init(*ctx, key, OVPN_TLS_CRYPT_KEY_LEN, NULL) ?
	       0 : -OVPN_WRAP_E_CRYPTO;
}

int ovpn_wrap_tls_crypt_rekey(struct ovpn_wrap *w,
			      const uint8_t key2[OVPN_KEY2_LEN], bool server)
{
	size_t tx, rx;
	int rc;

	if (w->mode != OVPN_WRAP_TLS_CRYPT)
		return -OVPN_WRAP_E_INVAL;
	/* tls-crypt fixes the direction: server NORMAL, client INVERSE. */
	slots(server ? OVPN_KEY_DIR_NORMAL : OVPN_KEY_DIR_INVERSE, &tx, &rx);
	if ((rc = ovpn_wrap_ctr_key(&w->ctr_tx, key2 + tx + OVPN_KEY_CIPHER_OFF)) < 0 ||
	    (rc = ovpn_wrap_ctr_key(&w->ctr_rx, key2 + rx + OVPN_KEY_CIPHER_OFF)) < 0 ||
	    (rc = mac_key(&w->mac_tx, key2 + tx + OVPN_KEY_HMAC_OFF)) < 0 ||
	    (rc = mac_key(&w->mac_rx, key2 + rx + OVPN_KEY_HMAC_OFF)) < 0)
		return rc;
	return 0;
}

struct ovpn_wrap *ovpn_wrap_tls_crypt_new(const uint8_t key2[OVPN_KEY2_LEN],
					  bool server, int *err)
{
	struct ovpn_wrap *w = wrap_alloc(OVPN_WRAP_TLS_CRYPT, err);

	if (w == NULL)
		return NULL;
	w->hmac_len = OVPN_TLS_CRYPT_TAG_LEN;
	*err = ovpn_wrap_tls_crypt_rekey(w, key2, server);
	if (*err < 0) {
		ovpn_wrap_free(w);
		return NULL;
	}
	return w;
}

void ovpn_wrap_free(struct ovpn_wrap *w)
{
	if (w == NULL)
		return;
	/* The OpenSSL contexts cleanse their own copies of the keys. */
	EVP_MAC_CTX_free(w->mac_tx);
	EVP_MAC_CTX_free(w->mac_rx);
	EVP_CIPHER_CTX_free(w->ctr_tx);
	EVP_CIPHER_CTX_free(w->ctr_rx);
	OPENSSL_clear_free(w, sizeof(*w));
}

enum ovpn_wrap_mode ovpn_wrap_mode(const struct ovpn_wrap *w)
{
	return w->mode;
}

size_t ovpn_wrap_overhead(const struct ovpn_wrap *w)
{
	return w->hmac_len + OVPN_WRAP_RID_LEN;
}

int ovpn_wrap_mac3(EVP_MAC_CTX *ctx, const uint8_t *a, size_t alen,
		   const uint8_t *b, size_t blen, const uint8_t *c, size_t clen,
		   uint8_t *out, size_t outlen)
{
	uint8_t md[OVPN_WRAP_HMAC_MAX];
	size_t mdlen = 0;

	if (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(ctx, a, alen) ||
	    (blen && !EVP_MAC_update(ctx, b, blen)) ||
	    (clen && !EVP_MAC_update(ctx, c, clen)) ||
	    !EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) || mdlen < outlen)
		return -OVPN_WRAP_E_CRYPTO;
	memcpy(out, md, outlen);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

/* ---- tls-auth ----------------------------------------------------------- */

int ovpn_wrap_tls_auth_wrap(struct ovpn_wrap *w, const struct ovpn_wrap_rid *rid,
			    const uint8_t *plain, size_t len,
			    uint8_t *out, size_t cap)
{
	size_t h = w->hmac_len, inner_off = OVPN_CTRL_HDR_LEN + h + 8;
	uint8_t rb[OVPN_WRAP_RID_LEN];
	int rc;

	if (w->mode != OVPN_WRAP_TLS_AUTH)
		return -OVPN_WRAP_E_INVAL;
	if (len < OVPN_CTRL_HDR_LEN)
		return -OVPN_WRAP_E_SHORT;
	if (cap < len + h + OVPN_WRAP_RID_LEN || len + h + 8 > INT32_MAX)
		return -OVPN_WRAP_E_NOSPACE;
	rid_put(rb, rid);
	rc = ovpn_wrap_mac3(w->mac_tx, rb, 8, plain, OVPN_CTRL_HDR_LEN,
		  plain + OVPN_CTRL_HDR_LEN, len - OVPN_CTRL_HDR_LEN,
		  out + OVPN_CTRL_HDR_LEN, h);
	if (rc < 0)
		return rc;
	memcpy(out, plain, OVPN_CTRL_HDR_LEN);
	memcpy(out + OVPN_CTRL_HDR_LEN + h, rb, 8);
	memcpy(out + inner_off, plain + OVPN_CTRL_HDR_LEN,
	       len - OVPN_CTRL_HDR_LEN);
	return (int)(len + h + 8);
}

int ovpn_wrap_tls_auth_unwrap(struct ovpn_wrap *w, const uint8_t *wire,
			      size_t len, uint8_t *out, size_t cap,
			      struct ovpn_wrap_rid *rid)
{
	size_t h = w->hmac_len, inner_off = OVPN_CTRL_HDR_LEN + h + 8;
	uint8_t md[OVPN_WRAP_HMAC_MAX];
	int rc;

	if (w->mode != OVPN_WRAP_TLS_AUTH)
		return -OVPN_WRAP_E_INVAL;
	if (len < inner_off)
		return -OVPN_WRAP_E_SHORT;
	if (cap < len - h - 8)
		return -OVPN_WRAP_E_NOSPACE;
	rc = ovpn_wrap_mac3(w->mac_rx, wire + OVPN_CTRL_HDR_LEN + h, 8,
		  wire, OVPN_CTRL_HDR_LEN, wire + inner_off, len - inner_off,
		  md, h);
	if (rc < 0)
		return rc;
	if (CRYPTO_memcmp(md, wire + OVPN_CTRL_HDR_LEN, h) != 0)
		return -OVPN_WRAP_E_AUTH;
	rid_get(wire + OVPN_CTRL_HDR_LEN + h, rid);
	memcpy(out, wire, OVPN_CTRL_HDR_LEN);
	memcpy(out + OVPN_CTRL_HDR_LEN, wire + inner_off, len - inner_off);
	return (int)(len - h - 8);
}

/* ---- tls-crypt ---------------------------------------------------------- */

int ovpn_wrap_ctr_run(EVP_CIPHER_CTX *ctx, const uint8_t *iv,
		      const uint8_t *in, size_t len, uint8_t *out)
{
	int outl = 0;

	/* CTR: the 16-byte IV is the whole initial counter block. */
	if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv))
		return -OVPN_WRAP_E_CRYPTO;
	if (len && (!EVP_EncryptUpdate(ctx, out, &outl, in, (int)len) ||
		    (size_t)outl != len))
		return -OVPN_WRAP_E_CRYPTO;
	return 0;
}

int ovpn_wrap_tls_crypt_wrap(struct ovpn_wrap *w, const struct ovpn_wrap_rid *rid,
			     const uint8_t *plain, size_t len,
			     uint8_t *out, size_t cap)
{
	uint8_t *tag = out + OVPN_TLS_CRYPT_OFF_TAG;
	size_t inner;
	int rc;

	if (w->mode != OVPN_WRAP_TLS_CRYPT)
		return -OVPN_WRAP_E_INVAL;
	if (len < OVPN_CTRL_HDR_LEN)
		return -OVPN_WRAP_E_SHORT;
	inner = len - OVPN_CTRL_HDR_LEN;
	if (cap < OVPN_TLS_CRYPT_OFF_CT + inner || len > INT32_MAX / 2)
		return -OVPN_WRAP_E_NOSPACE;
	memcpy(out, plain, OVPN_CTRL_HDR_LEN);
	rid_put(out + OVPN_CTRL_HDR_LEN, rid);
	rc = ovpn_wrap_mac3(w->mac_tx, out, OVPN_TLS_CRYPT_OFF_TAG,
		  plain + OVPN_CTRL_HDR_LEN, inner, NULL, 0,
		  tag, OVPN_TLS_CRYPT_TAG_LEN);
	if (rc == 0)
		rc = ovpn_wrap_ctr_run(w->ctr_tx, tag, plain + OVPN_CTRL_HDR_LEN, inner,
			     out + OVPN_TLS_CRYPT_OFF_CT);
	return rc < 0 ? rc : (int)(OVPN_TLS_CRYPT_OFF_CT + inner);
}

int ovpn_wrap_tls_crypt_unwrap(struct ovpn_wrap *w, const uint8_t *wire,
			       size_t len, uint8_t *out, size_t cap,
			       struct ovpn_wrap_rid *rid)
{
	const uint8_t *tag = wire + OVPN_TLS_CRYPT_OFF_TAG;
	uint8_t md[OVPN_TLS_CRYPT_TAG_LEN];
	size_t inner;
	int rc;

	if (w->mode != OVPN_WRAP_TLS_CRYPT)
		return -OVPN_WRAP_E_INVAL;
	if (len < OVPN_TLS_CRYPT_OFF_CT)
		return -OVPN_WRAP_E_SHORT;
	inner = len - OVPN_TLS_CRYPT_OFF_CT;
	if (cap < OVPN_CTRL_HDR_LEN + inner || len > INT32_MAX / 2)
		return -OVPN_WRAP_E_NOSPACE;
	/* Decrypt first: the tag covers the plaintext, not the ciphertext. */
	rc = ovpn_wrap_ctr_run(w->ctr_rx, tag, wire + OVPN_TLS_CRYPT_OFF_CT, inner,
		     out + OVPN_CTRL_HDR_LEN);
	if (rc == 0)
		rc = ovpn_wrap_mac3(w->mac_rx, wire, OVPN_TLS_CRYPT_OFF_TAG,
			  out + OVPN_CTRL_HDR_LEN, inner, NULL, 0, md, sizeof(md));
	if (rc == 0 && CRYPTO_memcmp(md, tag, sizeof(md)) != 0)
		rc = -OVPN_WRAP_E_AUTH;
	if (rc < 0) {
		OPENSSL_cleanse(out + OVPN_CTRL_HDR_LEN, inner);
		return rc;
	}
	memcpy(out, wire, OVPN_CTRL_HDR_LEN);
	rid_get(wire + OVPN_CTRL_HDR_LEN, rid);
	return (int)(OVPN_CTRL_HDR_LEN + inner);
}

/* ---- generic ------------------------------------------------------------ */

int ovpn_wrap_wrap(struct ovpn_wrap *w, struct ovpn_wrap_pid_tx *tx,
		   uint32_t now, const uint8_t *plain, size_t len,
		   uint8_t *out, size_t cap)
{
	struct ovpn_wrap_rid rid;
	int rc = ovpn_wrap_pid_tx_next(tx, now, &rid);

	if (rc < 0)
		return rc;
	if (w->mode == OVPN_WRAP_TLS_AUTH)
		return ovpn_wrap_tls_auth_wrap(w, &rid, plain, len, out, cap);
	return ovpn_wrap_tls_crypt_wrap(w, &rid, plain, len, out, cap);
}

int ovpn_wrap_unwrap(struct ovpn_wrap *w, struct ovpn_wrap_replay *replay,
		     const uint8_t *wire, size_t len, uint8_t *out, size_t cap,
		     struct ovpn_wrap_rid *rid)
{
	int rc;

	if (w->mode == OVPN_WRAP_TLS_AUTH)
		rc = ovpn_wrap_tls_auth_unwrap(w, wire, len, out, cap, rid);
	else
		rc = ovpn_wrap_tls_crypt_unwrap(w, wire, len, out, cap, rid);
	/* Replay only after authentication, so forgeries cannot move it. */
	if (rc < 0 || replay == NULL)
		return rc;
	if (ovpn_wrap_replay_check(replay, rid) < 0) {
		OPENSSL_cleanse(out, (size_t)rc);
		return -OVPN_WRAP_E_REPLAY;
	}
	ovpn_wrap_replay_update(replay, rid);
	return rc;
}
