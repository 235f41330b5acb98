/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS worker threads: a FIFO of sessions that have work (packets,
 * signals, due timers). A worker takes one session and runs it once (all
 * of its inbox, at most CP_INBOX_MAX packets); if more arrived meanwhile
 * the session goes back to the tail of the queue, so a session whose
 * inbox keeps refilling (a flood needs only the client's address, port
 * and clear session id) takes turns with the others instead of keeping
 * its worker. A slow handshake holds one worker while the others and the
 * event loop carry on.
 *
 * s->queued is set under s->lock when a session enters the queue and
 * cleared under the same lock only when the worker finds nothing new, so
 * a packet posted meanwhile is never left behind.
 *
 * After each run a worker wakes the event loop (an eventfd it polls): the
 * run's packets and commands leave at once instead of at the loop's next
 * tick, which is a round trip of every handshake.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cp_work.h"
#include "sl_log.h"

struct cp_work {
	struct cp_ctx *ctx;
	cp_work_run_fn *run;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct cp_session *head, *tail;
	bool quit;
	int efd;			/* the event loop's wake-up */
	unsigned n;
	pthread_t th[CP_WORKERS_MAX];
};

/* Append S (its queue reference with it); w->lock held. */
static void push_locked(struct cp_work *w, struct cp_session *s)
{
	if (w->tail != NULL)
		w->tail->wnext = s;
	else
		w->head = s;
	w->tail = s;
}

static struct cp_session *pop(struct cp_work *w)
{
	struct cp_session *s;

	pthread_mutex_lock(&w->lock);
	while (w->head == NULL && !w->quit)
		pthread_cond_wait(&w->cond, &w->lock);
	s = w->head;
	if (s != NULL && !w->quit) {
		w->head = s->wnext;
		if (w->head == NULL)
			w->tail = NULL;
		s->wnext = NULL;
	} else {
		s = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	return s;
}

/* Release the queued flag unless something arrived during the run. */
static bool done(struct cp_session *s)
{
	bool idle;

	pthread_mutex_lock(&s->lock);
	idle = s->in_n == 0 && s->sig == 0;
	if (idle)
		s->queued = false;
	pthread_mutex_unlock(&s->lock);
	return idle;
}

static void *worker(void *arg)
{
	struct cp_work *w = arg;
	struct cp_session *s;

	while ((s = pop(w)) != NULL) {
		w->run(w->ctx, s, w->ctx->now_ms());
		(void)eventfd_write(w->efd, 1);	/* its outputs are queued */
		if (done(s)) {
			cp_session_unref(s);	/* the queue's reference */
			continue;
		}
		/* More arrived: still queued, behind the others. */
		pthread_mutex_lock(&w->lock);
		push_locked(w, s);
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

struct cp_work *cp_work_start(struct cp_ctx *ctx, unsigned n)
{
	return cp_work_start_run(ctx, n, cp_session_run);
}

struct cp_work *cp_work_start_run(struct cp_ctx *ctx, unsigned n, cp_work_run_fn *run)
{
	struct cp_work *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->ctx = ctx;
	w->run = run;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	for (w->n = 0; w->efd >= 0 && w->n < n && w->n < CP_WORKERS_MAX; w->n++)
		if (pthread_create(&w->th[w->n], NULL, worker, w) != 0)
			break;
	if (w->n == 0) {
		cp_work_stop(w);
		return NULL;
	}
	return w;
}

void cp_work_stop(struct cp_work *w)
{
	struct cp_session *s, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL);
	for (s = w->head; s != NULL; s = next) {
		next = s->wnext;
		cp_session_unref(s);
	}
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	if (w->efd >= 0)
		close(w->efd);
	free(w);
}

int cp_work_fd(const struct cp_work *w)
{
	return w != NULL ? w->efd : -1;
}

void cp_work_cpus(const cpu_set_t *start, const struct sl_config *cfg, cpu_set_t *out)
{
	const struct cfg_dataplane *dp = &cfg->dp;

	if (cfg->ctl.n_tls_cpus > 0) {	/* control.tls_cpus, as the operator said */
		CPU_ZERO(out);
		for (unsigned i = 0; i < cfg->ctl.n_tls_cpus; i++)
			if (cfg->ctl.tls_cpu_ids[i] < CPU_SETSIZE)
				CPU_SET(cfg->ctl.tls_cpu_ids[i], out);
		return;
	}
	*out = *start;
	for (unsigned i = 1; i < dp->n_lcores && i < CFG_MAX_LCORES; i++)
		if (dp->lcore_ids[i] < CPU_SETSIZE)
			CPU_CLR(dp->lcore_ids[i], out);
	if (CPU_COUNT(out) == 0)
		*out = *start;
}

int cp_work_pin(struct cp_work *w, const cpu_set_t *cpus)
{
	for (unsigned i = 0; i < w->n; i++) {
		int rc = pthread_setaffinity_np(w->th[i], sizeof(*cpus), cpus);

		if (rc != 0)
			return -rc;
	}
	return 0;
}

void cp_work_fd_clear(struct cp_work *w)
{
	eventfd_t v;

	if (w != NULL)
		(void)eventfd_read(w->efd, &v);	/* non-blocking: EAGAIN when not set */
}

void cp_work_schedule(struct cp_ctx *ctx, struct cp_session *s)
{
	struct cp_work *w = ctx->work;
	bool queue;

	if (w == NULL)
		return;	/* tests run sessions themselves */
	pthread_mutex_lock(&s->lock);
	queue = !s->queued;
	s->queued = true;
	pthread_mutex_unlock(&s->lock);
	if (!queue)
		return;
	cp_session_ref(s);
	pthread_mutex_lock(&w->lock);
	push_locked(w, s);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void cp_work_wake(struct cp_ctx *ctx, struct cp_session *s, unsigned sig)
{
	cp_session_signal(s, sig);
	cp_work_schedule(ctx, s);
}
