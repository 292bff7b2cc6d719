/*
 * Validating an authorization request (RFC 6749 §4.1.1, §4.1.2.1). The
 * client and its redirect URI are established first; until both are, an
 * error can only be shown as a page, since redirecting to an unverified URI
 * would make latchkey an open redirector (RFC 9700 §4.11). Everything after
 * that is reported to the client at its redirect URI.
 */
#include "oauth/authorize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oauth/claims.h"
#include "oauth/params.h"
#include "oauth/pkce.h"
#include "oauth/redirect_uri.h"
#include "oauth/scope.h"

void lk_authz_release(struct lk_authz *a)
{
	if (!a)
		return;
	free(a->client_id);
	free(a->redirect_uri);
	free(a->deliver_to);
	free(a->scope);
	free(a->state);
	free(a->nonce);
	free(a->code_challenge);
	free(a->login_hint);
	free(a->claims);
	free(a->internal);
	memset(a, 0, sizeof(*a));
}

static bool fail(struct lk_authz_error *err, bool trusted, enum lk_oauth_code code,
		 const char *description)
{
	err->trusted = trusted;
	lk_oauth_fail(&err->oauth, code, "%s", description);
	return false;
}

/* A parameter's value; "" when absent. */
static const char *get(const struct lk_params *p, const char *name)
{
	const char *v = lk_params_get(p, name);

	return v ? v : "";
}

static char *dup_or_die(const char *s, bool *oom)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*oom = true;
	return d;
}

/* The only registered URI when there is exactly one, else NULL. */
static char *single_registered(const char *list)
{
	const char *p = list + strspn(list, " ");
	size_t n = strcspn(p, " ");

	if (!n || p[n + strspn(p + n, " ")] != '\0')
		return NULL;
	return strndup(p, n);
}

/*
 * The redirect URI (RFC 6749 §3.1.2.3, DESIGN §2): where a result will go,
 * or false when none can be trusted.
 */
static bool establish_redirect(const struct lk_client *c, const char *sent, char **deliver_to)
{
	const struct lk_app *app = &c->app;

	if (app->strategy == LK_STRATEGY_MOBILE_TITLE) {
		if (*sent && strcmp(sent, LK_OOB_AUTO_URI) != 0)
			return false;
		*deliver_to = strdup("");
		return *deliver_to != NULL;
	}
	if (!*sent) {
		*deliver_to = single_registered(app->redirect_uris);
		return *deliver_to != NULL;
	}
	if (strlen(sent) > LK_AUTHZ_URI_MAX ||
	    !lk_redirect_uri_match(app->redirect_uris, sent, app->strategy))
		return false;
	*deliver_to = strdup(sent);
	return *deliver_to != NULL;
}

static bool parse_mode(const char *v, enum lk_response_mode *mode)
{
	if (!*v || strcmp(v, LK_MODE_QUERY) == 0)
		*mode = LK_RESPONSE_QUERY;
	else if (strcmp(v, LK_MODE_FRAGMENT) == 0)
		*mode = LK_RESPONSE_FRAGMENT;
	else if (strcmp(v, LK_MODE_FORM_POST) == 0)
		*mode = LK_RESPONSE_FORM_POST;
	else
		return false;
	return true;
}

/* OpenID Connect Core §3.1.2.1: space-separated; none with anything else is an error. */
static bool parse_prompt(const char *v, struct lk_authz *a)
{
	int words = 0;

	for (const char *p = v; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (!n)
			break;
		words++;
		if (n == 4 && strncmp(p, LK_PROMPT_NONE, n) == 0)
			a->prompt_none = true;
		else if (n == 5 && strncmp(p, LK_PROMPT_LOGIN, n) == 0)
			a->prompt_login = true;
		else if (n == 7 && strncmp(p, LK_PROMPT_CONSENT, n) == 0)
			a->prompt_consent = true;
		else if (!(n == 14 && strncmp(p, LK_PROMPT_SELECT_ACCOUNT, n) == 0))
			return false;
		p += n;
	}
	return !(a->prompt_none && words > 1);
}

static bool parse_max_age(const char *v, int64_t *out)
{
	char *end;
	long long n;

	if (!*v) {
		*out = -1;
		return true;
	}
	if (*v < '0' || *v > '9' || strlen(v) > 10)
		return false;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end)
		return false;
	*out = n;
	return true;
}

/* Whether PKCE is required of this client (DESIGN §2). */
static bool pkce_required(const struct lk_config *cfg, const struct lk_client *c)
{
	return cfg->pkce_required || c->app.client_type == LK_CLIENT_PUBLIC ||
	       c->app.strategy != LK_STRATEGY_WEB;
}

static bool grants_code(const struct lk_client *c)
{
	return c->app.grant == LK_GRANT_AUTHORIZATION_CODE || c->app.grant == LK_GRANT_ALL;
}

/*
 * The claims request (OpenID Connect Core §5.5), after the scope: latchkey
 * releases a claim only with consent, so of the claims asked for it keeps
 * those of a scope the user granted, or, for a first-party application
 * (whose consent the administrator gave), of a scope it is allowed.
 */
static bool parse_claims(const struct lk_client *c, const struct lk_params *params,
			 struct lk_authz *a, struct lk_authz_error *err)
{
	struct lk_claims_req r;
	char *text = NULL;
	enum lk_err e = lk_claims_parse(get(params, LK_P_CLAIMS), &r);

	if (e == LK_ETOOBIG)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "claims is too long");
	if (e == LK_EPARSE)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST,
			    "claims is not a valid claims request (OpenID Connect Core 5.5)");
	if (!e) {
		lk_claims_limit(&r, c->app.first_party ? c->app.scopes : a->scope);
		e = lk_claims_to_json(&r, &text);
	}
	if (e)
		return fail(err, true, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
	free(a->claims);
	a->claims = text;
	return true;
}

/* Everything after the client and redirect URI are trusted. */
static bool check_rest(const struct lk_config *cfg, const struct lk_client *c,
		       const struct lk_params *params, const char *dup_name, struct lk_authz *a,
		       struct lk_authz_error *err)
{
	const char *rt = get(params, LK_P_RESPONSE_TYPE);
	const char *method = get(params, LK_P_CODE_CHALLENGE_METHOD);
	const char *challenge = get(params, LK_P_CODE_CHALLENGE);
	char *scope = NULL;
	enum lk_err e;

	if (dup_name)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST,
			    "a parameter was given more than once");
	if (!grants_code(c))
		return fail(err, true, LK_OAUTH_UNAUTHORIZED_CLIENT,
			    "this client may not use the authorization code grant");
	if (!*rt)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "response_type is required");
	if (strcmp(rt, LK_CM_RESPONSE_CODE) != 0)
		return fail(err, true, LK_OAUTH_UNSUPPORTED_RESPONSE_TYPE,
			    "only response_type=code is supported");
	if (lk_params_get(params, LK_P_REQUEST))
		return fail(err, true, LK_OAUTH_REQUEST_NOT_SUPPORTED,
			    "request objects are not supported");
	if (lk_params_get(params, LK_P_REQUEST_URI))
		return fail(err, true, LK_OAUTH_REQUEST_URI_NOT_SUPPORTED,
			    "request_uri is not supported");
	if (strlen(a->state) > LK_AUTHZ_STATE_MAX)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "state is too long");
	if (strlen(get(params, LK_P_NONCE)) > LK_AUTHZ_NONCE_MAX)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "nonce is too long");
	if (strlen(get(params, LK_P_LOGIN_HINT)) > LK_AUTHZ_HINT_MAX)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "login_hint is too long");
	if (!parse_prompt(get(params, LK_P_PROMPT), a))
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "prompt has an unknown value");
	if (!parse_max_age(get(params, LK_P_MAX_AGE), &a->max_age))
		return fail(err, true, LK_OAUTH_INVALID_REQUEST,
			    "max_age must be a non-negative number of seconds");
	/* RFC 7636 §4.3, RFC 9700 §2.1.1: S256 only; a method without a challenge is an error. */
	if (*method && strcmp(method, LK_PKCE_S256) != 0)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST,
			    "code_challenge_method must be S256");
	if (!*challenge && *method)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "code_challenge is missing");
	if (!*challenge && pkce_required(cfg, c))
		return fail(err, true, LK_OAUTH_INVALID_REQUEST,
			    "code_challenge is required (PKCE with S256)");
	if (*challenge && !*method)
		return fail(err, true, LK_OAUTH_INVALID_REQUEST,
			    "code_challenge_method must be S256 (plain is not accepted)");
	if (*challenge && !lk_pkce_challenge_ok(challenge))
		return fail(err, true, LK_OAUTH_INVALID_REQUEST,
			    "code_challenge must be 43 base64url characters");
	e = lk_scope_grant(get(params, LK_P_SCOPE), c->app.scopes, &scope);
	if (e == LK_EPARSE)
		return fail(err, true, LK_OAUTH_INVALID_SCOPE, "the scope parameter is malformed");
	if (e)
		return fail(err, true, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
	if (!*scope) {
		free(scope);
		return fail(err, true, LK_OAUTH_INVALID_SCOPE,
			    "none of the requested scopes is allowed for this client");
	}
	free(a->scope);
	a->scope = scope;
	return parse_claims(c, params, a, err);
}

bool lk_authz_parse(const struct lk_config *cfg, const struct lk_clients *clients,
		    const struct lk_params *params, const char *dup_name, struct lk_authz *out,
		    struct lk_authz_error *err)
{
	const char *client_id = get(params, LK_CM_CLIENT_ID);
	const char *sent = get(params, LK_P_REDIRECT_URI);
	const struct lk_client *c;
	struct lk_authz a = {.max_age = -1};
	bool oom = false;

	memset(err, 0, sizeof(*err));
	if (!*client_id)
		return fail(err, false, LK_OAUTH_INVALID_REQUEST, "client_id is required");
	if (dup_name &&
	    (strcmp(dup_name, LK_CM_CLIENT_ID) == 0 || strcmp(dup_name, LK_P_REDIRECT_URI) == 0))
		return fail(err, false, LK_OAUTH_INVALID_REQUEST,
			    "client_id or redirect_uri was given more than once");
	c = lk_clients_find(clients, client_id);
	if (!c || !c->app.enabled)
		return fail(err, false, LK_OAUTH_INVALID_CLIENT,
			    "the client is unknown or disabled");
	if (!establish_redirect(c, sent, &a.deliver_to))
		return fail(err, false, LK_OAUTH_INVALID_REQUEST,
			    "the redirect_uri is missing or not registered for this client");
	/* From here on, errors go to the client. */
	a.client_id = dup_or_die(client_id, &oom);
	a.redirect_uri = dup_or_die(sent, &oom);
	a.strategy = c->app.strategy;
	a.state = dup_or_die(get(params, LK_P_STATE), &oom);
	a.scope = dup_or_die("", &oom);
	a.nonce = dup_or_die(get(params, LK_P_NONCE), &oom);
	a.code_challenge = dup_or_die(get(params, LK_P_CODE_CHALLENGE), &oom);
	a.login_hint = dup_or_die(get(params, LK_P_LOGIN_HINT), &oom);
	a.claims = dup_or_die("", &oom);
	a.internal = dup_or_die("", &oom);
	if (oom) {
		lk_authz_release(&a);
		return fail(err, false, LK_OAUTH_SERVER_ERROR,
			    "the request could not be completed");
	}
	if (!parse_mode(get(params, LK_P_RESPONSE_MODE), &a.mode)) {
		a.mode = LK_RESPONSE_QUERY;
		*out = a;
		return fail(err, true, LK_OAUTH_INVALID_REQUEST, "response_mode is not supported");
	}
	if (!check_rest(cfg, c, params, dup_name, &a, err)) {
		*out = a;
		return false;
	}
	*out = a;
	return true;
}

enum lk_err lk_authz_internal(const char *path, struct lk_authz *out)
{
	struct lk_authz a = {.max_age = -1, .strategy = LK_STRATEGY_WEB};
	bool oom = false;

	/* "//host" would be another site to a browser. */
	if (!path || path[0] != '/' || path[1] == '/' || strlen(path) > LK_AUTHZ_URI_MAX ||
	    strpbrk(path, "\\\r\n"))
		return LK_EINVAL;
	a.client_id = dup_or_die("", &oom);
	a.redirect_uri = dup_or_die("", &oom);
	a.deliver_to = dup_or_die("", &oom);
	a.scope = dup_or_die("", &oom);
	a.state = dup_or_die("", &oom);
	a.nonce = dup_or_die("", &oom);
	a.code_challenge = dup_or_die("", &oom);
	a.login_hint = dup_or_die("", &oom);
	a.claims = dup_or_die("", &oom);
	a.internal = dup_or_die(path, &oom);
	if (oom) {
		lk_authz_release(&a);
		return LK_ENOMEM;
	}
	*out = a;
	return LK_OK;
}

/* ---- The pending request as JSON ---- */

char *lk_authz_to_json(const struct lk_authz *a)
{
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:I,s:s,s:s,s:s,s:I}",
		"client_id", a->client_id, "redirect_uri", a->redirect_uri, "deliver_to",
		a->deliver_to, "strategy", (int)a->strategy, "mode", (int)a->mode, "scope",
		a->scope, "state", a->state, "nonce", a->nonce, "code_challenge", a->code_challenge,
		"prompt_none", a->prompt_none, "prompt_login", a->prompt_login, "prompt_consent",
		a->prompt_consent, "max_age", (json_int_t)a->max_age, "login_hint", a->login_hint,
		"claims", a->claims ? a->claims : "", "internal", a->internal ? a->internal : "",
		"hint_user", (json_int_t)a->hint_user);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

enum lk_err lk_authz_from_json(const char *json, struct lk_authz *out)
{
	const char *client_id, *redirect_uri, *deliver_to, *scope, *state, *nonce, *challenge,
		*hint, *claims = "", *internal = "";
	json_int_t hint_user = 0;
	int strategy, mode, pn, pl, pc;
	json_int_t max_age;
	struct lk_authz a = {0};
	bool oom = false;
	json_t *o = json_loads(json, 0, NULL);
	enum lk_err err = LK_EPARSE;

	/*
	 * claims, internal and hint_user may be absent: a request pending since
	 * before they existed has none of them.
	 */
	if (!o ||
	    json_unpack(o, "{s:s,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:I,s:s,s?s,s?s,s?I}",
			"client_id", &client_id, "redirect_uri", &redirect_uri, "deliver_to",
			&deliver_to, "strategy", &strategy, "mode", &mode, "scope", &scope, "state",
			&state, "nonce", &nonce, "code_challenge", &challenge, "prompt_none", &pn,
			"prompt_login", &pl, "prompt_consent", &pc, "max_age", &max_age,
			"login_hint", &hint, "claims", &claims, "internal", &internal, "hint_user",
			&hint_user) != 0)
		goto out;
	if (strategy < 0 || strategy >= LK_STRATEGY__COUNT || mode < LK_RESPONSE_QUERY ||
	    mode > LK_RESPONSE_FORM_POST)
		goto out;
	a.client_id = dup_or_die(client_id, &oom);
	a.redirect_uri = dup_or_die(redirect_uri, &oom);
	a.deliver_to = dup_or_die(deliver_to, &oom);
	a.scope = dup_or_die(scope, &oom);
	a.state = dup_or_die(state, &oom);
	a.nonce = dup_or_die(nonce, &oom);
	a.code_challenge = dup_or_die(challenge, &oom);
	a.login_hint = dup_or_die(hint, &oom);
	a.claims = dup_or_die(claims, &oom);
	a.internal = dup_or_die(internal, &oom);
	a.hint_user = hint_user > 0 ? (int64_t)hint_user : 0;
	a.strategy = (enum lk_strategy)strategy;
	a.mode = (enum lk_response_mode)mode;
	a.prompt_none = pn;
	a.prompt_login = pl;
	a.prompt_consent = pc;
	a.max_age = max_age;
	if (oom) {
		lk_authz_release(&a);
		err = LK_ENOMEM;
		goto out;
	}
	*out = a;
	err = LK_OK;
out:
	json_decref(o);
	return err;
}
