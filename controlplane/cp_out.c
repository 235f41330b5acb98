/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The last step of a session's run: what goes back to the event loop, in
 * order on ctx's output queue.
 *
 *   packets   a key state's TLS bytes cut into P_CONTROL_V1 payloads as
 *             the send window allows, retransmissions and acks
 *             (OpenVPN src/openvpn/reliable.c), each built and wrapped
 *             with the session's wrap context (ssl_pkt.c,
 *             write_control_auth), addressed to the client's current
 *             endpoint and next hop
 *   commands  for sl_cmd (PEER_NEW, KEY_NEW/SWAP/DEL); key material is
 *             wiped from every copy here
 *   the end   with the peer-id and address for the event loop to give back
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cp_out.h"
#include "sl_log.h"

void cp_out_push(struct cp_ctx *ctx, struct cp_out *o)
{
	pthread_mutex_lock(&ctx->out_lock);
	cp_out_append(&ctx->out_head, &ctx->out_tail, o);
	pthread_mutex_unlock(&ctx->out_lock);
}

struct cp_out *cp_out_take_all(struct cp_ctx *ctx)
{
	struct cp_out *o;

	pthread_mutex_lock(&ctx->out_lock);
	o = ctx->out_head;
	ctx->out_head = ctx->out_tail = NULL;
	pthread_mutex_unlock(&ctx->out_lock);
	return o;
}

void cp_out_free(struct cp_out *o)
{
	if (o->s != NULL)
		cp_session_unref(o->s);
	free(o->pkt);
	OPENSSL_cleanse(&o->cmd, sizeof(o->cmd));
	free(o);
}

void cp_out_cmd(struct cp_ctx *ctx, struct cp_session *s, struct sl_cmd *c)
{
	struct cp_out *o = calloc(1, sizeof(*o));

	if (o != NULL) {
		o->type = CP_OUT_CMD;
		o->cmd = *c;
		o->s = s;
		cp_session_ref(s);
		cp_out_push(ctx, o);
	} else {
		SL_ERR("out of memory: data-plane command %u for peer %u lost", c->type,
		       c->peer_id);
	}
	OPENSSL_cleanse(c, sizeof(*c));
}

void cp_out_end_init(struct cp_out *o, struct cp_session *s, enum cp_end why)
{
	o->type = CP_OUT_END;
	o->s = s;
	o->reason = why;
	o->vpn_ip = s->p.vpn_ip;
	o->peer_id = UINT32_MAX;
	/* An allocated but never installed peer-id still goes back. */
	if (s->p.peer_id != UINT32_MAX)
		o->peer_id = s->p.installed ? s->p.peer_id : s->p.peer_id | CP_PEER_UNINSTALLED;
}

void cp_out_end(struct cp_ctx *ctx, struct cp_session *s)
{
	struct cp_out *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		SL_ERR("out of memory: end of session %s lost", s->p.addr);
		return;
	}
	cp_out_end_init(o, s, s->p.end_reason);
	cp_session_ref(s);
	cp_out_push(ctx, o);
}

/* ---- packets ---- */

static void out_packet(struct cp_ctx *ctx, struct cp_session *s, const uint8_t *wire,
		       size_t len)
{
	struct cp_out *o = calloc(1, sizeof(*o));
	struct cp_pkt *p;

	pthread_mutex_lock(&s->lock);
	p = cp_pkt_new(wire, len, &s->peer, s->mac);
	pthread_mutex_unlock(&s->lock);
	if (o == NULL || p == NULL) {
		free(o);
		free(p);
		return;	/* the reliability layer resends it */
	}
	o->type = CP_OUT_PKT;
	o->pkt = p;
	cp_out_push(ctx, o);
}

/* One packet of KS: R (a reliable message) with acks, or acks alone. */
static void emit(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		 const struct ovpn_rel_out *r, uint64_t now)
{
	struct ovpn_ctrl_pkt pkt = { .key_id = ks->key_id };
	uint8_t plain[CP_PKT_MAX], wire[CP_PKT_MAX];
	int n, w;

	pkt.opcode = r ? r->opcode : OVPN_P_ACK_V1;
	memcpy(pkt.sid, s->p.sid, OVPN_SID_LEN);
	memcpy(pkt.peer_sid, s->p.peer_sid, OVPN_SID_LEN);
	pkt.n_acks = (uint8_t)ovpn_rel_acks_take(&ks->rel, pkt.acks,
						 r ? OVPN_ACK_PIGGY_MAX : OVPN_ACK_MAX);
	pkt.has_msg_id = r != NULL;
	if (r != NULL) {
		pkt.msg_id = r->msg_id;
		pkt.payload = r->payload;
		pkt.payload_len = r->len;
	}
	n = ovpn_ctrl_build(&pkt, plain, sizeof(plain));
	if (n < 0)
		return;
	if (s->p.wrap == NULL) {
		out_packet(ctx, s, plain, (size_t)n);
		return;
	}
	w = ovpn_wrap_wrap(s->p.wrap, &s->p.pid_tx, (uint32_t)(now / 1000 + ctx->wall_offset),
			   plain, (size_t)n, wire, sizeof(wire));
	if (w > 0)
		out_packet(ctx, s, wire, (size_t)w);
}

void cp_out_flush(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks, uint64_t now)
{
	struct ovpn_rel_out out[OVPN_REL_SEND_WINDOW];
	uint8_t buf[CP_TLS_CHUNK];
	unsigned n;
	uint32_t id;
	int len;

	if (ks == NULL)
		return;
	/* What does not fit the send window waits in the BIO. */
	while (ovpn_rel_can_send(&ks->rel) && BIO_ctrl_pending(ks->wbio) > 0 &&
	       (len = BIO_read(ks->wbio, buf, sizeof(buf))) > 0)
		ovpn_rel_send(&ks->rel, OVPN_P_CONTROL_V1, buf, (size_t)len, &id);
	n = ovpn_rel_poll(&ks->rel, now, out, OVPN_REL_SEND_WINDOW);
	for (unsigned i = 0; i < n; i++)
		emit(ctx, s, ks, &out[i], now);
	if (ovpn_rel_ack_pending(&ks->rel))
		emit(ctx, s, ks, NULL, now);
}
