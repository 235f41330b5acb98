/* Throw-away interop responder (not part of the repo): answers one client
 * hard reset with a cookie HARD_RESET_SERVER_V2 built by libsluice and logs
 * the client's follow-up packets. usage: responder MODE KEYFILE OUT SECS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ovpn_ctrl.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_v2.h"
#include "ovpn_wrap_cookie.h"
#include "ovpn_key_file.h"

static void hex(FILE *f, const char *tag, const struct sockaddr_in *a, const uint8_t *b, size_t n)
{
	fprintf(f, "%s %ld %s:%u ", tag, (long)time(NULL), inet_ntoa(a->sin_addr), ntohs(a->sin_port));
	for (size_t i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
	fprintf(f, "\n"); fflush(f);
}

int main(int argc, char **argv)
{
	const char *mode = argv[1];
	char text[OVPN_KEY_FILE_MAX]; size_t tlen; struct ovpn_key_file_error e;
	uint8_t key2[256], skey[128], kc[256], meta[800], ck[32];
	size_t mlen;
	struct ovpn_wrap *w = NULL; struct ovpn_wrap_v2_server *v2 = NULL; int err;
	int v2mode = !strcmp(mode, "v2");
	FILE *out = fopen(argv[3], "w");
	int secs = atoi(argv[4]);

	memset(ck, 0x42, sizeof(ck));
	if (ovpn_key_file_load(argv[2], text, sizeof(text), &tlen, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
	if (v2mode) {
		if (ovpn_key_file_parse_v2_server(text, tlen, skey, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
		v2 = ovpn_wrap_v2_server_new(skey, &err);
		memset(key2, 0, sizeof(key2));
		w = ovpn_wrap_tls_crypt_new(key2, true, &err);
	} else {
		if (ovpn_key_file_parse_static(text, tlen, key2, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
		w = !strcmp(mode, "tls-auth") ? ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1, OVPN_KEY_DIR_NORMAL, &err)
					      : ovpn_wrap_tls_crypt_new(key2, true, &err);
	}
	struct ovpn_wrap_cookie *c = ovpn_wrap_cookie_new(ck, 60, &err);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(1194) };
	inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
	if (bind(s, (struct sockaddr *)&me, sizeof(me))) { perror("bind"); return 1; }
	struct timeval tv = { 1, 0 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct ovpn_wrap_pid_tx tx; ovpn_wrap_pid_tx_init(&tx, 0);
	time_t end = time(NULL) + secs;
	int replied = 0;
	while (time(NULL) < end) {
		uint8_t buf[4096], plain[4096], wire[4096];
		struct sockaddr_in from; socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0) continue;
		hex(out, "rx", &from, buf, (size_t)n);
		struct ovpn_wrap_rid rid; int pl;
		if (v2mode) {
			pl = ovpn_wrap_v2_server_unwrap(v2, w, NULL, buf, (size_t)n, plain, sizeof(plain), &rid, kc, meta, sizeof(meta), &mlen);
		} else {
			pl = ovpn_wrap_unwrap(w, NULL, buf, (size_t)n, plain, sizeof(plain), &rid);
		}
		if (pl < 0) { fprintf(out, "# unwrap failed: %s\n", ovpn_strerror(pl)); continue; }
		struct ovpn_ctrl_pkt p;
		int rc = ovpn_ctrl_parse(plain, (size_t)pl, &p);
		fprintf(out, "# unwrap ok rid=%08x/%u op=%s n_acks=%u msg=%u payload=%zu parse=%d\n", rid.counter, rid.time,
			ovpn_ctrl_opcode_name(p.opcode), p.n_acks, p.msg_id, p.payload_len, rc);
		if (rc) continue;
		time_t now = time(NULL);
		if (p.opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V2 || p.opcode == OVPN_P_CONTROL_HARD_RESET_CLIENT_V3) {
			if (replied++ > 2) continue;
			struct ovpn_ctrl_pkt r = { .opcode = OVPN_P_CONTROL_HARD_RESET_SERVER_V2, .n_acks = 1, .has_msg_id = true };
			uint8_t tlv[6];
			ovpn_wrap_cookie_make(c, (uint64_t)now, (struct sockaddr *)&from, p.sid, r.sid);
			memcpy(r.peer_sid, p.sid, 8);
			if (v2mode && ovpn_wrap_v2_early_neg(rid.counter)) {
				ovpn_ctrl_tlv_build(OVPN_EARLY_NEG_FLAG_RESEND_WKC, tlv, 6);
				r.payload = tlv; r.payload_len = 6;
			}
			int l = ovpn_ctrl_build(&r, plain, sizeof(plain));
			struct ovpn_wrap_pid_tx fresh; ovpn_wrap_pid_tx_init(&fresh, 0);
			int wl = ovpn_wrap_wrap(w, &fresh, (uint32_t)now, plain, (size_t)l, wire, sizeof(wire));
			sendto(s, wire, (size_t)wl, 0, (struct sockaddr *)&from, fl);
			hex(out, "tx", &from, wire, (size_t)wl);
		} else {
			int ok = p.n_acks ? ovpn_wrap_cookie_check(c, (uint64_t)now, (struct sockaddr *)&from, p.sid, p.peer_sid) : -1;
			fprintf(out, "# cookie check: %s acks[0]=%u\n", ok == 0 ? "VALID" : "INVALID", p.acks[0]);
			if (p.payload_len) { fprintf(out, "# payload starts %02x %02x %02x\n", p.payload[0], p.payload[1], p.payload[2]); }
			break;
		}
	}
	fclose(out);
	ovpn_wrap_free(w); ovpn_wrap_v2_server_free(v2); ovpn_wrap_cookie_free(c);
	return 0;
}
