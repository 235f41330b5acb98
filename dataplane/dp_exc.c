/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP transport's exception path (dp_exc.h). The kernel terminates TCP:
 * no stack of our own. The tap's kernel interface has the public address
 * as a /32 and IFF_NOARP, so the kernel never asks for a next hop: its
 * frames carry its own MAC as destination and we put the real Ethernet
 * header on them here, from the public port's neighbour table. Frames
 * toward the kernel get the tap's MAC as destination (it drops others).
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_tcp.h>

#include "dp_exc.h"
#include "dp_neigh.h"
#include "dp_pkt.h"
#include "ovpn_proto.h"
#include "sl_log.h"

#define DP_EXC_VDEV	"net_tap_sluice"
#define DP_EXC_DESC	512

static struct {
	bool on;
	uint16_t port_id;
	uint16_t tcp_port;		/* host order */
	struct rte_ether_addr mac;	/* the kernel side's */
	struct dp_txq tx[SL_MAX_LCORES];	/* segments toward the kernel, per worker */
} exc;

static int ifreq_ioctl(int fd, unsigned long req, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", DP_EXC_IFACE);
	return ioctl(fd, req, ifr) < 0 ? -errno : 0;
}

static void set_in(struct sockaddr *sa, uint32_t host_order)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;

	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(host_order);
}

/* The kernel side: the public address /32, no ARP, up. */
static int kernel_side(uint32_t addr)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	set_in(&ifr.ifr_addr, addr);
	rc = ifreq_ioctl(fd, SIOCSIFADDR, &ifr);
	if (rc == 0) {
		set_in(&ifr.ifr_netmask, 0xffffffffu);
		rc = ifreq_ioctl(fd, SIOCSIFNETMASK, &ifr);
	}
	if (rc == 0)
		rc = ifreq_ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_NOARP;
		rc = ifreq_ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

static int tap_setup(struct dp *dp, uint16_t port)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nq = (uint16_t)dp->n_workers;
	int rc = rte_eth_dev_configure(port, nq, nq, &conf);

	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, DP_EXC_DESC, rte_eth_dev_socket_id(port),
					    NULL, dp->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, DP_EXC_DESC,
						    rte_eth_dev_socket_id(port), NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_set_mtu(port, dp->port[CFG_PORT_PUBLIC].mtu);
	if (rc == 0)
		rc = rte_eth_macaddr_get(port, &exc.mac);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

int dp_exc_init(struct dp *dp)
{
	int rc;

	exc.tcp_port = dp->cfg->vpn.tcp_port;
	if (exc.tcp_port == 0)
		return 0;
	rc = rte_dev_probe(DP_EXC_VDEV ",iface=" DP_EXC_IFACE);
	if (rc == 0)
		rc = rte_eth_dev_get_port_by_name(DP_EXC_VDEV, &exc.port_id);
	if (rc == 0)
		rc = tap_setup(dp, exc.port_id);
	if (rc == 0)
		rc = kernel_side(dp->port[CFG_PORT_PUBLIC].addr);
	if (rc != 0) {
		SL_ERR("vpn.tcp_port: exception path (tap %s) failed: %s", DP_EXC_IFACE,
		       strerror(rc < 0 ? -rc : rc));
		return rc < 0 ? rc : -rc;
	}
	exc.on = true;
	SL_INFO("TCP transport on port %u: exception path through tap %s (dpdk port %u)",
		exc.tcp_port, DP_EXC_IFACE, exc.port_id);
	return 0;
}

void dp_exc_stop(struct dp *dp)
{
	(void)dp;
	if (!exc.on)
		return;
	exc.on = false;
	rte_eth_dev_stop(exc.port_id);
	rte_eth_dev_close(exc.port_id);	/* the tap's kernel interface goes with it */
}

int dp_exc_input(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m,
		 const struct rte_ipv4_hdr *ip, unsigned ip_len)
{
	const struct rte_tcp_hdr *tcp = (const struct rte_tcp_hdr *)((const char *)ip +
								     rte_ipv4_hdr_len(ip));
	struct dp_txq *q = &exc.tx[w->index];

	if (!exc.on || p->role != CFG_PORT_PUBLIC)
		return dp_drop_v(SL_DROP_NOT_FOR_US);
	if (ip_len < rte_ipv4_hdr_len(ip) + sizeof(*tcp))
		return dp_drop_v(SL_DROP_BAD_HEADER);
	if (rte_be_to_cpu_16(tcp->dst_port) != exc.tcp_port)
		return dp_drop_v(SL_DROP_NOT_FOR_US);
	if (unlikely(q->n == DP_TXQ_MAX))
		return dp_drop_v(SL_DROP_TX_FULL);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = exc.mac;
	q->pkts[q->n++] = m;
	return DP_V_HELD;
}

/* A frame from the kernel: Ethernet header toward its next hop, or a verdict. */
static int kernel_out(struct dp_worker *w, struct rte_mbuf *m)
{
	struct dp_port *pub = &w->dp->port[CFG_PORT_PUBLIC];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	struct rte_ether_addr mac;
	uint32_t hop;
	int r;

	/* IPv6 router solicitations and the like stay home. */
	if (m->data_len < sizeof(*eth) + sizeof(*ip) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    rte_be_to_cpu_32(ip->src_addr) != pub->addr)
		return dp_drop_v(SL_DROP_NOT_IP);
	hop = dp_neigh_next_hop(pub->neigh, rte_be_to_cpu_32(ip->dst_addr));
	if (hop == 0)
		return dp_drop_v(SL_DROP_NO_ROUTE);
	r = dp_neigh_resolve(w, CFG_PORT_PUBLIC, hop, &mac);
	if (r != DP_V_OK)
		return r;
	eth->dst_addr = mac;
	eth->src_addr = pub->mac;
	return DP_V_OK;
}

uint16_t dp_exc_poll(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp_txq *q = &exc.tx[w->index];
	struct dp_burst b;
	uint16_t n, sent;

	if (!exc.on)
		return 0;
	if (q->n) {
		sent = rte_eth_tx_burst(exc.port_id, (uint16_t)w->index, q->pkts, q->n);
		if (unlikely(sent < q->n))
			dp_drop_burst(w->stats, q->pkts + sent, q->n - sent, SL_DROP_TX_FULL);
		q->n = 0;
	}
	n = rte_eth_rx_burst(exc.port_id, (uint16_t)w->index, pkts, w->dp->burst);
	if (n == 0)
		return 0;
	dp_burst_init(&b, pkts, n);
	for (uint16_t i = 0; i < n; i++)
		b.v[i] = (uint8_t)kernel_out(w, b.pkts[i]);
	dp_burst_emit(w, &b, CFG_PORT_PUBLIC);
	return n;
}

int dp_exc_to_cp(struct dp_worker *w, struct rte_mbuf *m, const struct sl_endpoint *to)
{
	struct sl_cp_meta *meta = dp_meta(m);

	memset(meta, 0, sizeof(*meta));
	meta->peer = *to;
	meta->payload_len = (uint16_t)m->pkt_len;
	if (rte_ring_enqueue(w->dp->cp_rx, m) != 0)
		return dp_drop_v(SL_DROP_CP_RING_FULL);
	return DP_V_HELD;
}

/*
 * A data packet the control plane read from a TCP connection: its peer-id
 * (P_DATA_V2's own; for P_DATA_V1 the control plane's, from the
 * connection's session: cp_tcp.c), or a drop.
 */
static int data_in(struct dp_worker *w, struct rte_mbuf *m)
{
	struct sl_cp_meta *meta = dp_meta(m);
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

	meta->payload_off = 0;
	meta->payload_len = (uint16_t)m->data_len;
	if (m->data_len >= 1 && ovpn_op_opcode(d[0]) == OVPN_P_DATA_V1)
		;	/* meta->peer_id is the control plane's */
	else if (m->data_len < 4 || ovpn_op_opcode(d[0]) != OVPN_P_DATA_V2)
		return dp_drop_v(SL_DROP_BAD_OPCODE);
	else
		meta->peer_id = (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	if (meta->peer_id >= w->dp->max_peers)
		return dp_drop_v(SL_DROP_UNKNOWN_PEER);
	return DP_V_DATA;
}

uint16_t dp_exc_data_in(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *data[DP_BURST_MAX];
	uint16_t kept = 0, n_data = 0;

	for (uint16_t i = 0; i < n; i++) {
		int v;

		if (dp_meta(pkts[i])->peer.transport != SL_TRANSPORT_TCP) {
			pkts[kept++] = pkts[i];
			continue;
		}
		v = data_in(w, pkts[i]);
		if (v == DP_V_DATA)
			data[n_data++] = pkts[i];
		else
			dp_drop(w, pkts[i], v);
	}
	if (n_data)
		dp_forward_burst(w, data, dp_handoff_split(w, data, n_data,
							     w->dp->handoff_rx));
	return kept;
}
