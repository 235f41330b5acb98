/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table: sessions hashed by their client's endpoint (address,
 * port, transport, TCP connection), as OpenVPN finds a control packet's
 * instance by its source address (src/openvpn/mudp.c,
 * multi_get_create_instance_udp), and the list of all of them. Event loop
 * only; s->peer changes under s->lock because workers read it.
 */
#include "cp_table.h"

static unsigned bucket(const struct sl_endpoint *e)
{
	return (cp_addr_hash(&e->addr) ^ (e->port * 40503u) ^ (e->conn * 2654435761u)) %
	       CP_HASH_SIZE;
}

struct cp_session *cp_table_find(struct cp_table *t, const struct sl_endpoint *e)
{
	struct cp_session *s;

	for (s = t->bucket[bucket(e)]; s != NULL; s = s->hnext)
		if (sl_endpoint_eq(&s->peer, e))
			return s;
	return NULL;
}

static void hash_in(struct cp_table *t, struct cp_session *s)
{
	struct cp_session **b = &t->bucket[bucket(&s->peer)];

	s->hnext = *b;
	*b = s;
}

static void hash_out(struct cp_table *t, struct cp_session *s)
{
	struct cp_session **pp = &t->bucket[bucket(&s->peer)];

	while (*pp != NULL && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp == s)
		*pp = s->hnext;
	s->hnext = NULL;
}

void cp_table_add(struct cp_table *t, struct cp_session *s)
{
	hash_in(t, s);
	s->prev = NULL;
	s->next = t->all;
	if (t->all != NULL)
		t->all->prev = s;
	t->all = s;
	s->in_table = true;
}

void cp_table_del(struct cp_table *t, struct cp_session *s)
{
	if (!s->in_table)
		return;
	hash_out(t, s);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		t->all = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->in_table = false;
	cp_session_unref(s);
}

bool cp_table_move(struct cp_table *t, struct cp_session *s, const struct sl_endpoint *to)
{
	if (!s->in_table || cp_table_find(t, to) != NULL)
		return false;
	hash_out(t, s);
	pthread_mutex_lock(&s->lock);
	s->peer = *to;
	pthread_mutex_unlock(&s->lock);
	hash_in(t, s);
	return true;
}
