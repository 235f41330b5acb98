/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_LISTING_H
#define SL_CP_LISTING_H

/* `sluicectl sessions` and `sluicectl kill` (cp_listing.c), event loop. */
#include "cp.h"

/* The listing into buf; its length. */
int cp_listing_sessions(struct cp *cp, char *buf, size_t len);
/* End the sessions WHO names (user, CN, address or address:port); how many. */
int cp_listing_kill(struct cp *cp, const char *who);

#endif
