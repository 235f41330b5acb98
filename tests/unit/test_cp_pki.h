/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TEST_CP_PKI_H
#define SL_TEST_CP_PKI_H

/*
 * A throw-away PKI for the control-plane unit tests, made with OpenSSL
 * calls in a temporary folder: a CA, the server's certificate and key, a
 * client certificate and key ("client1"), and a tls-crypt key.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cfg.h"
#include "ovpn_wrap.h"

struct cp_test_pki {
	char dir[32];
	EVP_PKEY *ca_key, *cli_key;
	X509 *ca, *cli_cert;
	uint8_t tc_key[OVPN_KEY2_LEN];	/* the tls-crypt key's bytes */
};

/* Make it and point pki's ca, cert, key and tls_crypt at its files; 0 or -1. */
int cp_test_pki_make(struct cp_test_pki *t, struct cfg_pki *pki);
/* Another client certificate (client1's key) for SUBJECT, signed by the CA. */
X509 *cp_test_pki_client(struct cp_test_pki *t, const X509_NAME *subject);
/* A CRL of the CA revoking REVOKED[0..n) into its folder (a new file
 * each time), pki->crl pointed at it; 0 or -1. */
int cp_test_pki_crl(struct cp_test_pki *t, struct cfg_pki *pki, X509 *const *revoked,
		    unsigned n);
/* Free it and remove its folder. */
void cp_test_pki_free(struct cp_test_pki *t);

#endif
