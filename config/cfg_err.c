/* SPDX-License-Identifier: BSD-3-Clause */
/* Error collection and formatting for the configuration loader. */
#include <stdarg.h>
#include <stdio.h>

#include "cfg_err.h"

void cfg_errorf(struct cfg_errs *es, int line, const char *setting,
		const char *fmt, ...)
{
	struct cfg_error *e;
	va_list ap;

	if (es->n++ >= es->max)
		return;
	e = &es->err[es->n - 1];
	snprintf(e->file, sizeof(e->file), "%s", es->file);
	e->line = line;
	snprintf(e->setting, sizeof(e->setting), "%s",
		 setting != NULL ? setting : es->where);
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
