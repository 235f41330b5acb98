/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_STATUS_H
#define SL_CP_STATUS_H

/* `sluicectl status` (cp_status.c). */
#include "cp.h"

int cp_status_format(const struct cp *cp, char *buf, size_t len);

#endif
