/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: key method 2 messages (client and server form). A message
 * that parses is rebuilt and parsed again, and must come back identical;
 * its peer-info and options strings are fed to their parsers too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_km.h"
#include "ovpn_peerinfo.h"
#include "ovpn_push_occ.h"

static struct ovpn_km_client km, km2;
static uint8_t out[OVPN_KM_MSG_MAX];

static void round_trip(void)
{
	int n = ovpn_km_build_client(&km, km.username, km.password,
				     km.peer_info, out, sizeof(out));

	if (n < 0)
		abort();
	if (ovpn_km_parse_client(out, (size_t)n, &km2, NULL) != n)
		abort();
	/* a too-long credential was dropped, so flags may differ there */
	km.flags &= ~OVPN_KM_F_CRED_TOO_LONG;
	if (km.flags != km2.flags ||
	    memcmp(km.pre_master, km2.pre_master, sizeof(km.pre_master)) ||
	    strcmp(km.options, km2.options) || strcmp(km.username, km2.username) ||
	    strcmp(km.password, km2.password) ||
	    strcmp(km.peer_info, km2.peer_info))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t r1[OVPN_KM_RANDOM_LEN], r2[OVPN_KM_RANDOM_LEN];
	char opts[OVPN_KM_OPTIONS_MAX];
	struct ovpn_peerinfo pi;
	struct ovpn_occ occ;
	const char *why = NULL;
	int rc = ovpn_km_parse_client(data, size, &km, &why);

	if (rc < 0 && why == NULL)
		abort();
	if (rc > (int)size)
		abort();
	if (rc >= 0) {
		ovpn_peerinfo_parse(km.peer_info, km.peer_info_len, &pi, NULL);
		ovpn_push_occ_parse(km.options, strlen(km.options), &occ, NULL);
		round_trip();
	}
	rc = ovpn_km_parse_server(data, size, r1, r2, opts, sizeof(opts), &why);
	if ((rc < 0 && why == NULL) || rc > (int)size)
		abort();
	ovpn_km_client_wipe(&km);
	return 0;
}
