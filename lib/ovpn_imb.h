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

/* Bytes of key schedules a key of alg (and md, CBC) needs, a multiple of
 * OVPN_DATA_KEY_ALIGN; 0 if the backend cannot do it here (the key falls
 * back to OpenSSL). */
size_t ovpn_imb_key_len(enum ovpn_data_alg alg, enum ovpn_data_md md);
/* Expand cfg's key into k->imb (ovpn_imb_key_len() bytes, aligned, owned
 * and wiped by ovpn_data.c; k's framing fields, aead and hmac_len among
 * them, are set; cfg was checked and the backend can do it). */
void ovpn_imb_key_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg);

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
