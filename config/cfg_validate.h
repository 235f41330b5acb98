/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CFG_VALIDATE_H
#define SL_CFG_VALIDATE_H

#include "cfg_schema.h"

/* Cross-field checks, once every setting parsed on its own without error. */
void cfg_validate(struct cfg_loader *ld);

#endif
