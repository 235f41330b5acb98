/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AEAD data channel (AES-GCM, ChaCha20-Poly1305), OpenVPN 2.6 format (see
 * ovpn_aead.h): tag before the ciphertext, nonce = packet-id || nonce tail,
 * AAD = op/peer-id header + packet-id for V2, packet-id alone for V1.
 *
 * The framing (checks, header, nonce, AAD) is in the *_frame functions, which
 * the ipsec-mb backend (ovpn_imb.c) shares. The EVP context was keyed in
 * ovpn_data_key_init(); each packet only sets the nonce, which in OpenSSL 3
 * neither allocates nor re-expands the key.
 */
#include <string.h>

#include "ovpn_aead.h"
#include "ovpn_hdr.h"

/* Where the AAD starts: V1 leaves the opcode byte unauthenticated
 * (OpenVPN src/openvpn/ssl.c handle_data_channel_packet). */
static const uint8_t *aad_start(const uint8_t *pkt, unsigned int opcode)
{
	return opcode == OVPN_P_DATA_V2 ? pkt : pkt + OVPN_DATA_V1_HDR_LEN;
}

static void make_nonce(uint8_t nonce[OVPN_AEAD_NONCE_LEN], const uint8_t *pid,
		       const struct ovpn_data_key *k)
{
	memcpy(nonce, pid, OVPN_DATA_PKTID_LEN);
	memcpy(nonce + OVPN_DATA_PKTID_LEN, k->u.nonce_tail, OVPN_NONCE_TAIL_LEN);
}

/* Nonce, AAD, tag and data of a packet whose header starts at pkt and
 * whose packet-id is at pkt + hdr. */
static void frame_at(const struct ovpn_data_key *k, uint8_t *pkt, int hdr,
		     unsigned int opcode, struct ovpn_aead_frame *f)
{
	uint8_t *pid_p = pkt + hdr;

	f->tag = pid_p + OVPN_DATA_PKTID_LEN;
	f->data = f->tag + OVPN_AEAD_TAG_LEN;
	f->aad = aad_start(pkt, opcode);
	f->aad_len = (size_t)(f->tag - f->aad);
	make_nonce(f->nonce, pid_p, k);
}

int ovpn_aead_seal_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			 size_t pt_len, size_t cap, uint32_t pid,
			 struct ovpn_aead_frame *f)
{
	int hdr;

	if (!k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_tx_hdr(k, pkt, pt_len, cap, 0, pid);
	if (hdr < 0)
		return hdr;
	ovpn_put_be32(pkt + hdr, pid);
	frame_at(k, pkt, hdr, k->opcode, f);
	f->data_len = pt_len;
	return (int)(f->data - pkt + pt_len);
}

int ovpn_aead_open_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			 size_t len, struct ovpn_data_rx *rx,
			 struct ovpn_aead_frame *f)
{
	int hdr;

	if (!k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_rx_hdr(k, pkt, len, rx);
	if (hdr < 0)
		return hdr;
	/* packet-id + tag (OpenVPN src/openvpn/crypto.c openvpn_decrypt_aead)
	 * + at least one byte of ciphertext: nobody sends an empty packet. */
	if (len < (size_t)hdr + OVPN_DATA_PKTID_LEN + OVPN_AEAD_TAG_LEN + 1)
		return OVPN_DATA_ERR_SHORT;
	frame_at(k, pkt, hdr, rx->opcode, f);
	f->data_len = len - (size_t)(f->data - pkt);
	rx->pid = ovpn_get_be32(pkt + hdr);
	rx->off = (uint16_t)(f->data - pkt);
	return (int)f->data_len;
}

int ovpn_aead_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		   size_t cap, uint32_t pid)
{
	struct ovpn_aead_frame f;
	int len, n, fin;

	len = ovpn_aead_seal_frame(k, pkt, pt_len, cap, pid, &f);
	if (len < 0)
		return len;
	if (!EVP_EncryptInit_ex2(k->cctx, NULL, NULL, f.nonce, NULL) ||
	    !EVP_EncryptUpdate(k->cctx, NULL, &n, f.aad, (int)f.aad_len) ||
	    !EVP_EncryptUpdate(k->cctx, f.data, &n, f.data, (int)pt_len) ||
	    !EVP_EncryptFinal_ex(k->cctx, f.data + n, &fin) ||
	    !EVP_CIPHER_CTX_ctrl(k->cctx, EVP_CTRL_AEAD_GET_TAG,
				 OVPN_AEAD_TAG_LEN, f.tag))
		return OVPN_DATA_ERR_CRYPTO;
	return len;
}

int ovpn_aead_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		   struct ovpn_data_rx *rx)
{
	struct ovpn_aead_frame f;
	int ct_len, n, fin;

	ct_len = ovpn_aead_open_frame(k, pkt, len, rx, &f);
	if (ct_len < 0)
		return ct_len;
	if (!EVP_DecryptInit_ex2(k->cctx, NULL, NULL, f.nonce, NULL) ||
	    !EVP_DecryptUpdate(k->cctx, NULL, &n, f.aad, (int)f.aad_len) ||
	    !EVP_DecryptUpdate(k->cctx, f.data, &n, f.data, ct_len) ||
	    !EVP_CIPHER_CTX_ctrl(k->cctx, EVP_CTRL_AEAD_SET_TAG,
				 OVPN_AEAD_TAG_LEN, f.tag))
		return OVPN_DATA_ERR_CRYPTO;
	if (EVP_DecryptFinal_ex(k->cctx, f.data + n, &fin) != 1)
		return OVPN_DATA_ERR_AUTH;
	return ct_len;
}
