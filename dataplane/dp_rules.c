/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access rules in the data path: the rules stage (dp_pkt.h), the rule-set
 * publish on the main lcore, hit counters and the deny log.
 *
 * Stage, per burst (forward: packets from VPN users, rule direction in;
 * reverse: packets toward them, direction out), on the owner worker of
 * every packet's peer:
 *   1. parse each inner packet into its flow key (dp_flow.c);
 *   2. one bulk lookup in the worker's flow table;
 *   3. a packet of a flow of the live rule set passes (its TCP state moves);
 *      a flow of an older set is checked again, in the direction that
 *      opened it; a packet with no flow is classified;
 *   4. one dp_acl_classify() per rule direction for all of those (the
 *      reverse burst holds replies of in flows, so at most two calls);
 *   5. allow: the flow is made (or goes on, with the live generation),
 *      the rule's hit counters count the packet; deny: an acl-deny drop,
 *      the flow (if any) removed, a deny-log record for the main lcore.
 * Non-first fragments take their first fragment's flow (dp_flow.h) or are
 * acl-frag drops; ICMP errors pass if they quote a packet of a live flow,
 * else they are classified as what they are (and make no flow).
 *
 * Before the first publish there is no rule set and the stage passes
 * everything (the behaviour of a data plane without access rules); the
 * control plane publishes the configured rules and default policy as soon
 * as it attaches (docs/architecture.md, "Access rules").
 *
 * Publish (SL_CMD_RULES_PUBLISH, main lcore): the blob goes to the builder
 * thread (dp_acl_build(), seconds for 10 k rules, so the main lcore goes on
 * answering other commands); when it is built the main lcore (dp_rules_poll)
 * makes it live with one release store of the new set's pointer and answers
 * the command; the old set waits for an rte_rcu_qsbr grace period (every
 * worker reports quiescent once per loop iteration, dp_worker.c) and is
 * freed by a later dp_rules_poll(). Workers never wait; a flow of a rule
 * the change does not touch passes its re-check and loses nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_rcu_qsbr.h>

#include "dp_acl.h"
#include "dp_flow.h"
#include "dp_pkt.h"
#include "sl_log.h"

#define DP_FLOWS_PER_WORKER	65536	/* flow table entries per worker */
#define DP_EXPIRE_PER_BURST	4	/* idle flows swept per burst */
#define DP_DENY_LOG_PER_S	10	/* deny log lines the main lcore prints per second */
#define DP_DENY_REC_PER_S	32	/* records a worker queues per second */
#define DP_DENY_RING		256
#define DP_RETIRED_MAX		16	/* old sets waiting for their grace period */
#define DP_JOBS_MAX		4	/* publishes waiting for the builder */
#define DP_CHUNK		64	/* packets per flow lookup: RTE_HASH_LOOKUP_BULK_MAX */

/* A published rule set. */
struct dp_rules {
	struct dp_acl *acl;
	uint32_t seq;		/* the data plane's publish count: the flows' generation */
};

/* Per worker: its flow table and its share of the deny log. */
struct dp_rules_worker {
	struct dp_flow_table *flows;
	uint32_t log_sec;
	uint32_t log_n;
	uint64_t log_missed;	/* records not queued (rate or full ring) */
} __rte_cache_aligned;

/* A denied flow, as the worker saw it, for the main lcore to print. */
struct dp_deny_rec {
	uint32_t peer_id;
	uint32_t vpn_ip;
	uint32_t src, dst;		/* host order */
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t dir;			/* enum sl_rule_dir */
	uint8_t cut;			/* an established flow the new rules end */
	uint8_t pad;
	char peer[48];
	char rule[SL_RULE_NAME_MAX];	/* "" = the default policy */
};

/* A publish on its way: the builder thread turns the blob into a set. */
struct dp_rules_job {
	struct sl_rule_blob *blob;	/* the builder's until done */
	uint32_t cmd_seq;		/* the command's, for its SL_EVT_RESULT */
	bool done;
	int rc;
	struct dp_acl *acl;		/* built; NULL if refused (rc) */
	char err[160];
};

/* Main lcore only (and the telemetry thread under lock, the builder under jlock). */
struct dp_rules_main {
	uint32_t seq;
	/* Jobs in command order, jobs[(j_head + i) % DP_JOBS_MAX]. */
	pthread_t builder;
	bool builder_up;
	bool stop;
	pthread_mutex_t jlock;
	pthread_cond_t jcond;
	unsigned j_head, j_n;
	struct dp_rules_job jobs[DP_JOBS_MAX];
	unsigned n_retired;
	struct {
		struct dp_rules *set;
		uint64_t token;
	} retired[DP_RETIRED_MAX];
	uint64_t log_sec;
	unsigned log_lines;
	uint64_t log_dropped;		/* records read but not printed this second */
	uint64_t missed_seen;		/* workers' log_missed already reported */
	pthread_mutex_t lock;		/* frees vs. telemetry readers of the live set */
};

/* ---- the stage ---- */

/* Peer P's policy tag now (the main lcore may change it with PEER_SET). */
static void tag_of(const struct dp_peer *p, struct dp_flow_tag *t)
{
	t->roles[0] = __atomic_load_n(&p->roles[0], __ATOMIC_RELAXED);
	t->roles[1] = __atomic_load_n(&p->roles[1], __ATOMIC_RELAXED);
	t->user_tag = __atomic_load_n(&p->user_tag, __ATOMIC_RELAXED);
}

static bool tag_same(const struct dp_flow_tag *a, const struct dp_flow_tag *b)
{
	return a->roles[0] == b->roles[0] && a->roles[1] == b->roles[1] &&
	       a->user_tag == b->user_tag;
}

/* The classifier's view of flow key K in direction DIR for a peer tagged T. */
static void acl_key_of(struct dp_acl_key *ak, const struct dp_flow_key *k, unsigned dir,
		       const struct dp_flow_tag *t)
{
	bool ports = k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP;
	uint32_t user = rte_cpu_to_be_32(k->user_ip), lan = rte_cpu_to_be_32(k->lan_ip);
	uint16_t up = ports ? k->user_port : 0, lp = ports ? k->lan_port : 0;

	if (dir == SL_RULE_IN)
		dp_acl_key_set(ak, k->proto, user, lan, up, lp, t->roles, t->user_tag);
	else
		dp_acl_key_set(ak, k->proto, lan, user, lp, up, t->roles, t->user_tag);
}

/* What happens to packet j of a chunk after classification. */
enum want { W_NONE, W_NEW, W_OWN, W_RECHECK, W_FRAG };

struct chunk {
	uint16_t at[DP_CHUNK];			/* index in the burst */
	struct dp_flow_pkt pk[DP_CHUNK];
	struct dp_flow_key lk[DP_CHUNK];	/* what to look up */
	struct dp_flow *f[DP_CHUNK];
	struct dp_flow_key fk[DP_CHUNK];	/* W_RECHECK: the flow's key */
	struct dp_flow_tag tg[DP_CHUNK];	/* the peer's tag classified with */
	uint16_t len[DP_CHUNK];
	uint8_t want[DP_CHUNK];
	uint8_t kdir[DP_CHUNK];			/* rule direction classified in */
	uint16_t kat[DP_CHUNK];			/* its key's index in that direction */
	unsigned nk[2];
	struct dp_acl_key ak[2][DP_CHUNK];
	const struct dp_acl_key *akp[2][DP_CHUNK];
	uint32_t res[2][DP_CHUNK];
};

static const uint8_t *inner_of(struct rte_mbuf *m, enum dp_dir dir, uint16_t *len)
{
	if (dir == DP_DIR_FORWARD) {
		const struct sl_cp_meta *meta = dp_meta(m);

		*len = meta->payload_len;
		return rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->payload_off);
	}
	*len = (uint16_t)m->pkt_len;
	return rte_pktmbuf_mtod(m, const uint8_t *);
}

/* Queue a deny-log record (at most DP_DENY_REC_PER_S per worker). */
static void deny_note(struct dp_worker *w, const struct dp_peer *p, const struct dp_flow_key *k,
		      unsigned dir, const struct dp_acl *acl, uint32_t r, bool cut)
{
	struct dp_rules_worker *rw = &w->dp->rules_wk[w->index];
	const struct sl_rule_entry *e = dp_acl_entry(acl, r);
	struct dp_deny_rec rec;

	if (rw->log_sec != w->now_s) {
		rw->log_sec = w->now_s;
		rw->log_n = 0;
	}
	if (rw->log_n >= DP_DENY_REC_PER_S) {
		rw->log_missed++;
		return;
	}
	rw->log_n++;
	memset(&rec, 0, sizeof(rec));
	rec.peer_id = p->id;
	rec.vpn_ip = p->vpn_ip;
	rec.src = dir == SL_RULE_IN ? k->user_ip : k->lan_ip;
	rec.dst = dir == SL_RULE_IN ? k->lan_ip : k->user_ip;
	rec.sport = dir == SL_RULE_IN ? k->user_port : k->lan_port;
	rec.dport = dir == SL_RULE_IN ? k->lan_port : k->user_port;
	rec.proto = k->proto;
	rec.dir = (uint8_t)dir;
	rec.cut = cut;
	if (p->stats != NULL)
		memcpy(rec.peer, p->stats->name, sizeof(rec.peer) - 1);
	if (e != NULL)
		memcpy(rec.rule, e->name, sizeof(rec.rule) - 1);
	if (rte_ring_enqueue_elem(w->dp->deny_log, &rec, sizeof(rec)) != 0)
		rw->log_missed++;
}

static void hit(struct dp_worker *w, const struct dp_acl *acl, uint32_t r, uint16_t len)
{
	if (r != 0)
		dp_acl_hit(w->dp->rule_hits, w->index, dp_acl_verdict(acl, r)->slot, len);
}

/* Packet j goes on with flow f (of the live set): state, fragments, counters. */
static int pass(struct dp_worker *w, struct dp_flow_table *t, const struct dp_rules *set,
		struct chunk *c, unsigned j, const uint8_t *ip, struct dp_flow *f)
{
	const struct dp_flow_pkt *pk = &c->pk[j];

	if (pk->kind == DP_FLOW_PKT_FIRST) {
		if (!dp_flow_update(t, f, pk, w->now_s))
			return -1;
		if (pk->more_frags) {
			struct dp_flow_key fk;

			dp_flow_frag_key(ip, pk->from_user, &fk);
			dp_flow_add_frag(t, &fk, f, w->now_s);
		}
	}
	hit(w, set->acl, f->rule, c->len[j]);
	return DP_V_OK;
}

/*
 * F if it still is the entry of key K, else K's entry now: an earlier
 * packet of the chunk may have removed F, or evicted it making room for a
 * new flow (the slot may hold another flow then).
 */
static struct dp_flow *still(struct dp_flow_table *t, struct dp_flow *f,
			     const struct dp_flow_key *k, uint32_t now)
{
	if (f == NULL || (f->in_use && memcmp(&f->key, k, sizeof(*k)) == 0))
		return f;
	return dp_flow_lookup(t, k, now);
}

/* The flow a non-first fragment follows: its fragment entry (FE, or looked
 * up by key K when the bulk lookup missed it), then that entry's flow. */
static struct dp_flow *frag_flow(struct dp_flow_table *t, struct dp_flow *fe,
				 const struct dp_flow_key *k, uint32_t now)
{
	if (fe == NULL)
		fe = dp_flow_lookup(t, k, now);
	return fe != NULL ? dp_flow_lookup(t, &fe->frag_of, now) : NULL;
}

/* Step 1-3 for packet j: its key, then what it needs. */
static int sort_one(struct dp_worker *w, struct dp_flow_table *t, const struct dp_rules *set,
		    struct chunk *c, unsigned j, const uint8_t *ip, unsigned rdir,
		    const struct dp_peer *p)
{
	const struct dp_flow_pkt *pk = &c->pk[j];
	struct dp_flow *f = still(t, c->f[j], &c->lk[j], w->now_s);
	struct dp_flow_tag *tg = &c->tg[j];
	unsigned d = rdir;

	tag_of(p, tg);

	c->want[j] = W_NONE;
	if (pk->kind == DP_FLOW_PKT_FRAG) {
		/* The bulk lookup ran before an earlier packet of this chunk,
		 * the first fragment, left its entry: look again. */
		if ((f = frag_flow(t, f, &c->lk[j], w->now_s)) == NULL) {
			/* Its first fragment may open the flow in this chunk's
			 * step 5, before this packet's turn (frag_late). */
			c->want[j] = W_FRAG;
			return DP_V_OK;
		}
		c->f[j] = f;
	}
	if (pk->kind == DP_FLOW_PKT_RELATED) {
		if (f != NULL)
			return DP_V_OK;		/* an error about a live flow */
		c->want[j] = W_OWN;
		acl_key_of(&c->ak[d][c->nk[d]], &pk->key, d, tg);
	} else if (f != NULL && (f->gen != set->seq || !tag_same(&f->tag, tg))) {
		c->want[j] = W_RECHECK;
		c->f[j] = f;
		c->fk[j] = f->key;
		d = f->opener == DP_FLOW_IN ? SL_RULE_IN : SL_RULE_OUT;
		acl_key_of(&c->ak[d][c->nk[d]], &f->key, d, tg);
	} else if (f != NULL) {
		if (pass(w, t, set, c, j, ip, f) == DP_V_OK)
			return DP_V_OK;
		dp_flow_del(t, f);	/* the other end opens on these ports */
		c->f[j] = NULL;
	}
	if (c->want[j] == W_NONE) {
		if (pk->kind == DP_FLOW_PKT_FRAG)
			return dp_drop_v(SL_DROP_ACL_FRAG);
		c->want[j] = W_NEW;
		acl_key_of(&c->ak[d][c->nk[d]], &pk->key, d, tg);
	}
	c->kdir[j] = (uint8_t)d;
	c->kat[j] = (uint16_t)c->nk[d];
	c->akp[d][c->nk[d]] = &c->ak[d][c->nk[d]];
	c->nk[d]++;
	return DP_V_OK;
}

/* Step 5 for packet j, classified. */
static int decide(struct dp_worker *w, struct dp_flow_table *t, const struct dp_rules *set,
		  struct chunk *c, unsigned j, const uint8_t *ip, unsigned rdir,
		  const struct dp_peer *p)
{
	unsigned d = c->kdir[j];
	uint32_t r = c->res[d][c->kat[j]];
	const struct dp_flow_pkt *pk = &c->pk[j];
	struct dp_flow *f = NULL;

	if (c->want[j] == W_RECHECK)
		f = still(t, c->f[j], &c->fk[j], w->now_s);
	if (dp_acl_verdict(set->acl, r)->action != SL_RULE_ALLOW) {
		hit(w, set->acl, r, c->len[j]);		/* deny rules count their hits too */
		if (c->want[j] == W_RECHECK) {
			deny_note(w, p, &c->fk[j], d, set->acl, r, true);
			if (f != NULL)
				dp_flow_del(t, f);
		} else {
			deny_note(w, p, &pk->key, d, set->acl, r, false);
		}
		return dp_drop_v(SL_DROP_ACL_DENY);
	}
	if (c->want[j] == W_OWN) {
		hit(w, set->acl, r, c->len[j]);
		return DP_V_OK;
	}
	if (c->want[j] == W_NEW || f == NULL) {	/* new, or re-checked and evicted since */
		bool re = c->want[j] == W_RECHECK;

		f = dp_flow_add(t, re ? &c->fk[j] : &pk->key,
				(re ? d : rdir) == SL_RULE_IN ? DP_FLOW_IN : DP_FLOW_OUT,
				set->seq, r, w->now_s);
		if (f == NULL) {	/* no room: the packet passes, its replies will not */
			hit(w, set->acl, r, c->len[j]);
			return DP_V_OK;
		}
	}
	f->gen = set->seq;
	f->rule = r;
	f->tag = c->tg[j];
	if (pass(w, t, set, c, j, ip, f) == DP_V_OK)
		return DP_V_OK;
	/* A re-checked flow whose packet is a SYN from the other end: its own flow. */
	dp_flow_del(t, f);
	return dp_drop_v(SL_DROP_ACL_DENY);
}

/* Step 5 for a non-first fragment whose first fragment came earlier in
 * the chunk: the flow it made or passed, as it is now; else acl-frag. */
static int frag_late(struct dp_worker *w, struct dp_flow_table *t, const struct dp_rules *set,
		     struct chunk *c, unsigned j, const uint8_t *ip)
{
	struct dp_flow *f = frag_flow(t, NULL, &c->lk[j], w->now_s);

	if (f == NULL || f->gen != set->seq || !tag_same(&f->tag, &c->tg[j]))
		return dp_drop_v(SL_DROP_ACL_FRAG);
	return pass(w, t, set, c, j, ip, f);
}

static void rules_chunk(struct dp_worker *w, const struct dp_rules *set, struct dp_burst *b,
			uint16_t first, uint16_t n, enum dp_dir dir)
{
	struct dp_flow_table *t = w->dp->rules_wk[w->index].flows;
	unsigned rdir = dir == DP_DIR_FORWARD ? SL_RULE_IN : SL_RULE_OUT, m = 0;
	struct chunk c;
	const uint8_t *ip[DP_CHUNK];

	for (uint16_t i = first; i < first + n; i++) {
		if (b->v[i] != DP_V_OK)
			continue;
		ip[m] = inner_of(b->pkts[i], dir, &c.len[m]);
		switch (dp_flow_parse(ip[m], c.len[m], dir == DP_DIR_FORWARD, &c.pk[m])) {
		case DP_FLOW_PKT_BAD:
			b->v[i] = (uint8_t)dp_drop_v(SL_DROP_BAD_INNER);
			continue;
		case DP_FLOW_PKT_RELATED:
			c.lk[m] = c.pk[m].rel;
			break;
		default:
			c.lk[m] = c.pk[m].key;
		}
		c.at[m++] = i;
	}
	if (m == 0)
		return;
	dp_flow_lookup_bulk(t, c.lk, m, c.f, w->now_s);
	c.nk[0] = c.nk[1] = 0;
	for (unsigned j = 0; j < m; j++)
		b->v[c.at[j]] = (uint8_t)sort_one(w, t, set, &c, j, ip[j], rdir, b->peer[c.at[j]]);
	for (unsigned d = 0; d < 2; d++)
		if (c.nk[d] > 0 && dp_acl_classify(set->acl, d, c.akp[d], c.res[d], c.nk[d]) != 0)
			memset(c.res[d], 0, c.nk[d] * sizeof(c.res[d][0]));
	for (unsigned j = 0; j < m; j++) {
		uint16_t i = c.at[j];

		if (b->v[i] != DP_V_OK || c.want[j] == W_NONE)
			continue;
		if (c.want[j] == W_FRAG)
			b->v[i] = (uint8_t)frag_late(w, t, set, &c, j, ip[j]);
		else
			b->v[i] = (uint8_t)decide(w, t, set, &c, j, ip[j], rdir, b->peer[i]);
	}
}

void dp_rules_stage(struct dp_worker *w, struct dp_burst *b, enum dp_dir dir)
{
	const struct dp_rules *set = atomic_load_explicit(&w->dp->rules, memory_order_acquire);

	if (set == NULL)
		return;		/* nothing published yet: everything passes */
	for (uint16_t i = 0; i < b->n; i += DP_CHUNK)
		rules_chunk(w, set, b, i, (uint16_t)RTE_MIN(DP_CHUNK, b->n - i), dir);
	dp_flow_expire(w->dp->rules_wk[w->index].flows, w->now_s, DP_EXPIRE_PER_BURST);
}

/* ---- main lcore: set up, publish, reclaim, deny log ---- */

/* The next job not built yet, or NULL. Under jlock. */
static struct dp_rules_job *job_next(struct dp_rules_main *rm)
{
	for (unsigned i = 0; i < rm->j_n; i++) {
		struct dp_rules_job *j = &rm->jobs[(rm->j_head + i) % DP_JOBS_MAX];

		if (!j->done)
			return j;
	}
	return NULL;
}

/*
 * The builder: rte_acl builds take up to seconds for 10 k rules
 * (bench/RESULTS.md); on their own thread they keep the main lcore
 * answering commands meanwhile. It only builds; the main lcore publishes.
 */
static void *builder_loop(void *arg)
{
	struct dp_rules_main *rm = arg;
	struct dp_rules_job *j;

	pthread_mutex_lock(&rm->jlock);
	while (!rm->stop) {
		if ((j = job_next(rm)) == NULL) {
			pthread_cond_wait(&rm->jcond, &rm->jlock);
			continue;
		}
		pthread_mutex_unlock(&rm->jlock);
		j->acl = dp_acl_build(j->blob, (int)rte_socket_id(), &j->rc, j->err,
				      sizeof(j->err));
		pthread_mutex_lock(&rm->jlock);
		j->done = true;
	}
	pthread_mutex_unlock(&rm->jlock);
	return NULL;
}

int dp_rules_init(struct dp *dp)
{
	size_t hits = (size_t)dp->n_workers * SL_RULES_MAX * sizeof(struct sl_rule_hits);
	struct dp_rules_main *rm;
	char name[32];

	rm = rte_zmalloc("sl_rules_main", sizeof(*rm), 0);
	dp->rules_wk = rte_zmalloc("sl_rules_wk", dp->n_workers * sizeof(*dp->rules_wk),
				   RTE_CACHE_LINE_SIZE);
	dp->rule_hits_mz = rte_memzone_reserve(SL_MZ_RULE_HITS, hits, rte_socket_id(), 0);
	dp->deny_log = rte_ring_create_elem("sl_deny_log", sizeof(struct dp_deny_rec),
					    DP_DENY_RING, rte_socket_id(), RING_F_SC_DEQ);
	dp->rules_main = rm;
	if (rm == NULL || dp->rules_wk == NULL || dp->rule_hits_mz == NULL ||
	    dp->deny_log == NULL) {
		SL_ERR("access rules: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	pthread_mutex_init(&rm->lock, NULL);
	pthread_mutex_init(&rm->jlock, NULL);
	pthread_cond_init(&rm->jcond, NULL);
	/* Without the thread, publishes are built inline (and block the main lcore). */
	rm->builder_up = pthread_create(&rm->builder, NULL, builder_loop, rm) == 0;
	if (rm->builder_up)
		pthread_setname_np(rm->builder, "sl-rules-build");
	else
		SL_WARN("rules: no builder thread: rule sets are built on the main lcore");
	dp->rule_hits = dp->rule_hits_mz->addr;
	memset(dp->rule_hits, 0, hits);
	for (unsigned i = 0; i < dp->n_workers; i++) {
		snprintf(name, sizeof(name), "sl_flows%u", i);
		dp->rules_wk[i].flows = dp_flow_create(name, DP_FLOWS_PER_WORKER,
						       &dp_flow_timeouts_default,
						       (int)rte_socket_id());
		if (dp->rules_wk[i].flows == NULL) {
			SL_ERR("flow table %u: %s", i, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

static void set_free(struct dp_rules *set)
{
	if (set == NULL)
		return;
	dp_acl_free(set->acl);
	rte_free(set);
}

/* Stop the builder; free what waits in the job list. */
static void builder_stop(struct dp_rules_main *rm)
{
	if (rm->builder_up) {
		pthread_mutex_lock(&rm->jlock);
		rm->stop = true;
		pthread_cond_signal(&rm->jcond);
		pthread_mutex_unlock(&rm->jlock);
		pthread_join(rm->builder, NULL);
		rm->builder_up = false;
	}
	for (; rm->j_n > 0; rm->j_n--, rm->j_head = (rm->j_head + 1) % DP_JOBS_MAX) {
		struct dp_rules_job *j = &rm->jobs[rm->j_head];

		if (j->acl != NULL)
			dp_acl_free(j->acl);	/* frees its blob */
		else
			rte_free(j->blob);
	}
}

void dp_rules_free(struct dp *dp)
{
	struct dp_rules_main *rm = dp->rules_main;

	if (rm != NULL)
		builder_stop(rm);
	/* Workers are stopped: nothing holds a set any more. */
	set_free(atomic_exchange(&dp->rules, NULL));
	for (unsigned i = 0; rm != NULL && i < rm->n_retired; i++)
		set_free(rm->retired[i].set);
	for (unsigned i = 0; dp->rules_wk != NULL && i < dp->n_workers; i++)
		dp_flow_free(dp->rules_wk[i].flows);
	rte_ring_free(dp->deny_log);
	if (dp->rule_hits_mz != NULL)
		rte_memzone_free(dp->rule_hits_mz);
	if (rm != NULL) {
		pthread_mutex_destroy(&rm->lock);
		pthread_mutex_destroy(&rm->jlock);
		pthread_cond_destroy(&rm->jcond);
	}
	rte_free(rm);
	rte_free(dp->rules_wk);
	dp->rules_main = NULL;
	dp->rules_wk = NULL;
	dp->deny_log = NULL;
	dp->rule_hits_mz = NULL;
	dp->rule_hits = NULL;
}

void dp_rules_clear(struct dp *dp)
{
	set_free(atomic_exchange(&dp->rules, NULL));
	for (unsigned i = 0; i < dp->rules_main->n_retired; i++)
		set_free(dp->rules_main->retired[i].set);
	dp->rules_main->n_retired = 0;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		dp_flow_clear(dp->rules_wk[i].flows);
		dp->rules_wk[i].log_n = 0;
	}
	memset(dp->rule_hits, 0, (size_t)dp->n_workers * SL_RULES_MAX * sizeof(*dp->rule_hits));
	dp->status->rules_generation = 0;
	dp->status->rules_count = 0;
}

/* Free the retired sets whose grace period is over (WAIT: block until all are). */
static void reclaim(struct dp *dp, bool wait)
{
	struct dp_rules_main *rm = dp->rules_main;
	unsigned kept = 0;

	for (unsigned i = 0; i < rm->n_retired; i++) {
		if (rte_rcu_qsbr_check(dp->qsbr, rm->retired[i].token, wait) == 1) {
			pthread_mutex_lock(&rm->lock);
			set_free(rm->retired[i].set);
			pthread_mutex_unlock(&rm->lock);
		} else {
			rm->retired[kept++] = rm->retired[i];
		}
	}
	rm->n_retired = kept;
}

/* Make ACL (built from a blob) the live set; refused (NULL) leaves the live one. */
static int install(struct dp *dp, struct dp_acl *acl, int rc, const char *err)
{
	struct dp_rules_main *rm = dp->rules_main;
	struct dp_rules *set, *old;

	if (acl == NULL) {
		SL_WARN("rules: rule set refused: %s", err[0] ? err : rte_strerror(-rc));
		return rc < 0 ? rc : -EINVAL;
	}
	set = rte_zmalloc("sl_rules", sizeof(*set), 0);
	if (set == NULL) {
		dp_acl_free(acl);
		return -ENOMEM;
	}
	set->acl = acl;
	/* A full retire list waits for the oldest grace period (ms: workers loop). */
	if (rm->n_retired == DP_RETIRED_MAX)
		reclaim(dp, true);
	set->seq = ++rm->seq;
	old = atomic_exchange_explicit(&dp->rules, set, memory_order_acq_rel);
	dp->status->rules_generation = set->acl->generation;
	dp->status->rules_count = set->acl->count;
	if (old != NULL) {
		rm->retired[rm->n_retired].set = old;
		rm->retired[rm->n_retired++].token = rte_rcu_qsbr_start(dp->qsbr);
	}
	SL_INFO("rules: generation %lu live (%u rules, default %s)",
		(unsigned long)set->acl->generation, set->acl->count,
		dp_acl_verdict(set->acl, 0)->action == SL_RULE_ALLOW ? "allow" : "deny");
	return 0;
}

int dp_rules_publish(struct dp *dp, struct sl_rule_blob *blob, uint32_t cmd_seq)
{
	struct dp_rules_main *rm = dp->rules_main;
	struct dp_rules_job *j;
	struct dp_acl *acl;
	char err[160] = "";
	int rc = 0;

	if (blob == NULL)
		return -EINVAL;
	if (!rm->builder_up) {
		acl = dp_acl_build(blob, (int)rte_socket_id(), &rc, err, sizeof(err));
		if (acl == NULL)
			rte_free(blob);
		return install(dp, acl, rc, err);
	}
	if (rm->j_n == DP_JOBS_MAX) {
		SL_WARN("rules: rule set refused: %d publishes already waiting", DP_JOBS_MAX);
		rte_free(blob);
		return -EBUSY;
	}
	pthread_mutex_lock(&rm->jlock);
	j = &rm->jobs[(rm->j_head + rm->j_n++) % DP_JOBS_MAX];
	*j = (struct dp_rules_job){ .blob = blob, .cmd_seq = cmd_seq };
	pthread_cond_signal(&rm->jcond);
	pthread_mutex_unlock(&rm->jlock);
	return DP_CMD_PENDING;
}

/* Publish the sets the builder finished, in command order; answer each command. */
static void jobs_finish(struct dp *dp)
{
	struct dp_rules_main *rm = dp->rules_main;

	for (;;) {
		struct sl_event e = { .type = SL_EVT_RESULT, .cmd_type = SL_CMD_RULES_PUBLISH };
		struct dp_rules_job j;

		pthread_mutex_lock(&rm->jlock);
		if (rm->j_n == 0 || !rm->jobs[rm->j_head].done) {
			pthread_mutex_unlock(&rm->jlock);
			return;
		}
		j = rm->jobs[rm->j_head];
		rm->j_head = (rm->j_head + 1) % DP_JOBS_MAX;
		rm->j_n--;
		pthread_mutex_unlock(&rm->jlock);
		if (j.acl == NULL)
			rte_free(j.blob);	/* refused: still ours to free */
		e.seq = j.cmd_seq;
		e.result = install(dp, j.acl, j.rc, j.err);
		if (e.result == 0)
			dp->status->cmds_done++;
		else
			dp->status->cmds_bad++;
		if (rte_ring_enqueue_elem(dp->evt, &e, sizeof(e)) != 0)
			SL_WARN("event ring full: result of command %u lost", e.seq);
	}
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	if (p == IPPROTO_TCP)
		return "tcp";
	if (p == IPPROTO_UDP)
		return "udp";
	if (p == IPPROTO_ICMP)
		return "icmp";
	snprintf(buf, len, "proto %u", p);
	return buf;
}

static void ip_str(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* A rule name as sl_rule.c admits them (letters, digits, space, - _ . : / ( ) @ +)
 * is printed as it is; anything else escaped (sl_esc). */
static bool plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < ' ' || *s > '~' || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* One deny-log line. */
static void deny_print(const struct dp_deny_rec *r)
{
	char src[16], dst[16], vpn[16], proto[16], port[16] = "", by[SL_RULE_NAME_MAX + 16];
	char peer[48];
	bool ports = r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP;

	ip_str(r->src, src, sizeof(src));
	ip_str(r->dst, dst, sizeof(dst));
	ip_str(r->vpn_ip, vpn, sizeof(vpn));
	memcpy(peer, r->peer, sizeof(peer));
	peer[sizeof(peer) - 1] = '\0';
	if (ports)
		snprintf(port, sizeof(port), " port %u", r->dport);
	if (r->rule[0] != '\0')
		snprintf(by, sizeof(by), "rule \"%s\"", plain(r->rule) ? r->rule : SL_ESC(r->rule));
	else
		snprintf(by, sizeof(by), "the default policy");
	SL_INFO("acl: %s %s flow %s %s -> %s%s by %s (user %s, peer %u, %s)",
		r->cut ? "cut" : "deny", r->dir == SL_RULE_IN ? "in" : "out",
		proto_name(r->proto, proto, sizeof(proto)), src, dst, port, by,
		peer[0] ? SL_ESC(peer) : "-", r->peer_id, vpn);
}

/* Print what workers queued, at most DP_DENY_LOG_PER_S lines a second. */
static void deny_log_drain(struct dp *dp)
{
	struct dp_rules_main *rm = dp->rules_main;
	uint64_t sec = (uint64_t)time(NULL), missed = 0;
	struct dp_deny_rec r;

	for (unsigned i = 0; i < dp->n_workers; i++)
		missed += dp->rules_wk[i].log_missed;
	if (sec != rm->log_sec) {
		uint64_t n = rm->log_dropped + missed - rm->missed_seen;

		if (n > 0)
			SL_INFO("acl: %lu more denied flows not logged (at most %d lines/s)",
				(unsigned long)n, DP_DENY_LOG_PER_S);
		rm->log_sec = sec;
		rm->log_lines = 0;
		rm->log_dropped = 0;
		rm->missed_seen = missed;
	}
	while (rte_ring_dequeue_elem(dp->deny_log, &r, sizeof(r)) == 0) {
		if (rm->log_lines < DP_DENY_LOG_PER_S) {
			rm->log_lines++;
			deny_print(&r);
		} else {
			rm->log_dropped++;
		}
	}
}

void dp_rules_poll(struct dp *dp)
{
	if (dp->rules_main == NULL)
		return;
	jobs_finish(dp);
	reclaim(dp, false);
	deny_log_drain(dp);
}

void dp_rules_hits(const struct dp *dp, uint32_t slot, struct sl_rule_hits *sum)
{
	sum->pkts = sum->bytes = 0;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		const struct sl_rule_hits *h = &dp->rule_hits[(size_t)i * SL_RULES_MAX + slot];

		sum->pkts += h->pkts;
		sum->bytes += h->bytes;
	}
}

int dp_rules_walk(const struct dp *dp, void (*fn)(void *arg, const struct sl_rule_entry *e,
						   const struct sl_rule_hits *h), void *arg)
{
	struct dp_rules_main *rm = dp->rules_main;
	const struct dp_rules *set;
	int n = 0;

	if (rm == NULL)
		return -1;
	pthread_mutex_lock(&rm->lock);
	set = atomic_load_explicit(&dp->rules, memory_order_acquire);
	for (uint32_t i = 0; set != NULL && i < set->acl->count; i++) {
		const struct sl_rule_entry *e = dp_acl_entry(set->acl, i + 1);
		struct sl_rule_hits h;

		dp_rules_hits(dp, e->slot, &h);
		fn(arg, e, &h);
		n++;
	}
	pthread_mutex_unlock(&rm->lock);
	return set == NULL ? -1 : n;
}

uint32_t dp_rules_flows(const struct dp *dp, unsigned worker)
{
	return dp->rules_wk != NULL ? dp_flow_count(dp->rules_wk[worker].flows) : 0;
}
