/*
 * POST /oauth2/token (RFC 6749 §3.2): parse -> oauth/token_grants -> render.
 * The hottest path of the server: it reads the application and keyring
 * snapshots under their own references and asks for the database only when
 * the grant needs it (an opaque token, an assertion's jti).
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "endpoints/limits.h"
#include "oauth/errors.h"
#include "oauth/params.h"
#include "oauth/token_grants.h"
#include "oauth/tokens.h"

static struct lk_store *open_store(void *ctx)
{
	return lk_ctx_store(ctx);
}

/*
 * RFC 6749 §3.2: the token endpoint takes POST only. The route accepts every
 * method so that this answer, like every other one here, carries
 * Cache-Control: no-store.
 */
static void method_not_allowed(struct lk_response *res)
{
	lk_res_json_error(res, 405, "method_not_allowed", "the token endpoint accepts POST only");
	lk_res_header(res, "Allow", "POST");
	lk_res_no_store(res);
}

/*
 * The application a refused request claimed to be, for the audit log: the
 * form's client_id, else the user of a Basic header; unauthenticated, so
 * it is cut and cleaned by the queue like any other text.
 */
static const char *claimed_client(const struct lk_request *req)
{
	const char *id = lk_ep_form_get(req, LK_CM_CLIENT_ID), *user = NULL, *password = NULL;

	if (id)
		return id;
	if (lk_basic_auth_parse(req->arena, lk_req_header(req, "Authorization"), &user,
				&password) == LK_OK)
		return user;
	return "";
}

/*
 * Queues the outcome for the audit log ([audit] token_events): every token
 * issued with its grant, scope and subject when "all", every refusal with
 * its reason unless "none". Memory only; the refresher thread writes them.
 */
static void audit(struct lk_ctx *c, const struct lk_request *req, const struct lk_grant_result *r,
		  const struct lk_oauth_error *e, bool issued, int64_t now)
{
	const char *grant = lk_ep_form_get(req, LK_P_GRANT_TYPE);
	struct lk_audit ev = {.at = now, .object_type = (char *)"app"};
	/* Both are cut by the queue; the precisions keep the important part. */
	char actor[LK_AUDIT_FIELD_MAX], detail[2 * LK_AUDIT_FIELD_MAX];
	const char *client;

	if (!c->audit || (issued && strcmp(c->cfg->audit_token_events, "all") != 0))
		return;
	client = issued && r->client_id ? r->client_id : claimed_client(req);
	snprintf(actor, sizeof(actor), "client:%.200s", client);
	if (issued)
		snprintf(detail, sizeof(detail), "grant=%.64s scope=%.300s sub=%s",
			 grant ? grant : "", r->access.scope ? r->access.scope : "", r->subject);
	else
		snprintf(detail, sizeof(detail), "grant=%.64s error=%s: %.300s", grant ? grant : "",
			 lk_oauth_code_name(e->code), e->description);
	ev.actor = actor;
	ev.action = (char *)(issued ? "token.issue" : "token.refuse");
	ev.object_id = (char *)client;
	ev.detail = detail;
	lk_audit_queue_push(c->audit, &ev);
}

/* Runs the grant with fresh snapshots and renders its outcome. */
static void run_grant(struct lk_ctx *c, struct lk_request *req, struct lk_response *res)
{
	struct lk_oauth_error e = {0};
	struct lk_grant_result r = {0};
	struct lk_grant_env env = {
		.cfg = c->cfg,
		.now = lk_now(),
		.store = open_store,
		.store_arg = c,
		.client_addr = req->client_addr,
	};
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_keyring *kr = lk_ctx_keyring(c);

	env.clients = clients;
	env.keyring = kr;
	env.endpoint_url = lk_arena_printf(req->arena, "%s%s", c->cfg->issuer, LK_PATH_TOKEN);
	if (!env.endpoint_url)
		lk_oauth_fail(&e, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
	if (env.endpoint_url && lk_token_grant(&env, req, &r, &e)) {
		lk_token_response(res, &r.access, r.refresh[0] ? r.refresh : NULL, r.id_token);
		audit(c, req, &r, &e, true, env.now);
	} else {
		lk_oauth_render_json(res, &e);
		audit(c, req, &r, &e, false, env.now);
	}
	lk_grant_result_release(&r);
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
}

/* The password grant hashes (Argon2id) on the slow-work pool. */
static void slow_grant(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	(void)arg;
	run_grant(ctx, req, res);
}

void lk_ep_token(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_oauth_error e = {0};
	const char *grant;

	/* A refusal carries the CORS headers, so a browser app can read it. */
	if (lk_ep_cors(c->cfg, req, res, "POST") || !lk_ep_limit_token(c, req, res))
		return;
	if (strcmp(req->method, "POST") != 0) {
		method_not_allowed(res);
		return;
	}
	if (!lk_ep_form_ok(req, &e)) {
		lk_oauth_render_json(res, &e);
		return;
	}
	if (!lk_ep_limit_token_client(c, req, res))
		return;
	grant = lk_ep_form_get(req, LK_P_GRANT_TYPE);
	if (grant && strcmp(grant, LK_GT_PASSWORD) == 0) {
		if (lk_http_defer(req, slow_grant, NULL) == LK_OK)
			return;
		lk_oauth_fail(&e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the server is busy");
		lk_oauth_render_json(res, &e);
		lk_res_header(res, "Retry-After", "1");
		return;
	}
	run_grant(c, req, res);
}
