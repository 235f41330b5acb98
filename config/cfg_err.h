/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CFG_ERR_H
#define SL_CFG_ERR_H

/*
 * Where the loader's errors go. The engine (cfg.c), the setters
 * (cfg_schema.c) and the cross-field checks (cfg_validate.c) all report
 * through it; it calls none of them.
 */
#include <libconfig.h>

#include "cfg.h"

struct cfg_errs {
	const char *file;		/* as given, copied into every error */
	struct cfg_error *err;
	int max;
	int n;				/* errors seen, may exceed max */
	char where[128];		/* display path of the setting being read */
};

/* Record an error at LINE for SETTING (the current display path if NULL). */
void cfg_errorf(struct cfg_errs *es, int line, const char *setting,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Describe what a setting holds, for "found ..." ("a string \"x\""). */
const char *cfg_found(const config_setting_t *s, char *buf, unsigned len);

#endif
