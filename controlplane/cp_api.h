/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_API_H
#define SL_CP_API_H

/*
 * The admin protocol's dispatch (cp_api.c), spoken over cp_admin.c's
 * socket; documented for callers in docs/api.md.
 *
 * One request per connection: a JSON object, then a newline,
 *
 *   {"v":1,"cmd":"user.add","args":{"email":"a@example.com","vpn":true}}
 *
 * and one reply, a JSON object, then a newline, then the server closes:
 *
 *   {"ok":true,"result":...}
 *   {"ok":false,"error":"REASON","field":"NAME"}	("field" when one
 *						 argument is at fault)
 *
 * "v" is the protocol version (CP_API_VERSION); a request with another
 * is refused. "args" may be left out when a command takes none.
 *
 * Commands come from per-module tables, each ended by an entry whose name
 * is NULL. A module adds its commands by defining its table symbol below
 * in its own file (compiled into sluice-controlplane: add the file to
 * cp_api_src in controlplane/meson.build); cp_api.c holds an empty weak
 * default for each, so the tree links before the module exists.
 *
 * A command function runs on the event loop thread, with the admin
 * connection's deadline (cp_admin.c) as its bound: it must not wait long.
 * It returns 0 and may set *result (a new reference, given to the reply;
 * NULL means JSON null), or fails with cp_api_fail() (-1), which fills
 * err. On failure nothing it was asked to change may have changed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct cp;

#define CP_API_VERSION	1
#define CP_API_REQ_MAX	(64 * 1024)	/* a request, newline included */

/*
 * Work that must not hold the event loop (a password's PBKDF2 hash, a
 * few tenths of a second): a command fills a job with cp_api_defer() and
 * returns its value, CP_API_DEFERRED. cp_admin.c runs WORK on a thread
 * of its own, then FINISH on the event loop, whose return, result and
 * err make the reply as a command's would; FREE frees ARG in every case
 * (FINISH does not run when the control plane stops first: nothing was
 * changed). ARG must hold copies: the request is gone by then.
 */
#define CP_API_DEFERRED	1

struct cp_api_err;

struct cp_api_job {
	const char *name;	/* the command's, for the log (set by the dispatch) */
	void (*work)(void *arg);
	int (*finish)(struct cp *cp, void *arg, struct json_object **result,
		      struct cp_api_err *err);
	void (*free)(void *arg);
	void *arg;
};

struct cp_api_err {
	char reason[256];
	char field[64];		/* "" when the error is not about one argument */
	struct cp_api_job job;	/* cp_api_defer()'s */
};

struct cp_api_cmd {
	const char *name;	/* "module.verb": "user.add", "rule.list" */
	int (*fn)(struct cp *cp, struct json_object *args, struct json_object **result,
		  struct cp_api_err *err);
	/* The argument names it takes, space-separated ("email vpn roles"):
	 * any other member of "args" is refused before fn runs, naming it
	 * (a misspelt optional argument must not be ignored). NULL: not
	 * checked, fn sees whatever came. */
	const char *args;
};

/* The module tables (each ends with { NULL, NULL }). */
extern const struct cp_api_cmd cp_api_core_cmds[];	/* cp_api.c: status, ping, sessions, kill */
extern const struct cp_api_cmd cp_api_users_cmds[];	/* cp_api_users.c: user.*, role.* */
extern const struct cp_api_cmd cp_api_rules_cmds[];	/* cp_api_rules.c: rule.*, reload */

/*
 * The reply to one request (REQ, LEN bytes, without its newline): a
 * malloc'd JSON text ending in "\n", *out_len its length. NULL when the
 * command deferred its work (*job filled: run job->work off the loop,
 * then cp_api_finish) or when out of memory (job->work NULL). Malformed
 * JSON, a missing or other "v", an unknown "cmd" and ill-typed "args"
 * are refused here, before any command runs.
 */
char *cp_api_handle(struct cp *cp, const char *req, size_t len, size_t *out_len,
		    struct cp_api_job *job);
/* A deferred job's FINISH on the event loop and its reply, as
 * cp_api_handle's; the job's ARG freed. */
char *cp_api_finish(struct cp *cp, struct cp_api_job *job, size_t *out_len);
/* A job dropped unfinished (the control plane stops): ARG freed. */
void cp_api_drop(struct cp_api_job *job);
/* Give JOB to the dispatcher: returns CP_API_DEFERRED, for a command to return. */
int cp_api_defer(struct cp_api_err *err, const struct cp_api_job *job);

/* A refusal that names no command: the reply text as cp_api_handle makes it. */
char *cp_api_error_reply(const char *reason, size_t *out_len);

/* cp_api_users.c: close the user store and CA if the commands opened them. */
void cp_api_users_close(struct cp *cp);
/* cp_api_users.c, once per loop round: with our own CA, rewrite pki.crl
 * from the store's revoked list when its nextUpdate is less than half the
 * CRL lifetime away (or it cannot be read), so a CRL no revocation has
 * rewritten for months never expires under the clients. Checks the file
 * at most once an hour. */
void cp_api_users_crl_renew(struct cp *cp, uint64_t now_ms);

/* Fill ERR (FIELD may be NULL) from a printf format; returns -1. */
int cp_api_fail(struct cp_api_err *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Arguments. Each returns 0 with the value, 1 when an optional argument
 * is absent (out untouched), or -1 with err naming the argument when it
 * is missing but required, or of another type. Strings stay owned by
 * ARGS; they are refused when empty or when they hold a control
 * character (names end up in logs and listings).
 */
int cp_api_arg_str(struct json_object *args, const char *name, bool required,
		   const char **out, struct cp_api_err *err);
int cp_api_arg_bool(struct json_object *args, const char *name, bool required,
		    bool *out, struct cp_api_err *err);
int cp_api_arg_int(struct json_object *args, const char *name, bool required,
		   int64_t min, int64_t max, int64_t *out, struct cp_api_err *err);
/* An array of strings, each checked as cp_api_arg_str does: *out is ARGS's
 * array (json_object_array_get_idx to read), *n its length. */
int cp_api_arg_strv(struct json_object *args, const char *name, bool required,
		    struct json_object **out, size_t *n, struct cp_api_err *err);

#endif
