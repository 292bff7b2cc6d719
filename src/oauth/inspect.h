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

/* What an active token carries. Strings are malloc'd; "" when absent. */
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

/* Frees the strings of an info. */
void lk_token_info_release(struct lk_token_info *t);

#endif
