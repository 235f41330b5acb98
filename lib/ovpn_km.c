/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key method 2 message codec (OpenVPN src/openvpn/ssl.c key_method_2_write,
 * key_method_2_read). Layout diagram in
 * ovpn_km.h. Everything here handles untrusted bytes from the TLS stream:
 * every length is checked against both the remaining input and the
 * destination before a byte is copied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ovpn_km.h"

#define KM_HDR_LEN	5	/* 4 ignored bytes + key-method byte */
#define KM_SCRATCH_LEN	(OVPN_KM_CRED_MAX > OVPN_KM_PEERINFO_MAX ? \
			 OVPN_KM_CRED_MAX : OVPN_KM_PEERINFO_MAX)

/* Which field a reason refers to; indexes km_reason[]. */
enum km_field {
	KM_F_OPTIONS,
	KM_F_USERNAME,
	KM_F_PASSWORD,
	KM_F_PEERINFO,
	KM_F_MAX,
};

/* How reading one length-prefixed string can fail. */
enum km_err {
	KM_E_LEN,	/* fewer than 2 bytes left for the length */
	KM_E_BODY,	/* length runs past the end of the message */
	KM_E_NUL,	/* last byte is not NUL */
	KM_E_EMBEDDED,	/* NUL before the last byte */
	KM_E_TOO_LONG,	/* longer than the destination bound */
	KM_E_MAX,
};

#define KM_REASONS(f) {						\
	[KM_E_LEN] = f ": length truncated",			\
	[KM_E_BODY] = f ": string truncated",			\
	[KM_E_NUL] = f ": missing NUL terminator",		\
	[KM_E_EMBEDDED] = f ": embedded NUL",			\
	[KM_E_TOO_LONG] = f ": too long",			\
}

static const char *const km_reason[KM_F_MAX][KM_E_MAX] = {
	[KM_F_OPTIONS] = KM_REASONS("options"),
	[KM_F_USERNAME] = KM_REASONS("username"),
	[KM_F_PASSWORD] = KM_REASONS("password"),
	[KM_F_PEERINFO] = KM_REASONS("peer-info"),
};

static const int km_errno[KM_E_MAX] = {
	[KM_E_LEN] = -EBADMSG,
	[KM_E_BODY] = -EBADMSG,
	[KM_E_NUL] = -EBADMSG,
	[KM_E_EMBEDDED] = -EBADMSG,
	[KM_E_TOO_LONG] = -EMSGSIZE,
};

/* Cursor over the input; reason is the first failure seen. */
struct km_rd {
	const uint8_t *buf;
	size_t len;
	size_t off;
	const char *reason;
};

static int rd_fail(struct km_rd *r, enum km_field f, enum km_err e)
{
	r->reason = km_reason[f][e];
	return km_errno[e];
}

static int rd_fixed(struct km_rd *r, void *dst, size_t n, const char *reason)
{
	if (r->len - r->off < n) {
		r->reason = reason;
		return -EBADMSG;
	}
	memcpy(dst, r->buf + r->off, n);
	r->off += n;
	return 0;
}

/*
 * Read one string into dst[0..cap). Returns 1 if present, 0 if absent
 * (length 0, dst set to ""), or a negative errno. On -EMSGSIZE the string
 * has still been skipped so that the caller may carry on (credentials).
 */
static int rd_string(struct km_rd *r, enum km_field f, char *dst, size_t cap)
{
	size_t n;
	const uint8_t *s;

	dst[0] = '\0';
	if (r->len - r->off < 2)
		return rd_fail(r, f, KM_E_LEN);
	n = (size_t)r->buf[r->off] << 8 | r->buf[r->off + 1];
	r->off += 2;
	if (n == 0)
		return 0;
	if (r->len - r->off < n)
		return rd_fail(r, f, KM_E_BODY);
	s = r->buf + r->off;
	r->off += n;
	if (s[n - 1] != '\0')
		return rd_fail(r, f, KM_E_NUL);
	if (memchr(s, '\0', n - 1) != NULL)
		return rd_fail(r, f, KM_E_EMBEDDED);
	if (n > cap)
		return rd_fail(r, f, KM_E_TOO_LONG);
	memcpy(dst, s, n);
	return 1;
}

static int rd_header(struct km_rd *r)
{
	uint8_t hdr[KM_HDR_LEN];
	int rc = rd_fixed(r, hdr, sizeof(hdr), "header truncated");

	if (rc < 0)
		return rc;
	if ((hdr[4] & OVPN_KM_METHOD_MASK) != OVPN_KM_METHOD) {
		r->reason = "key method is not 2";
		return -EPROTO;
	}
	return 0;
}

static int rd_options(struct km_rd *r, char *dst, size_t cap)
{
	int rc = rd_string(r, KM_F_OPTIONS, dst, cap);

	/* "" (length 1) is as useless as absent, and we never send it */
	if (rc == 0 || (rc > 0 && dst[0] == '\0')) {
		r->reason = "options: missing";
		return -EBADMSG;
	}
	return rc < 0 ? rc : 0;
}

/* A credential that is too long is not fatal (see OVPN_KM_F_CRED_TOO_LONG). */
static int rd_cred(struct km_rd *r, enum km_field f, char *dst,
		   unsigned present_flag, unsigned *flags)
{
	int rc = rd_string(r, f, dst, OVPN_KM_CRED_MAX);

	if (rc == -EMSGSIZE) {
		*flags |= OVPN_KM_F_CRED_TOO_LONG;
		r->reason = NULL;
		return 0;
	}
	if (rc > 0 && dst[0] != '\0')
		*flags |= present_flag;
	return rc < 0 ? rc : 0;
}

/* username, password, peer-info: all optional at the end of the message. */
static int rd_trailer(struct km_rd *r, struct ovpn_km_client *km)
{
	int rc;

	if (r->off == r->len)
		return 0;
	rc = rd_cred(r, KM_F_USERNAME, km->username, OVPN_KM_F_HAS_USER,
		     &km->flags);
	if (rc == 0)
		rc = rd_cred(r, KM_F_PASSWORD, km->password, OVPN_KM_F_HAS_PASS,
			     &km->flags);
	if (rc < 0)
		return rc;
	if (km->flags & OVPN_KM_F_CRED_TOO_LONG) {
		OPENSSL_cleanse(km->username, sizeof(km->username));
		OPENSSL_cleanse(km->password, sizeof(km->password));
		km->flags &= ~(OVPN_KM_F_HAS_USER | OVPN_KM_F_HAS_PASS);
	}
	if (r->off == r->len)
		return 0;
	rc = rd_string(r, KM_F_PEERINFO, km->peer_info, sizeof(km->peer_info));
	if (rc < 0)
		return rc;
	if (rc > 0 && km->peer_info[0] != '\0')
		km->flags |= OVPN_KM_F_HAS_PEERINFO;
	km->peer_info_len = strlen(km->peer_info);
	return 0;
}

static int km_parse_client(struct km_rd *r, struct ovpn_km_client *km)
{
	int rc;

	rc = rd_header(r);
	if (rc == 0)
		rc = rd_fixed(r, km->pre_master, sizeof(km->pre_master),
			      "pre_master truncated");
	if (rc == 0)
		rc = rd_fixed(r, km->random1, sizeof(km->random1),
			      "random1 truncated");
	if (rc == 0)
		rc = rd_fixed(r, km->random2, sizeof(km->random2),
			      "random2 truncated");
	if (rc == 0)
		rc = rd_options(r, km->options, sizeof(km->options));
	if (rc == 0)
		rc = rd_trailer(r, km);
	return rc;
}

int ovpn_km_parse_client(const uint8_t *buf, size_t len,
			 struct ovpn_km_client *km, const char **reason)
{
	struct km_rd r = { .buf = buf, .len = len };
	int rc;

	if (km == NULL || (buf == NULL && len != 0)) {
		if (reason != NULL)
			*reason = "invalid argument";
		return -EINVAL;
	}
	memset(km, 0, sizeof(*km));
	rc = km_parse_client(&r, km);
	if (rc < 0) {
		ovpn_km_client_wipe(km);
		if (reason != NULL)
			*reason = r.reason;
		return rc;
	}
	return (int)r.off;
}

/* Skip username/password/peer-info of a server message, checking them. */
static int rd_skip_trailer(struct km_rd *r)
{
	static const enum km_field f[] = {
		KM_F_USERNAME, KM_F_PASSWORD, KM_F_PEERINFO
	};
	char tmp[KM_SCRATCH_LEN];
	int rc = 0;

	for (size_t i = 0; i < 3 && rc >= 0 && r->off < r->len; i++)
		rc = rd_string(r, f[i], tmp, f[i] == KM_F_PEERINFO ?
			       OVPN_KM_PEERINFO_MAX : OVPN_KM_CRED_MAX);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return rc < 0 ? rc : 0;
}

int ovpn_km_parse_server(const uint8_t *buf, size_t len,
			 uint8_t random1[OVPN_KM_RANDOM_LEN],
			 uint8_t random2[OVPN_KM_RANDOM_LEN],
			 char *opts, size_t opts_cap, const char **reason)
{
	struct km_rd r = { .buf = buf, .len = len };
	int rc;

	if (random1 == NULL || random2 == NULL || opts == NULL ||
	    opts_cap == 0 || (buf == NULL && len != 0)) {
		if (reason != NULL)
			*reason = "invalid argument";
		return -EINVAL;
	}
	rc = rd_header(&r);
	if (rc == 0)
		rc = rd_fixed(&r, random1, OVPN_KM_RANDOM_LEN, "random1 truncated");
	if (rc == 0)
		rc = rd_fixed(&r, random2, OVPN_KM_RANDOM_LEN, "random2 truncated");
	if (rc == 0)
		rc = rd_options(&r, opts, opts_cap);
	if (rc == 0)
		rc = rd_skip_trailer(&r);
	if (rc < 0) {
		if (reason != NULL)
			*reason = r.reason;
		return rc;
	}
	return (int)r.off;
}

/* Output cursor; overflow is sticky so callers check once at the end. */
struct km_wr {
	uint8_t *buf;
	size_t cap;
	size_t off;
	bool overflow;
};

static void wr_bytes(struct km_wr *w, const void *src, size_t n)
{
	if (w->overflow || w->cap - w->off < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->off, src, n);
	w->off += n;
}

/* NULL and "" are both written as an absent string (00 00). */
static void wr_string(struct km_wr *w, const char *s)
{
	size_t n = (s == NULL || s[0] == '\0') ? 0 : strlen(s) + 1;
	uint8_t be[2] = { (uint8_t)(n >> 8), (uint8_t)n };

	wr_bytes(w, be, sizeof(be));
	if (n != 0)
		wr_bytes(w, s, n);
}

static bool str_fits(const char *s, size_t bound)
{
	return s == NULL || strnlen(s, bound) < bound;
}

static void wr_header(struct km_wr *w)
{
	static const uint8_t hdr[KM_HDR_LEN] = { 0, 0, 0, 0, OVPN_KM_METHOD };

	wr_bytes(w, hdr, sizeof(hdr));
}

static int wr_result(const struct km_wr *w)
{
	return w->overflow ? -ENOSPC : (int)w->off;
}

int ovpn_km_build_server(const struct ovpn_km_server *srv, uint8_t *out,
			 size_t cap)
{
	struct km_wr w = { .buf = out, .cap = cap };

	if (srv == NULL || out == NULL || srv->options == NULL ||
	    srv->options[0] == '\0' ||
	    !str_fits(srv->options, OVPN_KM_OPTIONS_MAX) ||
	    !str_fits(srv->peer_info, OVPN_KM_PEERINFO_MAX))
		return -EINVAL;
	wr_header(&w);
	wr_bytes(&w, srv->random1, OVPN_KM_RANDOM_LEN);
	wr_bytes(&w, srv->random2, OVPN_KM_RANDOM_LEN);
	wr_string(&w, srv->options);
	wr_string(&w, NULL);		/* username: servers never send one */
	wr_string(&w, NULL);		/* password */
	wr_string(&w, srv->peer_info);
	return wr_result(&w);
}

int ovpn_km_build_client(const struct ovpn_km_client *km, const char *username,
			 const char *password, const char *peer_info,
			 uint8_t *out, size_t cap)
{
	struct km_wr w = { .buf = out, .cap = cap };

	if (km == NULL || out == NULL || km->options[0] == '\0' ||
	    !str_fits(km->options, OVPN_KM_OPTIONS_MAX) ||
	    !str_fits(username, OVPN_KM_CRED_MAX) ||
	    !str_fits(password, OVPN_KM_CRED_MAX) ||
	    !str_fits(peer_info, OVPN_KM_PEERINFO_MAX))
		return -EINVAL;
	wr_header(&w);
	wr_bytes(&w, km->pre_master, OVPN_KM_PRE_MASTER_LEN);
	wr_bytes(&w, km->random1, OVPN_KM_RANDOM_LEN);
	wr_bytes(&w, km->random2, OVPN_KM_RANDOM_LEN);
	wr_string(&w, km->options);
	wr_string(&w, username);
	wr_string(&w, password);
	wr_string(&w, peer_info);
	return wr_result(&w);
}

int ovpn_km_server_randomize(struct ovpn_km_server *srv)
{
	if (srv == NULL)
		return -EINVAL;
	if (RAND_bytes(srv->random1, OVPN_KM_RANDOM_LEN) != 1 ||
	    RAND_bytes(srv->random2, OVPN_KM_RANDOM_LEN) != 1)
		return -EIO;
	return 0;
}

struct ovpn_km_client *ovpn_km_client_new(void)
{
	return calloc(1, sizeof(struct ovpn_km_client));
}

void ovpn_km_client_wipe(struct ovpn_km_client *km)
{
	if (km != NULL)
		OPENSSL_cleanse(km, sizeof(*km));
}

void ovpn_km_client_free(struct ovpn_km_client *km)
{
	ovpn_km_client_wipe(km);
	free(km);
}
