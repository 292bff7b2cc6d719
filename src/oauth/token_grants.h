/*
 * The grants of the token endpoint (RFC 6749 §4.4 client credentials, RFC
 * 7523 §2.1 jwt-bearer, and DESIGN §2's bearer-token request): from a parsed
 * request to an issued access token or an RFC 6749 §5.2 error. The endpoint
 * only checks the form, calls lk_token_grant and renders the outcome.
 */
#ifndef LK_OAUTH_TOKEN_GRANTS_H
#define LK_OAUTH_TOKEN_GRANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "http/http.h"
#include "jose/keyring.h"
#include "oauth/clients.h"
#include "oauth/errors.h"
#include "oauth/tokens.h"
#include "store/store.h"

/* What the grants need from the server; every pointer is borrowed. */
struct lk_grant_env {
	const struct lk_config *cfg;
	const struct lk_clients *clients;
	const struct lk_keyring *keyring;
	const char *endpoint_url; /* the token endpoint's URL, an accepted assertion aud */
	int64_t now;
	/*
	 * The database, asked for only when a request needs it (an opaque token
	 * to store, an assertion jti to consume), so that a client credentials
	 * grant with a JWT access token touches no disk (DESIGN §7). Returns
	 * NULL when the database cannot be opened.
	 */
	struct lk_store *(*store)(void *arg);
	void *store_arg;
	const char *client_addr; /* the throttling address of the password grant */
	/*
	 * The caller stores the opaque access token of a client's own grant
	 * (client_credentials, jwt-bearer, bearer_token) itself: the grant
	 * leaves it in the result's unstored record (the token endpoint's
	 * group commit, store/token_writer.h). Tokens of a user's grant are
	 * always stored by the grant, beside the rest of its writes.
	 */
	bool defer_opaque;
};

/* What a grant issues. */
struct lk_grant_result {
	struct lk_access_token access;
	char refresh[LK_TOKEN_MAX]; /* "" when none */
	char *id_token;		    /* NULL when none (scope without openid) */
	/* For the audit log: the application served (borrowed from env->clients). */
	const char *client_id;
	char subject[32]; /* the token's sub */
	/*
	 * With env->defer_opaque, the opaque token's record, which must be
	 * stored before the token is handed out; all zero otherwise (jti NULL).
	 */
	struct lk_token_record unstored;
};

/*
 * Runs the grant a token request asks for. req must be a POST whose form was
 * already checked (application/x-www-form-urlencoded, no repeated parameter,
 * or no body at all). grant_type:
 *  - client_credentials: the client authenticates (any method it has but
 *    none) and must be registered for the grant; scope = requested ∩ allowed.
 *  - urn:ietf:params:oauth:grant-type:jwt-bearer: the assertion parameter, an
 *    RFC 7523 JWT signed with a client certificate's key, identifies and
 *    authenticates the application; client authentication, if also given,
 *    must be of the same application.
 *  - absent: only a bearer_token application authenticating with Basic (the
 *    key pair of a SCIM connector), which gets a client credentials token.
 *  - authorization_code, refresh_token, password: see below.
 *  - anything else: unsupported_grant_type.
 * On success *out holds the token (lk_access_token_release) and true is
 * returned; otherwise err holds the RFC 6749 §5.2 error, *out untouched.
 */
bool lk_token_grant(const struct lk_grant_env *env, const struct lk_request *req,
		    struct lk_grant_result *out, struct lk_oauth_error *err);

/* Releases a result, wiping the refresh token. */
void lk_grant_result_release(struct lk_grant_result *r);

/*
 * The grants a person's consent or credentials stand behind (user_grants.c),
 * called by lk_token_grant:
 *  - authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6): the code is
 *    consumed atomically; it must be the client's, unexpired, for the same
 *    redirect_uri as the authorization request (absent when it was absent),
 *    with a verifier matching its challenge, and no verifier when it had no
 *    challenge (RFC 9700 §2.1.1). A second redemption is invalid_grant and
 *    revokes everything the first one issued.
 *  - refresh_token (§6): rotated on every use; a rotated or revoked token
 *    used again revokes its whole family; scope may narrow, never widen.
 *  - password (§4.3): only for apps registered for it, with the login
 *    page's throttling; runs Argon2id, so the endpoint calls it on the
 *    slow-work pool.
 * A refresh token comes with the code and password grants when the granted
 * scope includes offline_access (which the app must be allowed); an ID
 * token (oauth/id_token.h) with every one of them when it includes openid.
 */
bool lk_grant_authorization_code(const struct lk_grant_env *env, const struct lk_request *req,
				 struct lk_grant_result *out, struct lk_oauth_error *err);
bool lk_grant_refresh_token(const struct lk_grant_env *env, const struct lk_request *req,
			    struct lk_grant_result *out, struct lk_oauth_error *err);
bool lk_grant_password(const struct lk_grant_env *env, const struct lk_request *req,
		       struct lk_grant_result *out, struct lk_oauth_error *err);

#endif
