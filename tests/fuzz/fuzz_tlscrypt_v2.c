/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls-crypt-v2 WKc handling: the trailer split, the client-key unwrap on
 * the whole input and on the located trailer, and metadata parsing. With a
 * fixed server key, inputs that carry the right tag come from the seeds.
 */
#include <stdint.h>
#include <string.h>

#include "ovpn_wrap_v2.h"

static struct ovpn_wrap_v2_server *srv;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN], meta[OVPN_V2_META_MAX], type;
	size_t mlen, off;
	uint64_t ts;
	int err, wl;

	if (srv == NULL) {
		uint8_t skey[OVPN_V2_SERVER_KEY_LEN];

		for (unsigned i = 0; i < sizeof(skey); i++)
			skey[i] = (uint8_t)(0xa0 ^ i);
		srv = ovpn_wrap_v2_server_new(skey, &err);
	}
	if (ovpn_wrap_v2_unwrap_client_key(srv, data, size, kc, meta,
					   sizeof(meta), &mlen) == 0)
		ovpn_wrap_v2_meta_parse(meta, mlen, &type, &ts);
	wl = ovpn_wrap_v2_split(data, size, &off);
	if (wl > 0 && ovpn_wrap_v2_unwrap_client_key(srv, data + off, (size_t)wl,
						     kc, meta, sizeof(meta),
						     &mlen) == 0)
		ovpn_wrap_v2_meta_parse(meta, mlen, &type, &ts);
	ovpn_wrap_v2_meta_parse(data, size, &type, &ts);
	return 0;
}
