/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS server context of the control channel, as OpenVPN sets its own
 * up (src/openvpn/ssl_openssl.c, tls_ctx_set_options): TLS 1.2 minimum,
 * ECDHE, no tickets, no TLS renegotiation, no session cache (OpenVPN
 * renegotiates with a new TLS session, ssl.c), a client certificate
 * required and verified against pki.ca and, when set, the CRL in pki.crl
 * (the leaf only, as crl-verify does), and its common name must be one
 * printable name (cert_cn). The CRL is re-read when its file changes: a new SSL_CTX is
 * built and swapped in under t->lock; key states already running keep the
 * context they were made from (SSL_new holds a reference). Live sessions
 * are checked against the new CRL by serial and issuer (cp_tls_revoked),
 * which the verify callback kept for each (cert_id).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cp_ctx.h"
#include "cp_tls.h"

struct cp_tls {
	pthread_mutex_t lock;		/* guards ctx and the CRL stamp */
	SSL_CTX *ctx;
	const struct cfg_pki *pki;
	bool legacy;			/* control.legacy_tls */
	struct timespec crl_mtime;
	off_t crl_size;
};

static void ssl_error(const char *what, const char *path, char *err, size_t len)
{
	char e[160];

	ERR_error_string_n(ERR_get_error(), e, sizeof(e));
	snprintf(err, len, "%s %s: %s", what, path, e);
	ERR_clear_error();
}

static int load_crl(SSL_CTX *ctx, const char *path, char *err, size_t len)
{
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lk = X509_STORE_add_lookup(st, X509_LOOKUP_file());

	if (lk == NULL || X509_load_crl_file(lk, path, X509_FILETYPE_PEM) <= 0) {
		ssl_error("pki.crl", path, err, len);
		return -EINVAL;
	}
	/* The leaf only, as OpenVPN's crl-verify does. */
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	return 0;
}

static int load_identity(SSL_CTX *ctx, const struct cfg_pki *pki, char *err, size_t len)
{
	STACK_OF(X509_NAME) *cas;

	if (SSL_CTX_use_certificate_chain_file(ctx, pki->cert) != 1) {
		ssl_error("pki.cert", pki->cert, err, len);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, pki->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error("pki.key", pki->key, err, len);
		return -EINVAL;
	}
	if (SSL_CTX_load_verify_locations(ctx, pki->ca, NULL) != 1) {
		ssl_error("pki.ca", pki->ca, err, len);
		return -EINVAL;
	}
	cas = SSL_load_client_CA_file(pki->ca);
	if (cas != NULL)
		SSL_CTX_set_client_CA_list(ctx, cas);
	return 0;
}

/*
 * control.legacy_tls, for OpenVPN 2.3 clients built on OpenSSL 0.9.8/1.0
 * (their log: "TLSv1, cipher TLSv1/SSLv3 DHE-RSA-AES256-SHA"): TLS 1.0 and
 * 1.1 allowed, the SHA-1 CBC suites with DHE-RSA and RSA key exchange,
 * DH parameters sized to the server key (SSL_CTX_set_dh_auto). OpenSSL 3
 * allows TLS below 1.2 (SHA-1 and MD5 in its PRF and signatures) only at
 * security level 0, so that is the level with it on. Those suites need an
 * RSA server key: anything else is refused here, at start.
 */
static int legacy_tls(SSL_CTX *ctx, const struct cfg_pki *pki, char *err, size_t len)
{
	EVP_PKEY *key = SSL_CTX_get0_privatekey(ctx);

	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		snprintf(err, len, "control.legacy_tls: pki.key %s must be an RSA key "
			 "(the DHE-RSA and RSA suites of pre-2.4 clients)", pki->key);
		return -EINVAL;
	}
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "DEFAULT:DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:"
				    "AES256-SHA:AES128-SHA:@SECLEVEL=0") != 1 ||
	    SSL_CTX_set_dh_auto(ctx, 1) != 1) {
		ssl_error("control.legacy_tls", "", err, len);
		return -EINVAL;
	}
	return 0;
}

static int verify_cb(int ok, X509_STORE_CTX *x);

static SSL_CTX *ctx_build(const struct cfg_pki *pki, bool legacy, char *err, size_t len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		ssl_error("SSL_CTX_new", "", err, len);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	if (load_identity(ctx, pki, err, len) != 0 ||
	    (legacy && legacy_tls(ctx, pki, err, len) != 0) ||
	    (pki->crl[0] != '\0' && load_crl(ctx, pki->crl, err, len) != 0)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Changed since the last look? Also records the new stamp. */
static bool crl_changed(struct cp_tls *t)
{
	struct stat st;

	if (t->pki->crl[0] == '\0' || stat(t->pki->crl, &st) != 0)
		return false;
	if (st.st_mtim.tv_sec == t->crl_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == t->crl_mtime.tv_nsec && st.st_size == t->crl_size)
		return false;
	t->crl_mtime = st.st_mtim;
	t->crl_size = st.st_size;
	return true;
}

struct cp_tls *cp_tls_new(const struct cfg_pki *pki, bool legacy, char *err, size_t errlen)
{
	struct cp_tls *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->pki = pki;
	t->legacy = legacy;
	pthread_mutex_init(&t->lock, NULL);
	crl_changed(t);
	t->ctx = ctx_build(pki, legacy, err, errlen);
	if (t->ctx == NULL) {
		cp_tls_free(t);
		return NULL;
	}
	return t;
}

void cp_tls_free(struct cp_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

SSL *cp_tls_ssl_new(struct cp_tls *t)
{
	SSL *ssl;

	pthread_mutex_lock(&t->lock);
	ssl = SSL_new(t->ctx);
	pthread_mutex_unlock(&t->lock);
	return ssl;
}

int cp_tls_reload(struct cp_tls *t, char *err, size_t errlen)
{
	SSL_CTX *fresh, *old;

	if (!crl_changed(t))
		return 0;
	fresh = ctx_build(t->pki, t->legacy, err, errlen);
	if (fresh == NULL)
		return -EINVAL;	/* keep serving with the previous CRL */
	pthread_mutex_lock(&t->lock);
	old = t->ctx;
	t->ctx = fresh;
	pthread_mutex_unlock(&t->lock);
	SSL_CTX_free(old);
	return 1;
}

/*
 * The leaf's common name is a session's identity (without passwords) and
 * is shown in log lines and listings, so it must be one name that reads
 * as what it is: exactly one CN of 1..CP_IDENTITY_MAX bytes of printable
 * ASCII (spaces allowed; logs and listings escape them). Anything else is
 * refused rather than mended: a NUL would cut "alice\0x" to "alice", a
 * second CN or a replaced byte could read as another user's name. NULL
 * with the name in cn (len >= CP_NAME_MAX), or why it was refused.
 */
static const char *cert_cn(X509 *cert, char *cn, size_t len)
{
	X509_NAME *name = cert != NULL ? X509_get_subject_name(cert) : NULL;
	int i = name != NULL ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	const char *why = NULL;
	unsigned char *u = NULL;
	int n;

	cn[0] = '\0';
	if (i < 0)
		return "no common name";
	if (X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return "more than one common name";
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return "common name not readable as text";
	if (n == 0)
		why = "empty common name";
	else if (memchr(u, 0, (size_t)n) != NULL)
		why = "common name with a NUL byte";
	else if (n > CP_IDENTITY_MAX || (size_t)n >= len)
		why = "common name longer than " CP_STR(CP_IDENTITY_MAX) " bytes";
	for (int k = 0; why == NULL && k < n; k++)
		if (u[k] < 0x20 || u[k] > 0x7e)
			why = "common name not printable ASCII";
	if (why == NULL) {
		memcpy(cn, u, (size_t)n);
		cn[n] = '\0';
	}
	OPENSSL_free(u);
	return why;
}

int cp_tls_peer_cn(SSL *ssl, char *cn, size_t len)
{
	return cert_cn(SSL_get0_peer_certificate(ssl), cn, len) == NULL ? 0 : -EINVAL;
}

/* Serial and issuer of CERT into id (len 0 if they do not fit). */
static void cert_id(X509 *cert, struct cp_cert_id *id)
{
	const ASN1_INTEGER *sn = cert != NULL ? X509_get0_serialNumber(cert) : NULL;
	unsigned int dl = 0;
	unsigned char *p = id->serial;
	int n = sn != NULL ? i2d_ASN1_INTEGER(sn, NULL) : -1;

	memset(id, 0, sizeof(*id));
	if (n <= 0 || n > CP_SERIAL_DER_MAX ||
	    X509_NAME_digest(X509_get_issuer_name(cert), EVP_sha256(), id->issuer, &dl) != 1 ||
	    dl != sizeof(id->issuer))
		return;
	i2d_ASN1_INTEGER(sn, &p);
	id->len = (uint8_t)n;
}

/* Does one CRL of the store revoke ID? (issuer compared by digest) */
static bool crl_revokes(X509_CRL *crl, const struct cp_cert_id *id, const ASN1_INTEGER *sn)
{
	uint8_t dg[32];
	unsigned int dl = 0;
	X509_REVOKED *rev = NULL;

	if (X509_NAME_digest(X509_CRL_get_issuer(crl), EVP_sha256(), dg, &dl) != 1 ||
	    dl != sizeof(dg) || memcmp(dg, id->issuer, sizeof(dg)) != 0)
		return false;
	return X509_CRL_get0_by_serial(crl, &rev, (ASN1_INTEGER *)sn) == 1;
}

bool cp_tls_revoked(struct cp_tls *t, const struct cp_cert_id *id)
{
	const unsigned char *p = id->serial;
	ASN1_INTEGER *sn;
	STACK_OF(X509_OBJECT) *objs;
	X509_STORE *st;
	bool revoked = false;

	if (id->len == 0 || t->pki->crl[0] == '\0')
		return false;
	sn = d2i_ASN1_INTEGER(NULL, &p, id->len);
	if (sn == NULL)
		return false;
	pthread_mutex_lock(&t->lock);
	st = SSL_CTX_get_cert_store(t->ctx);
	X509_STORE_lock(st);	/* handshakes on the workers read it too */
	objs = X509_STORE_get0_objects(st);
	for (int i = 0; !revoked && i < sk_X509_OBJECT_num(objs); i++) {
		X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);

		if (X509_OBJECT_get_type(o) == X509_LU_CRL)
			revoked = crl_revokes(X509_OBJECT_get0_X509_CRL(o), id, sn);
	}
	X509_STORE_unlock(st);
	pthread_mutex_unlock(&t->lock);
	ASN1_INTEGER_free(sn);
	return revoked;
}

/*
 * Checks the leaf's common name (cert_cn) and keeps it in the SSL's app
 * data (struct cp_tls_peer, the key state's): a refused certificate never
 * becomes the peer certificate, and its log line should still name it, or
 * say why its name was refused. A name we cannot accept fails the
 * handshake as an application verification failure.
 */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct cp_tls_peer *peer = ssl != NULL ? SSL_get_app_data(ssl) : NULL;

	if (peer == NULL || X509_STORE_CTX_get_error_depth(x) != 0)
		return ok;
	peer->refused = cert_cn(X509_STORE_CTX_get_current_cert(x), peer->cn, sizeof(peer->cn));
	cert_id(X509_STORE_CTX_get_current_cert(x), &peer->id);
	if (peer->refused == NULL || !ok)
		return ok;
	X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}
