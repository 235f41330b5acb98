/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_DP_ACL_H
#define SL_DP_ACL_H

/*
 * The access-rule classifier: a rule blob (struct sl_rule_blob, lib/sl_api.h)
 * compiled into DPDK rte_acl tries, classified once per burst.
 *
 * Direction is not a field: a set holds two rte_acl contexts, one per
 * direction (in: packets from VPN peers; out: packets toward them), so each
 * burst, which has one direction, searches only its own rules. Fields of a
 * context, over struct dp_acl_key (rte_acl wants the first field one byte
 * and the others in 4-byte groups; values in network byte order):
 *
 *   field      bytes  type     offset  rule value
 *   proto      1      bitmask  0       6/0xff, 17/0xff, 1/0xff; any 0/0
 *                                      (both: two rte_acl rules)
 *   src        4      mask     4       prefix / len
 *   dst        4      mask     8       prefix / len
 *   sport      2      range    12      lo..hi
 *   dport      2      range    14      lo..hi
 *   user       2      bitmask  16      tag / 0xffff; any 0/0
 *   roles[0]   4      bitmask  20      role r < 32: 1<<r / 1<<r; else 0/0
 *   roles[1]   4      bitmask  24      role r >= 32: 1<<(r-32) likewise
 *
 * A context walks one trie step per key byte, so it keeps only the fields
 * its rules use: sport only when a rule names source ports (then the
 * user tag is a 4-byte field over user and the zero pad after it), and
 * then dport and the user tag share one 4-byte group; the tag fields only
 * when a rule uses them. User tags are at most SL_RULE_USERS_MAX (16 384)
 * and fit 16 bits; a peer's larger tag is keyed 0, which no user rule has.
 *
 * rte_acl returns the highest rte_acl priority among matches; entries are
 * ranked by (priority, position in the blob) and get RTE_ACL_MAX_PRIORITY -
 * rank, so the winner is exactly the reference classifier's
 * (sl_rules_classify(), lib/sl_rule.h). A result is the entry's position
 * + 1, 0 meaning no entry matched (the default policy).
 *
 * Threads: dp_acl_build() and dp_acl_free() on the main lcore (or any
 * non-worker thread), never on a worker; dp_acl_classify() on any number
 * of workers at once (rte_acl contexts are read-only after the build).
 */
#include <stdint.h>

#include <rte_byteorder.h>

#include "sl_api.h"

struct dp_acl_key {
	uint8_t proto;
	uint8_t pad[3];
	uint32_t src;			/* network order, as in the IPv4 header */
	uint32_t dst;
	uint16_t sport;			/* network order; 0 unless TCP/UDP */
	uint16_t dport;
	uint16_t user_tag;		/* network order; 0 if above 16 bits */
	uint16_t pad2;			/* 0: the 4-byte user field's low half */
	uint32_t roles[2];		/* network order (rte_cpu_to_be_32) */
};

/* What a result means for the stage: the entry's action and counters slot. */
struct dp_acl_verdict {
	uint8_t action;			/* enum sl_rule_action */
	uint8_t pad[3];
	uint32_t slot;			/* column in SL_MZ_RULE_HITS; default: unused */
};

struct dp_acl {
	struct rte_acl_ctx *ctx[2];	/* by enum sl_rule_dir; NULL = no rules */
	struct sl_rule_blob *blob;	/* owned: entries for names */
	uint64_t generation;
	uint32_t count;
	struct dp_acl_verdict verdict[];	/* [0] = default, [i + 1] = entry i */
};

/* The most packets one dp_acl_classify() call takes. */
#define DP_ACL_BURST_MAX	256

/*
 * Build a classifier from BLOB on NUMA SOCKET. Checks the blob first (magic,
 * version, count, every entry's ranges): a bad blob is refused, never
 * trusted. On success the set owns BLOB (dp_acl_free() frees it); on
 * failure the caller still does. Returns NULL with -errno in *rc and a
 * reason in err (if not NULL).
 */
struct dp_acl *dp_acl_build(struct sl_rule_blob *blob, int socket, int *rc, char *err,
			    unsigned errlen);

/* Free the contexts, the blob and the set (after the grace period). NULL ok. */
void dp_acl_free(struct dp_acl *a);

/* Fill a key; addresses in network order (straight from the header),
 * ports and tags in host order. */
static inline void dp_acl_key_set(struct dp_acl_key *k, uint8_t proto, uint32_t src_be,
				  uint32_t dst_be, uint16_t sport, uint16_t dport,
				  const uint32_t roles[2], uint32_t user_tag)
{
	k->proto = proto;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
	k->src = src_be;
	k->dst = dst_be;
	k->sport = rte_cpu_to_be_16(sport);
	k->dport = rte_cpu_to_be_16(dport);
	k->user_tag = rte_cpu_to_be_16(user_tag <= UINT16_MAX ? (uint16_t)user_tag : 0);
	k->pad2 = 0;
	k->roles[0] = rte_cpu_to_be_32(roles[0]);
	k->roles[1] = rte_cpu_to_be_32(roles[1]);
}

/*
 * Classify N (<= DP_ACL_BURST_MAX) keys of direction DIR with one
 * rte_acl_classify() call: res[i] = entry position + 1, or 0 (default).
 * A set without rules of DIR answers 0 for all. Returns 0 or -errno.
 */
int dp_acl_classify(const struct dp_acl *a, unsigned dir, const struct dp_acl_key *const *keys,
		    uint32_t *res, unsigned n);

/* The verdict of a result (0 = the default policy's, slot unused). */
static inline const struct dp_acl_verdict *dp_acl_verdict(const struct dp_acl *a, uint32_t r)
{
	return &a->verdict[r];
}

/* The entry of a result, or NULL for the default policy (names for logs). */
static inline const struct sl_rule_entry *dp_acl_entry(const struct dp_acl *a, uint32_t r)
{
	return r == 0 ? NULL : &a->blob->entries[r - 1];
}

/*
 * Per-rule hit counters (memzone SL_MZ_RULE_HITS, lib/sl_api.h): row
 * WORKER, column SLOT; only that worker writes its row, so plain adds.
 */
static inline void dp_acl_hit(struct sl_rule_hits *hits, unsigned worker, uint32_t slot,
			      uint32_t bytes)
{
	struct sl_rule_hits *h = &hits[(size_t)worker * SL_RULES_MAX + slot];

	h->pkts++;
	h->bytes += bytes;
}

#endif
