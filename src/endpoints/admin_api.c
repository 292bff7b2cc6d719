/*
 * /admin/api/... (DESIGN §6): who may call, and where the call goes.
 *
 * Two kinds of caller. A bearer token (RFC 6750 §2.1, the Authorization
 * header only) must be active, carry the scope `admin`, and act for an
 * enabled user whose role is admin; refusals follow RFC 6750 §3.1. A browser
 * signed in to the console presents its session cookie; since a browser
 * sends cookies on its own, every request that changes something must also
 * carry X-CSRF-Token, the HMAC of the session id and the lk_browser cookie
 * that GET /admin/api/session hands out. A bearer header, when present,
 * wins over the cookie.
 *
 * Every request runs on the slow-work pool: creating a user hashes a
 * password with Argon2id, and a change holds a database transaction; neither
 * may hold up an event loop.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"
#include "endpoints/admin_api.h"
#include "endpoints/endpoints.h"
#include "endpoints/signin.h"
#include "oauth/errors.h"
#include "oauth/inspect.h"
#include "oauth/params.h"
#include "oauth/scope.h"

/* The scope a token needs (DESIGN §1: the administrative scope `admin`). */
#define ADMIN_SCOPE "admin"
#define CSRF_HEADER "X-CSRF-Token"

void lk_admin_error(struct lk_response *res, int status, const char *code, const char *fmt, ...)
{
	char msg[LK_REGISTRY_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lk_res_json_error(res, status, code, msg);
	lk_res_no_store(res);
}

void lk_admin_fail(struct lk_admin_call *a, enum lk_err err)
{
	const char *msg = a->r.err[0] ? a->r.err : lk_err_str(err);

	switch (err) {
	case LK_EINVAL:
		lk_admin_error(a->res, 400, "invalid_input", "%s", msg);
		break;
	case LK_ENOTFOUND:
		lk_admin_error(a->res, 404, "not_found", "%s", msg);
		break;
	case LK_EEXIST:
	case LK_ESTATE:
		lk_admin_error(a->res, 409, "conflict", "%s", msg);
		break;
	default:
		/* Store and server failures are logged, never shown. */
		lk_error("admin API %s %s: %s", a->req->method, a->req->path, msg);
		lk_admin_error(a->res, 500, LK_ERR_SERVER_ERROR,
			       "the request could not be completed");
		break;
	}
}

void lk_admin_send(struct lk_response *res, int status, json_t *v)
{
	if (!v) {
		lk_admin_error(res, 500, LK_ERR_SERVER_ERROR, "out of memory");
		return;
	}
	lk_res_json_value(res, status, v);
	lk_res_no_store(res);
}

void lk_admin_send_secret(struct lk_response *res, int status, json_t *v, const char *member)
{
	json_t *s = json_object_get(v, member);

	if (!v) {
		lk_admin_error(res, 500, LK_ERR_SERVER_ERROR, "out of memory");
		return;
	}
	json_incref(v);
	lk_admin_send(res, status, v);
	/* jansson keeps its own copy of the string; clear it before release. */
	if (json_is_string(s))
		lk_wipe((char *)json_string_value(s), json_string_length(s));
	json_decref(v);
}

void lk_admin_no_content(struct lk_response *res)
{
	res->status = 204;
	lk_res_no_store(res);
}

void lk_admin_not_allowed(struct lk_response *res, const char *allow)
{
	lk_admin_error(res, 405, "method_not_allowed", "the method is not allowed here");
	lk_res_header(res, "Allow", allow);
}

void lk_admin_warnings(const struct lk_admin_call *a, json_t *v)
{
	json_t *arr;

	if (!v || !a->r.warn[0])
		return;
	arr = json_array();
	for (const char *p = a->r.warn; arr && *p;) {
		size_t n = strcspn(p, "\n");

		if (n)
			json_array_append_new(arr, json_stringn(p, n));
		p += n + (p[n] == '\n');
	}
	json_object_set_new(v, "warnings", arr);
}

/* Whether Content-Type is application/json, parameters (charset) allowed. */
static bool is_json_type(const char *type)
{
	static const char want[] = "application/json";
	const char *rest;

	if (!type || strncasecmp(type, want, sizeof(want) - 1) != 0)
		return false;
	rest = type + sizeof(want) - 1;
	rest += strspn(rest, " \t");
	return *rest == '\0' || *rest == ';';
}

bool lk_admin_body(struct lk_admin_call *a, bool required, json_t **out)
{
	char why[LK_ADMIN_WHY];
	json_t *v = NULL;

	if (!a->req->body_len && !required) {
		*out = NULL;
		return true;
	}
	if (!is_json_type(lk_req_header(a->req, "Content-Type"))) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "the body must be application/json");
		return false;
	}
	if (lk_admin_json_parse(a->req->body, a->req->body_len, &v, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		return false;
	}
	*out = v;
	return true;
}

bool lk_admin_query_ok(struct lk_admin_call *a, const char *const *allowed)
{
	const struct lk_params *q = &a->req->query;

	for (size_t i = 0; i < q->n; i++) {
		bool known = false;

		for (const char *const *n = allowed; n && *n && !known; n++)
			known = strcmp(*n, q->items[i].name) == 0;
		if (!known) {
			lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
				       "unknown query parameter '%.64s'", q->items[i].name);
			return false;
		}
	}
	return true;
}

/* No credentials at all: RFC 6750 §3.1, a challenge without an error code. */
static void no_credentials(struct lk_response *res, const char *why)
{
	lk_admin_error(res, 401, LK_ERR_INVALID_TOKEN, "%s", why);
	lk_res_header(res, "WWW-Authenticate", "Bearer realm=\"latchkey\"");
}

/*
 * The administrator behind a user id: enabled, role admin. On false the 403
 * (or a 500) has been written.
 */
static bool admin_user(struct lk_admin_call *a, int64_t id)
{
	enum lk_err err = lk_store_user_get(a->s, id, &a->user);

	if (err == LK_OK && a->user.enabled && a->user.role == LK_ROLE_ADMIN)
		return true;
	if (err == LK_OK || err == LK_ENOTFOUND)
		lk_admin_error(a->res, 403, "forbidden",
			       "only an enabled user with the role admin may use the admin API");
	else
		lk_admin_error(a->res, 500, LK_ERR_SERVER_ERROR, "the user could not be read");
	return false;
}

/* A token's subject as a user id; false for an application acting as itself. */
static bool subject_user(const struct lk_token_info *t, int64_t *id)
{
	char *end;
	long long v;

	if (!t->subject || !t->subject[0] || strcmp(t->subject, t->client_id) == 0)
		return false;
	if (t->subject[0] < '1' || t->subject[0] > '9')
		return false;
	v = strtoll(t->subject, &end, 10);
	if (*end || v <= 0)
		return false;
	*id = v;
	return true;
}

/* A bearer token: active, scope admin, acting for an administrator. */
static bool bearer(struct lk_admin_call *a, const char *token, bool malformed)
{
	struct lk_keyring *kr = lk_ctx_keyring(a->c);
	struct lk_clients *clients = lk_ctx_clients(a->c);
	struct lk_inspect_env env = {.cfg = a->c->cfg,
				     .keyring = kr,
				     .clients = clients,
				     .store = a->s,
				     .now = lk_now()};
	struct lk_token_info t = {0};
	struct lk_oauth_error oe = {0};
	int64_t id = 0;
	bool ok = false;

	if (!kr || !clients) {
		lk_admin_error(a->res, 503, LK_ERR_TEMPORARILY_UNAVAILABLE,
			       "the server is not ready");
		goto out;
	}
	if (malformed)
		lk_oauth_fail(&oe, LK_OAUTH_INVALID_TOKEN, "the bearer token is malformed");
	else if (lk_token_inspect(&env, token, &t) != LK_OK) {
		lk_admin_error(a->res, 503, LK_ERR_TEMPORARILY_UNAVAILABLE,
			       "the token could not be checked");
		goto out;
	} else if (!t.active)
		lk_oauth_fail(&oe, LK_OAUTH_INVALID_TOKEN, "the access token is not active");
	else if (!lk_scope_covers(t.scope, ADMIN_SCOPE))
		lk_oauth_fail(&oe, LK_OAUTH_INSUFFICIENT_SCOPE,
			      "the admin API needs a token with the scope " ADMIN_SCOPE);
	if (oe.code != LK_OAUTH_NONE) {
		lk_oauth_render_bearer(a->res, &oe,
				       oe.code == LK_OAUTH_INSUFFICIENT_SCOPE ? ADMIN_SCOPE : NULL);
		goto out;
	}
	if (!subject_user(&t, &id)) {
		lk_admin_error(a->res, 403, "forbidden",
			       "the token does not act for a user; only an administrator's may "
			       "use the admin API");
		goto out;
	}
	if (!admin_user(a, id))
		goto out;
	a->r.actor = lk_arena_printf(a->req->arena, "admin-token:%s", t.client_id);
	ok = a->r.actor != NULL;
	if (!ok)
		lk_admin_error(a->res, 500, LK_ERR_SERVER_ERROR, "out of memory");
out:
	lk_token_info_release(&t);
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
	return ok;
}

/* Whether the method changes something, so that a session needs the CSRF token. */
static bool is_write(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* A browser session of an administrator, with the CSRF token on writes. */
static bool session(struct lk_admin_call *a)
{
	struct lk_session sess;
	char id[64];

	if (!lk_ep_session(a->c, a->s, a->req, a->r.now, &sess)) {
		no_credentials(a->res, "the session has ended; sign in again");
		return false;
	}
	if (!admin_user(a, sess.user_id))
		return false;
	a->session = true;
	snprintf(a->sid, sizeof(a->sid), "%s", sess.sid);
	snprintf(id, sizeof(id), "admin:%s", sess.sid);
	if (is_write(a->req->method) &&
	    !lk_ep_csrf_ok(a->c, id, lk_ep_cookie(a->req, LK_COOKIE_BROWSER),
			   lk_req_header(a->req, CSRF_HEADER))) {
		lk_admin_error(a->res, 403, "invalid_csrf_token",
			       "the " CSRF_HEADER " header is missing or wrong; get it from "
			       "GET /admin/api/session");
		return false;
	}
	a->r.actor =
		lk_arena_printf(a->req->arena, "admin:%s\\%s", a->user.domain, a->user.username);
	if (!a->r.actor) {
		lk_admin_error(a->res, 500, LK_ERR_SERVER_ERROR, "out of memory");
		return false;
	}
	return true;
}

static bool authenticate(struct lk_admin_call *a)
{
	const char *token = NULL;
	enum lk_err err = lk_bearer_parse(lk_req_header(a->req, "Authorization"), &token);

	if (err != LK_ENOTFOUND)
		return bearer(a, token, err != LK_OK);
	if (lk_ep_cookie(a->req, LK_COOKIE_SESSION))
		return session(a);
	no_credentials(a->res, "a bearer token with the scope admin, or an administrator's "
			       "session, is required");
	return false;
}

static const struct {
	const char *name;
	void (*fn)(struct lk_admin_call *, const char *, const char *);
} RESOURCES[] = {
	{"apps", lk_admin_apps}, {"users", lk_admin_users}, {"scopes", lk_admin_scopes},
	{"keys", lk_admin_keys}, {"audit", lk_admin_audit}, {"session", lk_admin_session},
};

/*
 * Splits RESOURCE[/ID[/ACTION]] (segments already percent-decoded by the
 * HTTP layer) and calls the resource. An empty segment or a fourth one names
 * nothing.
 */
static void route(struct lk_admin_call *a)
{
	const char *rest = a->req->path + strlen(LK_PATH_ADMIN_API);
	char *seg[3] = {NULL, NULL, NULL};
	size_t n = 0;

	while (*rest && n < 3) {
		size_t len = strcspn(rest, "/");

		if (!len)
			break;
		seg[n] = lk_arena_strndup(a->req->arena, rest, len);
		if (!seg[n]) {
			lk_admin_error(a->res, 500, LK_ERR_SERVER_ERROR, "out of memory");
			return;
		}
		n++;
		rest += len;
		if (*rest == '/')
			rest++;
		else
			break;
	}
	if (n && !*rest && rest[-1] != '/') {
		for (size_t i = 0; i < sizeof(RESOURCES) / sizeof(RESOURCES[0]); i++) {
			if (strcmp(seg[0], RESOURCES[i].name) == 0) {
				RESOURCES[i].fn(a, seg[1], seg[2]);
				return;
			}
		}
	}
	lk_admin_error(a->res, 404, "not_found", "no such resource");
}

static void serve(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	struct lk_admin_call a = {.c = ctx, .req = req, .res = res};

	a.s = lk_ctx_store(a.c);
	if (!a.s) {
		lk_admin_error(res, 503, LK_ERR_TEMPORARILY_UNAVAILABLE, "the server is not ready");
		return;
	}
	a.r.store = a.s;
	a.r.cfg = a.c->cfg;
	a.r.now = lk_now();
	a.r.api_names = true;
	if (req->query_err != LK_OK) {
		lk_admin_error(res, 400, LK_ERR_INVALID_REQUEST,
			       req->query_err == LK_EDUP ? "a query parameter is repeated"
							 : "the query string is malformed");
		return;
	}
	if (authenticate(&a)) {
		route(&a);
		/* What changed is in force for this server's next request. */
		if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0 &&
		    res->status >= 200 && res->status < 300)
			lk_ctx_reload_now(
				a.c, a.s,
				strncmp(req->path + strlen(LK_PATH_ADMIN_API), "keys", 4) == 0);
	}
	lk_user_release(&a.user);
}

void lk_ep_admin_api(void *ctx, struct lk_request *req, struct lk_response *res)
{
	enum lk_err err = lk_http_defer(req, serve, NULL);

	if (err == LK_EBUSY)
		lk_admin_error(res, 503, LK_ERR_TEMPORARILY_UNAVAILABLE,
			       "the server is busy; try again");
	else if (err)
		/* Not under a running server (unit tests): answer at once. */
		serve(ctx, req, res, NULL);
}
