/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_TABLE_H
#define SL_CP_TABLE_H

/*
 * The session table (cp_table.c), event loop only: sessions hashed by
 * their client endpoint, and the list of all of them for timers and
 * listing. The table holds one reference to each session in it.
 */
#include "cp_session.h"

#define CP_HASH_SIZE	4096	/* buckets */

struct cp_table {
	struct cp_session *bucket[CP_HASH_SIZE];
	struct cp_session *all;		/* every session in the table */
};

struct cp_session *cp_table_find(struct cp_table *t, const struct sl_endpoint *e);
/* Takes the caller's reference. */
void cp_table_add(struct cp_table *t, struct cp_session *s);
/* Drops the table's reference; the session lives on while others hold one. */
void cp_table_del(struct cp_table *t, struct cp_session *s);
/* S's client is at TO now (float); false if S left the table or another
 * session is at TO. */
bool cp_table_move(struct cp_table *t, struct cp_session *s, const struct sl_endpoint *to);

#endif
