/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PKI_PRIV_H
#define SL_PKI_PRIV_H

/* Helpers the CA and the profile writer share (pki/ only). */
#include <stddef.h>
#include <sys/types.h>

#include "sl_pki.h"

/* printf into e->msg (e may be NULL); returns -1 for `return sl_pki_fail(...)`. */
int sl_pki_fail(struct sl_pki_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The first OpenSSL error queued, as text after "what: "; clears the queue. */
int sl_pki_fail_ssl(struct sl_pki_error *e, const char *what);

/*
 * Replace PATH with DATA atomically: a temporary file beside it (mode set
 * with fchmod, so the umask does not matter), fsync, rename, fsync of the
 * folder. A reader sees the old file or the new one, never a mix.
 */
int sl_pki_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, struct sl_pki_error *e);

/* Create PATH (must not exist: O_EXCL, no symlink followed) with DATA. */
int sl_pki_write_new(const char *path, const void *data, size_t len,
		     mode_t mode, struct sl_pki_error *e);

#endif
