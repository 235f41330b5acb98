/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-sink: the LAN-side end of sluice-loadgen's traffic. Counts the
 * UDP datagrams that arrive, per session (the session index in the
 * payload, lg_wire.h), optionally echoes each back to its sender so the
 * server's encrypt direction carries the same load. Batched with
 * recvmmsg/sendmmsg. On SIGTERM/SIGINT, or after --time seconds, prints
 * key=value lines: the totals, then one line per session that was seen
 * or expected (--sessions N), so a session that stopped shows as rx=0.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lg_wire.h"

#define BATCH 64

static volatile sig_atomic_t stop;
static uint64_t rx[LG_MAX_SESSIONS], foreign, total, echoed;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void serve(int fd, bool echo)
{
	static uint8_t bufs[BATCH][2048];
	struct sockaddr_in from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	int n;

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i],
			.msg_namelen = sizeof(from[i]), .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		struct lg_payload pl;

		total++;
		memcpy(&pl, bufs[i], sizeof(pl));
		if (mm[i].msg_len < sizeof(pl) || pl.magic != LG_MAGIC || pl.session >= LG_MAX_SESSIONS)
			foreign++;
		else
			rx[pl.session]++;
		iov[i].iov_len = mm[i].msg_len;
	}
	if (echo && n > 0) {
		int s = sendmmsg(fd, mm, (unsigned)n, 0);

		echoed += s > 0 ? (uint64_t)s : 0;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", 1, 0, 'l' }, { "echo", 0, 0, 'e' }, { "sessions", 1, 0, 'n' },
		{ "time", 1, 0, 't' }, { 0, 0, 0, 0 },
	};
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(LG_SINK_PORT) };
	unsigned sessions = 0, port = LG_SINK_PORT;
	double limit = 600;
	char host[64] = "0.0.0.0";
	bool echo = false;
	int ch, fd, big = 1 << 22;
	time_t end;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'l' && sscanf(optarg, "%63[^:]:%u", host, &port) >= 1 && port > 0 && port < 65536)
			continue;
		if (ch == 'e')
			echo = true;
		else if (ch == 'n')
			sessions = (unsigned)atoi(optarg);
		else if (ch == 't')
			limit = atof(optarg);
		else {
			fprintf(stderr, "usage: sluice-sink [--listen IP[:PORT]] [--echo] "
				"[--sessions N] [--time S (<= 3600)]\n");
			return 2;
		}
	}
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || sessions > LG_MAX_SESSIONS ||
	    limit <= 0 || limit > 3600) {
		fprintf(stderr, "sluice-sink: bad --listen, --sessions or --time\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("sluice-sink: bind");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("sink=ready port=%u\n", port);
	fflush(stdout);
	end = time(NULL) + (time_t)limit;
	while (!stop && time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			serve(fd, echo);
	}
	printf("sink_total=%lu sink_foreign=%lu sink_echoed=%lu\n", total, foreign, echoed);
	for (unsigned i = 0; i < LG_MAX_SESSIONS; i++)
		if (i < sessions || rx[i] > 0)
			printf("sink_session=%u rx=%lu\n", i, rx[i]);
	close(fd);
	return 0;
}
