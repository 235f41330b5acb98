/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in CA (see sl_pki.h): keys, certificates and CRLs through
 * OpenSSL's EVP and X509 APIs; tls-crypt(-v2) and tls-auth keys through
 * lib/ovpn_key_file.c, the same code the config loader reads them with.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ovpn_err.h"
#include "ovpn_key_file.h"
#include "ovpn_wrap_v2.h"
#include "sl_pki_priv.h"

#define HOUR	3600
#define DAY	(24 * HOUR)
#define MAX_DAYS	36500u
#define SERIAL_BITS	127	/* top bit set: always 16 octets, positive */

struct sl_pki {
	X509 *ca;
	EVP_PKEY *key;
	char *ca_pem;
};

enum cert_role { ROLE_CA, ROLE_SERVER, ROLE_CLIENT };

/* ---- small OpenSSL helpers ------------------------------------------------ */

static EVP_PKEY *key_new(enum sl_pki_key_type kt)
{
	return kt == SL_PKI_KEY_RSA ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

/* A malloc'd NUL-terminated copy of a memory BIO's contents. */
static char *bio_text(BIO *b)
{
	char *data, *out;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0 || !(out = malloc((size_t)n + 1)))
		return NULL;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

static char *cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b && PEM_write_bio_X509(b, x))
		s = bio_text(b);
	BIO_free(b);
	return s;
}

/* The key as PKCS#8 PEM, under PASS with AES-256-CBC when PASS != NULL.
 * The memory BIO is wiped before it is freed. */
static char *key_pem(EVP_PKEY *k, const char *pass)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *s = NULL, *data;
	long n;
	int ok;

	if (!b)
		return NULL;
	ok = pass ? PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(), NULL, 0,
						  NULL, (void *)pass)
		  : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	if (ok)
		s = bio_text(b);
	n = BIO_get_mem_data(b, &data);
	if (n > 0)
		OPENSSL_cleanse(data, (size_t)n);
	BIO_free(b);
	return s;
}

static void text_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static int serial_hex(const ASN1_INTEGER *ai, char out[SL_PKI_SERIAL_HEX_MAX])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int rc = -1;

	if (hex && strlen(hex) < SL_PKI_SERIAL_HEX_MAX && hex[0] != '-') {
		strcpy(out, hex);
		rc = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

static int asn1_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* One extension written the way openssl.cnf would (RFC 5280 4.2). */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/*
 * What each certificate may do (RFC 5280 4.2.1.3, 4.2.1.9, 4.2.1.12):
 * OpenVPN's remote-cert-tls checks keyUsage and the EKU
 * (OpenVPN src/openvpn/ssl_verify_openssl.c x509_verify_cert_ku/_eku).
 */
static int add_role_exts(X509 *x, X509 *issuer, enum cert_role role, bool rsa)
{
	const char *ku = rsa ? "critical,digitalSignature,keyEncipherment"
			     : "critical,digitalSignature,keyAgreement";

	if (add_ext(x, x, NID_subject_key_identifier, "hash") < 0)
		return -1;
	if (role == ROLE_CA)
		return add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
		       add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		       add_ext(x, x, NID_authority_key_identifier, "keyid:always")
		       ? -1 : 0;
	return add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
	       add_ext(x, issuer, NID_key_usage, ku) ||
	       add_ext(x, issuer, NID_ext_key_usage,
		       role == ROLE_SERVER ? "serverAuth" : "clientAuth") ||
	       add_ext(x, issuer, NID_authority_key_identifier, "keyid:always")
	       ? -1 : 0;
}

static int set_random_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int rc = -1;

	if (bn && BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		rc = 0;
	BN_free(bn);
	return rc;
}

/*
 * A certificate for KEY with subject CN, signed by issuer_key (self-signed
 * when issuer is NULL), valid from an hour ago (clock skew between the CA
 * and the clients) for DAYS days.
 */
static X509 *cert_make(const char *cn, EVP_PKEY *key, X509 *issuer,
		       EVP_PKEY *issuer_key, unsigned days, enum cert_role role,
		       struct sl_pki_error *e)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	if (!x || !name || !X509_set_version(x, 2) || set_random_serial(x) < 0 ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -HOUR, NULL) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    !X509_set_pubkey(x, key) ||
	    add_role_exts(x, issuer ? issuer : x, role,
			  EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) < 0 ||
	    !X509_sign(x, issuer_key, EVP_sha256())) {
		sl_pki_fail_ssl(e, cn);
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(name);
	return x;
}

/* 1..64 bytes, none of them a control character (the CN becomes a file
 * name in split profiles and a log field, OpenVPN src/openvpn/ssl_verify.c
 * likewise refuses odd common names). */
static int cn_check(const char *cn, struct sl_pki_error *e)
{
	size_t n = cn ? strlen(cn) : 0;

	if (n == 0 || n > SL_PKI_CN_MAX)
		return sl_pki_fail(e, "common name: expected 1..%d bytes, found %zu",
				   SL_PKI_CN_MAX, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7f || cn[i] == '/')
			return sl_pki_fail(e, "common name: control character or '/' "
					   "at byte %zu", i);
	return 0;
}

/* ---- loading --------------------------------------------------------------- */

static BIO *file_bio(const char *path, struct sl_pki_error *e)
{
	BIO *b = BIO_new_file(path, "r");

	if (!b)
		sl_pki_fail(e, "%s: cannot open: %s", path, strerror(errno));
	return b;
}

struct sl_pki *sl_pki_load(const char *ca_crt, const char *ca_key,
			   struct sl_pki_error *e)
{
	struct sl_pki *p = calloc(1, sizeof(*p));
	BIO *b;

	if (!p) {
		sl_pki_fail(e, "out of memory");
		return NULL;
	}
	if (!(b = file_bio(ca_crt, e)))
		goto fail;
	p->ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!p->ca) {
		sl_pki_fail_ssl(e, ca_crt);
		goto fail;
	}
	if (!(b = file_bio(ca_key, e)))
		goto fail;
	/* An empty passphrase callback: an encrypted CA key fails here
	 * instead of prompting on the daemon's terminal. */
	p->key = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	if (!p->key) {
		sl_pki_fail_ssl(e, ca_key);
		goto fail;
	}
	if (!X509_check_private_key(p->ca, p->key)) {
		sl_pki_fail(e, "%s: does not match the certificate in %s", ca_key, ca_crt);
		goto fail;
	}
	if (X509_check_ca(p->ca) == 0) {
		sl_pki_fail(e, "%s: not a CA certificate (basicConstraints)", ca_crt);
		goto fail;
	}
	if (!(p->ca_pem = cert_pem(p->ca))) {
		sl_pki_fail(e, "out of memory");
		goto fail;
	}
	return p;
fail:
	ERR_clear_error();
	sl_pki_free(p);
	return NULL;
}

void sl_pki_free(struct sl_pki *p)
{
	if (!p)
		return;
	X509_free(p->ca);
	EVP_PKEY_free(p->key);
	free(p->ca_pem);
	free(p);
}

const char *sl_pki_ca_pem(const struct sl_pki *p)
{
	return p->ca_pem;
}

/* ---- issuing --------------------------------------------------------------- */

void sl_pki_cert_clear(struct sl_pki_cert *c)
{
	free(c->cert_pem);
	text_free(c->key_pem);
	text_free(c->key_pem_enc);
	memset(c, 0, sizeof(*c));
}

int sl_pki_issue(struct sl_pki *p, const char *cn, enum sl_pki_key_type kt,
		 unsigned days, const char *passphrase, struct sl_pki_cert *out,
		 struct sl_pki_error *e)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (cn_check(cn, e) < 0)
		return -1;
	if (days < 1 || days > MAX_DAYS)
		return sl_pki_fail(e, "certificate days: expected 1..%u, found %u",
				   MAX_DAYS, days);
	if (passphrase && strlen(passphrase) < 4)
		return sl_pki_fail(e, "passphrase: expected at least 4 characters");
	if (!(key = key_new(kt))) {
		sl_pki_fail_ssl(e, "key generation");
		goto out;
	}
	if (!(x = cert_make(cn, key, p->ca, p->key, days, ROLE_CLIENT, e)))
		goto out;
	out->cert_pem = cert_pem(x);
	out->key_pem = key_pem(key, NULL);
	if (passphrase)
		out->key_pem_enc = key_pem(key, passphrase);
	if (!out->cert_pem || !out->key_pem || (passphrase && !out->key_pem_enc) ||
	    serial_hex(X509_get0_serialNumber(x), out->serial) < 0 ||
	    asn1_time_t(X509_get0_notAfter(x), &out->not_after) < 0) {
		sl_pki_fail_ssl(e, "certificate output");
		sl_pki_cert_clear(out);
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int sl_pki_cert_serial(const char *pem, char out[SL_PKI_SERIAL_HEX_MAX],
		       time_t *not_after, struct sl_pki_error *e)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	int rc = -1;

	if (!x)
		sl_pki_fail_ssl(e, "certificate");
	else if (serial_hex(X509_get0_serialNumber(x), out) < 0 ||
		 (not_after && asn1_time_t(X509_get0_notAfter(x), not_after) < 0))
		sl_pki_fail(e, "certificate: serial longer than 20 octets or bad time");
	else
		rc = 0;
	X509_free(x);
	BIO_free(b);
	return rc;
}

/* ---- CRL ------------------------------------------------------------------- */

/* A serial as hex (what sl_pki_cert.serial holds), parsed by OpenSSL. */
static ASN1_INTEGER *serial_parse(const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	size_t n = strnlen(hex, SL_PKI_SERIAL_HEX_MAX);

	if (n == 0 || n >= SL_PKI_SERIAL_HEX_MAX)
		return NULL;
	if (BN_hex2bn(&bn, hex) == (int)n && !BN_is_negative(bn))
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

static int crl_add(X509_CRL *crl, const struct sl_pki_revoked *r, size_t i,
		   struct sl_pki_error *e)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *serial = serial_parse(r->serial);
	ASN1_TIME *t = ASN1_TIME_set(NULL, r->when);
	int rc = -1;

	if (!serial)
		sl_pki_fail(e, "revoked[%zu].serial: expected 1..%d hex digits",
			    i, SL_PKI_SERIAL_HEX_MAX - 1);
	else if (!rev || !t || !X509_REVOKED_set_serialNumber(rev, serial) ||
		 !X509_REVOKED_set_revocationDate(rev, t) ||
		 !X509_CRL_add0_revoked(crl, rev))
		sl_pki_fail_ssl(e, "CRL entry");
	else {
		rev = NULL;	/* owned by the CRL now */
		rc = 0;
	}
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(t);
	return rc;
}

/* CRL number (RFC 5280 5.2.3): microseconds since the epoch, so each CRL
 * the CA writes has a larger one than the last. */
static int crl_number(X509_CRL *crl)
{
	struct timespec ts;
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ok = n && ASN1_INTEGER_set_uint64(n, (uint64_t)ts.tv_sec * 1000000u +
					  (uint64_t)ts.tv_nsec / 1000u) &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0);
	ASN1_INTEGER_free(n);
	return ok ? 0 : -1;
}

static int crl_akid(X509_CRL *crl, X509 *ca)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
				  "keyid:always");
	if (!ext)
		return -1;
	ok = X509_CRL_add_ext(crl, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* The CRL as PEM text (malloc'd), or NULL with *e filled. */
static char *crl_text(struct sl_pki *p, const struct sl_pki_revoked *r, size_t n,
		      unsigned next_days, struct sl_pki_error *e)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	ASN1_TIME *next = X509_time_adj_ex(NULL, (int)(next_days ? next_days :
						SL_PKI_DEFAULT_CRL_DAYS), 0, NULL);
	BIO *b = NULL;
	char *text = NULL;

	if (next_days > MAX_DAYS) {
		sl_pki_fail(e, "CRL days: expected 1..%u, found %u", MAX_DAYS, next_days);
		goto out;
	}
	if (!crl || !now || !next || !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->ca)) ||
	    !X509_CRL_set1_lastUpdate(crl, now) || !X509_CRL_set1_nextUpdate(crl, next)) {
		sl_pki_fail_ssl(e, "CRL");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (crl_add(crl, &r[i], i, e) < 0)
			goto out;
	if (crl_number(crl) < 0 || crl_akid(crl, p->ca) < 0 || !X509_CRL_sort(crl) ||
	    !X509_CRL_sign(crl, p->key, EVP_sha256()) ||
	    !(b = BIO_new(BIO_s_mem())) || !PEM_write_bio_X509_CRL(b, crl) ||
	    !(text = bio_text(b)))
		sl_pki_fail_ssl(e, "CRL signing");
out:
	BIO_free(b);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return text;
}

int sl_pki_crl_next_update(const char *path, time_t *next, struct sl_pki_error *e)
{
	FILE *f = fopen(path, "r");
	X509_CRL *crl = NULL;
	const ASN1_TIME *t;
	struct tm tm;
	int rc = -1;

	if (f == NULL) {
		snprintf(e->msg, sizeof(e->msg), "%s: %s", path, strerror(errno));
		return -1;
	}
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (crl == NULL)
		snprintf(e->msg, sizeof(e->msg), "%s: not a PEM CRL", path);
	else if ((t = X509_CRL_get0_nextUpdate(crl)) == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		snprintf(e->msg, sizeof(e->msg), "%s: no nextUpdate", path);
	else {
		*next = timegm(&tm);
		rc = 0;
	}
	X509_CRL_free(crl);
	ERR_clear_error();
	return rc;
}

int sl_pki_crl_each(const char *path, int (*fn)(const char *serial, time_t when, void *arg),
		    void *arg, struct sl_pki_error *e)
{
	FILE *f = fopen(path, "r");
	STACK_OF(X509_REVOKED) *revs;
	X509_CRL *crl;
	int rc = 0;

	if (f == NULL) {
		snprintf(e->msg, sizeof(e->msg), "%s: %s", path, strerror(errno));
		return -1;
	}
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (crl == NULL) {
		snprintf(e->msg, sizeof(e->msg), "%s: not a PEM CRL", path);
		ERR_clear_error();
		return -1;
	}
	revs = X509_CRL_get_REVOKED(crl);
	for (int i = 0; rc == 0 && i < sk_X509_REVOKED_num(revs); i++) {
		const X509_REVOKED *r = sk_X509_REVOKED_value(revs, i);
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
		char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
		struct tm tm;
		time_t when = 0;

		if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(r), &tm) == 1)
			when = timegm(&tm);
		if (hex == NULL) {
			snprintf(e->msg, sizeof(e->msg), "%s: out of memory", path);
			rc = -1;
		} else if (strlen(hex) < SL_PKI_SERIAL_HEX_MAX) {
			rc = fn(hex, when, arg);
		}
		OPENSSL_free(hex);
		BN_free(bn);
	}
	X509_CRL_free(crl);
	ERR_clear_error();
	return rc;
}

int sl_pki_crl(struct sl_pki *p, const struct sl_pki_revoked *r, size_t n,
	       unsigned next_days, const char *path, struct sl_pki_error *e)
{
	char *text = crl_text(p, r, n, next_days, e);
	int rc;

	if (!text)
		return -1;
	rc = sl_pki_write_atomic(path, text, strlen(text), 0644, e);
	free(text);
	return rc;
}

/* ---- tls-crypt-v2 client keys ---------------------------------------------- */

int sl_pki_tc2_client_key(const uint8_t *server_key, const char *username,
			  char *out, size_t cap, struct sl_pki_error *e)
{
	uint8_t meta[1 + SL_PKI_CN_MAX];
	struct ovpn_wrap_v2_server *s;
	size_t n;
	int err = 0, rc;

	if (cn_check(username, e) < 0)
		return -1;
	n = strlen(username);
	/* OpenVPN src/openvpn/tls_crypt.c: metadata type USER, then free-form
	 * bytes the server's --tls-crypt-v2-verify script (here: the control
	 * plane) reads. */
	meta[0] = OVPN_V2_META_USER;
	memcpy(meta + 1, username, n);
	if (!(s = ovpn_wrap_v2_server_new(server_key, &err)))
		return sl_pki_fail(e, "tls-crypt-v2 server key: %s", ovpn_strerror(err));
	rc = ovpn_key_file_gen_v2_client(s, meta, n + 1, out, cap);
	ovpn_wrap_v2_server_free(s);
	if (rc < 0)
		return sl_pki_fail(e, "tls-crypt-v2 client key: %s", ovpn_strerror(rc));
	return rc;
}

int sl_pki_tc2_client_key_file(const char *server_key_path, const char *username,
			       char *out, size_t cap, struct sl_pki_error *e)
{
	char text[OVPN_KEY_FILE_MAX];
	uint8_t key[OVPN_V2_SERVER_KEY_LEN];
	struct ovpn_key_file_error ke = { 0 };
	size_t len;
	int rc = -1;

	if (ovpn_key_file_load(server_key_path, text, sizeof(text), &len, &ke) < 0 ||
	    ovpn_key_file_parse_v2_server(text, len, key, &ke) < 0)
		sl_pki_fail(e, "%s: %s", server_key_path, ke.msg);
	else
		rc = sl_pki_tc2_client_key(key, username, out, cap, e);
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int sl_pki_tc2_meta_user(const uint8_t *meta, size_t len, char *out, size_t cap)
{
	size_t n = len - 1;

	if (len < 2 || meta[0] != OVPN_V2_META_USER || n > SL_PKI_CN_MAX || n >= cap)
		return -1;
	for (size_t i = 1; i < len; i++)
		if (meta[i] < 0x20 || meta[i] == 0x7f)
			return -1;
	memcpy(out, meta + 1, n);
	out[n] = '\0';
	return 0;
}

/* ---- a new CA folder ------------------------------------------------------- */

/* The files sl_pki_init writes, in order; the last ones only on request. */
enum init_file { F_CA_KEY, F_CA_CRT, F_SRV_KEY, F_SRV_CRT, F_TC2, F_CRL, F_TC,
		 F_TA, F_COUNT };
static const char *const init_names[F_COUNT] = {
	SL_PKI_CA_KEY, SL_PKI_CA_CRT, SL_PKI_SERVER_KEY, SL_PKI_SERVER_CRT,
	SL_PKI_TC2_SERVER_KEY, SL_PKI_CRL, SL_PKI_TC_KEY, SL_PKI_TA_KEY,
};

struct init_state {
	const char *dir;
	char path[F_COUNT][PATH_MAX];
	char *text[F_COUNT];		/* contents, made before anything is written */
};

static int init_paths(struct init_state *st, struct sl_pki_error *e)
{
	struct stat sb;

	for (int i = 0; i < F_COUNT; i++)
		if (snprintf(st->path[i], PATH_MAX, "%s/%s", st->dir, init_names[i]) >=
		    PATH_MAX)
			return sl_pki_fail(e, "%s: path too long", st->dir);
	if (lstat(st->path[F_CA_CRT], &sb) == 0 || lstat(st->path[F_CA_KEY], &sb) == 0)
		return sl_pki_fail(e, "%s already holds a CA (%s or %s); refusing to "
				   "overwrite it", st->dir, SL_PKI_CA_CRT, SL_PKI_CA_KEY);
	for (int i = 0; i < F_COUNT; i++)
		if (lstat(st->path[i], &sb) == 0)
			return sl_pki_fail(e, "%s already exists; refusing to overwrite it",
					   st->path[i]);
	return 0;
}

static char *key_text(int (*gen)(char *out, size_t cap))
{
	char buf[OVPN_KEY_FILE_V2_TEXT_MAX];
	char *s = NULL;

	if (gen(buf, sizeof(buf)) >= 0)
		s = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return s;
}

/* The CA, the server certificate and the keys, all in memory. */
static int init_make(struct init_state *st, const struct sl_pki_init_opts *o,
		     struct sl_pki_error *e)
{
	const char *ca_cn = o->ca_cn ? o->ca_cn : "Sluice CA";
	const char *srv_cn = o->server_cn ? o->server_cn : "sluice";
	struct sl_pki ca = { 0 };
	EVP_PKEY *srv_key = NULL;
	X509 *srv = NULL;
	int rc = -1;

	if (cn_check(ca_cn, e) < 0 || cn_check(srv_cn, e) < 0)
		return -1;
	if (!(ca.key = key_new(o->key_type)) || !(srv_key = key_new(o->key_type))) {
		sl_pki_fail_ssl(e, "key generation");
		goto out;
	}
	ca.ca = cert_make(ca_cn, ca.key, NULL, ca.key,
			  o->ca_days ? o->ca_days : SL_PKI_DEFAULT_CA_DAYS, ROLE_CA, e);
	if (!ca.ca)
		goto out;
	srv = cert_make(srv_cn, srv_key, ca.ca, ca.key,
			o->server_days ? o->server_days : SL_PKI_DEFAULT_CERT_DAYS,
			ROLE_SERVER, e);
	if (!srv)
		goto out;
	st->text[F_CA_KEY] = key_pem(ca.key, NULL);
	st->text[F_CA_CRT] = cert_pem(ca.ca);
	st->text[F_SRV_KEY] = key_pem(srv_key, NULL);
	st->text[F_SRV_CRT] = cert_pem(srv);
	st->text[F_TC2] = key_text(ovpn_key_file_gen_v2_server);
	if (o->tls_crypt)
		st->text[F_TC] = key_text(ovpn_key_file_gen_static);
	if (o->tls_auth)
		st->text[F_TA] = key_text(ovpn_key_file_gen_static);
	if (!(st->text[F_CRL] = crl_text(&ca, NULL, 0, o->crl_days, e)))
		goto out;
	for (int i = 0; i < F_COUNT; i++)
		if (!st->text[i] && !(i == F_TC && !o->tls_crypt) &&
		    !(i == F_TA && !o->tls_auth)) {
			sl_pki_fail(e, "%s: could not be made", init_names[i]);
			goto out;
		}
	rc = 0;
out:
	X509_free(srv);
	EVP_PKEY_free(srv_key);
	X509_free(ca.ca);
	EVP_PKEY_free(ca.key);
	return rc;
}

/* Write every file made, none over an existing one; on a failure remove
 * the ones already written, so the folder is as it was. */
static int init_write(struct init_state *st, struct sl_pki_error *e)
{
	int i;

	for (i = 0; i < F_COUNT; i++) {
		if (!st->text[i])
			continue;
		if (sl_pki_write_new(st->path[i], st->text[i], strlen(st->text[i]),
				     0600, e) < 0)
			break;
	}
	if (i == F_COUNT)
		return 0;
	while (i-- > 0)
		if (st->text[i])
			unlink(st->path[i]);
	return -1;
}

int sl_pki_init(const char *dir, const struct sl_pki_init_opts *opts,
		struct sl_pki_error *e)
{
	static const struct sl_pki_init_opts defaults;
	struct init_state st = { .dir = dir };
	bool made_dir = false;
	int rc = -1;

	if (!opts)
		opts = &defaults;
	if (mkdir(dir, 0700) == 0)
		made_dir = true;
	else if (errno != EEXIST)
		return sl_pki_fail(e, "%s: cannot create: %s", dir, strerror(errno));
	if (init_paths(&st, e) < 0 || init_make(&st, opts, e) < 0 ||
	    init_write(&st, e) < 0)
		goto out;
	if (chmod(dir, 0700) < 0) {
		sl_pki_fail(e, "%s: chmod: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < F_COUNT; i++)
		text_free(st.text[i]);
	if (rc < 0 && made_dir)
		rmdir(dir);
	return rc;
}
