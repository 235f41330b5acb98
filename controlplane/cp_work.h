/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_WORK_H
#define SL_CP_WORK_H

/* The TLS worker threads (cp_work.c): they run sessions that have work. */
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

#endif
