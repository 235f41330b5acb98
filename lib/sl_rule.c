/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access rules: parsing, validation, names to numbers, the compiler to
 * struct sl_rule_entry and the reference classifier (lib/sl_rule.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_addr.h"
#include "sl_rule.h"

static const char *const field_names[SL_RULE_F_COUNT] = {
#define SL_X_(e, s) [SL_RULE_F_##e] = s,
	SL_RULE_FIELDS(SL_X_)
#undef SL_X_
};

static const char *const proto_names[] = {
	[SL_RULE_ANY] = "any", [SL_RULE_TCP] = "tcp", [SL_RULE_UDP] = "udp",
	[SL_RULE_BOTH] = "both", [SL_RULE_ICMP] = "icmp",
};
static const char *const action_names[] = { [SL_RULE_DENY] = "deny", [SL_RULE_ALLOW] = "allow" };
static const char *const dir_names[] = { [SL_RULE_IN] = "in", [SL_RULE_OUT] = "out" };
static const char *const origin_names[] = { [SL_RULE_CONFIG] = "config", [SL_RULE_STORE] = "store" };

#define N_OF(a)	(sizeof(a) / sizeof((a)[0]))

const char *sl_rule_field_name(int field)
{
	return field >= 0 && field < SL_RULE_F_COUNT ? field_names[field] : NULL;
}

int sl_rule_field_find(const char *name)
{
	if (strcmp(name, "src_port") == 0)
		return SL_RULE_F_SPORT;
	if (strcmp(name, "dst_port") == 0)
		return SL_RULE_F_DPORT;
	for (int i = 0; i < SL_RULE_F_COUNT; i++)
		if (strcmp(field_names[i], name) == 0)
			return i;
	return -1;
}

void sl_rule_init(struct sl_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->proto = SL_RULE_ANY;
	r->sport_hi = r->dport_hi = 65535;
	r->priority = 1000;
	r->action = SL_RULE_DENY;
	r->direction = SL_RULE_IN;
	r->origin = SL_RULE_CONFIG;
}

/* ---- errors ---- */

/*
 * TEXT as it may appear in a message: quoted, printable ASCII only (others
 * become '?'), cut at 48 characters. User input reaches logs through here.
 */
static const char *quoted(const char *text, char *buf, size_t len)
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; text[i] != '\0' && i < 48 && o + 5 < len; i++) {
		unsigned char c = (unsigned char)text[i];

		buf[o++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
	}
	if (text[i] != '\0' && o + 5 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct sl_rule_err *err, int field, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* "expected WHAT, found TEXT" for FIELD. */
static int bad(struct sl_rule_err *err, int field, const char *what, const char *text)
{
	char q[64];

	return fail(err, field, "expected %s, found %s", what, quoted(text, q, sizeof(q)));
}

static void err_rule(struct sl_rule_err *err, unsigned i, const struct sl_rule *r)
{
	if (err == NULL)
		return;
	err->rule = i;
	snprintf(err->name, sizeof(err->name), "%s", r->name);
}

const char *sl_rule_err_str(const struct sl_rule_err *e, char *buf, size_t len)
{
	const char *f = sl_rule_field_name(e->field);
	char q[64];

	if (e->name[0] != '\0')
		snprintf(buf, len, "rule %s: %s: %s", quoted(e->name, q, sizeof(q)),
			 f != NULL ? f : "?", e->msg);
	else
		snprintf(buf, len, "rules[%u]: %s: %s", e->rule, f != NULL ? f : "?", e->msg);
	return buf;
}

/* ---- value parsers ---- */

/* An unsigned decimal with nothing around it, <= MAX. */
static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return (errno != 0 || *end != '\0' || *v > max) ? -1 : 0;
}

static void prefix_mask(struct sl_prefix *p)
{
	if (p->addr.family == SL_AF_INET) {
		p->addr.v4 &= p->len == 0 ? 0 : ~0u << (32 - p->len);
		return;
	}
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = p->len > i * 8 ? p->len - i * 8 : 0;

		if (keep < 8)
			p->addr.v6[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int sl_prefix_parse(const char *s, struct sl_prefix *p)
{
	char a[64];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	struct sl_prefix q;

	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	memset(&q, 0, sizeof(q));
	if (inet_pton(AF_INET, a, &q.addr.v4) == 1) {
		q.addr.family = SL_AF_INET;
		q.addr.v4 = ntohl(q.addr.v4);
		len = 32;
	} else if (inet_pton(AF_INET6, a, q.addr.v6) == 1) {
		q.addr.family = SL_AF_INET6;
		len = 128;
	} else {
		return -1;
	}
	if (slash != NULL && parse_uint(slash + 1, len, &len) != 0)
		return -1;
	q.len = (uint8_t)len;
	/* Host bits must be zero: "10.10.0.5/24" is a typo, not a subnet. */
	*p = q;
	prefix_mask(&q);
	if (!sl_addr_eq(&q.addr, &p->addr))
		return -1;
	return 0;
}

bool sl_prefix_contains(const struct sl_prefix *p, const struct sl_addr *a)
{
	struct sl_prefix m;

	if (p->addr.family == SL_AF_NONE || p->len == 0)
		return p->addr.family == SL_AF_NONE || p->addr.family == a->family;
	if (p->addr.family != a->family)
		return false;
	m.addr = *a;
	m.len = p->len;
	prefix_mask(&m);
	return sl_addr_eq(&m.addr, &p->addr);
}

/* Two prefixes share an address (one contains the other). */
static bool prefix_overlap(const struct sl_prefix *a, const struct sl_prefix *b)
{
	if (a->addr.family == SL_AF_NONE || b->addr.family == SL_AF_NONE)
		return true;
	return a->len <= b->len ? sl_prefix_contains(a, &b->addr) : sl_prefix_contains(b, &a->addr);
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SL_RULE_NAME_MAX || !isalnum((unsigned char)s[0]) || s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(" -_.:/()@+", s[i]) == NULL)
			return 0;
	return 1;
}

static int role_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SL_RULE_IDENT_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("-_.", s[i]) == NULL)
			return 0;
	return 1;
}

/* local@domain, one '@', the characters RFC 5322's dot-atom allows. */
static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n >= SL_RULE_IDENT_MAX || at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	for (const char *c = s; c < at; c++)
		if (!isalnum((unsigned char)*c) && strchr(".!#$%&'*+/=?^_`{|}~-", *c) == NULL)
			return 0;
	for (const char *c = at + 1; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && strchr(".-", *c) == NULL)
			return 0;
	return 1;
}

static int printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n >= max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int parse_end(const char *s, struct sl_rule_end *e)
{
	memset(e, 0, sizeof(*e));
	if (s[0] == '\0' || strcmp(s, "*") == 0 || strcmp(s, "any") == 0)
		return 0;
	if (strcmp(s, "vpn") == 0) {
		e->kind = SL_END_VPN;
		return 0;
	}
	if (strncmp(s, "role:", 5) == 0) {
		if (!role_ok(s + 5))
			return -1;
		e->kind = SL_END_ROLE;
		snprintf(e->ident, sizeof(e->ident), "%s", s + 5);
		return 0;
	}
	if (strncmp(s, "user:", 5) == 0) {
		if (!email_ok(s + 5))
			return -1;
		e->kind = SL_END_USER;
		for (size_t i = 0; s[5 + i] != '\0'; i++)
			e->ident[i] = (char)tolower((unsigned char)s[5 + i]);
		return 0;
	}
	e->kind = SL_END_CIDR;
	return sl_prefix_parse(s, &e->prefix);
}

static int parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	char a[8];
	const char *dash = strchr(s, '-');
	unsigned long l, h;

	if (strcmp(s, "*") == 0) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	if (dash == NULL) {
		if (parse_uint(s, 65535, &l) != 0)
			return -1;
		h = l;
	} else {
		if ((size_t)(dash - s) >= sizeof(a) || dash == s)
			return -1;
		memcpy(a, s, (size_t)(dash - s));
		a[dash - s] = '\0';
		if (parse_uint(a, 65535, &l) != 0 || parse_uint(dash + 1, 65535, &h) != 0 || l > h)
			return -1;
	}
	*lo = (uint16_t)l;
	*hi = (uint16_t)h;
	return 0;
}

/* Index of S in NAMES (N of them), or -1. */
static int lookup(const char *const *names, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

#define PORT_WHAT	"\"*\", a port \"N\" or a range \"N-M\" (0..65535)"
#define END_WHAT	"a CIDR like \"10.20.0.0/24\", \"*\", \"vpn\", \"role:NAME\" or \"user:EMAIL\""

int sl_rule_set(struct sl_rule *r, int field, const char *text, struct sl_rule_err *err)
{
	unsigned long v;
	int i;

	switch (field) {
	case SL_RULE_F_NAME:
		if (!name_ok(text))
			return bad(err, field, "a name of 1..63 letters, digits, spaces or "
				   "-_.:/()@+ starting with a letter or digit", text);
		snprintf(r->name, sizeof(r->name), "%s", text);
		return 0;
	case SL_RULE_F_DESCRIPTION:
		if (!printable(text, SL_RULE_DESC_MAX))
			return bad(err, field, "printable ASCII text of at most 255 characters", text);
		snprintf(r->description, sizeof(r->description), "%s", text);
		return 0;
	case SL_RULE_F_SRC:
	case SL_RULE_F_DST: {
		struct sl_rule_end e;

		if (parse_end(text, &e) != 0)
			return bad(err, field, END_WHAT " (host bits zero)", text);
		*(field == SL_RULE_F_SRC ? &r->src : &r->dst) = e;
		return 0;
	}
	case SL_RULE_F_PROTO:
		if ((i = lookup(proto_names, N_OF(proto_names), text)) < 0)
			return bad(err, field, "\"tcp\", \"udp\", \"both\", \"icmp\" or \"any\"", text);
		r->proto = (uint8_t)i;
		return 0;
	case SL_RULE_F_SPORT:
		return parse_ports(text, &r->sport_lo, &r->sport_hi) == 0 ? 0 :
			bad(err, field, PORT_WHAT, text);
	case SL_RULE_F_DPORT:
		return parse_ports(text, &r->dport_lo, &r->dport_hi) == 0 ? 0 :
			bad(err, field, PORT_WHAT, text);
	case SL_RULE_F_PRIORITY:
		if (parse_uint(text, SL_RULE_PRIORITY_MAX, &v) != 0)
			return bad(err, field, "a priority 0..65535 (lower wins)", text);
		r->priority = (uint32_t)v;
		return 0;
	case SL_RULE_F_ACTION:
		if ((i = lookup(action_names, N_OF(action_names), text)) < 0)
			return bad(err, field, "\"allow\" or \"deny\"", text);
		r->action = (uint8_t)i;
		return 0;
	case SL_RULE_F_DIRECTION:
		if ((i = lookup(dir_names, N_OF(dir_names), text)) < 0)
			return bad(err, field, "\"in\" (VPN user -> LAN) or \"out\" (LAN -> VPN user)",
				   text);
		r->direction = (uint8_t)i;
		return 0;
	case SL_RULE_F_ORIGIN:
		if ((i = lookup(origin_names, N_OF(origin_names), text)) < 0)
			return bad(err, field, "\"config\" or \"store\"", text);
		r->origin = (uint8_t)i;
		return 0;
	}
	return fail(err, SL_RULE_F_NAME, "no rule field %d", field);
}

static const char *end_str(const struct sl_rule_end *e, char *buf, size_t len)
{
	char a[SL_ADDR_STRLEN];

	switch (e->kind) {
	case SL_END_VPN:
		snprintf(buf, len, "vpn");
		break;
	case SL_END_ROLE:
		snprintf(buf, len, "role:%s", e->ident);
		break;
	case SL_END_USER:
		snprintf(buf, len, "user:%s", e->ident);
		break;
	default:
		if (e->prefix.addr.family == SL_AF_NONE)
			snprintf(buf, len, "*");
		else
			snprintf(buf, len, "%s/%u", sl_addr_str(&e->prefix.addr, a, sizeof(a)),
				 e->prefix.len);
	}
	return buf;
}

static const char *ports_str(uint16_t lo, uint16_t hi, char *buf, size_t len)
{
	if (lo == 0 && hi == 65535)
		snprintf(buf, len, "*");
	else if (lo == hi)
		snprintf(buf, len, "%u", lo);
	else
		snprintf(buf, len, "%u-%u", lo, hi);
	return buf;
}

static const char *name_of(const char *const *names, unsigned n, unsigned v)
{
	return v < n && names[v] != NULL ? names[v] : "?";
}

const char *sl_rule_get(const struct sl_rule *r, int field, char *buf, size_t len)
{
	buf[0] = '\0';
	switch (field) {
	case SL_RULE_F_NAME: snprintf(buf, len, "%s", r->name); break;
	case SL_RULE_F_DESCRIPTION: snprintf(buf, len, "%s", r->description); break;
	case SL_RULE_F_SRC: return end_str(&r->src, buf, len);
	case SL_RULE_F_DST: return end_str(&r->dst, buf, len);
	case SL_RULE_F_PROTO:
		snprintf(buf, len, "%s", name_of(proto_names, N_OF(proto_names), r->proto));
		break;
	case SL_RULE_F_SPORT: return ports_str(r->sport_lo, r->sport_hi, buf, len);
	case SL_RULE_F_DPORT: return ports_str(r->dport_lo, r->dport_hi, buf, len);
	case SL_RULE_F_PRIORITY: snprintf(buf, len, "%u", r->priority); break;
	case SL_RULE_F_ACTION:
		snprintf(buf, len, "%s", name_of(action_names, N_OF(action_names), r->action));
		break;
	case SL_RULE_F_DIRECTION:
		snprintf(buf, len, "%s", name_of(dir_names, N_OF(dir_names), r->direction));
		break;
	case SL_RULE_F_ORIGIN:
		snprintf(buf, len, "%s", name_of(origin_names, N_OF(origin_names), r->origin));
		break;
	}
	return buf;
}

/* ---- checks ---- */

static bool ported(uint8_t proto)
{
	return proto == SL_RULE_TCP || proto == SL_RULE_UDP || proto == SL_RULE_BOTH;
}

static bool all_ports(uint16_t lo, uint16_t hi)
{
	return lo == 0 && hi == 65535;
}

/* vpn, role: and user: name a VPN peer: only on the rule's VPN side. */
static bool end_ok(const struct sl_rule_end *e, bool vpn_side)
{
	return e->kind == SL_END_CIDR || vpn_side;
}

int sl_rule_check(const struct sl_rule *r, struct sl_rule_err *err)
{
	bool in = r->direction == SL_RULE_IN;
	char q[SL_RULE_IDENT_MAX + 8];

	if (!name_ok(r->name))
		return bad(err, SL_RULE_F_NAME, "a rule name (1..63 letters, digits, spaces or "
			   "-_.:/()@+ starting with a letter or digit)", r->name);
	if (r->proto >= N_OF(proto_names))
		return fail(err, SL_RULE_F_PROTO, "expected a protocol, found %u", r->proto);
	if (r->action >= N_OF(action_names))
		return fail(err, SL_RULE_F_ACTION, "expected an action, found %u", r->action);
	if (r->direction >= N_OF(dir_names))
		return fail(err, SL_RULE_F_DIRECTION, "expected a direction, found %u",
			    r->direction);
	if (r->priority > SL_RULE_PRIORITY_MAX)
		return fail(err, SL_RULE_F_PRIORITY, "expected a priority 0..65535, found %u",
			    r->priority);
	if (!end_ok(&r->src, in))
		return fail(err, SL_RULE_F_SRC, "expected a CIDR or \"*\" (the LAN side of an out "
			    "rule; vpn, role: and user: go in dst), found \"%s\"",
			    end_str(&r->src, q, sizeof(q)));
	if (!end_ok(&r->dst, !in))
		return fail(err, SL_RULE_F_DST, "expected a CIDR or \"*\" (the LAN side of an in "
			    "rule; vpn, role: and user: go in src), found \"%s\"",
			    end_str(&r->dst, q, sizeof(q)));
	for (int f = SL_RULE_F_SRC; f <= SL_RULE_F_DST; f++) {
		const struct sl_rule_end *e = f == SL_RULE_F_SRC ? &r->src : &r->dst;

		if (e->kind == SL_END_CIDR && e->prefix.addr.family == SL_AF_INET6)
			return fail(err, f, "expected an IPv4 CIDR (IPv6 rules are not enforced "
				    "yet), found \"%s\"", end_str(e, q, sizeof(q)));
	}
	if (!ported(r->proto) && !all_ports(r->sport_lo, r->sport_hi))
		return fail(err, SL_RULE_F_SPORT, "expected \"*\" with proto \"%s\" (ports need "
			    "tcp, udp or both), found \"%s\"", proto_names[r->proto],
			    ports_str(r->sport_lo, r->sport_hi, q, sizeof(q)));
	if (!ported(r->proto) && !all_ports(r->dport_lo, r->dport_hi))
		return fail(err, SL_RULE_F_DPORT, "expected \"*\" with proto \"%s\" (ports need "
			    "tcp, udp or both), found \"%s\"", proto_names[r->proto],
			    ports_str(r->dport_lo, r->dport_hi, q, sizeof(q)));
	if (r->sport_lo > r->sport_hi)
		return fail(err, SL_RULE_F_SPORT, "expected lo <= hi, found %u-%u",
			    r->sport_lo, r->sport_hi);
	if (r->dport_lo > r->dport_hi)
		return fail(err, SL_RULE_F_DPORT, "expected lo <= hi, found %u-%u",
			    r->dport_lo, r->dport_hi);
	return 0;
}

/* The prefix an end matches by address, or NULL (a role or user: any address). */
static const struct sl_prefix *end_prefix(const struct sl_rule_end *e, const struct sl_prefix *pool)
{
	static const struct sl_prefix any;

	switch (e->kind) {
	case SL_END_CIDR: return &e->prefix;
	case SL_END_VPN: return pool != NULL ? pool : &any;
	default: return NULL;
	}
}

static bool ends_overlap(const struct sl_rule_end *a, const struct sl_rule_end *b,
			 const struct sl_prefix *pool)
{
	const struct sl_prefix *pa = end_prefix(a, pool), *pb = end_prefix(b, pool);

	if (a->kind == SL_END_USER && b->kind == SL_END_USER)
		return strcmp(a->ident, b->ident) == 0;
	/* A role's or user's sessions can have any address, hold any role. */
	if (pa == NULL || pb == NULL)
		return true;
	return prefix_overlap(pa, pb);
}

static bool protos_overlap(uint8_t a, uint8_t b)
{
	if (a == SL_RULE_ANY || b == SL_RULE_ANY || a == b)
		return true;
	if (a == SL_RULE_BOTH || b == SL_RULE_BOTH)
		return (a == SL_RULE_BOTH ? b : a) != SL_RULE_ICMP;
	return false;
}

static bool ranges_overlap(uint16_t alo, uint16_t ahi, uint16_t blo, uint16_t bhi)
{
	return alo <= bhi && blo <= ahi;
}

/* Can A and B match one packet? (Priority aside.) */
static bool rules_overlap(const struct sl_rule *a, const struct sl_rule *b,
			  const struct sl_prefix *pool)
{
	return a->direction == b->direction && protos_overlap(a->proto, b->proto) &&
	       ranges_overlap(a->sport_lo, a->sport_hi, b->sport_lo, b->sport_hi) &&
	       ranges_overlap(a->dport_lo, a->dport_hi, b->dport_lo, b->dport_hi) &&
	       ends_overlap(&a->src, &b->src, pool) && ends_overlap(&a->dst, &b->dst, pool);
}

/* qsort_r() orders of rule indexes; ARG is the rules. */
static int by_name(const void *a, const void *b, void *arg)
{
	const struct sl_rule *sort_rules = arg;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	int c = strcmp(sort_rules[x].name, sort_rules[y].name);

	return c != 0 ? c : (x > y) - (x < y);
}

static int by_dir_priority(const void *a, const void *b, void *arg)
{
	const struct sl_rule *sort_rules = arg;
	const struct sl_rule *x = &sort_rules[*(const unsigned *)a];
	const struct sl_rule *y = &sort_rules[*(const unsigned *)b];

	if (x->direction != y->direction)
		return x->direction - y->direction;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return (*(const unsigned *)a > *(const unsigned *)b) -
	       (*(const unsigned *)a < *(const unsigned *)b);
}

/* Later of I and J (the one the error names), the other in the message. */
static int pair_fail(const struct sl_rule *rules, unsigned i, unsigned j, int field,
		     const char *what, struct sl_rule_err *err)
{
	unsigned later = i > j ? i : j, earlier = i > j ? j : i;
	char q[64], v[32];

	err_rule(err, later, &rules[later]);
	if (field == SL_RULE_F_NAME)
		return fail(err, field, "expected a name not used by rules[%u], found %s",
			    earlier, quoted(rules[later].name, q, sizeof(q)));
	snprintf(v, sizeof(v), "%u", rules[later].priority);
	return fail(err, field, "expected a priority other than %s: rule %s has it and %s",
		    v, quoted(rules[earlier].name, q, sizeof(q)), what);
}

int sl_rules_check(const struct sl_rule *rules, unsigned n, const struct sl_prefix *pool,
		   struct sl_rule_err *err)
{
	unsigned *idx;
	int rc = 0;

	for (unsigned i = 0; i < n; i++)
		if (sl_rule_check(&rules[i], err) != 0) {
			err_rule(err, i, &rules[i]);
			return -1;
		}
	if (n > SL_RULES_MAX) {
		err_rule(err, SL_RULES_MAX, &rules[SL_RULES_MAX]);
		return fail(err, SL_RULE_F_NAME, "expected at most %u rules, found %u",
			    SL_RULES_MAX, n);
	}
	if (n < 2)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (idx == NULL) {
		err_rule(err, 0, &rules[0]);
		return fail(err, SL_RULE_F_NAME, "expected memory for %u rules, found none", n);
	}
	for (unsigned i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), by_name, (void *)(uintptr_t)rules);
	for (unsigned i = 1; i < n && rc == 0; i++)
		if (strcmp(rules[idx[i - 1]].name, rules[idx[i]].name) == 0)
			rc = pair_fail(rules, idx[i - 1], idx[i], SL_RULE_F_NAME, NULL, err);
	/* Overlaps only matter within one direction and priority: sort, then
	 * compare pairs inside each run. */
	qsort_r(idx, n, sizeof(*idx), by_dir_priority, (void *)(uintptr_t)rules);
	for (unsigned s = 0, e; s < n && rc == 0; s = e) {
		const struct sl_rule *rs = &rules[idx[s]];

		for (e = s + 1; e < n && rules[idx[e]].direction == rs->direction &&
		     rules[idx[e]].priority == rs->priority; e++)
			;
		for (unsigned i = s; i < e && rc == 0; i++)
			for (unsigned j = i + 1; j < e && rc == 0; j++)
				if (rules_overlap(&rules[idx[i]], &rules[idx[j]], pool))
					rc = pair_fail(rules, idx[i], idx[j], SL_RULE_F_PRIORITY,
						       "both can match the same packet", err);
	}
	free(idx);
	return rc;
}

/* ---- role ids and user tags ---- */

void sl_rule_tags_init(struct sl_rule_tags *t)
{
	memset(t, 0, sizeof(*t));
}

void sl_rule_tags_free(struct sl_rule_tags *t)
{
	free(t->users);
	free(t->by_name);
	memset(t, 0, sizeof(*t));
}

int sl_rule_tags_role(struct sl_rule_tags *t, const char *name, bool add)
{
	for (unsigned i = 0; i < t->n_roles; i++)
		if (strcmp(t->roles[i], name) == 0)
			return (int)i;
	if (!add || t->n_roles == SL_RULE_ROLES_MAX || strlen(name) >= SL_RULE_IDENT_MAX)
		return -1;
	snprintf(t->roles[t->n_roles], SL_RULE_IDENT_MAX, "%s", name);
	return (int)t->n_roles++;
}

/* Position in by_name where EMAIL is or would go; *found set if it is. */
static unsigned user_pos(const struct sl_rule_tags *t, const char *email, bool *found)
{
	unsigned lo = 0, hi = t->n_users;

	*found = false;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int c = strcasecmp(t->users[t->by_name[mid] - 1], email);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int users_grow(struct sl_rule_tags *t)
{
	unsigned cap = t->cap != 0 ? t->cap * 2 : 64;
	void *u, *b;

	if (cap > SL_RULE_USERS_MAX)
		cap = SL_RULE_USERS_MAX;
	u = realloc(t->users, cap * sizeof(*t->users));
	if (u == NULL)
		return -1;
	t->users = u;
	b = realloc(t->by_name, cap * sizeof(*t->by_name));
	if (b == NULL)
		return -1;
	t->by_name = b;
	t->cap = cap;
	return 0;
}

uint32_t sl_rule_tags_user(struct sl_rule_tags *t, const char *email, bool add)
{
	bool found;
	unsigned pos = user_pos(t, email, &found);

	if (found)
		return t->by_name[pos];
	if (!add || t->n_users == SL_RULE_USERS_MAX || strlen(email) >= SL_RULE_IDENT_MAX)
		return 0;
	if (t->n_users == t->cap && users_grow(t) != 0)
		return 0;
	snprintf(t->users[t->n_users], SL_RULE_IDENT_MAX, "%s", email);
	memmove(&t->by_name[pos + 1], &t->by_name[pos], (t->n_users - pos) * sizeof(*t->by_name));
	t->by_name[pos] = ++t->n_users;
	return t->n_users;
}

void sl_rule_tags_peer(struct sl_rule_tags *t, const char *const *roles, unsigned n,
		       const char *email, uint32_t out_roles[2], uint32_t *out_user)
{
	out_roles[0] = out_roles[1] = 0;
	for (unsigned i = 0; i < n; i++) {
		int id = sl_rule_tags_role(t, roles[i], false);

		if (id >= 0)
			out_roles[id / 32] |= 1u << (id % 32);
	}
	*out_user = email != NULL ? sl_rule_tags_user(t, email, false) : 0;
}

/* ---- compiler ---- */

/* The VPN side of R: the end its role or user names. */
static const struct sl_rule_end *vpn_end(const struct sl_rule *r)
{
	return r->direction == SL_RULE_IN ? &r->src : &r->dst;
}

static int compile_end(const struct sl_rule_end *e, const struct sl_rule_ctx *ctx,
		       struct sl_addr *addr, uint8_t *len, int field, struct sl_rule_err *err)
{
	const struct sl_prefix *p = end_prefix(e, &ctx->pool);

	memset(addr, 0, sizeof(*addr));
	*len = 0;
	if (e->kind == SL_END_VPN && ctx->pool.addr.family != SL_AF_INET)
		return fail(err, field, "expected an IPv4 VPN pool for \"vpn\", found none");
	if (p == NULL || p->addr.family == SL_AF_NONE)
		return 0;
	if (p->addr.family != SL_AF_INET)
		return fail(err, field, "expected an IPv4 CIDR (IPv6 rules are not enforced yet)");
	*addr = p->addr;
	*len = p->len;
	return 0;
}

static int compile_one(const struct sl_rule *r, const struct sl_rule_ctx *ctx,
		       struct sl_rule_entry *e, struct sl_rule_err *err)
{
	const struct sl_rule_end *v = vpn_end(r);
	int field = r->direction == SL_RULE_IN ? SL_RULE_F_SRC : SL_RULE_F_DST;
	char q[64];

	memset(e, 0, sizeof(*e));
	if (compile_end(&r->src, ctx, &e->src, &e->src_len, SL_RULE_F_SRC, err) != 0 ||
	    compile_end(&r->dst, ctx, &e->dst, &e->dst_len, SL_RULE_F_DST, err) != 0)
		return -1;
	e->proto = r->proto;
	e->action = r->action;
	e->direction = r->direction;
	e->role = SL_RULE_NO_ROLE;
	if (v->kind == SL_END_ROLE) {
		int id = sl_rule_tags_role(ctx->tags, v->ident, true);

		if (id < 0)
			return fail(err, field, "expected at most %u roles named by rules, found "
				    "one more: %s", SL_RULE_ROLES_MAX, quoted(v->ident, q, sizeof(q)));
		e->role = (uint8_t)id;
	} else if (v->kind == SL_END_USER) {
		e->user_tag = sl_rule_tags_user(ctx->tags, v->ident, true);
		if (e->user_tag == 0)
			return fail(err, field, "expected at most %u users named by rules, found "
				    "one more: %s", SL_RULE_USERS_MAX, quoted(v->ident, q, sizeof(q)));
	}
	e->sport_lo = r->sport_lo;
	e->sport_hi = r->sport_hi;
	e->dport_lo = r->dport_lo;
	e->dport_hi = r->dport_hi;
	e->priority = r->priority;
	snprintf(e->name, sizeof(e->name), "%s", r->name);
	return 0;
}

int sl_rules_compile(const struct sl_rule *rules, unsigned n, const struct sl_rule_ctx *ctx,
		     uint64_t generation, uint8_t default_action, struct sl_rule_blob *out,
		     struct sl_rule_err *err)
{
	if (n > SL_RULES_MAX) {
		err_rule(err, SL_RULES_MAX, &rules[SL_RULES_MAX]);
		return fail(err, SL_RULE_F_NAME, "expected at most %u rules, found %u",
			    SL_RULES_MAX, n);
	}
	memset(out, 0, sizeof(*out));
	out->magic = SL_RULE_BLOB_MAGIC;
	out->version = SL_RULE_BLOB_VERSION;
	out->generation = generation;
	out->default_action = default_action;
	for (unsigned i = 0; i < n; i++) {
		if (compile_one(&rules[i], ctx, &out->entries[i], err) != 0) {
			err_rule(err, i, &rules[i]);
			return -1;
		}
		out->entries[i].slot = i;
	}
	out->count = n;
	return 0;
}

/* ---- reference classifier ---- */

static bool end_match(const struct sl_rule_end *e, const struct sl_rule_ctx *ctx,
		      const struct sl_addr *a, const struct sl_rule_key *k)
{
	int id;
	uint32_t tag;

	switch (e->kind) {
	case SL_END_CIDR:
		return sl_prefix_contains(&e->prefix, a);
	case SL_END_VPN:
		return sl_prefix_contains(&ctx->pool, a);
	case SL_END_ROLE:
		id = sl_rule_tags_role(ctx->tags, e->ident, false);
		return id >= 0 && (k->roles[id / 32] & (1u << (id % 32))) != 0;
	case SL_END_USER:
		tag = sl_rule_tags_user(ctx->tags, e->ident, false);
		return tag != 0 && k->user_tag == tag;
	}
	return false;
}

static bool proto_match(uint8_t rule, uint8_t ip)
{
	switch (rule) {
	case SL_RULE_ANY: return true;
	case SL_RULE_TCP: return ip == IPPROTO_TCP;
	case SL_RULE_UDP: return ip == IPPROTO_UDP;
	case SL_RULE_BOTH: return ip == IPPROTO_TCP || ip == IPPROTO_UDP;
	case SL_RULE_ICMP: return ip == IPPROTO_ICMP;
	}
	return false;
}

bool sl_rule_match(const struct sl_rule *r, const struct sl_rule_ctx *ctx,
		   const struct sl_rule_key *k)
{
	if (r->direction != k->direction || !proto_match(r->proto, k->proto))
		return false;
	if (ported(r->proto) && (k->sport < r->sport_lo || k->sport > r->sport_hi ||
				 k->dport < r->dport_lo || k->dport > r->dport_hi))
		return false;
	return end_match(&r->src, ctx, &k->src, k) && end_match(&r->dst, ctx, &k->dst, k);
}

int sl_rules_classify(const struct sl_rule *rules, unsigned n, const struct sl_rule_ctx *ctx,
		      const struct sl_rule_key *k)
{
	int best = -1;

	for (unsigned i = 0; i < n; i++)
		if ((best < 0 || rules[i].priority < rules[best].priority) &&
		    sl_rule_match(&rules[i], ctx, k))
			best = (int)i;
	return best;
}
