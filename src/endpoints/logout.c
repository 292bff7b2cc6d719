/*
 * GET and POST /oauth2/logout (OpenID Connect RP-Initiated Logout 1.0): an
 * application sends the browser here to end the person's latchkey session.
 * With a valid id_token_hint the session ends at once; without one the
 * person confirms on a page first (a form protected by a CSRF token), so
 * that no other site can sign anyone out. Ending a session also revokes the
 * refresh tokens the application was issued in it. Afterwards the browser
 * goes back to the application's registered post-logout redirect URI, or
 * sees a signed-out page.
 */
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"
#include "endpoints/endpoints.h"
#include "endpoints/signin.h"
#include "oauth/logout.h"
#include "oauth/params.h"

/* The CSRF token of the confirmation form is lk_ep_csrf of this id. */
#define CSRF_ID "logout"

static void unavailable(struct lk_response *res)
{
	lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
}

static void failed(struct lk_response *res, const char *what, enum lk_err err)
{
	lk_error("logout: cannot %s: %s", what, lk_err_str(err));
	lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
}

/* A parameter of the query (GET) or the form (POST), NULL when absent. */
static const char *param(const struct lk_request *req, const char *name)
{
	if (strcmp(req->method, "POST") == 0)
		return lk_ep_form_get(req, name);
	return req->query_err == LK_OK ? lk_params_get(&req->query, name) : NULL;
}

/*
 * The confirmation page: the request's application, redirect URI and
 * state go along as hidden fields, to be checked again when it is posted.
 * form-action allows the redirect's origin, where the post may end.
 */
static void confirm_page(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res,
			 const struct lk_logout *l)
{
	const char *b = lk_ep_browser(c, req, res);
	char csrf[LK_CSRF_LEN + 1];
	enum lk_err err = b ? lk_ep_csrf(c, CSRF_ID, b, csrf) : LK_ENOMEM;

	if (err) {
		failed(res, "make the confirmation form", err);
		return;
	}
	const struct lk_ui_var v[] = {
		{"action", LK_PATH_LOGOUT},
		{"csrf", csrf},
		{"app_name", l->client ? l->client->app.name : ""},
		{"client_id", l->client ? l->client->app.client_id : ""},
		{"post_logout_redirect_uri", param(req, LK_P_POST_LOGOUT_REDIRECT_URI)},
		{"state", param(req, LK_P_STATE)},
	};

	lk_ep_page(res, 200, "logout.html", "Sign out", v, sizeof(v) / sizeof(v[0]), l->origin);
}

/* Revokes what l's application was issued in session sid ("" or NULL: none). */
static enum lk_err revoke(struct lk_store *s, const struct lk_logout *l, const char *sid,
			  int64_t now)
{
	if (!l->client || !sid || !*sid)
		return LK_OK;
	return lk_store_refresh_revoke_session(s, sid, l->client->app.client_id, now);
}

/*
 * Ends the browser's session (none is no error) and revokes the
 * application's refresh tokens of it and of the session the hint names,
 * then sends the browser on.
 */
static void sign_out(struct lk_ctx *c, struct lk_store *s, const struct lk_request *req,
		     struct lk_response *res, const struct lk_session *sess,
		     const struct lk_logout *l, int64_t now)
{
	const struct lk_ui_var v[] = {{"heading", "You have signed out"},
				      {"message", "You can close this window."}};
	enum lk_err err = lk_session_end(s, lk_ep_cookie(req, LK_COOKIE_SESSION));

	lk_ep_set_cookie(c, res, LK_COOKIE_SESSION, "", 0);
	if (!err)
		err = revoke(s, l, l->sid, now);
	if (!err && sess && strcmp(sess->sid, l->sid) != 0)
		err = revoke(s, l, sess->sid, now);
	if (err)
		failed(res, "end a session", err);
	else if (l->redirect)
		lk_res_redirect(res, lk_ep_redirect_status(req), l->redirect);
	else
		lk_ep_page(res, 200, "message.html", "Signed out", v, 2, NULL);
}

/*
 * Checks the request; for a confirmed one a hint is ignored (the
 * confirmation form carries none). false with the error page in res.
 */
static bool check(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res,
		  bool confirmed, struct lk_logout *out)
{
	struct lk_keyring *kr = lk_ctx_keyring(c);
	struct lk_clients *clients = lk_ctx_clients(c);
	struct lk_oauth_error e = {0};
	const struct lk_logout_params p = {
		.id_token_hint = confirmed ? NULL : param(req, LK_P_ID_TOKEN_HINT),
		.client_id = param(req, LK_CM_CLIENT_ID),
		.post_logout_redirect_uri = param(req, LK_P_POST_LOGOUT_REDIRECT_URI),
		.state = param(req, LK_P_STATE),
	};
	bool ok = false;

	if (!kr || !clients)
		unavailable(res);
	else if (lk_logout_check(c->cfg, kr, clients, &p, out, &e))
		ok = true;
	else if (e.code == LK_OAUTH_SERVER_ERROR)
		failed(res, "check a request", LK_ENOMEM);
	else
		lk_ep_error_page(res, 400, "Sign-out request not valid", e.description);
	lk_keyring_unref(kr);
	lk_clients_unref(clients);
	return ok;
}

void lk_ep_logout(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_oauth_error e = {0};
	struct lk_logout l = {0};
	struct lk_session sess = {0};
	const char *csrf = param(req, LK_F_CSRF);
	bool post = strcmp(req->method, "POST") == 0, live;
	int64_t now = lk_now();

	if (!s) {
		unavailable(res);
		return;
	}
	if ((post && !lk_ep_form_ok(req, &e)) || (!post && req->query_err != LK_OK)) {
		lk_ep_error_page(res, 400, "Sign-out request not valid",
				 "The request is malformed.");
		return;
	}
	/* A post of the confirmation form carries its CSRF token. */
	if (post && csrf &&
	    !lk_ep_csrf_ok(c, CSRF_ID, lk_ep_cookie(req, LK_COOKIE_BROWSER), csrf)) {
		lk_ep_error_page(res, 403, "Form expired",
				 "The form could not be verified. Go back and try again.");
		return;
	}
	if (!check(c, req, res, post && csrf, &l))
		return;
	live = lk_ep_session(c, s, req, now, &sess);
	/*
	 * Without a hint the person confirms first. A hint for someone other
	 * than the person signed in here is another site's doing (§2: treat it
	 * as suspect), so it is confirmed too, and the hint's session is left
	 * alone.
	 */
	if (post && csrf)
		sign_out(c, s, req, res, live ? &sess : NULL, &l, now);
	else if (!l.hinted || (live && sess.user_id != l.user_id))
		confirm_page(c, req, res, &l);
	else
		sign_out(c, s, req, res, live ? &sess : NULL, &l, now);
	lk_logout_release(&l);
}
