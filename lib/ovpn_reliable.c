/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-channel reliability layer (see ovpn_reliable.h). All msg-id
 * comparisons are signed 32-bit differences so that ids may wrap.
 */
#include <string.h>

#include "ovpn_reliable.h"

/* a - b as a signed distance modulo 2^32. */
static int32_t id_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void ovpn_rel_init(struct ovpn_rel *r, uint32_t first_send_id,
		   uint32_t first_recv_id, uint32_t timeout_ms)
{
	memset(r, 0, sizeof(*r));
	r->next_send_id = first_send_id;
	r->next_recv_id = first_recv_id;
	r->timeout_ms = timeout_ms ? timeout_ms : OVPN_REL_TIMEOUT_MS;
}

/* ---- sending ------------------------------------------------------------ */

bool ovpn_rel_can_send(const struct ovpn_rel *r)
{
	/* Window = distance to the oldest unacked id, not the slot count. */
	for (unsigned i = 0; i < OVPN_REL_SEND_WINDOW; i++)
		if (r->snd[i].active &&
		    (uint32_t)(r->next_send_id - r->snd[i].msg.msg_id) >=
		    OVPN_REL_SEND_WINDOW)
			return false;
	return true;
}

static struct ovpn_rel_send_slot *free_slot(struct ovpn_rel *r)
{
	for (unsigned i = 0; i < OVPN_REL_SEND_WINDOW; i++)
		if (!r->snd[i].active)
			return &r->snd[i];
	return NULL;
}

int ovpn_rel_send(struct ovpn_rel *r, uint8_t opcode, const uint8_t *payload,
		  size_t len, uint32_t *msg_id)
{
	struct ovpn_rel_send_slot *s;

	if (!ovpn_ctrl_opcode_has_msg_id(opcode))
		return -OVPN_REL_E_OPCODE;
	if (len > OVPN_REL_PAYLOAD_MAX)
		return -OVPN_REL_E_TOO_LONG;
	if (!ovpn_rel_can_send(r) || (s = free_slot(r)) == NULL)
		return -OVPN_REL_E_WINDOW_FULL;
	memset(s, 0, offsetof(struct ovpn_rel_send_slot, msg));
	s->active = true;
	s->timeout_ms = r->timeout_ms;
	s->msg.msg_id = r->next_send_id++;
	s->msg.opcode = opcode;
	s->msg.len = (uint16_t)len;
	if (len)
		memcpy(s->msg.data, payload, len);
	if (msg_id != NULL)
		*msg_id = s->msg.msg_id;
	return 0;
}

void ovpn_rel_acks_process(struct ovpn_rel *r, const uint32_t *acks,
			   unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < OVPN_REL_SEND_WINDOW; j++) {
			struct ovpn_rel_send_slot *s = &r->snd[j];

			if (!s->active)
				continue;
			if (s->msg.msg_id == acks[i])
				s->active = false;
			else if (id_diff(s->msg.msg_id, acks[i]) < 0 &&
				 s->n_later_acks < UINT8_MAX)
				/* A later id got through: ours may be lost. */
				s->n_later_acks++;
		}
	}
}

static bool is_due(const struct ovpn_rel_send_slot *s, uint64_t now)
{
	return s->active && (s->next_try <= now ||
			     s->n_later_acks >= OVPN_REL_FAST_RETRANSMIT);
}

uint64_t ovpn_rel_next_timeout(const struct ovpn_rel *r, uint64_t now)
{
	uint64_t best = OVPN_REL_NEVER;

	if (r->n_pending)
		return 0;
	for (unsigned i = 0; i < OVPN_REL_SEND_WINDOW; i++) {
		const struct ovpn_rel_send_slot *s = &r->snd[i];

		if (!s->active)
			continue;
		if (is_due(s, now))
			return 0;
		if (s->next_try - now < best)
			best = s->next_try - now;
	}
	return best;
}

/* Insert slot s into out[0..n) ordered by msg-id age (oldest first). */
static unsigned insert_sorted(const struct ovpn_rel *r,
			      struct ovpn_rel_send_slot **out, unsigned n,
			      struct ovpn_rel_send_slot *s)
{
	uint32_t age = r->next_send_id - s->msg.msg_id;
	unsigned k = n;

	while (k > 0 && r->next_send_id - out[k - 1]->msg.msg_id < age) {
		out[k] = out[k - 1];
		k--;
	}
	out[k] = s;
	return n + 1;
}

static void transmitted(struct ovpn_rel_send_slot *s, uint64_t now,
			struct ovpn_rel_out *o)
{
	o->msg_id = s->msg.msg_id;
	o->opcode = s->msg.opcode;
	o->payload = s->msg.data;
	o->len = s->msg.len;
	o->retransmit = s->sent;
	s->sent = true;
	s->n_later_acks = 0;
	s->next_try = now + s->timeout_ms;
	s->timeout_ms = s->timeout_ms >= OVPN_REL_TIMEOUT_MAX_MS / 2 ?
			OVPN_REL_TIMEOUT_MAX_MS : s->timeout_ms * 2;
}

unsigned ovpn_rel_poll(struct ovpn_rel *r, uint64_t now,
		       struct ovpn_rel_out *out, unsigned max)
{
	struct ovpn_rel_send_slot *due[OVPN_REL_SEND_WINDOW];
	unsigned n = 0;

	for (unsigned i = 0; i < OVPN_REL_SEND_WINDOW; i++)
		if (is_due(&r->snd[i], now))
			n = insert_sorted(r, due, n, &r->snd[i]);
	if (n > max)
		n = max;
	for (unsigned i = 0; i < n; i++)
		transmitted(due[i], now, &out[i]);
	return n;
}

void ovpn_rel_schedule_now(struct ovpn_rel *r)
{
	for (unsigned i = 0; i < OVPN_REL_SEND_WINDOW; i++) {
		if (!r->snd[i].active)
			continue;
		r->snd[i].next_try = 0;
		r->snd[i].timeout_ms = r->timeout_ms;
	}
}

unsigned ovpn_rel_unacked(const struct ovpn_rel *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < OVPN_REL_SEND_WINDOW; i++)
		n += r->snd[i].active;
	return n;
}

/* ---- acks --------------------------------------------------------------- */

static bool has_id(const uint32_t *ids, unsigned n, uint32_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static void ack_add(struct ovpn_rel *r, uint32_t id)
{
	/* Full list: drop, the peer retransmits and we ack then. */
	if (has_id(r->pending, r->n_pending, id) || r->n_pending == OVPN_ACK_MAX)
		return;
	r->pending[r->n_pending++] = id;
}

/* Move id to the front of the MRU list. */
static void mru_push(struct ovpn_rel *r, uint32_t id)
{
	unsigned i, n = r->n_mru;

	for (i = 0; i < n && r->mru[i] != id; i++)
		;
	if (i == n && n < OVPN_REL_MRU)
		r->n_mru = (uint8_t)++n;
	if (i == OVPN_REL_MRU)
		i--;
	memmove(&r->mru[1], &r->mru[0], i * sizeof(r->mru[0]));
	r->mru[0] = id;
}

bool ovpn_rel_ack_pending(const struct ovpn_rel *r)
{
	return r->n_pending > 0;
}

unsigned ovpn_rel_acks_take(struct ovpn_rel *r, uint32_t *ids, unsigned max)
{
	unsigned n = 0, take;

	if (max > OVPN_ACK_MAX)
		max = OVPN_ACK_MAX;
	take = r->n_pending < max ? r->n_pending : max;
	/* Newest pending first; the rest stay pending. */
	for (unsigned i = 0; i < take; i++)
		ids[n++] = r->pending[r->n_pending - 1 - i];
	r->n_pending = (uint8_t)(r->n_pending - take);
	for (unsigned i = take; i > 0; i--)
		mru_push(r, ids[i - 1]);
	for (unsigned i = 0; i < r->n_mru && n < max; i++)
		if (!has_id(ids, n, r->mru[i]))
			ids[n++] = r->mru[i];
	return n;
}

/* ---- receiving ---------------------------------------------------------- */

static struct ovpn_rel_recv_slot *recv_slot(struct ovpn_rel *r, uint32_t d)
{
	return &r->rcv[(r->rcv_head + d) % OVPN_REL_RECV_WINDOW];
}

enum ovpn_rel_verdict ovpn_rel_recv(struct ovpn_rel *r,
				    const struct ovpn_ctrl_pkt *pkt)
{
	struct ovpn_rel_recv_slot *s;
	int32_t d;

	/* Acks first, even on a duplicate: they free our send window. */
	ovpn_rel_acks_process(r, pkt->acks, pkt->n_acks);
	if (!pkt->has_msg_id)
		return OVPN_REL_ACK_ONLY;
	d = id_diff(pkt->msg_id, r->next_recv_id);
	if (d >= OVPN_REL_RECV_WINDOW || pkt->payload_len > OVPN_REL_PAYLOAD_MAX)
		return OVPN_REL_OUT_OF_WINDOW;
	ack_add(r, pkt->msg_id);
	if (d < 0)
		return OVPN_REL_DUP;
	s = recv_slot(r, (uint32_t)d);
	if (s->present)
		return OVPN_REL_DUP;
	s->present = true;
	s->msg.msg_id = pkt->msg_id;
	s->msg.opcode = pkt->opcode;
	s->msg.len = (uint16_t)pkt->payload_len;
	if (pkt->payload_len)
		memcpy(s->msg.data, pkt->payload, pkt->payload_len);
	return OVPN_REL_NEW;
}

const struct ovpn_rel_msg *ovpn_rel_next(const struct ovpn_rel *r)
{
	const struct ovpn_rel_recv_slot *s = &r->rcv[r->rcv_head];

	return s->present ? &s->msg : NULL;
}

void ovpn_rel_pop(struct ovpn_rel *r)
{
	struct ovpn_rel_recv_slot *s = &r->rcv[r->rcv_head];

	if (!s->present)
		return;
	s->present = false;
	r->rcv_head = (uint8_t)((r->rcv_head + 1) % OVPN_REL_RECV_WINDOW);
	r->next_recv_id++;
}
