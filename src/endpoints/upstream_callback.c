/*
 * GET LK_PATH_UPSTREAM NAME/callback (DESIGN §3): the upstream sends the
 * browser back here with a code and the state, or with an error.
 *
 * Order matters. The flow is taken out of the store first (single use) and
 * must belong to this upstream and this browser, and be unexpired; only
 * then is the pending request loaded, the code redeemed and the ID token
 * validated (oauth/upstream_token.c). The identity is then linked: an
 * existing link names the user; otherwise a verified email may name an
 * existing user when [upstream.NAME] link_verified_email allows it; else a
 * new user is created with the link in one transaction. Any refusal ends
 * on an error page, before anything is created; the reason goes to the
 * log, never a code or token.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"
#include "endpoints/signin.h"
#include "endpoints/upstream.h"
#include "oauth/params.h"
#include "oauth/registry.h"

#define ERROR_ACCESS_DENIED "access_denied"
/* The longest state and code accepted before anything is looked up. */
#define PARAM_MAX 2048

static const char *const why_expired =
	"this sign-in has expired, was already used, or was started in another browser. Go "
	"back to the application and start again.";
static const char *const why_unverified = "the provider's answer could not be verified.";

static const char *query(const struct lk_request *req, const char *name)
{
	const char *v = req->query_err == LK_OK ? lk_params_get(&req->query, name) : NULL;

	return v && *v && strlen(v) <= PARAM_MAX ? v : NULL;
}

/*
 * Takes the flow of the request's state: it must exist, be this upstream's,
 * be unexpired and belong to this browser. false (with an error page) else.
 */
static bool take_flow(struct lk_ctx *c, struct lk_store *s, const struct lk_request *req,
		      struct lk_response *res, const struct lk_upstream_config *u, int64_t now,
		      struct lk_upstream_flow_record *out)
{
	const char *state = query(req, LK_P_STATE);
	const char *browser = lk_ep_cookie(req, LK_COOKIE_BROWSER);
	uint8_t hash[LK_SHA256_LEN];
	enum lk_err err;

	(void)c;
	if (!state) {
		lk_warn("upstream %s: a callback without state", u->name);
		goto bad;
	}
	lk_sha256(state, strlen(state), hash);
	err = lk_store_upstream_flow_consume(s, hash, out);
	if (err == LK_ENOTFOUND) {
		lk_warn("upstream %s: a callback with an unknown or used state", u->name);
		goto bad;
	}
	if (err) {
		lk_error("upstream %s: cannot read a sign-in: %s", u->name, lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
		return false;
	}
	if (!browser || strlen(browser) > 128)
		browser = "";
	lk_sha256(browser, strlen(browser), hash);
	if (strcmp(out->upstream, u->name) != 0 ||
	    !lk_ct_equal(hash, sizeof(hash), out->browser_hash, sizeof(out->browser_hash))) {
		lk_warn("upstream %s: a callback for another upstream or browser", u->name);
		goto bad_flow;
	}
	if (out->expires_at <= now) {
		lk_warn("upstream %s: a callback after the sign-in expired", u->name);
		goto bad_flow;
	}
	return true;
bad_flow:
	lk_upstream_flow_record_release(out);
bad:
	lk_ep_upstream_fail(res, 400, u, why_expired);
	return false;
}

/* The claims of id as the registry takes them. */
static struct lk_external_user external(const struct lk_upstream_config *u,
					const struct lk_upstream_identity *id)
{
	struct lk_external_user e = {
		.upstream = u->name,
		.issuer = id->issuer,
		.subject = id->subject,
		.username_hint = id->preferred_username,
		.email = id->email,
		.email_verified = id->email_verified,
		.display_name = id->name,
		.given_name = id->given_name,
		.family_name = id->family_name,
	};

	return e;
}

/*
 * The local user of an identity (DESIGN §3): linked already, or linked now
 * to the user of a verified email when allowed, or created now. Returns the
 * HTTP status of the refusal, with *why set, or 0 with *user filled.
 */
static int local_user(struct lk_ctx *c, struct lk_store *s, const struct lk_upstream_config *u,
		      const struct lk_upstream_identity *id, int64_t now, struct lk_user *user,
		      const char **why)
{
	struct lk_external_user e = external(u, id);
	struct lk_upstream_link_record link = {0};
	char actor[128];
	struct lk_registry r = {.store = s, .cfg = c->cfg, .actor = actor, .now = now};
	enum lk_err err;

	snprintf(actor, sizeof(actor), "upstream:%s", u->name);
	*why = "something went wrong. Please try again later.";
	for (int attempt = 0; attempt < 2; attempt++) {
		err = lk_store_upstream_link_get(s, id->issuer, id->subject, &link);
		if (!err) {
			err = lk_store_user_get(s, link.user_id, user);
			lk_upstream_link_record_release(&link);
			return err ? 500 : 0;
		}
		if (err != LK_ENOTFOUND)
			return 500;
		if (u->link_verified_email && id->email_verified && id->email[0] &&
		    lk_store_user_find_email(s, id->email, user) == LK_OK) {
			/* A disabled account gains no link; the caller refuses it. */
			if (!user->enabled)
				return 0;
			err = lk_registry_link_external(&r, &e, user->id);
			if (!err)
				return 0;
			lk_user_release(user);
		} else {
			err = lk_registry_user_add_external(&r, &e, user);
			if (!err)
				return 0;
		}
		if (err == LK_ESTATE) {
			lk_warn("upstream %s: %s", u->name, r.err);
			*why = "an account with this email address exists already. Sign in to it "
			       "another way.";
			return 409;
		}
		/* LK_EEXIST: a concurrent callback linked the identity first; read its link. */
		if (err != LK_EEXIST)
			break;
	}
	lk_error("upstream %s: cannot link the identity: %s", u->name, r.err);
	return 500;
}

/* Redeems the code and checks the ID token; 0, or the status of the refusal with *why. */
static int verify(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
		  const struct lk_upstream_config *u, const char *state, int64_t now,
		  struct lk_upstream_identity *id, const char **why)
{
	const char *code = query(req, LK_P_CODE);
	const char *redirect_uri = lk_ep_upstream_redirect_uri(c, res->arena, u);
	struct lk_upstream_secrets sec = {0};
	enum lk_err err;

	*why = why_unverified;
	if (!code || !redirect_uri) {
		lk_warn("upstream %s: a callback without a code", u->name);
		return 502;
	}
	/* RFC 9207 §2.4: an iss in the answer must be this upstream's (mix-up defence). */
	if (query(req, LK_P_ISS) && strcmp(query(req, LK_P_ISS), u->issuer) != 0) {
		lk_warn("upstream %s: a callback naming another issuer", u->name);
		return 502;
	}
	err = lk_upstream_derive(c->mk.k, sizeof(c->mk.k), state, &sec);
	if (!err)
		err = lk_upstream_redeem(c->upstreams, u->name, redirect_uri, code, &sec, now, id);
	lk_upstream_secrets_wipe(&sec);
	if (err == LK_EIO)
		*why = "the provider could not be reached or refused the sign-in. Please try "
		       "again later.";
	return err ? 502 : 0;
}

/* A new session for user (never the old one), then the pending request onwards. */
static void signed_in(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
		      struct lk_response *res, const struct lk_upstream_config *u,
		      struct lk_pending *p, const struct lk_user *user, int64_t now)
{
	enum lk_err err = lk_ep_sign_in(c, s, req, res, p, user, LK_AMR_UPSTREAM, now);

	if (err) {
		lk_error("cannot create a session: %s", lk_err_str(err));
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
		return;
	}
	lk_info("user %s\\%s signed in through upstream %s", user->domain, user->username, u->name);
}

void lk_ep_upstream_callback(struct lk_ctx *c, struct lk_request *req, struct lk_response *res,
			     const struct lk_upstream_config *u)
{
	struct lk_store *s = lk_ctx_store(c);
	struct lk_upstream_flow_record flow = {0};
	struct lk_upstream_identity id = {0};
	struct lk_pending p = {0};
	struct lk_user user = {0};
	const char *error = query(req, LK_P_ERROR), *why = NULL;
	int64_t now = lk_now();
	int status;

	if (!s) {
		lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
		return;
	}
	if (!take_flow(c, s, req, res, u, now, &flow))
		return;
	if (error) {
		/* RFC 6749 §4.1.2.1: the upstream refused; its code is all that is logged. */
		lk_warn("upstream %s: the provider answered error %.64s", u->name, error);
		lk_ep_upstream_fail(res, strcmp(error, ERROR_ACCESS_DENIED) == 0 ? 403 : 502, u,
				    "the provider did not allow it.");
		goto out;
	}
	if (!lk_pending_load(c, s, req, flow.request_id, now, &p, res))
		goto out;
	status = verify(c, req, res, u, query(req, LK_P_STATE), now, &id, &why);
	if (!status)
		status = local_user(c, s, u, &id, now, &user, &why);
	if (!status && !user.enabled) {
		lk_warn("upstream %s: user %s\\%s is disabled", u->name, user.domain,
			user.username);
		status = 403;
		why = "this account is disabled.";
	}
	if (status) {
		lk_ep_upstream_fail(res, status, u, why);
		goto out;
	}
	signed_in(c, s, req, res, u, &p, &user, now);
out:
	lk_user_release(&user);
	lk_upstream_identity_release(&id);
	lk_pending_release(&p);
	lk_upstream_flow_record_release(&flow);
}
