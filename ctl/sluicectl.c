/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl - the operator's tool.
 *
 *   sluicectl check FILE              validate a configuration file
 *   sluicectl [-c FILE | -s SOCKET] [--json] COMMAND [ARGS]
 *   sluicectl --help | --version
 *
 * Commands come from the tables in ctl.h (this file's status, ping,
 * sessions, kill; ctl_user.c's user and role; ctl_pki.c's pki; ctl_rule.c's
 * rule). Those that talk to sluice-controlplane send one JSON request over
 * its UNIX socket and read one JSON reply (ctl.c, docs/api.md); sluicectl
 * prints the result for humans, or as JSON with --json, and exits 0, or 1
 * with the reason on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "ctl.h"

#define DEFAULT_SOCKET "/run/sluice/sluice.sock"

static int cmd_check(const char *file)
{
	struct sl_config cfg;

	if (cfg_load_report(&cfg, file, stderr) != 0)
		return 1;
	printf("%s: configuration OK (%u lcores, %u rules)\n", file, cfg.dp.n_lcores,
	       cfg.n_rules);
	cfg_free(&cfg);
	return 0;
}

static void print_text(struct json_object *result)
{
	fputs(ctl_str(result, "text"), stdout);
}

static void print_ping(struct json_object *result)
{
	printf("data plane answered command %s: result %s\n", ctl_str(result, "seq"),
	       ctl_str(result, "result"));
}

static void print_kill(struct json_object *result)
{
	printf("%s session(s) ending\n", ctl_str(result, "sessions"));
}

/* status, ping, sessions: no arguments, one printer each. */
static int run_plain(struct ctl *ctl, int argc, char **argv)
{
	void (*print)(struct json_object *) = strcmp(argv[0], "ping") == 0 ? print_ping :
					       print_text;

	if (argc != 1) {
		fprintf(stderr, "usage: sluicectl %s\n", argv[0]);
		return 2;
	}
	return ctl_run(ctl, argv[0], NULL, print);
}

static int run_kill(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args;

	if (argc != 2) {
		fprintf(stderr, "usage: sluicectl kill WHO\n");
		return 2;
	}
	args = json_object_new_object();
	json_object_object_add(args, "who", json_object_new_string(argv[1]));
	return ctl_run(ctl, "kill", args, print_kill);
}

const struct ctl_cmd ctl_core_cmds[] = {
	{ "status", "  status       data-plane lcores, ports, link, counters\n", run_plain },
	{ "ping", "  ping         a command/event round trip through the rings\n", run_plain },
	{ "sessions", "  sessions     VPN sessions: user, addresses, cipher, since, bytes, "
	  "key-id\n", run_plain },
	{ "kill", "  kill WHO     end the sessions of a user, common name or "
	  "address[:port]\n", run_kill },
	{ NULL, NULL, NULL }
};

static const struct ctl_cmd *const tables[] = {
	ctl_core_cmds, ctl_user_cmds, ctl_pki_cmds, ctl_rule_cmds, NULL
};

static const struct ctl_cmd *find_cmd(const char *name)
{
	for (const struct ctl_cmd *const *t = tables; *t != NULL; t++)
		for (const struct ctl_cmd *c = *t; c->name != NULL; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluicectl check FILE\n"
		"       sluicectl [-c CONFIG | -s SOCKET] [--json] COMMAND [ARGS]\n"
		"       sluicectl -h | --help | --version\n"
		"commands:\n"
		"  check FILE   validate a configuration file (no daemon needed)\n");
	for (const struct ctl_cmd *const *t = tables; *t != NULL; t++)
		for (const struct ctl_cmd *c = *t; c->name != NULL; c++)
			fputs(c->usage, f);
	fprintf(f,
		"options:\n"
		"  -c CONFIG    reach the control plane at CONFIG's control.socket\n"
		"  -s SOCKET    reach the control plane at SOCKET (default " DEFAULT_SOCKET ")\n"
		"  --json       print the control plane's result as JSON (docs/api.md)\n"
		"  -h, --help   this text\n"
		"  --version    print the version\n");
}

/* The socket path from -s, or from the config's control.socket. */
static int socket_from_config(const char *file, char *out, size_t len)
{
	struct sl_config cfg;

	if (cfg_load_report(&cfg, file, stderr) != 0)
		return -1;
	snprintf(out, len, "%s", cfg.ctl.socket);
	cfg_free(&cfg);
	return 0;
}

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

int main(int argc, char **argv)
{
	struct ctl ctl = { .sock = DEFAULT_SOCKET };
	const struct ctl_cmd *cmd;
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:s:h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (socket_from_config(optarg, ctl.sock, sizeof(ctl.sock)) < 0)
				return 1;
			ctl.config = optarg;
			break;
		case 's':
			snprintf(ctl.sock, sizeof(ctl.sock), "%s", optarg);
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sluicectl %s\n", SLUICE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "check") == 0) {
		if (optind + 2 != argc) {
			usage(stderr);
			return 2;
		}
		return cmd_check(argv[optind + 1]);
	}
	cmd = find_cmd(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "sluicectl: unknown command \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	argv += optind;
	argc -= optind;
	optind = 0;	/* getopt starts again on the command's own arguments */
	return cmd->run(&ctl, argc, argv);
}
