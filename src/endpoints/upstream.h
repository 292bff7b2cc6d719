/*
 * Sign-in through upstream OpenID Connect providers ([upstream.NAME], DESIGN
 * §3): the "Sign in with NAME" links of the login page, and the pages under
 * LK_PATH_UPSTREAM that run the authorization code flow against the
 * upstream and link its identity to a local user.
 */
#ifndef LK_ENDPOINTS_UPSTREAM_H
#define LK_ENDPOINTS_UPSTREAM_H

#include "core/buf.h"
#include "endpoints/context.h"
#include "http/http.h"
#include "oauth/upstream.h"

/*
 * Appends to out the login page's links (upstream_link.html), one per
 * configured upstream, each to LK_PATH_UPSTREAM NAME ?request=REQUEST_ID.
 * Nothing when none is configured.
 */
enum lk_err lk_ep_upstream_links(struct lk_ctx *c, const char *request_id, struct lk_buf *out);

/*
 * GET LK_PATH_UPSTREAM NAME ?request=ID: starts a sign-in at upstream NAME
 * for pending request ID (which this browser must own) and redirects the
 * browser to the upstream. GET LK_PATH_UPSTREAM NAME/callback: where the
 * upstream sends the browser back, with code and state or an error; the
 * sign-in is checked, the identity linked to a local user, and the pending
 * request continued. Both talk to the upstream, so both run on the
 * slow-work pool. 404 for an unknown NAME.
 */
void lk_ep_upstream(void *ctx, struct lk_request *req, struct lk_response *res);

/* The callback half of lk_ep_upstream (upstream_callback.c), on the slow-work pool. */
void lk_ep_upstream_callback(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
			     const struct lk_upstream_config *u);

/* ISSUER LK_PATH_UPSTREAM NAME/callback, the redirect URI at every upstream (arena string). */
const char *lk_ep_upstream_redirect_uri(struct lk_ctx *c, struct lk_arena *a,
					const struct lk_upstream_config *u);

/*
 * The error page of a refused upstream sign-in: "Sign-in with DISPLAY_NAME
 * failed: " and why, which must say nothing an attacker could use (the
 * details go to the log).
 */
void lk_ep_upstream_fail(struct lk_response *res, int status, const struct lk_upstream_config *u,
			 const char *why);

#endif
