/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-channel micro-benchmark: ns per packet for sealing (encrypt) and
 * opening (decrypt) per cipher, payload size and crypto backend, through
 * the burst API (ovpn_data_seal_burst()/ovpn_data_open_burst(), bursts of
 * 32, as the data plane calls it), beside a bare OpenSSL EVP reference doing
 * the same cryptographic work one packet at a time with a pre-made context,
 * all measured in the same run on the same core.
 *
 *   backend openssl : OpenSSL keys (the burst API runs them one by one)
 *   backend ipsec-mb: intel-ipsec-mb keys (one job burst per call)
 *   AEAD reference  : set IV, AAD update, in-place update, final, tag.
 *   CBC reference   : set IV, in-place CBC of pid+payload+pad, HMAC of IV||CT.
 *
 * Sizes are payload bytes: 64, 512, 1400, and IMIX (7:4:1 of 64, 576 and
 * 1400 bytes, mixed inside every burst; its ns figure is the mean per
 * packet). open() decrypts in place, so every open (each backend's and the
 * reference's) is preceded by the same memcpy that restores the sealed
 * packet. The backends and the reference alternate for REPS rounds and
 * each figure is the fastest round, which keeps the ratios honest on a
 * loaded, shared machine. vs_evp = ns / EVP ns; x_openssl = openssl ns /
 * this backend's ns (the speed-up).
 *
 * Usage: bench_crypto [--smoke] [--iters N] [--cipher LABEL] [--size N|imix]
 * --cipher and --size keep only the rows named (for profiling one case).
 * --smoke runs a few hundred iterations to prove the binary works (and
 * that every packet opens); it never judges timing. Each row carries its
 * configuration (cipher, size, iterations, CPU, OpenSSL, ipsec-mb arch) so
 * a pasted line stands on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ovpn_engine.h"

#define BUF_LEN		2048
#define BURST		32
#define RING		96	/* prepared packets: 3 bursts, a whole IMIX cycle */
#define SMOKE_ITERS	320
#define REPS		5	/* rounds per figure; the fastest is kept */

struct bench_cipher {
	const char *label;
	enum ovpn_data_alg alg;
	enum ovpn_data_md md;
};

static const struct bench_cipher ciphers[] = {
	{ "AES-128-GCM", OVPN_DATA_ALG_AES_128_GCM, OVPN_DATA_MD_NONE },
	{ "AES-256-GCM", OVPN_DATA_ALG_AES_256_GCM, OVPN_DATA_MD_NONE },
	{ "CHACHA20-POLY1305", OVPN_DATA_ALG_CHACHA20_POLY1305, OVPN_DATA_MD_NONE },
	{ "AES-256-CBC+SHA256", OVPN_DATA_ALG_AES_256_CBC, OVPN_DATA_MD_SHA256 },
};

/* 0 = IMIX. */
static const size_t sizes[] = { 64, 512, 1400, 0 };

/* 7 x 64, 4 x 576, 1 x 1400 in every 12 packets. */
static const size_t imix[12] = { 64, 576, 64, 64, 576, 64, 1400, 64, 576, 64, 64, 576 };

static const uint8_t key_bytes[64] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t hmac_bytes[64] = { 0x66, 0x77, 0x88, 0x99 };

enum { SEAL, OPEN };
#define N_SIDES	(OVPN_BACKEND_NUM + 1)	/* the backends, then EVP */
#define EVP_SIDE OVPN_BACKEND_NUM

struct bench_env {
	char cpu[128];
	char imb[64];		/* ipsec-mb arch, or why it cannot run */
	int imb_ok;
	unsigned long iters_override;
	const char *cipher;	/* only this label, or NULL */
	const char *size;	/* only this size, or NULL */
	int smoke;
	int failed;
	struct ovpn_engine *eng;
};

/* One backend's keys, a burst of ops and buffers, and RING sealed packets
 * to restore before each open. */
struct side {
	struct ovpn_data_key tx, rx;
	struct ovpn_data_op ops[BURST];
	uint8_t buf[BURST][BUF_LEN];
	uint8_t sealed[RING][BUF_LEN];
	size_t sealed_len[RING];
};

static struct side sides[OVPN_BACKEND_NUM];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void read_cpu_model(char *dst, size_t cap)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(dst, cap, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		snprintf(dst, cap, "%s", colon + 2);
		dst[strcspn(dst, "\n")] = '\0';
		break;
	}
	fclose(f);
}

/* Payload bytes of ring position p for size s (0 = IMIX). */
static size_t size_at(size_t s, unsigned long p)
{
	return s != 0 ? s : imix[p % 12];
}

static double mean_size(size_t s)
{
	double sum = 0;

	if (s != 0)
		return (double)s;
	for (int i = 0; i < 12; i++)
		sum += (double)imix[i];
	return sum / 12;
}

static unsigned long iters_for(const struct bench_env *env, size_t size)
{
	unsigned long n;

	if (env->smoke)
		return SMOKE_ITERS;
	n = env->iters_override;
	if (n == 0)
		n = size == 64 ? 400000 : size == 512 || size == 0 ? 200000 : 100000;
	return (n + RING - 1) / RING * RING;	/* whole bursts, whole IMIX cycles */
}

/* ---- the bare EVP reference ---- */

struct evp_ref {
	EVP_CIPHER_CTX *enc, *dec;
	EVP_MAC_CTX *mac;	/* CBC only */
	int aead;
};

static int evp_ref_init(struct evp_ref *r, const struct bench_cipher *c)
{
	static const char *names[] = {
		[OVPN_DATA_ALG_AES_128_GCM] = "AES-128-GCM",
		[OVPN_DATA_ALG_AES_256_GCM] = "AES-256-GCM",
		[OVPN_DATA_ALG_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
		[OVPN_DATA_ALG_AES_256_CBC] = "AES-256-CBC",
	};
	EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, names[c->alg], NULL);
	int ok;

	memset(r, 0, sizeof(*r));
	r->aead = c->md == OVPN_DATA_MD_NONE;
	r->enc = EVP_CIPHER_CTX_new();
	r->dec = EVP_CIPHER_CTX_new();
	ok = ci != NULL && r->enc != NULL && r->dec != NULL &&
	     EVP_EncryptInit_ex2(r->enc, ci, key_bytes, NULL, NULL) &&
	     EVP_DecryptInit_ex2(r->dec, ci, key_bytes, NULL, NULL) &&
	     EVP_CIPHER_CTX_set_padding(r->enc, 0) &&
	     EVP_CIPHER_CTX_set_padding(r->dec, 0);
	EVP_CIPHER_free(ci);
	if (ok && !r->aead) {
		EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM p[2] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
			OSSL_PARAM_construct_end(),
		};

		r->mac = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
		ok = r->mac != NULL && EVP_MAC_init(r->mac, hmac_bytes, 32, p);
		EVP_MAC_free(m);
	}
	return ok ? 0 : -1;
}

static void evp_ref_free(struct evp_ref *r)
{
	EVP_CIPHER_CTX_free(r->enc);
	EVP_CIPHER_CTX_free(r->dec);
	EVP_MAC_CTX_free(r->mac);
}

/* One packet's worth of work; buf holds IV/nonce, AAD, tag and data. */
static void evp_ref_packet(struct evp_ref *r, int enc, uint8_t *buf, size_t len,
			   uint32_t i)
{
	EVP_CIPHER_CTX *c = enc ? r->enc : r->dec;
	uint8_t iv[16] = { 0 }, *data = buf + 64;
	size_t maclen;
	int n;

	memcpy(iv, &i, sizeof(i));
	EVP_CipherInit_ex2(c, NULL, NULL, iv, enc, NULL);
	if (r->aead) {
		EVP_CipherUpdate(c, NULL, &n, buf, 8);
		EVP_CipherUpdate(c, data, &n, data, (int)len);
		if (!enc)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, buf + 16);
		EVP_CipherFinal_ex(c, data + n, &n);	/* tag mismatch ignored */
		if (enc)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, buf + 16);
		return;
	}
	/* CBC: pid + payload rounded up to whole blocks, HMAC over IV||CT. */
	len = (len + 4 + 16) / 16 * 16;
	if (!enc) {
		EVP_MAC_init(r->mac, NULL, 0, NULL);
		EVP_MAC_update(r->mac, data - 16, len + 16);
		EVP_MAC_final(r->mac, buf, &maclen, 64);
	}
	EVP_CipherUpdate(c, data, &n, data, (int)len);
	if (enc) {
		EVP_MAC_init(r->mac, NULL, 0, NULL);
		EVP_MAC_update(r->mac, data - 16, len + 16);
		EVP_MAC_final(r->mac, buf, &maclen, 64);
	}
}

/* ns per packet over iters packets (op SEAL or OPEN), sizes as ours. */
static double time_ref(struct evp_ref *ref, int op, size_t s, unsigned long iters)
{
	static uint8_t buf[BUF_LEN], saved[BUF_LEN];
	double t0;

	memset(buf, 0xA5, sizeof(buf));
	if (op == SEAL) {
		t0 = now_ns();
		for (unsigned long i = 0; i < iters; i++)
			evp_ref_packet(ref, 1, buf, size_at(s, i), (uint32_t)i + 1);
		return (now_ns() - t0) / (double)iters;
	}
	memcpy(saved, buf, sizeof(saved));
	t0 = now_ns();
	for (unsigned long i = 0; i < iters; i++) {
		size_t len = size_at(s, i);

		/* the restore is as long as a sealed packet of ours */
		memcpy(buf, saved, 64 + len + 16);
		evp_ref_packet(ref, 0, buf, len, (uint32_t)i + 1);
	}
	return (now_ns() - t0) / (double)iters;
}

/* ---- the backends through the burst API ---- */

static int key_init(struct ovpn_data_key *k, const struct bench_cipher *c,
		    enum ovpn_data_dir dir, enum ovpn_backend b)
{
	struct ovpn_data_key_cfg cfg = {
		.alg = c->alg, .md = c->md, .dir = dir, .key_id = 0,
		.opcode = OVPN_P_DATA_V2, .peer_id = 1,
		.cipher_key = key_bytes, .hmac_key = hmac_bytes,
		.backend = (uint8_t)b,
	};

	return ovpn_data_key_init(k, &cfg);
}

/* Seal the RING packets the opens will restore; 0 if all sealed. */
static int side_prepare(struct bench_env *env, struct side *sd, size_t s)
{
	size_t head = ovpn_data_head_len(&sd->tx);

	for (unsigned int p = 0; p < RING; p += BURST) {
		for (unsigned int i = 0; i < BURST; i++) {
			struct ovpn_data_op *op = &sd->ops[i];

			memset(sd->sealed[p + i] + head, 0x5A, size_at(s, p + i));
			*op = (struct ovpn_data_op){
				.k = &sd->tx, .pkt = sd->sealed[p + i],
				.len = size_at(s, p + i), .cap = BUF_LEN, .pid = p + i + 1,
			};
		}
		ovpn_data_seal_burst(env->eng, sd->ops, BURST);
		for (unsigned int i = 0; i < BURST; i++) {
			if (sd->ops[i].result <= 0)
				return -1;
			sd->sealed_len[p + i] = (size_t)sd->ops[i].result;
		}
	}
	return 0;
}

static double time_seal(struct bench_env *env, struct side *sd, size_t s,
			unsigned long iters)
{
	double t0 = now_ns();

	for (unsigned long b = 0; b < iters / BURST; b++) {
		for (unsigned int i = 0; i < BURST; i++) {
			unsigned long p = b * BURST + i;
			struct ovpn_data_op *op = &sd->ops[i];

			op->k = &sd->tx;
			op->pkt = sd->buf[i];
			op->len = size_at(s, p % RING);
			op->cap = BUF_LEN;
			op->pid = (uint32_t)p + 1;
		}
		ovpn_data_seal_burst(env->eng, sd->ops, BURST);
	}
	return (now_ns() - t0) / (double)(iters / BURST * BURST);
}

/* The last burst's verdicts say whether every open worked. */
static double time_open(struct bench_env *env, struct side *sd, size_t s,
			unsigned long iters, int *bad)
{
	double t0 = now_ns(), t;
	unsigned long b;

	for (b = 0; b < iters / BURST; b++) {
		for (unsigned int i = 0; i < BURST; i++) {
			unsigned int p = (unsigned int)((b * BURST + i) % RING);
			struct ovpn_data_op *op = &sd->ops[i];

			memcpy(sd->buf[i], sd->sealed[p], sd->sealed_len[p]);
			op->k = &sd->rx;
			op->pkt = sd->buf[i];
			op->len = sd->sealed_len[p];
		}
		ovpn_data_open_burst(env->eng, sd->ops, BURST);
	}
	t = (now_ns() - t0) / (double)(iters / BURST * BURST);
	for (unsigned int i = 0; i < BURST; i++)
		if (sd->ops[i].result != (int)size_at(s, ((b - 1) * BURST + i) % RING))
			*bad = 1;
	return t;
}

/* ---- one cipher and size: every side, both ops ---- */

struct row {
	double ns[N_SIDES][2];	/* fastest round, [side][SEAL/OPEN] */
};

static void keep_min(double *best, double v, int first)
{
	if (first || v < *best)
		*best = v;
}

static void print_row(const struct bench_env *env, const struct bench_cipher *c,
		      size_t s, unsigned long iters, const struct row *r, int op, int b)
{
	double ns = r->ns[b][op], evp = r->ns[EVP_SIDE][op];
	char size[24];

	snprintf(size, sizeof(size), s ? "%zu" : "imix", s);
	printf("%-19s %5s %7lu %4u %-4s %-8s %9.1f %9.1f %6.2f %9.2f %7.2f  "
	       "cpu=\"%s\" openssl=\"%s\" ipsec-mb=\"%s\"\n",
	       c->label, size, iters, env->smoke ? 1 : REPS, op == SEAL ? "seal" : "open",
	       ovpn_backend_name((enum ovpn_backend)b), ns, evp, ns / evp,
	       r->ns[OVPN_BACKEND_OPENSSL][op] / ns, mean_size(s) * 8.0 / ns,
	       env->cpu, OpenSSL_version(OPENSSL_VERSION), env->imb);
}

static int sides_init(struct bench_env *env, const struct bench_cipher *c, size_t s)
{
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		struct side *sd = &sides[b];

		if (key_init(&sd->tx, c, OVPN_DATA_DIR_TX, (enum ovpn_backend)b) != 0)
			return -1;
		if (key_init(&sd->rx, c, OVPN_DATA_DIR_RX, (enum ovpn_backend)b) != 0)
			return -1;
		if ((int)ovpn_data_key_backend(&sd->tx) != b && env->imb_ok)
			return -1;
		if (side_prepare(env, sd, s) != 0)
			return -1;
	}
	return 0;
}

static void sides_free(void)
{
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		ovpn_data_key_free(&sides[b].tx);
		ovpn_data_key_free(&sides[b].rx);
	}
}

/* One round of every side and op; warm-up is a short round first. */
static void round_all(struct bench_env *env, struct evp_ref *ref, size_t s,
		      unsigned long iters, struct row *best, int first, int *bad)
{
	for (int b = 0; b < OVPN_BACKEND_NUM; b++) {
		keep_min(&best->ns[b][SEAL], time_seal(env, &sides[b], s, iters), first);
		keep_min(&best->ns[b][OPEN], time_open(env, &sides[b], s, iters, bad), first);
	}
	keep_min(&best->ns[EVP_SIDE][SEAL], time_ref(ref, SEAL, s, iters), first);
	keep_min(&best->ns[EVP_SIDE][OPEN], time_ref(ref, OPEN, s, iters), first);
}

static int bench_one(struct bench_env *env, const struct bench_cipher *c, size_t s)
{
	unsigned long iters = iters_for(env, s);
	unsigned int reps = env->smoke ? 1 : REPS;
	struct row best, warm;
	struct evp_ref ref;
	int bad = 0, rc = -1;

	if (evp_ref_init(&ref, c) != 0)
		goto out;
	if (sides_init(env, c, s) != 0)
		goto out;
	/* Warm caches, clocks and lazily built tables before timing. */
	round_all(env, &ref, s, iters / 10 / RING * RING + RING, &warm, 1, &bad);
	/* The sides alternate, so all of them see the same load. */
	for (unsigned int i = 0; i < reps; i++)
		round_all(env, &ref, s, iters, &best, i == 0, &bad);
	if (bad)
		goto out;
	for (int op = SEAL; op <= OPEN; op++)
		for (int b = 0; b < OVPN_BACKEND_NUM; b++)
			if (b == OVPN_BACKEND_OPENSSL || env->imb_ok)
				print_row(env, c, s, iters, &best, op, b);
	rc = 0;
out:
	sides_free();
	evp_ref_free(&ref);
	return rc;
}

static int wanted(const struct bench_env *env, const struct bench_cipher *c, size_t s)
{
	char size[24];

	snprintf(size, sizeof(size), s ? "%zu" : "imix", s);
	return (env->cipher == NULL || strcasecmp(env->cipher, c->label) == 0) &&
	       (env->size == NULL || strcmp(env->size, size) == 0);
}

static void print_header(const struct bench_env *env)
{
	struct utsname u;
	char date[32] = "?";
	time_t t = time(NULL);

	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "?");
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	printf("# bench_crypto: ns/packet in bursts of %d through the burst API, per "
	       "backend, beside bare EVP one packet at a time, same run%s\n", BURST,
	       env->smoke ? " (SMOKE: too few iterations for meaningful figures)" : "");
	printf("# cpu: %s; kernel %s; %s; ipsec-mb: %s\n", env->cpu, u.release, date,
	       env->imb);
	printf("# header V2, key-id 0; open includes one memcpy restoring each packet, "
	       "as does the EVP reference; imix = 7:4:1 of 64/576/1400 B\n");
	printf("# each figure: fastest of <reps> rounds of <iters> packets; "
	       "vs_evp = ns/evp_ns; x_openssl = openssl ns/ns; Gbps = payload bits/ns\n");
	printf("%-19s %5s %7s %4s %-4s %-8s %9s %9s %6s %9s %7s\n", "cipher", "size",
	       "iters", "reps", "op", "backend", "ns", "evp_ns", "vs_evp", "x_openssl",
	       "Gbps");
}

int main(int argc, char **argv)
{
	struct bench_env env = { 0 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			env.smoke = 1;
		} else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
			env.iters_override = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--cipher") == 0 && i + 1 < argc) {
			env.cipher = argv[++i];
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
			env.size = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--smoke] [--iters N] [--cipher LABEL] "
				"[--size N|imix]\n", argv[0]);
			return 2;
		}
	}
	read_cpu_model(env.cpu, sizeof(env.cpu));
	env.imb_ok = ovpn_backend_probe(OVPN_BACKEND_IPSEC_MB, env.imb, sizeof(env.imb)) == 0;
	env.eng = ovpn_engine_new();
	if (env.eng == NULL) {
		fprintf(stderr, "bench_crypto: cannot make an engine\n");
		return 1;
	}
	print_header(&env);
	for (size_t c = 0; c < sizeof(ciphers) / sizeof(ciphers[0]); c++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			if (wanted(&env, &ciphers[c], sizes[s]) &&
			    bench_one(&env, &ciphers[c], sizes[s]) != 0) {
				fprintf(stderr, "%s %zu: seal/open failed\n",
					ciphers[c].label, sizes[s]);
				env.failed = 1;
			}
	ovpn_engine_free(env.eng);
	return env.failed;
}
