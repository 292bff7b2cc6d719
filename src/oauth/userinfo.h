/*
 * The UserInfo endpoint's protocol part (OpenID Connect Core §5.3): which
 * access token a request presents (RFC 6750 §2), whether it may read
 * userinfo, and the claims it releases (Core §5.4, §5.5), as JSON or signed.
 * The endpoint renders what this decides. The claims of a user are built
 * here for the ID token too (lk_userinfo_add_claims).
 */
#ifndef LK_OAUTH_USERINFO_H
#define LK_OAUTH_USERINFO_H

#include <stdbool.h>

#include "http/http.h"
#include "oauth/errors.h"
#include "oauth/inspect.h"

/*
 * Finds the access token of a userinfo request: the Authorization header's
 * Bearer token, or for a POST with an application/x-www-form-urlencoded
 * body the access_token form parameter (RFC 6750 §2.1, §2.2). On success
 * *token points into the request. false with e filled otherwise:
 *   LK_OAUTH_NONE             no token at all (RFC 6750 §3.1: the answer
 *                             then carries no error code)
 *   LK_OAUTH_INVALID_REQUEST  more than one method, a token in the query
 *                             string or in the body of a GET, a malformed
 *                             or repeated form parameter
 *   LK_OAUTH_INVALID_TOKEN    a malformed Bearer header
 */
bool lk_userinfo_token(const struct lk_request *req, const char **token, struct lk_oauth_error *e);

/*
 * The claims of a user for userinfo and the ID token: adds to obj (a json_t *
 * object, type-erased) each claim of `which` (a set of LK_CL_BIT, see
 * oauth/claims.h) that u has: name, given_name, family_name,
 * preferred_username (domain\user for a user outside [users]
 * default_domain), updated_at, email and email_verified, phone_number and
 * phone_number_verified (false: latchkey verifies no phone number), empty
 * values and the flags of empty values left out. LK_ENOMEM, with obj then
 * partly filled.
 */
enum lk_err lk_userinfo_add_claims(void *obj, const struct lk_config *cfg, const struct lk_user *u,
				   unsigned which);

/*
 * The userinfo claims for a presented access token: inspects it
 * (lk_token_inspect), requires the scope openid and a subject that is the id
 * of an existing, enabled user, and builds the JSON object: sub, the claims
 * of the scopes granted (profile: name, given_name, family_name,
 * preferred_username, updated_at; email: email, email_verified; phone:
 * phone_number, phone_number_verified) and those the authorization's claims
 * request asked userinfo for (Core §5.5), empty values left out. On success
 * *json is the JSON text (the caller frees it). false with e filled
 * otherwise: invalid_token (not an active token, or not a user's),
 * insufficient_scope (no openid), temporarily_unavailable (the answer cannot
 * be known now), server_error.
 */
bool lk_userinfo_claims(const struct lk_inspect_env *env, const char *token, char **json,
			struct lk_oauth_error *e);

/*
 * The userinfo response body (Core §5.3.2): the claims of lk_userinfo_claims
 * as JSON (*jwt false), or, when the token's application registered
 * userinfo_signed_response_alg, those claims with iss (the issuer) and aud
 * (its client_id) as a JWT signed with that algorithm by env->keyring (*jwt
 * true: the content type is application/jwt). *body is the caller's (free
 * it). Errors as lk_userinfo_claims; server_error too when no key signs with
 * the application's algorithm.
 */
bool lk_userinfo_answer(const struct lk_inspect_env *env, const char *token, char **body, bool *jwt,
			struct lk_oauth_error *e);

#endif
