/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin socket sluicectl talks to: a root-only UNIX stream socket. One
 * request per connection, a JSON object and a newline; one JSON reply,
 * then we close (the protocol and its commands: cp_api.h, docs/api.md).
 *
 * Root only three ways: the socket is bound under umask 0177 (mode 0600
 * before anyone can connect), its folder must be root's and not writable
 * by others (checked at start, else we refuse to start), and every caller's
 * credentials are checked (SO_PEERCRED). The event loop never waits for a
 * client: connections are non-blocking, stepped once per tick, and closed
 * ADMIN_DEADLINE_MS after they were accepted whatever state they are in,
 * so a client trickling a byte at a time holds one slot for 2 s at most.
 * A command whose work must not hold the loop (a password hash) defers it
 * (cp_api.h): it runs on a thread of the connection's own, the slot waits
 * for it (the work is bounded: PBKDF2 at users.pbkdf2_iter), then the
 * command finishes on the loop and the reply gets 2 s to leave.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cp_admin.h"
#include "cp_api.h"
#include "sl_log.h"

#define ADMIN_REQ_MAX	CP_API_REQ_MAX
#define ADMIN_CONNS	8	/* connections served at once */
#define ADMIN_DEADLINE_MS 2000	/* from accept to the end of the reply */

struct admin_conn {
	int fd;				/* -1: free */
	uint64_t deadline_ms;
	size_t in_len;
	char in[ADMIN_REQ_MAX];
	char *out;			/* the reply, once the request is in */
	size_t out_len, out_off;
	struct cp_api_job job;		/* deferred work: job.work set while it runs */
	pthread_t thread;
	atomic_bool job_done;
};

struct cp_admin {
	int fd;				/* listening */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct admin_conn c[ADMIN_CONNS];
};

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Who may talk to us: root, or the user we run as (who could read our
 * memory anyway). */
static bool uid_allowed(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * The socket's folder: made 0700 when missing; else it must be a
 * directory of root's (or ours) that nobody else can write to, or another
 * user could replace the socket with one of theirs.
 */
static int check_parent(const char *path)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	const char *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		SL_ERR("control.socket %s: cannot create its folder %s: %s", path, dir,
		       strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		SL_ERR("control.socket %s: its folder %s is not a directory", path, dir);
		return -ENOTDIR;
	}
	if (!uid_allowed(st.st_uid)) {
		SL_ERR("control.socket %s: its folder %s belongs to uid %u, not root: "
		       "refusing to start", path, dir, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		SL_ERR("control.socket %s: its folder %s is writable by group or others "
		       "(mode %04o): refusing to start", path, dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* A stale socket from a crashed run is removed; anything else is not ours. */
static int clear_path(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		SL_ERR("control.socket %s: exists and is not a socket: refusing to start", path);
		return -EEXIST;
	}
	return unlink(path) == 0 ? 0 : -errno;
}

/* Bound under umask 0177: mode 0600 from the moment it can be connected to. */
static int bind_private(int fd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 16) != 0)
		return -errno;
	return 0;
}

struct cp_admin *cp_admin_open(const char *path)
{
	struct cp_admin *a = calloc(1, sizeof(*a));
	int rc;

	if (a == NULL)
		return NULL;
	a->fd = -1;
	for (int i = 0; i < ADMIN_CONNS; i++)
		a->c[i].fd = -1;
	if (strlen(path) >= sizeof(a->path)) {
		SL_ERR("control.socket %s: path too long", path);
		goto fail;
	}
	snprintf(a->path, sizeof(a->path), "%s", path);
	if (check_parent(path) != 0 || clear_path(path) != 0)
		goto fail;
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	rc = a->fd < 0 ? -errno : bind_private(a->fd, path);
	if (rc != 0) {
		SL_ERR("control.socket %s: %s", path, strerror(-rc));
		goto fail;
	}
	return a;
fail:
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	return NULL;
}

/* The job's thread, joined (none when it ran on the loop). */
static void job_join(struct admin_conn *c)
{
	if (!pthread_equal(c->thread, pthread_self()))
		pthread_join(c->thread, NULL);
}

static void conn_close(struct admin_conn *c)
{
	if (c->job.work != NULL) {	/* the control plane stops: wait, change nothing */
		job_join(c);
		cp_api_drop(&c->job);
	}
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void cp_admin_close(struct cp_admin *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < ADMIN_CONNS; i++)
		if (a->c[i].fd >= 0)
			conn_close(&a->c[i]);
	close(a->fd);
	unlink(a->path);
	free(a);
}

int cp_admin_fd(const struct cp_admin *a)
{
	return a->fd;
}

static void *job_main(void *arg)
{
	struct admin_conn *c = arg;

	c->job.work(c->job.arg);
	atomic_store(&c->job_done, true);
	return NULL;
}

/* The reply to REQ (LEN bytes, without its newline) into the connection,
 * or its command's deferred work started. */
static void reply(struct cp *cp, struct admin_conn *c, const char *req, size_t len)
{
	struct cp_api_job job;
	int rc;

	c->out = cp_api_handle(cp, req, len, &c->out_len, &job);
	if (c->out != NULL || job.work == NULL)
		return;
	c->job = job;
	atomic_store(&c->job_done, false);
	rc = pthread_create(&c->thread, NULL, job_main, c);
	if (rc != 0) {
		SL_WARN("admin: %s: cannot start a thread for it (%s): on the loop", job.name,
			strerror(rc));
		c->thread = pthread_self();
		job_main(c);
	}
}

/* A deferred job: false while it runs; once done, the command finished
 * and its reply in the connection, with 2 s from now to leave. */
static bool job_step(struct cp *cp, struct admin_conn *c, uint64_t now)
{
	if (!atomic_load(&c->job_done))
		return false;
	job_join(c);
	c->out = cp_api_finish(cp, &c->job, &c->out_len);
	c->job.work = NULL;
	c->deadline_ms = now + ADMIN_DEADLINE_MS;
	return true;
}

/* A refusal that is no command's: the protocol's error reply. */
static void reply_error(struct admin_conn *c, const char *reason)
{
	c->out = cp_api_error_reply(reason, &c->out_len);
}

/* What the client sent so far; true once the request line is complete
 * (answered) or the connection is to be closed. */
static bool conn_read(struct cp *cp, struct admin_conn *c)
{
	char *nl;
	ssize_t n;

	while ((n = read(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len)) > 0) {
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		if ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
			size_t len = (size_t)(nl - c->in);

			if (len > 0 && c->in[len - 1] == '\r')
				len--;
			reply(cp, c, c->in, len);
			return true;
		}
		if (c->in_len == sizeof(c->in) - 1) {
			reply_error(c, "request too long");
			return true;
		}
	}
	return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* As much of the reply as the socket takes; true when all of it went. */
static bool conn_write(struct admin_conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
		c->out_off += (size_t)n;
	}
	return true;
}

/* One step of a connection, never waiting: read, answer, write, or close
 * it at its deadline. */
static void conn_step(struct cp *cp, struct admin_conn *c, uint64_t now)
{
	if (c->job.work != NULL && !job_step(cp, c, now))
		return;			/* its work still runs */
	if (c->out == NULL && conn_read(cp, c) && c->out == NULL) {
		if (c->job.work != NULL)
			return;		/* deferred: answered when it is done */
		conn_close(c);		/* closed or broken before a whole request */
		return;
	}
	if (c->out != NULL && conn_write(c)) {
		conn_close(c);
		return;
	}
	if (now >= c->deadline_ms) {
		SL_INFO("admin: connection closed: no %s within %u ms",
			c->out == NULL ? "complete request" : "room for the reply",
			ADMIN_DEADLINE_MS);
		conn_close(c);
	}
}

/* Best effort: the protocol's error reply to a connection we do not serve. */
static void refuse_conn(int fd, const char *reason)
{
	size_t len;
	char *msg = cp_api_error_reply(reason, &len);

	if (msg != NULL && send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		SL_DEBUG("admin: %s", strerror(errno));
	free(msg);
	close(fd);
}

/* A new connection: the caller's credentials (SO_PEERCRED, as the kernel
 * took them at connect), then a free slot. */
static void conn_accept(struct cp_admin *a, int fd, uint64_t now)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    !uid_allowed(cred.uid)) {
		SL_WARN("admin: refused a connection from uid %d pid %d: root only",
			len == sizeof(cred) ? (int)cred.uid : -1,
			len == sizeof(cred) ? (int)cred.pid : -1);
		refuse_conn(fd, "permission denied");
		return;
	}
	for (int i = 0; i < ADMIN_CONNS; i++)
		if (a->c[i].fd < 0) {
			a->c[i].fd = fd;
			a->c[i].deadline_ms = now + ADMIN_DEADLINE_MS;
			return;
		}
	refuse_conn(fd, "busy, try again");
}

void cp_admin_serve(struct cp_admin *a, struct cp *cp)
{
	uint64_t now = mono_ms();
	int fd;

	while ((fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		conn_accept(a, fd, now);
	for (int i = 0; i < ADMIN_CONNS; i++)
		if (a->c[i].fd >= 0)
			conn_step(cp, &a->c[i], now);
}
