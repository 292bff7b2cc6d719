/*
 * GET LK_PATH_UPSTREAM NAME (DESIGN §3): the start of a sign-in at an
 * upstream provider, and the dispatch of LK_PATH_UPSTREAM's two pages.
 *
 * The sign-in in flight is stored server-side (upstream_flows), found by
 * the SHA-256 of a random state and bound to the browser that owns the
 * pending request, so that a callback can be neither forged nor carried to
 * another browser (login CSRF). Its nonce and PKCE verifier are derived
 * from the state under the master key and stored nowhere. The flow is
 * stored only once the upstream's discovery document is in hand, so an
 * upstream that cannot be reached leaves nothing behind.
 */
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"
#include "endpoints/signin.h"
#include "endpoints/upstream.h"
#include "oauth/params.h"

#define CALLBACK "callback"
/* The state: 256 random bits, base64url. */
#define STATE_BYTES 32
/* Room for lk_random_id, which asks for 4 * ceil(n / 3) + 1 bytes. */
#define STATE_ROOM 48
/* The longest NAME looked up. */
#define NAME_MAX_LEN 64

const char *lk_ep_upstream_redirect_uri(struct lk_ctx *c, struct lk_arena *a,
					const struct lk_upstream_config *u)
{
	return lk_arena_printf(a, "%s%s%s/%s", c->cfg->issuer, LK_PATH_UPSTREAM, u->name, CALLBACK);
}

void lk_ep_upstream_fail(struct lk_response *res, int status, const struct lk_upstream_config *u,
			 const char *why)
{
	const char *msg =
		lk_arena_printf(res->arena, "Sign-in with %s failed: %s", u->display_name, why);

	lk_ep_error_page(res, status, "Sign-in failed",
			 msg ? msg : "Sign-in failed. Go back to the application and start again.");
}

/*
 * The upstream a path names, and whether it is the callback: NAME or
 * NAME/callback after the prefix, nothing else.
 */
static const struct lk_upstream_config *route(struct lk_ctx *c, const char *path, bool *callback)
{
	const char *rest = path + strlen(LK_PATH_UPSTREAM);
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	char name[NAME_MAX_LEN + 1];

	if (strncmp(path, LK_PATH_UPSTREAM, strlen(LK_PATH_UPSTREAM)) != 0 || n == 0 ||
	    n > NAME_MAX_LEN)
		return NULL;
	if (slash && strcmp(slash + 1, CALLBACK) != 0)
		return NULL;
	memcpy(name, rest, n);
	name[n] = '\0';
	*callback = slash != NULL;
	return lk_upstreams_find(c->upstreams, name);
}

/* Stores the flow of state for pending request p. */
static enum lk_err save_flow(struct lk_store *s, const struct lk_upstream_config *u,
			     const struct lk_pending *p, const char *state, int64_t now)
{
	struct lk_upstream_flow_record r = {
		.upstream = u->name,
		.request_id = p->rec.id,
		.created_at = now,
		.expires_at = now + LK_UPSTREAM_FLOW_SECONDS,
	};

	lk_sha256(state, strlen(state), r.state_hash);
	memcpy(r.browser_hash, p->rec.browser_hash, sizeof(r.browser_hash));
	return lk_store_upstream_flow_insert(s, &r);
}

/* The start, on the slow-work pool: discovery, the flow, the redirect. */
static void start(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	struct lk_ctx *c = ctx;
	const struct lk_upstream_config *u = arg;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_upstream_secrets sec = {0};
	struct lk_pending p = {0};
	char state[STATE_ROOM];
	char *url = NULL;
	const char *redirect_uri = lk_ep_upstream_redirect_uri(c, res->arena, u);
	int64_t now = lk_now();
	enum lk_err err;

	if (!s || !redirect_uri) {
		lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
		return;
	}
	if (!lk_pending_load(c, s, req, lk_ep_param(req, LK_F_REQUEST), now, &p, res))
		return;
	err = lk_random_id(state, sizeof(state), STATE_BYTES);
	if (!err)
		err = lk_upstream_derive(c->mk.k, sizeof(c->mk.k), state, &sec);
	if (!err) {
		err = lk_upstream_auth_url(c->upstreams, u->name, redirect_uri, state, &sec, now,
					   &url);
		/* The reason (unreachable, a bad discovery document) is logged. */
		if (err && err != LK_ENOMEM) {
			lk_ep_upstream_fail(res, 502, u,
					    "the provider could not be reached. Please try again "
					    "later.");
			goto out;
		}
	}
	if (!err)
		err = save_flow(s, u, &p, state, now);
	if (err) {
		lk_error("upstream %s: cannot start a sign-in: %s", u->name, lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
		goto out;
	}
	lk_info("upstream %s: sign-in started for request %s", u->name, p.rec.id);
	lk_res_no_store(res);
	lk_res_redirect(res, 302, url);
out:
	lk_free_secret(url);
	lk_wipe(state, sizeof(state));
	lk_upstream_secrets_wipe(&sec);
	lk_pending_release(&p);
}

/* The callback, on the slow-work pool. */
static void callback(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	lk_ep_upstream_callback(ctx, req, res, arg);
}

void lk_ep_upstream(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	bool is_callback = false;
	const struct lk_upstream_config *u = route(c, req->path, &is_callback);

	if (!u) {
		lk_ep_error_page(res, 404, "Not found", "There is no such sign-in provider.");
		return;
	}
	/* The config outlives every request, so the worker may borrow it. */
	lk_ep_defer_page(req, res, is_callback ? callback : start, (void *)u);
}
