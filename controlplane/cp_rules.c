/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The live rule set (cp_rules.h): config rules, then store rules, in one
 * array with a hit-counter slot each. Every change is made on a copy:
 * checked (lib/sl_rule.c), written to the store, compiled and published;
 * only then does the copy become the live set, so a refusal anywhere
 * leaves the set, the store and the data plane as they were.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cp_rules.h"
#include "cp_store.h"
#include "sl_log.h"

#define TEST_SPORT	49152	/* `rule test`: the client's ephemeral port */

/* A store user's roles, by index into cp_rules.role_names. */
struct user_roles {
	char email[CP_STORE_EMAIL_LEN];
	unsigned n;
	uint16_t role[CP_STORE_ROLES_MAX];
};

/* The tag a peer was given (PEER_NEW or PEER_SET). */
struct peer_tag {
	bool set;
	uint32_t roles[2];
	uint32_t user;
};

/* One version of the set: rules[0..n_cfg) from the config, the rest from the store. */
struct set {
	struct sl_rule *r;
	uint32_t *slot;
	unsigned n, n_cfg;
};

struct cp_rules {
	pthread_mutex_t lock;
	struct sl_rule_tags tags;
	struct sl_rule_ctx ctx;
	unsigned saved_roles, saved_users;	/* tags already in the store */
	struct cp_store *st;
	struct cp_rules_io io;
	uint8_t def;				/* default action */
	uint64_t gen;				/* of the last publish */
	struct set live;
	uint32_t *free_slots;			/* a stack */
	unsigned n_free;
	struct sl_rule_hits *base;		/* per slot: counts before it was given */
	/* users' roles from the store */
	struct user_roles *users;
	unsigned n_users;
	char (*role_names)[CP_STORE_ROLE_LEN];
	unsigned n_role_names;
	uint64_t store_gen;
	bool users_read;
	/* tags given, by peer-id */
	struct peer_tag *peers;
	unsigned n_peers;
};

static int set_err(struct sl_rule_err *err, const char *name, int field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_err(struct sl_rule_err *err, const char *name, int field, const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	snprintf(err->name, sizeof(err->name), "%s", name);
	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- sets ---- */

static void set_free(struct set *s)
{
	free(s->r);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* An empty copy of room N. */
static int set_alloc(struct set *s, unsigned n)
{
	memset(s, 0, sizeof(*s));
	s->r = calloc(n ? n : 1, sizeof(*s->r));
	s->slot = calloc(n ? n : 1, sizeof(*s->slot));
	if (s->r == NULL || s->slot == NULL) {
		set_free(s);
		return -ENOMEM;
	}
	return 0;
}

static int find(const struct set *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->r[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- hit counters ---- */

static struct sl_rule_hits hits_sum(struct cp_rules *rs, uint32_t slot)
{
	struct sl_rule_hits sum = { 0, 0 };
	unsigned workers = 0;
	const struct sl_rule_hits *h = rs->io.hits != NULL ? rs->io.hits(rs->io.arg, &workers) : NULL;

	for (unsigned w = 0; h != NULL && w < workers; w++) {
		const struct sl_rule_hits *c = &h[(size_t)w * SL_RULES_MAX + slot];

		sum.pkts += __atomic_load_n(&c->pkts, __ATOMIC_RELAXED);
		sum.bytes += __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
	}
	return sum;
}

/* A slot for a new rule, counting from now. */
static int slot_take(struct cp_rules *rs, uint32_t *slot)
{
	if (rs->n_free == 0)
		return -ENOSPC;
	*slot = rs->free_slots[--rs->n_free];
	rs->base[*slot] = hits_sum(rs, *slot);
	return 0;
}

static void slot_put(struct cp_rules *rs, uint32_t slot)
{
	rs->free_slots[rs->n_free++] = slot;
}

static void view_of(struct cp_rules *rs, const struct set *s, unsigned i, struct cp_rule_view *v)
{
	struct sl_rule_hits h = hits_sum(rs, s->slot[i]);

	v->rule = s->r[i];
	v->slot = s->slot[i];
	v->pkts = h.pkts - rs->base[s->slot[i]].pkts;
	v->bytes = h.bytes - rs->base[s->slot[i]].bytes;
}

/* ---- the store ---- */

struct rules_read {
	struct cp_rules *rs;
	struct set *s;
	unsigned cap;
};

static const int store_fields[] = {
	SL_RULE_F_NAME, SL_RULE_F_DESCRIPTION, SL_RULE_F_SRC, SL_RULE_F_DST, SL_RULE_F_PROTO,
	SL_RULE_F_SPORT, SL_RULE_F_DPORT, SL_RULE_F_PRIORITY, SL_RULE_F_ACTION,
	SL_RULE_F_DIRECTION,
};
#define N_STORE_FIELDS (sizeof(store_fields) / sizeof(store_fields[0]))

static int db_err(sqlite3 *db, struct cp_store_err *err)
{
	snprintf(err->field, sizeof(err->field), "store");
	snprintf(err->msg, sizeof(err->msg), "database: %s", sqlite3_errmsg(db));
	return -EIO;
}

/* One row of the rules table into a rule; a row the model refuses (the
 * database was edited by hand) is an error naming it. */
static int row_rule(sqlite3_stmt *q, struct sl_rule *r, struct cp_store_err *err)
{
	struct sl_rule_err re;
	const char *text;

	sl_rule_init(r);
	r->origin = SL_RULE_STORE;
	for (unsigned f = 0; f < N_STORE_FIELDS; f++) {
		text = (const char *)sqlite3_column_text(q, (int)f);
		if (f == 1 && (text == NULL || *text == '\0'))
			continue;	/* no description */
		if (sl_rule_set(r, store_fields[f], text != NULL ? text : "", &re) != 0) {
			snprintf(err->field, sizeof(err->field), "rules");
			snprintf(err->msg, sizeof(err->msg), "rule \"%.40s\" in the store: %s: %.80s",
				 (const char *)sqlite3_column_text(q, 0),
				 sl_rule_field_name(store_fields[f]), re.msg);
			return -EINVAL;
		}
	}
	return 0;
}

static int read_rules(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	static const char sql[] = "SELECT name, description, src, dst, proto, sport, dport, "
				  "priority, action, direction FROM rules ORDER BY rowid";
	struct rules_read *rd = arg;
	struct set *s = rd->s;
	sqlite3_stmt *q;
	int rc = 0, step;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(db, err);
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		if (s->n == rd->cap) {
			struct sl_rule *r = realloc(s->r, 2 * rd->cap * sizeof(*r));
			uint32_t *sl = r != NULL ? realloc(s->slot, 2 * rd->cap * sizeof(*sl)) : NULL;

			if (r != NULL)
				s->r = r;
			if (sl == NULL) {
				rc = -ENOMEM;
				break;
			}
			s->slot = sl;
			rd->cap *= 2;
		}
		rc = row_rule(q, &s->r[s->n], err);
		if (rc == 0)
			s->n++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_err(db, err);
	sqlite3_finalize(q);
	return rc;
}

/* Role ids and user tags in the order they were given, so they come out the same. */
static int read_tags(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	static const char sql[] = "SELECT kind, name, id FROM rule_tags ORDER BY kind, id";
	struct cp_rules *rs = arg;
	sqlite3_stmt *q;
	int step;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(db, err);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(q, 0);
		const char *name = (const char *)sqlite3_column_text(q, 1);
		int64_t id = sqlite3_column_int64(q, 2);
		int64_t got;

		if (kind == NULL || name == NULL)
			continue;
		if (strcmp(kind, "role") == 0)
			got = sl_rule_tags_role(&rs->tags, name, true);
		else
			got = sl_rule_tags_user(&rs->tags, name, true);
		if (got != id)
			SL_WARN("rules: the store's %s id %lld for \"%s\" comes out as %lld "
				"(rule_tags edited?)", kind, (long long)id, SL_ESC(name),
				(long long)got);
	}
	rs->saved_roles = rs->tags.n_roles;
	rs->saved_users = rs->tags.n_users;
	sqlite3_finalize(q);
	return step == SQLITE_DONE ? 0 : db_err(db, err);
}

static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
	return sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
}

/* What one write does: a rule in or out, and the tags given since the last write. */
struct rules_write {
	struct cp_rules *rs;
	const struct sl_rule *add;
	const char *del;
};

static int write_tags(sqlite3 *db, struct cp_rules *rs, struct cp_store_err *err)
{
	static const char sql[] = "INSERT OR REPLACE INTO rule_tags (kind, name, id) VALUES (?, ?, ?)";
	sqlite3_stmt *q;
	int rc = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(db, err);
	for (unsigned i = rs->saved_roles; rc == 0 && i < rs->tags.n_roles; i++) {
		sqlite3_reset(q);
		bind_text(q, 1, "role");
		bind_text(q, 2, rs->tags.roles[i]);
		sqlite3_bind_int64(q, 3, i);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(db, err);
	}
	for (unsigned i = rs->saved_users; rc == 0 && i < rs->tags.n_users; i++) {
		sqlite3_reset(q);
		bind_text(q, 1, "user");
		bind_text(q, 2, rs->tags.users[i]);
		sqlite3_bind_int64(q, 3, i + 1);
		if (sqlite3_step(q) != SQLITE_DONE)
			rc = db_err(db, err);
	}
	sqlite3_finalize(q);
	return rc;
}

static int write_rule(sqlite3 *db, const struct sl_rule *r, struct cp_store_err *err)
{
	static const char sql[] = "INSERT INTO rules (name, description, src, dst, proto, sport, "
				  "dport, priority, action, direction, created) "
				  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	char buf[SL_RULE_DESC_MAX];
	sqlite3_stmt *q;
	int rc = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return db_err(db, err);
	for (unsigned f = 0; f < N_STORE_FIELDS; f++)
		bind_text(q, (int)f + 1, sl_rule_get(r, store_fields[f], buf, sizeof(buf)));
	sqlite3_bind_int64(q, N_STORE_FIELDS + 1, (int64_t)time(NULL));
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(db, err);
	sqlite3_finalize(q);
	return rc;
}

static int delete_rule(sqlite3 *db, const char *name, struct cp_store_err *err)
{
	sqlite3_stmt *q;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "DELETE FROM rules WHERE name = ?", -1, &q, NULL) != SQLITE_OK)
		return db_err(db, err);
	bind_text(q, 1, name);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_err(db, err);
	sqlite3_finalize(q);
	return rc;
}

static int rules_write_txn(sqlite3 *db, void *arg, struct cp_store_err *err)
{
	struct rules_write *w = arg;
	int rc = write_tags(db, w->rs, err);

	if (rc == 0 && w->add != NULL)
		rc = write_rule(db, w->add, err);
	if (rc == 0 && w->del != NULL)
		rc = delete_rule(db, w->del, err);
	return rc;
}

/* Persist a change (and any new tags); without a store only the tags
 * count as kept (for this process's lifetime). */
static int store_write(struct cp_rules *rs, const struct sl_rule *add, const char *del,
		       struct sl_rule_err *err)
{
	struct rules_write w = { rs, add, del };
	struct cp_store_err se = { "", "" };
	int rc;

	if (rs->st == NULL)
		return 0;
	if (add == NULL && del == NULL && rs->saved_roles == rs->tags.n_roles &&
	    rs->saved_users == rs->tags.n_users)
		return 0;	/* no new tag: nothing to write */
	rc = cp_store_write(rs->st, rules_write_txn, &w, &se);
	if (rc != 0)
		return set_err(err, add != NULL ? add->name : del != NULL ? del : "",
			       SL_RULE_F_ORIGIN, "expected the store to take the change, found %s: %s",
			       se.field, se.msg);
	rs->saved_roles = rs->tags.n_roles;
	rs->saved_users = rs->tags.n_users;
	return 0;
}

/* ---- users' roles ---- */

struct users_read {
	struct cp_rules *rs;
	struct user_roles *u;
	unsigned n, cap;
	char (*names)[CP_STORE_ROLE_LEN];
	unsigned n_names, cap_names;
	int rc;
};

static int role_index(struct users_read *ur, const char *name)
{
	for (unsigned i = 0; i < ur->n_names; i++)
		if (strcmp(ur->names[i], name) == 0)
			return (int)i;
	if (ur->n_names == ur->cap_names) {
		unsigned cap = ur->cap_names ? 2 * ur->cap_names : 16;
		void *p = realloc(ur->names, cap * sizeof(*ur->names));

		if (p == NULL)
			return -1;
		ur->names = p;
		ur->cap_names = cap;
	}
	snprintf(ur->names[ur->n_names], CP_STORE_ROLE_LEN, "%s", name);
	return (int)ur->n_names++;
}

static int user_row(const struct cp_store_user *u, void *arg)
{
	struct users_read *ur = arg;
	struct user_roles *e;

	if (u->n_roles == 0)
		return 0;	/* no role: no bits */
	if (ur->n == ur->cap) {
		unsigned cap = ur->cap ? 2 * ur->cap : 64;
		void *p = realloc(ur->u, cap * sizeof(*ur->u));

		if (p == NULL)
			return ur->rc = -ENOMEM;
		ur->u = p;
		ur->cap = cap;
	}
	e = &ur->u[ur->n];
	snprintf(e->email, sizeof(e->email), "%s", u->email);
	e->n = 0;
	for (unsigned i = 0; i < u->n_roles && i < CP_STORE_ROLES_MAX; i++) {
		int idx = role_index(ur, u->roles[i]);

		if (idx < 0)
			return ur->rc = -ENOMEM;
		e->role[e->n++] = (uint16_t)idx;
	}
	ur->n++;
	return 0;
}

static int by_email(const void *a, const void *b)
{
	return strcasecmp(((const struct user_roles *)a)->email,
			  ((const struct user_roles *)b)->email);
}

bool cp_rules_refresh_users(struct cp_rules *rs)
{
	struct users_read ur = { .rs = rs };
	uint64_t gen;
	int rc;

	if (rs->st == NULL)
		return false;
	gen = cp_store_generation(rs->st);
	if (rs->users_read && gen == rs->store_gen)
		return false;
	rc = cp_store_user_list(rs->st, user_row, &ur);
	if (rc < 0 || ur.rc != 0) {
		SL_WARN("rules: cannot read the users' roles from the store (%d); keeping the "
			"previous ones", rc < 0 ? rc : ur.rc);
		free(ur.u);
		free(ur.names);
		return false;
	}
	if (ur.n > 1)	/* qsort's base may not be NULL, as with no users */
		qsort(ur.u, ur.n, sizeof(*ur.u), by_email);
	pthread_mutex_lock(&rs->lock);
	free(rs->users);
	free(rs->role_names);
	rs->users = ur.u;
	rs->n_users = ur.n;
	rs->role_names = ur.names;
	rs->n_role_names = ur.n_names;
	rs->store_gen = gen;
	rs->users_read = true;
	pthread_mutex_unlock(&rs->lock);
	return true;
}

/* IDENTITY's tag now; under the lock. */
static void tags_of(struct cp_rules *rs, const char *identity, uint32_t roles[2], uint32_t *user)
{
	const char *names[CP_STORE_ROLES_MAX];
	struct user_roles key, *u = NULL;
	unsigned n = 0;

	if (rs->n_users > 0) {
		snprintf(key.email, sizeof(key.email), "%s", identity);
		u = bsearch(&key, rs->users, rs->n_users, sizeof(*rs->users), by_email);
	}
	for (unsigned i = 0; u != NULL && i < u->n; i++)
		names[n++] = rs->role_names[u->role[i]];
	sl_rule_tags_peer(&rs->tags, names, n, identity, roles, user);
}

static struct peer_tag *peer_slot(struct cp_rules *rs, uint32_t peer_id)
{
	if (peer_id > SL_PEER_ID_MAX)
		return NULL;
	if (peer_id >= rs->n_peers) {
		unsigned n = peer_id + 1 > 2 * rs->n_peers ? peer_id + 1 : 2 * rs->n_peers;
		struct peer_tag *p = realloc(rs->peers, n * sizeof(*p));

		if (p == NULL)
			return NULL;
		memset(p + rs->n_peers, 0, (n - rs->n_peers) * sizeof(*p));
		rs->peers = p;
		rs->n_peers = n;
	}
	return &rs->peers[peer_id];
}

void cp_rules_peer_tags(struct cp_rules *rs, uint32_t peer_id, const char *identity,
			uint32_t roles[2], uint32_t *user_tag)
{
	struct peer_tag *p;

	pthread_mutex_lock(&rs->lock);
	tags_of(rs, identity, roles, user_tag);
	p = peer_slot(rs, peer_id);
	if (p != NULL)
		*p = (struct peer_tag){ true, { roles[0], roles[1] }, *user_tag };
	pthread_mutex_unlock(&rs->lock);
}

bool cp_rules_peer_current(struct cp_rules *rs, uint32_t peer_id, const char *identity,
			   uint32_t roles[2], uint32_t *user_tag)
{
	struct peer_tag *p;
	bool same = true;

	pthread_mutex_lock(&rs->lock);
	p = peer_id < rs->n_peers ? &rs->peers[peer_id] : NULL;
	if (p != NULL && p->set) {
		tags_of(rs, identity, roles, user_tag);
		same = roles[0] == p->roles[0] && roles[1] == p->roles[1] && *user_tag == p->user;
		if (!same)
			*p = (struct peer_tag){ true, { roles[0], roles[1] }, *user_tag };
	}
	pthread_mutex_unlock(&rs->lock);
	return same;
}

/* ---- compile, publish ---- */

/*
 * Compile S (checked by the caller: sl_rules_check) and publish it; on
 * success S becomes the live set (the old one is freed) and the generation
 * moves on.
 */
static int commit_set(struct cp_rules *rs, struct set *s, uint8_t def, struct sl_rule_err *err)
{
	struct sl_rule_blob *blob;
	char why[256];
	bool owned = false;
	int rc;

	blob = rs->io.alloc(rs->io.arg, sl_rule_blob_size(s->n));
	if (blob == NULL)
		return set_err(err, "", SL_RULE_F_NAME, "expected memory for %u rules, found none",
			       s->n), -ENOMEM;
	if (sl_rules_compile(s->r, s->n, &rs->ctx, rs->gen + 1, def, blob, err) != 0) {
		rs->io.free(rs->io.arg, blob);
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->n; i++)
		blob->entries[i].slot = s->slot[i];
	rc = rs->io.publish(rs->io.arg, blob, &owned, why, sizeof(why));
	if (!owned)
		rs->io.free(rs->io.arg, blob);
	if (rc != 0)
		return set_err(err, "", SL_RULE_F_NAME, "expected the data plane to take the rule "
			       "set, found %s", why), rc;
	rs->gen++;
	set_free(&rs->live);
	rs->live = *s;
	rs->def = def;
	memset(s, 0, sizeof(*s));
	return 0;
}

int cp_rules_publish(struct cp_rules *rs, char *err, size_t len)
{
	struct sl_rule_err re;
	struct set s;
	int rc;

	pthread_mutex_lock(&rs->lock);
	rc = set_alloc(&s, rs->live.n);
	if (rc == 0) {
		memcpy(s.r, rs->live.r, rs->live.n * sizeof(*s.r));
		memcpy(s.slot, rs->live.slot, rs->live.n * sizeof(*s.slot));
		s.n = rs->live.n;
		s.n_cfg = rs->live.n_cfg;
		rc = commit_set(rs, &s, rs->def, &re);
		if (rc == 0)
			rc = store_write(rs, NULL, NULL, &re);	/* tags given by the compile */
		if (rc != 0)
			sl_rule_err_str(&re, err, len);
		set_free(&s);
	}
	pthread_mutex_unlock(&rs->lock);
	return rc;
}

/* ---- changes ---- */

/* Is R's name taken in S? err says by which rule. */
static int name_clash(const struct set *s, const struct sl_rule *r, struct sl_rule_err *err)
{
	int i = find(s, r->name);

	if (i < 0)
		return 0;
	if (s->r[i].origin == SL_RULE_CONFIG)
		return set_err(err, r->name, SL_RULE_F_NAME, "expected a name no rule uses, found "
			       "one the config file uses (line %d)", s->r[i].line);
	return set_err(err, r->name, SL_RULE_F_NAME, "expected a name no rule uses, found one "
		       "a rule added through the API uses");
}

int cp_rules_add(struct cp_rules *rs, const struct sl_rule *r, struct sl_rule_err *err)
{
	struct sl_rule_err undo;
	struct set s;
	int rc;

	if (sl_rule_check(r, err) != 0)
		return -EINVAL;
	pthread_mutex_lock(&rs->lock);
	rc = name_clash(&rs->live, r, err) != 0 ? -EEXIST : set_alloc(&s, rs->live.n + 1);
	if (rc != 0)
		goto out;
	memcpy(s.r, rs->live.r, rs->live.n * sizeof(*s.r));
	memcpy(s.slot, rs->live.slot, rs->live.n * sizeof(*s.slot));
	s.n_cfg = rs->live.n_cfg;
	s.r[rs->live.n] = *r;
	s.r[rs->live.n].origin = SL_RULE_STORE;
	s.r[rs->live.n].line = 0;
	s.n = rs->live.n + 1;
	if (slot_take(rs, &s.slot[rs->live.n]) != 0) {
		rc = set_err(err, r->name, SL_RULE_F_NAME, "expected at most %u rules, found one "
			     "more", SL_RULES_MAX);
		set_free(&s);
		goto out;
	}
	/* Check first (no store write for a bad set), then keep, then publish. */
	rc = sl_rules_check(s.r, s.n, &rs->ctx.pool, err) != 0 ? -EINVAL
								: store_write(rs, &s.r[s.n - 1], NULL, err);
	if (rc == 0) {
		rc = commit_set(rs, &s, rs->def, err);
		if (rc != 0 && store_write(rs, NULL, r->name, &undo) != 0)
			SL_ERR("rules: \"%s\" was refused by the data plane but stays in the store",
			       SL_ESC(r->name));
	}
	if (rc != 0) {
		slot_put(rs, s.slot[s.n - 1]);
		set_free(&s);
	}
out:
	pthread_mutex_unlock(&rs->lock);
	return rc;
}

int cp_rules_del(struct cp_rules *rs, const char *name, struct sl_rule_err *err)
{
	struct sl_rule_err undo;
	struct sl_rule gone;
	uint32_t slot;
	struct set s;
	int rc, i;

	pthread_mutex_lock(&rs->lock);
	i = find(&rs->live, name);
	if (i < 0) {
		rc = -ENOENT;
		set_err(err, name, SL_RULE_F_NAME, "expected a rule's name, found none of that name");
		goto out;
	}
	if (rs->live.r[i].origin == SL_RULE_CONFIG) {
		rc = -EPERM;
		set_err(err, name, SL_RULE_F_ORIGIN, "expected a rule added through the API, found "
			"one from the config file (line %d): edit the file and run sluicectl reload",
			rs->live.r[i].line);
		goto out;
	}
	rc = set_alloc(&s, rs->live.n);
	if (rc != 0)
		goto out;
	gone = rs->live.r[i];
	slot = rs->live.slot[i];
	memcpy(s.r, rs->live.r, (size_t)i * sizeof(*s.r));
	memcpy(s.r + i, rs->live.r + i + 1, (rs->live.n - i - 1) * sizeof(*s.r));
	memcpy(s.slot, rs->live.slot, (size_t)i * sizeof(*s.slot));
	memcpy(s.slot + i, rs->live.slot + i + 1, (rs->live.n - i - 1) * sizeof(*s.slot));
	s.n = rs->live.n - 1;
	s.n_cfg = rs->live.n_cfg;
	rc = store_write(rs, NULL, name, err);
	if (rc == 0) {
		/* Fewer rules than a checked set: nothing new to check. */
		rc = commit_set(rs, &s, rs->def, err);
		if (rc != 0 && store_write(rs, &gone, NULL, &undo) != 0)
			SL_ERR("rules: \"%s\" is still enforced but gone from the store",
			       SL_ESC(name));
	}
	if (rc == 0)
		slot_put(rs, slot);
	set_free(&s);
out:
	pthread_mutex_unlock(&rs->lock);
	return rc;
}

static bool rule_same(const struct sl_rule *a, const struct sl_rule *b)
{
	char x[SL_RULE_DESC_MAX], y[SL_RULE_DESC_MAX];

	for (int f = 0; f < SL_RULE_F_COUNT; f++)
		if (strcmp(sl_rule_get(a, f, x, sizeof(x)), sl_rule_get(b, f, y, sizeof(y))) != 0)
			return false;
	return true;
}

/* Slots of the config rules of the live set that RULES no longer names. */
static unsigned config_gone(const struct cp_rules *rs, const struct sl_rule *rules, unsigned n,
			    uint32_t *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < rs->live.n_cfg; i++) {
		bool still = false;

		for (unsigned j = 0; j < n && !still; j++)
			still = strcmp(rules[j].name, rs->live.r[i].name) == 0;
		if (!still)
			out[k++] = rs->live.slot[i];
	}
	return k;
}

/*
 * RULES as the config part of S (store part already in): a name the live
 * config used keeps its slot, a new one takes a slot (listed in TAKEN);
 * a store rule's name is refused.
 */
static int config_into(struct cp_rules *rs, struct set *s, const struct sl_rule *rules,
		       unsigned n, uint32_t *taken, unsigned *n_taken, unsigned *added,
		       unsigned *changed, struct sl_rule_err *err)
{
	for (unsigned i = 0; i < n; i++) {
		int old = find(&rs->live, rules[i].name);

		s->r[i] = rules[i];
		s->r[i].origin = SL_RULE_CONFIG;
		if (old >= 0 && rs->live.r[old].origin == SL_RULE_CONFIG) {
			s->slot[i] = rs->live.slot[old];	/* same name: same counters */
			*changed += !rule_same(&rs->live.r[old], &s->r[i]);
			continue;
		}
		if (old >= 0) {
			set_err(err, rules[i].name, SL_RULE_F_NAME, "expected a name no rule uses, "
				"found one a rule added through the API uses (sluicectl rule del it, "
				"or rename this one)");
			err->rule = i;
			return -EEXIST;
		}
		if (slot_take(rs, &s->slot[i]) != 0)
			return set_err(err, rules[i].name, SL_RULE_F_NAME, "expected at most %u "
				       "rules, found more", SL_RULES_MAX), -ENOSPC;
		taken[(*n_taken)++] = s->slot[i];
		(*added)++;
	}
	return 0;
}

int cp_rules_set_config(struct cp_rules *rs, const struct sl_rule *rules, unsigned n,
			uint8_t default_action, unsigned *added, unsigned *removed,
			unsigned *changed, struct sl_rule_err *err)
{
	unsigned n_sto, n_taken = 0, n_gone = 0, add = 0, chg = 0;
	uint32_t *taken = NULL, *gone = NULL;
	struct set s = { 0 };
	int rc;

	pthread_mutex_lock(&rs->lock);
	n_sto = rs->live.n - rs->live.n_cfg;
	taken = calloc(n + 1, sizeof(*taken));
	gone = calloc(rs->live.n_cfg + 1, sizeof(*gone));
	rc = taken == NULL || gone == NULL ? -ENOMEM : set_alloc(&s, n + n_sto);
	if (rc != 0) {
		set_err(err, "", SL_RULE_F_NAME, "expected memory for %u rules, found none", n);
		goto out;
	}
	s.n_cfg = n;
	s.n = n + n_sto;
	memcpy(s.r + n, rs->live.r + rs->live.n_cfg, n_sto * sizeof(*s.r));
	memcpy(s.slot + n, rs->live.slot + rs->live.n_cfg, n_sto * sizeof(*s.slot));
	n_gone = config_gone(rs, rules, n, gone);
	rc = config_into(rs, &s, rules, n, taken, &n_taken, &add, &chg, err);
	if (rc == 0 && sl_rules_check(s.r, s.n, &rs->ctx.pool, err) != 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = commit_set(rs, &s, default_action, err);
	if (rc != 0) {
		while (n_taken > 0)
			slot_put(rs, taken[--n_taken]);
		goto out;
	}
	for (unsigned i = 0; i < n_gone; i++)
		slot_put(rs, gone[i]);
	if (store_write(rs, NULL, NULL, err) != 0)
		SL_WARN("rules: new role ids or user tags are not in the store: %s", err->msg);
	if (added)
		*added = add;
	if (removed)
		*removed = n_gone;
	if (changed)
		*changed = chg;
out:
	free(taken);
	free(gone);
	set_free(&s);
	pthread_mutex_unlock(&rs->lock);
	return rc;
}

/* ---- reading ---- */

int cp_rules_list(struct cp_rules *rs, cp_rules_fn fn, void *arg)
{
	struct cp_rule_view v;
	int rc = 0;

	pthread_mutex_lock(&rs->lock);
	for (unsigned i = 0; i < rs->live.n && rc == 0; i++) {
		view_of(rs, &rs->live, i, &v);
		rc = fn(&v, arg);
	}
	pthread_mutex_unlock(&rs->lock);
	return rc;
}

int cp_rules_get(struct cp_rules *rs, const char *name, struct cp_rule_view *out)
{
	int i;

	pthread_mutex_lock(&rs->lock);
	i = find(&rs->live, name);
	if (i >= 0)
		view_of(rs, &rs->live, (unsigned)i, out);
	pthread_mutex_unlock(&rs->lock);
	return i >= 0 ? 0 : -ENOENT;
}

struct cp_rules_info cp_rules_info(struct cp_rules *rs)
{
	struct cp_rules_info in;

	pthread_mutex_lock(&rs->lock);
	in = (struct cp_rules_info){ rs->live.n, rs->def, rs->gen };
	pthread_mutex_unlock(&rs->lock);
	return in;
}

int cp_rules_test(struct cp_rules *rs, const char *user, const struct sl_addr *src,
		  const struct sl_addr *dst, uint8_t proto, uint16_t dport,
		  struct cp_rule_view *out, uint8_t *action)
{
	struct sl_rule_key k = { .direction = SL_RULE_IN, .proto = proto };
	int i;

	if (proto == 6 || proto == 17) {	/* TCP, UDP: the ports count */
		k.sport = TEST_SPORT;
		k.dport = dport;
	}
	k.src = *src;
	k.dst = *dst;
	pthread_mutex_lock(&rs->lock);
	tags_of(rs, user, k.roles, &k.user_tag);
	i = sl_rules_classify(rs->live.r, rs->live.n, &rs->ctx, &k);
	if (i >= 0) {
		view_of(rs, &rs->live, (unsigned)i, out);
		*action = rs->live.r[i].action;
	} else {
		*action = rs->def;
	}
	pthread_mutex_unlock(&rs->lock);
	return i >= 0 ? 0 : 1;
}

/* ---- life ---- */

void *cp_rules_io_arg(struct cp_rules *rs)
{
	return rs->io.arg;
}

static int load_store(struct cp_rules *rs, struct set *sto, char *err, size_t len)
{
	struct cp_store_err se = { "", "" };
	struct rules_read rd = { rs, sto, 16 };
	int rc;

	if (set_alloc(sto, rd.cap) != 0)
		return -ENOMEM;
	if (rs->st == NULL)
		return 0;
	rc = cp_store_read(rs->st, read_tags, rs, &se);
	if (rc == 0)
		rc = cp_store_read(rs->st, read_rules, &rd, &se);
	if (rc != 0)
		snprintf(err, len, "rules in users.store: %s: %s", se.field, se.msg);
	return rc;
}

struct cp_rules *cp_rules_new(const struct sl_prefix *pool, struct cp_store *st,
			      const struct sl_rule *rules, unsigned n, uint8_t default_action,
			      const struct cp_rules_io *io, char *err, size_t len)
{
	struct cp_rules *rs = calloc(1, sizeof(*rs));
	struct sl_rule_err re;
	struct set sto = { 0 };
	unsigned total;

	if (rs == NULL)
		return NULL;
	pthread_mutex_init(&rs->lock, NULL);
	sl_rule_tags_init(&rs->tags);
	rs->ctx.pool = *pool;
	rs->ctx.tags = &rs->tags;
	rs->st = st;
	rs->io = *io;
	rs->def = default_action;
	/* Generations only grow, also across restarts of the control plane:
	 * flows remember the one they were checked under. */
	rs->gen = (uint64_t)time(NULL) << 20;
	rs->free_slots = calloc(SL_RULES_MAX, sizeof(*rs->free_slots));
	rs->base = calloc(SL_RULES_MAX, sizeof(*rs->base));
	if (rs->free_slots == NULL || rs->base == NULL) {
		snprintf(err, len, "rules: out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < SL_RULES_MAX; i++)
		rs->free_slots[i] = SL_RULES_MAX - 1 - i;	/* slot 0 first */
	rs->n_free = SL_RULES_MAX;
	if (load_store(rs, &sto, err, len) != 0)
		goto fail;
	total = n + sto.n;
	if (total > SL_RULES_MAX || set_alloc(&rs->live, total) != 0) {
		snprintf(err, len, "rules: %u rules, at most %u", total, SL_RULES_MAX);
		goto fail;
	}
	if (n > 0)	/* memcpy's pointers may not be NULL, even for 0 bytes */
		memcpy(rs->live.r, rules, n * sizeof(*rules));
	if (sto.n > 0)
		memcpy(rs->live.r + n, sto.r, sto.n * sizeof(*sto.r));
	rs->live.n = total;
	rs->live.n_cfg = n;
	for (unsigned i = 0; i < total; i++) {
		if (i < n)
			rs->live.r[i].origin = SL_RULE_CONFIG;
		rs->live.slot[i] = rs->free_slots[--rs->n_free];
		if (find(&rs->live, rs->live.r[i].name) != (int)i) {
			snprintf(err, len, "rule \"%s\" in users.store: its name is the config file's "
				 "rule at line %d: rename one of them", rs->live.r[i].name,
				 rs->live.r[find(&rs->live, rs->live.r[i].name)].line);
			goto fail;
		}
	}
	if (sl_rules_check(rs->live.r, total, pool, &re) != 0) {
		sl_rule_err_str(&re, err, len);
		goto fail;
	}
	set_free(&sto);
	cp_rules_refresh_users(rs);
	return rs;
fail:
	set_free(&sto);
	cp_rules_free(rs);
	return NULL;
}

void cp_rules_free(struct cp_rules *rs)
{
	if (rs == NULL)
		return;
	set_free(&rs->live);
	sl_rule_tags_free(&rs->tags);
	free(rs->free_slots);
	free(rs->base);
	free(rs->users);
	free(rs->role_names);
	free(rs->peers);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}
