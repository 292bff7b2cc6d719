/*
 * POST /oauth2/register (RFC 7591) and GET, PUT, DELETE
 * /oauth2/register/{client_id} (RFC 7592): bearer tokens and the JSON body
 * in, oauth/registration out. Every answer carries Cache-Control: no-store,
 * since it may hold a secret or a token.
 */
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "oauth/errors.h"
#include "oauth/inspect.h"
#include "oauth/params.h"
#include "oauth/registration.h"
#include "oauth/scope.h"

#define JSON_TYPE "application/json"

/* application/json, parameters (charset) allowed (RFC 7591 §3.1). */
static bool is_json(const char *type)
{
	size_t n = strlen(JSON_TYPE);

	if (!type || strncasecmp(type, JSON_TYPE, n) != 0)
		return false;
	type += n;
	type += strspn(type, " \t");
	return *type == '\0' || *type == ';';
}

static void render(struct lk_response *res, const struct lk_oauth_error *e, const char *scope)
{
	if (e->code == LK_OAUTH_INVALID_TOKEN || e->code == LK_OAUTH_INSUFFICIENT_SCOPE ||
	    e->code == LK_OAUTH_NONE)
		lk_oauth_render_bearer(res, e, scope);
	else
		lk_oauth_render_json(res, e);
}

static void unavailable(struct lk_response *res)
{
	struct lk_oauth_error e = {0};

	lk_oauth_fail(&e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the server is not ready");
	render(res, &e, NULL);
}

/*
 * The bearer token of the request (RFC 6750 §2.1). false with e filled
 * (LK_OAUTH_NONE when there is none, so the answer carries only the realm).
 */
static bool bearer(const struct lk_request *req, const char **token, struct lk_oauth_error *e)
{
	enum lk_err err = lk_bearer_parse(lk_req_header(req, "Authorization"), token);

	if (err == LK_ENOTFOUND) {
		e->code = LK_OAUTH_NONE;
		return false;
	}
	if (err) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the bearer token is malformed");
		return false;
	}
	return true;
}

static bool bad_type(const struct lk_request *req, struct lk_oauth_error *e)
{
	if (is_json(lk_req_header(req, "Content-Type")))
		return false;
	lk_oauth_fail(e, LK_OAUTH_INVALID_CLIENT_METADATA,
		      "the body must be a JSON object sent as application/json");
	return true;
}

/*
 * RFC 7591 §3: the initial access token must be active and carry the
 * register scope; its client is the registrar named in the audit log.
 */
static void do_register(struct lk_ctx *c, struct lk_store *s, const char *token,
			const struct lk_request *req, struct lk_response *res)
{
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_keyring *kr = lk_ctx_keyring(c);
	struct lk_inspect_env env = {
		.cfg = c->cfg,
		.keyring = kr,
		.clients = clients,
		.store = s,
		.now = lk_now(),
	};
	struct lk_dcr d = {.store = s, .cfg = c->cfg, .now = env.now};
	struct lk_token_info info = {0};
	struct lk_oauth_error e = {0};
	void *out = NULL;

	if (!kr || !clients) {
		unavailable(res);
		goto out;
	}
	if (lk_token_inspect(&env, token, &info) != LK_OK)
		lk_oauth_fail(&e, LK_OAUTH_SERVER_ERROR, "the token could not be checked");
	else if (!info.active)
		lk_oauth_fail(&e, LK_OAUTH_INVALID_TOKEN, "the access token is not active");
	else if (!lk_scope_covers(info.scope, LK_DCR_SCOPE))
		lk_oauth_fail(&e, LK_OAUTH_INSUFFICIENT_SCOPE,
			      "registering a client needs the scope " LK_DCR_SCOPE);
	else if (!bad_type(req, &e))
		lk_dcr_register(&d, info.client_id, info.scope, req->body, req->body_len, &out, &e);
	if (out) {
		lk_res_json_value(res, 201, out);
		lk_res_no_store(res);
	} else {
		render(res, &e, LK_DCR_SCOPE);
	}
out:
	lk_token_info_release(&info);
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
}

/* POST /oauth2/register */
void lk_ep_register(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_store *s = lk_ctx_store(ctx);
	struct lk_oauth_error e = {0};
	const char *token = NULL;

	if (!s) {
		unavailable(res);
		return;
	}
	if (!bearer(req, &token, &e)) {
		render(res, &e, LK_DCR_SCOPE);
		return;
	}
	do_register(ctx, s, token, req, res);
}

/* GET, PUT and DELETE /oauth2/register/{client_id} (RFC 7592 §2). */
void lk_ep_register_client(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	const char *id = req->path + strlen(LK_PATH_REGISTER "/");
	struct lk_store *s;
	struct lk_dcr d = {.cfg = c->cfg, .now = lk_now()};
	struct lk_oauth_error e = {0};
	const char *token = NULL;
	void *out = NULL;
	enum lk_err err;

	/* One non-empty segment: the client_id. */
	if (!*id || strchr(id, '/')) {
		lk_ep_not_found(ctx, req, res);
		return;
	}
	s = lk_ctx_store(c);
	if (!s) {
		unavailable(res);
		return;
	}
	d.store = s;
	if (!bearer(req, &token, &e)) {
		render(res, &e, NULL);
		return;
	}
	/* The router serves HEAD through GET routes: it reads, never deletes. */
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) {
		err = lk_dcr_read(&d, id, token, &out, &e);
	} else if (strcmp(req->method, "PUT") == 0) {
		/* Authenticate first: a stranger learns nothing, not even a type error. */
		err = lk_dcr_authenticate(&d, id, token, &e);
		if (!err && bad_type(req, &e))
			err = LK_EINVAL;
		if (!err)
			err = lk_dcr_update(&d, id, token, req->body, req->body_len, &out, &e);
	} else if (strcmp(req->method, "DELETE") == 0) {
		err = lk_dcr_delete(&d, id, token, &e);
	} else {
		lk_res_json_error(res, 405, "method_not_allowed", "use GET, PUT or DELETE");
		lk_res_header(res, "Allow", "GET, HEAD, PUT, DELETE");
		return;
	}
	if (err) {
		render(res, &e, NULL);
		return;
	}
	if (out)
		lk_res_json_value(res, 200, out);
	else
		res->status = 204; /* RFC 7592 §2.3: deleted, no content */
	lk_res_no_store(res);
}
