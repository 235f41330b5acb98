/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AEAD data channel: classification, headers, the vectors captured from
 * real OpenVPN 2.6.14 sessions (KAT-7 and KAT-8, AES-128-GCM, by the recipe
 * in tests/capture/README.md), round trips for every cipher and opcode, and the
 * negative cases (every truncation, every tag/AAD/ciphertext bit flip,
 * wrong key-id, V1 AAD, replay through the packet-id window).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ovpn_comp.h"
#include "ovpn_data.h"
#include "ovpn_inband.h"
#include "ovpn_pktid.h"
#include "sl_test.h"
#include "test_data_util.h"

#define C2S_KEY	"6c3b9249e6d6c04a9836bb95ca7bdfb1a0b34709aa863a08cd16784d20d0389e"
#define C2S_IV	"e5a50640869ddf17"
#define S2C_KEY	"4402c1e2b7c5b8f702fc503c061f1e5ab1113cccf4fad7facc7dc41d8c7db8b0"
#define S2C_IV	"4675b12ea2a1ffd9"
#define PING_HEX "2a187bf3641eb4cb07ed2d0a981fc748"

static const struct kat {
	const char *name;
	enum ovpn_data_alg alg;
	const char *key, *iv, *pkt, *plain;
	uint32_t pid;
} kats[] = {
	{ "KAT-1", OVPN_DATA_ALG_AES_256_GCM, C2S_KEY, C2S_IV,
	  "480000000000000641a117d49799164c831e18c3765704076029b2480c3225b2de9c25258b25d6f1",
	  PING_HEX, 6 },
	{ "KAT-2", OVPN_DATA_ALG_AES_256_GCM, S2C_KEY, S2C_IV,
	  "480000000000000590d0d1e99ac77c533eb015d639c4a3656f9c8cee3ce42023d93dc2418be80dfd",
	  PING_HEX, 5 },
	{ "KAT-3", OVPN_DATA_ALG_AES_256_GCM, C2S_KEY, C2S_IV,
	  "4800000000000004772a2bc1cccc6a860c0378ecbe1bf29dd66e44e3b6af4c79558f130311afbd81e7d1d6a935650c49a165cb5df29c50fe6964a5d4aacc670e94e19325e7712b4d49ddf7114335978dae",
	  "45000039bc78400040116a290a0800020a08000186fa270f0025812248454c4c4f2d444154412d4348414e4e454c2d30313233343536373839",
	  4 },
	{ "KAT-4", OVPN_DATA_ALG_CHACHA20_POLY1305,
	  "cf80fa4f7e798f831dafdeb2fea871cdab813101c794b02b1dbce6d6e9c8ef9f",
	  "81d6f3c3c5d8a881",
	  "4800000000000001b3c2ff57cec20cfdc86f78b11176e11f8932230db642222d61cbaaeac8a3142f7c0122ae91c8e8662155bb9cf4a9db2334ab9664cccb92cde3a0db4062e4e872",
	  "6000000000083afffe80000000000000c9f3e6636dc53b54ff020000000000000000000000000002850023c600000000",
	  1 },
	{ "KAT-5", OVPN_DATA_ALG_AES_256_GCM,
	  "c150f49b0c4f6bd669dd93eafb14dbfbd9365f77ebfb5126ff41c129f01fc585",
	  "bf19c31a51b0ff3a",
	  "4800000000000003b70aaf8f55618d204a3d0ecdd0067f822410ccd4d6ceb5e2e88c2d8cb3b38ab492a02d50ff84c1c252cdc053d9626c3b2f4792e104da0b3ccc490db9ab9b",
	  "fa4500002dedc54000401138e80a0800020a080001dfc3270f00192de948454c4c4f2d4332532d5041594c4f4144",
	  3 },
	/* Captured here (tests/capture/README.md): AES-128-GCM, ICMP echo
	 * request c2s and its reply s2c; both also decrypted in Python. */
	{ "KAT-7", OVPN_DATA_ALG_AES_128_GCM,
	  "fd71399aa518add2b62072fe2dbbee3d", "b707343a3c59454c",
	  "4800000000000002f19ff4f82abf34b061693f0738c435f2ba4a7f3c9c3d0d459d482dec37ed696a69c8d1472ea05f72836e4f40afa2776945e2380ed4194d37e56005edab735f5a0b7b300aaa8ffa3bb58dd3cdfdccb2c54ef7de95",
	  "4500004437a740004001eeff0a0800020a0800010800ff8d52b30001e546026b0000000070ba080000000000101112131415161718191a1b1c1d1e1f2021222324252627",
	  2 },
	{ "KAT-8", OVPN_DATA_ALG_AES_128_GCM,
	  "1c91a9e090ef893c5b46bf43d88b302d", "639f9e33d5051035",
	  "4800000000000001b57ed2f15413f9420e6ddd4a7f0d7e9e65e2125e2cf1ade686eea4939519e24bfe5e8467dacd36074976372407561cedcd7d5e02f948903c16ce9cd521b82dae8fc149dba89e939cf0dfa54aa109d18bcde7b461",
	  "4500004402af0000400163f80a0800010a0800020000078e52b30001e546026b0000000070ba080000000000101112131415161718191a1b1c1d1e1f2021222324252627",
	  1 },
};
#define N_KATS (sizeof(kats) / sizeof(kats[0]))

static const enum ovpn_data_alg aead_algs[] = {
	OVPN_DATA_ALG_AES_128_GCM, OVPN_DATA_ALG_AES_256_GCM,
	OVPN_DATA_ALG_CHACHA20_POLY1305,
};
#define N_ALGS (sizeof(aead_algs) / sizeof(aead_algs[0]))

static const char test_key[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char test_tail[] = "a0a1a2a3a4a5a6a7";

/* A TX/RX pair on the same key material. */
static int pair_init(struct ovpn_data_key *tx, struct ovpn_data_key *rx,
		     enum ovpn_data_alg alg, unsigned int opcode,
		     unsigned int key_id, uint32_t peer_id)
{
	int rc = key_from_hex(tx, alg, OVPN_DATA_MD_NONE, OVPN_DATA_DIR_TX,
			      opcode, key_id, peer_id, test_key, test_tail);

	if (rc < 0)
		return rc;
	return key_from_hex(rx, alg, OVPN_DATA_MD_NONE, OVPN_DATA_DIR_RX,
			    0, key_id, 0, test_key, test_tail);
}

static void pair_free(struct ovpn_data_key *tx, struct ovpn_data_key *rx)
{
	ovpn_data_key_free(tx);
	ovpn_data_key_free(rx);
}

/* Seal pt_len pattern bytes with pid into pkt; returns the packet length. */
static int seal_pattern(struct ovpn_data_key *tx, uint8_t *pkt, size_t cap,
			size_t pt_len, uint32_t pid)
{
	fill_pattern(pkt + ovpn_data_head_len(tx), pt_len, pid);
	return ovpn_data_seal(tx, pkt, pt_len, cap, pid);
}

static int test_classify(void)
{
	uint8_t b[4] = { 0 };

	CHECK_EQ(ovpn_data_classify(b, 0), OVPN_DATA_CLASS_DROP);
	for (unsigned int v = 0; v < 256; v++) {
		unsigned int op = v >> 3;
		enum ovpn_data_class want = OVPN_DATA_CLASS_DROP;

		if (op == OVPN_P_DATA_V1)
			want = OVPN_DATA_CLASS_DATA_V1;
		else if (op == OVPN_P_DATA_V2)
			want = OVPN_DATA_CLASS_DATA_V2;
		else if (op >= 1 && op <= OVPN_P_OPCODE_MAX)
			want = OVPN_DATA_CLASS_CONTROL;
		b[0] = (uint8_t)v;
		CHECK_EQ(ovpn_data_classify(b, 4), want);
		/* A P_DATA_V2 needs its whole 4-byte header. */
		for (size_t len = 1; len < 4; len++)
			CHECK_EQ(ovpn_data_classify(b, len),
				 op == OVPN_P_DATA_V2 ? OVPN_DATA_CLASS_DROP : want);
	}
	return 0;
}

static int test_header(void)
{
	struct ovpn_data_hdr h;
	uint8_t b[8];

	for (unsigned int kid = 0; kid <= OVPN_KEY_ID_MAX; kid++) {
		CHECK_EQ(ovpn_data_hdr_build(b, 4, OVPN_P_DATA_V2, kid, 0xABCDEF), 4);
		CHECK_EQ(b[0], 0x48 | kid);
		CHECK_EQ(ovpn_data_classify(b, 4), OVPN_DATA_CLASS_DATA_V2);
		CHECK_EQ(ovpn_data_peer_id(b), 0xABCDEF);
		CHECK_EQ(ovpn_data_hdr_parse(b, 4, &h), 4);
		CHECK_EQ(h.opcode, OVPN_P_DATA_V2);
		CHECK_EQ(h.key_id, kid);
		CHECK_EQ(h.peer_id, 0xABCDEF);
		CHECK_EQ(ovpn_data_hdr_build(b, 1, OVPN_P_DATA_V1, kid, 7), 1);
		CHECK_EQ(b[0], 0x30 | kid);
		CHECK_EQ(ovpn_data_hdr_parse(b, 1, &h), 1);
		CHECK_EQ(h.peer_id, OVPN_PEER_ID_UNDEF);
	}
	b[0] = 0x48;
	CHECK_EQ(ovpn_data_hdr_parse(b, 3, &h), OVPN_DATA_ERR_SHORT);
	CHECK_EQ(ovpn_data_hdr_parse(b, 0, &h), OVPN_DATA_ERR_SHORT);
	b[0] = 0x20;
	CHECK_EQ(ovpn_data_hdr_parse(b, 8, &h), OVPN_DATA_ERR_OPCODE);
	CHECK_EQ(ovpn_data_hdr_build(b, 3, OVPN_P_DATA_V2, 0, 1), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_data_hdr_build(b, 8, OVPN_P_CONTROL_V1, 0, 1), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_data_hdr_build(b, 8, OVPN_P_DATA_V2, 8, 1), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_data_hdr_build(b, 8, OVPN_P_DATA_V2, 0, 0x1000000), OVPN_DATA_ERR_INVAL);
	return 0;
}

static int test_err_table(void)
{
	/* Every code of every module: a name of its own and a description. */
	for (int e = 0; e > -OVPN_ERR_COUNT; e--) {
		CHECK(strcmp(ovpn_err_name(e), "unknown") != 0);
		CHECK(strlen(ovpn_strerror(e)) > 0);
		CHECK(strcmp(ovpn_strerror(e), "unknown error") != 0);
		for (int f = e - 1; f > -OVPN_ERR_COUNT; f--)
			CHECK(strcmp(ovpn_err_name(e), ovpn_err_name(f)) != 0);
	}
	/* -err of a data error indexes an OVPN_DATA_ERR_NUM array. */
	CHECK_EQ(OVPN_DATA_ERR_SHORT, -1);
	CHECK_EQ(OVPN_DATA_ERR_CRYPTO, 1 - OVPN_DATA_ERR_NUM);
	CHECK_STR(ovpn_err_name(OVPN_DATA_ERR_AUTH), "auth");
	CHECK_STR(ovpn_err_name(-OVPN_ERR_COUNT), "unknown");
	CHECK_STR(ovpn_strerror(-OVPN_ERR_COUNT), "unknown error");
	CHECK_STR(ovpn_err_name(1), "unknown");
	CHECK_EQ(ovpn_data_alg_from_name("aes-256-gcm"), OVPN_DATA_ALG_AES_256_GCM);
	CHECK_EQ(ovpn_data_alg_from_name("CHACHA20-POLY1305"), OVPN_DATA_ALG_CHACHA20_POLY1305);
	CHECK_EQ(ovpn_data_alg_from_name("BF-CBC"), -1);
	CHECK_EQ(ovpn_data_md_from_name("SHA256"), OVPN_DATA_MD_SHA256);
	return 0;
}

/* Every captured packet must open with the logged key and give the logged
 * plaintext; KAT-1/2 are pings, KAT-5 carries comp-lzo 0xFA framing. */
static int test_kat_open(void)
{
	for (size_t i = 0; i < N_KATS; i++) {
		const struct kat *v = &kats[i];
		uint8_t pkt[256], plain[256];
		struct ovpn_data_key k;
		struct ovpn_data_rx rx;
		size_t len = hex2bin(v->pkt, pkt, sizeof(pkt));
		size_t plen = hex2bin(v->plain, plain, sizeof(plain));

		CHECK(len != (size_t)-1 && plen != (size_t)-1);
		CHECK_EQ(key_from_hex(&k, v->alg, OVPN_DATA_MD_NONE, OVPN_DATA_DIR_RX,
				      0, 0, 0, v->key, v->iv), 0);
		CHECK_EQ(ovpn_data_classify(pkt, len), OVPN_DATA_CLASS_DATA_V2);
		CHECK_EQ(ovpn_data_open(&k, pkt, len, &rx), (int)plen);
		ovpn_data_key_free(&k);
		CHECK_EQ(rx.pid, v->pid);
		CHECK_EQ(rx.peer_id, 0);
		CHECK_EQ(rx.off, 24);
		CHECK_MEM(pkt + rx.off, plain, plen);
	}
	return 0;
}

/* AEAD is deterministic given key, nonce and AAD: sealing the logged
 * plaintext with the same pid must reproduce the captured bytes exactly. */
static int test_kat_seal(void)
{
	for (size_t i = 0; i < N_KATS; i++) {
		const struct kat *v = &kats[i];
		uint8_t want[256], pkt[256];
		struct ovpn_data_key k;
		size_t len = hex2bin(v->pkt, want, sizeof(want));
		size_t plen = hex2bin(v->plain, pkt + 24, sizeof(pkt) - 24);

		CHECK(len != (size_t)-1 && plen != (size_t)-1);
		CHECK_EQ(key_from_hex(&k, v->alg, OVPN_DATA_MD_NONE, OVPN_DATA_DIR_TX,
				      OVPN_P_DATA_V2, 0, 0, v->key, v->iv), 0);
		CHECK_EQ(ovpn_data_head_len(&k), 24);
		CHECK_EQ(ovpn_data_seal(&k, pkt, plen, sizeof(pkt), v->pid), (int)len);
		ovpn_data_key_free(&k);
		CHECK_MEM(pkt, want, len);
	}
	return 0;
}

/* The decrypted payloads pass through the later stages as the reference
 * would: ping recognised, KAT-5's 0xFA stripped to an IPv4 packet. */
static int test_kat_pipeline(void)
{
	uint8_t pkt[256];
	struct ovpn_data_key k;
	struct ovpn_data_rx rx;
	struct ovpn_occ_msg occ;
	size_t len = hex2bin(kats[4].pkt, pkt, sizeof(pkt)), off;
	int n;

	CHECK_EQ(key_from_hex(&k, kats[4].alg, OVPN_DATA_MD_NONE, OVPN_DATA_DIR_RX,
			      0, 0, 0, kats[4].key, kats[4].iv), 0);
	n = ovpn_data_open(&k, pkt, len, &rx);
	ovpn_data_key_free(&k);
	CHECK_EQ(n, 46);
	n = ovpn_comp_strip(OVPN_COMP_LZO, pkt + rx.off, (size_t)n, &off);
	CHECK_EQ(n, 45);
	CHECK_EQ(pkt[rx.off + off], 0x45);
	CHECK_EQ(ovpn_inband_parse(pkt + rx.off + off, (size_t)n, &occ), OVPN_INBAND_NONE);

	len = hex2bin(kats[1].pkt, pkt, sizeof(pkt));
	CHECK_EQ(key_from_hex(&k, kats[1].alg, OVPN_DATA_MD_NONE, OVPN_DATA_DIR_RX,
			      0, 0, 0, kats[1].key, kats[1].iv), 0);
	n = ovpn_data_open(&k, pkt, len, &rx);
	ovpn_data_key_free(&k);
	CHECK_EQ(n, OVPN_PING_LEN);
	CHECK_EQ(ovpn_inband_parse(pkt + rx.off, (size_t)n, &occ), OVPN_INBAND_PING);
	return 0;
}

static int roundtrip_one(enum ovpn_data_alg alg, unsigned int opcode, size_t pt_len)
{
	struct ovpn_data_key tx, rx;
	struct ovpn_data_rx r;
	uint8_t pkt[2048], want[2048];
	size_t head;
	int len;

	CHECK_EQ(pair_init(&tx, &rx, alg, opcode, 3, 0x123456), 0);
	head = ovpn_data_head_len(&tx);
	CHECK_EQ(head, (opcode == OVPN_P_DATA_V2 ? 4u : 1u) + 4 + 16);
	fill_pattern(want, pt_len, 77);
	memcpy(pkt + head, want, pt_len);
	len = ovpn_data_seal(&tx, pkt, pt_len, sizeof(pkt), 77);
	CHECK_EQ(len, (int)(head + pt_len));
	CHECK_EQ(pkt[0], ovpn_op_byte((enum ovpn_opcode)opcode, 3));
	CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), (int)pt_len);
	CHECK_EQ(r.pid, 77);
	CHECK_EQ(r.key_id, 3);
	CHECK_EQ(r.opcode, opcode);
	CHECK_EQ(r.peer_id, opcode == OVPN_P_DATA_V2 ? 0x123456u : OVPN_PEER_ID_UNDEF);
	CHECK_EQ(r.off, head);
	CHECK_MEM(pkt + r.off, want, pt_len);
	pair_free(&tx, &rx);
	return 0;
}

static int test_roundtrip(void)
{
	static const size_t sizes[] = { 1, 2, 15, 16, 17, 64, 512, 1400, 1500, 2000 };

	for (size_t a = 0; a < N_ALGS; a++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			CHECK_EQ(roundtrip_one(aead_algs[a], OVPN_P_DATA_V2, sizes[s]), 0);
			CHECK_EQ(roundtrip_one(aead_algs[a], OVPN_P_DATA_V1, sizes[s]), 0);
		}
	return 0;
}

/* Every prefix of a valid packet, from 0 bytes to one short, is refused. */
static int test_truncation(void)
{
	for (size_t a = 0; a < N_ALGS; a++) {
		for (unsigned int op = OVPN_P_DATA_V1; op <= OVPN_P_DATA_V2; op += 3) {
			struct ovpn_data_key tx, rx;
			struct ovpn_data_rx r;
			uint8_t pkt[256], copy[256];
			int len;

			CHECK_EQ(pair_init(&tx, &rx, aead_algs[a], op, 0, 9), 0);
			len = seal_pattern(&tx, pkt, sizeof(pkt), 100, 1);
			CHECK(len > 0);
			for (int cut = 0; cut < len; cut++) {
				int rc;

				memcpy(copy, pkt, (size_t)cut);
				rc = ovpn_data_open(&rx, copy, (size_t)cut, &r);
				CHECK(rc == OVPN_DATA_ERR_SHORT || rc == OVPN_DATA_ERR_AUTH);
				CHECK(cut >= (op == OVPN_P_DATA_V2 ? 25 : 22) ||
				      rc == OVPN_DATA_ERR_SHORT);
			}
			memcpy(copy, pkt, (size_t)len);
			CHECK_EQ(ovpn_data_open(&rx, copy, (size_t)len, &r), 100);
			pair_free(&tx, &rx);
		}
	}
	return 0;
}

/* Flip each bit of the packet: header/peer-id/packet-id (AAD), tag and
 * ciphertext. Only the V2 opcode/key-id bits may give another error. */
static int flip_all(enum ovpn_data_alg alg, unsigned int opcode, size_t *n_tag)
{
	struct ovpn_data_key tx, rx;
	struct ovpn_data_rx r;
	uint8_t pkt[128], copy[128];
	size_t hdr = opcode == OVPN_P_DATA_V2 ? 4 : 1;
	int len;

	CHECK_EQ(pair_init(&tx, &rx, alg, opcode, 0, 9), 0);
	len = seal_pattern(&tx, pkt, sizeof(pkt), 40, 1234);
	CHECK(len > 0);
	for (size_t bit = 0; bit < (size_t)len * 8; bit++) {
		int rc;

		memcpy(copy, pkt, (size_t)len);
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = ovpn_data_open(&rx, copy, (size_t)len, &r);
		if (bit < 3)
			CHECK_EQ(rc, OVPN_DATA_ERR_KEY_ID);
		else if (bit < 8)
			CHECK(rc == OVPN_DATA_ERR_OPCODE || rc == OVPN_DATA_ERR_AUTH ||
			      rc == OVPN_DATA_ERR_SHORT);
		else
			CHECK_EQ(rc, OVPN_DATA_ERR_AUTH);
		if (bit / 8 >= hdr + 4 && bit / 8 < hdr + 4 + 16)
			(*n_tag)++;
	}
	pair_free(&tx, &rx);
	return 0;
}

static int test_bit_flips(void)
{
	for (size_t a = 0; a < N_ALGS; a++) {
		size_t n_tag = 0;

		CHECK_EQ(flip_all(aead_algs[a], OVPN_P_DATA_V2, &n_tag), 0);
		CHECK_EQ(flip_all(aead_algs[a], OVPN_P_DATA_V1, &n_tag), 0);
		CHECK_EQ(n_tag, 2 * 128);	/* every tag bit, both formats */
	}
	return 0;
}

static int test_wrong_key_id(void)
{
	struct ovpn_data_key tx, rx, rx1;
	struct ovpn_data_rx r;
	uint8_t pkt[128];
	int len;

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_256_GCM, OVPN_P_DATA_V2, 1, 0), 0);
	CHECK_EQ(key_from_hex(&rx1, OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
			      OVPN_DATA_DIR_RX, 0, 2, 0, test_key, test_tail), 0);
	len = seal_pattern(&tx, pkt, sizeof(pkt), 20, 5);
	CHECK_EQ(ovpn_data_open(&rx1, pkt, (size_t)len, &r), OVPN_DATA_ERR_KEY_ID);
	CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), 20);
	/* A non-data opcode never reaches the cipher. */
	pkt[0] = ovpn_op_byte(OVPN_P_CONTROL_V1, 1);
	CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), OVPN_DATA_ERR_OPCODE);
	ovpn_data_key_free(&rx1);
	pair_free(&tx, &rx);
	return 0;
}

/* Independent reference encoder (raw EVP) to build packets our API refuses
 * to build: packet-id 0, and a V1 packet whose AAD wrongly includes the
 * opcode byte. Tag then ciphertext follow the packet-id at pkt + pid_off. */
static int ref_seal(const char *cipher, const uint8_t *key, const uint8_t *tail,
		    uint8_t *pkt, size_t pid_off, size_t aad_off, size_t pt_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], *data = pkt + pid_off + 4 + 16;
	int n, ok;

	memcpy(nonce, pkt + pid_off, 4);
	memcpy(nonce + 4, tail, 8);
	ok = c != NULL &&
	     EVP_EncryptInit_ex2(c, EVP_get_cipherbyname(cipher), key, nonce, NULL) &&
	     EVP_EncryptUpdate(c, NULL, &n, pkt + aad_off, (int)(pid_off + 4 - aad_off)) &&
	     EVP_EncryptUpdate(c, data, &n, data, (int)pt_len) &&
	     EVP_EncryptFinal_ex(c, data + n, &n) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, pkt + pid_off + 4);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int test_v1_aad(void)
{
	struct ovpn_data_key rx;
	struct ovpn_data_rx r;
	uint8_t key[32], tail[8], pkt[64];

	CHECK_EQ(hex2bin(test_key, key, sizeof(key)), 32);
	CHECK_EQ(hex2bin(test_tail, tail, sizeof(tail)), 8);
	CHECK_EQ(key_from_hex(&rx, OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
			      OVPN_DATA_DIR_RX, 0, 0, 0, test_key, test_tail), 0);
	/* Reference V1: AAD = packet-id only -> accepted. */
	pkt[0] = 0x30;
	ovpn_put_be32(pkt + 1, 100);
	fill_pattern(pkt + 21, 20, 1);
	CHECK_EQ(ref_seal("AES-256-GCM", key, tail, pkt, 1, 1, 20), 0);
	CHECK_EQ(ovpn_data_open(&rx, pkt, 41, &r), 20);
	CHECK_EQ(r.pid, 100);
	/* The opcode is not authenticated in V1: the same bytes with another
	 * key-id open under a context of that key-id (OpenVPN
	 * src/openvpn/ssl.c handle_data_channel_packet). */
	{
		struct ovpn_data_key rx5;

		CHECK_EQ(ref_seal("AES-256-GCM", key, tail, pkt, 1, 1, 20), 0);
		pkt[0] = 0x35;
		CHECK_EQ(key_from_hex(&rx5, OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
				      OVPN_DATA_DIR_RX, 0, 5, 0, test_key, test_tail), 0);
		CHECK_EQ(ovpn_data_open(&rx5, pkt, 41, &r), 20);
		ovpn_data_key_free(&rx5);
		pkt[0] = 0x30;
	}
	/* V1 with the opcode in the AAD -> rejected, as a real 2.6 server
	 * rejects it. */
	fill_pattern(pkt + 21, 20, 1);
	CHECK_EQ(ref_seal("AES-256-GCM", key, tail, pkt, 1, 0, 20), 0);
	CHECK_EQ(ovpn_data_open(&rx, pkt, 41, &r), OVPN_DATA_ERR_AUTH);
	ovpn_data_key_free(&rx);
	return 0;
}

/* Open, then the replay window: authenticate before the replay check, as
 * OpenVPN src/openvpn/crypto.c calls crypto_check_replay after decrypting. */
static int open_and_check(struct ovpn_data_key *rx, struct ovpn_pktid_recv *w,
			  const uint8_t *pkt, size_t len)
{
	uint8_t copy[256];
	struct ovpn_data_rx r;
	int rc;

	memcpy(copy, pkt, len);
	rc = ovpn_data_open(rx, copy, len, &r);
	return rc < 0 ? rc : ovpn_pktid_recv_check(w, r.pid);
}

static int test_replay(void)
{
	struct ovpn_data_key tx, rx;
	struct ovpn_pktid_recv w;
	uint8_t p200[128], p137[128], p136[128], p0[128];
	uint8_t key[32], tail[8];
	int l200, l137, l136;

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_256_GCM, OVPN_P_DATA_V2, 0, 0), 0);
	CHECK_EQ(ovpn_pktid_recv_init(&w, 64), 0);
	l200 = seal_pattern(&tx, p200, sizeof(p200), 30, 200);
	l137 = seal_pattern(&tx, p137, sizeof(p137), 30, 137);
	l136 = seal_pattern(&tx, p136, sizeof(p136), 30, 136);
	CHECK_EQ(open_and_check(&rx, &w, p200, (size_t)l200), 0);
	CHECK_EQ(open_and_check(&rx, &w, p200, (size_t)l200), OVPN_DATA_ERR_REPLAY);
	CHECK_EQ(open_and_check(&rx, &w, p136, (size_t)l136), OVPN_DATA_ERR_TOO_OLD);
	CHECK_EQ(open_and_check(&rx, &w, p137, (size_t)l137), 0);
	CHECK_EQ(open_and_check(&rx, &w, p137, (size_t)l137), OVPN_DATA_ERR_REPLAY);
	/* A forged tag never touches the window. */
	p137[10] ^= 1;
	CHECK_EQ(open_and_check(&rx, &w, p137, (size_t)l137), OVPN_DATA_ERR_AUTH);
	/* Packet-id 0 authenticates but is refused by the window. */
	CHECK_EQ(hex2bin(test_key, key, sizeof(key)), 32);
	CHECK_EQ(hex2bin(test_tail, tail, sizeof(tail)), 8);
	CHECK_EQ(ovpn_data_hdr_build(p0, 4, OVPN_P_DATA_V2, 0, 0), 4);
	ovpn_put_be32(p0 + 4, 0);
	fill_pattern(p0 + 24, 30, 0);
	CHECK_EQ(ref_seal("AES-256-GCM", key, tail, p0, 4, 0, 30), 0);
	CHECK_EQ(open_and_check(&rx, &w, p0, 54), OVPN_DATA_ERR_PKTID_ZERO);
	/* ... and our sender refuses to produce it. */
	CHECK_EQ(ovpn_data_seal(&tx, p0, 30, sizeof(p0), 0), OVPN_DATA_ERR_INVAL);
	pair_free(&tx, &rx);
	return 0;
}

static int test_bad_args(void)
{
	struct ovpn_data_key tx, rx;
	struct ovpn_data_rx r;
	uint8_t key[32] = { 0 }, pkt[128];
	struct ovpn_data_key_cfg cfg = {
		.alg = OVPN_DATA_ALG_AES_256_GCM, .md = OVPN_DATA_MD_SHA1,
		.dir = OVPN_DATA_DIR_RX, .cipher_key = key, .hmac_key = key,
	};

	CHECK_EQ(ovpn_data_key_init(&tx, &cfg), OVPN_DATA_ERR_INVAL); /* md on AEAD */
	cfg.md = OVPN_DATA_MD_NONE;
	cfg.key_id = 8;
	CHECK_EQ(ovpn_data_key_init(&tx, &cfg), OVPN_DATA_ERR_INVAL);
	cfg.key_id = 0;
	cfg.dir = OVPN_DATA_DIR_TX;
	cfg.opcode = OVPN_P_CONTROL_V1;
	CHECK_EQ(ovpn_data_key_init(&tx, &cfg), OVPN_DATA_ERR_INVAL);
	cfg.hmac_key = NULL;
	CHECK_EQ(ovpn_data_key_init(&tx, &cfg), OVPN_DATA_ERR_INVAL);

	CHECK_EQ(pair_init(&tx, &rx, OVPN_DATA_ALG_AES_128_GCM, OVPN_P_DATA_V2, 0, 0), 0);
	CHECK_EQ(ovpn_data_seal(&rx, pkt, 10, sizeof(pkt), 1), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_data_open(&tx, pkt, 60, &r), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_data_seal(&tx, pkt, 0, sizeof(pkt), 1), OVPN_DATA_ERR_SHORT);
	CHECK_EQ(ovpn_data_seal(&tx, pkt, 10, 33, 1), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_data_seal(&tx, pkt, 10, 34, 1), 34);
	CHECK_EQ(ovpn_data_seal(&tx, pkt, OVPN_DATA_MAX_LEN, (size_t)-1, 1),
		 OVPN_DATA_ERR_TOO_LONG);
	CHECK_EQ(ovpn_data_open(&rx, pkt, OVPN_DATA_MAX_LEN + 1, &r), OVPN_DATA_ERR_TOO_LONG);
	pair_free(&tx, &rx);
	return 0;
}

static int test_free_wipes(void)
{
	struct ovpn_data_key k;
	static const struct ovpn_data_key zero;

	CHECK_EQ(key_from_hex(&k, OVPN_DATA_ALG_CHACHA20_POLY1305, OVPN_DATA_MD_NONE,
			      OVPN_DATA_DIR_TX, OVPN_P_DATA_V2, 0, 0, test_key, test_tail), 0);
	CHECK(k.u.nonce_tail[0] == 0xa0);
	ovpn_data_key_free(&k);
	CHECK_MEM(&k, &zero, sizeof(k));
	ovpn_data_key_free(&k);		/* idempotent */
	return 0;
}

/* ---- allocation counting: the per-packet AEAD path must not allocate ---- */

static long n_allocs;
static int mem_hooked;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static int test_no_alloc(void)
{
	CHECK(mem_hooked);
	for (size_t a = 0; a < N_ALGS; a++) {
		struct ovpn_data_key tx, rx;
		struct ovpn_data_rx r;
		uint8_t pkt[1600];
		long before;

		CHECK_EQ(pair_init(&tx, &rx, aead_algs[a], OVPN_P_DATA_V2, 0, 0), 0);
		before = n_allocs;
		for (uint32_t pid = 1; pid <= 200; pid++) {
			int len = seal_pattern(&tx, pkt, sizeof(pkt), 1400, pid);

			CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), 1400);
			pkt[30] ^= 1;
			CHECK_EQ(ovpn_data_open(&rx, pkt, (size_t)len, &r), OVPN_DATA_ERR_AUTH);
		}
		CHECK_EQ(n_allocs - before, 0);
		pair_free(&tx, &rx);
	}
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "classify: every first byte and short V2", test_classify },
	{ "header build/parse, all key-ids, errors", test_header },
	{ "error table complete and unique", test_err_table },
	{ "KAT-1..8 captured packets open", test_kat_open },
	{ "KAT-1..8 seal reproduces captured bytes", test_kat_seal },
	{ "KAT: ping detection and comp-lzo strip", test_kat_pipeline },
	{ "round trip GCM-128/256 + ChaCha, V1 + V2", test_roundtrip },
	{ "every truncation 0..len-1 rejected", test_truncation },
	{ "every bit flip (AAD, tag, ct) rejected", test_bit_flips },
	{ "wrong key-id and non-data opcode", test_wrong_key_id },
	{ "V1 AAD is packet-id only", test_v1_aad },
	{ "replay, too old, pid 0, forged tag", test_replay },
	{ "bad config, direction, sizes", test_bad_args },
	{ "free wipes the key context", test_free_wipes },
	{ "no allocation per AEAD packet", test_no_alloc },
	{ NULL, NULL },
};

int main(void)
{
	/* Must run before libcrypto allocates anything. */
	mem_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
	return sl_test_run("data_aead", cases);
}
