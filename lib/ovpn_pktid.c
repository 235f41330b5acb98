/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-id TX counter and RX replay window; see ovpn_pktid.h for the rules
 * and the ring layout.
 */
#include <string.h>

#include "ovpn_pktid.h"

#define WORD_BITS	64
#define WORD_SHIFT	6

void ovpn_pktid_send_init(struct ovpn_pktid_send *s)
{
	s->last = 0;
}

int ovpn_pktid_send_next(struct ovpn_pktid_send *s, uint32_t *pid)
{
	/* Never wrap: a repeated id would repeat an AEAD nonce. */
	if (s->last == UINT32_MAX)
		return OVPN_DATA_ERR_PKTID_EXHAUSTED;
	*pid = ++s->last;
	return *pid >= OVPN_PKTID_WRAP_TRIGGER ? OVPN_PKTID_REKEY : 0;
}

int ovpn_pktid_recv_init(struct ovpn_pktid_recv *r, unsigned int window)
{
	uint32_t words = 1;

	if (window == 0 || window > OVPN_PKTID_WINDOW_MAX)
		return OVPN_DATA_ERR_INVAL;
	/* The window touches at most window/64 + 1 words (see header). */
	while (words < (window + WORD_BITS - 1) / WORD_BITS + 1)
		words <<= 1;
	memset(r, 0, sizeof(*r));
	r->window = window;
	r->mask = words - 1;
	return 0;
}

/* Move the highest id up to pid, clearing the words that now represent
 * ids nobody has sent yet. */
static void advance(struct ovpn_pktid_recv *r, uint32_t pid)
{
	uint32_t cur = r->highest >> WORD_SHIFT;
	uint32_t steps = (pid >> WORD_SHIFT) - cur;

	if (steps > r->mask + 1)
		steps = r->mask + 1;
	for (uint32_t i = 1; i <= steps; i++)
		r->ring[(cur + i) & r->mask] = 0;
	r->highest = pid;
}

int ovpn_pktid_recv_check(struct ovpn_pktid_recv *r, uint32_t pid)
{
	uint64_t *word, bit;

	if (pid == 0)
		return OVPN_DATA_ERR_PKTID_ZERO;
	if (pid > r->highest)
		advance(r, pid);
	else if (r->highest - pid >= r->window)
		return OVPN_DATA_ERR_TOO_OLD;
	word = &r->ring[(pid >> WORD_SHIFT) & r->mask];
	bit = 1ull << (pid & (WORD_BITS - 1));
	if (*word & bit)
		return OVPN_DATA_ERR_REPLAY;
	*word |= bit;
	return 0;
}
