/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's side of sl_api.h: attach to the data plane's shared
 * objects, send commands, take events and control packets.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "cp_dp.h"
#include "sl_futex.h"
#include "sl_log.h"

#define CP_DP_STALL_POLLS 2000	/* ~2 s of loop ticks without a heartbeat */
#define CP_DP_PID_POLLS 50	/* ~50 ms of them: is its process still there? */
#define CP_DP_WATCH_US 100000	/* the watcher's longest sleep: its stop flag */

/* Before EAL init: is a primary with our file prefix running? */
int cp_dp_alive(const struct sl_config *cfg)
{
	char path[256];

	snprintf(path, sizeof(path), "/var/run/dpdk/%s/config", cfg->dp.file_prefix);
	if (access(path, F_OK) != 0)
		return 0;
	return rte_eal_primary_proc_alive(path);
}

static const struct rte_memzone *lookup(struct cp_dp *d)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_MZ_STATUS);

	d->cp_rx = rte_ring_lookup(SL_RING_CP_RX);
	d->cp_tx = rte_ring_lookup(SL_RING_CP_TX);
	d->cmd = rte_ring_lookup(SL_RING_CMD);
	d->evt = rte_ring_lookup(SL_RING_EVT);
	d->pool = rte_mempool_lookup(SL_POOL_PKT);
	if (mz == NULL || d->cp_rx == NULL || d->cp_tx == NULL || d->cmd == NULL ||
	    d->evt == NULL || d->pool == NULL)
		return NULL;
	return mz;
}

int cp_dp_attach(struct cp_dp *d)
{
	const struct rte_memzone *mz = lookup(d);

	/* A data plane that has just started (we were waiting for one) makes
	 * its objects after its own EAL init: give it a few seconds. */
	for (int i = 0; i < 50 && mz == NULL; i++) {
		usleep(100 * 1000);
		mz = lookup(d);
	}
	if (mz == NULL) {
		SL_ERR("the data plane's shared objects are missing (still starting, "
		       "or a different sluice version?)");
		return -ENOENT;
	}
	/* Control packets carry struct sl_cp_meta in the mbuf private area. */
	if (rte_pktmbuf_priv_size(d->pool) < sizeof(struct sl_cp_meta)) {
		SL_ERR("the data plane's packet pool has no room for control-packet metadata "
		       "(a different sluice version?)");
		return -EPROTO;
	}
	d->status = mz->addr;
	for (int i = 0; i < 50 && d->status->magic != SL_STATUS_MAGIC; i++)
		usleep(100 * 1000);	/* ports still coming up */
	if (d->status->magic != SL_STATUS_MAGIC || d->status->version != SL_API_VERSION) {
		SL_ERR("data plane not ready or API version %u (we speak %u)",
		       d->status->version, SL_API_VERSION);
		return -EPROTO;
	}
	d->last_heartbeat = d->status->heartbeat;
	d->done_base = d->status->cmds_done + d->status->cmds_bad;
	d->sent = 0;
	/* The data plane waits for this to clear before it frees what we use. */
	__atomic_store_n((int32_t *)&d->status->cp_pid, (int32_t)getpid(), __ATOMIC_RELEASE);
	return 0;
}

void cp_dp_detach(struct cp_dp *d)
{
	if (d->status != NULL && d->status->cp_pid == (int32_t)getpid())
		__atomic_store_n((int32_t *)&d->status->cp_pid, 0, __ATOMIC_RELEASE);
}

/*
 * Has the data plane executed the first SENT commands we enqueued? It
 * counts every command it runs (cmds_done + cmds_bad, in ring order), so
 * the difference from the count at attach is how many of ours it ran.
 */
bool cp_dp_executed(const struct cp_dp *d, uint32_t sent)
{
	uint32_t ran = __atomic_load_n(&d->status->cmds_done, __ATOMIC_ACQUIRE) +
		       __atomic_load_n(&d->status->cmds_bad, __ATOMIC_ACQUIRE) - d->done_base;

	return (int32_t)(ran - sent) >= 0;
}

int cp_dp_send(struct cp_dp *d, struct sl_cmd *c)
{
	c->version = SL_API_VERSION;
	c->seq = ++d->next_seq;
	if (rte_ring_enqueue_elem(d->cmd, c, sizeof(*c)) != 0)
		return -ENOBUFS;
	d->sent++;
	/* The main lcore sleeps on this word between its polls
	 * (dataplane/dp_mainlcore.c): it runs the command now. */
	sl_futex_wake(&d->cmd->prod.tail);
	return 0;
}

static void event_other(struct cp_dp *d, const struct sl_event *e)
{
	if (d->on_event != NULL)
		d->on_event(d->event_arg, e);
}

/*
 * Send C and wait up to TIMEOUT_MS for its result. Other events that arrive
 * meanwhile go to d->on_event like any other.
 */
int cp_dp_call(struct cp_dp *d, struct sl_cmd *c, unsigned timeout_ms, struct sl_event *res)
{
	int rc = cp_dp_send(d, c);

	if (rc != 0)
		return rc;
	for (unsigned t = 0; t < timeout_ms * 10; t++) {
		while (rte_ring_dequeue_elem(d->evt, res, sizeof(*res)) == 0) {
			d->events_in++;
			if (res->type == SL_EVT_RESULT && res->seq == c->seq)
				return 0;
			event_other(d, res);
		}
		usleep(100);
	}
	return -ETIMEDOUT;
}

/*
 * Sleep on sl_cp_rx's producer tail until a data-plane worker wakes us
 * (dataplane/dp_cp.c) or a while has passed; each time it has moved, wake
 * the event loop. A tail that moves while we are away from the wait ends
 * the next one at once (EAGAIN), so no packet is missed: at worst the
 * loop's tick takes it, as it did before there was a watcher.
 */
static void *watch(void *arg)
{
	struct cp_dp *d = arg;
	const volatile uint32_t *tail = &d->cp_rx->prod.tail;
	uint32_t seen = *tail, now;
	int rc;

	while (!atomic_load_explicit(&d->watch_stop, memory_order_acquire)) {
		rc = sl_futex_wait(tail, seen, CP_DP_WATCH_US);
		now = *tail;
		if (now != seen) {
			seen = now;
			(void)eventfd_write(d->watch_fd, 1);
		} else if (sl_futex_broken(rc)) {
			SL_WARN("control packets wait for the event loop's tick: futex: %s",
				strerror(rc));
			break;
		}
	}
	return NULL;
}

int cp_dp_watch_start(struct cp_dp *d, int fd)
{
	int rc;

	atomic_store(&d->watch_stop, false);
	d->watch_fd = fd;
	rc = pthread_create(&d->watch, NULL, watch, d);
	if (rc != 0)
		return -rc;
	pthread_setname_np(d->watch, "cp-rx-watch");
	d->watching = true;
	return 0;
}

void cp_dp_watch_stop(struct cp_dp *d)
{
	if (!d->watching)
		return;
	atomic_store_explicit(&d->watch_stop, true, memory_order_release);
	sl_futex_wake(&d->cp_rx->prod.tail);
	pthread_join(d->watch, NULL);
	d->watching = false;
}

/* Events; control packets are cp_loop.c's. */
void cp_dp_poll(struct cp_dp *d)
{
	struct sl_event e;

	while (rte_ring_dequeue_elem(d->evt, &e, sizeof(e)) == 0) {
		d->events_in++;
		event_other(d, &e);
	}
}

/*
 * The data plane's main lcore bumps the heartbeat every millisecond. A
 * missed beat or two is normal; after CP_DP_PID_POLLS of them we look
 * whether its process is still there, so a killed data plane is noticed
 * in tens of milliseconds, before a restarted one needs the files our
 * mappings hold (main.c then lets go of them). One that is stopping
 * (SIGTERM) clears the magic first and waits for us to let go.
 */
bool cp_dp_gone(struct cp_dp *d)
{
	if (__atomic_load_n(&d->status->magic, __ATOMIC_ACQUIRE) != SL_STATUS_MAGIC)
		return true;
	if (d->status->heartbeat != d->last_heartbeat) {
		d->last_heartbeat = d->status->heartbeat;
		d->stalled_polls = 0;
		return false;
	}
	if (++d->stalled_polls % CP_DP_PID_POLLS == 0 && kill(d->status->dp_pid, 0) != 0)
		return true;
	return d->stalled_polls >= CP_DP_STALL_POLLS && kill(d->status->dp_pid, 0) != 0;
}
