/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP transport (cp_tcp.h): listening socket, connections, the stream
 * framing of OpenVPN src/openvpn/socket.c (proto tcp-server) in both
 * directions. One epoll set, polled without waiting from the event loop.
 *
 * A connection's id (sl_endpoint.conn) is its slot in the table with a
 * generation above it, so a packet from the data plane for a connection
 * that has since closed (and whose slot was reused) finds no match and is
 * dropped, never written to the wrong client.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "cp.h"
#include "cp_adopt.h"
#include "cp_loop.h"
#include "cp_tcp.h"
#include "cp_work.h"
#include "ovpn_proto.h"
#include "ovpn_stream.h"
#include "sl_addr.h"
#include "sl_log.h"

#define CP_TCP_EVENTS	64
#define SLOT_BITS	16
#define SLOT_MASK	((1u << SLOT_BITS) - 1)

struct cp_tcp_conn {
	int fd;			/* -1: free slot */
	uint32_t id;		/* generation << SLOT_BITS | slot */
	struct sl_endpoint ep;	/* the client, transport tcp, conn = id */
	struct ovpn_stream in;
	uint8_t *out;		/* CP_TCP_OUT_MAX bytes, [out_off, out_len) unsent */
	size_t out_off, out_len;
	bool want_out;		/* EPOLLOUT armed */
	uint32_t v1_peer;	/* its session's peer-id once installed, for P_DATA_V1 */
};

struct cp_tcp {
	struct cp *cp;
	int lfd, ep;
	uint32_t n_slots, n_live, gen;
	uint64_t now;
	struct cp_tcp_conn *c;
};

static void ctl_mod(struct cp_tcp *t, struct cp_tcp_conn *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
				  .data.u32 = c->id & SLOT_MASK };

	if (c->want_out != out && epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = out;
}

/*
 * The connection is the session's transport: when it goes, so does the
 * session (OpenVPN's TCP server ends the client instance the same way),
 * and the client reconnects with a new one.
 */
static void session_gone(struct cp_tcp *t, const struct sl_endpoint *ep)
{
	struct cp *cp = t->cp;
	struct cp_session *s = cp_table_find(&cp->sessions, ep);

	if (s == NULL)
		return;
	if (s->adopted)
		cp_adopt_end(cp, s, CP_END_EXIT);
	else
		cp_work_wake(&cp->ctx, s, CP_SIG_EXIT);
}

static void conn_close(struct cp_tcp *t, struct cp_tcp_conn *c, const char *why)
{
	char a[64];

	SL_INFO("tcp %s:%u (conn %u): closed: %s", sl_addr_str(&c->ep.addr, a, sizeof(a)),
		c->ep.port, c->id, why);
	close(c->fd);	/* leaves the epoll set with it */
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	t->n_live--;
	session_gone(t, &c->ep);
}

static struct cp_tcp_conn *conn_by_id(struct cp_tcp *t, uint32_t id)
{
	struct cp_tcp_conn *c;

	if ((id & SLOT_MASK) >= t->n_slots)
		return NULL;
	c = &t->c[id & SLOT_MASK];
	return c->fd >= 0 && c->id == id ? c : NULL;
}

/* Write what is queued; false when the connection failed (closed here). */
static bool conn_flush(struct cp_tcp *t, struct cp_tcp_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_close(t, c, strerror(errno));
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	ctl_mod(t, c, c->out_len != 0);
	return true;
}

void cp_tcp_send(struct cp_tcp *t, const struct sl_endpoint *to, const uint8_t *d, size_t len)
{
	struct cp_tcp_conn *c = t ? conn_by_id(t, to->conn) : NULL;
	uint8_t hdr[OVPN_STREAM_HDR];

	if (c == NULL || ovpn_stream_prefix(len, hdr) != 0) {
		if (t != NULL)
			cp_count(&t->cp->ctx, CP_ST_TCP_DROP_NOCONN);
		return;
	}
	if (c->out_len + sizeof(hdr) + len > CP_TCP_OUT_MAX && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + sizeof(hdr) + len > CP_TCP_OUT_MAX) {
		cp_count(&t->cp->ctx, CP_ST_TCP_DROP_FULL);	/* a slow reader's loss only */
		return;
	}
	memcpy(c->out + c->out_len, hdr, sizeof(hdr));
	memcpy(c->out + c->out_len + sizeof(hdr), d, len);
	c->out_len += sizeof(hdr) + len;
	if (!c->want_out)
		conn_flush(t, c);
}

void cp_tcp_from_dp(struct cp_tcp *t, struct rte_mbuf *m)
{
	const struct sl_cp_meta *meta = rte_mbuf_to_priv(m);

	if (rte_pktmbuf_is_contiguous(m))
		cp_tcp_send(t, &meta->peer, rte_pktmbuf_mtod(m, const uint8_t *),
			    rte_pktmbuf_data_len(m));
	rte_pktmbuf_free(m);
}

/*
 * P_DATA_V1 carries no peer-id (pre-2.4 clients, OpenVPN src/openvpn/ssl.c):
 * over UDP the data plane finds the peer by source address, over TCP the
 * connection is the peer, so the peer-id of C's session goes in the meta.
 * UINT32_MAX (no session or no peer yet) is dropped by the data plane as an
 * unknown peer. The id never changes for a session and the session ends
 * with its connection, so it is looked up once.
 */
static uint32_t conn_v1_peer(struct cp_tcp *t, struct cp_tcp_conn *c)
{
	struct cp_session *s;

	if (c->v1_peer != UINT32_MAX)
		return c->v1_peer;
	s = cp_table_find(&t->cp->sessions, &c->ep);
	if (s == NULL)
		return UINT32_MAX;
	pthread_mutex_lock(&s->lock);
	if (s->info.established)
		c->v1_peer = s->info.peer_id;
	pthread_mutex_unlock(&s->lock);
	return c->v1_peer;
}

/* A data packet read from C: to the data plane, which finds its peer by
 * peer-id (P_DATA_V2) or by the meta's (P_DATA_V1). */
static void data_to_dp(struct cp_tcp *t, struct cp_tcp_conn *c, const uint8_t *rec, size_t len)
{
	struct cp_dp *dp = &t->cp->dp;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
	uint8_t *b = m && len <= rte_pktmbuf_tailroom(m) ?
		(uint8_t *)rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	struct sl_cp_meta *meta;

	if (b == NULL) {
		rte_pktmbuf_free(m);
		cp_count(&t->cp->ctx, CP_ST_DROP_NO_MBUF);
		return;
	}
	memcpy(b, rec, len);
	meta = rte_mbuf_to_priv(m);
	memset(meta, 0, sizeof(*meta));
	meta->peer = c->ep;
	meta->payload_len = (uint16_t)len;
	if (ovpn_op_opcode(rec[0]) == OVPN_P_DATA_V1)
		meta->peer_id = conn_v1_peer(t, c);
	if (rte_ring_enqueue(dp->cp_tx, m) != 0) {
		rte_pktmbuf_free(m);
		cp_count(&t->cp->ctx, CP_ST_DROP_TX_RING);
	}
}

struct rec_ctx {
	struct cp_tcp *t;
	struct cp_tcp_conn *c;
};

static int on_record(void *arg, const uint8_t *rec, size_t len)
{
	struct rec_ctx *r = arg;
	unsigned op = ovpn_op_opcode(rec[0]);
	static const uint8_t no_mac[6];

	if (op == OVPN_P_DATA_V2)
		data_to_dp(r->t, r->c, rec, len);
	else if (op == OVPN_P_DATA_V1 && r->t->cp->ctx.cfg->vpn.data_v1)
		data_to_dp(r->t, r->c, rec, len);
	else if (op == OVPN_P_DATA_V1)
		cp_count(&r->t->cp->ctx, CP_ST_DROP_OPCODE);	/* cp_auth.c refused such clients */
	else
		cp_loop_packet(r->t->cp, rec, len, &r->c->ep, no_mac, r->t->now);
	return 0;
}

static void conn_read(struct cp_tcp *t, struct cp_tcp_conn *c)
{
	uint8_t buf[16384];
	size_t total = 0;

	while (total < CP_TCP_READ_BUDGET) {
		struct rec_ctx r = { t, c };
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(t, c, n == 0 ? "by the client" : strerror(errno));
			return;
		}
		total += (size_t)n;
		if (ovpn_stream_feed(&c->in, buf, (size_t)n, on_record, &r) != 0) {
			cp_count(&t->cp->ctx, CP_ST_TCP_GARBAGE);
			conn_close(t, c, "bad stream framing (length 0 or too large)");
			return;
		}
	}
}

static struct cp_tcp_conn *slot_free(struct cp_tcp *t)
{
	for (uint32_t i = 0; i < t->n_slots; i++)
		if (t->c[i].fd < 0)
			return &t->c[i];
	return NULL;
}

static void conn_accept(struct cp_tcp *t)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	while ((fd = accept4(t->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct cp_tcp_conn *c = slot_free(t);
		struct epoll_event ev = { .events = EPOLLIN };

		if (c == NULL || (c->out = malloc(CP_TCP_OUT_MAX)) == NULL) {
			cp_count(&t->cp->ctx, CP_ST_TCP_REFUSED);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (++t->gen >= (1u << (32 - SLOT_BITS)))
			t->gen = 1;
		c->fd = fd;
		c->id = t->gen << SLOT_BITS | (uint32_t)(c - t->c);
		c->v1_peer = UINT32_MAX;
		c->ep = sl_endpoint_udp4(ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port));
		c->ep.transport = SL_TRANSPORT_TCP;
		c->ep.conn = c->id;
		c->out_off = c->out_len = 0;
		c->want_out = false;
		ovpn_stream_init(&c->in);
		ev.data.u32 = c->id & SLOT_MASK;
		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			c->fd = -1;
			free(c->out);
			c->out = NULL;
			continue;
		}
		t->n_live++;
		cp_count(&t->cp->ctx, CP_ST_TCP_ACCEPTED);
		sl = sizeof(sa);
	}
}

void cp_tcp_poll(struct cp_tcp *t, uint64_t now)
{
	struct epoll_event ev[CP_TCP_EVENTS];
	int n;

	if (t == NULL)
		return;
	t->now = now;
	n = epoll_wait(t->ep, ev, CP_TCP_EVENTS, 0);
	for (int i = 0; i < n; i++) {
		struct cp_tcp_conn *c;

		if (ev[i].data.u32 == UINT32_MAX) {
			conn_accept(t);
			continue;
		}
		c = &t->c[ev[i].data.u32];
		if (c->fd < 0)
			continue;
		if ((ev[i].events & EPOLLOUT) && !conn_flush(t, c))
			continue;
		if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_read(t, c);
	}
}

static int listen_on(uint16_t port, char *err, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0) {
		snprintf(err, len, "vpn.tcp_port %u: cannot listen: %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int cp_tcp_open(struct cp *cp, struct cp_tcp **tcp, char *err, size_t len)
{
	uint16_t port = cp->cfg->vpn.tcp_port;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	struct cp_tcp *t;

	*tcp = NULL;
	if (port == 0)
		return 0;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, len, "vpn.tcp_port: out of memory");
		return -1;
	}
	t->cp = cp;
	t->n_slots = cp->cfg->vpn.max_clients + 64;
	if (t->n_slots > SLOT_MASK)
		t->n_slots = SLOT_MASK;
	t->c = calloc(t->n_slots, sizeof(*t->c));
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->lfd = listen_on(port, err, len);
	if (t->c == NULL || t->ep < 0 || t->lfd < 0 ||
	    epoll_ctl(t->ep, EPOLL_CTL_ADD, t->lfd, &ev) != 0) {
		if (t->lfd >= 0 || t->c == NULL || t->ep < 0)
			snprintf(err, len, "vpn.tcp_port %u: %s", port, strerror(errno));
		t->n_slots = 0;
		cp_tcp_close(t);
		return -1;
	}
	for (uint32_t i = 0; i < t->n_slots; i++)
		t->c[i].fd = -1;
	*tcp = t;
	return 0;
}

void cp_tcp_close(struct cp_tcp *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->n_slots; i++)
		if (t->c[i].fd >= 0)
			conn_close(t, &t->c[i], "shutdown");
	if (t->lfd >= 0)
		close(t->lfd);
	if (t->ep >= 0)
		close(t->ep);
	free(t->c);
	free(t);
}

unsigned cp_tcp_count(const struct cp_tcp *t)
{
	return t ? t->n_live : 0;
}
