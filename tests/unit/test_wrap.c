/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls-auth / tls-crypt: known answers computed independently with
 * one-shot OpenSSL calls, both directions, every truncation, every bit
 * flip, wrong keys, and the replay window against a numbered table.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ovpn_ctrl.h"
#include "ovpn_wrap.h"
#include "sl_test.h"

static uint8_t key2[OVPN_KEY2_LEN];
static uint8_t plain[64];
static size_t plain_len;

/* Client P_CONTROL_V1 acking msg 0, msg-id 1, a short TLS-like payload. */
static void setup(void)
{
	static const uint8_t payload[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5 };
	struct ovpn_ctrl_pkt p = {
		.opcode = OVPN_P_CONTROL_V1, .key_id = 0,
		.sid = { 1, 2, 3, 4, 5, 6, 7, 8 }, .n_acks = 1, .acks = { 0 },
		.peer_sid = { 9, 10, 11, 12, 13, 14, 15, 16 },
		.has_msg_id = true, .msg_id = 1,
		.payload = payload, .payload_len = sizeof(payload),
	};

	for (unsigned i = 0; i < sizeof(key2); i++)
		key2[i] = (uint8_t)(i * 13 + 1);
	plain_len = (size_t)ovpn_ctrl_build(&p, plain, sizeof(plain));
}

static const struct ovpn_wrap_rid rid1 = { 1, 0x6b022985 };

/* Expected tls-auth packet computed independently from OpenVPN's layout
 * (src/openvpn/ssl_pkt.c swap_hmac): HMAC over rid | op | sid | inner. */
static size_t tls_auth_expect(const EVP_MD *md, size_t key_off, uint8_t *out)
{
	uint8_t buf[128], mac[64];
	unsigned h = (unsigned)EVP_MD_get_size(md), maclen = 0;
	uint8_t rid[8] = { 0, 0, 0, 1, 0x6b, 0x02, 0x29, 0x85 };

	memcpy(buf, rid, 8);
	memcpy(buf + 8, plain, plain_len);
	HMAC(md, key2 + key_off, (int)h, buf, 8 + plain_len, mac, &maclen);
	memcpy(out, plain, 9);
	memcpy(out + 9, mac, h);
	memcpy(out + 9 + h, rid, 8);
	memcpy(out + 17 + h, plain + 9, plain_len - 9);
	return plain_len + h + 8;
}

static int tls_auth_case(enum ovpn_wrap_digest d, const EVP_MD *md)
{
	static const struct { enum ovpn_key_dir tx_dir, rx_dir; size_t key_off; } dirs[] = {
		{ OVPN_KEY_DIR_NORMAL, OVPN_KEY_DIR_INVERSE, 64 },	/* server "0" */
		{ OVPN_KEY_DIR_INVERSE, OVPN_KEY_DIR_NORMAL, 192 },	/* client "1" */
		{ OVPN_KEY_DIR_BIDI, OVPN_KEY_DIR_BIDI, 64 },
	};
	uint8_t out[160], exp[160], back[160];
	struct ovpn_wrap_rid rid;
	int err;

	for (unsigned i = 0; i < 3; i++) {
		struct ovpn_wrap *tx = ovpn_wrap_tls_auth_new(key2, d, dirs[i].tx_dir, &err);
		struct ovpn_wrap *rx = ovpn_wrap_tls_auth_new(key2, d, dirs[i].rx_dir, &err);
		struct ovpn_wrap *same = ovpn_wrap_tls_auth_new(key2, d, dirs[i].tx_dir, &err);
		size_t elen = tls_auth_expect(md, dirs[i].key_off, exp);
		int len = ovpn_wrap_tls_auth_wrap(tx, &rid1, plain, plain_len, out, sizeof(out));

		CHECK(tx && rx && same);
		CHECK_EQ(len, elen);
		CHECK_EQ(ovpn_wrap_overhead(tx), elen - plain_len);
		CHECK_MEM(out, exp, elen);
		CHECK_EQ(ovpn_wrap_tls_auth_unwrap(rx, out, (size_t)len, back,
						   sizeof(back), &rid), plain_len);
		CHECK_MEM(back, plain, plain_len);
		CHECK_EQ(rid.counter, 1);
		CHECK_EQ(rid.time, 0x6b022985);
		/* A directional sender cannot be verified by itself. */
		if (dirs[i].tx_dir != OVPN_KEY_DIR_BIDI)
			CHECK_EQ(ovpn_wrap_tls_auth_unwrap(same, out, (size_t)len, back,
							   sizeof(back), &rid),
				 -OVPN_WRAP_E_AUTH);
		ovpn_wrap_free(tx);
		ovpn_wrap_free(rx);
		ovpn_wrap_free(same);
	}
	return 0;
}

static int test_tls_auth_kat(void)
{
	CHECK(tls_auth_case(OVPN_WRAP_SHA1, EVP_sha1()) == 0);
	CHECK(tls_auth_case(OVPN_WRAP_SHA256, EVP_sha256()) == 0);
	CHECK(tls_auth_case(OVPN_WRAP_SHA512, EVP_sha512()) == 0);
	return 0;
}

/* Expected tls-crypt packet: tag over header|plaintext, CTR with tag IV. */
static size_t tls_crypt_expect(size_t slot, uint8_t *out)
{
	uint8_t buf[128];
	unsigned maclen = 0;
	int outl = 0;
	size_t inner = plain_len - 9;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	memcpy(out, plain, 9);
	memcpy(out + 9, (uint8_t[]){ 0, 0, 0, 1, 0x6b, 0x02, 0x29, 0x85 }, 8);
	memcpy(buf, out, 17);
	memcpy(buf + 17, plain + 9, inner);
	HMAC(EVP_sha256(), key2 + slot + 64, 32, buf, 17 + inner, out + 17, &maclen);
	EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, key2 + slot, out + 17);
	EVP_EncryptUpdate(c, out + 49, &outl, plain + 9, (int)inner);
	EVP_CIPHER_CTX_free(c);
	return 49 + inner;
}

static int test_tls_crypt_kat(void)
{
	uint8_t out[160], exp[160], back[160];
	struct ovpn_wrap_rid rid;
	int err, len;
	struct ovpn_wrap *srv = ovpn_wrap_tls_crypt_new(key2, true, &err);
	struct ovpn_wrap *cli = ovpn_wrap_tls_crypt_new(key2, false, &err);

	CHECK(srv && cli);
	CHECK_EQ(ovpn_wrap_overhead(srv), 40);
	/* server -> client: Ke = 0..31, Ka = 64..95 */
	len = ovpn_wrap_tls_crypt_wrap(srv, &rid1, plain, plain_len, out, sizeof(out));
	CHECK_EQ(len, tls_crypt_expect(0, exp));
	CHECK_MEM(out, exp, (size_t)len);
	CHECK_EQ(ovpn_wrap_tls_crypt_unwrap(cli, out, (size_t)len, back,
					    sizeof(back), &rid), plain_len);
	CHECK_MEM(back, plain, plain_len);
	CHECK_EQ(ovpn_wrap_tls_crypt_unwrap(srv, out, (size_t)len, back,
					    sizeof(back), &rid), -OVPN_WRAP_E_AUTH);
	/* client -> server: Ke = 128..159, Ka = 192..223 */
	len = ovpn_wrap_tls_crypt_wrap(cli, &rid1, plain, plain_len, out, sizeof(out));
	CHECK_EQ(len, tls_crypt_expect(128, exp));
	CHECK_MEM(out, exp, (size_t)len);
	CHECK_EQ(ovpn_wrap_tls_crypt_unwrap(srv, out, (size_t)len, back,
					    sizeof(back), &rid), plain_len);
	CHECK_MEM(back, plain, plain_len);
	/* Mode mismatch is an argument error, not an auth failure. */
	CHECK_EQ(ovpn_wrap_tls_auth_wrap(srv, &rid1, plain, plain_len, out,
					 sizeof(out)), -OVPN_WRAP_E_INVAL);
	ovpn_wrap_free(srv);
	ovpn_wrap_free(cli);
	return 0;
}

/* Every truncation and every single-bit flip of a wrapped packet fails. */
static int damage(struct ovpn_wrap *tx, struct ovpn_wrap *rx, size_t tag_off,
		  size_t tag_len)
{
	uint8_t out[200], bad[200], back[200];
	struct ovpn_wrap_rid rid;
	int len = ovpn_wrap_wrap(tx, &(struct ovpn_wrap_pid_tx){ 0, 0 }, 1000,
				 plain, plain_len, out, sizeof(out));

	CHECK(len > 0);
	for (size_t l = 0; l < (size_t)len; l++) {
		int rc = ovpn_wrap_unwrap(rx, NULL, out, l, back, sizeof(back), &rid);

		CHECK(rc == -OVPN_WRAP_E_SHORT || rc == -OVPN_WRAP_E_AUTH);
	}
	for (size_t bit = 0; bit < (size_t)len * 8; bit++) {
		memcpy(bad, out, (size_t)len);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_EQ(ovpn_wrap_unwrap(rx, NULL, bad, (size_t)len, back,
					  sizeof(back), &rid), -OVPN_WRAP_E_AUTH);
	}
	CHECK(tag_off + tag_len <= (size_t)len);
	/* Output buffers one byte short are refused before any work. */
	CHECK_EQ(ovpn_wrap_unwrap(rx, NULL, out, (size_t)len, back,
				  plain_len - 1, &rid), -OVPN_WRAP_E_NOSPACE);
	CHECK_EQ(ovpn_wrap_unwrap(rx, NULL, out, (size_t)len, back, plain_len, &rid),
		 plain_len);
	return 0;
}

static int test_damage(void)
{
	uint8_t other[OVPN_KEY2_LEN];
	int err;
	struct ovpn_wrap *a = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1, OVPN_KEY_DIR_NORMAL, &err);
	struct ovpn_wrap *b = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1, OVPN_KEY_DIR_INVERSE, &err);
	struct ovpn_wrap *c = ovpn_wrap_tls_crypt_new(key2, true, &err);
	struct ovpn_wrap *d = ovpn_wrap_tls_crypt_new(key2, false, &err);
	struct ovpn_wrap *e, *f;

	CHECK(damage(a, b, 9, 20) == 0);
	CHECK(damage(d, c, 17, 32) == 0);
	/* Wrong key: one bit of the hmac slot differs. */
	memcpy(other, key2, sizeof(other));
	other[192] ^= 1;
	e = ovpn_wrap_tls_auth_new(other, OVPN_WRAP_SHA1, OVPN_KEY_DIR_NORMAL, &err);
	other[192] ^= 1;
	other[128] ^= 0x80;	/* tls-crypt client->server cipher key */
	f = ovpn_wrap_tls_crypt_new(other, true, &err);
	{
		uint8_t out[200], back[200];
		struct ovpn_wrap_rid rid;
		int len = ovpn_wrap_tls_auth_wrap(b, &rid1, plain, plain_len, out, sizeof(out));

		CHECK_EQ(ovpn_wrap_unwrap(e, NULL, out, (size_t)len, back,
					  sizeof(back), &rid), -OVPN_WRAP_E_AUTH);
		len = ovpn_wrap_tls_crypt_wrap(d, &rid1, plain, plain_len, out, sizeof(out));
		CHECK_EQ(ovpn_wrap_unwrap(f, NULL, out, (size_t)len, back,
					  sizeof(back), &rid), -OVPN_WRAP_E_AUTH);
		/* and the output is wiped after a failed decryption */
		for (size_t i = 9; i < plain_len; i++)
			CHECK_EQ(back[i], 0);
	}
	ovpn_wrap_free(a);
	ovpn_wrap_free(b);
	ovpn_wrap_free(c);
	ovpn_wrap_free(d);
	ovpn_wrap_free(e);
	ovpn_wrap_free(f);
	return 0;
}

/* Numbered replay cases: (counter, time, expected) applied in order. */
static int test_replay_table(void)
{
	static const struct { uint32_t ctr, time; int ok; } t[] = {
		/*  0 */ { 0, 100, 0 },		/* counter 0 always refused */
		/*  1 */ { 1, 100, 1 },
		/*  2 */ { 1, 100, 0 },		/* exact replay */
		/*  3 */ { 3, 100, 1 },		/* gap */
		/*  4 */ { 2, 100, 1 },		/* late, inside the window */
		/*  5 */ { 2, 100, 0 },
		/*  6 */ { 70, 100, 1 },
		/*  7 */ { 6, 100, 0 },		/* 64 below top: outside */
		/*  8 */ { 7, 100, 1 },		/* 63 below top: inside */
		/*  9 */ { 7, 100, 0 },
		/* 10 */ { 5, 99, 0 },		/* older time */
		/* 11 */ { 1, 101, 1 },		/* newer time restarts */
		/* 12 */ { 70, 100, 0 },	/* old time now refused */
		/* 13 */ { 1, 101, 0 },
		/* 14 */ { 0xffffffff, 101, 1 },
		/* 15 */ { 0xffffffc1, 101, 1 },	/* 62 below */
		/* 16 */ { 0xffffffbf, 101, 0 },	/* 64 below */
		/* 17 */ { 2, 101, 0 },		/* far below */
	};
	struct ovpn_wrap_replay r;

	ovpn_wrap_replay_init(&r);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ovpn_wrap_rid rid = { t[i].ctr, t[i].time };
		int rc = ovpn_wrap_replay_check(&r, &rid);

		if ((rc == 0) != t[i].ok) {
			fprintf(stderr, "replay case %u: got %d\n", i, rc);
			return -1;
		}
		if (rc == 0)
			ovpn_wrap_replay_update(&r, &rid);
	}
	return 0;
}

/* A replayed wire packet is refused after authentication; forgeries never
 * move the window. */
static int test_replay_wire(void)
{
	uint8_t p1[200], p2[200], back[200];
	struct ovpn_wrap_pid_tx tx;
	struct ovpn_wrap_replay rp;
	struct ovpn_wrap_rid rid;
	int err, l1, l2;
	struct ovpn_wrap *srv = ovpn_wrap_tls_crypt_new(key2, true, &err);
	struct ovpn_wrap *cli = ovpn_wrap_tls_crypt_new(key2, false, &err);

	ovpn_wrap_pid_tx_init(&tx, 0);
	ovpn_wrap_replay_init(&rp);
	l1 = ovpn_wrap_wrap(cli, &tx, 500, plain, plain_len, p1, sizeof(p1));
	l2 = ovpn_wrap_wrap(cli, &tx, 900, plain, plain_len, p2, sizeof(p2));
	CHECK(l1 > 0 && l2 > 0);
	/* forged copy of p2 with a far-future time: auth fails, no update */
	p2[13] ^= 0x40;
	CHECK_EQ(ovpn_wrap_unwrap(srv, &rp, p2, (size_t)l2, back, sizeof(back), &rid),
		 -OVPN_WRAP_E_AUTH);
	p2[13] ^= 0x40;
	CHECK_EQ(ovpn_wrap_unwrap(srv, &rp, p2, (size_t)l2, back, sizeof(back), &rid),
		 plain_len);
	CHECK_EQ(rid.counter, 2);
	CHECK_EQ(rid.time, 500);	/* time fixed at first use */
	CHECK_EQ(ovpn_wrap_unwrap(srv, &rp, p1, (size_t)l1, back, sizeof(back), &rid),
		 plain_len);
	CHECK_EQ(ovpn_wrap_unwrap(srv, &rp, p1, (size_t)l1, back, sizeof(back), &rid),
		 -OVPN_WRAP_E_REPLAY);
	CHECK_EQ(ovpn_wrap_unwrap(srv, &rp, p2, (size_t)l2, back, sizeof(back), &rid),
		 -OVPN_WRAP_E_REPLAY);
	/* The stateless path (replay = NULL) accepts repeats. */
	CHECK_EQ(ovpn_wrap_unwrap(srv, NULL, p2, (size_t)l2, back, sizeof(back), &rid),
		 plain_len);
	ovpn_wrap_free(srv);
	ovpn_wrap_free(cli);
	return 0;
}

static int test_pid_tx(void)
{
	struct ovpn_wrap_pid_tx tx;
	struct ovpn_wrap_rid rid;

	ovpn_wrap_pid_tx_init(&tx, 0);
	CHECK_EQ(ovpn_wrap_pid_tx_next(&tx, 77, &rid), 0);
	CHECK_EQ(rid.counter, 1);
	CHECK_EQ(rid.time, 77);
	CHECK_EQ(ovpn_wrap_pid_tx_next(&tx, 80, &rid), 0);
	CHECK_EQ(rid.counter, 2);
	CHECK_EQ(rid.time, 77);
	/* tls-crypt-v2 early negotiation start */
	ovpn_wrap_pid_tx_init(&tx, 0x0F000000u);
	CHECK_EQ(ovpn_wrap_pid_tx_next(&tx, 5, &rid), 0);
	CHECK_EQ(rid.counter, 0x0F000001u);
	/* exhaustion: same second refused, a later second restarts at 1 */
	tx.counter = UINT32_MAX - 1;
	CHECK_EQ(ovpn_wrap_pid_tx_next(&tx, 5, &rid), 0);
	CHECK_EQ(rid.counter, UINT32_MAX);
	CHECK_EQ(ovpn_wrap_pid_tx_next(&tx, 5, &rid), -OVPN_WRAP_E_PID_WRAP);
	CHECK_EQ(ovpn_wrap_pid_tx_next(&tx, 6, &rid), 0);
	CHECK_EQ(rid.counter, 1);
	CHECK_EQ(rid.time, 6);
	return 0;
}

static int test_args(void)
{
	int err;
	uint8_t out[8];

	CHECK(ovpn_wrap_tls_auth_new(key2, (enum ovpn_wrap_digest)7,
				     OVPN_KEY_DIR_BIDI, &err) == NULL);
	CHECK_EQ(err, -OVPN_WRAP_E_INVAL);
	CHECK(ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1,
				     (enum ovpn_key_dir)3, &err) == NULL);
	struct ovpn_wrap *w = ovpn_wrap_tls_crypt_new(key2, true, &err);
	CHECK_EQ(ovpn_wrap_tls_crypt_wrap(w, &rid1, plain, plain_len, out,
					  sizeof(out)), -OVPN_WRAP_E_NOSPACE);
	CHECK_EQ(ovpn_wrap_tls_crypt_wrap(w, &rid1, plain, 8, out, sizeof(out)),
		 -OVPN_WRAP_E_SHORT);
	ovpn_wrap_free(w);
	ovpn_wrap_free(NULL);
	for (int e = OVPN_WRAP_E_SHORT; e < OVPN_WRAP_E_MAX; e++)
		CHECK(strcmp(ovpn_strerror(-e), "unknown error") != 0);
	CHECK_STR(ovpn_strerror(-OVPN_WRAP_E_REPLAY),
		  "replay-id refused (replayed or too old)");
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "tls-auth KAT SHA1/256/512, all directions", test_tls_auth_kat },
	{ "tls-crypt KAT, server and client slices", test_tls_crypt_kat },
	{ "truncations, bit flips, wrong keys", test_damage },
	{ "replay window table", test_replay_table },
	{ "replayed and forged wire packets", test_replay_wire },
	{ "replay-id sender, v2 start, exhaustion", test_pid_tx },
	{ "argument errors, error table", test_args },
	{ NULL, NULL }
};

int main(void)
{
	setup();
	return sl_test_run("wrap", cases);
}
