/* SPDX-License-Identifier: BSD-3-Clause */
/* The built-in CA (see sl_pki.h). */
#include <stdio.h>
#include <string.h>

#include "sl_pki.h"

static int fail(struct sl_pki_error *e, const char *what)
{
	if (e)
		snprintf(e->msg, sizeof(e->msg), "%s: not built yet", what);
	return -1;
}

int sl_pki_init(const char *dir, const struct sl_pki_init_opts *opts,
		struct sl_pki_error *e)
{
	(void)dir; (void)opts;
	return fail(e, "pki init");
}

struct sl_pki *sl_pki_load(const char *ca_crt, const char *ca_key,
			   struct sl_pki_error *e)
{
	(void)ca_crt; (void)ca_key;
	fail(e, "pki load");
	return NULL;
}

void sl_pki_free(struct sl_pki *p) { (void)p; }
const char *sl_pki_ca_pem(const struct sl_pki *p) { (void)p; return NULL; }

int sl_pki_issue(struct sl_pki *p, const char *cn, enum sl_pki_key_type kt,
		 unsigned days, const char *passphrase, struct sl_pki_cert *out,
		 struct sl_pki_error *e)
{
	(void)p; (void)cn; (void)kt; (void)days; (void)passphrase;
	memset(out, 0, sizeof(*out));
	return fail(e, "pki issue");
}

void sl_pki_cert_clear(struct sl_pki_cert *c) { memset(c, 0, sizeof(*c)); }

int sl_pki_crl(struct sl_pki *p, const struct sl_pki_revoked *r, size_t n,
	       unsigned next_days, const char *path, struct sl_pki_error *e)
{
	(void)p; (void)r; (void)n; (void)next_days; (void)path;
	return fail(e, "pki crl");
}

int sl_pki_tc2_client_key(const uint8_t *server_key, const char *username,
			  char *out, size_t cap, struct sl_pki_error *e)
{
	(void)server_key; (void)username; (void)out; (void)cap;
	return fail(e, "tls-crypt-v2 client key");
}

int sl_pki_tc2_client_key_file(const char *server_key_path, const char *username,
			       char *out, size_t cap, struct sl_pki_error *e)
{
	(void)server_key_path; (void)username; (void)out; (void)cap;
	return fail(e, "tls-crypt-v2 client key");
}

int sl_pki_tc2_meta_user(const uint8_t *meta, size_t len, char *out, size_t cap)
{
	(void)meta; (void)len; (void)out; (void)cap;
	return -1;
}

int sl_pki_cert_serial(const char *cert_pem, char out[SL_PKI_SERIAL_HEX_MAX],
		       time_t *not_after, struct sl_pki_error *e)
{
	(void)cert_pem; (void)out; (void)not_after;
	return fail(e, "certificate serial");
}
