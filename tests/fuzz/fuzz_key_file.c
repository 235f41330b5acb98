/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key file parsers: the same text is offered as a static key, a
 * tls-crypt-v2 server key and a tls-crypt-v2 client key.
 */
#include <stdint.h>
#include <string.h>

#include "ovpn_key_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key2[OVPN_KEY2_LEN], skey[OVPN_V2_SERVER_KEY_LEN];
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN], wkc[OVPN_V2_WKC_MAX];
	struct ovpn_key_file_error e;
	const char *t = (const char *)data;
	size_t wlen;

	ovpn_key_file_parse_static(t, size, key2, &e);
	ovpn_key_file_parse_v2_server(t, size, skey, &e);
	ovpn_key_file_parse_v2_client(t, size, kc, wkc, sizeof(wkc), &wlen, &e);
	return 0;
}
