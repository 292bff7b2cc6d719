/*
 * Access tokens: issuing them (RFC 9068 JWTs, or opaque `lk_at_` reference
 * tokens stored as SHA-256 hashes) and the RFC 6749 §5.1 token response.
 *
 * The format, lifetime, life cycle and audience come from the application
 * (DESIGN §1): JWT unless the app is opaque (sliding, never, bearer_token
 * apps always are); lifetime = the app's minutes, else [tokens]
 * access_lifetime; `never` has no exp and no expires_in; audience = the app's,
 * else [tokens] audience, else the issuer.
 */
#ifndef LK_OAUTH_TOKENS_H
#define LK_OAUTH_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "http/http.h"
#include "jose/keyring.h"
#include "oauth/clients.h"
#include "store/store.h"

/* What issuing needs. The JWT path uses only cfg and keyring: no disk. */
struct lk_token_env {
	const struct lk_config *cfg;
	const struct lk_keyring *keyring;
	struct lk_store *store; /* opaque tokens, and tokens of a user grant */
	int64_t now;
	/*
	 * A token issued for a user's grant (authorization code, refresh,
	 * password) carries the grant's id, so that revoking the grant (a code
	 * replay, a refresh token reuse, the user disabled) reaches it: an
	 * opaque token stores it, a JWT's jti is recorded under it in the store.
	 * NULL for the client's own grants.
	 */
	const char *grant_id;
	int64_t user_id; /* the user of grant_id */
	/*
	 * When set, an opaque token is not stored here: its record is written
	 * to *unstored (strings malloc'd; lk_token_record_release) and the
	 * caller stores it (the token endpoint's group commit) before anyone
	 * sees the token. store is then not needed.
	 */
	struct lk_token_record *unstored;
};

#define LK_JTI_MAX 32
#define LK_GRANT_ID_MAX 32

/*
 * A new grant id (128 random bits, base64url): what every token of one
 * authorization code or password grant carries, so that revoking the grant
 * reaches them all.
 */
enum lk_err lk_grant_id_new(char out[LK_GRANT_ID_MAX]);

struct lk_access_token {
	char *token;	      /* the token; free with lk_access_token_release */
	int64_t expires_in;   /* seconds, or -1 when it never expires */
	char *scope;	      /* space-separated granted scopes */
	char jti[LK_JTI_MAX]; /* 128 random bits, base64url */
	bool jwt;
};

/*
 * Issues an access token for client acting as subject with the granted scope
 * (already checked against what the client may have). JWT claims (RFC 9068
 * §2.2): iss, sub, aud, client_id, scope, iat, exp, jti, with header typ
 * "at+jwt" and kid, signed with [tokens] access_alg. Opaque tokens are
 * inserted into the store before the function returns (or handed back in
 * env->unstored). LK_ENOTFOUND when no
 * key signs with the configured algorithm; store errors as they come.
 */
enum lk_err lk_access_token_issue(const struct lk_token_env *env, const struct lk_client *client,
				  const char *subject, const char *scope,
				  struct lk_access_token *out);

/* Zeroes and frees the token. */
void lk_access_token_release(struct lk_access_token *t);

/*
 * Whether the client's access tokens are opaque: its token format says so,
 * or its life cycle is sliding, its lifetime never, or it is a bearer_token
 * application (DESIGN §1), whatever the stored format.
 */
bool lk_access_token_opaque(const struct lk_client *client);

/*
 * The lifetime of the client's access tokens in seconds: its own minutes,
 * else [tokens] access_lifetime; 0 when they never expire.
 */
int64_t lk_access_token_lifetime(const struct lk_config *cfg, const struct lk_client *client);

/*
 * Writes the RFC 6749 §5.1 success response: access_token, token_type
 * "Bearer", expires_in (unless it never expires), scope, and refresh_token /
 * id_token when given; Cache-Control: no-store and Pragma: no-cache.
 */
void lk_token_response(struct lk_response *res, const struct lk_access_token *t,
		       const char *refresh_token, const char *id_token);

#endif
