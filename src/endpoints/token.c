/*
 * POST /oauth2/token (RFC 6749 §3.2): parse -> oauth/token_grants -> render.
 * The hottest path of the server: it reads the application and keyring
 * snapshots under their own references and asks for the database only when
 * the grant needs it (an opaque token, an assertion's jti).
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "endpoints/limits.h"
#include "oauth/errors.h"
#include "oauth/params.h"
#include "oauth/token_grants.h"
#include "oauth/tokens.h"
#include "store/token_writer.h"

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

/* What a token issued was, for the audit log. */
struct issued {
	const char *client_id;
	const char *scope;
	const char *subject;
};

/* Whether issued tokens are audited ([audit] token_events = all). */
static bool audits_issued(const struct lk_ctx *c)
{
	return c->audit && strcmp(c->cfg->audit_token_events, "all") == 0;
}

/*
 * Queues the outcome for the audit log ([audit] token_events): every token
 * issued with its grant, scope and subject when "all", every refusal with
 * its reason unless "none". Memory only; the refresher thread writes them.
 */
static void audit(struct lk_ctx *c, const struct lk_request *req, const struct issued *r,
		  const struct lk_oauth_error *e, int64_t now)
{
	const char *grant = lk_ep_form_get(req, LK_P_GRANT_TYPE);
	struct lk_audit ev = {.at = now, .object_type = (char *)"app"};
	/* Both are cut by the queue; the precisions keep the important part. */
	char actor[LK_AUDIT_FIELD_MAX], detail[2 * LK_AUDIT_FIELD_MAX];
	bool issued = r != NULL;
	const char *client;

	if (!c->audit || (issued && !audits_issued(c)))
		return;
	client = issued && r->client_id ? r->client_id : claimed_client(req);
	snprintf(actor, sizeof(actor), "client:%.200s", client);
	if (issued)
		snprintf(detail, sizeof(detail), "grant=%.64s scope=%.300s sub=%s",
			 grant ? grant : "", r->scope ? r->scope : "", r->subject);
	else
		snprintf(detail, sizeof(detail), "grant=%.64s error=%s: %.300s", grant ? grant : "",
			 lk_oauth_code_name(e->code), e->description);
	ev.actor = actor;
	ev.action = (char *)(issued ? "token.issue" : "token.refuse");
	ev.object_id = (char *)client;
	ev.detail = detail;
	lk_audit_queue_push(c->audit, &ev);
}

/*
 * The answer to a request whose opaque token waits for the group commit
 * (store/token_writer.h); it lives in the request's arena, which stays
 * until the response is sent.
 */
struct held_token {
	struct lk_token_write w; /* first: done gets &w */
	struct lk_ctx *ctx;
	struct lk_request *req;
	struct lk_response *res;
	struct issued issued; /* for the audit log, in the arena; empty when not audited */
	int64_t now;
};

/*
 * The refusal of a request whose token could not be stored: the writer's
 * queue full is temporarily_unavailable, anything else a server_error
 * (logged).
 */
static void store_failed(enum lk_err err, struct lk_oauth_error *e)
{
	if (err == LK_EBUSY) {
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the server is busy");
		e->retry_after = 1;
		return;
	}
	lk_error("cannot store an access token: %s", lk_err_str(err));
	lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
}

/* The token's record is in the database, or could not be stored. */
static void token_stored(struct lk_token_write *w)
{
	struct held_token *h = (struct held_token *)(void *)w;
	struct lk_oauth_error e = {0};

	lk_token_record_release(&w->rec);
	if (!w->result) {
		audit(h->ctx, h->req, &h->issued, NULL, h->now);
	} else {
		/* The answer already written holds the token: it is replaced, wiped. */
		lk_log_set_request_id(h->req->request_id);
		store_failed(w->result, &e);
		lk_oauth_render_json(h->res, &e);
		audit(h->ctx, h->req, NULL, &e, h->now);
		lk_log_set_request_id(NULL);
	}
	lk_http_resume(h->req);
}

static void start_store(struct lk_request *req, void *arg)
{
	struct held_token *h = arg;

	(void)req;
	lk_token_writer_push(h->ctx->token_writer, &h->w);
}

/*
 * Holds the answer until the opaque token of r is committed with others'
 * (lk_http_hold); true when it is held, and then r's record belongs to the
 * hold. A request that cannot be held (the slow pool's, or one built
 * without a connection) stores its token itself.
 */
static bool hold_for_store(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
			   struct lk_grant_result *r, int64_t now)
{
	struct held_token *h = lk_arena_alloc(req->arena, sizeof(*h));

	if (!h || !c->token_writer)
		return false;
	memset(h, 0, sizeof(*h));
	/* r is gone when the token is stored: keep what the audit entry says. */
	if (audits_issued(c)) {
		h->issued.client_id = lk_arena_strdup(req->arena, r->client_id);
		h->issued.scope =
			lk_arena_strdup(req->arena, r->access.scope ? r->access.scope : "");
		h->issued.subject = lk_arena_strdup(req->arena, r->subject);
		if (!h->issued.client_id || !h->issued.scope || !h->issued.subject)
			return false;
	}
	h->ctx = c;
	h->req = req;
	h->res = res;
	h->now = now;
	h->w.rec = r->unstored;
	h->w.done = token_stored;
	if (lk_http_hold(req, start_store, h) != LK_OK)
		return false;
	memset(&r->unstored, 0, sizeof(r->unstored));
	return true;
}

/* Stores the opaque token of r on this thread; false (with e) when it fails. */
static bool store_now(struct lk_ctx *c, const struct lk_grant_result *r, struct lk_oauth_error *e)
{
	struct lk_store *s = lk_ctx_store(c);
	enum lk_err err = s ? lk_store_token_insert(s, &r->unstored) : LK_ESTORE;

	if (!err)
		return true;
	store_failed(err, e);
	return false;
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
		.defer_opaque = true,
	};
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_keyring *kr = lk_ctx_keyring(c);
	bool ok;

	env.clients = clients;
	env.keyring = kr;
	env.endpoint_url = lk_arena_printf(req->arena, "%s%s", c->cfg->issuer, LK_PATH_TOKEN);
	if (!env.endpoint_url)
		lk_oauth_fail(&e, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
	ok = env.endpoint_url && lk_token_grant(&env, req, &r, &e);
	if (ok) {
		struct issued what = {r.client_id, r.access.scope, r.subject};

		lk_token_response(res, &r.access, r.refresh[0] ? r.refresh : NULL, r.id_token);
		/* A held answer is audited once its token is stored. */
		if (r.unstored.jti && hold_for_store(c, req, res, &r, env.now))
			goto out;
		if (r.unstored.jti)
			ok = store_now(c, &r, &e);
		if (ok)
			audit(c, req, &what, NULL, env.now);
	}
	if (!ok) {
		lk_oauth_render_json(res, &e);
		audit(c, req, NULL, &e, env.now);
	}
out:
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
