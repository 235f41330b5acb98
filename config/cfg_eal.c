/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cfg_eal.h"

struct argbuf {
	char **argv;
	int argc, max;
	char *buf;
	size_t used, len;
	int overflow;
};

static void add(struct argbuf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct argbuf *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->overflow || a->argc + 1 >= a->max) {
		a->overflow = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, a->len - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= a->len - a->used) {
		a->overflow = 1;
		return;
	}
	a->argv[a->argc++] = a->buf + a->used;
	a->used += (size_t)n + 1;
}

static void add_devices(struct argbuf *a, const struct sl_config *cfg, enum cfg_eal_role role)
{
	int n_pci = 0;

	for (int i = 0; i < CFG_PORT_COUNT; i++)
		if (cfg_port_is_pci(&cfg->port[i])) {
			add(a, "-a");
			add(a, "%s", cfg->port[i].pci);
			n_pci++;
		}
	if (n_pci == 0)
		add(a, "--no-pci");
	/* A secondary learns the primary's virtual devices; never re-create them. */
	if (role != CFG_EAL_PRIMARY)
		return;
	for (int i = 0; i < CFG_PORT_COUNT; i++)
		if (!cfg_port_is_pci(&cfg->port[i])) {
			add(a, "--vdev");
			add(a, "%s", cfg->port[i].vdev);
		}
}

int cfg_eal_args(const struct sl_config *cfg, enum cfg_eal_role role,
		 const char *prog, char *argv[], int max, char *buf, size_t buflen)
{
	static const char *const levels[] = { "error", "warning", "notice", "debug" };
	struct argbuf a = { .argv = argv, .max = max, .buf = buf, .len = buflen };
	const struct cfg_dataplane *dp = &cfg->dp;

	add(&a, "%s", prog);
	if (role == CFG_EAL_PRIMARY) {
		add(&a, "-l");
		add(&a, "%s", dp->lcores);
		add(&a, "--main-lcore=%u", dp->lcore_ids[0]);
		add(&a, "--proc-type=primary");
		/* rte_acl's AVX-512 walk is the fastest access-rule classifier
		 * (bench/RESULTS.md) and DPDK allows it only up to this width
		 * (its default is 256 bits); a cap, so CPUs without AVX-512 run
		 * as before, and ipsec-mb picks AVX-512 on its own already. */
		add(&a, "--force-max-simd-bitwidth=512");
	} else {
		/* The control plane runs on the data plane's main lcore, which sleeps. */
		add(&a, "-l");
		add(&a, "%u", dp->lcore_ids[0]);
		add(&a, "--proc-type=secondary");
	}
	add(&a, "--file-prefix=%s", dp->file_prefix);
	if (!dp->hugepages) {
		add(&a, "--no-huge");
		add(&a, "-m");
		add(&a, "%u", dp->memory_mb ? dp->memory_mb : 512);
	} else if (dp->memory_mb && role == CFG_EAL_PRIMARY) {
		add(&a, "-m");
		add(&a, "%u", dp->memory_mb);
	}
	add_devices(&a, cfg, role);
	add(&a, "--log-level=%s", levels[dp->log_level & 3]);
	if (a.overflow)
		return -1;
	argv[a.argc] = NULL;
	return a.argc;
}
