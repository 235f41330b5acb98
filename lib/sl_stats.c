/* SPDX-License-Identifier: BSD-3-Clause */
#include "sl_api.h"

static const struct {
	const char *name;
	const char *desc;
} drops[SL_DROP_MAX] = {
	[SL_DROP_NOT_IP] = { "not-ip", "neither IPv4 nor ARP" },
	[SL_DROP_BAD_HEADER] = { "bad-header", "truncated or malformed Ethernet/IP/UDP header" },
	[SL_DROP_NOT_FOR_US] = { "not-for-us", "addressed to another host or port" },
	[SL_DROP_UNKNOWN_PEER] = { "unknown-peer", "data packet for no installed peer" },
	[SL_DROP_BAD_OPCODE] = { "bad-opcode", "OpenVPN opcode never accepted" },
	[SL_DROP_CP_RING_FULL] = { "cp-ring-full", "control-plane ring full (control plane slow or down)" },
	[SL_DROP_TX_FULL] = { "tx-full", "transmit queue full" },
	[SL_DROP_NO_MBUF] = { "no-mbuf", "packet pool exhausted" },
	[SL_DROP_NO_KEY] = { "no-key", "no key installed for the packet's key-id" },
	[SL_DROP_AUTH] = { "auth", "authentication tag or HMAC wrong, or malformed data packet" },
	[SL_DROP_REPLAY] = { "replay", "packet-id replayed or too old" },
	[SL_DROP_COMPRESSED] = { "compressed", "compressed payload (Sluice never decompresses)" },
	[SL_DROP_BAD_INNER] = { "bad-inner", "inner packet not IPv4 or malformed" },
	[SL_DROP_SPOOFED] = { "spoofed", "inner source is not the peer's VPN address or iroute" },
	[SL_DROP_NO_ROUTE] = { "no-route", "no VPN peer for the destination" },
	[SL_DROP_NO_NEIGHBOR] = { "no-neighbor", "next hop not resolved yet (ARP request sent)" },
	[SL_DROP_PKTID_EXHAUSTED] = { "pktid-exhausted", "packet-id space used up, rekey pending" },
	[SL_DROP_HANDOFF_FULL] = { "handoff-full", "owner lcore's handoff ring full" },
	[SL_DROP_TOO_BIG] = { "too-big", "packet too big for the tunnel" },
	[SL_DROP_INNER_IPV6] = { "inner-ipv6", "IPv6 inside the tunnel (not supported yet)" },
};

const char *sl_drop_name(enum sl_drop d)
{
	return d < SL_DROP_MAX ? drops[d].name : "?";
}

const char *sl_drop_desc(enum sl_drop d)
{
	return d < SL_DROP_MAX ? drops[d].desc : "?";
}
