/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the text parsers of the key-method-2 payload and the
 * control channel: peer-info, the OCC options string (parse, build,
 * parse again must agree) and the control-message splitter/classifier.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn_ncp.h"
#include "ovpn_peerinfo.h"
#include "ovpn_push.h"
#include "ovpn_push_occ.h"

static void occ_round_trip(const struct ovpn_occ *a)
{
	char buf[2048];
	struct ovpn_occ b;
	int n = ovpn_push_occ_build(a, buf, sizeof(buf));

	if (n < 0)
		return;
	if (ovpn_push_occ_parse(buf, (size_t)n, &b, NULL) != 0)
		abort();
	b.n_unknown = a->n_unknown;
	if (memcmp(a, &b, sizeof(b)) != 0)
		abort();
}

static void split_messages(const uint8_t *data, size_t size)
{
	size_t off = 0, len;
	const char *m;
	struct ovpn_push_msg pm;
	int rc;

	while ((rc = ovpn_push_msg_next(data, size, &off, &m, &len)) != 0) {
		if (off > size)
			abort();
		if (rc > 0)
			ovpn_push_msg_parse(m, len, &pm);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovpn_peerinfo pi;
	struct ovpn_occ occ;
	struct ovpn_ncp_result res;
	const char *why = NULL;
	const char *s = (const char *)data;

	if (ovpn_peerinfo_parse(s, size, &pi, &why) == 0)
		ovpn_ncp_select("AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305", &pi,
				NULL, NULL, &res, NULL);
	else if (why == NULL)
		abort();
	why = NULL;
	if (ovpn_push_occ_parse(s, size, &occ, &why) == 0)
		occ_round_trip(&occ);
	else if (why == NULL)
		abort();
	split_messages(data, size);
	return 0;
}
