/*
 * GET /admin: the administrator's web console (DESIGN §6). The page is a
 * shell (admin.html) whose script, /static/admin.js, draws every view from
 * the admin API. Only an enabled administrator gets it: without a session
 * the browser goes through latchkey's own login page and comes back here; a
 * signed-in user who is not an administrator gets a 403 page.
 */
#include <stdio.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/endpoints.h"
#include "endpoints/signin.h"
#include "oauth/params.h"
#include "ui/ui.h"

/* The shell is small; this bounds a theme's replacement of it. */
#define SHELL_MAX (64 * 1024)

static void shell(struct lk_ctx *c, struct lk_response *res, const struct lk_user *u)
{
	char name[300];
	struct lk_buf html;
	enum lk_err err;

	snprintf(name, sizeof(name), "%s\\%s", u->domain, u->username);
	lk_buf_init(&html, SHELL_MAX);
	{
		const struct lk_ui_var v[] = {{"issuer", c->cfg->issuer}, {"user", name}};

		err = lk_ui_render("admin.html", v, sizeof(v) / sizeof(v[0]), &html);
	}
	if (err) {
		lk_error("cannot render the admin console: %s", lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
	} else {
		lk_res_html(res, 200, lk_buf_str(&html));
	}
	lk_buf_release(&html);
}

void lk_ep_admin(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_session sess;
	struct lk_authz a = {0};
	struct lk_user u = {0};
	int64_t now = lk_now();
	enum lk_err err;

	if (!s) {
		lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
		return;
	}
	if (!lk_ep_session(c, s, req, now, &sess)) {
		err = lk_authz_internal(LK_PATH_ADMIN, &a);
		if (err) {
			lk_ep_error_page(res, 500, "Something went wrong",
					 "Please try again later.");
			return;
		}
		lk_ep_continue(c, s, req, res, &a, NULL, NULL, false, now);
		lk_authz_release(&a);
		return;
	}
	err = lk_store_user_get(s, sess.user_id, &u);
	if (err == LK_OK && u.enabled && u.role == LK_ROLE_ADMIN) {
		shell(c, res, &u);
	} else if (err == LK_OK || err == LK_ENOTFOUND) {
		lk_ep_error_page(res, 403, "Administrators only",
				 "The account you are signed in with is not an administrator. "
				 "Sign out, then sign in as an administrator.");
	} else {
		lk_error("cannot read the signed-in user: %s", lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
	}
	lk_user_release(&u);
}
