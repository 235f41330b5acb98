/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sl_futex.h: a wake from one process reaches a waiter in another on
 * the same shared page, even mapped at another address (the control and
 * data planes map the data plane's memory each on their own), and the
 * waits' other outcomes are what their callers expect.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "sl_futex.h"
#include "sl_test.h"

#define WAKE_TRIES 100000	/* wakes tried until the child is waiting */

/* A page of a memory file, as DPDK's --no-huge memory is. */
static volatile uint32_t *shared_page(int *fd)
{
	void *p;

	*fd = memfd_create("test_futex", MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, 4096) != 0)
		return NULL;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int test_wake_other_process(void)
{
	int fd, status, woken = 0;
	volatile uint32_t *w = shared_page(&fd);
	pid_t pid;

	CHECK(w != NULL);
	*w = 7;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Its own mapping of the file, at another address. */
		void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (q == MAP_FAILED || q == (void *)w)
			_exit(2);
		_exit(sl_futex_wait(q, 7, 60 * 1000000) == 0 ? 0 : 1);
	}
	/* The word never changes: only a wake ends the child's wait. */
	for (int i = 0; i < WAKE_TRIES && woken == 0; i++) {
		woken = sl_futex_wake(w);
		if (woken == 0)
			usleep(100);
	}
	CHECK_EQ(woken, 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	munmap((void *)w, 4096);
	close(fd);
	return 0;
}

/* A word that has moved on ends the wait at once; an unchanged one times out. */
static int test_moved_and_timeout(void)
{
	int fd;
	volatile uint32_t *w = shared_page(&fd);

	CHECK(w != NULL);
	*w = 3;
	CHECK_EQ(sl_futex_wait(w, 2, 60 * 1000000), EAGAIN);
	CHECK_EQ(sl_futex_wait(w, 3, 1000), ETIMEDOUT);
	CHECK(!sl_futex_broken(EAGAIN) && !sl_futex_broken(ETIMEDOUT) &&
	      !sl_futex_broken(EINTR) && !sl_futex_broken(0));
	CHECK(sl_futex_broken(ENOSYS) && sl_futex_broken(EFAULT));
	CHECK_EQ(sl_futex_wake(w), 0);	/* nobody waiting */
	munmap((void *)w, 4096);
	close(fd);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "a wake reaches a waiter in another process", test_wake_other_process },
	{ "moved word: at once; unchanged: timeout", test_moved_and_timeout },
	{ NULL, NULL }
};

int main(void)
{
	return sl_test_run("futex", cases);
}
