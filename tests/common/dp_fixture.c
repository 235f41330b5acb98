/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp_fixture.h"
#include "dp_neigh.h"
#include "dp_peer.h"
#include "ovpn_engine.h"
#include "sl_addr.h"

struct dp_fixture fx;
const struct rte_ether_addr fx_pub_mac = { { 2, 0, 0, 0, 0, 1 } };
const struct rte_ether_addr fx_priv_mac = { { 2, 0, 0, 0, 0, 2 } };
const struct rte_ether_addr fx_client_mac = { { 2, 0, 0, 0, 0, 0x10 } };
const struct rte_ether_addr fx_lan_mac = { { 2, 0, 0, 0, 0, 0x20 } };

static const char conf[] =
	"dataplane: { mbufs = 8191; ring_size = 256; rx_desc = 256; tx_desc = 256; };\n"
	"ports: { public: { vdev = \"net_null0\"; address = \"192.0.2.1/24\"; };\n"
	"         private: { vdev = \"net_null1\"; address = \"10.20.0.1/24\"; }; };\n"
	"vpn: { pool = \"10.10.0.0/24\"; max_clients = 64; };\n"
	"pki: { ca = \"a\"; cert = \"b\"; key = \"c\"; };\n";

int fx_cmd(struct sl_cmd *c)
{
	/*
	 * This thread is worker 0 too and holds nothing between commands: a
	 * quiescent point, or a command that must wait for a grace period
	 * (the deferred-free queue full after 100 000 key replacements or
	 * peer deletions, dataplane/dp_peer.c retire()) would wait forever.
	 */
	rte_rcu_qsbr_quiescent(fx.dp.qsbr, 0);
	c->version = SL_API_VERSION;
	return dp_cmd_exec(&fx.dp, c);
}

int fx_publish(struct sl_rule_blob *blob)
{
	static uint32_t seq = 0x5e000000;
	struct sl_cmd c = { .type = SL_CMD_RULES_PUBLISH, .seq = ++seq };
	struct sl_event e;
	int rc;

	c.u.rules = (uint64_t)(uintptr_t)blob;
	if ((rc = fx_cmd(&c)) != DP_CMD_PENDING)
		return rc;
	for (;;) {
		dp_rules_poll(&fx.dp);
		while (rte_ring_dequeue_elem(fx.dp.evt, &e, sizeof(e)) == 0)
			if (e.type == SL_EVT_RESULT && e.cmd_type == SL_CMD_RULES_PUBLISH &&
			    e.seq == c.seq)
				return e.result;
		usleep(100);
	}
}

int fx_add_peer(uint32_t id, uint32_t vpn_ip)
{
	struct sl_cmd c = { .type = SL_CMD_PEER_NEW, .peer_id = id };

	c.u.peer.remote = sl_endpoint_udp4(FX_CLIENT_IP, FX_CLIENT_PORT);
	c.u.peer.vpn = sl_addr_v4(vpn_ip);
	c.u.peer.keepalive_interval = 10;
	c.u.peer.keepalive_timeout = 60;
	memcpy(c.u.peer.remote_mac, fx_client_mac.addr_bytes, 6);
	return fx_cmd(&c);
}

/* The client's view: TX with c2s, RX with s2c; OpenSSL, whatever the data plane uses. */
static int client_keys(struct fx_keyset *k, uint32_t id, unsigned key_id, enum sl_cipher cipher)
{
	struct ovpn_data_key_cfg kc = {
		.dir = OVPN_DATA_DIR_TX, .key_id = (uint8_t)key_id,
		.opcode = OVPN_P_DATA_V2, .peer_id = id, .cipher_key = k->c2s,
		.hmac_key = k->c2s_iv,
	};

	dp_crypto_key_cfg(&fx.dp, cipher, fx.digest, &kc);
	kc.backend = OVPN_BACKEND_OPENSSL;
	ovpn_data_key_free(&k->client_tx);
	ovpn_data_key_free(&k->client_rx);
	if (ovpn_data_key_init(&k->client_tx, &kc) != 0)
		return -1;
	kc.dir = OVPN_DATA_DIR_RX;
	kc.cipher_key = k->s2c;
	kc.hmac_key = k->s2c_iv;
	return ovpn_data_key_init(&k->client_rx, &kc);
}

int fx_key_cmd(uint32_t id, unsigned slot, unsigned key_id, enum sl_cipher cipher,
	       struct fx_keyset *k)
{
	struct sl_cmd c = { .type = SL_CMD_KEY_NEW, .peer_id = id };

	for (unsigned i = 0; i < 32; i++) {
		k->c2s[i] = (uint8_t)(i + 1 + key_id * 7);
		k->s2c[i] = (uint8_t)(0x80 + i + key_id * 3);
	}
	memset(k->c2s_iv, 0x11 + key_id, sizeof(k->c2s_iv));
	memset(k->s2c_iv, 0x22 + key_id, sizeof(k->s2c_iv));
	c.u.key.slot = (uint8_t)slot;
	c.u.key.key_id = (uint8_t)key_id;
	c.u.key.cipher = (uint8_t)cipher;
	c.u.key.digest = (uint8_t)fx.digest;
	memcpy(c.u.key.decrypt.key, k->c2s, 32);
	memcpy(c.u.key.decrypt.hmac, k->c2s_iv, sizeof(k->c2s_iv));
	memcpy(c.u.key.encrypt.key, k->s2c, 32);
	memcpy(c.u.key.encrypt.hmac, k->s2c_iv, sizeof(k->s2c_iv));
	return fx_cmd(&c);
}

int fx_add_key(uint32_t id, unsigned slot, unsigned key_id, enum sl_cipher cipher,
	       struct fx_keyset *k)
{
	int rc = fx_key_cmd(id, slot, key_id, cipher, k);

	if (rc != 0)
		return rc;
	return client_keys(k, id, key_id, cipher);
}

size_t fx_inner_packet(uint8_t *buf, size_t len, uint32_t src, uint32_t dst, uint8_t tag)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

	memset(buf, tag, len);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return len;
}

size_t fx_l4_packet(uint8_t *buf, size_t len, uint32_t src, uint32_t dst, uint8_t proto,
		    uint16_t sport, uint16_t dport, uint8_t flags, uint8_t tag)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	uint8_t *l4 = buf + sizeof(*ip);

	fx_inner_packet(buf, len, src, dst, tag);
	ip->next_proto_id = proto;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memset(l4, 0, 20);
	if (proto == IPPROTO_ICMP) {
		struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)l4;

		ic->icmp_type = dport ? (uint8_t)(dport >> 8) : RTE_IP_ICMP_ECHO_REQUEST;
		ic->icmp_ident = rte_cpu_to_be_16(sport);
		return len;
	}
	((struct rte_udp_hdr *)l4)->src_port = rte_cpu_to_be_16(sport);
	((struct rte_udp_hdr *)l4)->dst_port = rte_cpu_to_be_16(dport);
	if (proto == IPPROTO_TCP) {
		((struct rte_tcp_hdr *)l4)->data_off = 5 << 4;
		((struct rte_tcp_hdr *)l4)->tcp_flags = flags;
	} else {
		((struct rte_udp_hdr *)l4)->dgram_len = rte_cpu_to_be_16((uint16_t)(len - 20));
	}
	return len;
}

void fx_client_outer(struct rte_mbuf *m, size_t len, uint16_t sport)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	eth->dst_addr = fx_pub_mac;
	eth->src_addr = fx_client_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(FX_CLIENT_IP);
	ip->dst_addr = rte_cpu_to_be_32(FX_PUB_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(1194);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	udp->dgram_cksum = 0;
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - 42 - len));
}

struct rte_mbuf *fx_client_packet(struct ovpn_data_key *k, uint32_t pid,
				  const uint8_t *pl, size_t len, uint16_t sport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx.dp.pool);
	size_t head = ovpn_data_head_len(k), cap = head + len + ovpn_data_tail_max(k);
	uint8_t *buf;
	int n;

	if (m == NULL)
		return NULL;
	buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + cap));
	if (buf == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(buf + 42 + head, pl, len);
	n = ovpn_data_seal(k, buf + 42, len, cap, pid);
	if (n < 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	fx_client_outer(m, (size_t)n, sport);
	return m;
}

struct rte_mbuf *fx_lan_frame(uint32_t dst, size_t len, uint8_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx.dp.pool);
	struct rte_ether_hdr *eth;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(14 + len));
	eth->dst_addr = fx_priv_mac;
	eth->src_addr = fx_lan_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	fx_inner_packet((uint8_t *)(eth + 1), len, FX_LAN_IP, dst, tag);
	return m;
}

struct rte_mbuf *fx_lan_frame_of(const uint8_t *ip, size_t len)
{
	struct rte_mbuf *m = fx_lan_frame(FX_VPN_IP, len, 0);

	if (m != NULL)
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, 14), ip, len);
	return m;
}

int fx_cp_queue(const struct sl_endpoint *to, const struct rte_ether_addr *mac, size_t len,
		uint8_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx.dp.pool);
	struct sl_cp_meta *meta;
	uint8_t *d;

	if (m == NULL || (d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len)) == NULL) {
		rte_pktmbuf_free(m);
		return -1;
	}
	memset(d, tag, len);
	meta = dp_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->peer = *to;
	meta->payload_len = (uint16_t)len;
	if (mac != NULL)
		memcpy(meta->mac, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	if (rte_ring_enqueue(fx.dp.cp_tx, m) != 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	return 0;
}

/* ARP requests are 42 bytes: the length, in the hot mbuf header, decides most. */
static bool is_arp(struct rte_mbuf *m)
{
	return m->pkt_len == sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr) &&
	       rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type ==
	       rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
}

/* Free the frames queued on PORT, counting them in fx.arp_sent / fx.other_sent. */
static void set_aside(int port)
{
	struct dp_txq *q = &fx.wk[0].tx[port];

	for (uint16_t j = 0; j < q->n; j++) {
		if (is_arp(q->pkts[j]))
			fx.arp_sent[port]++;
		else
			fx.other_sent[port]++;
		rte_pktmbuf_free(q->pkts[j]);
	}
	q->n = 0;
}

uint16_t fx_take(int port, struct rte_mbuf **out)
{
	struct dp_txq *q = &fx.wk[0].tx[port];
	uint16_t n = 0;

	for (uint16_t j = 0; j < q->n; j++) {
		if (likely(!is_arp(q->pkts[j]))) {
			out[n++] = q->pkts[j];
			continue;
		}
		fx.arp_sent[port]++;
		rte_pktmbuf_free(q->pkts[j]);
	}
	q->n = 0;
	set_aside(port == CFG_PORT_PUBLIC ? CFG_PORT_PRIVATE : CFG_PORT_PUBLIC);
	return n;
}

uint16_t fx_run_cp_tx(struct rte_mbuf **out)
{
	dp_cp_poll(&fx.wk[0]);
	return fx_take(CFG_PORT_PUBLIC, out);
}

uint16_t fx_run_rx(struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **out)
{
	struct dp_sorted s;

	dp_input_burst(&fx.wk[0], &fx.dp.port[CFG_PORT_PUBLIC], pkts, n, &s);
	dp_forward_burst(&fx.wk[0], s.data, s.n_data);
	rte_pktmbuf_free_bulk(s.cp, s.n_cp);
	rte_pktmbuf_free_bulk(s.tx, s.n_tx);
	return fx_take(CFG_PORT_PRIVATE, out);
}

uint16_t fx_run_tx(struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **out)
{
	struct dp_sorted s;

	dp_input_burst(&fx.wk[0], &fx.dp.port[CFG_PORT_PRIVATE], pkts, n, &s);
	dp_reverse_burst(&fx.wk[0], s.fwd, s.n_fwd);
	rte_pktmbuf_free_bulk(s.tx, s.n_tx);
	return fx_take(CFG_PORT_PUBLIC, out);
}

/* Forget every neighbour but the LAN host. */
static void neigh_reset(void)
{
	for (int i = 0; i < CFG_PORT_COUNT; i++) {
		struct dp_neigh *n = fx.dp.port[i].neigh;

		for (uint32_t e = 0; e < n->size; e++)
			atomic_store_explicit(&n->e[e], 0, memory_order_relaxed);
	}
	dp_neigh_learn(fx.dp.port[CFG_PORT_PRIVATE].neigh, FX_LAN_IP, &fx_lan_mac);
}

static void ring_drain(struct rte_ring *r)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(r, (void **)pkts, DP_BURST_MAX, NULL)) > 0)
		rte_pktmbuf_free_bulk(pkts, n);
}

int fx_reset(void)
{
	static struct rte_mbuf *out[DP_TXQ_MAX];
	struct dp_worker *w = &fx.wk[0];
	unsigned freed, pending, avail;
	struct sl_event e;

	for (uint32_t id = 0; id < fx.dp.max_peers; id++) {
		struct sl_cmd c = { .type = SL_CMD_PEER_DEL, .peer_id = id };

		if (dp_peer_get(fx.dp.peers, fx.dp.max_peers, id) != NULL && fx_cmd(&c) != 0)
			return -1;
	}
	rte_rcu_qsbr_quiescent(fx.dp.qsbr, 0);
	rte_rcu_qsbr_dq_reclaim(fx.dp.dq, UINT32_MAX, &freed, &pending, &avail);
	for (unsigned i = 0; i < w->n_pending; i++)
		rte_pktmbuf_free(w->pending[i].m);
	w->n_pending = 0;
	rte_pktmbuf_free_bulk(out, fx_take(CFG_PORT_PUBLIC, out));
	while (rte_ring_dequeue_elem(fx.dp.evt, &e, sizeof(e)) == 0)
		;
	for (unsigned i = 0; i < 2; i++) {
		ring_drain(fx.dp.handoff_rx[i]);
		ring_drain(fx.dp.handoff_tx[i]);
	}
	ring_drain(fx.dp.cp_tx);
	neigh_reset();
	for (unsigned i = 0; i < 2; i++)
		memset(&fx.wk[i].cp_rate, 0, sizeof(fx.wk[i].cp_rate));
	return 0;
}

static void ports(void)
{
	struct dp *dp = &fx.dp;

	dp->port[CFG_PORT_PUBLIC] = (struct dp_port){ .port_id = 0, .role = CFG_PORT_PUBLIC,
		.mac = fx_pub_mac, .addr = FX_PUB_IP, .mask = 0xFFFFFF00u, .listen_port = 1194,
		.mtu = 1500, .neigh = dp->port[CFG_PORT_PUBLIC].neigh };
	dp->port[CFG_PORT_PRIVATE] = (struct dp_port){ .port_id = 1, .role = CFG_PORT_PRIVATE,
		.mac = fx_priv_mac, .addr = FX_PRIV_IP, .mask = 0xFFFFFF00u, .mtu = 1500,
		.neigh = dp->port[CFG_PORT_PRIVATE].neigh };
}

int fx_init(const char *prog)
{
	return fx_init_conf(prog, conf);
}

int fx_init_conf(const char *prog, const char *config)
{
	return fx_init_mem(prog, config, false);
}

int fx_init_mem(const char *prog, const char *config, bool huge)
{
	char *small[] = { (char *)prog, "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
			  "--no-telemetry", "--log-level=error", "-l", "0", NULL };
	/* --in-memory: no hugepage files, no shared config; pages taken as needed. */
	char *large[] = { (char *)prog, "--in-memory", "--no-pci", "--no-telemetry",
			  "--log-level=error", "-l", "0", NULL };
	struct cfg_error err[4];
	struct dp *dp = &fx.dp;

	if ((huge ? rte_eal_init(RTE_DIM(large) - 1, large) :
		    rte_eal_init(RTE_DIM(small) - 1, small)) < 0 ||
	    cfg_load_string(&fx.cfg, "fixture.conf", config, err, 4) != 0)
		return -1;
	dp->cfg = &fx.cfg;
	dp->burst = 32;
	dp->n_workers = 2;
	dp->tsc_hz = rte_get_tsc_hz();
	dp->mss = 1360;
	dp->tun_mtu = 1400;
	dp->pool_mask = fx.cfg.vpn.pool.len ? ~0u << (32 - fx.cfg.vpn.pool.len) : 0;
	dp->pool_net = fx.cfg.vpn.pool.addr & dp->pool_mask;
	if (dp_shared_create(dp) != 0 || dp_shared_workers(dp) != 0 || dp_peers_init(dp) != 0 ||
	    dp_rules_init(dp) != 0)
		return -1;
	ports();
	neigh_reset();
	for (unsigned i = 0; i < 2; i++)
		fx.wk[i] = (struct dp_worker){ .dp = dp, .index = i, .stats = &fx.stats[i],
					       .now_tsc = rte_rdtsc() };
	if (dp_crypto_select(dp) != 0 || dp_crypto_engines(fx.wk, 2) != 0)
		return -1;
	rte_rcu_qsbr_thread_register(dp->qsbr, 0);
	rte_rcu_qsbr_thread_online(dp->qsbr, 0);
	return 0;
}

int fx_set_crypto(enum cfg_crypto crypto)
{
	fx.cfg.dp.crypto = crypto;
	return dp_crypto_select(&fx.dp);
}

void fx_fini(void)
{
	rte_rcu_qsbr_thread_offline(fx.dp.qsbr, 0);
	dp_crypto_engines_free(fx.wk, 2);
	for (int i = 0; i < 2; i++) {
		ovpn_data_key_free(&fx.ks[i].client_tx);
		ovpn_data_key_free(&fx.ks[i].client_rx);
	}
	dp_rules_free(&fx.dp);
	dp_peers_free(&fx.dp);
	dp_shared_free(&fx.dp);
	cfg_free(&fx.cfg);
	rte_eal_cleanup();
	rmdir("/var/run/dpdk/rte");	/* EAL's empty runtime folder; kept if in use */
}
