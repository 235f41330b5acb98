/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Descriptions of the ovpn_* error codes (see ovpn_err.h): one table made
 * from the one list, indexed by a code's magnitude.
 */
#include <stddef.h>

#include "ovpn_err.h"

/* -OVPN_DATA_ERR_x must stay a valid index of an OVPN_DATA_ERR_NUM array. */
#define DATA_FIRST_(e, name, desc) \
	_Static_assert(-(e) < OVPN_DATA_ERR_NUM, #e " is outside 1..OVPN_DATA_ERR_NUM-1");
OVPN_DATA_ERRORS(DATA_FIRST_)
#undef DATA_FIRST_

static const struct {
	const char *name;
	const char *desc;
} err_tab[OVPN_ERR_COUNT] = {
	[OVPN_ERR_NR_OK_] = { "ok", "success" },
#define ROW_(e, name, desc) [e##_NR] = { name, desc },
	OVPN_ERRORS(ROW_)
#undef ROW_
};

/* Index of a returned value in err_tab, or -1 if it is no code. */
static int err_index(int err)
{
	return err <= 0 && err > -OVPN_ERR_COUNT ? -err : -1;
}

const char *ovpn_strerror(int err)
{
	int i = err_index(err);

	return i < 0 ? "unknown error" : err_tab[i].desc;
}

const char *ovpn_err_name(int err)
{
	int i = err_index(err);

	return i < 0 ? "unknown" : err_tab[i].name;
}
