/*
 * CORS (the Fetch standard's CORS protocol) for the endpoints a browser-based
 * application calls from its own origin: userinfo, token, JWKS and the
 * discovery documents. Only origins listed in [server] cors_origins are
 * allowed, each compared exactly; credentials (cookies) are never allowed,
 * since these endpoints take tokens and client credentials, not cookies.
 */
#include <string.h>

#include "endpoints/endpoints.h"
#include "oauth/params.h"

/* The longest Origin header compared; a longer one is not allowed. */
#define ORIGIN_MAX 512
/* How long a browser may cache a preflight answer, in seconds. */
#define PREFLIGHT_MAX_AGE "600"
/* What a browser-based application sends beyond the CORS-safelisted headers. */
#define ALLOW_HEADERS "Authorization, Content-Type"

/* Whether origin is one of the space-separated configured origins, exactly. */
static bool origin_allowed(const char *list, const char *origin)
{
	size_t want = strlen(origin);

	for (const char *p = list; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == want && strncmp(p, origin, n) == 0)
			return true;
		p += n;
	}
	return false;
}

bool lk_ep_cors(const struct lk_config *cfg, const struct lk_request *req, struct lk_response *res,
		const char *methods)
{
	const char *origin = lk_req_header(req, LK_HDR_ORIGIN);
	bool preflight = strcmp(req->method, "OPTIONS") == 0;
	bool allowed = false;
	const char *allow;

	/*
	 * The answer depends on Origin whenever origins are configured, so a
	 * shared cache must not give one origin's answer to another.
	 */
	if (cfg->cors_origins && *cfg->cors_origins) {
		lk_res_header(res, LK_HDR_VARY, LK_HDR_ORIGIN);
		allowed = origin && *origin && strlen(origin) <= ORIGIN_MAX &&
			  origin_allowed(cfg->cors_origins, origin);
	}
	if (allowed) {
		lk_res_header(res, LK_HDR_ALLOW_ORIGIN, origin);
		/* A browser-based application reads the bearer challenge of a refusal. */
		if (!preflight)
			lk_res_header(res, LK_HDR_EXPOSE_HEADERS, LK_HDR_WWW_AUTHENTICATE);
	}
	if (!preflight)
		return false;
	/* RFC 9110 §9.3.7: OPTIONS says what the resource allows, CORS or not. */
	lk_res_body(res, 204, NULL, "", 0);
	allow = lk_arena_printf(res->arena, "%s, OPTIONS", methods);
	if (allow)
		lk_res_header(res, "Allow", allow);
	if (allowed) {
		lk_res_header(res, LK_HDR_ALLOW_METHODS, methods);
		lk_res_header(res, LK_HDR_ALLOW_HEADERS, ALLOW_HEADERS);
		lk_res_header(res, LK_HDR_MAX_AGE, PREFLIGHT_MAX_AGE);
	}
	return true;
}
