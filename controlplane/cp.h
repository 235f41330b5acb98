/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_H
#define SL_CP_H

/*
 * sluice-controlplane internals. One event loop thread: admin socket,
 * control packets from the data plane, events, session table, outputs of
 * the TLS workers (cp_session.h); it talks to the data plane only through
 * sl_api.h objects.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "cp_session.h"
#include "sl_api.h"

struct rte_ring;
struct rte_mempool;

/* The data plane as the control plane sees it (cp_dp.c). */
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
};

#define CP_HASH_SIZE	4096	/* session table buckets, by client address */

struct cp {
	const struct sl_config *cfg;
	struct cp_dp dp;
	int admin_fd;
	uint64_t started;
	struct cp_ctx ctx;
	struct cp_admit *admit;
	struct cp_session *table[CP_HASH_SIZE];
	struct cp_session *all;		/* every live session, for timers and listing */
	struct cp_out *backlog, *backlog_tail;	/* commands waiting for sl_cmd room */
	/* Outputs held until the data plane has run the key commands before them. */
	struct cp_out *held, *held_tail;
	uint32_t fence;			/* dp.sent value those commands reach */
	uint64_t next_timer_ms, next_crl_ms;
};

/* cp_dp.c */
int cp_dp_alive(const struct sl_config *cfg);
int cp_dp_attach(struct cp_dp *d);
int cp_dp_send(struct cp_dp *d, struct sl_cmd *c);
bool cp_dp_executed(const struct cp_dp *d, uint32_t sent);
int cp_dp_call(struct cp_dp *d, struct sl_cmd *c, unsigned timeout_ms, struct sl_event *res);
void cp_dp_poll(struct cp_dp *d);
bool cp_dp_gone(struct cp_dp *d);

/* cp_admin.c */
int cp_admin_open(const char *path);
void cp_admin_close(int fd, const char *path);
void cp_admin_serve(struct cp *cp);

/* cp_ctrl.c */
int cp_ctrl_init(struct cp *cp);
void cp_ctrl_fini(struct cp *cp);
void cp_ctrl_poll(struct cp *cp);
int cp_ctrl_sessions(struct cp *cp, char *buf, size_t len);
int cp_ctrl_kill(struct cp *cp, const char *who);
/* End an adopted session (cp_adopt.c) now: PEER_DEL, pool, log line. */
void cp_ctrl_end_adopted(struct cp *cp, struct cp_session *s, enum cp_end why);
uint64_t cp_now_ms(void);

/* cp_status.c */
int cp_status_format(const struct cp *cp, char *buf, size_t len);

#endif
