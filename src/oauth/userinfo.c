/*
 * UserInfo (OpenID Connect Core §5.3): the token of the request, and the
 * standard claims of the scopes it was granted. sub is the user's id in
 * decimal, as in the ID token (Core §5.3.2: the two must be equal).
 */
#include "oauth/userinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "oauth/params.h"
#include "oauth/scope.h"

/*
 * RFC 6750 §2.2: the form body is a method only for a POST (a GET body has
 * no defined meaning); §2.3, the query string, is a method latchkey does not
 * offer, because URLs end up in logs.
 */
bool lk_userinfo_token(const struct lk_request *req, const char **token, struct lk_oauth_error *e)
{
	const char *header = lk_req_header(req, LK_HDR_AUTHORIZATION);
	const char *bearer = NULL, *form = NULL;
	bool post = strcmp(req->method, "POST") == 0;
	enum lk_err err;

	if (req->query_err != LK_OK) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST, "the query string is malformed");
		return false;
	}
	if (lk_params_get(&req->query, LK_P_ACCESS_TOKEN)) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST,
			      "the access token must not be sent in the query string");
		return false;
	}
	if (req->form_err != LK_OK && req->form_err != LK_ENOTFOUND) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST,
			      "the form is malformed or repeats a parameter");
		return false;
	}
	if (req->form_err == LK_OK)
		form = lk_params_get(&req->form, LK_P_ACCESS_TOKEN);
	if (form && !post) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST,
			      "the access token may be sent in the body of a POST only");
		return false;
	}
	err = lk_bearer_parse(header, &bearer);
	if (err != LK_OK && err != LK_ENOTFOUND) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the bearer token is malformed");
		return false;
	}
	/* RFC 6750 §3.1: more than one method is invalid_request. */
	if (bearer && form) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST,
			      "the access token must be sent in one way only");
		return false;
	}
	if (form && !*form) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the access token is empty");
		return false;
	}
	if (!bearer && !form) {
		lk_oauth_fail(e, LK_OAUTH_NONE, "an access token is required");
		return false;
	}
	*token = bearer ? bearer : form;
	return true;
}

/* Sets name to a string value unless it is empty. */
static int set_str(json_t *o, const char *name, const char *value)
{
	return value && *value ? json_object_set_new(o, name, json_string(value)) : 0;
}

/* Core §5.4 profile: the claims latchkey keeps for a user. -1 on failure. */
static int profile(json_t *o, const struct lk_config *cfg, const struct lk_user *u)
{
	int rc = set_str(o, LK_CLAIM_NAME, u->display_name);
	size_t n;
	char *login;

	if (!rc)
		rc = set_str(o, LK_CLAIM_GIVEN_NAME, u->given_name);
	if (!rc)
		rc = set_str(o, LK_CLAIM_FAMILY_NAME, u->family_name);
	if (rc)
		return rc;
	/* DESIGN §3: a user of the default domain signs in with the bare name. */
	if (strcmp(u->domain, cfg->default_domain) == 0) {
		rc = set_str(o, LK_CLAIM_PREFERRED_USERNAME, u->username);
	} else {
		n = strlen(u->domain) + strlen(u->username) + 2;
		login = malloc(n);
		if (!login)
			return -1;
		snprintf(login, n, "%s\\%s", u->domain, u->username);
		rc = set_str(o, LK_CLAIM_PREFERRED_USERNAME, login);
		free(login);
	}
	if (!rc && u->updated_at > 0)
		rc = json_object_set_new(o, LK_CLAIM_UPDATED_AT, json_integer(u->updated_at));
	return rc;
}

/*
 * Core §5.4 email and phone. A verified flag goes with its value only.
 * latchkey never verifies a phone number, so phone_number_verified is false.
 */
static int contact(json_t *o, const char *scope, const struct lk_user *u)
{
	int rc = 0;

	if (lk_scope_covers(scope, LK_SCOPE_EMAIL) && *u->email) {
		rc = set_str(o, LK_CLAIM_EMAIL, u->email);
		if (!rc)
			rc = json_object_set_new(o, LK_CLAIM_EMAIL_VERIFIED,
						 json_boolean(u->email_verified));
	}
	if (!rc && lk_scope_covers(scope, LK_SCOPE_PHONE) && *u->phone) {
		rc = set_str(o, LK_CLAIM_PHONE_NUMBER, u->phone);
		if (!rc)
			rc = json_object_set_new(o, LK_CLAIM_PHONE_NUMBER_VERIFIED, json_false());
	}
	return rc;
}

/* The user of a subject: a decimal id of an enabled user, else LK_ENOTFOUND. */
static enum lk_err subject_user(struct lk_store *s, const char *sub, struct lk_user *out)
{
	struct lk_user u = {0};
	char *end = NULL;
	long long id;
	enum lk_err err;

	if (*sub < '1' || *sub > '9' || strlen(sub) > 19)
		return LK_ENOTFOUND;
	id = strtoll(sub, &end, 10);
	if (*end || id <= 0)
		return LK_ENOTFOUND;
	err = lk_store_user_get(s, (int64_t)id, &u);
	if (!err && !u.enabled)
		err = LK_ENOTFOUND;
	if (err) {
		lk_user_release(&u);
		return err;
	}
	*out = u;
	return LK_OK;
}

/* The JSON text of the claims, or NULL when memory ran out. */
static char *claims(const struct lk_config *cfg, const struct lk_token_info *t,
		    const struct lk_user *u)
{
	json_t *o = json_object();
	char *text = NULL;
	int rc;

	if (!o)
		return NULL;
	rc = set_str(o, LK_CLAIM_SUB, t->subject);
	if (!rc && lk_scope_covers(t->scope, LK_SCOPE_PROFILE))
		rc = profile(o, cfg, u);
	if (!rc)
		rc = contact(o, t->scope, u);
	if (!rc)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

bool lk_userinfo_claims(const struct lk_inspect_env *env, const char *token, char **json,
			struct lk_oauth_error *e)
{
	struct lk_token_info t = {0};
	struct lk_user u = {0};
	char *text = NULL;
	enum lk_err err = lk_token_inspect(env, token, &t);

	if (err) {
		lk_error("userinfo: cannot inspect a token: %s", lk_err_str(err));
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE,
			      "the token could not be checked");
		goto out;
	}
	if (!t.active) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the access token is not active");
		goto out;
	}
	/* Core §5.3.1: userinfo is an OpenID Connect resource. */
	if (!lk_scope_covers(t.scope, LK_SCOPE_OPENID)) {
		lk_oauth_fail(e, LK_OAUTH_INSUFFICIENT_SCOPE,
			      "the access token lacks scope openid");
		goto out;
	}
	/* A token an application holds for itself describes no user. */
	err = subject_user(env->store, t.subject, &u);
	if (err == LK_ENOTFOUND) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the access token is not a user's");
		goto out;
	}
	if (err) {
		lk_error("userinfo: cannot read a user: %s", lk_err_str(err));
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the user could not be read");
		goto out;
	}
	text = claims(env->cfg, &t, &u);
	if (!text)
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the answer could not be built");
out:
	lk_user_release(&u);
	lk_token_info_release(&t);
	if (!text)
		return false;
	*json = text;
	return true;
}
