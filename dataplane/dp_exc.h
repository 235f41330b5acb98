/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_EXC_H
#define SL_DP_EXC_H

/*
 * The exception path for the TCP transport (vpn.tcp_port): a net_tap vdev
 * whose kernel side (interface DP_EXC_IFACE, the public address /32, no
 * ARP) terminates the TCP connections in the kernel's own TCP stack; the
 * control plane listens there (same network namespace). See
 * docs/architecture.md, "TCP transport".
 *
 *   in:  TCP segments for the public address and vpn.tcp_port, and only
 *        those, go to the tap (each worker its own queue);
 *   out: what the kernel sends out of the tap (IPv4 from the public
 *        address) leaves by the public port, toward its next hop.
 *
 * Encrypted packets for a TCP peer go to the control plane on sl_cp_rx
 * (dp_exc_to_cp()), which writes them on the connection; data packets the
 * control plane read from a connection come in on sl_cp_tx (dp_cp.c).
 */
#include <rte_ip.h>

#include "dp.h"

#define DP_EXC_IFACE	"sluice-tcp"

/* Create and start the tap when vpn.tcp_port is set (main lcore, before the workers). */
int dp_exc_init(struct dp *dp);
void dp_exc_stop(struct dp *dp);

/* A TCP segment for our public address: to the tap (DP_V_HELD) or a drop. */
int dp_exc_input(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m,
		 const struct rte_ipv4_hdr *ip, unsigned ip_len);

/* The kernel's frames out, the queued segments in; returns the work done. */
uint16_t dp_exc_poll(struct dp_worker *w);

/* An OpenVPN packet for TCP endpoint TO: to the control plane (DP_V_HELD) or a drop. */
int dp_exc_to_cp(struct dp_worker *w, struct rte_mbuf *m, const struct sl_endpoint *to);

/*
 * Take the data packets the control plane read from TCP connections (meta
 * transport TCP) out of the N packets of sl_cp_tx and run them through the
 * forward path as the public port's; returns how many are left in pkts
 * (control packets to send, order kept).
 */
uint16_t dp_exc_data_in(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

#endif
