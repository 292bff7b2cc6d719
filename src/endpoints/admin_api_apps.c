/*
 * /admin/api/apps[/APP[/ACTION]]: the applications of DESIGN §1. APP is a
 * client_id or a name. The body's members are mapped onto the registry's
 * input (admin_api_json.c); the registry checks every value and says what
 * is wrong in terms of those members. A client secret is in the answer that
 * created it (or rotated it) and nowhere else.
 */
#include <limits.h>
#include <string.h>

#include "core/secure.h"
#include "endpoints/admin_api.h"
#include "oauth/params.h"
#include "oauth/tokens.h"

static const char *const LIST_PARAMS[] = {"q", "offset", "limit", NULL};
static const char *const NO_PARAMS[] = {NULL};

static void list(struct lk_admin_call *a)
{
	struct lk_admin_page p;
	struct lk_app *apps = NULL;
	size_t n = 0;
	char why[LK_ADMIN_WHY];
	json_t *items;
	enum lk_err err;

	if (!lk_admin_query_ok(a, LIST_PARAMS))
		return;
	if (lk_admin_page_parse(&a->req->query, &p, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		return;
	}
	err = lk_registry_app_list(&a->r, &apps, &n);
	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n && items; i++) {
		const char *fields[] = {apps[i].name, apps[i].client_id, apps[i].description};

		if (lk_admin_page_match(&p, fields, 3) && lk_admin_page_take(&p))
			json_array_append_new(items, lk_app_to_json(&apps[i]));
	}
	lk_admin_send(a->res, 200, lk_admin_page_json(&p, items));
	lk_apps_free(apps, n);
}

/* The app's JSON view with the registry's warnings. */
static json_t *app_json(const struct lk_admin_call *a, const struct lk_app *app)
{
	json_t *v = lk_app_to_json(app);

	lk_admin_warnings(a, v);
	return v;
}

/* The answer to a change of app: the error of err, else 200 with app (released). */
static void answer_app(struct lk_admin_call *a, enum lk_err err, struct lk_app *app)
{
	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	lk_admin_send(a->res, 200, app_json(a, app));
	lk_app_release(app);
}

static void create(struct lk_admin_call *a)
{
	struct lk_app_input in;
	struct lk_app app;
	char secret[LK_TOKEN_MAX] = "", num[LK_ADMIN_NUM], why[LK_ADMIN_WHY];
	json_t *body = NULL, *out;
	const char *loc;
	enum lk_err err;

	if (!lk_admin_query_ok(a, NO_PARAMS) || !lk_admin_body(a, true, &body))
		return;
	if (lk_admin_app_input(body, &in, num, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		goto out;
	}
	err = lk_registry_app_add(&a->r, &in, &app, secret);
	if (err) {
		lk_admin_fail(a, err);
		goto out;
	}
	out = app_json(a, &app);
	if (out && secret[0])
		json_object_set_new(out, "client_secret", json_string(secret));
	loc = lk_arena_printf(a->req->arena, "%sapps/%s", LK_PATH_ADMIN_API, app.client_id);
	if (loc)
		lk_res_header(a->res, "Location", loc);
	lk_admin_send_secret(a->res, 201, out, "client_secret");
	lk_app_release(&app);
out:
	lk_wipe(secret, sizeof(secret));
	json_decref(body);
}

static void update(struct lk_admin_call *a, const char *id)
{
	struct lk_app_input in;
	struct lk_app app;
	char num[LK_ADMIN_NUM], why[LK_ADMIN_WHY];
	json_t *body = NULL;
	enum lk_err err;

	if (!lk_admin_body(a, true, &body))
		return;
	if (lk_admin_app_input(body, &in, num, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		goto out;
	}
	err = lk_registry_app_update(&a->r, id, &in, &app);
	answer_app(a, err, &app);
out:
	json_decref(body);
}

/* GET, PATCH, DELETE /apps/APP */
static void one(struct lk_admin_call *a, const char *id)
{
	const char *m = a->req->method;
	struct lk_app app;
	enum lk_err err;

	if (!lk_admin_query_ok(a, NO_PARAMS))
		return;
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		err = lk_registry_app_get(&a->r, id, &app);
		if (err) {
			lk_admin_fail(a, err);
			return;
		}
		lk_admin_send(a->res, 200, lk_app_to_json(&app));
		lk_app_release(&app);
	} else if (strcmp(m, "PATCH") == 0) {
		update(a, id);
	} else if (strcmp(m, "DELETE") == 0) {
		err = lk_registry_app_remove(&a->r, id);
		if (err)
			lk_admin_fail(a, err);
		else
			lk_admin_no_content(a->res);
	} else {
		lk_admin_not_allowed(a->res, "GET, HEAD, PATCH, DELETE");
	}
}

static void set_enabled(struct lk_admin_call *a, const char *id, bool enabled)
{
	struct lk_app app;
	enum lk_err err = lk_registry_app_set_enabled(&a->r, id, enabled, &app);

	answer_app(a, err, &app);
}

/* {"grace": MINUTES}: its range is the registry's rule; beyond int is out of it too. */
static bool grace_of(struct lk_admin_call *a, json_t *body, int *grace)
{
	json_t *g = json_object_get(body, "grace");
	json_int_t v;

	*grace = 0;
	if (json_object_size(body) > (g ? 1u : 0u)) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "only the member 'grace' is allowed");
		return false;
	}
	if (!g)
		return true;
	if (!json_is_integer(g)) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "grace: must be a whole number of minutes");
		return false;
	}
	v = json_integer_value(g);
	*grace = v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
	return true;
}

static void rotate_secret(struct lk_admin_call *a, const char *id)
{
	struct lk_app app;
	char secret[LK_TOKEN_MAX] = "";
	json_t *body = NULL;
	int grace = 0;
	enum lk_err err;

	if (!lk_admin_body(a, false, &body))
		return;
	if (!grace_of(a, body, &grace))
		goto out;
	/* The answer names the client_id even when the app was named. */
	err = lk_registry_app_get(&a->r, id, &app);
	if (err) {
		lk_admin_fail(a, err);
		goto out;
	}
	err = lk_registry_app_rotate_secret(&a->r, app.client_id, grace, secret);
	if (err)
		lk_admin_fail(a, err);
	else
		lk_admin_send_secret(a->res, 200,
				     json_pack("{s:s, s:s}", "client_id", app.client_id,
					       "client_secret", secret),
				     "client_secret");
	lk_app_release(&app);
out:
	lk_wipe(secret, sizeof(secret));
	json_decref(body);
}

/* POST /apps/APP/token: what `latchkey app token APP --json` prints. */
static void token(struct lk_admin_call *a, const char *id)
{
	struct lk_keyring *kr = lk_ctx_keyring(a->c);
	struct lk_access_token t = {0};
	json_t *body = NULL;
	enum lk_err err;

	if (!lk_admin_body(a, false, &body))
		goto out;
	if (json_object_size(body)) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "the body must be empty or {}");
		goto out;
	}
	if (!kr) {
		lk_admin_error(a->res, 503, LK_ERR_TEMPORARILY_UNAVAILABLE,
			       "the server is not ready");
		goto out;
	}
	err = lk_registry_app_token(&a->r, kr, id, &t);
	if (err)
		lk_admin_fail(a, err);
	else
		lk_admin_send_secret(a->res, 200, lk_access_token_to_json(&t), LK_TR_ACCESS_TOKEN);
out:
	lk_access_token_release(&t);
	lk_keyring_unref(kr);
	json_decref(body);
}

/* POST /apps/APP/ACTION */
static void action(struct lk_admin_call *a, const char *id, const char *act)
{
	static const char *const ACTIONS[] = {"disable", "enable", "rotate-secret", "token"};
	bool known = false;

	for (size_t i = 0; i < sizeof(ACTIONS) / sizeof(ACTIONS[0]); i++)
		known = known || strcmp(act, ACTIONS[i]) == 0;
	if (!known) {
		lk_admin_error(a->res, 404, "not_found", "no such resource");
		return;
	}
	if (strcmp(a->req->method, "POST") != 0) {
		lk_admin_not_allowed(a->res, "POST");
		return;
	}
	if (!lk_admin_query_ok(a, NO_PARAMS))
		return;
	if (strcmp(act, "disable") == 0 || strcmp(act, "enable") == 0) {
		json_t *body = NULL;

		if (!lk_admin_body(a, false, &body))
			return;
		if (json_object_size(body))
			lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
				       "the body must be empty or {}");
		else
			set_enabled(a, id, act[0] == 'e');
		json_decref(body);
	} else if (strcmp(act, "rotate-secret") == 0) {
		rotate_secret(a, id);
	} else {
		token(a, id);
	}
}

void lk_admin_apps(struct lk_admin_call *a, const char *id, const char *act)
{
	const char *m = a->req->method;

	if (act) {
		action(a, id, act);
	} else if (id) {
		one(a, id);
	} else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		list(a);
	} else if (strcmp(m, "POST") == 0) {
		create(a);
	} else {
		lk_admin_not_allowed(a->res, "GET, HEAD, POST");
	}
}
