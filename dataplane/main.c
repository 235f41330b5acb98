/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-dataplane -c FILE: the DPDK primary process.
 *
 * Start-up: config -> EAL (arguments from the config only) -> shared
 * objects for the control plane -> crypto backend (dp_crypto.c) -> ports
 * -> workers, each with its own crypto engine. SIGTERM/SIGINT clear the
 * status magic, give an attached control plane up to DP_DETACH_WAIT_MS to
 * let go of the shared objects, then stop the workers, the ports, free
 * everything and clean up EAL, so no hugepage files stay behind.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "cfg.h"
#include "cfg_eal.h"
#include "dp.h"
#include "dp_exc.h"
#include "dp_peer.h"
#include "sl_log.h"

#define DP_DETACH_WAIT_MS	2000

static struct dp the_dp;

static void on_signal(int sig)
{
	(void)sig;
	/* Pairs with the relaxed loads in the loops: they only need to see it eventually. */
	atomic_store_explicit(&the_dp.quit, true, memory_order_relaxed);
}

static int eal_init(const struct sl_config *cfg)
{
	char *argv[CFG_EAL_MAX_ARGS], buf[2048], cmd[2300] = "";
	int argc = cfg_eal_args(cfg, CFG_EAL_PRIMARY, "sluice-dataplane", argv,
				CFG_EAL_MAX_ARGS, buf, sizeof(buf));

	if (argc < 0) {
		SL_ERR("EAL arguments do not fit");
		return -1;
	}
	for (int i = 1; i < argc; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", argv[i]);
	SL_INFO("EAL:%s", cmd);
	if (rte_eal_init(argc, argv) < 0) {
		SL_ERR("EAL init failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* What the workers need from the config, in the form they use it. */
static int dp_params(struct dp *dp, const struct sl_config *cfg)
{
	dp->cfg = cfg;
	dp->burst = cfg->dp.burst;
	dp->n_workers = rte_lcore_count() - 1;
	if (dp->n_workers == 0 || dp->n_workers > SL_MAX_LCORES) {
		SL_ERR("dataplane.lcores: need 1..%d workers besides the main lcore", SL_MAX_LCORES);
		return -1;
	}
	dp->tsc_hz = rte_get_tsc_hz();
	/* vpn.mssfix bounds the inner packet; the MSS leaves room for IP + TCP. */
	dp->mss = cfg->vpn.mssfix > 40 ? cfg->vpn.mssfix - 40 : 0;
	dp->tun_mtu = cfg->vpn.tun_mtu;
	dp->pool_mask = cfg->vpn.pool.len ? ~0u << (32 - cfg->vpn.pool.len) : 0;
	dp->pool_net = cfg->vpn.pool.addr & dp->pool_mask;
	return 0;
}

static int launch_workers(struct dp *dp)
{
	unsigned lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dp_worker *w = &dp->worker[i];

		w->dp = dp;
		w->lcore_id = lcore;
		w->index = i;
		w->stats = &dp->status->lcore[i];
		dp->status->worker_lcore[i] = lcore;
		i++;
	}
	dp->status->n_workers = i;
	for (i = 0; i < dp->n_workers; i++)
		if (rte_eal_remote_launch(dp_worker_loop, &dp->worker[i],
					  dp->worker[i].lcore_id) != 0)
			return -1;
	return 0;
}

/*
 * Stopping with a control plane attached: it reads sl_status and uses the
 * rings and the packet pool, which are about to be freed (their memory
 * zeroed under it). The magic goes first, so it sees the data plane going
 * (cp_dp_gone) and takes its "data plane gone" path; it clears cp_pid
 * once it no longer touches them. Its last commands (the PEER_DELs of its
 * sessions) are still run meanwhile. A control plane that is gone or
 * stuck is waited for DP_DETACH_WAIT_MS at most.
 */
static void detach_wait(struct dp *dp)
{
	struct sl_status *st = dp->status;
	int32_t cp = __atomic_load_n(&st->cp_pid, __ATOMIC_ACQUIRE);

	__atomic_store_n(&st->magic, 0, __ATOMIC_RELEASE);
	if (cp <= 0 || kill(cp, 0) != 0)
		return;
	SL_INFO("waiting up to %u ms for the control plane (pid %d) to let go",
		DP_DETACH_WAIT_MS, cp);
	for (unsigned ms = 0; ms < DP_DETACH_WAIT_MS; ms++) {
		cp = __atomic_load_n(&st->cp_pid, __ATOMIC_ACQUIRE);
		if (cp <= 0 || kill(cp, 0) != 0) {
			SL_INFO("the control plane let go after %u ms", ms);
			return;
		}
		dp_cmd_poll(dp);
		dp_peers_reclaim(dp);
		usleep(1000);
	}
	SL_WARN("the control plane (pid %d) did not let go within %u ms: stopping anyway",
		cp, DP_DETACH_WAIT_MS);
}

int main(int argc, char **argv)
{
	struct sl_config cfg;
	struct dp *dp = &the_dp;
	const char *file = NULL;
	int args, rc = 1, debug = 0;

	args = cfg_daemon_args(argc, argv, "sluice-dataplane", &file, &debug);
	if (args != CFG_ARGS_RUN)
		return args == CFG_ARGS_EXIT ? 0 : 2;
	if (cfg_load_report(&cfg, file, stderr) < 0)
		return 1;
	sl_log_init("sluice-dataplane", debug ? SL_LOG_DEBUG : cfg.dp.log_level);
	if (eal_init(&cfg) < 0)
		goto free_config;
	if (dp_params(dp, &cfg) < 0)
		goto eal_cleanup;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (dp_shared_create(dp) < 0)
		goto eal_cleanup;
	if (dp_crypto_select(dp) < 0 || dp_shared_workers(dp) < 0 || dp_peers_init(dp) < 0 ||
	    dp_rules_init(dp) < 0 ||
	    dp_ports_init(dp) < 0 || dp_exc_init(dp) < 0 || dp_crypto_engines(dp->worker, dp->n_workers) < 0 ||
	    launch_workers(dp) < 0)
		goto stop;
	dp_telemetry_init(dp);
	dp->status->magic = SL_STATUS_MAGIC;	/* the control plane may attach now */
	SL_INFO("running: %u workers, main lcore %u, listening on UDP %u",
		dp->n_workers, rte_get_main_lcore(), cfg.vpn.listen_port);
	dp_main_loop(dp);
	rc = 0;
	SL_INFO("stopping");
	detach_wait(dp);
stop:
	atomic_store_explicit(&dp->quit, true, memory_order_relaxed);
	rte_eal_mp_wait_lcore();
	dp_crypto_engines_free(dp->worker, dp->n_workers);
	dp_exc_stop(dp);
	dp_ports_stop(dp);
	dp_rules_free(dp);
	dp_peers_free(dp);
	dp_shared_free(dp);
eal_cleanup:
	rte_eal_cleanup();
	dp_cleanup_files(cfg.dp.file_prefix);
free_config:
	cfg_free(&cfg);
	if (rc == 0)
		SL_INFO("stopped");
	return rc;
}
