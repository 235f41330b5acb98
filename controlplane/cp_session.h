/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_SESSION_H
#define SL_CP_SESSION_H

/*
 * One client's control channel after admission (cp_session.c): its state,
 * its inbox and signals from the event loop, and cp_session_run(), which
 * takes a session through the steps in order:
 *
 *   packets in, TLS         cp_keystate.c   (per key state: unwrap,
 *                                            reliability, TLS records)
 *   key method 2, auth      cp_auth.c
 *   keys, renegotiation     cp_datakeys.c   (PEER_NEW, KEY_NEW/SWAP/DEL)
 *   PUSH_REPLY              cp_pushreply.c
 *   packets and ends out    cp_out.c
 *
 * See cp_ctx.h for the threads and who owns what.
 */
#include <openssl/ssl.h>

#include "cp_ctx.h"
#include "cp_tls.h"
#include "ovpn_ctrl.h"
#include "ovpn_kdf.h"
#include "ovpn_peerinfo.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_v2.h"
#include "sl_log.h"

#define CP_INBOX_MAX		64	/* packets queued for one session */
#define CP_INBOX_HANDSHAKE	16	/* the same before the handshake is done */
#define CP_RESETS_KEPT		4	/* hard resets noted at a live session */

struct cp_ks;

/* Why a session ended; names in cp_end_name(). */
enum cp_end {
	CP_END_NONE,
	CP_END_TLS,		/* TLS handshake failed (certificate, protocol) */
	CP_END_HAND_WINDOW,	/* handshake not done within vpn.hand_window */
	CP_END_AUTH,		/* authentication or negotiation refused */
	CP_END_EXIT,		/* client said EXIT (control channel or OCC) */
	CP_END_IDLE,		/* ping-restart: nothing heard */
	CP_END_KILLED,		/* sluicectl kill */
	CP_END_REPLACED,	/* a new session from the same address */
	CP_END_SHUTDOWN,	/* control plane stopping */
	CP_END_ERROR,		/* internal error (memory, data plane refused) */
	CP_END_REVOKED,		/* its certificate is in the CRL now (pki.crl) */
	CP_END_RENEG,		/* our renegotiation not done within tran_window */
	CP_END_USER_GONE,	/* its user is not in the user store (now) */
	CP_END_USER_CHANGED,	/* its user's password hash changed in the store */
	CP_END_CRL_UNKNOWN,	/* adopted: CRL changed, its certificate unknown */
	CP_END_VPN_OFF,		/* its user's VPN access was turned off (sluicectl) */
};

const char *cp_end_name(enum cp_end e);

/*
 * "user U cn C from A", how log lines name a session: U and C escaped
 * (sl_esc: they came from the client), "-" when empty. Into buf; returns it.
 */
const char *cp_who(const char *user, const char *cn, const char *addr, char *buf,
		   size_t len);
#define CP_WHO_MAX	(2 * SL_ESC_MAX + SL_ENDPOINT_STRLEN + 16)
/* cp_who() of session S's protocol state, in a buffer of the enclosing block. */
#define CP_WHO(s)	cp_who((s)->p.user, (s)->p.cn, (s)->p.addr, \
			       (char[CP_WHO_MAX]){ 0 }, CP_WHO_MAX)

/*
 * tls-crypt-v2 client-key metadata (OpenVPN tls_crypt.c: a type byte,
 * 0x00 user-defined or 0x01 timestamp, then its payload), authenticated by
 * the server key with Kc. Kept with the session for `sluicectl sessions`
 * and whatever decides on it later (a user, an expiry); at most
 * CP_V2META_MAX bytes, longer blocks are kept cut and marked so.
 */
#define CP_V2META_MAX	255
struct cp_v2meta {
	uint8_t data[CP_V2META_MAX];
	uint8_t len;			/* 0: none */
	bool cut;			/* the client key held more than data */
};

/* What a new session starts from (the admission step verified it). */
struct cp_admit_ok {
	struct sl_endpoint peer;
	uint8_t mac[6];
	uint8_t sid[OVPN_SID_LEN];	/* our cookie */
	uint8_t peer_sid[OVPN_SID_LEN];	/* the client's */
	bool has_kc;			/* tls-crypt-v2: the client key */
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN];
	struct cp_v2meta meta;		/* tls-crypt-v2: its metadata */
};

/* Snapshot for `sluicectl sessions`, under s->lock. */
struct cp_session_info {
	char cn[CP_NAME_MAX];
	char user[CP_NAME_MAX];
	char cipher[32];
	uint8_t digest;			/* enum sl_digest: CBC's HMAC, NONE for AEAD */
	uint8_t framing;		/* enum sl_framing */
	uint32_t vpn_ip;
	uint32_t peer_id;		/* UINT32_MAX until installed */
	uint8_t key_id;
	bool established;
	uint64_t since;			/* time(NULL) of establishment */
};

/* Signals from the event loop to the session (s->sig). */
#define CP_SIG_KILL	0x01
#define CP_SIG_IDLE	0x02
#define CP_SIG_EXIT	0x04
#define CP_SIG_REKEY	0x08
#define CP_SIG_SHUTDOWN	0x10
#define CP_SIG_REPLACED	0x20
#define CP_SIG_ERROR	0x40	/* the data plane refused one of its commands */
#define CP_SIG_PEER_UP	0x80	/* the data plane made the peer (PEER_NEW done) */
#define CP_SIG_REVOKED	0x100	/* its certificate was revoked (CRL change) */
#define CP_SIG_USER_GONE 0x200	/* its user was removed (user store change) */
#define CP_SIG_USER_CHANGED 0x400 /* its user's password hash changed */
#define CP_SIG_VPN_OFF	0x800	/* its user's VPN access was turned off */

/* The protocol state: written only by the worker that runs the session. */
struct cp_proto {
	uint8_t sid[OVPN_SID_LEN];
	uint8_t peer_sid[OVPN_SID_LEN];
	struct ovpn_wrap *wrap;		/* NULL when no wrapping is configured */
	bool v2;			/* tls-crypt-v2: strip WKc on 10/11 */
	struct ovpn_wrap_pid_tx pid_tx;
	struct ovpn_wrap_replay replay;
	struct cp_ks *ks;		/* current key state */
	struct cp_ks *next;		/* renegotiation in progress, or NULL */
	int old_slot;			/* lame duck's data-plane slot, or -1 */
	uint8_t next_key_id;
	/* negotiated at key-id 0 */
	struct ovpn_peerinfo pi;
	char cipher[32];
	char auth_reason[128];		/* for our log only */
	/* What AUTH_FAILED tells the client: nothing, so a guesser learns
	 * nothing of accounts; only a cipher negotiation that failed after a
	 * successful auth says so, as OpenVPN does (ssl_ncp.c). */
	const char *auth_tell;
	/* The credentials of the last successful password check, as
	 * HMAC-SHA256 under a random per-session key: a renegotiation that
	 * sends them again is not hashed again (cp_auth.c). Wiped at the end. */
	struct {
		bool set;
		uint8_t key[32];
		uint8_t mac[32];
	} cred;
	uint64_t since;			/* time(NULL) of PUSH_REPLY */
	uint32_t iv_proto;
	bool ncp_push;
	bool ekm;
	bool auth_failed;
	unsigned framing;		/* enum sl_framing */
	unsigned push_comp;		/* enum ovpn_push_comp */
	unsigned peer_mtu;
	struct ovpn_kdf_cipher kc;
	uint8_t sl_cipher;		/* enum sl_cipher */
	uint32_t peer_id;		/* UINT32_MAX until allocated */
	uint32_t vpn_ip;
	bool installed;			/* PEER_NEW sent */
	bool pushed;
	bool half_open;
	uint64_t reneg_ms;		/* next server-side renegotiation */
	uint64_t key_bytes0, key_pkts0;	/* peer counters when the current key went in */
	bool exhausted;			/* the data plane asked for a new key */
	bool peer_up;			/* PEER_NEW done: its counters are ours */
	uint64_t old_del_ms;		/* KEY_DEL of the lame duck's slot */
	/* When we first asked for a new key that is still not in: the current
	 * key dies at this + tran_window (OpenVPN ssl.c, key_state_soft_reset
	 * sets the lame duck's must_die); 0 when none is pending. */
	uint64_t reneg_req_ms;
	uint64_t end_ms;		/* scheduled end (after AUTH_FAILED, HALT) */
	enum cp_end end_reason;
	bool ended;
	bool end_posted;
	char cn[CP_NAME_MAX];
	char user[CP_NAME_MAX];
	char addr[SL_ENDPOINT_STRLEN];	/* the client's endpoint at the start, for log lines */
};

struct cp_session {
	/* event loop only */
	struct cp_session *hnext;	/* endpoint hash chain (cp_table.c) */
	struct cp_session *prev, *next;	/* all sessions */
	struct cp_session *wnext;	/* work queue link (cp_work.c) */
	bool in_table;
	bool adopted;			/* left by a previous control plane: no TLS
					 * state, never run by a worker (cp_adopt.c) */
	/* Client session ids of the hard resets answered at this session's
	 * endpoint since it began, newest last: only a third packet for one
	 * of them may start a session that replaces it (cp_admit.c). */
	uint8_t resets[CP_RESETS_KEPT][OVPN_SID_LEN];
	unsigned n_resets;

	atomic_int refs;
	_Atomic uint64_t due_ms;	/* published by the worker after a run */

	pthread_mutex_t lock;		/* guards the fields up to `p` */
	struct sl_endpoint peer;	/* current client endpoint (float moves it) */
	uint8_t mac[6];
	struct cp_v2meta v2meta;	/* set at creation, never changed after */
	struct cp_pkt *in_head, *in_tail;
	unsigned in_n;
	unsigned sig;			/* CP_SIG_* */
	bool queued;			/* queued or running on a worker */
	struct cp_session_info info;
	/* The client certificate of its latest TLS handshake, for CRL
	 * changes (cp_session_revoked); len 0 for adopted sessions. */
	struct cp_cert_id cert;

	struct cp_proto p;
};

struct cp_session *cp_session_new(struct cp_ctx *ctx, const struct cp_admit_ok *a,
				  uint64_t now);
/* A session with no key state and no wrap context (cp_adopt.c fills it). */
struct cp_session *cp_session_alloc(void);
void cp_session_ref(struct cp_session *s);
void cp_session_unref(struct cp_session *s);
/* Add a packet to the inbox (takes it; frees it and counts when full). */
bool cp_session_post(struct cp_ctx *ctx, struct cp_session *s, struct cp_pkt *pkt);
void cp_session_signal(struct cp_session *s, unsigned sig);
/* Run everything pending (inbox, signals, timers) at now. Worker only. */
void cp_session_run(struct cp_ctx *ctx, struct cp_session *s, uint64_t now);
/* Mark the end; the END output follows the last packets of this run. */
void cp_session_end(struct cp_session *s, enum cp_end why);
/* The first handshake is over (keys in, or the session ended). */
void cp_session_leave_half_open(struct cp_ctx *ctx, struct cp_session *s);
/* Does the CRL now loaded revoke the certificate S was verified with?
 * Event loop (or any thread): reads s->cert under s->lock. */
bool cp_session_revoked(struct cp_ctx *ctx, struct cp_session *s);
/* End S for a revoked certificate: HALT to an established client, the
 * end in this run. Worker only. */
void cp_session_revoke(struct cp_session *s);
/* Copy what `sluicectl sessions` shows from s->p into s->info. */
void cp_session_update_info(struct cp_session *s);

#endif
