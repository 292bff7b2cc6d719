/*
 * GET and POST /login (DESIGN §3): the login form of a pending authorization
 * request, and checking what was typed. The check runs Argon2id, so a POST
 * is handed to the slow-work pool and never holds up the event loop.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/endpoints.h"
#include "endpoints/limits.h"
#include "endpoints/signin.h"
#include "endpoints/upstream.h"
#include "oauth/params.h"

static const char *const msg_wrong = "The username or password is incorrect.";

/* The login form of a pending request, with an error message or none. */
static void render(struct lk_ctx *c, struct lk_response *res, int status,
		   const struct lk_pending *p, const char *username, const char *error)
{
	struct lk_clients *clients = lk_ctx_clients(c);
	const struct lk_client *client = lk_clients_find(clients, p->authz.client_id);
	const char *app_name = client ? client->app.name : p->authz.client_id;
	char csrf[LK_CSRF_LEN + 1] = "";
	char origin[LK_AUTHZ_URI_MAX + 1] = "";
	struct lk_buf upstreams;
	const char *signup = NULL;

	lk_buf_init(&upstreams, LK_UI_FILE_MAX);
	if (p->authz.internal[0])
		app_name = "latchkey administration";
	if (c->cfg->signup_enabled)
		signup = lk_arena_printf(res->arena, "%s?%s=%s", LK_PATH_SIGNUP, LK_F_REQUEST,
					 p->rec.id);
	if (lk_ep_csrf(c, p->rec.id, p->browser, csrf) != LK_OK ||
	    lk_authz_origin(&p->authz, origin, sizeof(origin)) != LK_OK ||
	    lk_ep_upstream_links(c, p->rec.id, &upstreams) != LK_OK ||
	    (c->cfg->signup_enabled && !signup)) {
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
	} else {
		const struct lk_ui_var v[] = {
			{"app_name", app_name}, {"action", LK_PATH_LOGIN},
			{"request", p->rec.id}, {"csrf", csrf},
			{"username", username}, {"error", error},
			{"notice", ""},		{"upstreams", lk_buf_str(&upstreams)},
			{"signup_url", signup},
		};

		lk_ep_page(res, status, "login.html", "Sign in", v, sizeof(v) / sizeof(v[0]),
			   origin);
	}
	lk_buf_release(&upstreams);
	lk_clients_unref(clients);
}

/* "1 minute", "5 minutes": how long a locked sign-in must wait. */
static void wait_text(char *out, size_t n, int64_t seconds)
{
	int64_t minutes = (seconds + 59) / 60;

	snprintf(out, n, "Too many failed sign-in attempts. Try again in %lld minute%s.",
		 (long long)minutes, minutes == 1 ? "" : "s");
}

/* A successful sign-in: a new session (never the old one), then onwards. */
static void signed_in(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
		      struct lk_response *res, struct lk_pending *p, const struct lk_user *u,
		      int64_t now)
{
	enum lk_err err = lk_ep_sign_in(c, s, req, res, p, u, LK_AMR_PASSWORD, now);

	if (err) {
		lk_error("cannot create a session: %s", lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
		return;
	}
	lk_info("user %s\\%s signed in", u->domain, u->username);
}

static void check_login(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_pending p = {0};
	struct lk_user user = {0};
	const char *username = lk_ep_param(req, LK_P_USERNAME);
	int64_t now = lk_now(), wait = 0;
	char msg[128];
	enum lk_err err;

	(void)arg;
	if (!s) {
		lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
		return;
	}
	if (!lk_pending_load(c, s, req, lk_ep_param(req, LK_F_REQUEST), now, &p, res))
		return;
	/* A forged form is refused before anything is counted (DESIGN §6). */
	if (!lk_ep_csrf_ok(c, p.rec.id, p.browser, lk_ep_param(req, LK_F_CSRF))) {
		lk_ep_error_page(res, 403, "Sign-in form expired",
				 "The form could not be verified. Go back to the application and "
				 "start again.");
		goto out;
	}
	err = lk_signin_password(s, c->cfg, username, lk_ep_param(req, LK_P_PASSWORD),
				 req->client_addr, now, &user, &wait);
	if (err == LK_OK) {
		signed_in(c, s, req, res, &p, &user, now);
	} else if (err == LK_EBUSY) {
		wait_text(msg, sizeof(msg), wait);
		render(c, res, 429, &p, username, msg);
		snprintf(msg, sizeof(msg), "%lld", (long long)wait);
		lk_res_header(res, "Retry-After", msg);
	} else if (err == LK_EDENIED || err == LK_ETOOBIG) {
		render(c, res, 200, &p, username, msg_wrong);
	} else {
		lk_error("cannot check a sign-in: %s", lk_err_str(err));
		render(c, res, 500, &p, username, "Something went wrong. Please try again.");
	}
out:
	lk_user_release(&user);
	lk_pending_release(&p);
}

void lk_ep_login(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_pending p = {0};

	if (!lk_ep_password_page(c, req, res, check_login, &p))
		return;
	render(c, res, 200, &p, p.authz.login_hint, "");
	lk_pending_release(&p);
}
