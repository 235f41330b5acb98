/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CTL_H
#define SL_CTL_H

/*
 * sluicectl's side of the admin protocol (ctl.c; the protocol is
 * controlplane/cp_api.h's, documented in docs/api.md), and the command
 * tables sluicectl.c dispatches on.
 *
 * A module adds its commands by defining its table symbol below in its
 * own file (ctl_user.c, ctl_pki.c, ctl_rule.c; add it to ctl/meson.build);
 * ctl.c holds an empty weak default for each. sluicectl.c picks the
 * entry whose name is the first word of the command line and calls run
 * with the rest (argv[0] is that word, getopt-ready: optind is reset).
 */
#include <stdbool.h>

#include <json-c/json.h>

struct ctl {
	char sock[108];		/* the control plane's socket */
	const char *config;	/* -c CONFIG, or NULL */
	bool json;		/* --json: print results as JSON, no human printer */
};

struct ctl_cmd {
	const char *name;	/* the command's first word: "user", "pki" */
	const char *usage;	/* its lines of `sluicectl --help`, each ending "\n" */
	/* The exit status: 0 done, 1 failed (reason printed), 2 usage. */
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

extern const struct ctl_cmd ctl_core_cmds[];	/* sluicectl.c: status, ping, sessions, kill */
extern const struct ctl_cmd ctl_user_cmds[];	/* ctl_user.c: user, role */
extern const struct ctl_cmd ctl_pki_cmds[];	/* ctl_pki.c: pki */
extern const struct ctl_cmd ctl_rule_cmds[];	/* ctl_rule.c: rule, reload */

/*
 * One request: CMD with ARGS (a JSON object or NULL; the reference is
 * taken either way). 0 with *result (a new reference, NULL for JSON
 * null) when the reply is ok; 1 when it is not, the reason printed to
 * stderr as "sluicectl: REASON" (with "(field NAME)" when the control
 * plane named one), or when the control plane could not be reached.
 */
int ctl_call(struct ctl *ctl, const char *cmd, struct json_object *args,
	     struct json_object **result);

/*
 * ctl_call, then the result printed: as JSON with --json, else by PRINT
 * (NULL: nothing). The exit status for run.
 */
int ctl_run(struct ctl *ctl, const char *cmd, struct json_object *args,
	    void (*print)(struct json_object *result));

/* The result printed as JSON (pretty), what --json shows. */
void ctl_print_json(struct json_object *result);

/* The string member NAME of OBJ, or "" (for human printers). */
const char *ctl_str(struct json_object *obj, const char *name);

#endif
