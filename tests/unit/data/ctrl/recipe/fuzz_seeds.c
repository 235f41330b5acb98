/* seed generator for the fuzz corpora (fixed keys as in the targets) */
#include <stdio.h>
#include <string.h>
#include "ovpn_ctrl.h"
#include "ovpn_wrap.h"
#include "ovpn_wrap_v2.h"
static void out(const char *p, const uint8_t *b, int n) { FILE *f = fopen(p, "wb"); fwrite(b, 1, (size_t)n, f); fclose(f); }
int main(int argc, char **argv)
{
	const char *dir = argv[1]; char path[512];
	uint8_t key2[256], skey[128], plain[256], w[2048], wkc[400], meta[9]; int err, l, n;
	for (unsigned i = 0; i < 256; i++) key2[i] = (uint8_t)(i * 13 + 1);
	for (unsigned i = 0; i < 128; i++) skey[i] = (uint8_t)(0xa0 ^ i);
	static const uint8_t pay[] = { 0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5 }, tlv[] = { 0, 1, 0, 2, 0, 1 };
	struct ovpn_ctrl_pkt pk[4] = {
		{ .opcode = 7, .sid = {1,2,3,4,5,6,7,8}, .has_msg_id = true },
		{ .opcode = 4, .sid = {1,2,3,4,5,6,7,8}, .n_acks = 2, .acks = {1, 0}, .peer_sid = {9,9,9,9,9,9,9,9}, .has_msg_id = true, .msg_id = 1, .payload = pay, .payload_len = sizeof(pay) },
		{ .opcode = 5, .sid = {1,2,3,4,5,6,7,8}, .n_acks = 8, .acks = {7,6,5,4,3,2,1,0}, .peer_sid = {9,9,9,9,9,9,9,9} },
		{ .opcode = 8, .sid = {1,2,3,4,5,6,7,8}, .n_acks = 1, .peer_sid = {9,9,9,9,9,9,9,9}, .has_msg_id = true, .payload = tlv, .payload_len = 6 },
	};
	struct ovpn_wrap *ta1 = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA1, OVPN_KEY_DIR_INVERSE, &err);
	struct ovpn_wrap *ta256 = ovpn_wrap_tls_auth_new(key2, OVPN_WRAP_SHA256, OVPN_KEY_DIR_BIDI, &err);
	struct ovpn_wrap *tc = ovpn_wrap_tls_crypt_new(key2, false, &err);
	struct ovpn_wrap_v2_server *v2 = ovpn_wrap_v2_server_new(skey, &err);
	struct ovpn_wrap *kcw = ovpn_wrap_tls_crypt_new(key2, false, &err);
	struct ovpn_wrap_rid rid = { 1, 1000 };
	ovpn_wrap_v2_meta_timestamp(1700000000u, meta);
	int wl = ovpn_wrap_v2_wrap_client_key(v2, key2, meta, 9, wkc, sizeof(wkc));
	snprintf(path, sizeof(path), "%s/../tlscrypt_v2/wkc_timestamp.bin", dir); out(path, wkc, wl);
	for (int i = 0; i < 4; i++) {
		l = ovpn_ctrl_build(&pk[i], plain, sizeof(plain));
		snprintf(path, sizeof(path), "%s/plain_%d.bin", dir, i); out(path, plain, l);
		n = ovpn_wrap_tls_auth_wrap(ta1, &rid, plain, (size_t)l, w, sizeof(w));
		snprintf(path, sizeof(path), "%s/tlsauth1_%d.bin", dir, i); out(path, w, n);
		n = ovpn_wrap_tls_auth_wrap(ta256, &rid, plain, (size_t)l, w, sizeof(w));
		snprintf(path, sizeof(path), "%s/tlsauth256_%d.bin", dir, i); out(path, w, n);
		n = ovpn_wrap_tls_crypt_wrap(tc, &rid, plain, (size_t)l, w, sizeof(w));
		snprintf(path, sizeof(path), "%s/tlscrypt_%d.bin", dir, i); out(path, w, n);
	}
	pk[0].opcode = 10; pk[1].opcode = 11;
	for (int i = 0; i < 2; i++) {
		l = ovpn_ctrl_build(&pk[i], plain, sizeof(plain));
		n = ovpn_wrap_tls_crypt_wrap(kcw, &rid, plain, (size_t)l, w, sizeof(w));
		n = ovpn_wrap_v2_append_wkc(w, (size_t)n, sizeof(w), wkc, (size_t)wl);
		snprintf(path, sizeof(path), "%s/v2_%d.bin", dir, i); out(path, w, n);
		snprintf(path, sizeof(path), "%s/../tlscrypt_v2/v2_packet_%d.bin", dir, i); out(path, w, n);
	}
	return 0;
}
