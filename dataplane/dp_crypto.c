/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data channel's crypto backend (lib/ovpn_engine.h), chosen once at
 * start from dataplane.crypto:
 *
 *   "auto"      intel-ipsec-mb where ovpn_backend_probe() says this CPU runs
 *               it, else OpenSSL;
 *   "openssl"   OpenSSL EVP;
 *   "ipsec-mb"  intel-ipsec-mb, or no start at all where it cannot run.
 *
 * A cipher the chosen backend cannot do (ovpn_backend_has()) keeps OpenSSL.
 * The choice per cipher goes into dp->key_backend[] (KEY_NEW hands it to
 * ovpn_data_key_init(), dp_peer.c, which expands the key material once) and
 * into sl_status for `sluicectl status` and the telemetry. Each worker gets
 * its own engine (the ipsec-mb manager keeps per-lane state), made here on
 * the main lcore before the workers start and freed after they stop.
 */
#include <stdio.h>

#include "dp.h"
#include "dp_peer.h"
#include "ovpn_engine.h"
#include "sl_log.h"

/* The ciphers a key can have (enum sl_cipher) and what they are here. */
static const struct {
	const char *name;	/* OpenVPN's spelling */
	enum ovpn_data_alg alg;
} ciphers[SL_CIPHER_COUNT] = {
	[SL_CIPHER_AES_128_GCM] = { "AES-128-GCM", OVPN_DATA_ALG_AES_128_GCM },
	[SL_CIPHER_AES_256_GCM] = { "AES-256-GCM", OVPN_DATA_ALG_AES_256_GCM },
	[SL_CIPHER_CHACHA20_POLY1305] = { "CHACHA20-POLY1305", OVPN_DATA_ALG_CHACHA20_POLY1305 },
	[SL_CIPHER_AES_128_CBC] = { "AES-128-CBC", OVPN_DATA_ALG_AES_128_CBC },
	[SL_CIPHER_AES_256_CBC] = { "AES-256-CBC", OVPN_DATA_ALG_AES_256_CBC },
};

/* enum sl_digest -> the library's; the values differ in name only. */
static const enum ovpn_data_md digests[] = {
	[SL_DIGEST_NONE] = OVPN_DATA_MD_NONE, [SL_DIGEST_SHA1] = OVPN_DATA_MD_SHA1,
	[SL_DIGEST_SHA256] = OVPN_DATA_MD_SHA256, [SL_DIGEST_SHA512] = OVPN_DATA_MD_SHA512,
};

static bool is_cbc(enum ovpn_data_alg alg)
{
	return alg == OVPN_DATA_ALG_AES_128_CBC || alg == OVPN_DATA_ALG_AES_256_CBC;
}

const char *dp_cipher_name(unsigned cipher)
{
	return cipher < SL_CIPHER_COUNT && ciphers[cipher].name != NULL ? ciphers[cipher].name
									  : NULL;
}

void dp_crypto_key_cfg(const struct dp *dp, unsigned cipher, unsigned digest,
		       struct ovpn_data_key_cfg *kc)
{
	if (dp_cipher_name(cipher) == NULL)
		cipher = SL_CIPHER_AES_256_GCM;
	kc->alg = ciphers[cipher].alg;
	/* AEAD ignores the digest; CBC without a known one fails at key init. */
	kc->md = is_cbc(kc->alg) && digest < sizeof(digests) / sizeof(digests[0]) ?
		 digests[digest] : OVPN_DATA_MD_NONE;
	kc->backend = dp->key_backend[cipher];
}

/* Can backend b run every key of this cipher (for CBC: with each digest)? */
static bool backend_does(enum ovpn_backend b, enum ovpn_data_alg alg)
{
	if (!is_cbc(alg))
		return ovpn_backend_has(b, alg, OVPN_DATA_MD_NONE);
	for (unsigned d = SL_DIGEST_SHA1; d <= SL_DIGEST_SHA512; d++)
		if (!ovpn_backend_has(b, alg, digests[d]))
			return false;
	return true;
}

/* The backend dataplane.crypto asks for on this CPU, with the log line's reason. */
static int pick(int want, enum ovpn_backend *b, char *why, size_t len)
{
	char imb[64];

	if (want == CFG_CRYPTO_OPENSSL) {
		*b = OVPN_BACKEND_OPENSSL;
		snprintf(why, len, "configured");
		return 0;
	}
	if (ovpn_backend_probe(OVPN_BACKEND_IPSEC_MB, imb, sizeof(imb)) == 0) {
		*b = OVPN_BACKEND_IPSEC_MB;
		snprintf(why, len, "%s", imb);
		return 0;
	}
	if (want == CFG_CRYPTO_IPSEC_MB) {
		SL_ERR("dataplane.crypto = \"ipsec-mb\", but it cannot run here: %s", imb);
		return -1;
	}
	*b = OVPN_BACKEND_OPENSSL;
	snprintf(why, len, "ipsec-mb: %s", imb);
	return 0;
}

int dp_crypto_select(struct dp *dp)
{
	struct sl_status *s = dp->status;
	enum ovpn_backend b;
	char why[80];

	if (pick(dp->cfg->dp.crypto, &b, why, sizeof(why)) != 0)
		return -1;
	SL_INFO("crypto: %s (%s)", ovpn_backend_name(b), why);
	ovpn_backend_probe(b, s->crypto_arch, sizeof(s->crypto_arch));
	for (unsigned c = 0; c < SL_CIPHER_COUNT; c++) {
		enum ovpn_backend kb = b;

		if (ciphers[c].name != NULL && !backend_does(b, ciphers[c].alg)) {
			kb = OVPN_BACKEND_OPENSSL;
			SL_INFO("crypto: %s on %s (%s cannot do it)", ciphers[c].name,
				ovpn_backend_name(kb), ovpn_backend_name(b));
		}
		dp->key_backend[c] = (uint8_t)kb;
		s->crypto_backend[c] = (uint8_t)kb;
	}
	return 0;
}

int dp_crypto_engines(struct dp_worker *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		w[i].engine = ovpn_engine_new();
		if (w[i].engine == NULL) {
			SL_ERR("crypto: no memory for worker %u's engine", i);
			dp_crypto_engines_free(w, i);
			return -1;
		}
	}
	return 0;
}

void dp_crypto_engines_free(struct dp_worker *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		ovpn_engine_free(w[i].engine);
		w[i].engine = NULL;
	}
}
