/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crypto backends (ovpn_engine.h): OpenSSL and intel-ipsec-mb must be
 * interchangeable. For every cipher (AES-128/256-GCM, ChaCha20-Poly1305,
 * AES-128/256-CBC x SHA1/256/512) both give the same bytes for the same
 * key, packet-id, plaintext and CBC IV pool, for every size 0..1500 and in
 * bursts of 1..160 that mix sizes, ciphers, peers, errors and backends;
 * each opens the other's packets; every corruption (each byte flipped two
 * ways, every truncation, extensions, bad padding under a valid HMAC) gets
 * the same verdict from both; and the packets captured from real OpenVPN
 * 2.6.14 sessions (the KATs of test_data_aead.c and test_data_cbc.c) open
 * with both and seal back to the captured bytes.
 *
 * On a machine where ipsec-mb cannot run, the ipsec-mb keys fall back to
 * OpenSSL and the comparisons still run (trivially equal); the probe test
 * checks the fallback is reported.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ovpn_engine.h"
#include "sl_test.h"
#include "test_data_util.h"

#define BUF		2048
#define MAX_OPS		160
#define BURST_IV	50	/* not a divisor of the pool size */
#define KEY_ID		3
#define OSSL		OVPN_BACKEND_OPENSSL
#define IMB		OVPN_BACKEND_IPSEC_MB

static const struct tcipher {
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;
} ciphers[] = {
	{ OVPN_DATA_ALG_AES_128_GCM, OVPN_DATA_MD_NONE },
	{ OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE },
	{ OVPN_DATA_ALG_CHACHA20_POLY1305, OVPN_DATA_MD_NONE },
	{ OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA1 },
	{ OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA256 },
	{ OVPN_DATA_ALG_AES_128_CBC, OVPN_DATA_MD_SHA512 },
	{ OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA1 },
	{ OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256 },
	{ OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA512 },
};
#define N_CIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))

static struct ovpn_engine *eng;
static int imb_ok;		/* ipsec-mb runs on this machine */

/* Two op lists run side by side: a = reference (OpenSSL), b = under test. */
static struct ovpn_data_op ops_a[MAX_OPS], ops_b[MAX_OPS];
static uint8_t buf_a[MAX_OPS][BUF], buf_b[MAX_OPS][BUF];

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng % n);
}

/* ---- keys ---- */

/* The same key material under both backends, TX and RX. */
struct quad {
	struct ovpn_data_key tx[OVPN_BACKEND_NUM], rx[OVPN_BACKEND_NUM];
};

/* Cipher c's test key; key and hmac hold 64 bytes each. */
static void key_cfg(struct ovpn_data_key_cfg *cfg, uint8_t *key, uint8_t *hmac, size_t c,
		    enum ovpn_data_dir dir, unsigned int opcode, uint32_t peer_id,
		    enum ovpn_backend b)
{
	*cfg = (struct ovpn_data_key_cfg){
		.alg = ciphers[c].alg, .md = ciphers[c].md, .dir = dir,
		.key_id = KEY_ID, .opcode = (uint8_t)opcode, .peer_id = peer_id,
		.cipher_key = key, .hmac_key = hmac, .backend = (uint8_t)b,
	};
	fill_pattern(key, 64, 11 + (unsigned int)c);
	fill_pattern(hmac, 64, 101 + (unsigned int)c);
}

static int key_make(struct ovpn_data_key *k, size_t c, enum ovpn_data_dir dir,
		    unsigned int opcode, uint32_t peer_id, enum ovpn_backend b)
{
	uint8_t key[64], hmac[64];
	struct ovpn_data_key_cfg cfg;

	key_cfg(&cfg, key, hmac, c, dir, opcode, peer_id, b);
	return ovpn_data_key_init(k, &cfg);
}

static int quad_init(struct quad *q, size_t c, unsigned int opcode, uint32_t peer_id)
{
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		CHECK_EQ(key_make(&q->tx[b], c, OVPN_DATA_DIR_TX, opcode, peer_id,
				  (enum ovpn_backend)b), 0);
		CHECK_EQ(key_make(&q->rx[b], c, OVPN_DATA_DIR_RX, 0, 0,
				  (enum ovpn_backend)b), 0);
	}
	CHECK_EQ(ovpn_data_key_backend(&q->tx[OSSL]), OSSL);
	CHECK_EQ(ovpn_data_key_backend(&q->tx[IMB]), imb_ok ? IMB : OSSL);
	CHECK_EQ(ovpn_data_key_backend(&q->rx[IMB]), imb_ok ? IMB : OSSL);
	return 0;
}

static void quad_free(struct quad *q)
{
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		ovpn_data_key_free(&q->tx[b]);
		ovpn_data_key_free(&q->rx[b]);
	}
}

/* The test's hook into the CBC IV pool: both backends draw the same IVs. */
static void pool_set(struct ovpn_data_key *k, unsigned int seed)
{
	if (k->aead || k->dir != OVPN_DATA_DIR_TX)
		return;
	fill_pattern(&k->iv_pool[0][0], OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN, seed);
	k->u.iv_next = 0;
}

static void quad_pools(struct quad *q, unsigned int seed)
{
	pool_set(&q->tx[OSSL], seed);
	pool_set(&q->tx[IMB], seed);
}

/* ---- op lists ---- */

static void op_seal(struct ovpn_data_op *op, uint8_t *buf, struct ovpn_data_key *k,
		    size_t len, uint32_t pid)
{
	memset(op, 0, sizeof(*op));
	op->k = k;
	op->pkt = buf;
	op->len = len;
	op->cap = BUF;
	op->pid = pid;
	if (len <= BUF - ovpn_data_head_len(k))
		fill_pattern(buf + ovpn_data_head_len(k), len, pid);
}

static void op_open(struct ovpn_data_op *op, uint8_t *buf, struct ovpn_data_key *k,
		    size_t len)
{
	memset(op, 0, sizeof(*op));
	op->k = k;
	op->pkt = buf;
	op->len = len;
	op->result = 12345;	/* must be overwritten */
}

/* Both lists gave the same verdicts; sealed packets are the same bytes. */
static int same_seal(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ(ops_b[i].result, ops_a[i].result);
		if (ops_a[i].result > 0)
			CHECK_MEM(ops_b[i].pkt, ops_a[i].pkt, (size_t)ops_a[i].result);
	}
	return 0;
}

/* Same verdicts; accepted packets give the same rx and payload. */
static int same_open(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct ovpn_data_op *a = &ops_a[i], *b = &ops_b[i];

		CHECK_EQ(b->result, a->result);
		if (a->result < 0)
			continue;
		CHECK_EQ(b->rx.pid, a->rx.pid);
		CHECK_EQ(b->rx.peer_id, a->rx.peer_id);
		CHECK_EQ(b->rx.off, a->rx.off);
		CHECK_EQ(b->rx.opcode, a->rx.opcode);
		CHECK_EQ(b->rx.key_id, a->rx.key_id);
		CHECK_MEM(b->pkt + b->rx.off, a->pkt + a->rx.off, (size_t)a->result);
	}
	return 0;
}

/* ---- probe, names, one-packet API ---- */

static int test_probe(void)
{
	char why[64];

	CHECK_STR(ovpn_backend_name(OSSL), "openssl");
	CHECK_STR(ovpn_backend_name(IMB), "ipsec-mb");
	CHECK_STR(ovpn_backend_name(OVPN_BACKEND_NUM), "unknown");
	CHECK_EQ(ovpn_backend_probe(OSSL, why, sizeof(why)), 0);
	CHECK_EQ(ovpn_backend_probe(OVPN_BACKEND_NUM, why, sizeof(why)), -1);
	CHECK_EQ(ovpn_backend_probe(IMB, why, sizeof(why)), imb_ok ? 0 : -1);
	CHECK(strlen(why) > 0);
	if (imb_ok)
		CHECK(strcmp(why, "sse") == 0 || strcmp(why, "avx") == 0 ||
		      strcmp(why, "avx2") == 0 || strcmp(why, "avx512") == 0);
	printf("engine: ipsec-mb %s (%s)\n", imb_ok ? "runs" : "cannot run", why);
	for (size_t c = 0; c < N_CIPHERS; c++) {
		CHECK(ovpn_backend_has(OSSL, ciphers[c].alg, ciphers[c].md));
		CHECK_EQ(ovpn_backend_has(IMB, ciphers[c].alg, ciphers[c].md), imb_ok);
	}
	/* AEAD never takes a digest; CBC always needs one. */
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		CHECK(!ovpn_backend_has((enum ovpn_backend)b, OVPN_DATA_ALG_AES_256_GCM,
					OVPN_DATA_MD_SHA256));
		CHECK(!ovpn_backend_has((enum ovpn_backend)b, OVPN_DATA_ALG_AES_256_CBC,
					OVPN_DATA_MD_NONE));
		CHECK(!ovpn_backend_has((enum ovpn_backend)b, OVPN_DATA_ALG_NUM,
					OVPN_DATA_MD_NONE));
	}
	return 0;
}

/* Bad backend numbers are refused; free is idempotent for both. */
static int test_key_life(void)
{
	struct ovpn_data_key k;
	uint8_t key[32] = { 1 }, hmac[64] = { 2 };
	struct ovpn_data_key_cfg cfg = {
		.alg = OVPN_DATA_ALG_AES_256_CBC, .md = OVPN_DATA_MD_SHA512,
		.dir = OVPN_DATA_DIR_TX, .opcode = OVPN_P_DATA_V2,
		.cipher_key = key, .hmac_key = hmac, .backend = OVPN_BACKEND_NUM,
	};

	CHECK_EQ(ovpn_data_key_init(&k, &cfg), OVPN_DATA_ERR_INVAL);
	ovpn_data_key_free(&k);
	cfg.backend = IMB;
	CHECK_EQ(ovpn_data_key_init(&k, &cfg), 0);
	CHECK_EQ(ovpn_data_key_backend(&k), imb_ok ? IMB : OSSL);
	CHECK(imb_ok ? k.imb != NULL && k.cctx == NULL : k.imb == NULL);
	ovpn_data_key_free(&k);
	CHECK(k.imb == NULL && k.cctx == NULL);
	ovpn_data_key_free(&k);
	for (int i = 0; i < 3; i++) {
		struct ovpn_engine *e = ovpn_engine_new();

		CHECK(e != NULL);
		ovpn_engine_free(e);
	}
	ovpn_engine_free(NULL);
	return 0;
}

/* ---- the key's material ---- */

/* What a key keeps outside its struct: ipsec-mb schedules sized for the
 * cipher (AES-GCM's key data 1 KiB, ChaCha20's 32 bytes, CBC's two AES
 * schedules and HMAC states 640), the IV pool for CBC TX keys only. */
static size_t want_mem(size_t c, enum ovpn_data_dir dir, enum ovpn_backend b)
{
	bool cbc = ciphers[c].md != OVPN_DATA_MD_NONE;
	size_t sched = 0;

	if (b == IMB && imb_ok)
		sched = ciphers[c].alg == OVPN_DATA_ALG_CHACHA20_POLY1305 ? 64 : cbc ? 640 : 1024;
	return sched + (cbc && dir == OVPN_DATA_DIR_TX ? OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN : 0);
}

/* A TX key k made in the caller's memory seals the bytes the
 * allocating key q->tx[b] seals, and the other backend opens them. */
static int key_in_seals(struct quad *q, struct ovpn_data_key *k, enum ovpn_backend b)
{
	pool_set(k, 5);
	pool_set(&q->tx[b], 5);
	op_seal(&ops_a[0], buf_a[0], &q->tx[b], 300, 77);
	op_seal(&ops_b[0], buf_b[0], k, 300, 77);
	ovpn_data_seal_burst(eng, ops_a, 1);
	ovpn_data_seal_burst(eng, ops_b, 1);
	CHECK(ops_a[0].result > 300);
	CHECK_EQ(same_seal(1), 0);
	op_open(&ops_a[0], buf_b[0], &q->rx[b == IMB ? OSSL : IMB], (size_t)ops_b[0].result);
	ovpn_data_open_burst(eng, ops_a, 1);
	CHECK_EQ(ops_a[0].result, 300);
	return 0;
}

/* Sizes per cipher and direction; a key in the caller's memory works like
 * an allocating one, writes nothing past its length, and is wiped by free;
 * too little, misaligned or no memory is refused. */
static int test_key_mem(void)
{
	static uint8_t mem[4096] __attribute__((aligned(64)));

	for (size_t c = 0; c < N_CIPHERS; c++)
		for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
			uint8_t key[64], hmac[64];
			struct ovpn_data_key_cfg cfg;
			struct ovpn_data_key k;
			struct quad q;
			size_t len;

			key_cfg(&cfg, key, hmac, c, OVPN_DATA_DIR_RX, 0, 0, (enum ovpn_backend)b);
			CHECK_EQ(ovpn_data_key_mem_len(&cfg), want_mem(c, OVPN_DATA_DIR_RX, b));
			key_cfg(&cfg, key, hmac, c, OVPN_DATA_DIR_TX, OVPN_P_DATA_V2, 9,
				(enum ovpn_backend)b);
			len = ovpn_data_key_mem_len(&cfg);
			CHECK_EQ(len, want_mem(c, OVPN_DATA_DIR_TX, b));
			CHECK(len % OVPN_DATA_KEY_ALIGN == 0);
			if (len > 0) {
				CHECK_EQ(ovpn_data_key_init_in(&k, &cfg, mem, len - 64),
					 OVPN_DATA_ERR_INVAL);
				CHECK_EQ(ovpn_data_key_init_in(&k, &cfg, mem + 16, len),
					 OVPN_DATA_ERR_INVAL);
				CHECK_EQ(ovpn_data_key_init_in(&k, &cfg, NULL, len),
					 OVPN_DATA_ERR_INVAL);
			}
			memset(mem, 0xee, sizeof(mem));
			CHECK_EQ(ovpn_data_key_init_in(&k, &cfg, mem, len), 0);
			CHECK(!k.mem_own && k.mem_len == len);
			CHECK_EQ(quad_init(&q, c, OVPN_P_DATA_V2, 9), 0);
			CHECK_EQ(ovpn_data_key_backend(&k), ovpn_data_key_backend(&q.tx[b]));
			CHECK_EQ(key_in_seals(&q, &k, (enum ovpn_backend)b), 0);
			CHECK_EQ(mem[len], 0xee);
			ovpn_data_key_free(&k);
			for (size_t i = 0; i < len; i++)
				CHECK_EQ(mem[i], 0);
			CHECK_EQ(mem[len], 0xee);
			quad_free(&q);
		}
	return 0;
}

/* The one-packet calls have no engine: ERR_INVAL for an ipsec-mb key; so
 * does a burst without an engine. OpenSSL keys work without one. */
static int test_one_packet(void)
{
	struct quad q;
	struct ovpn_data_rx r;

	CHECK_EQ(quad_init(&q, 1, OVPN_P_DATA_V2, 7), 0);
	op_seal(&ops_a[0], buf_a[0], &q.tx[IMB], 100, 1);
	op_seal(&ops_a[1], buf_a[1], &q.tx[OSSL], 100, 1);
	ovpn_data_seal_burst(NULL, ops_a, 2);
	CHECK_EQ(ops_a[1].result, 24 + 100);
	if (imb_ok) {
		CHECK_EQ(ops_a[0].result, OVPN_DATA_ERR_INVAL);
		CHECK_EQ(ovpn_data_seal(&q.tx[IMB], buf_a[0], 100, BUF, 1),
			 OVPN_DATA_ERR_INVAL);
		CHECK_EQ(ovpn_data_open(&q.rx[IMB], buf_a[1], 124, &r), OVPN_DATA_ERR_INVAL);
	}
	op_open(&ops_a[0], buf_a[1], &q.rx[OSSL], 124);
	ovpn_data_open_burst(NULL, ops_a, 1);
	CHECK_EQ(ops_a[0].result, 100);
	ovpn_data_seal_burst(eng, ops_a, 0);
	quad_free(&q);
	return 0;
}

/* ---- every size, every cipher ---- */

/* Seal sizes lo..hi-1 in one burst per backend; same bytes; then each
 * backend opens the other's packets. */
static int sizes_burst(struct quad *q, size_t lo, size_t hi)
{
	unsigned int n = (unsigned int)(hi - lo);

	quad_pools(q, (unsigned int)lo);
	for (unsigned int i = 0; i < n; i++) {
		op_seal(&ops_a[i], buf_a[i], &q->tx[OSSL], lo + i, 1000 + (uint32_t)(lo + i));
		op_seal(&ops_b[i], buf_b[i], &q->tx[IMB], lo + i, 1000 + (uint32_t)(lo + i));
	}
	ovpn_data_seal_burst(eng, ops_a, n);
	ovpn_data_seal_burst(eng, ops_b, n);
	CHECK_EQ(same_seal(n), 0);
	for (unsigned int i = 0; i < n; i++) {
		int len = ops_a[i].result;

		CHECK(len > 0 || (lo + i == 0 && len == OVPN_DATA_ERR_SHORT));
		op_open(&ops_a[i], buf_b[i], &q->rx[OSSL], len > 0 ? (size_t)len : 0);
		op_open(&ops_b[i], buf_a[i], &q->rx[IMB], len > 0 ? (size_t)len : 0);
	}
	ovpn_data_open_burst(eng, ops_a, n);
	ovpn_data_open_burst(eng, ops_b, n);
	CHECK_EQ(same_open(n), 0);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t want[BUF];

		if (lo + i == 0)
			continue;
		CHECK_EQ(ops_a[i].result, (int)(lo + i));
		CHECK_EQ(ops_a[i].rx.pid, 1000 + lo + i);
		CHECK_EQ(ops_a[i].rx.off, ovpn_data_head_len(&q->tx[OSSL]));
		fill_pattern(want, lo + i, 1000 + (unsigned int)(lo + i));
		CHECK_MEM(ops_a[i].pkt + ops_a[i].rx.off, want, lo + i);
	}
	return 0;
}

static int test_sizes(void)
{
	for (size_t c = 0; c < N_CIPHERS; c++)
		for (unsigned int op = OVPN_P_DATA_V1; op <= OVPN_P_DATA_V2; op += 3) {
			struct quad q;

			CHECK_EQ(quad_init(&q, c, op, 0x00ABCD + (uint32_t)c), 0);
			/* bursts of 32 sizes: every length 0..1500 */
			for (size_t lo = 0; lo <= 1500; lo += 32)
				if (sizes_burst(&q, lo, lo + 32 > 1501 ? 1501 : lo + 32) != 0) {
					fprintf(stderr, "cipher %zu opcode %u sizes %zu..\n",
						c, op, lo);
					return -1;
				}
			quad_free(&q);
		}
	return 0;
}

/* Seal errors in the middle of a burst: each op keeps its own verdict, and
 * the good ones around them are untouched. */
static int test_seal_errors(void)
{
	for (size_t c = 0; c < N_CIPHERS; c++) {
		struct quad q;
		unsigned int n = 0;

		CHECK_EQ(quad_init(&q, c, OVPN_P_DATA_V2, 42), 0);
		quad_pools(&q, 5);
		for (int side = 0; side < 2; side++) {
			struct ovpn_data_op *ops = side ? ops_b : ops_a;
			uint8_t (*buf)[BUF] = side ? buf_b : buf_a;
			struct ovpn_data_key *tx = &q.tx[side ? IMB : OSSL];
			struct ovpn_data_key *rx = &q.rx[side ? IMB : OSSL];

			n = 0;
			op_seal(&ops[n], buf[n], tx, 60, 1), n++;
			op_seal(&ops[n], buf[n], tx, 60, 0), n++;		/* pid 0 */
			op_seal(&ops[n], buf[n], tx, 61, 2), n++;
			op_seal(&ops[n], buf[n], tx, 0, 3), n++;		/* empty */
			op_seal(&ops[n], buf[n], tx, 62, 4), n++;
			op_seal(&ops[n], buf[n], tx, 63, 5), ops[n++].cap = 70; /* room */
			op_seal(&ops[n], buf[n], tx, 64, 6), n++;
			op_seal(&ops[n], buf[n], tx, 65530, 7), n++;	/* too long */
			op_seal(&ops[n], buf[n], rx, 65, 8), n++;	/* RX key */
			op_seal(&ops[n], buf[n], tx, 66, 9), n++;
			ovpn_data_seal_burst(eng, ops, n);
		}
		CHECK_EQ(same_seal(n), 0);
		CHECK_EQ(ops_a[1].result, OVPN_DATA_ERR_INVAL);
		CHECK_EQ(ops_a[3].result, OVPN_DATA_ERR_SHORT);
		CHECK_EQ(ops_a[5].result, OVPN_DATA_ERR_NOSPACE);
		CHECK_EQ(ops_a[7].result, OVPN_DATA_ERR_TOO_LONG);
		CHECK_EQ(ops_a[8].result, OVPN_DATA_ERR_INVAL);
		CHECK(ops_a[9].result > 0);
		quad_free(&q);
	}
	return 0;
}

/* ---- corruption ---- */

/* Open n variants of one packet with both backends, in bursts. */
static int open_variants(struct quad *q, const uint8_t *pkt, size_t len,
			 void (*make)(uint8_t *dst, const uint8_t *pkt, size_t len,
				      unsigned int v, size_t *vlen),
			 unsigned int n_var)
{
	for (unsigned int v0 = 0; v0 < n_var; v0 += MAX_OPS) {
		unsigned int n = n_var - v0 < MAX_OPS ? n_var - v0 : MAX_OPS;

		for (unsigned int i = 0; i < n; i++) {
			size_t vlen;

			make(buf_a[i], pkt, len, v0 + i, &vlen);
			memcpy(buf_b[i], buf_a[i], vlen);
			op_open(&ops_a[i], buf_a[i], &q->rx[OSSL], vlen);
			op_open(&ops_b[i], buf_b[i], &q->rx[IMB], vlen);
		}
		ovpn_data_open_burst(eng, ops_a, n);
		ovpn_data_open_burst(eng, ops_b, n);
		CHECK_EQ(same_open(n), 0);
	}
	return 0;
}

/* Variant v of a len-byte packet: v < 2 len flips byte v/2 (one bit, or
 * all bits), then every truncation, then one and sixteen extra bytes. */
static void corrupt(uint8_t *dst, const uint8_t *pkt, size_t len, unsigned int v,
		    size_t *vlen)
{
	memcpy(dst, pkt, len);
	memset(dst + len, 0x5A, 16);
	*vlen = len;
	if (v < 2 * len)
		dst[v / 2] ^= v % 2 ? 0xFF : (uint8_t)(1u << (v / 2 % 8));
	else if (v < 3 * len)
		*vlen = v - 2 * len;
	else
		*vlen = len + (v == 3 * len ? 1 : 16);
}

static int test_corruption(void)
{
	static const size_t sizes[] = { 1, 11, 12, 13, 15, 16, 17, 27, 28, 29, 32, 33, 100 };
	uint8_t pkt[BUF];

	for (size_t c = 0; c < N_CIPHERS; c++)
		for (unsigned int op = OVPN_P_DATA_V1; op <= OVPN_P_DATA_V2; op += 3)
			for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
				struct quad q;
				int len;

				CHECK_EQ(quad_init(&q, c, op, 0x123456), 0);
				op_seal(&ops_a[0], pkt, &q.tx[OSSL], sizes[s], 77);
				ovpn_data_seal_burst(eng, ops_a, 1);
				len = ops_a[0].result;
				CHECK(len > 0);
				if (open_variants(&q, pkt, (size_t)len, corrupt,
						  3 * (unsigned int)len + 2) != 0) {
					fprintf(stderr, "cipher %zu opcode %u size %zu\n",
						c, op, sizes[s]);
					return -1;
				}
				quad_free(&q);
			}
	return 0;
}

/* CBC packets from raw blocks under a valid HMAC (raw EVP, independent of
 * both backends), as in test_data_cbc.c: padding and empty-payload
 * verdicts must match. */
static int raw_cbc(uint8_t *pkt, size_t c, const uint8_t *blocks, size_t n)
{
	static const char *md_name[] = { "", "SHA1", "SHA256", "SHA512" };
	const EVP_CIPHER *ci = ciphers[c].alg == OVPN_DATA_ALG_AES_128_CBC ?
			       EVP_aes_128_cbc() : EVP_aes_256_cbc();
	size_t h = ovpn_data_md_len(ciphers[c].md), maclen = 0;
	uint8_t key[64], hkey[64], iv[16] = { 9, 8, 7 };
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl = 0, ok;

	fill_pattern(key, sizeof(key), 11 + (unsigned int)c);
	fill_pattern(hkey, sizeof(hkey), 101 + (unsigned int)c);
	pkt[0] = ovpn_op_byte(OVPN_P_DATA_V1, KEY_ID);
	memcpy(pkt + 1 + h, iv, 16);
	ok = x != NULL && EVP_EncryptInit_ex2(x, ci, key, iv, NULL) &&
	     EVP_CIPHER_CTX_set_padding(x, 0) &&
	     EVP_EncryptUpdate(x, pkt + 1 + h + 16, &outl, blocks, (int)n) &&
	     EVP_Q_mac(NULL, "HMAC", NULL, md_name[ciphers[c].md], NULL, hkey, h,
		       pkt + 1 + h, 16 + n, pkt + 1, h, &maclen) != NULL;
	EVP_CIPHER_CTX_free(x);
	return ok && (size_t)outl == n && maclen == h ? (int)(1 + h + 16 + n) : -1;
}

static int test_padding(void)
{
	static const struct {
		size_t n;
		int last, poke, want;
	} rows[] = {
		{ 16, 0x00, -1, OVPN_DATA_ERR_PADDING },
		{ 16, 0x11, -1, OVPN_DATA_ERR_PADDING },
		{ 32, 0x05, 28, OVPN_DATA_ERR_PADDING },
		{ 16, 0x10, -1, OVPN_DATA_ERR_PADDING },
		{ 16, 0x0d, -1, OVPN_DATA_ERR_PADDING },
		{ 16, 0x0c, -1, OVPN_DATA_ERR_SHORT },
		{ 16, 0x0b, -1, 1 },
		{ 32, 0x10, -1, 12 },
		{ 48, 0x01, -1, 43 },
	};
	const unsigned int n = sizeof(rows) / sizeof(rows[0]);

	for (size_t c = 3; c < N_CIPHERS; c++) {
		struct quad q;

		CHECK_EQ(quad_init(&q, c, OVPN_P_DATA_V1, 0), 0);
		for (unsigned int i = 0; i < n; i++) {
			uint8_t blocks[48];
			int len;

			memset(blocks, rows[i].last, sizeof(blocks));
			ovpn_put_be32(blocks, 5);
			if (rows[i].poke >= 0)
				blocks[rows[i].poke] ^= 0x40;
			len = raw_cbc(buf_a[i], c, blocks, rows[i].n);
			CHECK(len > 0);
			memcpy(buf_b[i], buf_a[i], (size_t)len);
			op_open(&ops_a[i], buf_a[i], &q.rx[OSSL], (size_t)len);
			op_open(&ops_b[i], buf_b[i], &q.rx[IMB], (size_t)len);
		}
		ovpn_data_open_burst(eng, ops_a, n);
		ovpn_data_open_burst(eng, ops_b, n);
		CHECK_EQ(same_open(n), 0);
		for (unsigned int i = 0; i < n; i++)
			CHECK_EQ(ops_b[i].result, rows[i].want);
		quad_free(&q);
	}
	return 0;
}

/* ---- bursts mixing everything ---- */

#define N_MIX	(N_CIPHERS * 2)

/* Seal a burst of n random ops over the N_MIX key sets; the reference uses
 * OpenSSL keys only, the test side each key set's backend for this burst
 * (b_of). At most OVPN_CBC_IV_POOL ops per key so the pools never refill
 * (fixed pools: same IVs on both sides). Then open crosswise with some
 * packets corrupted. */
static int mixed_burst(struct quad *qs, unsigned int n, const int *b_of)
{
	unsigned int per_key[N_MIX] = { 0 }, qi[MAX_OPS];

	for (unsigned int i = 0; i < n; i++) {
		static const size_t edge[] = { 1, 15, 16, 17, 31, 32, 33, 1399, 1400, 1500 };
		size_t len = rnd(2) ? edge[rnd(10)] : 1 + rnd(1500);
		unsigned int k = rnd(N_MIX);
		uint32_t pid = 1 + rnd(1000000);

		while (per_key[k] == OVPN_CBC_IV_POOL)
			k = (k + 1) % N_MIX;
		per_key[k]++;
		qi[i] = k;
		op_seal(&ops_a[i], buf_a[i], &qs[k].tx[OSSL], len, pid);
		op_seal(&ops_b[i], buf_b[i], &qs[k].tx[b_of[k]], len, pid);
	}
	/* Both sides start from the same pools (they may share a key). */
	for (int side = 0; side < 2; side++) {
		for (unsigned int k = 0; k < N_MIX; k++)
			quad_pools(&qs[k], n * 37 + k);
		ovpn_data_seal_burst(eng, side ? ops_b : ops_a, n);
	}
	CHECK_EQ(same_seal(n), 0);

	for (unsigned int i = 0; i < n; i++) {
		size_t len = (size_t)ops_a[i].result;

		CHECK(ops_a[i].result > 0);
		if (i % 5 == 4) {	/* same corruption on both sides */
			size_t at = rnd((unsigned int)len);

			buf_a[i][at] ^= 0x10;
			buf_b[i][at] ^= 0x10;
		}
		op_open(&ops_a[i], buf_a[i], &qs[qi[i]].rx[OSSL], len);
		op_open(&ops_b[i], buf_b[i], &qs[qi[i]].rx[1 - b_of[qi[i]]], len);
	}
	ovpn_data_open_burst(eng, ops_a, n);
	ovpn_data_open_burst(eng, ops_b, n);
	CHECK_EQ(same_open(n), 0);
	for (unsigned int i = 0; i < n; i++)
		CHECK(i % 5 == 4 || ops_b[i].result > 0);
	return 0;
}

static int test_mixed_bursts(void)
{
	static const unsigned int big[] = { 65, 100, 128, 159, MAX_OPS };
	static struct quad qs[N_MIX];
	int b_of[N_MIX];
	int rc = 0;

	for (unsigned int k = 0; k < N_MIX; k++)
		CHECK_EQ(quad_init(&qs[k], k / 2, k % 2 ? OVPN_P_DATA_V2 : OVPN_P_DATA_V1,
				   0x100 + k), 0);
	for (unsigned int n = 1; n <= 64 + 5 && rc == 0; n++) {
		unsigned int size = n <= 64 ? n : big[n - 65];

		/* all ipsec-mb, then alternating backends per key set */
		for (unsigned int k = 0; k < N_MIX; k++)
			b_of[k] = n % 3 == 0 ? IMB : (int)((k + n) % 2);
		rc = mixed_burst(qs, size, b_of);
		if (rc != 0)
			fprintf(stderr, "burst of %u\n", size);
	}
	for (unsigned int k = 0; k < N_MIX; k++)
		quad_free(&qs[k]);
	return rc;
}

/* ---- captured vectors ---- */

/* The packets of test_data_aead.c (KAT-1..5, 7, 8) and test_data_cbc.c
 * (KAT-6), captured from real OpenVPN 2.6.14 sessions (throw-away keys,
 * tests/capture/README.md). */
static const struct kat {
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;
	const char *key, *hmac, *pkt, *plain;
	uint32_t pid;
} kats[] = {
	{ OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
	  "6c3b9249e6d6c04a9836bb95ca7bdfb1a0b34709aa863a08cd16784d20d0389e", "e5a50640869ddf17",
	  "480000000000000641a117d49799164c831e18c3765704076029b2480c3225b2de9c25258b25d6f1",
	  "2a187bf3641eb4cb07ed2d0a981fc748", 6 },
	{ OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
	  "4402c1e2b7c5b8f702fc503c061f1e5ab1113cccf4fad7facc7dc41d8c7db8b0", "4675b12ea2a1ffd9",
	  "480000000000000590d0d1e99ac77c533eb015d639c4a3656f9c8cee3ce42023d93dc2418be80dfd",
	  "2a187bf3641eb4cb07ed2d0a981fc748", 5 },
	{ OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
	  "6c3b9249e6d6c04a9836bb95ca7bdfb1a0b34709aa863a08cd16784d20d0389e", "e5a50640869ddf17",
	  "4800000000000004772a2bc1cccc6a860c0378ecbe1bf29dd66e44e3b6af4c79558f130311afbd81e7d1d6a935650c49a165cb5df29c50fe6964a5d4aacc670e94e19325e7712b4d49ddf7114335978dae",
	  "45000039bc78400040116a290a0800020a08000186fa270f0025812248454c4c4f2d444154412d4348414e4e454c2d30313233343536373839",
	  4 },
	{ OVPN_DATA_ALG_CHACHA20_POLY1305, OVPN_DATA_MD_NONE,
	  "cf80fa4f7e798f831dafdeb2fea871cdab813101c794b02b1dbce6d6e9c8ef9f", "81d6f3c3c5d8a881",
	  "4800000000000001b3c2ff57cec20cfdc86f78b11176e11f8932230db642222d61cbaaeac8a3142f7c0122ae91c8e8662155bb9cf4a9db2334ab9664cccb92cde3a0db4062e4e872",
	  "6000000000083afffe80000000000000c9f3e6636dc53b54ff020000000000000000000000000002850023c600000000",
	  1 },
	{ OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE,
	  "c150f49b0c4f6bd669dd93eafb14dbfbd9365f77ebfb5126ff41c129f01fc585", "bf19c31a51b0ff3a",
	  "4800000000000003b70aaf8f55618d204a3d0ecdd0067f822410ccd4d6ceb5e2e88c2d8cb3b38ab492a02d50ff84c1c252cdc053d9626c3b2f4792e104da0b3ccc490db9ab9b",
	  "fa4500002dedc54000401138e80a0800020a080001dfc3270f00192de948454c4c4f2d4332532d5041594c4f4144",
	  3 },
	{ OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256,
	  "49175e0a450f667ca14d2ef982a3ffe62466627757b73c17ff638c8f5bfcd73f",
	  "71b793124a965bb3602f4e0272cdf7e16efc4d43ab51c4751c7ae21ad706ccb0",
	  "48000000"
	  "53125bea336bf2dc3642afd4e62115a7c7ce2d99ce1535b30178b773456ac02d"
	  "e9d61b17cf048618fc9a45119a69cf34"
	  "abcadf60fcabbf0def7348917dccddc664f7572999aa3cc11284ceff2adc25e7"
	  "bcd89ab2af0426296f2e53585f1885b1db4f62a798bce93ec196500fea529dd4",
	  "4500002df62040004011308d0a0800020a080001a715270f0019669748454c4c"
	  "4f2d4332532d5041594c4f4144", 3 },
	{ OVPN_DATA_ALG_AES_128_GCM, OVPN_DATA_MD_NONE,
	  "fd71399aa518add2b62072fe2dbbee3d", "b707343a3c59454c",
	  "4800000000000002f19ff4f82abf34b061693f0738c435f2ba4a7f3c9c3d0d459d482dec37ed696a69c8d1472ea05f72836e4f40afa2776945e2380ed4194d37e56005edab735f5a0b7b300aaa8ffa3bb58dd3cdfdccb2c54ef7de95",
	  "4500004437a740004001eeff0a0800020a0800010800ff8d52b30001e546026b0000000070ba080000000000101112131415161718191a1b1c1d1e1f2021222324252627",
	  2 },
	{ OVPN_DATA_ALG_AES_128_GCM, OVPN_DATA_MD_NONE,
	  "1c91a9e090ef893c5b46bf43d88b302d", "639f9e33d5051035",
	  "4800000000000001b57ed2f15413f9420e6ddd4a7f0d7e9e65e2125e2cf1ade686eea4939519e24bfe5e8467dacd36074976372407561cedcd7d5e02f948903c16ce9cd521b82dae8fc149dba89e939cf0dfa54aa109d18bcde7b461",
	  "4500004402af0000400163f80a0800010a0800020000078e52b30001e546026b0000000070ba080000000000101112131415161718191a1b1c1d1e1f2021222324252627",
	  1 },
};
#define N_KATS (sizeof(kats) / sizeof(kats[0]))

static int kat_key(struct ovpn_data_key *k, const struct kat *v,
		   enum ovpn_data_dir dir, enum ovpn_backend b)
{
	uint8_t key[64] = { 0 }, hmac[64] = { 0 };
	struct ovpn_data_key_cfg cfg = {
		.alg = v->alg, .md = v->md, .dir = dir, .opcode = OVPN_P_DATA_V2,
		.cipher_key = key, .hmac_key = hmac, .backend = (uint8_t)b,
	};

	if (hex2bin(v->key, key, sizeof(key)) == (size_t)-1 ||
	    hex2bin(v->hmac, hmac, sizeof(hmac)) == (size_t)-1)
		return -100;
	return ovpn_data_key_init(k, &cfg);
}

/* Every captured packet opens with both backends in one burst each. */
static int test_kat_open(void)
{
	struct ovpn_data_key rx[OVPN_BACKEND_NUM][N_KATS];

	for (unsigned int i = 0; i < N_KATS; i++) {
		size_t len = hex2bin(kats[i].pkt, buf_a[i], BUF);

		CHECK(len != (size_t)-1);
		memcpy(buf_b[i], buf_a[i], len);
		for (int b = 0; b < OVPN_BACKEND_NUM; b++)
			CHECK_EQ(kat_key(&rx[b][i], &kats[i], OVPN_DATA_DIR_RX,
					 (enum ovpn_backend)b), 0);
		op_open(&ops_a[i], buf_a[i], &rx[OSSL][i], len);
		op_open(&ops_b[i], buf_b[i], &rx[IMB][i], len);
	}
	ovpn_data_open_burst(eng, ops_a, N_KATS);
	ovpn_data_open_burst(eng, ops_b, N_KATS);
	CHECK_EQ(same_open(N_KATS), 0);
	for (unsigned int i = 0; i < N_KATS; i++) {
		uint8_t plain[256];
		size_t plen = hex2bin(kats[i].plain, plain, sizeof(plain));

		CHECK_EQ(ops_b[i].result, (int)plen);
		CHECK_EQ(ops_b[i].rx.pid, kats[i].pid);
		CHECK_MEM(ops_b[i].pkt + ops_b[i].rx.off, plain, plen);
		for (int b = 0; b < OVPN_BACKEND_NUM; b++)
			ovpn_data_key_free(&rx[b][i]);
	}
	return 0;
}

/* Sealing the captured plaintext with ipsec-mb reproduces the captured
 * bytes (AEAD is deterministic; KAT-6 gets its captured IV from the pool). */
static int test_kat_seal(void)
{
	struct ovpn_data_key tx[N_KATS];

	for (unsigned int i = 0; i < N_KATS; i++) {
		uint8_t plain[256];
		size_t len = hex2bin(kats[i].pkt, buf_b[i], BUF), head;
		size_t plen = hex2bin(kats[i].plain, plain, sizeof(plain));

		CHECK(len != (size_t)-1 && plen != (size_t)-1);
		CHECK_EQ(kat_key(&tx[i], &kats[i], OVPN_DATA_DIR_TX, IMB), 0);
		head = ovpn_data_head_len(&tx[i]);
		if (!tx[i].aead) {	/* the captured IV sits before the ct */
			memcpy(tx[i].iv_pool[0], buf_b[i] + head - 20, 16);
			tx[i].u.iv_next = 0;
		}
		op_seal(&ops_a[i], buf_a[i], &tx[i], plen, kats[i].pid);
		memcpy(buf_a[i] + head, plain, plen);
	}
	ovpn_data_seal_burst(eng, ops_a, N_KATS);
	for (unsigned int i = 0; i < N_KATS; i++) {
		size_t len = hex2bin(kats[i].pkt, buf_b[i], BUF);

		CHECK_EQ(ops_a[i].result, (int)len);
		CHECK_MEM(buf_a[i], buf_b[i], len);
		ovpn_data_key_free(&tx[i]);
	}
	return 0;
}

/* ---- CBC IVs ---- */

static int iv_cmp(const void *a, const void *b)
{
	return memcmp(a, b, OVPN_CBC_IV_LEN);
}

/* An ipsec-mb key refills its pool from the engine's reservoir: through
 * several reservoirs, every IV is new and every packet opens. */
static int test_iv_refill(void)
{
	enum { N = 2200 };	/* > 2 reservoirs of 32 pools of 32 IVs */
	static uint8_t ivs[N][OVPN_CBC_IV_LEN];
	struct quad q;

	CHECK_EQ(quad_init(&q, 7, OVPN_P_DATA_V2, 1), 0);
	for (unsigned int n0 = 0; n0 < N; n0 += BURST_IV) {
		unsigned int n = N - n0 < BURST_IV ? N - n0 : BURST_IV;

		for (unsigned int i = 0; i < n; i++)
			op_seal(&ops_a[i], buf_a[i], &q.tx[IMB], 40, n0 + i + 1);
		ovpn_data_seal_burst(eng, ops_a, n);
		for (unsigned int i = 0; i < n; i++) {
			CHECK_EQ(ops_a[i].result, 4 + 32 + 16 + 48);
			memcpy(ivs[n0 + i], buf_a[i] + 36, OVPN_CBC_IV_LEN);
			op_open(&ops_b[i], buf_a[i], &q.rx[OSSL], (size_t)ops_a[i].result);
		}
		ovpn_data_open_burst(eng, ops_b, n);
		for (unsigned int i = 0; i < n; i++)
			CHECK_EQ(ops_b[i].result, 40);
	}
	qsort(ivs, N, OVPN_CBC_IV_LEN, iv_cmp);
	for (unsigned int i = 1; i < N; i++)
		CHECK(memcmp(ivs[i - 1], ivs[i], OVPN_CBC_IV_LEN) != 0);
	quad_free(&q);
	return 0;
}

/* ---- no OpenSSL allocation per ipsec-mb packet ---- */

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

/* Seal and open make no libcrypto call that allocates. (A CBC pool refill
 * does, RAND_bytes once per OVPN_CBC_IV_POOL packets: the pool is full.) */
static int test_no_alloc(void)
{
	CHECK(mem_hooked);
	for (size_t c = 0; c < N_CIPHERS && imb_ok; c++) {
		struct quad q;
		long before;

		CHECK_EQ(quad_init(&q, c, OVPN_P_DATA_V2, 1), 0);
		for (unsigned int i = 0; i < 32; i++)
			op_seal(&ops_a[i], buf_a[i], &q.tx[IMB], 1400, i + 1);
		quad_pools(&q, 1);
		before = n_allocs;
		ovpn_data_seal_burst(eng, ops_a, 32);
		CHECK_EQ(n_allocs - before, 0);
		for (unsigned int i = 0; i < 32; i++)
			op_open(&ops_b[i], buf_a[i], &q.rx[IMB], (size_t)ops_a[i].result);
		buf_a[7][40] ^= 1;
		before = n_allocs;
		ovpn_data_open_burst(eng, ops_b, 32);
		CHECK_EQ(n_allocs - before, 0);
		CHECK_EQ(ops_b[7].result, OVPN_DATA_ERR_AUTH);
		CHECK_EQ(ops_b[8].result, 1400);
		quad_free(&q);
	}
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "probe, names, has", test_probe },
	{ "key life: bad backend, fallback, free", test_key_life },
	{ "key material: sizes, caller's memory, wiped", test_key_mem },
	{ "one-packet API and no engine", test_one_packet },
	{ "every size 0..1500, every cipher, same bytes", test_sizes },
	{ "seal errors inside a burst", test_seal_errors },
	{ "every flip, truncation, extension: same", test_corruption },
	{ "CBC padding table: same verdicts", test_padding },
	{ "bursts 1..160 mixing ciphers/peers/backends", test_mixed_bursts },
	{ "CBC IVs: refills from the engine all new", test_iv_refill },
	{ "captured packets open with both", test_kat_open },
	{ "captured packets seal back with ipsec-mb", test_kat_seal },
	{ "no libcrypto allocation per packet", test_no_alloc },
	{ NULL, NULL },
};

int main(void)
{
	int rc;

	/* Must run before libcrypto allocates anything. */
	mem_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
	imb_ok = ovpn_backend_probe(IMB, NULL, 0) == 0;
	eng = ovpn_engine_new();
	if (eng == NULL) {
		fprintf(stderr, "engine: cannot make an engine\n");
		return 1;
	}
	rc = sl_test_run("engine", cases);
	ovpn_engine_free(eng);
	return rc;
}
