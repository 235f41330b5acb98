/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-loadgen: N emulated OpenVPN 2.6 clients (lg_client.h) on one
 * thread, each with its own non-blocking UDP socket (its own source
 * port, so each is a distinct peer to the server). Phase 1: every session
 * does its handshake (at most --parallel at a time); phase 2: P_DATA_V2
 * packets at --rate packets/s in total, round robin over the sessions in
 * batches of one sendmmsg() per session, each carrying an inner IPv4/UDP
 * datagram to the sink (lg_wire.h) whose header is built once per
 * session. Echoes from the sink come back sealed by the server and are
 * opened for real; their timestamps give the latency sample.
 * Output: key=value lines (per session with --per-session).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lg_client.h"
#include "lg_wire.h"
#include "ovpn_key_file.h"

#define BATCH		32
#define PKT_CAP		2048
#define LAT_SAMPLES	65536

struct sess {
	struct lg_client c;
	int fd;
	bool started;
	bool rx;			/* control packets came since its last poll */
	uint64_t up_ms;
	uint64_t t_ns[LG_ST_UP + 1];	/* when it entered each handshake state */
	uint8_t inner[28];		/* IPv4 + UDP header, built once */
	uint64_t offered, sent, send_drop, echoed, seq;
};

struct opts {
	struct sockaddr_in server, sink;
	unsigned sessions, parallel;
	double rate, seconds, hs_timeout;
	int size;			/* inner IP packet bytes; 0 = IMIX */
	bool tls12, per_session;
	const char *ca, *cert, *key, *tc, *tc2;
};

static struct sess *S;
static double hs_cpu_s;		/* the generator's own CPU time in phase 1 */
static double lat_us[LAT_SAMPLES];
static unsigned n_lat;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ms(void) { return mono_ns() / 1000000u; }

/* This process's CPU time (user + system), seconds. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void udp_send(void *arg, const uint8_t *wire, size_t len)
{
	struct sess *s = arg;

	(void)!send(s->fd, wire, len, 0);
}

static int sess_socket(const struct sockaddr_in *server)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 1 << 20;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (connect(fd, (const struct sockaddr *)server, sizeof(*server)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t ip_csum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The inner headers of session i's datagrams; length and checksum are set
 * per packet (the size may vary with IMIX). */
static void inner_template(struct sess *s, unsigned i, const struct sockaddr_in *sink)
{
	struct iphdr *ip = (struct iphdr *)s->inner;
	struct udphdr *u = (struct udphdr *)(s->inner + 20);

	memset(s->inner, 0, sizeof(s->inner));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(s->c.vpn_ip);
	ip->daddr = sink->sin_addr.s_addr;
	u->source = htons((uint16_t)(20000 + i % 40000));
	u->dest = sink->sin_port;
}

static size_t pkt_size(const struct opts *o, uint64_t n)
{
	static const uint16_t imix[12] = { 64, 64, 64, 64, 64, 64, 64, 512, 512, 512, 512, 1400 };

	return o->size > 0 ? (size_t)o->size : imix[n % 12];
}

/* One sealed data packet of session i into pkt; its length. */
static int build(struct sess *s, unsigned i, size_t size, uint8_t *pkt)
{
	size_t head = lg_client_head(&s->c);
	uint8_t *p = pkt + head;
	struct iphdr *ip = (struct iphdr *)p;
	struct udphdr *u = (struct udphdr *)(p + 20);
	struct lg_payload pl = { LG_MAGIC, i, s->seq++, mono_ns() };

	memcpy(p, s->inner, sizeof(s->inner));
	memset(p + 28, 0, size - 28);
	memcpy(p + 28, &pl, sizeof(pl));
	ip->tot_len = htons((uint16_t)size);
	ip->check = htons(ip_csum(p, 20));
	u->len = htons((uint16_t)(size - 20));
	return lg_client_seal(&s->c, pkt, size, PKT_CAP);
}

/* Everything waiting on session s's socket: control packets to the state
 * machine, data packets opened and their echoes timed. */
static void sess_rx(struct sess *s, uint64_t now_ms)
{
	uint8_t buf[PKT_CAP];
	ssize_t n;

	while ((n = recv(s->fd, buf, sizeof(buf), 0)) > 0) {
		size_t pt = 0;
		int off;

		if ((buf[0] >> 3) != OVPN_P_DATA_V2) {
			lg_client_input(&s->c, buf, (size_t)n, now_ms);
			s->rx = true;
			continue;
		}
		if (s->c.st != LG_ST_UP || (off = lg_client_open(&s->c, buf, (size_t)n, &pt)) < 0)
			continue;
		if (pt >= 28 + sizeof(struct lg_payload)) {
			struct lg_payload pl;

			memcpy(&pl, buf + off + 28, sizeof(pl));
			if (pl.magic != LG_MAGIC)
				continue;
			s->echoed++;
			if (n_lat < LAT_SAMPLES && (pl.seq & 15) == 0)
				lat_us[n_lat++] = (double)(mono_ns() - pl.ts_ns) / 1000.0;
		}
	}
}

static void rx_all(const struct opts *o, struct pollfd *pfd, int wait_ms)
{
	uint64_t now;

	if (poll(pfd, o->sessions, wait_ms) <= 0)
		return;
	now = mono_ms();
	for (unsigned i = 0; i < o->sessions; i++)
		if (pfd[i].revents & POLLIN)
			sess_rx(&S[i], now);
}

/* Phase 1. Each round: start sessions up to --parallel, let every
 * session send what is due (a new one its hard reset at once), then wait
 * at most 1 ms for what came back. Returns the number of sessions up. */
static unsigned handshakes(const struct opts *o, struct pollfd *pfd, const struct lg_client_cfg *cfg,
			   double *secs)
{
	uint64_t t0 = mono_ms(), deadline = t0 + (uint64_t)(o->hs_timeout * 1000);
	unsigned up = 0, failed = 0, next = 0;
	double cpu0 = cpu_s();

	while (up + failed < o->sessions && mono_ms() < deadline) {
		uint64_t now = mono_ms(), ns = mono_ns();

		while (next < o->sessions && next - up - failed < o->parallel) {
			lg_client_start(&S[next].c, cfg, now);
			S[next].started = true;
			S[next++].t_ns[LG_ST_RESET] = ns;
		}
		up = failed = 0;
		for (unsigned i = 0; i < next; i++) {
			struct sess *s = &S[i];

			/* A session that is up needs a poll only for news or
			 * a due retransmission (or ack). */
			if (s->c.st != LG_ST_UP || s->rx ||
			    ovpn_rel_next_timeout(&s->c.rel, now) == 0)
				lg_client_poll(&s->c, now, udp_send, s);
			s->rx = false;
			if (s->c.st <= LG_ST_UP && s->t_ns[s->c.st] == 0)
				s->t_ns[s->c.st] = ns;
			if (s->c.st == LG_ST_UP && s->up_ms == 0) {
				s->up_ms = now;
				inner_template(s, i, &o->sink);
			}
			up += s->c.st == LG_ST_UP;
			failed += s->c.st == LG_ST_FAILED;
		}
		rx_all(o, pfd, 1);
	}
	*secs = (double)(mono_ms() - t0) / 1000.0;
	hs_cpu_s = cpu_s() - cpu0;
	return up;
}

/* A batch of session s's packets in one sendmmsg(). */
static void send_batch(const struct opts *o, struct sess *s, unsigned i, unsigned n)
{
	static uint8_t pkts[BATCH][PKT_CAP];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	unsigned k = 0;
	int sent;

	for (unsigned j = 0; j < n; j++) {
		int len = build(s, i, pkt_size(o, s->offered + j), pkts[k]);

		if (len <= 0)
			continue;
		iov[k] = (struct iovec){ pkts[k], (size_t)len };
		mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
		k++;
	}
	s->offered += n;
	sent = k > 0 ? sendmmsg(s->fd, mm, k, 0) : 0;
	if (sent < 0)
		sent = 0;
	s->sent += (unsigned)sent;
	s->send_drop += n - (unsigned)sent;
}

/* Phase 2: the paced traffic, then a short wait for the last echoes. */
static void traffic(const struct opts *o, struct pollfd *pfd)
{
	uint64_t t0 = mono_ns(), end = t0 + (uint64_t)(o->seconds * 1e9), total = 0;
	unsigned rr = 0;

	for (uint64_t now = t0; now < end; now = mono_ns()) {
		uint64_t due = (uint64_t)((double)(now - t0) * o->rate / 1e9);

		for (unsigned tries = 0; total < due && tries < o->sessions; tries++) {
			struct sess *s = &S[rr];
			unsigned n = due - total > BATCH ? BATCH : (unsigned)(due - total);

			if (s->c.st == LG_ST_UP) {
				send_batch(o, s, rr, n);
				total += n;
			}
			rr = (rr + 1) % o->sessions;
		}
		rx_all(o, pfd, 0);
	}
	for (uint64_t stop = mono_ms() + 500; mono_ms() < stop;)
		rx_all(o, pfd, 10);
}

/* Every session ends with EXIT, so the server frees it at once (runs
 * one after another would otherwise fill it with idle sessions). */
static void goodbye(const struct opts *o, struct pollfd *pfd)
{
	for (unsigned i = 0; i < o->sessions; i++)
		lg_client_exit(&S[i].c);
	for (uint64_t stop = mono_ms() + 300; mono_ms() < stop;) {
		uint64_t now = mono_ms();

		for (unsigned i = 0; i < o->sessions; i++)
			if (S[i].started)
				lg_client_poll(&S[i].c, now, udp_send, &S[i]);
		rx_all(o, pfd, 10);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The TLS version the sessions that came up negotiated: one name, or
 * "mixed". */
static const char *tls_version(const struct opts *o)
{
	const char *v = "none";

	for (unsigned i = 0; i < o->sessions; i++) {
		if (S[i].c.st != LG_ST_UP)
			continue;
		if (strcmp(v, "none") != 0 && strcmp(v, SSL_get_version(S[i].c.ssl)) != 0)
			return "mixed";
		v = SSL_get_version(S[i].c.ssl);
	}
	return v;
}

/*
 * Where the handshakes of the sessions that came up spent their time:
 * percentiles from start to PUSH_REPLY, the mean of each step (hard reset
 * to the server's reset: one round trip; to TLS done: ClientHello, the
 * server's flight, our flight; to PUSH_REPLY: key method 2 both ways and
 * the push), the control packets sent again (a loss costs a 2 s
 * retransmission timeout, reliable.c), and the generator's own CPU time
 * per handshake (its share of the TLS work: is it the limit?).
 */
static void hs_report(const struct opts *o)
{
	double *ms = calloc(o->sessions, sizeof(*ms)), step[LG_ST_UP] = { 0 };
	unsigned n = 0, retx = 0;

	if (ms == NULL)
		return;
	for (unsigned i = 0; i < o->sessions; i++) {
		const uint64_t *t = S[i].t_ns;

		retx += S[i].c.retx;
		if (S[i].c.st != LG_ST_UP)
			continue;
		ms[n++] = (double)(t[LG_ST_UP] - t[LG_ST_RESET]) / 1e6;
		for (int k = LG_ST_RESET; k < LG_ST_UP; k++)
			step[k] += (double)(t[k + 1] - t[k]) / 1e6;
	}
	qsort(ms, n, sizeof(*ms), cmp_d);
	if (n > 0)
		printf("hs_ms_p50=%.1f hs_ms_p90=%.1f hs_ms_p99=%.1f hs_ms_max=%.1f "
		       "hs_step_ms=%.2f/%.2f/%.2f hs_retx=%u hs_gen_cpu_ms=%.2f tls=%s\n",
		       ms[n / 2], ms[n * 9 / 10], ms[n * 99 / 100], ms[n - 1], step[LG_ST_RESET] / n,
		       step[LG_ST_TLS] / n, step[LG_ST_PUSH] / n, retx, hs_cpu_s * 1000 / n,
		       tls_version(o));
	free(ms);
}

static void report(const struct opts *o, unsigned up, double hs_secs)
{
	uint64_t offered = 0, sent = 0, drop = 0, echoed = 0, bad = 0;
	unsigned failed = 0;

	for (unsigned i = 0; i < o->sessions; i++) {
		struct sess *s = &S[i];

		offered += s->offered;
		sent += s->sent;
		drop += s->send_drop;
		echoed += s->echoed;
		bad += s->c.rx_bad;
		failed += s->c.st == LG_ST_FAILED;
		if (o->per_session)
			printf("session=%u state=%d peer_id=%u offered=%lu sent=%lu send_drop=%lu "
			       "echoed=%lu\n", i, (int)s->c.st, s->c.peer_id, s->offered, s->sent,
			       s->send_drop, s->echoed);
		if (s->c.st == LG_ST_FAILED)
			fprintf(stderr, "session %u failed: %s\n", i, s->c.why);
	}
	printf("sessions=%u up=%u failed=%u hs_seconds=%.3f hs_per_s=%.1f\n", o->sessions, up,
	       failed, hs_secs, hs_secs > 0 ? up / hs_secs : 0.0);
	hs_report(o);
	printf("rate=%.0f seconds=%.2f offered=%lu sent=%lu send_drop=%lu echoed=%lu rx_bad=%lu\n",
	       o->rate, o->seconds, offered, sent, drop, echoed, bad);
	qsort(lat_us, n_lat, sizeof(double), cmp_d);
	if (n_lat > 0)
		printf("lat_samples=%u lat_p50_us=%.0f lat_p90_us=%.0f lat_p99_us=%.0f\n", n_lat,
		       lat_us[n_lat / 2], lat_us[n_lat * 9 / 10], lat_us[n_lat * 99 / 100]);
}

/* The wrapping key: a tls-crypt static key, or a tls-crypt-v2 client key
 * (openvpn --genkey tls-crypt-v2-client, or sluicectl's per-user keys:
 * Kc and WKc); one for every session. */
static int load_wrap(const struct opts *o, struct lg_client_cfg *cfg)
{
	static char text[OVPN_KEY_FILE_MAX];
	struct ovpn_key_file_error e = { 0 };
	const char *path = o->tc != NULL ? o->tc : o->tc2;
	size_t len;
	int rc = ovpn_key_file_load(path, text, sizeof(text), &len, &e);

	if (rc == 0 && o->tc != NULL)
		rc = ovpn_key_file_parse_static(text, len, cfg->tc_key, &e);
	else if (rc == 0)
		rc = ovpn_key_file_parse_v2_client(text, len, cfg->tc_key, cfg->wkc,
						   sizeof(cfg->wkc), &cfg->wkc_len, &e);
	OPENSSL_cleanse(text, sizeof(text));
	if (rc != 0)
		fprintf(stderr, "%s %s: %s\n", o->tc != NULL ? "--tls-crypt" : "--tls-crypt-v2",
			path, e.msg);
	return rc;
}

static SSL_CTX *tls_ctx(const struct opts *o)
{
	SSL_CTX *x = SSL_CTX_new(TLS_client_method());

	if (x == NULL || SSL_CTX_use_certificate_chain_file(x, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(x, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(x, o->ca, NULL) != 1) {
		fprintf(stderr, "TLS: cannot load --ca/--cert/--key\n");
		SSL_CTX_free(x);
		return NULL;
	}
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(x, TLS1_2_VERSION);
	if (o->tls12)
		SSL_CTX_set_max_proto_version(x, TLS1_2_VERSION);
	return x;
}

static int addr(const char *s, uint16_t dport, struct sockaddr_in *a)
{
	char host[64];
	unsigned port = dport;

	if (sscanf(s, "%63[^:]:%u", host, &port) < 1 || port == 0 || port > 65535)
		return -1;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: sluice-loadgen --server IP[:PORT] --sink IP[:PORT] --ca F --cert F "
		"--key F (--tls-crypt F | --tls-crypt-v2 F) [--sessions N] [--parallel N] [--rate PPS] "
		"[--time S] [--size 64|512|1400|imix] [--tls 1.2|1.3] [--hs-timeout S] "
		"[--per-session]\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "server", 1, 0, 's' }, { "sink", 1, 0, 'k' }, { "sessions", 1, 0, 'n' },
		{ "parallel", 1, 0, 'p' }, { "rate", 1, 0, 'r' }, { "time", 1, 0, 't' },
		{ "size", 1, 0, 'z' }, { "tls12", 0, 0, '2' }, { "hs-timeout", 1, 0, 'h' },
		{ "per-session", 0, 0, 'P' }, { "ca", 1, 0, 'a' }, { "cert", 1, 0, 'c' },
		{ "key", 1, 0, 'y' }, { "tls-crypt", 1, 0, 'T' }, { "tls-crypt-v2", 1, 0, 'V' },
		{ "tls", 1, 0, 'L' }, { 0, 0, 0, 0 },
	};
	int ch;

	*o = (struct opts){ .sessions = 1, .parallel = 32, .rate = 1000, .seconds = 1,
			    .hs_timeout = 30, .size = 64 };
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': if (addr(optarg, 1194, &o->server) != 0) return -1; break;
		case 'k': if (addr(optarg, LG_SINK_PORT, &o->sink) != 0) return -1; break;
		case 'n': o->sessions = (unsigned)atoi(optarg); break;
		case 'p': o->parallel = (unsigned)atoi(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		case 't': o->seconds = atof(optarg); break;
		case 'h': o->hs_timeout = atof(optarg); break;
		case 'z': o->size = strcmp(optarg, "imix") == 0 ? 0 : atoi(optarg); break;
		case '2': o->tls12 = true; break;
		case 'L':
			if (strcmp(optarg, "1.2") != 0 && strcmp(optarg, "1.3") != 0)
				return -1;
			o->tls12 = strcmp(optarg, "1.2") == 0;
			break;
		case 'P': o->per_session = true; break;
		case 'a': o->ca = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'y': o->key = optarg; break;
		case 'T': o->tc = optarg; break;
		case 'V': o->tc2 = optarg; break;
		default: return -1;
		}
	}
	if (o->server.sin_family == 0 || o->sink.sin_family == 0 || !o->ca || !o->cert ||
	    !o->key || !o->tc == !o->tc2 || o->sessions < 1 || o->sessions > LG_MAX_SESSIONS ||
	    o->parallel < 1 || o->rate < 0 || o->rate > 1e8 || o->seconds < 0 ||
	    o->seconds > 600 || o->hs_timeout <= 0 || o->hs_timeout > 600 ||
	    (o->size != 0 && (o->size < 64 || o->size > 1500)))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct lg_client_cfg cfg = {
		.peer_info = "IV_VER=2.6.14\nIV_PLAT=linux\nIV_PROTO=990\nIV_NCP=2\n"
			     "IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\nIV_MTU=1600\n",
		.push_retry_ms = 1000,
	};
	struct pollfd *pfd;
	struct opts o;
	double hs_secs;
	unsigned up;

	if (parse(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	if (load_wrap(&o, &cfg) != 0 || (cfg.sctx = tls_ctx(&o)) == NULL)
		return 1;
	/* Freed TLS buffers stay ours: no heap trimming and page faults on
	 * the next handshake's allocations. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	S = malloc(o.sessions * sizeof(*S));
	pfd = calloc(o.sessions, sizeof(*pfd));
	if (S == NULL || pfd == NULL)
		return 1;
	memset(S, 0, o.sessions * sizeof(*S));	/* touched now, not in a handshake */
	for (unsigned i = 0; i < o.sessions; i++) {
		S[i].fd = sess_socket(&o.server);
		if (S[i].fd < 0) {
			perror("socket");
			return 1;
		}
		pfd[i] = (struct pollfd){ .fd = S[i].fd, .events = POLLIN };
	}
	up = handshakes(&o, pfd, &cfg, &hs_secs);
	if (up > 0 && o.rate > 0 && o.seconds > 0)
		traffic(&o, pfd);
	goodbye(&o, pfd);
	report(&o, up, hs_secs);
	for (unsigned i = 0; i < o.sessions; i++) {
		if (S[i].started)
			lg_client_free(&S[i].c);
		close(S[i].fd);
	}
	SSL_CTX_free(cfg.sctx);
	OPENSSL_cleanse(cfg.tc_key, sizeof(cfg.tc_key));
	free(S);
	free(pfd);
	return up == o.sessions ? 0 : 1;
}
