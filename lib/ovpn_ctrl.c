/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control packet codec (see ovpn_ctrl.h for the layout). Parsing walks a
 * cursor that refuses to move past the end, so every read is bounds-checked
 * in one place.
 */
#include <string.h>

#include "ovpn_ctrl.h"

static const char *const opcode_names[OVPN_P_OPCODE_MAX + 1] = {
	[OVPN_P_CONTROL_HARD_RESET_CLIENT_V1] = "P_CONTROL_HARD_RESET_CLIENT_V1",
	[OVPN_P_CONTROL_HARD_RESET_SERVER_V1] = "P_CONTROL_HARD_RESET_SERVER_V1",
	[OVPN_P_CONTROL_SOFT_RESET_V1] = "P_CONTROL_SOFT_RESET_V1",
	[OVPN_P_CONTROL_V1] = "P_CONTROL_V1",
	[OVPN_P_ACK_V1] = "P_ACK_V1",
	[OVPN_P_DATA_V1] = "P_DATA_V1",
	[OVPN_P_CONTROL_HARD_RESET_CLIENT_V2] = "P_CONTROL_HARD_RESET_CLIENT_V2",
	[OVPN_P_CONTROL_HARD_RESET_SERVER_V2] = "P_CONTROL_HARD_RESET_SERVER_V2",
	[OVPN_P_DATA_V2] = "P_DATA_V2",
	[OVPN_P_CONTROL_HARD_RESET_CLIENT_V3] = "P_CONTROL_HARD_RESET_CLIENT_V3",
	[OVPN_P_CONTROL_WKC_V1] = "P_CONTROL_WKC_V1",
};

const char *ovpn_ctrl_opcode_name(unsigned opcode)
{
	if (opcode > OVPN_P_OPCODE_MAX || opcode_names[opcode] == NULL)
		return "?";
	return opcode_names[opcode];
}

bool ovpn_ctrl_opcode_valid(unsigned opcode)
{
	return opcode >= OVPN_P_CONTROL_HARD_RESET_CLIENT_V1 &&
	       opcode <= OVPN_P_OPCODE_MAX &&
	       opcode != OVPN_P_DATA_V1 && opcode != OVPN_P_DATA_V2;
}

bool ovpn_ctrl_opcode_has_msg_id(unsigned opcode)
{
	return ovpn_ctrl_opcode_valid(opcode) && opcode != OVPN_P_ACK_V1;
}

/* A read cursor: take() hands out n bytes or NULL if fewer remain. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	const uint8_t *r = c->p;

	if (c->left < n)
		return NULL;
	c->p += n;
	c->left -= n;
	return r;
}

int ovpn_ctrl_peek(const uint8_t *buf, size_t len, uint8_t *opcode,
		   uint8_t *key_id, uint8_t sid[OVPN_SID_LEN])
{
	if (len < OVPN_CTRL_HDR_LEN)
		return -OVPN_CTRL_E_SHORT;
	if (!ovpn_ctrl_opcode_valid(ovpn_op_opcode(buf[0])))
		return -OVPN_CTRL_E_OPCODE;
	*opcode = (uint8_t)ovpn_op_opcode(buf[0]);
	*key_id = (uint8_t)ovpn_op_key_id(buf[0]);
	memcpy(sid, buf + 1, OVPN_SID_LEN);
	return 0;
}

/* ack_count, ack ids and (only when there are acks) the peer sid. */
static int parse_acks(struct cursor *c, struct ovpn_ctrl_pkt *pkt)
{
	const uint8_t *p = take(c, 1);

	if (p == NULL)
		return -OVPN_CTRL_E_SHORT;
	if (*p > OVPN_ACK_MAX)
		return -OVPN_CTRL_E_ACK_COUNT;
	pkt->n_acks = *p;
	for (unsigned i = 0; i < pkt->n_acks; i++) {
		if ((p = take(c, 4)) == NULL)
			return -OVPN_CTRL_E_SHORT;
		pkt->acks[i] = ovpn_get_be32(p);
	}
	memset(pkt->peer_sid, 0, OVPN_SID_LEN);
	if (pkt->n_acks == 0)
		return 0;
	if ((p = take(c, OVPN_SID_LEN)) == NULL)
		return -OVPN_CTRL_E_SHORT;
	memcpy(pkt->peer_sid, p, OVPN_SID_LEN);
	return 0;
}

int ovpn_ctrl_parse_inner(unsigned opcode, const uint8_t *buf, size_t len,
			  struct ovpn_ctrl_pkt *pkt)
{
	struct cursor c = { buf, len };
	const uint8_t *p;
	int rc;

	if (!ovpn_ctrl_opcode_valid(opcode))
		return -OVPN_CTRL_E_OPCODE;
	if ((rc = parse_acks(&c, pkt)) < 0)
		return rc;
	pkt->has_msg_id = ovpn_ctrl_opcode_has_msg_id(opcode);
	pkt->msg_id = 0;
	if (pkt->has_msg_id) {
		if ((p = take(&c, OVPN_CTRL_MSG_ID_LEN)) == NULL)
			return -OVPN_CTRL_E_SHORT;
		pkt->msg_id = ovpn_get_be32(p);
	} else if (c.left != 0) {
		return -OVPN_CTRL_E_TRAILING;
	}
	if (c.left > OVPN_MAX_CONTROL_MSG)
		return -OVPN_CTRL_E_PAYLOAD_LEN;
	pkt->payload = c.left ? c.p : NULL;
	pkt->payload_len = c.left;
	return 0;
}

int ovpn_ctrl_parse(const uint8_t *buf, size_t len, struct ovpn_ctrl_pkt *pkt)
{
	int rc = ovpn_ctrl_peek(buf, len, &pkt->opcode, &pkt->key_id, pkt->sid);

	if (rc < 0)
		return rc;
	/* Same layout as V2, but 2.6 refuses key-method 1 outright. */
	if (pkt->opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V1 ||
	    pkt->opcode == OVPN_P_CONTROL_HARD_RESET_SERVER_V1)
		return -OVPN_CTRL_E_KEY_METHOD_1;
	return ovpn_ctrl_parse_inner(pkt->opcode, buf + OVPN_CTRL_HDR_LEN,
				     len - OVPN_CTRL_HDR_LEN, pkt);
}

size_t ovpn_ctrl_inner_len(const struct ovpn_ctrl_pkt *pkt)
{
	size_t n = 1 + 4 * (size_t)pkt->n_acks;

	if (pkt->n_acks)
		n += OVPN_SID_LEN;
	if (ovpn_ctrl_opcode_has_msg_id(pkt->opcode))
		n += OVPN_CTRL_MSG_ID_LEN + pkt->payload_len;
	return n;
}

size_t ovpn_ctrl_plain_len(const struct ovpn_ctrl_pkt *pkt)
{
	return OVPN_CTRL_HDR_LEN + ovpn_ctrl_inner_len(pkt);
}

static int check_build(const struct ovpn_ctrl_pkt *pkt)
{
	if (!ovpn_ctrl_opcode_valid(pkt->opcode) || pkt->n_acks > OVPN_ACK_MAX)
		return -OVPN_CTRL_E_INVAL;
	if (pkt->payload_len > OVPN_MAX_CONTROL_MSG)
		return -OVPN_CTRL_E_PAYLOAD_LEN;
	/* P_ACK_V1 has nowhere to put a payload. */
	if (pkt->opcode == OVPN_P_ACK_V1 && pkt->payload_len)
		return -OVPN_CTRL_E_INVAL;
	if (pkt->payload_len && pkt->payload == NULL)
		return -OVPN_CTRL_E_INVAL;
	return 0;
}

int ovpn_ctrl_build_inner(const struct ovpn_ctrl_pkt *pkt, uint8_t *out,
			  size_t cap)
{
	size_t need = ovpn_ctrl_inner_len(pkt);
	uint8_t *p = out;
	int rc = check_build(pkt);

	if (rc < 0)
		return rc;
	if (cap < need)
		return -OVPN_CTRL_E_NOSPACE;
	*p++ = pkt->n_acks;
	for (unsigned i = 0; i < pkt->n_acks; i++, p += 4)
		ovpn_put_be32(p, pkt->acks[i]);
	if (pkt->n_acks) {
		memcpy(p, pkt->peer_sid, OVPN_SID_LEN);
		p += OVPN_SID_LEN;
	}
	if (ovpn_ctrl_opcode_has_msg_id(pkt->opcode)) {
		ovpn_put_be32(p, pkt->msg_id);
		p += 4;
		if (pkt->payload_len)
			memcpy(p, pkt->payload, pkt->payload_len);
	}
	return (int)need;
}

int ovpn_ctrl_build(const struct ovpn_ctrl_pkt *pkt, uint8_t *out, size_t cap)
{
	int rc;

	if (pkt->key_id > OVPN_KEY_ID_MAX)
		return -OVPN_CTRL_E_INVAL;
	if (cap < OVPN_CTRL_HDR_LEN)
		return -OVPN_CTRL_E_NOSPACE;
	rc = ovpn_ctrl_build_inner(pkt, out + OVPN_CTRL_HDR_LEN,
				   cap - OVPN_CTRL_HDR_LEN);
	if (rc < 0)
		return rc;
	out[0] = ovpn_op_byte(pkt->opcode, pkt->key_id);
	memcpy(out + 1, pkt->sid, OVPN_SID_LEN);
	return rc + OVPN_CTRL_HDR_LEN;
}

int ovpn_ctrl_tlv_parse(const uint8_t *buf, size_t len, uint16_t *flags)
{
	struct cursor c = { buf, len };
	const uint8_t *p;

	*flags = 0;
	while (c.left) {
		unsigned type, vlen;

		if ((p = take(&c, 4)) == NULL)
			return -OVPN_CTRL_E_TLV;
		type = (unsigned)p[0] << 8 | p[1];
		vlen = (unsigned)p[2] << 8 | p[3];
		if ((p = take(&c, vlen)) == NULL)
			return -OVPN_CTRL_E_TLV;
		if (type != OVPN_TLV_EARLY_NEG_FLAGS)
			continue;	/* skip unknown types, like the client */
		if (vlen != 2)
			return -OVPN_CTRL_E_TLV;
		*flags = (uint16_t)(p[0] << 8 | p[1]);
	}
	return 0;
}

int ovpn_ctrl_tlv_build(uint16_t flags, uint8_t *out, size_t cap)
{
	if (cap < OVPN_EARLY_NEG_TLV_LEN)
		return -OVPN_CTRL_E_NOSPACE;
	out[0] = 0;
	out[1] = OVPN_TLV_EARLY_NEG_FLAGS;
	out[2] = 0;
	out[3] = 2;
	out[4] = (uint8_t)(flags >> 8);
	out[5] = (uint8_t)flags;
	return OVPN_EARLY_NEG_TLV_LEN;
}
