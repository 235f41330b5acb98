/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data packet framing shared by the AEAD and CBC codecs (see ovpn_hdr.h).
 */
#include "ovpn_data_key.h"
#include "ovpn_hdr.h"

/* Opcode -> plane (OpenVPN src/openvpn/ssl_pkt.h). Zero-initialised
 * entries (0, 12..31) drop. */
static const uint8_t class_tab[32] = {
	[OVPN_P_CONTROL_HARD_RESET_CLIENT_V1] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_CONTROL_HARD_RESET_SERVER_V1] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_CONTROL_SOFT_RESET_V1] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_CONTROL_V1] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_ACK_V1] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_DATA_V1] = OVPN_DATA_CLASS_DATA_V1,
	[OVPN_P_CONTROL_HARD_RESET_CLIENT_V2] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_CONTROL_HARD_RESET_SERVER_V2] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_DATA_V2] = OVPN_DATA_CLASS_DATA_V2,
	[OVPN_P_CONTROL_HARD_RESET_CLIENT_V3] = OVPN_DATA_CLASS_CONTROL,
	[OVPN_P_CONTROL_WKC_V1] = OVPN_DATA_CLASS_CONTROL,
};

enum ovpn_data_class ovpn_data_classify(const uint8_t *pkt, size_t len)
{
	enum ovpn_data_class c;

	if (len == 0)
		return OVPN_DATA_CLASS_DROP;
	c = class_tab[ovpn_op_opcode(pkt[0])];
	if (c == OVPN_DATA_CLASS_DATA_V2 && len < OVPN_DATA_V2_HDR_LEN)
		return OVPN_DATA_CLASS_DROP;
	return c;
}

int ovpn_data_hdr_parse(const uint8_t *pkt, size_t len, struct ovpn_data_hdr *h)
{
	if (len == 0)
		return OVPN_DATA_ERR_SHORT;
	h->opcode = (uint8_t)ovpn_op_opcode(pkt[0]);
	h->key_id = (uint8_t)ovpn_op_key_id(pkt[0]);
	if (h->opcode == OVPN_P_DATA_V2) {
		if (len < OVPN_DATA_V2_HDR_LEN)
			return OVPN_DATA_ERR_SHORT;
		h->peer_id = ovpn_data_peer_id(pkt);
		h->len = OVPN_DATA_V2_HDR_LEN;
	} else if (h->opcode == OVPN_P_DATA_V1) {
		h->peer_id = OVPN_PEER_ID_UNDEF;
		h->len = OVPN_DATA_V1_HDR_LEN;
	} else {
		return OVPN_DATA_ERR_OPCODE;
	}
	return h->len;
}

int ovpn_data_hdr_build(uint8_t *dst, size_t cap, unsigned int opcode,
			unsigned int key_id, uint32_t peer_id)
{
	size_t need = opcode == OVPN_P_DATA_V2 ? OVPN_DATA_V2_HDR_LEN :
						  OVPN_DATA_V1_HDR_LEN;

	if ((opcode != OVPN_P_DATA_V1 && opcode != OVPN_P_DATA_V2) ||
	    key_id > OVPN_KEY_ID_MAX || peer_id > OVPN_PEER_ID_UNDEF)
		return OVPN_DATA_ERR_INVAL;
	if (cap < need)
		return OVPN_DATA_ERR_NOSPACE;
	dst[0] = ovpn_op_byte((enum ovpn_opcode)opcode, key_id);
	if (opcode == OVPN_P_DATA_V2) {
		dst[1] = (uint8_t)(peer_id >> 16);
		dst[2] = (uint8_t)(peer_id >> 8);
		dst[3] = (uint8_t)peer_id;
	}
	return (int)need;
}

size_t ovpn_data_head_len(const struct ovpn_data_key *k)
{
	if (k->aead)
		return k->hdr_len + OVPN_DATA_PKTID_LEN + OVPN_AEAD_TAG_LEN;
	return k->hdr_len + k->hmac_len + OVPN_CBC_IV_LEN + OVPN_DATA_PKTID_LEN;
}

size_t ovpn_data_tail_max(const struct ovpn_data_key *k)
{
	return k->aead ? 0 : OVPN_CBC_BLOCK_LEN;
}

int ovpn_data_rx_hdr(const struct ovpn_data_key *k, const uint8_t *pkt,
		     size_t len, struct ovpn_data_rx *rx)
{
	struct ovpn_data_hdr h;
	int rc;

	if (k->dir != OVPN_DATA_DIR_RX)
		return OVPN_DATA_ERR_INVAL;
	if (len > OVPN_DATA_MAX_LEN)
		return OVPN_DATA_ERR_TOO_LONG;
	rc = ovpn_data_hdr_parse(pkt, len, &h);
	if (rc < 0)
		return rc;
	if (h.key_id != k->key_id)
		return OVPN_DATA_ERR_KEY_ID;
	rx->opcode = h.opcode;
	rx->key_id = h.key_id;
	rx->peer_id = h.peer_id;
	return rc;
}

int ovpn_data_tx_hdr(const struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, size_t tail, uint32_t pid)
{
	size_t need = ovpn_data_head_len(k) + pt_len + tail;

	if (k->dir != OVPN_DATA_DIR_TX || pid == 0)
		return OVPN_DATA_ERR_INVAL;
	/* OpenVPN never sends an empty data packet; neither do we. */
	if (pt_len == 0)
		return OVPN_DATA_ERR_SHORT;
	if (pt_len > OVPN_DATA_MAX_LEN || need > OVPN_DATA_MAX_LEN)
		return OVPN_DATA_ERR_TOO_LONG;
	if (need > cap)
		return OVPN_DATA_ERR_NOSPACE;
	return ovpn_data_hdr_build(pkt, cap, k->opcode, k->key_id, k->peer_id);
}
