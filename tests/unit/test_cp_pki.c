/* SPDX-License-Identifier: BSD-3-Clause */
/* The control-plane tests' throw-away PKI (test_cp_pki.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ovpn_key_file.h"
#include "sl_test.h"
#include "test_cp_pki.h"

static X509 *make_cert_subject(EVP_PKEY *key, EVP_PKEY *ca_key, X509 *ca,
			       const X509_NAME *subject, const char *eku)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;

	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(random() & 0xffffff));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_set_subject_name(x, subject);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : X509_get_subject_name(x));
	X509V3_set_ctx(&v3, ca ? ca : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, ca ? "CA:FALSE" : "critical,CA:TRUE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (eku != NULL) {
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, eku);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, ca_key, EVP_sha256());
	return x;
}

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *ca_key, X509 *ca, const char *cn,
		       const char *eku)
{
	X509_NAME *n = X509_NAME_new();
	X509 *x;

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	x = make_cert_subject(key, ca_key, ca, n, eku);
	X509_NAME_free(n);
	return x;
}

X509 *cp_test_pki_client(struct cp_test_pki *t, const X509_NAME *subject)
{
	return make_cert_subject(t->cli_key, t->ca_key, t->ca, subject, "clientAuth");
}

static void write_pem(const struct cp_test_pki *t, const char *name, X509 *x, EVP_PKEY *k,
		      char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", t->dir, name);
	f = fopen(path, "w");
	if (x != NULL)
		PEM_write_X509(f, x);
	else
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

int cp_test_pki_make(struct cp_test_pki *t, struct cfg_pki *pki)
{
	EVP_PKEY *srv_key = EVP_EC_gen("P-256");
	X509 *srv;
	char text[OVPN_KEY_FILE_STATIC_TEXT_MAX];
	struct ovpn_key_file_error e;
	FILE *f;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/sl_cp_test.XXXXXX");
	CHECK(mkdtemp(t->dir) != NULL);
	t->ca_key = EVP_EC_gen("P-256");
	t->cli_key = EVP_EC_gen("P-256");
	t->ca = make_cert(t->ca_key, t->ca_key, NULL, "unit CA", NULL);
	srv = make_cert(srv_key, t->ca_key, t->ca, "server", "serverAuth");
	t->cli_cert = make_cert(t->cli_key, t->ca_key, t->ca, "client1", "clientAuth");
	write_pem(t, "ca.crt", t->ca, NULL, pki->ca, sizeof(pki->ca));
	write_pem(t, "server.crt", srv, NULL, pki->cert, sizeof(pki->cert));
	write_pem(t, "server.key", NULL, srv_key, pki->key, sizeof(pki->key));
	X509_free(srv);
	EVP_PKEY_free(srv_key);
	CHECK(ovpn_key_file_gen_static(text, sizeof(text)) > 0);
	CHECK_EQ(ovpn_key_file_parse_static(text, strlen(text), t->tc_key, &e), 0);
	snprintf(pki->tls_crypt, sizeof(pki->tls_crypt), "%s/tc.key", t->dir);
	f = fopen(pki->tls_crypt, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
	return 0;
}

int cp_test_pki_crl(struct cp_test_pki *t, struct cfg_pki *pki, X509 *const *revoked,
		    unsigned n)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *tm = ASN1_TIME_new();
	FILE *f;

	CHECK(crl != NULL && tm != NULL);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(t->ca));
	X509_gmtime_adj(tm, -60);
	X509_CRL_set1_lastUpdate(crl, tm);
	X509_gmtime_adj(tm, 3600);
	X509_CRL_set1_nextUpdate(crl, tm);
	for (unsigned i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();

		X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked[i]));
		X509_gmtime_adj(tm, -30);
		X509_REVOKED_set_revocationDate(r, tm);
		X509_CRL_add0_revoked(crl, r);
	}
	X509_CRL_sort(crl);
	X509_CRL_sign(crl, t->ca_key, EVP_sha256());
	ASN1_TIME_free(tm);
	snprintf(pki->crl, sizeof(pki->crl), "%s/crl.pem", t->dir);
	f = fopen(pki->crl, "w");
	CHECK(f != NULL);
	PEM_write_X509_CRL(f, crl);
	fclose(f);
	X509_CRL_free(crl);
	return 0;
}

void cp_test_pki_free(struct cp_test_pki *t)
{
	static const char *const files[] = { "ca.crt", "server.crt", "server.key", "tc.key",
					     "crl.pem" };
	char path[256];

	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, files[i]);
		unlink(path);
	}
	rmdir(t->dir);
	X509_free(t->ca);
	X509_free(t->cli_cert);
	EVP_PKEY_free(t->ca_key);
	EVP_PKEY_free(t->cli_key);
}
