/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS workers' scheduling (cp_work.c), with a stand-in for
 * cp_session_run that records which session ran: a session whose inbox
 * refills while it runs (a flood on its address, port and session id,
 * which is all a posting needs) must not keep its worker from the other
 * sessions.
 */
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

static const struct sl_test_case cases[] = {
	{ "a flooded session yields its worker", test_fair },
	{ "an unauthenticated session's inbox is small", test_inbox_cap },
	{ NULL, NULL },
};

int main(void)
{
	return sl_test_run("cp_work", cases);
}
