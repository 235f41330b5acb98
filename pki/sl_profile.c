/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client profiles (see sl_profile.h). One renderer writes both forms: with
 * inline blocks, or naming the files a split profile puts beside it.
 * Every value that lands in the profile is checked first, so a host name
 * or a PEM block can never add a directive of its own (OpenVPN
 * src/openvpn/options.c splits lines on whitespace and quotes, and an
 * inline block ends at its "</tag>" line).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "sl_pki_priv.h"
#include "sl_profile.h"

/* A growing text buffer that wipes what it leaves behind (it holds keys). */
struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_grow(struct buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	while (cap < need)
		cap *= 2;
	if (!(p = malloc(cap))) {
		b->oom = true;
		return;
	}
	if (b->p) {
		memcpy(p, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
}

static void __attribute__((format(printf, 2, 3)))
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (b->len + (size_t)n + 1 > b->cap &&
		      (buf_grow(b, b->len + (size_t)n + 1), b->oom))) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void buf_free(struct buf *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

/* ---- what may go into a profile -------------------------------------------- */

/* A single config token: 1..max bytes from ALLOWED (letters and digits are
 * always allowed), so it can be neither two tokens nor a quote or comment. */
static int token_check(const char *field, const char *v, size_t max,
		       const char *allowed, struct sl_pki_error *e)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > max)
		return sl_pki_fail(e, "%s: expected 1..%zu characters, found %zu",
				   field, max, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c && strchr(allowed, c))))
			return sl_pki_fail(e, "%s: character 0x%02x at byte %zu is not "
					   "allowed", field, c, i);
	}
	return 0;
}

#define HOST_CHARS	".-_:"		/* DNS names, IPv4 and IPv6 addresses */
#define CIPHER_CHARS	"-_:"
#define NAME_CHARS	".-_@+"		/* user names: e-mail addresses */

/* A PEM block for an inline <tag>: no line may close the block early. */
static int pem_check(const char *field, const char *pem, struct sl_pki_error *e)
{
	if (!pem || !*pem)
		return sl_pki_fail(e, "%s: missing", field);
	if (strchr(pem, '<'))
		return sl_pki_fail(e, "%s: holds '<', which would end the inline block",
				   field);
	if (!strstr(pem, "-----BEGIN "))
		return sl_pki_fail(e, "%s: not PEM text", field);
	return 0;
}

static const char *const wrap_tag[] = {
	[SL_PROFILE_WRAP_NONE] = NULL,
	[SL_PROFILE_WRAP_TC2] = "tls-crypt-v2",
	[SL_PROFILE_WRAP_TC] = "tls-crypt",
	[SL_PROFILE_WRAP_TA] = "tls-auth",
};

static int profile_check(const struct sl_profile *p, struct sl_pki_error *e)
{
	if (token_check("user", p->user, SL_PKI_CN_MAX, NAME_CHARS, e) < 0)
		return -1;
	if (!p->remotes || p->n_remotes == 0)
		return sl_pki_fail(e, "profile.remote: at least one remote is needed");
	for (unsigned i = 0; i < p->n_remotes; i++) {
		char field[40];

		snprintf(field, sizeof(field), "profile.remote[%u].host", i);
		if (token_check(field, p->remotes[i].host, SL_PROFILE_HOST_MAX - 1,
				HOST_CHARS, e) < 0)
			return -1;
		if (p->remotes[i].port == 0)
			return sl_pki_fail(e, "profile.remote[%u].port: expected 1..65535",
					   i);
	}
	if ((p->data_ciphers && token_check("data_ciphers", p->data_ciphers, 256,
					    CIPHER_CHARS, e) < 0) ||
	    (p->cipher && token_check("cipher", p->cipher, 64, CIPHER_CHARS, e) < 0) ||
	    (p->auth && token_check("auth", p->auth, 64, CIPHER_CHARS, e) < 0) ||
	    (p->server_cn && token_check("server_cn", p->server_cn, SL_PKI_CN_MAX,
					 NAME_CHARS, e) < 0))
		return -1;
	if ((unsigned)p->wrap > SL_PROFILE_WRAP_TA)
		return sl_pki_fail(e, "wrap: unknown mode %d", (int)p->wrap);
	if (p->wrap != SL_PROFILE_WRAP_NONE && pem_check(wrap_tag[p->wrap], p->wrap_key,
							 e) < 0)
		return -1;
	if (p->wrap == SL_PROFILE_WRAP_TA && p->key_direction != 1 &&
	    p->key_direction != -1)
		return sl_pki_fail(e, "key_direction: expected 1 or -1 (bidirectional), "
				   "found %d", p->key_direction);
	if (pem_check("ca", p->ca_pem, e) < 0)
		return -1;
	if (!p->cert_pem != !p->key_pem)
		return sl_pki_fail(e, "%s: missing (a certificate needs its key)",
				   p->cert_pem ? "key" : "cert");
	if (p->cert_pem && (pem_check("cert", p->cert_pem, e) < 0 ||
			    pem_check("key", p->key_pem, e) < 0))
		return -1;
	return 0;
}

/* ---- rendering ------------------------------------------------------------- */

/* File names a split profile uses (NULL: inline blocks). */
struct split_names {
	char cert[PATH_MAX / 4], key[PATH_MAX / 4];
	const char *wrap;
};

static const char *const wrap_file[] = {
	[SL_PROFILE_WRAP_NONE] = NULL,
	[SL_PROFILE_WRAP_TC2] = "tls-crypt-v2.key",
	[SL_PROFILE_WRAP_TC] = "tls-crypt.key",
	[SL_PROFILE_WRAP_TA] = "tls-auth.key",
};
#define SPLIT_CA	"ca.crt"
#define SPLIT_AUTH	"auth.txt"
#define SPLIT_CONF	"client.ovpn"

static void block(struct buf *b, const char *tag, const char *pem)
{
	size_t n = strlen(pem);

	put(b, "<%s>\n%s%s</%s>\n", tag, pem, n && pem[n - 1] == '\n' ? "" : "\n", tag);
}

static bool any_udp(const struct sl_profile *p)
{
	for (unsigned i = 0; i < p->n_remotes; i++)
		if (!p->remotes[i].tcp)
			return true;
	return false;
}

/*
 * The options a stock client needs (OpenVPN src/openvpn/options.c). 2.4
 * clients know neither data-ciphers nor data-ciphers-fallback (2.5+):
 * ignore-unknown-option lets them skip those, and they negotiate with
 * cipher / their built-in ncp list instead.
 */
static void render_options(struct buf *b, const struct sl_profile *p,
			   const struct split_names *sn)
{
	put(b, "# Sluice client profile for %s\n", p->user);
	put(b, "client\ndev tun\n");
	for (unsigned i = 0; i < p->n_remotes; i++)
		put(b, "remote %s %u %s\n", p->remotes[i].host, p->remotes[i].port,
		    p->remotes[i].tcp ? "tcp-client" : "udp");
	put(b, "resolv-retry infinite\nnobind\npersist-key\npersist-tun\n");
	put(b, "remote-cert-tls server\n");
	if (p->server_cn)
		put(b, "verify-x509-name %s name\n", p->server_cn);
	if (p->data_ciphers || p->cipher)
		put(b, "ignore-unknown-option data-ciphers data-ciphers-fallback\n");
	if (p->data_ciphers)
		put(b, "data-ciphers %s\n", p->data_ciphers);
	if (p->cipher)
		put(b, "data-ciphers-fallback %s\ncipher %s\n", p->cipher, p->cipher);
	if (p->auth)
		put(b, "auth %s\n", p->auth);
	if (p->auth_user_pass)
		put(b, "auth-user-pass%s\n", sn ? " " SPLIT_AUTH : "");
	if (any_udp(p))
		put(b, "explicit-exit-notify 1\n");
	put(b, "verb 3\n");
}

static void render_files(struct buf *b, const struct sl_profile *p,
			 const struct split_names *sn)
{
	put(b, "ca %s\n", SPLIT_CA);
	if (p->cert_pem)
		put(b, "cert %s\nkey %s\n", sn->cert, sn->key);
	if (p->wrap == SL_PROFILE_WRAP_TA && p->key_direction == 1)
		put(b, "tls-auth %s 1\n", sn->wrap);
	else if (p->wrap != SL_PROFILE_WRAP_NONE)
		put(b, "%s %s\n", wrap_tag[p->wrap], sn->wrap);
}

static void render_inline(struct buf *b, const struct sl_profile *p)
{
	if (p->wrap == SL_PROFILE_WRAP_TA && p->key_direction == 1)
		put(b, "key-direction 1\n");
	block(b, "ca", p->ca_pem);
	if (p->cert_pem) {
		block(b, "cert", p->cert_pem);
		block(b, "key", p->key_pem);
	}
	if (p->wrap != SL_PROFILE_WRAP_NONE)
		block(b, wrap_tag[p->wrap], p->wrap_key);
}

static char *render(const struct sl_profile *p, const struct split_names *sn,
		    struct sl_pki_error *e)
{
	struct buf b = { 0 };

	if (profile_check(p, e) < 0)
		return NULL;
	render_options(&b, p, sn);
	if (sn)
		render_files(&b, p, sn);
	else
		render_inline(&b, p);
	if (b.oom) {
		buf_free(&b);
		sl_pki_fail(e, "profile: out of memory");
		return NULL;
	}
	return b.p;
}

char *sl_profile_render(const struct sl_profile *p, struct sl_pki_error *e)
{
	return render(p, NULL, e);
}

/* ---- split files ----------------------------------------------------------- */

static int put_file(const char *dir, const char *name, const char *text,
		    struct sl_pki_error *e)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return sl_pki_fail(e, "%s: path too long", dir);
	return sl_pki_write_atomic(path, text, strlen(text), 0600, e);
}

static int auth_file(const char *dir, const struct sl_profile *p,
		     const char *password, struct sl_pki_error *e)
{
	struct buf b = { 0 };
	int rc;

	if (password && (strchr(password, '\n') || strchr(password, '\r')))
		return sl_pki_fail(e, "password: holds a line break");
	put(&b, "%s\n", p->user);
	if (password)
		put(&b, "%s\n", password);
	rc = b.oom ? sl_pki_fail(e, "auth.txt: out of memory")
		   : put_file(dir, SPLIT_AUTH, b.p, e);
	buf_free(&b);
	return rc;
}

int sl_profile_split(const struct sl_profile *p, const char *dir,
		     const char *key_pem_enc, const char *password,
		     struct sl_pki_error *e)
{
	struct split_names sn = { .wrap = wrap_file[p->wrap <= SL_PROFILE_WRAP_TA ?
						     p->wrap : 0] };
	char enc[PATH_MAX / 4];
	char *conf;
	int rc = -1;

	if (profile_check(p, e) < 0)
		return -1;
	if (key_pem_enc && pem_check("key_pem_enc", key_pem_enc, e) < 0)
		return -1;
	snprintf(sn.cert, sizeof(sn.cert), "%s.crt", p->user);
	snprintf(sn.key, sizeof(sn.key), "%s.key", p->user);
	snprintf(enc, sizeof(enc), "%s.enc.key", p->user);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return sl_pki_fail(e, "%s: cannot create: %s", dir, strerror(errno));
	if (!(conf = render(p, &sn, e)))
		return -1;
	if (put_file(dir, SPLIT_CA, p->ca_pem, e) < 0 ||
	    (p->cert_pem && (put_file(dir, sn.cert, p->cert_pem, e) < 0 ||
			     put_file(dir, sn.key, p->key_pem, e) < 0)) ||
	    (key_pem_enc && put_file(dir, enc, key_pem_enc, e) < 0) ||
	    (sn.wrap && put_file(dir, sn.wrap, p->wrap_key, e) < 0) ||
	    (p->auth_user_pass && auth_file(dir, p, password, e) < 0) ||
	    put_file(dir, SPLIT_CONF, conf, e) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(conf, strlen(conf));
	free(conf);
	return rc;
}
