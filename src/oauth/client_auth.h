/*
 * Client authentication at the token, introspection and revocation
 * endpoints (RFC 6749 §2.3, RFC 7523 §3): client_secret_basic,
 * client_secret_post, private_key_jwt and none. Exactly one method per
 * request; more than one is invalid_request.
 */
#ifndef LK_OAUTH_CLIENT_AUTH_H
#define LK_OAUTH_CLIENT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "oauth/clients.h"
#include "oauth/errors.h"
#include "store/store.h"

enum lk_auth_method {
	LK_AUTH_NONE_GIVEN,        /* nothing identified the client */
	LK_AUTH_NONE,              /* public client: client_id only */
	LK_AUTH_SECRET_BASIC,
	LK_AUTH_SECRET_POST,
	LK_AUTH_PRIVATE_KEY_JWT,
};

/* What client authentication needs from the server. */
struct lk_auth_env {
	const struct lk_clients *clients;
	struct lk_store *store;   /* assertion jti replay records (private_key_jwt) */
	const char *issuer;
	const char *endpoint_url; /* the URL of the endpoint being called */
	int64_t now;
};

struct lk_auth_result {
	const struct lk_client *client; /* borrowed from env->clients */
	enum lk_auth_method method;
};

/*
 * Authenticates the client of a request from its Authorization header and
 * form parameters (client_id, client_secret, client_assertion_type,
 * client_assertion). allow_public accepts method none for public clients.
 * On failure fills err (invalid_client 401 with err->basic when Basic was
 * used, or invalid_request for a malformed or ambiguous request) and returns
 * false. A disabled application or one whose bound user is disabled fails
 * with invalid_client. Private-key JWTs are verified against the
 * application's certificate (validity period checked at env->now), with their
 * jti consumed atomically in the store so that a replay fails.
 */
bool lk_client_authenticate(const struct lk_auth_env *env, const struct lk_request *req,
			    bool allow_public, struct lk_auth_result *out,
			    struct lk_oauth_error *err);

/*
 * Whether the request carries anything that identifies or authenticates a
 * client: an Authorization header, or a non-empty client_id, client_secret,
 * client_assertion or client_assertion_type form parameter. The jwt-bearer
 * grant (RFC 7523 §2.1) needs no client authentication, but checks one that
 * is given.
 */
bool lk_client_auth_present(const struct lk_request *req);

/*
 * Verifies an RFC 7523 assertion signed with an application's certificate
 * key, as private_key_jwt (§3) and the jwt-bearer grant (§2.1) both need:
 * the application is client_id when given, else the assertion's unverified
 * iss; it must be enabled, with an enabled bound user and a certificate; a
 * header kid must be the certificate's RFC 7638 thumbprint and a header
 * x5t#S256 its SHA-256; the signature (RS256, PS256 or ES256) must verify with
 * the certificate's key; the claims must pass lk_assertion_check with aud =
 * env->endpoint_url or env->issuer; and the jti is then consumed in
 * env->store. On success *client (borrowed from env->clients) is the
 * application. LK_EDENIED for an assertion that fails any check (the reason
 * in why, for the debug log only), LK_EEXIST for a jti already used, other
 * errors (LK_ESTORE, LK_ENOMEM, LK_EINVAL without a store) as they come.
 */
enum lk_err lk_client_assertion_verify(const struct lk_auth_env *env, const char *assertion,
				       const char *client_id, const struct lk_client **client,
				       char *why, size_t whylen);

#endif
