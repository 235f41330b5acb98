/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls-crypt-v2 (client key wrap/unwrap, WKc trailer, metadata) and the
 * stateless cookie.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ovpn_ctrl.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_cookie.h"
#include "ovpn_wrap_v2.h"
#include "sl_test.h"

static uint8_t skey[OVPN_V2_SERVER_KEY_LEN], kc[OVPN_V2_CLIENT_KEY_LEN];

static void setup(void)
{
	for (unsigned i = 0; i < sizeof(skey); i++)
		skey[i] = (uint8_t)(0xa0 ^ i);
	for (unsigned i = 0; i < sizeof(kc); i++)
		kc[i] = (uint8_t)(i * 31 + 7);
}

static int test_client_key_round_trip(void)
{
	uint8_t meta[OVPN_V2_META_MAX + 1], wkc[OVPN_V2_WKC_MAX + 8];
	uint8_t kc2[256], meta2[OVPN_V2_META_MAX];
	size_t mlen;
	int err;
	struct ovpn_wrap_v2_server *s = ovpn_wrap_v2_server_new(skey, &err);

	CHECK(s != NULL);
	for (unsigned i = 0; i < sizeof(meta); i++)
		meta[i] = (uint8_t)i;
	static const size_t lens[] = { 0, 1, 9, 100, OVPN_V2_META_MAX };
	for (unsigned i = 0; i < 5; i++) {
		int wl = ovpn_wrap_v2_wrap_client_key(s, kc, meta, lens[i], wkc,
						      sizeof(wkc));

		CHECK_EQ(wl, OVPN_V2_WKC_MIN + lens[i]);
		CHECK_EQ(wkc[wl - 2] << 8 | wkc[wl - 1], wl);
		CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(s, wkc, (size_t)wl, kc2, meta2,
							sizeof(meta2), &mlen), 0);
		CHECK_MEM(kc2, kc, 256);
		CHECK_EQ(mlen, lens[i]);
		if (mlen)
			CHECK_MEM(meta2, meta, mlen);
	}
	CHECK_EQ(OVPN_V2_META_MAX, 734);
	CHECK_EQ(ovpn_wrap_v2_wrap_client_key(s, kc, meta, OVPN_V2_META_MAX + 1,
					      wkc, sizeof(wkc)), -OVPN_WRAP_E_META);
	CHECK_EQ(ovpn_wrap_v2_wrap_client_key(s, kc, meta, 9, wkc, 298),
		 -OVPN_WRAP_E_NOSPACE);
	ovpn_wrap_v2_server_free(s);
	return 0;
}

static int test_wkc_damage(void)
{
	uint8_t meta[9], wkc[400], bad[400], kc2[256], m2[16], other[128];
	size_t mlen;
	int err, wl;
	struct ovpn_wrap_v2_server *s = ovpn_wrap_v2_server_new(skey, &err);
	struct ovpn_wrap_v2_server *w;

	ovpn_wrap_v2_meta_timestamp(1700000000u, meta);
	wl = ovpn_wrap_v2_wrap_client_key(s, kc, meta, 9, wkc, sizeof(wkc));
	CHECK_EQ(wl, 299);
	/* Every bit of tag and body; flips of the length field break length. */
	for (int bit = 0; bit < (wl - 2) * 8; bit++) {
		memcpy(bad, wkc, (size_t)wl);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(s, bad, (size_t)wl, kc2, m2,
							sizeof(m2), &mlen),
			 -OVPN_WRAP_E_WKC_AUTH);
		for (int i = 0; i < 256; i++)
			CHECK_EQ(kc2[i], 0);	/* wiped */
	}
	for (int bit = (wl - 2) * 8; bit < wl * 8; bit++) {
		memcpy(bad, wkc, (size_t)wl);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(s, bad, (size_t)wl, kc2, m2,
							sizeof(m2), &mlen),
			 -OVPN_WRAP_E_WKC_LEN);
	}
	for (int l = 0; l < wl; l++)
		CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(s, wkc, (size_t)l, kc2, m2,
							sizeof(m2), &mlen),
			 -OVPN_WRAP_E_WKC_LEN);
	CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(s, wkc, (size_t)wl, kc2, m2, 8,
						&mlen), -OVPN_WRAP_E_NOSPACE);
	/* Wrong server key */
	memcpy(other, skey, sizeof(other));
	other[64] ^= 1;
	w = ovpn_wrap_v2_server_new(other, &err);
	CHECK_EQ(ovpn_wrap_v2_unwrap_client_key(w, wkc, (size_t)wl, kc2, m2,
						sizeof(m2), &mlen),
		 -OVPN_WRAP_E_WKC_AUTH);
	ovpn_wrap_v2_server_free(w);
	ovpn_wrap_v2_server_free(s);
	return 0;
}

static int test_metadata(void)
{
	uint8_t m[9], type;
	uint64_t ts;
	static const uint8_t user[] = { 0x00, 'h', 'i' };

	ovpn_wrap_v2_meta_timestamp(0x0102030405060708ull, m);
	CHECK_MEM(m, ((uint8_t[]){ 1, 1, 2, 3, 4, 5, 6, 7, 8 }), 9);
	CHECK_EQ(ovpn_wrap_v2_meta_parse(m, 9, &type, &ts), 0);
	CHECK_EQ(type, OVPN_V2_META_TIMESTAMP);
	CHECK(ts == 0x0102030405060708ull);
	CHECK_EQ(ovpn_wrap_v2_meta_parse(m, 8, &type, &ts), -OVPN_WRAP_E_META);
	CHECK_EQ(ovpn_wrap_v2_meta_parse(m, 0, &type, &ts), -OVPN_WRAP_E_META);
	CHECK_EQ(ovpn_wrap_v2_meta_parse(user, 3, &type, &ts), 0);
	CHECK_EQ(type, OVPN_V2_META_USER);
	m[0] = 2;
	CHECK_EQ(ovpn_wrap_v2_meta_parse(m, 9, &type, &ts), -OVPN_WRAP_E_META);
	CHECK(ovpn_wrap_v2_early_neg(0x0F000001u));
	CHECK(!ovpn_wrap_v2_early_neg(1));
	return 0;
}

/* Build a V3 reset as the client would; returns its length. */
static int client_v3(struct ovpn_wrap_v2_server *s, uint8_t op, uint8_t *out,
		     size_t cap)
{
	struct ovpn_ctrl_pkt p = { .opcode = op, .sid = { 1, 1, 2, 3, 5, 8, 13, 21 },
				   .has_msg_id = true };
	uint8_t plain[64], wkc[400], meta[9];
	struct ovpn_wrap_pid_tx tx;
	int err, l, wl;
	struct ovpn_wrap *cli = ovpn_wrap_tls_crypt_new(kc, false, &err);

	ovpn_wrap_pid_tx_init(&tx, OVPN_V2_EARLY_NEG_START);
	ovpn_wrap_v2_meta_timestamp(1700000000u, meta);
	wl = ovpn_wrap_v2_wrap_client_key(s, kc, meta, 9, wkc, sizeof(wkc));
	l = ovpn_ctrl_build(&p, plain, sizeof(plain));
	l = ovpn_wrap_wrap(cli, &tx, 1000, plain, (size_t)l, out, cap);
	l = ovpn_wrap_v2_append_wkc(out, (size_t)l, cap, wkc, (size_t)wl);
	ovpn_wrap_free(cli);
	return l;
}

static int test_v3_packet(void)
{
	uint8_t pkt[512], bad[512], plain[512], kc2[256], meta[16];
	struct ovpn_wrap_replay rp;
	struct ovpn_wrap_rid rid;
	struct ovpn_ctrl_pkt p;
	size_t mlen, off;
	int err, len, pl;
	uint8_t zero[256] = { 0 };
	struct ovpn_wrap_v2_server *s = ovpn_wrap_v2_server_new(skey, &err);
	struct ovpn_wrap *tc = ovpn_wrap_tls_crypt_new(zero, true, &err);

	len = client_v3(s, OVPN_P_CONTROL_HARD_RESET_CLIENT_V3, pkt, sizeof(pkt));
	CHECK_EQ(len, 54 + 299);
	CHECK_EQ(ovpn_wrap_v2_split(pkt, (size_t)len, &off), 299);
	CHECK_EQ(off, 54);
	ovpn_wrap_replay_init(&rp);
	pl = ovpn_wrap_v2_server_unwrap(s, tc, &rp, pkt, (size_t)len, plain,
					sizeof(plain), &rid, kc2, meta,
					sizeof(meta), &mlen);
	CHECK_EQ(pl, 14);
	CHECK_EQ(rid.counter, 0x0F000001u);
	CHECK_MEM(kc2, kc, 256);
	CHECK_EQ(ovpn_ctrl_parse(plain, (size_t)pl, &p), 0);
	CHECK_EQ(p.opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V3);
	CHECK_EQ(ovpn_wrap_v2_server_unwrap(s, tc, &rp, pkt, (size_t)len, plain,
					    sizeof(plain), &rid, kc2, meta,
					    sizeof(meta), &mlen), -OVPN_WRAP_E_REPLAY);
	/* Every truncation fails cleanly. */
	for (int l = 0; l < len; l++) {
		int rc = ovpn_wrap_v2_server_unwrap(s, tc, NULL, pkt, (size_t)l,
						    plain, sizeof(plain), &rid,
						    kc2, meta, sizeof(meta), &mlen);
		CHECK(rc < 0);
	}
	/* Every bit flip fails (opcode flips to other opcodes included). */
	for (int bit = 0; bit < len * 8; bit++) {
		memcpy(bad, pkt, (size_t)len);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(ovpn_wrap_v2_server_unwrap(s, tc, NULL, bad, (size_t)len, plain,
						 sizeof(plain), &rid, kc2, meta,
						 sizeof(meta), &mlen) < 0);
	}
	/* P_CONTROL_WKC_V1 uses the same trailer. */
	len = client_v3(s, OVPN_P_CONTROL_WKC_V1, pkt, sizeof(pkt));
	CHECK_EQ(ovpn_wrap_v2_server_unwrap(s, tc, NULL, pkt, (size_t)len, plain,
					    sizeof(plain), &rid, kc2, meta,
					    sizeof(meta), &mlen), 14);
	/* Other opcodes are refused before any crypto. */
	pkt[0] = 0x38;
	CHECK_EQ(ovpn_wrap_v2_server_unwrap(s, tc, NULL, pkt, (size_t)len, plain,
					    sizeof(plain), &rid, kc2, meta,
					    sizeof(meta), &mlen), -OVPN_WRAP_E_OPCODE);
	ovpn_wrap_free(tc);
	ovpn_wrap_v2_server_free(s);
	return 0;
}

/* The length field may never cover the opcode byte (2.6.14 hardening). */
static int test_split_bounds(void)
{
	uint8_t pkt[400];
	size_t off;

	memset(pkt, 0, sizeof(pkt));
	for (size_t l = 0; l < 1 + OVPN_V2_WKC_MIN; l++)
		CHECK_EQ(ovpn_wrap_v2_split(pkt, l, &off), -OVPN_WRAP_E_SHORT);
	/* 291 bytes, length field 291: would swallow the opcode */
	pkt[289] = 291 >> 8;
	pkt[290] = 291 & 0xff;
	CHECK_EQ(ovpn_wrap_v2_split(pkt, 291, &off), -OVPN_WRAP_E_WKC_LEN);
	pkt[290] = 290 & 0xff;
	CHECK_EQ(ovpn_wrap_v2_split(pkt, 291, &off), 290);
	CHECK_EQ(off, 1);
	pkt[289] = 0;
	pkt[290] = 0xff;	/* below the minimum */
	CHECK_EQ(ovpn_wrap_v2_split(pkt, 291, &off), -OVPN_WRAP_E_WKC_LEN);
	pkt[398] = 0x04;
	pkt[399] = 0x01;	/* 1025 > max */
	CHECK_EQ(ovpn_wrap_v2_split(pkt, 400, &off), -OVPN_WRAP_E_WKC_LEN);
	CHECK_EQ(ovpn_wrap_v2_append_wkc(pkt, 10, 20, pkt, 290), -OVPN_WRAP_E_NOSPACE);
	CHECK_EQ(ovpn_wrap_v2_append_wkc(pkt, 10, 400, pkt, 100), -OVPN_WRAP_E_WKC_LEN);
	return 0;
}

static void addr4(struct sockaddr_in *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
}

static int test_cookie(void)
{
	static const uint8_t key[32] = { 7 };
	static const uint8_t csid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct sockaddr_in a, b;
	struct sockaddr_in6 a6;
	uint8_t sid[8], sid2[8], bad_sid[8];
	int err;
	struct ovpn_wrap_cookie *c = ovpn_wrap_cookie_new(key, 60, &err);
	uint64_t t0 = 1795311047;	/* slot = t0 / 30 */
	uint64_t slot_start = t0 - t0 % 30;

	CHECK(c != NULL);
	addr4(&a, "10.99.0.2", 40000);
	CHECK_EQ(ovpn_wrap_cookie_slot(c, t0), t0 / 30);
	CHECK_EQ(ovpn_wrap_cookie_make(c, slot_start, (struct sockaddr *)&a, csid, sid), 0);
	/* Deterministic, and the same within the slot */
	CHECK_EQ(ovpn_wrap_cookie_make(c, slot_start + 29, (struct sockaddr *)&a, csid, sid2), 0);
	CHECK_MEM(sid, sid2, 8);
	/* Accepted in its slot and the next one (previous slot at check time) */
	CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start, (struct sockaddr *)&a, csid, sid), 0);
	CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start + 59, (struct sockaddr *)&a, csid, sid), 0);
	/* Two slots later, or from the future: refused */
	CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start + 60, (struct sockaddr *)&a, csid, sid),
		 -OVPN_WRAP_E_COOKIE);
	CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start - 1, (struct sockaddr *)&a, csid, sid),
		 -OVPN_WRAP_E_COOKIE);
	/* Modified address, port, client sid, or echoed sid: refused */
	addr4(&b, "10.99.0.3", 40000);
	CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start, (struct sockaddr *)&b, csid, sid),
		 -OVPN_WRAP_E_COOKIE);
	addr4(&b, "10.99.0.2", 40001);
	CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start, (struct sockaddr *)&b, csid, sid),
		 -OVPN_WRAP_E_COOKIE);
	CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start, (struct sockaddr *)&a, sid, sid),
		 -OVPN_WRAP_E_COOKIE);
	for (int bit = 0; bit < 64; bit++) {
		memcpy(bad_sid, sid, 8);
		bad_sid[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_EQ(ovpn_wrap_cookie_check(c, slot_start, (struct sockaddr *)&a,
						csid, bad_sid), -OVPN_WRAP_E_COOKIE);
	}
	/* IPv6 works, other families do not */
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons(1194);
	inet_pton(AF_INET6, "fd00::2", &a6.sin6_addr);
	CHECK_EQ(ovpn_wrap_cookie_make(c, t0, (struct sockaddr *)&a6, csid, sid2), 0);
	CHECK_EQ(ovpn_wrap_cookie_check(c, t0, (struct sockaddr *)&a6, csid, sid2), 0);
	a6.sin6_addr.s6_addr[15] ^= 1;
	CHECK_EQ(ovpn_wrap_cookie_check(c, t0, (struct sockaddr *)&a6, csid, sid2),
		 -OVPN_WRAP_E_COOKIE);
	a6.sin6_family = AF_UNIX;
	CHECK_EQ(ovpn_wrap_cookie_make(c, t0, (struct sockaddr *)&a6, csid, sid2),
		 -OVPN_WRAP_E_INVAL);
	ovpn_wrap_cookie_free(c);
	return 0;
}

/*
 * What 2.6.14's inverted test would do: "valid" if ANY candidate differs.
 * Reproduced here only to document why it must not be copied: it accepts
 * an arbitrary sid, while ours refuses it.
 */
static int test_cookie_inverted_2_6_14(void)
{
	static const uint8_t key[32] = { 9 }, csid[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	static const uint8_t junk[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1 };
	struct sockaddr_in a;
	uint8_t cand[8];
	int err, inverted_ok = 0;
	struct ovpn_wrap_cookie *c = ovpn_wrap_cookie_new(key, 60, &err);
	uint64_t now = 1795311047;

	addr4(&a, "127.0.0.1", 5000);
	for (int off = -2; off <= 1; off++) {
		ovpn_wrap_cookie_make(c, now + (uint64_t)((int64_t)off * 30),
				      (struct sockaddr *)&a, csid, cand);
		if (CRYPTO_memcmp(cand, junk, 8) != 0)
			inverted_ok = 1;
	}
	CHECK_EQ(inverted_ok, 1);
	CHECK_EQ(ovpn_wrap_cookie_check(c, now, (struct sockaddr *)&a, csid, junk),
		 -OVPN_WRAP_E_COOKIE);
	ovpn_wrap_cookie_free(c);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "client key wrap/unwrap, metadata 0..734", test_client_key_round_trip },
	{ "WKc bit flips, truncation, wrong key", test_wkc_damage },
	{ "metadata types", test_metadata },
	{ "V3 / WKC_V1 packets end to end", test_v3_packet },
	{ "WKc length bounds (opcode never inside)", test_split_bounds },
	{ "cookie: slots, address, port, sid", test_cookie },
	{ "cookie: 2.6.14 inverted test documented", test_cookie_inverted_2_6_14 },
	{ NULL, NULL }
};

int main(void)
{
	setup();
	return sl_test_run("wrap_v2", cases);
}
