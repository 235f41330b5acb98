/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Static-key and tls-crypt-v2 key files (see ovpn_key_file.h). Both
 * formats are "marker line, body, marker line"; one line iterator and one
 * body decoder per encoding (hex, base64) serve all three file types.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ovpn_key_file.h"

#define STATIC_LINE_BYTES	16
#define B64_LINE_CHARS		64
#define V2_CLIENT_RAW_MAX	(OVPN_V2_CLIENT_KEY_LEN + OVPN_V2_WKC_MAX)

__attribute__((format(printf, 4, 5)))
static int fail(struct ovpn_key_file_error *e, int code, unsigned line,
		const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (e == NULL)
		return -code;
	e->code = -code;
	e->line = line;
	if (line)
		n = snprintf(e->msg, sizeof(e->msg), "line %u: ", line);
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -code;
}

static void ok(struct ovpn_key_file_error *e)
{
	if (e != NULL) {
		e->code = 0;
		e->line = 0;
		e->msg[0] = '\0';
	}
}

/* ---- line iterator ------------------------------------------------------ */

struct lines {
	const char *p;
	const char *end;
	unsigned no;		/* number of the line last returned */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\v' || c == '\f';
}

/* Next line with surrounding whitespace trimmed; false at end of text. */
static bool next_line(struct lines *it, const char **s, size_t *n)
{
	const char *b = it->p, *e;

	if (it->p >= it->end)
		return false;
	e = memchr(b, '\n', (size_t)(it->end - b));
	it->p = e ? e + 1 : it->end;
	if (e == NULL)
		e = it->end;
	it->no++;
	while (b < e && is_space(*b))
		b++;
	while (e > b && is_space(e[-1]))
		e--;
	*s = b;
	*n = (size_t)(e - b);
	return true;
}

static bool line_is(const char *s, size_t n, const char *marker)
{
	return n == strlen(marker) && memcmp(s, marker, n) == 0;
}

/* Skip to the line after marker; false if it never comes. */
static bool find_marker(struct lines *it, const char *marker)
{
	const char *s;
	size_t n;

	while (next_line(it, &s, &n))
		if (line_is(s, n, marker))
			return true;
	return false;
}

/* Printable rendering of a bad character for error messages. */
static const char *show(char c, char buf[8])
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", (unsigned char)c);
	return buf;
}

/* ---- decoders ----------------------------------------------------------- */

/*
 * A body decoder consumes the characters of one line and appends bytes to
 * out[0..cap). It returns 0 or a negative code after calling fail().
 */
struct body {
	uint8_t *out;
	size_t cap;
	size_t n;		/* bytes produced */
	unsigned acc;		/* pending bits */
	unsigned nbits;
	unsigned chars;		/* base64: characters incl. padding */
	unsigned pad;		/* base64: '=' seen */
	const char *what;	/* "256 bytes" for messages */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int emit(struct body *b, uint8_t v, unsigned line,
		struct ovpn_key_file_error *e)
{
	if (b->n == b->cap)
		return fail(e, OVPN_KEY_FILE_E_LENGTH, line,
			    "expected %s of key material, found more", b->what);
	b->out[b->n++] = v;
	return 0;
}

static int hex_line(struct body *b, const char *s, size_t n, unsigned line,
		    struct ovpn_key_file_error *e)
{
	char tmp[8];

	for (size_t i = 0; i < n; i++) {
		int v = hexval(s[i]), rc;

		if (is_space(s[i]))
			continue;
		if (v < 0)
			return fail(e, OVPN_KEY_FILE_E_HEX, line,
				    "expected hex digits, found %s",
				    show(s[i], tmp));
		b->acc = b->acc << 4 | (unsigned)v;
		if (++b->nbits < 2)
			continue;
		b->nbits = 0;
		if ((rc = emit(b, (uint8_t)b->acc, line, e)) < 0)
			return rc;
		b->acc = 0;
	}
	return 0;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int b64_char(struct body *b, char c, unsigned line,
		    struct ovpn_key_file_error *e)
{
	int v = b64val(c);
	char tmp[8];

	if (c == '=' && b->pad < 2) {
		b->pad++;
		b->chars++;
		return 0;
	}
	/* Nothing but padding may follow the first '='. */
	if (v < 0 || b->pad)
		return fail(e, OVPN_KEY_FILE_E_BASE64, line,
			    "expected base64 characters, found %s",
			    show(c, tmp));
	b->chars++;
	b->acc = (b->acc << 6 | (unsigned)v) & 0xffffff;
	b->nbits += 6;
	if (b->nbits < 8)
		return 0;
	b->nbits -= 8;
	return emit(b, (uint8_t)(b->acc >> b->nbits), line, e);
}

static int b64_line(struct body *b, const char *s, size_t n, unsigned line,
		    struct ovpn_key_file_error *e)
{
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (is_space(s[i]))
			continue;
		if ((rc = b64_char(b, s[i], line, e)) < 0)
			return rc;
	}
	return 0;
}

/*
 * Find hdr, feed body lines to fn until ftr. Returns 0 with the footer
 * line number in *ftr_line, or a negative code.
 */
static int read_block(const char *text, size_t len, const char *hdr,
		      const char *ftr,
		      int (*fn)(struct body *, const char *, size_t, unsigned,
				struct ovpn_key_file_error *),
		      struct body *b,
		      unsigned *ftr_line, struct ovpn_key_file_error *e)
{
	struct lines it = { text, text + len, 0 };
	const char *s;
	size_t n;
	int rc;

	if (!find_marker(&it, hdr))
		return fail(e, OVPN_KEY_FILE_E_NO_HEADER, 0,
			    "expected a line '%s', found none", hdr);
	while (next_line(&it, &s, &n)) {
		if (line_is(s, n, ftr)) {
			*ftr_line = it.no;
			return 0;
		}
		if ((rc = fn(b, s, n, it.no, e)) < 0)
			return rc;
	}
	return fail(e, OVPN_KEY_FILE_E_NO_FOOTER, it.no,
		    "expected '%s', found end of file", ftr);
}

/* base64 at the footer: whole quads only. */
static int b64_finish(const struct body *b, unsigned line,
		      struct ovpn_key_file_error *e)
{
	if (b->chars % 4 != 0)
		return fail(e, OVPN_KEY_FILE_E_BASE64, line,
			    "expected base64 in groups of 4 characters, found %u characters",
			    b->chars);
	return 0;
}

/* ---- parsers ------------------------------------------------------------ */

/* End of a fixed-size key: rc so far, then exactly b->cap bytes; the key
 * is wiped on any failure. */
static int finish_fixed(const struct body *b, int rc, unsigned line,
			struct ovpn_key_file_error *e)
{
	if (rc == 0 && b->n != b->cap)
		rc = fail(e, OVPN_KEY_FILE_E_LENGTH, line,
			  "expected %zu bytes of key material, found %zu",
			  b->cap, b->n);
	if (rc < 0) {
		OPENSSL_cleanse(b->out, b->cap);
		return rc;
	}
	ok(e);
	return 0;
}

int ovpn_key_file_parse_static(const char *text, size_t len,
			       uint8_t key2[OVPN_KEY2_LEN],
			       struct ovpn_key_file_error *e)
{
	struct body b = { key2, OVPN_KEY2_LEN, 0, 0, 0, 0, 0, "256 bytes" };
	unsigned line = 0;
	int rc;

	rc = read_block(text, len, OVPN_KEY_FILE_STATIC_HDR,
			OVPN_KEY_FILE_STATIC_FTR, hex_line, &b, &line, e);
	if (rc == 0 && b.nbits)
		rc = fail(e, OVPN_KEY_FILE_E_ODD_HEX, line,
			  "expected an even number of hex digits, found an odd number");
	return finish_fixed(&b, rc, line, e);
}

int ovpn_key_file_parse_v2_server(const char *text, size_t len,
				  uint8_t key[OVPN_V2_SERVER_KEY_LEN],
				  struct ovpn_key_file_error *e)
{
	struct body b = { key, OVPN_V2_SERVER_KEY_LEN, 0, 0, 0, 0, 0,
			  "128 bytes" };
	unsigned line = 0;
	int rc;

	rc = read_block(text, len, OVPN_KEY_FILE_V2S_HDR,
			OVPN_KEY_FILE_V2S_FTR, b64_line, &b, &line, e);
	if (rc == 0)
		rc = b64_finish(&b, line, e);
	return finish_fixed(&b, rc, line, e);
}

/* Kc | WKc: WKc must be a plausible wrapped key whose length field fits. */
static int split_client(const uint8_t *raw, size_t n, unsigned line,
			struct ovpn_key_file_error *e)
{
	size_t wlen = n - OVPN_V2_CLIENT_KEY_LEN, field;

	if (n < OVPN_V2_CLIENT_KEY_LEN + OVPN_V2_WKC_MIN)
		return fail(e, OVPN_KEY_FILE_E_LENGTH, line,
			    "expected at least %d bytes (key + wrapped key), found %zu",
			    OVPN_V2_CLIENT_KEY_LEN + OVPN_V2_WKC_MIN, n);
	field = (size_t)raw[n - 2] << 8 | raw[n - 1];
	if (field != wlen)
		return fail(e, OVPN_KEY_FILE_E_WKC, line,
			    "expected a wrapped key of %zu bytes, its length field says %zu",
			    wlen, field);
	return 0;
}

int ovpn_key_file_parse_v2_client(const char *text, size_t len,
				  uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				  uint8_t *wkc, size_t wkc_cap, size_t *wkc_len,
				  struct ovpn_key_file_error *e)
{
	uint8_t raw[V2_CLIENT_RAW_MAX];
	struct body b = { raw, sizeof(raw), 0, 0, 0, 0, 0,
			  "at most 1280 bytes" };
	unsigned line = 0;
	int rc;

	rc = read_block(text, len, OVPN_KEY_FILE_V2C_HDR,
			OVPN_KEY_FILE_V2C_FTR, b64_line, &b, &line, e);
	if (rc == 0)
		rc = b64_finish(&b, line, e);
	if (rc == 0)
		rc = split_client(raw, b.n, line, e);
	if (rc == 0 && b.n - OVPN_V2_CLIENT_KEY_LEN > wkc_cap)
		rc = fail(e, OVPN_KEY_FILE_E_NOSPACE, 0,
			  "wrapped key of %zu bytes does not fit",
			  b.n - OVPN_V2_CLIENT_KEY_LEN);
	if (rc == 0) {
		memcpy(kc, raw, OVPN_V2_CLIENT_KEY_LEN);
		*wkc_len = b.n - OVPN_V2_CLIENT_KEY_LEN;
		memcpy(wkc, raw + OVPN_V2_CLIENT_KEY_LEN, *wkc_len);
		ok(e);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int ovpn_key_file_load(const char *path, char *buf, size_t cap, size_t *len,
		       struct ovpn_key_file_error *e)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	int err;

	if (f == NULL)
		return fail(e, OVPN_KEY_FILE_E_IO, 0, "%s: %s", path,
			    strerror(errno));
	n = fread(buf, 1, cap, f);
	err = ferror(f);
	fclose(f);
	if (err)
		return fail(e, OVPN_KEY_FILE_E_IO, 0, "%s: read error", path);
	if (n == cap)
		return fail(e, OVPN_KEY_FILE_E_NOSPACE, 0,
			    "%s: expected a key file below %zu bytes", path, cap);
	*len = n;
	ok(e);
	return 0;
}

/* ---- writers ------------------------------------------------------------ */

/* Append formatted text; *off tracks the length, -1 marks overflow. */
__attribute__((format(printf, 4, 5)))
static void put(char *out, size_t cap, long *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *off, cap - (size_t)*off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - (size_t)*off)
		*off = -1;
	else
		*off += n;
}

static int finish(char *out, size_t cap, long off)
{
	if (off < 0) {
		if (cap)
			OPENSSL_cleanse(out, cap);
		return -OVPN_KEY_FILE_E_NOSPACE;
	}
	return (int)off;
}

int ovpn_key_file_write_static(const uint8_t key2[OVPN_KEY2_LEN],
			       char *out, size_t cap)
{
	long off = 0;

	if (cap == 0)
		return -OVPN_KEY_FILE_E_NOSPACE;
	put(out, cap, &off, "#\n# 2048 bit OpenVPN static key\n#\n%s\n",
	    OVPN_KEY_FILE_STATIC_HDR);
	for (size_t i = 0; i < OVPN_KEY2_LEN; i++)
		put(out, cap, &off, "%02x%s", key2[i],
		    (i + 1) % STATIC_LINE_BYTES ? "" : "\n");
	put(out, cap, &off, "%s\n", OVPN_KEY_FILE_STATIC_FTR);
	return finish(out, cap, off);
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* One base64 quad for up to 3 input bytes. */
static void b64_quad(const uint8_t *in, size_t n, char q[5])
{
	uint32_t v = (uint32_t)in[0] << 16;

	if (n > 1)
		v |= (uint32_t)in[1] << 8;
	if (n > 2)
		v |= in[2];
	q[0] = b64chars[v >> 18 & 63];
	q[1] = b64chars[v >> 12 & 63];
	q[2] = n > 1 ? b64chars[v >> 6 & 63] : '=';
	q[3] = n > 2 ? b64chars[v & 63] : '=';
	q[4] = '\0';
}

static int write_pem(const char *hdr, const char *ftr, const uint8_t *a,
		     size_t alen, const uint8_t *b, size_t blen,
		     char *out, size_t cap)
{
	uint8_t tri[3];
	size_t total = alen + blen, col = 0;
	long off = 0;
	char q[5];

	if (cap == 0)
		return -OVPN_KEY_FILE_E_NOSPACE;
	put(out, cap, &off, "%s\n", hdr);
	for (size_t i = 0; i < total; i += 3) {
		size_t n = total - i < 3 ? total - i : 3;

		for (size_t k = 0; k < n; k++)
			tri[k] = i + k < alen ? a[i + k] : b[i + k - alen];
		b64_quad(tri, n, q);
		col += 4;
		put(out, cap, &off, "%s%s", q,
		    col % B64_LINE_CHARS && i + 3 < total ? "" : "\n");
	}
	OPENSSL_cleanse(tri, sizeof(tri));
	OPENSSL_cleanse(q, sizeof(q));
	put(out, cap, &off, "%s\n", ftr);
	return finish(out, cap, off);
}

int ovpn_key_file_write_v2_server(const uint8_t key[OVPN_V2_SERVER_KEY_LEN],
				  char *out, size_t cap)
{
	return write_pem(OVPN_KEY_FILE_V2S_HDR, OVPN_KEY_FILE_V2S_FTR,
			 key, OVPN_V2_SERVER_KEY_LEN, NULL, 0, out, cap);
}

int ovpn_key_file_write_v2_client(const uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				  const uint8_t *wkc, size_t wkc_len,
				  char *out, size_t cap)
{
	return write_pem(OVPN_KEY_FILE_V2C_HDR, OVPN_KEY_FILE_V2C_FTR,
			 kc, OVPN_V2_CLIENT_KEY_LEN, wkc, wkc_len, out, cap);
}

/* ---- generators --------------------------------------------------------- */

/* len (at most OVPN_KEY2_LEN) fresh random bytes written as text by
 * write; the key is wiped afterwards. */
static int gen_random(size_t len,
		      int (*write)(const uint8_t *key, char *out, size_t cap),
		      char *out, size_t cap)
{
	uint8_t key[OVPN_KEY2_LEN];
	int rc = -OVPN_KEY_FILE_E_RAND;

	if (RAND_priv_bytes(key, (int)len) == 1)
		rc = write(key, out, cap);
	OPENSSL_cleanse(key, len);
	return rc;
}

int ovpn_key_file_gen_static(char *out, size_t cap)
{
	return gen_random(OVPN_KEY2_LEN, ovpn_key_file_write_static, out, cap);
}

int ovpn_key_file_gen_v2_server(char *out, size_t cap)
{
	return gen_random(OVPN_V2_SERVER_KEY_LEN, ovpn_key_file_write_v2_server,
			  out, cap);
}

int ovpn_key_file_gen_v2_client(struct ovpn_wrap_v2_server *s,
				const uint8_t *meta, size_t meta_len,
				char *out, size_t cap)
{
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN], wkc[OVPN_V2_WKC_MAX];
	int rc = -OVPN_KEY_FILE_E_RAND, wlen;

	if (RAND_priv_bytes(kc, sizeof(kc)) != 1)
		goto wipe;
	wlen = ovpn_wrap_v2_wrap_client_key(s, kc, meta, meta_len, wkc,
					    sizeof(wkc));
	rc = wlen < 0 ? -OVPN_KEY_FILE_E_WRAP :
	     ovpn_key_file_write_v2_client(kc, wkc, (size_t)wlen, out, cap);
wipe:
	OPENSSL_cleanse(kc, sizeof(kc));
	OPENSSL_cleanse(wkc, sizeof(wkc));
	return rc;
}
