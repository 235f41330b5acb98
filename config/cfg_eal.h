/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CFG_EAL_H
#define SL_CFG_EAL_H

/*
 * DPDK EAL arguments from a configuration. This is the one place that
 * decides what DPDK may probe: PCI devices only by allow-list (-a ADDR for
 * each port the config names), and --no-pci when no port is a PCI device,
 * so the host's own NICs are never taken. Both processes use it.
 */
#include <stddef.h>

#include "cfg.h"

enum cfg_eal_role { CFG_EAL_PRIMARY, CFG_EAL_SECONDARY };

#define CFG_EAL_MAX_ARGS 32

/*
 * Fill argv[0..argc) with strings stored in buf. Returns argc, or -1 when
 * max or buflen is too small. argv[argc] is NULL.
 */
int cfg_eal_args(const struct sl_config *cfg, enum cfg_eal_role role,
		 const char *prog, char *argv[], int max, char *buf, size_t buflen);

#endif
