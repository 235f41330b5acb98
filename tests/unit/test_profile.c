/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client profiles (pki/sl_profile.c): every directive a stock client needs,
 * inline blocks holding exactly the PEM given, each wrapping mode, the
 * split files and their modes, and unsafe values refused by field.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sl_pki.h"
#include "sl_profile.h"
#include "sl_test.h"

#define USER	"alice@example.com"

static char dir[64];
static struct sl_pki_cert cert;
static char *ca_pem, tc2[SL_PKI_TC2_CLIENT_TEXT_MAX];

static const struct sl_profile_remote remotes[] = {
	{ "vpn.example.com", 1194, false },
	{ "2001:db8::1", 443, true },
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

/* A CA, a certificate for USER and its tls-crypt-v2 client key. */
static int setup(void)
{
	char ca[96], crt[128], key[128], v2[128];
	struct sl_pki_error e = { "" };
	struct sl_pki *p;
	int rc = -1;

	snprintf(ca, sizeof(ca), "%s/ca", dir);
	snprintf(crt, sizeof(crt), "%s/%s", ca, SL_PKI_CA_CRT);
	snprintf(key, sizeof(key), "%s/%s", ca, SL_PKI_CA_KEY);
	snprintf(v2, sizeof(v2), "%s/%s", ca, SL_PKI_TC2_SERVER_KEY);
	if (sl_pki_init(ca, NULL, &e) < 0 || !(p = sl_pki_load(crt, key, &e))) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	if (sl_pki_issue(p, USER, SL_PKI_KEY_EC, 30, NULL, &cert, &e) == 0 &&
	    sl_pki_tc2_client_key_file(v2, USER, tc2, sizeof(tc2), &e) > 0 &&
	    (ca_pem = strdup(sl_pki_ca_pem(p))))
		rc = 0;
	else
		fprintf(stderr, "setup: %s\n", e.msg);
	sl_pki_free(p);
	return rc;
}

static struct sl_profile base(void)
{
	return (struct sl_profile){
		.user = USER, .remotes = remotes, .n_remotes = 2,
		.data_ciphers = "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305",
		.cipher = "AES-256-GCM", .auth = "SHA256",
		.server_cn = "vpn.example.com", .auth_user_pass = true,
		.wrap = SL_PROFILE_WRAP_TC2, .wrap_key = tc2, .key_direction = -1,
		.ca_pem = ca_pem, .cert_pem = cert.cert_pem, .key_pem = cert.key_pem,
	};
}

/* True if TEXT has LINE as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *s = text; (s = strstr(s, line)); s++)
		if ((s == text || s[-1] == '\n') && s[n] == '\n')
			return true;
	return false;
}

/* The body of <tag>...</tag> equals PEM. */
static bool block_is(const char *text, const char *tag, const char *pem)
{
	char open[32], close[32];
	const char *a, *b;

	snprintf(open, sizeof(open), "\n<%s>\n", tag);
	snprintf(close, sizeof(close), "</%s>\n", tag);
	if (!(a = strstr(text, open)) || !(b = strstr(a, close)))
		return false;
	a += strlen(open);
	return (size_t)(b - a) == strlen(pem) && memcmp(a, pem, strlen(pem)) == 0;
}

static void text_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static int test_inline_tc2(void)
{
	static const char *const lines[] = { "client", "dev tun",
		"remote vpn.example.com 1194 udp", "remote 2001:db8::1 443 tcp-client",
		"resolv-retry infinite", "nobind", "persist-key", "persist-tun",
		"remote-cert-tls server", "verify-x509-name vpn.example.com name",
		"ignore-unknown-option data-ciphers data-ciphers-fallback",
		"data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305",
		"data-ciphers-fallback AES-256-GCM", "cipher AES-256-GCM",
		"auth SHA256", "auth-user-pass", "explicit-exit-notify 1", "verb 3" };
	struct sl_profile p = base();
	struct sl_pki_error e = { "" };
	char *t = sl_profile_render(&p, &e);

	CHECK(t);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (!has_line(t, lines[i]))
			fprintf(stderr, "missing line: %s\n", lines[i]);
		CHECK(has_line(t, lines[i]));
	}
	CHECK(block_is(t, "ca", ca_pem));
	CHECK(block_is(t, "cert", cert.cert_pem));
	CHECK(block_is(t, "key", cert.key_pem));
	CHECK(block_is(t, "tls-crypt-v2", tc2));
	CHECK(!strstr(t, "<tls-auth>") && !strstr(t, "key-direction"));
	text_free(t);
	return 0;
}

static int test_inline_other_wraps(void)
{
	static const char sk[] = "-----BEGIN OpenVPN Static key V1-----\n00\n"
				 "-----END OpenVPN Static key V1-----\n";
	struct sl_profile p = base();
	struct sl_pki_error e = { "" };
	char *t;

	p.wrap = SL_PROFILE_WRAP_TA;
	p.wrap_key = sk;
	p.key_direction = 1;
	p.auth_user_pass = false;
	p.remotes = remotes + 1;	/* TCP only: no explicit-exit-notify */
	p.n_remotes = 1;
	p.data_ciphers = p.cipher = p.auth = p.server_cn = NULL;
	CHECK((t = sl_profile_render(&p, &e)));
	CHECK(has_line(t, "key-direction 1"));
	CHECK(block_is(t, "tls-auth", sk));
	CHECK(!strstr(t, "tls-crypt") && !strstr(t, "auth-user-pass") &&
	      !strstr(t, "explicit-exit-notify") && !strstr(t, "data-ciphers") &&
	      !strstr(t, "verify-x509-name"));
	text_free(t);
	p.wrap = SL_PROFILE_WRAP_TC;
	CHECK((t = sl_profile_render(&p, &e)));
	CHECK(block_is(t, "tls-crypt", sk));
	CHECK(!strstr(t, "key-direction") && !strstr(t, "<tls-auth>"));
	text_free(t);
	/* External CA mode without a certificate in the store: CA only. */
	p.cert_pem = p.key_pem = NULL;
	CHECK((t = sl_profile_render(&p, &e)));
	CHECK(!strstr(t, "<cert>") && !strstr(t, "<key>") && block_is(t, "ca", ca_pem));
	text_free(t);
	return 0;
}

/* One bad field: rendering fails with a message naming it. */
static int refused(struct sl_profile *p, const char *field)
{
	struct sl_pki_error e = { "" };
	char *t = sl_profile_render(p, &e);

	if (t || !strstr(e.msg, field)) {
		fprintf(stderr, "expected a refusal naming %s, got \"%s\"\n", field, e.msg);
		text_free(t);
		return -1;
	}
	CHECK_EQ(sl_profile_split(p, "/nonexistent-never-made", NULL, NULL, &e), -1);
	CHECK(strstr(e.msg, field));
	return 0;
}

static int test_bad_input(void)
{
	struct sl_profile_remote r[1] = { { "vpn.example.com", 1194, false } };
	struct sl_profile p;
	char bad_ca[8192];

	p = base(); p.user = "a b"; CHECK_EQ(refused(&p, "user"), 0);
	p = base(); p.user = "x\ny"; CHECK_EQ(refused(&p, "user"), 0);
	p = base(); p.n_remotes = 0; CHECK_EQ(refused(&p, "profile.remote"), 0);
	p = base(); p.remotes = r; p.n_remotes = 1;
	snprintf(r[0].host, sizeof(r[0].host), "vpn.example.com\nup /bin/sh");
	CHECK_EQ(refused(&p, "profile.remote[0].host"), 0);
	snprintf(r[0].host, sizeof(r[0].host), "\"quoted\"");
	CHECK_EQ(refused(&p, "profile.remote[0].host"), 0);
	snprintf(r[0].host, sizeof(r[0].host), "ok.example.com");
	r[0].port = 0;
	CHECK_EQ(refused(&p, "profile.remote[0].port"), 0);
	p = base(); p.data_ciphers = "AES-256-GCM AES-128-GCM"; CHECK_EQ(refused(&p, "data_ciphers"), 0);
	p = base(); p.cipher = "BF-CBC;x"; CHECK_EQ(refused(&p, "cipher"), 0);
	p = base(); p.auth = "#"; CHECK_EQ(refused(&p, "auth"), 0);
	p = base(); p.server_cn = "a b"; CHECK_EQ(refused(&p, "server_cn"), 0);
	p = base(); p.ca_pem = NULL; CHECK_EQ(refused(&p, "ca"), 0);
	snprintf(bad_ca, sizeof(bad_ca), "%s</ca>\nup /bin/sh\n<ca>\n", ca_pem);
	p = base(); p.ca_pem = bad_ca; CHECK_EQ(refused(&p, "ca"), 0);
	p = base(); p.ca_pem = "not pem"; CHECK_EQ(refused(&p, "ca"), 0);
	p = base(); p.key_pem = NULL; CHECK_EQ(refused(&p, "key"), 0);
	p = base(); p.wrap_key = NULL; CHECK_EQ(refused(&p, "tls-crypt-v2"), 0);
	p = base(); p.wrap = SL_PROFILE_WRAP_TA; p.key_direction = 0;
	CHECK_EQ(refused(&p, "key_direction"), 0);
	return 0;
}

static char *slurp(const char *d, const char *name, mode_t *mode)
{
	char path[256], *buf;
	struct stat sb;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	if (stat(path, &sb) < 0 || !(f = fopen(path, "r")))
		return NULL;
	*mode = sb.st_mode & 07777;
	buf = calloc(1, (size_t)sb.st_size + 1);
	n = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* File NAME in D is mode 0600 and holds exactly WANT. */
static int file_is(const char *d, const char *name, const char *want)
{
	mode_t mode = 0;
	char *got = slurp(d, name, &mode);
	int ok = got && strcmp(got, want) == 0 && mode == 0600;

	if (!ok)
		fprintf(stderr, "%s/%s: mode %o, contents %s\n", d, name, (unsigned)mode,
			got ? "differ" : "missing");
	text_free(got);
	return ok ? 0 : -1;
}

static int test_split(void)
{
	static const char *const lines[] = { "ca ca.crt", "cert " USER ".crt",
		"key " USER ".key", "tls-crypt-v2 tls-crypt-v2.key",
		"auth-user-pass auth.txt", "client", "remote-cert-tls server" };
	static const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n"
				  "-----END ENCRYPTED PRIVATE KEY-----\n";
	struct sl_profile p = base();
	struct sl_pki_error e = { "" };
	char d[96], *conf;
	mode_t mode = 0;
	struct stat sb;

	snprintf(d, sizeof(d), "%s/split", dir);
	CHECK_EQ(sl_profile_split(&p, d, enc, NULL, &e), 0);
	CHECK(stat(d, &sb) == 0 && (sb.st_mode & 07777) == 0700);
	CHECK((conf = slurp(d, "client.ovpn", &mode)));
	CHECK_EQ(mode, 0600);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		CHECK(has_line(conf, lines[i]));
	CHECK(!strchr(conf, '<'));		/* no inline blocks */
	free(conf);
	CHECK_EQ(file_is(d, "ca.crt", ca_pem), 0);
	CHECK_EQ(file_is(d, USER ".crt", cert.cert_pem), 0);
	CHECK_EQ(file_is(d, USER ".key", cert.key_pem), 0);
	CHECK_EQ(file_is(d, USER ".enc.key", enc), 0);
	CHECK_EQ(file_is(d, "tls-crypt-v2.key", tc2), 0);
	CHECK_EQ(file_is(d, "auth.txt", USER "\n"), 0);
	/* A rerun with a password replaces auth.txt whole. */
	CHECK_EQ(sl_profile_split(&p, d, NULL, "pa ss", &e), 0);
	CHECK_EQ(file_is(d, "auth.txt", USER "\npa ss\n"), 0);
	CHECK_EQ(sl_profile_split(&p, d, NULL, "a\nb", &e), -1);
	CHECK(strstr(e.msg, "password"));
	CHECK_EQ(file_is(d, "auth.txt", USER "\npa ss\n"), 0);
	/* tls-auth by file with its direction on the same line. */
	p.wrap = SL_PROFILE_WRAP_TA;
	p.key_direction = 1;
	p.auth_user_pass = false;
	snprintf(d, sizeof(d), "%s/split-ta", dir);
	CHECK_EQ(sl_profile_split(&p, d, NULL, NULL, &e), 0);
	CHECK((conf = slurp(d, "client.ovpn", &mode)));
	CHECK(has_line(conf, "tls-auth tls-auth.key 1"));
	CHECK(!strstr(conf, "auth-user-pass"));
	free(conf);
	CHECK(slurp(d, "auth.txt", &mode) == NULL);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "inline profile with tls-crypt-v2: every directive, blocks", test_inline_tc2 },
	{ "inline tls-auth / tls-crypt / no certificate", test_inline_other_wraps },
	{ "unsafe values refused by field", test_bad_input },
	{ "split files, modes, auth.txt", test_split },
	{ NULL, NULL }
};

int main(void)
{
	int rc = 1;

	snprintf(dir, sizeof(dir), "/tmp/test_profile.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	umask(022);
	if (setup() == 0)
		rc = sl_test_run("profile", cases);
	sl_pki_cert_clear(&cert);
	free(ca_pem);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
