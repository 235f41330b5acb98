/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CFG_SCHEMA_H
#define SL_CFG_SCHEMA_H

/*
 * The schema table of sluice.conf (cfg_schema.c): one row per setting with
 * its field, range, default and setter. The engine (cfg.c) walks a file
 * against it; the cross-field checks (cfg_validate.c) ask it where a setting
 * was seen. It reports through cfg_err.h and calls nothing else of the loader.
 */
#include <libconfig.h>
#include <stddef.h>

#include "cfg.h"
#include "cfg_err.h"

/* Wanted type of a row whose setter takes several types and checks itself. */
#define CFG_TYPE_ANY	CONFIG_TYPE_NONE

#define CFG_SEEN_MAX	128	/* >= cfg_schema_len, checked at load */

/* One load in progress. */
struct cfg_loader {
	struct sl_config *cfg;
	struct cfg_errs es;
	int seen_line[CFG_SEEN_MAX];	/* rows outside lists: line seen, 0 = absent */
	config_t *defaults;		/* the rows' defaults, parsed for this load */
};

struct cfg_key;

/*
 * Store setting S into FIELD (the row's field in struct sl_config, or in the
 * list element being filled). 0, or -1 after reporting an error.
 */
typedef int (*cfg_setter)(struct cfg_loader *ld, const config_setting_t *s,
			  const struct cfg_key *k, void *field);

/*
 * A list of groups ( { ... }, ... ) read into a calloc'ed array: the row's
 * field is the array pointer, COUNT the offset of its unsigned element count
 * in the same struct, LINE the offset of each element's int line. An
 * element's settings are the rows "<list>.*.<name>"; it starts from their
 * defaults.
 */
struct cfg_list {
	size_t count;
	size_t esize;
	size_t line;
	const char *noun;		/* "expected at most 4096 rules" */
};

/*
 * One setting. PATH is dotted; "*" stands for a list element ("rules.*.dst").
 * TYPE is the libconfig type wanted (CONFIG_TYPE_GROUP for groups,
 * CONFIG_TYPE_LIST for lists of groups, CONFIG_TYPE_ARRAY for arrays the
 * setter reads whole, CFG_TYPE_ANY when the setter checks). OFF and SIZE
 * locate the field (a string's SIZE bounds its length). MIN..MAX is the
 * range of numbers; MIN 1 on a string means it may not be empty; MAX of a
 * list is the most elements it may have. DEF is the default as libconfig
 * text, exactly as config/sluice.conf shows it ("1194", "\"0-1\"", "true"),
 * NULL for none. WHAT completes "expected ..." in errors.
 */
struct cfg_key {
	const char *path;
	int type;
	cfg_setter set;
	size_t off, size;
	long long min, max;
	const char *def;
	const char *what;
	int required;
	const struct cfg_list *list;
};

extern const struct cfg_key cfg_schema[];
extern const unsigned cfg_schema_len;

/* Index of the row PATH ("rules.*.dst"), or -1. */
int cfg_schema_find(const char *path);

/* Line where the row PATH (outside lists) was seen, or 0. */
int cfg_line_of(const struct cfg_loader *ld, const char *path);

#endif
