/*
 * The shared machinery of the sign-in pages: cookies, CSRF tokens, pages,
 * pending requests, and carrying a request to its next step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/limits.h"
#include "endpoints/signin.h"
#include "oauth/params.h"

/* The largest rendered page. */
#define PAGE_MAX (512 * 1024)
/* A browser cookie: 256 random bits, base64url. */
#define BROWSER_BYTES 32
#define BROWSER_LEN 43
#define BROWSER_ID_ROOM (4 * ((BROWSER_BYTES + 2) / 3) + 1)

static const char *const msg_expired =
	"This sign-in request has expired or was started in another browser. Go back to the "
	"application and start again.";

const char *lk_ep_cookie(const struct lk_request *req, const char *name)
{
	const char *header = lk_req_header(req, "Cookie");
	struct lk_params cookies;

	if (!header || lk_cookie_parse(req->arena, header, 64, &cookies) != LK_OK)
		return NULL;
	return lk_params_get(&cookies, name);
}

void lk_ep_set_cookie(struct lk_ctx *c, struct lk_response *res, const char *name,
		      const char *value, int64_t max_age)
{
	bool secure = strncmp(c->cfg->issuer, "https:", 6) == 0;
	char age[40] = "";
	char *v;

	if (max_age >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%lld", (long long)max_age);
	v = lk_arena_printf(res->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name,
			    max_age == 0 ? "" : value, secure ? "; Secure" : "", age);
	if (!v || lk_res_header(res, "Set-Cookie", v) != LK_OK)
		lk_warn("cannot set cookie %s", name);
}

void lk_ep_page(struct lk_response *res, int status, const char *tmpl, const char *title,
		const struct lk_ui_var *vars, size_t n, const char *form_origin)
{
	struct lk_buf b;
	enum lk_err err;

	lk_buf_init(&b, PAGE_MAX);
	err = lk_ui_page(tmpl, title, vars, n, &b);
	if (err) {
		lk_error("cannot render page %s: %s", tmpl, lk_err_str(err));
		lk_res_html(res, 500, "<!doctype html><title>Error</title><p>Internal error</p>");
	} else {
		lk_res_html_to(res, status, lk_buf_str(&b),
			       form_origin && *form_origin ? form_origin : NULL);
	}
	/* A result page may hold a code: nothing of it lingers in freed memory. */
	lk_buf_wipe(&b);
}

void lk_ep_error_page(struct lk_response *res, int status, const char *heading, const char *message)
{
	const struct lk_ui_var vars[] = {{"heading", heading}, {"message", message}};

	lk_ep_page(res, status, "error.html", heading, vars, 2, NULL);
}

enum lk_err lk_ep_csrf(struct lk_ctx *c, const char *id, const char *browser,
		       char out[LK_CSRF_LEN + 1])
{
	uint8_t mac[LK_SHA256_LEN];
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "latchkey csrf\n%s\n%s", id, browser ? browser : "");
	enum lk_err err;

	if (n < 0 || (size_t)n >= sizeof(msg))
		return LK_ETOOBIG;
	err = lk_hmac_sha256(c->mk.k, sizeof(c->mk.k), msg, (size_t)n, mac);
	if (err)
		return err;
	out[lk_b64url_encode(mac, sizeof(mac), out)] = '\0';
	return LK_OK;
}

bool lk_ep_csrf_ok(struct lk_ctx *c, const char *id, const char *browser, const char *presented)
{
	char want[LK_CSRF_LEN + 1];

	if (!id || !browser || !presented || lk_ep_csrf(c, id, browser, want) != LK_OK)
		return false;
	return lk_ct_equal(want, strlen(want), presented, strlen(presented));
}

void lk_pending_release(struct lk_pending *p)
{
	if (!p)
		return;
	lk_auth_request_record_release(&p->rec);
	lk_authz_release(&p->authz);
	memset(p, 0, sizeof(*p));
}

bool lk_pending_load(struct lk_ctx *c, struct lk_store *s, const struct lk_request *req,
		     const char *id, int64_t now, struct lk_pending *out, struct lk_response *res)
{
	const char *browser = lk_ep_cookie(req, LK_COOKIE_BROWSER);
	struct lk_pending p = {0};
	uint8_t hash[LK_SHA256_LEN];
	enum lk_err err;

	(void)c;
	if (!id || !*id || strlen(id) > 64)
		goto expired;
	if (!browser || strlen(browser) > 128)
		browser = "";
	err = lk_store_auth_request_get(s, id, &p.rec);
	if (err == LK_ENOTFOUND)
		goto expired;
	if (err) {
		lk_error("cannot read a pending request: %s", lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
		return false;
	}
	if (p.rec.expires_at <= now)
		goto expired;
	lk_sha256(browser, strlen(browser), hash);
	if (!lk_ct_equal(hash, sizeof(hash), p.rec.browser_hash, sizeof(p.rec.browser_hash))) {
		/* Another browser, or none: a forged or copied link (CSRF), not an expiry. */
		lk_pending_release(&p);
		lk_ep_error_page(res, 403, "Sign-in request not valid here", msg_expired);
		return false;
	}
	if (lk_authz_from_json(p.rec.params, &p.authz) != LK_OK)
		goto expired;
	p.browser = browser;
	*out = p;
	return true;
expired:
	lk_pending_release(&p);
	lk_ep_error_page(res, 400, "Sign-in request expired", msg_expired);
	return false;
}

int lk_ep_redirect_status(const struct lk_request *req)
{
	return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ? 302 : 303;
}

bool lk_ep_session(struct lk_ctx *c, struct lk_store *s, const struct lk_request *req, int64_t now,
		   struct lk_session *out)
{
	const char *cookie = lk_ep_cookie(req, LK_COOKIE_SESSION);
	enum lk_err err;

	if (!cookie)
		return false;
	err = lk_session_find(s, c->cfg, cookie, now, out);
	if (err && err != LK_ENOTFOUND)
		lk_error("cannot read a session: %s", lk_err_str(err));
	return err == LK_OK;
}

/* Renders one result field as a hidden input of the form_post page. */
static enum lk_err form_fields(const struct lk_authz_result *r, struct lk_buf *out)
{
	enum lk_err err = LK_OK;
	size_t i;

	for (i = 0; i < r->nfields && !err; i++) {
		const struct lk_ui_var v[] = {{"name", r->fields[i].name},
					      {"value", r->fields[i].value}};

		err = lk_ui_render("form_post_field.html", v, 2, out);
	}
	return err;
}

void lk_ep_deliver(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
		   const struct lk_authz *a, const char *code, const struct lk_oauth_error *oerr)
{
	struct lk_authz_result r = {0};
	char origin[LK_AUTHZ_URI_MAX + 1];
	struct lk_buf fields;
	enum lk_err err = lk_authz_result(a, c->cfg->issuer, code, oerr, &r);

	if (err) {
		lk_error("cannot shape an authorization result: %s", lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
		return;
	}
	switch (r.kind) {
	case LK_DELIVER_REDIRECT:
		lk_res_redirect(res, lk_ep_redirect_status(req), r.url);
		break;
	case LK_DELIVER_FORM_POST:
		lk_buf_init(&fields, PAGE_MAX);
		err = form_fields(&r, &fields);
		if (!err)
			err = lk_authz_origin(a, origin, sizeof(origin));
		if (err) {
			lk_ep_error_page(res, 500, "Something went wrong",
					 "Please try again later.");
		} else {
			const struct lk_ui_var v[] = {{"action", r.url},
						      {"fields", lk_buf_str(&fields)}};

			lk_ep_page(res, 200, "form_post.html", "Continue", v, 2, origin);
		}
		lk_buf_wipe(&fields);
		break;
	case LK_DELIVER_TITLE: {
		const struct lk_ui_var v[] = {
			{"heading", r.error ? "Sign-in did not complete" : "Signed in"},
			{"message", r.error ? "Return to the application; it will tell you more."
					    : "You can close this window and return to the "
					      "application."}};

		lk_ep_page(res, 200, "result.html", r.title, v, 2, NULL);
		break;
	}
	}
	lk_authz_result_release(&r);
}

const char *lk_ep_browser(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res)
{
	const char *b = lk_ep_cookie(req, LK_COOKIE_BROWSER);
	char *fresh;

	if (b && strlen(b) == BROWSER_LEN)
		return b;
	/* lk_random_id wants room for padded base64; the value itself is BROWSER_LEN. */
	fresh = lk_arena_alloc(res->arena, BROWSER_ID_ROOM);
	if (!fresh || lk_random_id(fresh, BROWSER_ID_ROOM, BROWSER_BYTES) != LK_OK)
		return NULL;
	lk_ep_set_cookie(c, res, LK_COOKIE_BROWSER, fresh, -1);
	return fresh;
}

/*
 * Stores the request as pending, bound to this browser (setting the
 * browser cookie when it has none), and writes its id to id.
 */
static enum lk_err park(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
			struct lk_response *res, const struct lk_authz *a, int64_t now, char id[32])
{
	const char *browser = lk_ep_browser(c, req, res);
	struct lk_auth_request_record r = {0};
	enum lk_err err;

	if (!browser)
		return LK_ENOMEM;
	err = lk_random_id(id, 32, 16);
	if (err)
		return err;
	r.params = lk_authz_to_json(a);
	if (!r.params)
		return LK_ENOMEM;
	r.id = id;
	r.client_id = a->client_id; /* "" for latchkey's own requests */
	lk_sha256(browser, strlen(browser), r.browser_hash);
	r.created_at = now;
	r.expires_at = now + LK_PENDING_LIFETIME;
	err = lk_store_auth_request_insert(s, &r);
	free(r.params);
	return err;
}

static void go_to(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
		  const char *path, const char *id)
{
	const char *url =
		lk_arena_printf(req->arena, "%s%s?%s=%s", c->cfg->issuer, path, LK_F_REQUEST, id);

	if (url)
		lk_res_redirect(res, lk_ep_redirect_status(req), url);
	else
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
}

/*
 * latchkey's own request (the console signing in): to the login page
 * without a session, else back to the page that asked. Whether the user may
 * use that page is the page's own check.
 */
static void continue_internal(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
			      struct lk_response *res, const struct lk_authz *a,
			      struct lk_pending *pending, const struct lk_session *sess,
			      int64_t now)
{
	const char *url;
	char id[32];
	enum lk_err err;

	if (!sess) {
		if (!pending) {
			err = park(c, s, req, res, a, now, id);
			if (err) {
				lk_error("cannot start a sign-in: %s", lk_err_str(err));
				lk_ep_error_page(res, 500, "Something went wrong",
						 "Please try again later.");
				return;
			}
		}
		go_to(c, req, res, LK_PATH_LOGIN, pending ? pending->rec.id : id);
		return;
	}
	if (pending)
		(void)lk_store_auth_request_delete(s, pending->rec.id);
	url = lk_arena_printf(req->arena, "%s%s", c->cfg->issuer, a->internal);
	if (url)
		lk_res_redirect(res, lk_ep_redirect_status(req), url);
	else
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
}

void lk_ep_continue(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
		    struct lk_response *res, const struct lk_authz *a, struct lk_pending *pending,
		    const struct lk_session *sess, bool consented, int64_t now)
{
	struct lk_clients *clients;
	const struct lk_client *client;
	struct lk_oauth_error oerr = {0};
	enum lk_authz_step step;
	char id[32], code[LK_TOKEN_MAX] = "";
	enum lk_err err;

	if (a->internal && a->internal[0]) {
		continue_internal(c, s, req, res, a, pending, sess, now);
		return;
	}
	clients = lk_ctx_clients(c);
	client = lk_clients_find(clients, a->client_id);
	if (!client || !client->app.enabled) {
		lk_ep_error_page(res, 400, "Application unavailable",
				 "The application is unknown or has been disabled.");
		goto out;
	}
	/*
	 * Only a sign-in made for this pending request is fresh (prompt=login,
	 * max_age); a session found at the first request never is.
	 */
	err = lk_authz_next(s, client, a, sess, pending ? pending->rec.created_at : INT64_MAX,
			    consented, now, &step, &oerr);
	if (err)
		goto fail;
	if (step == LK_AUTHZ_LOGIN || step == LK_AUTHZ_CONSENT) {
		if (!pending) {
			err = park(c, s, req, res, a, now, id);
			if (err)
				goto fail;
		}
		go_to(c, req, res, step == LK_AUTHZ_LOGIN ? LK_PATH_LOGIN : LK_PATH_CONSENT,
		      pending ? pending->rec.id : id);
		goto out;
	}
	if (step == LK_AUTHZ_ISSUE) {
		err = lk_authz_issue_code(s, c->cfg, a, sess, now, code);
		if (err)
			goto fail;
	}
	/* The request is answered: it cannot be continued again. */
	if (pending)
		(void)lk_store_auth_request_delete(s, pending->rec.id);
	lk_ep_deliver(c, req, res, a, step == LK_AUTHZ_ISSUE ? code : NULL, &oerr);
	goto out;
fail:
	lk_error("cannot continue an authorization request: %s", lk_err_str(err));
	lk_oauth_fail(&oerr, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
	lk_ep_deliver(c, req, res, a, NULL, &oerr);
out:
	lk_wipe(code, sizeof(code));
	lk_clients_unref(clients);
}

void lk_ep_defer_page(struct lk_request *req, struct lk_response *res, lk_slow_fn work, void *arg)
{
	if (lk_http_defer(req, work, arg) != LK_OK) {
		lk_ep_error_page(res, 503, "Temporarily unavailable",
				 "The server is busy. Please try again in a moment.");
		lk_res_header(res, "Retry-After", "1");
	}
}

bool lk_ep_password_page(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
			 lk_slow_fn check, struct lk_pending *p)
{
	struct lk_store *s;

	if (strcmp(req->method, "POST") == 0) {
		/* Refused before any password is hashed. */
		if (lk_ep_limit_login(c, req, res))
			lk_ep_defer_page(req, res, check, NULL);
		return false;
	}
	s = lk_ctx_store(c);
	if (!s) {
		lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
		return false;
	}
	return lk_pending_load(c, s, req, lk_ep_param(req, LK_F_REQUEST), lk_now(), p, res);
}

const char *lk_ep_param(const struct lk_request *req, const char *name)
{
	bool post = strcmp(req->method, "POST") == 0;
	const char *v = (post ? req->form_err : req->query_err) == LK_OK
				? lk_params_get(post ? &req->form : &req->query, name)
				: NULL;

	return v ? v : "";
}

enum lk_err lk_ep_sign_in(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
			  struct lk_response *res, struct lk_pending *p, const struct lk_user *user,
			  const char *amr, int64_t now)
{
	char cookie[LK_TOKEN_MAX];
	struct lk_session sess;
	enum lk_err err;

	(void)lk_session_end(s, lk_ep_cookie(req, LK_COOKIE_SESSION));
	err = lk_session_create(s, c->cfg, user->id, amr, now, cookie, &sess);
	if (err)
		return err;
	lk_ep_set_cookie(c, res, LK_COOKIE_SESSION, cookie, lk_session_max_age(c->cfg));
	lk_wipe(cookie, sizeof(cookie));
	lk_ep_continue(c, s, req, res, &p->authz, p, &sess, false, now);
	return LK_OK;
}
