/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_DP_H
#define SL_CP_DP_H

/*
 * The data plane as the control plane sees it (cp_dp.c): the shared
 * objects of sl_api.h, commands out, events in, liveness.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "sl_api.h"

struct rte_ring;
struct rte_mempool;

struct cp_dp {
	struct rte_ring *cp_rx, *cp_tx, *cmd, *evt;
	struct rte_mempool *pool;
	const struct sl_status *status;
	uint32_t next_seq;
	uint64_t ctrl_pkts_in;		/* control packets taken from the ring */
	uint64_t events_in;
	uint64_t last_heartbeat;
	unsigned stalled_polls;
	uint32_t sent;			/* commands enqueued since attach */
	uint32_t done_base;		/* data plane's executed count at attach */
	/* Events other than the result a cp_dp_call() waits for go here. */
	void (*on_event)(void *arg, const struct sl_event *e);
	void *event_arg;
	/* The control-packet watcher (cp_dp_watch_start). */
	pthread_t watch;
	atomic_bool watch_stop;
	bool watching;
	int watch_fd;
};

/* Before EAL init: is a primary with our file prefix running? */
int cp_dp_alive(const struct sl_config *cfg);
int cp_dp_attach(struct cp_dp *d);
/* Enqueue C on sl_cmd (sets its version and seq); -ENOBUFS when full. */
int cp_dp_send(struct cp_dp *d, struct sl_cmd *c);
/* Has the data plane run the first SENT commands we enqueued? */
bool cp_dp_executed(const struct cp_dp *d, uint32_t sent);
int cp_dp_call(struct cp_dp *d, struct sl_cmd *c, unsigned timeout_ms, struct sl_event *res);
void cp_dp_poll(struct cp_dp *d);
bool cp_dp_gone(struct cp_dp *d);
/*
 * A thread that writes 1 to the eventfd FD whenever the data plane puts
 * control packets on sl_cp_rx (it wakes us: dp_cp.c), so the event loop
 * takes them at once rather than at its next tick. 0, or a negative errno
 * (the loop then has its tick alone). Stop it before FD is closed.
 */
int cp_dp_watch_start(struct cp_dp *d, int fd);
void cp_dp_watch_stop(struct cp_dp *d);
/* We no longer touch the shared objects: a stopping data plane may free
 * them (sl_status.cp_pid). Before rte_eal_cleanup. */
void cp_dp_detach(struct cp_dp *d);

#endif
