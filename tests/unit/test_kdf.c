/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key derivation:
 *  - TLS-EKM between two real in-memory OpenSSL endpoints (TLS 1.3 and
 *    1.2, throw-away self-signed certificate): both ends export the same
 *    256 bytes, and their direction maps mirror each other;
 *  - legacy PRF against an independent P_MD5 xor P_SHA1 written here
 *    from RFC 2246 §5, both stages, session ids in the seed;
 *  - key-block mapping checked by decrypting the captured data packets
 *    KAT-1, KAT-2 and KAT-6 (captured from real OpenVPN 2.6.14 sessions,
 *    see test_data_aead.c) with the mapped keys.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ovpn_kdf.h"
#include "sl_test.h"

/* ---- helpers ---------------------------------------------------------- */

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"km-test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

struct tls_pair {
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
};

static void pair_free(struct tls_pair *p)
{
	SSL_free(p->s);
	SSL_free(p->c);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
}

static int pair_ctx(struct tls_pair *p, int version, EVP_PKEY *key, X509 *crt)
{
	p->sctx = SSL_CTX_new(TLS_server_method());
	p->cctx = SSL_CTX_new(TLS_client_method());
	if (p->sctx == NULL || p->cctx == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(p->sctx, version);
	SSL_CTX_set_max_proto_version(p->sctx, version);
	SSL_CTX_set_min_proto_version(p->cctx, version);
	SSL_CTX_set_max_proto_version(p->cctx, version);
	if (SSL_CTX_use_certificate(p->sctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey(p->sctx, key) != 1)
		return -1;
	SSL_CTX_set_verify(p->cctx, SSL_VERIFY_NONE, NULL);
	return 0;
}

/* Handshake over a BIO pair; 0 when both ends are done. */
static int pair_connect(struct tls_pair *p)
{
	BIO *bc, *bs;
	int cdone = 0, sdone = 0;

	p->s = SSL_new(p->sctx);
	p->c = SSL_new(p->cctx);
	if (p->s == NULL || p->c == NULL ||
	    BIO_new_bio_pair(&bc, 0, &bs, 0) != 1)
		return -1;
	SSL_set_bio(p->c, bc, bc);
	SSL_set_bio(p->s, bs, bs);
	SSL_set_connect_state(p->c);
	SSL_set_accept_state(p->s);
	for (int i = 0; i < 100 && !(cdone && sdone); i++) {
		cdone = cdone || SSL_do_handshake(p->c) == 1;
		sdone = sdone || SSL_do_handshake(p->s) == 1;
	}
	return cdone && sdone ? 0 : -1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Export on both ends; compare; check the direction maps mirror. */
static int ekm_check(int version)
{
	static const char label[] = OVPN_KDF_EKM_LABEL;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *crt = key != NULL ? self_signed(key) : NULL;
	struct tls_pair p = { 0 };
	uint8_t ks[256], kc[256], ref[256], ctx_empty[256];
	struct ovpn_kdf_cipher gcm = { .aead = true, .key_len = 32 };
	struct ovpn_kdf_keys srv, cli;
	int rc = -1;

	if (crt == NULL || pair_ctx(&p, version, key, crt) < 0 ||
	    pair_connect(&p) < 0)
		goto out;
	if (ovpn_kdf_ekm(p.s, ks) != 0 || ovpn_kdf_ekm(p.c, kc) != 0)
		goto out;
	if (memcmp(ks, kc, 256) != 0 || all_zero(ks, 256))
		goto out;
	/* same as the raw exporter without context ... */
	SSL_export_keying_material(p.s, ref, 256, label, sizeof(label) - 1,
				   NULL, 0, 0);
	SSL_export_keying_material(p.s, ctx_empty, 256, label,
				   sizeof(label) - 1, NULL, 0, 1);
	if (memcmp(ks, ref, 256) != 0)
		goto out;
	/* ... which in TLS 1.2 differs from an empty context (RFC 5705) */
	if (version == TLS1_2_VERSION && memcmp(ks, ctx_empty, 256) == 0)
		goto out;
	if (ovpn_kdf_keys_map(ks, &gcm, true, &srv) != 0 ||
	    ovpn_kdf_keys_map(kc, &gcm, false, &cli) != 0)
		goto out;
	if (memcmp(&srv.tx, &cli.rx, sizeof(srv.tx)) != 0 ||
	    memcmp(&srv.rx, &cli.tx, sizeof(srv.rx)) != 0)
		goto out;
	rc = 0;
out:
	pair_free(&p);
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
}

static int test_ekm_tls13(void)
{
	CHECK_EQ(ekm_check(TLS1_3_VERSION), 0);
	return 0;
}

static int test_ekm_tls12(void)
{
	CHECK_EQ(ekm_check(TLS1_2_VERSION), 0);
	return 0;
}

static int test_ekm_errors(void)
{
	uint8_t k[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *s = SSL_new(ctx);

	CHECK_EQ(ovpn_kdf_ekm(NULL, k), -EINVAL);
	/* no handshake yet: the exporter refuses, output wiped */
	memset(k, 0x55, sizeof(k));
	CHECK_EQ(ovpn_kdf_ekm(s, k), -EIO);
	CHECK(all_zero(k, sizeof(k)));
	SSL_free(s);
	SSL_CTX_free(ctx);
	return 0;
}

/* ---- legacy PRF ------------------------------------------------------- */

/* RFC 2246 §5 P_hash, written independently of the library. */
static void p_hash(const EVP_MD *md, const uint8_t *sec, size_t slen,
		   const uint8_t *seed, size_t seed_len, uint8_t *out,
		   size_t n)
{
	uint8_t a[64], blk[64], buf[64 + 256];
	unsigned alen, blen;

	HMAC(md, sec, (int)slen, seed, seed_len, a, &alen);	/* A(1) */
	for (size_t off = 0; off < n; off += blen) {
		memcpy(buf, a, alen);
		memcpy(buf + alen, seed, seed_len);
		HMAC(md, sec, (int)slen, buf, alen + seed_len, blk, &blen);
		for (size_t i = 0; i < blen && off + i < n; i++)
			out[off + i] ^= blk[i];
		HMAC(md, sec, (int)slen, a, alen, blk, &alen);	/* A(i+1) */
		memcpy(a, blk, alen);
	}
}

static void ref_prf(const uint8_t *sec, size_t slen, const uint8_t *seed,
		    size_t seed_len, uint8_t *out, size_t n)
{
	size_t half = (slen + 1) / 2;	/* halves overlap by one if odd */

	memset(out, 0, n);
	p_hash(EVP_md5(), sec, half, seed, seed_len, out, n);
	p_hash(EVP_sha1(), sec + slen - half, half, seed, seed_len, out, n);
}

static int test_prf_vs_reference(void)
{
	uint8_t sec[49], seed[80], a[300], b[300];
	struct ovpn_kdf_seed s[] = { { "lbl", 3 }, { seed + 3, 77 } };

	for (size_t i = 0; i < sizeof(sec); i++)
		sec[i] = (uint8_t)(i * 7 + 1);
	memcpy(seed, "lbl", 3);
	for (size_t i = 3; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0xf0 ^ i);
	/* even and odd secret lengths, output sizes not multiple of 16/20 */
	for (size_t slen = 47; slen <= 49; slen++) {
		for (size_t n = 1; n <= sizeof(a); n += 37) {
			CHECK_EQ(ovpn_kdf_tls1_prf(sec, slen, s, 2, a, n), 0);
			ref_prf(sec, slen, seed, sizeof(seed), b, n);
			CHECK_MEM(a, b, n);
		}
	}
	return 0;
}

static int test_prf_two_stage(void)
{
	uint8_t pm[48], cr1[32], cr2[32], sr1[32], sr2[32];
	uint8_t csid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t ssid[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t seed[128], master[48], want[256], got[256];
	struct ovpn_kdf_prf_src src = {
		pm, cr1, cr2, sr1, sr2, csid, ssid
	};
	size_t n;

	memset(pm, 0x11, 48);
	memset(cr1, 0x22, 32);
	memset(cr2, 0x33, 32);
	memset(sr1, 0x44, 32);
	memset(sr2, 0x55, 32);
	n = 0;
	memcpy(seed, "OpenVPN master secret", 21), n = 21;
	memcpy(seed + n, cr1, 32), n += 32;
	memcpy(seed + n, sr1, 32), n += 32;
	ref_prf(pm, 48, seed, n, master, 48);
	n = 0;
	memcpy(seed, "OpenVPN key expansion", 21), n = 21;
	memcpy(seed + n, cr2, 32), n += 32;
	memcpy(seed + n, sr2, 32), n += 32;
	memcpy(seed + n, csid, 8), n += 8;
	memcpy(seed + n, ssid, 8), n += 8;
	CHECK_EQ(n, 101);
	ref_prf(master, 48, seed, n, want, 256);
	CHECK_EQ(ovpn_kdf_prf(&src, got), 0);
	CHECK_MEM(got, want, 256);
	/* the session ids matter (the RFC draft's formula omits them) */
	ssid[7] ^= 1;
	CHECK_EQ(ovpn_kdf_prf(&src, got), 0);
	CHECK(memcmp(got, want, 256) != 0);
	src.client_sid = NULL;
	CHECK_EQ(ovpn_kdf_prf(&src, got), -EINVAL);
	return 0;
}

/*
 * Real 2.6.14 legacy-PRF session (data/km/prf_vector.txt): the key source
 * and session ids the server logged at verb 9, and the keys it derived.
 * "Master Encrypt" is key[0] (client -> server), "Master Decrypt" key[1].
 */
static int test_prf_real_server(void)
{
	uint8_t pm[48], cr1[32], cr2[32], sr1[32], sr2[32], csid[8], ssid[8];
	uint8_t k2[256], want0[32], want1[32];
	struct ovpn_kdf_prf_src src = { pm, cr1, cr2, sr1, sr2, csid, ssid };
	struct ovpn_kdf_cipher c;
	struct ovpn_kdf_keys keys;

	unhex("99c6f2b07a883038c252c73b43230ff0ec085105097ae1990c1b0959af35f367"
	      "6da1c8751141c730a8c343a42cfcd3cd", pm);
	unhex("7acdd6cb69f4f744cd810a08e131a8e2ef709d6dfcc742a77daf2862b4d1f83a",
	      cr1);
	unhex("95b89dbd5cee76929f578b41ecbcbdfb3339a1c7331d0e063b43fa1898ac0987",
	      cr2);
	unhex("eb9e6763495c01c56f9d4e705cf3e4b6e7ff839ab21599fe2609bca821a650e4",
	      sr1);
	unhex("4cbf71ac8a191229fdea6240b5a5184718fcbc011f4f590f3bb06c24b92240b2",
	      sr2);
	unhex("94e8893cd04a9970", csid);
	unhex("b60987aca61a3e4e", ssid);
	unhex("1dfc51769ad40242af8f7098d78080000e771a1b66eb3e43fef8466faed6b37a",
	      want0);
	unhex("30a513da5a44e2f9d3da3141007102f0b042e8863042ec8e8a8d271a02f420a3",
	      want1);
	CHECK_EQ(ovpn_kdf_prf(&src, k2), 0);
	CHECK_MEM(k2, want0, 32);
	CHECK_MEM(k2 + 128, want1, 32);
	CHECK_EQ(ovpn_kdf_cipher_lookup("AES-256-GCM", NULL, &c), 0);
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, true, &keys), 0);
	CHECK_MEM(keys.rx.key, want0, 32);
	CHECK_MEM(keys.tx.key, want1, 32);
	return 0;
}

/* ---- mapping ---------------------------------------------------------- */

static int test_map_layout(void)
{
	uint8_t k2[256];
	struct ovpn_kdf_cipher c;
	struct ovpn_kdf_keys s, cl;

	for (int i = 0; i < 256; i++)
		k2[i] = (uint8_t)i;
	CHECK_EQ(ovpn_kdf_cipher_lookup("AES-128-GCM", "SHA1", &c), 0);
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, true, &s), 0);
	CHECK_MEM(s.tx.key, k2 + 128, 16);
	CHECK_MEM(s.tx.nonce_tail, k2 + 192, 8);
	CHECK_MEM(s.rx.key, k2 + 0, 16);
	CHECK_MEM(s.rx.nonce_tail, k2 + 64, 8);
	CHECK(all_zero(s.tx.key + 16, 48));	/* nothing beyond K */
	CHECK(all_zero(s.tx.hmac, 64));
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, false, &cl), 0);
	CHECK_MEM(&cl.tx, &s.rx, sizeof(cl.tx));
	CHECK_MEM(&cl.rx, &s.tx, sizeof(cl.rx));
	CHECK_EQ(ovpn_kdf_cipher_lookup("AES-256-CBC", "SHA256", &c), 0);
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, true, &s), 0);
	CHECK_MEM(s.tx.key, k2 + 128, 32);
	CHECK_MEM(s.tx.hmac, k2 + 192, 32);
	CHECK_MEM(s.rx.hmac, k2 + 64, 32);
	CHECK(all_zero(s.rx.nonce_tail, 8));
	ovpn_kdf_keys_wipe(&s);
	CHECK(all_zero((uint8_t *)&s, sizeof(s)));
	/* an all-zero cipher key is refused like OpenVPN's check_key */
	memset(k2 + 128, 0, 32);
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, true, &s), -EKEYREJECTED);
	c.key_len = 0;
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, true, &s), -EINVAL);
	return 0;
}

static int test_cipher_table(void)
{
	static const struct {
		const char *cipher, *auth;
		int rc;
		bool aead;
		uint8_t k, h;
	} t[] = {
		/* 1 */ { "AES-128-GCM", NULL, 0, true, 16, 0 },
		/* 2 */ { "AES-192-GCM", "SHA1", 0, true, 24, 0 },
		/* 3 */ { "AES-256-GCM", "SHA512", 0, true, 32, 0 },
		/* 4 */ { "CHACHA20-POLY1305", NULL, 0, true, 32, 0 },
		/* 5 */ { "AES-256-CBC", "SHA256", 0, false, 32, 32 },
		/* 6 */ { "AES-128-CBC", "SHA1", 0, false, 16, 20 },
		/* 7 */ { "AES-256-CBC", "SHA512", 0, false, 32, 64 },
		/* 8 */ { "aes-256-gcm", NULL, 0, true, 32, 0 },
		/* 9 */ { "AES-256-CBC", NULL, -ENOENT, false, 0, 0 },
		/* 10 */ { "AES-256-CBC", "none", -ENOENT, false, 0, 0 },
		/* 11 */ { "AES-256-CTR", "SHA256", -ENOENT, false, 0, 0 },
		/* 12 */ { "none", "SHA1", -ENOENT, false, 0, 0 },
		/* 13 */ { "AES-256-CCM", NULL, -ENOENT, false, 0, 0 },
	};
	struct ovpn_kdf_cipher c;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = ovpn_kdf_cipher_lookup(t[i].cipher, t[i].auth, &c);

		if (rc != t[i].rc || c.aead != t[i].aead ||
		    c.key_len != t[i].k || c.hmac_len != t[i].h) {
			fprintf(stderr, "case %zu: rc %d aead %d k %u h %u\n",
				i + 1, rc, c.aead, c.key_len, c.hmac_len);
			return -1;
		}
	}
	CHECK_EQ(ovpn_kdf_cipher_lookup(NULL, NULL, &c), -EINVAL);
	return 0;
}

/* key2 holding the keys a real session logged (verb 9). */
static void kat_key2(uint8_t k2[256], const char *c2s_key, const char *c2s_iv,
		     const char *s2c_key, const char *s2c_iv)
{
	memset(k2, 0xee, 256);
	unhex(c2s_key, k2);
	unhex(c2s_iv, k2 + 64);
	unhex(s2c_key, k2 + 128);
	unhex(s2c_iv, k2 + 192);
}

/* P_DATA_V2 AEAD: AAD = 8 header bytes, tag, ct; nonce = pid || tail. */
static int gcm_open(const struct ovpn_kdf_dir *d, const char *pkt_hex,
		    uint8_t *pt)
{
	uint8_t pkt[256], nonce[12];
	size_t n = unhex(pkt_hex, pkt);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len, ok;

	memcpy(nonce, pkt + 4, 4);
	memcpy(nonce + 4, d->nonce_tail, 8);
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, d->key, nonce) &&
	     EVP_DecryptUpdate(ctx, NULL, &len, pkt, 8) &&
	     EVP_DecryptUpdate(ctx, pt, &len, pkt + 24, (int)n - 24) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, pkt + 8) &&
	     EVP_DecryptFinal_ex(ctx, pt + len, &len);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? (int)n - 24 : -1;
}

static int test_kat_gcm(void)
{
	static const char ping[] = "2a187bf3641eb4cb07ed2d0a981fc748";
	uint8_t k2[256], pt[256], want[16];
	struct ovpn_kdf_cipher c;
	struct ovpn_kdf_keys s;

	kat_key2(k2,
		 "6c3b9249e6d6c04a9836bb95ca7bdfb1a0b34709aa863a08cd16784d20d0389e",
		 "e5a50640869ddf17",
		 "4402c1e2b7c5b8f702fc503c061f1e5ab1113cccf4fad7facc7dc41d8c7db8b0",
		 "4675b12ea2a1ffd9");
	unhex(ping, want);
	CHECK_EQ(ovpn_kdf_cipher_lookup("AES-256-GCM", NULL, &c), 0);
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, true, &s), 0);
	/* KAT-1: client -> server, so the server's rx keys open it */
	CHECK_EQ(gcm_open(&s.rx, "480000000000000641a117d49799164c831e18c37657"
			  "04076029b2480c3225b2de9c25258b25d6f1", pt), 16);
	CHECK_MEM(pt, want, 16);
	/* ... and its tx keys do not */
	CHECK_EQ(gcm_open(&s.tx, "480000000000000641a117d49799164c831e18c37657"
			  "04076029b2480c3225b2de9c25258b25d6f1", pt), -1);
	/* KAT-2: server -> client, sealed with the server's tx keys */
	CHECK_EQ(gcm_open(&s.tx, "480000000000000590d0d1e99ac77c533eb015d639c4"
			  "a3656f9c8cee3ce42023d93dc2418be80dfd", pt), 16);
	CHECK_MEM(pt, want, 16);
	return 0;
}

/* KAT-6: AES-256-CBC + HMAC-SHA256, client -> server. */
static int test_kat_cbc(void)
{
	uint8_t k2[256], pkt[160], mac[32], pt[96];
	struct ovpn_kdf_cipher c;
	struct ovpn_kdf_keys s;
	unsigned mlen;
	size_t n;
	int len = 0, len2 = 0;

	memset(k2, 0x77, sizeof(k2));
	unhex("49175e0a450f667ca14d2ef982a3ffe62466627757b73c17ff638c8f5bfcd73f",
	      k2);
	unhex("71b793124a965bb3602f4e0272cdf7e16efc4d43ab51c4751c7ae21ad706ccb0",
	      k2 + 64);
	n = unhex("48000000"
		  "53125bea336bf2dc3642afd4e62115a7c7ce2d99ce1535b30178b773456ac02d"
		  "e9d61b17cf048618fc9a45119a69cf34"
		  "abcadf60fcabbf0def7348917dccddc664f7572999aa3cc11284ceff2adc25e7"
		  "bcd89ab2af0426296f2e53585f1885b1db4f62a798bce93ec196500fea529dd4",
		  pkt);
	CHECK_EQ(n, 116);
	CHECK_EQ(ovpn_kdf_cipher_lookup("AES-256-CBC", "SHA256", &c), 0);
	CHECK_EQ(ovpn_kdf_keys_map(k2, &c, true, &s), 0);
	HMAC(EVP_sha256(), s.rx.hmac, c.hmac_len, pkt + 36, n - 36, mac, &mlen);
	CHECK_MEM(mac, pkt + 4, 32);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	CHECK(EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, s.rx.key,
				 pkt + 36) == 1);
	CHECK(EVP_DecryptUpdate(ctx, pt, &len, pkt + 52, (int)n - 52) == 1);
	CHECK(EVP_DecryptFinal_ex(ctx, pt + len, &len2) == 1);
	EVP_CIPHER_CTX_free(ctx);
	CHECK_EQ(len + len2, 4 + 45);
	CHECK_MEM(pt, "\x00\x00\x00\x03\x45\x00\x00\x2d", 8);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "EKM: TLS 1.3 in-memory endpoints agree", test_ekm_tls13 },
	{ "EKM: TLS 1.2, no context != empty", test_ekm_tls12 },
	{ "EKM: errors wipe output", test_ekm_errors },
	{ "TLS1-PRF vs independent P_MD5^P_SHA1", test_prf_vs_reference },
	{ "legacy PRF: two stages with session ids", test_prf_two_stage },
	{ "legacy PRF == real 2.6.14 server keys", test_prf_real_server },
	{ "key2 mapping, server and client view", test_map_layout },
	{ "cipher table (numbered)", test_cipher_table },
	{ "KAT-1/2 AES-256-GCM packets open", test_kat_gcm },
	{ "KAT-6 AES-256-CBC/HMAC-SHA256 packet", test_kat_cbc },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("kdf", cases);
}
