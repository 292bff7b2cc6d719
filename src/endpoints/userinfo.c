/*
 * GET and POST /oauth2/userinfo (OpenID Connect Core §5.3): parse the token
 * (oauth/userinfo) -> inspect it and read the user -> the claims as JSON,
 * or as a signed JWT for an application that asked for one, or an RFC 6750
 * §3 bearer error. Browser-based applications call it directly,
 * so it speaks CORS.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "oauth/errors.h"
#include "oauth/params.h"
#include "oauth/userinfo.h"

/* Runs the request against fresh snapshots; *body on success, e otherwise. */
static bool answer(struct lk_ctx *c, const char *token, char **body, bool *jwt,
		   struct lk_oauth_error *e)
{
	struct lk_keyring *kr = lk_ctx_keyring(c);
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_inspect_env env = {
		.cfg = c->cfg,
		.keyring = kr,
		.clients = clients,
		.store = lk_ctx_store(c),
		.now = lk_now(),
	};
	bool ok = false;

	if (!env.store || !kr || !clients)
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the server is not ready");
	else
		ok = lk_userinfo_answer(&env, token, body, jwt, e);
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
	return ok;
}

void lk_ep_userinfo(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_oauth_error e = {0};
	const char *token = NULL;
	char *body = NULL;
	bool jwt = false;

	if (lk_ep_cors(c->cfg, req, res, "GET, POST"))
		return;
	if (lk_userinfo_token(req, &token, &e) && answer(c, token, &body, &jwt, &e)) {
		/* Core §5.3.2: a signed answer is a JWT of its own media type. */
		if (jwt)
			lk_res_body(res, 200, LK_MEDIA_JWT, body, strlen(body));
		else
			lk_res_json(res, 200, body);
		lk_res_no_store(res);
		free(body);
		return;
	}
	/*
	 * RFC 6750 §3: a refused token carries the challenge; without a token
	 * the challenge has no error code; insufficient_scope names the scope.
	 */
	if (e.code == LK_OAUTH_NONE || e.code == LK_OAUTH_INVALID_TOKEN ||
	    e.code == LK_OAUTH_INVALID_REQUEST || e.code == LK_OAUTH_INSUFFICIENT_SCOPE)
		lk_oauth_render_bearer(
			res, &e, e.code == LK_OAUTH_INSUFFICIENT_SCOPE ? LK_SCOPE_OPENID : NULL);
	else
		lk_oauth_render_json(res, &e);
}
