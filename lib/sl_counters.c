/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter tables, made from the X-macro lists of sl_api.h and
 * sl_counters.h: one entry per list item, in list order, so a counter added
 * to a list shows up in `sluicectl status`, in DPDK telemetry and in any
 * exporter without touching them.
 */
#include "sl_counters.h"

#define DEF_ENUM_(e, nm, hlp) { .name = nm, .kind = SL_COUNTER, .help = hlp },
static const struct sl_counter_def drop_defs[SL_DROP_MAX] = {
	SL_DROP_LIST(DEF_ENUM_)
};
#undef DEF_ENUM_

#define DEF_CP_(e, nm, k, hlp) { .name = nm, .kind = SL_##k, .help = hlp },
static const struct sl_counter_def cp_defs[SL_CP_COUNTERS_N] = {
	SL_CP_COUNTERS(DEF_CP_)
};
#undef DEF_CP_

/* A field of struct T: its name as shown, its place in the struct. */
#define DEF_FIELD_(T, f, k, hlp) \
	{ .name = #f, .kind = SL_##k, .help = hlp, .offset = offsetof(T, f) },

#define DEF_LCORE_(f, k, hlp) DEF_FIELD_(struct sl_lcore_stats, f, k, hlp)
static const struct sl_counter_def lcore_defs[] = {
	SL_LCORE_COUNTERS(DEF_LCORE_)
};
#undef DEF_LCORE_

#define DEF_PEER_(f, k, hlp) DEF_FIELD_(struct sl_peer_stats, f, k, hlp)
static const struct sl_counter_def peer_defs[] = {
	SL_PEER_COUNTERS(DEF_PEER_)
};
#undef DEF_PEER_

#define DEF_PORT_(f, k, hlp) DEF_FIELD_(struct sl_port_status, f, k, hlp)
static const struct sl_counter_def port_defs[] = {
	SL_PORT_COUNTERS(DEF_PORT_)
};
#undef DEF_PORT_

#define N_(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

const struct sl_counter_def *sl_drop_defs(unsigned *n)
{
	*n = N_(drop_defs);
	return drop_defs;
}

const struct sl_counter_def *sl_lcore_defs(unsigned *n)
{
	*n = N_(lcore_defs);
	return lcore_defs;
}

const struct sl_counter_def *sl_peer_defs(unsigned *n)
{
	*n = N_(peer_defs);
	return peer_defs;
}

const struct sl_counter_def *sl_port_defs(unsigned *n)
{
	*n = N_(port_defs);
	return port_defs;
}

const struct sl_counter_def *sl_cp_defs(unsigned *n)
{
	*n = N_(cp_defs);
	return cp_defs;
}

const char *sl_drop_name(enum sl_drop d)
{
	return d < SL_DROP_MAX ? drop_defs[d].name : "?";
}

const char *sl_drop_desc(enum sl_drop d)
{
	return d < SL_DROP_MAX ? drop_defs[d].help : "?";
}

void sl_lcore_sum(const struct sl_status *s, struct sl_lcore_stats *sum)
{
	unsigned n = s->n_workers < SL_MAX_LCORES ? s->n_workers : SL_MAX_LCORES;

	*sum = (struct sl_lcore_stats){ 0 };
	for (unsigned i = 0; i < n; i++) {
		const struct sl_lcore_stats *l = &s->lcore[i];

		for (unsigned c = 0; c < N_(lcore_defs); c++) {
			uint64_t *to = (uint64_t *)((uint8_t *)sum + lcore_defs[c].offset);

			*to += sl_counter_read(l, &lcore_defs[c]);
		}
		for (unsigned d = 0; d < SL_DROP_MAX; d++)
			sum->drop[d] += l->drop[d];
	}
}
