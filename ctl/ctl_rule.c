/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl rule ... and reload: requests to the control plane's rule.*
 * and reload commands (docs/api.md) and their human printers. Every rule
 * field goes as the text the operator typed; the control plane's rule
 * model (lib/sl_rule.c) validates it and names the field it refuses.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- printers ---- */

static int64_t int_of(struct json_object *o, const char *name)
{
	struct json_object *v;

	return json_object_object_get_ex(o, name, &v) && v != NULL ? json_object_get_int64(v) : 0;
}

static const char *origin_of(struct json_object *r, char *buf, size_t len)
{
	if (strcmp(ctl_str(r, "origin"), "config") == 0)
		snprintf(buf, len, "config:%" PRId64, int_of(r, "line"));
	else
		snprintf(buf, len, "%s", ctl_str(r, "origin"));
	return buf;
}

static void print_rule(struct json_object *r)
{
	char origin[32];

	printf("name %s\ndescription %s\nsrc %s\ndst %s\nproto %s\nsport %s\ndport %s\n"
	       "priority %" PRId64 "\naction %s\ndirection %s\norigin %s\n"
	       "hits %" PRId64 " packets %" PRId64 " bytes\n",
	       ctl_str(r, "name"), ctl_str(r, "description"), ctl_str(r, "src"),
	       ctl_str(r, "dst"), ctl_str(r, "proto"), ctl_str(r, "sport"), ctl_str(r, "dport"),
	       int_of(r, "priority"), ctl_str(r, "action"), ctl_str(r, "direction"),
	       origin_of(r, origin, sizeof(origin)), int_of(r, "pkts"), int_of(r, "bytes"));
}

static void print_rules(struct json_object *res)
{
	struct json_object *a;
	char origin[32];

	if (!json_object_object_get_ex(res, "rules", &a))
		return;
	printf("%-24s %-5s %-3s %-18s %-18s %-5s %-11s %-6s %-9s %-12s %s\n", "NAME", "PRIO",
	       "DIR", "SRC", "DST", "PROTO", "DPORT", "ACTION", "ORIGIN", "PACKETS", "BYTES");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *r = json_object_array_get_idx(a, i);

		printf("%-24s %-5" PRId64 " %-3s %-18s %-18s %-5s %-11s %-6s %-9s %-12" PRId64
		       " %" PRId64 "\n", ctl_str(r, "name"), int_of(r, "priority"),
		       ctl_str(r, "direction"), ctl_str(r, "src"), ctl_str(r, "dst"),
		       ctl_str(r, "proto"), ctl_str(r, "dport"), ctl_str(r, "action"),
		       origin_of(r, origin, sizeof(origin)), int_of(r, "pkts"), int_of(r, "bytes"));
	}
	printf("default %s\n", ctl_str(res, "default"));
}

static void print_deleted(struct json_object *r)
{
	printf("deleted %s\n", ctl_str(r, "name"));
}

static void print_test(struct json_object *r)
{
	printf("%s\n", ctl_str(r, "text"));
}

static void print_reload(struct json_object *r)
{
	struct json_object *a;

	printf("reloaded %s: %" PRId64 " rules from the file (%" PRId64 " added, %" PRId64
	       " removed, %" PRId64 " changed), default %s\n", ctl_str(r, "file"),
	       int_of(r, "rules"), int_of(r, "added"), int_of(r, "removed"), int_of(r, "changed"),
	       ctl_str(r, "default"));
	if (json_object_object_get_ex(r, "restart_needed", &a) &&
	    json_object_array_length(a) > 0) {
		printf("changed, applied at the next restart:");
		for (size_t i = 0; i < json_object_array_length(a); i++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(a, i)));
		printf("\n");
	}
}

/* ---- rule add ---- */

/* Options may come before or after NAME (getopt permutes: no "+"). */

static const struct option add_opts[] = {
	{ "src", required_argument, NULL, 's' },
	{ "dst", required_argument, NULL, 'd' },
	{ "proto", required_argument, NULL, 'p' },
	{ "sport", required_argument, NULL, 'S' },
	{ "dport", required_argument, NULL, 'D' },
	{ "priority", required_argument, NULL, 'P' },
	{ "allow", no_argument, NULL, 'a' },
	{ "deny", no_argument, NULL, 'n' },
	{ "direction", required_argument, NULL, 'r' },
	{ "description", required_argument, NULL, 'e' },
	{ NULL, 0, NULL, 0 }
};

/* The argument name of each option that carries a field as text. */
static const char *field_of(int opt)
{
	switch (opt) {
	case 's': return "src";
	case 'd': return "dst";
	case 'p': return "proto";
	case 'S': return "sport";
	case 'D': return "dport";
	case 'r': return "direction";
	case 'e': return "description";
	default: return NULL;
	}
}

static int rule_add(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object();
	const char *action = NULL;
	char *end;
	long prio = -1;
	int opt;

	while ((opt = getopt_long(argc, argv, "", add_opts, NULL)) != -1) {
		if (field_of(opt) != NULL) {
			json_object_object_add(args, field_of(opt), json_object_new_string(optarg));
		} else if (opt == 'P') {
			prio = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || prio < 0 || prio > 65535) {
				fprintf(stderr, "sluicectl: --priority: expected 0..65535, found "
					"\"%s\"\n", optarg);
				json_object_put(args);
				return 2;
			}
		} else if (opt == 'a' || opt == 'n') {
			if (action != NULL)
				goto usage;
			action = opt == 'a' ? "allow" : "deny";
		} else {
			goto usage;
		}
	}
	/* What the rule is about is said, never defaulted: "*" and "any"
	 * are written out (the API keeps the model's defaults). */
	if (optind + 1 != argc || action == NULL || prio < 0 ||
	    !json_object_object_get_ex(args, "src", NULL) ||
	    !json_object_object_get_ex(args, "dst", NULL) ||
	    !json_object_object_get_ex(args, "proto", NULL))
		goto usage;
	json_object_object_add(args, "name", json_object_new_string(argv[optind]));
	json_object_object_add(args, "priority", json_object_new_int64(prio));
	json_object_object_add(args, "action", json_object_new_string(action));
	return ctl_run(ctl, "rule.add", args, print_rule);
usage:
	json_object_put(args);
	fprintf(stderr, "usage: sluicectl rule add NAME --src SRC --dst CIDR --proto P "
		"[--sport R] [--dport R] --priority N (--allow|--deny) [--direction in|out] "
		"[--description TEXT]\n");
	return 2;
}

/* rule del|show NAME */
static int rule_named(struct ctl *ctl, int argc, char **argv, const char *cmd,
		      void (*print)(struct json_object *))
{
	struct json_object *args;

	if (argc != 2) {
		fprintf(stderr, "usage: sluicectl rule %s NAME\n", argv[0]);
		return 2;
	}
	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(argv[1]));
	return ctl_run(ctl, cmd, args, print);
}

static int rule_test(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args;
	char *end;
	long port = 0;

	if (argc != 5 && !(argc == 4 && strcmp(argv[3], "icmp") == 0)) {
		fprintf(stderr, "usage: sluicectl rule test USER DST PROTO PORT (PORT not for icmp)\n");
		return 2;
	}
	if (argc == 5) {
		port = strtol(argv[4], &end, 10);
		if (*argv[4] == '\0' || *end != '\0' || port < 0 || port > 65535) {
			fprintf(stderr, "sluicectl: PORT: expected 0..65535, found \"%s\"\n", argv[4]);
			return 2;
		}
	}
	args = json_object_new_object();
	json_object_object_add(args, "user", json_object_new_string(argv[1]));
	json_object_object_add(args, "dst", json_object_new_string(argv[2]));
	json_object_object_add(args, "proto", json_object_new_string(argv[3]));
	json_object_object_add(args, "port", json_object_new_int64(port));
	return ctl_run(ctl, "rule.test", args, print_test);
}

static int run_rule(struct ctl *ctl, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	argc--, argv++;
	if (strcmp(sub, "add") == 0)
		return rule_add(ctl, argc, argv);
	if (strcmp(sub, "del") == 0)
		return rule_named(ctl, argc, argv, "rule.del", print_deleted);
	if (strcmp(sub, "show") == 0)
		return rule_named(ctl, argc, argv, "rule.show", print_rule);
	if (strcmp(sub, "list") == 0 && argc == 1)
		return ctl_run(ctl, "rule.list", NULL, print_rules);
	if (strcmp(sub, "test") == 0)
		return rule_test(ctl, argc, argv);
	fprintf(stderr, "usage: sluicectl rule add|del|list|show|test ...\n");
	return 2;
}

static int run_reload(struct ctl *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sluicectl reload\n");
		return 2;
	}
	return ctl_run(ctl, "reload", NULL, print_reload);
}

const struct ctl_cmd ctl_rule_cmds[] = {
	{ "rule", "  rule add NAME --src SRC --dst CIDR --proto P [--sport R] [--dport R]\n"
	  "           --priority N (--allow|--deny) [--direction in|out] [--description TEXT]\n"
	  "                              an access rule, kept in the store, enforced at once\n"
	  "  rule del NAME | rule list | rule show NAME\n"
	  "                              (list: hit counters, packets and bytes)\n"
	  "  rule test USER DST PROTO PORT which rule decides (\"allow by NAME, priority N\")\n",
	  run_rule },
	{ "reload", "  reload                      read the config file again: its rules apply at "
	  "once,\n"
	  "                              a bad file changes nothing and names FILE:LINE\n",
	  run_reload },
	{ NULL, NULL, NULL }
};
