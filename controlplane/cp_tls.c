/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS server context of the control channel, as OpenVPN sets its own
 * up (src/openvpn/ssl_openssl.c, tls_ctx_set_options): TLS 1.2 minimum,
 * ECDHE, no tickets, no TLS renegotiation, no session cache (OpenVPN
 * renegotiates with a new TLS session, ssl.c), a client certificate
 * required and verified against pki.ca and, when set, the CRL in pki.crl
 * (the leaf only, as crl-verify does). The CRL is re-read when its file changes: a new SSL_CTX is
 * built and swapped in under t->lock; key states already running keep the
 * context they were made from (SSL_new holds a reference).
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

static int verify_cb(int ok, X509_STORE_CTX *x);

static SSL_CTX *ctx_build(const struct cfg_pki *pki, char *err, size_t len)
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

struct cp_tls *cp_tls_new(const struct cfg_pki *pki, char *err, size_t errlen)
{
	struct cp_tls *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->pki = pki;
	pthread_mutex_init(&t->lock, NULL);
	crl_changed(t);
	t->ctx = ctx_build(pki, err, errlen);
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
	fresh = ctx_build(t->pki, err, errlen);
	if (fresh == NULL)
		return -EINVAL;	/* keep serving with the previous CRL */
	pthread_mutex_lock(&t->lock);
	old = t->ctx;
	t->ctx = fresh;
	pthread_mutex_unlock(&t->lock);
	SSL_CTX_free(old);
	return 1;
}

static int cert_cn(X509 *cert, char *cn, size_t len)
{
	X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;

	cn[0] = '\0';
	if (name == NULL || X509_NAME_get_text_by_NID(name, NID_commonName, cn, (int)len) < 0)
		return -ENOENT;
	/* A CN ends up in logs and in `sluicectl` output: printable only. */
	for (char *c = cn; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f || *c == ',')
			*c = '_';
	return 0;
}

int cp_tls_peer_cn(SSL *ssl, char *cn, size_t len)
{
	return cert_cn(SSL_get0_peer_certificate(ssl), cn, len);
}

/*
 * Keeps the leaf's common name in the buffer of the SSL's app data (the
 * key state's cert_cn, CP_NAME_MAX bytes): a refused certificate never
 * becomes the peer certificate, and its log line should still name it.
 */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	char *cn = ssl != NULL ? SSL_get_app_data(ssl) : NULL;

	if (cn != NULL && X509_STORE_CTX_get_error_depth(x) == 0)
		cert_cn(X509_STORE_CTX_get_current_cert(x), cn, CP_NAME_MAX);
	return ok;
}
