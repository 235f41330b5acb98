/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command ring (sl_cmd) in hugepage memory is readable by any process
 * that maps the data plane's memory. A KEY_NEW command carries key bytes:
 * once the data plane has taken one, nothing of it may stay in the ring's
 * slot (dp_cmd_poll wipes the slot, not only its own copy).
 */
#include <string.h>

#include <rte_ring.h>

#include "dp_fixture.h"
#include "sl_addr.h"
#include "sl_test.h"

#define PEER	3u

/* Does the ring's memory (header and every slot) hold the 32 bytes of pat? */
static bool ring_holds(const struct rte_ring *r, const uint8_t *pat, size_t len)
{
	const uint8_t *mem = (const uint8_t *)r;
	ssize_t size = rte_ring_get_memsize_elem(sizeof(struct sl_cmd), r->size);

	for (ssize_t i = 0; i + (ssize_t)len <= size; i++)
		if (memcmp(mem + i, pat, len) == 0)
			return true;
	return false;
}

static void key_cmd(struct sl_cmd *c, uint8_t fill)
{
	memset(c, 0, sizeof(*c));
	c->type = SL_CMD_KEY_NEW;
	c->version = SL_API_VERSION;
	c->peer_id = PEER;
	c->u.key.cipher = SL_CIPHER_AES_256_GCM;
	memset(c->u.key.encrypt.key, fill, sizeof(c->u.key.encrypt.key));
	memset(c->u.key.decrypt.key, fill + 1, sizeof(c->u.key.decrypt.key));
	memset(c->u.key.encrypt.nonce_tail, fill + 2, SL_NONCE_TAIL_LEN);
	memset(c->u.key.decrypt.nonce_tail, fill + 3, SL_NONCE_TAIL_LEN);
}

static int test_key_slots_wiped(void)
{
	uint8_t enc[SL_KEY_LEN_MAX], dec[SL_KEY_LEN_MAX];
	struct sl_cmd c;
	struct sl_event e;

	CHECK(fx_reset() == 0);
	CHECK(fx_add_peer(PEER, FX_VPN_IP) == 0);
	/* Several commands, so slots other than the first are used too. */
	for (uint8_t i = 0; i < 5; i++) {
		key_cmd(&c, (uint8_t)(0x40 + 4 * i));
		c.seq = i;
		c.u.key.slot = i & 1;
		c.u.key.key_id = i & 7;
		CHECK(rte_ring_enqueue_elem(fx.dp.cmd, &c, sizeof(c)) == 0);
	}
	dp_cmd_poll(&fx.dp);
	CHECK(rte_ring_count(fx.dp.cmd) == 0);
	for (uint8_t i = 0; i < 5; i++) {
		CHECK(rte_ring_dequeue_elem(fx.dp.evt, &e, sizeof(e)) == 0);
		CHECK(e.type == SL_EVT_RESULT && e.seq == i && e.result == 0);
		memset(enc, 0x40 + 4 * i, sizeof(enc));
		memset(dec, 0x41 + 4 * i, sizeof(dec));
		CHECK(!ring_holds(fx.dp.cmd, enc, sizeof(enc)));
		CHECK(!ring_holds(fx.dp.cmd, dec, sizeof(dec)));
	}
	return 0;
}

/* A refused command is wiped as well (its key bytes are as secret). */
static int test_refused_key_wiped(void)
{
	uint8_t enc[SL_KEY_LEN_MAX];
	struct sl_cmd c;
	struct sl_event e;

	CHECK(fx_reset() == 0);
	key_cmd(&c, 0x90);
	c.peer_id = 77;		/* no such peer */
	CHECK(rte_ring_enqueue_elem(fx.dp.cmd, &c, sizeof(c)) == 0);
	dp_cmd_poll(&fx.dp);
	CHECK(rte_ring_dequeue_elem(fx.dp.evt, &e, sizeof(e)) == 0);
	CHECK(e.result != 0);
	memset(enc, 0x90, sizeof(enc));
	CHECK(!ring_holds(fx.dp.cmd, enc, sizeof(enc)));
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "KEY_NEW leaves no key bytes in the ring's slots", test_key_slots_wiped },
	{ "a refused KEY_NEW leaves none either", test_refused_key_wiped },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	int rc;

	(void)argc;
	if (fx_init(argv[0]) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	rc = sl_test_run("dp_cmd", cases);
	fx_fini();
	return rc;
}
