/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVPN_ERR_H
#define OVPN_ERR_H

/*
 * The error codes of every ovpn_* module in one list, and the one function
 * that describes them.
 *
 * Each module's list holds X(ENUM, "name", "description"): the name the
 * module's code uses, a short identifier (counter names, test output) and a
 * sentence for logs. A code's magnitude is its position in OVPN_ERRORS, so
 * magnitudes are unique across modules and any failure a function returns
 * can be described without knowing which module returned it.
 *
 * Two spellings, because callers compare against both:
 *   - data channel (ovpn_data, ovpn_aead, ovpn_cbc, ovpn_pktid, ovpn_comp,
 *     ovpn_inband): OVPN_DATA_ERR_x is the negative value itself, and
 *     -OVPN_DATA_ERR_x indexes a counter array of OVPN_DATA_ERR_NUM
 *     entries (the data list comes first, so its magnitudes are 1..17);
 *   - control channel (ovpn_ctrl, ovpn_wrap*, ovpn_reliable,
 *     ovpn_key_file): OVPN_x_E_y is positive and functions return
 *     -OVPN_x_E_y; OVPN_x_E_MAX is one past the module's last code.
 * Either way a function returns >= 0 on success and a negative code on
 * failure, and that negative value is what ovpn_strerror() takes.
 */

#define OVPN_DATA_ERRORS(X) \
	X(OVPN_DATA_ERR_SHORT, "short", \
	  "packet or payload shorter than its header and crypto overhead") \
	X(OVPN_DATA_ERR_TOO_LONG, "too_long", \
	  "packet longer than OVPN_DATA_MAX_LEN") \
	X(OVPN_DATA_ERR_OPCODE, "opcode", "opcode is not P_DATA_V1/V2") \
	X(OVPN_DATA_ERR_KEY_ID, "key_id", \
	  "key-id does not match the key context (keys out of sync)") \
	X(OVPN_DATA_ERR_AUTH, "auth", "AEAD tag or HMAC verification failed") \
	X(OVPN_DATA_ERR_BLOCK_LEN, "block_len", \
	  "CBC ciphertext is not a whole number of blocks") \
	X(OVPN_DATA_ERR_PADDING, "padding", \
	  "authenticated CBC plaintext has invalid PKCS#7 padding") \
	X(OVPN_DATA_ERR_PKTID_ZERO, "pktid_zero", "packet-id 0 is never valid") \
	X(OVPN_DATA_ERR_REPLAY, "replay", "packet-id already received (replay)") \
	X(OVPN_DATA_ERR_TOO_OLD, "too_old", "packet-id below the replay window") \
	X(OVPN_DATA_ERR_PKTID_EXHAUSTED, "pktid_exhausted", \
	  "TX packet-id space exhausted, key must be renegotiated") \
	X(OVPN_DATA_ERR_LZO, "lzo", \
	  "LZO-compressed payload, no decompressor linked") \
	X(OVPN_DATA_ERR_COMPRESSED, "compressed", \
	  "LZ4/Snappy-compressed payload, no decompressor linked") \
	X(OVPN_DATA_ERR_COMP_FRAMING, "comp_framing", \
	  "compression framing byte invalid for the configured mode") \
	X(OVPN_DATA_ERR_NOSPACE, "nospace", \
	  "buffer lacks the headroom or tailroom the operation needs") \
	X(OVPN_DATA_ERR_INVAL, "inval", \
	  "invalid argument or key used in the wrong direction") \
	X(OVPN_DATA_ERR_CRYPTO, "crypto", "libcrypto call failed (fetch, init, RNG)")

/* Control packet codec (ovpn_ctrl.h). */
#define OVPN_CTRL_ERRORS(X) \
	X(OVPN_CTRL_E_SHORT, "ctrl_short", "control packet truncated") \
	X(OVPN_CTRL_E_OPCODE, "ctrl_opcode", "not a control-channel opcode") \
	X(OVPN_CTRL_E_KEY_METHOD_1, "ctrl_key_method_1", \
	  "V1 hard reset: key-method 1 is not supported") \
	X(OVPN_CTRL_E_ACK_COUNT, "ctrl_ack_count", "ack count above 8") \
	X(OVPN_CTRL_E_TRAILING, "ctrl_trailing", "trailing bytes after P_ACK_V1") \
	X(OVPN_CTRL_E_PAYLOAD_LEN, "ctrl_payload_len", \
	  "control payload longer than 2048 bytes") \
	X(OVPN_CTRL_E_NOSPACE, "ctrl_nospace", "output buffer too small") \
	X(OVPN_CTRL_E_INVAL, "ctrl_inval", "invalid control packet fields") \
	X(OVPN_CTRL_E_TLV, "ctrl_tlv", "malformed early-negotiation TLV")

/* tls-auth, tls-crypt, tls-crypt-v2 and the cookie (ovpn_wrap*.h). */
#define OVPN_WRAP_ERRORS(X) \
	X(OVPN_WRAP_E_SHORT, "wrap_short", "packet shorter than the wrapping header") \
	X(OVPN_WRAP_E_AUTH, "wrap_auth", "HMAC/tag verification failed") \
	X(OVPN_WRAP_E_REPLAY, "wrap_replay", "replay-id refused (replayed or too old)") \
	X(OVPN_WRAP_E_NOSPACE, "wrap_nospace", "output buffer too small") \
	X(OVPN_WRAP_E_INVAL, "wrap_inval", "invalid argument") \
	X(OVPN_WRAP_E_CRYPTO, "wrap_crypto", "OpenSSL operation failed") \
	X(OVPN_WRAP_E_NOMEM, "wrap_nomem", "out of memory") \
	/* send counter exhausted within one second */ \
	X(OVPN_WRAP_E_PID_WRAP, "wrap_pid_wrap", "replay counter exhausted") \
	X(OVPN_WRAP_E_WKC_LEN, "wrap_wkc_len", "WKc length out of bounds") \
	/* e.g. the client key was wrapped with another server key */ \
	X(OVPN_WRAP_E_WKC_AUTH, "wrap_wkc_auth", "WKc tag verification failed") \
	X(OVPN_WRAP_E_META, "wrap_meta", "invalid tls-crypt-v2 metadata") \
	X(OVPN_WRAP_E_OPCODE, "wrap_opcode", "opcode not valid for this wrapping") \
	X(OVPN_WRAP_E_COOKIE, "wrap_cookie", "session cookie mismatch")

/* Reliability layer (ovpn_reliable.h). */
#define OVPN_REL_ERRORS(X) \
	X(OVPN_REL_E_WINDOW_FULL, "rel_window_full", "reliable send window full") \
	/* above OVPN_REL_PAYLOAD_MAX */ \
	X(OVPN_REL_E_TOO_LONG, "rel_too_long", "control payload too long") \
	/* P_ACK_V1 */ \
	X(OVPN_REL_E_OPCODE, "rel_opcode", "opcode carries no msg-id")

/* Key files (ovpn_key_file.h). */
#define OVPN_KEY_FILE_ERRORS(X) \
	X(OVPN_KEY_FILE_E_NO_HEADER, "key_file_no_header", "key file header line missing") \
	X(OVPN_KEY_FILE_E_NO_FOOTER, "key_file_no_footer", "key file footer line missing") \
	X(OVPN_KEY_FILE_E_HEX, "key_file_hex", "non-hex character in static key") \
	/* half a byte at the footer */ \
	X(OVPN_KEY_FILE_E_ODD_HEX, "key_file_odd_hex", \
	  "odd number of hex digits in static key") \
	/* bad base64 character or padding */ \
	X(OVPN_KEY_FILE_E_BASE64, "key_file_base64", "invalid base64 in key file") \
	X(OVPN_KEY_FILE_E_LENGTH, "key_file_length", "wrong amount of key material") \
	X(OVPN_KEY_FILE_E_WKC, "key_file_wkc", "malformed wrapped client key") \
	X(OVPN_KEY_FILE_E_IO, "key_file_io", "cannot read key file") \
	X(OVPN_KEY_FILE_E_NOSPACE, "key_file_nospace", "output buffer too small") \
	X(OVPN_KEY_FILE_E_RAND, "key_file_rand", "random number generator failed") \
	X(OVPN_KEY_FILE_E_WRAP, "key_file_wrap", "wrapping the client key failed")

/* All of them; the order fixes the magnitudes (data first, see above). */
#define OVPN_ERRORS(X) \
	OVPN_DATA_ERRORS(X) \
	OVPN_CTRL_ERRORS(X) \
	OVPN_WRAP_ERRORS(X) \
	OVPN_REL_ERRORS(X) \
	OVPN_KEY_FILE_ERRORS(X)

/* Magnitudes: ENUM_NR is ENUM's position in OVPN_ERRORS. */
#define OVPN_ERR_NR_(e, name, desc) e##_NR,
enum ovpn_err_nr {
	OVPN_ERR_NR_OK_ = 0,
	OVPN_ERRORS(OVPN_ERR_NR_)
	OVPN_ERR_COUNT		/* magnitudes 0 .. OVPN_ERR_COUNT - 1 */
};
#undef OVPN_ERR_NR_

#define OVPN_ERR_POS_(e, name, desc) e = e##_NR,
#define OVPN_ERR_NEG_(e, name, desc) e = -e##_NR,
#define OVPN_ERR_ONE_(e, name, desc) + 1

enum ovpn_data_err {
	OVPN_DATA_OK = 0,
	OVPN_DATA_ERRORS(OVPN_ERR_NEG_)
};
/* Entries incl. OVPN_DATA_OK: -err of a data error is below it. */
enum { OVPN_DATA_ERR_NUM = 1 OVPN_DATA_ERRORS(OVPN_ERR_ONE_) };

enum ovpn_ctrl_err {
	OVPN_CTRL_OK = 0,
	OVPN_CTRL_ERRORS(OVPN_ERR_POS_)
	OVPN_CTRL_E_MAX
};

enum ovpn_wrap_err {
	OVPN_WRAP_OK = 0,
	OVPN_WRAP_ERRORS(OVPN_ERR_POS_)
	OVPN_WRAP_E_MAX
};

enum ovpn_rel_err {
	OVPN_REL_OK = 0,
	OVPN_REL_ERRORS(OVPN_ERR_POS_)
	OVPN_REL_E_MAX
};

enum ovpn_key_file_err {
	OVPN_KEY_FILE_OK = 0,
	OVPN_KEY_FILE_ERRORS(OVPN_ERR_POS_)
	OVPN_KEY_FILE_E_MAX
};

#undef OVPN_ERR_POS_
#undef OVPN_ERR_NEG_
#undef OVPN_ERR_ONE_

/*
 * Sentence for a returned value: "success" for 0, the description for a
 * negative code of any module, "unknown error" for anything else
 * (positive values are lengths, not errors). Static strings; pure.
 */
const char *ovpn_strerror(int err);
/* Short identifier likewise: "ok", "auth", "wrap_replay" ... or "unknown". */
const char *ovpn_err_name(int err);

/* Old name, still used by the control plane's key loading. */
#define ovpn_key_file_strerror(err) ovpn_strerror(err)

#endif
