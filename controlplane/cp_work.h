/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_WORK_H
#define SL_CP_WORK_H

/* The TLS worker threads (cp_work.c): they run sessions that have work. */
#include <sched.h>

#include "cfg.h"
#include "cp_session.h"

#define CP_WORKERS_MAX		16

typedef void cp_work_run_fn(struct cp_ctx *ctx, struct cp_session *s, uint64_t now);

struct cp_work *cp_work_start(struct cp_ctx *ctx, unsigned n);
/* The same with RUN in place of cp_session_run (tests of the scheduling). */
struct cp_work *cp_work_start_run(struct cp_ctx *ctx, unsigned n, cp_work_run_fn *run);
void cp_work_stop(struct cp_work *w);
/* Queue s for a run unless it is queued or running already. */
void cp_work_schedule(struct cp_ctx *ctx, struct cp_session *s);
/* Signal s (CP_SIG_*) and queue it. */
void cp_work_wake(struct cp_ctx *ctx, struct cp_session *s, unsigned sig);
/* The eventfd that turns readable when a run has queued outputs (-1 for
 * NULL); cp_work_fd_clear resets it, before the outputs are taken. */
int cp_work_fd(const struct cp_work *w);
void cp_work_fd_clear(struct cp_work *w);
/*
 * The CPUs the workers may use: control.tls_cpus when set; otherwise the
 * process's own from before EAL pinned the main thread to the data plane's
 * main lcore (START: what the operator gave it, taskset or systemd's
 * CPUAffinity), less the data plane's busy-polling worker lcores unless
 * that leaves none. Without this the workers inherit the main thread's
 * single CPU and every handshake of every worker runs on it. tls_cpus may
 * name a worker lcore's CPU: with dataplane.idle_sleep_us the worker
 * leaves it free when idle (docs/operations.md).
 */
void cp_work_cpus(const cpu_set_t *start, const struct sl_config *cfg, cpu_set_t *out);
/* Move every worker onto CPUS; 0 or a negative errno. */
int cp_work_pin(struct cp_work *w, const cpu_set_t *cpus);

#endif
