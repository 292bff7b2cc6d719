/*
 * GET /oauth2/check?scope=S (HEAD too): the token check behind a reverse
 * proxy's sub-request (nginx auth_request, Traefik forwardAuth, Envoy
 * ext_authz). The proxy forwards the client's Authorization header; 200
 * carries the token's subject, client and scope in X-Auth-* headers for the
 * proxy to pass on, 401 and 403 carry the RFC 6750 §3 WWW-Authenticate
 * challenge for the proxy to return to the client.
 *
 * This endpoint runs on every proxied request. For a JWT it reads nothing
 * from disk but the revoked-jti table (one indexed read); the signature and
 * the application are checked against the in-memory snapshots.
 */
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "oauth/errors.h"
#include "oauth/inspect.h"
#include "oauth/params.h"
#include "oauth/scope.h"

/*
 * RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by
 * spaces; at most LK_SCOPE_MAX bytes.
 */
static bool scope_param_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] && i <= LK_SCOPE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch != ' ' && (ch < 0x21 || ch == 0x22 || ch == 0x5c || ch > 0x7e))
			return false;
	}
	return i <= LK_SCOPE_MAX;
}

/* 200: the X-Auth-* headers for the proxy, and the same in a tiny JSON body. */
static void allow(struct lk_response *res, const struct lk_token_info *t)
{
	json_t *o = json_pack("{sb ss ss ss}", LK_IR_ACTIVE, 1, LK_CLAIM_SUB, t->subject,
			      LK_CLAIM_CLIENT_ID, t->client_id, LK_CLAIM_SCOPE, t->scope);

	if (!o) {
		lk_res_json_error(res, 500, LK_ERR_SERVER_ERROR, "out of memory");
		lk_res_no_store(res);
		return;
	}
	lk_res_json_value(res, 200, o);
	lk_res_no_store(res);
	lk_res_header(res, LK_HDR_AUTH_SUBJECT, t->subject);
	lk_res_header(res, LK_HDR_AUTH_CLIENT, t->client_id);
	lk_res_header(res, LK_HDR_AUTH_SCOPE, t->scope);
}

/*
 * Decides on the bearer token of the request. On success *t holds the active
 * token; otherwise e says why (invalid_token, insufficient_scope, or a server
 * error).
 */
static bool decide(struct lk_ctx *c, const struct lk_request *req, const char *scope,
		   struct lk_token_info *t, struct lk_oauth_error *e)
{
	struct lk_store *s = lk_ctx_store(c);
	struct lk_keyring *kr = lk_ctx_keyring(c);
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_inspect_env env = {
		.cfg = c->cfg,
		.keyring = kr,
		.clients = clients,
		.store = s,
		.now = lk_now(),
	};
	const char *token = NULL;
	enum lk_err err;
	bool ok = false;

	if (!s || !kr || !clients) {
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the server is not ready");
		goto out;
	}
	/*
	 * The token comes from the Authorization header only (RFC 6750 §2.1): a
	 * proxy forwards headers, and a token in a query string ends up in logs.
	 * RFC 6750 §3.1 says a request without any token SHOULD NOT get an error
	 * code; we send error="invalid_token" anyway, as asked for, because
	 * proxies and their clients then handle every refusal of a token alike.
	 */
	err = lk_bearer_parse(lk_req_header(req, "Authorization"), &token);
	if (err == LK_ENOTFOUND) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "a bearer token is required");
		goto out;
	}
	if (err) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the bearer token is malformed");
		goto out;
	}
	err = lk_token_inspect(&env, token, t);
	if (err) {
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE,
			      "the token could not be checked");
		goto out;
	}
	if (!t->active) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the access token is not active");
		goto out;
	}
	/* Without scope the check is only that the token is active (DESIGN §2). */
	if (scope && !lk_scope_covers(t->scope, scope)) {
		lk_oauth_fail(e, LK_OAUTH_INSUFFICIENT_SCOPE, "the access token lacks a scope");
		goto out;
	}
	ok = true;
out:
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
	return ok;
}

/* GET and HEAD /oauth2/check */
void lk_ep_check(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_token_info t = {0};
	struct lk_oauth_error e = {0};
	const char *scope = NULL;

	if (req->query_err != LK_OK) {
		lk_oauth_fail(&e, LK_OAUTH_INVALID_REQUEST, "the query string is malformed");
		lk_oauth_render_json(res, &e);
		return;
	}
	scope = lk_params_get(&req->query, LK_P_CHECK_SCOPE);
	if (scope && !scope_param_ok(scope)) {
		lk_oauth_fail(&e, LK_OAUTH_INVALID_REQUEST,
			      "scope must be space-separated scope names of at most %d bytes",
			      LK_SCOPE_MAX);
		lk_oauth_render_json(res, &e);
		return;
	}
	if (decide(ctx, req, scope, &t, &e))
		allow(res, &t);
	else if (e.code == LK_OAUTH_INVALID_TOKEN || e.code == LK_OAUTH_INSUFFICIENT_SCOPE)
		/* RFC 6750 §3.1: insufficient_scope names the scope needed. */
		lk_oauth_render_bearer(res, &e,
				       e.code == LK_OAUTH_INSUFFICIENT_SCOPE ? scope : NULL);
	else
		lk_oauth_render_json(res, &e);
	lk_token_info_release(&t);
}
