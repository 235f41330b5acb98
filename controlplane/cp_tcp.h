/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_CP_TCP_H
#define SL_CP_TCP_H

/*
 * The TCP transport's control-plane side (docs/architecture.md, "TCP
 * transport"). The kernel terminates the connections (the data plane's
 * exception path, dataplane/dp_exc.h); we listen on vpn.tcp_port in the
 * same network namespace, read each connection's OpenVPN stream
 * (lib/ovpn_stream.h) and
 *   - control packets go to the event loop as UDP ones do, from the
 *     endpoint (client address, port, transport tcp, connection id);
 *   - data packets go to the data plane on sl_cp_tx (meta transport tcp)
 *     for decryption, rules and forwarding;
 * and write back what is for a connection: our control packets and the
 * data plane's encrypted packets (sl_cp_rx, meta transport tcp), each
 * behind its 2-byte length. Sockets are non-blocking, each connection's
 * output is bounded (CP_TCP_OUT_MAX: beyond it a packet is dropped and
 * counted, never waited for), garbage framing closes the connection.
 */
#include <stddef.h>
#include <stdint.h>

#include "sl_api.h"

#define CP_TCP_OUT_MAX		(256 * 1024)	/* bytes queued per connection */
#define CP_TCP_READ_BUDGET	(256 * 1024)	/* bytes read per connection per poll */

struct cp;
struct cp_tcp;
struct rte_mbuf;

/* Listen on vpn.tcp_port (NULL with *err set on failure); 0 = off: *tcp NULL, 0. */
int cp_tcp_open(struct cp *cp, struct cp_tcp **tcp, char *err, size_t len);
void cp_tcp_close(struct cp_tcp *t);

/* Accept, read, write what can be written; called every event-loop round. */
void cp_tcp_poll(struct cp_tcp *t, uint64_t now);

/* Queue packet D of LEN bytes for connection TO->conn; dropped and counted when full. */
void cp_tcp_send(struct cp_tcp *t, const struct sl_endpoint *to, const uint8_t *d, size_t len);

/* An encrypted packet from the data plane (meta transport tcp): queued, M freed. */
void cp_tcp_from_dp(struct cp_tcp *t, struct rte_mbuf *m);

/* Live connections (for status). */
unsigned cp_tcp_count(const struct cp_tcp *t);

#endif
