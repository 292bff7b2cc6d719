/*
 * OpenID Connect ID tokens (Core §2, §3.1.3.6): who signed in, when and how,
 * for which client, signed with the application's id_token_alg.
 */
#ifndef LK_OAUTH_ID_TOKEN_H
#define LK_OAUTH_ID_TOKEN_H

#include <stdint.h>

#include "config/config.h"
#include "jose/keyring.h"
#include "oauth/clients.h"
#include "store/records.h"

struct lk_id_token_claims {
	int64_t user_id; /* sub */
	int64_t auth_time;
	const char *nonce;	  /* "" or NULL: none (Core §3.1.2.1: echoed exactly) */
	const char *sid;	  /* "" or NULL: none */
	const char *amr;	  /* space-separated, "" or NULL: none */
	const char *access_token; /* for at_hash; NULL: none */
	/*
	 * Claims about the user asked of the ID token by the claims request
	 * (Core §5.5): a set of LK_CL_BIT (oauth/claims.h) taken from user.
	 * 0 or a NULL user: none.
	 */
	const struct lk_user *user;
	unsigned user_claims;
};

/*
 * Signs an ID token for client: iss, sub, aud = client_id, iat, exp (iat +
 * the access token lifetime, at most an hour), auth_time, and nonce, sid,
 * amr and at_hash (Core §3.1.3.6: the left half of the SHA-256 of the access
 * token) when given, and the user claims asked for (as userinfo builds
 * them, lk_userinfo_add_claims). *out is the caller's (free it).
 * LK_ENOTFOUND when no key signs with the application's algorithm (see
 * [keys] signing_algs).
 */
enum lk_err lk_id_token_issue(const struct lk_config *cfg, const struct lk_keyring *kr,
			      const struct lk_client *client, const struct lk_id_token_claims *c,
			      int64_t now, char **out);

/*
 * Reads an id_token_hint (OpenID Connect Core §3.1.2.1, RP-Initiated Logout
 * §2): an ID token this server issued, maybe expired. An access token (typ
 * at+jwt, RFC 9068 §2.1) is signed with the same keys but is not an ID
 * token, so it is refused. On LK_OK *user_id is its sub and *claims (a
 * json_t *, json_decref it) its claims. LK_EDENIED for anything else,
 * LK_ENOMEM.
 */
enum lk_err lk_id_token_hint(const struct lk_config *cfg, const struct lk_keyring *kr,
			     const char *hint, int64_t *user_id, void **claims);

#endif
