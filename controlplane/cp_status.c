/* SPDX-License-Identifier: BSD-3-Clause */
/* `sluicectl status`: what the data plane publishes in sl_status, as text. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cp.h"

struct out {
	char *buf;
	size_t len, used;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void ports(struct out *o, const struct sl_status *s)
{
	for (unsigned i = 0; i < s->n_ports && i < SL_MAX_PORTS; i++) {
		const struct sl_port_status *p = &s->port[i];
		const uint8_t *m = p->mac;
		char ip[16];

		put(o, "port %s: device %s mac %02x:%02x:%02x:%02x:%02x:%02x address %s/%u "
		    "link %s speed %u queues %u\n", p->role, p->device, m[0], m[1], m[2], m[3],
		    m[4], m[5], cfg_ip_str(p->addr, ip, sizeof(ip)), p->prefix_len,
		    p->link_up ? "up" : "down", p->speed_mbps, p->n_queues);
		put(o, "  rx %lu pkts %lu bytes, tx %lu pkts %lu bytes, drop missed %lu "
		    "rx-errors %lu tx-errors %lu no-mbuf %lu\n",
		    p->rx_pkts, p->rx_bytes, p->tx_pkts, p->tx_bytes, p->rx_missed,
		    p->rx_errors, p->tx_errors, p->rx_nombuf);
		for (unsigned q = 0; q < p->n_queues && q < SL_QUEUE_STATS; q++)
			put(o, "  queue %u: rx %lu tx %lu pkts\n", q, p->q_rx_pkts[q], p->q_tx_pkts[q]);
	}
}

static void lcores(struct out *o, const struct sl_status *s, uint64_t *drops)
{
	for (unsigned i = 0; i < s->n_workers && i < SL_MAX_LCORES; i++) {
		const struct sl_lcore_stats *l = &s->lcore[i];
		uint64_t total = l->busy_cycles + l->idle_cycles;

		put(o, "lcore %u (worker %u): rx %lu tx %lu bursts %lu control-in %lu control-out %lu "
		    "arp %lu echo %lu busy %.1f%% cycles/pkt %lu\n", s->worker_lcore[i], i,
		    l->rx_pkts, l->tx_pkts, l->rx_bursts, l->cp_rx, l->cp_tx, l->arp_replies,
		    l->icmp_replies, total ? 100.0 * l->busy_cycles / total : 0.0,
		    l->rx_pkts ? l->busy_cycles / l->rx_pkts : 0);
		for (int d = 0; d < SL_DROP_MAX; d++)
			drops[d] += l->drop[d];
	}
}

int cp_status_format(const struct cp *cp, char *buf, size_t len)
{
	const struct sl_status *s = cp->dp.status;
	uint64_t drops[SL_DROP_MAX] = { 0 }, now = (uint64_t)time(NULL);
	struct out o = { .buf = buf, .len = len };

	put(&o, "dataplane: pid %d up %lus main-lcore %u workers %u api %u commands %u/%u bad\n",
	    s->dp_pid, (unsigned long)(now - s->started), s->main_lcore, s->n_workers,
	    s->version, s->cmds_done, s->cmds_bad);
	put(&o, "controlplane: pid %d up %lus control-packets-in %lu events-in %lu\n",
	    (int)getpid(), (unsigned long)(now - cp->started), cp->dp.ctrl_pkts_in,
	    cp->dp.events_in);
	put(&o, "controlplane: sessions %u half-open %u\n", atomic_load(&cp->ctx.n_sessions),
	    atomic_load(&cp->ctx.half_open));
	put(&o, "control");
	for (int i = 0; i < CP_ST_MAX; i++)
		put(&o, " %s %lu", cp_stat_name(i), atomic_load(&cp->ctx.stats[i]));
	put(&o, "\n");
	ports(&o, s);
	lcores(&o, s, drops);
	for (int d = 0; d < SL_DROP_MAX; d++)
		put(&o, "drop %-14s %lu  (%s)\n", sl_drop_name(d), drops[d], sl_drop_desc(d));
	return (int)(o.used < len ? o.used : len);
}
