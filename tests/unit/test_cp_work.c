/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS workers' scheduling (cp_work.c), with a stand-in for
 * cp_session_run that records which session ran: a session whose inbox
 * refills while it runs (a flood on its address, port and session id,
 * which is all a posting needs) must not keep its worker from the other
 * sessions. After a run the event loop is woken through the workers'
 * eventfd, so the run's outputs need not wait for its next tick. The
 * workers' CPUs: the process's less the data plane's worker lcores.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "cp_work.h"
#include "sl_test.h"

#define FLOOD_RUNS	2000	/* runs after which the flood stops */

static struct cp_ctx ctx;
static struct cp_session *flooded, *quiet;
static atomic_uint runs_flooded, runs_quiet, flooded_runs_before_quiet;
static atomic_bool both_queued;

static uint64_t now_ms(void)
{
	return 0;
}

static void post_one(struct cp_session *s)
{
	static const uint8_t junk[16] = { 0x20 }, mac[6] = { 2, 0, 0, 0, 0, 7 };
	struct sl_endpoint from = sl_endpoint_udp4(0xc0000202u, 40000);

	cp_session_post(&ctx, s, cp_pkt_new(junk, sizeof(junk), &from, mac));
}

/* Take the inbox as cp_session_run does; a flooded inbox refills meanwhile. */
static void fake_run(struct cp_ctx *c, struct cp_session *s, uint64_t now)
{
	struct cp_pkt *in, *n;

	(void)c;
	(void)now;
	/* The worker may start on the flooded one before the quiet one is
	 * queued: its first run ends only once both are. */
	while (!atomic_load(&both_queued))
		usleep(100);
	pthread_mutex_lock(&s->lock);
	in = s->in_head;
	s->in_head = s->in_tail = NULL;
	s->in_n = 0;
	s->sig = 0;
	pthread_mutex_unlock(&s->lock);
	for (; in != NULL; in = n) {
		n = in->next;
		free(in);
	}
	if (s == quiet) {
		if (atomic_fetch_add(&runs_quiet, 1) == 0)
			atomic_store(&flooded_runs_before_quiet, atomic_load(&runs_flooded));
	} else if (atomic_fetch_add(&runs_flooded, 1) < FLOOD_RUNS) {
		post_one(s);
	}
}

/*
 * One worker, two sessions. The flooded one is queued first and gets a
 * packet during each of its runs; the quiet one has one packet. The quiet
 * one runs after at most a few of the flooded one's runs, not after the
 * flood ends.
 */
static int test_fair(void)
{
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = now_ms;
	flooded = cp_session_alloc();
	quiet = cp_session_alloc();
	CHECK(flooded != NULL && quiet != NULL);
	/* Both posted before the worker starts: flooded is ahead in the queue. */
	post_one(flooded);
	post_one(quiet);
	ctx.work = cp_work_start_run(&ctx, 1, fake_run);
	CHECK(ctx.work != NULL);
	cp_work_schedule(&ctx, flooded);
	cp_work_schedule(&ctx, quiet);
	atomic_store(&both_queued, true);
	for (int i = 0; i < 5000 && (atomic_load(&runs_quiet) == 0 ||
				     atomic_load(&runs_flooded) <= FLOOD_RUNS); i++)
		usleep(1000);
	cp_work_stop(ctx.work);
	ctx.work = NULL;
	printf("flooded session's runs before the quiet one's: %u (of %u)\n",
	       atomic_load(&flooded_runs_before_quiet), atomic_load(&runs_flooded));
	CHECK_EQ(atomic_load(&runs_quiet), 1);
	CHECK(atomic_load(&flooded_runs_before_quiet) <= 2);
	cp_session_unref(flooded);
	cp_session_unref(quiet);
	return 0;
}

/*
 * Until its handshake is done a session's inbox holds CP_INBOX_HANDSHAKE
 * packets (far more than a client has in flight), after it CP_INBOX_MAX:
 * what an unauthenticated sender can queue for one run is bounded low.
 */
static int test_inbox_cap(void)
{
	struct cp_session *s = cp_session_alloc();
	uint64_t full;

	memset(&ctx, 0, sizeof(ctx));
	CHECK(s != NULL);
	full = atomic_load(&ctx.stats[CP_ST_DROP_INBOX]);
	for (unsigned i = 0; i < CP_INBOX_MAX; i++)
		post_one(s);
	CHECK_EQ(s->in_n, CP_INBOX_HANDSHAKE);
	CHECK_EQ(atomic_load(&ctx.stats[CP_ST_DROP_INBOX]) - full,
		 CP_INBOX_MAX - CP_INBOX_HANDSHAKE);
	s->info.established = true;
	for (unsigned i = 0; i < CP_INBOX_MAX; i++)
		post_one(s);
	CHECK_EQ(s->in_n, CP_INBOX_MAX);
	atomic_store(&both_queued, true);
	fake_run(&ctx, s, 0);			/* frees the inbox */
	cp_session_unref(s);
	return 0;
}

/* A stand-in run that only empties the inbox. */
static void empty_run(struct cp_ctx *c, struct cp_session *s, uint64_t now)
{
	(void)now;
	atomic_store(&both_queued, true);
	fake_run(c, s, 0);
}

static bool readable(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, wait_ms) == 1 && (p.revents & POLLIN);
}

/* Nothing ran: the eventfd is quiet. A run: readable until cleared. */
static int test_wake_fd(void)
{
	struct cp_session *s = cp_session_alloc();
	int fd;

	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = now_ms;
	CHECK(s != NULL);
	CHECK_EQ(cp_work_fd(NULL), -1);
	ctx.work = cp_work_start_run(&ctx, 1, empty_run);
	CHECK(ctx.work != NULL);
	fd = cp_work_fd(ctx.work);
	CHECK(fd >= 0);
	CHECK(!readable(fd, 0));
	post_one(s);
	cp_work_schedule(&ctx, s);
	CHECK(readable(fd, 5000));
	cp_work_fd_clear(ctx.work);
	CHECK(!readable(fd, 0));
	cp_work_stop(ctx.work);
	ctx.work = NULL;
	cp_session_unref(s);
	return 0;
}

/* The process's CPUs less the data plane's workers (lcore_ids[1..]), the
 * main lcore kept; all of them when nothing would be left; control.tls_cpus
 * when set, worker lcores or not. */
static int test_cpus(void)
{
	struct sl_config cfg = { .dp = { .lcore_ids = { 0, 1, 5 }, .n_lcores = 3 } };
	cpu_set_t start, out;

	CPU_ZERO(&start);
	for (int c = 0; c < 4; c++)
		CPU_SET(c, &start);
	cp_work_cpus(&start, &cfg, &out);
	CHECK_EQ(CPU_COUNT(&out), 3);
	CHECK(CPU_ISSET(0, &out) && CPU_ISSET(2, &out) && CPU_ISSET(3, &out));
	CPU_ZERO(&start);
	CPU_SET(1, &start);			/* started on a worker's CPU only */
	cp_work_cpus(&start, &cfg, &out);
	CHECK(CPU_EQUAL(&out, &start));
	cfg.dp.n_lcores = 1;			/* no data-plane workers */
	CPU_SET(0, &start);
	cp_work_cpus(&start, &cfg, &out);
	CHECK(CPU_EQUAL(&out, &start));
	cfg.dp.n_lcores = 3;			/* control.tls_cpus = "1,5" */
	cfg.ctl.tls_cpu_ids[0] = 1;
	cfg.ctl.tls_cpu_ids[1] = 5;
	cfg.ctl.n_tls_cpus = 2;
	cp_work_cpus(&start, &cfg, &out);
	CHECK_EQ(CPU_COUNT(&out), 2);
	CHECK(CPU_ISSET(1, &out) && CPU_ISSET(5, &out));
	return 0;
}

static cpu_set_t ran_on;

static void affinity_run(struct cp_ctx *c, struct cp_session *s, uint64_t now)
{
	pthread_getaffinity_np(pthread_self(), sizeof(ran_on), &ran_on);
	empty_run(c, s, now);
}

/* Pinned workers run there: one CPU of ours, seen from inside a run. */
static int test_pin(void)
{
	struct cp_session *s = cp_session_alloc();
	cpu_set_t mine, one;
	int c = 0;

	CHECK(s != NULL);
	CHECK_EQ(sched_getaffinity(0, sizeof(mine), &mine), 0);
	while (!CPU_ISSET(c, &mine))
		c++;
	CPU_ZERO(&one);
	CPU_SET(c, &one);
	memset(&ctx, 0, sizeof(ctx));
	ctx.now_ms = now_ms;
	ctx.work = cp_work_start_run(&ctx, 2, affinity_run);
	CHECK(ctx.work != NULL);
	CHECK_EQ(cp_work_pin(ctx.work, &one), 0);
	post_one(s);
	cp_work_schedule(&ctx, s);
	CHECK(readable(cp_work_fd(ctx.work), 5000));
	cp_work_stop(ctx.work);			/* joins: ran_on is written */
	ctx.work = NULL;
	CHECK(CPU_EQUAL(&ran_on, &one));
	cp_session_unref(s);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "a flooded session yields its worker", test_fair },
	{ "an unauthenticated session's inbox is small", test_inbox_cap },
	{ "a run wakes the event loop through the eventfd", test_wake_fd },
	{ "workers' CPUs: the process's less the data plane's workers", test_cpus },
	{ "pinned workers run on the CPUs given", test_pin },
	{ NULL, NULL },
};

int main(void)
{
	return sl_test_run("cp_work", cases);
}
