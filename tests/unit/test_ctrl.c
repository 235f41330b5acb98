/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control packet codec: layouts of OpenVPN src/openvpn/ssl_pkt.c and
 * reliable.c checked on captured packets, round trips
 * for every opcode and ack count, every truncation, malformed fields.
 */
#include <stdint.h>
#include <string.h>

#include "ovpn_ctrl.h"
#include "sl_test.h"

static const uint8_t csid[8] = { 0xb5, 0x91, 0x42, 0x14, 0xf9, 0x1b, 0x77, 0x21 };
static const uint8_t ssid[8] = { 0x52, 0x24, 0x79, 0x4f, 0x49, 0xa2, 0xf1, 0x8a };

static const unsigned ctrl_ops[] = {
	OVPN_P_CONTROL_SOFT_RESET_V1, OVPN_P_CONTROL_V1, OVPN_P_ACK_V1,
	OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, OVPN_P_CONTROL_HARD_RESET_SERVER_V2,
	OVPN_P_CONTROL_HARD_RESET_CLIENT_V3, OVPN_P_CONTROL_WKC_V1,
};
#define N_OPS (sizeof(ctrl_ops) / sizeof(ctrl_ops[0]))

static void fill(struct ovpn_ctrl_pkt *p, unsigned op, unsigned kid,
		 unsigned n_acks, const uint8_t *payload, size_t plen)
{
	memset(p, 0, sizeof(*p));
	p->opcode = (uint8_t)op;
	p->key_id = (uint8_t)kid;
	memcpy(p->sid, csid, 8);
	p->n_acks = (uint8_t)n_acks;
	for (unsigned i = 0; i < n_acks; i++)
		p->acks[i] = 0x01020304u * (i + 1);
	if (n_acks)
		memcpy(p->peer_sid, ssid, 8);
	p->has_msg_id = op != OVPN_P_ACK_V1;
	p->msg_id = p->has_msg_id ? 0xdeadbe00u + op : 0;
	if (p->has_msg_id) {
		p->payload = payload;
		p->payload_len = plen;
	}
}

static int same(const struct ovpn_ctrl_pkt *a, const struct ovpn_ctrl_pkt *b)
{
	CHECK_EQ(a->opcode, b->opcode);
	CHECK_EQ(a->key_id, b->key_id);
	CHECK_MEM(a->sid, b->sid, 8);
	CHECK_EQ(a->n_acks, b->n_acks);
	for (unsigned i = 0; i < a->n_acks; i++)
		CHECK_EQ(a->acks[i], b->acks[i]);
	if (a->n_acks)
		CHECK_MEM(a->peer_sid, b->peer_sid, 8);
	CHECK_EQ(a->has_msg_id, b->has_msg_id);
	CHECK_EQ(a->msg_id, b->msg_id);
	CHECK_EQ(a->payload_len, b->payload_len);
	if (a->payload_len)
		CHECK_MEM(a->payload, b->payload, a->payload_len);
	return 0;
}

/* The plain form (tls-auth / tls-crypt removed) of the captured hard resets
 * and ClientHello. */
static int test_capture_layouts(void)
{
	static const uint8_t client_reset[] = {
		0x38, 0xb5, 0x91, 0x42, 0x14, 0xf9, 0x1b, 0x77, 0x21,
		0x00, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t server_reset[] = {
		0x40, 0x52, 0x24, 0x79, 0x4f, 0x49, 0xa2, 0xf1, 0x8a,
		0x01, 0x00, 0x00, 0x00, 0x00,
		0xb5, 0x91, 0x42, 0x14, 0xf9, 0x1b, 0x77, 0x21,
		0x00, 0x00, 0x00, 0x00 };
	static const uint8_t hello_inner[] = {
		0x01, 0x00, 0x00, 0x00, 0x00,
		0x52, 0x1b, 0xed, 0xbe, 0x24, 0xc5, 0x2c, 0x4d,
		0x00, 0x00, 0x00, 0x01, 0x16, 0x03, 0x01, 0x01, 0x10, 0x01 };
	struct ovpn_ctrl_pkt p, q;
	uint8_t buf[64];

	fill(&p, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, 0, 0, NULL, 0);
	p.msg_id = 0;
	CHECK_EQ(ovpn_ctrl_build(&p, buf, sizeof(buf)), sizeof(client_reset));
	CHECK_MEM(buf, client_reset, sizeof(client_reset));
	/* 42 bytes with tls-auth SHA1 (+20+8), 54 with tls-crypt (+40). */
	CHECK_EQ(sizeof(client_reset) + 28, 42);
	CHECK_EQ(sizeof(client_reset) + 40, 54);

	CHECK_EQ(ovpn_ctrl_parse(server_reset, sizeof(server_reset), &q), 0);
	CHECK_EQ(q.opcode, OVPN_P_CONTROL_HARD_RESET_SERVER_V2);
	CHECK_MEM(q.sid, ssid, 8);
	CHECK_EQ(q.n_acks, 1);
	CHECK_EQ(q.acks[0], 0);
	CHECK_MEM(q.peer_sid, csid, 8);
	CHECK_EQ(q.msg_id, 0);
	CHECK_EQ(q.payload_len, 0);
	CHECK_EQ(sizeof(server_reset) + 40, 66);

	CHECK_EQ(ovpn_ctrl_parse_inner(OVPN_P_CONTROL_V1, hello_inner,
				       sizeof(hello_inner), &q), 0);
	CHECK_EQ(q.n_acks, 1);
	CHECK_EQ(q.msg_id, 1);
	CHECK_EQ(q.payload_len, 6);
	CHECK_EQ(q.payload[0], 0x16);
	return 0;
}

static int test_round_trip(void)
{
	static uint8_t payload[OVPN_MAX_CONTROL_MSG];
	uint8_t buf[OVPN_CTRL_PLAIN_MAX];
	struct ovpn_ctrl_pkt p, q;

	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	for (unsigned o = 0; o < N_OPS; o++) {
		for (unsigned n = 0; n <= OVPN_ACK_MAX; n++) {
			static const size_t plens[] = { 0, 1, 100,
							OVPN_MAX_CONTROL_MSG };

			for (unsigned k = 0; k < 4; k++) {
				int len;

				fill(&p, ctrl_ops[o], n % 8, n, payload, plens[k]);
				len = ovpn_ctrl_build(&p, buf, sizeof(buf));
				CHECK_EQ(len, ovpn_ctrl_plain_len(&p));
				CHECK_EQ(ovpn_ctrl_parse(buf, (size_t)len, &q), 0);
				CHECK(same(&p, &q) == 0);
			}
		}
	}
	return 0;
}

/* Every length shorter than the fixed part fails; payload bytes may go. */
static int test_truncation(void)
{
	static const uint8_t payload[40] = { 1, 2, 3 };
	uint8_t buf[256];
	struct ovpn_ctrl_pkt p, q;

	for (unsigned o = 0; o < N_OPS; o++) {
		for (unsigned n = 0; n <= OVPN_ACK_MAX; n += 4) {
			int full;
			size_t fixed;

			fill(&p, ctrl_ops[o], 0, n, payload, sizeof(payload));
			full = ovpn_ctrl_build(&p, buf, sizeof(buf));
			CHECK(full > 0);
			fixed = (size_t)full - p.payload_len;
			for (size_t len = 0; len < (size_t)full; len++) {
				int rc = ovpn_ctrl_parse(buf, len, &q);

				if (len < fixed) {
					CHECK_EQ(rc, -OVPN_CTRL_E_SHORT);
				} else {
					CHECK_EQ(rc, 0);
					CHECK_EQ(q.payload_len, len - fixed);
				}
			}
			/* Builder: every too-small buffer is refused. */
			for (size_t cap = 0; cap < (size_t)full; cap++)
				CHECK_EQ(ovpn_ctrl_build(&p, buf, cap),
					 -OVPN_CTRL_E_NOSPACE);
		}
	}
	return 0;
}

static int test_bad_opcodes(void)
{
	uint8_t buf[32] = { 0 };
	struct ovpn_ctrl_pkt q;

	for (unsigned op = 0; op < 32; op++) {
		int rc;

		buf[0] = (uint8_t)(op << 3 | 5);
		rc = ovpn_ctrl_parse(buf, sizeof(buf), &q);
		if (op == 0 || op == 6 || op == 9 || op > 11) {
			CHECK_EQ(rc, -OVPN_CTRL_E_OPCODE);
			CHECK(!ovpn_ctrl_opcode_valid(op));
		} else if (op == 1 || op == 2) {
			CHECK_EQ(rc, -OVPN_CTRL_E_KEY_METHOD_1);
			CHECK_EQ(q.opcode, op);
			CHECK_EQ(q.key_id, 5);
		} else if (op == OVPN_P_ACK_V1) {
			CHECK_EQ(rc, -OVPN_CTRL_E_TRAILING);
		} else {
			CHECK_EQ(rc, 0);
			CHECK_EQ(q.key_id, 5);
		}
	}
	CHECK_STR(ovpn_ctrl_opcode_name(OVPN_P_CONTROL_WKC_V1), "P_CONTROL_WKC_V1");
	CHECK_STR(ovpn_ctrl_opcode_name(0), "?");
	CHECK_STR(ovpn_ctrl_opcode_name(200), "?");
	return 0;
}

static int test_ack_count(void)
{
	uint8_t buf[9 + 1 + 4 * 9 + 8 + 4] = { 0x20 };
	struct ovpn_ctrl_pkt q, p;

	buf[9] = 9;	/* room for 9 ids + sid + msg-id, still refused */
	CHECK_EQ(ovpn_ctrl_parse(buf, sizeof(buf), &q), -OVPN_CTRL_E_ACK_COUNT);
	buf[9] = 255;
	CHECK_EQ(ovpn_ctrl_parse(buf, sizeof(buf), &q), -OVPN_CTRL_E_ACK_COUNT);
	fill(&p, OVPN_P_CONTROL_V1, 0, 0, NULL, 0);
	p.n_acks = 9;
	CHECK_EQ(ovpn_ctrl_build(&p, buf, sizeof(buf)), -OVPN_CTRL_E_INVAL);
	p.n_acks = 0;
	p.key_id = 8;
	CHECK_EQ(ovpn_ctrl_build(&p, buf, sizeof(buf)), -OVPN_CTRL_E_INVAL);
	return 0;
}

static int test_ack_only(void)
{
	uint8_t buf[64];
	struct ovpn_ctrl_pkt p, q;
	int len;

	fill(&p, OVPN_P_ACK_V1, 0, 3, NULL, 0);
	len = ovpn_ctrl_build(&p, buf, sizeof(buf));
	CHECK_EQ(len, 9 + 1 + 12 + 8);
	CHECK_EQ(ovpn_ctrl_parse(buf, (size_t)len, &q), 0);
	CHECK(!q.has_msg_id);
	CHECK_EQ(q.payload_len, 0);
	buf[len] = 0;
	CHECK_EQ(ovpn_ctrl_parse(buf, (size_t)len + 1, &q), -OVPN_CTRL_E_TRAILING);
	/* An ACK with nothing to ack is legal on the wire: 10 bytes. */
	fill(&p, OVPN_P_ACK_V1, 0, 0, NULL, 0);
	CHECK_EQ(ovpn_ctrl_build(&p, buf, sizeof(buf)), 10);
	/* A payload on P_ACK_V1 cannot be built. */
	p.payload = buf;
	p.payload_len = 1;
	CHECK_EQ(ovpn_ctrl_build(&p, buf + 20, 40), -OVPN_CTRL_E_INVAL);
	return 0;
}

static int test_payload_limit(void)
{
	static uint8_t buf[OVPN_CTRL_PLAIN_MAX + 16];
	struct ovpn_ctrl_pkt p, q;
	size_t len = 9 + 1 + 4 + OVPN_MAX_CONTROL_MSG + 1;

	memset(buf, 0, sizeof(buf));
	buf[0] = ovpn_op_byte(OVPN_P_CONTROL_V1, 0);
	CHECK_EQ(ovpn_ctrl_parse(buf, len, &q), -OVPN_CTRL_E_PAYLOAD_LEN);
	CHECK_EQ(ovpn_ctrl_parse(buf, len - 1, &q), 0);
	fill(&p, OVPN_P_CONTROL_V1, 0, 0, buf, OVPN_MAX_CONTROL_MSG + 1);
	CHECK_EQ(ovpn_ctrl_build(&p, buf, sizeof(buf)), -OVPN_CTRL_E_PAYLOAD_LEN);
	return 0;
}

static int test_peek(void)
{
	uint8_t buf[9] = { 0x3a, 1, 2, 3, 4, 5, 6, 7, 8 }, op, kid, sid[8];

	for (size_t len = 0; len < 9; len++)
		CHECK_EQ(ovpn_ctrl_peek(buf, len, &op, &kid, sid), -OVPN_CTRL_E_SHORT);
	CHECK_EQ(ovpn_ctrl_peek(buf, 9, &op, &kid, sid), 0);
	CHECK_EQ(op, 7);
	CHECK_EQ(kid, 2);
	CHECK_MEM(sid, buf + 1, 8);
	buf[0] = 0x48;	/* P_DATA_V2 belongs to the data plane */
	CHECK_EQ(ovpn_ctrl_peek(buf, 9, &op, &kid, sid), -OVPN_CTRL_E_OPCODE);
	return 0;
}

static int test_tlv(void)
{
	/* RESEND_WKC as a 2.6 server sends it (ssl_pkt.c tls_reset_standalone). */
	static const uint8_t resend_wkc[] = { 0, 1, 0, 2, 0, 1 };
	static const uint8_t unknown[] = { 0, 9, 0, 3, 1, 2, 3, 0, 1, 0, 2, 0, 1 };
	uint8_t out[8];
	uint16_t flags;

	CHECK_EQ(ovpn_ctrl_tlv_build(OVPN_EARLY_NEG_FLAG_RESEND_WKC, out, 8), 6);
	CHECK_MEM(out, resend_wkc, 6);
	CHECK_EQ(ovpn_ctrl_tlv_build(1, out, 5), -OVPN_CTRL_E_NOSPACE);
	CHECK_EQ(ovpn_ctrl_tlv_parse(resend_wkc, 6, &flags), 0);
	CHECK_EQ(flags, OVPN_EARLY_NEG_FLAG_RESEND_WKC);
	CHECK_EQ(ovpn_ctrl_tlv_parse(unknown, sizeof(unknown), &flags), 0);
	CHECK_EQ(flags, 1);
	CHECK_EQ(ovpn_ctrl_tlv_parse(NULL, 0, &flags), 0);
	CHECK_EQ(flags, 0);
	for (size_t len = 1; len < 6; len++)
		CHECK_EQ(ovpn_ctrl_tlv_parse(resend_wkc, len, &flags), -OVPN_CTRL_E_TLV);
	/* EARLY_NEG_FLAGS with a length other than 2 is malformed. */
	static const uint8_t bad[] = { 0, 1, 0, 1, 7 };
	CHECK_EQ(ovpn_ctrl_tlv_parse(bad, sizeof(bad), &flags), -OVPN_CTRL_E_TLV);
	return 0;
}

static int test_strerror(void)
{
	CHECK_STR(ovpn_strerror(OVPN_CTRL_OK), "success");
	for (int e = OVPN_CTRL_E_SHORT; e < OVPN_CTRL_E_MAX; e++)
		CHECK(strcmp(ovpn_strerror(-e), "unknown error") != 0);
	CHECK_STR(ovpn_strerror(-OVPN_CTRL_E_ACK_COUNT), "ack count above 8");
	CHECK_STR(ovpn_strerror(-999), "unknown error");
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "layouts of the captured packets", test_capture_layouts },
	{ "round trip: every opcode, 0..8 acks", test_round_trip },
	{ "every truncation and output size", test_truncation },
	{ "opcodes 0..31 (V1 resets recognised)", test_bad_opcodes },
	{ "ack count above 8 refused", test_ack_count },
	{ "P_ACK_V1 layout, trailing bytes", test_ack_only },
	{ "payload limit 2048", test_payload_limit },
	{ "peek header", test_peek },
	{ "early-negotiation TLVs", test_tlv },
	{ "error table", test_strerror },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("ctrl", cases);
}
