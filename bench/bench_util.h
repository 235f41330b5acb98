/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_BENCH_UTIL_H
#define SL_BENCH_UTIL_H

/* Pieces the data-plane benchmarks share (bench_dp, bench_pipe). */
#include <stddef.h>
#include <stdint.h>

struct sl_rule_blob;

/* The CPU's model name from /proc/cpuinfo ("unknown" if not found). */
void bench_cpu_model(char *buf, size_t len);

/*
 * A rule blob (rte_zmalloc) of N random in-rules toward 172.16.0.0/12 that
 * never match the benchmark's traffic, then one that allows UDP to the /24
 * of ALLOW_IP (host order), last by priority; default deny. NULL if out
 * of memory.
 */
struct sl_rule_blob *bench_rule_set(unsigned n, uint32_t allow_ip);

#endif
