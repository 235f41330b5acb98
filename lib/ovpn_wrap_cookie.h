/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_WRAP_COOKIE_H
#define OVPN_WRAP_COOKIE_H

/*
 * Stateless HMAC cookie for the UDP 3-way handshake
 * (OpenVPN src/openvpn/ssl_pkt.c calculate_session_id_hmac,
 * check_session_id_hmac; mudp.c do_pre_decrypt_check).
 *
 * The server answers a client hard reset without keeping state: its own
 * session id is a MAC of who asked and when,
 *
 *   server sid = HMAC-SHA256(K, slot | family | port | address | client sid)[0..8)
 *   slot       = floor(now / ((hand_window + 1) / 2))     (30 s by default)
 *   K          = 32 random bytes made at start-up
 *
 *   slot: u32 BE   family: u16 BE (AF_INET/AF_INET6)   port: 2 bytes as on
 *   the wire        address: 4 or 16 bytes
 *
 * and only creates the session when a later P_CONTROL_V1 / P_ACK_V1 /
 * P_CONTROL_WKC_V1 acks msg 0 and echoes that sid in its peer-sid field.
 * The formula is private to the server: the client treats the sid as
 * opaque and simply echoes it, so any keyed MAC over these inputs is
 * compatible (OpenVPN hashes the raw sockaddr instead).
 *
 * The check accepts the current and the previous slot (a cookie is valid
 * for 30..60 s with the default hand-window), compares with CRYPTO_memcmp
 * and succeeds only on EQUALITY.
 *
 * Note on OpenVPN 2.6.14 (CVE-2025-13086, fixed in 2.6.16): its
 * check_session_id_hmac() loops over slots current-2 .. current+1 and
 * returns "valid" when memcmp_constant_time() is non-zero, i.e. when the
 * echoed sid DIFFERS from a candidate. At most one of the four candidates
 * can be equal, so a 2.6.14 server accepts practically any echoed sid and
 * the cookie protects nothing. Nothing changes on the wire for the client:
 * it still just echoes the server sid from the HARD_RESET_SERVER_V2, so
 * the correct check here interoperates with 2.6.14 clients. Newer 2.6
 * servers use slots current-2 .. current and also require the acked ids
 * and the msg-id to be <= 1 (the caller's job, see ovpn_ctrl.h).
 *
 * A context is not thread-safe (one HMAC context, re-keyed per call).
 */
#include <stdint.h>
#include <sys/socket.h>

#include "ovpn_ctrl.h"

#define OVPN_COOKIE_KEY_LEN		32
#define OVPN_COOKIE_HAND_WINDOW		60	/* --hand-window default */
#define OVPN_COOKIE_SLOTS_BACK		1	/* accept current and previous */

struct ovpn_wrap_cookie;

/* NULL and *err < 0 (OVPN_WRAP_E_*) on failure; hand_window in seconds. */
struct ovpn_wrap_cookie *
ovpn_wrap_cookie_new(const uint8_t key[OVPN_COOKIE_KEY_LEN],
		     unsigned hand_window, int *err);
void ovpn_wrap_cookie_free(struct ovpn_wrap_cookie *c);

/* Slot number of now (Unix seconds). */
uint32_t ovpn_wrap_cookie_slot(const struct ovpn_wrap_cookie *c, uint64_t now);

/*
 * Server sid for a client (sa = its sockaddr_in/sockaddr_in6) at now.
 * Returns 0, -OVPN_WRAP_E_INVAL (other address family) or -E_CRYPTO.
 */
int ovpn_wrap_cookie_make(struct ovpn_wrap_cookie *c, uint64_t now,
			  const struct sockaddr *sa,
			  const uint8_t client_sid[OVPN_SID_LEN],
			  uint8_t sid[OVPN_SID_LEN]);

/*
 * 0 if echoed_sid equals the cookie of the current or previous slot for
 * this address and client sid, else -OVPN_WRAP_E_COOKIE (or -E_INVAL /
 * -E_CRYPTO).
 */
int ovpn_wrap_cookie_check(struct ovpn_wrap_cookie *c, uint64_t now,
			   const struct sockaddr *sa,
			   const uint8_t client_sid[OVPN_SID_LEN],
			   const uint8_t echoed_sid[OVPN_SID_LEN]);

#endif
