/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_KEY_FILE_H
#define OVPN_KEY_FILE_H

/*
 * Key files for tls-auth / tls-crypt / tls-crypt-v2
 * (OpenVPN src/openvpn/crypto.c read_key_file, write_key_file; tls_crypt.c
 * for the tls-crypt-v2 keys).
 *
 * Static key (openvpn --genkey secret), 256 bytes as hex; text before the
 * header and after the footer is ignored, whitespace inside is ignored:
 *
 *   #
 *   # 2048 bit OpenVPN static key
 *   #
 *   -----BEGIN OpenVPN Static key V1-----
 *   da02dc08e53a8dd573fc85f4307fdc06          16 lines x 16 bytes
 *   ...
 *   -----END OpenVPN Static key V1-----
 *
 * tls-crypt-v2 keys: PEM-like, base64 body (any line length on input,
 * 64 characters per line on output):
 *
 *   -----BEGIN OpenVPN tls-crypt-v2 server key-----   128 bytes (Ke | Ka slots)
 *   -----BEGIN OpenVPN tls-crypt-v2 client key-----   Kc (256) | WKc
 *
 * Parsers take the file contents (not NUL-terminated), report the first
 * error as a negative OVPN_KEY_FILE_E_* code and fill struct
 * ovpn_key_file_error with the 1-based line and a sentence saying what was
 * expected and what was found. Output key buffers are wiped on failure.
 * Reentrant; no global state.
 */
#include <stddef.h>
#include <stdint.h>

#include "ovpn_err.h"
#include "ovpn_wrap_v2.h"

#define OVPN_KEY_FILE_STATIC_HDR "-----BEGIN OpenVPN Static key V1-----"
#define OVPN_KEY_FILE_STATIC_FTR "-----END OpenVPN Static key V1-----"
#define OVPN_KEY_FILE_V2S_HDR "-----BEGIN OpenVPN tls-crypt-v2 server key-----"
#define OVPN_KEY_FILE_V2S_FTR "-----END OpenVPN tls-crypt-v2 server key-----"
#define OVPN_KEY_FILE_V2C_HDR "-----BEGIN OpenVPN tls-crypt-v2 client key-----"
#define OVPN_KEY_FILE_V2C_FTR "-----END OpenVPN tls-crypt-v2 client key-----"
#define OVPN_KEY_FILE_MAX	16384	/* largest file the loaders read */
#define OVPN_KEY_FILE_STATIC_TEXT_MAX	1024	/* generated static key text */
#define OVPN_KEY_FILE_V2_TEXT_MAX	2048	/* generated v2 key text */

/* Failures: negative OVPN_KEY_FILE_E_* codes, listed in ovpn_err.h. */

struct ovpn_key_file_error {
	int code;		/* negative OVPN_KEY_FILE_E_* or 0 */
	unsigned line;		/* 1-based; 0 when not about a line */
	char msg[192];		/* "line 7: expected hex digits, found 'z'" */
};

/* Read a whole file (< OVPN_KEY_FILE_MAX bytes) into buf; *len = size. */
int ovpn_key_file_load(const char *path, char *buf, size_t cap, size_t *len,
		       struct ovpn_key_file_error *e);

int ovpn_key_file_parse_static(const char *text, size_t len,
			       uint8_t key2[OVPN_KEY2_LEN],
			       struct ovpn_key_file_error *e);
int ovpn_key_file_parse_v2_server(const char *text, size_t len,
				  uint8_t key[OVPN_V2_SERVER_KEY_LEN],
				  struct ovpn_key_file_error *e);
/* Client key: Kc and the WKc that follows it (checked for its length field). */
int ovpn_key_file_parse_v2_client(const char *text, size_t len,
				  uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				  uint8_t *wkc, size_t wkc_cap, size_t *wkc_len,
				  struct ovpn_key_file_error *e);

/*
 * Writers return the text length (NUL-terminated, not counted) or
 * -OVPN_KEY_FILE_E_NOSPACE. Output matches openvpn --genkey.
 */
int ovpn_key_file_write_static(const uint8_t key2[OVPN_KEY2_LEN],
			       char *out, size_t cap);
int ovpn_key_file_write_v2_server(const uint8_t key[OVPN_V2_SERVER_KEY_LEN],
				  char *out, size_t cap);
int ovpn_key_file_write_v2_client(const uint8_t kc[OVPN_V2_CLIENT_KEY_LEN],
				  const uint8_t *wkc, size_t wkc_len,
				  char *out, size_t cap);

/*
 * Generators: fresh random keys written as text (for tests and
 * provisioning). gen_v2_client wraps a new Kc with the server context and
 * the given metadata (e.g. from ovpn_wrap_v2_meta_timestamp).
 */
int ovpn_key_file_gen_static(char *out, size_t cap);
int ovpn_key_file_gen_v2_server(char *out, size_t cap);
int ovpn_key_file_gen_v2_client(struct ovpn_wrap_v2_server *s,
				const uint8_t *meta, size_t meta_len,
				char *out, size_t cap);

#endif
