/*
 * /admin/api/users[/USER[/ACTION]]: the users of DESIGN §3. USER is
 * domain\user or user (the default domain); `\` may be sent as %5C. A
 * password comes in the body or is generated; a generated one is in the
 * answer once. Neither is kept: the JSON copies and the request body are
 * zeroed once used.
 */
#include <stdio.h>
#include <string.h>

#include "core/secure.h"
#include "endpoints/admin_api.h"
#include "oauth/params.h"

static const char *const LIST_PARAMS[] = {"q", "offset", "limit", NULL};
static const char *const NO_PARAMS[] = {NULL};

/* Zeroes what the request carried of a password: the body and its JSON copy. */
static void wipe_password(struct lk_admin_call *a, json_t *body)
{
	json_t *pw = json_object_get(body, "password");

	if (json_is_string(pw))
		lk_wipe((char *)json_string_value(pw), json_string_length(pw));
	if (a->req->body_len)
		lk_wipe((char *)a->req->body, a->req->body_len);
}

static void list(struct lk_admin_call *a)
{
	struct lk_admin_page p;
	struct lk_user *users = NULL;
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
	err = lk_registry_user_list(&a->r, &users, &n);
	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n && items; i++) {
		char full[300];
		const char *fields[] = {full, users[i].email, users[i].display_name};

		snprintf(full, sizeof(full), "%s\\%s", users[i].domain, users[i].username);
		if (lk_admin_page_match(&p, fields, 3) && lk_admin_page_take(&p))
			json_array_append_new(items, lk_user_to_json(&users[i]));
	}
	lk_admin_send(a->res, 200, lk_admin_page_json(&p, items));
	lk_users_free(users, n);
}

static json_t *user_json(const struct lk_admin_call *a, const struct lk_user *u)
{
	json_t *v = lk_user_to_json(u);

	lk_admin_warnings(a, v);
	return v;
}

/* The answer to a change of user: the error of err, else 200 with u (released). */
static void answer_user(struct lk_admin_call *a, enum lk_err err, struct lk_user *u)
{
	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	lk_admin_send(a->res, 200, user_json(a, u));
	lk_user_release(u);
}

static void create(struct lk_admin_call *a)
{
	struct lk_user_input in;
	struct lk_user u;
	char generated[LK_PASSWORD_GENERATED_LEN + 1] = "", why[LK_ADMIN_WHY];
	const char *password = NULL, *loc;
	json_t *body = NULL, *out;
	enum lk_err err;

	if (!lk_admin_query_ok(a, NO_PARAMS) || !lk_admin_body(a, true, &body))
		goto out;
	if (lk_admin_user_input(body, true, &in, &password, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		goto out;
	}
	err = lk_registry_user_add(&a->r, &in, password, &u, generated);
	if (err) {
		lk_admin_fail(a, err);
		goto out;
	}
	out = user_json(a, &u);
	if (out && generated[0])
		json_object_set_new(out, "password", json_string(generated));
	loc = lk_arena_printf(a->req->arena, "%susers/%s%%5C%s", LK_PATH_ADMIN_API, u.domain,
			      u.username);
	if (loc)
		lk_res_header(a->res, "Location", loc);
	lk_admin_send_secret(a->res, 201, out, "password");
	lk_user_release(&u);
out:
	lk_wipe(generated, sizeof(generated));
	wipe_password(a, body);
	json_decref(body);
}

static void update(struct lk_admin_call *a, const char *id)
{
	struct lk_user_input in;
	struct lk_user u;
	char why[LK_ADMIN_WHY];
	json_t *body = NULL;
	enum lk_err err;

	if (!lk_admin_body(a, true, &body))
		return;
	if (lk_admin_user_input(body, false, &in, NULL, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		goto out;
	}
	err = lk_registry_user_update(&a->r, id, &in, &u);
	answer_user(a, err, &u);
out:
	json_decref(body);
}

/* GET, PATCH, DELETE /users/USER */
static void one(struct lk_admin_call *a, const char *id)
{
	const char *m = a->req->method;
	struct lk_user u;
	enum lk_err err;

	if (!lk_admin_query_ok(a, NO_PARAMS))
		return;
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		err = lk_registry_user_get(&a->r, id, &u);
		if (err) {
			lk_admin_fail(a, err);
			return;
		}
		lk_admin_send(a->res, 200, lk_user_to_json(&u));
		lk_user_release(&u);
	} else if (strcmp(m, "PATCH") == 0) {
		update(a, id);
	} else if (strcmp(m, "DELETE") == 0) {
		err = lk_registry_user_remove(&a->r, id);
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
	struct lk_user u;
	json_t *body = NULL;
	enum lk_err err;

	if (!lk_admin_body(a, false, &body))
		return;
	if (json_object_size(body)) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "the body must be empty or {}");
		goto out;
	}
	err = lk_registry_user_set_enabled(&a->r, id, enabled, &u);
	answer_user(a, err, &u);
out:
	json_decref(body);
}

/* POST /users/USER/password: {"password": "..."} sets it, {} generates one. */
static void password(struct lk_admin_call *a, const char *id)
{
	char generated[LK_PASSWORD_GENERATED_LEN + 1] = "";
	const char *given = NULL;
	json_t *body = NULL, *pw;
	enum lk_err err;

	if (!lk_admin_body(a, false, &body))
		goto out;
	pw = json_object_get(body, "password");
	if (json_object_size(body) > (pw ? 1u : 0u)) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "only the member 'password' is allowed");
		goto out;
	}
	if (pw && !json_is_null(pw) && !json_is_string(pw)) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "password: must be a string, or null to generate one");
		goto out;
	}
	given = json_string_value(pw);
	err = lk_registry_user_passwd(&a->r, id, given, generated);
	if (err)
		lk_admin_fail(a, err);
	else if (generated[0])
		lk_admin_send_secret(a->res, 200, json_pack("{s:s}", "password", generated),
				     "password");
	else
		lk_admin_no_content(a->res);
out:
	lk_wipe(generated, sizeof(generated));
	wipe_password(a, body);
	json_decref(body);
}

void lk_admin_users(struct lk_admin_call *a, const char *id, const char *act)
{
	const char *m = a->req->method;
	bool post = strcmp(m, "POST") == 0;

	if (act) {
		bool enable = strcmp(act, "enable") == 0;

		if (!enable && strcmp(act, "disable") != 0 && strcmp(act, "password") != 0)
			lk_admin_error(a->res, 404, "not_found", "no such resource");
		else if (!post)
			lk_admin_not_allowed(a->res, "POST");
		else if (!lk_admin_query_ok(a, NO_PARAMS))
			return;
		else if (strcmp(act, "password") == 0)
			password(a, id);
		else
			set_enabled(a, id, enable);
	} else if (id) {
		one(a, id);
	} else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		list(a);
	} else if (post) {
		create(a);
	} else {
		lk_admin_not_allowed(a->res, "GET, HEAD, POST");
	}
}
