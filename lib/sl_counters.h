/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_COUNTERS_H
#define SL_COUNTERS_H

/*
 * Counter families as tables. Each family is one X-macro list (the data
 * plane's are in sl_api.h because they shape shared memory; the control
 * plane's is below). lib/sl_counters.c turns every list into a table of
 * struct sl_counter_def, which `sluicectl status`, the DPDK telemetry
 * endpoints and exporters walk instead of naming fields one by one.
 */
#include <stddef.h>
#include <stdint.h>

#include "sl_api.h"

enum sl_counter_kind { SL_COUNTER, SL_GAUGE };

struct sl_counter_def {
	const char *name;	/* as shown: "rx_pkts", "drop-tls" ... */
	enum sl_counter_kind kind;
	const char *help;
	size_t offset;		/* of the uint64_t in its struct; 0 for enum-indexed families */
};

/*
 * Control-plane counters: X(ENUM, "name", KIND, "help"). The control plane
 * keeps them as an array indexed by enum cp_stat (CP_ST_<ENUM>).
 */
#define SL_CP_COUNTERS(X) \
	X(PKTS_IN, "packets-in", COUNTER, "control packets taken from the ring") \
	X(PKTS_OUT, "packets-out", COUNTER, "control packets handed to the data plane") \
	X(COOKIES, "cookie-replies", COUNTER, "stateless hard-reset replies sent") \
	X(SESSIONS, "sessions-created", COUNTER, "sessions created") \
	X(DROP_SHORT, "drop-short", COUNTER, "too short or bad header") \
	X(DROP_OPCODE, "drop-opcode", COUNTER, "opcode or key-id not acceptable here") \
	X(DROP_WRAP, "drop-wrap", COUNTER, "tls-auth / tls-crypt / tls-crypt-v2 check failed") \
	X(DROP_REPLAY, "drop-replay", COUNTER, "replayed (wrap replay-id, a session's hard reset, a stale admission)") \
	X(DROP_COOKIE, "drop-cookie", COUNTER, "echoed session id is not our cookie") \
	X(DROP_RATE, "drop-rate", COUNTER, "per-source rate limit") \
	X(DROP_HALF_OPEN, "drop-half-open", COUNTER, "too many handshakes in progress") \
	X(DROP_FULL, "drop-full", COUNTER, "max_clients sessions") \
	X(DROP_INBOX, "drop-inbox", COUNTER, "session inbox full (slow or flooded session)") \
	X(DROP_SID, "drop-sid", COUNTER, "peer session id mismatch") \
	X(DROP_PARSE, "drop-parse", COUNTER, "malformed control packet after unwrap") \
	X(DROP_KEY_ID, "drop-key-id", COUNTER, "no key state for this key-id") \
	X(DROP_ENDED, "drop-ended", COUNTER, "for a session that has ended") \
	X(DROP_MSG_WINDOW, "drop-msg-window", COUNTER, "msg-id past the receive window (acks taken)") \
	X(DROP_TX_RING, "drop-tx-ring", COUNTER, "sl_cp_tx full") \
	X(DROP_NO_MBUF, "drop-no-mbuf", COUNTER, "packet pool empty") \
	X(CMD_BACKLOG, "cmd-backlog", COUNTER, "commands that waited for room in sl_cmd") \
	X(TLS_FAIL, "tls-failures", COUNTER, "TLS handshakes that failed") \
	X(AUTH_FAIL, "auth-failures", COUNTER, "authentication failures") \
	X(RENEG, "renegotiations", COUNTER, "renegotiations completed") \
	X(TCP_ACCEPTED, "tcp-accepted", COUNTER, "TCP transport connections accepted") \
	X(TCP_REFUSED, "tcp-refused", COUNTER, "TCP connections closed at once: no free slot") \
	X(TCP_GARBAGE, "tcp-garbage", COUNTER, "TCP connections closed for bad stream framing") \
	X(TCP_DROP_FULL, "tcp-drop-full", COUNTER, "packets for a TCP connection whose output queue was full") \
	X(TCP_DROP_NOCONN, "tcp-drop-noconn", COUNTER, "packets for a TCP connection that is gone")

#define SL_CP_COUNTER_COUNT_(e, name, kind, help) +1
enum { SL_CP_COUNTERS_N = 0 SL_CP_COUNTERS(SL_CP_COUNTER_COUNT_) };

/* The tables; each has *n entries. */
const struct sl_counter_def *sl_drop_defs(unsigned *n);		/* index = enum sl_drop */
const struct sl_counter_def *sl_lcore_defs(unsigned *n);	/* offsets into sl_lcore_stats */
const struct sl_counter_def *sl_peer_defs(unsigned *n);		/* offsets into sl_peer_stats */
const struct sl_counter_def *sl_port_defs(unsigned *n);		/* offsets into sl_port_status */
const struct sl_counter_def *sl_cp_defs(unsigned *n);		/* index = enum cp_stat */

static inline uint64_t sl_counter_read(const void *base, const struct sl_counter_def *d)
{
	return *(const uint64_t *)((const uint8_t *)base + d->offset);
}

/*
 * The one place per-lcore counters are summed: every field and every drop
 * reason of the first n_workers entries of s->lcore into *sum.
 */
void sl_lcore_sum(const struct sl_status *s, struct sl_lcore_stats *sum);

#endif
