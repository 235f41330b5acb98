/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user check at the tls-crypt-v2 unwrap (cp_v2user.h). The snapshot
 * of the user store the TLS workers use (cp_users.h) answers, so the check
 * costs a lookup, not a database read: it runs for every admission packet
 * that unwraps, before the cookie and before any TLS work.
 */
#include <string.h>
#include <time.h>

#include "cp_users.h"
#include "cp_v2user.h"
#include "sl_log.h"
#include "sl_pki.h"

#define V2USER_LOG_EVERY_S	5	/* a refused user's line, at most this often */

/* One line per user per V2USER_LOG_EVERY_S: a client retrying (or a
 * replayed reset) must not flood the log. Event loop only. */
static bool log_due(const char *user)
{
	static char last[SL_PKI_CN_MAX + 1];
	static time_t last_t;
	time_t now = time(NULL);

	if (strcmp(last, user) == 0 && now - last_t < V2USER_LOG_EVERY_S)
		return false;
	memcpy(last, user, sizeof(last));
	last_t = now;
	return true;
}

bool cp_v2user_allowed(struct cp_ctx *ctx, const uint8_t *meta, size_t len,
		       const struct sl_endpoint *from)
{
	char user[SL_PKI_CN_MAX + 1] = "", addr[SL_ENDPOINT_STRLEN];
	struct cp_users *u;
	bool known, on;

	if (sl_pki_tc2_meta_user(meta, len, user, sizeof(user)) != 0)
		return true;
	u = cp_ctx_users_get(ctx);
	if (u == NULL)
		return true;
	known = cp_users_has(u, user);
	on = known && cp_users_vpn(u, user);
	cp_users_free(u);
	if (!on && log_due(user))
		SL_INFO("auth: user %s from %s refused at the tls-crypt-v2 check: %s",
			SL_ESC(user), sl_endpoint_str(from, addr, sizeof(addr)),
			known ? "VPN access off" : "not in the user store");
	return on;
}
