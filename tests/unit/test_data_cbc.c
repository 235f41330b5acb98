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

/*
 * Captured vectors, both directions, each digest: the recipe of
 * tests/capture/README.md ("CBC vectors") run with `data-ciphers CIPHER`
 * and `auth DIGEST` on both sides of two real OpenVPN 2.6.14 processes
 * (Debian 12 package) in namespaces, at verb 9. Keys: the server log's
 * "Master Encrypt (cipher|hmac, ...)" lines are c2s (keys[0]), "Master
 * Decrypt" s2c (keys[1]); packets: the first ICMP echo request (c2s) and
 * reply (s2c) of the tshark capture, P_DATA_V2, peer-id 0, key-id 0.
 * Each was checked with Python's hmac/hashlib and the `cryptography`
 * package before it went here.
 */
struct cbc_vector {
	const char *name;
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;
	uint32_t pid;
	const char *key, *hmac, *pkt, *plain;
};

static const struct cbc_vector vectors[] = {
	{ "AES-128-CBC-SHA256 c2s", OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA256, 2,
	  "31a039f0b493a8f424bf72ded458f3b8",
	  "4d5b73063c76f5db15247f61bca861b90fd593e226907ea0eec9bdf25eb6b2b0",
	  "48000000617edd75b02f199563fc80f144161c35f437805fa4a4710e739754fb"
	  "894a953f09bbc5d382174a400875caa9c06bae2d9741f17c564c2b0e89e7f26a"
	  "3b61c13113df9dc1670cc169f943e283e471b412a9b05e50f0f55db14a080acc"
	  "94d48e44d51bc61b14350c41c4619969f844b594facd14818d9ca742b2bc50c6"
	  "361b6a40",
	  "45000044bfad4000400166f90a0800020a08000108002f7a062e00016cb3136b"
	  "00000000f0e60c0000000000101112131415161718191a1b1c1d1e1f20212223"
	  "24252627" },
	{ "AES-128-CBC-SHA256 s2c", OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA256, 1,
	  "51178ce737d011a01ee8e25312a15618",
	  "a1f1aac6e125d14889ec635e51e46bb452057205d4ffe315f24cc7e7154a6ac9",
	  "48000000b31d384532b9d8f14e1627094e2edf049ed21d8fce5413ca75278bc5"
	  "a214604403c980a6ca6a36df20ce0af224adf0254938d1e81c4b3f9bff3e2b0b"
	  "139c45bdd8850e29b34fd24017a0a228a6fdcacc380ebe23561780e898d3b4c5"
	  "094b32a73466c124c2b2da6d2082ee7b271cbae077306ef5fe44710ee8176042"
	  "84a7d836",
	  "45000044023f0000400164680a0800010a0800020000377a062e00016cb3136b"
	  "00000000f0e60c0000000000101112131415161718191a1b1c1d1e1f20212223"
	  "24252627" },
	{ "AES-256-CBC-SHA1 c2s", OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA1, 2,
	  "8cb2aecab6bed475bb26b5dae989b8a8c08d5468f121b04d768a339195adf255",
	  "9aa4fefdd9bc129a5708bd9327ba428759198c90",
	  "48000000b37e20b7697922eab0c4811f884cad7a346c0e183e217a9504d18bc0"
	  "f129846f5014e2fbccb594cbbcd0c2fc24b8bb7a922a5f57592901a26349e371"
	  "a196bc2ac2370f2e5ee08912161300326b9473880fcb14bbaff52d4c98ab0ec1"
	  "92cd107f9919b11c6d6934339f84136778c458b8315083c6",
	  "45000044ed314000400139750a0800020a0800010800bf02045100015bb3136b"
	  "00000000723b0e0000000000101112131415161718191a1b1c1d1e1f20212223"
	  "24252627" },
	{ "AES-256-CBC-SHA1 s2c", OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA1, 1,
	  "e62e5d203bed95ccd8b86f1b4a043b6fd3063d8a3b1166bb0f139f27b5a6f903",
	  "e8a1a3bd1c2573341c78fb971e9a92c32b9bd340",
	  "480000003b7cb696e4d8f17345fb7c603991286699a69f44db9038ee57596398"
	  "8f98e92ae12591b8d83e0df8f0cb3806ed7ebccbe52e4b7e94b7a7ecb581db9a"
	  "22a0403ea8fb58e3666a4e62e16d416d1ffd51277d6360ace07139b10377eea6"
	  "a10f06f1a81dd57b2403d5dca5f2481110b5ed93a245d524",
	  "4500004421010000400145a60a0800010a0800020000c702045100015bb3136b"
	  "00000000723b0e0000000000101112131415161718191a1b1c1d1e1f20212223"
	  "24252627" },
	{ "AES-256-CBC-SHA512 c2s", OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA512, 2,
	  "fa616a223ee78138fa251dc27ef520fda6ccbf1563dc880d6861ab2f9ca4bad6",
	  "955a459e63aaa45838187e116b80665e2a76d2c45a19073465d78bf558504a0c"
	  "9d5d963a492d9e4b8c6b65c5dad6d551a3a383c02f15703d256d7da2451386ad",
	  "480000007f665c3c69d36990c1accb1e605e06946dcce4692b7eb496fb052355"
	  "92150fa9755c75634f1d59012d086430ff39e4c5e6153676521ea85d2572fec7"
	  "58a9a5b751b29f429248d6ef6da64fd586d6e86fe53c9bd2b6b7178e5a73b956"
	  "a10a503610448ced7d05349e400c0fc851ec6f2aa346ec803d144fcbe495e779"
	  "29ac6defa24a678680d7307e5f20411e48862dc06c9e3d7dd910f5dcffd2d358"
	  "2c342031",
	  "45000044f5d04000400130d60a0800020a080001080020a6050b000164b3136b"
	  "000000000fde050000000000101112131415161718191a1b1c1d1e1f20212223"
	  "24252627" },
	{ "AES-256-CBC-SHA512 s2c", OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA512, 1,
	  "4c45f76ce94c9ec0c8e108f697e136a0ac8881f75343bbbf9b96b6ce74ba58b4",
	  "a2c56c5d5ed29172e7c14b41eb8ba2a35ebef9f578407413ebfcb3692ec9eaa4"
	  "a3a2d73b4804ee87af85b0d17000548bb87302ee46529b798d1c08e81cee0372",
	  "480000004967f262a97e31b8fa38107a42c11d919249b599b18f55c0e2c8d30d"
	  "11fc814eac7896bc29ec57321b853c1ac49f4f133c7274044cb2832bb0250891"
	  "b3fa7807b6feebca9c2f1a3a405c7dbe3cfa9580c912df420a2d8dcd65aa4cdb"
	  "55102b35f8662e7927d02e1dd1ff57170f0b6feee13c65e22a22cce8854eb4c2"
	  "2ae2c81d1d1b3cf89a6ba6b3dce1dc66a14e1f4f0839b25c9fc2f707ed4c9cb0"
	  "3fb67ab5",
	  "450000444bc0000040011ae70a0800010a080002000028a6050b000164b3136b"
	  "000000000fde050000000000101112131415161718191a1b1c1d1e1f20212223"
	  "24252627" },
};

#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

struct vec_bytes {
	uint8_t pkt[256], plain[128];
	size_t len, plain_len, head;
};

static int vec_load(const struct cbc_vector *v, struct vec_bytes *b, struct ovpn_data_key *k,
		    enum ovpn_data_dir dir)
{
	b->len = hex2bin(v->pkt, b->pkt, sizeof(b->pkt));
	b->plain_len = hex2bin(v->plain, b->plain, sizeof(b->plain));
	b->head = 4 + ovpn_data_md_len(v->md) + 16 + 4;
	if (b->len == (size_t)-1 || b->plain_len == (size_t)-1)
		return -1;
	return key_from_hex(k, v->alg, v->md, dir, dir == OVPN_DATA_DIR_TX ? OVPN_P_DATA_V2 : 0,
			    0, 0, v->key, v->hmac);
}

/* Our receive side opens what OpenVPN sealed, in either direction. */
static int test_vectors_open(void)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct cbc_vector *v = &vectors[i];
		struct ovpn_data_key k;
		struct ovpn_data_rx rx;
		struct vec_bytes b;

		CHECK_EQ(vec_load(v, &b, &k, OVPN_DATA_DIR_RX), 0);
		CHECK_EQ(ovpn_data_open(&k, b.pkt, b.len, &rx), (int)b.plain_len);
		CHECK_EQ(rx.pid, v->pid);
		CHECK_EQ(rx.peer_id, 0);
		CHECK_EQ(rx.off, b.head);
		CHECK_MEM(b.pkt + rx.off, b.plain, b.plain_len);
		ovpn_data_key_free(&k);
	}
	return 0;
}

/* Our send side, given the captured IV and packet-id, writes OpenVPN's bytes. */
static int test_vectors_seal(void)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct cbc_vector *v = &vectors[i];
		uint8_t pkt[256], iv[16];
		struct ovpn_data_key k;
		struct vec_bytes b;

		CHECK_EQ(vec_load(v, &b, &k, OVPN_DATA_DIR_TX), 0);
		memcpy(iv, b.pkt + 4 + ovpn_data_md_len(v->md), 16);
		CHECK_EQ(ovpn_data_head_len(&k), b.head);
		memcpy(pkt + b.head, b.plain, b.plain_len);
		CHECK_EQ(ovpn_cbc_seal_iv(&k, pkt, b.plain_len, sizeof(pkt), v->pid, iv),
			 (int)b.len);
		CHECK_MEM(pkt, b.pkt, b.len);
		ovpn_data_key_free(&k);
	}
	return 0;
}

/*
 * Every corruption of a captured packet: each bit of the HMAC tag, the IV
 * and the ciphertext -> AUTH; every shorter length -> SHORT, BLOCK_LEN or
 * AUTH; one to 32 bytes more (garbage or a copy of the last block) ->
 * BLOCK_LEN or AUTH; a tag from the other direction's key -> AUTH.
 */
static int test_vectors_corrupt(void)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		const struct cbc_vector *v = &vectors[i];
		size_t hl = ovpn_data_md_len(v->md), min = 4 + hl + 16 + 16;
		uint8_t copy[256];
		struct ovpn_data_key k;
		struct ovpn_data_rx rx;
		struct vec_bytes b;

		CHECK_EQ(vec_load(v, &b, &k, OVPN_DATA_DIR_RX), 0);
		for (size_t bit = 32; bit < b.len * 8; bit++) {
			memcpy(copy, b.pkt, b.len);
			copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			CHECK_EQ(ovpn_data_open(&k, copy, b.len, &rx), OVPN_DATA_ERR_AUTH);
		}
		for (size_t cut = 0; cut < b.len; cut++) {
			int rc;

			memcpy(copy, b.pkt, cut);
			rc = ovpn_data_open(&k, copy, cut, &rx);
			if (cut < min)
				CHECK_EQ(rc, OVPN_DATA_ERR_SHORT);
			else
				CHECK_EQ(rc, (cut - (4 + hl + 16)) % 16 ? OVPN_DATA_ERR_BLOCK_LEN
									: OVPN_DATA_ERR_AUTH);
		}
		for (size_t more = 1; more <= 32; more++) {
			memcpy(copy, b.pkt, b.len);
			memcpy(copy + b.len, b.pkt + b.len - 16, more > 16 ? 16 : more);
			memset(copy + b.len + 16, 0xa5, more > 16 ? more - 16 : 0);
			CHECK_EQ(ovpn_data_open(&k, copy, b.len + more, &rx),
				 more % 16 ? OVPN_DATA_ERR_BLOCK_LEN : OVPN_DATA_ERR_AUTH);
		}
		/* The same packet under the other direction's keys. */
		ovpn_data_key_free(&k);
		CHECK_EQ(vec_load(&vectors[i ^ 1], &b, &k, OVPN_DATA_DIR_RX), 0);
		CHECK_EQ(hex2bin(v->pkt, copy, sizeof(copy)), b.len);
		CHECK_EQ(ovpn_data_open(&k, copy, b.len, &rx), OVPN_DATA_ERR_AUTH);
		ovpn_data_key_free(&k);
	}
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

/* The OpenSSL backend's seal (with a given IV) and open allocate nothing:
 * the HMAC runs from precomputed states (ovpn_hmac.h). Each digest. */
static int test_no_alloc_per_packet(void)
{
	static const enum ovpn_data_md mds[] = { OVPN_DATA_MD_SHA1, OVPN_DATA_MD_SHA256,
						 OVPN_DATA_MD_SHA512 };

	for (size_t d = 0; d < 3; d++) {
		struct ovpn_data_key tx, rx;
		struct ovpn_data_rx r;
		uint8_t pkt[2048], iv[16] = { 7 };
		unsigned long before;

		CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_256_CBC, mds[d], OVPN_P_DATA_V2, 0),
			 0);
		before = *data_allocs();
		for (uint32_t i = 1; i <= 100; i++) {
			int len;

			fill_pattern(pkt + ovpn_data_head_len(&tx), 1400, i);
			len = ovpn_cbc_seal_iv(&tx, pkt, 1400, sizeof(pkt), i, iv);
			CHECK(len > 0);
			CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), 1400);
		}
		CHECK_EQ(*data_allocs(), before);
		pair_free(&tx, &rx);
	}
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "KAT-6 AES-256-CBC/SHA256 opens", test_kat6_open },
	{ "KAT-6 seal with its IV reproduces bytes", test_kat6_seal },
	{ "OpenVPN 2.6 vectors open: each digest, both directions", test_vectors_open },
	{ "OpenVPN 2.6 vectors: seal with their IV reproduces bytes", test_vectors_seal },
	{ "OpenVPN 2.6 vectors: every tag, IV, ct bit; every length", test_vectors_corrupt },
	{ "round trip AES-128/256 x SHA1/256/512 x V1/V2", test_roundtrip },
	{ "tailroom, direction, empty payload", test_nospace },
	{ "every truncation 0..len-1 rejected", test_truncation },
	{ "every bit flip: header, HMAC, IV, ct", test_bit_flips },
	{ "padding table under a valid HMAC", test_padding },
	{ "wrong key-id, replay, too old", test_key_id_and_replay },
	{ "IV pool: distinct IVs across refills", test_iv_pool },
	{ "no allocation per packet (OpenSSL backend)", test_no_alloc_per_packet },
	{ NULL, NULL },
};

int main(void)
{
	if (!data_count_allocs())
		return 1;
	return sl_test_run("data_cbc", cases);
}
