/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_IMB_H
#define OVPN_IMB_H

/*
 * Private to lib/: the intel-ipsec-mb backend (ovpn_imb.c) behind the key
 * life cycle (ovpn_data.c) and the burst API (ovpn_engine.c). Built without
 * the library, ovpn_imb_none.c stands in: probe fails, nothing is supported,
 * every key falls back to OpenSSL.
 *
 * Framing, checks and verdicts are the OpenSSL codecs' own (the *_frame
 * functions of ovpn_aead.h and ovpn_cbc.h); this backend only replaces the
 * arithmetic, a burst of jobs at a time.
 */
#include <stdbool.h>
#include <stddef.h>

#include "ovpn_data.h"

struct ovpn_data_op;

/* Most ops one ovpn_imb_*_burst() call takes: its scratch is this big. The
 * engine cuts longer bursts. */
#define OVPN_IMB_BURST	64

/* 0 if the library runs here; arch ("avx512", ...) or a reason in why. */
int ovpn_imb_probe(char *why, size_t len);
/* Can the backend do alg (with md for CBC) on this CPU? */
bool ovpn_imb_has(enum ovpn_data_alg alg, enum ovpn_data_md md);

/* Expand k's key material for the backend (k's framing fields, aead and
 * hmac_len among them, are set; cfg was checked). 0, ERR_INVAL if the backend cannot do the cipher here
 * (the caller falls back to OpenSSL), ERR_CRYPTO on allocation failure. */
int ovpn_imb_key_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg);
/* Wipe and free k->imb; NULL-safe, idempotent. */
void ovpn_imb_key_free(struct ovpn_data_key *k);

/* Per-thread manager and scratch. NULL if the backend cannot run or on
 * allocation failure. */
struct ovpn_imb_engine *ovpn_imb_engine_new(void);
void ovpn_imb_engine_free(struct ovpn_imb_engine *e);

/* ops[0..n), n <= OVPN_IMB_BURST, all with ipsec-mb keys: each op's result
 * and bytes as ovpn_data_seal()/ovpn_data_open() would give for an OpenSSL
 * key. */
void ovpn_imb_seal_burst(struct ovpn_imb_engine *e, struct ovpn_data_op **ops,
			 unsigned int n);
void ovpn_imb_open_burst(struct ovpn_imb_engine *e, struct ovpn_data_op **ops,
			 unsigned int n);

#endif
