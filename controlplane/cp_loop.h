/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_LOOP_H
#define SL_CP_LOOP_H

/*
 * The event loop (cp_loop.c): control packets, outputs of the workers,
 * data-plane events, timers. Everything here runs on the main thread.
 */
#include "cp.h"

int cp_loop_init(struct cp *cp);
void cp_loop_fini(struct cp *cp);
/* One tick: commands waiting, packets, events, outputs, timers. */
void cp_loop_poll(struct cp *cp);
/*
 * The TLS workers' eventfd: readable when a run has queued outputs, so the
 * main thread's wait between ticks ends at once and the outputs leave
 * (each of a handshake's round trips waited for a tick before). Clear it
 * when it was readable, before the tick takes the outputs.
 */
int cp_loop_wake_fd(const struct cp *cp);
void cp_loop_wake_clear(struct cp *cp);
/* End S now from the event loop (no worker involved): log line,
 * PEER_DEL, pool release, out of the table. */
void cp_loop_end(struct cp *cp, struct cp_session *s, enum cp_end why);
/* PEER_DEL of a peer that has no session. */
void cp_loop_peer_del(struct cp *cp, uint32_t peer_id, uint8_t reason);
/* Monotonic ms. */
uint64_t cp_now_ms(void);
/* A control packet D of LEN bytes from FROM (next hop MAC) into the loop, as
 * sl_cp_rx's are: the TCP transport's (cp_tcp.c). */
void cp_loop_packet(struct cp *cp, const uint8_t *d, size_t len, const struct sl_endpoint *from,
		    const uint8_t mac[6], uint64_t now);

#endif
