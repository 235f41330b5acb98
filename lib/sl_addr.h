/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ADDR_H
#define SL_ADDR_H

/*
 * Helpers for struct sl_addr and struct sl_endpoint (sl_api.h): making,
 * comparing and printing them. No DPDK, usable by every process.
 */
#include <stdbool.h>
#include <string.h>

#include "sl_api.h"

/* Longest text sl_addr_str() writes ("ffff:...:ffff" + NUL). */
#define SL_ADDR_STRLEN		46
/* ... and sl_endpoint_str() ("udp [v6]:65535" + NUL). */
#define SL_ENDPOINT_STRLEN	(SL_ADDR_STRLEN + 12)

static inline struct sl_addr sl_addr_v4(uint32_t host_order)
{
	struct sl_addr a;

	memset(&a, 0, sizeof(a));
	a.family = SL_AF_INET;
	a.v4 = host_order;
	return a;
}

static inline bool sl_addr_is_v4(const struct sl_addr *a)
{
	return a->family == SL_AF_INET;
}

/* Same family and same address (the unused bytes of IPv4 are ignored). */
static inline bool sl_addr_eq(const struct sl_addr *a, const struct sl_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == SL_AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, sizeof(a->v6)) == 0;
}

static inline struct sl_endpoint sl_endpoint_udp4(uint32_t host_order, uint16_t port)
{
	struct sl_endpoint e;

	memset(&e, 0, sizeof(e));
	e.addr = sl_addr_v4(host_order);
	e.port = port;
	e.transport = SL_TRANSPORT_UDP;
	return e;
}

/* Same address, port, transport and (TCP) connection. */
static inline bool sl_endpoint_eq(const struct sl_endpoint *a, const struct sl_endpoint *b)
{
	return a->port == b->port && a->transport == b->transport && a->conn == b->conn &&
	       sl_addr_eq(&a->addr, &b->addr);
}

/* "192.0.2.1", "2001:db8::1" or "-" (no family); returns buf. */
const char *sl_addr_str(const struct sl_addr *a, char *buf, size_t len);

/* "192.0.2.1:1194", "[2001:db8::1]:1194", with " tcp" for TCP; returns buf. */
const char *sl_endpoint_str(const struct sl_endpoint *e, char *buf, size_t len);

#endif
