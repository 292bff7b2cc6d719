/*
 * Every URL latchkey serves, one handler per file, and the route table that
 * maps paths to them. Handlers receive a struct lk_ctx * as ctx.
 */
#ifndef LK_ENDPOINTS_ENDPOINTS_H
#define LK_ENDPOINTS_ENDPOINTS_H

#include <stddef.h>

#include "config/config.h"
#include "http/http.h"
#include "oauth/client_auth.h"

/* The route table, static storage; *n receives its length. */
const struct lk_route *lk_routes(size_t *n);

/* Builds the discovery document (RFC 8414 / OpenID Connect Discovery 1.0). */
enum lk_err lk_discovery_build(const struct lk_config *cfg, char **out);

struct lk_scope;

/*
 * The same with scopes_supported listing the n scopes of the catalog (DESIGN
 * §6), which lk_discovery_build leaves out. *out is the caller's to free.
 */
enum lk_err lk_discovery_build_scopes(const struct lk_config *cfg, const struct lk_scope *scopes,
				      size_t nscopes, char **out);

void lk_ep_discovery(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_jwks(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_healthz(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_not_found(void *ctx, struct lk_request *req, struct lk_response *res);

/* RFC 6749 §3.2 token endpoint (POST; other methods get 405). */
void lk_ep_token(void *ctx, struct lk_request *req, struct lk_response *res);

/*
 * Sign-in (issue: sign-in and authorization code): the authorization
 * endpoint, the login and consent pages, and their static assets.
 */
void lk_ep_authorize(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_login(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_consent(void *ctx, struct lk_request *req, struct lk_response *res);
/* Self sign-up (DESIGN §3): 404 unless [signup] enabled. */
void lk_ep_signup(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_static(void *ctx, struct lk_request *req, struct lk_response *res);

/* RFC 7591 registration and the RFC 7592 client configuration endpoint. */
void lk_ep_register(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_register_client(void *ctx, struct lk_request *req, struct lk_response *res);

/* RFC 7662 introspection, RFC 7009 revocation, the reverse-proxy check. */
void lk_ep_introspect(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_revoke(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_check(void *ctx, struct lk_request *req, struct lk_response *res);

/* SCIM 2.0 (DESIGN §5): every path below LK_PATH_SCIM "/", one prefix route. */
#define LK_PATH_SCIM "/scim/v2"
void lk_ep_scim(void *ctx, struct lk_request *req, struct lk_response *res);

/*
 * OpenID Connect: userinfo (Core §5.3) and RP-initiated logout (RP-Initiated
 * Logout 1.0), each GET and POST.
 */
void lk_ep_userinfo(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_logout(void *ctx, struct lk_request *req, struct lk_response *res);

/*
 * CORS for the endpoints browser-based applications call (userinfo, token,
 * JWKS, discovery): when the request's Origin is exactly one of [server]
 * cors_origins, adds Access-Control-Allow-Origin with it; whenever origins
 * are configured, Vary: Origin. An OPTIONS request is a preflight, answered
 * here with 204, Allow and, for an allowed origin, the Access-Control-Allow-
 * Methods methods ("GET, POST"), Allow-Headers and Max-Age; true then tells
 * the handler to return at once. Call it first: it only adds headers.
 */
bool lk_ep_cors(const struct lk_config *cfg, const struct lk_request *req, struct lk_response *res,
		const char *methods);

/*
 * Administration (DESIGN §6): the web console's page, for a signed-in
 * administrator.
 */
void lk_ep_admin(void *ctx, struct lk_request *req, struct lk_response *res);

/* The admin JSON API: every path below LK_PATH_ADMIN_API (endpoints/admin_api.h). */
void lk_ep_admin_api(void *ctx, struct lk_request *req, struct lk_response *res);

struct lk_oauth_error;

/*
 * Checks the form of a POST to an OAuth endpoint (application/x-www-form-
 * urlencoded, RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1). A request without
 * a body has no parameters; a body of another type, a malformed form or a
 * repeated parameter fills e with invalid_request and returns false.
 */
bool lk_ep_form_ok(const struct lk_request *req, struct lk_oauth_error *e);

/* A form parameter, or NULL when absent or the request has no form. */
const char *lk_ep_form_get(const struct lk_request *req, const char *name);

/*
 * The common start of introspection and revocation (RFC 7662 §2.1, RFC 7009
 * §2.1): a well-formed form, an authenticated client (public clients only
 * when allow_public) with private_key_jwt audience the endpoint at path, and
 * a non-empty `token`. On success *who and *token are set and *now is the
 * time used; false with e filled otherwise.
 */
bool lk_ep_client_token(const struct lk_config *cfg, struct lk_store *s,
			const struct lk_clients *clients, const struct lk_request *req,
			const char *path, bool allow_public, struct lk_auth_result *who,
			const char **token, int64_t *now, struct lk_oauth_error *e);

#endif
