/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-plane stage benchmark: cycles per packet of the whole worker path
 * for one burst (dp_input_burst + the forward path, or + the reverse path
 * (dp_worker.c): header checks, peer and key lookup, AEAD, replay window,
 * anti-spoofing, neighbour lookup, header rewrite, the frames taken off the
 * worker's TX list), beside the bare OpenSSL EVP AEAD
 * operation on the same payload size with a pre-made context, measured in
 * the same run on the same core. The ratio says how close the pipeline is
 * to the crypto limit; 1.0 would be pure crypto.
 *
 * In process, no ports (tests/common/dp_fixture.c): packets are built
 * before timing, as a NIC would deliver them; timing covers bursts of 32.
 * Each figure is the best of REPS rounds of ROUND packets.
 *
 * The round size matters: 256 packets stay in cache, 4096 (8 MB of mbufs)
 * do not; the default 1024 is one RX ring of the default size. The EVP
 * reference works on one hot buffer, so it is the crypto limit, not a
 * like-for-like memory pattern.
 *
 * Each cipher and size runs with every crypto backend this CPU has
 * (dataplane.crypto "openssl" and "ipsec-mb", lib/ovpn_engine.h), one
 * after the other in the same run; vs_ossl is the OpenSSL backend's cycles
 * over this backend's (above 1: faster). Sizes are inner IPv4 bytes: 64,
 * 512, 1400 and imix (7:4:1 of 64, 576 and 1400, as bench_crypto).
 *
 * --rules: the access-rules stage instead (dp_rules.c): AES-256-GCM, 64-byte
 * UDP packets, the configured backend, with no rule set, and with rule sets
 * of 0, 1 k and 10 k rules (random in-rules that do not match, then one
 * that allows the traffic, last by priority): cycles per packet forward
 * for packets of one established flow and for packets that each open a
 * new flow (every one classified by rte_acl and inserted), and reverse for
 * the replies of established flows; the time to build and publish each
 * set (SL_CMD_RULES_PUBLISH on this thread); and packets lost while a
 * second thread runs bursts of an established flow and this one publishes
 * 10 k-rule sets (target 0).
 *
 * Usage: bench_dp [--smoke] [--round N] [--rules]   (--smoke: one small round, no judgement)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <stdatomic.h>

#include <openssl/evp.h>
#include <openssl/params.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "bench_util.h"
#include "dp_fixture.h"
#include "ovpn_engine.h"
#include "sl_rule.h"

#define ROUND_MAX	4096	/* packets per round: a NIC ring's worth (--round) */
#define BURST	32
#define REPS	5

struct cipher_row {
	const char *name;
	enum sl_cipher cipher;
	const char *evp;
	enum sl_digest digest;	/* CBC: the HMAC (vpn.auth) */
};

static const struct cipher_row ciphers[] = {
	{ "AES-128-GCM", SL_CIPHER_AES_128_GCM, "AES-128-GCM" },
	{ "AES-256-GCM", SL_CIPHER_AES_256_GCM, "AES-256-GCM" },
	{ "CHACHA20-POLY1305", SL_CIPHER_CHACHA20_POLY1305, "ChaCha20-Poly1305" },
	{ "AES-256-CBC+SHA256", SL_CIPHER_AES_256_CBC, "AES-256-CBC", SL_DIGEST_SHA256 },
};
static const size_t sizes[] = { 64, 512, 1400, 0 };	/* 0 = imix */
static const size_t imix[12] = { 64, 576, 64, 64, 576, 64, 1400, 64, 576, 64, 64, 576 };
static const struct {
	enum cfg_crypto crypto;
	enum ovpn_backend backend;
} backends[] = {
	{ CFG_CRYPTO_OPENSSL, OVPN_BACKEND_OPENSSL },
	{ CFG_CRYPTO_IPSEC_MB, OVPN_BACKEND_IPSEC_MB },
};
static uint32_t next_pid = 1;
static unsigned key_id;

/* Inner bytes of packet i of a round of size s (0 = imix). */
static size_t size_of(size_t s, unsigned i)
{
	return s != 0 ? s : imix[i % RTE_DIM(imix)];
}

/* Bare EVP: IV, AAD (8 bytes), in-place encrypt, final, tag. Cycles/op. */
/*
 * The bare EVP ceiling of CBC+HMAC-SHA256 on this core: IV set, CBC of
 * packet-id + payload + padding in place, HMAC of IV || ciphertext with
 * EVP_MAC re-initialised from its stored key (what an EVP program does;
 * its allocations included), no framing, no packet.
 */
static double evp_ref_cbc(const char *name, size_t s, unsigned n)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(mac);
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
			   OSSL_PARAM_construct_end() };
	uint8_t key[32] = { 1 }, buf[2048] = { 4 }, tag[32];
	uint64_t best = UINT64_MAX;
	size_t tl;
	int out;

	EVP_EncryptInit_ex(ctx, c, NULL, key, buf);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	EVP_MAC_init(m, key, 32, p);
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = rte_rdtsc();

		for (unsigned i = 0; i < n; i++) {
			int len = (int)((4 + size_of(s, i)) / 16 + 1) * 16;

			buf[0] = (uint8_t)i;
			EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, buf);
			EVP_EncryptUpdate(ctx, buf + 16, &out, buf + 16, len);
			EVP_MAC_init(m, NULL, 0, NULL);
			EVP_MAC_update(m, buf, 16 + (size_t)len);
			EVP_MAC_final(m, tag, &tl, sizeof(tag));
		}
		best = RTE_MIN(best, rte_rdtsc() - t0);
	}
	EVP_MAC_CTX_free(m);
	EVP_MAC_free(mac);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return (double)best / n;
}

static double evp_ref(const char *name, size_t s, unsigned n)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t key[32] = { 1 }, iv[12] = { 2 }, aad[8] = { 3 }, buf[2048] = { 4 }, tag[16];
	uint64_t best = UINT64_MAX;
	int out;

	EVP_EncryptInit_ex(ctx, c, NULL, key, iv);
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = rte_rdtsc();

		for (unsigned i = 0; i < n; i++) {
			iv[0] = (uint8_t)i;
			EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv);
			EVP_EncryptUpdate(ctx, NULL, &out, aad, sizeof(aad));
			EVP_EncryptUpdate(ctx, buf, &out, buf, (int)size_of(s, i));
			EVP_EncryptFinal_ex(ctx, buf + out, &out);
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
		}
		best = RTE_MIN(best, rte_rdtsc() - t0);
	}
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return (double)best / n;
}

/* Time STAGE over pkts[0..n) in bursts; frees what comes out. Cycles. */
static uint64_t run_bursts(uint16_t (*stage)(struct rte_mbuf **, uint16_t, struct rte_mbuf **),
			   struct rte_mbuf **pkts, unsigned n, unsigned *done)
{
	struct rte_mbuf *out[BURST];
	uint64_t cycles = 0;

	*done = 0;
	for (unsigned i = 0; i < n; i += BURST) {
		uint16_t b = (uint16_t)RTE_MIN((unsigned)BURST, n - i), got;
		uint64_t t0 = rte_rdtsc();

		got = stage(pkts + i, b, out);
		cycles += rte_rdtsc() - t0;
		*done += got;
		rte_pktmbuf_free_bulk(out, got);
	}
	return cycles;
}

static double stage_rx(size_t s, unsigned n)
{
	static struct rte_mbuf *pkts[ROUND_MAX];
	uint64_t best = UINT64_MAX;
	uint8_t in[2048];
	unsigned done;

	for (int r = 0; r < REPS; r++) {
		for (unsigned i = 0; i < n; i++) {
			size_t len = fx_inner_packet(in, size_of(s, i), FX_VPN_IP, FX_LAN_IP, 1);

			pkts[i] = fx_client_packet(&fx.ks[0].client_tx, next_pid++, in, len,
						   FX_CLIENT_PORT);
		}
		best = RTE_MIN(best, run_bursts(fx_run_rx, pkts, n, &done));
		if (done != n)
			return -1;
	}
	return (double)best / n;
}

static double stage_tx(size_t s, unsigned n)
{
	static struct rte_mbuf *pkts[ROUND_MAX];
	uint64_t best = UINT64_MAX;
	unsigned done;

	for (int r = 0; r < REPS; r++) {
		for (unsigned i = 0; i < n; i++)
			pkts[i] = fx_lan_frame(FX_VPN_IP, size_of(s, i), 1);
		best = RTE_MIN(best, run_bursts(fx_run_tx, pkts, n, &done));
		if (done != n)
			return -1;
	}
	return (double)best / n;
}

/* A fresh key state on backend b: new key-id in the primary slot. */
static int use_cipher(enum sl_cipher c, enum cfg_crypto b)
{
	struct sl_cmd del = { .type = SL_CMD_KEY_DEL, .peer_id = 1 };

	if (fx_set_crypto(b) != 0)
		return -1;
	for (unsigned i = 0; i < RTE_DIM(ciphers); i++)
		if (ciphers[i].cipher == c)
			fx.digest = ciphers[i].digest;
	fx_cmd(&del);
	next_pid = 1;
	key_id = (key_id + 1) & 7;
	return fx_add_key(1, 0, key_id, c, &fx.ks[0]);
}

/* ---- --rules ---- */

static uint32_t flow_seq;	/* source port / address of the next new flow */

/* Publish N rules (-1: none, back to no set); cycles spent, or 0 on failure. */
static uint64_t publish(int n)
{
	struct sl_rule_blob *b;
	uint64_t t0;

	rte_rcu_qsbr_quiescent(fx.dp.qsbr, 0);
	dp_rules_poll(&fx.dp);
	if (n < 0) {
		dp_rules_clear(&fx.dp);
		return 1;
	}
	if ((b = bench_rule_set((unsigned)n, FX_LAN_IP)) == NULL)
		return 0;
	t0 = rte_rdtsc();
	if (fx_publish(b) != 0)
		return 0;
	return rte_rdtsc() - t0;
}

/* A client packet of 64 inner UDP bytes: one flow (NEW false) or a new one each. */
static struct rte_mbuf *udp_in(bool new_flow)
{
	uint8_t in[64];
	uint32_t s = new_flow ? flow_seq++ : 0;

	fx_l4_packet(in, sizeof(in), FX_VPN_IP, FX_LAN_IP, IPPROTO_UDP,
		     (uint16_t)(1024 + s % 60000), (uint16_t)(53 + s / 60000), 0, 1);
	return fx_client_packet(&fx.ks[0].client_tx, next_pid++, in, sizeof(in), FX_CLIENT_PORT);
}

static double rules_rx(unsigned n, bool new_flow)
{
	static struct rte_mbuf *pkts[ROUND_MAX];
	uint64_t best = UINT64_MAX;
	unsigned done;

	for (int r = 0; r < REPS; r++) {
		for (unsigned i = 0; i < n; i++)
			pkts[i] = udp_in(new_flow);
		best = RTE_MIN(best, run_bursts(fx_run_rx, pkts, n, &done));
		if (done != n)
			return -1;
	}
	return (double)best / n;
}

static double rules_tx(unsigned n)
{
	static struct rte_mbuf *pkts[ROUND_MAX];
	uint64_t best = UINT64_MAX;
	uint8_t in[64];
	unsigned done;

	fx_l4_packet(in, sizeof(in), FX_LAN_IP, FX_VPN_IP, IPPROTO_UDP, 53, 1024, 0, 1);
	for (int r = 0; r < REPS; r++) {
		for (unsigned i = 0; i < n; i++)
			pkts[i] = fx_lan_frame_of(in, sizeof(in));
		best = RTE_MIN(best, run_bursts(fx_run_tx, pkts, n, &done));
		if (done != n)
			return -1;
	}
	return (double)best / n;
}

struct load {
	atomic_bool stop;
	uint64_t sent, passed;
};

/* Bursts of 32 of the established flow until told to stop (QSBR thread 1). */
static void *load_loop(void *arg)
{
	struct load *l = arg;
	struct rte_mbuf *pkts[BURST], *out[DP_TXQ_MAX];

	rte_rcu_qsbr_thread_register(fx.dp.qsbr, 1);
	rte_rcu_qsbr_thread_online(fx.dp.qsbr, 1);
	while (!atomic_load(&l->stop)) {
		uint16_t got;

		for (int i = 0; i < BURST; i++)
			pkts[i] = udp_in(false);
		got = fx_run_rx(pkts, BURST, out);
		rte_pktmbuf_free_bulk(out, got);
		l->sent += BURST;
		l->passed += got;
		rte_rcu_qsbr_quiescent(fx.dp.qsbr, 1);
	}
	rte_rcu_qsbr_thread_offline(fx.dp.qsbr, 1);
	rte_rcu_qsbr_thread_unregister(fx.dp.qsbr, 1);
	return NULL;
}

/* Publishes of N-rule sets while load_loop runs: packets lost. */
static int64_t publish_under_load(unsigned n, unsigned publishes)
{
	struct load l = { .stop = false };
	pthread_t t;

	rte_rcu_qsbr_thread_offline(fx.dp.qsbr, 0);
	if (pthread_create(&t, NULL, load_loop, &l) != 0)
		return -1;
	for (unsigned i = 0; i < publishes; i++) {
		struct sl_rule_blob *b = bench_rule_set(n, FX_LAN_IP);

		if (b == NULL || fx_publish(b) != 0)
			break;
	}
	atomic_store(&l.stop, true);
	pthread_join(t, NULL);
	rte_rcu_qsbr_thread_online(fx.dp.qsbr, 0);
	printf("# publish under load: %u publishes of %u rules while another thread ran "
	       "%lu packets of an established flow: %lu passed, %ld lost\n", publishes, n + 1,
	       (unsigned long)l.sent, (unsigned long)l.passed, (long)(l.sent - l.passed));
	return (int64_t)(l.sent - l.passed);
}

#define RULE_PASSES	3	/* every set measured in turn, this many times */

static int bench_rules(unsigned n, bool smoke)
{
	static const int sets[] = { -1, 0, 1000, 10000 };
	double best[RTE_DIM(sets)][4];	/* publish ms, est rx, new rx, est tx */
	unsigned n_sets = smoke ? 3 : RTE_DIM(sets);

	if (use_cipher(SL_CIPHER_AES_256_GCM, CFG_CRYPTO_AUTO) != 0)
		return 1;
	for (unsigned s = 0; s < n_sets; s++)
		for (unsigned k = 0; k < 4; k++)
			best[s][k] = 1e18;
	/* Sets in turn, several passes, the best of each: a load that comes
	 * and goes on the machine hits every set alike. */
	for (unsigned pass = 0; pass < (smoke ? 1u : RULE_PASSES); pass++) {
		for (unsigned s = 0; s < n_sets; s++) {
			uint64_t cyc = publish(sets[s]);
			double v[4];

			if (cyc == 0) {
				fprintf(stderr, "bench_dp: publish of %d rules failed\n", sets[s]);
				return 1;
			}
			v[0] = sets[s] < 0 ? 0 : (double)cyc * 1000 / (double)rte_get_tsc_hz();
			v[1] = rules_rx(n, false);
			v[2] = rules_rx(n, true);
			v[3] = rules_tx(n);
			if (v[1] < 0 || v[2] < 0 || v[3] < 0) {
				fprintf(stderr, "bench_dp: packets lost with %d rules\n", sets[s]);
				return 1;
			}
			for (unsigned k = 0; k < 4; k++)
				best[s][k] = RTE_MIN(best[s][k], v[k]);
		}
	}
	printf("# --rules: AES-256-GCM (%s), 64-byte UDP, cycles/packet of the whole path "
	       "(input + decrypt + rules + route, or input + check + rules + encrypt), "
	       "best of %u passes\n", ovpn_backend_name(fx.dp.key_backend[SL_CIPHER_AES_256_GCM]),
	       smoke ? 1 : RULE_PASSES);
	printf("%-8s %12s %12s %12s %12s %12s %12s %12s\n", "rules", "publish_ms", "est_rx",
	       "new_flow_rx", "est_tx", "rules_est", "rules_new", "rules_tx");
	for (unsigned s = 0; s < n_sets; s++) {
		char name[16];

		snprintf(name, sizeof(name), sets[s] < 0 ? "none" : "%d", sets[s] + 1);
		printf("%-8s %12.2f %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f\n", name,
		       best[s][0], best[s][1], best[s][2], best[s][3], best[s][1] - best[0][1],
		       best[s][2] - best[0][2], best[s][3] - best[0][3]);
	}
	printf("# rules_*: the same column minus the run with no rule set (the stage's cost)\n");
	return publish_under_load(smoke ? 1000 : 10000, smoke ? 3 : 5) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	bool smoke = false, rules = false;
	unsigned n = 1024;
	char cpu[128];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			smoke = true;
			n = 256;
		} else if (strcmp(argv[i], "--rules") == 0) {
			rules = true;
		} else if (strcmp(argv[i], "--round") == 0 && i + 1 < argc) {
			n = (unsigned)atoi(argv[++i]);
		}
	}
	if (n == 0 || n > ROUND_MAX) {
		fprintf(stderr, "bench_dp: --round 1..%d\n", ROUND_MAX);
		return 2;
	}

	if (fx_init(argv[0]) != 0 || fx_add_peer(1, FX_VPN_IP) != 0) {
		fprintf(stderr, "bench_dp: setup failed\n");
		return 1;
	}
	bench_cpu_model(cpu, sizeof(cpu));
	printf("# bench_dp: cycles/packet, worker stages in process, burst %d, 1 peer, "
	       "1 lcore, best of %d rounds of %u packets\n# cpu \"%s\" tsc %lu Hz%s\n",
	       BURST, REPS, n, cpu, (unsigned long)rte_get_tsc_hz(), smoke ? " (smoke)" : "");
	if (rules) {
		int rc = bench_rules(n, smoke);

		fx_fini();
		return rc;
	}
	printf("%-18s %5s %-9s %12s %12s %10s %8s %8s %8s %8s\n", "cipher", "size", "backend",
	       "decrypt_cyc", "encrypt_cyc", "evp_cyc", "rx/evp", "tx/evp", "rx_vs_ossl",
	       "tx_vs_ossl");
	for (unsigned c = 0; c < RTE_DIM(ciphers); c++) {
		for (unsigned s = 0; s < RTE_DIM(sizes); s++) {
			double ref = (ciphers[c].digest ? evp_ref_cbc : evp_ref)(ciphers[c].evp,
										 sizes[s], n), rx0 = 0, tx0 = 0;
			char size[8];

			snprintf(size, sizeof(size), sizes[s] ? "%zu" : "imix", sizes[s]);
			for (unsigned b = 0; b < RTE_DIM(backends); b++) {
				double rx, tx;

				if (ovpn_backend_probe(backends[b].backend, NULL, 0) != 0)
					continue;	/* not on this CPU: no row */
				if (use_cipher(ciphers[c].cipher, backends[b].crypto) != 0)
					return 1;
				rx = stage_rx(sizes[s], n);
				tx = stage_tx(sizes[s], n);
				if (rx < 0 || tx < 0) {
					fprintf(stderr, "bench_dp: packets lost in %s/%s/%s\n",
						ciphers[c].name, size,
						ovpn_backend_name(backends[b].backend));
					return 1;
				}
				if (b == 0) {
					rx0 = rx;
					tx0 = tx;
				}
				printf("%-18s %5s %-9s %12.0f %12.0f %10.0f %8.2f %8.2f %10.2f %10.2f\n",
				       ciphers[c].name, size, ovpn_backend_name(backends[b].backend),
				       rx, tx, ref, rx / ref, tx / ref, rx0 / rx, tx0 / tx);
			}
		}
	}
	fx_fini();
	return 0;
}
