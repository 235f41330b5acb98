/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data-cipher negotiation (algorithm in ovpn_ncp.h). Lists are walked in
 * place, without copies or strtok, so the function is reentrant.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "ovpn_ncp.h"

/* What a client announcing only IV_NCP=2 is known to support. */
static const char ncp_v2_list[] = "AES-256-GCM:AES-128-GCM";

/* A view of one list entry. */
struct ncp_tok {
	const char *p;
	size_t len;
};

/* Next non-empty entry of a colon list; false at the end. */
static bool tok_next(const char **cur, struct ncp_tok *t)
{
	const char *s = *cur;

	while (*s == ':')
		s++;
	if (*s == '\0')
		return false;
	t->p = s;
	t->len = strcspn(s, ":");
	*cur = s + t->len;
	return true;
}

static bool tok_eq(const struct ncp_tok *t, const char *p, size_t len)
{
	return t->len == len && strncasecmp(t->p, p, len) == 0;
}

/* Find entry s[0..len) in list; on a hit *hit is the list's spelling. */
static bool list_find(const char *list, const char *s, size_t len,
		      struct ncp_tok *hit)
{
	const char *cur = list;
	struct ncp_tok t;

	while (list != NULL && tok_next(&cur, &t)) {
		if (tok_eq(&t, s, len)) {
			*hit = t;
			return true;
		}
	}
	return false;
}

bool ovpn_ncp_list_has(const char *list, const char *name)
{
	struct ncp_tok hit;

	return name != NULL && list_find(list, name, strlen(name), &hit);
}

static int set_result(struct ovpn_ncp_result *res, const char *p, size_t len,
		      enum ovpn_ncp_source src)
{
	if (len >= sizeof(res->cipher))
		return -EINVAL;
	memcpy(res->cipher, p, len);
	res->cipher[len] = '\0';
	res->source = src;
	return 0;
}

/* The client's list and how it was learnt (step 1 of the algorithm). */
static const char *client_list(const struct ovpn_peerinfo *pi,
			       enum ovpn_ncp_source *src)
{
	if (pi != NULL && ovpn_peerinfo_has(pi, OVPN_PI_CIPHERS)) {
		*src = OVPN_NCP_SRC_IV_CIPHERS;
		return pi->ciphers;
	}
	*src = OVPN_NCP_SRC_IV_NCP;
	return pi != NULL && pi->ncp >= 2 ? ncp_v2_list : "";
}

/* Step 2: first server entry the client supports. 1 = found. */
static int walk_server(const char *server, const char *clist,
		       enum ovpn_ncp_source lsrc, const char *occ,
		       struct ovpn_ncp_result *res)
{
	const char *cur = server;
	struct ncp_tok t, hit;

	while (tok_next(&cur, &t)) {
		if (list_find(clist, t.p, t.len, &hit))
			return set_result(res, hit.p, hit.len, lsrc) == 0 ? 1 : -EINVAL;
		if (occ != NULL && tok_eq(&t, occ, strlen(occ)))
			return set_result(res, occ, strlen(occ),
					  OVPN_NCP_SRC_OCC) == 0 ? 1 : -EINVAL;
	}
	return 0;
}

/*
 * Step 3: no match. The fallback serves clients without a cipher list
 * (2.3, 2.4 without NCP), as OpenVPN 2.6's data-ciphers-fallback
 * (multi.c multi_client_set_protocol_options); unlike OpenVPN, not when
 * their OCC string names another cipher, which they would use whatever we
 * chose: refused here rather than a data channel that fails every HMAC.
 */
static int no_match(const char *clist, bool listed, const char *occ, const char *fallback,
		    struct ovpn_ncp_result *res, const char **reason)
{
	bool fb = fallback != NULL && fallback[0] != '\0';
	const char *why;

	if (clist[0] != '\0' || listed)
		why = "no common cipher between server and client lists";
	else if (fb && (occ == NULL || strcasecmp(occ, fallback) == 0))
		return set_result(res, fallback, strlen(fallback),
				  OVPN_NCP_SRC_FALLBACK);
	else if (occ != NULL)
		why = fb ? "client's OCC cipher is neither in data-ciphers nor the fallback" :
			   "client's OCC cipher is not in data-ciphers";
	else
		why = "no NCP or OCC cipher data received from peer";
	if (reason != NULL)
		*reason = why;
	return -ENOENT;
}

int ovpn_ncp_select(const char *server_ciphers, const struct ovpn_peerinfo *pi,
		    const char *occ_cipher, const char *fallback,
		    struct ovpn_ncp_result *res, const char **reason)
{
	enum ovpn_ncp_source lsrc;
	const char *clist;
	int rc;

	if (server_ciphers == NULL || res == NULL) {
		if (reason != NULL)
			*reason = "invalid argument";
		return -EINVAL;
	}
	memset(res, 0, sizeof(*res));
	clist = client_list(pi, &lsrc);
	if (occ_cipher != NULL && occ_cipher[0] == '\0')
		occ_cipher = NULL;
	/*
	 * A client that sends IV_CIPHERS may not accept its OCC cipher, so
	 * it is not matched; but its presence still rules out the fallback.
	 */
	rc = walk_server(server_ciphers, clist, lsrc,
			 lsrc == OVPN_NCP_SRC_IV_CIPHERS ? NULL : occ_cipher, res);
	if (rc == 0)
		rc = no_match(clist, lsrc == OVPN_NCP_SRC_IV_CIPHERS, occ_cipher, fallback, res,
			      reason);
	else if (rc > 0)
		rc = 0;
	if (rc == -EINVAL && reason != NULL)
		*reason = "cipher name too long";
	res->push = rc == 0 && pi != NULL && ovpn_peerinfo_ncp_capable(pi);
	return rc;
}
