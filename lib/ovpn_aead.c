/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AEAD data channel (AES-GCM, ChaCha20-Poly1305), OpenVPN 2.6 format (see
 * ovpn_aead.h): tag before the ciphertext, nonce = packet-id || nonce tail,
 * AAD = op/peer-id header + packet-id for V2, packet-id alone for V1.
 *
 * The EVP context was keyed in ovpn_data_key_init(); each packet only sets
 * the nonce, which in OpenSSL 3 neither allocates nor re-expands the key.
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

int ovpn_aead_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		   size_t cap, uint32_t pid)
{
	uint8_t nonce[OVPN_AEAD_NONCE_LEN];
	uint8_t *pid_p, *tag, *data;
	const uint8_t *aad;
	int hdr, n, fin;

	if (!k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_tx_hdr(k, pkt, pt_len, cap, 0, pid);
	if (hdr < 0)
		return hdr;
	pid_p = pkt + hdr;
	tag = pid_p + OVPN_DATA_PKTID_LEN;
	data = tag + OVPN_AEAD_TAG_LEN;
	ovpn_put_be32(pid_p, pid);
	make_nonce(nonce, pid_p, k);
	aad = aad_start(pkt, k->opcode);

	if (!EVP_EncryptInit_ex2(k->cctx, NULL, NULL, nonce, NULL) ||
	    !EVP_EncryptUpdate(k->cctx, NULL, &n, aad, (int)(tag - aad)) ||
	    !EVP_EncryptUpdate(k->cctx, data, &n, data, (int)pt_len) ||
	    !EVP_EncryptFinal_ex(k->cctx, data + n, &fin) ||
	    !EVP_CIPHER_CTX_ctrl(k->cctx, EVP_CTRL_AEAD_GET_TAG,
				 OVPN_AEAD_TAG_LEN, tag))
		return OVPN_DATA_ERR_CRYPTO;
	return (int)(data - pkt + pt_len);
}

int ovpn_aead_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		   struct ovpn_data_rx *rx)
{
	uint8_t nonce[OVPN_AEAD_NONCE_LEN];
	uint8_t *pid_p, *tag, *data;
	const uint8_t *aad;
	int hdr, n, fin;
	size_t ct_len;

	if (!k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_rx_hdr(k, pkt, len, rx);
	if (hdr < 0)
		return hdr;
	/* packet-id + tag (OpenVPN src/openvpn/crypto.c openvpn_decrypt_aead)
	 * + at least one byte of ciphertext: nobody sends an empty packet. */
	if (len < (size_t)hdr + OVPN_DATA_PKTID_LEN + OVPN_AEAD_TAG_LEN + 1)
		return OVPN_DATA_ERR_SHORT;
	pid_p = pkt + hdr;
	tag = pid_p + OVPN_DATA_PKTID_LEN;
	data = tag + OVPN_AEAD_TAG_LEN;
	ct_len = len - (size_t)(data - pkt);
	make_nonce(nonce, pid_p, k);
	aad = aad_start(pkt, rx->opcode);

	if (!EVP_DecryptInit_ex2(k->cctx, NULL, NULL, nonce, NULL) ||
	    !EVP_DecryptUpdate(k->cctx, NULL, &n, aad, (int)(tag - aad)) ||
	    !EVP_DecryptUpdate(k->cctx, data, &n, data, (int)ct_len) ||
	    !EVP_CIPHER_CTX_ctrl(k->cctx, EVP_CTRL_AEAD_SET_TAG,
				 OVPN_AEAD_TAG_LEN, tag))
		return OVPN_DATA_ERR_CRYPTO;
	if (EVP_DecryptFinal_ex(k->cctx, data + n, &fin) != 1)
		return OVPN_DATA_ERR_AUTH;
	rx->pid = ovpn_get_be32(pid_p);
	rx->off = (uint16_t)(data - pkt);
	return (int)ct_len;
}
