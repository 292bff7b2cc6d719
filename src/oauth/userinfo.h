/*
 * The UserInfo endpoint's protocol part (OpenID Connect Core §5.3): which
 * access token a request presents (RFC 6750 §2), whether it may read
 * userinfo, and the claims it releases (Core §5.4). The endpoint renders
 * what this decides.
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
 * The userinfo answer for a presented access token: inspects it
 * (lk_token_inspect), requires the scope openid and a subject that is the id
 * of an existing, enabled user, and builds the JSON object: sub, and the
 * claims of the scopes granted (profile: name, given_name, family_name,
 * preferred_username, updated_at; email: email, email_verified; phone:
 * phone_number, phone_number_verified), empty values left out.
 * preferred_username is domain\user for a user outside [users]
 * default_domain. On success *json is the JSON text (the caller frees it).
 * false with e filled otherwise: invalid_token (not an active token, or not
 * a user's), insufficient_scope (no openid), temporarily_unavailable (the
 * answer cannot be known now), server_error.
 */
bool lk_userinfo_claims(const struct lk_inspect_env *env, const char *token, char **json,
			struct lk_oauth_error *e);

#endif
