/*
 * Token inspection for resource servers: introspection (RFC 7662), the
 * reverse-proxy check endpoint and, later, userinfo. One function decides
 * whether an access token is active and what it carries, for both formats:
 * - JWT: signature against the keyring (a key we publish, its own alg), exp,
 *   iss, and a revoked jti (RFC 7009 revocation of a JWT) in the store.
 * - opaque (`lk_at_`): looked up by SHA-256 in the store; revoked or expired
 *   is inactive; a sliding token's expiry moves to now + its lifetime, the
 *   write batched so a hot token costs at most one write every few seconds.
 * Either way the application must still exist, be enabled, and its bound
 * user (if any) be enabled: disabling an app makes its tokens inactive at
 * once here (DESIGN §1), though offline JWT verifiers cannot know.
 */
#ifndef LK_OAUTH_INSPECT_H
#define LK_OAUTH_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "jose/keyring.h"
#include "oauth/clients.h"
#include "store/store.h"

struct lk_inspect_env {
	const struct lk_config *cfg;
	const struct lk_keyring *keyring;
	const struct lk_clients *clients;
	struct lk_store *store;
	int64_t now;
};

/* The longest token inspected; anything longer is simply not active. */
#define LK_INSPECT_TOKEN_MAX (16 * 1024)

/*
 * A sliding token's new expiry is written only when it moves the stored one
 * by more than this many seconds, so a hot token costs at most one write
 * every LK_SLIDE_BATCH seconds.
 */
#define LK_SLIDE_BATCH 5

/*
 * What an active token carries. Strings are malloc'd; "" when absent. For an
 * inactive token every string is NULL and every number 0.
 */
struct lk_token_info {
	bool active;
	bool jwt;
	char *client_id;
	char *subject;
	char *scope;
	char *audience;
	char *issuer;
	char *jti;
	int64_t issued_at;
	int64_t expires_at; /* 0 = never */
};

/*
 * Inspects a presented access token. Returns LK_OK with out->active false
 * for anything that is not an active token (malformed, unknown, bad
 * signature, expired, revoked, app or user disabled); an error only when the
 * answer cannot be known (LK_ESTORE, LK_ENOMEM). Never logs the token.
 */
enum lk_err lk_token_inspect(const struct lk_inspect_env *env, const char *token,
			     struct lk_token_info *out);

/* Frees the strings of an info and zeroes it. NULL is a no-op. */
void lk_token_info_release(struct lk_token_info *t);

/*
 * Revokes an access token at the request of client_id, the application that
 * authenticated at the revocation endpoint (RFC 7009 §2.1): an opaque token
 * is marked revoked in the store; a JWT this server signed has its jti
 * recorded as revoked until its exp, after which it is invalid anyway; a
 * refresh token takes its whole grant with it (every token of its family). A
 * token issued to another client is left alone (*revoked false), as is
 * anything unknown, malformed, expired or already revoked: the endpoint
 * answers 200 all the same (§2.2), so nothing leaks. *revoked (may be NULL)
 * tells whether this call revoked something. Errors: LK_ESTORE, LK_ENOMEM.
 */
enum lk_err lk_token_revoke(const struct lk_inspect_env *env, const char *token,
			    const char *client_id, bool *revoked);

#endif
