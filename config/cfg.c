/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration engine: fills the defaults from the schema table
 * (cfg_schema.c), reads the text with libconfig, walks every setting against
 * the table and calls each row's setter, reads lists of groups element by
 * element, reports unknown and missing settings, then runs cfg_validate().
 * Also the argument parser of the two daemons.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_err.h"
#include "cfg_schema.h"
#include "cfg_validate.h"

#define CFG_FILE_MAX	(4u << 20)
#define LINE(s) config_setting_source_line(s)

/*
 * Is PATH a row of SCOPE's own: "" holds the rows outside lists ("vpn.pool"),
 * "rules.*" those of a rule ("rules.*.dst"), not those of a list inside it.
 */
static int in_scope(const char *path, const char *scope)
{
	size_t n = strlen(scope);

	if (n > 0 && (strncmp(path, scope, n) != 0 || path[n] != '.'))
		return 0;
	return strchr(path + n, '*') == NULL;
}

/* Schema or display path of a child: "a.b" + "c". */
static void child_path(char *out, size_t len, const char *parent, const char *name)
{
	if (parent[0] == '\0')
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s.%s", parent, name);
}

/* "a, b, c": the settings a group (schema path PARENT) may hold. */
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
	if (want == have || want == CFG_TYPE_ANY)
		return 1;
	if (want == CONFIG_TYPE_INT64 || want == CONFIG_TYPE_INT)
		return have == CONFIG_TYPE_INT || have == CONFIG_TYPE_INT64;
	if (want == CONFIG_TYPE_ARRAY)	/* [..] and (..) of scalars both do */
		return have == CONFIG_TYPE_LIST;
	return 0;
}

/* The defaults column as one text "d<row> = <default>;", parsed once per load. */
static config_t *parse_defaults(struct cfg_loader *ld, config_t *lc)
{
	size_t len = 1, used = 0;
	char *text;
	int ok;

	for (unsigned i = 0; i < cfg_schema_len; i++)
		if (cfg_schema[i].def != NULL)
			len += strlen(cfg_schema[i].def) + 24;
	text = malloc(len);
	if (text == NULL) {
		cfg_errorf(&ld->es, 0, "(defaults)", "expected memory for the defaults, found none");
		return NULL;
	}
	text[0] = '\0';
	for (unsigned i = 0; i < cfg_schema_len; i++)
		if (cfg_schema[i].def != NULL)
			used += snprintf(text + used, len - used, "d%u = %s;\n", i, cfg_schema[i].def);
	config_init(lc);
	ok = config_read_string(lc, text) == CONFIG_TRUE;
	free(text);
	if (!ok) {
		cfg_errorf(&ld->es, config_error_line(lc), "(defaults)",
			   "expected the schema's defaults as libconfig values, found %s",
			   config_error_text(lc));
		config_destroy(lc);
		return NULL;
	}
	return lc;
}

/* Store the defaults of SCOPE's rows (see in_scope()) into BASE. */
static void apply_defaults(struct cfg_loader *ld, const char *scope, void *base)
{
	for (unsigned i = 0; ld->defaults != NULL && i < cfg_schema_len; i++) {
		const struct cfg_key *k = &cfg_schema[i];
		const config_setting_t *s;
		char name[16];

		if (k->def == NULL || !in_scope(k->path, scope))
			continue;
		snprintf(name, sizeof(name), "d%u", i);
		s = config_lookup(ld->defaults, name);
		snprintf(ld->es.where, sizeof(ld->es.where), "%s", k->path);
		if (s == NULL || !type_ok(k->type, config_setting_type(s)))
			cfg_errorf(&ld->es, 0, NULL, "expected a default of the row's type, found %s",
				   k->def);
		else
			k->set(ld, s, k, (char *)base + k->off);
	}
}

static void walk(struct cfg_loader *ld, const config_setting_t *grp,
		 const char *spath, const char *dpath, void *base);

/* Required settings missing from the list element G (schema path SCOPE). */
static void check_members(struct cfg_loader *ld, const config_setting_t *g,
			  const char *scope, const char *dpath)
{
	size_t n = strlen(scope);
	char where[sizeof(ld->es.where)];

	for (unsigned i = 0; i < cfg_schema_len; i++) {
		const char *name = cfg_schema[i].path + n + 1;

		if (!cfg_schema[i].required || !in_scope(cfg_schema[i].path, scope) ||
		    strchr(name, '.') != NULL || config_setting_get_member(g, name) != NULL)
			continue;
		snprintf(where, sizeof(where), "%.80s.%.40s", dpath, name);
		cfg_errorf(&ld->es, LINE(g), where, "expected a value, found nothing (required)");
	}
}

/*
 * A list of groups (row K, at BASE): size the array, then read each element
 * like the settings outside lists, against the rows "<list>.*.<name>".
 */
static void walk_list(struct cfg_loader *ld, const config_setting_t *s,
		      const struct cfg_key *k, const char *spath, const char *dpath,
		      void *base)
{
	const struct cfg_list *l = k->list;
	unsigned *count = (unsigned *)((char *)base + l->count);
	int n = config_setting_length(s);
	char esp[128], edp[128], found[128];
	char *elems;

	if (n > k->max) {
		cfg_errorf(&ld->es, LINE(s), dpath, "expected at most %lld %s, found %d",
			   k->max, l->noun, n);
		return;
	}
	memcpy(&elems, (char *)base + k->off, sizeof(elems));
	free(elems);
	elems = calloc(n > 0 ? n : 1, l->esize);
	memcpy((char *)base + k->off, &elems, sizeof(elems));
	*count = 0;
	if (elems == NULL) {
		cfg_errorf(&ld->es, LINE(s), dpath, "expected memory for %d %s, found none",
			   n, l->noun);
		return;
	}
	snprintf(esp, sizeof(esp), "%.120s.*", spath);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		char *e;

		snprintf(edp, sizeof(edp), "%.100s[%d]", dpath, i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfg_errorf(&ld->es, LINE(g), edp, "expected %s, found %s", k->what,
				   cfg_found(g, found, sizeof(found)));
			continue;
		}
		e = elems + (size_t)(*count)++ * l->esize;
		*(int *)(e + l->line) = LINE(g);
		apply_defaults(ld, esp, e);
		walk(ld, g, esp, edp, e);
		check_members(ld, g, esp, edp);
	}
}

/* One setting S: schema path SPATH, display path DPATH, fields at BASE. */
static void visit(struct cfg_loader *ld, const config_setting_t *s,
		  const char *spath, const char *dpath, void *base)
{
	char found[128], known[512];
	int idx = cfg_schema_find(spath);
	const struct cfg_key *k;

	snprintf(ld->es.where, sizeof(ld->es.where), "%s", dpath);
	if (idx < 0) {
		const char *dot = strrchr(spath, '.');
		char parent[128] = "";

		if (dot != NULL)
			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - spath), spath);
		known_children(parent, known, sizeof(known));
		cfg_errorf(&ld->es, LINE(s), NULL, "unknown setting, expected one of: %s", known);
		return;
	}
	k = &cfg_schema[idx];
	if (base == ld->cfg)
		ld->seen_line[idx] = LINE(s);
	if (!type_ok(k->type, config_setting_type(s))) {
		cfg_errorf(&ld->es, LINE(s), NULL, "expected %s, found %s", k->what,
			   cfg_found(s, found, sizeof(found)));
		return;
	}
	if (k->type == CONFIG_TYPE_GROUP)
		walk(ld, s, spath, dpath, base);
	else if (k->list != NULL)
		walk_list(ld, s, k, spath, dpath, base);
	else
		k->set(ld, s, k, (char *)base + k->off);
}

static void walk(struct cfg_loader *ld, const config_setting_t *grp,
		 const char *spath, const char *dpath, void *base)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(grp, i);
		char sp[128], dp[128];

		child_path(sp, sizeof(sp), spath, config_setting_name(c));
		child_path(dp, sizeof(dp), dpath, config_setting_name(c));
		visit(ld, c, sp, dp, base);
	}
}

/* Required rows outside lists whose parent group is present but which are missing. */
static void check_required(struct cfg_loader *ld)
{
	for (unsigned i = 0; i < cfg_schema_len; i++) {
		const struct cfg_key *k = &cfg_schema[i];
		const char *dot = strrchr(k->path, '.');
		char parent[128];
		int pline = 1;

		if (!k->required || !in_scope(k->path, "") || ld->seen_line[i])
			continue;
		if (dot != NULL) {
			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - k->path), k->path);
			pline = cfg_line_of(ld, parent);
			if (pline == 0)
				continue;	/* the parent's absence is reported */
		}
		cfg_errorf(&ld->es, pline, k->path, "expected %s, found nothing (required)",
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
	cfg_errorf(&ld->es, line, n > 0 ? name : "(syntax)",
		   "expected a libconfig setting 'name = value;' (%s), found \"%s\"",
		   config_error_text(lc), frag);
}

static int load_text(struct sl_config *cfg, const char *text,
		     struct cfg_error *err, int max_err)
{
	struct cfg_loader ld = {
		.cfg = cfg,
		.es = { .file = cfg->file, .err = err, .max = max_err },
	};
	config_t lc, defaults;

	if (cfg_schema_len > CFG_SEEN_MAX)
		return -1;	/* programming error, caught by the unit tests */
	ld.defaults = parse_defaults(&ld, &defaults);
	apply_defaults(&ld, "", cfg);
	config_init(&lc);
	config_set_include_dir(&lc, cfg->dir);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		syntax_error(&ld, &lc, text);
	} else {
		walk(&ld, config_root_setting(&lc), "", "", cfg);
		check_required(&ld);
		if (ld.es.n == 0)
			cfg_validate(&ld);
	}
	config_destroy(&lc);
	if (ld.defaults != NULL)
		config_destroy(ld.defaults);
	if (ld.es.n > 0)
		cfg_free(cfg);
	return ld.es.n;
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
	struct cfg_errs es = { .file = file, .err = err, .max = max_err };
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
	cfg_errorf(&es, 0, "(file)", "expected a readable configuration file, found %s",
		   strerror(errno));
	return -1;
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

/* Frees the arrays of the lists outside lists (rules, static addresses). */
void cfg_free(struct sl_config *cfg)
{
	for (unsigned i = 0; i < cfg_schema_len; i++) {
		const struct cfg_key *k = &cfg_schema[i];
		void *elems;

		if (k->list == NULL || !in_scope(k->path, ""))
			continue;
		memcpy(&elems, (char *)cfg + k->off, sizeof(elems));
		free(elems);
		elems = NULL;
		memcpy((char *)cfg + k->off, &elems, sizeof(elems));
		*(unsigned *)((char *)cfg + k->list->count) = 0;
	}
}

/* ---- the daemons' command line ---- */

static void daemon_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s -c CONFIG [-d]\n"
		   "       %s --help | --version\n"
		   "  -c CONFIG   configuration file (see config/sluice.conf)\n"
		   "  -d          debug logging\n"
		   "  -h, --help  this text\n"
		   "  --version   the version of Sluice\n", prog, prog);
}

enum { OPT_VERSION = 256 };	/* long only */

int cfg_daemon_args(int argc, char **argv, const char *prog, const char **file, int *debug)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*file = NULL;
	*debug = 0;
	optind = 0;	/* glibc: a full restart, so the parser can run more than once */
	while ((opt = getopt_long(argc, argv, "c:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			*file = optarg;
			break;
		case 'd':
			*debug = 1;
			break;
		case 'h':
			daemon_usage(stdout, prog);
			return CFG_ARGS_EXIT;
		case OPT_VERSION:
			printf("%s %s\n", prog, SLUICE_VERSION);
			return CFG_ARGS_EXIT;
		default:
			daemon_usage(stderr, prog);
			return CFG_ARGS_USAGE;
		}
	}
	if (*file == NULL || optind != argc) {
		daemon_usage(stderr, prog);
		return CFG_ARGS_USAGE;
	}
	return CFG_ARGS_RUN;
}
