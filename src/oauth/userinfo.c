/*
 * UserInfo (OpenID Connect Core §5.3): the token of the request, and the
 * standard claims of the scopes it was granted and of its claims request
 * (Core §5.5), as JSON or, for an application that registered
 * userinfo_signed_response_alg, as a signed JWT. sub is the user's id in
 * decimal, as in the ID token (Core §5.3.2: the two must be equal). The
 * claims themselves are built here for the ID token too.
 */
#include "oauth/userinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "oauth/claims.h"
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

/*
 * preferred_username (DESIGN §3): a user of the default domain signs in with
 * the bare name, any other as domain\user. -1 on failure.
 */
static int preferred_username(json_t *o, const struct lk_config *cfg, const struct lk_user *u)
{
	size_t n;
	char *login;
	int rc;

	if (strcmp(u->domain, cfg->default_domain) == 0)
		return set_str(o, LK_CLAIM_PREFERRED_USERNAME, u->username);
	n = strlen(u->domain) + strlen(u->username) + 2;
	login = malloc(n);
	if (!login)
		return -1;
	snprintf(login, n, "%s\\%s", u->domain, u->username);
	rc = set_str(o, LK_CLAIM_PREFERRED_USERNAME, login);
	free(login);
	return rc;
}

/*
 * One claim of Core §5.1 that latchkey keeps for a user; empty values are
 * left out. A verified flag goes with its value only, and latchkey never
 * verifies a phone number, so phone_number_verified is false.
 */
static int add_claim(json_t *o, const struct lk_config *cfg, const struct lk_user *u, unsigned bit)
{
	switch (bit) {
	case LK_CL_BIT(LK_CL_NAME):
		return set_str(o, LK_CLAIM_NAME, u->display_name);
	case LK_CL_BIT(LK_CL_GIVEN_NAME):
		return set_str(o, LK_CLAIM_GIVEN_NAME, u->given_name);
	case LK_CL_BIT(LK_CL_FAMILY_NAME):
		return set_str(o, LK_CLAIM_FAMILY_NAME, u->family_name);
	case LK_CL_BIT(LK_CL_PREFERRED_USERNAME):
		return preferred_username(o, cfg, u);
	case LK_CL_BIT(LK_CL_UPDATED_AT):
		return u->updated_at > 0 ? json_object_set_new(o, LK_CLAIM_UPDATED_AT,
							       json_integer(u->updated_at))
					 : 0;
	case LK_CL_BIT(LK_CL_EMAIL):
		return set_str(o, LK_CLAIM_EMAIL, u->email);
	case LK_CL_BIT(LK_CL_EMAIL_VERIFIED):
		return *u->email ? json_object_set_new(o, LK_CLAIM_EMAIL_VERIFIED,
						       json_boolean(u->email_verified))
				 : 0;
	case LK_CL_BIT(LK_CL_PHONE_NUMBER):
		return set_str(o, LK_CLAIM_PHONE_NUMBER, u->phone);
	case LK_CL_BIT(LK_CL_PHONE_NUMBER_VERIFIED):
		return *u->phone ? json_object_set_new(o, LK_CLAIM_PHONE_NUMBER_VERIFIED,
						       json_false())
				 : 0;
	default:
		return 0;
	}
}

enum lk_err lk_userinfo_add_claims(void *obj, const struct lk_config *cfg, const struct lk_user *u,
				   unsigned which)
{
	int rc = 0;

	for (unsigned i = 0; i < LK_CL__COUNT && !rc; i++)
		if (which & (1u << i))
			rc = add_claim(obj, cfg, u, 1u << i);
	return rc ? LK_ENOMEM : LK_OK;
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

/*
 * The user claims a claims request (Core §5.5) asked userinfo to release for
 * the token: the authorization code grant files them under the id (jti) of
 * each access token it issues (oauth/user_grants.c), and inspection yields
 * that id for either format, so one lookup by primary key finds them.
 * Nothing filed means nothing asked.
 */
static enum lk_err requested(struct lk_store *s, const char *jti, unsigned *set)
{
	struct lk_claims_req r;
	char *text = NULL;
	enum lk_err err = *jti ? lk_store_token_claims_get(s, jti, &text) : LK_ENOTFOUND;

	if (err == LK_ENOTFOUND) {
		*set = 0;
		return LK_OK;
	}
	if (!err)
		err = lk_claims_parse(text, &r);
	free(text);
	if (err == LK_EPARSE || err == LK_ETOOBIG)
		err = LK_ESTORE;
	if (!err)
		*set = r.userinfo;
	return err;
}

/*
 * The claims object of an active token of a user: sub, the claims of the
 * scopes granted and those the claims request asked for. *t is the token's
 * inspection (the caller releases it); *out the object (the caller's).
 */
static bool gather(const struct lk_inspect_env *env, const char *token, struct lk_token_info *t,
		   json_t **out, struct lk_oauth_error *e)
{
	struct lk_user u = {0};
	unsigned which = 0;
	json_t *o = NULL;
	enum lk_err err = lk_token_inspect(env, token, t);

	if (err) {
		lk_error("userinfo: cannot inspect a token: %s", lk_err_str(err));
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE,
			      "the token could not be checked");
		goto out;
	}
	if (!t->active) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the access token is not active");
		goto out;
	}
	/* Core §5.3.1: userinfo is an OpenID Connect resource. */
	if (!lk_scope_covers(t->scope, LK_SCOPE_OPENID)) {
		lk_oauth_fail(e, LK_OAUTH_INSUFFICIENT_SCOPE,
			      "the access token lacks scope openid");
		goto out;
	}
	/* A token an application holds for itself describes no user. */
	err = subject_user(env->store, t->subject, &u);
	if (err == LK_ENOTFOUND) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN, "the access token is not a user's");
		goto out;
	}
	if (!err)
		err = requested(env->store, t->jti, &which);
	if (err) {
		lk_error("userinfo: cannot read a user's claims: %s", lk_err_str(err));
		lk_oauth_fail(e, LK_OAUTH_TEMPORARILY_UNAVAILABLE, "the user could not be read");
		goto out;
	}
	which |= lk_claims_of_scope(t->scope);
	o = json_object();
	if (!o || set_str(o, LK_CLAIM_SUB, t->subject) ||
	    lk_userinfo_add_claims(o, env->cfg, &u, which)) {
		json_decref(o);
		o = NULL;
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the answer could not be built");
	}
out:
	lk_user_release(&u);
	if (!o)
		return false;
	*out = o;
	return true;
}

bool lk_userinfo_claims(const struct lk_inspect_env *env, const char *token, char **json,
			struct lk_oauth_error *e)
{
	struct lk_token_info t = {0};
	json_t *o = NULL;
	char *text = NULL;

	if (gather(env, token, &t, &o, e)) {
		text = json_dumps(o, JSON_COMPACT);
		if (!text)
			lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the answer could not be built");
	}
	json_decref(o);
	lk_token_info_release(&t);
	if (!text)
		return false;
	*json = text;
	return true;
}

/*
 * Core §5.3.2: a signed answer carries iss and aud (the client_id), so that
 * it cannot be taken for another client's or another server's.
 */
static char *sign(const struct lk_inspect_env *env, const char *alg, const char *client_id,
		  json_t *o, struct lk_oauth_error *e)
{
	char *text = NULL, *jws = NULL;
	enum lk_err err = LK_ENOMEM;

	if (!json_object_set_new(o, LK_CLAIM_ISS, json_string(env->cfg->issuer)) &&
	    !json_object_set_new(o, LK_CLAIM_AUD, json_string(client_id)))
		text = json_dumps(o, JSON_COMPACT);
	if (text)
		err = lk_jwt_sign(env->keyring, alg, NULL, text, strlen(text), &jws);
	free(text);
	if (err) {
		/* LK_ENOTFOUND: the key of alg is gone from [keys] signing_algs. */
		lk_error("userinfo: cannot sign with %s: %s", alg, lk_err_str(err));
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the answer could not be signed");
		return NULL;
	}
	return jws;
}

bool lk_userinfo_answer(const struct lk_inspect_env *env, const char *token, char **body, bool *jwt,
			struct lk_oauth_error *e)
{
	struct lk_token_info t = {0};
	const struct lk_client *c;
	const char *alg = "";
	json_t *o = NULL;
	char *text = NULL;

	if (!gather(env, token, &t, &o, e))
		goto out;
	/* Inspection found the application enabled in this same snapshot. */
	c = lk_clients_find(env->clients, t.client_id);
	if (c && c->app.userinfo_alg)
		alg = c->app.userinfo_alg;
	if (*alg) {
		text = sign(env, alg, t.client_id, o, e);
	} else {
		text = json_dumps(o, JSON_COMPACT);
		if (!text)
			lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the answer could not be built");
	}
out:
	json_decref(o);
	lk_token_info_release(&t);
	if (!text)
		return false;
	*body = text;
	*jwt = *alg != '\0';
	return true;
}
