/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin protocol's rule commands (cp_api.h, docs/api.md):
 *
 *   rule.add   {name, src, dst, proto, sport, dport, priority, action,
 *               direction, description}: a rule kept in the store
 *   rule.del   {name}
 *   rule.list  the live set with hit counters, the default policy
 *   rule.show  {name}
 *   rule.test  {user, dst, proto, port}: which rule decides
 *   reload     the config file again: its rules and default policy
 *
 * Every field travels as the text the rule model reads (sl_rule_set), so
 * the model alone validates; a refusal names the rule and the field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cp.h"
#include "cp_api.h"
#include "cp_rules.h"
#include "cp_session.h"
#include "sl_log.h"

#define RELOAD_ERRORS	32

static int need_rules(struct cp *cp, struct cp_api_err *err)
{
	if (cp->cfg != NULL && cp->dp.status == NULL)
		return cp_api_fail(err, NULL, "data plane not running "
				   "(the control plane is waiting for it)");
	if (cp->ctx.rules == NULL)
		return cp_api_fail(err, NULL, "no rule set loaded");
	return 0;
}

/* A model refusal as the protocol's error: the reason names the rule,
 * the field is the model's. */
static int rule_fail(struct cp_api_err *err, const struct sl_rule_err *re)
{
	char line[512];
	const char *field = sl_rule_field_name(re->field);

	return cp_api_fail(err, field, "%s", sl_rule_err_str(re, line, sizeof(line)));
}

static const char *action_name(uint8_t a)
{
	return a == SL_RULE_ALLOW ? "allow" : "deny";
}

static struct json_object *rule_json(const struct cp_rule_view *v)
{
	struct json_object *o = json_object_new_object();
	char buf[SL_RULE_DESC_MAX];

	for (int f = 0; f < SL_RULE_F_COUNT; f++) {
		const char *s = sl_rule_get(&v->rule, f, buf, sizeof(buf));

		if (f == SL_RULE_F_PRIORITY)
			json_object_object_add(o, "priority", json_object_new_int64(v->rule.priority));
		else
			json_object_object_add(o, sl_rule_field_name(f), json_object_new_string(s));
	}
	if (v->rule.origin == SL_RULE_CONFIG)
		json_object_object_add(o, "line", json_object_new_int(v->rule.line));
	json_object_object_add(o, "pkts", json_object_new_int64((int64_t)v->pkts));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)v->bytes));
	return o;
}

/* ---- rule.add, rule.del ---- */

/* String argument NAME into field F of R (REQUIRED or left at its default). */
static int arg_field(struct json_object *args, const char *name, int f, bool required,
		     struct sl_rule *r, struct cp_api_err *err)
{
	struct sl_rule_err re;
	const char *s;
	int rc = cp_api_arg_str(args, name, required, &s, err);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (sl_rule_set(r, f, s, &re) != 0) {
		snprintf(re.name, sizeof(re.name), "%s", f == SL_RULE_F_NAME ? "" : r->name);
		return rule_fail(err, &re);
	}
	return 0;
}

static int cmd_add(struct cp *cp, struct json_object *args, struct json_object **result,
		   struct cp_api_err *err)
{
	/* No default for what decides: name, priority and action are required. */
	static const struct { int f; bool required; } fields[] = {
		{ SL_RULE_F_NAME, true }, { SL_RULE_F_DESCRIPTION, false },
		{ SL_RULE_F_SRC, false }, { SL_RULE_F_DST, false }, { SL_RULE_F_PROTO, false },
		{ SL_RULE_F_SPORT, false }, { SL_RULE_F_DPORT, false },
		{ SL_RULE_F_ACTION, true }, { SL_RULE_F_DIRECTION, false },
	};
	struct cp_rule_view v;
	struct sl_rule_err re;
	struct sl_rule r;
	int64_t prio;

	if (need_rules(cp, err) != 0)
		return -1;
	sl_rule_init(&r);
	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (arg_field(args, sl_rule_field_name(fields[i].f), fields[i].f,
			      fields[i].required, &r, err) != 0)
			return -1;
	if (cp_api_arg_int(args, "priority", true, 0, SL_RULE_PRIORITY_MAX, &prio, err) != 0)
		return -1;
	r.priority = (uint32_t)prio;
	if (cp_rules_add(cp->ctx.rules, &r, &re) != 0)
		return rule_fail(err, &re);
	SL_INFO("admin: rule added: %s", SL_ESC(r.name));
	cp_rules_retag(cp);	/* a role or user named for the first time */
	if (cp_rules_get(cp->ctx.rules, r.name, &v) == 0)
		*result = rule_json(&v);
	return 0;
}

static int cmd_del(struct cp *cp, struct json_object *args, struct json_object **result,
		   struct cp_api_err *err)
{
	struct sl_rule_err re;
	const char *name;

	if (need_rules(cp, err) != 0 || cp_api_arg_str(args, "name", true, &name, err) != 0)
		return -1;
	if (cp_rules_del(cp->ctx.rules, name, &re) != 0)
		return rule_fail(err, &re);
	SL_INFO("admin: rule deleted: %s", SL_ESC(name));
	*result = json_object_new_object();
	json_object_object_add(*result, "name", json_object_new_string(name));
	return 0;
}

/* ---- rule.list, rule.show ---- */

static int list_one(const struct cp_rule_view *v, void *arg)
{
	json_object_array_add(arg, rule_json(v));
	return 0;
}

static int cmd_list(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct json_object *a;

	(void)args;
	if (need_rules(cp, err) != 0)
		return -1;
	a = json_object_new_array();
	cp_rules_list(cp->ctx.rules, list_one, a);
	*result = json_object_new_object();
	json_object_object_add(*result, "default",
			       json_object_new_string(action_name(cp_rules_info(cp->ctx.rules).default_action)));
	json_object_object_add(*result, "generation",
			       json_object_new_int64((int64_t)cp_rules_info(cp->ctx.rules).generation));
	json_object_object_add(*result, "rules", a);
	return 0;
}

static int cmd_show(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	struct cp_rule_view v;
	const char *name;

	if (need_rules(cp, err) != 0 || cp_api_arg_str(args, "name", true, &name, err) != 0)
		return -1;
	if (cp_rules_get(cp->ctx.rules, name, &v) != 0)
		return cp_api_fail(err, "name", "no rule named \"%s\"", SL_ESC(name));
	*result = rule_json(&v);
	return 0;
}

/* ---- rule.test ---- */

/* USER's VPN address: a live session's, else the pool's first client
 * address (a rule on "vpn" or the pool matches it as it would any). */
static struct sl_addr user_addr(struct cp *cp, const char *user, bool *live)
{
	uint32_t ip = 0;

	for (struct cp_session *s = cp->sessions.all; s != NULL && ip == 0; s = s->next) {
		pthread_mutex_lock(&s->lock);
		if (s->info.vpn_ip != 0 && (strcasecmp(s->info.user, user) == 0 ||
					    (s->info.user[0] == '\0' &&
					     strcasecmp(s->info.cn, user) == 0)))
			ip = s->info.vpn_ip;
		pthread_mutex_unlock(&s->lock);
	}
	*live = ip != 0;
	if (ip == 0)
		ip = cp->cfg->vpn.pool.addr + 2;	/* NET+1 is the gateway */
	return sl_addr_v4(ip);
}

static int proto_number(const char *p)
{
	if (strcasecmp(p, "tcp") == 0)
		return 6;
	if (strcasecmp(p, "udp") == 0)
		return 17;
	if (strcasecmp(p, "icmp") == 0)
		return 1;
	return -1;
}

static int cmd_test(struct cp *cp, struct json_object *args, struct json_object **result,
		    struct cp_api_err *err)
{
	const char *user, *dst, *proto;
	struct cp_rule_view v;
	struct sl_prefix d;
	struct sl_addr src;
	int64_t port = 0;
	uint8_t action;
	char text[160];
	bool live;
	int p, rc;

	if (need_rules(cp, err) != 0 || cp_api_arg_str(args, "user", true, &user, err) != 0 ||
	    cp_api_arg_str(args, "dst", true, &dst, err) != 0 ||
	    cp_api_arg_str(args, "proto", true, &proto, err) != 0 ||
	    cp_api_arg_int(args, "port", false, 0, 65535, &port, err) < 0)
		return -1;
	if (sl_prefix_parse(dst, &d) != 0 || d.addr.family != SL_AF_INET || d.len != 32)
		return cp_api_fail(err, "dst", "expected an IPv4 address, found \"%s\"",
				   SL_ESC(dst));
	if ((p = proto_number(proto)) < 0)
		return cp_api_fail(err, "proto", "expected tcp, udp or icmp, found \"%s\"",
				   SL_ESC(proto));
	src = user_addr(cp, user, &live);
	rc = cp_rules_test(cp->ctx.rules, user, &src, &d.addr, (uint8_t)p, (uint16_t)port, &v,
			   &action);
	if (rc < 0)
		return cp_api_fail(err, NULL, "cannot test: %s", strerror(-rc));
	*result = json_object_new_object();
	json_object_object_add(*result, "action", json_object_new_string(action_name(action)));
	if (rc == 0) {
		snprintf(text, sizeof(text), "%s by %s, priority %u", action_name(action),
			 v.rule.name, v.rule.priority);
		json_object_object_add(*result, "rule", json_object_new_string(v.rule.name));
		json_object_object_add(*result, "priority", json_object_new_int64(v.rule.priority));
	} else {
		snprintf(text, sizeof(text), "%s by default", action_name(action));
	}
	json_object_object_add(*result, "text", json_object_new_string(text));
	json_object_object_add(*result, "src", json_object_new_string(
		cfg_ip_str(src.v4, (char[16]){ 0 }, 16)));
	json_object_object_add(*result, "connected", json_object_new_boolean(live));
	return 0;
}

/* ---- reload ---- */

/* The settings that changed between A and B and that only a restart
 * applies (everything but the rules). */
static void restart_needed(const struct sl_config *a, const struct sl_config *b,
			   struct json_object *out)
{
	struct cfg_vpn va = a->vpn, vb = b->vpn;
	bool statics = a->vpn.n_statics != b->vpn.n_statics ||
		       (a->vpn.n_statics != 0 && memcmp(a->vpn.statics, b->vpn.statics,
							a->vpn.n_statics * sizeof(*a->vpn.statics)) != 0);

	va.statics = vb.statics = NULL;
	if (memcmp(&a->dp, &b->dp, sizeof(a->dp)) != 0)
		json_object_array_add(out, json_object_new_string("dataplane"));
	if (memcmp(a->port, b->port, sizeof(a->port)) != 0)
		json_object_array_add(out, json_object_new_string("ports"));
	if (memcmp(&va, &vb, sizeof(va)) != 0 || statics)
		json_object_array_add(out, json_object_new_string("vpn"));
	if (memcmp(&a->pki, &b->pki, sizeof(a->pki)) != 0)
		json_object_array_add(out, json_object_new_string("pki"));
	if (memcmp(&a->ctl, &b->ctl, sizeof(a->ctl)) != 0)
		json_object_array_add(out, json_object_new_string("control"));
	if (strcmp(a->user_store, b->user_store) != 0)
		json_object_array_add(out, json_object_new_string("users"));
}

/* Every load error as "FILE:LINE: setting: msg", one a line. */
static int load_fail(struct cp_api_err *err, const struct cfg_error *e, int n)
{
	char all[sizeof(err->reason)], line[512];
	size_t used = 0;

	all[0] = '\0';
	for (int i = 0; i < n && i < RELOAD_ERRORS && used < sizeof(all); i++)
		used += (size_t)snprintf(all + used, sizeof(all) - used, "%s%s", i ? "; " : "",
					 cfg_error_str(&e[i], line, sizeof(line)));
	SL_WARN("reload of %s refused, nothing changed: %s", e[0].file, all);
	return cp_api_fail(err, "config", "%s (nothing changed)", all);
}

static int cmd_reload(struct cp *cp, struct json_object *args, struct json_object **result,
		      struct cp_api_err *err)
{
	struct cfg_error *errs = calloc(RELOAD_ERRORS, sizeof(*errs));
	unsigned n = 0, added = 0, removed = 0, changed = 0;
	struct sl_rule *rules = NULL;
	struct json_object *restart;
	struct sl_config cfg;
	struct sl_rule_err re;
	uint8_t def;
	char msg[512];
	int rc;

	(void)args;
	if (errs == NULL)
		return cp_api_fail(err, NULL, "out of memory");
	if (need_rules(cp, err) != 0) {
		free(errs);
		return -1;
	}
	rc = cfg_load(&cfg, cp->cfg->file, errs, RELOAD_ERRORS);
	if (rc != 0) {
		rc = load_fail(err, errs, rc < 0 ? 1 : rc);
		free(errs);
		return rc;
	}
	free(errs);
	rc = cp_rules_from_config(&cfg, &rules, &n, &def, msg, sizeof(msg));
	if (rc == 0 && cp_rules_set_config(cp->ctx.rules, rules, n, def, &added, &removed,
					   &changed, &re) != 0) {
		char line[512];

		/* The model's error, at the rule's line in the file. */
		rc = cp_api_fail(err, "config", "%s:%d: %s (nothing changed)", cfg.file,
				 re.rule < n ? rules[re.rule].line : 0,
				 sl_rule_err_str(&re, line, sizeof(line)));
	} else if (rc != 0) {
		rc = cp_api_fail(err, "config", "%s (nothing changed)", msg);
	}
	if (rc == 0) {
		restart = json_object_new_array();
		restart_needed(cp->cfg, &cfg, restart);
		SL_INFO("reload of %s: %u config rules (%u added, %u removed, %u changed), "
			"default %s%s", cfg.file, n, added, removed, changed, action_name(def),
			json_object_array_length(restart) ? "; other changes wait for a restart" : "");
		*result = json_object_new_object();
		json_object_object_add(*result, "file", json_object_new_string(cfg.file));
		json_object_object_add(*result, "rules", json_object_new_int((int)n));
		json_object_object_add(*result, "added", json_object_new_int((int)added));
		json_object_object_add(*result, "removed", json_object_new_int((int)removed));
		json_object_object_add(*result, "changed", json_object_new_int((int)changed));
		json_object_object_add(*result, "default", json_object_new_string(action_name(def)));
		json_object_object_add(*result, "restart_needed", restart);
		cp_rules_retag(cp);
	}
	free(rules);
	cfg_free(&cfg);
	return rc;
}

const struct cp_api_cmd cp_api_rules_cmds[] = {
	{ "rule.add", cmd_add, "name description src dst proto sport dport priority action "
	  "direction" },
	{ "rule.del", cmd_del, "name" },
	{ "rule.list", cmd_list, "" },
	{ "rule.show", cmd_show, "name" },
	{ "rule.test", cmd_test, "user dst proto port" },
	{ "reload", cmd_reload, "" },
	{ NULL, NULL, NULL }
};
