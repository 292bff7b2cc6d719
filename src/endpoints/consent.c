/*
 * GET and POST /consent (DESIGN §2): what the application asks for, in the
 * words of the scope catalog, and the person's answer. An answer of allow
 * is remembered for the user and the application.
 */
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/endpoints.h"
#include "endpoints/signin.h"
#include "oauth/params.h"
#include "oauth/scope.h"

#define SCOPES_HTML_MAX (256 * 1024)

/* One consent_scope.html per granted scope, described by the catalog. */
static enum lk_err scope_items(struct lk_store *s, const char *granted, struct lk_buf *out)
{
	struct lk_scope *cat = NULL;
	size_t n = 0, i;
	enum lk_err err = lk_store_scope_list(s, &cat, &n);

	for (i = 0; i < n && !err; i++) {
		if (!lk_scope_covers(granted, cat[i].name))
			continue;
		const struct lk_ui_var v[] = {
			{"name", cat[i].name},
			{"description", cat[i].description[0] ? cat[i].description : cat[i].name}};

		err = lk_ui_render("consent_scope.html", v, 2, out);
	}
	lk_scopes_free(cat, n);
	return err;
}

static void render(struct lk_ctx *c, struct lk_store *s, struct lk_response *res,
		   const struct lk_pending *p, const struct lk_session *sess)
{
	struct lk_clients *clients = lk_ctx_clients(c);
	const struct lk_client *client = lk_clients_find(clients, p->authz.client_id);
	struct lk_user u = {0};
	char csrf[LK_CSRF_LEN + 1];
	char origin[LK_AUTHZ_URI_MAX + 1];
	struct lk_buf items;
	enum lk_err err;

	lk_buf_init(&items, SCOPES_HTML_MAX);
	err = lk_ep_csrf(c, p->rec.id, p->browser, csrf);
	if (!err)
		err = lk_authz_origin(&p->authz, origin, sizeof(origin));
	if (!err)
		err = lk_store_user_get(s, sess->user_id, &u);
	if (!err)
		err = scope_items(s, p->authz.scope, &items);
	if (err || !client) {
		lk_error("cannot show the consent page: %s", lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
	} else {
		const struct lk_ui_var v[] = {
			{"app_name", client->app.name},
			{"app_website", client->app.website},
			{"user", u.display_name[0] ? u.display_name : u.username},
			{"scopes", lk_buf_str(&items)},
			{"action", LK_PATH_CONSENT},
			{"request", p->rec.id},
			{"csrf", csrf},
		};

		lk_ep_page(res, 200, "consent.html", "Allow access", v, sizeof(v) / sizeof(v[0]),
			   origin);
	}
	lk_buf_release(&items);
	lk_user_release(&u);
	lk_clients_unref(clients);
}

void lk_ep_consent(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_pending p = {0};
	struct lk_session sess;
	struct lk_oauth_error oerr = {0};
	const char *decision;
	int64_t now = lk_now();
	enum lk_err err;

	if (!s) {
		lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
		return;
	}
	if (!lk_pending_load(c, s, req, lk_ep_param(req, LK_F_REQUEST), now, &p, res))
		return;
	if (!lk_ep_session(c, s, req, now, &sess)) {
		/* Signed out meanwhile: sign in again, then back here. */
		lk_ep_continue(c, s, req, res, &p.authz, &p, NULL, false, now);
		goto out;
	}
	if (strcmp(req->method, "POST") != 0) {
		render(c, s, res, &p, &sess);
		goto out;
	}
	if (!lk_ep_csrf_ok(c, p.rec.id, p.browser, lk_ep_param(req, LK_F_CSRF))) {
		lk_ep_error_page(res, 403, "Form expired",
				 "The form could not be verified. Go back to the application and "
				 "start again.");
		goto out;
	}
	decision = lk_ep_param(req, LK_F_DECISION);
	if (strcmp(decision, LK_DECISION_ALLOW) == 0) {
		err = lk_authz_remember_consent(s, &p.authz, sess.user_id, now);
		if (err) {
			lk_error("cannot store a consent: %s", lk_err_str(err));
			lk_ep_error_page(res, 500, "Something went wrong",
					 "Please try again later.");
			goto out;
		}
		lk_ep_continue(c, s, req, res, &p.authz, &p, &sess, true, now);
	} else if (strcmp(decision, LK_DECISION_DENY) == 0) {
		(void)lk_store_auth_request_delete(s, p.rec.id);
		lk_oauth_fail(&oerr, LK_OAUTH_ACCESS_DENIED, "the user denied the request");
		lk_ep_deliver(c, req, res, &p.authz, NULL, &oerr);
	} else {
		lk_ep_error_page(res, 400, "Invalid request", "The form was incomplete.");
	}
out:
	lk_pending_release(&p);
}
