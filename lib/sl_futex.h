/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_FUTEX_H
#define SL_FUTEX_H

/*
 * Waking the other process through a word of the data plane's shared
 * memory (a ring's producer tail): futex(2) without FUTEX_PRIVATE_FLAG, so
 * the kernel keys the wait on the shared page and a wake from the control
 * plane reaches a waiter in the data plane and the other way round. A wake
 * that does not arrive (nobody waiting, or a kernel without futexes) costs
 * nothing but the waiter's timeout: every waiter has one.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *W is VAL, at most US microseconds: 0 when woken, else the
 * errno (ETIMEDOUT; EAGAIN: *W was no longer VAL; EINTR). */
static inline int sl_futex_wait(const volatile uint32_t *w, uint32_t val, unsigned us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

	return syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0) == 0 ? 0 : errno;
}

/* Has the error of a wait nothing to do with timing (no futexes here)? */
static inline bool sl_futex_broken(int err)
{
	return err != 0 && err != ETIMEDOUT && err != EAGAIN && err != EINTR;
}

/* Wake the one waiter on W, if any: how many were woken (0 or 1), -1. */
static inline int sl_futex_wake(const volatile uint32_t *w)
{
	return (int)syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

#endif
