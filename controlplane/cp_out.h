/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_OUT_H
#define SL_CP_OUT_H

/*
 * Outputs of a session run for the event loop (cp_out.c), in order on
 * ctx's queue: packets (a key state's reliability layer wrapped for the
 * wire), data-plane commands and the session's end.
 */
#include "cp_keystate.h"

enum cp_out_type {
	CP_OUT_PKT,		/* send pkt */
	CP_OUT_CMD,		/* enqueue cmd on sl_cmd (holds keys: wiped after) */
	CP_OUT_END,		/* session s ended: table, peer-del, pool */
};

/* END: the peer-id was allocated but never installed (no PEER_DEL). */
#define CP_PEER_UNINSTALLED	0x80000000u

struct cp_out {
	struct cp_out *next;
	enum cp_out_type type;
	struct cp_session *s;	/* referenced for CMD and END */
	struct cp_pkt *pkt;
	struct sl_cmd cmd;
	enum cp_end reason;
	uint32_t peer_id;	/* END: installed peer, | CP_PEER_UNINSTALLED, or UINT32_MAX */
	uint32_t vpn_ip;	/* END: address to give back, or 0 */
};

/* Append O to the list HEAD..TAIL. */
static inline void cp_out_append(struct cp_out **head, struct cp_out **tail, struct cp_out *o)
{
	o->next = NULL;
	if (*tail != NULL)
		(*tail)->next = o;
	else
		*head = o;
	*tail = o;
}

void cp_out_push(struct cp_ctx *ctx, struct cp_out *o);
struct cp_out *cp_out_take_all(struct cp_ctx *ctx);
void cp_out_free(struct cp_out *o);
/* Queue a data-plane command for S; the caller's copy (keys) is wiped. */
void cp_out_cmd(struct cp_ctx *ctx, struct cp_session *s, struct sl_cmd *c);
/* O describes the end of S for WHY (no reference taken). */
void cp_out_end_init(struct cp_out *o, struct cp_session *s, enum cp_end why);
/* Queue the end of S (s->p.end_reason). */
void cp_out_end(struct cp_ctx *ctx, struct cp_session *s);
/* KS's pending TLS bytes, retransmissions and acks as packets. */
void cp_out_flush(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks, uint64_t now);

#endif
