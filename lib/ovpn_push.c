/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PUSH_REPLY builder and control-channel text messages (ovpn_push.h).
 * The builder formats one option at a time into a scratch line and hands
 * it to push_add(), which owns the splitting rule; option order is the
 * order of the steps in ovpn_push_reply_build().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ovpn_push.h"
#include "ovpn_text.h"

static const char push_cmd[] = "PUSH_REPLY";

/* Builder state; err is sticky so steps need not check each call. */
struct push_wr {
	struct ovpn_push_reply *out;
	size_t safe_cap;
	bool multi;
	int err;
};

static char *cur_msg(struct push_wr *w)
{
	return w->out->msg[w->out->n];
}

static void part_start(struct push_wr *w)
{
	memcpy(cur_msg(w), push_cmd, sizeof(push_cmd));
	w->out->len[w->out->n] = sizeof(push_cmd) - 1;
}

static void part_append(struct push_wr *w, const char *s, size_t n)
{
	size_t *len = &w->out->len[w->out->n];

	memcpy(cur_msg(w) + *len, s, n);
	*len += n;
	cur_msg(w)[*len] = '\0';
}

/* Close the current part with ",push-continuation 2" and open the next. */
static void part_split(struct push_wr *w)
{
	static const char cont[] = ",push-continuation 2";

	part_append(w, cont, sizeof(cont) - 1);
	if (w->out->n + 1 >= OVPN_PUSH_MAX_PARTS) {
		w->err = -ENOSPC;
		return;
	}
	w->out->n++;
	w->multi = true;
	part_start(w);
}

/* The rule of push.c send_push_options, including its ">=" and its l. */
static void push_add(struct push_wr *w, const char *opt)
{
	size_t l = strlen(opt);

	if (w->err != 0)
		return;
	if (w->out->len[w->out->n] + l >= w->safe_cap)
		part_split(w);
	if (w->err == 0 && w->out->len[w->out->n] + l >= w->safe_cap)
		w->err = -EMSGSIZE;
	if (w->err != 0)
		return;
	part_append(w, ",", 1);
	part_append(w, opt, l);
}

static void push_fmt(struct push_wr *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void push_fmt(struct push_wr *w, const char *fmt, ...)
{
	char line[OVPN_PUSH_OPT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		if (w->err == 0)
			w->err = -EMSGSIZE;
		return;
	}
	push_add(w, line);
}

/* inet_ntop into a caller buffer; both families fit in INET6_ADDRSTRLEN. */
static const char *ip4(const struct in_addr *a, char *buf)
{
	return inet_ntop(AF_INET, a, buf, INET6_ADDRSTRLEN);
}

static const char *ip6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static bool text_ok(const char *s, bool allow_comma)
{
	return ovpn_text_printable(s, strlen(s)) &&
	       (allow_comma || strchr(s, ',') == NULL);
}

/* Step 1a: the global push list. */
static void add_global(struct push_wr *w, const struct ovpn_push_opts *o)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	for (unsigned i = 0; i < o->n_routes; i++)
		push_fmt(w, "route %s %s", ip4(&o->routes[i].net, a),
			 ip4(&o->routes[i].mask, b));
	for (unsigned i = 0; i < o->n_routes6; i++)
		push_fmt(w, "route-ipv6 %s/%u", ip6(&o->routes6[i].net, a),
			 o->routes6[i].bits);
	for (unsigned i = 0; i < o->n_dns; i++)
		push_fmt(w, "dhcp-option DNS %s", ip4(&o->dns[i], a));
	for (unsigned i = 0; i < o->n_extra; i++) {
		if (o->extra[i] == NULL || o->extra[i][0] == '\0' ||
		    !text_ok(o->extra[i], false)) {
			w->err = w->err ? w->err : -EINVAL;
			return;
		}
		push_add(w, o->extra[i]);
	}
}

static const char *const topo_name[] = {
	[OVPN_PUSH_TOPO_NET30] = "net30",
	[OVPN_PUSH_TOPO_P2P] = "p2p",
	[OVPN_PUSH_TOPO_SUBNET] = "subnet",
};

/* Step 1b: what helper directives (server, keepalive) generate. */
static void add_helper(struct push_wr *w, const struct ovpn_push_opts *o)
{
	char a[INET6_ADDRSTRLEN];

	if (o->tun_ipv6)
		push_add(w, "tun-ipv6");
	if (o->has_route_gateway)
		push_fmt(w, "route-gateway %s", ip4(&o->route_gateway, a));
	if (o->topology != OVPN_PUSH_TOPO_NONE)
		push_fmt(w, "topology %s", topo_name[o->topology]);
	if (o->ping != 0)
		push_fmt(w, "ping %u", o->ping);
	if (o->ping_restart != 0)
		push_fmt(w, "ping-restart %u", o->ping_restart);
}

/* Step 2: per-client additions (compress migrate). */
static void add_client(struct push_wr *w, const struct ovpn_push_opts *o)
{
	if (o->comp == OVPN_PUSH_COMP_LZO_NO)
		push_add(w, "comp-lzo no");
	else if (o->comp == OVPN_PUSH_COMP_STUB_V2)
		push_add(w, "compress stub-v2");
}

/* protocol-flags for cc-exit clients, key-derivation for 2.5 clients. */
static void add_proto_flags(struct push_wr *w, unsigned f)
{
	if (f & OVPN_PUSH_F_CC_EXIT)
		push_fmt(w, "protocol-flags cc-exit%s%s",
			 (f & OVPN_PUSH_F_TLS_EKM) ? " tls-ekm" : "",
			 (f & OVPN_PUSH_F_DYN_TLS_CRYPT) ? " dyn-tls-crypt" : "");
	else if (f & OVPN_PUSH_F_TLS_EKM)
		push_add(w, "key-derivation tls-ekm");
	/* dyn-tls-crypt alone: OpenVPN pushes "protocol-flags dyn-tls-crypt" */
	if (!(f & OVPN_PUSH_F_CC_EXIT) && (f & OVPN_PUSH_F_DYN_TLS_CRYPT))
		push_add(w, "protocol-flags dyn-tls-crypt");
}

/* Step 3: computed per-client options, fixed order. */
static void add_computed(struct push_wr *w, const struct ovpn_push_opts *o)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (o->has_ifconfig6)
		push_fmt(w, "ifconfig-ipv6 %s/%u %s", ip6(&o->ifconfig6_local, a),
			 o->ifconfig6_bits, ip6(&o->ifconfig6_remote, b));
	if (o->has_ifconfig)
		push_fmt(w, "ifconfig %s %s", ip4(&o->ifconfig_local, a),
			 ip4(&o->ifconfig_mask, b));
	if (o->has_peer_id)
		push_fmt(w, "peer-id %u", (unsigned)o->peer_id);
	if (o->cipher != NULL)
		push_fmt(w, "cipher %s", o->cipher);
	add_proto_flags(w, o->flags);
	if (o->tun_mtu != 0)
		push_fmt(w, "tun-mtu %u", o->tun_mtu);
}

static int opts_check(const struct ovpn_push_opts *o, size_t cap)
{
	if (cap < 256 || cap > OVPN_MAX_CONTROL_MSG)
		return -EINVAL;
	if ((o->n_routes && o->routes == NULL) ||
	    (o->n_routes6 && o->routes6 == NULL) ||
	    (o->n_dns && o->dns == NULL) || (o->n_extra && o->extra == NULL))
		return -EINVAL;
	if ((unsigned)o->topology > OVPN_PUSH_TOPO_SUBNET ||
	    (o->has_peer_id && o->peer_id > OVPN_PEER_ID_MAX) ||
	    (o->cipher != NULL && (o->cipher[0] == '\0' ||
				   !text_ok(o->cipher, false))))
		return -EINVAL;
	return 0;
}

int ovpn_push_reply_build(const struct ovpn_push_opts *o,
			  struct ovpn_push_reply *out)
{
	struct push_wr w = { .out = out };
	size_t cap;

	if (o == NULL || out == NULL)
		return -EINVAL;
	cap = o->msg_cap ? o->msg_cap : OVPN_MAX_CONTROL_MSG;
	w.err = opts_check(o, cap);
	if (w.err != 0)
		return w.err;
	w.safe_cap = cap - OVPN_PUSH_RESERVE;
	out->n = 0;
	part_start(&w);
	add_global(&w, o);
	add_helper(&w, o);
	add_client(&w, o);
	add_computed(&w, o);
	if (w.err == 0 && w.multi)
		part_append(&w, ",push-continuation 1",
			    sizeof(",push-continuation 1") - 1);
	if (w.err != 0)
		return w.err;
	return (int)++out->n;
}

void ovpn_push_opts_from_peer(struct ovpn_push_opts *o,
			      const struct ovpn_peerinfo *pi,
			      const char *cipher, bool ncp_push,
			      uint32_t peer_id, unsigned tun_mtu)
{
	o->has_peer_id = ovpn_peerinfo_proto(pi, OVPN_IV_PROTO_DATA_V2);
	o->peer_id = peer_id;
	o->cipher = ncp_push ? cipher : NULL;
	o->flags = 0;
	if (ovpn_peerinfo_proto(pi, OVPN_IV_PROTO_CC_EXIT_NOTIFY))
		o->flags |= OVPN_PUSH_F_CC_EXIT;
	if (ovpn_peerinfo_proto(pi, OVPN_IV_PROTO_TLS_KEY_EXPORT))
		o->flags |= OVPN_PUSH_F_TLS_EKM;
	o->tun_mtu = ovpn_peerinfo_has(pi, OVPN_PI_MTU) ? tun_mtu : 0;
}

enum ovpn_push_comp ovpn_push_comp_select(bool occ_comp_lzo,
					  const struct ovpn_peerinfo *pi)
{
	if (!occ_comp_lzo)
		return OVPN_PUSH_COMP_NONE;
	if (pi != NULL && pi->comp_stubv2)
		return OVPN_PUSH_COMP_STUB_V2;
	return OVPN_PUSH_COMP_LZO_NO;
}
