/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_CYCLES_H
#define SL_DP_CYCLES_H

/*
 * Busy/idle cycle accounting of a polling loop: the data-plane worker
 * (dp_worker.c) and the I/O-floor forwarder (bench/iofwd.c) count the same
 * way, so their cycles per packet compare.
 *
 * The loop reads the TSC right before each poll; when the poll found work
 * it reads it again after that work (the stages, the TX flush) and the
 * cycles in between are busy: the poll call that returned packets and
 * everything processing them cost. All other cycles are idle: empty polls
 * however often the loop spins, and the loop's own overhead between polls.
 * A busy interval longer than DP_CLOCK_LOST_US is lost instead: no poll's
 * work takes that long (a burst of at most 64 frames, each a few
 * microseconds even through the kernel's veth path), so the thread lost
 * its CPU inside it (preempted, or the hypervisor ran something else).
 * Every cycle goes to exactly one of the three: busy + idle + lost is the
 * loop's wall-clock time since its first mark.
 *
 * Why the TSC is read before the poll and not only after it: a loop that
 * was preempted between two polls usually finds packets waiting when it
 * runs again; counting from the previous read would make every such gap
 * busy. Why lost intervals matter: a loop that only spins in user space
 * enters the kernel in its busy intervals alone (the af_packet TX kick,
 * page faults), and those kernel exits are where a pending reschedule
 * takes effect, so on a shared core the other tasks' milliseconds land in
 * the busy intervals far more often than chance would put them there
 * (bench/iofwd.c on this project's 2-vCPU test VM: over 90 % of the busy
 * cycles at 20 kpps). A shorter preemption inside a busy interval still
 * counts as busy: give the loop a core of its own. One TSC read per poll
 * plus one per poll that found work; none per packet.
 */
#include <stdint.h>

#include <rte_cycles.h>

#define DP_CLOCK_LOST_US	1000

/*
 * An idle spell: this many loop passes in a row found no work (a few
 * microseconds of empty polls over the ports and rings). With
 * dataplane.idle_sleep_us set the worker sleeps after each pass from then
 * on, until a poll finds work (dp_worker.c). The sleep is idle like any
 * other gap between polls: it lies between a mark and the next poll.
 */
#define DP_IDLE_SPELL		64

struct dp_clock {
	uint64_t mark;			/* TSC up to which the cycles are counted */
	uint64_t lost_limit;		/* DP_CLOCK_LOST_US in TSC cycles */
	uint64_t *busy, *idle, *lost;	/* where the cycles go */
	uint32_t empty;			/* passes since one found work, up to DP_IDLE_SPELL */
	uint64_t naps;			/* sleeps of an idle spell so far */
};

static inline void dp_clock_start(struct dp_clock *c, uint64_t *busy, uint64_t *idle,
				  uint64_t *lost, uint64_t now)
{
	c->busy = busy;
	c->idle = idle;
	c->lost = lost;
	c->lost_limit = rte_get_tsc_hz() / 1000000 * DP_CLOCK_LOST_US;
	c->mark = now;
	c->empty = 0;
	c->naps = 0;
}

/* Work ran from START (read before its poll) to END: busy (or lost, if
 * longer than the limit); the cycles from the last mark to START were
 * idle. */
static inline void dp_clock_work(struct dp_clock *c, uint64_t start, uint64_t end)
{
	uint64_t d = end - start;

	*c->idle += start - c->mark;
	*(d > c->lost_limit ? c->lost : c->busy) += d;
	c->mark = end;
	c->empty = 0;
}

/* Nothing since the last mark found work: idle up to NOW. */
static inline void dp_clock_idle(struct dp_clock *c, uint64_t now)
{
	*c->idle += now - c->mark;
	c->mark = now;
}

/* dp_clock_work() from START to the current TSC. */
static inline void dp_clock_work_since(struct dp_clock *c, uint64_t start)
{
	dp_clock_work(c, start, rte_rdtsc());
}

#endif
