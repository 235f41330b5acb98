/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PKI_H
#define SL_PKI_H

/*
 * The built-in CA (docs/operations.md, "The built-in CA"): everything an
 * operator needs to run Sluice without easy-rsa, made through OpenSSL's
 * X509 and EVP APIs (no shelling out).
 *
 *   sl_pki_init      a new CA folder: CA, server certificate, tls-crypt-v2
 *                    server key (plus tls-crypt / tls-auth keys on request),
 *                    an empty CRL
 *   sl_pki_load      the CA certificate and key, for issuing
 *   sl_pki_issue     a client certificate, CN = username, clientAuth EKU
 *   sl_pki_crl       a signed CRL of the revoked serials, written atomically
 *   sl_pki_tc2_client_key
 *                    a per-user tls-crypt-v2 client key whose metadata
 *                    (type USER, OpenVPN src/openvpn/tls_crypt.c) names the
 *                    user, so the server can refuse a disabled user at the
 *                    wrapping check, before any TLS work
 *
 * Keys are ECDSA P-256 by default, RSA-2048 on request. Serials are 128
 * random bits (RFC 5280 4.1.2.2 allows up to 20 octets; CA/B Forum asks for
 * at least 64 bits of randomness). Files holding keys are 0600, the folder
 * 0700. Errors fill struct sl_pki_error with a sentence naming the file or
 * the field; nothing here exits or logs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* File names sl_pki_init makes in its folder. */
#define SL_PKI_CA_CRT		"ca.crt"
#define SL_PKI_CA_KEY		"ca.key"
#define SL_PKI_SERVER_CRT	"server.crt"
#define SL_PKI_SERVER_KEY	"server.key"
#define SL_PKI_TC2_SERVER_KEY	"tls-crypt-v2-server.key"
#define SL_PKI_TC_KEY		"tls-crypt.key"
#define SL_PKI_TA_KEY		"tls-auth.key"
#define SL_PKI_CRL		"crl.pem"

#define SL_PKI_SERIAL_HEX_MAX	41	/* 20 octets as hex + NUL */
#define SL_PKI_CN_MAX		64	/* RFC 5280 ub-common-name */
#define SL_PKI_DEFAULT_CERT_DAYS	825
#define SL_PKI_DEFAULT_CA_DAYS		3650
#define SL_PKI_DEFAULT_CRL_DAYS		180
#define SL_PKI_TC2_CLIENT_TEXT_MAX	2048	/* = OVPN_KEY_FILE_V2_TEXT_MAX */

enum sl_pki_key_type {
	SL_PKI_KEY_EC = 0,	/* ECDSA P-256 (prime256v1) */
	SL_PKI_KEY_RSA,		/* RSA-2048 */
};

struct sl_pki_error {
	char msg[256];
};

struct sl_pki_init_opts {
	const char *ca_cn;		/* NULL: "Sluice CA" */
	const char *server_cn;		/* NULL: "sluice" */
	enum sl_pki_key_type key_type;	/* CA and server key */
	unsigned ca_days;		/* 0: SL_PKI_DEFAULT_CA_DAYS */
	unsigned server_days;		/* 0: SL_PKI_DEFAULT_CERT_DAYS */
	unsigned crl_days;		/* CRL nextUpdate; 0: SL_PKI_DEFAULT_CRL_DAYS */
	bool tls_crypt;			/* also SL_PKI_TC_KEY (static key V1) */
	bool tls_auth;			/* also SL_PKI_TA_KEY (static key V1) */
};

/*
 * Create DIR (0700; an existing empty folder is used) and the files above
 * (0600, the CRL and certificates too: the operator loosens them if
 * wanted). Refuses, changing nothing, when DIR already holds a CA
 * (ca.crt or ca.key). 0 or -1 with *e filled.
 */
int sl_pki_init(const char *dir, const struct sl_pki_init_opts *opts,
		struct sl_pki_error *e);

/* A loaded CA: its certificate and private key (checked to match). */
struct sl_pki;

struct sl_pki *sl_pki_load(const char *ca_crt, const char *ca_key,
			   struct sl_pki_error *e);
void sl_pki_free(struct sl_pki *p);

/* The CA certificate as PEM (owned by p; for profiles' <ca> block). */
const char *sl_pki_ca_pem(const struct sl_pki *p);

/* An issued client certificate. Strings are malloc'd; clear with
 * sl_pki_cert_clear, which wipes the key text. */
struct sl_pki_cert {
	char *cert_pem;
	char *key_pem;			/* unencrypted PKCS#8 */
	char *key_pem_enc;		/* PKCS#8 under the passphrase, or NULL */
	char serial[SL_PKI_SERIAL_HEX_MAX];	/* upper-case hex, no colons */
	time_t not_after;
};

/*
 * Issue a client certificate: subject CN = cn (1..64 printable bytes, no
 * control characters), a fresh key of type kt, valid from now - 1 h to
 * now + days (days 1..36500), keyUsage digitalSignature(+keyAgreement for
 * EC; keyEncipherment for RSA), EKU clientAuth, subject/authority key id.
 * With passphrase != NULL (>= 4 bytes) key_pem_enc holds the key encrypted
 * with AES-256-CBC (PKCS#8 PBES2 with PBKDF2, which openvpn opens with
 * the passphrase from askpass). 0 or -1 with *e filled and *out cleared.
 */
int sl_pki_issue(struct sl_pki *p, const char *cn, enum sl_pki_key_type kt,
		 unsigned days, const char *passphrase, struct sl_pki_cert *out,
		 struct sl_pki_error *e);
void sl_pki_cert_clear(struct sl_pki_cert *c);

/* One revoked certificate for the CRL. */
struct sl_pki_revoked {
	char serial[SL_PKI_SERIAL_HEX_MAX];	/* hex, as sl_pki_cert.serial */
	time_t when;				/* revocation time */
};

/*
 * Write a CRL signed by the CA listing r[0..n) to PATH: lastUpdate now,
 * nextUpdate now + next_days (0: SL_PKI_DEFAULT_CRL_DAYS), a CRL number
 * (the current time, so it grows), authority key id. Atomic: a temporary
 * file in PATH's folder, fsync, rename, fsync of the folder; mode 0644.
 * A malformed serial is refused naming its index. 0 or -1.
 */
int sl_pki_crl(struct sl_pki *p, const struct sl_pki_revoked *r, size_t n,
	       unsigned next_days, const char *path, struct sl_pki_error *e);

/*
 * The nextUpdate of the CRL at PATH into *next (Unix time). 0, or -1 with
 * *e filled when it cannot be read or has no nextUpdate. An expired CRL
 * makes the TLS check refuse every client certificate, so a CRL that only
 * revocations rewrite must also be renewed before then (cp_api_users.c).
 */
int sl_pki_crl_next_update(const char *path, time_t *next, struct sl_pki_error *e);

/*
 * Call FN for each certificate the CRL at PATH revokes (serial as upper-case
 * hex, as sl_pki_cert.serial; revocation time), so a CRL written again keeps
 * what another writer put on it. 0, FN's first non-zero return, or -1 with
 * *e filled when the file cannot be read as a PEM CRL.
 */
int sl_pki_crl_each(const char *path, int (*fn)(const char *serial, time_t when, void *arg),
		    void *arg, struct sl_pki_error *e);

/*
 * A tls-crypt-v2 client key for USERNAME, as `openvpn --genkey
 * tls-crypt-v2-client` writes it: a fresh Kc wrapped under the server key
 * (128 bytes, OVPN_V2_SERVER_KEY_LEN) with metadata 0x00 (USER) followed by
 * the username's bytes. out gets NUL-terminated text; returns its length
 * or -1 with *e filled.
 */
int sl_pki_tc2_client_key(const uint8_t *server_key, const char *username,
			  char *out, size_t cap, struct sl_pki_error *e);
/* The same from the server key file (`openvpn --genkey tls-crypt-v2-server`). */
int sl_pki_tc2_client_key_file(const char *server_key_path, const char *username,
			       char *out, size_t cap, struct sl_pki_error *e);

/*
 * The user a tls-crypt-v2 metadata block names: type USER (0x00) followed
 * by 1..SL_PKI_CN_MAX bytes. Copies them NUL-terminated into out (cap >
 * SL_PKI_CN_MAX) and returns 0; -1 for another type, an empty or too long
 * name, or a NUL or control byte in it.
 */
int sl_pki_tc2_meta_user(const uint8_t *meta, size_t len, char *out, size_t cap);

/*
 * Serial of a PEM certificate as sl_pki_cert.serial (for certificates the
 * operator brings from an external CA). 0 or -1.
 */
int sl_pki_cert_serial(const char *cert_pem, char out[SL_PKI_SERIAL_HEX_MAX],
		       time_t *not_after, struct sl_pki_error *e);

#endif
