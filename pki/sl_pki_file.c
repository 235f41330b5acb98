/* SPDX-License-Identifier: BSD-3-Clause */
/* Error text and file writing shared by the CA and the profile writer. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "sl_pki_priv.h"

int sl_pki_fail(struct sl_pki_error *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int sl_pki_fail_ssl(struct sl_pki_error *e, const char *what)
{
	unsigned long code = ERR_get_error();
	char buf[160];

	ERR_clear_error();
	if (!code)
		return sl_pki_fail(e, "%s failed", what);
	ERR_error_string_n(code, buf, sizeof(buf));
	return sl_pki_fail(e, "%s: %s", what, buf);
}

/* Write all of DATA to fd, set its mode and flush it to disk. */
static int write_fd(int fd, const void *data, size_t len, mode_t mode)
{
	const char *p = data;

	if (fchmod(fd, mode) < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

/* write_fd, then close; on a failure NAME (the file fd is) is removed. */
static int write_close(int fd, const char *name, const void *data, size_t len,
		       mode_t mode, struct sl_pki_error *e)
{
	int saved;

	if (write_fd(fd, data, len, mode) < 0) {
		saved = errno;
		close(fd);
		unlink(name);
		return sl_pki_fail(e, "%s: write failed: %s", name, strerror(saved));
	}
	close(fd);
	return 0;
}

/* fsync PATH's folder so a rename or a new entry survives a crash. */
static int sync_parent(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int sl_pki_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, struct sl_pki_error *e)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return sl_pki_fail(e, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return sl_pki_fail(e, "%s: cannot create a temporary file: %s",
				   path, strerror(errno));
	if (write_close(fd, tmp, data, len, mode, e) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		return sl_pki_fail(e, "%s: rename failed: %s", path, strerror(saved));
	}
	if (sync_parent(path) < 0)
		return sl_pki_fail(e, "%s: folder sync failed: %s", path,
				   strerror(errno));
	return 0;
}

int sl_pki_write_new(const char *path, const void *data, size_t len,
		     mode_t mode, struct sl_pki_error *e)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode & 0600);
	if (fd < 0)
		return sl_pki_fail(e, "%s: cannot create: %s", path, strerror(errno));
	return write_close(fd, path, data, len, mode, e);
}
