/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration engine: reads the text with libconfig, walks every
 * setting against the schema table (cfg_schema.c), calls each entry's setter,
 * reports unknown and missing settings, then runs cfg_validate().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_int.h"

#define CFG_FILE_MAX	(4u << 20)

void cfg_errorf(struct cfg_loader *ld, int line, const char *setting,
		const char *fmt, ...)
{
	struct cfg_error *e;
	va_list ap;

	if (ld->n_err++ >= ld->max_err)
		return;
	e = &ld->err[ld->n_err - 1];
	snprintf(e->file, sizeof(e->file), "%s", ld->cfg->file);
	e->line = line;
	snprintf(e->setting, sizeof(e->setting), "%s",
		 setting != NULL ? setting : ld->where);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

const char *cfg_error_str(const struct cfg_error *e, char *buf, unsigned len)
{
	if (e->line > 0)
		snprintf(buf, len, "%s:%d: %s: %s", e->file, e->line, e->setting, e->msg);
	else
		snprintf(buf, len, "%s: %s: %s", e->file, e->setting, e->msg);
	return buf;
}

const char *cfg_found(const config_setting_t *s, char *buf, unsigned len)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, len, "%lld", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, len, "%g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(buf, len, "%s", config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_STRING:
		snprintf(buf, len, "\"%.80s\"", config_setting_get_string(s));
		break;
	case CONFIG_TYPE_GROUP:
		snprintf(buf, len, "a group");
		break;
	default:
		snprintf(buf, len, "a list");
		break;
	}
	return buf;
}

int cfg_line_of(const struct cfg_loader *ld, const char *path)
{
	for (unsigned i = 0; i < cfg_schema_len; i++)
		if (strcmp(cfg_schema[i].path, path) == 0)
			return ld->seen_line[i];
	return 0;
}

/* Schema path of a child: "a.b" + "c", list elements become "*". */
static void child_path(char *out, size_t len, const char *parent, const char *name)
{
	if (parent[0] == '\0')
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s.%s", parent, name != NULL ? name : "*");
}

static int lookup(const char *path)
{
	for (unsigned i = 0; i < cfg_schema_len; i++)
		if (strcmp(cfg_schema[i].path, path) == 0)
			return (int)i;
	return -1;
}

/* "expected one of a, b, c" listing the children a group may hold. */
static void known_children(const char *parent, char *buf, size_t len)
{
	size_t plen = strlen(parent), used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < cfg_schema_len && used + 40 < len; i++) {
		const char *p = cfg_schema[i].path;

		if (plen > 0 && (strncmp(p, parent, plen) != 0 || p[plen] != '.'))
			continue;
		p += plen > 0 ? plen + 1 : 0;
		if (strchr(p, '.') != NULL)
			continue;
		used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "", p);
	}
}

static int type_ok(int want, int have)
{
	if (want == have)
		return 1;
	if (want == CONFIG_TYPE_INT64 || want == CONFIG_TYPE_INT)
		return have == CONFIG_TYPE_INT || have == CONFIG_TYPE_INT64;
	if (want == CONFIG_TYPE_ARRAY)	/* [..] and (..) of scalars both do */
		return have == CONFIG_TYPE_LIST;
	return 0;
}

static void walk(struct cfg_loader *ld, const config_setting_t *grp,
		 const char *spath, const char *dpath);

static void visit(struct cfg_loader *ld, const config_setting_t *s,
		  const char *spath, const char *dpath)
{
	char found[128], known[512];
	int idx = lookup(spath);
	const struct cfg_key *k;
	int line = config_setting_source_line(s);
	void *base;

	snprintf(ld->where, sizeof(ld->where), "%s", dpath);
	if (idx < 0) {
		const char *dot = strrchr(spath, '.');
		char parent[128] = "";

		if (dot != NULL)
			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - spath), spath);
		known_children(parent, known, sizeof(known));
		cfg_errorf(ld, line, NULL, "unknown setting, expected one of: %s", known);
		return;
	}
	k = &cfg_schema[idx];
	if (k->base == CFG_BASE_ROOT)
		ld->seen_line[idx] = line;
	if (!type_ok(k->type, config_setting_type(s))) {
		cfg_errorf(ld, line, NULL, "expected %s, found %s", k->what,
			   cfg_found(s, found, sizeof(found)));
		return;
	}
	if (k->type == CONFIG_TYPE_GROUP) {
		walk(ld, s, spath, dpath);
		return;
	}
	if (k->set == NULL)
		return;
	base = k->base == CFG_BASE_RULE ? (void *)ld->rule : (void *)ld->cfg;
	if (base != NULL)
		k->set(ld, s, k, (char *)base + k->off);
}

static void walk(struct cfg_loader *ld, const config_setting_t *grp,
		 const char *spath, const char *dpath)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(grp, i);
		const char *name = config_setting_name(c);
		char sp[128], dp[128];

		child_path(sp, sizeof(sp), spath, name);
		if (name != NULL)
			child_path(dp, sizeof(dp), dpath, name);
		else
			snprintf(dp, sizeof(dp), "%s[%d]", dpath, i);
		visit(ld, c, sp, dp);
	}
}

/* Required entries whose parent group is present but which are missing. */
static void check_required(struct cfg_loader *ld)
{
	for (unsigned i = 0; i < cfg_schema_len; i++) {
		const struct cfg_key *k = &cfg_schema[i];
		const char *dot = strrchr(k->path, '.');
		char parent[128];
		int pline = 1;

		if (!k->required || k->base != CFG_BASE_ROOT || ld->seen_line[i])
			continue;
		if (dot != NULL) {
			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - k->path), k->path);
			pline = cfg_line_of(ld, parent);
			if (pline == 0)
				continue;	/* the parent's absence is reported */
		}
		cfg_errorf(ld, pline, k->path, "expected %s, found nothing (required)",
			   k->what);
	}
}

/* The identifier a broken line starts with, to name it in a syntax error. */
static void syntax_error(struct cfg_loader *ld, const config_t *lc, const char *text)
{
	int line = config_error_line(lc), i;
	const char *p = text;
	char name[64] = "", frag[96];
	size_t n = 0;

	for (i = 1; i < line && p != NULL; i++) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		p = "";
	while (*p == ' ' || *p == '\t')
		p++;
	while ((p[n] == '_' || p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z') ||
		(p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9')) &&
	       n < sizeof(name) - 1)
		n++;
	memcpy(name, p, n);
	name[n] = '\0';
	snprintf(frag, sizeof(frag), "%.*s", (int)strcspn(p, "\n"), p);
	cfg_errorf(ld, line, n > 0 ? name : "(syntax)",
		   "expected a libconfig setting 'name = value;' (%s), found \"%s\"",
		   config_error_text(lc), frag);
}

static int load_text(struct sl_config *cfg, const char *text,
		     struct cfg_error *err, int max_err)
{
	struct cfg_loader ld = { .cfg = cfg, .err = err, .max_err = max_err };
	config_t lc;

	if (cfg_schema_len > CFG_SEEN_MAX)
		return -1;	/* programming error, caught by the unit tests */
	config_init(&lc);
	config_set_include_dir(&lc, cfg->dir);
	cfg_defaults(cfg);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		syntax_error(&ld, &lc, text);
	} else {
		walk(&ld, config_root_setting(&lc), "", "");
		check_required(&ld);
		if (ld.n_err == 0)
			cfg_validate(&ld);
	}
	config_destroy(&lc);
	if (ld.n_err > 0)
		cfg_free(cfg);
	return ld.n_err;
}

static void set_names(struct sl_config *cfg, const char *file)
{
	char tmp[CFG_PATH_MAX];

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", file);
	snprintf(tmp, sizeof(tmp), "%s", file);
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", dirname(tmp));
}

int cfg_load_string(struct sl_config *cfg, const char *name, const char *text,
		    struct cfg_error *err, int max_err)
{
	set_names(cfg, name);
	return load_text(cfg, text, err, max_err);
}

int cfg_load(struct sl_config *cfg, const char *file, struct cfg_error *err,
	     int max_err)
{
	FILE *f;
	char *text;
	size_t n;
	int rc;

	set_names(cfg, file);
	f = fopen(file, "r");
	if (f == NULL)
		goto unreadable;
	text = malloc(CFG_FILE_MAX + 1);
	if (text == NULL) {
		fclose(f);
		goto unreadable;
	}
	n = fread(text, 1, CFG_FILE_MAX, f);
	fclose(f);
	text[n] = '\0';
	rc = load_text(cfg, text, err, max_err);
	free(text);
	return rc;

unreadable:
	if (max_err > 0) {
		snprintf(err[0].file, sizeof(err[0].file), "%s", file);
		err[0].line = 0;
		snprintf(err[0].setting, sizeof(err[0].setting), "(file)");
		snprintf(err[0].msg, sizeof(err[0].msg),
			 "expected a readable configuration file, found %s", strerror(errno));
	}
	return -1;
}

static void daemon_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s -c CONFIG [-d]\n"
		   "  -c CONFIG   configuration file (see config/sluice.conf)\n"
		   "  -d          debug logging\n", prog);
}

int cfg_daemon_args(int argc, char **argv, const char *prog, const char **file, int *debug)
{
	int opt;

	*file = NULL;
	*debug = 0;
	while ((opt = getopt(argc, argv, "c:dh")) != -1) {
		switch (opt) {
		case 'c': *file = optarg; break;
		case 'd': *debug = 1; break;
		case 'h': daemon_usage(stdout, prog); return 1;
		default: daemon_usage(stderr, prog); return 2;
		}
	}
	if (*file == NULL || optind != argc) {
		daemon_usage(stderr, prog);
		return 2;
	}
	return 0;
}

int cfg_load_report(struct sl_config *cfg, const char *file, FILE *out)
{
	struct cfg_error err[32];
	char line[512];
	int n = cfg_load(cfg, file, err, 32);

	if (n == 0)
		return 0;
	for (int i = 0; i < (n < 0 ? 1 : n) && i < 32; i++)
		fprintf(out, "%s\n", cfg_error_str(&err[i], line, sizeof(line)));
	if (n > 32)
		fprintf(out, "%s: %d more errors\n", file, n - 32);
	return -1;
}

void cfg_free(struct sl_config *cfg)
{
	free(cfg->rules);
	cfg->rules = NULL;
	cfg->n_rules = 0;
	free(cfg->vpn.statics);
	cfg->vpn.statics = NULL;
	cfg->vpn.n_statics = 0;
}

int cfg_port_is_pci(const struct cfg_port *p)
{
	return p->pci[0] != '\0';
}

const char *cfg_port_name(enum cfg_port_id id)
{
	return id == CFG_PORT_PUBLIC ? "public" : "private";
}

char *cfg_ip_str(uint32_t addr, char *buf, unsigned len)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	if (inet_ntop(AF_INET, &a, buf, len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int cfg_parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

int cfg_parse_prefix(const char *s, struct cfg_prefix *p)
{
	char ip[32], *end;
	const char *slash = strchr(s, '/');
	unsigned long len = 32;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, slash - s);
	ip[slash - s] = '\0';
	if (slash[1] == '\0')
		return -1;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > 32 || cfg_parse_ipv4(ip, &p->addr) < 0)
		return -1;
	p->len = (uint8_t)len;
	return 0;
}

/* "0-3,6": ranges and single ids, no duplicates. */
int cfg_parse_lcores(const char *s, uint16_t *ids, unsigned max, unsigned *n)
{
	uint8_t used[CFG_MAX_LCORES] = { 0 };
	const char *p = s;
	char *end;

	*n = 0;
	while (*p != '\0') {
		unsigned long lo = strtoul(p, &end, 10), hi;

		if (end == p)
			return -1;
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p)
				return -1;
		}
		if (lo > hi || hi >= CFG_MAX_LCORES)
			return -1;
		for (unsigned long i = lo; i <= hi; i++) {
			if (used[i] || *n >= max)
				return -1;
			used[i] = 1;
			ids[(*n)++] = (uint16_t)i;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -1;
		p = end;
	}
	return *n > 0 ? 0 : -1;
}
