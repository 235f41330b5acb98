/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in CA (pki/sl_pki.c): a new CA folder and its file modes, the
 * refusal to overwrite it, client certificates that verify against the CA
 * with the clientAuth EKU and the asked lifetime, CRLs whose entries and
 * signature OpenSSL accepts, tls-crypt-v2 client keys whose metadata names
 * the user, and bad input refused with the field named.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ovpn_key_file.h"
#include "ovpn_wrap_v2.h"
#include "sl_pki.h"
#include "sl_test.h"

#define USER	"alice@example.com"

static char dir[64];
static char ca_dir[96];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", ca_dir, name);
}

static X509 *pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	return x;
}

static X509 *file_cert(const char *name)
{
	char p[160];
	FILE *f;
	X509 *x;

	path_in(p, sizeof(p), name);
	if (!(f = fopen(p, "r")))
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static X509_CRL *file_crl(const char *path)
{
	FILE *f = fopen(path, "r");
	X509_CRL *c;

	if (!f)
		return NULL;
	c = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	return c;
}

static mode_t mode_of(const char *name)
{
	char p[160];
	struct stat sb;

	path_in(p, sizeof(p), name);
	return stat(p, &sb) == 0 ? sb.st_mode & 07777 : (mode_t)-1;
}

/* X509_verify_cert of LEAF against the CA (and CRL when given) for PURPOSE;
 * returns the verify result code (X509_V_OK on success). */
static int verify(X509 *ca, X509 *leaf, X509_CRL *crl, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc;

	X509_STORE_add_cert(st, ca);
	if (crl) {
		X509_STORE_add_crl(st, crl);
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	X509_STORE_CTX_init(ctx, st, leaf, NULL);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}

static struct sl_pki *load(void)
{
	char crt[160], key[160];
	struct sl_pki_error e = { "" };
	struct sl_pki *p;

	path_in(crt, sizeof(crt), SL_PKI_CA_CRT);
	path_in(key, sizeof(key), SL_PKI_CA_KEY);
	p = sl_pki_load(crt, key, &e);
	if (!p)
		fprintf(stderr, "load: %s\n", e.msg);
	return p;
}

static int test_init_files(void)
{
	static const char *const keys[] = { SL_PKI_CA_CRT, SL_PKI_CA_KEY,
		SL_PKI_SERVER_CRT, SL_PKI_SERVER_KEY, SL_PKI_TC2_SERVER_KEY,
		SL_PKI_TC_KEY, SL_PKI_TA_KEY, SL_PKI_CRL };
	struct sl_pki_init_opts o = { .server_cn = "vpn.example.com",
				      .tls_crypt = true, .tls_auth = true };
	struct sl_pki_error e = { "" };
	struct stat sb;
	char text[OVPN_KEY_FILE_MAX], p[160];
	uint8_t key[OVPN_KEY2_LEN];
	struct ovpn_key_file_error ke;
	size_t len;

	snprintf(ca_dir, sizeof(ca_dir), "%s/ca", dir);
	CHECK_EQ(sl_pki_init(ca_dir, &o, &e), 0);
	CHECK(stat(ca_dir, &sb) == 0);
	CHECK_EQ(sb.st_mode & 07777, 0700);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK_EQ(mode_of(keys[i]), 0600);
	/* The config loader's parsers read the keys (so does openvpn: the
	 * format is the one its --genkey writes). */
	path_in(p, sizeof(p), SL_PKI_TC2_SERVER_KEY);
	CHECK_EQ(ovpn_key_file_load(p, text, sizeof(text), &len, &ke), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_server(text, len, key, &ke), 0);
	path_in(p, sizeof(p), SL_PKI_TC_KEY);
	CHECK_EQ(ovpn_key_file_load(p, text, sizeof(text), &len, &ke), 0);
	CHECK_EQ(ovpn_key_file_parse_static(text, len, key, &ke), 0);
	path_in(p, sizeof(p), SL_PKI_TA_KEY);
	CHECK_EQ(ovpn_key_file_load(p, text, sizeof(text), &len, &ke), 0);
	CHECK_EQ(ovpn_key_file_parse_static(text, len, key, &ke), 0);
	return 0;
}

static int test_init_refuses(void)
{
	struct sl_pki_error e = { "" };
	char before[8192], after[8192], p[160], other[96];
	FILE *f;
	size_t n1, n2;

	path_in(p, sizeof(p), SL_PKI_CA_CRT);
	CHECK((f = fopen(p, "r")));
	n1 = fread(before, 1, sizeof(before), f);
	fclose(f);
	CHECK_EQ(sl_pki_init(ca_dir, NULL, &e), -1);
	CHECK(strstr(e.msg, "already holds a CA"));
	CHECK((f = fopen(p, "r")));
	n2 = fread(after, 1, sizeof(after), f);
	fclose(f);
	CHECK_EQ(n1, n2);
	CHECK_MEM(before, after, n1);
	/* A bad server name leaves no folder behind. */
	snprintf(other, sizeof(other), "%s/bad", dir);
	CHECK_EQ(sl_pki_init(other, &(struct sl_pki_init_opts){ .server_cn = "a\nb" },
			     &e), -1);
	CHECK(strstr(e.msg, "common name"));
	CHECK(access(other, F_OK) != 0);
	return 0;
}

static int test_server_cert(void)
{
	X509 *ca = file_cert(SL_PKI_CA_CRT), *srv = file_cert(SL_PKI_SERVER_CRT);
	int rc = -1;

	CHECK(ca && srv);
	if (verify(ca, srv, NULL, X509_PURPOSE_SSL_SERVER) != X509_V_OK ||
	    !(X509_get_extended_key_usage(srv) & XKU_SSL_SERVER) ||
	    (X509_get_extended_key_usage(srv) & XKU_SSL_CLIENT) ||
	    X509_check_host(srv, "vpn.example.com", 0, 0, NULL) != 1 ||
	    X509_check_ca(ca) != 1 || X509_check_ca(srv) != 0 ||
	    EVP_PKEY_get_base_id(X509_get0_pubkey(srv)) != EVP_PKEY_EC)
		fprintf(stderr, "server certificate checks failed\n");
	else
		rc = 0;
	X509_free(ca);
	X509_free(srv);
	return rc;
}

/* One issued certificate: verifies for clientAuth only, CN, lifetime,
 * serial, key matching, the encrypted copy opening with its passphrase. */
static int check_issued(struct sl_pki_cert *c, enum sl_pki_key_type kt, unsigned days)
{
	X509 *ca = file_cert(SL_PKI_CA_CRT), *x = pem_cert(c->cert_pem);
	char cn[80], serial[SL_PKI_SERIAL_HEX_MAX];
	BIO *b;
	EVP_PKEY *k;
	time_t na, now = time(NULL);

	CHECK(ca && x);
	CHECK_EQ(verify(ca, x, NULL, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	CHECK(verify(ca, x, NULL, X509_PURPOSE_SSL_SERVER) != X509_V_OK);
	CHECK(X509_get_extended_key_usage(x) == XKU_SSL_CLIENT);
	CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
					cn, sizeof(cn)) > 0);
	CHECK_STR(cn, USER);
	CHECK(c->not_after > now + (time_t)days * 86400 - 3600);
	CHECK(c->not_after <= now + (time_t)days * 86400 + 60);
	CHECK(strlen(c->serial) >= 16);		/* >= 64 bits */
	CHECK_EQ(sl_pki_cert_serial(c->cert_pem, serial, &na, NULL), 0);
	CHECK_STR(serial, c->serial);
	CHECK_EQ(na, c->not_after);
	CHECK((b = BIO_new_mem_buf(c->key_pem, -1)));
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	CHECK(k && X509_check_private_key(x, k));
	CHECK_EQ(EVP_PKEY_get_base_id(k), kt == SL_PKI_KEY_RSA ? EVP_PKEY_RSA : EVP_PKEY_EC);
	if (kt == SL_PKI_KEY_RSA)
		CHECK_EQ(EVP_PKEY_get_bits(k), 2048);
	EVP_PKEY_free(k);
	if (c->key_pem_enc) {
		CHECK(strstr(c->key_pem_enc, "ENCRYPTED PRIVATE KEY"));
		b = BIO_new_mem_buf(c->key_pem_enc, -1);
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"wrong pass");
		BIO_free(b);
		CHECK(k == NULL);
		b = BIO_new_mem_buf(c->key_pem_enc, -1);
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"s3cret pass");
		BIO_free(b);
		CHECK(k && X509_check_private_key(x, k));
		EVP_PKEY_free(k);
	}
	X509_free(x);
	X509_free(ca);
	return 0;
}

static int test_issue_ec(void)
{
	struct sl_pki *p = load();
	struct sl_pki_cert c, c2;
	struct sl_pki_error e = { "" };
	int rc;

	CHECK(p);
	CHECK(strstr(sl_pki_ca_pem(p), "BEGIN CERTIFICATE"));
	CHECK_EQ(sl_pki_issue(p, USER, SL_PKI_KEY_EC, 30, "s3cret pass", &c, &e), 0);
	CHECK_EQ(sl_pki_issue(p, USER, SL_PKI_KEY_EC, 30, NULL, &c2, &e), 0);
	rc = check_issued(&c, SL_PKI_KEY_EC, 30);
	CHECK(strcmp(c.serial, c2.serial) != 0);	/* random serials */
	CHECK(c2.key_pem_enc == NULL);
	sl_pki_cert_clear(&c);
	sl_pki_cert_clear(&c2);
	sl_pki_free(p);
	return rc;
}

static int test_issue_rsa(void)
{
	struct sl_pki *p = load();
	struct sl_pki_cert c;
	struct sl_pki_error e = { "" };
	int rc;

	CHECK(p);
	CHECK_EQ(sl_pki_issue(p, USER, SL_PKI_KEY_RSA, 400, NULL, &c, &e), 0);
	rc = check_issued(&c, SL_PKI_KEY_RSA, 400);
	sl_pki_cert_clear(&c);
	sl_pki_free(p);
	return rc;
}

static int test_issue_bad_input(void)
{
	static const char *const bad[] = { "", "a\nb", "tab\there", "a/b",
		"x123456789x123456789x123456789x123456789x123456789x123456789xxxxx" };
	struct sl_pki *p = load();
	struct sl_pki_cert c;
	struct sl_pki_error e = { "" };

	CHECK(p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(sl_pki_issue(p, bad[i], SL_PKI_KEY_EC, 30, NULL, &c, &e), -1);
		CHECK(strstr(e.msg, "common name"));
		CHECK(c.cert_pem == NULL && c.key_pem == NULL);
	}
	CHECK_EQ(sl_pki_issue(p, USER, SL_PKI_KEY_EC, 0, NULL, &c, &e), -1);
	CHECK(strstr(e.msg, "certificate days"));
	CHECK_EQ(sl_pki_issue(p, USER, SL_PKI_KEY_EC, 30, "abc", &c, &e), -1);
	CHECK(strstr(e.msg, "passphrase"));
	sl_pki_free(p);
	return 0;
}

static int test_load_mismatch(void)
{
	char crt[160], key[160];
	struct sl_pki_error e = { "" };

	path_in(crt, sizeof(crt), SL_PKI_CA_CRT);
	path_in(key, sizeof(key), SL_PKI_SERVER_KEY);
	CHECK(sl_pki_load(crt, key, &e) == NULL);
	CHECK(strstr(e.msg, "does not match"));
	path_in(crt, sizeof(crt), SL_PKI_SERVER_CRT);
	CHECK(sl_pki_load(crt, key, &e) == NULL);
	CHECK(strstr(e.msg, "not a CA"));
	CHECK(sl_pki_load("/nonexistent/ca.crt", key, &e) == NULL);
	CHECK(strstr(e.msg, "/nonexistent/ca.crt"));
	return 0;
}

static int test_crl(void)
{
	struct sl_pki *p = load();
	struct sl_pki_cert a, b;
	struct sl_pki_error e = { "" };
	struct sl_pki_revoked r[2] = { { "", 0 }, { "0123456789ABCDEF01", 1700000000 } };
	X509 *ca = file_cert(SL_PKI_CA_CRT), *xa, *xb;
	X509_CRL *crl, *empty;
	X509_REVOKED *rev;
	char path[160];
	struct stat sb;

	CHECK(p && ca);
	CHECK_EQ(sl_pki_issue(p, USER, SL_PKI_KEY_EC, 30, NULL, &a, &e), 0);
	CHECK_EQ(sl_pki_issue(p, "bob@example.com", SL_PKI_KEY_EC, 30, NULL, &b, &e), 0);
	xa = pem_cert(a.cert_pem);
	xb = pem_cert(b.cert_pem);
	CHECK(xa && xb);
	/* The empty CRL from init verifies and revokes nothing. */
	path_in(path, sizeof(path), SL_PKI_CRL);
	CHECK((empty = file_crl(path)));
	CHECK_EQ(X509_CRL_verify(empty, X509_get0_pubkey(ca)), 1);
	CHECK_EQ(verify(ca, xa, empty, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	X509_CRL_free(empty);

	snprintf(r[0].serial, sizeof(r[0].serial), "%s", a.serial);
	r[0].when = time(NULL) - 10;
	CHECK_EQ(sl_pki_crl(p, r, 2, 7, path, &e), 0);
	CHECK(stat(path, &sb) == 0);
	CHECK_EQ(sb.st_mode & 07777, 0644);
	CHECK((crl = file_crl(path)));
	CHECK_EQ(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	CHECK_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	CHECK_EQ(X509_CRL_get0_by_cert(crl, &rev, xa), 1);
	CHECK_EQ(X509_CRL_get0_by_cert(crl, &rev, xb), 0);
	CHECK(X509_cmp_time(X509_CRL_get0_nextUpdate(crl), NULL) > 0);
	CHECK(X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1) >= 0);
	CHECK_EQ(verify(ca, xa, crl, X509_PURPOSE_SSL_CLIENT), X509_V_ERR_CERT_REVOKED);
	CHECK_EQ(verify(ca, xb, crl, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	X509_CRL_free(crl);
	{
		/* Its nextUpdate read back: 7 days from now (the control
		 * plane renews a CRL whose nextUpdate comes near). */
		time_t next = 0, now = time(NULL);

		CHECK_EQ(sl_pki_crl_next_update(path, &next, &e), 0);
		CHECK(next >= now + 7 * 86400 - 60 && next <= now + 7 * 86400 + 60);
		CHECK_EQ(sl_pki_crl_next_update("/nonexistent/crl.pem", &next, &e), -1);
		CHECK(strstr(e.msg, "/nonexistent/crl.pem"));
	}

	/* A malformed serial is refused by index; the file stays as it was. */
	snprintf(r[1].serial, sizeof(r[1].serial), "12XY");
	CHECK_EQ(sl_pki_crl(p, r, 2, 7, path, &e), -1);
	CHECK(strstr(e.msg, "revoked[1].serial"));
	CHECK((crl = file_crl(path)));
	CHECK_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	X509_CRL_free(crl);

	X509_free(xa);
	X509_free(xb);
	X509_free(ca);
	sl_pki_cert_clear(&a);
	sl_pki_cert_clear(&b);
	sl_pki_free(p);
	return 0;
}

static int test_tc2_client_key(void)
{
	char path[160], text[OVPN_KEY_FILE_MAX], key_text[SL_PKI_TC2_CLIENT_TEXT_MAX];
	char user[SL_PKI_CN_MAX + 1];
	uint8_t skey[OVPN_V2_SERVER_KEY_LEN], kc[OVPN_V2_CLIENT_KEY_LEN],
		kc2[OVPN_V2_CLIENT_KEY_LEN], wkc[OVPN_V2_WKC_MAX], meta[OVPN_V2_META_MAX];
	struct ovpn_key_file_error ke;
	struct sl_pki_error e = { "" };
	struct ovpn_wrap_v2_server *s;
	size_t len, wkc_len, meta_len;
	int n, err = 0;

	path_in(path, sizeof(path), SL_PKI_TC2_SERVER_KEY);
	n = sl_pki_tc2_client_key_file(path, USER, key_text, sizeof(key_text), &e);
	CHECK(n > 0);
	CHECK_EQ(strlen(key_text), n);
	CHECK(strncmp(key_text, OVPN_KEY_FILE_V2C_HDR, strlen(OVPN_KEY_FILE_V2C_HDR)) == 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(key_text, (size_t)n, kc, wkc, sizeof(wkc),
					       &wkc_len, &ke), 0);
	CHECK_EQ(ovpn_key_file_load(path, text, sizeof(text), &len, &ke), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_server(text, len, skey, &ke), 0);
	CHECK((s = ovpn_wrap_v2_server_new(skey, &err)));
	CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(s, wkc, wkc_len, kc2, meta, sizeof(meta),
						&meta_len), 0);
	ovpn_wrap_v2_server_free(s);
	CHECK_MEM(kc, kc2, sizeof(kc));
	CHECK_EQ(meta[0], OVPN_V2_META_USER);
	CHECK_EQ(sl_pki_tc2_meta_user(meta, meta_len, user, sizeof(user)), 0);
	CHECK_STR(user, USER);
	/* Other metadata is not a user. */
	CHECK_EQ(sl_pki_tc2_meta_user((const uint8_t *)"\x01" "12345678", 9, user,
				      sizeof(user)), -1);
	CHECK_EQ(sl_pki_tc2_meta_user((const uint8_t *)"\x00", 1, user, sizeof(user)), -1);
	CHECK_EQ(sl_pki_tc2_meta_user((const uint8_t *)"\x00" "a\nb", 4, user,
				      sizeof(user)), -1);
	/* A bad user name or a missing server key: errors naming them. */
	CHECK_EQ(sl_pki_tc2_client_key(skey, "a\rb", key_text, sizeof(key_text), &e), -1);
	CHECK(strstr(e.msg, "common name"));
	CHECK_EQ(sl_pki_tc2_client_key_file("/nonexistent.key", USER, key_text,
					    sizeof(key_text), &e), -1);
	CHECK(strstr(e.msg, "/nonexistent.key"));
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "init makes the CA folder, 0700 and 0600 files", test_init_files },
	{ "init refuses to overwrite a CA", test_init_refuses },
	{ "server certificate: serverAuth, verifies", test_server_cert },
	{ "issue EC: verifies, clientAuth, lifetime, passphrase copy", test_issue_ec },
	{ "issue RSA-2048", test_issue_rsa },
	{ "issue refuses bad names, days, passphrases", test_issue_bad_input },
	{ "load refuses a mismatched key and a non-CA", test_load_mismatch },
	{ "CRL: revoked serials, signature, atomic, bad serial", test_crl },
	{ "tls-crypt-v2 client key names the user", test_tc2_client_key },
	{ NULL, NULL }
};

int main(void)
{
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/test_pki.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	umask(022);
	rc = sl_test_run("pki", cases);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
