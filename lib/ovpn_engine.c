/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backends and the burst API (see ovpn_engine.h): probe, names, the
 * per-thread engine, and the burst functions, which run OpenSSL keys one
 * packet at a time through the codecs and hand ipsec-mb keys to ovpn_imb.c
 * in batches of up to OVPN_IMB_BURST, keeping every op's own result.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ovpn_engine.h"
#include "ovpn_imb.h"

struct ovpn_engine {
	struct ovpn_imb_engine *imb;	/* NULL if ipsec-mb cannot run here */
};

const char *ovpn_backend_name(enum ovpn_backend b)
{
	switch (b) {
	case OVPN_BACKEND_OPENSSL: return "openssl";
	case OVPN_BACKEND_IPSEC_MB: return "ipsec-mb";
	default: return "unknown";
	}
}

int ovpn_backend_probe(enum ovpn_backend b, char *why, size_t len)
{
	switch (b) {
	case OVPN_BACKEND_OPENSSL:
		if (why != NULL && len > 0)
			snprintf(why, len, "evp");
		return 0;
	case OVPN_BACKEND_IPSEC_MB:
		return ovpn_imb_probe(why, len);
	default:
		if (why != NULL && len > 0)
			snprintf(why, len, "unknown backend");
		return -1;
	}
}

bool ovpn_backend_has(enum ovpn_backend b, enum ovpn_data_alg alg, enum ovpn_data_md md)
{
	if (b == OVPN_BACKEND_IPSEC_MB)
		return ovpn_imb_has(alg, md);
	/* OpenSSL does every pairing ovpn_data_key_init() accepts. */
	return b == OVPN_BACKEND_OPENSSL &&
	       (unsigned int)alg < OVPN_DATA_ALG_NUM &&
	       (unsigned int)md < OVPN_DATA_MD_NUM &&
	       (alg <= OVPN_DATA_ALG_CHACHA20_POLY1305) == (md == OVPN_DATA_MD_NONE);
}

enum ovpn_backend ovpn_data_key_backend(const struct ovpn_data_key *k)
{
	return (enum ovpn_backend)k->backend;
}

struct ovpn_engine *ovpn_engine_new(void)
{
	struct ovpn_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	/* No ipsec-mb here means no ipsec-mb keys either (ovpn_data_key_init
	 * fell back), so the engine is still whole without it. */
	if (ovpn_imb_probe(NULL, 0) == 0) {
		e->imb = ovpn_imb_engine_new();
		if (e->imb == NULL) {
			free(e);
			return NULL;
		}
	}
	return e;
}

void ovpn_engine_free(struct ovpn_engine *e)
{
	if (e == NULL)
		return;
	ovpn_imb_engine_free(e->imb);
	free(e);
}

/* One packet with an OpenSSL key, or the error an unusable op gets. */
static void one_op(struct ovpn_data_op *op, bool seal)
{
	if (op->k->backend != OVPN_BACKEND_OPENSSL)
		op->result = OVPN_DATA_ERR_INVAL;	/* no ipsec-mb engine */
	else if (seal)
		op->result = ovpn_data_seal(op->k, op->pkt, op->len, op->cap, op->pid);
	else
		op->result = ovpn_data_open(op->k, op->pkt, op->len, &op->rx);
}

static void burst(struct ovpn_engine *e, struct ovpn_data_op *ops, unsigned int n,
		  bool seal)
{
	struct ovpn_data_op *batch[OVPN_IMB_BURST];
	unsigned int nb = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct ovpn_data_op *op = &ops[i];

		if (op->k->backend != OVPN_BACKEND_IPSEC_MB || e == NULL || e->imb == NULL) {
			one_op(op, seal);
			continue;
		}
		batch[nb++] = op;
		if (nb < OVPN_IMB_BURST)
			continue;
		(seal ? ovpn_imb_seal_burst : ovpn_imb_open_burst)(e->imb, batch, nb);
		nb = 0;
	}
	if (nb > 0)
		(seal ? ovpn_imb_seal_burst : ovpn_imb_open_burst)(e->imb, batch, nb);
}

void ovpn_data_seal_burst(struct ovpn_engine *e, struct ovpn_data_op *ops, unsigned n)
{
	burst(e, ops, n, true);
}

void ovpn_data_open_burst(struct ovpn_engine *e, struct ovpn_data_op *ops, unsigned n)
{
	burst(e, ops, n, false);
}
