/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The intel-ipsec-mb backend (see ovpn_imb.h, ovpn_engine.h).
 *
 * Per key, once: AES key schedules (IMB_AES_KEYEXP_*), the GCM key and
 * GHASH tables (IMB_AES*_GCM_PRE) and, for CBC, the HMAC inner and outer
 * states after their first block (key ^ ipad, key ^ opad through the
 * library's one-block SHA functions, RFC 2104 section 2; the job API takes
 * them precomputed, as DPDK's aesni_mb driver computes them).
 *
 * Per burst: each packet is framed and checked by the OpenSSL codecs' own
 * functions (ovpn_aead_*_frame, ovpn_cbc_*_frame), becomes one job, and the
 * jobs go to the manager together (the burst API), which runs CBC and HMAC
 * of several packets in parallel lanes. Completions come back in submission order;
 * each job carries its scratch slot in user_data. CBC is encrypt-then-MAC
 * (OpenVPN src/openvpn/crypto.c openvpn_encrypt_v1): seal chains cipher
 * then hash, open hash then cipher, and the tag is compared here, in
 * constant time, for both modes (ipsec-mb only computes it).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ovpn_engine.h"
#include "ovpn_imb.h"

#define AES_SCHED_LEN	(16 * 15)	/* AES-256: 15 round keys */
#define HMAC_STATE_LEN	64		/* largest digest state: SHA-512 */
#define HMAC_BLOCK_MAX	128		/* SHA-512 block */

/*
 * A key's schedules (k->imb), sized for its cipher (ovpn_imb_key_len()):
 * AES-GCM the library's struct gcm_key_data (round keys and GHASH tables),
 * ChaCha20-Poly1305 the 32 key bytes, CBC the layout below. What a job
 * also needs (mode, hash, lengths) follows from k->alg and k->hmac_len,
 * so nothing else is stored.
 */
struct imb_cbc {
	uint8_t enc[AES_SCHED_LEN];
	uint8_t dec[AES_SCHED_LEN];
	uint8_t ipad[HMAC_STATE_LEN];	/* HMAC inner state after key ^ ipad */
	uint8_t opad[HMAC_STATE_LEN];
} __attribute__((aligned(16)));

#define CHACHA_KEY_LEN	32

static const struct {
	IMB_CIPHER_MODE mode;
	IMB_HASH_ALG hash;		/* CBC: by the digest, hmac_hash() */
	uint8_t key_len;
	uint16_t sched_len;		/* bytes of k->imb */
} algs[OVPN_DATA_ALG_NUM] = {
	[OVPN_DATA_ALG_AES_128_GCM] = { IMB_CIPHER_GCM, IMB_AUTH_AES_GMAC, 16,
					sizeof(struct gcm_key_data) },
	[OVPN_DATA_ALG_AES_256_GCM] = { IMB_CIPHER_GCM, IMB_AUTH_AES_GMAC, 32,
					sizeof(struct gcm_key_data) },
	[OVPN_DATA_ALG_CHACHA20_POLY1305] = { IMB_CIPHER_CHACHA20_POLY1305,
					      IMB_AUTH_CHACHA20_POLY1305, 32, CHACHA_KEY_LEN },
	[OVPN_DATA_ALG_AES_128_CBC] = { IMB_CIPHER_CBC, IMB_AUTH_NULL, 16,
					sizeof(struct imb_cbc) },
	[OVPN_DATA_ALG_AES_256_CBC] = { IMB_CIPHER_CBC, IMB_AUTH_NULL, 32,
					sizeof(struct imb_cbc) },
};

/* OpenVPN's HMAC is as long as its digest (hmac_len: 20, 32 or 64). */
static IMB_HASH_ALG hmac_hash(unsigned int hmac_len)
{
	switch (hmac_len) {
	case 20: return IMB_AUTH_HMAC_SHA_1;
	case 32: return IMB_AUTH_HMAC_SHA_256;
	default: return IMB_AUTH_HMAC_SHA_512;
	}
}

/* One op in flight. */
struct imb_slot {
	uint8_t tag[OVPN_HMAC_MAX_LEN];	/* open: the tag we compute */
	struct ovpn_data_op *op;
	union {
		struct ovpn_aead_frame a;	/* its nonce is the job's IV */
		struct ovpn_cbc_frame c;
	} f;
	uint8_t aead;
	uint8_t done;
};

/*
 * CBC IVs come from the key's pool (ovpn_cbc_next_iv), as on the OpenSSL
 * path; only the refill differs. RAND_bytes() costs about 1.5 us a call
 * whatever the length (OpenSSL 3.0's DRBG checks getpid(), a system call,
 * and takes locks; measured on the machine of bench/RESULTS.md), which is
 * 50 ns a packet when every OVPN_CBC_IV_POOL packets refill with one call.
 * The engine draws RSV_POOLS pools at once and refills keys from that.
 */
#define RSV_POOLS	32
#define POOL_BYTES	(OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN)

struct ovpn_imb_engine {
	IMB_MGR *mgr;
	size_t rsv_off;			/* bytes of rsv handed out */
	uint8_t rsv[RSV_POOLS * POOL_BYTES];
	struct imb_slot slot[OVPN_IMB_BURST];
};

/*
 * Process-wide: the probe's verdict and a manager used only at key init.
 * Key expansion and the one-block hashes are pure functions of their
 * arguments (the manager only selects the CPU's variant), so threads
 * making keys at the same time may share it. The GCM tables' layout
 * depends on that variant: engines pick theirs the same way
 * (init_mb_mgr_auto on the same CPU), so they read the tables as written.
 */
static struct {
	pthread_once_t once;
	IMB_MGR *mgr;
	IMB_ARCH arch;
	const char *why;
} glob = { .once = PTHREAD_ONCE_INIT };

static const char *arch_name(IMB_ARCH a)
{
	switch (a) {
	case IMB_ARCH_SSE: return "sse";
	case IMB_ARCH_AVX: return "avx";
	case IMB_ARCH_AVX2: return "avx2";
	case IMB_ARCH_AVX512: return "avx512";
	default: return NULL;
	}
}

static void glob_init(void)
{
	glob.mgr = alloc_mb_mgr(0);
	if (glob.mgr == NULL) {
		glob.why = "cannot allocate an ipsec-mb manager";
		return;
	}
	init_mb_mgr_auto(glob.mgr, &glob.arch);
	/* NOAESNI would emulate AES in software: slower than OpenSSL. */
	if (imb_get_errno(glob.mgr) != 0 || arch_name(glob.arch) == NULL) {
		glob.why = glob.arch == IMB_ARCH_NOAESNI ? "no AES-NI" :
			   "no CPU architecture ipsec-mb supports";
		free_mb_mgr(glob.mgr);
		glob.mgr = NULL;
	}
}

int ovpn_imb_probe(char *why, size_t len)
{
	pthread_once(&glob.once, glob_init);
	if (why != NULL && len > 0)
		snprintf(why, len, "%s", glob.mgr ? arch_name(glob.arch) : glob.why);
	return glob.mgr != NULL ? 0 : -1;
}

bool ovpn_imb_has(enum ovpn_data_alg alg, enum ovpn_data_md md)
{
	bool aead = alg == OVPN_DATA_ALG_AES_128_GCM ||
		    alg == OVPN_DATA_ALG_AES_256_GCM ||
		    alg == OVPN_DATA_ALG_CHACHA20_POLY1305;
	bool cbc = alg == OVPN_DATA_ALG_AES_128_CBC ||
		   alg == OVPN_DATA_ALG_AES_256_CBC;

	if (ovpn_imb_probe(NULL, 0) != 0)
		return false;
	if (aead)
		return md == OVPN_DATA_MD_NONE;
	return cbc && (md == OVPN_DATA_MD_SHA1 || md == OVPN_DATA_MD_SHA256 ||
		       md == OVPN_DATA_MD_SHA512);
}

/* ---- key material ---- */

size_t ovpn_imb_key_len(enum ovpn_data_alg alg, enum ovpn_data_md md)
{
	size_t len;

	if (!ovpn_imb_has(alg, md))
		return 0;
	len = algs[alg].sched_len;
	return (len + OVPN_DATA_KEY_ALIGN - 1) / OVPN_DATA_KEY_ALIGN * OVPN_DATA_KEY_ALIGN;
}

/* HMAC inner/outer states (RFC 2104 section 2). OpenVPN's HMAC keys are
 * as long as the digest, never longer than a block, so no pre-hash. */
static void hmac_states(IMB_MGR *m, struct imb_cbc *c, enum ovpn_data_md md,
			const uint8_t *key, size_t key_len)
{
	uint8_t ipad[HMAC_BLOCK_MAX], opad[HMAC_BLOCK_MAX];
	size_t block = md == OVPN_DATA_MD_SHA512 ? 128 : 64;

	memset(ipad, 0x36, block);
	memset(opad, 0x5c, block);
	for (size_t i = 0; i < key_len; i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	switch (md) {
	case OVPN_DATA_MD_SHA1:
		IMB_SHA1_ONE_BLOCK(m, ipad, c->ipad);
		IMB_SHA1_ONE_BLOCK(m, opad, c->opad);
		break;
	case OVPN_DATA_MD_SHA256:
		IMB_SHA256_ONE_BLOCK(m, ipad, c->ipad);
		IMB_SHA256_ONE_BLOCK(m, opad, c->opad);
		break;
	default:
		IMB_SHA512_ONE_BLOCK(m, ipad, c->ipad);
		IMB_SHA512_ONE_BLOCK(m, opad, c->opad);
		break;
	}
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
}

void ovpn_imb_key_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg)
{
	IMB_MGR *m = glob.mgr;
	struct imb_cbc *c = k->imb;

	switch (cfg->alg) {
	case OVPN_DATA_ALG_AES_128_GCM:
		IMB_AES128_GCM_PRE(m, cfg->cipher_key, (struct gcm_key_data *)k->imb);
		break;
	case OVPN_DATA_ALG_AES_256_GCM:
		IMB_AES256_GCM_PRE(m, cfg->cipher_key, (struct gcm_key_data *)k->imb);
		break;
	case OVPN_DATA_ALG_CHACHA20_POLY1305:
		memcpy(k->imb, cfg->cipher_key, CHACHA_KEY_LEN);
		break;
	case OVPN_DATA_ALG_AES_128_CBC:
		IMB_AES_KEYEXP_128(m, cfg->cipher_key, c->enc, c->dec);
		hmac_states(m, c, cfg->md, cfg->hmac_key, k->hmac_len);
		break;
	default:
		IMB_AES_KEYEXP_256(m, cfg->cipher_key, c->enc, c->dec);
		hmac_states(m, c, cfg->md, cfg->hmac_key, k->hmac_len);
		break;
	}
}

/* ---- engine ---- */

struct ovpn_imb_engine *ovpn_imb_engine_new(void)
{
	struct ovpn_imb_engine *e;

	if (ovpn_imb_probe(NULL, 0) != 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->mgr = alloc_mb_mgr(0);
	if (e->mgr == NULL) {
		free(e);
		return NULL;
	}
	init_mb_mgr_auto(e->mgr, NULL);
	e->rsv_off = sizeof(e->rsv);	/* empty: the first refill draws */
	return e;
}

void ovpn_imb_engine_free(struct ovpn_imb_engine *e)
{
	if (e == NULL)
		return;
	free_mb_mgr(e->mgr);
	/* unused IVs; the slots held tags and nonces of live keys */
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

/* ---- jobs ---- */

static void job_common(IMB_JOB *j, const struct ovpn_data_key *k,
		       struct imb_slot *s, bool seal)
{
	j->cipher_mode = algs[k->alg].mode;
	j->hash_alg = k->aead ? algs[k->alg].hash : hmac_hash(k->hmac_len);
	j->key_len_in_bytes = algs[k->alg].key_len;
	j->auth_tag_output_len_in_bytes = k->aead ? OVPN_AEAD_TAG_LEN : k->hmac_len;
	j->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = seal ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	j->user_data = s;
}

/* AEAD: cipher and tag over the data, nonce = packet-id || tail. */
static void job_aead(IMB_JOB *j, const struct ovpn_data_key *k,
		     struct imb_slot *s, bool seal)
{
	struct ovpn_aead_frame *f = &s->f.a;

	job_common(j, k, s, seal);
	j->enc_keys = k->imb;
	j->dec_keys = k->imb;
	j->src = f->data;
	j->dst = f->data;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = f->data_len;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = f->data_len;
	j->iv = f->nonce;
	j->iv_len_in_bytes = OVPN_AEAD_NONCE_LEN;
	j->auth_tag_output = seal ? f->tag : s->tag;
	if (j->cipher_mode == IMB_CIPHER_GCM) {
		j->u.GCM.aad = f->aad;
		j->u.GCM.aad_len_in_bytes = f->aad_len;
		j->u.GCM.ctx = NULL;
	} else {
		j->u.CHACHA20_POLY1305.aad = f->aad;
		j->u.CHACHA20_POLY1305.aad_len_in_bytes = f->aad_len;
		j->u.CHACHA20_POLY1305.ctx = NULL;
	}
}

/* CBC: cipher over the blocks after the IV, HMAC over IV || ciphertext. */
static void job_cbc(IMB_JOB *j, const struct ovpn_data_key *k,
		    struct imb_slot *s, bool seal)
{
	const struct imb_cbc *c = k->imb;
	struct ovpn_cbc_frame *f = &s->f.c;

	job_common(j, k, s, seal);
	j->enc_keys = c->enc;
	j->dec_keys = c->dec;
	j->src = f->iv;
	j->dst = f->ct;
	j->cipher_start_src_offset_in_bytes = OVPN_CBC_IV_LEN;
	j->msg_len_to_cipher_in_bytes = f->ct_len;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = OVPN_CBC_IV_LEN + f->ct_len;
	j->iv = f->iv;
	j->iv_len_in_bytes = OVPN_CBC_IV_LEN;
	j->auth_tag_output = seal ? f->mac : s->tag;
	j->u.HMAC._hashed_auth_key_xor_ipad = c->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = c->opad;
}

/* k's pool is used up: refill it from the reservoir, each byte once. */
static int pool_refill(struct ovpn_imb_engine *e, struct ovpn_data_key *k)
{
	if (e->rsv_off == sizeof(e->rsv)) {
		if (RAND_bytes(e->rsv, sizeof(e->rsv)) != 1)
			return -1;
		e->rsv_off = 0;
	}
	memcpy(&k->iv_pool[0][0], e->rsv + e->rsv_off, POOL_BYTES);
	OPENSSL_cleanse(e->rsv + e->rsv_off, POOL_BYTES);
	e->rsv_off += POOL_BYTES;
	k->u.iv_next = 0;
	return 0;
}

/* Frame and check one op into slot s; op->result gets the final value a
 * successful job keeps (seal: packet length; open: payload length for
 * AEAD) or the error that stops it here. Returns true to submit. */
static bool frame_seal(struct ovpn_imb_engine *e, struct imb_slot *s,
		       struct ovpn_data_op *op)
{
	struct ovpn_data_key *k = op->k;
	const uint8_t *iv = NULL;

	if (k->aead) {
		op->result = ovpn_aead_seal_frame(k, op->pkt, op->len, op->cap,
						  op->pid, &s->f.a);
		return op->result >= 0;
	}
	if (k->iv_pool == NULL) {		/* an RX key: no IVs */
		op->result = OVPN_DATA_ERR_INVAL;
		return false;
	}
	if (k->u.iv_next < OVPN_CBC_IV_POOL || pool_refill(e, k) == 0)
		iv = ovpn_cbc_next_iv(k);
	if (iv == NULL) {
		op->result = OVPN_DATA_ERR_CRYPTO;
		return false;
	}
	op->result = ovpn_cbc_seal_frame(k, op->pkt, op->len, op->cap, op->pid,
					 iv, &s->f.c);
	return op->result >= 0;
}

static bool frame_open(struct imb_slot *s, struct ovpn_data_op *op)
{
	struct ovpn_data_key *k = op->k;

	if (k->aead)
		op->result = ovpn_aead_open_frame(k, op->pkt, op->len, &op->rx, &s->f.a);
	else
		op->result = ovpn_cbc_open_frame(k, op->pkt, op->len, &op->rx, &s->f.c);
	return op->result >= 0;
}

/* A job came back: judge it. */
static void complete(IMB_JOB *j, bool seal)
{
	struct imb_slot *s = j->user_data;
	struct ovpn_data_op *op = s->op;
	const uint8_t *want = s->aead ? s->f.a.tag : s->f.c.mac;

	s->done = 1;
	if (j->status != IMB_STATUS_COMPLETED) {
		op->result = OVPN_DATA_ERR_CRYPTO;
		return;
	}
	if (seal)
		return;
	if (CRYPTO_memcmp(s->tag, want, j->auth_tag_output_len_in_bytes) != 0)
		op->result = OVPN_DATA_ERR_AUTH;
	else if (!s->aead)
		op->result = ovpn_cbc_open_done(op->pkt, &s->f.c, &op->rx);
}

/*
 * Submit slots [0, used) as one burst and judge what comes back. The
 * manager's queue is empty between calls, so it has room for all of them.
 * The burst API beat one-job-at-a-time submission by a few ns a packet and
 * AES-GCM jobs beat the direct GCM calls (IMB_AES256_GCM_ENC) by 10-15 ns
 * at 64 bytes (bench_crypto, bench/RESULTS.md). No checking variant: every
 * field is set here from a frame the codecs checked (lengths >= 1, CBC
 * whole blocks, fixed key/IV/tag sizes); the checked submit cost 15-20 ns
 * a packet.
 */
static void submit_jobs(struct ovpn_imb_engine *e, unsigned int used, bool seal)
{
	IMB_JOB *jobs[OVPN_IMB_BURST];
	IMB_MGR *m = e->mgr;
	unsigned int got, done;

	got = IMB_GET_NEXT_BURST(m, used, jobs);
	for (unsigned int i = 0; i < got; i++) {
		struct imb_slot *s = &e->slot[i];

		if (s->aead)
			job_aead(jobs[i], s->op->k, s, seal);
		else
			job_cbc(jobs[i], s->op->k, s, seal);
	}
	done = IMB_SUBMIT_BURST_NOCHECK(m, got, jobs);
	for (unsigned int i = 0; i < done; i++)
		complete(jobs[i], seal);
	done = IMB_FLUSH_BURST(m, OVPN_IMB_BURST, jobs);
	for (unsigned int i = 0; i < done; i++)
		complete(jobs[i], seal);
}

static void run_burst(struct ovpn_imb_engine *e, struct ovpn_data_op **ops,
		      unsigned int n, bool seal)
{
	unsigned int used = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct imb_slot *s = &e->slot[used];
		struct ovpn_data_op *op = ops[i];

		if (!(seal ? frame_seal(e, s, op) : frame_open(s, op)))
			continue;
		s->op = op;
		s->aead = op->k->aead;
		s->done = 0;
		used++;
	}
	if (used > 0)
		submit_jobs(e, used, seal);
	/* Not expected: a job the manager never handed back. */
	for (unsigned int i = 0; i < used; i++)
		if (!e->slot[i].done)
			e->slot[i].op->result = OVPN_DATA_ERR_CRYPTO;
}

void ovpn_imb_seal_burst(struct ovpn_imb_engine *e, struct ovpn_data_op **ops,
			 unsigned int n)
{
	run_burst(e, ops, n, true);
}

void ovpn_imb_open_burst(struct ovpn_imb_engine *e, struct ovpn_data_op **ops,
			 unsigned int n)
{
	run_burst(e, ops, n, false);
}
