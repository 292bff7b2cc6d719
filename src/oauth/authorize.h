/*
 * The authorization endpoint's protocol (RFC 6749 §4.1, RFC 7636, RFC 9207,
 * OAuth 2.0 Form Post Response Mode, DESIGN §2): validating a request in the
 * order that keeps latchkey from being an open redirector, deciding what the
 * person must do next (sign in, consent), issuing the code, and shaping the
 * result for each redirect strategy. No HTML and no sockets here: the
 * endpoints render what these functions decide.
 */
#ifndef LK_OAUTH_AUTHORIZE_H
#define LK_OAUTH_AUTHORIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "http/http.h"
#include "jose/keyring.h"
#include "oauth/clients.h"
#include "oauth/errors.h"
#include "oauth/signin.h"
#include "store/store.h"

/* Limits on request values (RFC 6749 sets none; these are generous). */
#define LK_AUTHZ_STATE_MAX 1024
#define LK_AUTHZ_NONCE_MAX 512
#define LK_AUTHZ_HINT_MAX 320
#define LK_AUTHZ_URI_MAX 2000

enum lk_response_mode { LK_RESPONSE_QUERY, LK_RESPONSE_FRAGMENT, LK_RESPONSE_FORM_POST };

/* A validated authorization request. Strings are malloc'd, never NULL. */
struct lk_authz {
	char *client_id;
	char *redirect_uri; /* as sent; "" when absent (the token request repeats it) */
	char *deliver_to;   /* where the result goes; "" for mobile-title */
	enum lk_strategy strategy;
	enum lk_response_mode mode;
	char *scope;	      /* what will be granted: requested ∩ allowed */
	char *state;	      /* "" when absent */
	char *nonce;	      /* "" when absent */
	char *code_challenge; /* S256; "" when none */
	bool prompt_none;
	bool prompt_login;
	bool prompt_consent;
	int64_t max_age;  /* seconds; -1 when absent */
	char *login_hint; /* "" when absent */
	/*
	 * The claims request (OpenID Connect Core §5.5) as normalised JSON
	 * (oauth/claims.h), of the claims the application may have; "" when
	 * none.
	 */
	char *claims;
	/*
	 * A path on this server the sign-in returns to ("/admin") when the
	 * request is latchkey's own (the admin console signing in), not an
	 * application's: no client, no consent, no code. "" for an application's
	 * request. Never taken from request parameters.
	 */
	char *internal;
	/*
	 * The user an id_token_hint names (OpenID Connect Core §3.1.2.1), set
	 * by the endpoint once it has verified the hint; 0 without one.
	 */
	int64_t hint_user;
};

void lk_authz_release(struct lk_authz *a);

/*
 * A request of latchkey's own pages: sign in (or use the live session), then
 * return to path, a path on this server starting with '/'. LK_EINVAL for
 * another path, LK_ENOMEM.
 */
enum lk_err lk_authz_internal(const char *path, struct lk_authz *out);

/*
 * Why a request failed. When trusted is false, the client or the redirect
 * URI could not be established and the error must be shown as a page, never
 * redirected (RFC 6749 §4.1.2.1). When trusted is true, *a of lk_authz_parse
 * holds at least client_id, redirect_uri, deliver_to, strategy, mode and
 * state, so the error can be delivered to the application.
 */
struct lk_authz_error {
	struct lk_oauth_error oauth;
	bool trusted;
};

/*
 * Validates the parameters of an authorization request (the query of a GET
 * or the form of a POST). dup_name is a parameter given more than once (RFC
 * 6749 §3.1), or NULL. Order: client_id (known, enabled), redirect_uri
 * (registered for the strategy: exact, any loopback port for
 * mobile-localhost, absent or the out-of-band URN for mobile-title; may be
 * absent when exactly one is registered); then, delivered to the client:
 * response_mode, a repeated parameter, the grant, response_type,
 * request/request_uri, the length limits, prompt, max_age, PKCE (S256 only;
 * required for public clients, mobile strategies, and everyone while
 * [tokens] pkce_required), scope and claims (malformed, or longer than
 * LK_CLAIMS_PARAM_MAX: invalid_request). Of the claims asked for, only those
 * the application may have are kept: those of a scope granted, or for a
 * first-party application, of a scope it is allowed.
 * true with *out filled (release it) on success; false with *err filled,
 * and *out filled too when err->trusted (release it then as well).
 */
bool lk_authz_parse(const struct lk_config *cfg, const struct lk_clients *clients,
		    const struct lk_params *params, const char *dup_name, struct lk_authz *out,
		    struct lk_authz_error *err);

/* The request as JSON text for the pending request store (free it). NULL on ENOMEM. */
char *lk_authz_to_json(const struct lk_authz *a);

/* Reads lk_authz_to_json's text back. LK_EPARSE when it is not one. */
enum lk_err lk_authz_from_json(const char *json, struct lk_authz *out);

/* What the person must do next for a request. */
enum lk_authz_step {
	LK_AUTHZ_LOGIN,	  /* show the login page */
	LK_AUTHZ_CONSENT, /* show the consent page */
	LK_AUTHZ_ISSUE,	  /* issue the code and deliver it */
	LK_AUTHZ_FAIL,	  /* deliver the error in err (prompt=none) */
};

/*
 * Decides the next step (DESIGN §2, OpenID Connect Core §3.1.2.3): a login
 * without a live session, when prompt=login asks for one newer than the
 * request (started_at), or when the session is older than max_age; an
 * error when the claims request names a sub that is not the signed-in user
 * (Core §5.5.1: login_required, as for prompt=none); consent
 * unless the app is first-party or the user already consented to every
 * scope (prompt=consent: unless consented is true, i.e. given on the
 * consent page for this request). prompt=none turns a needed login into
 * login_required and a needed consent into consent_required. sess is NULL
 * without a session.
 */
enum lk_err lk_authz_next(struct lk_store *s, const struct lk_client *client,
			  const struct lk_authz *a, const struct lk_session *sess,
			  int64_t started_at, bool consented, int64_t now, enum lk_authz_step *step,
			  struct lk_oauth_error *err);

/*
 * Takes the request's id_token_hint (params), when it has one, as the user
 * the request is for: it must be an ID token this server issued
 * (lk_id_token_hint), else invalid_request in err. lk_authz_next then lets
 * only that user through: another signed-in user must sign in again, and a
 * sign-in as someone else ends in login_required (Core §3.1.2.2).
 */
bool lk_authz_take_hint(const struct lk_config *cfg, const struct lk_keyring *kr,
			const struct lk_params *params, struct lk_authz *a,
			struct lk_oauth_error *err);

/* Records that the user allowed the request's scopes for its app (added to any earlier ones). */
enum lk_err lk_authz_remember_consent(struct lk_store *s, const struct lk_authz *a, int64_t user_id,
				      int64_t now);

/*
 * Issues an authorization code (lk_ac_, 256 random bits, [tokens]
 * code_lifetime seconds) bound to the client, redirect URI, PKCE challenge,
 * user, scope, nonce, claims request, session and auth_time; only its
 * SHA-256 is stored.
 */
enum lk_err lk_authz_issue_code(struct lk_store *s, const struct lk_config *cfg,
				const struct lk_authz *a, const struct lk_session *sess,
				int64_t now, char code[LK_TOKEN_MAX]);

/* How the result reaches the application. */
enum lk_authz_delivery { LK_DELIVER_REDIRECT, LK_DELIVER_FORM_POST, LK_DELIVER_TITLE };

#define LK_AUTHZ_RESULT_FIELDS 4

struct lk_authz_result {
	enum lk_authz_delivery kind;
	bool error;
	char *url;   /* REDIRECT: the Location; FORM_POST: the form's action */
	char *title; /* TITLE: "Success code=...&state=..." or "Error error=...&state=..." */
	/* FORM_POST: the fields to post (code or error, error_description, state, iss). */
	struct {
		const char *name;
		char *value;
	} fields[LK_AUTHZ_RESULT_FIELDS];
	size_t nfields;
};

void lk_authz_result_release(struct lk_authz_result *r);

/*
 * Shapes the result of a request: the code (code non-NULL) or the error,
 * with state when one was sent and iss = issuer (RFC 9207), per the
 * strategy and response mode: a redirect with the values in the query
 * (joined to any query the URI has) or fragment, a form to post, or for
 * mobile-title the page title with the values form-urlencoded.
 */
enum lk_err lk_authz_result(const struct lk_authz *a, const char *issuer, const char *code,
			    const struct lk_oauth_error *err, struct lk_authz_result *out);

/*
 * The Content-Security-Policy source for the form-action of the pages whose
 * forms end in the redirect to where a result goes, and in whatever
 * redirects follow it: "https:" for an https redirect URI, "http://HOST:*"
 * for a loopback one; "" for mobile-title. Written to out (outlen bytes);
 * LK_ETOOBIG when it does not fit.
 */
enum lk_err lk_authz_origin(const struct lk_authz *a, char *out, size_t outlen);

#endif
