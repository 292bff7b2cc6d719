/*
 * /scim/v2/... (DESIGN §5, RFC 7644): authentication and routing for the
 * SCIM service of src/scim/. Provisioning clients (Entra ID, Okta, OneLogin)
 * present a bearer token with the scope user_sync; the request then goes to
 * the resource and method its path names, and the answer is rendered as
 * application/scim+json with Cache-Control: no-store (a User may carry
 * personal data).
 *
 * Every request runs on the slow-work pool: creating a user hashes a
 * password with Argon2id, and a filtered list renders the whole directory,
 * neither of which may hold up an event loop.
 */
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "oauth/errors.h"
#include "oauth/inspect.h"
#include "oauth/scope.h"
#include "scim/scim.h"

/* The operations of one resource type; Users and Groups have the same shape. */
struct resource {
	const char *name;
	enum lk_err (*list)(const struct lk_scim_env *, const struct lk_scim_query *, json_t **,
			    struct lk_scim_error *);
	enum lk_err (*create)(const struct lk_scim_env *, const struct lk_scim_query *,
			      const char *, size_t, json_t **, struct lk_scim_error *);
	enum lk_err (*get)(const struct lk_scim_env *, const char *, const struct lk_scim_query *,
			   json_t **, struct lk_scim_error *);
	enum lk_err (*replace)(const struct lk_scim_env *, const char *,
			       const struct lk_scim_query *, const char *, size_t, json_t **,
			       struct lk_scim_error *);
	enum lk_err (*patch)(const struct lk_scim_env *, const char *, const struct lk_scim_query *,
			     const char *, size_t, json_t **, struct lk_scim_error *);
	enum lk_err (*remove)(const struct lk_scim_env *, const char *, struct lk_scim_error *);
};

static const struct resource RESOURCES[] = {
	{LK_SCIM_USERS, lk_scim_user_list, lk_scim_user_create, lk_scim_user_get,
	 lk_scim_user_replace, lk_scim_user_patch, lk_scim_user_remove},
	{LK_SCIM_GROUPS, lk_scim_group_list, lk_scim_group_create, lk_scim_group_get,
	 lk_scim_group_replace, lk_scim_group_patch, lk_scim_group_remove},
};

/* Sets a SCIM body: the media type of RFC 7644 §3.1, never cached. */
static void send(struct lk_response *res, int status, json_t *body)
{
	lk_res_json_value(res, status, body);
	if (res->status)
		res->content_type = LK_SCIM_MEDIA_TYPE;
	lk_res_no_store(res);
}

static void send_error(struct lk_response *res, const struct lk_scim_error *e)
{
	send(res, e->status, lk_scim_error_json(e));
}

static void fail(struct lk_response *res, int status, const char *type, const char *detail)
{
	struct lk_scim_error e = {0};

	lk_scim_fail(&e, status, type, "%s", detail);
	send_error(res, &e);
}

/*
 * A refused token: the RFC 6750 §3 challenge (WWW-Authenticate, from the
 * OAuth error renderer) with a SCIM error as the body.
 */
static void refuse(struct lk_response *res, const struct lk_oauth_error *oe)
{
	struct lk_scim_error e = {0};

	lk_oauth_render_bearer(res, oe,
			       oe->code == LK_OAUTH_INSUFFICIENT_SCOPE ? LK_SCIM_SCOPE : NULL);
	lk_scim_fail(&e, oe->code == LK_OAUTH_INSUFFICIENT_SCOPE ? 403 : 401, NULL, "%s",
		     oe->code == LK_OAUTH_NONE ? "a bearer token is required" : oe->description);
	send_error(res, &e);
}

/*
 * Checks the bearer token: active, and with the scope user_sync. On success
 * *t holds it; otherwise the refusal has been rendered.
 */
static bool authorize(struct lk_ctx *c, struct lk_store *s, const struct lk_request *req,
		      struct lk_response *res, struct lk_token_info *t)
{
	struct lk_keyring *kr = lk_ctx_keyring(c);
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_inspect_env env = {
		.cfg = c->cfg, .keyring = kr, .clients = clients, .store = s, .now = lk_now()};
	struct lk_oauth_error oe = {0};
	const char *token = NULL;
	bool ok = false;
	enum lk_err err;

	if (!kr || !clients) {
		fail(res, 503, NULL, "the server is not ready");
		goto out;
	}
	err = lk_bearer_parse(lk_req_header(req, "Authorization"), &token);
	if (err == LK_ENOTFOUND)
		oe.code = LK_OAUTH_NONE;
	else if (err)
		lk_oauth_fail(&oe, LK_OAUTH_INVALID_TOKEN, "the bearer token is malformed");
	else if (lk_token_inspect(&env, token, t) != LK_OK) {
		fail(res, 503, NULL, "the token could not be checked");
		goto out;
	} else if (!t->active)
		lk_oauth_fail(&oe, LK_OAUTH_INVALID_TOKEN, "the access token is not active");
	else if (!lk_scope_covers(t->scope, LK_SCIM_SCOPE))
		lk_oauth_fail(&oe, LK_OAUTH_INSUFFICIENT_SCOPE,
			      "SCIM needs a token with the scope " LK_SCIM_SCOPE);
	else
		ok = true;
	if (!ok)
		refuse(res, &oe);
out:
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
	return ok;
}

/* A request body must be SCIM's JSON (application/json accepted too) or untyped. */
static bool body_type_ok(const struct lk_request *req)
{
	static const char *const types[] = {LK_SCIM_MEDIA_TYPE, "application/json"};
	const char *type = lk_req_header(req, "Content-Type");

	if (!type)
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t n = strlen(types[i]);
		const char *rest = type + n;

		if (strncasecmp(type, types[i], n) != 0)
			continue;
		rest += strspn(rest, " \t");
		if (*rest == '\0' || *rest == ';')
			return true;
	}
	return false;
}

static void not_allowed(struct lk_response *res, const char *allow)
{
	fail(res, 405, NULL, "the method is not allowed for this resource");
	lk_res_header(res, "Allow", allow);
}

/* Answers a change or a read with the resource; 201 also says where it is. */
static void answer(const struct lk_scim_env *env, struct lk_response *res, const struct resource *r,
		   enum lk_err err, int status, json_t *out, const struct lk_scim_error *e)
{
	const char *id = json_string_value(json_object_get(out, "id"));
	char *loc;

	if (err) {
		json_decref(out);
		send_error(res, e);
		return;
	}
	if (!out) {
		res->status = 204;
		lk_res_no_store(res);
		return;
	}
	if (status == 201 && id) {
		loc = lk_arena_printf(res->arena, "%s/%s/%s", env->base, r->name, id);
		if (loc)
			lk_res_header(res, "Location", loc);
	}
	send(res, status, out);
}

/* /Users[/id] and /Groups[/id]. */
static void on_resource(const struct lk_scim_env *env, const struct resource *r, const char *method,
			const char *id, const struct lk_scim_query *q, const struct lk_request *req,
			struct lk_response *res)
{
	struct lk_scim_error e = {0};
	json_t *out = NULL;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool writes = !get && strcmp(method, "DELETE") != 0;
	enum lk_err err;
	int status = 200;

	if (writes && !body_type_ok(req)) {
		fail(res, 415, NULL, "the body must be application/scim+json");
		return;
	}
	if (!id && get) {
		err = r->list(env, q, &out, &e);
	} else if (!id && strcmp(method, "POST") == 0) {
		err = r->create(env, q, req->body, req->body_len, &out, &e);
		status = 201;
	} else if (!id) {
		not_allowed(res, "GET, HEAD, POST");
		return;
	} else if (get) {
		err = r->get(env, id, q, &out, &e);
	} else if (strcmp(method, "PUT") == 0) {
		err = r->replace(env, id, q, req->body, req->body_len, &out, &e);
	} else if (strcmp(method, "PATCH") == 0) {
		err = r->patch(env, id, q, req->body, req->body_len, &out, &e);
	} else if (strcmp(method, "DELETE") == 0) {
		err = r->remove(env, id, &e);
	} else {
		not_allowed(res, "GET, HEAD, PUT, PATCH, DELETE");
		return;
	}
	answer(env, res, r, err, status, out, &e);
}

/* /ServiceProviderConfig, /ResourceTypes[/name], /Schemas[/uri]: read only. */
static bool on_discovery(const struct lk_scim_env *env, const char *what, const char *id,
			 const char *method, struct lk_response *res)
{
	struct lk_scim_error e = {0};
	json_t *out = NULL;
	bool spc = strcmp(what, "ServiceProviderConfig") == 0 && !id;
	bool types = strcmp(what, "ResourceTypes") == 0;
	bool schemas = strcmp(what, "Schemas") == 0;
	enum lk_err err;

	if (!spc && !types && !schemas)
		return false;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		not_allowed(res, "GET, HEAD");
		return true;
	}
	if (spc)
		err = lk_scim_service_provider_config(env, &out, &e);
	else if (types)
		err = lk_scim_resource_types(env, id, &out, &e);
	else
		err = lk_scim_schemas(env, id, &out, &e);
	if (err)
		send_error(res, &e);
	else
		send(res, 200, out);
	return true;
}

/* The query parameters of RFC 7644 §3.4.2 and §3.9. */
static bool query(const struct lk_request *req, struct lk_scim_query *q, struct lk_response *res)
{
	if (req->query_err == LK_EDUP) {
		fail(res, 400, LK_SCIM_INVALID_VALUE, "a query parameter is repeated");
		return false;
	}
	if (req->query_err != LK_OK) {
		fail(res, 400, LK_SCIM_INVALID_VALUE, "the query string is malformed");
		return false;
	}
	q->filter = lk_params_get(&req->query, "filter");
	q->start_index = lk_params_get(&req->query, "startIndex");
	q->count = lk_params_get(&req->query, "count");
	q->attributes = lk_params_get(&req->query, "attributes");
	q->excluded = lk_params_get(&req->query, "excludedAttributes");
	return true;
}

/* Splits what follows the SCIM base into the resource and its id, then routes. */
static void route(const struct lk_scim_env *env, struct lk_request *req, struct lk_response *res)
{
	const char *rest = req->path + strlen(LK_PATH_SCIM "/");
	const char *slash = strchr(rest, '/');
	char *what = slash ? lk_arena_strndup(req->arena, rest, (size_t)(slash - rest))
			   : lk_arena_strdup(req->arena, rest);
	const char *id = slash && slash[1] ? slash + 1 : NULL;
	struct lk_scim_query q = {0};

	if (!what) {
		fail(res, 500, NULL, "out of memory");
		return;
	}
	if (id && strchr(id, '/')) {
		fail(res, 404, NULL, "no such resource");
		return;
	}
	if (!query(req, &q, res))
		return;
	for (size_t i = 0; i < sizeof(RESOURCES) / sizeof(RESOURCES[0]); i++) {
		if (strcmp(what, RESOURCES[i].name) == 0) {
			on_resource(env, &RESOURCES[i], req->method, id, &q, req, res);
			return;
		}
	}
	if (!on_discovery(env, what, id, req->method, res))
		fail(res, 404, NULL, "no such resource");
}

static void serve(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_token_info t = {0};
	struct lk_scim_env env = {.store = s, .cfg = c->cfg, .now = lk_now()};

	if (!s) {
		fail(res, 503, NULL, "the server is not ready");
		return;
	}
	if (!authorize(c, s, req, res, &t))
		goto out;
	env.base = lk_arena_printf(req->arena, "%s%s", c->cfg->issuer, LK_PATH_SCIM);
	env.actor = lk_arena_printf(req->arena, "scim:%s", t.client_id);
	if (!env.base || !env.actor)
		fail(res, 500, NULL, "out of memory");
	else
		route(&env, req, res);
out:
	lk_token_info_release(&t);
}

void lk_ep_scim(void *ctx, struct lk_request *req, struct lk_response *res)
{
	enum lk_err err = lk_http_defer(req, serve, NULL);

	if (err == LK_EBUSY)
		fail(res, 503, NULL, "the server is busy; try again");
	else if (err)
		/* Not under a running server (unit tests): answer at once. */
		serve(ctx, req, res, NULL);
}
