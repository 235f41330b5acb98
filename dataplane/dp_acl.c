/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A rule blob compiled into rte_acl tries (dataplane/dp_acl.h has the field
 * layout and the threading rules).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_malloc.h>

#include "dp_acl.h"

enum { F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT, F_USER, F_ROLE0, F_ROLE1, F_COUNT };

RTE_ACL_RULE_DEF(dp_acl_rule, F_COUNT);

#define DEF(t, f, in, member) { .type = RTE_ACL_FIELD_TYPE_##t, \
	.size = sizeof(((struct dp_acl_key *)0)->member), .field_index = f, \
	.input_index = in, .offset = offsetof(struct dp_acl_key, member) }

/* rte_acl: the first field one byte, the rest in 4-byte input groups. */
static const struct rte_acl_field_def field_defs[F_COUNT] = {
	DEF(BITMASK, F_PROTO, 0, proto),
	DEF(MASK, F_SRC, 1, src),
	DEF(MASK, F_DST, 2, dst),
	DEF(RANGE, F_SPORT, 3, sport),
	DEF(RANGE, F_DPORT, 3, dport),
	DEF(BITMASK, F_USER, 4, user_tag),
	DEF(BITMASK, F_ROLE0, 5, roles[0]),
	DEF(BITMASK, F_ROLE1, 6, roles[1]),
};

_Static_assert(offsetof(struct dp_acl_key, dport) == offsetof(struct dp_acl_key, sport) + 2 &&
	       offsetof(struct dp_acl_key, user_tag) == offsetof(struct dp_acl_key, dport) + 2 &&
	       offsetof(struct dp_acl_key, pad2) == offsetof(struct dp_acl_key, user_tag) + 2,
	       "sport+dport, dport+user_tag and user_tag+pad2 make 4-byte input groups");

static int fail(char *err, unsigned len, int rc, const char *fmt, unsigned i)
{
	if (err != NULL && len > 0)
		snprintf(err, len, fmt, i);
	return rc;
}

static int prefix_ok(const struct sl_addr *a, uint8_t len)
{
	if (a->family == SL_AF_NONE)
		return len == 0;
	if (a->family != SL_AF_INET || len > 32)
		return 0;
	return len == 32 || (a->v4 & (len == 0 ? ~0u : ~0u >> len)) == 0;
}

static int entry_ok(const struct sl_rule_entry *e)
{
	int ported = e->proto == SL_RULE_TCP || e->proto == SL_RULE_UDP ||
		     e->proto == SL_RULE_BOTH;

	return prefix_ok(&e->src, e->src_len) && prefix_ok(&e->dst, e->dst_len) &&
	       e->proto <= SL_RULE_ICMP && e->action <= SL_RULE_ALLOW &&
	       e->direction <= SL_RULE_OUT &&
	       (e->role < SL_RULE_ROLES_MAX || e->role == SL_RULE_NO_ROLE) &&
	       e->sport_lo <= e->sport_hi && e->dport_lo <= e->dport_hi &&
	       (ported || (e->sport_lo == 0 && e->sport_hi == 65535 &&
			   e->dport_lo == 0 && e->dport_hi == 65535)) &&
	       e->slot < SL_RULES_MAX && memchr(e->name, '\0', sizeof(e->name)) != NULL;
}

/* The blob is the control plane's word: check it before trusting it. */
static int blob_check(const struct sl_rule_blob *b, char *err, unsigned len)
{
	if (b->magic != SL_RULE_BLOB_MAGIC || b->version != SL_RULE_BLOB_VERSION)
		return fail(err, len, -EPROTO, "rule blob: bad magic or version %u", b->version);
	if (b->count > SL_RULES_MAX)
		return fail(err, len, -E2BIG, "rule blob: %u entries, too many", b->count);
	if (b->default_action > SL_RULE_ALLOW)
		return fail(err, len, -EINVAL, "rule blob: bad default action %u",
			    b->default_action);
	for (unsigned i = 0; i < b->count; i++)
		if (!entry_ok(&b->entries[i]))
			return fail(err, len, -EINVAL, "rule blob: entry %u out of range", i);
	return 0;
}

/* Ranking by (priority, position): rte_acl prefers the highest priority.
 * ARG is the entries (qsort_r()). */
static int by_rank(const void *a, const void *b, void *arg)
{
	const struct sl_rule_entry *rank_entries = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t px = rank_entries[x].priority, py = rank_entries[y].priority;

	if (px != py)
		return px < py ? -1 : 1;
	return (x > y) - (x < y);
}

static void set_bit_fields(struct dp_acl_rule *r, const struct sl_rule_entry *e)
{
	if (e->role != SL_RULE_NO_ROLE) {
		struct rte_acl_field *f = &r->field[e->role < 32 ? F_ROLE0 : F_ROLE1];

		f->value.u32 = f->mask_range.u32 = 1u << (e->role % 32);
	}
	if (e->user_tag != 0) {		/* <= SL_RULE_USERS_MAX: 16 bits */
		r->field[F_USER].value.u16 = (uint16_t)e->user_tag;
		r->field[F_USER].mask_range.u16 = UINT16_MAX;
	}
}

/* One or two (both: tcp and udp) rte_acl rules for entry I of rank RANK. */
static unsigned make_rules(const struct sl_rule_entry *e, uint32_t i, uint32_t rank,
			   struct dp_acl_rule *out)
{
	static const uint8_t protos[][2] = {
		[SL_RULE_ANY] = { 0 }, [SL_RULE_TCP] = { IPPROTO_TCP },
		[SL_RULE_UDP] = { IPPROTO_UDP }, [SL_RULE_BOTH] = { IPPROTO_TCP, IPPROTO_UDP },
		[SL_RULE_ICMP] = { IPPROTO_ICMP },
	};
	unsigned n = e->proto == SL_RULE_BOTH ? 2 : 1;

	for (unsigned k = 0; k < n; k++) {
		struct dp_acl_rule *r = &out[k];

		memset(r, 0, sizeof(*r));
		r->data.category_mask = 1;
		r->data.priority = (int32_t)(RTE_ACL_MAX_PRIORITY - rank);
		r->data.userdata = i + 1;
		r->field[F_PROTO].value.u8 = protos[e->proto][k];
		r->field[F_PROTO].mask_range.u8 = e->proto == SL_RULE_ANY ? 0 : 0xff;
		r->field[F_SRC].value.u32 = e->src_len ? e->src.v4 : 0;
		r->field[F_SRC].mask_range.u32 = e->src_len;
		r->field[F_DST].value.u32 = e->dst_len ? e->dst.v4 : 0;
		r->field[F_DST].mask_range.u32 = e->dst_len;
		r->field[F_SPORT].value.u16 = e->sport_lo;
		r->field[F_SPORT].mask_range.u16 = e->sport_hi;
		r->field[F_DPORT].value.u16 = e->dport_lo;
		r->field[F_DPORT].mask_range.u16 = e->dport_hi;
		set_bit_fields(r, e);
	}
	return n;
}

/* Does any of RULES (N) constrain field F? */
static bool field_used(const struct dp_acl_rule *rules, unsigned n, unsigned f)
{
	for (unsigned i = 0; i < n; i++) {
		const struct rte_acl_field *x = &rules[i].field[f];

		if (f == F_SPORT ? x->value.u16 != 0 || x->mask_range.u16 != UINT16_MAX :
		    x->mask_range.u32 != 0)
			return true;
	}
	return false;
}

/*
 * The fields a context walks (dataplane/dp_acl.h): proto, addresses and
 * dport always; sport and each tag field only when one of its rules uses
 * it, since every 4-byte input group costs four trie steps per packet.
 * Without sport (kept when no rule uses the user tag), dport and the user tag share a group; with it, the user
 * tag becomes a 4-byte field over user_tag and pad2 (its value shifted
 * up). The rules' fields are moved down to the kept fields' indexes, the
 * input groups renumbered. Returns how many fields are kept.
 */
static unsigned pick_fields(struct dp_acl_rule *rules, unsigned n, struct rte_acl_field_def *defs)
{
	/* rte_acl walks all four bytes of a group: dport never goes alone */
	bool sport = field_used(rules, n, F_SPORT) || !field_used(rules, n, F_USER);
	unsigned keep = 0, group = 0;
	uint8_t map[F_COUNT];

	for (unsigned f = 0; f < F_COUNT; f++) {
		bool used = f == F_SPORT ? sport :
			    f <= F_DPORT || field_used(rules, n, f);

		map[f] = used ? (uint8_t)keep : UINT8_MAX;
		if (!used)
			continue;
		defs[keep] = field_defs[f];
		defs[keep].field_index = (uint8_t)keep;
		if (f != F_PROTO && !(f == F_DPORT && sport) && !(f == F_USER && !sport))
			group++;
		defs[keep].input_index = (uint8_t)group;
		if (f == F_USER && sport)
			defs[keep].size = sizeof(uint32_t);
		keep++;
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned f = 0; f < F_COUNT; f++) {
			struct rte_acl_field *x = &rules[i].field[f];

			if (f == F_USER && sport && map[f] != UINT8_MAX) {
				x->value.u32 = (uint32_t)x->value.u16 << 16;
				x->mask_range.u32 = (uint32_t)x->mask_range.u16 << 16;
			}
			if (map[f] != UINT8_MAX)
				rules[i].field[map[f]] = *x;
		}
	return keep;
}

/* Context of direction DIR from RULES (N), or NULL with *rc when none. */
static struct rte_acl_ctx *ctx_build(struct dp_acl_rule *rules, unsigned n, int socket,
				     unsigned dir, int *rc)
{
	static atomic_uint serial;	/* rte_acl_create() returns an existing
					 * context of the same name: never reuse */
	struct rte_acl_config cfg = { .num_categories = 1 };
	char name[RTE_ACL_NAMESIZE];
	struct rte_acl_param p = {
		.name = name, .socket_id = socket,
		.rule_size = RTE_ACL_RULE_SZ(F_COUNT), .max_rule_num = n,
	};
	struct rte_acl_ctx *ctx;

	*rc = 0;
	if (n == 0)
		return NULL;
	snprintf(name, sizeof(name), "sl_acl%u_%s", atomic_fetch_add(&serial, 1),
		 dir == SL_RULE_IN ? "in" : "out");
	ctx = rte_acl_create(&p);
	if (ctx == NULL) {
		*rc = -rte_errno;
		return NULL;
	}
	cfg.num_fields = pick_fields(rules, n, cfg.defs);
	*rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)rules, n);
	if (*rc == 0)
		*rc = rte_acl_build(ctx, &cfg);
	if (*rc != 0) {
		rte_acl_free(ctx);
		return NULL;
	}
	/* The AVX-512 walk of 32 packets at once is the fastest on every set
	 * bench_acl measured (bench/RESULTS.md); rte_acl allows it only when
	 * the EAL's SIMD width is 512 bits, else its default stays. */
	(void)rte_acl_set_ctx_classify(ctx, RTE_ACL_CLASSIFY_AVX512X32);
	return ctx;
}

/* Both contexts of A from its blob. */
static int build_contexts(struct dp_acl *a, int socket)
{
	const struct sl_rule_blob *b = a->blob;
	uint32_t *order = malloc((b->count + 1) * sizeof(*order));
	struct dp_acl_rule *rules[2];
	unsigned n[2] = { 0, 0 };
	int rc = -ENOMEM;

	rules[0] = malloc((2 * b->count + 1) * sizeof(struct dp_acl_rule));
	rules[1] = malloc((2 * b->count + 1) * sizeof(struct dp_acl_rule));
	if (order == NULL || rules[0] == NULL || rules[1] == NULL)
		goto out;
	for (uint32_t i = 0; i < b->count; i++)
		order[i] = i;
	qsort_r(order, b->count, sizeof(*order), by_rank, (void *)(uintptr_t)b->entries);
	for (uint32_t r = 0; r < b->count; r++) {
		const struct sl_rule_entry *e = &b->entries[order[r]];

		n[e->direction] += make_rules(e, order[r], r, &rules[e->direction][n[e->direction]]);
	}
	for (unsigned d = 0; d < 2; d++) {
		a->ctx[d] = ctx_build(rules[d], n[d], socket, d, &rc);
		if (rc != 0)
			break;
	}
out:
	free(order);
	free(rules[0]);
	free(rules[1]);
	return rc;
}

struct dp_acl *dp_acl_build(struct sl_rule_blob *blob, int socket, int *rc, char *err,
			    unsigned errlen)
{
	struct dp_acl *a;

	*rc = blob_check(blob, err, errlen);
	if (*rc != 0)
		return NULL;
	a = rte_zmalloc_socket("sl_acl", sizeof(*a) + (blob->count + 1) * sizeof(a->verdict[0]),
			       RTE_CACHE_LINE_SIZE, socket);
	if (a == NULL) {
		*rc = fail(err, errlen, -ENOMEM, "rule set: no memory for %u rules", blob->count);
		return NULL;
	}
	a->blob = blob;
	a->generation = blob->generation;
	a->count = blob->count;
	a->verdict[0].action = blob->default_action;
	for (uint32_t i = 0; i < blob->count; i++) {
		a->verdict[i + 1].action = blob->entries[i].action;
		a->verdict[i + 1].slot = blob->entries[i].slot;
	}
	*rc = build_contexts(a, socket);
	if (*rc != 0) {
		fail(err, errlen, *rc, "rule set: rte_acl build of %u rules failed", blob->count);
		a->blob = NULL;		/* the caller's still */
		dp_acl_free(a);
		return NULL;
	}
	return a;
}

void dp_acl_free(struct dp_acl *a)
{
	if (a == NULL)
		return;
	rte_acl_free(a->ctx[0]);
	rte_acl_free(a->ctx[1]);
	rte_free(a->blob);
	rte_free(a);
}

int dp_acl_classify(const struct dp_acl *a, unsigned dir, const struct dp_acl_key *const *keys,
		    uint32_t *res, unsigned n)
{
	if (dir > SL_RULE_OUT || n > DP_ACL_BURST_MAX)
		return -EINVAL;
	if (a->ctx[dir] == NULL) {
		memset(res, 0, n * sizeof(*res));
		return 0;
	}
	/* rte_acl wants uint8_t pointers; the keys are read only. */
	return rte_acl_classify(a->ctx[dir], (const uint8_t **)(uintptr_t)keys, res, n, 1);
}
