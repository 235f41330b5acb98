/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NCP selection against a numbered table of cases following 2.6's
 * ncp_get_best_cipher / multi_client_set_protocol_options (OpenVPN
 * src/openvpn/ssl_ncp.c, multi.c).
 */
#include <errno.h>
#include <string.h>

#include "ovpn_ncp.h"
#include "sl_test.h"

#define SRV_DEFAULT	"AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305"

struct ncp_case {
	const char *server;	/* data-ciphers */
	const char *peer_info;	/* NULL: client sent none */
	const char *occ;	/* OCC cipher or NULL */
	const char *fallback;
	int rc;
	const char *cipher;	/* expected, when rc == 0 */
	enum ovpn_ncp_source src;
	bool push;
};

static const struct ncp_case cases_tab[] = {
	/* 1: default 2.6 client, default server */
	{ SRV_DEFAULT, "IV_NCP=2\nIV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\n",
	  NULL, NULL, 0, "AES-256-GCM", OVPN_NCP_SRC_IV_CIPHERS, true },
	/* 2: server preference wins over client order */
	{ "CHACHA20-POLY1305:AES-256-GCM", "IV_CIPHERS=AES-256-GCM:CHACHA20-POLY1305\n",
	  NULL, NULL, 0, "CHACHA20-POLY1305", OVPN_NCP_SRC_IV_CIPHERS, true },
	/* 3: only a later server entry is shared */
	{ SRV_DEFAULT, "IV_CIPHERS=AES-128-GCM\n", NULL, NULL, 0, "AES-128-GCM",
	  OVPN_NCP_SRC_IV_CIPHERS, true },
	/* 4: no common entry in the lists */
	{ "AES-256-GCM", "IV_CIPHERS=CHACHA20-POLY1305\n", NULL, NULL, -ENOENT,
	  NULL, 0, false },
	/* 5: IV_CIPHERS present: its OCC cipher is not trusted */
	{ "AES-256-CBC:AES-256-GCM", "IV_CIPHERS=AES-128-GCM\n", "AES-256-CBC",
	  NULL, -ENOENT, NULL, 0, false },
	/* 6: 2.4 client, IV_NCP=2 only -> implied AES-GCM list */
	{ SRV_DEFAULT, "IV_NCP=2\n", NULL, NULL, 0, "AES-256-GCM",
	  OVPN_NCP_SRC_IV_NCP, true },
	/* 7: IV_NCP=2 but server has only CHACHA */
	{ "CHACHA20-POLY1305", "IV_NCP=2\n", NULL, NULL, -ENOENT, NULL, 0, false },
	/* 8: IV_NCP=2 and an OCC cipher the server lists first */
	{ "AES-256-CBC:AES-256-GCM", "IV_NCP=2\n", "AES-256-CBC", NULL, 0,
	  "AES-256-CBC", OVPN_NCP_SRC_OCC, true },
	/* 9: 2.3 client: no NCP, OCC cipher in data-ciphers */
	{ "AES-256-GCM:AES-256-CBC", "IV_VER=2.3.18\n", "AES-256-CBC", NULL, 0,
	  "AES-256-CBC", OVPN_NCP_SRC_OCC, false },
	/* 10: 2.3 client, OCC cipher neither allowed nor the fallback */
	{ SRV_DEFAULT, "IV_VER=2.3.18\n", "BF-CBC", "AES-256-CBC", -ENOENT, NULL, 0,
	  false },
	/* 11: client told nothing, fallback configured */
	{ SRV_DEFAULT, "IV_VER=2.3.18\n", NULL, "AES-256-CBC", 0, "AES-256-CBC",
	  OVPN_NCP_SRC_FALLBACK, false },
	/* 12: client told nothing, no fallback */
	{ SRV_DEFAULT, NULL, NULL, NULL, -ENOENT, NULL, 0, false },
	/* 13: IV_NCP=1 is not NCP */
	{ SRV_DEFAULT, "IV_NCP=1\n", NULL, NULL, -ENOENT, NULL, 0, false },
	/* 14: names compared without case; client spelling returned */
	{ "aes-256-gcm", "IV_CIPHERS=AES-256-GCM\n", NULL, NULL, 0, "AES-256-GCM",
	  OVPN_NCP_SRC_IV_CIPHERS, true },
	/* 15: empty entries in the server list are skipped */
	{ "::AES-128-GCM:", "IV_CIPHERS=AES-128-GCM\n", NULL, NULL, 0,
	  "AES-128-GCM", OVPN_NCP_SRC_IV_CIPHERS, true },
	/* 16: prefix of a name is not a match */
	{ "AES-256-GCM", "IV_CIPHERS=AES-256-GCM-X:AES-256\n", NULL, NULL,
	  -ENOENT, NULL, 0, false },
	/* 17: empty IV_CIPHERS: NCP capable, nothing shared, OCC ignored */
	{ SRV_DEFAULT, "IV_CIPHERS=\n", "AES-256-GCM", "AES-256-GCM", -ENOENT,
	  NULL, 0, false },
	/* 18: empty server list */
	{ "", "IV_CIPHERS=AES-256-GCM\n", NULL, NULL, -ENOENT, NULL, 0, false },
	/* 19: empty OCC cipher is the same as none -> fallback */
	{ SRV_DEFAULT, NULL, "", "AES-128-GCM", 0, "AES-128-GCM",
	  OVPN_NCP_SRC_FALLBACK, false },
	/* 20: the profile "cipher AES-256-CBC" on a 2.3 client, an AEAD-only
	 * data-ciphers and that fallback: the fallback (any spelling) */
	{ SRV_DEFAULT, "IV_VER=2.3.18\n", "aes-256-cbc", "AES-256-CBC", 0, "AES-256-CBC",
	  OVPN_NCP_SRC_FALLBACK, false },
	/* 21: a 2.4 client without NCP and without peer-info ciphers, no OCC
	 * cipher either: the fallback, not pushed */
	{ SRV_DEFAULT, "IV_VER=2.4.0\nIV_PROTO=2\n", NULL, "AES-128-CBC", 0, "AES-128-CBC",
	  OVPN_NCP_SRC_FALLBACK, false },
};

static int run_case(size_t i, const struct ncp_case *c)
{
	struct ovpn_peerinfo pi;
	struct ovpn_ncp_result res;
	const char *why = NULL;
	int rc;

	if (c->peer_info != NULL &&
	    ovpn_peerinfo_parse(c->peer_info, strlen(c->peer_info), &pi,
				NULL) != 0)
		return -1;
	rc = ovpn_ncp_select(c->server, c->peer_info ? &pi : NULL, c->occ,
			     c->fallback, &res, &why);
	if (rc != c->rc)
		goto fail;
	if (rc < 0)
		return why != NULL && !res.push ? 0 : -1;
	if (strcmp(res.cipher, c->cipher) != 0 || res.source != c->src ||
	    res.push != c->push)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "case %zu: rc %d cipher '%s' src %d push %d why %s\n",
		i + 1, rc, res.cipher, res.source, res.push, why ? why : "-");
	return -1;
}

static int test_table(void)
{
	for (size_t i = 0; i < sizeof(cases_tab) / sizeof(cases_tab[0]); i++)
		CHECK_EQ(run_case(i, &cases_tab[i]), 0);
	return 0;
}

static int test_reasons(void)
{
	struct ovpn_peerinfo pi;
	struct ovpn_ncp_result res;
	const char *why = NULL;
	char longname[100];

	CHECK_EQ(ovpn_ncp_select(SRV_DEFAULT, NULL, NULL, NULL, &res, &why),
		 -ENOENT);
	CHECK_STR(why, "no NCP or OCC cipher data received from peer");
	CHECK_EQ(ovpn_ncp_select("X", NULL, "Y", NULL, &res, &why), -ENOENT);
	CHECK_STR(why, "client's OCC cipher is not in data-ciphers");
	CHECK_EQ(ovpn_ncp_select("X", NULL, "Y", "Z", &res, &why), -ENOENT);
	CHECK_STR(why, "client's OCC cipher is neither in data-ciphers nor the fallback");
	CHECK_EQ(ovpn_peerinfo_parse("IV_CIPHERS=Y", 12, &pi, NULL), 0);
	CHECK_EQ(ovpn_ncp_select("X", &pi, NULL, NULL, &res, &why), -ENOENT);
	CHECK_STR(why, "no common cipher between server and client lists");
	CHECK_EQ(ovpn_ncp_select(NULL, NULL, NULL, NULL, &res, &why), -EINVAL);
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_EQ(ovpn_ncp_select(longname, NULL, longname, NULL, &res, &why),
		 -EINVAL);
	CHECK_STR(OVPN_NCP_FAIL_REASON,
		  "Data channel cipher negotiation failed (no shared cipher)");
	return 0;
}

static int test_list_has(void)
{
	CHECK(ovpn_ncp_list_has(SRV_DEFAULT, "AES-128-GCM"));
	CHECK(ovpn_ncp_list_has(SRV_DEFAULT, "chacha20-poly1305"));
	CHECK(!ovpn_ncp_list_has(SRV_DEFAULT, "AES-128"));
	CHECK(!ovpn_ncp_list_has(SRV_DEFAULT, ""));
	CHECK(!ovpn_ncp_list_has(NULL, "AES-128-GCM"));
	CHECK(!ovpn_ncp_list_has(SRV_DEFAULT, NULL));
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "selection table (19 numbered cases)", test_table },
	{ "failure reasons", test_reasons },
	{ "list membership", test_list_has },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("ncp", cases);
}
