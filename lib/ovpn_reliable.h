/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_RELIABLE_H
#define OVPN_RELIABLE_H

/*
 * Reliability layer of the control channel, one instance per key state
 * (OpenVPN src/openvpn/reliable.c, reliable.h). A pure state machine: time
 * is passed in (milliseconds, any monotonic origin), nothing is sent or
 * read here. The caller's loop is:
 *
 *   rx:  unwrap -> ovpn_ctrl_parse -> check peer sid -> ovpn_rel_recv()
 *        -> while (m = ovpn_rel_next()) { feed TLS; ovpn_rel_pop(); }
 *   tx:  ovpn_rel_send(payload) while ovpn_rel_can_send()
 *        n = ovpn_rel_poll(now, out[]): for each out[i] build a packet
 *            with ovpn_rel_acks_take(.., OVPN_ACK_PIGGY_MAX), wrap with a
 *            fresh replay-id, send
 *        if ovpn_rel_ack_pending(): P_ACK_V1 with ovpn_rel_acks_take(.., 8)
 *   timer: sleep ovpn_rel_next_timeout(now) ms
 *
 * Send window (TLS_RELIABLE_N_SEND_BUFFERS = 6): a new msg-id may be used
 * only while next id - oldest unacked id < 6.
 *
 *   oldest unacked                next
 *        v                         v
 *   ... [ 7 ][ 8 ][ 9 ][10 ][11 ][12 ]   <- 12 - 7 = 5 < 6: one more allowed
 *
 * Receive window (TLS_RELIABLE_N_REC_BUFFERS = 12), d = id - next expected
 * (mod 2^32, as a signed 32-bit difference):
 *   d < 0          already delivered -> DUP, acked again
 *   0 <= d < 12    buffered (or DUP if already buffered) and acked
 *   d >= 12        OUT_OF_WINDOW, dropped without an ack
 * Acks are per id, not cumulative. Pending acks (at most 8) are sent
 * newest first; spare ack slots repeat the 8 most recently acked ids
 * (the 2.6 MRU list) so a lost ack is repaired by the next packet.
 *
 * Retransmit: first send at once, then after 2 s, 4 s, 8 s, ... (timeout
 * doubles on every transmission; OpenVPN has no cap, the hand-window ends
 * the handshake first; we saturate at OVPN_REL_TIMEOUT_MAX_MS only to keep
 * the arithmetic finite). After 3 acks for later ids a packet is resent at
 * once (fast retransmit). Due packets go out lowest msg-id first.
 *
 * Message ids are u32 and compared modulo 2^32, so the layer keeps
 * working across a wrap (OpenVPN renegotiates long before one).
 *
 * Not thread-safe; one owner per key state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ovpn_ctrl.h"

#define OVPN_REL_SEND_WINDOW	6
#define OVPN_REL_RECV_WINDOW	12
#define OVPN_REL_MRU		8
#define OVPN_REL_FAST_RETRANSMIT 3
#define OVPN_REL_TIMEOUT_MS	2000u		/* --tls-timeout default */
#define OVPN_REL_TIMEOUT_MAX_MS	(1u << 30)	/* arithmetic guard only */
#define OVPN_REL_PAYLOAD_MAX	OVPN_MAX_CONTROL_MSG
#define OVPN_REL_NEVER		UINT64_MAX

/* Failures: negative OVPN_REL_E_* codes, listed in ovpn_err.h. */

/* What ovpn_rel_recv() did with a packet's msg-id. */
enum ovpn_rel_verdict {
	OVPN_REL_ACK_ONLY,	/* P_ACK_V1: acks processed, nothing else */
	OVPN_REL_NEW,		/* buffered and acked */
	OVPN_REL_DUP,		/* already had it: dropped, acked again */
	OVPN_REL_OUT_OF_WINDOW,	/* too far ahead: dropped, not acked */
};

/* A message as queued or received; payload lives inside the struct. */
struct ovpn_rel_msg {
	uint32_t msg_id;
	uint8_t opcode;
	uint16_t len;
	uint8_t data[OVPN_REL_PAYLOAD_MAX];
};

struct ovpn_rel_send_slot {
	bool active;
	bool sent;		/* transmitted at least once */
	uint8_t n_later_acks;	/* acks seen for higher ids */
	uint32_t timeout_ms;	/* next backoff interval */
	uint64_t next_try;	/* 0 = due now */
	struct ovpn_rel_msg msg;
};

struct ovpn_rel_recv_slot {
	bool present;
	struct ovpn_rel_msg msg;
};

struct ovpn_rel {
	uint32_t next_send_id;
	uint32_t next_recv_id;
	uint32_t timeout_ms;	/* initial retransmit timeout */
	struct ovpn_rel_send_slot snd[OVPN_REL_SEND_WINDOW];
	uint8_t rcv_head;	/* slot of next_recv_id; ring of 12 */
	struct ovpn_rel_recv_slot rcv[OVPN_REL_RECV_WINDOW];
	uint8_t n_pending;
	uint32_t pending[OVPN_ACK_MAX];	/* acks still to send, oldest first */
	uint8_t n_mru;
	uint32_t mru[OVPN_REL_MRU];	/* acks already sent, newest first */
};

/* One packet ovpn_rel_poll() wants (re)transmitted now. */
struct ovpn_rel_out {
	uint32_t msg_id;
	uint8_t opcode;
	const uint8_t *payload;	/* valid until the slot is acked */
	uint16_t len;
	bool retransmit;	/* false on the first transmission */
};

/*
 * Reset to an empty state. A normal key state starts both ids at 0; the
 * server side of a stateless cookie starts both at 1 (msg 0 counts as
 * delivered). timeout_ms = 0 selects OVPN_REL_TIMEOUT_MS.
 */
void ovpn_rel_init(struct ovpn_rel *r, uint32_t first_send_id,
		   uint32_t first_recv_id, uint32_t timeout_ms);

/* True if ovpn_rel_send() would accept a new message. */
bool ovpn_rel_can_send(const struct ovpn_rel *r);

/*
 * Queue a reliable message (opcode must carry a msg-id); it is due at
 * once. Returns 0 and *msg_id, or -OVPN_REL_E_WINDOW_FULL / -E_TOO_LONG /
 * -E_OPCODE.
 */
int ovpn_rel_send(struct ovpn_rel *r, uint8_t opcode, const uint8_t *payload,
		  size_t len, uint32_t *msg_id);

/*
 * Process a parsed packet whose peer sid the caller has already checked:
 * its acks first (free send slots, count for fast retransmit), then its
 * msg-id. Payloads over OVPN_REL_PAYLOAD_MAX cannot occur (the codec
 * refuses them).
 */
enum ovpn_rel_verdict ovpn_rel_recv(struct ovpn_rel *r,
				    const struct ovpn_ctrl_pkt *pkt);

/* Process only an ack list (used by ovpn_rel_recv). */
void ovpn_rel_acks_process(struct ovpn_rel *r, const uint32_t *acks,
			   unsigned n);

/* Next in-order message, or NULL; ovpn_rel_pop() releases it. */
const struct ovpn_rel_msg *ovpn_rel_next(const struct ovpn_rel *r);
void ovpn_rel_pop(struct ovpn_rel *r);

/* True if acks are waiting to be sent. */
bool ovpn_rel_ack_pending(const struct ovpn_rel *r);

/*
 * Fill ids (up to max, max <= OVPN_ACK_MAX) with pending acks, newest
 * first, then MRU repeats; pending acks taken move to the MRU list.
 * Returns the number of ids written.
 */
unsigned ovpn_rel_acks_take(struct ovpn_rel *r, uint32_t *ids, unsigned max);

/*
 * Milliseconds from now until something is due: 0 if an ack is pending or
 * a packet is due, OVPN_REL_NEVER when idle.
 */
uint64_t ovpn_rel_next_timeout(const struct ovpn_rel *r, uint64_t now);

/*
 * Packets due at now, lowest msg-id first, at most max. Each one returned
 * is considered transmitted: next try = now + timeout, timeout doubles.
 */
unsigned ovpn_rel_poll(struct ovpn_rel *r, uint64_t now,
		       struct ovpn_rel_out *out, unsigned max);

/*
 * Make every unacked packet due now with the initial timeout (OpenVPN's
 * "burst" when the first valid packet of a session arrives).
 */
void ovpn_rel_schedule_now(struct ovpn_rel *r);

/* Unacked packets in the send window. */
unsigned ovpn_rel_unacked(const struct ovpn_rel *r);

#endif
