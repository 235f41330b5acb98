/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pki_render: test_pki_interop.sh's hands on pki/ (no daemon):
 *
 *   pki_render CADIR USER OUTDIR tc2|tc|ta udp|tcp ec|rsa
 *
 * makes the CA in CADIR if it is not there (sl_pki_init with tls-crypt and
 * tls-auth keys, server CN "vpn.example.com"), issues USER a certificate,
 * and writes OUTDIR/inline.ovpn (remote 127.0.0.1 11940), the split
 * profile in OUTDIR/split (with a passphrase copy of the key, passphrase
 * "interop-pass"), and OUTDIR/revoked.pem, a CRL revoking that certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_key_file.h"
#include "sl_pki.h"
#include "sl_profile.h"

static char *slurp(const char *path)
{
	char buf[OVPN_KEY_FILE_MAX];
	struct ovpn_key_file_error ke;
	size_t n;

	if (ovpn_key_file_load(path, buf, sizeof(buf) - 1, &n, &ke) < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static int wrap_key(const char *ca, const char *mode, const char *user,
		    struct sl_profile *p, struct sl_pki_error *e)
{
	static char tc2[SL_PKI_TC2_CLIENT_TEXT_MAX];
	char path[512];

	if (strcmp(mode, "tc2") == 0) {
		snprintf(path, sizeof(path), "%s/%s", ca, SL_PKI_TC2_SERVER_KEY);
		p->wrap = SL_PROFILE_WRAP_TC2;
		p->wrap_key = tc2;
		return sl_pki_tc2_client_key_file(path, user, tc2, sizeof(tc2), e) < 0 ? -1 : 0;
	}
	snprintf(path, sizeof(path), "%s/%s", ca,
		 strcmp(mode, "tc") == 0 ? SL_PKI_TC_KEY : SL_PKI_TA_KEY);
	p->wrap = strcmp(mode, "tc") == 0 ? SL_PROFILE_WRAP_TC : SL_PROFILE_WRAP_TA;
	p->key_direction = p->wrap == SL_PROFILE_WRAP_TA ? 1 : -1;
	p->wrap_key = slurp(path);
	return p->wrap_key ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sl_pki_init_opts o = { .server_cn = "vpn.example.com", .tls_crypt = true,
				      .tls_auth = true };
	struct sl_profile_remote r = { "127.0.0.1", 11940, false };
	struct sl_profile p = { .remotes = &r, .n_remotes = 1, .key_direction = -1,
				.data_ciphers = "AES-256-GCM:AES-128-GCM",
				.cipher = "AES-256-GCM", .auth = "SHA256",
				.server_cn = "vpn.example.com" };
	struct sl_pki_error e = { "" };
	struct sl_pki_cert c;
	struct sl_pki_revoked rev = { "", 0 };
	struct sl_pki *ca;
	char crt[512], key[512], out[512];
	char *text;
	FILE *f;

	if (argc != 7) {
		fprintf(stderr, "usage: pki_render CADIR USER OUTDIR tc2|tc|ta udp|tcp ec|rsa\n");
		return 2;
	}
	o.key_type = strcmp(argv[6], "rsa") == 0 ? SL_PKI_KEY_RSA : SL_PKI_KEY_EC;
	r.tcp = strcmp(argv[5], "tcp") == 0;
	p.user = argv[2];
	snprintf(crt, sizeof(crt), "%s/%s", argv[1], SL_PKI_CA_CRT);
	snprintf(key, sizeof(key), "%s/%s", argv[1], SL_PKI_CA_KEY);
	snprintf(out, sizeof(out), "%s/inline.ovpn", argv[3]);
	if ((sl_pki_init(argv[1], &o, &e) < 0 && !strstr(e.msg, "already holds a CA")) ||
	    !(ca = sl_pki_load(crt, key, &e)) ||
	    sl_pki_issue(ca, argv[2], o.key_type, 30, "interop-pass", &c, &e) < 0 ||
	    wrap_key(argv[1], argv[4], argv[2], &p, &e) < 0)
		goto fail;
	p.ca_pem = sl_pki_ca_pem(ca);
	p.cert_pem = c.cert_pem;
	p.key_pem = c.key_pem;
	if (!(text = sl_profile_render(&p, &e)) || !(f = fopen(out, "w")))
		goto fail;
	fputs(text, f);
	fclose(f);
	snprintf(out, sizeof(out), "%s/split", argv[3]);
	if (sl_profile_split(&p, out, c.key_pem_enc, NULL, &e) < 0)
		goto fail;
	snprintf(rev.serial, sizeof(rev.serial), "%s", c.serial);
	rev.when = 1700000000;
	snprintf(out, sizeof(out), "%s/revoked.pem", argv[3]);
	if (sl_pki_crl(ca, &rev, 1, 1, out, &e) < 0)
		goto fail;
	printf("%s\n", c.serial);
	return 0;
fail:
	fprintf(stderr, "pki_render: %s\n", e.msg[0] ? e.msg : "failed");
	return 1;
}
