/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_ADMIN_H
#define SL_CP_ADMIN_H

/* The admin socket sluicectl talks to (cp_admin.c). */
#include "cp.h"

int cp_admin_open(const char *path);
void cp_admin_close(int fd, const char *path);
/* Serve every connection waiting on the listening socket. */
void cp_admin_serve(struct cp *cp);

#endif
