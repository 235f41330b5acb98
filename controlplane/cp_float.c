/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sessions moving between client endpoints. The session table finds a
 * control packet's session by its source (cp_table.c); a float changes the
 * source of a live session, a new session from a known source replaces
 * the one there.
 */
#include "cp_adopt.h"
#include "cp_float.h"
#include "cp_work.h"
#include "sl_log.h"

void cp_float_replace(struct cp *cp, struct cp_session *old)
{
	if (cp_adopt_end(cp, old, CP_END_REPLACED))
		return;	/* it had no TLS session to lose */
	cp_session_ref(old);	/* the table's reference goes first */
	cp_table_del(&cp->sessions, old);
	cp_work_wake(&cp->ctx, old, CP_SIG_REPLACED);
	cp_session_unref(old);
}

/*
 * The data plane moves a peer only on a packet from TO that authenticated
 * under the peer's key and passed its replay window: S's client is at TO
 * now. The session follows (control packets from TO reach it, `sluicectl
 * sessions` shows TO). Two clients cannot send from one address and port
 * at once, so a session still at TO is left from before and ends, as
 * OpenVPN src/openvpn/multi.c multi_process_float closes the instance at
 * the address. (OpenVPN keeps that instance when the certificates differ
 * and drops the packet instead; here the data plane has already moved the
 * peer on proof of its key, and refusing would leave the planes
 * disagreeing about where the client is.) A float raised again changes
 * nothing.
 */
void cp_float_to(struct cp *cp, struct cp_session *s, const struct sl_endpoint *to)
{
	struct cp_session *there = cp_table_find(&cp->sessions, to);
	char a[SL_ENDPOINT_STRLEN];

	if (there != NULL && there != s && s->in_table) {
		SL_INFO("float: %s (%s) moves to %s: the session there ends", CP_WHO(s),
			s->p.addr, sl_endpoint_str(to, a, sizeof(a)));
		cp_float_replace(cp, there);
	}
	if (cp_table_move(&cp->sessions, s, to))
		SL_INFO("float: %s (%s) now at %s", SL_ESC(s->info.cn), s->p.addr,
			sl_endpoint_str(to, a, sizeof(a)));
}
