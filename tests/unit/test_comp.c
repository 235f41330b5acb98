/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compression framing (strip/frame tables, round trips, the KAT-5 comp-lzo
 * plaintext) and in-band messages (ping, OCC incl. EXIT).
 */
#include "ovpn_comp.h"
#include "ovpn_inband.h"
#include "sl_test.h"
#include "test_data_util.h"

#define NONE	OVPN_COMP_NONE
#define LZO	OVPN_COMP_LZO
#define STUB	OVPN_COMP_STUB
#define V2	OVPN_COMP_STUB_V2

/* RX rows: mode, framed input, expected result (length or error), payload. */
static const struct strip_row {
	enum ovpn_comp_mode mode;
	const char *in;
	int want;
	const char *out;
} strip_rows[] = {
	/*  1 */ { NONE, "4500", 2, "4500" },
	/*  2 */ { NONE, "fa45", 2, "fa45" },		/* no framing: raw */
	/*  3 */ { NONE, "", 0, "" },
	/*  4 */ { LZO, "fa4500", 2, "4500" },
	/*  5 */ { LZO, "fa", 0, "" },
	/*  6 */ { LZO, "66aabb", OVPN_DATA_ERR_LZO, NULL },
	/*  7 */ { LZO, "4500", OVPN_DATA_ERR_COMP_FRAMING, NULL },
	/*  8 */ { LZO, "fb4500", OVPN_DATA_ERR_COMP_FRAMING, NULL },
	/*  9 */ { LZO, "", 0, "" },
	/* 10 */ { STUB, "fb000045", 3, "450000" },	/* last byte back to front */
	/* 11 */ { STUB, "fb60", 1, "60" },
	/* 12 */ { STUB, "fb", 0, "" },
	/* 13 */ { STUB, "69aabb", OVPN_DATA_ERR_COMPRESSED, NULL },
	/* 14 */ { STUB, "fa4500", OVPN_DATA_ERR_COMP_FRAMING, NULL },
	/* 15 */ { STUB, "450000", OVPN_DATA_ERR_COMP_FRAMING, NULL },
	/* 16 */ { V2, "450000", 3, "450000" },	/* IP: untouched */
	/* 17 */ { V2, "60", 1, "60" },
	/* 18 */ { V2, "5000aabb", 2, "aabb" },
	/* 19 */ { V2, "500050", 1, "50" },		/* escaped 0x50 payload */
	/* 20 */ { V2, "5000", 0, "" },
	/* 21 */ { V2, "5001aabb", OVPN_DATA_ERR_COMPRESSED, NULL },	/* LZ4 */
	/* 22 */ { V2, "5002aabb", OVPN_DATA_ERR_LZO, NULL },
	/* 23 */ { V2, "5003aabb", OVPN_DATA_ERR_COMPRESSED, NULL },	/* Snappy */
	/* 24 */ { V2, "5004aabb", OVPN_DATA_ERR_COMP_FRAMING, NULL },
	/* 25 */ { V2, "50", OVPN_DATA_ERR_COMP_FRAMING, NULL },
	/* 26 */ { V2, "fa4500", 3, "fa4500" },	/* v1 bytes mean nothing in v2 */
};

static int test_strip_table(void)
{
	for (size_t i = 0; i < sizeof(strip_rows) / sizeof(strip_rows[0]); i++) {
		const struct strip_row *r = &strip_rows[i];
		uint8_t buf[16], want[16];
		size_t len = hex2bin(r->in, buf, sizeof(buf)), off = 99;
		int rc = ovpn_comp_strip(r->mode, buf, len, &off);

		if (rc != r->want ||
		    (rc >= 0 && (hex2bin(r->out, want, sizeof(want)) != (size_t)rc ||
				 memcmp(buf + off, want, (size_t)rc) != 0))) {
			fprintf(stderr, "strip row %zu: got %d (%s)\n", i + 1, rc,
				ovpn_err_name(rc));
			return -1;
		}
	}
	return 0;
}

/* TX: the framed bytes for a few first bytes, then strip gives them back. */
static int frame_one(enum ovpn_comp_mode mode, const char *payload, const char *framed)
{
	uint8_t buf[32], want[32], *p = buf + 4;
	size_t len = hex2bin(payload, p, 16), head, off;
	size_t flen = hex2bin(framed, want, sizeof(want));
	int rc;

	rc = ovpn_comp_frame(mode, p, len, 4, 4, &head);
	CHECK_EQ(rc, (int)flen);
	CHECK_MEM(p - head, want, flen);
	rc = ovpn_comp_strip(mode, p - head, flen, &off);
	CHECK_EQ(rc, (int)len);
	CHECK_EQ(hex2bin(payload, want, sizeof(want)), len);
	CHECK_MEM(p - head + off, want, len);
	return 0;
}

static int test_frame(void)
{
	CHECK_EQ(frame_one(NONE, "450000", "450000"), 0);
	CHECK_EQ(frame_one(LZO, "450000", "fa450000"), 0);
	CHECK_EQ(frame_one(LZO, "2a187b", "fa2a187b"), 0);
	CHECK_EQ(frame_one(STUB, "450011", "fb001145"), 0);
	CHECK_EQ(frame_one(STUB, "60", "fb60"), 0);
	CHECK_EQ(frame_one(V2, "450000", "450000"), 0);
	CHECK_EQ(frame_one(V2, "6000", "6000"), 0);
	CHECK_EQ(frame_one(V2, "50aa", "500050aa"), 0);
	CHECK_EQ(frame_one(V2, "50", "500050"), 0);
	CHECK_EQ(frame_one(V2, "fa", "fa"), 0);
	return 0;
}

static int test_frame_room(void)
{
	uint8_t buf[8] = { 0, 0, 0x50, 0x45 };
	size_t head;

	CHECK_EQ(ovpn_comp_frame(LZO, buf + 2, 2, 0, 4, &head), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_comp_frame(STUB, buf + 2, 2, 4, 0, &head), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_comp_frame(V2, buf + 2, 2, 1, 4, &head), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_comp_frame(V2, buf + 3, 1, 0, 0, &head), 1);	/* 0x45: no room needed */
	CHECK_EQ(ovpn_comp_frame(LZO, buf + 2, 0, 0, 0, &head), 0);	/* empty stays empty */
	CHECK_EQ(ovpn_comp_frame((enum ovpn_comp_mode)9, buf, 1, 2, 2, &head),
		 OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_comp_strip((enum ovpn_comp_mode)9, buf, 1, &head), OVPN_DATA_ERR_INVAL);
	return 0;
}

/* KAT-5's decrypted plaintext (comp-lzo no): one 0xFA, then IPv4. */
static int test_kat5_plain(void)
{
	uint8_t buf[64];
	size_t len = hex2bin("fa4500002dedc54000401138e80a0800020a080001dfc3270f00192de9"
			     "48454c4c4f2d4332532d5041594c4f4144", buf, sizeof(buf));
	size_t off;

	CHECK_EQ(len, 46);
	CHECK_EQ(ovpn_comp_strip(LZO, buf, len, &off), 45);
	CHECK_EQ(off, 1);
	CHECK_EQ(buf[off] >> 4, 4);
	/* The same plaintext under stub-v2 or no framing is left alone, and
	 * the swap stub refuses it. */
	CHECK_EQ(ovpn_comp_strip(V2, buf, len, &off), 46);
	CHECK_EQ(ovpn_comp_strip(STUB, buf, len, &off), OVPN_DATA_ERR_COMP_FRAMING);
	return 0;
}

static int test_ping(void)
{
	uint8_t buf[32];
	struct ovpn_occ_msg occ;

	CHECK_EQ(ovpn_inband_ping_build(buf, 15), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_inband_ping_build(buf, sizeof(buf)), 16);
	CHECK_EQ(hex2bin("2a187bf3641eb4cb07ed2d0a981fc748", buf + 16, 16), 16);
	CHECK_MEM(buf, buf + 16, 16);
	CHECK_EQ(ovpn_inband_parse(buf, 16, &occ), OVPN_INBAND_PING);
	CHECK_EQ(ovpn_inband_parse(buf, 17, &occ), OVPN_INBAND_NONE);	/* exact length */
	CHECK_EQ(ovpn_inband_parse(buf, 15, &occ), OVPN_INBAND_NONE);
	buf[15] ^= 1;
	CHECK_EQ(ovpn_inband_parse(buf, 16, &occ), OVPN_INBAND_NONE);
	/* Ping through the comp-lzo framing, as 2.6 sends it (OpenVPN
	 * src/openvpn/ping.c check_ping_send_dowork goes through encrypt_sign). */
	buf[15] ^= 1;
	{
		uint8_t framed[32];
		size_t head, off;
		int n;

		memcpy(framed + 1, buf, 16);
		n = ovpn_comp_frame(LZO, framed + 1, 16, 1, 0, &head);
		CHECK_EQ(n, 17);
		CHECK_EQ(framed[0], 0xFA);
		n = ovpn_comp_strip(LZO, framed, 17, &off);
		CHECK_EQ(ovpn_inband_parse(framed + off, (size_t)n, &occ), OVPN_INBAND_PING);
	}
	return 0;
}

static int test_occ(void)
{
	static const uint8_t exit_msg[] = {
		0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81,
		0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c, 0x06,
	};
	static const char opts[] = "V4,dev-type tun,link-mtu 1542";
	uint8_t buf[64];
	struct ovpn_occ_msg occ;

	CHECK_EQ(ovpn_inband_occ_build(buf, sizeof(buf), OVPN_OCC_EXIT, NULL, 0), 17);
	CHECK_MEM(buf, exit_msg, sizeof(exit_msg));
	CHECK_EQ(ovpn_inband_parse(buf, 17, &occ), OVPN_INBAND_OCC);
	CHECK_EQ(occ.op, OVPN_OCC_EXIT);
	CHECK_EQ(occ.body_len, 0);
	/* A reply with its NUL-terminated options string. */
	CHECK_EQ(ovpn_inband_occ_build(buf, sizeof(buf), OVPN_OCC_REPLY,
				       (const uint8_t *)opts, sizeof(opts)), 17 + (int)sizeof(opts));
	CHECK_EQ(ovpn_inband_parse(buf, 17 + sizeof(opts), &occ), OVPN_INBAND_OCC);
	CHECK_EQ(occ.op, OVPN_OCC_REPLY);
	CHECK_EQ(occ.body_len, sizeof(opts));
	CHECK_STR((const char *)occ.body, opts);
	/* Magic without an opcode, a broken magic, IP: not OCC. */
	CHECK_EQ(ovpn_inband_parse(buf, 16, &occ), OVPN_INBAND_NONE);
	buf[7] ^= 0x80;
	CHECK_EQ(ovpn_inband_parse(buf, 17, &occ), OVPN_INBAND_NONE);
	buf[0] = 0x45;
	CHECK_EQ(ovpn_inband_parse(buf, 40, &occ), OVPN_INBAND_NONE);
	CHECK_EQ(ovpn_inband_parse(buf, 0, &occ), OVPN_INBAND_NONE);
	/* Errors. */
	CHECK_EQ(ovpn_inband_occ_build(buf, 16, OVPN_OCC_EXIT, NULL, 0), OVPN_DATA_ERR_NOSPACE);
	CHECK_EQ(ovpn_inband_occ_build(buf, sizeof(buf), 256, NULL, 0), OVPN_DATA_ERR_INVAL);
	CHECK_EQ(ovpn_inband_occ_build(buf, sizeof(buf), 1, NULL, 3), OVPN_DATA_ERR_INVAL);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "strip table (26 rows, all modes)", test_strip_table },
	{ "frame then strip, all modes", test_frame },
	{ "frame head/tailroom and bad mode", test_frame_room },
	{ "KAT-5 plaintext: comp-lzo 0xFA", test_kat5_plain },
	{ "ping: build, exact match, framed", test_ping },
	{ "OCC: EXIT, REPLY, near misses", test_occ },
	{ NULL, NULL },
};

int main(void)
{
	return sl_test_run("comp", cases);
}
