/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin socket sluicectl talks to: a root-only UNIX stream socket. One
 * request line per connection ("status", "ping", "sessions", "kill WHO"); the reply starts with
 * "ok\n" or "error: REASON\n" and ends when we close.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cp_admin.h"
#include "cp_listing.h"
#include "cp_status.h"
#include "sl_log.h"

#define ADMIN_REPLY_MAX (64 * 1024)
#define ADMIN_READ_MS	1000

static int make_parent(const char *path)
{
	char tmp[108];

	snprintf(tmp, sizeof(tmp), "%s", path);
	if (mkdir(dirname(tmp), 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int cp_admin_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if ((rc = make_parent(path)) != 0) {
		SL_ERR("control.socket %s: cannot create its folder: %s", path, strerror(-rc));
		return rc;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);	/* a stale socket from a crashed run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(path, 0600) != 0 ||
	    listen(fd, 16) != 0) {
		rc = -errno;
		SL_ERR("control.socket %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

void cp_admin_close(int fd, const char *path)
{
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

/* Read one line with a deadline, so a silent client cannot stall the loop. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t used = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (used < len - 1) {
		ssize_t n;

		if (poll(&p, 1, ADMIN_READ_MS) <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf + used, len - 1 - used);
		if (n <= 0)
			return -EIO;
		used += (size_t)n;
		buf[used] = '\0';
		if (strchr(buf, '\n') != NULL) {
			buf[strcspn(buf, "\r\n")] = '\0';
			return 0;
		}
	}
	return -EMSGSIZE;
}

static int cmd_ping(struct cp *cp, char *out, size_t len)
{
	struct sl_cmd c = { .type = SL_CMD_NOP };
	struct sl_event e;
	int rc = cp_dp_call(&cp->dp, &c, 1000, &e);

	if (rc != 0)
		return snprintf(out, len, "error: data plane did not answer: %s\n", strerror(-rc));
	return snprintf(out, len, "ok\ndata plane answered command %u: result %d\n", e.seq, e.result);
}

static int cmd_kill(struct cp *cp, const char *who, char *out, size_t len)
{
	int n;

	if (*who == '\0')
		return snprintf(out, len, "error: kill needs a user, common name or address\n");
	n = cp_listing_kill(cp, who);
	SL_INFO("admin: kill %s: %d session(s)", SL_ESC(who), n);
	if (n == 0)
		return snprintf(out, len, "error: no session matches \"%s\"\n", SL_ESC(who));
	return snprintf(out, len, "ok\n%d session(s) ending\n", n);
}

static void handle(struct cp *cp, int fd)
{
	static char out[ADMIN_REPLY_MAX];
	char req[256];
	int n;

	if (read_line(fd, req, sizeof(req)) != 0)
		return;
	if (strcmp(req, "status") == 0) {
		n = snprintf(out, sizeof(out), "ok\n");
		n += cp_status_format(cp, out + n, sizeof(out) - n);
	} else if (strcmp(req, "ping") == 0) {
		n = cmd_ping(cp, out, sizeof(out));
	} else if (strcmp(req, "sessions") == 0) {
		n = snprintf(out, sizeof(out), "ok\n");
		n += cp_listing_sessions(cp, out + n, sizeof(out) - n);
	} else if (strncmp(req, "kill", 4) == 0 && (req[4] == ' ' || req[4] == '\0')) {
		n = cmd_kill(cp, req + 4 + (req[4] == ' '), out, sizeof(out));
	} else {
		n = snprintf(out, sizeof(out), "error: unknown command \"%s\" "
			     "(known: status, ping, sessions, kill)\n", SL_ESC(req));
		SL_INFO("admin: refused \"%s\": unknown command", SL_ESC(req));
	}
	if (n > (int)sizeof(out))
		n = sizeof(out);
	if (write(fd, out, (size_t)n) != n)
		SL_WARN("admin: reply cut short: %s", strerror(errno));
}

/* Serve every connection waiting on the listening socket. */
void cp_admin_serve(struct cp *cp)
{
	int fd;

	while ((fd = accept4(cp->admin_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		handle(cp, fd);
		close(fd);
	}
}
