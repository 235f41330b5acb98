/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-controlplane -c FILE: attaches to a running sluice-dataplane as a
 * DPDK secondary process and serves the admin socket. It exits non-zero
 * with a clear message if the data plane is not running, and on its own if
 * the data plane goes away. Restarting it re-attaches; the data plane keeps
 * forwarding meanwhile.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "cfg.h"
#include "cfg_eal.h"
#include "cp_admin.h"
#include "cp_loop.h"
#include "sl_log.h"

#define CP_TICK_MS 1

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

static int run(struct cp *cp)
{
	struct pollfd p = { .fd = cp_admin_fd(cp->admin), .events = POLLIN };

	while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
		poll(&p, 1, CP_TICK_MS);
		cp_admin_serve(cp->admin, cp);	/* connections under way too */
		cp_loop_poll(cp);
		if (cp_dp_gone(&cp->dp)) {
			SL_ERR("the data plane (pid %d) has stopped; exiting", cp->dp.status->dp_pid);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sl_config cfg;
	struct cp cp = { .cfg = &cfg };
	const char *file = NULL;
	int args, rc = 1, debug = 0;

	args = cfg_daemon_args(argc, argv, "sluice-controlplane", &file, &debug);
	if (args != CFG_ARGS_RUN)
		return args == CFG_ARGS_EXIT ? 0 : 2;
	if (cfg_load_report(&cfg, file, stderr) < 0)
		return 1;
	sl_log_init("sluice-controlplane", debug ? SL_LOG_DEBUG : cfg.dp.log_level);
	if (!cp_dp_alive(&cfg)) {
		SL_ERR("the data plane is not running (no sluice-dataplane with "
		       "dataplane.file_prefix \"%s\"); start it first: sluice-dataplane -c %s",
		       cfg.dp.file_prefix, file);
		goto free_config;
	}
	if (eal_init(&cfg) < 0)
		goto free_config;
	if (cp_dp_attach(&cp.dp) < 0)
		goto eal_cleanup;
	if (cp_loop_init(&cp) < 0)
		goto eal_cleanup;
	cp.admin = cp_admin_open(cfg.ctl.socket);
	if (cp.admin == NULL)
		goto loop_fini;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	cp.started = (uint64_t)time(NULL);
	SL_INFO("attached to the data plane (pid %d), admin socket %s",
		cp.dp.status->dp_pid, cfg.ctl.socket);
	rc = run(&cp) == 0 ? 0 : 1;
	cp_admin_close(cp.admin);
loop_fini:
	cp_loop_fini(&cp);
	SL_INFO("stopped");
eal_cleanup:
	rte_eal_cleanup();
free_config:
	cfg_free(&cfg);
	return rc;
}
