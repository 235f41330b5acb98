/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl's side of the admin protocol (docs/api.md): connect to the
 * control plane's socket, send one request {"v":1,"cmd":...,"args":...}
 * and a newline, read the reply to EOF and parse it with json-c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_API_VERSION	1		/* controlplane/cp_api.h CP_API_VERSION */
#define CTL_REPLY_MAX	(16 * 1024 * 1024)
#define CTL_BUSY_TRIES	40
#define CTL_BUSY_WAIT_US	25000

/* Empty tables for the modules not linked in (their files define them). */
__attribute__((weak)) const struct ctl_cmd ctl_user_cmds[] = { { NULL, NULL, NULL } };
__attribute__((weak)) const struct ctl_cmd ctl_pki_cmds[] = { { NULL, NULL, NULL } };
__attribute__((weak)) const struct ctl_cmd ctl_rule_cmds[] = { { NULL, NULL, NULL } };

static const struct timeval reply_timeout = { .tv_sec = 10 };

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sluicectl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sluicectl: cannot reach sluice-controlplane at %s: %s\n"
			"  (is it running? start it with: sluice-controlplane -c CONFIG)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* A control plane that accepted but hangs must not hang the operator. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &reply_timeout, sizeof(reply_timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &reply_timeout, sizeof(reply_timeout));
	return fd;
}

/* The request's text with its newline; NULL when out of memory. */
static char *request_text(const char *cmd, struct json_object *args, size_t *len)
{
	struct json_object *req = json_object_new_object();
	char *text = NULL;
	const char *s;

	json_object_object_add(req, "v", json_object_new_int(CTL_API_VERSION));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (args != NULL)
		json_object_object_add(req, "args", args);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (s != NULL && asprintf(&text, "%s\n", s) < 0)
		text = NULL;
	*len = text != NULL ? strlen(text) : 0;
	json_object_put(req);
	return text;
}

/* Send LEN bytes of REQ, read the reply to EOF into a parsed object;
 * NULL (the reason printed) when there is none or it is not JSON. */
static struct json_object *exchange(const char *path, const char *req, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *reply = NULL;
	enum json_tokener_error jerr = json_tokener_continue;
	size_t total = 0;
	char buf[4096];
	ssize_t n = 0;
	int fd = connect_socket(path), err = 0;

	if (fd < 0 || tok == NULL)
		goto out;
	/* A refused caller's socket may be closed already: read why anyway. */
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len && errno != EPIPE) {
		fprintf(stderr, "sluicectl: write: %s\n", strerror(errno));
		goto out;
	}
	while (reply == NULL && (n = read(fd, buf, sizeof(buf))) > 0 && total < CTL_REPLY_MAX) {
		total += (size_t)n;
		reply = json_tokener_parse_ex(tok, buf, (int)n);
		jerr = json_tokener_get_error(tok);
		if (reply == NULL && jerr != json_tokener_continue)
			break;
	}
	err = errno;
	if (reply != NULL && !json_object_is_type(reply, json_type_object)) {
		json_object_put(reply);
		reply = NULL;
		jerr = json_tokener_error_parse_unexpected;
	}
	if (reply != NULL)
		goto out;
	if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK))
		fprintf(stderr, "sluicectl: no reply from %s within %ld s\n", path,
			(long)reply_timeout.tv_sec);
	else if (total == 0)
		fprintf(stderr, "sluicectl: empty reply from %s\n", path);
	else
		fprintf(stderr, "sluicectl: the reply from %s is not a JSON object: %s\n", path,
			jerr == json_tokener_continue ? "cut short" : json_tokener_error_desc(jerr));
out:
	if (tok != NULL)
		json_tokener_free(tok);
	if (fd >= 0)
		close(fd);
	return reply;
}

int ctl_call(struct ctl *ctl, const char *cmd, struct json_object *args,
	     struct json_object **result)
{
	struct json_object *reply, *ok, *res = NULL, *field;
	size_t len;
	char *req = request_text(cmd, args, &len);
	int rc = 1;

	*result = NULL;
	if (req == NULL) {
		fprintf(stderr, "sluicectl: out of memory\n");
		return 1;
	}
	/* Busy (every admin connection taken): try again shortly, for about
	 * a second; the refusal came before the request was read. */
	for (int tries = 0;; tries++) {
		reply = exchange(ctl->sock, req, len);
		if (reply == NULL || tries == CTL_BUSY_TRIES ||
		    strcmp(ctl_str(reply, "error"), "busy, try again") != 0)
			break;
		json_object_put(reply);
		usleep(CTL_BUSY_WAIT_US);
	}
	free(req);
	if (reply == NULL)
		return 1;
	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)) {
		if (json_object_object_get_ex(reply, "result", &res))
			*result = json_object_get(res);
		rc = 0;
	} else if (json_object_object_get_ex(reply, "field", &field)) {
		fprintf(stderr, "sluicectl: %s (field %s)\n", ctl_str(reply, "error"),
			json_object_get_string(field));
	} else {
		fprintf(stderr, "sluicectl: %s\n", ctl_str(reply, "error"));
	}
	json_object_put(reply);
	return rc;
}

void ctl_print_json(struct json_object *result)
{
	printf("%s\n", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE));
}

int ctl_run(struct ctl *ctl, const char *cmd, struct json_object *args,
	    void (*print)(struct json_object *result))
{
	struct json_object *result;

	if (ctl_call(ctl, cmd, args, &result) != 0)
		return 1;
	if (ctl->json)
		ctl_print_json(result);
	else if (print != NULL)
		print(result);
	json_object_put(result);
	return 0;
}

const char *ctl_str(struct json_object *obj, const char *name)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, name, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}
