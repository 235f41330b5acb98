/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's live rule set (controlplane/cp_rules.c) over a real
 * SQLite store in a temporary folder, with the data plane stood in for by
 * plain memory: the blobs it is handed are kept and read back, its hit
 * counters are an array, and it can be told to refuse.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_rules.h"
#include "cp_store.h"
#include "sl_addr.h"
#include "sl_test.h"

/* The stand-in data plane. */
static struct {
	struct sl_rule_blob *last;	/* the blob it holds now */
	unsigned published;
	int refuse;			/* answer this (< 0) to the next publishes */
	struct sl_rule_hits hits[2][SL_RULES_MAX];
} dp;

static void *t_alloc(void *arg, size_t size)
{
	(void)arg;
	return calloc(1, size);
}

static void t_free(void *arg, void *p)
{
	(void)arg;
	free(p);
}

static int t_publish(void *arg, struct sl_rule_blob *blob, bool *owned, char *err, size_t len)
{
	(void)arg;
	*owned = dp.refuse == 0;
	if (dp.refuse != 0) {
		snprintf(err, len, "a refusal: %s", strerror(-dp.refuse));
		return dp.refuse;
	}
	free(dp.last);
	dp.last = blob;
	dp.published++;
	return 0;
}

static const struct sl_rule_hits *t_hits(void *arg, unsigned *n)
{
	(void)arg;
	*n = 2;
	return &dp.hits[0][0];
}

static const struct cp_rules_io io = { NULL, t_alloc, t_free, t_publish, t_hits };

static char dir[64], db[96];
static struct sl_prefix pool;

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_cp_rules.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db, sizeof(db), "%s/store.db", dir);
	sl_prefix_parse("10.10.0.0/24", &pool);
	free(dp.last);
	memset(&dp, 0, sizeof(dp));
	return 0;
}

static void teardown(struct cp_store *st)
{
	char wal[128];

	cp_store_close(st);
	unlink(db);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", db);
	unlink(wal);
	rmdir(dir);
}

static struct cp_store *store(void)
{
	struct cp_store_err se;

	return cp_store_open(db, NULL, &se);
}

/* A rule from "field=value" pairs, NULL-terminated. */
static struct sl_rule mk(const char *name, ...)
{
	struct sl_rule_err err;
	struct sl_rule r;
	const char *kv;
	va_list ap;

	sl_rule_init(&r);
	sl_rule_set(&r, SL_RULE_F_NAME, name, &err);
	va_start(ap, name);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		char f[32];
		const char *eq = strchr(kv, '=');

		snprintf(f, sizeof(f), "%.*s", (int)(eq - kv), kv);
		if (sl_rule_set(&r, sl_rule_field_find(f), eq + 1, &err) != 0)
			fprintf(stderr, "mk %s: %s: %s\n", name, f, err.msg);
	}
	va_end(ap);
	return r;
}

/* The shipped defaults: SSH, RDP, web from the pool to the LAN. */
static void defaults(struct sl_rule r[3])
{
	r[0] = mk("ssh", "src=vpn", "dst=10.20.0.0/24", "proto=tcp", "dport=22",
		  "priority=1000", "action=allow", NULL);
	r[1] = mk("rdp", "src=vpn", "dst=10.20.0.0/24", "proto=tcp", "dport=3389",
		  "priority=1000", "action=allow", NULL);
	r[2] = mk("web", "src=vpn", "dst=10.20.0.0/24", "proto=tcp", "dport=80-443",
		  "priority=1000", "action=allow", NULL);
	for (int i = 0; i < 3; i++)
		r[i].line = 10 + i;
}

static const struct sl_rule_entry *entry(const char *name)
{
	for (unsigned i = 0; dp.last != NULL && i < dp.last->count; i++)
		if (strcmp(dp.last->entries[i].name, name) == 0)
			return &dp.last->entries[i];
	return NULL;
}

static struct sl_rule db_rule(void)
{
	return mk("VPN Access to DB", "src=vpn", "dst=10.20.0.0/24", "proto=tcp", "dport=5432",
		  "priority=100", "action=allow", "description=the DuploCloud example", NULL);
}

/* The blob holds config and store rules, numbered, with slots and the default. */
static int test_blob(void)
{
	struct sl_rule cfg[3], r = db_rule();
	struct sl_rule_err err;
	struct cp_store *st;
	struct cp_rules *rs;
	const struct sl_rule_entry *e;
	char msg[256];
	uint64_t g;

	CHECK(setup() == 0);
	CHECK((st = store()) != NULL);
	defaults(cfg);
	rs = cp_rules_new(&pool, st, cfg, 3, SL_RULE_DENY, &io, msg, sizeof(msg));
	CHECK(rs != NULL);
	CHECK_EQ(cp_rules_publish(rs, msg, sizeof(msg)), 0);
	CHECK(dp.last != NULL);
	CHECK_EQ(dp.last->magic, SL_RULE_BLOB_MAGIC);
	CHECK_EQ(dp.last->version, SL_RULE_BLOB_VERSION);
	CHECK_EQ(dp.last->count, 3);
	CHECK_EQ(dp.last->default_action, SL_RULE_DENY);
	g = dp.last->generation;
	CHECK_EQ(cp_rules_add(rs, &r, &err), 0);
	CHECK_EQ(dp.last->count, 4);
	CHECK(dp.last->generation > g);
	CHECK((e = entry("VPN Access to DB")) != NULL);
	CHECK_EQ(e->priority, 100);
	CHECK_EQ(e->proto, SL_RULE_TCP);
	CHECK_EQ(e->action, SL_RULE_ALLOW);
	CHECK_EQ(e->dport_lo, 5432);
	CHECK_EQ(e->dport_hi, 5432);
	CHECK_EQ(e->src.v4, 0x0a0a0000);	/* vpn: the pool */
	CHECK_EQ(e->src_len, 24);
	CHECK_EQ(e->dst.v4, 0x0a140000);
	CHECK_EQ(e->role, SL_RULE_NO_ROLE);
	/* Slots: distinct, and kept by a rule across publishes. */
	CHECK(e->slot != entry("ssh")->slot && e->slot != entry("web")->slot);
	{
		uint32_t ssh = entry("ssh")->slot;

		CHECK_EQ(cp_rules_del(rs, "VPN Access to DB", &err), 0);
		CHECK_EQ(dp.last->count, 3);
		CHECK(entry("VPN Access to DB") == NULL);
		CHECK_EQ(entry("ssh")->slot, ssh);
	}
	cp_rules_free(rs);
	teardown(st);
	return 0;
}

/* Rules added through the API are in the store: a new rule set (a
 * restart) has them, as origin store. */
static int test_persist(void)
{
	struct sl_rule cfg[3], r = db_rule();
	struct cp_rule_view v;
	struct sl_rule_err err;
	struct cp_store *st;
	struct cp_rules *rs;
	char msg[256];

	CHECK(setup() == 0);
	CHECK((st = store()) != NULL);
	defaults(cfg);
	CHECK((rs = cp_rules_new(&pool, st, cfg, 3, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_add(rs, &r, &err), 0);
	cp_rules_free(rs);
	cp_store_close(st);
	CHECK((st = store()) != NULL);
	CHECK((rs = cp_rules_new(&pool, st, cfg, 3, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_info(rs).count, 4);
	CHECK_EQ(cp_rules_get(rs, "VPN Access to DB", &v), 0);
	CHECK_EQ(v.rule.origin, SL_RULE_STORE);
	CHECK_EQ(v.rule.priority, 100);
	CHECK_STR(v.rule.description, "the DuploCloud example");
	CHECK_EQ(cp_rules_get(rs, "ssh", &v), 0);
	CHECK_EQ(v.rule.origin, SL_RULE_CONFIG);
	CHECK_EQ(v.rule.line, 10);
	/* Deleted: gone from the store too. */
	CHECK_EQ(cp_rules_del(rs, "VPN Access to DB", &err), 0);
	cp_rules_free(rs);
	CHECK((rs = cp_rules_new(&pool, st, cfg, 3, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_info(rs).count, 3);
	cp_rules_free(rs);
	teardown(st);
	return 0;
}

/* A name used by the config and the store is refused, whichever comes second. */
static int test_name_clash(void)
{
	struct sl_rule cfg[4], r = db_rule(), same = mk("ssh", "src=vpn", "dst=10.30.0.0/24",
						     "proto=udp", "priority=5",
						     "action=deny", NULL);
	struct sl_rule_err err;
	struct cp_store *st;
	struct cp_rules *rs;
	char msg[256];
	unsigned before;

	CHECK(setup() == 0);
	CHECK((st = store()) != NULL);
	defaults(cfg);
	CHECK((rs = cp_rules_new(&pool, st, cfg, 3, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_publish(rs, msg, sizeof(msg)), 0);
	before = dp.published;
	/* API after config: refused, names the field and the config line. */
	CHECK_EQ(cp_rules_add(rs, &same, &err), -EEXIST);
	CHECK_EQ(err.field, SL_RULE_F_NAME);
	CHECK(strstr(err.msg, "config file") != NULL && strstr(err.msg, "line 10") != NULL);
	CHECK_EQ(dp.published, before);
	/* A config rule cannot be deleted through the API. */
	CHECK_EQ(cp_rules_del(rs, "ssh", &err), -EPERM);
	CHECK_EQ(err.field, SL_RULE_F_ORIGIN);
	/* Config (a reload) after the API: refused, nothing changes. */
	CHECK_EQ(cp_rules_add(rs, &r, &err), 0);
	before = dp.published;
	cfg[3] = r;
	cfg[3].line = 20;
	CHECK(cp_rules_set_config(rs, cfg, 4, SL_RULE_DENY, NULL, NULL, NULL, &err) != 0);
	CHECK_EQ(err.rule, 3);
	CHECK_EQ(err.field, SL_RULE_F_NAME);
	CHECK_EQ(dp.published, before);
	CHECK_EQ(cp_rules_info(rs).count, 4);
	cp_rules_free(rs);
	/* A restart with such a config: refused with both named. */
	rs = cp_rules_new(&pool, st, cfg, 4, SL_RULE_DENY, &io, msg, sizeof(msg));
	CHECK(rs == NULL);
	CHECK(strstr(msg, "VPN Access to DB") != NULL && strstr(msg, "line 20") != NULL);
	teardown(st);
	return 0;
}

/* Role ids: given once, the same after a rule goes and comes back, and
 * after a restart (from the store); bits in the session's tag follow the
 * user's roles in the store. */
static int test_roles(void)
{
	struct sl_rule dba = mk("dba-db", "src=role:dba", "dst=10.20.0.0/24", "proto=tcp",
				"dport=5432", "priority=100", "action=allow", NULL);
	struct sl_rule dev = mk("dev-redis", "src=role:dev", "dst=10.20.0.0/24", "proto=tcp",
				"dport=6379", "priority=100", "action=allow", NULL);
	struct cp_store_user u = { .email = "ann@example.com", .n_roles = 1, .vpn = true };
	struct cp_store_err se;
	struct sl_rule_err err;
	struct cp_store *st;
	struct cp_rules *rs;
	uint32_t roles[2], tag;
	char msg[256];
	int id_dba, id_dev;

	CHECK(setup() == 0);
	CHECK((st = store()) != NULL);
	CHECK_EQ(cp_store_role_add(st, "dba", "", &se), 0);
	CHECK_EQ(cp_store_role_add(st, "dev", "", &se), 0);
	snprintf(u.roles[0], sizeof(u.roles[0]), "dba");
	CHECK_EQ(cp_store_user_add(st, &u, &se), 0);
	CHECK((rs = cp_rules_new(&pool, st, NULL, 0, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	/* Before any rule names dba, ann's tag has no bit. */
	cp_rules_peer_tags(rs, 3, "ann@example.com", roles, &tag);
	CHECK(roles[0] == 0 && roles[1] == 0 && tag == 0);
	CHECK_EQ(cp_rules_add(rs, &dba, &err), 0);
	CHECK_EQ(cp_rules_add(rs, &dev, &err), 0);
	id_dev = entry("dev-redis")->role;
	id_dba = entry("dba-db")->role;
	CHECK(id_dev != id_dba && id_dba < SL_RULE_ROLES_MAX && id_dev < SL_RULE_ROLES_MAX);
	/* The peer tagged before the rule: its tag is stale now. */
	CHECK(!cp_rules_peer_current(rs, 3, "ann@example.com", roles, &tag));
	CHECK_EQ(roles[id_dba / 32], 1u << (id_dba % 32));
	CHECK(cp_rules_peer_current(rs, 3, "ann@example.com", roles, &tag));
	/* Gone and back (now after dev-redis in the store): the same id. */
	CHECK_EQ(cp_rules_del(rs, "dba-db", &err), 0);
	CHECK_EQ(cp_rules_add(rs, &dba, &err), 0);
	CHECK_EQ(entry("dba-db")->role, id_dba);
	cp_rules_free(rs);
	/* A restart: the ids come from the store, whatever order rules load in. */
	CHECK((rs = cp_rules_new(&pool, st, NULL, 0, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_publish(rs, msg, sizeof(msg)), 0);
	CHECK_EQ(entry("dba-db")->role, id_dba);
	CHECK_EQ(entry("dev-redis")->role, id_dev);
	/* A user given a role later: the store's change reaches the tag. */
	snprintf(u.email, sizeof(u.email), "bob@example.com");
	snprintf(u.roles[0], sizeof(u.roles[0]), "dev");
	CHECK_EQ(cp_store_user_add(st, &u, &se), 0);
	CHECK(cp_rules_refresh_users(rs));
	cp_rules_peer_tags(rs, 4, "BOB@example.com", roles, &tag);
	CHECK_EQ(roles[id_dev / 32], 1u << (id_dev % 32));
	CHECK_EQ(tag, 0);
	cp_rules_free(rs);
	teardown(st);
	return 0;
}

/* user: rules tag their user; without a store the identity (a CN) is the user. */
static int test_user_tags(void)
{
	struct sl_rule r = mk("carol-ssh", "src=user:carol@example.com", "dst=10.20.0.5/32",
			      "proto=tcp", "dport=22", "priority=50", "action=allow", NULL);
	struct sl_rule_err err;
	struct cp_rules *rs;
	uint32_t roles[2], tag;
	char msg[256];

	CHECK(setup() == 0);
	CHECK((rs = cp_rules_new(&pool, NULL, NULL, 0, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_add(rs, &r, &err), 0);	/* no store: kept in memory */
	CHECK(entry("carol-ssh")->user_tag != 0);
	cp_rules_peer_tags(rs, 1, "carol@example.com", roles, &tag);
	CHECK_EQ(tag, entry("carol-ssh")->user_tag);
	cp_rules_peer_tags(rs, 2, "dave", roles, &tag);
	CHECK_EQ(tag, 0);
	cp_rules_free(rs);
	teardown(NULL);
	return 0;
}

/* A publish the data plane refuses changes nothing: not the live set,
 * not the store. */
static int test_refused(void)
{
	struct sl_rule r = db_rule();
	struct sl_rule_err err;
	struct cp_store *st;
	struct cp_rules *rs;
	char msg[256];

	CHECK(setup() == 0);
	CHECK((st = store()) != NULL);
	CHECK((rs = cp_rules_new(&pool, st, NULL, 0, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	dp.refuse = -ENOMEM;
	CHECK(cp_rules_add(rs, &r, &err) != 0);
	CHECK(strstr(err.msg, "data plane") != NULL);
	CHECK_EQ(cp_rules_info(rs).count, 0);
	dp.refuse = 0;
	cp_rules_free(rs);
	CHECK((rs = cp_rules_new(&pool, st, NULL, 0, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_info(rs).count, 0);
	/* Same priority, overlapping: refused with both names, nothing kept. */
	CHECK_EQ(cp_rules_add(rs, &r, &err), 0);
	r = mk("db-deny", "src=10.10.0.0/24", "dst=10.20.0.9/32", "proto=both", "priority=100",
	       "action=deny", NULL);
	CHECK(cp_rules_add(rs, &r, &err) != 0);
	CHECK(strstr(err.msg, "VPN Access to DB") != NULL);
	CHECK_EQ(cp_rules_info(rs).count, 1);
	cp_rules_free(rs);
	teardown(st);
	return 0;
}

/* Hits: the sum over workers, from the slot's baseline; `rule test`. */
static int test_hits_and_test(void)
{
	struct sl_rule cfg[3], r = db_rule();
	struct cp_rule_view v;
	struct sl_rule_err err;
	struct sl_addr src = sl_addr_v4(0x0a0a0002), dst = sl_addr_v4(0x0a140002);
	struct cp_rules *rs;
	uint32_t slot;
	uint8_t action;
	char msg[256];

	CHECK(setup() == 0);
	defaults(cfg);
	CHECK((rs = cp_rules_new(&pool, NULL, cfg, 3, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_test(rs, "ann", &src, &dst, 6, 5432, &v, &action), 1);
	CHECK_EQ(action, SL_RULE_DENY);
	CHECK_EQ(cp_rules_test(rs, "ann", &src, &dst, 6, 22, &v, &action), 0);
	CHECK_STR(v.rule.name, "ssh");
	CHECK_EQ(cp_rules_add(rs, &r, &err), 0);
	CHECK_EQ(cp_rules_test(rs, "ann", &src, &dst, 6, 5432, &v, &action), 0);
	CHECK_STR(v.rule.name, "VPN Access to DB");
	CHECK_EQ(action, SL_RULE_ALLOW);
	CHECK_EQ(cp_rules_test(rs, "ann", &src, &dst, 17, 5432, &v, &action), 1);
	/* Counters of the slot, both workers. */
	slot = entry("VPN Access to DB")->slot;
	dp.hits[0][slot] = (struct sl_rule_hits){ 3, 300 };
	dp.hits[1][slot] = (struct sl_rule_hits){ 4, 400 };
	CHECK_EQ(cp_rules_get(rs, "VPN Access to DB", &v), 0);
	CHECK_EQ(v.pkts, 7);
	CHECK_EQ(v.bytes, 700);
	/* The rule goes, another takes its slot: it starts from zero. */
	CHECK_EQ(cp_rules_del(rs, "VPN Access to DB", &err), 0);
	r = mk("redis", "src=vpn", "dst=10.20.0.0/24", "proto=tcp", "dport=6379",
	       "priority=100", "action=allow", NULL);
	CHECK_EQ(cp_rules_add(rs, &r, &err), 0);
	CHECK_EQ(entry("redis")->slot, slot);
	CHECK_EQ(cp_rules_get(rs, "redis", &v), 0);
	CHECK_EQ(v.pkts, 0);
	CHECK_EQ(v.bytes, 0);
	dp.hits[1][slot].pkts++;
	CHECK_EQ(cp_rules_get(rs, "redis", &v), 0);
	CHECK_EQ(v.pkts, 1);
	cp_rules_free(rs);
	teardown(NULL);
	return 0;
}

/* A reload: same names keep their slots and counters, new ones come,
 * gone ones go; the default policy changes with it. */
static int test_reload(void)
{
	struct sl_rule cfg[3], next[3];
	struct cp_rule_view v;
	struct sl_rule_err err;
	struct cp_rules *rs;
	unsigned added, removed, changed;
	uint32_t ssh;
	char msg[256];

	CHECK(setup() == 0);
	defaults(cfg);
	CHECK((rs = cp_rules_new(&pool, NULL, cfg, 3, SL_RULE_DENY, &io, msg, sizeof(msg))) != NULL);
	CHECK_EQ(cp_rules_publish(rs, msg, sizeof(msg)), 0);
	ssh = entry("ssh")->slot;
	dp.hits[0][ssh].pkts = 9;
	next[0] = cfg[0];
	next[0].priority = 900;
	next[1] = cfg[2];
	next[2] = mk("redis", "src=vpn", "dst=10.20.0.0/24", "proto=tcp", "dport=6379",
		     "priority=100", "action=allow", NULL);
	CHECK_EQ(cp_rules_set_config(rs, next, 3, SL_RULE_ALLOW, &added, &removed, &changed,
				     &err), 0);
	CHECK_EQ(added, 1);
	CHECK_EQ(removed, 1);
	CHECK_EQ(changed, 1);
	CHECK_EQ(dp.last->default_action, SL_RULE_ALLOW);
	CHECK_EQ(entry("ssh")->slot, ssh);
	CHECK_EQ(entry("ssh")->priority, 900);
	CHECK(entry("rdp") == NULL && entry("redis") != NULL);
	CHECK_EQ(cp_rules_get(rs, "ssh", &v), 0);
	CHECK_EQ(v.pkts, 9);
	/* A bad set (same priority, overlapping): refused, nothing changes. */
	next[2] = mk("web2", "src=vpn", "dst=10.20.0.0/24", "proto=tcp", "dport=443",
		     "priority=1000", "action=deny", NULL);
	CHECK(cp_rules_set_config(rs, next, 3, SL_RULE_DENY, NULL, NULL, NULL, &err) != 0);
	CHECK(entry("redis") != NULL);
	CHECK_EQ(cp_rules_info(rs).default_action, SL_RULE_ALLOW);
	cp_rules_free(rs);
	teardown(NULL);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "blob: config and store rules, slots, default, generation", test_blob },
	{ "store rules persist across a restart, deleted ones go", test_persist },
	{ "a name used by config and store is refused either way", test_name_clash },
	{ "role ids stable (rule gone and back, restart); tags follow store roles", test_roles },
	{ "user tags; no store: the identity is the user", test_user_tags },
	{ "refused publish or bad set: nothing changes", test_refused },
	{ "hit counters summed with baselines; rule test", test_hits_and_test },
	{ "reload keeps slots, adds, removes, default policy", test_reload },
	{ NULL, NULL }
};

int main(void)
{
	int rc = sl_test_run("cp_rules", cases);

	free(dp.last);
	return rc;
}
