/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_RULE_H
#define SL_RULE_H

/*
 * Access rules: the model every front end shares (the config file's rules
 * list, the admin API, sluicectl), its validation, the compiler to the
 * numeric form the data plane classifies with (struct sl_rule_entry,
 * lib/sl_api.h), and a reference classifier (a plain loop) that tests hold
 * the data plane's rte_acl classifier to. No DPDK in here.
 *
 * A rule, as operators write it (docs/operations.md):
 *
 *   name         unique, 1..63 characters: letters, digits, space and
 *                - _ . : / ( ) @ +, starting with a letter or digit
 *   description  free text, printable ASCII, up to 255 characters
 *   src, dst     the packet's source and destination: a CIDR
 *                ("10.10.0.0/24", a bare address is a /32), "" or "*" for
 *                any; the VPN side of the rule (src of an in rule, dst of
 *                an out rule) may also be
 *                  vpn          the whole VPN pool
 *                  role:NAME    the sessions of users holding role NAME
 *                  user:EMAIL   the sessions of that user
 *   proto        tcp, udp, both (tcp and udp), icmp, any
 *   sport, dport "*", "N" or "N-M" (only with tcp, udp or both)
 *   priority     0..65535, lower wins
 *   action       allow or deny
 *   direction    in (VPN user -> LAN, the default) or out (LAN -> VPN user)
 *   origin       config or store (where it came from; not matched on)
 *
 * role: and user: rules do not name addresses: they match a per-peer
 * policy tag (sl_cmd_peer.roles / user_tag) that the control plane sets
 * when a session starts. Role ids and user tags are numbers the control
 * plane gives out through struct sl_rule_tags, stable for its lifetime, so
 * a connecting user never causes a rule-set rebuild; a rule naming a role
 * or user never seen before takes a new id, and the control plane then
 * sends PEER_SET to the connected peers that hold it.
 *
 * Errors are "expected ..., found ..." in struct sl_rule_err, with the rule
 * (its index in the set) and the field; sl_rule_err_str() makes the line
 * 'rule "NAME": field: expected ..., found ...' that front ends show (the
 * config loader adds FILE:LINE).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_api.h"

#define SL_RULE_DESC_MAX	256	/* with the NUL */
#define SL_RULE_IDENT_MAX	128	/* role name or user email, with the NUL */
#define SL_RULE_PRIORITY_MAX	65535
#define SL_RULE_USERS_MAX	SL_RULES_MAX	/* user tags 1..SL_RULE_USERS_MAX */

enum sl_rule_origin { SL_RULE_CONFIG = 0, SL_RULE_STORE = 1 };

/* What one end (src or dst) of a rule names. */
enum sl_rule_end_kind {
	SL_END_CIDR = 0,	/* prefix (len 0 = any) */
	SL_END_VPN,		/* the VPN pool */
	SL_END_ROLE,		/* ident = role name */
	SL_END_USER,		/* ident = user email, lower case */
};

struct sl_prefix {
	struct sl_addr addr;	/* host bits zero; family NONE = any */
	uint8_t len;
};

struct sl_rule_end {
	uint8_t kind;				/* enum sl_rule_end_kind */
	struct sl_prefix prefix;		/* SL_END_CIDR */
	char ident[SL_RULE_IDENT_MAX];		/* SL_END_ROLE, SL_END_USER */
};

struct sl_rule {
	char name[SL_RULE_NAME_MAX];
	char description[SL_RULE_DESC_MAX];
	struct sl_rule_end src;
	struct sl_rule_end dst;
	uint8_t proto;			/* enum sl_rule_proto */
	uint8_t action;			/* enum sl_rule_action */
	uint8_t direction;		/* enum sl_rule_dir */
	uint8_t origin;			/* enum sl_rule_origin */
	uint16_t sport_lo, sport_hi;
	uint16_t dport_lo, dport_hi;
	uint32_t priority;
	int line;			/* config file line, 0 if none */
};

/* Field names, as the config file, the API and errors spell them. */
#define SL_RULE_FIELDS(X) \
	X(NAME, "name") X(DESCRIPTION, "description") X(SRC, "src") X(DST, "dst") \
	X(PROTO, "proto") X(SPORT, "sport") X(DPORT, "dport") X(PRIORITY, "priority") \
	X(ACTION, "action") X(DIRECTION, "direction") X(ORIGIN, "origin")

enum sl_rule_field {
#define SL_X_(e, s) SL_RULE_F_##e,
	SL_RULE_FIELDS(SL_X_)
#undef SL_X_
	SL_RULE_F_COUNT
};

struct sl_rule_err {
	unsigned rule;			/* index in the set (0 for one rule) */
	char name[SL_RULE_NAME_MAX];	/* that rule's name ("" if unknown) */
	int field;			/* enum sl_rule_field */
	char msg[320];			/* "expected ..., found ..." */
};

/* A rule with every default: src and dst any, proto any, ports *, priority
 * 1000, action deny, direction in, origin config. */
void sl_rule_init(struct sl_rule *r);

/* "name" ... "origin"; NULL for a bad value. */
const char *sl_rule_field_name(int field);
/* The field called NAME ("dst_port" and "src_port" are dport and sport), or -1. */
int sl_rule_field_find(const char *name);

/*
 * Set FIELD of R from TEXT (the name, "10.20.0.0/24", "role:dba", "tcp",
 * "5432", "1000-2000", "100", "allow", "out", ...). 0 on success; -1 with
 * err filled (R unchanged) otherwise.
 */
int sl_rule_set(struct sl_rule *r, int field, const char *text, struct sl_rule_err *err);

/* FIELD of R as text, the way sl_rule_set() reads it back; returns buf. */
const char *sl_rule_get(const struct sl_rule *r, int field, char *buf, size_t len);

/*
 * One rule's fields against each other: a name is set; ports only with
 * tcp, udp or both; vpn/role:/user: only on the VPN side (src of in, dst
 * of out); IPv4 only for now. 0, or -1 with err.
 */
int sl_rule_check(const struct sl_rule *r, struct sl_rule_err *err);

/*
 * A whole set: each rule (sl_rule_check), names unique, and no two rules of
 * the same direction and priority that can match the same packet (role and
 * user ends count as overlapping anything a user could be, except two
 * different users). POOL (NULL = unknown: vpn overlaps every CIDR) is the
 * VPN pool. 0, or -1 with err naming the later rule (err->rule) and, in
 * err->msg, the earlier one.
 */
int sl_rules_check(const struct sl_rule *rules, unsigned n, const struct sl_prefix *pool,
		   struct sl_rule_err *err);

/* 'rule "NAME": field: msg' (or 'rules[N]: ...' without a name); returns buf. */
const char *sl_rule_err_str(const struct sl_rule_err *e, char *buf, size_t len);

/*
 * Role ids and user tags. The control plane keeps one for its lifetime:
 * ids and tags never change while it runs, so peers' tags stay right
 * across rule changes. Role ids 0..63; user tags 1..SL_RULE_USERS_MAX.
 */
struct sl_rule_tags {
	unsigned n_roles;
	char roles[SL_RULE_ROLES_MAX][SL_RULE_IDENT_MAX];
	unsigned n_users;
	char (*users)[SL_RULE_IDENT_MAX];	/* users[tag - 1], malloc'd */
	uint32_t *by_name;			/* tags sorted by user name */
	unsigned cap;
};

void sl_rule_tags_init(struct sl_rule_tags *t);
void sl_rule_tags_free(struct sl_rule_tags *t);
/* The id of role NAME, or -1 (ADD: give a new one; -1 when all 64 are taken). */
int sl_rule_tags_role(struct sl_rule_tags *t, const char *name, bool add);
/* The tag of user EMAIL (case-insensitive), or 0 (ADD: give a new one). */
uint32_t sl_rule_tags_user(struct sl_rule_tags *t, const char *email, bool add);
/* A session's policy tag: ROLES (n role names the user holds) -> bits;
 * EMAIL -> user tag. Names no rule uses are left out. */
void sl_rule_tags_peer(struct sl_rule_tags *t, const char *const *roles, unsigned n,
		       const char *email, uint32_t out_roles[2], uint32_t *out_user);

/* What the compiler and the reference classifier resolve names with. */
struct sl_rule_ctx {
	struct sl_prefix pool;		/* "vpn" */
	struct sl_rule_tags *tags;	/* the compiler adds ids for new names */
};

/* Bytes of a blob of N entries. */
static inline size_t sl_rule_blob_size(unsigned n)
{
	return sizeof(struct sl_rule_blob) + (size_t)n * sizeof(struct sl_rule_entry);
}

/*
 * Compile N checked rules into OUT (sl_rule_blob_size(n) bytes, the caller
 * allocates: rte_malloc in the control plane): header and one entry per
 * rule, entry i = rules[i], slot = i (the caller may renumber slots).
 * 0, or -1 with err (64 roles used up, too many users or rules, IPv6).
 */
int sl_rules_compile(const struct sl_rule *rules, unsigned n, const struct sl_rule_ctx *ctx,
		     uint64_t generation, uint8_t default_action, struct sl_rule_blob *out,
		     struct sl_rule_err *err);

/* A packet as the classifier sees it. */
struct sl_rule_key {
	uint8_t direction;		/* enum sl_rule_dir */
	uint8_t proto;			/* IP protocol number */
	uint16_t sport, dport;		/* host order; 0 unless TCP/UDP */
	struct sl_addr src, dst;
	uint32_t roles[2];		/* the peer's policy tag */
	uint32_t user_tag;
};

/*
 * The reference classifier: the rule that decides K (the matching rule of
 * lowest priority, the first in the list among equals), or -1 for the
 * default policy. A plain loop over the model, for tests and for
 * `sluicectl rule test`. CTX resolves vpn, roles and users (nothing added).
 */
int sl_rules_classify(const struct sl_rule *rules, unsigned n, const struct sl_rule_ctx *ctx,
		      const struct sl_rule_key *k);

/* Does rule R match K? (The loop's test.) */
bool sl_rule_match(const struct sl_rule *r, const struct sl_rule_ctx *ctx,
		   const struct sl_rule_key *k);

/* Parsers the front ends share (0 ok, -1 bad). */
int sl_prefix_parse(const char *s, struct sl_prefix *p);
bool sl_prefix_contains(const struct sl_prefix *p, const struct sl_addr *a);

#endif
