/*
 * Grants of the token endpoint. Each one authenticates (or identifies) the
 * client, checks that the client is registered for the grant, narrows the
 * scope, and issues the token. Errors follow RFC 6749 §5.2 to the letter:
 * invalid_request for a malformed request, invalid_client for failed client
 * authentication, invalid_grant for a bad assertion (RFC 7523 §3.1),
 * unauthorized_client for a grant the client may not use,
 * unsupported_grant_type, invalid_scope.
 */
#include "oauth/token_grants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "oauth/client_auth.h"
#include "oauth/grants_int.h"
#include "oauth/params.h"
#include "oauth/scope.h"

/* A form parameter, NULL when absent or empty (an empty value says nothing). */
static const char *param(const struct lk_request *req, const char *name)
{
	const char *v = req->form_err == LK_OK ? lk_params_get(&req->form, name) : NULL;

	return v && *v ? v : NULL;
}

static bool server_error(struct lk_oauth_error *err, const char *what, enum lk_err e)
{
	lk_error("token endpoint: cannot %s: %s", what, lk_err_str(e));
	lk_oauth_fail(err, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
	return false;
}

/* The database, or a server_error. */
static struct lk_store *need_store(const struct lk_grant_env *env, struct lk_oauth_error *err)
{
	struct lk_store *s = env->store ? env->store(env->store_arg) : NULL;

	if (!s)
		server_error(err, "open the database", LK_ESTORE);
	return s;
}

static void auth_env(const struct lk_grant_env *env, struct lk_store *s, struct lk_auth_env *a)
{
	a->clients = env->clients;
	a->store = s;
	a->issuer = env->cfg->issuer;
	a->endpoint_url = env->endpoint_url;
	a->now = env->now;
}

/*
 * Client authentication. Only private_key_jwt needs the database (its jti),
 * so only then is it opened: the secret methods stay in memory.
 */
static bool authenticate_as(const struct lk_grant_env *env, const struct lk_request *req,
			    bool allow_public, struct lk_auth_result *who,
			    struct lk_oauth_error *err)
{
	struct lk_auth_env a;
	struct lk_store *s = NULL;

	if (param(req, LK_P_CLIENT_ASSERTION)) {
		s = need_store(env, err);
		if (!s)
			return false;
	}
	auth_env(env, s, &a);
	return lk_client_authenticate(&a, req, allow_public, who, err);
}

/* RFC 6749 §4.4: the client's own grants are for confidential clients only. */
static bool authenticate(const struct lk_grant_env *env, const struct lk_request *req,
			 struct lk_auth_result *who, struct lk_oauth_error *err)
{
	return authenticate_as(env, req, false, who, err);
}

static bool unauthorized(struct lk_oauth_error *err, const char *grant)
{
	lk_oauth_fail(err, LK_OAUTH_UNAUTHORIZED_CLIENT, "this client may not use the %s grant",
		      grant);
	return false;
}

/*
 * RFC 6749 §3.3: the scope granted is what was asked for among what the
 * client may have, all of it when nothing was asked for; the response says
 * which (§5.1). Nothing left is invalid_scope.
 */
static bool issue(const struct lk_grant_env *env, const struct lk_request *req,
		  const struct lk_client *c, struct lk_grant_result *res,
		  struct lk_oauth_error *err)
{
	struct lk_token_env te = {.cfg = env->cfg, .keyring = env->keyring, .now = env->now};
	char *scope = NULL;
	enum lk_err e = lk_scope_grant(param(req, LK_P_SCOPE), c->app.scopes, &scope);
	bool ok = false;

	if (e == LK_EPARSE) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_SCOPE, "the scope parameter is malformed");
		return false;
	}
	if (e)
		return server_error(err, "compute the scope", e);
	if (!*scope) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_SCOPE,
			      "none of the requested scopes is allowed for this client");
		goto out;
	}
	if (lk_access_token_opaque(c) && env->defer_opaque) {
		te.unstored = &res->unstored;
	} else if (lk_access_token_opaque(c)) {
		te.store = need_store(env, err);
		if (!te.store)
			goto out;
	}
	e = lk_access_token_issue(&te, c, c->subject, scope, &res->access);
	if (e) {
		server_error(err, "issue an access token", e);
		goto out;
	}
	res->client_id = c->app.client_id;
	snprintf(res->subject, sizeof(res->subject), "%s", c->subject);
	ok = true;
out:
	free(scope);
	return ok;
}

/* RFC 6749 §4.4.2. */
static bool client_credentials(const struct lk_grant_env *env, const struct lk_request *req,
			       struct lk_grant_result *out, struct lk_oauth_error *err)
{
	struct lk_auth_result who;

	if (!authenticate(env, req, &who, err))
		return false;
	if (!lk_client_allows_grant(who.client, LK_GT_CLIENT_CREDENTIALS))
		return unauthorized(err, LK_GT_CLIENT_CREDENTIALS);
	return issue(env, req, who.client, out, err);
}

/*
 * Client authentication given alongside a jwt-bearer assertion: the
 * Authorization header, a client secret or a client assertion. A bare
 * client_id only names the application the assertion must be of.
 */
static bool has_credentials(const struct lk_request *req)
{
	return lk_req_header(req, LK_HDR_AUTHORIZATION) || param(req, LK_CM_CLIENT_SECRET) ||
	       param(req, LK_P_CLIENT_ASSERTION) || param(req, LK_P_CLIENT_ASSERTION_TYPE);
}

/*
 * RFC 7523 §2.1 and §3.1, for client-certificate applications: the
 * assertion is the same JWT as private_key_jwt's and authenticates by
 * itself; what is wrong with it is invalid_grant.
 */
static bool jwt_bearer(const struct lk_grant_env *env, const struct lk_request *req,
		       struct lk_grant_result *out, struct lk_oauth_error *err)
{
	const char *assertion = param(req, LK_P_ASSERTION);
	const char *client_id = param(req, LK_CM_CLIENT_ID);
	const struct lk_client *c = NULL;
	struct lk_auth_result who = {0};
	struct lk_auth_env a;
	struct lk_store *s;
	char why[128] = "";
	enum lk_err e;

	if (!assertion) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST, LK_P_ASSERTION " is required");
		return false;
	}
	if (has_credentials(req)) {
		if (!authenticate(env, req, &who, err))
			return false;
		if (!lk_client_allows_grant(who.client, LK_CM_GRANT_JWT_BEARER))
			return unauthorized(err, LK_CM_GRANT_JWT_BEARER);
		client_id = who.client->app.client_id;
	}
	s = need_store(env, err);
	if (!s)
		return false;
	auth_env(env, s, &a);
	e = lk_client_assertion_verify(&a, assertion, client_id, &c, why, sizeof(why));
	if (e == LK_EEXIST) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_GRANT, "assertion already used");
		return false;
	}
	if (e == LK_EDENIED) {
		lk_debug("jwt-bearer assertion refused: %s", why);
		lk_oauth_fail(err, LK_OAUTH_INVALID_GRANT, "the assertion is not valid");
		return false;
	}
	if (e)
		return server_error(err, "check an assertion", e);
	if (!lk_client_allows_grant(c, LK_CM_GRANT_JWT_BEARER))
		return unauthorized(err, LK_CM_GRANT_JWT_BEARER);
	return issue(env, req, c, out, err);
}

/*
 * DESIGN §2: a bearer_token application may POST only its key pair in
 * Authorization: Basic, with no grant_type, and gets a new long-lived token,
 * which is what SCIM provisioning connectors expect. Anyone else must say
 * which grant they want (RFC 6749 §4.4.2: grant_type is required).
 */
static bool no_grant_type(const struct lk_grant_env *env, const struct lk_request *req,
			  struct lk_grant_result *out, struct lk_oauth_error *err)
{
	struct lk_auth_result who;

	if (!lk_req_header(req, LK_HDR_AUTHORIZATION))
		goto required;
	if (!authenticate(env, req, &who, err))
		return false;
	if (who.method != LK_AUTH_SECRET_BASIC || who.client->app.grant != LK_GRANT_BEARER_TOKEN)
		goto required;
	return issue(env, req, who.client, out, err);
required:
	lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST, LK_P_GRANT_TYPE " is required");
	return false;
}

bool lk_token_grant(const struct lk_grant_env *env, const struct lk_request *req,
		    struct lk_grant_result *out, struct lk_oauth_error *err)
{
	const char *grant = param(req, LK_P_GRANT_TYPE);

	memset(out, 0, sizeof(*out));
	if (!grant)
		return no_grant_type(env, req, out, err);
	if (strcmp(grant, LK_GT_CLIENT_CREDENTIALS) == 0)
		return client_credentials(env, req, out, err);
	if (strcmp(grant, LK_CM_GRANT_JWT_BEARER) == 0)
		return jwt_bearer(env, req, out, err);
	if (strcmp(grant, LK_GT_AUTHORIZATION_CODE) == 0)
		return lk_grant_authorization_code(env, req, out, err);
	if (strcmp(grant, LK_GT_REFRESH_TOKEN) == 0)
		return lk_grant_refresh_token(env, req, out, err);
	if (strcmp(grant, LK_GT_PASSWORD) == 0)
		return lk_grant_password(env, req, out, err);
	lk_oauth_fail(err, LK_OAUTH_UNSUPPORTED_GRANT_TYPE, "the grant_type is not supported");
	return false;
}

void lk_grant_result_release(struct lk_grant_result *r)
{
	if (!r)
		return;
	lk_access_token_release(&r->access);
	lk_token_record_release(&r->unstored);
	lk_wipe(r->refresh, sizeof(r->refresh));
	free(r->id_token);
	r->id_token = NULL;
}

/* ---- Shared with user_grants.c (grants_int.h) ---- */

const char *lk_grant_param(const struct lk_request *req, const char *name)
{
	return param(req, name);
}

bool lk_grant_server_error(struct lk_oauth_error *err, const char *what, enum lk_err e)
{
	return server_error(err, what, e);
}

struct lk_store *lk_grant_store(const struct lk_grant_env *env, struct lk_oauth_error *err)
{
	return need_store(env, err);
}

bool lk_grant_authenticate(const struct lk_grant_env *env, const struct lk_request *req,
			   bool allow_public, struct lk_auth_result *who,
			   struct lk_oauth_error *err)
{
	return authenticate_as(env, req, allow_public, who, err);
}

bool lk_grant_unauthorized(struct lk_oauth_error *err, const char *grant)
{
	return unauthorized(err, grant);
}
