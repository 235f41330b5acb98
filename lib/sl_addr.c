/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>

#include "sl_addr.h"

const char *sl_addr_str(const struct sl_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (a->family == SL_AF_INET) {
		uint32_t be = htonl(a->v4);

		if (inet_ntop(AF_INET, &be, buf, (socklen_t)len) != NULL)
			return buf;
	} else if (a->family == SL_AF_INET6) {
		if (inet_ntop(AF_INET6, a->v6, buf, (socklen_t)len) != NULL)
			return buf;
	}
	snprintf(buf, len, "-");
	return buf;
}

const char *sl_endpoint_str(const struct sl_endpoint *e, char *buf, size_t len)
{
	char a[SL_ADDR_STRLEN];

	sl_addr_str(&e->addr, a, sizeof(a));
	snprintf(buf, len, e->addr.family == SL_AF_INET6 ? "[%s]:%u%s" : "%s:%u%s", a,
		 (unsigned)e->port, e->transport == SL_TRANSPORT_TCP ? " tcp" : "");
	return buf;
}
