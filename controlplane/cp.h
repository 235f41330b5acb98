/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_H
#define SL_CP_H

/*
 * sluice-controlplane, the process: one event loop thread (cp_loop.c)
 * with the admin socket (cp_admin.c), the data plane's rings (cp_dp.c),
 * admission and the session table; the control channel itself is
 * cp_ctx.h's, run on the TLS workers. It talks to the data plane only
 * through sl_api.h objects.
 */
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "cp_ctx.h"
#include "cp_dp.h"
#include "cp_table.h"

struct cp_admin;
struct cp_admit;
struct cp_api_users;
struct cp_tcp;

struct cp {
	const struct sl_config *cfg;
	struct cp_dp dp;
	struct cp_admin *admin;		/* the admin socket (cp_admin.c) */
	/* The user commands' store and CA, opened at their first use (cp_api_users.c). */
	struct cp_api_users *api_users;
	uint64_t started;
	struct cp_ctx ctx;
	struct cp_admit *admit;
	struct cp_tcp *tcp;		/* the TCP transport (cp_tcp.c), NULL when off */
	struct cp_table sessions;
	struct cp_out *backlog, *backlog_tail;	/* commands waiting for sl_cmd room */
	/* Outputs held until the data plane has run the key commands before them. */
	struct cp_out *held, *held_tail;
	uint32_t fence;			/* dp.sent value those commands reach */
	uint64_t next_timer_ms, next_crl_ms;
	uint64_t next_crl_renew_ms;	/* cp_api_users_crl_renew's next look */
	/* The process's CPUs before EAL pinned the main thread (main.c); an
	 * empty set: leave the TLS workers where they are. */
	cpu_set_t start_cpus;
};

#endif
