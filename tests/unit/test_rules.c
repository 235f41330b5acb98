/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access rules: the model's parsers and checks (lib/sl_rule.c), and the
 * compiler + rte_acl classifier (dataplane/dp_acl.c) held to the reference
 * classifier (sl_rules_classify(), a plain loop) over randomized rule sets
 * and packets: identical verdicts, rule for rule.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "dp_acl.h"
#include "sl_addr.h"
#include "sl_rule.h"
#include "sl_test.h"

#define POOL	0x0A0A0000u	/* 10.10.0.0/20, the VPN pool */
#define LAN	0x0A140000u	/* 10.20.0.0/16 */

/* ---- helpers ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* Small sets get broad rules ("any" ends, short prefixes); big ones narrow
 * rules, so that packets still fall through to the default policy. */
static int narrow;
static int no_sport;	/* rules leave source ports any (dp_acl's dport+user group) */

static uint32_t rnd(void)
{
	/* xorshift64*: seeded, so a failure replays. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint32_t rnd_below(uint32_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* Set fields of R from "field=value" pairs; the first failure in *err. */
static int rule_from(struct sl_rule *r, const char *const *kv, struct sl_rule_err *err)
{
	sl_rule_init(r);
	for (; *kv != NULL; kv++) {
		char f[32];
		const char *eq = strchr(*kv, '=');

		snprintf(f, sizeof(f), "%.*s", (int)(eq - *kv), *kv);
		if (sl_rule_set(r, sl_rule_field_find(f), eq + 1, err) != 0)
			return -1;
	}
	return 0;
}

#define RULE(r, ...) rule_from((r), (const char *const[]){ __VA_ARGS__, NULL }, NULL)

static struct sl_rule_ctx ctx_make(struct sl_rule_tags *tags)
{
	struct sl_rule_ctx c = { .tags = tags };

	sl_rule_tags_init(tags);
	sl_prefix_parse("10.10.0.0/20", &c.pool);
	return c;
}

static struct sl_rule_key key4(unsigned dir, unsigned proto, const char *src, const char *dst,
			       unsigned sport, unsigned dport)
{
	struct sl_rule_key k;
	struct sl_prefix p;

	memset(&k, 0, sizeof(k));
	k.direction = (uint8_t)dir;
	k.proto = (uint8_t)proto;
	k.sport = (uint16_t)sport;
	k.dport = (uint16_t)dport;
	sl_prefix_parse(src, &p);
	k.src = p.addr;
	sl_prefix_parse(dst, &p);
	k.dst = p.addr;
	return k;
}

/* ---- parsing and checks ---- */

static int test_parse_fields(void)
{
	struct sl_rule r;
	struct sl_rule_err err;
	char buf[128];

	CHECK_EQ(rule_from(&r, (const char *const[]){ "name=VPN Access to DB",
		 "description=Postgres for the VPN", "src=10.10.0.0/24", "dst=10.20.0.0/24",
		 "proto=tcp", "dport=5432", "priority=100", "action=allow", NULL }, &err), 0);
	CHECK_STR(r.name, "VPN Access to DB");
	CHECK_STR(sl_rule_get(&r, SL_RULE_F_SRC, buf, sizeof(buf)), "10.10.0.0/24");
	CHECK_STR(sl_rule_get(&r, SL_RULE_F_DPORT, buf, sizeof(buf)), "5432");
	CHECK_STR(sl_rule_get(&r, SL_RULE_F_SPORT, buf, sizeof(buf)), "*");
	CHECK_STR(sl_rule_get(&r, SL_RULE_F_DIRECTION, buf, sizeof(buf)), "in");
	CHECK_EQ(r.priority, 100);
	CHECK_EQ(r.action, SL_RULE_ALLOW);
	CHECK_EQ(sl_rule_check(&r, &err), 0);

	CHECK_EQ(RULE(&r, "name=a", "src=role:dba", "dst=", "proto=both", "sport=1000-2000",
		      "direction=in", "origin=store"), 0);
	CHECK_EQ(r.src.kind, SL_END_ROLE);
	CHECK_STR(r.src.ident, "dba");
	CHECK_EQ(r.dst.prefix.addr.family, SL_AF_NONE);
	CHECK_EQ(r.sport_lo, 1000);
	CHECK_EQ(r.sport_hi, 2000);
	CHECK_STR(sl_rule_get(&r, SL_RULE_F_SPORT, buf, sizeof(buf)), "1000-2000");
	CHECK_STR(sl_rule_get(&r, SL_RULE_F_ORIGIN, buf, sizeof(buf)), "store");
	/* User names compare lower case; a bare address is a /32. */
	CHECK_EQ(RULE(&r, "name=u", "src=user:Alice@Example.COM", "dst=10.20.0.5"), 0);
	CHECK_STR(r.src.ident, "alice@example.com");
	CHECK_EQ(r.dst.prefix.len, 32);
	CHECK_EQ(RULE(&r, "name=v", "src=vpn", "dst=*", "direction=out"), 0);
	CHECK_EQ(r.src.kind, SL_END_VPN);
	CHECK_EQ(r.direction, SL_RULE_OUT);
	/* Field aliases of the config file. */
	CHECK_EQ(sl_rule_field_find("dst_port"), SL_RULE_F_DPORT);
	CHECK_EQ(sl_rule_field_find("src_port"), SL_RULE_F_SPORT);
	CHECK_EQ(sl_rule_field_find("nope"), -1);
	return 0;
}

/* Every bad value of every field: refused, the field named, the rule unchanged. */
static int test_bad_fields(void)
{
	static const struct { int field; const char *text; const char *in_msg; } bad[] = {
		{ SL_RULE_F_NAME, "", "expected a name" },
		{ SL_RULE_F_NAME, " lead", "expected a name" },
		{ SL_RULE_F_NAME, "trail ", "expected a name" },
		{ SL_RULE_F_NAME, "semi;colon", "found \"semi;colon\"" },
		{ SL_RULE_F_NAME, "0123456789012345678901234567890123456789012345678901234567890123",
		  "1..63" },
		{ SL_RULE_F_NAME, "bad\x01", "found \"bad?\"" },
		{ SL_RULE_F_DESCRIPTION, "tab\there", "printable" },
		{ SL_RULE_F_SRC, "10.10.0.5/24", "host bits zero" },
		{ SL_RULE_F_SRC, "10.10.0.0/33", "a CIDR" },
		{ SL_RULE_F_SRC, "10.10.0/24", "a CIDR" },
		{ SL_RULE_F_SRC, "10.10.0.0/", "a CIDR" },
		{ SL_RULE_F_SRC, "10.10.0.0/+8", "a CIDR" },
		{ SL_RULE_F_SRC, "role:", "role:NAME" },
		{ SL_RULE_F_SRC, "role:a b", "role:NAME" },
		{ SL_RULE_F_SRC, "user:nobody", "user:EMAIL" },
		{ SL_RULE_F_SRC, "user:a@b@c", "user:EMAIL" },
		{ SL_RULE_F_SRC, "vpns", "found \"vpns\"" },
		{ SL_RULE_F_DST, "lan", "found \"lan\"" },
		{ SL_RULE_F_PROTO, "sctp", "\"both\"" },
		{ SL_RULE_F_PROTO, "TCP", "found \"TCP\"" },
		{ SL_RULE_F_SPORT, "65536", "0..65535" },
		{ SL_RULE_F_DPORT, "20-10", "N-M" },
		{ SL_RULE_F_DPORT, "-5", "N-M" },
		{ SL_RULE_F_DPORT, "5-", "N-M" },
		{ SL_RULE_F_DPORT, "80,443", "found \"80,443\"" },
		{ SL_RULE_F_DPORT, " 80", "found" },
		{ SL_RULE_F_PRIORITY, "65536", "0..65535" },
		{ SL_RULE_F_PRIORITY, "-1", "0..65535" },
		{ SL_RULE_F_PRIORITY, "high", "found \"high\"" },
		{ SL_RULE_F_ACTION, "permit", "\"allow\" or \"deny\"" },
		{ SL_RULE_F_DIRECTION, "both", "\"in\"" },
		{ SL_RULE_F_ORIGIN, "api", "\"config\" or \"store\"" },
	};
	struct sl_rule r, before;
	struct sl_rule_err err;
	char line[512];

	CHECK_EQ(RULE(&r, "name=keep", "dst=10.20.0.0/24", "proto=tcp", "dport=22"), 0);
	before = r;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		snprintf(err.name, sizeof(err.name), "%s", r.name);
		if (sl_rule_set(&r, bad[i].field, bad[i].text, &err) != -1 ||
		    err.field != bad[i].field || strstr(err.msg, bad[i].in_msg) == NULL) {
			fprintf(stderr, "case %u (%s): field %d msg \"%s\"\n", i, bad[i].text,
				err.field, err.msg);
			return -1;
		}
		CHECK_MEM(&r, &before, sizeof(r));
		sl_rule_err_str(&err, line, sizeof(line));
		CHECK(strncmp(line, "rule \"keep\": ", 13) == 0);
		CHECK(strstr(line, sl_rule_field_name(bad[i].field)) != NULL);
	}
	return 0;
}

static int check_refused(const char *const *kv, int field, const char *in_msg)
{
	struct sl_rule r;
	struct sl_rule_err err;

	CHECK_EQ(rule_from(&r, kv, NULL), 0);
	memset(&err, 0, sizeof(err));
	CHECK_EQ(sl_rule_check(&r, &err), -1);
	if (err.field != field || strstr(err.msg, in_msg) == NULL) {
		fprintf(stderr, "field %d msg \"%s\"\n", err.field, err.msg);
		return -1;
	}
	return 0;
}

#define REFUSED(field, msg, ...) \
	CHECK_EQ(check_refused((const char *const[]){ __VA_ARGS__, NULL }, field, msg), 0)

static int test_rule_check(void)
{
	/* Ports only with tcp, udp, both. */
	REFUSED(SL_RULE_F_DPORT, "ports need", "name=a", "proto=icmp", "dport=22");
	REFUSED(SL_RULE_F_SPORT, "ports need", "name=a", "proto=any", "sport=1-2");
	/* Peer selectors only on the VPN side. */
	REFUSED(SL_RULE_F_DST, "LAN side of an in rule", "name=a", "dst=role:dba");
	REFUSED(SL_RULE_F_DST, "LAN side of an in rule", "name=a", "dst=vpn");
	REFUSED(SL_RULE_F_SRC, "LAN side of an out rule", "name=a", "src=user:a@b.c",
		"direction=out");
	/* IPv6 parses (the model is ready) but is not enforced yet. */
	REFUSED(SL_RULE_F_SRC, "IPv6", "name=a", "src=2001:db8::/32");
	REFUSED(SL_RULE_F_DST, "IPv6", "name=a", "dst=2001:db8::1");
	/* A rule without a name. */
	REFUSED(SL_RULE_F_NAME, "a rule name", "dst=10.0.0.0/8");
	return 0;
}

static int set_check(struct sl_rule *rules, unsigned n, struct sl_rule_err *err)
{
	struct sl_prefix pool;

	sl_prefix_parse("10.10.0.0/20", &pool);
	memset(err, 0, sizeof(*err));
	return sl_rules_check(rules, n, &pool, err);
}

static int test_set_check(void)
{
	struct sl_rule r[4];
	struct sl_rule_err err;
	char line[512];

	/* Unique names. */
	CHECK_EQ(RULE(&r[0], "name=ssh", "proto=tcp", "dport=22", "priority=10"), 0);
	CHECK_EQ(RULE(&r[1], "name=web", "proto=tcp", "dport=80", "priority=10"), 0);
	CHECK_EQ(RULE(&r[2], "name=ssh", "proto=tcp", "dport=443", "priority=20"), 0);
	CHECK_EQ(set_check(r, 3, &err), -1);
	CHECK_EQ(err.rule, 2);
	CHECK_EQ(err.field, SL_RULE_F_NAME);
	CHECK(strstr(err.msg, "rules[0]") != NULL);
	/* Same priority, disjoint ports: fine. Overlapping: both named. */
	CHECK_EQ(RULE(&r[2], "name=ssh-range", "proto=both", "dport=20-22", "priority=10"), 0);
	CHECK_EQ(set_check(r, 3, &err), -1);
	CHECK_EQ(err.field, SL_RULE_F_PRIORITY);
	sl_rule_err_str(&err, line, sizeof(line));
	CHECK(strstr(line, "\"ssh-range\"") != NULL && strstr(line, "\"ssh\"") != NULL);
	CHECK_EQ(RULE(&r[2], "name=ssh-range", "proto=udp", "dport=20-22", "priority=10"), 0);
	CHECK_EQ(set_check(r, 3, &err), 0);
	/* Port-range edges: 22 vs 22-30 overlap, 23-30 does not. */
	CHECK_EQ(RULE(&r[2], "name=e", "proto=tcp", "dport=22-30", "priority=10"), 0);
	CHECK_EQ(set_check(r, 3, &err), -1);
	CHECK_EQ(RULE(&r[2], "name=e", "proto=tcp", "dport=23-30", "priority=10"), 0);
	CHECK_EQ(set_check(r, 3, &err), 0);
	/* Other direction or other priority: no clash. */
	CHECK_EQ(RULE(&r[2], "name=e", "proto=tcp", "dport=22", "priority=10", "direction=out"), 0);
	CHECK_EQ(set_check(r, 3, &err), 0);
	/* Disjoint destinations: no clash; nested ones clash. */
	CHECK_EQ(RULE(&r[0], "name=a", "dst=10.20.0.0/24", "priority=5"), 0);
	CHECK_EQ(RULE(&r[1], "name=b", "dst=10.20.1.0/24", "priority=5"), 0);
	CHECK_EQ(RULE(&r[2], "name=c", "dst=10.20.0.128/25", "priority=5"), 0);
	CHECK_EQ(set_check(r, 2, &err), 0);
	CHECK_EQ(set_check(r, 3, &err), -1);
	CHECK_EQ(err.rule, 2);
	/* icmp and both never meet; any meets everything. */
	CHECK_EQ(RULE(&r[0], "name=a", "proto=icmp", "priority=5"), 0);
	CHECK_EQ(RULE(&r[1], "name=b", "proto=both", "priority=5"), 0);
	CHECK_EQ(set_check(r, 2, &err), 0);
	CHECK_EQ(RULE(&r[1], "name=b", "proto=any", "priority=5"), 0);
	CHECK_EQ(set_check(r, 2, &err), -1);
	/* Roles overlap (a user can hold both); two users do not; vpn vs the pool. */
	CHECK_EQ(RULE(&r[0], "name=a", "src=role:dev", "priority=5"), 0);
	CHECK_EQ(RULE(&r[1], "name=b", "src=role:dba", "priority=5"), 0);
	CHECK_EQ(set_check(r, 2, &err), -1);
	CHECK_EQ(RULE(&r[0], "name=a", "src=user:a@x.io", "priority=5"), 0);
	CHECK_EQ(RULE(&r[1], "name=b", "src=user:b@x.io", "priority=5"), 0);
	CHECK_EQ(set_check(r, 2, &err), 0);
	CHECK_EQ(RULE(&r[0], "name=a", "src=vpn", "priority=5"), 0);
	CHECK_EQ(RULE(&r[1], "name=b", "src=192.168.0.0/16", "priority=5"), 0);
	CHECK_EQ(set_check(r, 2, &err), 0);
	CHECK_EQ(RULE(&r[1], "name=b", "src=10.10.3.0/24", "priority=5"), 0);
	CHECK_EQ(set_check(r, 2, &err), -1);
	/* A bad rule inside a set is named by its index and name. */
	CHECK_EQ(RULE(&r[1], "name=b", "proto=icmp", "dport=3"), 0);
	CHECK_EQ(set_check(r, 2, &err), -1);
	CHECK_EQ(err.rule, 1);
	CHECK_STR(err.name, "b");
	CHECK_EQ(err.field, SL_RULE_F_DPORT);
	return 0;
}

/* ---- reference classifier, by hand ---- */

static int test_reference(void)
{
	struct sl_rule r[6];
	struct sl_rule_tags tags;
	struct sl_rule_ctx c = ctx_make(&tags);
	struct sl_rule_key k;
	struct sl_rule_blob *b = malloc(sl_rule_blob_size(6));

	CHECK_EQ(RULE(&r[0], "name=VPN Access to DB", "src=10.10.0.0/24", "dst=10.20.0.0/24",
		      "proto=tcp", "dport=5432", "priority=100", "action=allow"), 0);
	CHECK_EQ(RULE(&r[1], "name=no-db-host", "dst=10.20.0.9/32", "proto=both",
		      "dport=5430-5439", "priority=50", "action=deny"), 0);
	CHECK_EQ(RULE(&r[2], "name=ping", "src=vpn", "proto=icmp", "priority=200",
		      "action=allow"), 0);
	CHECK_EQ(RULE(&r[3], "name=dba", "src=role:dba", "proto=tcp", "dport=5432",
		      "priority=10", "action=allow"), 0);
	CHECK_EQ(RULE(&r[4], "name=mon", "src=10.20.0.7", "dst=user:ops@x.io",
		      "direction=out", "priority=10", "action=allow"), 0);
	CHECK_EQ(RULE(&r[5], "name=all", "priority=60000", "action=deny"), 0);
	CHECK_EQ(sl_rules_compile(r, 6, &c, 1, SL_RULE_DENY, b, NULL), 0);

	k = key4(SL_RULE_IN, 6, "10.10.0.5", "10.20.0.3", 40000, 5432);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 0);
	k.dport = 5431;		/* port edge */
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 5);
	k.dport = 5433;
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 5);
	k = key4(SL_RULE_IN, 6, "10.10.0.5", "10.20.0.9", 40000, 5432);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 1);	/* priority 50 beats 100 */
	k.proto = 17;		/* both: udp too */
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 1);
	k.dport = 5440;
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 5);
	k = key4(SL_RULE_IN, 1, "10.10.15.255", "10.20.0.9", 0, 0);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 2);	/* icmp from the pool */
	k = key4(SL_RULE_IN, 1, "10.10.16.0", "10.20.0.9", 0, 0);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 5);	/* outside the pool */
	/* The role rule follows the tag, not the address. */
	k = key4(SL_RULE_IN, 6, "10.10.3.3", "10.20.0.9", 40000, 5432);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 1);
	sl_rule_tags_peer(&tags, (const char *const[]){ "dev", "dba" }, 2, NULL, k.roles,
			  &k.user_tag);
	CHECK(k.roles[0] != 0);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 3);
	/* Out: the LAN host reaches only ops's sessions; in rules never apply. */
	k = key4(SL_RULE_OUT, 6, "10.20.0.7", "10.10.0.9", 1234, 22);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), -1);
	sl_rule_tags_peer(&tags, NULL, 0, "OPS@x.io", k.roles, &k.user_tag);
	CHECK(k.user_tag != 0);
	CHECK_EQ(sl_rules_classify(r, 6, &c, &k), 4);
	/* The compiled entries carry the numbers. */
	CHECK_EQ(b->count, 6);
	CHECK_EQ(b->entries[3].role, sl_rule_tags_role(&tags, "dba", false));
	CHECK_EQ(b->entries[4].user_tag, k.user_tag);
	CHECK_EQ(b->entries[2].src_len, 20);
	CHECK_EQ(b->entries[2].src.v4, POOL);
	CHECK_EQ(b->entries[0].role, SL_RULE_NO_ROLE);
	CHECK_STR(b->entries[0].name, "VPN Access to DB");
	free(b);
	sl_rule_tags_free(&tags);
	return 0;
}

/*
 * The model and the reference classifier already take IPv6 (only the set
 * check refuses it until the data plane classifies IPv6): prefixes of
 * either family match only addresses of their own, "*" matches both.
 */
static int test_reference_ipv6(void)
{
	struct sl_rule r[2];
	struct sl_rule_tags tags;
	struct sl_rule_ctx c = ctx_make(&tags);
	struct sl_rule_key k;
	struct sl_prefix p;

	CHECK_EQ(RULE(&r[0], "name=v6", "dst=2001:db8:20::/48", "proto=tcp", "dport=22",
		      "priority=10", "action=allow"), 0);
	CHECK_EQ(RULE(&r[1], "name=any", "proto=tcp", "priority=20"), 0);
	CHECK_EQ(sl_prefix_parse("2001:db8:21::/47", &p), -1);	/* host bits */
	CHECK_EQ(sl_prefix_parse("2001:db8:20:1::/64", &p), 0);
	CHECK_EQ(p.len, 64);
	k = key4(SL_RULE_IN, 6, "2001:db8:10::5", "2001:db8:20:1::9", 40000, 22);
	CHECK_EQ(k.dst.family, SL_AF_INET6);
	CHECK_EQ(sl_rules_classify(r, 2, &c, &k), 0);
	k.dport = 23;
	CHECK_EQ(sl_rules_classify(r, 2, &c, &k), 1);
	k = key4(SL_RULE_IN, 6, "2001:db8:10::5", "2001:db8:21::9", 40000, 22);
	CHECK_EQ(sl_rules_classify(r, 2, &c, &k), 1);
	k = key4(SL_RULE_IN, 6, "10.10.0.5", "10.20.0.9", 40000, 22);
	CHECK_EQ(sl_rules_classify(r, 2, &c, &k), 1);	/* a v6 prefix never a v4 address */
	sl_rule_tags_free(&tags);
	return 0;
}

static int test_tags(void)
{
	struct sl_rule_tags t;
	char name[32];
	uint32_t roles[2], user;

	sl_rule_tags_init(&t);
	for (int i = 0; i < SL_RULE_ROLES_MAX; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		CHECK_EQ(sl_rule_tags_role(&t, name, true), i);
	}
	CHECK_EQ(sl_rule_tags_role(&t, "one-more", true), -1);
	CHECK_EQ(sl_rule_tags_role(&t, "r7", false), 7);
	sl_rule_tags_peer(&t, (const char *const[]){ "r1", "r40", "unknown" }, 3, "x@y.z",
			  roles, &user);
	CHECK_EQ(roles[0], 2);
	CHECK_EQ(roles[1], 1u << 8);
	CHECK_EQ(user, 0);
	/* Tags stay put as users are added in any order. */
	for (int i = 999; i >= 0; i--) {
		snprintf(name, sizeof(name), "u%d@x.io", i);
		CHECK_EQ(sl_rule_tags_user(&t, name, true), 1000 - i);
	}
	CHECK_EQ(sl_rule_tags_user(&t, "U5@X.IO", false), 995);
	CHECK_EQ(sl_rule_tags_user(&t, "u5@x.io", true), 995);
	CHECK_EQ(sl_rule_tags_user(&t, "nobody@x.io", false), 0);
	sl_rule_tags_free(&t);
	return 0;
}

static int test_compile_errors(void)
{
	struct sl_rule r[SL_RULE_ROLES_MAX + 1];
	struct sl_rule_tags tags;
	struct sl_rule_ctx c = ctx_make(&tags);
	struct sl_rule_err err;
	struct sl_rule_blob *b = malloc(sl_rule_blob_size(SL_RULE_ROLES_MAX + 1));
	char kv[2][64];

	for (int i = 0; i <= SL_RULE_ROLES_MAX; i++) {
		snprintf(kv[0], sizeof(kv[0]), "name=r%d", i);
		snprintf(kv[1], sizeof(kv[1]), "src=role:role%d", i);
		CHECK_EQ(RULE(&r[i], kv[0], kv[1]), 0);
	}
	memset(&err, 0, sizeof(err));
	CHECK_EQ(sl_rules_compile(r, SL_RULE_ROLES_MAX + 1, &c, 1, SL_RULE_DENY, b, &err), -1);
	CHECK_EQ(err.rule, SL_RULE_ROLES_MAX);
	CHECK_EQ(err.field, SL_RULE_F_SRC);
	CHECK(strstr(err.msg, "64 roles") != NULL);
	/* vpn without a pool. */
	c.pool.addr.family = SL_AF_NONE;
	CHECK_EQ(RULE(&r[0], "name=v", "src=vpn"), 0);
	CHECK_EQ(sl_rules_compile(r, 1, &c, 1, SL_RULE_DENY, b, &err), -1);
	CHECK(strstr(err.msg, "pool") != NULL);
	free(b);
	sl_rule_tags_free(&tags);
	return 0;
}

/* ---- rte_acl against the reference ---- */

static struct sl_rule_blob *blob_alloc(unsigned n)
{
	return rte_zmalloc("test_blob", sl_rule_blob_size(n), 0);
}

static int test_acl_bad_blob(void)
{
	struct sl_rule_blob *b = blob_alloc(1);
	struct dp_acl *a;
	char err[128];
	int rc;

	CHECK(b != NULL);
	b->magic = 0;
	CHECK(dp_acl_build(b, 0, &rc, err, sizeof(err)) == NULL);
	CHECK_EQ(rc, -EPROTO);
	b->magic = SL_RULE_BLOB_MAGIC;
	b->version = SL_RULE_BLOB_VERSION;
	b->count = 1;
	b->entries[0] = (struct sl_rule_entry){ .src_len = 33, .src.family = SL_AF_INET,
		.role = SL_RULE_NO_ROLE, .sport_hi = 65535, .dport_hi = 65535 };
	CHECK(dp_acl_build(b, 0, &rc, err, sizeof(err)) == NULL);
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "entry 0") != NULL);
	b->entries[0].src_len = 24;
	b->entries[0].src.v4 = 0x0A0A0001u;	/* host bits */
	CHECK(dp_acl_build(b, 0, &rc, err, sizeof(err)) == NULL);
	b->entries[0].src.v4 = 0x0A0A0000u;
	b->entries[0].role = 64;
	CHECK(dp_acl_build(b, 0, &rc, err, sizeof(err)) == NULL);
	b->entries[0].role = SL_RULE_NO_ROLE;
	b->entries[0].proto = SL_RULE_ICMP;
	b->entries[0].dport_lo = 8;
	CHECK(dp_acl_build(b, 0, &rc, err, sizeof(err)) == NULL);
	b->entries[0].dport_lo = 0;
	b->entries[0].slot = SL_RULES_MAX;
	CHECK(dp_acl_build(b, 0, &rc, err, sizeof(err)) == NULL);
	b->entries[0].slot = 0;
	b->count = SL_RULES_MAX + 1;
	CHECK(dp_acl_build(b, 0, &rc, err, sizeof(err)) == NULL);
	CHECK_EQ(rc, -E2BIG);
	b->count = 1;
	a = dp_acl_build(b, 0, &rc, err, sizeof(err));
	CHECK(a != NULL);
	dp_acl_free(a);		/* and the blob with it */
	return 0;
}

static void rnd_ports(struct sl_rule *r, uint16_t *lo, uint16_t *hi)
{
	static const uint16_t edge[] = { 0, 1, 22, 53, 80, 443, 1023, 1024, 5432, 65534, 65535 };
	uint16_t a = edge[rnd_below(11)], b = rnd_below(2) ? edge[rnd_below(11)] :
						(uint16_t)rnd_below(2000);

	(void)r;
	switch (rnd_below(3)) {
	case 0: *lo = 0; *hi = 65535; break;
	case 1: *lo = *hi = a; break;
	default: *lo = a < b ? a : b; *hi = a < b ? b : a;
	}
}

static void rnd_cidr(struct sl_rule_end *e, uint32_t base, unsigned minlen)
{
	e->kind = SL_END_CIDR;
	e->prefix.len = (uint8_t)(minlen + rnd_below(33 - minlen));
	e->prefix.addr = sl_addr_v4(base | (rnd() & 0xFFFF));
	e->prefix.addr.v4 &= e->prefix.len == 0 ? 0 : ~0u << (32 - e->prefix.len);
	if (!narrow && rnd_below(10) == 0)
		memset(&e->prefix, 0, sizeof(e->prefix));	/* any */
}

static void rnd_vpn_end(struct sl_rule_end *e)
{
	unsigned k = rnd_below(20);

	memset(e, 0, sizeof(*e));
	if (k < 6 || (narrow && k >= 16))
		rnd_cidr(e, POOL, narrow ? 22 : 16);
	else if (k < 9)
		e->kind = SL_END_VPN;
	else if (k < 13) {
		e->kind = SL_END_ROLE;
		snprintf(e->ident, sizeof(e->ident), "role%u", rnd_below(10));
	} else if (k < 16) {
		e->kind = SL_END_USER;
		snprintf(e->ident, sizeof(e->ident), "u%u@x.io", rnd_below(20));
	}	/* else any */
}

static void rnd_rule(struct sl_rule *r, unsigned i, unsigned n)
{
	struct sl_rule_end *vpn, *lan;

	sl_rule_init(r);
	snprintf(r->name, sizeof(r->name), "r%u", i);
	r->direction = rnd_below(5) == 0 ? SL_RULE_OUT : SL_RULE_IN;
	vpn = r->direction == SL_RULE_IN ? &r->src : &r->dst;
	lan = r->direction == SL_RULE_IN ? &r->dst : &r->src;
	rnd_vpn_end(vpn);
	rnd_cidr(lan, LAN, narrow ? 20 : 8);
	r->proto = (uint8_t)rnd_below(5);
	if (narrow && r->proto == SL_RULE_ANY)
		r->proto = SL_RULE_ICMP;
	if (r->proto == SL_RULE_TCP || r->proto == SL_RULE_UDP || r->proto == SL_RULE_BOTH) {
		rnd_ports(r, &r->sport_lo, &r->sport_hi);
		if (no_sport || rnd_below(2))
			r->sport_lo = 0, r->sport_hi = 65535;
		rnd_ports(r, &r->dport_lo, &r->dport_hi);
	}
	/* Ties on purpose: equal priorities fall back to the list order. */
	r->priority = rnd_below(n / 2 + 1);
	r->action = (uint8_t)rnd_below(2);
}

/* An address inside P (random host bits), or anywhere near BASE. */
static struct sl_addr rnd_in(const struct sl_prefix *p, uint32_t base)
{
	uint32_t host = rnd();

	if (p == NULL || p->addr.family == SL_AF_NONE || rnd_below(8) == 0)
		return sl_addr_v4(base | (rnd() & 0xFFFF));
	if (p->len == 32)
		return p->addr;
	return sl_addr_v4(p->addr.v4 | (host & (~0u >> p->len)));
}

static uint16_t rnd_port_near(uint16_t lo, uint16_t hi)
{
	switch (rnd_below(5)) {
	case 0: return (uint16_t)(lo - 1);	/* edges, wrapping at 0 / 65535 */
	case 1: return lo;
	case 2: return hi;
	case 3: return (uint16_t)(hi + 1);
	default: return (uint16_t)(lo + rnd_below((uint32_t)hi - lo + 1));
	}
}

/* A packet aimed at rule R (or at nothing in particular when R is NULL). */
static void rnd_packet(const struct sl_rule *r, const struct sl_rule_ctx *c, struct sl_rule_key *k)
{
	static const uint8_t protos[] = { 1, 6, 17, 47 };
	const struct sl_rule_end *vpn_e, *lan_e;
	const struct sl_prefix *vp = NULL;

	memset(k, 0, sizeof(*k));
	k->direction = (uint8_t)(r != NULL ? r->direction : rnd_below(2));
	k->proto = protos[rnd_below(4)];
	k->roles[0] = narrow ? 0 : rnd() & rnd();
	k->roles[1] = narrow ? 0 : rnd() & rnd();
	k->user_tag = rnd_below(25);
	vpn_e = r == NULL ? NULL : (k->direction == SL_RULE_IN ? &r->src : &r->dst);
	lan_e = r == NULL ? NULL : (k->direction == SL_RULE_IN ? &r->dst : &r->src);
	if (r != NULL) {
		if (r->proto == SL_RULE_TCP || (r->proto == SL_RULE_BOTH && rnd_below(2)))
			k->proto = 6;
		else if (r->proto == SL_RULE_UDP || r->proto == SL_RULE_BOTH)
			k->proto = 17;
		else if (r->proto == SL_RULE_ICMP)
			k->proto = 1;
		if (vpn_e->kind == SL_END_CIDR)
			vp = &vpn_e->prefix;
		else if (vpn_e->kind == SL_END_VPN)
			vp = &c->pool;
		else if (vpn_e->kind == SL_END_ROLE && rnd_below(4) != 0) {
			int id = sl_rule_tags_role(c->tags, vpn_e->ident, false);

			k->roles[id / 32] |= 1u << (id % 32);
		} else if (vpn_e->kind == SL_END_USER && rnd_below(4) != 0) {
			k->user_tag = sl_rule_tags_user(c->tags, vpn_e->ident, false);
			/* A tag past 16 bits whose low half is the rule's: dp_acl
			 * keys it 0 and must not match (the reference never does). */
			if (rnd_below(8) == 0)
				k->user_tag |= 1u << (16 + rnd_below(16));
		}
	}
	if (k->direction == SL_RULE_IN) {
		k->src = rnd_in(vp, POOL);
		k->dst = rnd_in(lan_e != NULL ? &lan_e->prefix : NULL, LAN);
	} else {
		k->src = rnd_in(lan_e != NULL ? &lan_e->prefix : NULL, LAN);
		k->dst = rnd_in(vp, POOL);
	}
	if (k->proto == 6 || k->proto == 17) {
		k->sport = r != NULL ? rnd_port_near(r->sport_lo, r->sport_hi) : (uint16_t)rnd();
		k->dport = r != NULL ? rnd_port_near(r->dport_lo, r->dport_hi) : (uint16_t)rnd();
	}
}

static void to_acl_key(const struct sl_rule_key *k, struct dp_acl_key *a)
{
	dp_acl_key_set(a, k->proto, htonl(k->src.v4), htonl(k->dst.v4), k->sport, k->dport,
		       k->roles, k->user_tag);
}

#define BURST 64

/* N random rules, PKTS random packets: rte_acl and the loop agree on every one. */
static int compare_random(unsigned n, unsigned pkts, uint64_t seed)
{
	struct sl_rule *rules = calloc(n, sizeof(*rules));
	struct sl_rule_blob *b = blob_alloc(n);
	struct sl_rule_tags tags;
	struct sl_rule_ctx c = ctx_make(&tags);
	struct sl_rule_err err;
	struct dp_acl *a;
	unsigned matched = 0, hits_default = 0;
	char msg[128];
	int rc;

	rng_state = seed;
	narrow = n > 100;
	CHECK(rules != NULL && b != NULL);
	for (unsigned i = 0; i < n; i++)
		rnd_rule(&rules[i], i, n);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(sl_rule_check(&rules[i], &err), 0);
	CHECK_EQ(sl_rules_compile(rules, n, &c, 7, SL_RULE_DENY, b, &err), 0);
	a = dp_acl_build(b, 0, &rc, msg, sizeof(msg));
	if (a == NULL)
		fprintf(stderr, "build: %s (%d)\n", msg, rc);
	CHECK(a != NULL);
	CHECK_EQ(a->generation, 7);
	for (unsigned done = 0; done < pkts; done += BURST) {
		struct sl_rule_key k[BURST];
		struct dp_acl_key ak[BURST];
		const struct dp_acl_key *kp[BURST];
		uint32_t res[BURST];
		unsigned dir = rnd_below(2), cnt = 0;

		/* One direction per burst, as the stage classifies. */
		while (cnt < BURST) {
			const struct sl_rule *target = rnd_below(4) ? &rules[rnd_below(n)] : NULL;

			rnd_packet(target, &c, &k[cnt]);
			if (k[cnt].direction != dir)
				continue;
			to_acl_key(&k[cnt], &ak[cnt]);
			kp[cnt] = &ak[cnt];
			cnt++;
		}
		CHECK_EQ(dp_acl_classify(a, dir, kp, res, cnt), 0);
		for (unsigned i = 0; i < cnt; i++) {
			int want = sl_rules_classify(rules, n, &c, &k[i]);

			if ((int)res[i] - 1 != want) {
				char s[SL_ADDR_STRLEN], d[SL_ADDR_STRLEN];

				fprintf(stderr, "n=%u pkt %u: dir %u proto %u %s:%u -> %s:%u roles "
					"%08x%08x user %u: acl %d, reference %d\n", n, done + i,
					dir, k[i].proto, sl_addr_str(&k[i].src, s, sizeof(s)),
					k[i].sport, sl_addr_str(&k[i].dst, d, sizeof(d)),
					k[i].dport, k[i].roles[1], k[i].roles[0], k[i].user_tag,
					(int)res[i] - 1, want);
				return -1;
			}
			if (want < 0)
				hits_default++;
			else
				matched++;
			CHECK_EQ(dp_acl_verdict(a, res[i])->action,
				 want < 0 ? SL_RULE_DENY : rules[want].action);
		}
	}
	/* The packets must exercise both outcomes, or the test proves little. */
	printf("rules: %u rules: %u packets decided by a rule, %u by the default\n", n,
	       matched, hits_default);
	CHECK(matched > pkts / 10);
	CHECK(hits_default > 0);
	dp_acl_free(a);
	sl_rule_tags_free(&tags);
	free(rules);
	return 0;
}

static int test_random_10(void)
{
	for (uint64_t seed = 1; seed <= 20; seed++)
		CHECK_EQ(compare_random(10, 100000 / 20, seed * 0x1234567ull), 0);
	return compare_random(10, 100000, 42);
}

static int test_random_1k(void)
{
	return compare_random(1000, 100000, 4242);
}

/* Sets without source ports: dp_acl walks dport and the user tag in one
 * 4-byte group (dataplane/dp_acl.h), the other sets a 4-byte user field. */
static int test_random_no_sport(void)
{
	int rc = 0;

	no_sport = 1;
	for (uint64_t seed = 1; seed <= 20 && rc == 0; seed++)
		rc = compare_random(10, 100000 / 20, seed * 0x7654321ull);
	if (rc == 0)
		rc = compare_random(1000, 100000, 4343);
	no_sport = 0;
	return rc;
}

/* A set with rules of one direction only answers default for the other. */
static int test_acl_one_direction(void)
{
	struct sl_rule r;
	struct sl_rule_blob *b = blob_alloc(1);
	struct sl_rule_tags tags;
	struct sl_rule_ctx c = ctx_make(&tags);
	struct sl_rule_key k = key4(SL_RULE_OUT, 6, "10.20.0.1", "10.10.0.1", 1, 22);
	struct dp_acl_key ak;
	const struct dp_acl_key *kp = &ak;
	struct dp_acl *a;
	uint32_t res = 99;
	int rc;

	CHECK_EQ(RULE(&r, "name=ssh", "proto=tcp", "dport=22", "action=allow"), 0);
	CHECK_EQ(sl_rules_compile(&r, 1, &c, 1, SL_RULE_ALLOW, b, NULL), 0);
	a = dp_acl_build(b, 0, &rc, NULL, 0);
	CHECK(a != NULL);
	to_acl_key(&k, &ak);
	CHECK_EQ(dp_acl_classify(a, SL_RULE_OUT, &kp, &res, 1), 0);
	CHECK_EQ(res, 0);
	CHECK_EQ(dp_acl_verdict(a, res)->action, SL_RULE_ALLOW);	/* the default */
	CHECK(dp_acl_entry(a, res) == NULL);
	CHECK_EQ(dp_acl_classify(a, SL_RULE_IN, &kp, &res, 1), 0);
	CHECK_EQ(res, 1);
	CHECK_STR(dp_acl_entry(a, res)->name, "ssh");
	CHECK_EQ(dp_acl_classify(a, 2, &kp, &res, 1), -EINVAL);
	dp_acl_free(a);
	sl_rule_tags_free(&tags);
	return 0;
}

static const struct sl_test_case cases[] = {
	{ "parse every field", test_parse_fields },
	{ "every bad field named", test_bad_fields },
	{ "one rule's fields together", test_rule_check },
	{ "set: names, same-priority overlaps", test_set_check },
	{ "reference classifier by hand", test_reference },
	{ "reference classifier: IPv6 ready", test_reference_ipv6 },
	{ "role ids and user tags", test_tags },
	{ "compile errors", test_compile_errors },
	{ "rte_acl refuses bad blobs", test_acl_bad_blob },
	{ "rte_acl one direction, default", test_acl_one_direction },
	{ "rte_acl == reference, 10 rules", test_random_10 },
	{ "rte_acl == reference, 1k rules", test_random_1k },
	{ "rte_acl == reference, no source ports", test_random_no_sport },
	{ NULL, NULL }
};

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=error", "-l", "0", NULL };
	int rc;

	(void)argc;
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "rules: EAL init failed\n");
		return 1;
	}
	rc = sl_test_run("rules", cases);
	rte_eal_cleanup();
	return rc;
}
