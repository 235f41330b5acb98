/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LG_WIRE_H
#define LG_WIRE_H

/* The payload of every inner UDP datagram the generator sends: the sink
 * counts it under its session and echoes it unchanged, so the generator
 * measures the round trip from ts_ns. */
#include <stdint.h>

#define LG_MAGIC	0x534c4731u	/* "SLG1" */
#define LG_SINK_PORT	9000
#define LG_MAX_SESSIONS	4096

struct lg_payload {
	uint32_t magic;
	uint32_t session;	/* 0-based session index */
	uint64_t seq;
	uint64_t ts_ns;		/* CLOCK_MONOTONIC at send */
} __attribute__((packed));

#endif
