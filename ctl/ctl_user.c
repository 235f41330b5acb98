/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl user ... and role ...: requests to the control plane's
 * user.* and role.* commands (docs/api.md) and their human printers.
 *
 * A password never travels on the command line (where ps(1) shows it):
 * --password and `user passwd` read it from the terminal with echo off,
 * twice, or as one line from stdin when stdin is not a terminal. The
 * control plane hashes it (cp_users_hash, users' configured work factor).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ctl.h"
#include "sl_profile.h"

#define PASSWORD_MAX	256

/* ---- reading a password ---- */

/* One line of F without its newline into buf; -1 at EOF or when too long. */
static int read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, f) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1)
		return -1;		/* no newline within the buffer: too long */
	buf[n] = '\0';
	return 0;
}

/* PROMPT on the terminal, echo off; the line into buf. */
static int read_hidden(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = read_line(stdin, buf, len);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

/* The new password for EMAIL into buf: twice from a terminal, else once
 * from stdin. 0, or 1 with the reason printed. */
static int read_password(const char *email, char *buf, size_t len)
{
	char again[PASSWORD_MAX], prompt[128];
	int rc = 0;

	if (!isatty(STDIN_FILENO)) {
		if (read_line(stdin, buf, len) != 0 || buf[0] == '\0') {
			fprintf(stderr, "sluicectl: no password on stdin (one line, at most %zu "
				"bytes)\n", len - 2);
			return 1;
		}
		return 0;
	}
	snprintf(prompt, sizeof(prompt), "password for %s: ", email);
	if (read_hidden(prompt, buf, len) != 0 || buf[0] == '\0' ||
	    read_hidden("again: ", again, sizeof(again)) != 0) {
		fprintf(stderr, "sluicectl: no password read\n");
		rc = 1;
	} else if (strcmp(buf, again) != 0) {
		fprintf(stderr, "sluicectl: the passwords differ\n");
		rc = 1;
	}
	OPENSSL_cleanse(again, sizeof(again));
	return rc;
}

/* The password as a request argument; the buffer wiped. */
static void add_password(struct json_object *args, char *pw, size_t len)
{
	json_object_object_add(args, "password", json_object_new_string(pw));
	OPENSSL_cleanse(pw, len);
}

/* ---- printers ---- */

static const char *str_or(struct json_object *o, const char *name, const char *none)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || v == NULL)
		return none;
	return json_object_get_string(v);
}

static bool bool_of(struct json_object *o, const char *name)
{
	struct json_object *v;

	return json_object_object_get_ex(o, name, &v) && json_object_get_boolean(v);
}

/* A string array as "a,b,c", or "-". */
static const char *joined(struct json_object *o, const char *name, char *buf, size_t len)
{
	struct json_object *a;
	size_t used = 0, n;

	buf[0] = '\0';
	if (!json_object_object_get_ex(o, name, &a) || !json_object_is_type(a, json_type_array))
		return "-";
	n = json_object_array_length(a);
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
					 json_object_get_string(json_object_array_get_idx(a, i)));
	return n != 0 ? buf : "-";
}

/* A unix time member as "YYYY-MM-DDTHH:MM:SSZ", or "-". */
static const char *when(struct json_object *o, const char *name, char *buf, size_t len)
{
	struct json_object *v;
	time_t t;

	if (!json_object_object_get_ex(o, name, &v) || v == NULL)
		return "-";
	t = (time_t)json_object_get_int64(v);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return buf;
}

static void print_user(struct json_object *u)
{
	char roles[1024], iroutes[1024], exp[32], cr[32], up[32];

	printf("email %s\nvpn %s\nroles %s\npassword %s\nstatic-ip %s\naddress %s\n"
	       "iroutes %s\ncertificate %s\ncertificate-expiry %s\ncreated %s\nupdated %s\n",
	       ctl_str(u, "email"), bool_of(u, "vpn") ? "on" : "off",
	       joined(u, "roles", roles, sizeof(roles)), bool_of(u, "password") ? "yes" : "no",
	       str_or(u, "static_ip", "-"), str_or(u, "address", "-"),
	       joined(u, "iroutes", iroutes, sizeof(iroutes)), str_or(u, "cert_serial", "-"),
	       when(u, "cert_expiry", exp, sizeof(exp)), when(u, "created", cr, sizeof(cr)),
	       when(u, "updated", up, sizeof(up)));
}

/* user add / vpn / passwd: the user as it is now, and what ended. */
static void print_change(struct json_object *r)
{
	struct json_object *u, *n;

	if (json_object_object_get_ex(r, "user", &u))
		print_user(u);
	if (json_object_object_get_ex(r, "sessions_ended", &n) && json_object_get_int(n) > 0)
		printf("sessions-ended %d\n", json_object_get_int(n));
	if (json_object_object_get_ex(r, "revoked", &n) && n != NULL)
		printf("revoked %s\n", json_object_get_string(n));
}

static void print_users(struct json_object *r)
{
	struct json_object *a;
	char roles[1024];

	if (!json_object_object_get_ex(r, "users", &a))
		return;
	printf("%-40s %-4s %-15s %-24s %s\n", "EMAIL", "VPN", "ADDRESS", "ROLES", "CERTIFICATE");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *u = json_object_array_get_idx(a, i);

		printf("%-40s %-4s %-15s %-24s %s\n", ctl_str(u, "email"),
		       bool_of(u, "vpn") ? "on" : "off",
		       str_or(u, "static_ip", str_or(u, "address", "-")),
		       joined(u, "roles", roles, sizeof(roles)), str_or(u, "cert_serial", "-"));
	}
}

static void print_roles(struct json_object *r)
{
	struct json_object *a;

	if (!json_object_object_get_ex(r, "roles", &a))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		const char *d = ctl_str(o, "description");

		printf("%s%s%s\n", ctl_str(o, "name"), d[0] ? "  " : "", d);
	}
}

static void print_deleted(struct json_object *r)
{
	printf("deleted %s\n", ctl_str(r, "email"));
	print_change(r);
}

static void print_role_done(struct json_object *r)
{
	printf("%s\n", ctl_str(r, "name"));
}

/* ---- user ---- */

static const struct option add_opts[] = {
	{ "role", required_argument, NULL, 'r' },
	{ "vpn", no_argument, NULL, 'v' },
	{ "password", no_argument, NULL, 'p' },
	{ "static-ip", required_argument, NULL, 's' },
	{ "iroute", required_argument, NULL, 'i' },
	{ NULL, 0, NULL, 0 }
};

static int user_add(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args = json_object_new_object();
	struct json_object *roles = json_object_new_array(), *iroutes = json_object_new_array();
	char pw[PASSWORD_MAX];
	bool vpn = false, password = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "", add_opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			json_object_array_add(roles, json_object_new_string(optarg));
			break;
		case 'i':
			json_object_array_add(iroutes, json_object_new_string(optarg));
			break;
		case 's':
			json_object_object_add(args, "static_ip", json_object_new_string(optarg));
			break;
		case 'v':
			vpn = true;
			break;
		case 'p':
			password = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	json_object_object_add(args, "email", json_object_new_string(argv[optind]));
	json_object_object_add(args, "vpn", json_object_new_boolean(vpn));
	json_object_object_add(args, "roles", roles);
	json_object_object_add(args, "iroutes", iroutes);
	if (password) {
		if (read_password(argv[optind], pw, sizeof(pw)) != 0) {
			json_object_put(args);
			return 1;
		}
		add_password(args, pw, sizeof(pw));
	}
	return ctl_run(ctl, "user.add", args, print_change);
usage:
	json_object_put(args);
	json_object_put(roles);
	json_object_put(iroutes);
	fprintf(stderr, "usage: sluicectl user add EMAIL [--role R]... [--vpn] [--password] "
		"[--static-ip A] [--iroute CIDR]...\n");
	return 2;
}

/* user del|show EMAIL */
static int user_email_only(struct ctl *ctl, int argc, char **argv, const char *cmd,
			   void (*print)(struct json_object *))
{
	struct json_object *args;

	if (argc != 2) {
		fprintf(stderr, "usage: sluicectl user %s EMAIL\n", argv[0]);
		return 2;
	}
	args = json_object_new_object();
	json_object_object_add(args, "email", json_object_new_string(argv[1]));
	return ctl_run(ctl, cmd, args, print);
}

static int user_vpn(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args;

	if (argc != 3 || (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
		fprintf(stderr, "usage: sluicectl user vpn EMAIL on|off\n");
		return 2;
	}
	args = json_object_new_object();
	json_object_object_add(args, "email", json_object_new_string(argv[1]));
	json_object_object_add(args, "on", json_object_new_boolean(strcmp(argv[2], "on") == 0));
	return ctl_run(ctl, "user.vpn", args, print_change);
}

static const struct option passwd_opts[] = {
	{ "remove", no_argument, NULL, 'x' },
	{ NULL, 0, NULL, 0 }
};

static int user_passwd(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args;
	char pw[PASSWORD_MAX];
	bool remove = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "", passwd_opts, NULL)) != -1) {
		if (opt != 'x')
			goto usage;
		remove = true;
	}
	if (optind + 1 != argc)
		goto usage;
	args = json_object_new_object();
	json_object_object_add(args, "email", json_object_new_string(argv[optind]));
	if (!remove) {
		if (read_password(argv[optind], pw, sizeof(pw)) != 0) {
			json_object_put(args);
			return 1;
		}
		add_password(args, pw, sizeof(pw));
	}
	return ctl_run(ctl, "user.passwd", args, print_change);
usage:
	fprintf(stderr, "usage: sluicectl user passwd EMAIL [--remove]\n");
	return 2;
}

/* ---- user profile ---- */

/* The result's "parts" back into a profile (docs/api.md, user.profile). */
static int parts_profile(struct json_object *parts, struct sl_profile *p,
			 struct sl_profile_remote *rem, unsigned max)
{
	static const char *const wraps[] = { "none", "tls-crypt-v2", "tls-crypt", "tls-auth" };
	struct json_object *a, *v;
	const char *w = ctl_str(parts, "wrap");

	memset(p, 0, sizeof(*p));
	if (!json_object_object_get_ex(parts, "remotes", &a) ||
	    !json_object_is_type(a, json_type_array))
		return -1;
	for (size_t i = 0; i < json_object_array_length(a) && p->n_remotes < max; i++) {
		struct json_object *r = json_object_array_get_idx(a, i);

		snprintf(rem[p->n_remotes].host, sizeof(rem->host), "%s", ctl_str(r, "host"));
		rem[p->n_remotes].port = (uint16_t)atoi(ctl_str(r, "port"));
		rem[p->n_remotes].tcp = strcmp(ctl_str(r, "proto"), "tcp") == 0;
		p->n_remotes++;
	}
	p->remotes = rem;
	p->user = ctl_str(parts, "user");
	p->data_ciphers = str_or(parts, "data_ciphers", NULL);
	p->cipher = str_or(parts, "cipher", NULL);
	p->auth = str_or(parts, "auth", NULL);
	p->server_cn = str_or(parts, "server_cn", NULL);
	p->auth_user_pass = bool_of(parts, "auth_user_pass");
	for (unsigned i = 0; i < sizeof(wraps) / sizeof(wraps[0]); i++)
		if (strcmp(w, wraps[i]) == 0)
			p->wrap = (enum sl_profile_wrap)i;
	p->wrap_key = str_or(parts, "wrap_key", NULL);
	p->key_direction = json_object_object_get_ex(parts, "key_direction", &v) && v != NULL ?
			   json_object_get_int(v) : -1;
	p->ca_pem = str_or(parts, "ca", NULL);
	p->cert_pem = str_or(parts, "cert", NULL);
	p->key_pem = str_or(parts, "key", NULL);
	return 0;
}

/* --split DIR: the result's parts as files (sl_profile_split). */
static int write_split(struct json_object *result, const char *dir)
{
	struct sl_profile_remote rem[16];
	struct sl_profile p;
	struct sl_pki_error e = { "" };
	struct json_object *parts;

	if (!json_object_object_get_ex(result, "parts", &parts) ||
	    parts_profile(parts, &p, rem, 16) != 0) {
		fprintf(stderr, "sluicectl: the reply holds no profile parts\n");
		return 1;
	}
	if (sl_profile_split(&p, dir, str_or(parts, "key_encrypted", NULL), NULL, &e) != 0) {
		fprintf(stderr, "sluicectl: %s\n", e.msg);
		return 1;
	}
	printf("profile of %s written to %s (certificate %s)\n", ctl_str(result, "email"), dir,
	       str_or(result, "cert_serial", "-"));
	return 0;
}

/* Wipe the key text in RESULT before it is freed. */
static void wipe_strings(struct json_object *o)
{
	if (json_object_is_type(o, json_type_string)) {
		OPENSSL_cleanse((void *)json_object_get_string(o), (size_t)json_object_get_string_len(o));
		return;
	}
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			wipe_strings(v);
		}
	}
}

static const struct option profile_opts[] = {
	{ "split", required_argument, NULL, 'd' },
	{ "passphrase", no_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 }
};

static int user_profile(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args, *result;
	const char *split = NULL;
	char pp[PASSWORD_MAX];
	bool passphrase = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", profile_opts, NULL)) != -1) {
		if (opt == 'd')
			split = optarg;
		else if (opt == 'k')
			passphrase = true;
		else
			goto usage;
	}
	if (optind + 1 != argc || (passphrase && split == NULL))
		goto usage;
	args = json_object_new_object();
	json_object_object_add(args, "email", json_object_new_string(argv[optind]));
	if (passphrase) {
		if (read_password(argv[optind], pp, sizeof(pp)) != 0) {
			json_object_put(args);
			return 1;
		}
		json_object_object_add(args, "passphrase", json_object_new_string(pp));
		OPENSSL_cleanse(pp, sizeof(pp));
	}
	if (ctl_call(ctl, "user.profile", args, &result) != 0)
		return 1;
	if (split != NULL)
		rc = write_split(result, split);
	else if (ctl->json)
		ctl_print_json(result), rc = 0;
	else
		fputs(ctl_str(result, "ovpn"), stdout), rc = 0;
	wipe_strings(result);
	json_object_put(result);
	return rc;
usage:
	fprintf(stderr, "usage: sluicectl user profile EMAIL [--split DIR [--passphrase]]\n");
	return 2;
}

static int run_user(struct ctl *ctl, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	argc--, argv++;
	if (strcmp(sub, "add") == 0)
		return user_add(ctl, argc, argv);
	if (strcmp(sub, "del") == 0)
		return user_email_only(ctl, argc, argv, "user.del", print_deleted);
	if (strcmp(sub, "show") == 0)
		return user_email_only(ctl, argc, argv, "user.show", print_change);
	if (strcmp(sub, "revoke") == 0)
		return user_email_only(ctl, argc, argv, "user.revoke", print_change);
	if (strcmp(sub, "list") == 0 && argc == 1)
		return ctl_run(ctl, "user.list", NULL, print_users);
	if (strcmp(sub, "vpn") == 0)
		return user_vpn(ctl, argc, argv);
	if (strcmp(sub, "passwd") == 0)
		return user_passwd(ctl, argc, argv);
	if (strcmp(sub, "profile") == 0)
		return user_profile(ctl, argc, argv);
	fprintf(stderr, "usage: sluicectl user add|del|list|show|vpn|passwd|profile|revoke ...\n");
	return 2;
}

/* ---- role ---- */

static int run_role(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *args;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return ctl_run(ctl, "role.list", NULL, print_roles);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "add") == 0) {
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(argv[2]));
		if (argc == 4)
			json_object_object_add(args, "description", json_object_new_string(argv[3]));
		return ctl_run(ctl, "role.add", args, print_role_done);
	}
	if (argc == 3 && strcmp(argv[1], "del") == 0) {
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(argv[2]));
		return ctl_run(ctl, "role.del", args, print_role_done);
	}
	fprintf(stderr, "usage: sluicectl role add NAME [DESCRIPTION] | role del NAME | role list\n");
	return 2;
}

const struct ctl_cmd ctl_user_cmds[] = {
	{ "user", "  user add EMAIL [--role R]... [--vpn] [--password] [--static-ip A] "
	  "[--iroute CIDR]...\n"
	  "  user del EMAIL | user list | user show EMAIL\n"
	  "  user vpn EMAIL on|off       VPN access (off ends the user's sessions at once)\n"
	  "  user passwd EMAIL [--remove] set (read from the terminal or stdin) or remove\n"
	  "  user revoke EMAIL           revoke the user's certificate, end its sessions\n"
	  "  user profile EMAIL [--split DIR [--passphrase]]\n"
	  "                              a new certificate and the .ovpn (or files in DIR)\n",
	  run_user },
	{ "role", "  role add NAME [DESCRIPTION] | role del NAME | role list\n", run_role },
	{ NULL, NULL, NULL }
};
