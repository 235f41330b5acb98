/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key files: files made by openvpn 2.6.14 --genkey, round trips of our
 * writers and generators, and every error with its message text.
 */
#include <stdio.h>
#include <string.h>

#include "ovpn_key_file.h"
#include "ovpn_wrap_v2.h"
#include "sl_test.h"

#define DATA SL_TEST_DATA_DIR "/ctrl/"

static char text[OVPN_KEY_FILE_MAX];
static size_t text_len;

static int load(const char *name)
{
	struct ovpn_key_file_error e;

	return ovpn_key_file_load(name, text, sizeof(text), &text_len, &e);
}

static int test_openvpn_files(void)
{
	uint8_t key2[256], skey[128], kc[256], wkc[1024];
	size_t wlen;
	struct ovpn_key_file_error e;

	CHECK_EQ(load(DATA "ta.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_static(text, text_len, key2, &e), 0);
	CHECK_EQ(e.code, 0);
	/* first and last bytes of the file as printed by openvpn */
	CHECK_EQ(key2[0], 0xda);
	CHECK_EQ(key2[1], 0x02);
	CHECK_EQ(key2[255], 0xb6);
	CHECK_EQ(load(DATA "srv.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_server(text, text_len, skey, &e), 0);
	CHECK_EQ(skey[0], 0xd1);	/* "0YYB" */
	CHECK_EQ(load(DATA "cli.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(text, text_len, kc, wkc,
					       sizeof(wkc), &wlen, &e), 0);
	CHECK_EQ(wlen, 299);
	CHECK_EQ(kc[0], 0x36);		/* "NnAU" */
	return 0;
}

/* Our writer reproduces openvpn's files byte for byte. */
static int test_writers_match_openvpn(void)
{
	uint8_t key2[256], skey[128], kc[256], wkc[1024];
	char out[OVPN_KEY_FILE_V2_TEXT_MAX];
	size_t wlen;

	CHECK_EQ(load(DATA "ta.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_static(text, text_len, key2, NULL), 0);
	CHECK_EQ(ovpn_key_file_write_static(key2, out, sizeof(out)), text_len);
	CHECK_MEM(out, text, text_len);
	CHECK_EQ(load(DATA "srv.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_server(text, text_len, skey, NULL), 0);
	CHECK_EQ(ovpn_key_file_write_v2_server(skey, out, sizeof(out)), text_len);
	CHECK_MEM(out, text, text_len);
	CHECK_EQ(load(DATA "cli.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(text, text_len, kc, wkc,
					       sizeof(wkc), &wlen, NULL), 0);
	CHECK_EQ(ovpn_key_file_write_v2_client(kc, wkc, wlen, out, sizeof(out)),
		 text_len);
	CHECK_MEM(out, text, text_len);
	/* every too-small buffer is refused */
	for (size_t cap = 0; cap <= text_len; cap += 7)
		CHECK_EQ(ovpn_key_file_write_v2_client(kc, wkc, wlen, out, cap),
			 -OVPN_KEY_FILE_E_NOSPACE);
	return 0;
}

static int test_generators(void)
{
	char s[OVPN_KEY_FILE_STATIC_TEXT_MAX], v[OVPN_KEY_FILE_V2_TEXT_MAX];
	char c[OVPN_KEY_FILE_V2_TEXT_MAX];
	uint8_t key2[256], skey[128], kc[256], kc2[256], wkc[1024], meta[16];
	uint8_t ts[9];
	size_t wlen, mlen;
	int n, err;

	n = ovpn_key_file_gen_static(s, sizeof(s));
	CHECK(n > 0);
	CHECK_EQ(ovpn_key_file_parse_static(s, (size_t)n, key2, NULL), 0);
	n = ovpn_key_file_gen_v2_server(v, sizeof(v));
	CHECK(n > 0);
	CHECK_EQ(ovpn_key_file_parse_v2_server(v, (size_t)n, skey, NULL), 0);
	struct ovpn_wrap_v2_server *srv = ovpn_wrap_v2_server_new(skey, &err);
	ovpn_wrap_v2_meta_timestamp(1795311047u, ts);
	n = ovpn_key_file_gen_v2_client(srv, ts, sizeof(ts), c, sizeof(c));
	CHECK(n > 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(c, (size_t)n, kc, wkc, sizeof(wkc),
					       &wlen, NULL), 0);
	CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(srv, wkc, wlen, kc2, meta,
						sizeof(meta), &mlen), 0);
	CHECK_MEM(kc, kc2, 256);
	CHECK_MEM(meta, ts, 9);
	CHECK_EQ(ovpn_key_file_gen_static(s, 100), -OVPN_KEY_FILE_E_NOSPACE);
	ovpn_wrap_v2_server_free(srv);
	return 0;
}

/* A static key text with one line replaced (line numbers are 1-based). */
static size_t static_with(char *buf, size_t cap, unsigned line, const char *repl)
{
	static const char *hex = "00112233445566778899aabbccddeeff";
	size_t n = 0;

	n += (size_t)snprintf(buf + n, cap - n, "# comment\n%s\n",
			      OVPN_KEY_FILE_STATIC_HDR);
	for (unsigned i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\n",
				      line == i + 3 ? repl : hex);
	n += (size_t)snprintf(buf + n, cap - n, "%s\n", OVPN_KEY_FILE_STATIC_FTR);
	return n;
}

static int static_err(const char *t, size_t len, int code, unsigned line,
		      const char *msg)
{
	uint8_t key2[256];
	struct ovpn_key_file_error e;

	memset(key2, 0x55, sizeof(key2));
	CHECK_EQ(ovpn_key_file_parse_static(t, len, key2, &e), -code);
	CHECK_EQ(e.code, -code);
	CHECK_EQ(e.line, line);
	CHECK_STR(e.msg, msg);
	for (int i = 0; i < 256; i++)
		CHECK_EQ(key2[i], 0);	/* wiped */
	return 0;
}

static int test_static_errors(void)
{
	char b[2048];
	size_t n;
	uint8_t key2[256];

	n = static_with(b, sizeof(b), 0, NULL);
	CHECK_EQ(ovpn_key_file_parse_static(b, n, key2, NULL), 0);
	CHECK_EQ(key2[17], 0x11);
	/* whitespace inside lines and CRLF are fine */
	n = static_with(b, sizeof(b), 5, " 0011 2233\t4455 6677 8899aabb ccddeeff\r");
	CHECK_EQ(ovpn_key_file_parse_static(b, n, key2, NULL), 0);

	CHECK(static_err("", 0, OVPN_KEY_FILE_E_NO_HEADER, 0,
			 "expected a line '-----BEGIN OpenVPN Static key V1-----', found none") == 0);
	n = (size_t)snprintf(b, sizeof(b), "-----BEGIN OpenVPN Static key V2-----\n00\n");
	CHECK(static_err(b, n, OVPN_KEY_FILE_E_NO_HEADER, 0,
			 "expected a line '-----BEGIN OpenVPN Static key V1-----', found none") == 0);
	n = static_with(b, sizeof(b), 7, "0011223344556677889zaabbccddeeff");
	CHECK(static_err(b, n, OVPN_KEY_FILE_E_HEX, 7,
			 "line 7: expected hex digits, found 'z'") == 0);
	n = static_with(b, sizeof(b), 3, "00112233445566778899aabbccddeef\x01");
	CHECK(static_err(b, n, OVPN_KEY_FILE_E_HEX, 3,
			 "line 3: expected hex digits, found 0x01") == 0);
	n = static_with(b, sizeof(b), 18, "00112233445566778899aabbccddeef");
	CHECK(static_err(b, n, OVPN_KEY_FILE_E_ODD_HEX, 19,
			 "line 19: expected an even number of hex digits, found an odd number") == 0);
	n = static_with(b, sizeof(b), 18, "00112233445566778899aabbccdd");
	CHECK(static_err(b, n, OVPN_KEY_FILE_E_LENGTH, 19,
			 "line 19: expected 256 bytes of key material, found 254") == 0);
	n = static_with(b, sizeof(b), 18, "00112233445566778899aabbccddeeff00");
	CHECK(static_err(b, n, OVPN_KEY_FILE_E_LENGTH, 18,
			 "line 18: expected 256 bytes of key material, found more") == 0);
	/* footer missing: file ends after the key lines */
	n = static_with(b, sizeof(b), 0, NULL);
	n -= strlen(OVPN_KEY_FILE_STATIC_FTR) + 1;
	CHECK(static_err(b, n, OVPN_KEY_FILE_E_NO_FOOTER, 18,
			 "line 18: expected '-----END OpenVPN Static key V1-----', found end of file") == 0);
	/* truncated anywhere: always an error, never a crash */
	n = static_with(b, sizeof(b), 0, NULL);
	for (size_t l = 0; l + 1 < n; l++)
		CHECK(ovpn_key_file_parse_static(b, l, key2, NULL) < 0);
	return 0;
}

static int test_v2_errors(void)
{
	uint8_t skey[128], kc[256], wkc[1024];
	struct ovpn_key_file_error e;
	char b[4096];
	size_t n, wlen;

	n = (size_t)snprintf(b, sizeof(b), "%s\nAAAA*AAA\n%s\n",
			     OVPN_KEY_FILE_V2S_HDR, OVPN_KEY_FILE_V2S_FTR);
	CHECK_EQ(ovpn_key_file_parse_v2_server(b, n, skey, &e), -OVPN_KEY_FILE_E_BASE64);
	CHECK_STR(e.msg, "line 2: expected base64 characters, found '*'");
	n = (size_t)snprintf(b, sizeof(b), "%s\nAAAAAA\n%s\n",
			     OVPN_KEY_FILE_V2S_HDR, OVPN_KEY_FILE_V2S_FTR);
	CHECK_EQ(ovpn_key_file_parse_v2_server(b, n, skey, &e), -OVPN_KEY_FILE_E_BASE64);
	CHECK_STR(e.msg, "line 3: expected base64 in groups of 4 characters, found 6 characters");
	n = (size_t)snprintf(b, sizeof(b), "%s\nAA==AA==\n%s\n",
			     OVPN_KEY_FILE_V2S_HDR, OVPN_KEY_FILE_V2S_FTR);
	CHECK_EQ(ovpn_key_file_parse_v2_server(b, n, skey, &e), -OVPN_KEY_FILE_E_BASE64);
	CHECK_STR(e.msg, "line 2: expected base64 characters, found 'A'");
	n = (size_t)snprintf(b, sizeof(b), "%s\nAAAA\n%s\n",
			     OVPN_KEY_FILE_V2S_HDR, OVPN_KEY_FILE_V2S_FTR);
	CHECK_EQ(ovpn_key_file_parse_v2_server(b, n, skey, &e), -OVPN_KEY_FILE_E_LENGTH);
	CHECK_STR(e.msg, "line 3: expected 128 bytes of key material, found 3");
	n = (size_t)snprintf(b, sizeof(b), "%s\nAAAA\n", OVPN_KEY_FILE_V2S_HDR);
	CHECK_EQ(ovpn_key_file_parse_v2_server(b, n, skey, &e), -OVPN_KEY_FILE_E_NO_FOOTER);
	CHECK_STR(e.msg, "line 2: expected '-----END OpenVPN tls-crypt-v2 server key-----', found end of file");
	/* a server key is not a client key */
	CHECK_EQ(load(DATA "srv.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(text, text_len, kc, wkc, sizeof(wkc),
					       &wlen, &e), -OVPN_KEY_FILE_E_NO_HEADER);
	CHECK_STR(e.msg, "expected a line '-----BEGIN OpenVPN tls-crypt-v2 client key-----', found none");
	n = (size_t)snprintf(b, sizeof(b), "%s\n", OVPN_KEY_FILE_V2C_HDR);
	for (int i = 0; i < 3; i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s\n",
				      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	n += (size_t)snprintf(b + n, sizeof(b) - n, "%s\n", OVPN_KEY_FILE_V2C_FTR);
	CHECK_EQ(ovpn_key_file_parse_v2_client(b, n, kc, wkc, sizeof(wkc), &wlen, &e),
		 -OVPN_KEY_FILE_E_LENGTH);
	CHECK_STR(e.msg, "line 5: expected at least 546 bytes (key + wrapped key), found 144");
	/* client key whose WKc length field lies */
	CHECK_EQ(load(DATA "cli.key"), 0);
	char *last = strstr(text, "4AEr");
	CHECK(last != NULL);
	last[3] = 's';		/* low byte 0x2b -> 0x2c */
	CHECK_EQ(ovpn_key_file_parse_v2_client(text, text_len, kc, wkc, sizeof(wkc),
					       &wlen, &e), -OVPN_KEY_FILE_E_WKC);
	CHECK_STR(e.msg, "line 14: expected a wrapped key of 299 bytes, its length field says 300");
	CHECK_EQ(load(DATA "cli.key"), 0);
	CHECK_EQ(ovpn_key_file_parse_v2_client(text, text_len, kc, wkc, 100, &wlen, &e),
		 -OVPN_KEY_FILE_E_NOSPACE);
	return 0;
}

static int test_load_errors(void)
{
	struct ovpn_key_file_error e;
	char small[16];
	size_t n;

	CHECK_EQ(ovpn_key_file_load(DATA "does-not-exist.key", text, sizeof(text),
				    &n, &e), -OVPN_KEY_FILE_E_IO);
	CHECK_STR(e.msg, DATA "does-not-exist.key: No such file or directory");
	CHECK_EQ(ovpn_key_file_load(DATA "ta.key", small, sizeof(small), &n, &e),
		 -OVPN_KEY_FILE_E_NOSPACE);
	for (int c = OVPN_KEY_FILE_E_NO_HEADER; c < OVPN_KEY_FILE_E_MAX; c++)
		CHECK(strcmp(ovpn_strerror(-c), "unknown error") != 0);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "files made by openvpn --genkey", test_openvpn_files },
	{ "writers reproduce openvpn's files", test_writers_match_openvpn },
	{ "generators round trip", test_generators },
	{ "static key errors with line and text", test_static_errors },
	{ "tls-crypt-v2 key errors with line and text", test_v2_errors },
	{ "load errors, error table", test_load_errors },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("key_file", cases);
}
