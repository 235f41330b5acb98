/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LG_CLIENT_H
#define LG_CLIENT_H

/*
 * One emulated OpenVPN 2.6 client session, transport-free: the caller
 * feeds received wire packets in (lg_client_input) and sends what
 * lg_client_poll hands out. The handshake is the real one (OpenVPN
 * src/openvpn/ssl.c): hard reset, TLS over the reliability layer
 * (reliable.c) inside tls-crypt or tls-crypt-v2 (tls_crypt.c: the
 * client key Kc wraps every packet, its wrapped copy WKc follows
 * P_CONTROL_HARD_RESET_CLIENT_V3 and, when the server asks for it by the
 * early-negotiation TLV, the first P_CONTROL_WKC_V1; ssl.c
 * control_packet_needs_wkc), key method 2 with peer-info
 * (ssl.c key_method_2_write), PUSH_REQUEST / PUSH_REPLY (push.c), data
 * keys from the TLS exporter (ssl.c, "EXPORTER-OpenVPN-datakeys"). Then
 * P_DATA_V2 packets are sealed with the pushed peer-id and cipher.
 * The unit test drives it against the control plane in process; the load
 * generator drives many of them over UDP.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "ovpn_ctrl.h"
#include "ovpn_data.h"
#include "ovpn_pktid.h"
#include "ovpn_reliable.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_v2.h"

#define LG_WIRE_MAX	2048

enum lg_state {
	LG_ST_RESET,		/* hard reset sent, waiting for the server's */
	LG_ST_TLS,		/* TLS handshake */
	LG_ST_PUSH,		/* key method 2 sent, waiting for PUSH_REPLY */
	LG_ST_UP,		/* data keys installed */
	LG_ST_FAILED,
};

/* Shared by every session of a run. */
struct lg_client_cfg {
	SSL_CTX *sctx;				/* client cert, key, CA, versions */
	uint8_t tc_key[OVPN_KEY2_LEN];		/* tls-crypt key, or tls-crypt-v2 Kc
						 * (client direction) */
	uint8_t wkc[OVPN_V2_WKC_MAX];		/* tls-crypt-v2: WKc of Kc */
	size_t wkc_len;				/* 0: tls-crypt */
	const char *peer_info;			/* IV_* lines, '\n'-terminated */
	uint64_t push_retry_ms;			/* PUSH_REQUEST repeat interval */
};

struct lg_client {
	enum lg_state st;
	const char *why;			/* LG_ST_FAILED: what went wrong */
	const struct lg_client_cfg *cfg;
	uint8_t sid[OVPN_SID_LEN], srv_sid[OVPN_SID_LEN];
	struct ovpn_wrap *wrap;
	struct ovpn_wrap_pid_tx wtx;
	struct ovpn_wrap_replay wrx;
	struct ovpn_rel rel;
	SSL *ssl;
	BIO *rbio, *wbio;
	uint64_t push_at;			/* next PUSH_REQUEST */
	bool resend_wkc;			/* the server's reset asked for WKC_V1 */
	bool tls_due;				/* TLS bytes came: step the handshake */
	unsigned retx;				/* control packets sent again */
	uint8_t text[4096];			/* TLS plaintext not yet consumed */
	size_t text_len;
	bool km_seen;				/* the server's key method 2 */
	/* from PUSH_REPLY */
	uint32_t peer_id;
	uint32_t vpn_ip;			/* host order */
	char cipher[32];
	/* data channel */
	struct ovpn_data_key tx, rx;
	struct ovpn_pktid_send tx_pid;
	struct ovpn_pktid_recv rx_pid;
	uint64_t rx_bad;			/* data packets that failed to open */
};

/* Send callback: one wire packet for the server. */
typedef void (*lg_send_fn)(void *arg, const uint8_t *wire, size_t len);

/* Start a session: queue the hard reset. 0 or -1 (out of memory). */
int lg_client_start(struct lg_client *c, const struct lg_client_cfg *cfg, uint64_t now_ms);

/* A control packet from the server (data packets: lg_client_open). */
void lg_client_input(struct lg_client *c, const uint8_t *wire, size_t len, uint64_t now_ms);

/* Hand every due control packet to send; steps the handshake. */
void lg_client_poll(struct lg_client *c, uint64_t now_ms, lg_send_fn send, void *arg);

/* Seal the plaintext at pkt + lg_client_head(c) (pt_len bytes) in place as
 * a P_DATA_V2 packet; returns its length or a negative error. */
size_t lg_client_head(const struct lg_client *c);
int lg_client_seal(struct lg_client *c, uint8_t *pkt, size_t pt_len, size_t cap);

/* Open a data packet from the server in place; returns the payload's
 * offset (> 0) or a negative error (counted in rx_bad). */
int lg_client_open(struct lg_client *c, uint8_t *pkt, size_t len, size_t *pt_len);

/* End an established session the way a 2.6 client with
 * explicit-exit-notify does over the control channel (cc-exit: an
 * "EXIT" message, OpenVPN src/openvpn/sig.c send_control_channel_string);
 * the next polls send it. */
void lg_client_exit(struct lg_client *c);

void lg_client_free(struct lg_client *c);

#endif
