/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore: executes commands from the control plane, answers with
 * events, keeps sl_status fresh (link, NIC counters, heartbeat). It polls
 * every DP_MAIN_POLL_US and sleeps in between: it shares its core with the
 * control plane, which wakes it early when it enqueues a command
 * (main_wait).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_peek_zc.h>

#include "dp.h"
#include "dp_peer.h"
#include "sl_futex.h"
#include "sl_log.h"

#define DP_MAIN_POLL_US		1000
#define DP_STATUS_EVERY		100	/* polls between NIC stats reads */

/*
 * What this data plane can carry: IPv4 addresses, UDP and TCP transport
 * (dp_exc.h). The API has room for IPv6; until it is implemented such
 * commands are refused (and counted as bad), never half-installed.
 */
static int peer_supported(const struct sl_cmd_peer *p)
{
	if (p->remote.addr.family != SL_AF_INET || p->vpn.family != SL_AF_INET)
		return -EAFNOSUPPORT;
	if (p->remote.transport != SL_TRANSPORT_UDP && p->remote.transport != SL_TRANSPORT_TCP)
		return -EPROTONOSUPPORT;
	return 0;
}

/* Range checks shared by every verb (see sl_api.h). */
static int cmd_check(const struct sl_cmd *c)
{
	if (c->version != SL_API_VERSION)
		return -EPROTO;
	if (c->type == SL_CMD_NOP)
		return 0;
	if (c->type <= SL_CMD_NOP || c->type >= SL_CMD_MAX)
		return -EINVAL;
	if (c->type != SL_CMD_RULES_PUBLISH && c->peer_id > SL_PEER_ID_MAX)
		return -ERANGE;
	if (c->type == SL_CMD_PEER_NEW)
		return peer_supported(&c->u.peer);
	if (c->type == SL_CMD_ROUTE_ADD || c->type == SL_CMD_ROUTE_DEL) {
		if (c->u.route.prefix.family != SL_AF_INET)
			return -EAFNOSUPPORT;
		if (c->u.route.len == 0 || c->u.route.len > 32)
			return -ERANGE;
	}
	if (c->type == SL_CMD_KEY_NEW &&
	    (c->u.key.key_id > SL_KEY_ID_MAX || c->u.key.slot > 1 ||
	     c->u.key.cipher == SL_CIPHER_NONE || c->u.key.cipher >= SL_CIPHER_COUNT ||
	     c->u.key.digest > SL_DIGEST_SHA512))
		return -ERANGE;
	return 0;
}

int dp_cmd_exec(struct dp *dp, const struct sl_cmd *c)
{
	int rc = cmd_check(c);

	if (rc != 0 || c->type == SL_CMD_NOP)
		return rc;
	if (c->type == SL_CMD_RULES_PUBLISH)
		return dp_rules_publish(dp, (struct sl_rule_blob *)(uintptr_t)c->u.rules, c->seq);
	return dp_peer_cmd(dp, c);
}

/*
 * Take one command and wipe its slot. A plain dequeue copies the command
 * out and leaves the bytes in the ring, in hugepage memory that every
 * process attached to the data plane can read, until the slot is reused:
 * for KEY_NEW those bytes are keys. The zero-copy dequeue (sl_cmd is SP/SC,
 * which it needs) lets us clear the slot before the producer may reuse it.
 */
static bool cmd_take(struct rte_ring *r, struct sl_cmd *c)
{
	struct rte_ring_zc_data zcd;

	if (rte_ring_dequeue_zc_burst_elem_start(r, sizeof(*c), 1, &zcd, NULL) != 1)
		return false;
	memcpy(c, zcd.ptr1, sizeof(*c));
	explicit_bzero(zcd.ptr1, sizeof(*c));
	rte_ring_dequeue_zc_elem_finish(r, 1);
	return true;
}

void dp_cmd_poll(struct dp *dp)
{
	struct sl_cmd c;

	while (cmd_take(dp->cmd, &c)) {
		struct sl_event e = {
			.type = SL_EVT_RESULT, .cmd_type = c.type, .seq = c.seq,
			.peer_id = c.peer_id,
		};

		e.result = dp_cmd_exec(dp, &c);
		if (e.result == DP_CMD_PENDING)
			continue;	/* answered by dp_rules_poll() */
		if (e.result == 0)
			dp->status->cmds_done++;
		else
			dp->status->cmds_bad++;
		/* Key material is wiped as soon as it has been consumed. */
		explicit_bzero(&c, sizeof(c));
		if (rte_ring_enqueue_elem(dp->evt, &e, sizeof(e)) != 0)
			SL_WARN("event ring full: result of command %u lost", e.seq);
	}
}

/*
 * Between polls: sleep on sl_cmd's producer tail, which the control plane
 * wakes after each command it enqueues (cp_dp_send). A client's key method
 * 2 reply waits until its keys are installed (cp_loop.c), so a key that
 * waited for the next poll cost each handshake up to DP_MAIN_POLL_US more;
 * woken, we run it at once and sleep the rest of the time as before. SEEN
 * is the tail read before the last dp_cmd_poll: a command enqueued since
 * ends the wait at once (EAGAIN). Where the wait itself fails we sleep.
 */
static void main_wait(struct dp *dp, uint32_t seen)
{
	if (sl_futex_broken(sl_futex_wait(&dp->cmd->prod.tail, seen, DP_MAIN_POLL_US)))
		usleep(DP_MAIN_POLL_US);
}

void dp_main_loop(struct dp *dp)
{
	unsigned polls = 0;
	uint32_t seen;

	while (!atomic_load_explicit(&dp->quit, memory_order_relaxed)) {
		seen = __atomic_load_n(&dp->cmd->prod.tail, __ATOMIC_ACQUIRE);
		dp_cmd_poll(dp);
		dp_peers_reclaim(dp);
		dp_rules_poll(dp);
		if (polls++ % DP_STATUS_EVERY == 0)
			dp_ports_status(dp);
		dp->status->heartbeat++;
		main_wait(dp, seen);
	}
}
