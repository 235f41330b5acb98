/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in for the ipsec-mb backend when the build did not find
 * intel-ipsec-mb (see ovpn_imb.h): it runs nowhere, does nothing, and every
 * key asking for it falls back to OpenSSL.
 */
#include <stdio.h>

#include "ovpn_imb.h"

int ovpn_imb_probe(char *why, size_t len)
{
	if (why != NULL && len > 0)
		snprintf(why, len, "built without intel-ipsec-mb");
	return -1;
}

bool ovpn_imb_has(enum ovpn_data_alg alg, enum ovpn_data_md md)
{
	(void)alg;
	(void)md;
	return false;
}

size_t ovpn_imb_key_len(enum ovpn_data_alg alg, enum ovpn_data_md md)
{
	(void)alg;
	(void)md;
	return 0;
}

void ovpn_imb_key_init(struct ovpn_data_key *k, const struct ovpn_data_key_cfg *cfg)
{
	(void)k;
	(void)cfg;
}

struct ovpn_imb_engine *ovpn_imb_engine_new(void)
{
	return NULL;
}

void ovpn_imb_engine_free(struct ovpn_imb_engine *e)
{
	(void)e;
}

void ovpn_imb_seal_burst(struct ovpn_imb_engine *e, struct ovpn_data_op **ops,
			 unsigned int n)
{
	(void)e;
	(void)ops;
	(void)n;
}

void ovpn_imb_open_burst(struct ovpn_imb_engine *e, struct ovpn_data_op **ops,
			 unsigned int n)
{
	(void)e;
	(void)ops;
	(void)n;
}
