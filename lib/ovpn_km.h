/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_KM_H
#define OVPN_KM_H

/*
 * Key method 2: the first TLS application-data message in each direction
 * of every key state (OpenVPN src/openvpn/ssl.c key_method_2_write,
 * key_method_2_read).
 *
 * Client -> server (a default 2.6.14 client sends 399 bytes):
 *
 *   0        4   5                 53           85           117
 *   +--------+---+-----------------+------------+------------+
 *   |00000000|02 | pre_master (48) | random1(32)| random2(32)|
 *   +--------+---+-----------------+------------+------------+
 *   | u16 len | options "V4,dev-type tun,..." NUL |   (required)
 *   | u16 len | username NUL                      |   (00 00 = absent)
 *   | u16 len | password NUL                      |   (00 00 = absent)
 *   | u16 len | peer-info "IV_VER=...\n..." NUL   |   (00 00 = absent)
 *
 * Server -> client: the same without pre_master; a 2.6 server in server
 * mode sends empty username, password and peer-info (178 bytes in all).
 *
 * String encoding: big-endian u16 length that counts the trailing NUL;
 * length 0 means "absent" and no byte follows. A string of length 1 (only
 * the NUL) is read as absent too; for the options string both are an
 * error. The three trailing strings may be missing altogether (older
 * peers end the message after options).
 *
 * The first four bytes are ignored by OpenVPN's reader and the key-method
 * byte is checked on its low four bits only; we do the same so that a
 * peer that OpenVPN accepts is accepted here too.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVPN_KM_METHOD			2
#define OVPN_KM_METHOD_MASK		0x0F
#define OVPN_KM_PRE_MASTER_LEN		48
#define OVPN_KM_RANDOM_LEN		32
/* Bounds below count the trailing NUL, as the wire length does. */
#define OVPN_KM_OPTIONS_MAX		512	/* TLS_OPTIONS_LEN */
#define OVPN_KM_CRED_MAX		4096	/* USER_PASS_LEN, Debian build */
#define OVPN_KM_PEERINFO_MAX		4096
/* Largest message ovpn_km_build_* can produce (client form). */
#define OVPN_KM_MSG_MAX	(4 + 1 + OVPN_KM_PRE_MASTER_LEN + 2 * OVPN_KM_RANDOM_LEN + \
			 4 * 2 + OVPN_KM_OPTIONS_MAX + 2 * OVPN_KM_CRED_MAX + \
			 OVPN_KM_PEERINFO_MAX)

/* Flags reported by ovpn_km_parse_client(). */
#define OVPN_KM_F_HAS_USER		0x01	/* username present */
#define OVPN_KM_F_HAS_PASS		0x02	/* password present */
#define OVPN_KM_F_HAS_PEERINFO		0x04	/* peer-info present */
/*
 * Username or password longer than OVPN_KM_CRED_MAX. OpenVPN does not
 * drop the key state for this: it marks authentication failed so the
 * server can still answer with AUTH_FAILED (ssl.c key_method_2_read). We
 * mirror that: the parse succeeds, both credentials are left empty and
 * this flag is set.
 */
#define OVPN_KM_F_CRED_TOO_LONG		0x08

/* The client's key-method-2 message. Holds secrets: wipe or free it. */
struct ovpn_km_client {
	uint8_t pre_master[OVPN_KM_PRE_MASTER_LEN];
	uint8_t random1[OVPN_KM_RANDOM_LEN];
	uint8_t random2[OVPN_KM_RANDOM_LEN];
	unsigned flags;			/* OVPN_KM_F_* */
	char options[OVPN_KM_OPTIONS_MAX];
	char username[OVPN_KM_CRED_MAX];
	char password[OVPN_KM_CRED_MAX];
	char peer_info[OVPN_KM_PEERINFO_MAX];
	size_t peer_info_len;		/* strlen(peer_info) */
};

/*
 * The server's message. Strings are borrowed; NULL peer_info is sent as
 * an empty field (what a 2.6 server does).
 */
struct ovpn_km_server {
	uint8_t random1[OVPN_KM_RANDOM_LEN];
	uint8_t random2[OVPN_KM_RANDOM_LEN];
	const char *options;
	const char *peer_info;
};

/*
 * Parse the client's key-method-2 message from buf[0..len).
 * Returns the number of bytes consumed (bytes after peer-info are left to
 * the caller), or a negative errno:
 *   -EINVAL    NULL argument
 *   -EBADMSG   truncated message or malformed string (missing NUL,
 *              embedded NUL, absent options string)
 *   -EPROTO    key method other than 2
 *   -EMSGSIZE  options or peer-info longer than its bound
 * *reason (if reason != NULL) is set to a static description on failure.
 * On failure km is wiped. Thread-safe (no shared state).
 */
int ovpn_km_parse_client(const uint8_t *buf, size_t len,
			 struct ovpn_km_client *km, const char **reason);

/*
 * Parse a server's message (used by tests and a future client mode):
 * fills random1/random2 and copies options into opts[0..opts_cap).
 * Same return values as ovpn_km_parse_client().
 */
int ovpn_km_parse_server(const uint8_t *buf, size_t len,
			 uint8_t random1[OVPN_KM_RANDOM_LEN],
			 uint8_t random2[OVPN_KM_RANDOM_LEN],
			 char *opts, size_t opts_cap, const char **reason);

/*
 * Build the server's message into out[0..cap). Returns its length, or
 * -EINVAL (NULL or over-long options/peer-info), -ENOSPC (cap too small).
 */
int ovpn_km_build_server(const struct ovpn_km_server *srv, uint8_t *out,
			 size_t cap);

/*
 * Build a client message (tests, fuzz seeds, a future client mode).
 * username/password/peer_info may be NULL (sent as 00 00). Same returns.
 */
int ovpn_km_build_client(const struct ovpn_km_client *km, const char *username,
			 const char *password, const char *peer_info,
			 uint8_t *out, size_t cap);

/* Fill random1/random2 from the OpenSSL DRBG. 0 or -EIO. */
int ovpn_km_server_randomize(struct ovpn_km_server *srv);

/* Heap copy for long-lived key states; NULL on allocation failure. */
struct ovpn_km_client *ovpn_km_client_new(void);

/* OPENSSL_cleanse the whole struct (pre-master and password included). */
void ovpn_km_client_wipe(struct ovpn_km_client *km);

/* Wipe and free; NULL is a no-op. */
void ovpn_km_client_free(struct ovpn_km_client *km);

#endif
