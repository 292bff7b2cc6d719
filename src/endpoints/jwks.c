#include "endpoints/context.h"
#include "endpoints/endpoints.h"

/*
 * GET /oauth2/jwks: the public half of every published key (next, active and
 * retired). A key is published before it signs, so clients may cache for a
 * minute without ever missing the key of a token they are shown. Browser-
 * based applications fetch it too, so it speaks CORS (lk_ep_cors).
 */
void lk_ep_jwks(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_keyring *kr;

	if (lk_ep_cors(c->cfg, req, res, "GET"))
		return;
	kr = lk_ctx_keyring(c);
	if (!kr) {
		lk_res_json_error(res, 503, "temporarily_unavailable", "no signing keys loaded");
		return;
	}
	lk_res_json(res, 200, lk_keyring_jwks(kr));
	res->content_type = "application/jwk-set+json";
	lk_res_header(res, "Cache-Control", "public, max-age=60");
	lk_keyring_unref(kr);
}
