/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PUSH_REPLY: once the first keys are in, the client gets its
 * configuration (OpenVPN src/openvpn/push.c, send_push_reply and
 * prepare_push_reply): topology subnet with its address from the pool and
 * the pool's gateway (helper.c, helper_client_server), routes, DNS,
 * domain, ping, ping-restart, the negotiated cipher (ssl_ncp.c), its
 * peer-id, the compression framing an old profile needs (comp.c), and the
 * protocol flags of its peer-info. Split into messages below 1024 bytes
 * by lib/ovpn_push.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cp_pool.h"
#include "cp_pushreply.h"
#include "ovpn_push.h"
#include "sl_log.h"

static void push_opts(struct cp_ctx *ctx, struct cp_session *s, struct ovpn_push_opts *o,
		      struct ovpn_push_route *routes, struct in_addr *dns)
{
	const struct cfg_vpn *v = &ctx->cfg->vpn;

	for (unsigned i = 0; i < v->n_push_routes; i++) {
		uint32_t m = v->push_routes[i].len ? ~0u << (32 - v->push_routes[i].len) : 0;

		routes[i].net.s_addr = htonl(v->push_routes[i].addr & m);
		routes[i].mask.s_addr = htonl(m);
	}
	for (unsigned i = 0; i < v->n_push_dns; i++)
		dns[i].s_addr = htonl(v->push_dns[i]);
	o->routes = routes;
	o->n_routes = v->n_push_routes;
	o->dns = dns;
	o->n_dns = v->n_push_dns;
	o->has_route_gateway = true;
	o->route_gateway.s_addr = htonl(cp_pool_gateway(ctx->pool));
	o->topology = OVPN_PUSH_TOPO_SUBNET;
	o->ping = v->ping;
	o->ping_restart = v->ping_restart;
	o->comp = s->p.push_comp;
	o->has_ifconfig = true;
	o->ifconfig_local.s_addr = htonl(s->p.vpn_ip);
	o->ifconfig_mask.s_addr = htonl(cp_pool_netmask(ctx->pool));
	ovpn_push_opts_from_peer(o, &s->p.pi, s->p.ncp_push ? s->p.cipher : NULL,
				 s->p.ncp_push, s->p.peer_id, v->tun_mtu);
}

/* The connect line names the compatible framing an old profile was given. */
static const char *const comp_names[] = {
	[OVPN_PUSH_COMP_NONE] = "", [OVPN_PUSH_COMP_LZO_NO] = " comp-lzo no",
	[OVPN_PUSH_COMP_STUB_V2] = " compress stub-v2",
};

void cp_pushreply_send(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks)
{
	struct ovpn_push_route routes[CFG_MAX_PUSH];
	struct ovpn_push_opts o = { 0 };
	struct in_addr dns[CFG_MAX_PUSH];
	struct ovpn_push_reply *r = malloc(sizeof(*r));
	char domain[160], ip[16];
	const char *extra[1] = { domain };
	int n;

	push_opts(ctx, s, &o, routes, dns);
	if (ctx->cfg->vpn.push_domain[0] != '\0') {
		snprintf(domain, sizeof(domain), "dhcp-option DOMAIN %s", ctx->cfg->vpn.push_domain);
		o.extra = extra;
		o.n_extra = 1;
	}
	n = r ? ovpn_push_reply_build(&o, r) : -ENOMEM;
	for (int i = 0; i < n; i++)
		cp_ks_text(ks, r->msg[i]);
	free(r);
	if (n <= 0) {
		SL_ERR("connect: %s: PUSH_REPLY not built (%d)", CP_WHO(s), n);
		cp_session_end(s, CP_END_ERROR);
		return;
	}
	s->p.pushed = true;
	s->p.since = (uint64_t)time(NULL);
	SL_INFO("connect: %s: vpn %s peer-id %u cipher %s%s", CP_WHO(s),
		cfg_ip_str(s->p.vpn_ip, ip, sizeof(ip)),
		s->p.peer_id, s->p.cipher, comp_names[s->p.push_comp]);
}
