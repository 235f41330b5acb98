/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Legacy CBC + HMAC data channel (see ovpn_cbc.h): encrypt-then-MAC, HMAC over
 * IV || ciphertext only, random IV on the wire, 4-byte packet-id as the
 * first encrypted bytes, PKCS#7 padding of 1..16 bytes.
 *
 * The framing (checks, layout, IV pool, padding) is in the *_frame/_done
 * functions and ovpn_cbc_next_iv(), which the ipsec-mb backend (ovpn_imb.c)
 * shares. Both contexts are keyed once in ovpn_data_key_init(); per packet
 * the cipher gets a new IV and the HMAC starts from the key's precomputed
 * inner/outer states (ovpn_hmac.c), so nothing is allocated.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ovpn_cbc.h"
#include "ovpn_hdr.h"
#include "ovpn_hmac.h"

static int hmac(struct ovpn_data_key *k, const uint8_t *data, size_t len,
		uint8_t out[OVPN_HMAC_MAX_LEN])
{
	/* The key's precomputed states: nothing allocated (ovpn_hmac.h). */
	return ovpn_hmac_calc(k->hmac, data, len, out) == k->hmac_len ? 0 : OVPN_DATA_ERR_CRYPTO;
}

/* Pad length for 4 bytes of packet-id plus the payload: always 1..16. */
static size_t pad_len(size_t pt_len)
{
	return OVPN_CBC_BLOCK_LEN - (OVPN_DATA_PKTID_LEN + pt_len) % OVPN_CBC_BLOCK_LEN;
}

int ovpn_cbc_seal_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			size_t pt_len, size_t cap, uint32_t pid,
			const uint8_t iv[OVPN_CBC_IV_LEN], struct ovpn_cbc_frame *f)
{
	size_t pad = pad_len(pt_len);
	int hdr;

	if (k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_tx_hdr(k, pkt, pt_len, cap, pad, pid);
	if (hdr < 0)
		return hdr;
	f->mac = pkt + hdr;
	f->iv = f->mac + k->hmac_len;
	f->ct = f->iv + OVPN_CBC_IV_LEN;
	f->ct_len = OVPN_DATA_PKTID_LEN + pt_len + pad;
	memcpy(f->iv, iv, OVPN_CBC_IV_LEN);
	ovpn_put_be32(f->ct, pid);
	memset(f->ct + OVPN_DATA_PKTID_LEN + pt_len, (int)pad, pad);
	return (int)(f->ct - pkt + f->ct_len);
}

int ovpn_cbc_seal_iv(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		     size_t cap, uint32_t pid, const uint8_t iv[OVPN_CBC_IV_LEN])
{
	struct ovpn_cbc_frame f;
	int len, n, rc;

	len = ovpn_cbc_seal_frame(k, pkt, pt_len, cap, pid, iv, &f);
	if (len < 0)
		return len;
	if (!EVP_EncryptInit_ex2(k->cctx, NULL, NULL, f.iv, NULL) ||
	    !EVP_EncryptUpdate(k->cctx, f.ct, &n, f.ct, (int)f.ct_len) ||
	    (size_t)n != f.ct_len)
		return OVPN_DATA_ERR_CRYPTO;
	rc = hmac(k, f.iv, OVPN_CBC_IV_LEN + f.ct_len, f.mac);
	if (rc < 0)
		return rc;
	return len;
}

const uint8_t *ovpn_cbc_next_iv(struct ovpn_data_key *k)
{
	if (k->iv_pool == NULL)		/* not a CBC TX key: no pool */
		return NULL;
	/* One RNG call per OVPN_CBC_IV_POOL packets; every IV is used once. */
	if (k->u.iv_next >= OVPN_CBC_IV_POOL) {
		if (RAND_bytes(&k->iv_pool[0][0], OVPN_CBC_IV_POOL * OVPN_CBC_IV_LEN) != 1)
			return NULL;
		k->u.iv_next = 0;
	}
	return k->iv_pool[k->u.iv_next++];
}

int ovpn_cbc_seal(struct ovpn_data_key *k, uint8_t *pkt, size_t pt_len,
		  size_t cap, uint32_t pid)
{
	const uint8_t *iv;

	if (k->aead || k->iv_pool == NULL)	/* an RX key has no IVs */
		return OVPN_DATA_ERR_INVAL;
	iv = ovpn_cbc_next_iv(k);
	if (iv == NULL)
		return OVPN_DATA_ERR_CRYPTO;
	return ovpn_cbc_seal_iv(k, pkt, pt_len, cap, pid, iv);
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

int ovpn_cbc_open_frame(const struct ovpn_data_key *k, uint8_t *pkt,
			size_t len, struct ovpn_data_rx *rx, struct ovpn_cbc_frame *f)
{
	int hdr;

	if (k->aead)
		return OVPN_DATA_ERR_INVAL;
	hdr = ovpn_data_rx_hdr(k, pkt, len, rx);
	if (hdr < 0)
		return hdr;
	if (len < (size_t)hdr + k->hmac_len + OVPN_CBC_IV_LEN + OVPN_CBC_BLOCK_LEN)
		return OVPN_DATA_ERR_SHORT;
	f->mac = pkt + hdr;
	f->iv = f->mac + k->hmac_len;
	f->ct = f->iv + OVPN_CBC_IV_LEN;
	f->ct_len = len - (size_t)(f->ct - pkt);
	if (f->ct_len % OVPN_CBC_BLOCK_LEN != 0)
		return OVPN_DATA_ERR_BLOCK_LEN;
	return 0;
}

int ovpn_cbc_open_done(const uint8_t *pkt, const struct ovpn_cbc_frame *f,
		       struct ovpn_data_rx *rx)
{
	size_t pad = pad_check(f->ct, f->ct_len);

	if (pad == 0 || f->ct_len - pad < OVPN_DATA_PKTID_LEN)
		return OVPN_DATA_ERR_PADDING;
	if (f->ct_len - pad == OVPN_DATA_PKTID_LEN)
		return OVPN_DATA_ERR_SHORT;	/* authenticated but empty */
	rx->pid = ovpn_get_be32(f->ct);
	rx->off = (uint16_t)(f->ct - pkt + OVPN_DATA_PKTID_LEN);
	return (int)(f->ct_len - pad - OVPN_DATA_PKTID_LEN);
}

int ovpn_cbc_open(struct ovpn_data_key *k, uint8_t *pkt, size_t len,
		  struct ovpn_data_rx *rx)
{
	uint8_t want[OVPN_HMAC_MAX_LEN];
	struct ovpn_cbc_frame f;
	int n, rc;

	rc = ovpn_cbc_open_frame(k, pkt, len, rx, &f);
	if (rc < 0)
		return rc;
	rc = hmac(k, f.iv, OVPN_CBC_IV_LEN + f.ct_len, want);
	if (rc < 0)
		return rc;
	if (CRYPTO_memcmp(want, f.mac, k->hmac_len) != 0)
		return OVPN_DATA_ERR_AUTH;
	if (!EVP_DecryptInit_ex2(k->cctx, NULL, NULL, f.iv, NULL) ||
	    !EVP_DecryptUpdate(k->cctx, f.ct, &n, f.ct, (int)f.ct_len) ||
	    (size_t)n != f.ct_len)
		return OVPN_DATA_ERR_CRYPTO;
	return ovpn_cbc_open_done(pkt, &f, rx);
}
