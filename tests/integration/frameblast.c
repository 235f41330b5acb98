/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frameblast: hostile frames into an interface, fast and reproducible, for
 * the hostile-input integration test (test_hostile.sh).
 *
 *   frameblast -i IFACE -f FRAMES -m MODE [-n COUNT] [-r PPS] [-t SECS]
 *              [-s SEED] [-b BATCH] [-c CPU]
 *
 * FRAMES holds captured Ethernet frames of a real client, one per line in
 * hex (hostile.py capture writes it): hard resets, OVPN_P_CONTROL_V1, OVPN_P_ACK_V1
 * and OVPN_P_DATA_V2 toward the server. Every frame sent is built from them or
 * from the PRNG (xorshift64*, seeded with SEED), so a run repeats exactly.
 *
 * Modes:
 *   storm        a mix of replayed, bit-flipped, truncated and length-lying
 *                frames, every opcode/key-id byte value, random garbage,
 *                non-IP EtherTypes, IP options, fragments, ARP requests and
 *                echo requests for the server (class weights in storm_mix[])
 *   data-spoof   the captured OVPN_P_DATA_V2 frames with their real peer-id and
 *                key-id, from random source addresses and ports: forged
 *                ciphertext and tag (3 of 4) or the genuine packet (1 of 4)
 *   reset-flood  the captured hard reset from random source addresses and
 *                ports (1 of 2), and garbage control traffic: control
 *                opcodes with random session ids and random or bit-flipped
 *                bodies (1 of 2)
 *
 * Sending: one AF_PACKET socket bound to IFACE, PACKET_QDISC_BYPASS,
 * sendmmsg() batches of BATCH frames, paced to PPS (0: as fast as the
 * kernel takes them), stopped at COUNT frames or SECS seconds, whichever
 * comes first. The kernel refuses frames shorter than an Ethernet header
 * or longer than the MTU plus header, so lengths stay within [14, 1514].
 *
 * It prints the frames sent, time, rate and the mix, then one line for
 * the test to parse:  "result sent N uncounted U held H errors E"
 * where U is the number of frames a receiver may accept without counting
 * them anywhere (ARP replies for the server's address: the data plane
 * learns the neighbour, it is no drop) and H the number the receiving
 * kernel keeps from a net_af_packet port (see held()); every other frame
 * must end up in a drop counter or a counted reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ovpn_proto.h"

#define FRAME_MAX	1514
#define FRAME_MIN	14
#define BATCH_MAX	256
#define SEEDS_MAX	256
#define ETH_HLEN_	14
#define UDP_HLEN	8
#define OVPN_PORT	1194


struct frame {
	uint8_t b[FRAME_MAX];
	unsigned len;
};

/* A captured frame and where its headers are. */
struct seed {
	struct frame f;
	unsigned ip;		/* offset of the IPv4 header */
	unsigned udp;		/* offset of the UDP header */
	unsigned ovpn;		/* offset of the OpenVPN packet */
	uint8_t op;
};

static struct seed seeds[SEEDS_MAX];
static unsigned n_seeds;
static uint64_t rng;

/* xorshift64* (Vigna): fast, deterministic, good enough for fuzzing. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void rnd_fill(uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 checksum of an IPv4 header. */
static void ip_csum(uint8_t *ip)
{
	unsigned hl = (ip[0] & 15u) * 4, sum = 0;

	ip[10] = ip[11] = 0;
	for (unsigned i = 0; i < hl; i += 2)
		sum += get16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, ~sum & 0xffff);
}

/* ---- seeds ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* An Ethernet/IPv4/UDP frame to port 1194 with an OpenVPN opcode, or false. */
static bool seed_parse(struct seed *s)
{
	const uint8_t *b = s->f.b;

	if (s->f.len < ETH_HLEN_ + 20 + UDP_HLEN + 1 || get16(b + 12) != ETHERTYPE_IP)
		return false;
	s->ip = ETH_HLEN_;
	s->udp = s->ip + (b[s->ip] & 15u) * 4;
	s->ovpn = s->udp + UDP_HLEN;
	if (b[s->ip + 9] != IPPROTO_UDP || s->ovpn >= s->f.len ||
	    get16(b + s->udp + 2) != OVPN_PORT)
		return false;
	s->op = b[s->ovpn] >> 3;
	return true;
}

static int seeds_load(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[2 * FRAME_MAX + 16];

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	while (n_seeds < SEEDS_MAX && fgets(line, sizeof(line), fp) != NULL) {
		struct seed *s = &seeds[n_seeds];
		unsigned n = 0;

		for (char *c = line; hexval(c[0]) >= 0 && hexval(c[1]) >= 0 && n < FRAME_MAX;
		     c += 2)
			s->f.b[n++] = (uint8_t)(hexval(c[0]) << 4 | hexval(c[1]));
		s->f.len = n;
		if (seed_parse(s))
			n_seeds++;
	}
	fclose(fp);
	if (n_seeds == 0) {
		fprintf(stderr, "%s: no Ethernet/IPv4/UDP frame to port %d\n", path, OVPN_PORT);
		return -1;
	}
	return 0;
}

/* A random seed whose opcode is OP (any opcode: -1), or NULL. */
static const struct seed *seed_pick(int op)
{
	unsigned n = 0, k;

	for (unsigned i = 0; i < n_seeds; i++)
		n += op < 0 || seeds[i].op == op;
	if (n == 0)
		return NULL;
	k = rnd_below(n);
	for (unsigned i = 0; i < n_seeds; i++)
		if ((op < 0 || seeds[i].op == op) && k-- == 0)
			return &seeds[i];
	return NULL;
}

/* ---- frame classes ---- */

enum cls {
	C_REPLAY, C_BITFLIP, C_TRUNC, C_IPLEN, C_UDPLEN, C_OPCODE, C_GARBAGE,
	C_GARBAGE_UDP, C_ETHERTYPE, C_IPOPT, C_FRAG, C_ARP, C_ICMP,
	C_SPOOF_FORGED, C_SPOOF_GENUINE, C_RESET_SPOOFED, C_CP_GARBAGE, C_MAX
};

static const char *const cls_name[C_MAX] = {
	"replay", "bit-flip", "truncated", "ip-length", "udp-length", "opcode-byte",
	"garbage", "garbage-udp", "ethertype", "ip-options", "fragment", "arp-request",
	"echo-request", "forged-data", "genuine-data", "reset-spoofed", "cp-garbage",
};

/* Storm weights, out of 100. */
static const struct { enum cls c; unsigned w; } storm_mix[] = {
	{ C_REPLAY, 5 }, { C_BITFLIP, 20 }, { C_TRUNC, 10 }, { C_IPLEN, 8 },
	{ C_UDPLEN, 8 }, { C_OPCODE, 15 }, { C_GARBAGE, 8 }, { C_GARBAGE_UDP, 8 },
	{ C_ETHERTYPE, 5 }, { C_IPOPT, 5 }, { C_FRAG, 4 }, { C_ARP, 2 }, { C_ICMP, 2 },
};

/* The server's MAC and address and ours, from the first seed. */
static const uint8_t *srv_mac(void) { return seeds[0].f.b; }
static const uint8_t *cli_mac(void) { return seeds[0].f.b + 6; }
static const uint8_t *srv_ip(void) { return seeds[0].f.b + seeds[0].ip + 16; }

static const struct seed *copy_seed(struct frame *f, int op)
{
	const struct seed *s = seed_pick(op);

	if (s == NULL)
		s = seed_pick(-1);
	*f = s->f;
	return s;
}

/* A random source address from 198.18.0.0/15 (RFC 2544): replies to it
 * reach the client's namespace (our MAC) and die there, unrouted. */
static void spoof_addr(uint8_t *ip)
{
	uint32_t a = 0xC6120000u | (uint32_t)(rnd() & 0x1FFFF);

	ip[12] = (uint8_t)(a >> 24);
	ip[13] = (uint8_t)(a >> 16);
	ip[14] = (uint8_t)(a >> 8);
	ip[15] = (uint8_t)a;
}

/* A random source address and port. */
static void spoof_source(struct frame *f, const struct seed *s)
{
	uint8_t *ip = f->b + s->ip;

	spoof_addr(ip);
	put16(f->b + s->udp, 1024 + rnd_below(64512));
	put16(f->b + s->udp + 6, 0);	/* no UDP checksum (optional over IPv4) */
	ip_csum(ip);
}

/* Make the IPv4 and UDP lengths agree with the frame again. */
static void fix_lengths(struct frame *f, const struct seed *s)
{
	put16(f->b + s->ip + 2, f->len - s->ip);
	put16(f->b + s->udp + 4, f->len - s->udp);
	put16(f->b + s->udp + 6, 0);
	ip_csum(f->b + s->ip);
}

static void build_bitflip(struct frame *f)
{
	unsigned n = 1 + rnd_below(8);

	copy_seed(f, -1);
	for (unsigned i = 0; i < n; i++) {
		/* Mostly in the headers, where the checks are. */
		unsigned lim = rnd_below(4) ? (f->len < 64 ? f->len : 64) : f->len;
		unsigned bit = rnd_below(lim * 8);

		f->b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

static void build_iplen(struct frame *f)
{
	const struct seed *s = copy_seed(f, -1);
	unsigned real = f->len - s->ip, v;

	switch (rnd_below(4)) {
	case 0: v = real + 1 + rnd_below(64); break;	/* longer than the frame */
	case 1: v = rnd_below(20); break;		/* shorter than a header */
	case 2: v = real - 1 - rnd_below(real - 28); break; /* cuts the UDP datagram */
	default: v = (unsigned)rnd() & 0xffff; break;
	}
	put16(f->b + s->ip + 2, v);
	if (rnd_below(2))
		ip_csum(f->b + s->ip);
}

static void build_udplen(struct frame *f)
{
	const struct seed *s = copy_seed(f, -1);
	unsigned real = f->len - s->udp, v;

	switch (rnd_below(4)) {
	case 0: v = real + 1 + rnd_below(64); break;	/* past the IP payload */
	case 1: v = rnd_below(UDP_HLEN + 1); break;	/* no OpenVPN byte */
	case 2: v = 0xffff; break;
	default: v = (unsigned)rnd() & 0xffff; break;
	}
	put16(f->b + s->udp + 4, v);
}

/* Every opcode/key-id byte value in turn, on a random seed. */
static void build_opcode(struct frame *f)
{
	static unsigned next;
	const struct seed *s = copy_seed(f, -1);

	f->b[s->ovpn] = (uint8_t)next++;
	/* Shorten now and then so short packets meet every opcode too. */
	if (rnd_below(4) == 0) {
		f->len = s->ovpn + 1 + rnd_below(f->len - s->ovpn);
		fix_lengths(f, s);
	}
}

static void build_garbage(struct frame *f)
{
	f->len = FRAME_MIN + rnd_below(FRAME_MAX - FRAME_MIN + 1);
	rnd_fill(f->b, f->len);
	if (rnd_below(2)) {		/* to the server's MAC half of the time */
		memcpy(f->b, srv_mac(), 6);
		memcpy(f->b + 6, cli_mac(), 6);
	}
}

/* Good Ethernet/IPv4/UDP headers to 1194, random payload of random length. */
static void build_garbage_udp(struct frame *f)
{
	const struct seed *s = copy_seed(f, -1);

	f->len = s->ovpn + 1 + rnd_below(FRAME_MAX - s->ovpn);
	rnd_fill(f->b + s->ovpn, f->len - s->ovpn);
	fix_lengths(f, s);
}

static void build_ethertype(struct frame *f)
{
	static const uint16_t types[] = { 0x86DD, 0x8100, 0x88A8, 0x88CC, 0x8847, 0x8863,
					  0x88B5, 0x0600, 0x0000, 0xFFFF };

	copy_seed(f, -1);
	put16(f->b + 12, rnd_below(4) ? types[rnd_below(sizeof(types) / sizeof(types[0]))]
				     : (unsigned)rnd() & 0xffff);
	/* Any type but IPv4 and ARP. */
	if (get16(f->b + 12) == ETHERTYPE_IP || get16(f->b + 12) == ETHERTYPE_ARP)
		put16(f->b + 12, 0x88B5);
}

/* IHL 6..15: options inserted after the fixed header, lengths kept right. */
static void build_ipopt(struct frame *f)
{
	const struct seed *s = copy_seed(f, -1);
	unsigned words = 1 + rnd_below(10), add = words * 4;
	uint8_t *ip = f->b + s->ip;

	if (f->len + add > FRAME_MAX)
		f->len = FRAME_MAX - add;
	memmove(ip + 20 + add, ip + 20, f->len - s->ip - 20);
	switch (rnd_below(3)) {
	case 0: memset(ip + 20, 1, add); break;	/* NOPs */
	case 1: rnd_fill(ip + 20, add); break;
	default:					/* record route, then end */
		memset(ip + 20, 0, add);
		ip[20] = 7;
		ip[21] = (uint8_t)(add > 39 ? 39 : add - 1);
		ip[22] = 4;
		break;
	}
	ip[0] = (uint8_t)(0x40 | (5 + words));
	f->len += add;
	put16(ip + 2, f->len - s->ip);
	if (rnd_below(4))
		ip_csum(ip);
}

static void build_frag(struct frame *f)
{
	const struct seed *s = copy_seed(f, -1);
	uint8_t *ip = f->b + s->ip;
	unsigned v;

	switch (rnd_below(3)) {
	case 0: v = 0x2000; break;				/* first fragment */
	case 1: v = 1 + rnd_below(0x1FFF); break;		/* last fragment */
	default: v = 0x2000 | (1 + rnd_below(0x1FFF)); break;	/* middle */
	}
	put16(ip + 6, v | (get16(ip + 6) & 0x4000));
	ip_csum(ip);
}

/* ARP request for the server from a made-up neighbour; 1 of 4 mangled. */
static void build_arp(struct frame *f)
{
	uint8_t *a = f->b + ETH_HLEN_;

	memset(f->b, 0xff, 6);
	memcpy(f->b + 6, cli_mac(), 6);
	put16(f->b + 12, ETHERTYPE_ARP);
	put16(a, 1);			/* Ethernet */
	put16(a + 2, ETHERTYPE_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);		/* request */
	memcpy(a + 8, cli_mac(), 6);
	/* Sender 192.0.2.100-199: never the real client's address. */
	a[14] = 192; a[15] = 0; a[16] = 2; a[17] = (uint8_t)(100 + rnd_below(100));
	memset(a + 18, 0, 6);
	memcpy(a + 24, srv_ip(), 4);
	f->len = ETH_HLEN_ + 28 + (rnd_below(2) ? 18 : 0);
	if (rnd_below(4) == 0) {
		unsigned bit = rnd_below(28 * 8);

		a[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

/* Echo request to the server: random id, sequence, size; 1 of 4 mangled.
 * From a spoofed address: the reply must not reach the client's ping,
 * whose socket would take it if the random id happened to be its own. */
static void build_icmp(struct frame *f)
{
	const struct seed *s = copy_seed(f, -1);
	uint8_t *ip = f->b + s->ip, *icmp;
	unsigned len = 8 + rnd_below(200), sum = 0;

	ip[0] = 0x45;
	ip[9] = IPPROTO_ICMP;
	icmp = ip + 20;
	f->len = s->ip + 20 + len;
	rnd_fill(icmp, len);
	icmp[0] = 8;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	for (unsigned i = 0; i + 1 < len; i += 2)
		sum += get16(icmp + i);
	if (len & 1)
		sum += icmp[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(icmp + 2, ~sum & 0xffff);
	put16(ip + 2, f->len - s->ip);
	put16(ip + 6, 0);
	spoof_addr(ip);
	ip_csum(ip);
	if (rnd_below(4) == 0)
		icmp[rnd_below(2)] ^= (uint8_t)(1u << rnd_below(8));
}

static void build_spoof(struct frame *f, bool forged)
{
	const struct seed *s = copy_seed(f, OVPN_P_DATA_V2);

	if (forged)	/* after op|peer-id: packet-id, tag, ciphertext */
		rnd_fill(f->b + s->ovpn + 4, f->len - s->ovpn - 4);
	spoof_source(f, s);
}

static void build_reset_spoofed(struct frame *f)
{
	spoof_source(f, copy_seed(f, OVPN_P_CONTROL_HARD_RESET_CLIENT_V2));
}

/* A control opcode, random session id and body, random length; or a
 * captured control packet with a few bits flipped after the header. */
static void build_cp_garbage(struct frame *f)
{
	static const uint8_t ops[] = { OVPN_P_CONTROL_HARD_RESET_CLIENT_V2, OVPN_P_CONTROL_V1, OVPN_P_ACK_V1,
				       OVPN_P_CONTROL_HARD_RESET_CLIENT_V3, OVPN_P_CONTROL_WKC_V1, 3, 8 };
	const struct seed *s = copy_seed(f, rnd_below(2) ? OVPN_P_CONTROL_V1 : OVPN_P_ACK_V1);

	if (rnd_below(2)) {
		f->len = s->ovpn + 1 + rnd_below(FRAME_MAX - s->ovpn);
		rnd_fill(f->b + s->ovpn, f->len - s->ovpn);
		f->b[s->ovpn] = (uint8_t)(ops[rnd_below(sizeof(ops))] << 3 | rnd_below(8));
		fix_lengths(f, s);
	} else {
		for (unsigned i = 1 + rnd_below(4); i > 0; i--) {
			unsigned bit = rnd_below((f->len - s->ovpn - 1) * 8);

			f->b[s->ovpn + 1 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	if (rnd_below(2))
		spoof_source(f, s);
}

static void build(struct frame *f, enum cls c)
{
	switch (c) {
	case C_REPLAY: copy_seed(f, -1); break;
	case C_BITFLIP: build_bitflip(f); break;
	case C_TRUNC:
		copy_seed(f, -1);
		f->len = FRAME_MIN + rnd_below(f->len - FRAME_MIN);
		break;
	case C_IPLEN: build_iplen(f); break;
	case C_UDPLEN: build_udplen(f); break;
	case C_OPCODE: build_opcode(f); break;
	case C_GARBAGE: build_garbage(f); break;
	case C_GARBAGE_UDP: build_garbage_udp(f); break;
	case C_ETHERTYPE: build_ethertype(f); break;
	case C_IPOPT: build_ipopt(f); break;
	case C_FRAG: build_frag(f); break;
	case C_ARP: build_arp(f); break;
	case C_ICMP: build_icmp(f); break;
	case C_SPOOF_FORGED: build_spoof(f, true); break;
	case C_SPOOF_GENUINE: build_spoof(f, false); break;
	case C_RESET_SPOOFED: build_reset_spoofed(f); break;
	case C_CP_GARBAGE: build_cp_garbage(f); break;
	case C_MAX: break;
	}
}

/*
 * Frames a receiver may take without counting them: a well-formed ARP
 * reply for the server's address (learnt, not answered, not a drop). A
 * bit flip can turn a request into one.
 */
static bool uncounted(const struct frame *f)
{
	const uint8_t *a = f->b + ETH_HLEN_;

	return f->len >= ETH_HLEN_ + 28 && get16(f->b + 12) == ETHERTYPE_ARP &&
	       get16(a) == 1 && get16(a + 2) == ETHERTYPE_IP && a[4] == 6 && a[5] == 4 &&
	       get16(a + 6) == 2 && memcmp(a + 24, srv_ip(), 4) == 0;
}

/*
 * Frames the kernel in front of a net_af_packet port never hands to it.
 * DPDK's af_packet PMD joins its sockets to a fanout group with
 * PACKET_FANOUT_FLAG_DEFRAG, so the receiving kernel runs
 * ip_check_defrag() (Linux net/ipv4/ip_fragment.c) first: an IPv4
 * fragment whose lengths hold up waits there for reassembly (a datagram
 * it completes comes out as one frame, counted like any other). A VLAN
 * frame too short to untag is freed (skb_vlan_untag, net/core/skbuff.c).
 */
static bool held(const struct frame *f)
{
	unsigned type = get16(f->b + 12), off = ETH_HLEN_, hl, tot;
	const uint8_t *ip;

	if (type == 0x8100 || type == 0x88A8) {
		if (f->len < ETH_HLEN_ + 6)
			return true;
		type = get16(f->b + 16);
		off += 4;
	}
	if (type != ETHERTYPE_IP || f->len < off + 20)
		return false;
	ip = f->b + off;
	hl = (ip[0] & 15u) * 4;
	tot = get16(ip + 2);
	if ((ip[0] >> 4) != 4 || hl < 20 || tot < hl || tot > f->len - off)
		return false;
	return (get16(ip + 6) & 0x3FFF) != 0;	/* MF or an offset */
}

static enum cls pick(const char *mode)
{
	unsigned r;

	if (strcmp(mode, "data-spoof") == 0)
		return rnd_below(4) ? C_SPOOF_FORGED : C_SPOOF_GENUINE;
	if (strcmp(mode, "reset-flood") == 0)
		return rnd_below(2) ? C_RESET_SPOOFED : C_CP_GARBAGE;
	r = rnd_below(100);
	for (unsigned i = 0; i < sizeof(storm_mix) / sizeof(storm_mix[0]); i++) {
		if (r < storm_mix[i].w)
			return storm_mix[i].c;
		r -= storm_mix[i].w;
	}
	return C_GARBAGE;
}

/* ---- sending ---- */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int open_socket(const char *iface)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1;	/* protocol 0: send only */

	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return -1;
	}
	ll.sll_ifindex = (int)if_nametoindex(iface);
	if (ll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&ll, sizeof(ll)) != 0) {
		perror(iface);
		close(fd);
		return -1;
	}
	/* Straight to the driver: no qdisc to drop or reorder the storm. */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0)
		perror("PACKET_QDISC_BYPASS (continuing without)");
	return fd;
}

struct opts {
	const char *iface, *frames, *mode;
	unsigned long count;
	double rate, secs;
	uint64_t seed;
	unsigned batch;
	int cpu;
};

static void usage(void)
{
	fprintf(stderr, "usage: frameblast -i IFACE -f FRAMES -m storm|data-spoof|reset-flood "
			"[-n COUNT] [-r PPS] [-t SECS] [-s SEED] [-b BATCH] [-c CPU]\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .mode = "storm", .count = 1000000, .secs = 30, .seed = 1,
			    .batch = 64, .cpu = -1 };
	while ((c = getopt(argc, argv, "i:f:m:n:r:t:s:b:c:")) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'f': o->frames = optarg; break;
		case 'm': o->mode = optarg; break;
		case 'n': o->count = strtoul(optarg, NULL, 0); break;
		case 'r': o->rate = strtod(optarg, NULL); break;
		case 't': o->secs = strtod(optarg, NULL); break;
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'b': o->batch = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'c': o->cpu = atoi(optarg); break;
		default: return -1;
		}
	}
	if (o->iface == NULL || o->frames == NULL || o->batch == 0 || o->batch > BATCH_MAX ||
	    (strcmp(o->mode, "storm") != 0 && strcmp(o->mode, "data-spoof") != 0 &&
	     strcmp(o->mode, "reset-flood") != 0))
		return -1;
	return 0;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("sched_setaffinity (continuing unpinned)");
}

/* What went out. */
struct tally {
	unsigned long sent, mix[C_MAX], uncounted, held, errors;
};

/* One batch through sendmmsg(). A frame the kernel refuses ends a call
 * there: it is skipped, and only what went is counted. */
static void send_batch(int fd, struct frame *frames, const enum cls *cls, unsigned n,
		       struct tally *t)
{
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	int k;

	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ frames[i].b, frames[i].len };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	for (unsigned done = 0; done < n; done += (unsigned)k) {
		k = sendmmsg(fd, msgs + done, n - done, 0);
		if (k <= 0) {
			if (k < 0 && errno != ENOBUFS && errno != EAGAIN)
				t->errors++;
			k = 1;
			continue;
		}
		for (int j = 0; j < k; j++) {
			t->mix[cls[done + j]]++;
			t->uncounted += uncounted(&frames[done + j]);
			t->held += held(&frames[done + j]);
		}
		t->sent += (unsigned long)k;
	}
}

static void report(const struct opts *o, const struct tally *t, double elapsed)
{
	printf("frameblast: %s, %lu frames in %.2f s (%.0f pps, target %.0f), seed %llu, "
	       "batch %u, %u captured frames\n", o->mode, t->sent, elapsed,
	       elapsed > 0 ? t->sent / elapsed : 0.0, o->rate, (unsigned long long)o->seed,
	       o->batch, n_seeds);
	printf("frameblast: mix:");
	for (int c = 0; c < C_MAX; c++)
		if (t->mix[c])
			printf(" %s %lu", cls_name[c], t->mix[c]);
	printf("\nresult sent %lu uncounted %lu held %lu errors %lu\n", t->sent, t->uncounted,
	       t->held, t->errors);
}

int main(int argc, char **argv)
{
	static struct frame frames[BATCH_MAX];
	enum cls cls[BATCH_MAX];
	struct tally t = { 0 };
	struct opts o;
	double start, end, next;
	int fd;

	if (parse(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	rng = o.seed ? o.seed : 1;
	if (seeds_load(o.frames) != 0 || (fd = open_socket(o.iface)) < 0)
		return 1;
	pin(o.cpu);
	start = next = now_s();
	end = start + o.secs;
	while (t.sent < o.count) {
		unsigned n = o.count - t.sent < o.batch ? (unsigned)(o.count - t.sent) : o.batch;

		/* Paced, and never catching up in a burst after we were not
		 * scheduled for a while: the rate is a ceiling. */
		if (o.rate > 0) {
			double now = now_s();

			if (next < now - 0.001)
				next = now - 0.001;
			sleep_until(next);
			next += n / o.rate;
		}
		if (now_s() >= end)
			break;
		for (unsigned i = 0; i < n; i++) {
			cls[i] = pick(o.mode);
			build(&frames[i], cls[i]);
		}
		send_batch(fd, frames, cls, n, &t);
	}
	report(&o, &t, now_s() - start);
	close(fd);
	return 0;
}
