/*
 * What the sign-in pages share (/oauth2/authorize, /login, /consent): the
 * cookies, the CSRF token of a pending request, HTML pages from the
 * templates, and the step that carries a request forward (sign in, consent,
 * or the result to the application).
 */
#ifndef LK_ENDPOINTS_SIGNIN_H
#define LK_ENDPOINTS_SIGNIN_H

#include <stdbool.h>
#include <stdint.h>

#include "endpoints/context.h"
#include "http/http.h"
#include "oauth/authorize.h"
#include "oauth/signin.h"
#include "ui/ui.h"

/* How long a pending authorization request waits for the person, in seconds. */
#define LK_PENDING_LIFETIME 1800
/* The CSRF token: base64url of an HMAC-SHA256. */
#define LK_CSRF_LEN 44

/*
 * The browser's lk_browser cookie, the anchor of the CSRF tokens and of
 * pending requests: the request's when it has a well-formed one, else a new
 * random value, set on res. NULL when none can be made. The string lives in
 * the request's or the response's arena.
 */
const char *lk_ep_browser(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res);

/*
 * A parameter of a sign-in page: from the form of a POST, from the query
 * otherwise; "" when absent or when the form or query is malformed.
 */
const char *lk_ep_param(const struct lk_request *req, const char *name);

/* The value of a request cookie, or NULL. */
const char *lk_ep_cookie(const struct lk_request *req, const char *name);

/*
 * Sets a cookie: Path=/, HttpOnly, SameSite=Lax, Secure when the issuer is
 * https (DESIGN §3). max_age > 0 sets Max-Age, 0 deletes the cookie, < 0
 * makes it last for the browser session.
 */
void lk_ep_set_cookie(struct lk_ctx *c, struct lk_response *res, const char *name,
		      const char *value, int64_t max_age);

/*
 * Renders template tmpl inside the layout as the response, with the
 * security headers of every page; form_origin as lk_res_html_to.
 */
void lk_ep_page(struct lk_response *res, int status, const char *tmpl, const char *title,
		const struct lk_ui_var *vars, size_t n, const char *form_origin);

/*
 * Hands a page's slow work (a password hash, outbound HTTP) to the
 * slow-work pool; when the pool is full, answers 503 with Retry-After.
 */
void lk_ep_defer_page(struct lk_request *req, struct lk_response *res, lk_slow_fn work, void *arg);

/* An error page (error.html). */
void lk_ep_error_page(struct lk_response *res, int status, const char *heading,
		      const char *message);

/*
 * The CSRF token of pending request id in the browser whose lk_browser
 * cookie is browser: an HMAC under the master key, so every instance
 * computes the same one and nothing needs storing. out gets LK_CSRF_LEN
 * characters and a NUL.
 */
enum lk_err lk_ep_csrf(struct lk_ctx *c, const char *id, const char *browser,
		       char out[LK_CSRF_LEN + 1]);

/* Whether presented is the CSRF token of id in browser (constant time). */
bool lk_ep_csrf_ok(struct lk_ctx *c, const char *id, const char *browser, const char *presented);

/* A pending request loaded for a page. */
struct lk_pending {
	struct lk_auth_request_record rec;
	struct lk_authz authz;
	const char *browser; /* the lk_browser cookie (request arena) */
};

void lk_pending_release(struct lk_pending *p);

/*
 * Loads pending request id for this browser: it must exist, be unexpired,
 * and have been started by the browser of the request's lk_browser cookie.
 * false (with an error page in res) otherwise.
 */
bool lk_pending_load(struct lk_ctx *c, struct lk_store *s, const struct lk_request *req,
		     const char *id, int64_t now, struct lk_pending *out, struct lk_response *res);

/*
 * The start of a page whose form carries a password (/login, /signup): a
 * POST goes, past the login limiter, to check on the slow-work pool; any
 * other method loads the pending request named by the `request` parameter
 * into *p. True when the caller renders the page with *p (and releases it);
 * false when res holds the answer already.
 */
bool lk_ep_password_page(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
			 lk_slow_fn check, struct lk_pending *p);

/*
 * Carries a request forward (lk_authz_next): to the login or consent page
 * (storing the request as pending first when it is not yet, pending NULL),
 * or issues the code and delivers the result, or delivers the error. sess is
 * NULL without a session.
 */
void lk_ep_continue(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
		    struct lk_response *res, const struct lk_authz *a, struct lk_pending *pending,
		    const struct lk_session *sess, bool consented, int64_t now);

/*
 * Signs user in for pending request p, authenticated by amr: ends the
 * request's earlier session (so a session fixed by an attacker never
 * outlives a sign-in), creates a new one, sets its cookie and carries the
 * request onwards (lk_ep_continue). On error nothing is written to res and
 * the caller answers.
 */
enum lk_err lk_ep_sign_in(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
			  struct lk_response *res, struct lk_pending *p, const struct lk_user *user,
			  const char *amr, int64_t now);

/* Delivers the code (non-NULL) or the error to the application (lk_authz_result). */
void lk_ep_deliver(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
		   const struct lk_authz *a, const char *code, const struct lk_oauth_error *err);

/* The session of the request's lk_session cookie; false when none is live. */
bool lk_ep_session(struct lk_ctx *c, struct lk_store *s, const struct lk_request *req, int64_t now,
		   struct lk_session *out);

/* The status of a redirect answering req: 302 after a GET, 303 after a POST. */
int lk_ep_redirect_status(const struct lk_request *req);

#endif
