#include "endpoints/endpoints.h"
#include "endpoints/upstream.h"

#include "oauth/params.h"

static const struct lk_route routes[] = {
	/* OPTIONS: CORS preflights, answered by the handler (lk_ep_cors). */
	{"GET,OPTIONS", LK_PATH_OIDC_DISCOVERY, false, lk_ep_discovery},
	{"GET,OPTIONS", LK_PATH_OAUTH_METADATA, false, lk_ep_discovery},
	{"GET,OPTIONS", LK_PATH_JWKS, false, lk_ep_jwks},
	{"GET", LK_PATH_HEALTHZ, false, lk_ep_healthz},
	{"GET,POST", LK_PATH_AUTHORIZE, false, lk_ep_authorize},
	{"GET,POST", LK_PATH_LOGIN, false, lk_ep_login},
	{"GET", LK_PATH_UPSTREAM, true, lk_ep_upstream},
	{"GET,POST", LK_PATH_CONSENT, false, lk_ep_consent},
	/* Any method: while sign-up is off, every one gets the 404 of an unknown path. */
	{NULL, LK_PATH_SIGNUP, false, lk_ep_signup},
	{"GET", LK_PATH_STATIC, true, lk_ep_static},
	/* Any method: the handler answers 405 itself, with Cache-Control: no-store. */
	{NULL, LK_PATH_TOKEN, false, lk_ep_token},
	{"POST", LK_PATH_REGISTER, false, lk_ep_register},
	{"GET,PUT,DELETE", LK_PATH_REGISTER "/", true, lk_ep_register_client},
	{"POST", LK_PATH_INTROSPECT, false, lk_ep_introspect},
	{"POST", LK_PATH_REVOKE, false, lk_ep_revoke},
	{"GET", LK_PATH_CHECK, false, lk_ep_check},
	{"GET,POST,OPTIONS", LK_PATH_USERINFO, false, lk_ep_userinfo},
	{"GET,POST", LK_PATH_LOGOUT, false, lk_ep_logout},
	{"GET,POST,PUT,PATCH,DELETE", LK_PATH_SCIM "/", true, lk_ep_scim},
	{"GET", LK_PATH_ADMIN, false, lk_ep_admin},
	{"GET,POST,PATCH,DELETE", LK_PATH_ADMIN_API, true, lk_ep_admin_api},
};

const struct lk_route *lk_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
