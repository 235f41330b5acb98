/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control packets from the network: the plain parser, then tls-auth
 * (SHA1, SHA256), tls-crypt and tls-crypt-v2 unwrap with fixed keys, each
 * followed by a parse of whatever authenticated. The first input byte
 * is consumed by nothing: every wrapping sees the whole input.
 */
#include <stdint.h>
#include <string.h>

#include "ovpn_ctrl.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_v2.h"

static struct ovpn_wrap *ta1, *ta256, *tc, *scratch;
static struct ovpn_wrap_v2_server *v2;
static struct ovpn_wrap_replay replay;

static void init(void)
{
	uint8_t key2[OVPN_KEY2_LEN], skey[OVPN_V2_SERVER_KEY_LEN];
	int err;

	for (unsigned i = 0; i < sizeof(key2); i++)
		key2[i] = (uint8_t)(i * 13 + 1);
	for (unsigned i = 0; i < sizeof(skey); i++)
		skey[i] = (uint8_t)(0xa0 ^ i);
	ta1 = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1, OVPN_KEY_DIR_NORMAL, &err);
	ta256 = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA256, OVPN_KEY_DIR_BIDI, &err);
	tc = ovpn_wrap_tls_crypt_new(key2, true, &err);
	scratch = ovpn_wrap_tls_crypt_new(key2, true, &err);
	v2 = ovpn_wrap_v2_server_new(skey, &err);
	ovpn_wrap_replay_init(&replay);
}

static void parse(const uint8_t *buf, int len)
{
	struct ovpn_ctrl_pkt p;
	uint16_t flags;

	if (len < 0)
		return;
	if (ovpn_ctrl_parse(buf, (size_t)len, &p) == 0 && p.payload_len)
		ovpn_ctrl_tlv_parse(p.payload, p.payload_len, &flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[4096];
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN], meta[OVPN_V2_META_MAX];
	struct ovpn_wrap_rid rid;
	size_t mlen;

	if (ta1 == NULL)
		init();
	parse(data, (int)(size < 4096 ? size : 4096));
	parse(out, ovpn_wrap_unwrap(ta1, &replay, data, size, out, sizeof(out), &rid));
	parse(out, ovpn_wrap_unwrap(ta256, NULL, data, size, out, sizeof(out), &rid));
	parse(out, ovpn_wrap_unwrap(tc, &replay, data, size, out, sizeof(out), &rid));
	parse(out, ovpn_wrap_v2_server_unwrap(v2, scratch, NULL, data, size, out,
					      sizeof(out), &rid, kc, meta,
					      sizeof(meta), &mlen));
	return 0;
}
