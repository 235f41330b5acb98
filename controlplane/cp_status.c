/* SPDX-License-Identifier: BSD-3-Clause */
/* `sluicectl status`: what the data plane publishes in sl_status, as text. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cp.h"
#include "cp_adopt.h"
#include "ovpn_engine.h"
#include "sl_counters.h"

/* The "control" line walks sl_cp_defs() and reads cp->ctx.stats[] by the same index. */
_Static_assert((int)CP_ST_MAX == (int)SL_CP_COUNTERS_N, "cp_stat and SL_CP_COUNTERS disagree");

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

/* " name value" for each counter of a table, read from base. */
static void counters(struct out *o, const void *base, const struct sl_counter_def *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put(o, " %s %lu", t[i].name, sl_counter_read(base, &t[i]));
}

static void ports(struct out *o, const struct sl_status *s)
{
	unsigned n;
	const struct sl_counter_def *t = sl_port_defs(&n);

	for (unsigned i = 0; i < s->n_ports && i < SL_MAX_PORTS; i++) {
		const struct sl_port_status *p = &s->port[i];
		const uint8_t *m = p->mac;
		char ip[16];

		put(o, "port %s: device %s mac %02x:%02x:%02x:%02x:%02x:%02x address %s/%u "
		    "link %s speed %u queues %u\n", p->role, p->device, m[0], m[1], m[2], m[3],
		    m[4], m[5], cfg_ip_str(p->addr, ip, sizeof(ip)), p->prefix_len,
		    p->link_up ? "up" : "down", p->speed_mbps, p->n_queues);
		put(o, " ");
		counters(o, p, t, n);
		put(o, "\n");
		for (unsigned q = 0; q < p->n_queues && q < SL_QUEUE_STATS; q++)
			put(o, "  queue %u: rx %lu tx %lu pkts\n", q, p->q_rx_pkts[q], p->q_tx_pkts[q]);
	}
}

static void lcores(struct out *o, const struct sl_status *s)
{
	unsigned n;
	const struct sl_counter_def *t = sl_lcore_defs(&n);

	for (unsigned i = 0; i < s->n_workers && i < SL_MAX_LCORES; i++) {
		const struct sl_lcore_stats *l = &s->lcore[i];
		uint64_t total = l->busy_cycles + l->idle_cycles;

		put(o, "lcore %u (worker %u):", s->worker_lcore[i], i);
		counters(o, l, t, n);
		put(o, " busy %.1f%% cycles/pkt %lu\n", total ? 100.0 * l->busy_cycles / total : 0.0,
		    l->rx_pkts ? l->busy_cycles / l->rx_pkts : 0);
	}
}

/* "drop NAME N  (HELP)" per reason, summed over the workers. */
static void drops(struct out *o, const struct sl_status *s)
{
	struct sl_lcore_stats sum;
	unsigned n;
	const struct sl_counter_def *t = sl_drop_defs(&n);

	sl_lcore_sum(s, &sum);
	for (unsigned d = 0; d < n; d++)
		put(o, "drop %-14s %lu  (%s)\n", t[d].name, sum.drop[d], t[d].help);
}

/* "crypto: AES-128-GCM ipsec-mb, ... (avx512)": each cipher's backend (dataplane.crypto). */
static void crypto(struct out *o, const struct sl_status *s)
{
	put(o, "crypto:");
	for (unsigned c = SL_CIPHER_NONE + 1; c < SL_CIPHER_COUNT; c++)
		put(o, "%s %s %s", c > SL_CIPHER_NONE + 1 ? "," : "", cp_adopt_cipher_name((uint8_t)c),
		    ovpn_backend_name(s->crypto_backend[c]));
	put(o, " (%.*s)\n", (int)sizeof(s->crypto_arch), s->crypto_arch);
}

/* The control plane's own counters, indexed like its table. */
static void control(struct out *o, const struct cp *cp)
{
	unsigned n;
	const struct sl_counter_def *t = sl_cp_defs(&n);

	put(o, "control");
	for (unsigned i = 0; i < n; i++)
		put(o, " %s %lu", t[i].name, atomic_load(&cp->ctx.stats[i]));
	put(o, "\n");
}

int cp_status_format(const struct cp *cp, char *buf, size_t len)
{
	const struct sl_status *s = cp->dp.status;
	uint64_t now = (uint64_t)time(NULL);
	struct out o = { .buf = buf, .len = len };

	put(&o, "dataplane: pid %d up %lus main-lcore %u workers %u api %u commands %u/%u bad\n",
	    s->dp_pid, (unsigned long)(now - s->started), s->main_lcore, s->n_workers,
	    s->version, s->cmds_done, s->cmds_bad);
	crypto(&o, s);
	put(&o, "controlplane: pid %d up %lus control-packets-in %lu events-in %lu\n",
	    (int)getpid(), (unsigned long)(now - cp->started), cp->dp.ctrl_pkts_in,
	    cp->dp.events_in);
	put(&o, "controlplane: sessions %u half-open %u\n", atomic_load(&cp->ctx.n_sessions),
	    atomic_load(&cp->ctx.half_open));
	control(&o, cp);
	ports(&o, s);
	lcores(&o, s);
	drops(&o, s);
	return (int)(o.used < len ? o.used : len);
}
