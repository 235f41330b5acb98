/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control channel's reliability layer (lib/ovpn_reliable.c, after
 * OpenVPN src/openvpn/reliable.c): two endpoints joined by two channels
 * that the fuzzer makes lose, duplicate and reorder packets, plus packets
 * it forges. A model of each side checks the layer after every step.
 *
 * Input: bytes 0-3 and 4-7 are the first msg-ids of each direction (so ids
 * wrap), byte 8 the retransmit timeout; then operations, one byte each
 * (bit 0: endpoint, the rest % 10) with their arguments:
 *   send (payload length, bytes)  poll  ack  deliver (packet)  duplicate
 *   (packet)  lose (packet)  drain  time (step)  forge (ack, msg-id
 *   offset, payload)  schedule now
 *
 * Invariants (abort otherwise):
 *  - no ack for a msg-id the endpoint never received (in window);
 *  - send window: the unacked count matches the model, a send succeeds
 *    exactly when the oldest unacked id is less than 6 behind, ids are
 *    handed out in order;
 *  - what poll returns is unacked, oldest first, the bytes that were
 *    sent, marked as a retransmission exactly when sent before;
 *  - receive: OUT_OF_WINDOW exactly 12 or more ahead, DUP for delivered
 *    or buffered ids, NEW otherwise;
 *  - in-order delivery: consecutive msg-ids from the first, each with the
 *    bytes first accepted for it; without forged packets those are the
 *    bytes the other side sent;
 *  - timers: next_timeout() says when poll() will return something, and
 *    that it will not before.
 */
#include <stdlib.h>
#include <string.h>

#include "ovpn_reliable.h"

#define MSG_MAX		48	/* payload bytes per message */
#define SENT_MAX	256	/* messages per side */
#define CHAN_MAX	32	/* packets in flight per direction */
#define SEEN_MAX	512	/* msg-ids received per side */

struct msg {
	uint16_t len;
	uint8_t data[MSG_MAX];
};

struct side {
	struct ovpn_rel r;
	/* sending */
	uint32_t first_send;
	unsigned n_sent;
	struct msg sent[SENT_MAX];
	bool acked[SENT_MAX];
	unsigned tx_count[SENT_MAX];
	/* receiving */
	uint32_t next_deliver;
	bool forged;			/* forged packets came in */
	unsigned n_seen;
	uint32_t seen[SEEN_MAX];	/* ids received in window, ever */
	bool buffered[OVPN_REL_RECV_WINDOW];	/* by id - next_deliver */
	struct msg buf[OVPN_REL_RECV_WINDOW];
};

struct pkt {
	uint16_t len;
	uint8_t b[OVPN_CTRL_INNER_MAX + 64];
};

static struct side sd[2];
static struct pkt chan[2][CHAN_MAX];	/* chan[i]: from side i */
static unsigned n_chan[2];
static uint64_t now;

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* ---- reading the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | byte(in);
	return v;
}

/* ---- the model ---- */

static bool sent_by(const struct side *s, uint32_t id, unsigned *i)
{
	*i = id - s->first_send;
	return *i < s->n_sent;
}

static unsigned unacked(const struct side *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_sent; i++)
		n += !s->acked[i];
	return n;
}

/* A new msg-id may be used while the oldest unacked one is < 6 behind. */
static bool window_open(const struct side *s)
{
	for (unsigned i = 0; i < s->n_sent; i++)
		if (!s->acked[i] && s->n_sent - i >= OVPN_REL_SEND_WINDOW)
			return false;
	return s->n_sent < SENT_MAX;
}

static bool was_seen(const struct side *s, uint32_t id)
{
	for (unsigned i = 0; i < s->n_seen; i++)
		if (s->seen[i] == id)
			return true;
	return false;
}

static void seen_add(struct side *s, uint32_t id)
{
	if (!was_seen(s, id) && s->n_seen < SEEN_MAX)
		s->seen[s->n_seen++] = id;
}

static void acks_check(const struct side *s, const uint32_t *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		check(s->n_seen == SEEN_MAX || was_seen(s, ids[i]));
		for (unsigned j = 0; j < i; j++)
			check(ids[i] != ids[j]);
	}
}

static void model_acks(struct side *s, const uint32_t *ids, unsigned n)
{
	unsigned i;

	for (unsigned k = 0; k < n; k++)
		if (sent_by(s, ids[k], &i))
			s->acked[i] = true;
}

static void invariants(const struct side *s)
{
	check(ovpn_rel_unacked(&s->r) == unacked(s));
	check(unacked(s) <= OVPN_REL_SEND_WINDOW);
	if (s->n_sent < SENT_MAX)
		check(ovpn_rel_can_send(&s->r) == window_open(s));
}

/* ---- operations ---- */

static void op_send(struct side *s, struct in *in)
{
	struct msg *m = &s->sent[s->n_sent < SENT_MAX ? s->n_sent : 0];
	bool open = window_open(s);
	uint32_t id;
	int rc;

	if (s->n_sent == SENT_MAX)
		return;
	m->len = (uint16_t)(byte(in) % (MSG_MAX + 1));
	for (unsigned i = 0; i < m->len; i++)
		m->data[i] = (uint8_t)byte(in);
	rc = ovpn_rel_send(&s->r, OVPN_P_CONTROL_V1, m->data, m->len, &id);
	check((rc == 0) == open);
	if (rc != 0)
		return;
	check(id == s->first_send + s->n_sent);
	s->acked[s->n_sent] = false;
	s->tx_count[s->n_sent++] = 0;
}

static void chan_push(unsigned from, const struct ovpn_ctrl_pkt *p)
{
	struct pkt *c;
	int n;

	if (n_chan[from] == CHAN_MAX)
		return;		/* lost */
	c = &chan[from][n_chan[from]];
	n = ovpn_ctrl_build(p, c->b, sizeof(c->b));
	check(n > 0);
	c->len = (uint16_t)n;
	n_chan[from]++;
}

static void header(struct ovpn_ctrl_pkt *p, unsigned from, uint8_t op)
{
	memset(p, 0, sizeof(*p));
	p->opcode = op;
	memset(p->sid, (int)(from + 1), OVPN_SID_LEN);
	memset(p->peer_sid, (int)(2 - from), OVPN_SID_LEN);
}

static void op_poll(unsigned e)
{
	struct side *s = &sd[e];
	struct ovpn_rel_out out[OVPN_REL_SEND_WINDOW];
	uint32_t prev_age = UINT32_MAX;
	unsigned n = ovpn_rel_poll(&s->r, now, out, OVPN_REL_SEND_WINDOW);

	for (unsigned k = 0; k < n; k++) {
		struct ovpn_ctrl_pkt p;
		uint32_t age = s->r.next_send_id - out[k].msg_id;
		unsigned i;

		check(sent_by(s, out[k].msg_id, &i) && !s->acked[i]);
		check(age < prev_age);		/* oldest first, each once */
		prev_age = age;
		check(out[k].len == s->sent[i].len &&
		      memcmp(out[k].payload, s->sent[i].data, out[k].len) == 0);
		check(out[k].retransmit == (s->tx_count[i] > 0));
		s->tx_count[i]++;
		header(&p, e, out[k].opcode);
		p.has_msg_id = true;
		p.msg_id = out[k].msg_id;
		p.payload = out[k].payload;
		p.payload_len = out[k].len;
		p.n_acks = (uint8_t)ovpn_rel_acks_take(&s->r, p.acks, OVPN_ACK_PIGGY_MAX);
		acks_check(s, p.acks, p.n_acks);
		chan_push(e, &p);
	}
}

static void op_ack(unsigned e)
{
	struct ovpn_ctrl_pkt p;

	header(&p, e, OVPN_P_ACK_V1);
	p.n_acks = (uint8_t)ovpn_rel_acks_take(&sd[e].r, p.acks, OVPN_ACK_MAX);
	acks_check(&sd[e], p.acks, p.n_acks);
	if (p.n_acks)
		chan_push(e, &p);
}

/* Feed P to side s, checking the verdict against the model. */
static void receive(struct side *s, const struct ovpn_ctrl_pkt *p)
{
	enum ovpn_rel_verdict v = ovpn_rel_recv(&s->r, p);
	int32_t d = (int32_t)(p->msg_id - s->next_deliver);

	model_acks(s, p->acks, p->n_acks);
	if (!p->has_msg_id) {
		check(v == OVPN_REL_ACK_ONLY);
		return;
	}
	if (d >= OVPN_REL_RECV_WINDOW) {
		check(v == OVPN_REL_OUT_OF_WINDOW);
		return;
	}
	seen_add(s, p->msg_id);
	if (d < 0 || s->buffered[d]) {
		check(v == OVPN_REL_DUP);
		return;
	}
	check(v == OVPN_REL_NEW);
	s->buffered[d] = true;
	s->buf[d].len = (uint16_t)(p->payload_len < MSG_MAX ? p->payload_len : MSG_MAX);
	if (s->buf[d].len)
		memcpy(s->buf[d].data, p->payload, s->buf[d].len);
}

static void op_deliver(unsigned from, struct in *in, bool keep)
{
	struct ovpn_ctrl_pkt p;
	unsigned k;

	if (n_chan[from] == 0)
		return;
	k = byte(in) % n_chan[from];
	if (keep) {			/* duplicate it */
		if (n_chan[from] < CHAN_MAX)
			chan[from][n_chan[from]++] = chan[from][k];
		return;
	}
	check(ovpn_ctrl_parse(chan[from][k].b, chan[from][k].len, &p) == 0);
	receive(&sd[!from], &p);
	chan[from][k] = chan[from][--n_chan[from]];
}

static void op_lose(unsigned from, struct in *in)
{
	unsigned k;

	if (n_chan[from] == 0)
		return;
	k = byte(in) % n_chan[from];
	chan[from][k] = chan[from][--n_chan[from]];
}

static void op_drain(unsigned e)
{
	struct side *s = &sd[e], *peer = &sd[!e];
	const struct ovpn_rel_msg *m;

	while ((m = ovpn_rel_next(&s->r)) != NULL) {
		unsigned i;

		check(m->msg_id == s->next_deliver && s->buffered[0]);
		check(m->len >= s->buf[0].len &&
		      memcmp(m->data, s->buf[0].data, s->buf[0].len) == 0);
		if (!s->forged) {
			check(sent_by(peer, m->msg_id, &i));
			check(m->len == peer->sent[i].len &&
			      memcmp(m->data, peer->sent[i].data, m->len) == 0);
		}
		ovpn_rel_pop(&s->r);
		s->next_deliver++;
		memmove(s->buffered, s->buffered + 1, sizeof(s->buffered) - sizeof(s->buffered[0]));
		memmove(s->buf, s->buf + 1, sizeof(s->buf) - sizeof(s->buf[0]));
		s->buffered[OVPN_REL_RECV_WINDOW - 1] = false;
	}
	check(!s->buffered[0]);
}

/* next_timeout() against poll() on copies of the state. */
static void timers(const struct side *s)
{
	static struct ovpn_rel copy;
	struct ovpn_rel_out out[OVPN_REL_SEND_WINDOW];
	uint64_t t = ovpn_rel_next_timeout(&s->r, now);

	if (t == OVPN_REL_NEVER) {
		check(unacked(s) == 0 && !ovpn_rel_ack_pending(&s->r));
		return;
	}
	if (t == 0 && ovpn_rel_ack_pending(&s->r))
		return;
	if (t > 0) {
		copy = s->r;
		check(ovpn_rel_poll(&copy, now + t - 1, out, OVPN_REL_SEND_WINDOW) == 0);
	}
	copy = s->r;
	check(ovpn_rel_poll(&copy, now + t, out, OVPN_REL_SEND_WINDOW) > 0);
}

static void op_forge(unsigned e, struct in *in)
{
	struct side *s = &sd[e];
	struct ovpn_ctrl_pkt p;
	uint8_t payload[MSG_MAX];
	unsigned flags = byte(in);

	header(&p, !e, flags & 1 ? OVPN_P_CONTROL_V1 : OVPN_P_ACK_V1);
	p.n_acks = (uint8_t)(flags >> 1) % (OVPN_ACK_MAX + 1);
	for (unsigned i = 0; i < p.n_acks; i++)
		p.acks[i] = sd[!e].first_send + (uint32_t)(int8_t)byte(in);
	if (flags & 1) {
		p.has_msg_id = true;
		p.msg_id = s->next_deliver + (uint32_t)(int8_t)byte(in);
		p.payload_len = byte(in) % (MSG_MAX + 1);
		for (unsigned i = 0; i < p.payload_len; i++)
			payload[i] = (uint8_t)byte(in);
		p.payload = payload;
		s->forged = true;
	}
	/* Forged acks may free the other side's real messages. */
	receive(s, &p);
}

static void init_side(struct side *s, uint32_t send_id, uint32_t recv_id, uint32_t timeout)
{
	memset(s, 0, sizeof(*s));
	ovpn_rel_init(&s->r, send_id, recv_id, timeout);
	s->first_send = send_id;
	s->next_deliver = recv_id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint32_t a = u32(&in), b = u32(&in), timeout = byte(&in) * 50u;

	init_side(&sd[0], a, b, timeout);
	init_side(&sd[1], b, a, timeout);
	n_chan[0] = n_chan[1] = 0;
	now = 1000;
	while (in.n > 0) {
		unsigned op = byte(&in), e = op & 1;

		switch ((op >> 1) % 10) {
		case 0: op_send(&sd[e], &in); break;
		case 1: op_poll(e); break;
		case 2: op_ack(e); break;
		case 3: op_deliver(e, &in, false); break;
		case 4: op_deliver(e, &in, true); break;
		case 5: op_lose(e, &in); break;
		case 6: op_drain(e); break;
		case 7: now += byte(&in) * 64u; break;
		case 8: op_forge(e, &in); break;
		default: ovpn_rel_schedule_now(&sd[e].r); break;
		}
		for (int i = 0; i < 2; i++) {
			invariants(&sd[i]);
			timers(&sd[i]);
		}
	}
	return 0;
}
