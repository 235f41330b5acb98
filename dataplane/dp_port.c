/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port bring-up: find each configured device, give every worker one RX and
 * one TX queue on it, start it, and publish its state to sl_status.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_errno.h>

#include "dp.h"
#include "sl_log.h"

/* The DPDK port for a config port: PCI address, or the vdev's name (before ','). */
static int find_port(const struct cfg_port *cp, uint16_t *port_id)
{
	char name[CFG_VDEV_MAX];

	if (cfg_port_is_pci(cp))
		snprintf(name, sizeof(name), "%s", cp->pci);
	else
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(cp->vdev, ","), cp->vdev);
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int port_setup(struct dp *dp, struct dp_port *p, const struct cfg_port *cp)
{
	const struct cfg_dataplane *c = &dp->cfg->dp;
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t q, nq = dp->n_workers, rxd = c->rx_desc, txd = c->tx_desc;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		return rc;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		SL_ERR("ports.%s: device has %u rx / %u tx queues, %u workers need %u "
		       "(for af_packet add qpairs=%u to the vdev)", cfg_port_name(p->role),
		       info.max_rx_queues, info.max_tx_queues, nq, nq, nq);
		return -EINVAL;
	}
	if (nq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	conf.rxmode.mtu = cp->mtu;
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	for (q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, rxd,
					    rte_eth_dev_socket_id(p->port_id), NULL, dp->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, txd,
						    rte_eth_dev_socket_id(p->port_id), NULL);
	}
	if (rc == 0)
		rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc == 0)
		rc = rte_eth_dev_start(p->port_id);
	if (rc != 0)
		SL_ERR("ports.%s: setup failed: %s", cfg_port_name(p->role), rte_strerror(-rc));
	return rc;
}

int dp_ports_init(struct dp *dp)
{
	for (int i = 0; i < CFG_PORT_COUNT; i++) {
		const struct cfg_port *cp = &dp->cfg->port[i];
		struct dp_port *p = &dp->port[i];
		struct sl_port_status *ps = &dp->status->port[i];
		int rc;

		p->role = i;
		if (find_port(cp, &p->port_id) != 0) {
			SL_ERR("ports.%s: no DPDK device %s", cfg_port_name(i),
			       cfg_port_is_pci(cp) ? cp->pci : cp->vdev);
			return -ENODEV;
		}
		p->addr = cp->address.addr;
		p->mask = cp->address.len ? ~0u << (32 - cp->address.len) : 0;
		p->listen_port = i == CFG_PORT_PUBLIC ? dp->cfg->vpn.listen_port : 0;
		p->mtu = cp->mtu;
		rc = port_setup(dp, p, cp);
		if (rc != 0)
			return rc;
		snprintf(ps->role, sizeof(ps->role), "%s", cfg_port_name(i));
		snprintf(ps->device, sizeof(ps->device), "%s",
			 cfg_port_is_pci(cp) ? cp->pci : cp->vdev);
		memcpy(ps->mac, p->mac.addr_bytes, 6);
		ps->addr = p->addr;
		ps->prefix_len = cp->address.len;
		ps->n_queues = dp->n_workers;
		SL_INFO("port %s: dpdk port %u, %s, mac " RTE_ETHER_ADDR_PRT_FMT ", %u queue pairs",
			cfg_port_name(i), p->port_id, ps->device, RTE_ETHER_ADDR_BYTES(&p->mac),
			dp->n_workers);
	}
	dp->status->n_ports = CFG_PORT_COUNT;
	return 0;
}

void dp_ports_stop(struct dp *dp)
{
	for (int i = 0; i < CFG_PORT_COUNT; i++) {
		if (dp->status != NULL && dp->status->port[i].role[0] == '\0')
			continue;	/* never set up */
		rte_eth_dev_stop(dp->port[i].port_id);
		rte_eth_dev_close(dp->port[i].port_id);
	}
}

_Static_assert(SL_QUEUE_STATS <= RTE_ETHDEV_QUEUE_STAT_CNTRS, "per-queue stats");

/* Link and NIC counters into sl_status; called by the main lcore. */
void dp_ports_status(struct dp *dp)
{
	for (int i = 0; i < CFG_PORT_COUNT; i++) {
		struct sl_port_status *ps = &dp->status->port[i];
		struct rte_eth_link link;
		struct rte_eth_stats st;

		if (rte_eth_link_get_nowait(dp->port[i].port_id, &link) == 0) {
			ps->link_up = link.link_status == RTE_ETH_LINK_UP;
			ps->speed_mbps = link.link_speed;
		}
		if (rte_eth_stats_get(dp->port[i].port_id, &st) == 0) {
			ps->rx_pkts = st.ipackets;
			ps->tx_pkts = st.opackets;
			ps->rx_bytes = st.ibytes;
			ps->tx_bytes = st.obytes;
			ps->rx_missed = st.imissed;
			ps->rx_errors = st.ierrors;
			ps->tx_errors = st.oerrors;
			ps->rx_nombuf = st.rx_nombuf;
			for (unsigned q = 0; q < ps->n_queues && q < SL_QUEUE_STATS; q++) {
				ps->q_rx_pkts[q] = st.q_ipackets[q];
				ps->q_tx_pkts[q] = st.q_opackets[q];
			}
		}
	}
}
