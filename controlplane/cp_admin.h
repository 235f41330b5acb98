/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_ADMIN_H
#define SL_CP_ADMIN_H

/* The admin socket sluicectl talks to (cp_admin.c). */
#include "cp.h"

struct cp_admin;

/*
 * The socket at PATH, mode 0600 from bind on; its folder is made 0700 if
 * missing, and must otherwise be root's and not writable by group or
 * others. NULL (the reason logged) when it cannot be opened safely.
 */
struct cp_admin *cp_admin_open(const char *path);
/* Close every connection and the socket, and remove it. */
void cp_admin_close(struct cp_admin *a);
/* The listening socket, to poll for new connections. */
int cp_admin_fd(const struct cp_admin *a);
/* Once per tick: accept (root only), move every connection on without
 * waiting, close those past their deadline. */
void cp_admin_serve(struct cp_admin *a, struct cp *cp);

#endif
