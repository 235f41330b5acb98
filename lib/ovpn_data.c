/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data channel: algorithm tables, the key context life cycle (the key's
 * backend, ovpn_engine.h, chosen here: ipsec-mb key material is made by
 * ovpn_imb.c), and seal/open of OpenSSL keys dispatching to the AEAD
 * (ovpn_aead.c) or CBC (ovpn_cbc.c) codec.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ovpn_data.h"
#include "ovpn_engine.h"
#include "ovpn_hmac.h"
#include "ovpn_imb.h"

/* ---- algorithm tables ---- */

static const struct {
	const char *name;	/* OpenVPN spelling; OpenSSL fetch accepts it */
	uint8_t key_len;
	uint8_t aead;
} alg_tab[OVPN_DATA_ALG_NUM] = {
	[OVPN_DATA_ALG_AES_128_GCM] = { "AES-128-GCM", 16, 1 },
	[OVPN_DATA_ALG_AES_256_GCM] = { "AES-256-GCM", 32, 1 },
	[OVPN_DATA_ALG_CHACHA20_POLY1305] = { "CHACHA20-POLY1305", 32, 1 },
	[OVPN_DATA_ALG_AES_128_CBC] = { "AES-128-CBC", 16, 0 },
	[OVPN_DATA_ALG_AES_256_CBC] = { "AES-256-CBC", 32, 0 },
};

static const struct {
	const char *name;
	uint8_t len;
} md_tab[OVPN_DATA_MD_NUM] = {
	[OVPN_DATA_MD_NONE] = { "none", 0 },
	[OVPN_DATA_MD_SHA1] = { "SHA1", 20 },
	[OVPN_DATA_MD_SHA256] = { "SHA256", 32 },
	[OVPN_DATA_MD_SHA512] = { "SHA512", 64 },
};

size_t ovpn_data_alg_key_len(enum ovpn_data_alg alg)
{
	return (unsigned int)alg < OVPN_DATA_ALG_NUM ? alg_tab[alg].key_len : 0;
}

size_t ovpn_data_md_len(enum ovpn_data_md md)
{
	return (unsigned int)md < OVPN_DATA_MD_NUM ? md_tab[md].len : 0;
}

int ovpn_data_alg_from_name(const char *name)
{
	for (int i = 0; i < OVPN_DATA_ALG_NUM; i++)
		if (strcasecmp(name, alg_tab[i].name) == 0)
			return i;
	return -1;
}

int ovpn_data_md_from_name(const char *name)
{
	for (int i = 0; i < OVPN_DATA_MD_NUM; i++)
		if (strcasecmp(name, md_tab[i].name) == 0)
			return i;
	return -1;
}

/* ---- key contexts ---- */

static int check_cfg(const struct ovpn_data_key_cfg *cfg)
{
	if ((unsigned int)cfg->alg >= OVPN_DATA_ALG_NUM ||
	    (unsigned int)cfg->md >= OVPN_DATA_MD_NUM ||
	    cfg->key_id > OVPN_KEY_ID_MAX || cfg->backend >= OVPN_BACKEND_NUM ||
	    cfg->cipher_key == NULL || cfg->hmac_key == NULL)
		return OVPN_DATA_ERR_INVAL;
	/* AEAD ignores --auth (OpenVPN src/openvpn/crypto.c init_key_type
	 * forces digest "none"); CBC cannot work without it. */
	if (alg_tab[cfg->alg].aead != (cfg->md == OVPN_DATA_MD_NONE))
		return OVPN_DATA_ERR_INVAL;
	if (cfg->dir == OVPN_DATA_DIR_RX)
		return 0;
	if (cfg->dir != OVPN_DATA_DIR_TX ||
	    (cfg->opcode != OVPN_P_DATA_V1 && cfg->opcode != OVPN_P_DATA_V2) ||
	    cfg->peer_id > OVPN_PEER_ID_UNDEF)
		return OVPN_DATA_ERR_INVAL;
	return 0;
}

static int cipher_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg)
{
	int enc = cfg->dir == OVPN_DATA_DIR_TX;
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, alg_tab[cfg->alg].name, NULL);
	int ok;

	k->cctx = EVP_CIPHER_CTX_new();
	/* The context takes its own reference to the cipher (EVP_CipherInit_ex2
	 * keeps the fetched method), so the key does not hold one. */
	ok = cipher != NULL && k->cctx != NULL &&
	     EVP_CIPHER_get_key_length(cipher) == alg_tab[cfg->alg].key_len &&
	     EVP_CipherInit_ex2(k->cctx, cipher, cfg->cipher_key, NULL, enc, NULL);
	EVP_CIPHER_free(cipher);
	if (!ok)
		return OVPN_DATA_ERR_CRYPTO;
	if (k->aead)
		return EVP_CIPHER_CTX_get_iv_length(k->cctx) == OVPN_AEAD_NONCE_LEN ?
		       0 : OVPN_DATA_ERR_CRYPTO;
	/* We add and check PKCS#7 ourselves so EVP never holds back a block
	 * and in-place decryption returns every byte in one update. */
	if (!EVP_CIPHER_CTX_set_padding(k->cctx, 0))
		return OVPN_DATA_ERR_CRYPTO;
	return 0;
}

static int hmac_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg)
{
	k->hmac = ovpn_hmac_new(cfg->md, cfg->hmac_key, k->hmac_len);
	return k->hmac != NULL ? 0 : OVPN_DATA_ERR_CRYPTO;
}

/* ---- the key's material: ipsec-mb schedules, then a CBC TX key's IV pool ---- */

/* Bytes of ipsec-mb schedules: 0 unless cfg asks for the backend and it
 * can do the cipher here (else the key falls back to OpenSSL). */
static size_t imb_len(const struct ovpn_data_key_cfg *cfg)
{
	return cfg->backend == OVPN_BACKEND_IPSEC_MB ? ovpn_imb_key_len(cfg->alg, cfg->md) : 0;
}

static size_t pool_len(const struct ovpn_data_key_cfg *cfg)
{
	return !alg_tab[cfg->alg].aead && cfg->dir == OVPN_DATA_DIR_TX ?
	       OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN : 0;
}

size_t ovpn_data_key_mem_len(const struct ovpn_data_key_cfg *cfg)
{
	return check_cfg(cfg) == 0 ? imb_len(cfg) + pool_len(cfg) : 0;
}

/* Point the key at its parts of mem (len bytes, checked by the caller). */
static void key_mem(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg,
		    uint8_t *mem, size_t len)
{
	size_t il = imb_len(cfg);

	if (il > 0)
		k->imb = mem;
	if (pool_len(cfg) > 0)
		k->iv_pool = (uint8_t (*)[OVPN_CBC_IV_LEN])(mem + il);
	k->mem_len = (uint16_t)len;
}

/* What both backends keep in the key itself: the AEAD nonce tail, or the
 * CBC IV pool (filled now so the first packet does not pay for it). */
static int key_state(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg)
{
	if (k->aead) {
		memcpy(k->u.nonce_tail, cfg->hmac_key, OVPN_NONCE_TAIL_LEN);
		return 0;
	}
	if (k->iv_pool != NULL &&
	    RAND_bytes(&k->iv_pool[0][0], OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN) != 1)
		return OVPN_DATA_ERR_CRYPTO;
	return 0;
}

/* The key material of the backend cfg asks for; ipsec-mb falls back to
 * OpenSSL where it cannot do the cipher (or is not built in, or the CPU
 * lacks what it needs): imb_len() said so, and left k->imb NULL. */
static int backend_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg)
{
	int rc;

	if (k->imb != NULL) {
		ovpn_imb_key_init(k, cfg);
		k->backend = OVPN_BACKEND_IPSEC_MB;
		return 0;
	}
	k->backend = OVPN_BACKEND_OPENSSL;
	rc = cipher_init(k, cfg);
	if (rc == 0 && !k->aead)
		rc = hmac_init(k, cfg);
	return rc;
}

int ovpn_data_key_init_in(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg,
			  void *mem, size_t len)
{
	size_t need;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = check_cfg(cfg);
	if (rc < 0)
		return rc;
	need = imb_len(cfg) + pool_len(cfg);
	if (len < need || (need > 0 && (mem == NULL ||
					(uintptr_t)mem % OVPN_DATA_KEY_ALIGN != 0)))
		return OVPN_DATA_ERR_INVAL;
	k->alg = (uint8_t)cfg->alg;
	k->aead = alg_tab[cfg->alg].aead;
	k->dir = (uint8_t)cfg->dir;
	k->key_id = cfg->key_id;
	k->opcode = cfg->opcode;
	k->hdr_len = cfg->opcode == OVPN_P_DATA_V2 ? OVPN_DATA_V2_HDR_LEN :
						     OVPN_DATA_V1_HDR_LEN;
	k->peer_id = cfg->peer_id;
	k->hmac_len = md_tab[cfg->md].len;
	key_mem(k, cfg, mem, need);

	rc = key_state(k, cfg);
	if (rc == 0)
		rc = backend_init(k, cfg);
	if (rc < 0)
		ovpn_data_key_free(k);
	return rc;
}

int ovpn_data_key_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg)
{
	size_t len = ovpn_data_key_mem_len(cfg);
	void *mem = NULL;
	int rc;

	if (len > 0 && posix_memalign(&mem, OVPN_DATA_KEY_ALIGN, len) != 0) {
		memset(k, 0, sizeof(*k));
		return OVPN_DATA_ERR_CRYPTO;
	}
	rc = ovpn_data_key_init_in(k, cfg, mem, len);
	if (rc < 0) {
		free(mem);	/* wiped by the failed init's ovpn_data_key_free */
		return rc;
	}
	k->mem_own = len > 0;
	return 0;
}

void ovpn_data_key_free(struct ovpn_data_key *k)
{
	/* The material starts with the schedules, else with the IV pool. */
	uint8_t *mem = k->imb != NULL ? k->imb : (uint8_t *)k->iv_pool;

	/* The OpenSSL free functions wipe the key schedules they own; the
	 * material (ipsec-mb schedules, IVs not sent yet) is wiped here. */
	if (mem != NULL && k->mem_len > 0)
		OPENSSL_cleanse(mem, k->mem_len);
	if (k->mem_own)
		free(mem);
	ovpn_hmac_free(k->hmac);
	EVP_CIPHER_CTX_free(k->cctx);
	OPENSSL_cleanse(k, sizeof(*k));
}

int ovpn_data_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		   size_t cap, uint32_t pid)
{
	if (k->backend != OVPN_BACKEND_OPENSSL)
		return OVPN_DATA_ERR_INVAL;	/* needs an engine: the burst API */
	if (k->aead)
		return ovpn_aead_seal(k, pkt, pt_len, cap, pid);
	return ovpn_cbc_seal(k, pkt, pt_len, cap, pid);
}

int ovpn_data_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		   struct ovpn_data_rx *rx)
{
	if (k->backend != OVPN_BACKEND_OPENSSL)
		return OVPN_DATA_ERR_INVAL;
	if (k->aead)
		return ovpn_aead_open(k, pkt, len, rx);
	return ovpn_cbc_open(k, pkt, len, rx);
}
