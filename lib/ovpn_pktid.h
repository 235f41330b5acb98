/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_PKTID_H
#define OVPN_PKTID_H

/*
 * Packet-ids (OpenVPN src/openvpn/packet_id.c): a 32-bit per-key TX counter
 * that never wraps, and a per-key RX sliding replay window.
 *
 * Sender (OpenVPN packet_id.c packet_id_send_update): the first
 * packet carries 1; 0xFFFFFFFF is the last id ever sent with a key; from
 * PACKET_ID_WRAP_TRIGGER = 0xFF000000 on (packet_id.h, ssl.c tls_process)
 * the caller is told to renegotiate, while the key keeps working.
 *
 * Receiver: accept id iff id != 0 and either id > highest, or
 * highest - id < window and id was not seen. With window 64 this is exactly
 * OpenVPN's --replay-window 64 sequence rule (packet_id.c packet_id_test;
 * checked against a real 2.6.14 server: highest 200, 137 ok, 136
 * rejected). OpenVPN's additional time rule (holes older than 15 s become
 * unfillable) is not implemented; the kernel DCO has none either and both
 * are wire-compatible (Linux drivers/net/ovpn/pktid.c).
 *
 * The bitmap is a ring of 64-bit words indexed by id / 64, like WireGuard's
 * counter: advancing the highest id clears whole words instead of shifting
 * bits, so a check is O(1) except for a jump, which clears at most the ring.
 *
 *   ring word (id >> 6) & mask, bit id & 63
 *   +--------+--------+--------+--------+
 *   | w0     | w1     | w2     | w3     |   window = [highest-W+1, highest]
 *   +--------+--------+--------+--------+   spans <= W/64 + 1 words, so the
 *            ^ oldest      highest ^        ring has pow2 >= W/64 + 1 words
 *
 * Thread safety: none inside; each struct has exactly one writer (the lcore
 * owning the key). Run the receive check only on authenticated packets.
 */
#include <stdint.h>

#include "ovpn_data.h"

#define OVPN_PKTID_WRAP_TRIGGER		0xFF000000u
#define OVPN_PKTID_WINDOW_DEFAULT	2048	/* kernel DCO's bitmap */
#define OVPN_PKTID_WINDOW_MAX		4096
#define OVPN_PKTID_RING_WORDS		128	/* pow2 >= MAX / 64 + 1 */

/* Positive (success) result of ovpn_pktid_send_next(). */
#define OVPN_PKTID_REKEY		1

struct ovpn_pktid_send {
	uint32_t last;		/* last id handed out; 0 = none yet */
};

struct ovpn_pktid_recv {
	uint32_t highest;	/* highest accepted id; 0 = none yet */
	uint32_t window;	/* accepted backtrack, in packets */
	uint32_t mask;		/* ring words in use - 1 */
	uint64_t ring[OVPN_PKTID_RING_WORDS];
};

void ovpn_pktid_send_init(struct ovpn_pktid_send *s);

/*
 * Hand out the next id in *pid. Returns 0, or OVPN_PKTID_REKEY when the id
 * is >= OVPN_PKTID_WRAP_TRIGGER (send it, and ask the control plane to
 * renegotiate), or OVPN_DATA_ERR_PKTID_EXHAUSTED once 0xFFFFFFFF was used
 * (do not send; the key is dead for TX).
 */
int ovpn_pktid_send_next(struct ovpn_pktid_send *s, uint32_t *pid);

/* Empty window accepting a backtrack of window packets (1..WINDOW_MAX).
 * Returns 0 or OVPN_DATA_ERR_INVAL. */
int ovpn_pktid_recv_init(struct ovpn_pktid_recv *r, unsigned int window);

/*
 * Test id and, if accepted, record it. Returns 0, OVPN_DATA_ERR_PKTID_ZERO,
 * OVPN_DATA_ERR_TOO_OLD (highest - id >= window) or OVPN_DATA_ERR_REPLAY.
 */
int ovpn_pktid_recv_check(struct ovpn_pktid_recv *r, uint32_t pid);

#endif
