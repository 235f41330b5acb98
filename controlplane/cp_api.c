/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin protocol's dispatch (cp_api.h, docs/api.md): parse one
 * request with json-c, check its envelope, find the command in the
 * module tables, run it, and make the reply. Also the core commands:
 * status, ping, sessions, kill.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"
#include "cp_api.h"
#include "cp_listing.h"
#include "cp_status.h"
#include "sl_log.h"

/* Empty tables for the modules not linked in (their files define them). */
__attribute__((weak)) const struct cp_api_cmd cp_api_users_cmds[] = { { NULL, NULL } };
__attribute__((weak)) const struct cp_api_cmd cp_api_rules_cmds[] = { { NULL, NULL } };

#define LISTING_MAX	(256 * 1024)

int cp_api_fail(struct cp_api_err *err, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	snprintf(err->field, sizeof(err->field), "%s", field != NULL ? field : "");
	return -1;
}

/* ---- arguments ---- */

static const char *type_name(enum json_type t)
{
	switch (t) {
	case json_type_string: return "a string";
	case json_type_boolean: return "true or false";
	case json_type_int: return "an integer";
	case json_type_array: return "an array";
	case json_type_object: return "an object";
	default: return "a value of another type";
	}
}

/* ARGS's member NAME of type T: 0 found, 1 absent and optional, -1 refused. */
static int arg_get(struct json_object *args, const char *name, bool required,
		   enum json_type t, struct json_object **out, struct cp_api_err *err)
{
	struct json_object *v;

	if (args == NULL || !json_object_object_get_ex(args, name, &v) || v == NULL) {
		if (required)
			return cp_api_fail(err, name, "%s is required", name);
		return 1;
	}
	if (!json_object_is_type(v, t))
		return cp_api_fail(err, name, "%s must be %s", name, type_name(t));
	*out = v;
	return 0;
}

/* A name that can be logged and listed: not empty, no control characters. */
static int check_text(struct json_object *v, const char *name, struct cp_api_err *err)
{
	const unsigned char *s = (const unsigned char *)json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);

	if (len == 0)
		return cp_api_fail(err, name, "%s must not be empty", name);
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return cp_api_fail(err, name, "%s holds a control character", name);
	return 0;
}

int cp_api_arg_str(struct json_object *args, const char *name, bool required,
		   const char **out, struct cp_api_err *err)
{
	struct json_object *v = NULL;
	int rc = arg_get(args, name, required, json_type_string, &v, err);

	if (rc != 0)
		return rc;
	if (check_text(v, name, err) != 0)
		return -1;
	*out = json_object_get_string(v);
	return 0;
}

int cp_api_arg_bool(struct json_object *args, const char *name, bool required,
		    bool *out, struct cp_api_err *err)
{
	struct json_object *v = NULL;
	int rc = arg_get(args, name, required, json_type_boolean, &v, err);

	if (rc == 0)
		*out = json_object_get_boolean(v);
	return rc;
}

int cp_api_arg_int(struct json_object *args, const char *name, bool required,
		   int64_t min, int64_t max, int64_t *out, struct cp_api_err *err)
{
	struct json_object *v = NULL;
	int rc = arg_get(args, name, required, json_type_int, &v, err);
	int64_t x;

	if (rc != 0)
		return rc;
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return cp_api_fail(err, name, "%s must be from %lld to %lld", name,
				   (long long)min, (long long)max);
	*out = x;
	return 0;
}

int cp_api_arg_strv(struct json_object *args, const char *name, bool required,
		    struct json_object **out, size_t *n, struct cp_api_err *err)
{
	struct json_object *v = NULL;
	int rc = arg_get(args, name, required, json_type_array, &v, err);
	size_t len;

	if (rc != 0)
		return rc;
	len = json_object_array_length(v);
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string))
			return cp_api_fail(err, name, "%s must be an array of strings", name);
		if (check_text(e, name, err) != 0)
			return -1;
	}
	*out = v;
	*n = len;
	return 0;
}

/* ---- the core commands ---- */

/* Refused while main.c waits for a new data plane: a configured control
 * plane without data-plane status (unit tests run with neither). */
static int need_dp(struct cp *cp, struct cp_api_err *err)
{
	if (cp->cfg != NULL && cp->dp.status == NULL)
		return cp_api_fail(err, NULL, "data plane not running "
				   "(the control plane is waiting for it)");
	return 0;
}

/* {"text": LISTING}: status and sessions keep their line formats
 * (cp_status.c, cp_listing.c), which scripts already parse. FORMAT
 * writes the listing. */
static int text_result(struct cp *cp, int (*format)(struct cp *, char *, size_t),
		       struct json_object **result, struct cp_api_err *err)
{
	char *buf;
	int n;

	if (need_dp(cp, err) != 0)
		return -1;
	if ((buf = malloc(LISTING_MAX)) == NULL)
		return cp_api_fail(err, NULL, "out of memory");
	n = format(cp, buf, LISTING_MAX);
	if (n > LISTING_MAX - 1)
		n = LISTING_MAX - 1;
	*result = json_object_new_object();
	json_object_object_add(*result, "text", json_object_new_string_len(buf, n));
	free(buf);
	return 0;
}

static int status_text(struct cp *cp, char *buf, size_t len)
{
	return cp_status_format(cp, buf, len);
}

static int cmd_status(struct cp *cp, struct json_object *args, struct json_object **result,
		      struct cp_api_err *err)
{
	(void)args;
	return text_result(cp, status_text, result, err);
}

static int cmd_sessions(struct cp *cp, struct json_object *args, struct json_object **result,
			struct cp_api_err *err)
{
	(void)args;
	return text_result(cp, cp_listing_sessions, result, err);
}

static int cmd_ping(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct sl_cmd c = { .type = SL_CMD_NOP };
	struct sl_event e;
	int rc;

	(void)args;
	if (need_dp(cp, err) != 0)
		return -1;
	rc = cp_dp_call(&cp->dp, &c, 1000, &e);
	if (rc != 0)
		return cp_api_fail(err, NULL, "data plane did not answer: %s", strerror(-rc));
	*result = json_object_new_object();
	json_object_object_add(*result, "seq", json_object_new_int64(e.seq));
	json_object_object_add(*result, "result", json_object_new_int(e.result));
	return 0;
}

static int cmd_kill(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	const char *who;
	int n;

	if (need_dp(cp, err) != 0 || cp_api_arg_str(args, "who", true, &who, err) != 0)
		return -1;
	n = cp_listing_kill(cp, who);
	SL_INFO("admin: kill %s: %d session(s)", SL_ESC(who), n);
	if (n == 0)
		return cp_api_fail(err, "who", "no session matches \"%s\"", SL_ESC(who));
	*result = json_object_new_object();
	json_object_object_add(*result, "sessions", json_object_new_int(n));
	return 0;
}

const struct cp_api_cmd cp_api_core_cmds[] = {
	{ "status", cmd_status, "" },
	{ "ping", cmd_ping, "" },
	{ "sessions", cmd_sessions, "" },
	{ "kill", cmd_kill, "who" },
	{ NULL, NULL, NULL }
};

/* ---- dispatch ---- */

static const struct cp_api_cmd *const *tables(void)
{
	static const struct cp_api_cmd *const t[] = {
		cp_api_core_cmds, cp_api_users_cmds, cp_api_rules_cmds, NULL
	};
	return t;
}

static const struct cp_api_cmd *find_cmd(const char *name)
{
	for (const struct cp_api_cmd *const *t = tables(); *t != NULL; t++)
		for (const struct cp_api_cmd *c = *t; c->name != NULL; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

/* REPLY as text with its newline (the reference is dropped). */
static char *reply_text(struct json_object *reply, size_t *out_len)
{
	const char *s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	char *text = NULL;

	if (s == NULL || asprintf(&text, "%s\n", s) < 0)
		text = NULL;
	*out_len = text != NULL ? strlen(text) : 0;
	json_object_put(reply);
	return text;
}

static char *error_reply(const struct cp_api_err *err, size_t *out_len)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(err->reason));
	if (err->field[0] != '\0')
		json_object_object_add(r, "field", json_object_new_string(err->field));
	return reply_text(r, out_len);
}

char *cp_api_error_reply(const char *reason, size_t *out_len)
{
	struct cp_api_err err;

	cp_api_fail(&err, NULL, "%s", reason);
	return error_reply(&err, out_len);
}

/* Every member of ARGS is one C takes. */
static int args_known(const struct cp_api_cmd *c, struct json_object *args,
		      struct cp_api_err *err)
{
	size_t n;

	if (c->args == NULL || args == NULL)
		return 0;
	json_object_object_foreach(args, key, val) {
		const char *p = c->args;

		(void)val;
		n = strlen(key);
		while ((p = strstr(p, key)) != NULL) {
			if ((p == c->args || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
				break;
			p += n;
		}
		if (p == NULL || n == 0)
			return cp_api_fail(err, "args", "unknown argument \"%s\" (%s takes: %s)",
					   SL_ESC(key), c->name, c->args[0] ? c->args : "none");
	}
	return 0;
}

/* The envelope: {"v":1,"cmd":NAME,"args":{...}}; the command or NULL. */
static const struct cp_api_cmd *envelope(struct json_object *req, struct json_object **args,
					 struct cp_api_err *err)
{
	const struct cp_api_cmd *c;
	const char *name;
	int64_t v;

	*args = NULL;
	if (!json_object_is_type(req, json_type_object)) {
		cp_api_fail(err, NULL, "the request must be a JSON object");
		return NULL;
	}
	if (cp_api_arg_int(req, "v", true, INT32_MIN, INT32_MAX, &v, err) != 0)
		return NULL;
	if (v != CP_API_VERSION) {
		cp_api_fail(err, "v", "protocol version %lld not supported (this control "
			    "plane speaks version %d)", (long long)v, CP_API_VERSION);
		return NULL;
	}
	if (cp_api_arg_str(req, "cmd", true, &name, err) != 0)
		return NULL;
	if ((c = find_cmd(name)) == NULL) {
		cp_api_fail(err, "cmd", "unknown command \"%s\"", SL_ESC(name));
		return NULL;
	}
	if (arg_get(req, "args", false, json_type_object, args, err) < 0 ||
	    args_known(c, *args, err) != 0)
		return NULL;
	return c;
}

/* The reply to a command NAME (NULL: the request was refused before one
 * ran) that returned RC with RESULT or ERR. */
static char *reply_of(const char *name, int rc, struct json_object *result,
		      const struct cp_api_err *err, size_t *out_len)
{
	struct json_object *r;

	if (name != NULL && rc == 0) {
		r = json_object_new_object();
		json_object_object_add(r, "ok", json_object_new_boolean(1));
		json_object_object_add(r, "result", result);
		return reply_text(r, out_len);
	}
	SL_INFO("admin: refused %s%s: %s%s%s%s", name != NULL ? "command " : "the request",
		name != NULL ? name : "", err->reason, err->field[0] ? " (field " : "",
		err->field, err->field[0] ? ")" : "");
	return error_reply(err, out_len);
}

int cp_api_defer(struct cp_api_err *err, const struct cp_api_job *job)
{
	err->job = *job;
	return CP_API_DEFERRED;
}

char *cp_api_finish(struct cp *cp, struct cp_api_job *job, size_t *out_len)
{
	struct cp_api_err err = { "", "", { NULL } };
	struct json_object *result = NULL;
	int rc = job->finish(cp, job->arg, &result, &err);

	job->free(job->arg);
	job->arg = NULL;
	return reply_of(job->name, rc, result, &err, out_len);
}

void cp_api_drop(struct cp_api_job *job)
{
	job->free(job->arg);
	job->arg = NULL;
}

char *cp_api_handle(struct cp *cp, const char *req, size_t len, size_t *out_len,
		    struct cp_api_job *job)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = NULL, *args, *result = NULL;
	const struct cp_api_cmd *c = NULL;
	struct cp_api_err err = { "", "", { NULL } };
	int rc = -1;

	memset(job, 0, sizeof(*job));
	if (tok == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, req, (int)len);
	if (obj == NULL || json_tokener_get_parse_end(tok) != len)
		cp_api_fail(&err, NULL, "malformed JSON: %s", obj == NULL ?
			    json_tokener_error_desc(json_tokener_get_error(tok)) :
			    "text after the request object");
	else
		c = envelope(obj, &args, &err);
	json_tokener_free(tok);
	if (c != NULL)
		rc = c->fn(cp, args, &result, &err);
	json_object_put(obj);
	if (rc == CP_API_DEFERRED) {
		*job = err.job;
		job->name = c->name;
		return NULL;
	}
	return reply_of(c != NULL ? c->name : NULL, rc, result, &err, out_len);
}
