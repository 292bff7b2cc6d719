/*
 * The smaller resources of the admin API: /session (who is calling, the
 * CSRF token of a console session, and what the console's forms offer),
 * /scopes (the catalog), /keys (signing keys and their rotation) and /audit
 * (the audit log, newest first, filtered by the store).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints/admin_api.h"
#include "endpoints/signin.h"
#include "oauth/params.h"

static const char *const NO_PARAMS[] = {NULL};

static bool is_get(const struct lk_admin_call *a)
{
	return strcmp(a->req->method, "GET") == 0 || strcmp(a->req->method, "HEAD") == 0;
}

static void no_such(struct lk_admin_call *a)
{
	lk_admin_error(a->res, 404, "not_found", "no such resource");
}

/* The catalog as an array of SCOPE_JSON; NULL on failure (answer written). */
static json_t *catalog(struct lk_admin_call *a)
{
	struct lk_scope *scopes = NULL;
	size_t n = 0;
	json_t *arr;
	enum lk_err err = lk_registry_scope_list(&a->r, &scopes, &n);

	if (err) {
		lk_admin_fail(a, err);
		return NULL;
	}
	arr = json_array();
	for (size_t i = 0; i < n && arr; i++)
		json_array_append_new(arr, lk_scope_to_json(&scopes[i]));
	lk_scopes_free(scopes, n);
	if (!arr)
		lk_admin_error(a->res, 500, LK_ERR_SERVER_ERROR, "out of memory");
	return arr;
}

void lk_admin_session(struct lk_admin_call *a, const char *id, const char *act)
{
	char csrf[LK_CSRF_LEN + 1], sid[64];
	json_t *out, *grants, *scopes;
	const char *browser;

	if (id) {
		no_such(a);
		return;
	}
	if (!is_get(a)) {
		lk_admin_not_allowed(a->res, "GET, HEAD");
		return;
	}
	if (!lk_admin_query_ok(a, NO_PARAMS) || !(scopes = catalog(a)))
		return;
	grants = json_array();
	for (int g = 0; g < LK_GRANT__COUNT && grants; g++)
		json_array_append_new(grants, json_string(lk_grant_name((enum lk_grant)g)));
	out = json_pack("{s:o, s:n, s:s, s:o, s:o}", "user", lk_user_to_json(&a->user),
			"csrf_token", "issuer", a->c->cfg->issuer, "grant_types", grants, "scopes",
			scopes);
	/* Only a browser session needs (and may have) the CSRF token. */
	if (out && a->session) {
		snprintf(sid, sizeof(sid), "admin:%s", a->sid);
		browser = lk_ep_browser(a->c, a->req, a->res);
		if (!browser || lk_ep_csrf(a->c, sid, browser, csrf) != LK_OK) {
			json_decref(out);
			lk_admin_error(a->res, 500, LK_ERR_SERVER_ERROR,
				       "the CSRF token could not be made");
			return;
		}
		json_object_set_new(out, "csrf_token", json_string(csrf));
	}
	lk_admin_send(a->res, 200, out);
}

static void scope_list(struct lk_admin_call *a)
{
	static const char *const params[] = {"q", "offset", "limit", NULL};
	struct lk_admin_page p;
	struct lk_scope *scopes = NULL;
	size_t n = 0;
	char why[LK_ADMIN_WHY];
	json_t *items;
	enum lk_err err;

	if (!lk_admin_query_ok(a, params))
		return;
	if (lk_admin_page_parse(&a->req->query, &p, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		return;
	}
	err = lk_registry_scope_list(&a->r, &scopes, &n);
	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n && items; i++) {
		const char *fields[] = {scopes[i].name, scopes[i].description};

		if (lk_admin_page_match(&p, fields, 2) && lk_admin_page_take(&p))
			json_array_append_new(items, lk_scope_to_json(&scopes[i]));
	}
	lk_admin_send(a->res, 200, lk_admin_page_json(&p, items));
	lk_scopes_free(scopes, n);
}

/* The scope named name as SCOPE_JSON, or a 404. */
static void scope_get(struct lk_admin_call *a, const char *name, int status)
{
	struct lk_scope *scopes = NULL;
	size_t n = 0;
	json_t *found = NULL;
	enum lk_err err = lk_registry_scope_list(&a->r, &scopes, &n);

	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	for (size_t i = 0; i < n && !found; i++)
		if (strcmp(scopes[i].name, name) == 0)
			found = lk_scope_to_json(&scopes[i]);
	lk_scopes_free(scopes, n);
	if (found)
		lk_admin_send(a->res, status, found);
	else
		lk_admin_error(a->res, 404, "not_found", "no scope '%.64s'", name);
}

/* POST /scopes {"name", "description", "certificate"} */
static void scope_add(struct lk_admin_call *a)
{
	json_t *body = NULL, *name, *desc, *cert;
	const char *k;
	json_t *v;
	enum lk_err err;

	if (!lk_admin_body(a, true, &body))
		return;
	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "name") && strcmp(k, "description") && strcmp(k, "certificate")) {
			lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
				       "unknown member '%.64s'", k);
			goto out;
		}
	}
	name = json_object_get(body, "name");
	desc = json_object_get(body, "description");
	cert = json_object_get(body, "certificate");
	if (!json_is_string(name) || (desc && !json_is_string(desc) && !json_is_null(desc)) ||
	    (cert && !json_is_boolean(cert))) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "name (a string) is required; description is a string and "
			       "certificate true or false");
		goto out;
	}
	err = lk_registry_scope_add(&a->r, json_string_value(name), json_string_value(desc),
				    json_is_true(cert));
	if (err) {
		lk_admin_fail(a, err);
		goto out;
	}
	scope_get(a, json_string_value(name), 201);
out:
	json_decref(body);
}

void lk_admin_scopes(struct lk_admin_call *a, const char *id, const char *act)
{
	const char *m = a->req->method;
	enum lk_err err;

	if (act) {
		no_such(a);
	} else if (!id) {
		if (is_get(a))
			scope_list(a);
		else if (strcmp(m, "POST") == 0 && lk_admin_query_ok(a, NO_PARAMS))
			scope_add(a);
		else if (strcmp(m, "POST") != 0)
			lk_admin_not_allowed(a->res, "GET, HEAD, POST");
	} else if (!lk_admin_query_ok(a, NO_PARAMS)) {
		return;
	} else if (is_get(a)) {
		scope_get(a, id, 200);
	} else if (strcmp(m, "DELETE") == 0) {
		err = lk_registry_scope_remove(&a->r, id);
		if (err)
			lk_admin_fail(a, err);
		else
			lk_admin_no_content(a->res);
	} else {
		lk_admin_not_allowed(a->res, "GET, HEAD, DELETE");
	}
}

static void key_list(struct lk_admin_call *a)
{
	struct lk_key_record *rows = NULL;
	size_t n = 0;
	json_t *items;
	enum lk_err err = lk_registry_key_list(&a->r, &rows, &n);

	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n && items; i++)
		json_array_append_new(items, lk_key_to_json(&rows[i], a->r.now));
	lk_key_records_free(rows, n);
	lk_admin_send(a->res, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}

/* POST /keys/rotate {"alg": "ES256" (optional), "now": bool} */
static void key_rotate(struct lk_admin_call *a)
{
	json_t *body = NULL, *alg, *now, *items = NULL;
	const char *k;
	json_t *v;
	enum lk_err err;

	if (!lk_admin_body(a, false, &body))
		return;
	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "alg") && strcmp(k, "now")) {
			lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
				       "unknown member '%.64s'", k);
			goto out;
		}
	}
	alg = json_object_get(body, "alg");
	now = json_object_get(body, "now");
	if ((alg && !json_is_string(alg) && !json_is_null(alg)) || (now && !json_is_boolean(now))) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "alg is a string (ES256, RS256, PS256) and now true or false");
		goto out;
	}
	err = lk_registry_key_rotate(&a->r, &a->c->mk, json_string_value(alg), json_is_true(now),
				     (void **)&items);
	if (err)
		lk_admin_fail(a, err);
	else
		lk_admin_send(a->res, 200, json_pack("{s:o}", "items", items));
out:
	json_decref(body);
}

void lk_admin_keys(struct lk_admin_call *a, const char *id, const char *act)
{
	if (act || (id && strcmp(id, "rotate") != 0)) {
		no_such(a);
		return;
	}
	if (!lk_admin_query_ok(a, NO_PARAMS))
		return;
	if (!id && is_get(a))
		key_list(a);
	else if (!id)
		lk_admin_not_allowed(a->res, "GET, HEAD");
	else if (strcmp(a->req->method, "POST") == 0)
		key_rotate(a);
	else
		lk_admin_not_allowed(a->res, "POST");
}

/* GET /audit?limit=&action=&actor=&object=&since= */
void lk_admin_audit(struct lk_admin_call *a, const char *id, const char *act)
{
	static const char *const params[] = {"limit", "action", "actor", "object", "since", NULL};
	const struct lk_params *q = &a->req->query;
	struct lk_audit_filter f = {lk_params_get(q, "action"), lk_params_get(q, "actor"),
				    lk_params_get(q, "object"), 0};
	const char *since = lk_params_get(q, "since");
	struct lk_admin_page p;
	struct lk_audit *log = NULL;
	size_t n = 0;
	char why[LK_ADMIN_WHY], *end;
	json_t *items;
	enum lk_err err;

	if (id || act) {
		no_such(a);
		return;
	}
	if (!is_get(a)) {
		lk_admin_not_allowed(a->res, "GET, HEAD");
		return;
	}
	if (!lk_admin_query_ok(a, params))
		return;
	/* The limit is a page's; q and offset are not accepted above. */
	if (lk_admin_page_parse(q, &p, why, sizeof(why)) != LK_OK) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST, "%s", why);
		return;
	}
	if ((f.action_prefix && strlen(f.action_prefix) > LK_ADMIN_Q_MAX) ||
	    (f.actor && strlen(f.actor) > LK_ADMIN_Q_MAX) ||
	    (f.object_id && strlen(f.object_id) > LK_ADMIN_Q_MAX)) {
		lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
			       "action, actor and object: at most %d characters", LK_ADMIN_Q_MAX);
		return;
	}
	if (since) {
		errno = 0;
		f.since = (since[0] >= '0' && since[0] <= '9') ? strtoll(since, &end, 10) : -1;
		if (f.since < 0 || *end || errno == ERANGE) {
			lk_admin_error(a->res, 400, LK_ERR_INVALID_REQUEST,
				       "since: must be a time in Unix seconds");
			return;
		}
	}
	/* The filters are the store's: the limit counts matching entries. */
	err = lk_store_audit_find(a->s, &f, (int)p.limit, &log, &n);
	if (err) {
		lk_admin_fail(a, err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n && items; i++)
		json_array_append_new(items, lk_audit_to_json(&log[i]));
	lk_audits_free(log, n);
	lk_admin_send(a->res, 200, items ? json_pack("{s:o}", "items", items) : NULL);
}
