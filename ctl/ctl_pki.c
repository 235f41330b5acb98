/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl pki init DIR: a new built-in CA on this machine (pki/sl_pki.h),
 * no daemon needed; prints the sluice.conf lines that use it
 * (docs/operations.md, "The built-in CA").
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sl_pki.h"

#define PKI_USAGE \
	"  pki init DIR [--cn NAME] [--ca-cn NAME] [--rsa] [--tls-crypt] [--tls-auth]\n" \
	"               make a CA, the server certificate (CN NAME) and the\n" \
	"               tls-crypt-v2 server key in DIR (runs locally)\n"

static void print_config(const char *dir, const struct sl_pki_init_opts *o)
{
	printf("Made the CA in %s (%s keys). Use it in sluice.conf:\n\n",
	       dir, o->key_type == SL_PKI_KEY_RSA ? "RSA-2048" : "ECDSA P-256");
	printf("pki: {\n");
	printf("  ca = \"%s/%s\";\n", dir, SL_PKI_CA_CRT);
	printf("  cert = \"%s/%s\";\n", dir, SL_PKI_SERVER_CRT);
	printf("  key = \"%s/%s\";\n", dir, SL_PKI_SERVER_KEY);
	printf("  crl = \"%s/%s\";\n", dir, SL_PKI_CRL);
	printf("  ca_key = \"%s/%s\";\n", dir, SL_PKI_CA_KEY);
	printf("  key_type = \"%s\";\n", o->key_type == SL_PKI_KEY_RSA ? "rsa" : "ec");
	printf("  # One wrapping: tls-crypt-v2 gives each user a key of their own\n");
	printf("  # (OpenVPN 2.5+ clients).\n");
	printf("  tls_crypt_v2 = \"%s/%s\";\n", dir, SL_PKI_TC2_SERVER_KEY);
	if (o->tls_crypt)
		printf("  # tls_crypt = \"%s/%s\";\n", dir, SL_PKI_TC_KEY);
	if (o->tls_auth)
		printf("  # tls_auth = \"%s/%s\";\n  # tls_auth_direction = \"0\";\n",
		       dir, SL_PKI_TA_KEY);
	printf("};\n\nKeep %s/%s secret: it signs every certificate.\n", dir, SL_PKI_CA_KEY);
}

static int pki_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cn", required_argument, NULL, 'n' },
		{ "ca-cn", required_argument, NULL, 'N' },
		{ "rsa", no_argument, NULL, 'r' },
		{ "tls-crypt", no_argument, NULL, 'c' },
		{ "tls-auth", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct sl_pki_init_opts o = { 0 };
	struct sl_pki_error e = { "" };
	char dir[PATH_MAX];
	int c;

	optind = 0;	/* a fresh scan of init's own words (GNU getopt) */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.server_cn = optarg; break;
		case 'N': o.ca_cn = optarg; break;
		case 'r': o.key_type = SL_PKI_KEY_RSA; break;
		case 'c': o.tls_crypt = true; break;
		case 'a': o.tls_auth = true; break;
		default: return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: sluicectl\n" PKI_USAGE);
		return 2;
	}
	if (sl_pki_init(argv[optind], &o, &e) < 0) {
		fprintf(stderr, "sluicectl: pki init: %s\n", e.msg);
		return 1;
	}
	if (!realpath(argv[optind], dir))
		snprintf(dir, sizeof(dir), "%s", argv[optind]);
	print_config(dir, &o);
	return 0;
}

static int run_pki(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return pki_init(argc - 1, argv + 1);
	fprintf(stderr, "usage: sluicectl\n" PKI_USAGE);
	return 2;
}

const struct ctl_cmd ctl_pki_cmds[] = {
	{ "pki", PKI_USAGE, run_pki },
	{ NULL, NULL, NULL }
};
