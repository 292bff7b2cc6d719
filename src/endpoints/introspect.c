/*
 * POST /oauth2/introspect (RFC 7662): a resource server, registered as a
 * confidential application, asks whether a token is active and what it
 * carries. The caller authenticates as at the token endpoint (RFC 7662 §2.1
 * leaves the method open); public clients may not introspect, since an
 * answer tells who holds a token (§4).
 */
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "oauth/client_auth.h"
#include "oauth/errors.h"
#include "oauth/inspect.h"
#include "oauth/params.h"

/* The form helpers of endpoints.h, shared by the POST endpoints of OAuth. */
bool lk_ep_form_ok(const struct lk_request *req, struct lk_oauth_error *e)
{
	if (req->form_err == LK_OK || (req->form_err == LK_ENOTFOUND && req->body_len == 0))
		return true;
	if (req->form_err == LK_ENOTFOUND)
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST,
			      "the body must be application/x-www-form-urlencoded");
	else if (req->form_err == LK_EDUP && req->form_dup)
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST, "the parameter '%.64s' is repeated",
			      req->form_dup);
	else
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST, "the form is malformed");
	return false;
}

const char *lk_ep_form_get(const struct lk_request *req, const char *name)
{
	return req->form_err == LK_OK ? lk_params_get(&req->form, name) : NULL;
}

/*
 * RFC 7662 §2.2: an inactive token is exactly {"active":false}, so that
 * nothing is said about why; an active one has the members DESIGN §6 lists,
 * exp only when the token expires.
 */
static json_t *answer(const struct lk_token_info *t)
{
	json_t *o;

	if (!t->active)
		return json_pack("{sb}", LK_IR_ACTIVE, 0);
	o = json_pack("{sb ss ss ss ss sI ss ss ss}", LK_IR_ACTIVE, 1, LK_CLAIM_SCOPE, t->scope,
		      LK_CLAIM_CLIENT_ID, t->client_id, LK_CLAIM_SUB, t->subject, LK_IR_TOKEN_TYPE,
		      LK_IR_BEARER, LK_CLAIM_IAT, (json_int_t)t->issued_at, LK_CLAIM_ISS, t->issuer,
		      LK_CLAIM_AUD, t->audience, LK_CLAIM_JTI, t->jti);
	if (o && t->expires_at &&
	    json_object_set_new(o, LK_CLAIM_EXP, json_integer((json_int_t)t->expires_at))) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

bool lk_ep_client_token(const struct lk_config *cfg, struct lk_store *s,
			const struct lk_clients *clients, const struct lk_request *req,
			const char *path, bool allow_public, struct lk_auth_result *who,
			const char **token, int64_t *now, struct lk_oauth_error *e)
{
	struct lk_auth_env aenv = {
		.clients = clients,
		.store = s,
		.issuer = cfg->issuer,
		.endpoint_url = lk_arena_printf(req->arena, "%s%s", cfg->issuer, path),
		.now = lk_now(),
	};
	const char *t;

	if (!aenv.endpoint_url) {
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "out of memory");
		return false;
	}
	if (!lk_ep_form_ok(req, e) || !lk_client_authenticate(&aenv, req, allow_public, who, e))
		return false;
	t = lk_ep_form_get(req, LK_P_TOKEN);
	if (!t || !*t) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST, "the parameter 'token' is required");
		return false;
	}
	*token = t;
	*now = aenv.now;
	return true;
}

/* Authenticates the caller, then inspects the token; e says why not. */
static json_t *introspect(struct lk_ctx *c, struct lk_store *s, const struct lk_keyring *kr,
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
	struct lk_token_info info = {0};
	const char *token;
	json_t *out = NULL;

	/* token_type_hint (RFC 7662 §2.1) is accepted and not needed: the token says. */
	if (!lk_ep_client_token(c->cfg, s, clients, req, LK_PATH_INTROSPECT, false, &who, &token,
				&ienv.now, e))
		goto out;
	if (lk_token_inspect(&ienv, token, &info) != LK_OK) {
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the token could not be checked");
		goto out;
	}
	out = answer(&info);
	if (!out)
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "out of memory");
out:
	lk_token_info_release(&info);
	return out;
}

/* POST /oauth2/introspect */
void lk_ep_introspect(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_keyring *kr = lk_ctx_keyring(c);
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_oauth_error e = {0};
	json_t *out = NULL;

	if (!s || !kr || !clients)
		lk_oauth_fail(&e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the server is not ready");
	else
		out = introspect(c, s, kr, clients, req, &e);
	if (out) {
		lk_res_json_value(res, 200, out);
		lk_res_no_store(res);
	} else {
		lk_oauth_render_json(res, &e);
	}
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
}
