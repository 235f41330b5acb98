/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_PUSH_H
#define OVPN_PUSH_H

/*
 * PUSH_REPLY and the other control-channel text messages
 * (OpenVPN src/openvpn/push.c, forward.c send_control_channel_string_dowork).
 *
 * Every message is ASCII, written as strlen + 1 bytes (NUL included) in
 * its own TLS record:
 *
 *   "PUSH_REPLY,route 192.168.77.0 255.255.255.0,...,tun-mtu 1500" NUL
 *
 * Option order (as a 2.6 server emits it: push.c send_push_reply,
 * prepare_push_reply; helper.c helper_client_server):
 *
 *   1. global push list:  route..., route-ipv6..., dhcp-option DNS...,
 *                         extra lines verbatim
 *      helper-generated:  tun-ipv6, route-gateway, topology, ping,
 *                         ping-restart
 *   2. per-client:        comp-lzo no | compress stub-v2
 *   3. computed:          ifconfig-ipv6, ifconfig, peer-id, cipher,
 *                         protocol-flags ... | key-derivation tls-ekm,
 *                         tun-mtu
 *
 * Splitting (push.c send_push_options): the message grows option by
 * option; when adding an option of length l would make
 * strlen(message) + l >= msg_cap - 84, the message is closed with
 * ",push-continuation 2" and a new "PUSH_REPLY" starts. If more than one
 * part was sent, the last ends with ",push-continuation 1". With
 * msg_cap = OVPN_PUSH_BUNDLE_SIZE (1024) the output is byte-identical to
 * a 2.6.14 server's (tests/unit/data/km/push_routes70.txt).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "ovpn_peerinfo.h"
#include "ovpn_proto.h"

#define OVPN_PUSH_BUNDLE_SIZE	1024	/* a 2.6 server's buffer (common.h) */
#define OVPN_PUSH_RESERVE	84	/* room kept for the continuation tag */
#define OVPN_PUSH_MAX_PARTS	16
#define OVPN_PUSH_OPT_MAX	256	/* one option, e.g. a verbatim line */

enum ovpn_push_topology {
	OVPN_PUSH_TOPO_NONE,		/* do not push a topology */
	OVPN_PUSH_TOPO_NET30,
	OVPN_PUSH_TOPO_P2P,
	OVPN_PUSH_TOPO_SUBNET,
};

/* Compression framing to ask of the client (OpenVPN src/openvpn/multi.c
 * multi_client_connect_compress_migrate). */
enum ovpn_push_comp {
	OVPN_PUSH_COMP_NONE,		/* client has no compression option */
	OVPN_PUSH_COMP_LZO_NO,		/* "comp-lzo no": 0xFA framing */
	OVPN_PUSH_COMP_STUB_V2,		/* "compress stub-v2": 0x50 escape */
};

/* Protocol features; see ovpn_push_opts_from_peer() for when each is set. */
#define OVPN_PUSH_F_CC_EXIT		0x01	/* EXIT on the control channel */
#define OVPN_PUSH_F_TLS_EKM		0x02	/* data keys via TLS-EKM */
/* Obliges the server to tls-crypt renegotiations (OpenVPN src/openvpn/
 * tls_crypt.c tls_session_generate_dynamic_tls_crypt_key). */
#define OVPN_PUSH_F_DYN_TLS_CRYPT	0x04

struct ovpn_push_route {
	struct in_addr net;
	struct in_addr mask;
};

struct ovpn_push_route6 {
	struct in6_addr net;
	uint8_t bits;
};

/* All arrays and strings are borrowed. Zero means "do not push". */
struct ovpn_push_opts {
	const struct ovpn_push_route *routes;
	unsigned n_routes;
	const struct ovpn_push_route6 *routes6;
	unsigned n_routes6;
	const struct in_addr *dns;		/* dhcp-option DNS */
	unsigned n_dns;
	const char *const *extra;		/* verbatim, no commas */
	unsigned n_extra;
	bool tun_ipv6;
	bool has_route_gateway;
	struct in_addr route_gateway;
	enum ovpn_push_topology topology;
	unsigned ping;				/* seconds */
	unsigned ping_restart;			/* seconds */
	enum ovpn_push_comp comp;
	bool has_ifconfig6;
	struct in6_addr ifconfig6_local;
	uint8_t ifconfig6_bits;
	struct in6_addr ifconfig6_remote;
	bool has_ifconfig;
	struct in_addr ifconfig_local;
	struct in_addr ifconfig_mask;		/* subnet: netmask; net30: peer */
	bool has_peer_id;
	uint32_t peer_id;
	const char *cipher;			/* NULL: not NCP capable */
	unsigned flags;				/* OVPN_PUSH_F_* */
	unsigned tun_mtu;
	size_t msg_cap;		/* 0 = OVPN_MAX_CONTROL_MSG; >= 256 */
};

/* Output of the builder; msg[i] is NUL-terminated, len[i] = strlen. */
struct ovpn_push_reply {
	unsigned n;
	size_t len[OVPN_PUSH_MAX_PARTS];
	char msg[OVPN_PUSH_MAX_PARTS][OVPN_MAX_CONTROL_MSG];
};

/*
 * Build PUSH_REPLY message(s). An option set that produces nothing gives
 * one bare "PUSH_REPLY" (valid: the client then just completes).
 * Returns the number of parts, or
 *   -EINVAL    NULL argument, msg_cap out of range, a verbatim line that
 *              is empty or contains a comma or a control character,
 *              peer-id above OVPN_PEER_ID_MAX
 *   -EMSGSIZE  a single option does not fit in a message
 *   -ENOSPC    more than OVPN_PUSH_MAX_PARTS parts needed
 */
int ovpn_push_reply_build(const struct ovpn_push_opts *o,
			  struct ovpn_push_reply *out);

/*
 * Fill the per-client fields of o the way a 2.6 server decides them
 * (OpenVPN src/openvpn/multi.c multi_client_set_protocol_options, push.c
 * prepare_push_reply): peer-id if IV_PROTO has DATA_V2;
 * cipher if the client is NCP capable (cipher may be NULL to skip);
 * protocol-flags cc-exit [tls-ekm] if CC_EXIT_NOTIFY, else key-derivation
 * tls-ekm if TLS_KEY_EXPORT; tun-mtu if IV_MTU was sent. dyn-tls-crypt
 * is never set here: the caller adds it once it implements it.
 * Thread-safe.
 */
void ovpn_push_opts_from_peer(struct ovpn_push_opts *o,
			      const struct ovpn_peerinfo *pi,
			      const char *cipher, bool ncp_push,
			      uint32_t peer_id, unsigned tun_mtu);

/*
 * Compression framing for a client (OpenVPN's "compress migrate"):
 * no comp-lzo token in its OCC string -> none; token and IV_COMP_STUBv2
 * -> stub-v2; token only (2.3 and older) -> comp-lzo no.
 */
enum ovpn_push_comp ovpn_push_comp_select(bool occ_comp_lzo,
					  const struct ovpn_peerinfo *pi);

/* true if the data keys are derived with TLS-EKM for these flags. */
static inline bool ovpn_push_uses_ekm(unsigned flags)
{
	return (flags & OVPN_PUSH_F_TLS_EKM) != 0;
}

/*
 * Other server -> client messages. Each writes a NUL-terminated string
 * into out[0..cap) and returns its strlen (send strlen + 1 bytes), or
 * -EINVAL (NULL out, text with a control character) / -EMSGSIZE (does not
 * fit in cap or in OVPN_PUSH_BUNDLE_SIZE).
 */
/* "AUTH_FAILED" or "AUTH_FAILED,<reason>" */
int ovpn_push_auth_failed(char *out, size_t cap, const char *reason);

enum ovpn_push_advance {
	OVPN_PUSH_ADVANCE_DEFAULT,	/* no "advance" flag */
	OVPN_PUSH_ADVANCE_NO,
	OVPN_PUSH_ADVANCE_ADDR,
	OVPN_PUSH_ADVANCE_REMOTE,
};
/*
 * "AUTH_FAILED,TEMP[backoff N,advance X]:text" (flags only when set);
 * only for clients with OVPN_IV_PROTO_AUTH_FAIL_TEMP.
 */
int ovpn_push_auth_failed_temp(char *out, size_t cap, unsigned backoff,
			       enum ovpn_push_advance adv, const char *text);

#define OVPN_PUSH_RESTART_F_KEEP_PASS	0x01	/* [P] */
#define OVPN_PUSH_RESTART_F_NEXT_REMOTE	0x02	/* [N] */
/* "RESTART", "RESTART,text", "RESTART,[PN]" or "RESTART,[N]text" */
int ovpn_push_restart(char *out, size_t cap, unsigned flags, const char *text);
/* "HALT" or "HALT,text" */
int ovpn_push_halt(char *out, size_t cap, const char *text);
/* "AUTH_PENDING" (timeout 0) or "AUTH_PENDING,timeout N" */
int ovpn_push_auth_pending(char *out, size_t cap, unsigned timeout);

/* Received (or sent) control text messages, by keyword. */
enum ovpn_push_msg_type {
	OVPN_PUSH_MSG_UNKNOWN,
	OVPN_PUSH_MSG_PUSH_REQUEST,
	OVPN_PUSH_MSG_PUSH_REPLY,
	OVPN_PUSH_MSG_EXIT,
	OVPN_PUSH_MSG_AUTH_FAILED,
	OVPN_PUSH_MSG_AUTH_PENDING,
	OVPN_PUSH_MSG_INFO,
	OVPN_PUSH_MSG_INFO_PRE,
	OVPN_PUSH_MSG_CR_RESPONSE,
	OVPN_PUSH_MSG_RESTART,
	OVPN_PUSH_MSG_HALT,
	OVPN_PUSH_MSG_PUSH_UPDATE,	/* 2.7; never sent to 2.6 */
};

struct ovpn_push_msg {
	enum ovpn_push_msg_type type;
	const char *arg;	/* after "KEYWORD,", or "" */
	size_t arg_len;
};

/*
 * Classify one message (without its NUL). A keyword matches only when it
 * is the whole message or is followed by ',' ("INFO" vs "INFO_PRE").
 * Always succeeds; unknown text gives OVPN_PUSH_MSG_UNKNOWN.
 */
void ovpn_push_msg_parse(const char *s, size_t len, struct ovpn_push_msg *m);

/* Printable name of a message type ("PUSH_REQUEST", ...). */
const char *ovpn_push_msg_name(enum ovpn_push_msg_type t);

/*
 * Split TLS plaintext into messages, as OpenVPN does (ssl_pkt.c
 * extract_command_buffer): messages end at NUL, trailing CR/LF is
 * stripped, a message with other control characters is rejected.
 * Call with *off = 0 and repeat. Returns
 *   1         *msg / *msg_len set (points into buf, not NUL-terminated)
 *   0         no complete message left; bytes from *off on are a partial
 *             message the caller keeps for the next record
 *   -EBADMSG  the message at *off had a control character; *off has been
 *             moved past it, so the caller may count it and go on.
 */
int ovpn_push_msg_next(const uint8_t *buf, size_t len, size_t *off,
		       const char **msg, size_t *msg_len);

#endif
