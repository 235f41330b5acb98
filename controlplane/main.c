/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-controlplane -c FILE: attaches to a running sluice-dataplane as a
 * DPDK secondary process and serves the admin socket. It exits non-zero
 * with a clear message if the data plane is not running at start.
 * Restarting it re-attaches; the data plane keeps forwarding meanwhile.
 *
 * If the data plane goes away under it, it says so, ends every session
 * here (their peers died with the data plane; the clients reconnect on
 * their ping-restart), saves the pool's remembered addresses next to the
 * admin socket, and re-executes itself: a DPDK secondary cannot run
 * rte_eal_init twice in one process, and exec drops every mapping and
 * descriptor of the old data plane's memory at once. The new process finds
 * CP_REATTACH_ENV set, waits for a data plane (the admin socket answering
 * "data plane not running" meanwhile), attaches and restores the pool.
 * docs/architecture.md ("Processes") says why this over the alternatives.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "cfg.h"
#include "cfg_eal.h"
#include "cp_admin.h"
#include "cp_api.h"
#include "cp_loop.h"
#include "cp_pool.h"
#include "cp_rules.h"
#include "sl_log.h"

#define CP_TICK_MS 1
#define CP_REATTACH_ENV "SLUICE_CONTROLPLANE_REATTACH"
#define CP_WAIT_POLL_MS 100	/* looking for a new data plane */
#define CP_WAIT_LOG_S 10	/* "still waiting" every so often */
#define CP_DETACH_GUARD_S 5	/* detaching from a dead primary must not hang */

static atomic_bool quit;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&quit, true, memory_order_relaxed);
}

static int eal_init(const struct sl_config *cfg)
{
	char *argv[CFG_EAL_MAX_ARGS], buf[2048];
	int argc = cfg_eal_args(cfg, CFG_EAL_SECONDARY, "sluice-controlplane", argv,
				CFG_EAL_MAX_ARGS, buf, sizeof(buf));

	if (argc < 0 || rte_eal_init(argc, argv) < 0) {
		SL_ERR("cannot attach to the data plane (EAL secondary init: %s)",
		       argc < 0 ? "arguments too long" : rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* 0 on SIGINT/SIGTERM, 1 when the data plane has gone away. */
static int run(struct cp *cp)
{
	struct pollfd p[2] = { { .fd = cp_admin_fd(cp->admin), .events = POLLIN },
			       { .fd = cp_loop_wake_fd(cp), .events = POLLIN } };
	unsigned n;

	while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
		/* A tick, or sooner when a TLS worker has outputs. */
		if (poll(p, 2, CP_TICK_MS) > 0 && (p[1].revents & POLLIN))
			cp_loop_wake_clear(cp);
		cp_admin_serve(cp->admin, cp);	/* connections under way too */
		cp_loop_poll(cp);
		cp_rules_poll(cp, cp_now_ms());
		cp_api_users_crl_renew(cp, cp_now_ms());
		if (cp_dp_gone(&cp->dp)) {
			n = 0;
			for (struct cp_session *s = cp->sessions.all; s != NULL; s = s->next)
				n++;
			SL_ERR("the data plane (pid %d) is gone: ending its %u session(s) here "
			       "(their clients reconnect), keeping the address assignments, "
			       "waiting for a new data plane", cp->dp.status->dp_pid, n);
			return 1;
		}
	}
	return 0;
}

/* Where the pool's remembered addresses wait for the re-executed process. */
static void pool_file(const struct sl_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s.pool", cfg->ctl.socket);
}

static void pool_save(struct cp *cp)
{
	char path[sizeof(cp->cfg->ctl.socket) + 8];
	int n;

	pool_file(cp->cfg, path, sizeof(path));
	n = cp_pool_save(cp->ctx.pool, path);
	if (n < 0)
		SL_WARN("cannot save the remembered addresses to %s: %s; returning "
			"clients may get other addresses", path, strerror(-n));
	else
		SL_INFO("%d remembered address(es) saved to %s", n, path);
}

static void pool_restore(struct cp *cp)
{
	char path[sizeof(cp->cfg->ctl.socket) + 8];
	int n;

	pool_file(cp->cfg, path, sizeof(path));
	n = cp_pool_restore(cp->ctx.pool, path);
	if (n == -ENOENT)
		return;		/* the usual start */
	if (n < 0)
		SL_WARN("cannot restore the remembered addresses from %s: %s", path,
			strerror(-n));
	else
		SL_INFO("%d remembered address(es) restored from %s", n, path);
	unlink(path);
}

/* ARGV again, told to wait for a data plane; only on failure it returns. */
static char **self_argv;
/* The CPUs we were started on: EAL pins the main thread to the main lcore,
 * the TLS workers go back to these (cp_work_cpus), and so does a
 * re-executed image (execv keeps the calling thread's pin). */
static cpu_set_t start_cpus;
/* CP_REATTACH_ENV's value: the pid of the data plane that went. */
static char gone_pid[16] = "0";

static void reexec(void)
{
	alarm(0);	/* the detach guard: timers survive execv */
	sched_setaffinity(0, sizeof(start_cpus), &start_cpus);
	setenv(CP_REATTACH_ENV, gone_pid, 1);
	fflush(NULL);
	/* DPDK's descriptors (hugepage files and their locks, its sockets)
	 * must not live on in the new image. */
	close_range(3, ~0u, 0);
	execv("/proc/self/exe", self_argv);
	SL_ERR("cannot re-execute myself: %s; exiting", strerror(errno));
}

/* rte_eal_cleanup takes locks in the dead primary's memory: if one was
 * held when it died, re-execute anyway (execv is async-signal-safe). */
static void on_detach_alarm(int sig)
{
	(void)sig;
	sched_setaffinity(0, sizeof(start_cpus), &start_cpus);
	setenv(CP_REATTACH_ENV, gone_pid, 1);
	close_range(3, ~0u, 0);
	execv("/proc/self/exe", self_argv);
	_exit(1);
}

/*
 * Re-executed after the data plane went away: wait for a new one. The
 * admin socket is up meanwhile and answers "data plane not running"
 * (cp_admin.c sees a config and no data-plane status). 0 once one runs, 1 on SIGINT/SIGTERM.
 * GONE is the pid of the one that went: a data plane stopped with SIGTERM
 * is still cleaning up when we get here, and is not the new one.
 */
static int wait_for_dp(const struct sl_config *cfg, pid_t gone)
{
	struct cp idle = { .cfg = cfg };
	struct pollfd p;
	time_t since = time(NULL), logged = since;
	int rc = 1;

	idle.admin = cp_admin_open(cfg->ctl.socket);
	if (idle.admin == NULL)
		return 1;
	p = (struct pollfd){ .fd = cp_admin_fd(idle.admin), .events = POLLIN };
	SL_INFO("waiting for a data plane with dataplane.file_prefix \"%s\" "
		"(admin socket %s up meanwhile)", cfg->dp.file_prefix, cfg->ctl.socket);
	while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
		if (gone > 0 && kill(gone, 0) != 0)
			gone = 0;
		if (gone == 0 && cp_dp_alive(cfg)) {
			rc = 0;
			break;
		}
		poll(&p, 1, CP_WAIT_POLL_MS);
		cp_admin_serve(idle.admin, &idle);
		if (time(NULL) - logged >= CP_WAIT_LOG_S) {
			logged = time(NULL);
			SL_INFO("still waiting for the data plane (%lds)", (long)(logged - since));
		}
	}
	cp_admin_close(idle.admin);
	cp_api_users_close(&idle);
	return rc;
}

int main(int argc, char **argv)
{
	struct sl_config cfg;
	struct cp cp = { .cfg = &cfg };
	const char *file = NULL;
	int args, rc = 1, debug = 0;
	const char *reattach = getenv(CP_REATTACH_ENV);
	pid_t gone = reattach != NULL ? (pid_t)atoi(reattach) : 0;
	bool dp_gone = false;

	unsetenv(CP_REATTACH_ENV);
	self_argv = argv;
	args = cfg_daemon_args(argc, argv, "sluice-controlplane", &file, &debug);
	if (args != CFG_ARGS_RUN)
		return args == CFG_ARGS_EXIT ? 0 : 2;
	if (cfg_load_report(&cfg, file, stderr) < 0)
		return 1;
	sl_log_init("sluice-controlplane", debug ? SL_LOG_DEBUG : cfg.dp.log_level);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (reattach != NULL && wait_for_dp(&cfg, gone) != 0) {
		rc = atomic_load(&quit) ? 0 : 1;	/* SIGTERM while waiting: a clean stop */
		goto free_config;
	}
	if (!cp_dp_alive(&cfg)) {
		SL_ERR("the data plane is not running (no sluice-dataplane with "
		       "dataplane.file_prefix \"%s\"); start it first: sluice-dataplane -c %s",
		       cfg.dp.file_prefix, file);
		goto free_config;
	}
	if (sched_getaffinity(0, sizeof(start_cpus), &start_cpus) != 0)
		CPU_ZERO(&start_cpus);	/* the workers stay on the main lcore */
	cp.start_cpus = start_cpus;
	if (eal_init(&cfg) < 0)
		goto free_config;
	if (cp_dp_attach(&cp.dp) < 0)
		goto eal_cleanup;
	if (cp_loop_init(&cp) < 0)
		goto eal_cleanup;
	/* Before any session: PEER_NEW takes its policy tag from the rules. */
	if (cp_rules_start(&cp) < 0)
		goto loop_fini;
	/* Also at a plain start: left by one that was stopped while waiting. */
	pool_restore(&cp);
	cp.admin = cp_admin_open(cfg.ctl.socket);
	if (cp.admin == NULL)
		goto loop_fini;
	cp.started = (uint64_t)time(NULL);
	SL_INFO("attached to the data plane (pid %d), admin socket %s",
		cp.dp.status->dp_pid, cfg.ctl.socket);
	rc = run(&cp);
	dp_gone = rc == 1;
	if (dp_gone)
		snprintf(gone_pid, sizeof(gone_pid), "%d", (int)cp.dp.status->dp_pid);
	cp_admin_close(cp.admin);
	cp_api_users_close(&cp);	/* before cp_loop_fini closes the store it may share */
	if (dp_gone)
		pool_save(&cp);
loop_fini:
	cp_loop_fini(&cp);
	cp_rules_stop(&cp);	/* the workers are gone */
	SL_INFO("stopped");
eal_cleanup:
	cp_dp_detach(&cp.dp);
	if (dp_gone) {
		signal(SIGALRM, on_detach_alarm);
		alarm(CP_DETACH_GUARD_S);
	}
	rte_eal_cleanup();
free_config:
	cfg_free(&cfg);
	if (dp_gone)
		reexec();
	return rc;
}
