/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Legacy CBC + HMAC data channel (see ovpn_cbc.h): encrypt-then-MAC, HMAC over
 * IV || ciphertext only, random IV on the wire, 4-byte packet-id as the
 * first encrypted bytes, PKCS#7 padding of 1..16 bytes.
 *
 * Both contexts are keyed once in ovpn_data_key_init(); per packet the
 * cipher gets a new IV and the HMAC is re-initialised with its stored key.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ovpn_cbc.h"
#include "ovpn_hdr.h"

static int hmac(struct ovpn_data_key *k, const uint8_t *data, size_t len,
		uint8_t out[OVPN_HMAC_MAX_LEN])
{
	size_t n;

	/* NULL key: reuse the key set at init. */
	if (!EVP_MAC_init(k->hmac, NULL, 0, NULL) ||
	    !EVP_MAC_update(k->hmac, data, len) ||
	    !EVP_MAC_final(k->hmac, out, &n, OVPN_HMAC_MAX_LEN) ||
	    n != k->hmac_len)
		return OVPN_DATA_ERR_CRYPTO;
	return 0;
}

/* Pad length for 4 bytes of packet-id plus the payload: always 1..16. */
static size_t pad_len(size_t pt_len)
{
	return OVPN_CBC_BLOCK_LEN - (OVPN_DATA_PKTID_LEN + pt_len) % OVPN_CBC_BLOCK_LEN;
}

int ovpn_cbc_seal_iv(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, uint32_t pid, const uint8_t iv[OVPN_CBC_IV_LEN])
{
	size_t pad = pad_len(pt_len), ct_len = OVPN_DATA_PKTID_LEN + pt_len + pad;
	uint8_t *mac, *ivp, *ct;
	int hdr, n, rc;

	if (k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_tx_hdr(k, pkt, pt_len, cap, pad, pid);
	if (hdr < 0)
		return hdr;
	mac = pkt + hdr;
	ivp = mac + k->hmac_len;
	ct = ivp + OVPN_CBC_IV_LEN;
	memcpy(ivp, iv, OVPN_CBC_IV_LEN);
	ovpn_put_be32(ct, pid);
	memset(ct + OVPN_DATA_PKTID_LEN + pt_len, (int)pad, pad);

	if (!EVP_EncryptInit_ex2(k->cctx, NULL, NULL, ivp, NULL) ||
	    !EVP_EncryptUpdate(k->cctx, ct, &n, ct, (int)ct_len) ||
	    (size_t)n != ct_len)
		return OVPN_DATA_ERR_CRYPTO;
	rc = hmac(k, ivp, OVPN_CBC_IV_LEN + ct_len, mac);
	if (rc < 0)
		return rc;
	return (int)(ct - pkt + ct_len);
}

int ovpn_cbc_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		  size_t cap, uint32_t pid)
{
	if (k->aead)
		return OVPN_DATA_ERR_INVAL;
	/* One RNG call per OVPN_CBC_IV_POOL packets; every IV is used once. */
	if (k->u.iv.next >= OVPN_CBC_IV_POOL) {
		if (RAND_bytes(&k->u.iv.pool[0][0], sizeof(k->u.iv.pool)) != 1)
			return OVPN_DATA_ERR_CRYPTO;
		k->u.iv.next = 0;
	}
	return ovpn_cbc_seal_iv(k, pkt, pt_len, cap, pid,
				k->u.iv.pool[k->u.iv.next++]);
}

/* PKCS#7 check on authenticated plaintext: no padding oracle to worry
 * about, the HMAC was verified first. Returns the pad length or 0. */
static size_t pad_check(const uint8_t *pt, size_t len)
{
	size_t pad = pt[len - 1];

	if (pad == 0 || pad > OVPN_CBC_BLOCK_LEN || pad > len)
		return 0;
	for (size_t i = len - pad; i < len - 1; i++)
		if (pt[i] != pad)
			return 0;
	return pad;
}

int ovpn_cbc_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		  struct ovpn_data_rx *rx)
{
	uint8_t want[OVPN_HMAC_MAX_LEN];
	uint8_t *mac, *ivp, *ct;
	size_t ct_len, pad;
	int hdr, n, rc;

	if (k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_rx_hdr(k, pkt, len, rx);
	if (hdr < 0)
		return hdr;
	if (len < (size_t)hdr + k->hmac_len + OVPN_CBC_IV_LEN + OVPN_CBC_BLOCK_LEN)
		return OVPN_DATA_ERR_SHORT;
	mac = pkt + hdr;
	ivp = mac + k->hmac_len;
	ct = ivp + OVPN_CBC_IV_LEN;
	ct_len = len - (size_t)(ct - pkt);
	if (ct_len % OVPN_CBC_BLOCK_LEN != 0)
		return OVPN_DATA_ERR_BLOCK_LEN;

	rc = hmac(k, ivp, OVPN_CBC_IV_LEN + ct_len, want);
	if (rc < 0)
		return rc;
	if (CRYPTO_memcmp(want, mac, k->hmac_len) != 0)
		return OVPN_DATA_ERR_AUTH;
	if (!EVP_DecryptInit_ex2(k->cctx, NULL, NULL, ivp, NULL) ||
	    !EVP_DecryptUpdate(k->cctx, ct, &n, ct, (int)ct_len) ||
	    (size_t)n != ct_len)
		return OVPN_DATA_ERR_CRYPTO;

	pad = pad_check(ct, ct_len);
	if (pad == 0 || ct_len - pad < OVPN_DATA_PKTID_LEN)
		return OVPN_DATA_ERR_PADDING;
	if (ct_len - pad == OVPN_DATA_PKTID_LEN)
		return OVPN_DATA_ERR_SHORT;	/* authenticated but empty */
	rx->pid = ovpn_get_be32(ct);
	rx->off = (uint16_t)(ct - pkt + OVPN_DATA_PKTID_LEN);
	return (int)(ct_len - pad - OVPN_DATA_PKTID_LEN);
}
