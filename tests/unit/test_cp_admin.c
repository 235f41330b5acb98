/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin socket (cp_admin.c) with stand-ins for what its commands
 * call (status, listing, kill, the data plane): the socket's mode from
 * the moment it can be connected to (bind is wrapped to look), the checks
 * of its folder, the caller's credentials (SO_PEERCRED: root only), and a
 * client that sends a byte at a time, which must neither stall the event
 * loop nor keep its connection past the deadline. The JSON protocol
 * (cp_api.c): every refusal of a malformed request names its reason and
 * field; and the user commands (cp_api_users.c) on a real store in a
 * temporary folder: each bad input of user.add refused naming its field,
 * the store unchanged. Needs root (chown, setuid); skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cp_admin.h"
#include "cp_adopt.h"
#include "cp_api.h"
#include "cp_listing.h"
#include "cp_status.h"
#include "sl_pki.h"
#include "sl_test.h"

/* ---- stand-ins for the event loop's side ---- */

int cp_status_format(const struct cp *cp, char *buf, size_t len)
{
	(void)cp;
	return snprintf(buf, len, "status of the stand-in\n");
}

int cp_listing_sessions(struct cp *cp, char *buf, size_t len)
{
	(void)cp;
	return snprintf(buf, len, "sessions 0 half-open 0\n");
}

int cp_listing_kill(struct cp *cp, const char *who)
{
	(void)cp;
	return strcmp(who, "alice") == 0;
}

bool cp_adopt_end(struct cp *cp, struct cp_session *s, enum cp_end why)
{
	(void)cp, (void)s, (void)why;
	return false;
}

int cp_dp_call(struct cp_dp *d, struct sl_cmd *c, unsigned timeout_ms, struct sl_event *res)
{
	(void)d, (void)c, (void)timeout_ms, (void)res;
	return -ETIMEDOUT;
}

/* bind(2) as the linker wraps it: the socket file's mode right after it
 * appeared, before anything else could change it. */
int __real_bind(int fd, const struct sockaddr *sa, socklen_t len);
static mode_t bound_mode;

int __wrap_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int rc = __real_bind(fd, sa, len);
	struct stat st;

	if (rc == 0 && sa->sa_family == AF_UNIX &&
	    stat(((const struct sockaddr_un *)sa)->sun_path, &st) == 0)
		bound_mode = st.st_mode & 07777;
	return rc;
}

/* ---- the admin socket under test ---- */

#define REQ_SESSIONS	"{\"v\":1,\"cmd\":\"sessions\"}\n"

static char dir[] = "/tmp/sl_cp_admin.XXXXXX";
static char sock[100];
static struct cp cp;

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int admin_open(const char *path)
{
	cp.admin = cp_admin_open(path);
	return cp.admin != NULL ? 0 : -1;
}

static void admin_close(void)
{
	cp_admin_close(cp.admin);
	cp.admin = NULL;
}

/* One tick of the event loop; its duration in ms. */
static uint64_t admin_tick(void)
{
	uint64_t t0 = now_ms();

	cp_admin_serve(cp.admin, &cp);
	return now_ms() - t0;
}

/* Serve for MS, or until child PID exits; the longest tick in *worst,
 * the number of ticks in *ticks.
 * The child's exit status (0 ok), or -1. */
static int serve_while_n(pid_t pid, uint64_t ms, uint64_t *worst, uint64_t *ticks)
{
	uint64_t end = now_ms() + ms, t;
	int st;

	*worst = 0;
	*ticks = 0;
	while (now_ms() < end) {
		t = admin_tick();
		++*ticks;
		if (t > *worst)
			*worst = t;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int serve_while(pid_t pid, uint64_t ms, uint64_t *worst)
{
	uint64_t ticks;

	return serve_while_n(pid, ms, worst, &ticks);
}

static int connect_sock(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send REQ, read the reply to EOF into buf; its length or -1. */
static int request(int fd, const char *req, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	/* A refused caller may find the connection closed before it writes:
	 * like sluicectl, no SIGPIPE, and the reply is read all the same. */
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req) && errno != EPIPE)
		return -1;
	while (used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	return (int)used;
}

/* In a child: REQ, and exit 0 if the reply starts with WANT. */
static pid_t client(const char *req, const char *want, uid_t uid)
{
	pid_t pid = fork();
	char buf[256];
	int fd;

	if (pid != 0)
		return pid;
	if (uid != 0 && setuid(uid) != 0)
		_exit(2);
	fd = connect_sock();
	if (fd < 0 || request(fd, req, buf, sizeof(buf)) < 0)
		_exit(3);
	if (strncmp(buf, want, strlen(want)) != 0) {
		fprintf(stderr, "uid %u asked \"%s\", got \"%s\"\n", (unsigned)uid, req, buf);
		_exit(1);
	}
	_exit(0);
}

/* ---- cases ---- */

/* 0600 from bind on, even under a careless umask. */
static int test_mode_at_bind(void)
{
	mode_t old = umask(0);
	struct stat st;
	int rc;

	bound_mode = 0;
	rc = admin_open(sock);
	umask(old);
	CHECK_EQ(rc, 0);
	fprintf(stderr, "socket mode at bind %04o\n", (unsigned)bound_mode);
	CHECK_EQ(bound_mode, 0600);
	CHECK_EQ(stat(sock, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	admin_close();
	CHECK(access(sock, F_OK) != 0);		/* removed at close */
	return 0;
}

/* The folder must be root's and not writable by others; a missing one is
 * made 0700; something else at the socket's path is not removed. */
static int test_parent_checks(void)
{
	char sub[160], path[200];
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/open", dir);
	snprintf(path, sizeof(path), "%s/ctl.sock", sub);
	CHECK_EQ(mkdir(sub, 0777), 0);
	CHECK_EQ(chmod(sub, 0777), 0);
	CHECK(admin_open(path) != 0);		/* world-writable */
	CHECK_EQ(chmod(sub, 0770), 0);
	CHECK(admin_open(path) != 0);		/* group-writable */
	CHECK_EQ(chmod(sub, 0755), 0);
	CHECK_EQ(chown(sub, 65534, 65534), 0);
	CHECK(admin_open(path) != 0);		/* not root's */
	CHECK_EQ(chown(sub, 0, 0), 0);
	CHECK_EQ(admin_open(path), 0);		/* 0755 root: fine */
	admin_close();
	CHECK_EQ(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	CHECK(admin_open(path) != 0);		/* a file there: not ours to delete */
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(rmdir(sub), 0);
	snprintf(sub, sizeof(sub), "%s/made", dir);
	snprintf(path, sizeof(path), "%s/ctl.sock", sub);
	CHECK_EQ(admin_open(path), 0);		/* missing: made 0700 */
	CHECK_EQ(stat(sub, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0700);
	admin_close();
	CHECK_EQ(rmdir(sub), 0);
	return 0;
}

/* Only root may talk to it, even if the socket's mode was opened up. */
static int test_peer_uid(void)
{
	uint64_t worst;

	CHECK_EQ(admin_open(sock), 0);
	CHECK_EQ(chmod(sock, 0666), 0);
	CHECK_EQ(chmod(dir, 0755), 0);
	CHECK_EQ(serve_while(client(REQ_SESSIONS, "{\"ok\":false,\"error\":\"permission denied\"}",
				    65534), 3000, &worst), 0);
	CHECK_EQ(serve_while(client(REQ_SESSIONS, "{\"ok\":true,\"result\":{\"text\":"
				    "\"sessions 0 half-open 0\\n\"}}\n", 0), 3000, &worst), 0);
	CHECK_EQ(chmod(dir, 0700), 0);
	admin_close();
	return 0;
}

/*
 * A client that sends part of a request and stops: no tick of the event
 * loop waits for it (this test is that client and the loop at once, so a
 * tick that waited would never return), a well-behaved client is answered
 * meanwhile, and the slow one is cut off once its deadline has passed.
 * Nothing here bounds how long anything took.
 */
static int test_slow_client(void)
{
	uint64_t worst;
	ssize_t r;
	char c;
	int fd;

	CHECK_EQ(admin_open(sock), 0);
	fd = connect_sock();
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "{\"v\":1,", 7), 7);		/* and nothing more */
	for (int i = 0; i < 5; i++)
		admin_tick();			/* returns: nothing waits for fd */
	CHECK_EQ(serve_while(client(REQ_SESSIONS, "{\"ok\":true", 0), 5000, &worst), 0);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	CHECK(read(fd, &c, 1) < 0 && errno == EAGAIN);	/* still open, unanswered */
	usleep(2100 * 1000);			/* past ADMIN_DEADLINE_MS (2 s) */
	admin_tick();
	r = read(fd, &c, 1);			/* EOF (or an error reply): closed */
	CHECK(r >= 0 || errno != EAGAIN);
	close(fd);
	admin_close();
	return 0;
}

/* ---- the protocol, in process ---- */

/* REQ through the dispatch, deferred work run here as cp_admin.c's
 * thread would; the reply parsed (the caller puts it). */
static struct json_object *api(struct cp *c, const char *req)
{
	struct cp_api_job job;
	size_t len;
	char *out = cp_api_handle(c, req, strlen(req), &len, &job);
	struct json_object *r;

	if (out == NULL && job.work != NULL) {
		job.work(job.arg);
		out = cp_api_finish(c, &job, &len);
	}
	if (out == NULL || len == 0 || out[len - 1] != '\n')
		return NULL;
	r = json_tokener_parse(out);
	free(out);
	return r;
}

static const char *member(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, name, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}

/* REQ is refused with an error holding WHY and naming FIELD ("" none). */
static int refused(struct cp *c, const char *req, const char *why, const char *field)
{
	struct json_object *r = api(c, req);
	int ok = r != NULL && strcmp(member(r, "ok"), "false") == 0 &&
		 strstr(member(r, "error"), why) != NULL && strcmp(member(r, "field"), field) == 0;

	if (!ok)
		fprintf(stderr, "request %s: wanted \"%s\" (field \"%s\"), got %s\n", req, why,
			field, r ? json_object_to_json_string(r) : "no JSON");
	json_object_put(r);
	return ok ? 0 : -1;
}

/* REQ succeeds; its result (the caller puts it), or NULL. */
static struct json_object *done(struct cp *c, const char *req)
{
	struct json_object *r = api(c, req), *res = NULL;

	if (r != NULL && strcmp(member(r, "ok"), "true") == 0 &&
	    json_object_object_get_ex(r, "result", &res))
		res = json_object_get(res);
	else
		fprintf(stderr, "request %s: %s\n", req, r ? json_object_to_json_string(r) : "?");
	json_object_put(r);
	return res;
}

static int test_protocol_refusals(void)
{
	struct cp c = { 0 };
	struct json_object *res;

	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":", "malformed JSON", ""), 0);
	CHECK_EQ(refused(&c, "status", "malformed JSON", ""), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"status\"} {}", "malformed JSON: text after", ""), 0);
	CHECK_EQ(refused(&c, "[1,2]", "must be a JSON object", ""), 0);
	CHECK_EQ(refused(&c, "{\"cmd\":\"status\"}", "v is required", "v"), 0);
	CHECK_EQ(refused(&c, "{\"v\":\"1\",\"cmd\":\"status\"}", "v must be an integer", "v"), 0);
	CHECK_EQ(refused(&c, "{\"v\":2,\"cmd\":\"status\"}", "version 2 not supported", "v"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1}", "cmd is required", "cmd"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":7}", "cmd must be a string", "cmd"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"shutdown\"}", "unknown command \"shutdown\"",
			 "cmd"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"kill\",\"args\":[]}", "args must be an object",
			 "args"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"kill\",\"args\":{}}", "who is required", "who"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"kill\",\"args\":{\"who\":5}}",
			 "who must be a string", "who"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"kill\",\"args\":{\"who\":\"a\\nb\"}}",
			 "control character", "who"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"kill\",\"args\":{\"who\":\"bob\",\"now\":true}}",
			 "unknown argument \"now\"", "args"), 0);
	CHECK_EQ(refused(&c, "{\"v\":1,\"cmd\":\"kill\",\"args\":{\"who\":\"bob\"}}",
			 "no session matches \"bob\"", "who"), 0);
	res = done(&c, "{\"v\":1,\"cmd\":\"kill\",\"args\":{\"who\":\"alice\"}}");
	CHECK(res != NULL);
	CHECK_STR(member(res, "sessions"), "1");
	json_object_put(res);
	res = done(&c, "{\"v\":1,\"cmd\":\"sessions\"}");
	CHECK(res != NULL);
	CHECK_STR(member(res, "text"), "sessions 0 half-open 0\n");
	json_object_put(res);
	return 0;
}

/* Through the socket: a malformed line gets the JSON refusal too. */
static int test_socket_malformed(void)
{
	uint64_t worst;

	CHECK_EQ(admin_open(sock), 0);
	CHECK_EQ(serve_while(client("status\n", "{\"ok\":false,\"error\":\"malformed JSON", 0),
			     3000, &worst), 0);
	CHECK_EQ(serve_while(client("{\"v\":1,\"cmd\":\"nope\"}\r\n",
				    "{\"ok\":false,\"error\":\"unknown command \\\"nope\\\"\","
				    "\"field\":\"cmd\"}\n", 0), 3000, &worst), 0);
	admin_close();
	return 0;
}

/* ---- user commands on a real store ---- */

static struct sl_config ucfg;
static struct cp ucp;

static int users_setup(void)
{
	memset(&ucfg, 0, sizeof(ucfg));
	snprintf(ucfg.user_store, sizeof(ucfg.user_store), "%s/users.db", dir);
	ucfg.vpn.pool.addr = 0x0a0a0000;	/* 10.10.0.0/24 */
	ucfg.vpn.pool.len = 24;
	memset(&ucp, 0, sizeof(ucp));
	ucp.cfg = &ucfg;
	return 0;
}

#define UADD(args)	"{\"v\":1,\"cmd\":\"user.add\",\"args\":{" args "}}"

/* Each bad input of user.add names its field and leaves the store as it was. */
static int test_user_add_bad_input(void)
{
	static const struct { const char *req, *why, *field; } bad[] = {
		{ UADD(""), "email is required", "email" },
		{ UADD("\"email\":42"), "email must be a string", "email" },
		{ UADD("\"email\":\"\""), "email must not be empty", "email" },
		{ UADD("\"email\":\"not-an-email\""), "", "email" },
		{ UADD("\"email\":\"a b@example.com\""), "", "email" },
		{ UADD("\"email\":\"a@@example.com\""), "", "email" },
		{ UADD("\"email\":\"dup@example.com\""), "", "email" },
		{ UADD("\"email\":\"DUP@example.com\""), "", "email" },
		{ UADD("\"email\":\"x@example.com\",\"vpn\":\"yes\""), "vpn must be true or false",
		  "vpn" },
		{ UADD("\"email\":\"x@example.com\",\"roles\":\"ops\""), "roles must be an array",
		  "roles" },
		{ UADD("\"email\":\"x@example.com\",\"roles\":[1]"), "array of strings", "roles" },
		{ UADD("\"email\":\"x@example.com\",\"roles\":[\"nosuchrole\"]"), "", "roles" },
		{ UADD("\"email\":\"x@example.com\",\"static_ip\":\"10.10.0.300\""),
		  "not an IPv4 address", "static_ip" },
		{ UADD("\"email\":\"x@example.com\",\"static_ip\":\"192.168.1.5\""), "",
		  "static_ip" },
		{ UADD("\"email\":\"x@example.com\",\"static_ip\":\"10.10.0.7\""), "", "static_ip" },
		{ UADD("\"email\":\"x@example.com\",\"iroutes\":[\"10.30.0.0\"]"),
		  "not an IPv4 subnet", "iroutes" },
		{ UADD("\"email\":\"x@example.com\",\"iroutes\":[\"10.30.0.0/33\"]"),
		  "not an IPv4 subnet", "iroutes" },
		{ UADD("\"email\":\"x@example.com\",\"iroutes\":[\"10.10.0.0/16\"]"), "",
		  "iroutes" },
		{ UADD("\"email\":\"x@example.com\",\"password\":\"\""), "must not be empty",
		  "password" },
		{ UADD("\"email\":\"x@example.com\",\"password\":[]"), "must be a string",
		  "password" },
		{ UADD("\"email\":\"x@example.com\",\"admin\":true"), "unknown argument \"admin\"",
		  "args" },
	};
	struct json_object *res, *users;
	char before[4096];

	users_setup();
	res = done(&ucp, "{\"v\":1,\"cmd\":\"role.add\",\"args\":{\"name\":\"ops\"}}");
	CHECK(res != NULL);
	json_object_put(res);
	res = done(&ucp, UADD("\"email\":\"dup@example.com\",\"static_ip\":\"10.10.0.7\","
			      "\"roles\":[\"ops\"],\"vpn\":true,\"iroutes\":[\"10.30.0.0/24\"]"));
	CHECK(res != NULL);
	json_object_put(res);
	users = done(&ucp, "{\"v\":1,\"cmd\":\"user.list\"}");
	CHECK(users != NULL);
	snprintf(before, sizeof(before), "%s", json_object_to_json_string(users));
	json_object_put(users);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(refused(&ucp, bad[i].req, bad[i].why, bad[i].field), 0);
	users = done(&ucp, "{\"v\":1,\"cmd\":\"user.list\"}");
	CHECK(users != NULL);
	CHECK_STR(json_object_to_json_string(users), before);
	json_object_put(users);
	cp_api_users_close(&ucp);
	unlink(ucfg.user_store);
	return 0;
}

/* add, show, vpn off/on, passwd, del: each result as the store has it. */
static int test_user_lifecycle(void)
{
	struct json_object *res, *u;

	users_setup();
	res = done(&ucp, UADD("\"email\":\"Alice@Example.com\",\"vpn\":true,"
			      "\"password\":\"correct horse\""));
	CHECK(res != NULL);
	CHECK(json_object_object_get_ex(res, "user", &u));
	CHECK_STR(member(u, "email"), "alice@example.com");	/* normalized */
	CHECK_STR(member(u, "vpn"), "true");
	CHECK_STR(member(u, "password"), "true");
	json_object_put(res);
	res = done(&ucp, "{\"v\":1,\"cmd\":\"user.vpn\",\"args\":{\"email\":\"alice@example.com\","
		   "\"on\":false}}");
	CHECK(res != NULL);
	CHECK(json_object_object_get_ex(res, "user", &u));
	CHECK_STR(member(u, "vpn"), "false");
	CHECK_STR(member(res, "sessions_ended"), "0");
	json_object_put(res);
	CHECK_EQ(refused(&ucp, "{\"v\":1,\"cmd\":\"user.vpn\",\"args\":{\"email\":"
			 "\"alice@example.com\"}}", "on is required", "on"), 0);
	CHECK_EQ(refused(&ucp, "{\"v\":1,\"cmd\":\"user.profile\",\"args\":{\"email\":"
			 "\"alice@example.com\"}}", "VPN access off", "email"), 0);
	res = done(&ucp, "{\"v\":1,\"cmd\":\"user.passwd\",\"args\":{\"email\":"
		   "\"alice@example.com\"}}");
	CHECK(res != NULL);
	CHECK(json_object_object_get_ex(res, "user", &u));
	CHECK_STR(member(u, "password"), "false");		/* removed */
	json_object_put(res);
	res = done(&ucp, "{\"v\":1,\"cmd\":\"user.del\",\"args\":{\"email\":\"ALICE@example.com\"}}");
	CHECK(res != NULL);
	CHECK_STR(member(res, "email"), "alice@example.com");
	json_object_put(res);
	CHECK_EQ(refused(&ucp, "{\"v\":1,\"cmd\":\"user.show\",\"args\":{\"email\":"
			 "\"alice@example.com\"}}", "", "email"), 0);
	CHECK_EQ(refused(&ucp, "{\"v\":1,\"cmd\":\"role.del\",\"args\":{\"name\":\"nope\"}}",
			 "", "name"), 0);
	cp_api_users_close(&ucp);
	unlink(ucfg.user_store);
	return 0;
}

/* Remove the test's folder PATH and what is in it (one level). */
static int rm_tree(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	return system(cmd) == 0 ? 0 : -1;
}

/* sl_pki_crl_each callback: count the entries revoking 0A1B2C3D. */
static int count_serial(const char *serial, time_t when, void *arg)
{
	(void)when;
	if (strcmp(serial, "0A1B2C3D") == 0)
		++*(unsigned *)arg;
	return 0;
}

/* The nextUpdate of pki.crl, in days from now (rounded down), or -1. */
static long crl_days_left(void)
{
	struct sl_pki_error e;
	time_t next;

	if (sl_pki_crl_next_update(ucfg.pki.crl, &next, &e) != 0)
		return -1;
	return (long)((next - time(NULL)) / 86400);
}

/*
 * With our own CA, a CRL that no revocation has rewritten is renewed
 * before it expires (an expired CRL fails every client's certificate
 * check): at the first look, and then at most once an hour.
 */
static int test_crl_renewed(void)
{
	struct sl_pki_init_opts o = { 0 };
	struct sl_pki_error e = { "" };
	struct sl_pki *ca;
	char pki[160];

	users_setup();
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	CHECK_EQ(sl_pki_init(pki, &o, &e), 0);
	snprintf(ucfg.pki.ca, sizeof(ucfg.pki.ca), "%s/" SL_PKI_CA_CRT, pki);
	snprintf(ucfg.pki.ca_key, sizeof(ucfg.pki.ca_key), "%s/" SL_PKI_CA_KEY, pki);
	snprintf(ucfg.pki.crl, sizeof(ucfg.pki.crl), "%s/" SL_PKI_CRL, pki);
	CHECK((ca = sl_pki_load(ucfg.pki.ca, ucfg.pki.ca_key, &e)) != NULL);
	/* A CRL a day from expiring, as one left alone for months would be,
	 * revoking a serial the store does not know (another writer's). */
	struct sl_pki_revoked other = { .serial = "0A1B2C3D", .when = time(NULL) - 60 };
	unsigned kept = 0;

	CHECK_EQ(sl_pki_crl(ca, &other, 1, 1, ucfg.pki.crl, &e), 0);
	CHECK(crl_days_left() >= 0 && crl_days_left() <= 1);
	cp_api_users_crl_renew(&ucp, 1000);
	CHECK(crl_days_left() >= SL_PKI_DEFAULT_CRL_DAYS - 1 &&
	      crl_days_left() <= SL_PKI_DEFAULT_CRL_DAYS);
	/* The renewed CRL still revokes it: a CRL written again only grows. */
	CHECK_EQ(sl_pki_crl_each(ucfg.pki.crl, count_serial, &kept, &e), 0);
	CHECK_EQ(kept, 1);
	/* Within the hour the file is not looked at again... */
	CHECK_EQ(sl_pki_crl(ca, NULL, 0, 1, ucfg.pki.crl, &e), 0);
	cp_api_users_crl_renew(&ucp, 1000 + 1800 * 1000ull);
	CHECK(crl_days_left() >= 0 && crl_days_left() <= 1);
	/* ...an hour later it is; a fresh CRL is left as it is. */
	cp_api_users_crl_renew(&ucp, 1000 + 3600 * 1000ull);
	CHECK(crl_days_left() >= SL_PKI_DEFAULT_CRL_DAYS - 1 &&
	      crl_days_left() <= SL_PKI_DEFAULT_CRL_DAYS);
	CHECK_EQ(sl_pki_crl(ca, NULL, 0, SL_PKI_DEFAULT_CRL_DAYS - 10, ucfg.pki.crl, &e), 0);
	cp_api_users_crl_renew(&ucp, 1000 + 7200 * 1000ull);
	CHECK(crl_days_left() >= SL_PKI_DEFAULT_CRL_DAYS - 11 &&
	      crl_days_left() <= SL_PKI_DEFAULT_CRL_DAYS - 10);
	sl_pki_free(ca);
	cp_api_users_close(&ucp);
	unlink(ucfg.user_store);
	memset(&ucfg.pki, 0, sizeof(ucfg.pki));
	return rm_tree(pki);
}

/*
 * A password hash (here 10^6 PBKDF2 iterations, about a second) runs off
 * the event loop: no tick waits for it, and the reply comes once it is
 * done, with the user in the store.
 */
static int test_deferred_hash(void)
{
	uint64_t worst, ticks, t0 = now_ms();
	struct json_object *res, *u;
	int rc;

	users_setup();
	ucfg.pbkdf2_iter = 1000000;
	cp.cfg = &ucfg;
	CHECK_EQ(admin_open(sock), 0);
	rc = serve_while_n(client(UADD("\"email\":\"slow@example.com\",\"password\":\"pw\"") "\n",
				  "{\"ok\":true", 0), 60000, &worst, &ticks);
	fprintf(stderr, "user.add with a 10^6-iteration hash: answered after %lu ms, %lu ticks, "
		"longest tick %lu ms\n", (unsigned long)(now_ms() - t0), (unsigned long)ticks,
		(unsigned long)worst);
	admin_close();
	CHECK_EQ(rc, 0);
	/* Run on the loop, the hash would have left room for a few ticks
	 * (accept, read and hash, reply); off it the loop ticked on. */
	CHECK(ticks >= 20);
	res = done(&cp, "{\"v\":1,\"cmd\":\"user.show\",\"args\":{\"email\":\"slow@example.com\"}}");
	CHECK(res != NULL);
	CHECK(json_object_object_get_ex(res, "user", &u));
	CHECK_STR(member(u, "password"), "true");
	json_object_put(res);
	cp_api_users_close(&cp);
	cp.cfg = NULL;
	unlink(ucfg.user_store);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "socket mode 0600 from bind on, under umask 0", test_mode_at_bind },
	{ "folder: not root's or writable by others refused, missing made 0700",
	  test_parent_checks },
	{ "SO_PEERCRED: uid 65534 refused even on a 0666 socket, root answered",
	  test_peer_uid },
	{ "a request left half-sent: no tick waits, others answered, cut off after its deadline",
	  test_slow_client },
	{ "protocol: malformed, not an object, version, unknown command or argument, "
	  "ill-typed args refused naming the field", test_protocol_refusals },
	{ "socket: a malformed line and an unknown command get JSON refusals",
	  test_socket_malformed },
	{ "user.add: every bad input refused naming its field, the store unchanged",
	  test_user_add_bad_input },
	{ "user add, vpn off, profile refused, passwd removed, del, show refused",
	  test_user_lifecycle },
	{ "a password hash runs off the event loop: no tick waits, the reply follows",
	  test_deferred_hash },
	{ "our own CA's CRL is renewed before it expires, looked at once an hour",
	  test_crl_renewed },
	{ NULL, NULL }
};

int main(void)
{
	int rc;

	if (geteuid() != 0) {
		printf("SKIP: test_cp_admin needs root (chown, setuid)\n");
		return 77;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	rc = sl_test_run("cp_admin", cases);
	unlink(sock);
	rmdir(dir);
	return rc;
}
