/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * user.* and role.* commands of the admin protocol (cp_api.h, docs/api.md):
 * the durable store (cp_store.h) and the built-in CA (sl_pki.h) driven
 * from the admin socket, on the event loop.
 *
 * Certificates. With a CA key configured (pki.ca_key), `user.add` with
 * vpn issues the user's certificate (CN = email, clientAuth) and the store
 * keeps its serial and expiry. The private key is never stored: a store
 * that leaks would otherwise leak every user's credential, and keeping it
 * encrypted would need a key the control plane holds anyway. So
 * `user.profile` always issues a fresh key and certificate, revokes the
 * previous certificate as superseded (RFC 5280 5.3.1) and hands the new
 * pair over once: a lost profile is replaced by asking again, and the old
 * one stops working at once. Without a CA key (an external CA such as
 * easy-rsa) no certificate is issued; profiles carry the CA and wrapping
 * key and the operator adds the certificate.
 *
 * Revocation cuts at once. `user.del`, `user.vpn` off and `user.revoke`
 * add the user's serial to the store's revoked list, write the CRL from
 * that list (sl_pki_crl, pki.crl) and make the loop reload it on this very
 * tick (next_crl_ms), which ends every session the CRL revokes; the
 * user's sessions are also ended by name here, so a session that logged
 * in with a password only goes too. Established clients get a HALT naming
 * the reason (OpenVPN push.c server_pushed_signal), so they stop instead
 * of retrying. Later handshakes are refused by the CRL at TLS, by the
 * store snapshot at auth-user-pass, and before any TLS work by
 * cp_api_users_v2_allowed at the tls-crypt-v2 unwrap (the client key's
 * metadata names the user, sl_pki_tc2_client_key).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cp.h"
#include "cp_adopt.h"
#include "cp_api.h"
#include "cp_store.h"
#include "cp_users.h"
#include "cp_work.h"
#include "sl_log.h"
#include "sl_pki.h"
#include "sl_profile.h"

#define CRL_REASON_UNSPECIFIED	0	/* RFC 5280 5.3.1 CRLReason */
#define CRL_REASON_SUPERSEDED	4
#define CRL_REASON_CESSATION	5
#define WRAP_KEY_MAX		4096	/* a static key file's text */

struct cp_api_users {
	struct cp_store *store;
	bool own_store;			/* opened here, not the context's */
	struct sl_pki *ca;		/* NULL: no CA key (external CA) */
};

/* ---- configuration ---- */

/* The CA's private key (pki.ca_key), "" when the CA is external. */
static const char *ca_key_path(const struct cp *cp)
{
	return cp->cfg->pki.ca_key;
}

/* Days a user certificate is valid (pki.cert_days). */
static unsigned cert_days(const struct cp *cp)
{
	return cp->cfg->pki.cert_days ? cp->cfg->pki.cert_days : SL_PKI_DEFAULT_CERT_DAYS;
}

/* Their key type (pki.key_type). */
static enum sl_pki_key_type key_type(const struct cp *cp)
{
	return cp->cfg->pki.key_rsa ? SL_PKI_KEY_RSA : SL_PKI_KEY_EC;
}

/* PBKDF2 iterations of new password hashes (users.pbkdf2_iter): at the
 * default 600000 about half a second, so the hash runs off the event
 * loop (with_password). */
static unsigned hash_iter(const struct cp *cp)
{
	return cp->cfg->pbkdf2_iter ? cp->cfg->pbkdf2_iter : CP_USERS_ITER_MIN;
}

/* The remotes profiles name (profile.remote) into rem; how many. */
static unsigned profile_remotes(const struct cp *cp, struct sl_profile_remote *rem,
				unsigned max)
{
	const struct cfg_profile *p = &cp->cfg->profile;
	unsigned n = p->n_remotes < max ? p->n_remotes : max;

	for (unsigned i = 0; i < n; i++) {
		snprintf(rem[i].host, sizeof(rem[i].host), "%s", p->remotes[i].host);
		rem[i].port = p->remotes[i].port;
		rem[i].tcp = p->remotes[i].tcp;
	}
	return n;
}

/* ---- the store and CA, opened at first use ---- */

static int users_open(struct cp *cp, struct cp_api_err *err)
{
	struct cp_api_users *u;
	struct cp_store_err se = { "", "" };
	struct sl_pki_error pe = { "" };

	if (cp->api_users != NULL)
		return 0;
	if (cp->cfg == NULL || cp->cfg->user_store[0] == '\0')
		return cp_api_fail(err, NULL, "no user store configured (users.store)");
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return cp_api_fail(err, NULL, "out of memory");
	/* The context's handle when it has one (cp_ctx.c opens the store for
	 * the snapshot and the pool); one of our own before (unit tests, the
	 * wait for a data plane). */
	u->store = cp->ctx.store;
	if (u->store == NULL) {
		u->store = cp_store_open(cp->cfg->user_store, &cp->cfg->vpn, &se);
		u->own_store = true;
	}
	if (u->store == NULL) {
		free(u);
		SL_ERR("users.store %s: %s", cp->cfg->user_store, se.msg);
		return cp_api_fail(err, NULL, "the user store cannot be opened: %s", se.msg);
	}
	if (ca_key_path(cp)[0] != '\0') {
		u->ca = sl_pki_load(cp->cfg->pki.ca, ca_key_path(cp), &pe);
		if (u->ca == NULL) {
			SL_ERR("pki.ca_key: %s", pe.msg);
			if (u->own_store)
				cp_store_close(u->store);
			free(u);
			return cp_api_fail(err, NULL, "the CA cannot be loaded: %s", pe.msg);
		}
	}
	cp->api_users = u;
	return 0;
}

void cp_api_users_close(struct cp *cp)
{
	if (cp->api_users == NULL)
		return;
	sl_pki_free(cp->api_users->ca);
	if (cp->api_users->own_store)
		cp_store_close(cp->api_users->store);
	free(cp->api_users);
	cp->api_users = NULL;
}

/* A store refusal as the protocol's error, naming the argument: the
 * store says "role" and "iroute" where a request says ROLE_ARG ("roles"
 * of user.add, "name" of role.*) and "iroutes". */
static int store_fail_as(struct cp_api_err *err, const struct cp_store_err *se,
			 const char *role_arg)
{
	const char *f = se->field;

	if (strcmp(f, "role") == 0)
		f = role_arg;
	else if (strcmp(f, "iroute") == 0)
		f = "iroutes";
	return cp_api_fail(err, f[0] ? f : NULL, "%s", se->msg);
}

static int store_fail(struct cp_api_err *err, const struct cp_store_err *se)
{
	return store_fail_as(err, se, "roles");
}

static int role_fail(struct cp_api_err *err, const struct cp_store_err *se)
{
	return store_fail_as(err, se, "name");
}

/* ---- JSON of a user ---- */

static struct json_object *addr_json(const struct sl_addr *a)
{
	char buf[SL_ADDR_STRLEN];

	if (a->family == 0)
		return NULL;
	return json_object_new_string(sl_addr_str(a, buf, sizeof(buf)));
}

static struct json_object *user_json(const struct cp_store_user *u)
{
	struct json_object *o = json_object_new_object(), *roles = json_object_new_array();
	struct json_object *ir = json_object_new_array();
	char buf[SL_ADDR_STRLEN + 4];

	json_object_object_add(o, "email", json_object_new_string(u->email));
	for (unsigned i = 0; i < u->n_roles; i++)
		json_object_array_add(roles, json_object_new_string(u->roles[i]));
	json_object_object_add(o, "roles", roles);
	json_object_object_add(o, "vpn", json_object_new_boolean(u->vpn));
	json_object_object_add(o, "password", json_object_new_boolean(u->pw_hash[0] != '\0'));
	json_object_object_add(o, "static_ip", addr_json(&u->static_addr));
	json_object_object_add(o, "address", addr_json(&u->sticky_addr));
	for (unsigned i = 0; i < u->n_iroutes; i++) {
		sl_addr_str(&u->iroutes[i].addr, buf, sizeof(buf));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%u", u->iroutes[i].len);
		json_object_array_add(ir, json_object_new_string(buf));
	}
	json_object_object_add(o, "iroutes", ir);
	json_object_object_add(o, "cert_serial", u->cert_serial[0] ?
			       json_object_new_string(u->cert_serial) : NULL);
	json_object_object_add(o, "cert_expiry", u->cert_expiry ?
			       json_object_new_int64(u->cert_expiry) : NULL);
	json_object_object_add(o, "created", json_object_new_int64(u->created));
	json_object_object_add(o, "updated", json_object_new_int64(u->updated));
	return o;
}

/* {"user": U as the store has it now} plus what the change ended. */
static int user_result(struct cp *cp, const char *email, int ended, const char *revoked,
		       struct json_object **result, struct cp_api_err *err)
{
	struct cp_store_user u;
	struct cp_store_err se = { "", "" };

	if (cp_store_user_get(cp->api_users->store, email, &u, &se) != 0)
		return store_fail(err, &se);
	*result = json_object_new_object();
	json_object_object_add(*result, "user", user_json(&u));
	if (ended >= 0)
		json_object_object_add(*result, "sessions_ended", json_object_new_int(ended));
	if (revoked != NULL)
		json_object_object_add(*result, "revoked", revoked[0] ?
				       json_object_new_string(revoked) : NULL);
	OPENSSL_cleanse(u.pw_hash, sizeof(u.pw_hash));
	return 0;
}

/* ---- arguments ---- */

/* ARGS's "email", normalized as the store keeps it, and the user. */
static int email_arg(struct cp *cp, struct json_object *args, char *email,
		     struct cp_store_user *u, struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };
	const char *s;

	if (users_open(cp, err) != 0 || cp_api_arg_str(args, "email", true, &s, err) != 0)
		return -1;
	if (cp_store_email_norm(s, email, &se) != 0)
		return store_fail(err, &se);
	if (u != NULL && cp_store_user_get(cp->api_users->store, email, u, &se) != 0)
		return store_fail(err, &se);
	return 0;
}

/* An IPv4 address (inet_pton) into a; FIELD named when it is not one. */
static int parse_ip(const char *s, struct sl_addr *a, const char *field, struct cp_api_err *err)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return cp_api_fail(err, field, "%s: \"%s\" is not an IPv4 address", field,
				   SL_ESC(s));
	*a = sl_addr_v4(ntohl(in.s_addr));
	return 0;
}

/* "A.B.C.D/LEN": the address by inet_pton, LEN 1..32 by strtoul; host
 * bits are the store's to refuse. */
static int parse_prefix(const char *s, struct cp_store_prefix *p, struct cp_api_err *err)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	struct in_addr in;
	unsigned long len = 0;

	if (slash != NULL && (size_t)(slash - s) < sizeof(addr)) {
		memcpy(addr, s, (size_t)(slash - s));
		addr[slash - s] = '\0';
		errno = 0;
		len = slash[1] >= '0' && slash[1] <= '9' ? strtoul(slash + 1, &end, 10) : 0;
		if (errno != 0 || *end != '\0' || inet_pton(AF_INET, addr, &in) != 1)
			len = 0;
	}
	if (len < 1 || len > 32)
		return cp_api_fail(err, "iroutes", "iroutes: \"%s\" is not an IPv4 subnet "
				   "A.B.C.D/LEN (LEN 1..32)", SL_ESC(s));
	p->addr = sl_addr_v4(ntohl(in.s_addr));
	p->len = (uint8_t)len;
	return 0;
}

/*
 * A password is hashed off the event loop (cp_api.h, deferred work): the
 * command checks everything else first, then the job hashes the password
 * on the admin connection's thread and COMMIT writes the store on the
 * loop, as the command would have.
 */
struct pw_job {
	struct cp_store_user u;		/* the user to write; u.pw_hash the result */
	char *password;			/* wiped and freed once hashed */
	unsigned iter;
	int rc;				/* cp_users_hash's */
	int (*commit)(struct cp *cp, struct cp_store_user *u, struct json_object **result,
		      struct cp_api_err *err);
};

static void pw_work(void *arg)
{
	struct pw_job *j = arg;

	j->rc = cp_users_hash(j->password, j->iter, j->u.pw_hash, sizeof(j->u.pw_hash));
	OPENSSL_cleanse(j->password, strlen(j->password));
}

static int pw_finish(struct cp *cp, void *arg, struct json_object **result,
		     struct cp_api_err *err)
{
	struct pw_job *j = arg;

	if (j->rc != 0)
		return cp_api_fail(err, "password", "password: cannot hash it: %s",
				   strerror(-j->rc));
	return j->commit(cp, &j->u, result, err);
}

static void pw_free(void *arg)
{
	struct pw_job *j = arg;

	OPENSSL_cleanse(j->password, strlen(j->password));
	free(j->password);
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

/* U written by COMMIT now when ARGS has no "password" (u->pw_hash ""),
 * or after the password's hash (deferred). */
static int with_password(struct cp *cp, struct json_object *args, struct cp_store_user *u,
			 int (*commit)(struct cp *, struct cp_store_user *,
				       struct json_object **, struct cp_api_err *),
			 struct json_object **result, struct cp_api_err *err)
{
	struct cp_api_job job = { .work = pw_work, .finish = pw_finish, .free = pw_free };
	struct pw_job *j;
	const char *pw;
	int rc = cp_api_arg_str(args, "password", false, &pw, err);

	u->pw_hash[0] = '\0';
	if (rc < 0)
		return -1;
	if (rc > 0)
		return commit(cp, u, result, err);
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->password = strdup(pw)) == NULL) {
		free(j);
		return cp_api_fail(err, NULL, "out of memory");
	}
	j->u = *u;
	j->iter = hash_iter(cp);
	j->commit = commit;
	job.arg = j;
	return cp_api_defer(err, &job);
}

/* roles, static_ip, iroutes of ARGS into U. */
static int user_fields(struct json_object *args, struct cp_store_user *u,
		       struct cp_api_err *err)
{
	struct json_object *a;
	const char *s;
	size_t n;
	int rc;

	if ((rc = cp_api_arg_strv(args, "roles", false, &a, &n, err)) < 0)
		return -1;
	if (rc == 0 && n > CP_STORE_ROLES_MAX)
		return cp_api_fail(err, "roles", "roles: at most %d", CP_STORE_ROLES_MAX);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		s = json_object_get_string(json_object_array_get_idx(a, i));
		if (strlen(s) >= CP_STORE_ROLE_LEN)
			return cp_api_fail(err, "roles", "roles: \"%s\" is too long", SL_ESC(s));
		snprintf(u->roles[u->n_roles++], CP_STORE_ROLE_LEN, "%s", s);
	}
	if ((rc = cp_api_arg_str(args, "static_ip", false, &s, err)) < 0)
		return -1;
	if (rc == 0 && parse_ip(s, &u->static_addr, "static_ip", err) != 0)
		return -1;
	if ((rc = cp_api_arg_strv(args, "iroutes", false, &a, &n, err)) < 0)
		return -1;
	if (rc == 0 && n > CP_STORE_IROUTES_MAX)
		return cp_api_fail(err, "iroutes", "iroutes: at most %d", CP_STORE_IROUTES_MAX);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (parse_prefix(json_object_get_string(json_object_array_get_idx(a, i)),
				 &u->iroutes[u->n_iroutes++], err) != 0)
			return -1;
	return 0;
}

/* ---- certificates and revocation ---- */

struct crl_list {
	struct sl_pki_revoked *r;
	size_t n, cap;
};

/* SERIAL revoked at WHEN onto the list, once. */
static int crl_put(struct crl_list *l, const char *serial, time_t when)
{
	struct sl_pki_revoked *t;

	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->r[i].serial, serial) == 0)
			return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		if ((t = realloc(l->r, l->cap * sizeof(*t))) == NULL)
			return -ENOMEM;
		l->r = t;
	}
	snprintf(l->r[l->n].serial, sizeof(l->r[l->n].serial), "%s", serial);
	l->r[l->n++].when = when;
	return 0;
}

static int crl_add(const struct cp_store_revoked *r, void *arg)
{
	return crl_put(arg, r->serial, (time_t)r->time);
}

/* An entry of the CRL file as it is: kept, whoever put it there. */
static int crl_keep(const char *serial, time_t when, void *arg)
{
	return crl_put(arg, serial, when);
}

/*
 * pki.crl written again from the store's revoked list, and reloaded on
 * this tick of the loop (cp_loop.c timers: the reload ends the sessions
 * it revokes). Only with our own CA: an external CA writes its own CRL.
 */
static int crl_write(struct cp *cp, struct cp_api_err *err)
{
	struct crl_list l = { NULL, 0, 0 };
	struct sl_pki_error pe = { "" };
	struct stat sb;
	int rc;

	if (cp->api_users->ca == NULL || cp->cfg->pki.crl[0] == '\0')
		return 0;
	rc = cp_store_revoked_list(cp->api_users->store, crl_add, &l);
	/* What the file revokes beyond the store (an operator's own
	 * `openssl ca -revoke`, an older file) stays revoked: a CRL written
	 * again only ever grows. No file yet: nothing to keep. */
	if (rc >= 0 && sl_pki_crl_each(cp->cfg->pki.crl, crl_keep, &l, &pe) != 0 &&
	    stat(cp->cfg->pki.crl, &sb) == 0)
		SL_WARN("pki.crl %s: not readable, written from the store alone: %s",
			cp->cfg->pki.crl, SL_ESC(pe.msg));
	pe.msg[0] = '\0';
	if (rc >= 0)
		rc = sl_pki_crl(cp->api_users->ca, l.r, l.n, 0, cp->cfg->pki.crl, &pe);
	free(l.r);
	if (rc < 0) {
		SL_ERR("pki.crl %s: cannot write it: %s", cp->cfg->pki.crl,
		       pe.msg[0] ? pe.msg : strerror(-rc));
		return cp_api_fail(err, NULL, "the CRL cannot be written: %s",
				   pe.msg[0] ? pe.msg : strerror(-rc));
	}
	cp->next_crl_ms = 0;
	return 0;
}

#define CRL_RENEW_CHECK_MS	(3600 * 1000ull)

void cp_api_users_crl_renew(struct cp *cp, uint64_t now_ms)
{
	const time_t half = (time_t)SL_PKI_DEFAULT_CRL_DAYS * 86400 / 2;
	struct sl_pki_error pe = { "" };
	struct cp_api_err err;
	time_t next;

	if (now_ms < cp->next_crl_renew_ms)
		return;
	cp->next_crl_renew_ms = now_ms + CRL_RENEW_CHECK_MS;
	if (cp->cfg == NULL || ca_key_path(cp)[0] == '\0' || cp->cfg->pki.crl[0] == '\0' ||
	    cp->cfg->user_store[0] == '\0')
		return;
	if (sl_pki_crl_next_update(cp->cfg->pki.crl, &next, &pe) == 0 &&
	    next - time(NULL) > half)
		return;
	memset(&err, 0, sizeof(err));
	if (users_open(cp, &err) != 0 || crl_write(cp, &err) != 0)
		return;	/* logged; tried again in an hour */
	SL_INFO("pki.crl %s renewed (%s)", cp->cfg->pki.crl,
		pe.msg[0] ? SL_ESC(pe.msg) : "nextUpdate within half its lifetime");
}

/* SERIAL into the store's revoked list ("" or revoked already: nothing). */
static int revoke(struct cp *cp, const char *serial, int reason, struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };
	int rc;

	if (serial[0] == '\0')
		return 0;
	rc = cp_store_revoked_add(cp->api_users->store, serial, reason, &se);
	if (rc != 0 && rc != -EEXIST)
		return store_fail(err, &se);
	return 0;
}

/*
 * End every session of EMAIL now (its verified user name or certificate
 * CN; emails compare without case, as the store keeps them lowercase):
 * HALT naming the reason to established clients and PEER_DEL in the same
 * run (cp_session.c halt_end), as OpenVPN's server does for a client it
 * kills (manage.c client-kill, push.c send_restart). Adopted sessions
 * have no TLS state for a HALT and end here. END is the reason:
 * CP_END_VPN_OFF, CP_END_REVOKED or CP_END_USER_GONE. How many.
 */
static int end_sessions(struct cp *cp, const char *email, enum cp_end end, const char *why)
{
	unsigned sig = end == CP_END_VPN_OFF ? CP_SIG_VPN_OFF :
		       end == CP_END_REVOKED ? CP_SIG_REVOKED : CP_SIG_USER_GONE;
	struct cp_session *s, *next;
	bool m;
	int n = 0;

	for (s = cp->sessions.all; s != NULL; s = next) {
		next = s->next;
		pthread_mutex_lock(&s->lock);
		m = strcasecmp(s->info.user, email) == 0 || strcasecmp(s->info.cn, email) == 0;
		pthread_mutex_unlock(&s->lock);
		if (!m)
			continue;
		n++;
		if (!cp_adopt_end(cp, s, end))
			cp_work_wake(&cp->ctx, s, sig);
	}
	if (n > 0)
		SL_INFO("admin: %s: %d session(s) of %s ending", why, n, SL_ESC(email));
	return n;
}

/* ---- user.* ---- */

/* user.add's write: the certificate (with our CA and VPN access), then
 * the store. */
static int add_commit(struct cp *cp, struct cp_store_user *u, struct json_object **result,
		      struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };
	struct sl_pki_cert cert = { 0 };
	struct sl_pki_error pe = { "" };
	int rc;

	/* Issued before the store write: a refused add leaves only an
	 * unused certificate whose key is already gone. */
	if (u->vpn && cp->api_users->ca != NULL) {
		if (sl_pki_issue(cp->api_users->ca, u->email, key_type(cp), cert_days(cp), NULL,
				 &cert, &pe) != 0)
			return cp_api_fail(err, NULL, "cannot issue the certificate: %s", pe.msg);
		snprintf(u->cert_serial, sizeof(u->cert_serial), "%s", cert.serial);
		u->cert_expiry = (int64_t)cert.not_after;
		sl_pki_cert_clear(&cert);
	}
	rc = cp_store_user_add(cp->api_users->store, u, &se);
	OPENSSL_cleanse(u->pw_hash, sizeof(u->pw_hash));
	if (rc != 0)
		return store_fail(err, &se);
	SL_INFO("admin: user %s added (vpn %s%s%s)", SL_ESC(u->email), u->vpn ? "on" : "off",
		u->cert_serial[0] ? ", certificate " : "", u->cert_serial);
	return user_result(cp, u->email, -1, NULL, result, err);
}

static int user_add(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct cp_store_user u;
	bool vpn = false;

	memset(&u, 0, sizeof(u));
	if (email_arg(cp, args, u.email, NULL, err) != 0 || user_fields(args, &u, err) != 0 ||
	    cp_api_arg_bool(args, "vpn", false, &vpn, err) < 0)
		return -1;
	u.vpn = vpn;
	return with_password(cp, args, &u, add_commit, result, err);
}

static int user_del(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct cp_store_user u;
	struct cp_store_err se = { "", "" };
	char email[CP_STORE_EMAIL_LEN];
	int n;

	if (email_arg(cp, args, email, &u, err) != 0)
		return -1;
	/* Revoked before the user goes: a crash between leaves a user whose
	 * certificate no longer works, never a working one without a user. */
	if (revoke(cp, u.cert_serial, CRL_REASON_CESSATION, err) != 0)
		return -1;
	if (cp_store_user_del(cp->api_users->store, email, &se) != 0)
		return store_fail(err, &se);
	n = end_sessions(cp, email, CP_END_USER_GONE, "user deleted");
	SL_INFO("admin: user %s deleted%s%s", SL_ESC(email),
		u.cert_serial[0] ? ", certificate revoked " : "", u.cert_serial);
	if (crl_write(cp, err) != 0)
		return -1;
	*result = json_object_new_object();
	json_object_object_add(*result, "email", json_object_new_string(email));
	json_object_object_add(*result, "sessions_ended", json_object_new_int(n));
	json_object_object_add(*result, "revoked", u.cert_serial[0] ?
			       json_object_new_string(u.cert_serial) : NULL);
	return 0;
}

static int list_one(const struct cp_store_user *u, void *arg)
{
	json_object_array_add(arg, user_json(u));
	return 0;
}

static int users_all(struct cp_store *st, struct json_object *a)
{
	return cp_store_user_list(st, list_one, a);
}

/* {NAME: [...]} of what LIST puts in the array. */
static int list_result(struct cp *cp, const char *name,
		       int (*list)(struct cp_store *, struct json_object *),
		       struct json_object **result, struct cp_api_err *err)
{
	struct json_object *a;

	if (users_open(cp, err) != 0)
		return -1;
	a = json_object_new_array();
	if (list(cp->api_users->store, a) < 0) {
		json_object_put(a);
		return cp_api_fail(err, NULL, "the user store failed to list %s", name);
	}
	*result = json_object_new_object();
	json_object_object_add(*result, name, a);
	return 0;
}

static int user_list(struct cp *cp, struct json_object *args, struct json_object **result,
		     struct cp_api_err *err)
{
	(void)args;
	return list_result(cp, "users", users_all, result, err);
}

static int user_show(struct cp *cp, struct json_object *args, struct json_object **result,
		     struct cp_api_err *err)
{
	char email[CP_STORE_EMAIL_LEN];

	if (email_arg(cp, args, email, NULL, err) != 0)
		return -1;
	return user_result(cp, email, -1, NULL, result, err);
}

/* The certificate of U revoked (CRL REASON) and forgotten, its sessions
 * ended (END, WHY for the log). */
static int cut(struct cp *cp, const struct cp_store_user *u, int reason, enum cp_end end,
	       const char *why, int *ended, struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };

	if (revoke(cp, u->cert_serial, reason, err) != 0)
		return -1;
	if (u->cert_serial[0] &&
	    cp_store_user_set_cert(cp->api_users->store, u->email, "", 0, &se) != 0)
		return store_fail(err, &se);
	*ended = end_sessions(cp, u->email, end, why);
	return crl_write(cp, err);
}

static int user_vpn(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct cp_store_user u;
	struct cp_store_err se = { "", "" };
	char email[CP_STORE_EMAIL_LEN];
	bool on;
	int n = 0;

	if (email_arg(cp, args, email, &u, err) != 0 ||
	    cp_api_arg_bool(args, "on", true, &on, err) != 0)
		return -1;
	if (cp_store_user_set_vpn(cp->api_users->store, email, on, &se) != 0)
		return store_fail(err, &se);
	if (!on && cut(cp, &u, CRL_REASON_CESSATION, CP_END_VPN_OFF, "VPN access turned off", &n, err) != 0)
		return -1;
	SL_INFO("admin: user %s: VPN access %s%s%s", SL_ESC(email), on ? "on" : "off",
		!on && u.cert_serial[0] ? ", certificate revoked " : "", on ? "" : u.cert_serial);
	return user_result(cp, email, n, on ? NULL : u.cert_serial, result, err);
}

static int user_revoke(struct cp *cp, struct json_object *args, struct json_object **result,
		       struct cp_api_err *err)
{
	struct cp_store_user u;
	char email[CP_STORE_EMAIL_LEN];
	int n = 0;

	if (email_arg(cp, args, email, &u, err) != 0)
		return -1;
	if (u.cert_serial[0] == '\0')
		return cp_api_fail(err, "email", "%s has no certificate to revoke", email);
	if (cut(cp, &u, CRL_REASON_UNSPECIFIED, CP_END_REVOKED, "certificate revoked", &n,
		err) != 0)
		return -1;
	SL_INFO("admin: user %s: certificate %s revoked", SL_ESC(email), u.cert_serial);
	return user_result(cp, email, n, u.cert_serial, result, err);
}

/* user.passwd's write: U's hash, "" to remove the password. */
static int passwd_commit(struct cp *cp, struct cp_store_user *u, struct json_object **result,
			 struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };
	bool set = u->pw_hash[0] != '\0';
	int rc;

	/* The sessions that proved the old password end when the store
	 * snapshot sees the new hash (cp_ctx_user_gone: "user changed"). */
	rc = cp_store_user_set_password(cp->api_users->store, u->email, u->pw_hash, &se);
	OPENSSL_cleanse(u->pw_hash, sizeof(u->pw_hash));
	if (rc != 0)
		return store_fail(err, &se);
	SL_INFO("admin: user %s: password %s", SL_ESC(u->email), set ? "set" : "removed");
	return user_result(cp, u->email, -1, NULL, result, err);
}

static int user_passwd(struct cp *cp, struct json_object *args, struct json_object **result,
		       struct cp_api_err *err)
{
	struct cp_store_user u;

	if (email_arg(cp, args, u.email, &u, err) != 0)	/* known before the hash */
		return -1;
	return with_password(cp, args, &u, passwd_commit, result, err);
}

/* ---- user.profile ---- */

/* A whole small file (a CA certificate, a static key) into a malloc'd string. */
static char *slurp(const char *path, struct cp_api_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;

	if (f != NULL && (buf = calloc(1, WRAP_KEY_MAX * 4 + 1)) != NULL)
		n = fread(buf, 1, WRAP_KEY_MAX * 4, f);
	if (f == NULL || buf == NULL || ferror(f) || n == 0) {
		cp_api_fail(err, NULL, "cannot read %s: %s", path, f == NULL ? strerror(errno) :
			    "empty or unreadable");
		free(buf);
		buf = NULL;
	}
	if (f != NULL)
		fclose(f);
	return buf;
}

/* The wrapping key the profile carries: the user's own tls-crypt-v2
 * client key (metadata naming the user), or the shared static key. */
static int profile_wrap(struct cp *cp, const char *email, struct sl_profile *p,
			char **key, struct cp_api_err *err)
{
	const struct cfg_pki *k = &cp->cfg->pki;
	struct sl_pki_error pe = { "" };

	*key = NULL;
	if (k->tls_crypt_v2[0]) {
		if ((*key = malloc(SL_PKI_TC2_CLIENT_TEXT_MAX)) == NULL)
			return cp_api_fail(err, NULL, "out of memory");
		if (sl_pki_tc2_client_key_file(k->tls_crypt_v2, email, *key,
					       SL_PKI_TC2_CLIENT_TEXT_MAX, &pe) < 0)
			return cp_api_fail(err, NULL, "tls-crypt-v2 client key: %s", pe.msg);
		p->wrap = SL_PROFILE_WRAP_TC2;
	} else if (k->tls_crypt[0] || k->tls_auth[0]) {
		if ((*key = slurp(k->tls_crypt[0] ? k->tls_crypt : k->tls_auth, err)) == NULL)
			return -1;
		p->wrap = k->tls_crypt[0] ? SL_PROFILE_WRAP_TC : SL_PROFILE_WRAP_TA;
		p->key_direction = k->tls_crypt[0] ? -1 : 1;
	}
	p->wrap_key = *key;
	return 0;
}

static const char *const wrap_names[] = { "none", "tls-crypt-v2", "tls-crypt", "tls-auth" };

static void add_str(struct json_object *o, const char *name, const char *v)
{
	json_object_object_add(o, name, v != NULL ? json_object_new_string(v) : NULL);
}

/* The profile's parts, for a client that writes them as files (sluicectl
 * --split) or renders its own. */
static struct json_object *parts_json(const struct sl_profile *p, const char *key_enc)
{
	struct json_object *o = json_object_new_object(), *rem = json_object_new_array();

	for (unsigned i = 0; i < p->n_remotes; i++) {
		struct json_object *r = json_object_new_object();

		add_str(r, "host", p->remotes[i].host);
		json_object_object_add(r, "port", json_object_new_int(p->remotes[i].port));
		add_str(r, "proto", p->remotes[i].tcp ? "tcp" : "udp");
		json_object_array_add(rem, r);
	}
	add_str(o, "user", p->user);
	json_object_object_add(o, "remotes", rem);
	add_str(o, "data_ciphers", p->data_ciphers);
	add_str(o, "cipher", p->cipher);
	add_str(o, "auth", p->auth);
	add_str(o, "server_cn", p->server_cn);
	json_object_object_add(o, "auth_user_pass", json_object_new_boolean(p->auth_user_pass));
	add_str(o, "wrap", wrap_names[p->wrap]);
	add_str(o, "wrap_key", p->wrap_key);
	json_object_object_add(o, "key_direction", p->key_direction >= 0 ?
			       json_object_new_int(p->key_direction) : NULL);
	add_str(o, "ca", p->ca_pem);
	add_str(o, "cert", p->cert_pem);
	add_str(o, "key", p->key_pem);
	add_str(o, "key_encrypted", key_enc);
	return o;
}

/* "AES-256-GCM:AES-128-GCM" from vpn.data_ciphers. */
static void ciphers(const struct cp *cp, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < cp->cfg->vpn.n_ciphers && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ":" : "",
					 cp->cfg->vpn.data_ciphers[i]);
}

/*
 * A fresh certificate for U (with our CA): the previous one revoked as
 * superseded, the new serial in the store. Into cert.
 */
static int reissue(struct cp *cp, const struct cp_store_user *u, const char *passphrase,
		   struct sl_pki_cert *cert, struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };
	struct sl_pki_error pe = { "" };

	if (sl_pki_issue(cp->api_users->ca, u->email, key_type(cp), cert_days(cp), passphrase,
			 cert, &pe) != 0)
		return cp_api_fail(err, passphrase ? "passphrase" : NULL,
				   "cannot issue the certificate: %s", pe.msg);
	if (revoke(cp, u->cert_serial, CRL_REASON_SUPERSEDED, err) != 0 ||
	    cp_store_user_set_cert(cp->api_users->store, u->email, cert->serial,
				   (int64_t)cert->not_after, &se) != 0) {
		sl_pki_cert_clear(cert);
		return err->reason[0] ? -1 : store_fail(err, &se);
	}
	SL_INFO("admin: user %s: certificate %s issued for a profile%s%s", SL_ESC(u->email),
		cert->serial, u->cert_serial[0] ? ", superseding " : "", u->cert_serial);
	return crl_write(cp, err);
}

static int user_profile(struct cp *cp, struct json_object *args, struct json_object **result,
			struct cp_api_err *err)
{
	struct cp_store_user u;
	struct sl_pki_cert cert = { 0 };
	struct sl_pki_error pe = { "" };
	struct sl_profile p = { .key_direction = -1 };
	struct sl_profile_remote rem[CFG_MAX_REMOTES];
	char email[CP_STORE_EMAIL_LEN], dc[CFG_MAX_CIPHERS * 33];
	char *ca = NULL, *wrap = NULL, *text = NULL;
	const char *pp = NULL;
	int rc = -1;

	if (email_arg(cp, args, email, &u, err) != 0 ||
	    cp_api_arg_str(args, "passphrase", false, &pp, err) < 0)
		return -1;
	if (!u.vpn)
		return cp_api_fail(err, "email", "%s has VPN access off (user vpn %s on)", email,
				   email);
	p.n_remotes = profile_remotes(cp, rem, sizeof(rem) / sizeof(rem[0]));
	if (p.n_remotes == 0)
		return cp_api_fail(err, NULL, "no profile remotes configured (profile.remote)");
	if (cp->api_users->ca != NULL && reissue(cp, &u, pp, &cert, err) != 0)
		goto out;
	if (cp->api_users->ca == NULL && (ca = slurp(cp->cfg->pki.ca, err)) == NULL)
		goto out;
	ciphers(cp, dc, sizeof(dc));
	p.user = email;
	p.remotes = rem;
	p.data_ciphers = dc[0] ? dc : NULL;
	p.auth_user_pass = cp->cfg->pki.auth_user_pass && u.pw_hash[0] != '\0';
	p.ca_pem = ca != NULL ? ca : sl_pki_ca_pem(cp->api_users->ca);
	p.cert_pem = cert.cert_pem;
	p.key_pem = cert.key_pem;
	if (profile_wrap(cp, email, &p, &wrap, err) != 0)
		goto out;
	if ((text = sl_profile_render(&p, &pe)) == NULL) {
		cp_api_fail(err, NULL, "profile: %s", pe.msg);
		goto out;
	}
	*result = json_object_new_object();
	add_str(*result, "email", email);
	add_str(*result, "cert_serial", cert.serial[0] ? cert.serial : NULL);
	json_object_object_add(*result, "cert_expiry", cert.not_after ?
			       json_object_new_int64(cert.not_after) : NULL);
	add_str(*result, "ovpn", text);
	json_object_object_add(*result, "parts", parts_json(&p, cert.key_pem_enc));
	rc = 0;
out:
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	if (wrap != NULL)
		OPENSSL_cleanse(wrap, strlen(wrap));
	free(text);
	free(wrap);
	free(ca);
	sl_pki_cert_clear(&cert);
	OPENSSL_cleanse(u.pw_hash, sizeof(u.pw_hash));
	return rc;
}

/* ---- role.* ---- */

static int role_add(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };
	const char *name, *desc = "";

	if (users_open(cp, err) != 0 || cp_api_arg_str(args, "name", true, &name, err) != 0 ||
	    cp_api_arg_str(args, "description", false, &desc, err) < 0)
		return -1;
	if (cp_store_role_add(cp->api_users->store, name, desc, &se) != 0)
		return role_fail(err, &se);
	SL_INFO("admin: role %s added", SL_ESC(name));
	*result = json_object_new_object();
	add_str(*result, "name", name);
	return 0;
}

static int role_del(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct cp_store_err se = { "", "" };
	const char *name;

	if (users_open(cp, err) != 0 || cp_api_arg_str(args, "name", true, &name, err) != 0)
		return -1;
	if (cp_store_role_del(cp->api_users->store, name, &se) != 0)
		return role_fail(err, &se);
	SL_INFO("admin: role %s deleted", SL_ESC(name));
	*result = json_object_new_object();
	add_str(*result, "name", name);
	return 0;
}

static int role_one(const struct cp_store_role *r, void *arg)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "name", r->name);
	add_str(o, "description", r->description);
	json_object_object_add(o, "created", json_object_new_int64(r->created));
	json_object_array_add(arg, o);
	return 0;
}

static int roles_all(struct cp_store *st, struct json_object *a)
{
	return cp_store_role_list(st, role_one, a);
}

static int role_list(struct cp *cp, struct json_object *args, struct json_object **result,
		     struct cp_api_err *err)
{
	(void)args;
	return list_result(cp, "roles", roles_all, result, err);
}

const struct cp_api_cmd cp_api_users_cmds[] = {
	{ "user.add", user_add, "email roles vpn password static_ip iroutes" },
	{ "user.del", user_del, "email" },
	{ "user.list", user_list, "" },
	{ "user.show", user_show, "email" },
	{ "user.vpn", user_vpn, "email on" },
	{ "user.passwd", user_passwd, "email password" },
	{ "user.revoke", user_revoke, "email" },
	{ "user.profile", user_profile, "email passphrase" },
	{ "role.add", role_add, "name description" },
	{ "role.del", role_del, "name" },
	{ "role.list", role_list, "" },
	{ NULL, NULL, NULL }
};
