/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Value parsers and formatters of the configuration (addresses, prefixes,
 * lcore lists, port names). They know nothing of the loader.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int cfg_port_is_pci(const struct cfg_port *p)
{
	return p->pci[0] != '\0';
}

const char *cfg_port_name(enum cfg_port_id id)
{
	return id == CFG_PORT_PUBLIC ? "public" : "private";
}

char *cfg_ip_str(uint32_t addr, char *buf, unsigned len)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	if (inet_ntop(AF_INET, &a, buf, len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int cfg_parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

int cfg_parse_prefix(const char *s, struct cfg_prefix *p)
{
	char ip[32], *end;
	const char *slash = strchr(s, '/');
	unsigned long len = 32;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, slash - s);
	ip[slash - s] = '\0';
	if (slash[1] == '\0')
		return -1;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > 32 || cfg_parse_ipv4(ip, &p->addr) < 0)
		return -1;
	p->len = (uint8_t)len;
	return 0;
}

/* "0-3,6": ranges and single ids, no duplicates. */
int cfg_parse_lcores(const char *s, uint16_t *ids, unsigned max, unsigned *n)
{
	uint8_t used[CFG_MAX_LCORES] = { 0 };
	const char *p = s;
	char *end;

	*n = 0;
	while (*p != '\0') {
		unsigned long lo = strtoul(p, &end, 10), hi;

		if (end == p)
			return -1;
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p)
				return -1;
		}
		if (lo > hi || hi >= CFG_MAX_LCORES)
			return -1;
		for (unsigned long i = lo; i <= hi; i++) {
			if (used[i] || *n >= max)
				return -1;
			used[i] = 1;
			ids[(*n)++] = (uint16_t)i;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -1;
		p = end;
	}
	return *n > 0 ? 0 : -1;
}
