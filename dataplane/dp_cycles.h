/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_CYCLES_H
#define SL_DP_CYCLES_H

/*
 * Busy/idle cycle accounting of a polling loop: the data-plane worker
 * (dp_worker.c) and the I/O-floor forwarder (bench/iofwd.c) count the same
 * way, so their cycles per packet compare.
 *
 * The loop reads the TSC after each poll that came back empty, and after
 * the work a poll that found something led to (the stages, the TX flush).
 * The cycles since the previous read go to busy if that poll found work,
 * to idle if it found none. So:
 *   - an empty poll is idle however often the loop spins, and what a poll
 *     that returned packets cost (the receive call itself included) is
 *     busy, with everything processing those packets cost;
 *   - every cycle goes to exactly one of the two: busy + idle is the
 *     loop's wall-clock time since its first mark;
 *   - a cheap check that runs without a mark of its own (a timer not due,
 *     an empty TX list) goes with the next poll's verdict.
 * Time the loop's thread was preempted goes to whatever it was doing when
 * it lost the CPU: on a shared core both counters hold other tasks' time.
 * One TSC read per poll, none per packet.
 */
#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>

struct dp_clock {
	uint64_t mark;		/* TSC at the last read */
	uint64_t *busy, *idle;	/* where the cycles go */
};

static inline void dp_clock_start(struct dp_clock *c, uint64_t *busy, uint64_t *idle,
				  uint64_t now)
{
	c->busy = busy;
	c->idle = idle;
	c->mark = now;
}

/* The cycles from the last mark to NOW, to busy if WORK, else to idle. */
static inline void dp_clock_account(struct dp_clock *c, uint64_t now, bool work)
{
	*(work ? c->busy : c->idle) += now - c->mark;
	c->mark = now;
}

/* dp_clock_account() at the current TSC. */
static inline void dp_clock_mark(struct dp_clock *c, bool work)
{
	dp_clock_account(c, rte_rdtsc(), work);
}

#endif
