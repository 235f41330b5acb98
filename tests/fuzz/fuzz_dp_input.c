/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's input classification (dp_input.c) and both data paths
 * (dp_forward_burst, dp_reverse_burst in dp_worker.c, with the handoff to
 * the owner worker) on frames from the fuzzer, in the in-process fixture
 * (tests/common/dp_fixture.c: EAL --no-huge --no-shconf, no ports).
 *
 * Peers, reset for every input: PEER_A (P_DATA_V2, worker 0, key-id 0 in
 * slot 0, AES-256-GCM, iroute 192.168.50.0/24), PEER_B (P_DATA_V2,
 * worker 1, key-id 1 in slot 0, ChaCha20-Poly1305) and PEER_V1 (P_DATA_V1,
 * found by its address 192.0.2.2:40100, AES-128-GCM).
 *
 * Input: byte 0 bit 0 picks the port (0 public, 1 private); then up to
 * DP_BURST_MAX records  kind(1) len(2, big endian) bytes(len):
 *   kind % 4 == 0   bytes are the whole Ethernet frame;
 *   kind % 4 == 1   public: Ethernet/IPv4/UDP from the client to our
 *                   port around bytes (the OpenVPN packet); private:
 *                   Ethernet from the LAN host around bytes (the IPv4
 *                   packet);
 *   kind % 4 >= 2   public: bytes[0] picks the peer, bytes[1..] is the
 *                   plaintext, sealed with that peer's client key (the
 *                   next packet-id): the decrypt side parses what
 *                   authenticates; private: an IPv4 header to the VPN
 *                   address bytes[0] picks (protocol bytes[1], DF from
 *                   kind bit 2) before bytes[2..].
 *
 * Property checked (abort otherwise): every frame is accounted for. At
 * input each one is a reply, a control packet, a data packet, a packet
 * to encrypt, consumed (an ARP reply: at most one per ARP frame) or a
 * counted drop; replies equal the ARP and echo reply counters. On the
 * forward path each data packet is sent, held for ARP, consumed (only an
 * authenticated one can be: a keepalive ping or OCC message) or a counted
 * drop; on the reverse path each one is sent (two when fragmented) or a
 * counted drop. Every frame for a V2 peer opens with the client's key.
 * After everything is freed the packet pool is back where it was: no mbuf
 * leaked or freed twice.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include "dp_fixture.h"
#include "dp_peer.h"
#include "sl_addr.h"

#define PEER_A		2u		/* owned by worker 0 */
#define PEER_B		3u		/* owned by worker 1 */
#define PEER_V1		10u		/* owned by worker 0 */
#define VPN_A		FX_VPN_IP	/* 10.10.0.6 */
#define VPN_B		0x0A0A0007u
#define VPN_V1		0x0A0A000Bu
#define V1_PORT		40100
#define FRAME_MAX	1600		/* bytes of one record: room for a 1500-byte inner packet */

static struct fx_keyset ks_v1;
static struct ovpn_data_key v1_rx;	/* the V1 client's RX key (opcode 6) */
/* The data plane's RX keys of PEER_A, PEER_B, PEER_V1, to tell which data
 * packets authenticate (only those can be consumed). */
static struct ovpn_data_key srv_rx[3];
static uint32_t next_pid;

static const struct {
	uint32_t id;
	unsigned key_id;
	enum ovpn_data_alg alg;
	uint8_t opcode;
} peer_def[3] = {
	{ PEER_A, 0, OVPN_DATA_ALG_AES_256_GCM, OVPN_P_DATA_V2 },
	{ PEER_B, 1, OVPN_DATA_ALG_CHACHA20_POLY1305, OVPN_P_DATA_V2 },
	{ PEER_V1, 0, OVPN_DATA_ALG_AES_128_GCM, OVPN_P_DATA_V1 },
};

static struct fx_keyset *keyset(unsigned i)
{
	return i < 2 ? &fx.ks[i] : &ks_v1;
}

static int key(struct ovpn_data_key *k, unsigned i, enum ovpn_data_dir dir, uint8_t *key,
	       uint8_t *iv)
{
	struct ovpn_data_key_cfg kc = {
		.alg = peer_def[i].alg, .dir = dir, .key_id = (uint8_t)peer_def[i].key_id,
		.opcode = peer_def[i].opcode, .peer_id = peer_def[i].id, .cipher_key = key,
		.hmac_key = iv,
	};

	ovpn_data_key_free(k);
	return ovpn_data_key_init(k, &kc);
}

/* The V1 client seals and opens with opcode P_DATA_V1 (no peer-id). */
static int v1_client_keys(void)
{
	return key(&ks_v1.client_tx, 2, OVPN_DATA_DIR_TX, ks_v1.c2s, ks_v1.c2s_iv) != 0 ||
	       key(&v1_rx, 2, OVPN_DATA_DIR_RX, ks_v1.s2c, ks_v1.s2c_iv) != 0 ? -1 : 0;
}

static int server_keys(void)
{
	for (unsigned i = 0; i < 3; i++)
		if (key(&srv_rx[i], i, OVPN_DATA_DIR_RX, keyset(i)->c2s, keyset(i)->c2s_iv) != 0)
			return -1;
	return 0;
}

/* How many of the data packets the data plane's keys open (a copy of each). */
static unsigned authentic(struct rte_mbuf **pkts, uint16_t n)
{
	static uint8_t buf[2048];
	unsigned ok = 0;

	for (uint16_t j = 0; j < n; j++) {
		const struct sl_cp_meta *meta = dp_meta(pkts[j]);
		struct ovpn_data_rx rx;
		unsigned i;

		for (i = 0; i < 3 && peer_def[i].id != meta->peer_id; i++)
			;
		if (i == 3 || meta->payload_len > sizeof(buf))
			continue;
		memcpy(buf, rte_pktmbuf_mtod_offset(pkts[j], uint8_t *, meta->payload_off),
		       meta->payload_len);
		ok += ovpn_data_open(&srv_rx[i], buf, meta->payload_len, &rx) >= 0;
	}
	return ok;
}

static int peers(void)
{
	struct sl_cmd v1 = { .type = SL_CMD_PEER_NEW, .peer_id = PEER_V1 };
	struct sl_cmd rt = { .type = SL_CMD_ROUTE_ADD, .peer_id = PEER_A };

	v1.u.peer.remote = sl_endpoint_udp4(FX_CLIENT_IP, V1_PORT);
	v1.u.peer.vpn = sl_addr_v4(VPN_V1);
	v1.u.peer.data_v1 = 1;
	memcpy(v1.u.peer.remote_mac, fx_client_mac.addr_bytes, 6);
	rt.u.route.prefix = sl_addr_v4(0xC0A83200u);
	rt.u.route.len = 24;
	if (fx_reset() != 0 || fx_add_peer(PEER_A, VPN_A) != 0 || fx_cmd(&rt) != 0 ||
	    fx_add_key(PEER_A, 0, 0, SL_CIPHER_AES_256_GCM, &fx.ks[0]) != 0 ||
	    fx_add_peer(PEER_B, VPN_B) != 0 ||
	    fx_add_key(PEER_B, 0, 1, SL_CIPHER_CHACHA20_POLY1305, &fx.ks[1]) != 0 ||
	    fx_cmd(&v1) != 0 || fx_add_key(PEER_V1, 0, 0, SL_CIPHER_AES_128_GCM, &ks_v1) != 0)
		return -1;
	return v1_client_keys();
}

static void fini(void)
{
	ovpn_data_key_free(&ks_v1.client_tx);
	ovpn_data_key_free(&ks_v1.client_rx);
	ovpn_data_key_free(&v1_rx);
	for (unsigned i = 0; i < 3; i++)
		ovpn_data_key_free(&srv_rx[i]);
	fx_reset();
	fx_fini();
}

static void init(void)
{
	if (fx_init("fuzz_dp_input") != 0 || peers() != 0 || server_keys() != 0)
		abort();
	atexit(fini);
}

/* Plaintext sealed by the client PICK chooses, in a frame from that client. */
static struct rte_mbuf *sealed(struct rte_mbuf *m, uint8_t pick, const uint8_t *pl, size_t len)
{
	struct ovpn_data_key *k = &keyset(pick % 3)->client_tx;
	size_t head = ovpn_data_head_len(k), cap = head + len + ovpn_data_tail_max(k);
	uint8_t *buf = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + cap));
	int n;

	if (buf == NULL || len == 0)
		return m;	/* empty: the frame stays empty, a bad-header drop */
	memcpy(buf + 42 + head, pl, len);
	n = ovpn_data_seal(k, buf + 42, len, cap, next_pid++);
	if (n < 0)
		abort();
	fx_client_outer(m, (size_t)n, pick % 3 == 2 ? V1_PORT : FX_CLIENT_PORT);
	return m;
}

/* An IPv4 header to a VPN address before the fuzzer's bytes, from the LAN host. */
static void lan_ip(struct rte_mbuf *m, uint8_t kind, const uint8_t *b, size_t len)
{
	static const uint32_t dst[4] = { VPN_A, VPN_B, VPN_V1, 0xC0A83209u };
	size_t body = len > 2 ? len - 2 : 0;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m,
		(uint16_t)(14 + 20 + body));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

	eth->dst_addr = fx_priv_mac;
	eth->src_addr = fx_lan_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + body));
	ip->time_to_live = 64;
	ip->next_proto_id = len > 1 ? b[1] : IPPROTO_ICMP;
	ip->fragment_offset = kind & 4 ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->src_addr = rte_cpu_to_be_32(FX_LAN_IP);
	ip->dst_addr = rte_cpu_to_be_32(dst[len > 0 ? b[0] % 4 : 0]);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (body)
		memcpy(ip + 1, b + 2, body);
}

static struct rte_mbuf *frame(int port, uint8_t kind, const uint8_t *b, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx.dp.pool);
	uint8_t *d;

	if (m == NULL)
		abort();
	if (kind % 4 >= 2 && port == CFG_PORT_PUBLIC)
		return sealed(m, len ? b[0] : 0, b + (len ? 1 : 0), len ? len - 1 : 0);
	if (kind % 4 >= 2) {
		lan_ip(m, kind, b, len);
		return m;
	}
	if (kind % 4 == 1 && port == CFG_PORT_PUBLIC) {
		if ((d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + len))) != NULL) {
			memcpy(d + 42, b, len);
			fx_client_outer(m, len, FX_CLIENT_PORT);
		}
		return m;
	}
	if (kind % 4 == 1) {
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m,
			(uint16_t)(14 + len));

		eth->dst_addr = fx_priv_mac;
		eth->src_addr = fx_lan_mac;
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memcpy(eth + 1, b, len);
		return m;
	}
	if (len && (d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len)) != NULL)
		memcpy(d, b, len);
	return m;
}

/* ---- accounting ---- */

static uint64_t drops(void)
{
	uint64_t n = 0;

	for (int w = 0; w < 2; w++)
		for (int d = 0; d < SL_DROP_MAX; d++)
			if (d != SL_DROP_NO_MBUF)	/* a failed ARP request, not a frame */
				n += fx.stats[w].drop[d];
	return n;
}

static uint64_t replies(void)
{
	return fx.stats[0].arp_replies + fx.stats[1].arp_replies +
	       fx.stats[0].icmp_replies + fx.stats[1].icmp_replies;
}

static bool is_arp(const struct rte_mbuf *m)
{
	return m->data_len >= sizeof(struct rte_ether_hdr) &&
	       rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->ether_type ==
	       rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
}

struct txcount {
	unsigned ip[CFG_PORT_COUNT];	/* frames that are not ARP */
	unsigned arp[CFG_PORT_COUNT];
};

/* A frame to a client must open with that client's key. */
static void check_to_client(struct rte_mbuf *m)
{
	const struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, 34);
	uint16_t dport = rte_be_to_cpu_16(udp->dst_port);
	uint8_t *pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, 42);
	struct ovpn_data_key *k;
	struct ovpn_data_rx rx;
	size_t len;

	if (m->data_len < 42 || rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type !=
	    rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		abort();
	len = rte_be_to_cpu_16(udp->dgram_len) - 8u;
	if (42 + len != m->pkt_len)
		abort();
	if (dport == V1_PORT)
		k = &v1_rx;
	else	/* by the peer-id of the P_DATA_V2 header */
		k = pkt[3] == PEER_A ? &fx.ks[0].client_rx : &fx.ks[1].client_rx;
	if (ovpn_data_open(k, pkt, len, &rx) < 0)
		abort();
}

/* Free and count what both workers queued; frames to clients are checked. */
static void tx_drain(struct txcount *c)
{
	for (int w = 0; w < 2; w++)
		for (int port = 0; port < CFG_PORT_COUNT; port++) {
			struct dp_txq *q = &fx.wk[w].tx[port];

			for (uint16_t j = 0; j < q->n; j++) {
				if (is_arp(q->pkts[j])) {
					c->arp[port]++;
				} else {
					c->ip[port]++;
					if (port == CFG_PORT_PUBLIC)
						check_to_client(q->pkts[j]);
				}
				rte_pktmbuf_free(q->pkts[j]);
			}
			q->n = 0;
		}
}

static unsigned pending(void)
{
	return fx.wk[0].n_pending + fx.wk[1].n_pending;
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* One path, as the worker loop runs it: the owner's share here, the rest handed over. */
static void run_path(struct rte_mbuf **pkts, uint16_t n, bool forward)
{
	void (*path)(struct dp_worker *, struct rte_mbuf **, uint16_t) =
		forward ? dp_forward_burst : dp_reverse_burst;
	struct rte_ring **rings = forward ? fx.dp.handoff_rx : fx.dp.handoff_tx;
	struct rte_mbuf *got[DP_BURST_MAX];
	unsigned k;

	path(&fx.wk[0], pkts, dp_handoff_split(&fx.wk[0], pkts, n, rings));
	k = rte_ring_dequeue_burst(rings[1], (void **)got, DP_BURST_MAX, NULL);
	path(&fx.wk[1], got, (uint16_t)k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct txcount in_tx = { 0 }, tx = { 0 };
	struct dp_sorted s;
	unsigned n = 0, n_arp = 0, base, in_use, held, n_auth;
	uint64_t d0, d1, r0;
	int port;

	if (fx.dp.pool == NULL)
		init();
	if (size < 1)
		return 0;
	if (peers() != 0)
		abort();
	port = data[0] & 1 ? CFG_PORT_PRIVATE : CFG_PORT_PUBLIC;
	next_pid = 1;
	base = rte_mempool_in_use_count(fx.dp.pool);
	for (size_t off = 1; off + 3 <= size && n < DP_BURST_MAX;) {
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		if (len > size - off - 3)
			len = size - off - 3;
		if (len > FRAME_MAX)
			len = FRAME_MAX;
		pkts[n] = frame(port, data[off], data + off + 3, len);
		n_arp += is_arp(pkts[n]) && pkts[n]->data_len >= 42;
		n++;
		off += 3 + len;
	}

	/* Input: every frame sorted, consumed (ARP replies only) or dropped. */
	d0 = drops();
	r0 = replies();
	dp_input_burst(&fx.wk[0], &fx.dp.port[port], pkts, (uint16_t)n, &s);
	d1 = drops();
	in_use = rte_mempool_in_use_count(fx.dp.pool);
	check(s.n_tx + s.n_cp + s.n_data + s.n_fwd + (d1 - d0) <= n);
	check(n - (s.n_tx + s.n_cp + s.n_data + s.n_fwd + (d1 - d0)) <= n_arp);
	check(replies() - r0 == s.n_tx);
	check(in_use == base + s.n_tx + s.n_cp + s.n_data + s.n_fwd);
	check(port == CFG_PORT_PUBLIC ? s.n_fwd == 0 : s.n_data == 0 && s.n_cp == 0);
	rte_pktmbuf_free_bulk(s.tx, s.n_tx);
	rte_pktmbuf_free_bulk(s.cp, s.n_cp);
	tx_drain(&in_tx);	/* nothing yet: replies are still in s.tx */
	check(in_tx.ip[0] + in_tx.ip[1] + in_tx.arp[0] + in_tx.arp[1] == 0);

	/* Forward: sent, held, consumed (authenticated only) or dropped. */
	n_auth = authentic(s.data, s.n_data);
	held = pending();
	d0 = drops();
	run_path(s.data, s.n_data, true);
	tx_drain(&tx);
	d1 = drops();
	check(tx.ip[CFG_PORT_PUBLIC] == 0);
	check(tx.ip[CFG_PORT_PRIVATE] + (pending() - held) + (d1 - d0) <= s.n_data);
	check(s.n_data - (tx.ip[CFG_PORT_PRIVATE] + (pending() - held) + (d1 - d0)) <= n_auth);

	/* Reverse: sent (a fragmented packet twice) or dropped. */
	memset(&tx, 0, sizeof(tx));
	d0 = drops();
	run_path(s.fwd, s.n_fwd, false);
	tx_drain(&tx);
	d1 = drops();
	check(tx.ip[CFG_PORT_PUBLIC] + (d1 - d0) >= s.n_fwd);
	check(tx.ip[CFG_PORT_PUBLIC] + (d1 - d0) <= 2u * s.n_fwd);
	/* An ICMP "fragmentation needed" goes back for a too-big drop only. */
	check(tx.ip[CFG_PORT_PRIVATE] <= d1 - d0);

	/* Held frames are freed by the reset: then the pool is whole again. */
	for (int w = 0; w < 2; w++) {
		for (unsigned i = 0; i < fx.wk[w].n_pending; i++)
			rte_pktmbuf_free(fx.wk[w].pending[i].m);
		fx.wk[w].n_pending = 0;
	}
	check(rte_mempool_in_use_count(fx.dp.pool) == base);
	return 0;
}
