/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_KEYSTATE_H
#define SL_CP_KEYSTATE_H

/*
 * A key state (cp_keystate.c): one TLS session over its own reliability
 * layer, per key-id. The first step of a session's run: its packets come
 * in here (unwrap, session ids, reliability), TLS turns them into records,
 * and the records go on to key method 2 (the first, cp_auth.c) or are
 * text messages (PUSH_REQUEST, EXIT). What TLS writes back leaves through
 * cp_out_flush().
 */
#include <openssl/ssl.h>

#include "cp_session.h"
#include "cp_tls.h"
#include "ovpn_reliable.h"

#define CP_TLS_CHUNK		1100	/* TLS bytes per P_CONTROL_V1 (fits 1250 B IP) */

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
	struct cp_tls_peer cert;	/* the leaf's CN as verification saw it (cp_tls.c) */
	SSL *ssl;
	BIO *rbio, *wbio;		/* network side of the TLS object */
	uint64_t start_ms;
	struct ovpn_rel rel;
	size_t txt_len;			/* partial text message */
	char txt[OVPN_MAX_CONTROL_MSG];
};

/* A key state whose reliability layer starts at msg-id first_id. */
struct cp_ks *cp_ks_new(struct cp_ctx *ctx, uint8_t key_id, uint32_t first_id,
			uint64_t now);
void cp_ks_free(struct cp_ks *ks);
/*
 * Start a renegotiation on key-id s->p.next_key_id: a new key state in
 * s->p.next with our SOFT_RESET queued. WHO names the side that started
 * it in the log line ("the client", "the server (reneg-sec)"). NULL if
 * out of memory.
 */
struct cp_ks *cp_ks_renegotiate(struct cp_ctx *ctx, struct cp_session *s, uint64_t now,
				const char *who);
/* One packet of the session's inbox. */
void cp_ks_input(struct cp_ctx *ctx, struct cp_session *s, const struct cp_pkt *in,
		 uint64_t now);
/* Drive KS's TLS session: handshake, then records in. */
void cp_ks_tls(struct cp_ctx *ctx, struct cp_session *s, struct cp_ks *ks, uint64_t now);
/* One message, one TLS record; 0 or -EIO. */
int cp_ks_write(struct cp_ks *ks, const void *msg, size_t len);
/* A text message with its NUL. */
int cp_ks_text(struct cp_ks *ks, const char *msg);

#endif
