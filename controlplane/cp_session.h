/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_SESSION_H
#define SL_CP_SESSION_H

/*
 * The control channel without DPDK: sessions, admission, TLS, pool, users,
 * the worker pool. cp_ctrl.c connects it to the data plane's rings; the
 * unit tests drive it directly with injected time.
 *
 * Threads and ownership:
 *
 *   event loop (main thread)                 TLS workers (cp_work.c)
 *   ------------------------                 -----------------------
 *   control packets in -> admission          cp_session_run(): unwrap,
 *   (cookie, rate limits, half-open cap)     reliability, TLS, key method 2,
 *   session table by client endpoint         auth, NCP, push, key derivation
 *   -> inbox of the session, schedule  --->  -> outputs (struct cp_out)
 *   <--- drain outputs: frames to sl_cp_tx,  <---
 *        commands to sl_cmd, session ends
 *
 * A session runs on at most one worker at a time (s->queued), so its
 * protocol state (s->p) has one writer; one slow client holds one worker
 * and never the event loop. The event loop and the workers meet only in
 * s->lock (inbox, signals, address, info) and ctx->out_lock (outputs).
 * Sessions are reference counted: the table holds one reference, a queued
 * or running job one, every output that names the session one.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "cfg.h"
#include "ovpn_ctrl.h"
#include "ovpn_kdf.h"
#include "ovpn_peerinfo.h"
#include "ovpn_reliable.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_v2.h"
#include "sl_addr.h"
#include "sl_api.h"

#define CP_INBOX_MAX		64	/* packets queued for one session */
#define CP_TLS_CHUNK		1100	/* TLS bytes per P_CONTROL_V1 (fits 1250 B IP) */
#define CP_NAME_MAX		64
#define CP_PKT_MAX		2048	/* largest control datagram we accept */
#define CP_WORKERS_MAX		16

struct cp_tls;
struct cp_keys;
struct cp_pool;
struct cp_users;
struct cp_work;
struct cp_session;

/* Counters of the control plane; names in cp_stats_name(). */
enum cp_stat {
	CP_ST_PKTS_IN,		/* control packets taken from the ring */
	CP_ST_PKTS_OUT,		/* control packets handed to the data plane */
	CP_ST_COOKIES,		/* stateless hard-reset replies sent */
	CP_ST_SESSIONS,		/* sessions created */
	CP_ST_DROP_SHORT,	/* too short or bad header */
	CP_ST_DROP_OPCODE,	/* opcode or key-id not acceptable here */
	CP_ST_DROP_WRAP,	/* tls-auth / tls-crypt / tls-crypt-v2 check failed */
	CP_ST_DROP_REPLAY,	/* wrap replay-id refused */
	CP_ST_DROP_COOKIE,	/* echoed session id is not our cookie */
	CP_ST_DROP_RATE,	/* per-source rate limit */
	CP_ST_DROP_HALF_OPEN,	/* too many handshakes in progress */
	CP_ST_DROP_FULL,	/* max_clients sessions */
	CP_ST_DROP_INBOX,	/* session inbox full (slow or flooded session) */
	CP_ST_DROP_SID,		/* peer session id mismatch */
	CP_ST_DROP_PARSE,	/* malformed control packet after unwrap */
	CP_ST_DROP_KEY_ID,	/* no key state for this key-id */
	CP_ST_DROP_TX_RING,	/* sl_cp_tx full */
	CP_ST_DROP_NO_MBUF,	/* packet pool empty */
	CP_ST_CMD_BACKLOG,	/* commands that waited for room in sl_cmd */
	CP_ST_TLS_FAIL,		/* TLS handshakes that failed */
	CP_ST_AUTH_FAIL,	/* authentication failures */
	CP_ST_RENEG,		/* renegotiations completed */
	CP_ST_MAX
};

const char *cp_stat_name(enum cp_stat s);

/* A datagram from or to a client: the OpenVPN packet and who it is for. */
struct cp_pkt {
	struct cp_pkt *next;
	struct sl_endpoint peer;	/* the client: sender of a packet in, destination out */
	uint8_t mac[6];		/* next hop toward the client */
	uint16_t len;
	uint8_t data[];
};

struct cp_pkt *cp_pkt_new(const uint8_t *data, size_t len, const struct sl_endpoint *peer,
			  const uint8_t mac[6]);

/* Spreads addresses over hash tables (rate slots, the session table). */
static inline uint32_t cp_addr_hash(const struct sl_addr *a)
{
	uint32_t w[4], h = a->v4;

	if (a->family == SL_AF_INET6) {
		memcpy(w, a->v6, sizeof(w));
		h = w[0] ^ w[1] ^ w[2] ^ w[3];
	}
	return h * 2654435761u;
}

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
};

const char *cp_end_name(enum cp_end e);

/* Outputs of a session run, consumed by the event loop in order. */
enum cp_out_type {
	CP_OUT_PKT,		/* send pkt */
	CP_OUT_CMD,		/* enqueue cmd on sl_cmd (holds keys: wiped after) */
	CP_OUT_END,		/* session s ended: table, peer-del, pool */
};

struct cp_out {
	struct cp_out *next;
	enum cp_out_type type;
	struct cp_session *s;	/* referenced for CMD and END */
	struct cp_pkt *pkt;
	struct sl_cmd cmd;
	enum cp_end reason;
	uint32_t peer_id;	/* END: installed peer or UINT32_MAX */
	uint32_t vpn_ip;	/* END: address to give back, or 0 */
};

/* What a new session starts from (the admission step verified it). */
struct cp_admit_ok {
	struct sl_endpoint peer;
	uint8_t mac[6];
	uint8_t sid[OVPN_SID_LEN];	/* our cookie */
	uint8_t peer_sid[OVPN_SID_LEN];	/* the client's */
	bool has_kc;			/* tls-crypt-v2: the client key */
	uint8_t kc[OVPN_V2_CLIENT_KEY_LEN];
};

/* Shared by the event loop and the workers. */
struct cp_ctx {
	const struct sl_config *cfg;
	struct cp_tls *tls;
	struct cp_keys *keys;
	struct cp_pool *pool;
	struct cp_users *users;		/* NULL unless pki.auth_user_pass */
	struct cp_work *work;		/* NULL: the caller runs sessions itself */
	uint64_t (*now_ms)(void);	/* monotonic ms; tests inject their own */
	int64_t wall_offset;		/* Unix s minus now_ms()/1000, for replay-ids */
	pthread_mutex_t out_lock;
	struct cp_out *out_head, *out_tail;
	atomic_uint half_open;		/* sessions still in their first handshake */
	atomic_uint n_sessions;
	atomic_ulong stats[CP_ST_MAX];
	char data_ciphers[256];		/* vpn.data_ciphers joined with ':' */
	/* The data plane's per-peer counters (sl_status.peers), for
	 * vpn.reneg_bytes / reneg_pkts; NULL: those triggers are off. */
	const struct sl_peer_stats *peers;
	uint32_t max_peers;
};

static inline void cp_count(struct cp_ctx *ctx, enum cp_stat s)
{
	atomic_fetch_add_explicit(&ctx->stats[s], 1, memory_order_relaxed);
}

/* Snapshot for `sluicectl sessions`, under s->lock. */
struct cp_session_info {
	char cn[CP_NAME_MAX];
	char user[CP_NAME_MAX];
	char cipher[32];
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

/* One key state: a TLS session with its own reliability layer. */
enum cp_ks_state {
	CP_KS_HANDSHAKE,	/* TLS and key method 2 in progress */
	CP_KS_ACTIVE,		/* keys derived and installed */
	CP_KS_DONE,		/* nothing more to do (auth failed: draining) */
};

struct cp_ks {
	enum cp_ks_state state;
	uint8_t key_id;
	uint8_t slot;			/* data-plane key slot */
	bool km_done;			/* client key method 2 processed */
	bool swapped;			/* TX moved to this key */
	uint64_t keys_ms;		/* when its data keys went to the data plane */
	char cert_cn[CP_NAME_MAX];	/* leaf CN seen in verification (cp_tls.c) */
	SSL *ssl;
	BIO *rbio, *wbio;		/* network side of the TLS object */
	uint64_t start_ms;
	struct ovpn_rel rel;
	size_t txt_len;			/* partial text message */
	char txt[OVPN_MAX_CONTROL_MSG];
};

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
	char auth_reason[128];
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
	struct cp_session *hnext;	/* address hash chain */
	struct cp_session *prev, *next;	/* all sessions */
	struct cp_session *wnext;	/* work queue link (cp_work.c) */
	bool in_table;
	bool adopted;			/* left by a previous control plane: no TLS
					 * state, never run by a worker (cp_adopt.c) */

	atomic_int refs;
	_Atomic uint64_t due_ms;	/* published by the worker after a run */

	pthread_mutex_t lock;		/* guards the fields up to `p` */
	struct sl_endpoint peer;	/* current client endpoint (float moves it) */
	uint8_t mac[6];
	struct cp_pkt *in_head, *in_tail;
	unsigned in_n;
	unsigned sig;			/* CP_SIG_* */
	bool queued;			/* queued or running on a worker */
	struct cp_session_info info;

	struct cp_proto p;
};

/* cp_session.c */
struct cp_session *cp_session_new(struct cp_ctx *ctx, const struct cp_admit_ok *a,
				  uint64_t now);
void cp_session_ref(struct cp_session *s);
void cp_session_unref(struct cp_session *s);
/* Add a packet to the inbox (takes it; frees it and counts when full). */
bool cp_session_post(struct cp_ctx *ctx, struct cp_session *s, struct cp_pkt *pkt);
void cp_session_signal(struct cp_session *s, unsigned sig);
/* Run everything pending (inbox, signals, timers) at now. Worker only. */
void cp_session_run(struct cp_ctx *ctx, struct cp_session *s, uint64_t now);
/* Take pending inbox/signals into locals; false if nothing is pending. */
bool cp_session_has_work(struct cp_session *s, uint64_t now);

/* cp_session_km.c: key method 2, auth, NCP, push, keys, renegotiation */
int cp_km_handle(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		 const uint8_t *msg, size_t len, uint64_t now);
void cp_km_text(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks,
		const char *msg, size_t len, uint64_t now);
/* Timers and server-side renegotiation triggers (reneg_sec, reneg_bytes,
 * reneg_pkts, p.exhausted). Worker only. */
void cp_km_timers(struct cp_ctx *ctx, struct cp_session *s, uint64_t now);

/* helpers shared by cp_session*.c */
void cp_session_end(struct cp_ctx *ctx, struct cp_session *s, enum cp_end why,
		    uint64_t now);
int cp_session_write(struct cp_ks *ks, const void *msg, size_t len);
int cp_session_text(struct cp_ks *ks, const char *msg);
struct cp_ks *cp_ks_new(struct cp_ctx *ctx, uint8_t key_id, uint32_t first_id,
			uint64_t now);
void cp_ks_free(struct cp_ks *ks);
void cp_session_update_info(struct cp_session *s);

/* cp_out.c-ish helpers in cp_session.c: outputs to the event loop */
void cp_out_push(struct cp_ctx *ctx, struct cp_out *o);
struct cp_out *cp_out_take_all(struct cp_ctx *ctx);
void cp_out_cmd(struct cp_ctx *ctx, struct cp_session *s, struct sl_cmd *c);
void cp_out_free(struct cp_out *o);

/* cp_tls.c */
struct cp_tls *cp_tls_new(const struct cfg_pki *pki, char *err, size_t errlen);
void cp_tls_free(struct cp_tls *t);
SSL *cp_tls_ssl_new(struct cp_tls *t);
/* Re-read the CRL if its file changed; 1 reloaded, 0 unchanged, < 0 error. */
int cp_tls_reload(struct cp_tls *t, char *err, size_t errlen);
/* Common name of the verified client certificate into cn. */
int cp_tls_peer_cn(SSL *ssl, char *cn, size_t len);

/* cp_keys.c: control-channel wrapping keys */
enum cp_wrap_mode { CP_WRAP_NONE, CP_WRAP_TLS_AUTH, CP_WRAP_TLS_CRYPT, CP_WRAP_TLS_CRYPT_V2 };
struct cp_keys *cp_keys_load(const struct cfg_pki *pki, char *err, size_t errlen);
void cp_keys_free(struct cp_keys *k);
enum cp_wrap_mode cp_keys_mode(const struct cp_keys *k);
/* A per-session wrap context: kc for tls-crypt-v2, NULL otherwise. */
struct ovpn_wrap *cp_keys_wrap_new(const struct cp_keys *k, const uint8_t *kc);
struct ovpn_wrap_v2_server *cp_keys_v2_server(struct cp_keys *k);

/* cp_pool.c: VPN addresses (sticky per common name) and peer-ids */
struct cp_pool *cp_pool_new(const struct cfg_prefix *net, uint32_t max_clients);
/* Reserve IP for NAME only (vpn.static_addresses); before any allocation. */
int cp_pool_fix(struct cp_pool *p, const char *name, uint32_t ip);
void cp_pool_free(struct cp_pool *p);
/* Thread-safe. 0 with *peer_id and *ip, or -ENOSPC. */
int cp_pool_alloc(struct cp_pool *p, const char *cn, struct cp_session *s,
		  uint32_t *peer_id, uint32_t *ip);
/* Reserve a peer-id and address found in the data plane for an adopted
 * session; -ERANGE outside the pool, -EBUSY taken. Thread-safe. */
int cp_pool_adopt(struct cp_pool *p, const char *cn, struct cp_session *s,
		  uint32_t peer_id, uint32_t ip);
/* Frees the address only if peer_id still holds it. */
void cp_pool_release(struct cp_pool *p, uint32_t peer_id, uint32_t ip);
/* Session holding peer_id (event loop use only: valid until its END). */
struct cp_session *cp_pool_session(struct cp_pool *p, uint32_t peer_id);
uint32_t cp_pool_gateway(const struct cp_pool *p);
uint32_t cp_pool_netmask(const struct cp_pool *p);

/* cp_adopt.c: a session for a data-plane peer left by a previous control
 * plane (peer_id's entry of sl_status.peers, in use): info from the entry,
 * peer-id and address reserved in the pool. 0 with *out (one reference,
 * for the caller's table), -ENOMEM, or cp_pool_adopt's error. */
int cp_adopt_session(struct cp_ctx *ctx, uint32_t peer_id, const struct sl_peer_stats *ps,
		     struct cp_session **out);
const char *cp_adopt_cipher_name(uint8_t cipher);

/* cp_users.c: file-backed user store, PBKDF2-SHA256 hashes */
struct cp_users *cp_users_open(const char *path, char *err, size_t errlen);
void cp_users_free(struct cp_users *u);
/* 0 if user/password match; -EACCES wrong, -ENOENT unknown user. Thread-safe. */
int cp_users_check(struct cp_users *u, const char *user, const char *password);
/* "pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX" for password into out. */
int cp_users_hash(const char *password, unsigned iter, char *out, size_t len);

/* cp_admit.c: packets from addresses without a session (event loop only) */
enum cp_admit_verdict { CP_ADMIT_DROP, CP_ADMIT_REPLY, CP_ADMIT_NEW };
struct cp_admit;
struct cp_admit *cp_admit_new(struct cp_ctx *ctx);
void cp_admit_free(struct cp_admit *a);
/* REPLY: *reply is the cookie reply to send; NEW: *ok describes the session. */
enum cp_admit_verdict cp_admit_packet(struct cp_admit *a, const struct cp_pkt *in,
				      uint64_t now_s, struct cp_pkt **reply,
				      struct cp_admit_ok *ok);
/* Per-source new-session limit (control.connect_rate per 10 s); counts one. */
bool cp_admit_rate_ok(struct cp_admit *a, const struct sl_addr *addr, uint64_t now_s);

/* cp_work.c: the TLS worker threads */
struct cp_work *cp_work_start(struct cp_ctx *ctx, unsigned n);
void cp_work_stop(struct cp_work *w);
/* Queue s for a run unless it is queued or running already. */
void cp_work_schedule(struct cp_ctx *ctx, struct cp_session *s);

#endif
