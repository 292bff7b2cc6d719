#include "endpoints/endpoints.h"

#include "oauth/params.h"

static const struct lk_route routes[] = {
	{"GET", LK_PATH_OIDC_DISCOVERY, false, lk_ep_discovery},
	{"GET", LK_PATH_OAUTH_METADATA, false, lk_ep_discovery},
	{"GET", LK_PATH_JWKS, false, lk_ep_jwks},
	{"GET", LK_PATH_HEALTHZ, false, lk_ep_healthz},
};

const struct lk_route *lk_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
