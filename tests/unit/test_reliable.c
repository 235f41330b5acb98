/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reliability layer with injected time: backoff timing, acks (pending,
 * piggy-back, MRU repeats), duplicates, reordering, window limits, lost
 * acks, fast retransmit, msg-id wrap, and a lossy two-peer simulation.
 */
#include <stdlib.h>
#include <string.h>

#include "ovpn_reliable.h"
#include "sl_test.h"

static struct ovpn_rel a, b;

static struct ovpn_ctrl_pkt pkt(uint8_t op, uint32_t id, const uint32_t *acks,
				unsigned n, const void *data, size_t len)
{
	struct ovpn_ctrl_pkt p = { .opcode = op, .has_msg_id = op != OVPN_P_ACK_V1,
				   .msg_id = id, .n_acks = (uint8_t)n,
				   .payload = data, .payload_len = len };

	for (unsigned i = 0; i < n; i++)
		p.acks[i] = acks[i];
	return p;
}

/* Client reset at t=0 with no answer: sent at 0, 2, 6, 14, 30 s (OpenVPN
 * src/openvpn/reliable.c reliable_send doubles the timeout each time). */
static int test_backoff(void)
{
	static const uint64_t when[] = { 0, 2000, 6000, 14000, 30000, 62000 };
	struct ovpn_rel_out o[4];
	uint32_t id;

	ovpn_rel_init(&a, 0, 0, 0);
	CHECK_EQ(ovpn_rel_next_timeout(&a, 0), OVPN_REL_NEVER);
	CHECK_EQ(ovpn_rel_send(&a, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, NULL, 0, &id), 0);
	CHECK_EQ(id, 0);
	for (unsigned i = 0; i < 6; i++) {
		if (i > 0) {
			CHECK_EQ(ovpn_rel_next_timeout(&a, when[i] - 1), 1);
			CHECK_EQ(ovpn_rel_poll(&a, when[i] - 1, o, 4), 0);
		}
		CHECK_EQ(ovpn_rel_next_timeout(&a, when[i]), 0);
		CHECK_EQ(ovpn_rel_poll(&a, when[i], o, 4), 1);
		CHECK_EQ(o[0].msg_id, 0);
		CHECK_EQ(o[0].opcode, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2);
		CHECK_EQ(o[0].retransmit, i > 0);
	}
	/* ack frees it: nothing left to do */
	ovpn_rel_acks_process(&a, &id, 1);
	CHECK_EQ(ovpn_rel_unacked(&a), 0);
	CHECK_EQ(ovpn_rel_next_timeout(&a, 70000), OVPN_REL_NEVER);
	/* burst: schedule_now resets the timeout to the initial 2 s */
	ovpn_rel_send(&a, OVPN_P_CONTROL_V1, (const uint8_t *)"x", 1, &id);
	CHECK_EQ(ovpn_rel_poll(&a, 100000, o, 4), 1);
	CHECK_EQ(ovpn_rel_poll(&a, 102000, o, 4), 1);	/* timeout now 4 s */
	ovpn_rel_schedule_now(&a);
	CHECK_EQ(ovpn_rel_poll(&a, 102001, o, 4), 1);
	CHECK_EQ(ovpn_rel_next_timeout(&a, 102001), 2000);
	return 0;
}

static int test_window_full(void)
{
	struct ovpn_rel_out o[8];
	uint32_t id, ack;

	ovpn_rel_init(&a, 0, 0, 0);
	for (unsigned i = 0; i < OVPN_REL_SEND_WINDOW; i++)
		CHECK_EQ(ovpn_rel_send(&a, OVPN_P_CONTROL_V1, NULL, 0, &id), 0);
	CHECK(!ovpn_rel_can_send(&a));
	CHECK_EQ(ovpn_rel_send(&a, OVPN_P_CONTROL_V1, NULL, 0, &id),
		 -OVPN_REL_E_WINDOW_FULL);
	CHECK_EQ(ovpn_rel_poll(&a, 0, o, 8), 6);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(o[i].msg_id, i);	/* lowest first */
	/* acks for 1..5 free slots, but msg 0 still pins the window */
	for (ack = 1; ack < 6; ack++)
		ovpn_rel_acks_process(&a, &ack, 1);
	CHECK_EQ(ovpn_rel_unacked(&a), 1);
	CHECK(!ovpn_rel_can_send(&a));
	ack = 0;
	ovpn_rel_acks_process(&a, &ack, 1);
	CHECK(ovpn_rel_can_send(&a));
	CHECK_EQ(ovpn_rel_send(&a, OVPN_P_CONTROL_V1, NULL, 0, &id), 0);
	CHECK_EQ(id, 6);
	/* argument errors */
	static uint8_t big[OVPN_REL_PAYLOAD_MAX + 1];
	CHECK_EQ(ovpn_rel_send(&a, OVPN_P_CONTROL_V1, big, sizeof(big), &id),
		 -OVPN_REL_E_TOO_LONG);
	CHECK_EQ(ovpn_rel_send(&a, OVPN_P_ACK_V1, NULL, 0, &id), -OVPN_REL_E_OPCODE);
	CHECK_STR(ovpn_strerror(-OVPN_REL_E_WINDOW_FULL), "reliable send window full");
	return 0;
}

static int test_reorder_and_dups(void)
{
	struct ovpn_ctrl_pkt p;
	const struct ovpn_rel_msg *m;
	uint32_t ids[8];

	ovpn_rel_init(&b, 0, 0, 0);
	/* 2, 1 arrive before 0 */
	p = pkt(OVPN_P_CONTROL_V1, 2, NULL, 0, "c", 1);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
	CHECK(ovpn_rel_next(&b) == NULL);
	p = pkt(OVPN_P_CONTROL_V1, 1, NULL, 0, "b", 1);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_DUP);	/* buffered dup */
	p = pkt(OVPN_P_CONTROL_HARD_RESET_SERVER_V2, 0, NULL, 0, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
	for (unsigned i = 0; i < 3; i++) {
		CHECK((m = ovpn_rel_next(&b)) != NULL);
		CHECK_EQ(m->msg_id, i);
		CHECK_EQ(m->len, i ? 1 : 0);
		if (i)
			CHECK_EQ(m->data[0], 'a' + i);
		ovpn_rel_pop(&b);
	}
	CHECK(ovpn_rel_next(&b) == NULL);
	/* acks: one per id (dups not repeated), newest first */
	CHECK(ovpn_rel_ack_pending(&b));
	CHECK_EQ(ovpn_rel_acks_take(&b, ids, 8), 3);
	CHECK_EQ(ids[0], 0);
	CHECK_EQ(ids[1], 1);
	CHECK_EQ(ids[2], 2);
	CHECK(!ovpn_rel_ack_pending(&b));
	/* an old, delivered id is a dup and is acked again */
	p = pkt(OVPN_P_CONTROL_V1, 1, NULL, 0, "b", 1);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_DUP);
	CHECK(ovpn_rel_ack_pending(&b));
	/* window is [3, 15): 14 buffered, 15 dropped without ack */
	CHECK_EQ(ovpn_rel_acks_take(&b, ids, 8), 3);
	p = pkt(OVPN_P_CONTROL_V1, 3 + OVPN_REL_RECV_WINDOW, NULL, 0, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_OUT_OF_WINDOW);
	CHECK(!ovpn_rel_ack_pending(&b));
	p = pkt(OVPN_P_CONTROL_V1, 2 + OVPN_REL_RECV_WINDOW, NULL, 0, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
	CHECK(ovpn_rel_ack_pending(&b));
	return 0;
}

static int test_ack_lists(void)
{
	struct ovpn_ctrl_pkt p;
	uint32_t ids[8];

	ovpn_rel_init(&b, 0, 0, 0);
	for (uint32_t i = 0; i < 10; i++) {
		p = pkt(OVPN_P_CONTROL_V1, i, NULL, 0, NULL, 0);
		CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
		ovpn_rel_pop(&b);
	}
	/* at most 8 pending: 8 and 9 were dropped (the peer retransmits) */
	CHECK_EQ(ovpn_rel_acks_take(&b, ids, OVPN_ACK_PIGGY_MAX), 4);
	CHECK_EQ(ids[0], 7);
	CHECK_EQ(ids[3], 4);
	CHECK(ovpn_rel_ack_pending(&b));
	/* next P_ACK_V1: remaining 4 pending, then MRU repeats */
	CHECK_EQ(ovpn_rel_acks_take(&b, ids, 8), 8);
	CHECK_EQ(ids[0], 3);
	CHECK_EQ(ids[3], 0);
	CHECK_EQ(ids[4], 7);
	CHECK_EQ(ids[7], 4);
	/* nothing pending: MRU only, newest first, still 8 */
	CHECK_EQ(ovpn_rel_acks_take(&b, ids, 8), 8);
	CHECK_EQ(ids[0], 3);
	CHECK_EQ(ids[7], 4);
	CHECK(!ovpn_rel_ack_pending(&b));
	CHECK_EQ(ovpn_rel_next_timeout(&b, 0), OVPN_REL_NEVER);
	/* retransmitted 8 arrives: DUP? no, it was never buffered: NEW */
	p = pkt(OVPN_P_CONTROL_V1, 10, NULL, 0, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
	CHECK_EQ(ovpn_rel_next_timeout(&b, 0), 0);	/* ack is due now */
	CHECK_EQ(ovpn_rel_acks_take(&b, ids, 2), 2);
	CHECK_EQ(ids[0], 10);
	CHECK_EQ(ids[1], 3);
	return 0;
}

/* Lost acks: the sender retransmits, the receiver re-acks the duplicate. */
static int test_lost_acks(void)
{
	struct ovpn_rel_out o[8];
	struct ovpn_ctrl_pkt p;
	uint32_t ids[8], id;
	unsigned n;

	ovpn_rel_init(&a, 0, 0, 0);
	ovpn_rel_init(&b, 0, 0, 0);
	ovpn_rel_send(&a, OVPN_P_CONTROL_V1, (const uint8_t *)"hi", 2, &id);
	CHECK_EQ(ovpn_rel_poll(&a, 0, o, 8), 1);
	p = pkt(o[0].opcode, o[0].msg_id, NULL, 0, o[0].payload, o[0].len);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
	n = ovpn_rel_acks_take(&b, ids, 8);	/* this P_ACK_V1 is lost */
	CHECK_EQ(n, 1);
	CHECK_EQ(ovpn_rel_poll(&a, 1999, o, 8), 0);
	CHECK_EQ(ovpn_rel_poll(&a, 2000, o, 8), 1);
	CHECK(o[0].retransmit);
	p = pkt(o[0].opcode, o[0].msg_id, NULL, 0, o[0].payload, o[0].len);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_DUP);
	n = ovpn_rel_acks_take(&b, ids, 8);
	CHECK_EQ(n, 1);
	p = pkt(OVPN_P_ACK_V1, 0, ids, n, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&a, &p), OVPN_REL_ACK_ONLY);
	CHECK_EQ(ovpn_rel_unacked(&a), 0);
	CHECK_EQ(ovpn_rel_next_timeout(&a, 2000), OVPN_REL_NEVER);
	return 0;
}

static int test_fast_retransmit(void)
{
	struct ovpn_rel_out o[8];
	uint32_t id, ack;

	ovpn_rel_init(&a, 0, 0, 0);
	for (unsigned i = 0; i < 4; i++)
		ovpn_rel_send(&a, OVPN_P_CONTROL_V1, NULL, 0, &id);
	CHECK_EQ(ovpn_rel_poll(&a, 0, o, 8), 4);
	ack = 1;
	ovpn_rel_acks_process(&a, &ack, 1);
	ack = 2;
	ovpn_rel_acks_process(&a, &ack, 1);
	CHECK_EQ(ovpn_rel_poll(&a, 10, o, 8), 0);
	ack = 3;
	ovpn_rel_acks_process(&a, &ack, 1);	/* third later ack */
	CHECK_EQ(ovpn_rel_next_timeout(&a, 10), 0);
	CHECK_EQ(ovpn_rel_poll(&a, 10, o, 8), 1);
	CHECK_EQ(o[0].msg_id, 0);
	CHECK_EQ(ovpn_rel_poll(&a, 11, o, 8), 0);	/* counter reset */
	return 0;
}

/* The server side of a cookie: both ids start at 1. */
static int test_cookie_start(void)
{
	struct ovpn_ctrl_pkt p;
	uint32_t id;

	ovpn_rel_init(&b, 1, 1, 0);
	p = pkt(OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, 0, NULL, 0, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_DUP);	/* retransmitted reset */
	p = pkt(OVPN_P_CONTROL_V1, 1, NULL, 0, "\x16", 1);
	CHECK_EQ(ovpn_rel_recv(&b, &p), OVPN_REL_NEW);
	CHECK_EQ(ovpn_rel_next(&b)->msg_id, 1);
	CHECK_EQ(ovpn_rel_send(&b, OVPN_P_CONTROL_V1, NULL, 0, &id), 0);
	CHECK_EQ(id, 1);
	return 0;
}

static int test_msg_id_wrap(void)
{
	struct ovpn_rel_out o[8];
	struct ovpn_ctrl_pkt p;
	uint32_t id, first = 0xfffffffdu;

	ovpn_rel_init(&a, first, first, 0);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(ovpn_rel_send(&a, OVPN_P_CONTROL_V1, NULL, 0, &id), 0);
	CHECK_EQ(id, 2);
	CHECK(!ovpn_rel_can_send(&a));
	CHECK_EQ(ovpn_rel_poll(&a, 0, o, 8), 6);
	CHECK_EQ(o[0].msg_id, 0xfffffffdu);	/* oldest first across the wrap */
	CHECK_EQ(o[5].msg_id, 2);
	ovpn_rel_acks_process(&a, &first, 1);
	CHECK(ovpn_rel_can_send(&a));
	/* receive 1, 0xffffffff, 0xfffffffd, 0xfffffffe, 0 in that order */
	static const uint32_t order[] = { 1, 0xffffffffu, 0xfffffffdu, 0xfffffffeu, 0 };
	for (unsigned i = 0; i < 5; i++) {
		p = pkt(OVPN_P_CONTROL_V1, order[i], NULL, 0, NULL, 0);
		CHECK_EQ(ovpn_rel_recv(&a, &p), OVPN_REL_NEW);
	}
	for (uint32_t want = first, i = 0; i < 5; i++, want++) {
		CHECK(ovpn_rel_next(&a) != NULL);
		CHECK_EQ(ovpn_rel_next(&a)->msg_id, want);
		ovpn_rel_pop(&a);
	}
	p = pkt(OVPN_P_CONTROL_V1, 0xfffffffeu, NULL, 0, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&a, &p), OVPN_REL_DUP);
	p = pkt(OVPN_P_CONTROL_V1, 2 + OVPN_REL_RECV_WINDOW, NULL, 0, NULL, 0);
	CHECK_EQ(ovpn_rel_recv(&a, &p), OVPN_REL_OUT_OF_WINDOW);
	return 0;
}

/*
 * Two peers, 40 messages each way, 30 % loss, packets held back and
 * delivered later (reordering), 100 ms ticks. Everything must arrive once,
 * in order, and both send windows must drain.
 */
#define SIM_MSGS 40
#define SIM_Q 64

struct sim_q {
	struct ovpn_ctrl_pkt p[SIM_Q];
	uint8_t data[SIM_Q][8];
	unsigned n;
};

static unsigned sim_rand(void)
{
	static unsigned long s = 12345;

	s = s * 6364136223846793005ul + 1442695040888963407ul;
	return (unsigned)(s >> 33);
}

static void sim_tx(struct ovpn_rel *r, uint64_t now, struct sim_q *q)
{
	struct ovpn_rel_out o[8];
	unsigned n = ovpn_rel_poll(r, now, o, 8);

	for (unsigned i = 0; i <= n; i++) {
		struct ovpn_ctrl_pkt p;
		uint32_t acks[8];
		unsigned na;

		if (i == n && !ovpn_rel_ack_pending(r))
			break;
		na = ovpn_rel_acks_take(r, acks, i < n ? OVPN_ACK_PIGGY_MAX : 8);
		p = i < n ? pkt(o[i].opcode, o[i].msg_id, acks, na, NULL, o[i].len)
			  : pkt(OVPN_P_ACK_V1, 0, acks, na, NULL, 0);
		if (sim_rand() % 10 < 3 || q->n == SIM_Q)
			continue;			/* lost */
		if (i < n)
			memcpy(q->data[q->n], o[i].payload, o[i].len);
		q->p[q->n++] = p;
	}
}

static unsigned sim_rx(struct ovpn_rel *r, struct sim_q *q, uint32_t *expect)
{
	unsigned bad = 0, keep = 0;

	for (unsigned i = 0; i < q->n; i++) {
		if (sim_rand() % 4 == 0) {		/* hold back: reorder */
			q->p[keep] = q->p[i];
			memcpy(q->data[keep++], q->data[i], 8);
			continue;
		}
		q->p[i].payload = q->data[i];
		ovpn_rel_recv(r, &q->p[i]);
	}
	q->n = keep;
	for (const struct ovpn_rel_msg *m; (m = ovpn_rel_next(r)) != NULL;
	     ovpn_rel_pop(r)) {
		uint32_t v;

		memcpy(&v, m->data, 4);
		bad += v != *expect;
		(*expect)++;
	}
	return bad;
}

static int test_lossy_simulation(void)
{
	static struct sim_q qa, qb;
	uint32_t sent_a = 0, sent_b = 0, got_a = 0, got_b = 0;
	unsigned bad = 0;
	uint64_t now = 0;

	ovpn_rel_init(&a, 0, 0, 0);
	ovpn_rel_init(&b, 0, 0, 0);
	for (; now < 3600000 && (got_a < SIM_MSGS || got_b < SIM_MSGS ||
				 ovpn_rel_unacked(&a) || ovpn_rel_unacked(&b));
	     now += 100) {
		while (sent_a < SIM_MSGS && ovpn_rel_can_send(&a)) {
			uint8_t d[8] = { 0 };
			memcpy(d, &sent_a, 4);
			ovpn_rel_send(&a, OVPN_P_CONTROL_V1, d, 8, NULL);
			sent_a++;
		}
		while (sent_b < SIM_MSGS && ovpn_rel_can_send(&b)) {
			uint8_t d[8] = { 0 };
			memcpy(d, &sent_b, 4);
			ovpn_rel_send(&b, OVPN_P_CONTROL_V1, d, 8, NULL);
			sent_b++;
		}
		sim_tx(&a, now, &qa);
		sim_tx(&b, now, &qb);
		bad += sim_rx(&b, &qa, &got_b);
		bad += sim_rx(&a, &qb, &got_a);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(got_a, SIM_MSGS);
	CHECK_EQ(got_b, SIM_MSGS);
	CHECK_EQ(ovpn_rel_unacked(&a), 0);
	CHECK_EQ(ovpn_rel_unacked(&b), 0);
	CHECK(now < 3600000);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "retransmit backoff 0/2/6/14/30 s, burst", test_backoff },
	{ "send window 6, pinned by oldest", test_window_full },
	{ "reordering, duplicates, receive window 12", test_reorder_and_dups },
	{ "ack lists: 8 pending, piggy-back 4, MRU", test_ack_lists },
	{ "lost ack: retransmit, re-ack", test_lost_acks },
	{ "fast retransmit after 3 later acks", test_fast_retransmit },
	{ "cookie start at msg-id 1", test_cookie_start },
	{ "msg-id wrap", test_msg_id_wrap },
	{ "two peers, 30% loss and reordering", test_lossy_simulation },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("reliable", cases);
}
