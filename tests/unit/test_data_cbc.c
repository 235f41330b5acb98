/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Legacy CBC + HMAC data channel: the AES-256-CBC/SHA256 vector captured
 * from a real OpenVPN 2.6.14 session (KAT-6), round trips over every
 * cipher, digest, opcode and padding length, and the negative cases (truncation, bit flips
 * of HMAC/IV/ciphertext, bad padding under a valid HMAC, block length,
 * wrong key-id, replay).
 */
#include <openssl/evp.h>

#include "ovpn_data.h"
#include "ovpn_pktid.h"
#include "sl_test.h"
#include "test_data_util.h"

#define K6_CIPHER "49175e0a450f667ca14d2ef982a3ffe62466627757b73c17ff638c8f5bfcd73f"
#define K6_HMAC   "71b793124a965bb3602f4e0272cdf7e16efc4d43ab51c4751c7ae21ad706ccb0"
#define K6_PKT \
	"48000000" \
	"53125bea336bf2dc3642afd4e62115a7c7ce2d99ce1535b30178b773456ac02d" \
	"e9d61b17cf048618fc9a45119a69cf34" \
	"abcadf60fcabbf0def7348917dccddc664f7572999aa3cc11284ceff2adc25e7" \
	"bcd89ab2af0426296f2e53585f1885b1db4f62a798bce93ec196500fea529dd4"
#define K6_PLAIN \
	"4500002df62040004011308d0a0800020a080001a715270f0019669748454c4c" \
	"4f2d4332532d5041594c4f4144"

static const char test_key[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char test_hmac[] =
	"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f"
	"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";

static int pair_init(struct ovpn_data_key *tx, struct ovpn_data_key *rx,
		     enum ovpn_data_alg alg, enum ovpn_data_md md,
		     unsigned int opcode, unsigned int key_id)
{
	int rc = key_from_hex(tx, alg, md, OVPN_DATA_DIR_TX, opcode, key_id,
			      0x00ABCD, test_key, test_hmac);

	if (rc < 0)
		return rc;
	return key_from_hex(rx, alg, md, OVPN_DATA_DIR_RX, 0, key_id, 0,
			    test_key, test_hmac);
}

static void pair_free(struct ovpn_data_key *tx, struct ovpn_data_key *rx)
{
	ovpn_data_key_free(tx);
	ovpn_data_key_free(rx);
}

static int test_kat6_open(void)
{
	uint8_t pkt[256], plain[64];
	struct ovpn_data_key k;
	struct ovpn_data_rx rx;
	size_t len = hex2bin(K6_PKT, pkt, sizeof(pkt));

	CHECK_EQ(len, 116);
	CHECK_EQ(hex2bin(K6_PLAIN, plain, sizeof(plain)), 45);
	CHECK_EQ(key_from_hex(&k, OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256,
			      OVPN_DATA_DIR_RX, 0, 0, 0, K6_CIPHER, K6_HMAC), 0);
	CHECK_EQ(ovpn_data_open(&k, pkt, len, &rx), 45);
	ovpn_data_key_free(&k);
	CHECK_EQ(rx.pid, 3);
	CHECK_EQ(rx.peer_id, 0);
	CHECK_EQ(rx.off, 4 + 32 + 16 + 4);
	CHECK_MEM(pkt + rx.off, plain, 45);
	/* The 15 PKCS#7 bytes 0x0f follow the payload. */
	for (int i = 0; i < 15; i++)
		CHECK_EQ(pkt[rx.off + 45 + i], 0x0f);
	return 0;
}

/* With the captured IV, sealing is deterministic: same bytes as on the wire. */
static int test_kat6_seal(void)
{
	uint8_t want[256], pkt[256], iv[16];
	struct ovpn_data_key k;
	size_t len = hex2bin(K6_PKT, want, sizeof(want));

	memcpy(iv, want + 36, 16);
	CHECK_EQ(key_from_hex(&k, OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256,
			      OVPN_DATA_DIR_TX, OVPN_P_DATA_V2, 0, 0, K6_CIPHER, K6_HMAC), 0);
	CHECK_EQ(ovpn_data_head_len(&k), 56);
	CHECK_EQ(hex2bin(K6_PLAIN, pkt + 56, sizeof(pkt) - 56), 45);
	CHECK_EQ(ovpn_cbc_seal_iv(&k, pkt, 45, sizeof(pkt), 3, iv), (int)len);
	ovpn_data_key_free(&k);
	CHECK_MEM(pkt, want, len);
	return 0;
}

static int roundtrip_one(enum ovpn_data_alg alg, enum ovpn_data_md md,
			 unsigned int opcode, size_t pt_len)
{
	struct ovpn_data_key tx, rx;
	struct ovpn_data_rx r;
	uint8_t pkt[2048], want[2048];
	size_t head, hdr = opcode == OVPN_P_DATA_V2 ? 4 : 1;
	size_t ct_len = (4 + pt_len + 16) / 16 * 16;
	int len;

	CHECK_EQ(pair_init(&tx, &rx, alg, md, opcode, 6), 0);
	head = ovpn_data_head_len(&tx);
	CHECK_EQ(head, hdr + ovpn_data_md_len(md) + 16 + 4);
	fill_pattern(want, pt_len, (unsigned int)pt_len);
	memcpy(pkt + head, want, pt_len);
	/* Exactly enough room for this packet's padding is enough. */
	len = ovpn_data_seal(&tx, pkt, pt_len, hdr + ovpn_data_md_len(md) + 16 + ct_len,
			     1000 + (uint32_t)pt_len);
	CHECK_EQ(len, (int)(hdr + ovpn_data_md_len(md) + 16 + ct_len));
	CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), (int)pt_len);
	CHECK_EQ(r.pid, 1000 + pt_len);
	CHECK_EQ(r.key_id, 6);
	CHECK_EQ(r.peer_id, opcode == OVPN_P_DATA_V2 ? 0x00ABCDu : OVPN_PEER_ID_UNDEF);
	CHECK_EQ(r.off, head);
	CHECK_MEM(pkt + r.off, want, pt_len);
	pair_free(&tx, &rx);
	return 0;
}

static int test_roundtrip(void)
{
	static const enum ovpn_data_alg algs[] = {
		OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_ALG_AES_256_CBC,
	};
	static const enum ovpn_data_md mds[] = {
		OVPN_DATA_MD_SHA1, OVPN_DATA_MD_SHA256, OVPN_DATA_MD_SHA512,
	};

	for (size_t a = 0; a < 2; a++)
		for (size_t m = 0; m < 3; m++)
			for (unsigned int op = OVPN_P_DATA_V1; op <= OVPN_P_DATA_V2; op += 3) {
				/* 1..48 covers every pad length 1..16 three times. */
				for (size_t n = 1; n <= 48; n++)
					CHECK_EQ(roundtrip_one(algs[a], mds[m], op, n), 0);
				CHECK_EQ(roundtrip_one(algs[a], mds[m], op, 1400), 0);
			}
	return 0;
}

static int test_nospace(void)
{
	struct ovpn_data_key tx, rx;
	uint8_t pkt[256];

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256,
			   OVPN_P_DATA_V2, 0), 0);
	CHECK_EQ(ovpn_data_tail_max(&tx), 16);
	/* 12 bytes + 4 pid = 16 -> a whole block of padding is needed. */
	CHECK_EQ(ovpn_data_seal(&tx, pkt, 12, 56 + 12 + 15, 1), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_data_seal(&tx, pkt, 12, 56 + 12 + 16, 1), 56 + 28);
	CHECK_EQ(ovpn_data_seal(&tx, pkt, 0, sizeof(pkt), 1), OVPN_DATA_ERR_SHORT);
	CHECK_EQ(ovpn_data_seal(&rx, pkt, 10, sizeof(pkt), 1), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_aead_seal(&tx, pkt, 10, sizeof(pkt), 1), OVPN_DATA_ERR_INVAL);
	pair_free(&tx, &rx);
	return 0;
}

static int test_truncation(void)
{
	struct ovpn_data_key tx, rx;
	struct ovpn_data_rx r;
	uint8_t pkt[256], copy[256];
	int len;

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256,
			   OVPN_P_DATA_V2, 0), 0);
	fill_pattern(pkt + 56, 100, 3);
	len = ovpn_data_seal(&tx, pkt, 100, sizeof(pkt), 7);
	CHECK_EQ(len, 4 + 32 + 16 + 112);
	for (int cut = 0; cut < len; cut++) {
		int rc;

		memcpy(copy, pkt, (size_t)cut);
		rc = ovpn_data_open(&rx, copy, (size_t)cut, &r);
		if (cut < 4 + 32 + 16 + 16)
			CHECK_EQ(rc, OVPN_DATA_ERR_SHORT);
		else if ((cut - 52) % 16 != 0)
			CHECK_EQ(rc, OVPN_DATA_ERR_BLOCK_LEN);
		else
			CHECK_EQ(rc, OVPN_DATA_ERR_AUTH);
	}
	CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), 100);
	pair_free(&tx, &rx);
	return 0;
}

/* Header bits: key-id -> KEY_ID, opcode -> OPCODE, peer-id -> accepted
 * (the HMAC does not cover the header, OpenVPN src/openvpn/crypto.c
 * openvpn_encrypt_v1). Every HMAC, IV and ciphertext bit -> AUTH. */
static int test_bit_flips(void)
{
	struct ovpn_data_key tx, rx;
	struct ovpn_data_rx r;
	uint8_t pkt[128], copy[128];
	size_t n_mac = 0;
	int len;

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA1,
			   OVPN_P_DATA_V2, 0), 0);
	fill_pattern(pkt + 4 + 20 + 16 + 4, 30, 9);
	len = ovpn_data_seal(&tx, pkt, 30, sizeof(pkt), 99);
	CHECK(len > 0);
	for (size_t bit = 0; bit < (size_t)len * 8; bit++) {
		size_t byte = bit / 8;
		int rc;

		memcpy(copy, pkt, (size_t)len);
		copy[byte] ^= (uint8_t)(1u << (bit % 8));
		rc = ovpn_data_open(&rx, copy, (size_t)len, &r);
		if (bit < 3)
			CHECK_EQ(rc, OVPN_DATA_ERR_KEY_ID);
		else if (bit < 8)
			CHECK_EQ(rc, OVPN_DATA_ERR_OPCODE);
		else if (byte < 4)
			CHECK(rc == 30 && r.peer_id != 0x00ABCD);
		else
			CHECK_EQ(rc, OVPN_DATA_ERR_AUTH);
		n_mac += byte >= 4 && byte < 24;
	}
	CHECK_EQ(n_mac, 20 * 8);
	pair_free(&tx, &rx);
	return 0;
}

/* Build a V2/key 0 AES-256-CBC/SHA256 packet from raw blocks with a valid
 * HMAC (raw EVP, independent of the code under test). */
static int raw_packet(uint8_t *pkt, const uint8_t *blocks, size_t n)
{
	uint8_t key[32], hkey[64], iv[16] = { 1, 2, 3 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t maclen = 0;
	int outl = 0, ok;

	hex2bin(test_key, key, sizeof(key));
	hex2bin(test_hmac, hkey, sizeof(hkey));
	memcpy(pkt, "\x48\x00\x00\x00", 4);
	memcpy(pkt + 36, iv, 16);
	ok = c != NULL && EVP_EncryptInit_ex2(c, EVP_aes_256_cbc(), key, iv, NULL) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) &&
	     EVP_EncryptUpdate(c, pkt + 52, &outl, blocks, (int)n) &&
	     EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hkey, 32, pkt + 36,
		       16 + n, pkt + 4, 32, &maclen) != NULL;
	EVP_CIPHER_CTX_free(c);
	return ok && (size_t)outl == n && maclen == 32 ? (int)(52 + n) : -1;
}

static int test_padding(void)
{
	static const struct {
		size_t n;		/* plaintext bytes, multiple of 16 */
		int last;		/* value of the last byte, -1: keep 0x10 fill */
		int poke;		/* index to corrupt, -1: none */
		int want;
	} rows[] = {
		/* 1 */ { 16, 0x00, -1, OVPN_DATA_ERR_PADDING },
		/* 2 */ { 16, 0x11, -1, OVPN_DATA_ERR_PADDING },
		/* 3 */ { 32, 0x05, 28, OVPN_DATA_ERR_PADDING },	/* one pad byte wrong */
		/* 4 */ { 16, 0x10, -1, OVPN_DATA_ERR_PADDING },	/* no room for pid */
		/* 5 */ { 16, 0x0d, -1, OVPN_DATA_ERR_PADDING },	/* 3 bytes of pid */
		/* 6 */ { 16, 0x0c, -1, OVPN_DATA_ERR_SHORT },	/* pid only, empty */
		/* 7 */ { 16, 0x0b, -1, 1 },			/* 1-byte payload */
		/* 8 */ { 32, 0x10, -1, 12 },			/* full pad block */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ovpn_data_key rx;
		struct ovpn_data_rx r;
		uint8_t blocks[32], pkt[128];
		size_t n = rows[i].n;
		int len;

		memset(blocks, rows[i].last, sizeof(blocks));
		ovpn_put_be32(blocks, 5);
		if (rows[i].poke >= 0)
			blocks[rows[i].poke] ^= 0x40;
		len = raw_packet(pkt, blocks, n);
		CHECK(len > 0);
		CHECK_EQ(key_from_hex(&rx, OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256,
				      OVPN_DATA_DIR_RX, 0, 0, 0, test_key, test_hmac), 0);
		if (ovpn_data_open(&rx, pkt, (size_t)len, &r) != rows[i].want) {
			fprintf(stderr, "padding row %zu\n", i + 1);
			return -1;
		}
		ovpn_data_key_free(&rx);
	}
	return 0;
}

static int test_key_id_and_replay(void)
{
	struct ovpn_data_key tx, rx, rx2;
	struct ovpn_pktid_recv w;
	struct ovpn_data_rx r;
	uint8_t pkt[128], copy[128];
	int len;

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA512,
			   OVPN_P_DATA_V1, 1), 0);
	CHECK_EQ(key_from_hex(&rx2, OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA512,
			      OVPN_DATA_DIR_RX, 0, 2, 0, test_key, test_hmac), 0);
	CHECK_EQ(ovpn_pktid_recv_init(&w, 64), 0);
	fill_pattern(pkt + ovpn_data_head_len(&tx), 20, 1);
	len = ovpn_data_seal(&tx, pkt, 20, sizeof(pkt), 500);
	memcpy(copy, pkt, (size_t)len);
	CHECK_EQ(ovpn_data_open(&rx2, copy, (size_t)len, &r), OVPN_DATA_ERR_KEY_ID);
	CHECK_EQ(ovpn_data_open(&rx, copy, (size_t)len, &r), 20);
	CHECK_EQ(ovpn_pktid_recv_check(&w, r.pid), 0);
	memcpy(copy, pkt, (size_t)len);
	CHECK_EQ(ovpn_data_open(&rx, copy, (size_t)len, &r), 20);
	CHECK_EQ(ovpn_pktid_recv_check(&w, r.pid), OVPN_DATA_ERR_REPLAY);
	CHECK_EQ(ovpn_pktid_recv_check(&w, 436), OVPN_DATA_ERR_TOO_OLD);
	ovpn_data_key_free(&rx2);
	pair_free(&tx, &rx);
	return 0;
}

/* IVs from the pool are all distinct across refills, and every packet of
 * the same plaintext differs. */
static int test_iv_pool(void)
{
	enum { N = 3 * OVPN_CBC_IV_POOL + 5 };
	static uint8_t ivs[N][16];
	struct ovpn_data_key tx, rx;
	struct ovpn_data_rx r;
	uint8_t pkt[128];

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA256,
			   OVPN_P_DATA_V2, 0), 0);
	for (int i = 0; i < N; i++) {
		int len;

		fill_pattern(pkt + 56, 40, 0);
		len = ovpn_data_seal(&tx, pkt, 40, sizeof(pkt), (uint32_t)i + 1);
		CHECK_EQ(len, 4 + 32 + 16 + 48);
		memcpy(ivs[i], pkt + 36, 16);
		CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), 40);
		for (int j = 0; j < i; j++)
			CHECK(memcmp(ivs[i], ivs[j], 16) != 0);
	}
	pair_free(&tx, &rx);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "KAT-6 AES-256-CBC/SHA256 opens", test_kat6_open },
	{ "KAT-6 seal with its IV reproduces bytes", test_kat6_seal },
	{ "round trip AES-128/256 x SHA1/256/512 x V1/V2", test_roundtrip },
	{ "tailroom, direction, empty payload", test_nospace },
	{ "every truncation 0..len-1 rejected", test_truncation },
	{ "every bit flip: header, HMAC, IV, ct", test_bit_flips },
	{ "padding table under a valid HMAC", test_padding },
	{ "wrong key-id, replay, too old", test_key_id_and_replay },
	{ "IV pool: distinct IVs across refills", test_iv_pool },
	{ NULL, NULL },
};

int main(void)
{
	return sl_test_run("data_cbc", cases);
}
