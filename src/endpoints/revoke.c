/*
 * POST /oauth2/revoke (RFC 7009): a client revokes a token it was issued.
 * Clients authenticate as at the token endpoint; a public client identifies
 * itself with client_id alone and revokes its own tokens (§2.1). The answer
 * is 200 whether or not anything was revoked (§2.2): an unknown, invalid,
 * expired, already revoked token, or one issued to another client, gets the
 * same answer, so nothing says whether a token exists.
 */
#include <string.h>

#include "core/clock.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/errors.h"
#include "oauth/inspect.h"
#include "oauth/params.h"

/*
 * token_type_hint (RFC 7009 §2.1): access tokens and refresh tokens are the
 * types this server revokes. §2.1 says a server that cannot find the token
 * with the hint extends its search, so the hint never narrows the search;
 * a value naming a type we do not know is unsupported_token_type (§2.2.1),
 * which tells the client at once that nothing was revoked.
 */
static bool hint_ok(const char *hint)
{
	return !hint || strcmp(hint, LK_HINT_ACCESS_TOKEN) == 0 ||
	       strcmp(hint, LK_HINT_REFRESH_TOKEN) == 0;
}

/* Authenticates the caller and revokes the token; false with e filled on failure. */
static bool revoke(struct lk_ctx *c, struct lk_store *s, const struct lk_keyring *kr,
		   const struct lk_clients *clients, const struct lk_request *req,
		   struct lk_oauth_error *e)
{
	struct lk_inspect_env ienv = {
		.cfg = c->cfg,
		.keyring = kr,
		.clients = clients,
		.store = s,
	};
	struct lk_auth_result who;
	const char *token;

	if (!lk_ep_client_token(c->cfg, s, clients, req, LK_PATH_REVOKE, true, &who, &token,
				&ienv.now, e))
		return false;
	if (!hint_ok(lk_ep_form_get(req, LK_P_TOKEN_TYPE_HINT))) {
		lk_oauth_fail(e, LK_OAUTH_UNSUPPORTED_TOKEN_TYPE,
			      "token_type_hint must be access_token or refresh_token");
		return false;
	}
	/*
	 * Refresh tokens do not exist yet: an lk_rt_ value is found by neither
	 * search and answered 200 like any unknown token.
	 */
	if (lk_token_revoke(&ienv, token, who.client->app.client_id, NULL) != LK_OK) {
		/* §2.2.1: the client may retry later; nothing was revoked. */
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE,
			      "the token could not be revoked");
		return false;
	}
	return true;
}

/* POST /oauth2/revoke */
void lk_ep_revoke(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_keyring *kr = lk_ctx_keyring(c);
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_oauth_error e = {0};

	if (!s || !kr || !clients) {
		lk_oauth_fail(&e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the server is not ready");
		lk_oauth_render_json(res, &e);
	} else if (!revoke(c, s, kr, clients, req, &e)) {
		lk_oauth_render_json(res, &e);
	} else {
		/* §2.2: 200 with no content that the client needs. */
		res->status = 200;
		lk_res_no_store(res);
	}
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
}
