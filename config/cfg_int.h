/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CFG_INT_H
#define SL_CFG_INT_H

/* Loader internals shared by cfg.c (the engine) and cfg_schema.c (the table). */
#include <libconfig.h>
#include <stddef.h>

#include "cfg.h"

/* Which struct a schema entry's offset points into. */
enum cfg_base { CFG_BASE_ROOT, CFG_BASE_RULE };

struct cfg_loader;
struct cfg_key;

typedef int (*cfg_setter)(struct cfg_loader *ld, const config_setting_t *s,
			  const struct cfg_key *k, void *field);

/*
 * One setting. PATH is dotted; "*" stands for a list element ("rules.*.dst").
 * TYPE is the libconfig type wanted (CONFIG_TYPE_GROUP for groups,
 * CONFIG_TYPE_LIST for lists of groups, CONFIG_TYPE_ARRAY for arrays the
 * setter reads whole). WHAT completes "expected ..." in errors.
 */
struct cfg_key {
	const char *path;
	int type;
	cfg_setter set;
	size_t off;
	long long min, max;
	enum cfg_base base;
	int required;
	const char *what;
};

extern const struct cfg_key cfg_schema[];
extern const unsigned cfg_schema_len;

#define CFG_SEEN_MAX 128	/* >= cfg_schema_len, checked at load */

struct cfg_loader {
	struct sl_config *cfg;
	struct cfg_error *err;
	int max_err;
	int n_err;
	int seen_line[CFG_SEEN_MAX];	/* root entries: line seen, 0 = absent */
	struct cfg_rule *rule;		/* element being filled (CFG_BASE_RULE) */
	char where[128];		/* display path of the current setting */
};

/* Record an error at LINE for SETTING (the current display path if NULL). */
void cfg_errorf(struct cfg_loader *ld, int line, const char *setting,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Describe what a setting holds, for "found ..." ("a string \"x\""). */
const char *cfg_found(const config_setting_t *s, char *buf, unsigned len);

/* Line where the root schema entry PATH was seen, or 0. */
int cfg_line_of(const struct cfg_loader *ld, const char *path);

void cfg_defaults(struct sl_config *cfg);
void cfg_validate(struct cfg_loader *ld);

/* Value parsers (0 ok, -1 bad), also used by the processes and tests. */
int cfg_parse_ipv4(const char *s, uint32_t *addr);
int cfg_parse_prefix(const char *s, struct cfg_prefix *p);
int cfg_parse_lcores(const char *s, uint16_t *ids, unsigned max, unsigned *n);

#endif
