/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_RULES_H
#define SL_CP_RULES_H

/*
 * The control plane's live rule set (cp_rules.c): the rules of the config
 * file (origin config, replaced as a whole by a reload) plus the rules
 * added through the admin API (origin store, kept in the durable store's
 * rules table). A name used by both is refused. The set is compiled
 * (lib/sl_rule.h) into a struct sl_rule_blob and handed to the data plane
 * (SL_CMD_RULES_PUBLISH) at start and after every change; a change the
 * data plane refuses is undone, so what `sluicectl rule list` shows is
 * what the data plane enforces.
 *
 * Names become numbers here: role ids and user tags (struct
 * sl_rule_tags), given out once and kept in the store (rule_tags), so
 * they are the same after a restart; and a hit-counter slot per rule that
 * stays while the rule exists (its counters survive publishes; a reused
 * slot counts from a baseline).
 *
 * Sessions carry a policy tag (sl_cmd_peer.roles, user_tag): the bits of
 * the roles their user holds in the store and the user's tag, computed at
 * PEER_NEW (cp_rules_peer_tags, any thread) and sent again with PEER_SET
 * when a rule names a role or user for the first time or the user's roles
 * change (cp_rules_retag). Without a store a session's identity (the
 * certificate's CN, or the verified username) is the user of user: rules.
 *
 * No DPDK in here: the blob's memory, the publish command and the hit
 * counters come through struct cp_rules_io (cp_rules_dp.c in the process,
 * plain memory in the unit tests). Thread-safe; the changes run on the
 * event loop.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_rule.h"

struct cp_store;
struct cp_rules;

struct cp_rules_io {
	void *arg;
	void *(*alloc)(void *arg, size_t size);		/* zeroed, for the blob */
	void (*free)(void *arg, void *p);
	/*
	 * Hand BLOB to the data plane and wait for its answer: 0 taken (the
	 * data plane owns it now); < 0 refused or not sent, with why in err.
	 * *owned tells whether the blob left us (enqueued: never free it),
	 * whatever the answer.
	 */
	int (*publish)(void *arg, struct sl_rule_blob *blob, bool *owned, char *err,
		       size_t len);
	/* [n_workers][SL_RULES_MAX] counters, or NULL (none yet). */
	const struct sl_rule_hits *(*hits)(void *arg, unsigned *n_workers);
};

/* One rule as listed: the model, its origin and counters. */
struct cp_rule_view {
	struct sl_rule rule;
	uint32_t slot;
	uint64_t pkts, bytes;
};

/*
 * A rule set with POOL ("vpn"), reading store rules and tags from ST
 * (NULL: no store; rules added later are kept in memory only), and the
 * config's RULES (n, origin set to config) with DEFAULT_ACTION. Nothing is
 * published yet. NULL with err on a store error or a bad set (the store's
 * rules clash with the config's: the message names both).
 */
struct cp_rules *cp_rules_new(const struct sl_prefix *pool, struct cp_store *st,
			      const struct sl_rule *rules, unsigned n, uint8_t default_action,
			      const struct cp_rules_io *io, char *err, size_t len);
void cp_rules_free(struct cp_rules *rs);

/* IO's arg, as given to cp_rules_new. */
void *cp_rules_io_arg(struct cp_rules *rs);

/* Compile and publish the live set; 0 or < 0 with err. */
int cp_rules_publish(struct cp_rules *rs, char *err, size_t len);

/*
 * Add R (origin store): checked against the live set (fields, name used
 * by either origin, same priority overlap), written to the store,
 * published. On any refusal nothing changed; err names the rule and field.
 */
int cp_rules_add(struct cp_rules *rs, const struct sl_rule *r, struct sl_rule_err *err);
/* Delete store rule NAME; a config rule is refused (edit the file and
 * reload). -ENOENT unknown, -EPERM config rule, else as add. */
int cp_rules_del(struct cp_rules *rs, const char *name, struct sl_rule_err *err);
/*
 * Replace the config rules with RULES (a reload) and the default policy;
 * checked with the store's rules, published. Nothing changes on a refusal.
 * *added, *removed, *changed count what differs by name (any may be NULL).
 */
int cp_rules_set_config(struct cp_rules *rs, const struct sl_rule *rules, unsigned n,
			uint8_t default_action, unsigned *added, unsigned *removed,
			unsigned *changed, struct sl_rule_err *err);

/* The live rules, config first, each with its hit counters; FN's nonzero
 * return stops the walk (and is returned). */
typedef int (*cp_rules_fn)(const struct cp_rule_view *v, void *arg);
int cp_rules_list(struct cp_rules *rs, cp_rules_fn fn, void *arg);
/* One rule by name: 0 with *out, or -ENOENT. */
int cp_rules_get(struct cp_rules *rs, const char *name, struct cp_rule_view *out);
/* How many rules, the default policy, the generation last published. */
struct cp_rules_info {
	unsigned count;
	uint8_t default_action;
	uint64_t generation;
};
struct cp_rules_info cp_rules_info(struct cp_rules *rs);

/*
 * `rule test`: which rule decides a packet from USER (its store roles and
 * user tag; SRC its VPN address) to DST with PROTO (IP protocol number)
 * and DPORT (source port 49152, an ephemeral one), by the reference
 * classifier over the live set. 0 with *out the deciding rule, 1 the
 * default policy (*action set), < 0 on error.
 */
int cp_rules_test(struct cp_rules *rs, const char *user, const struct sl_addr *src,
		  const struct sl_addr *dst, uint8_t proto, uint16_t dport,
		  struct cp_rule_view *out, uint8_t *action);

/*
 * The policy tag of a session of IDENTITY on PEER_ID, remembered for
 * cp_rules_retag. Any thread (the TLS workers at PEER_NEW).
 */
void cp_rules_peer_tags(struct cp_rules *rs, uint32_t peer_id, const char *identity,
			uint32_t roles[2], uint32_t *user_tag);
/*
 * Is the tag PEER_ID was given still right for IDENTITY? false with the
 * new one in roles/user_tag (remembered) when it is not: the caller sends
 * PEER_SET. Peers never given a tag here (adopted ones) keep theirs.
 */
bool cp_rules_peer_current(struct cp_rules *rs, uint32_t peer_id, const char *identity,
			   uint32_t roles[2], uint32_t *user_tag);

/*
 * Reread the users' roles from the store if it changed (cp_store_generation);
 * true when they did (the caller retags its sessions).
 */
bool cp_rules_refresh_users(struct cp_rules *rs);

/*
 * ---- the process (cp_rules_dp.c): DPDK memory, sl_cmd, the event loop ----
 *
 * cp_rules_start: the config's rules and the store's, published; the
 * rule set goes to cp->ctx.rules (PEER_NEW takes its tags there). A
 * publish the data plane refuses is logged and start-up goes on (rules
 * then apply from the next successful publish). cp_rules_poll: once a
 * second, the users' roles from the store and PEER_SET for sessions
 * whose tag changed. cp_rules_retag: that at once (after a change).
 */
struct cp;
struct sl_config;

int cp_rules_start(struct cp *cp);
void cp_rules_poll(struct cp *cp, uint64_t now_ms);
void cp_rules_retag(struct cp *cp);
void cp_rules_stop(struct cp *cp);
/* The config's rules as the model (origin config, line set), malloc'd
 * (*out NULL when n is 0); 0 or -1 with err naming FILE:LINE. */
int cp_rules_from_config(const struct sl_config *cfg, struct sl_rule **out, unsigned *n,
			 uint8_t *default_action, char *err, size_t len);
/* The store the rules live in (NULL: none). */
struct cp_store *cp_rules_store(struct cp *cp);

#endif
