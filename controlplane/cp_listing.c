/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `sluicectl sessions` and `sluicectl kill USER|ADDRESS` (event loop).
 * One line per session, key-value pairs so scripts can pick fields:
 *
 *   user alice cn alice real 192.0.2.2:41000 vpn 10.10.0.2 transport udp
 *     cipher AES-256-CBC auth SHA256 framing comp-lzo
 *     since 2026-11-22T10:00:00Z bytes-in 1234 bytes-out 5678 key-id 1 peer-id 0
 *
 * (one line in the output). auth is the CBC HMAC digest ("-" for AEAD
 * ciphers); framing is the compression framing the client was given
 * (none, comp-lzo, stub, stub-v2; "-" for an adopted session). Byte counters come from the data plane
 * (sl_status.peers, written by the peer's owner lcore). A session adopted
 * from a previous control plane (cp_adopt.c) ends with "state adopted";
 * its cn is "-" when it logged in with a user name (not kept). A
 * tls-crypt-v2 client key's metadata follows as "v2meta HEX" (type byte
 * first, as OpenVPN tls_crypt.c has it; "..." after it when the key held
 * more than a session keeps). Names came
 * from clients: escaped (sl_esc), so one cannot end a line or pass for
 * two fields.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cp_adopt.h"
#include "cp_datakeys.h"
#include "cp_listing.h"
#include "cp_work.h"
#include "sl_log.h"

/* " v2meta HEX[...]" of S's client key, or "". Into buf (len >= CP_V2META_HEX). */
#define CP_V2META_HEX	(2 * CP_V2META_MAX + 16)
static const char *v2meta_str(const struct cp_session *s, char *buf, size_t len)
{
	const struct cp_v2meta *m = &s->v2meta;	/* fixed since creation */
	size_t n = 0;

	buf[0] = '\0';
	if (m->len == 0)
		return buf;
	n += (size_t)snprintf(buf, len, " v2meta ");
	for (unsigned i = 0; i < m->len && n + 3 < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%02x", m->data[i]);
	if (m->cut)
		snprintf(buf + n, len - n, "...");
	return buf;
}

/* enum sl_framing as `sluicectl sessions` shows it. */
static const char *framing_name(unsigned f)
{
	static const char *const names[] = {
		[SL_FRAMING_NONE] = "none", [SL_FRAMING_COMP_LZO] = "comp-lzo",
		[SL_FRAMING_STUB] = "stub", [SL_FRAMING_STUB_V2] = "stub-v2",
	};

	return f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

static int one_line(const struct cp *cp, struct cp_session *s, char *buf, size_t len)
{
	const struct sl_status *st = cp->dp.status;
	struct cp_session_info i;
	char real[SL_ENDPOINT_STRLEN], vpn[16], since[32], meta[CP_V2META_HEX];
	uint64_t in = 0, out = 0;
	bool tcp;
	time_t t;

	pthread_mutex_lock(&s->lock);
	i = s->info;
	sl_endpoint_str(&s->peer, real, sizeof(real));
	tcp = s->peer.transport == SL_TRANSPORT_TCP;
	pthread_mutex_unlock(&s->lock);
	if (!i.established)
		return snprintf(buf, len, "state handshake real %s\n", real);
	if (i.peer_id < st->max_peers && st->peers != NULL) {
		in = st->peers[i.peer_id].rx_bytes;
		out = st->peers[i.peer_id].tx_bytes;
	}
	t = (time_t)i.since;
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return snprintf(buf, len, "user %s cn %s real %s vpn %s transport %s cipher %s "
			"auth %s framing %s since %s "
			"bytes-in %lu bytes-out %lu key-id %u peer-id %u%s%s\n",
			i.user[0] ? SL_ESC(i.user) : "-", i.cn[0] ? SL_ESC(i.cn) : "-", real,
			cfg_ip_str(i.vpn_ip, vpn, sizeof(vpn)), tcp ? "tcp" : "udp", i.cipher,
			i.digest ? cp_datakeys_digest_name(i.digest) : "-",
			s->adopted ? "-" : framing_name(i.framing), since,
			(unsigned long)in, (unsigned long)out, i.key_id, i.peer_id,
			v2meta_str(s, meta, sizeof(meta)), s->adopted ? " state adopted" : "");
}

int cp_listing_sessions(struct cp *cp, char *buf, size_t len)
{
	size_t used = 0;
	unsigned n = 0;

	for (struct cp_session *s = cp->sessions.all; s != NULL; s = s->next)
		n++;
	used += (size_t)snprintf(buf, len, "sessions %u half-open %u\n", n,
				 atomic_load(&cp->ctx.half_open));
	for (struct cp_session *s = cp->sessions.all; s != NULL && used < len; s = s->next)
		used += (size_t)one_line(cp, s, buf + used, len - used);
	return (int)(used < len ? used : len);
}

static bool matches(struct cp_session *s, const char *who)
{
	char a[SL_ENDPOINT_STRLEN], ip[SL_ADDR_STRLEN];
	bool m;

	pthread_mutex_lock(&s->lock);
	sl_endpoint_str(&s->peer, a, sizeof(a));
	sl_addr_str(&s->peer.addr, ip, sizeof(ip));
	m = (s->info.cn[0] && strcmp(s->info.cn, who) == 0) ||
	    (s->info.user[0] && strcmp(s->info.user, who) == 0) ||
	    strcmp(a, who) == 0 || strcmp(ip, who) == 0;
	pthread_mutex_unlock(&s->lock);
	return m;
}

int cp_listing_kill(struct cp *cp, const char *who)
{
	struct cp_session *s, *next;
	int n = 0;

	for (s = cp->sessions.all; s != NULL; s = next) {
		next = s->next;	/* an adopted session leaves the list at once */
		if (!matches(s, who))
			continue;
		n++;
		/* Adopted: no TLS state for a HALT, the client notices at ping-restart. */
		if (!cp_adopt_end(cp, s, CP_END_KILLED))
			cp_work_wake(&cp->ctx, s, CP_SIG_KILL);
	}
	return n;
}
