/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_random.h>

#include "bench_util.h"
#include "sl_addr.h"
#include "sl_rule.h"

void bench_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "model name", 10) == 0) {
			snprintf(buf, len, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	if (f != NULL)
		fclose(f);
}

struct sl_rule_blob *bench_rule_set(unsigned n, uint32_t allow_ip)
{
	static uint64_t rules_gen;
	struct sl_rule_blob *b = rte_zmalloc("bench_blob", sl_rule_blob_size(n + 1), 0);

	if (b == NULL)
		return NULL;
	b->magic = SL_RULE_BLOB_MAGIC;
	b->version = SL_RULE_BLOB_VERSION;
	b->generation = ++rules_gen;
	b->count = n + 1;
	b->default_action = SL_RULE_DENY;
	for (unsigned i = 0; i <= n; i++) {
		struct sl_rule_entry *e = &b->entries[i];
		uint16_t port = (uint16_t)(1 + rte_rand_max(65000));

		snprintf(e->name, sizeof(e->name), "r%u", i);
		e->direction = SL_RULE_IN;
		e->role = SL_RULE_NO_ROLE;
		e->priority = i;
		e->slot = i;
		e->sport_hi = 65535;
		e->dst = sl_addr_v4(0xAC100000u | ((uint32_t)rte_rand_max(4096) << 8));
		e->dst_len = 24;	/* somewhere in 172.16.0.0/12 */
		e->proto = (uint8_t)(rte_rand_max(2) ? SL_RULE_TCP : SL_RULE_UDP);
		e->action = (uint8_t)(rte_rand_max(2) ? SL_RULE_ALLOW : SL_RULE_DENY);
		e->dport_lo = port;
		e->dport_hi = (uint16_t)(port + rte_rand_max(100));
		if (i == n) {	/* the traffic's */
			e->dst = sl_addr_v4(allow_ip & 0xFFFFFF00u);
			e->proto = SL_RULE_UDP;
			e->action = SL_RULE_ALLOW;
			e->dport_lo = 0;
			e->dport_hi = 65535;
		}
	}
	return b;
}
