/*
 * Client authentication (RFC 6749 §2.3, RFC 7521 §4.2, RFC 7523 §3) against
 * the in-memory application snapshot: nothing here touches the disk except
 * consuming the jti of a private_key_jwt assertion.
 *
 * What a failure says: a request that is malformed or ambiguous gets
 * invalid_request with a precise description; a request whose credentials
 * do not check out gets invalid_client with only "client authentication
 * failed", whatever was wrong (unknown client, wrong or expired secret,
 * disabled application or user, bad assertion), so that nothing can be
 * probed. The precise reason goes to the debug log, never a credential.
 */
#include "oauth/client_auth.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "jose/jwt_verify.h"
#include "oauth/assertion.h"
#include "oauth/params.h"

#define AUTH_FAILED "client authentication failed"

/* What the request offers to identify and authenticate its client. */
struct creds {
	const char *header;    /* Authorization, any scheme */
	const char *client_id; /* form */
	const char *secret;    /* form client_secret */
	const char *assertion;
	const char *assertion_type;
};

/*
 * A form parameter, NULL when absent or empty: RFC 6749 §2.3.1 lets a client
 * omit an empty secret, so an empty value is the same as none.
 */
static const char *form_param(const struct lk_request *req, const char *name)
{
	const char *v = req->form_err == LK_OK ? lk_params_get(&req->form, name) : NULL;

	return v && *v ? v : NULL;
}

static void gather(const struct lk_request *req, struct creds *c)
{
	c->header = lk_req_header(req, LK_HDR_AUTHORIZATION);
	c->client_id = form_param(req, LK_CM_CLIENT_ID);
	c->secret = form_param(req, LK_CM_CLIENT_SECRET);
	c->assertion = form_param(req, LK_P_CLIENT_ASSERTION);
	c->assertion_type = form_param(req, LK_P_CLIENT_ASSERTION_TYPE);
}

bool lk_client_auth_present(const struct lk_request *req)
{
	struct creds c;

	gather(req, &c);
	return c.header || c.client_id || c.secret || c.assertion || c.assertion_type;
}

/*
 * invalid_client with nothing said about why; the reason goes to the debug
 * log, with the client_id only once it named a known application (an unknown
 * "client_id" may be a secret pasted into the wrong field).
 */
static bool refuse(struct lk_oauth_error *err, bool basic, const char *client_id, const char *why)
{
	lk_debug("client authentication failed for '%.64s': %s", client_id ? client_id : "", why);
	lk_oauth_fail(err, LK_OAUTH_INVALID_CLIENT, AUTH_FAILED);
	err->basic = basic;
	return false;
}

/*
 * DESIGN §1: a disabled application, or one acting as a disabled user, is
 * refused at once, the same way as an unknown one.
 */
static bool usable(const struct lk_client *c, const char **why)
{
	if (!c->app.enabled)
		*why = "the application is disabled";
	else if (!c->user_ok)
		*why = "the application's user is disabled or gone";
	else
		return true;
	return false;
}

static bool accept(const struct lk_client *c, enum lk_auth_method m, struct lk_auth_result *out)
{
	out->client = c;
	out->method = m;
	return true;
}

/* client_secret_basic and client_secret_post: a current secret of an enabled app. */
static bool by_secret(const struct lk_auth_env *env, const char *client_id, const char *secret,
		      bool basic, struct lk_auth_result *out, struct lk_oauth_error *err)
{
	const struct lk_client *c = lk_clients_find(env->clients, client_id);
	const char *why = "wrong or expired secret";

	if (!c)
		return refuse(err, basic, NULL, "unknown client");
	/* Checked before usable() so that every known client costs one hash. */
	if (!lk_client_secret_ok(c, secret, env->now))
		return refuse(err, basic, client_id, why);
	if (!usable(c, &why))
		return refuse(err, basic, client_id, why);
	return accept(c, basic ? LK_AUTH_SECRET_BASIC : LK_AUTH_SECRET_POST, out);
}

static bool by_basic(const struct lk_auth_env *env, const struct lk_request *req,
		     const struct creds *cr, struct lk_auth_result *out, struct lk_oauth_error *err)
{
	const char *user = NULL, *password = NULL;
	enum lk_err e = lk_basic_auth_parse(req->arena, cr->header, &user, &password);

	/*
	 * RFC 6749 §5.2: a client that tried the Authorization header gets 401
	 * with a Basic challenge, also for another scheme or a malformed value.
	 */
	if (e == LK_ENOTFOUND)
		return refuse(err, true, NULL, "the Authorization header is not Basic");
	if (e || !*user)
		return refuse(err, true, NULL, "malformed Basic credentials");
	/* RFC 6749 §3.2.1: a client_id in the body must name the same client. */
	if (cr->client_id && strcmp(cr->client_id, user) != 0)
		return refuse(err, true, NULL, "client_id differs from the Basic user");
	return by_secret(env, user, password, true, out, err);
}

/*
 * private_key_jwt (RFC 7523 §3). RFC 7521 §4.2: both parameters are needed,
 * and the type is exactly the JWT one.
 */
static bool by_assertion(const struct lk_auth_env *env, const struct creds *cr,
			 struct lk_auth_result *out, struct lk_oauth_error *err)
{
	const struct lk_client *c = NULL;
	char why[128] = "";
	enum lk_err e;

	if (!cr->assertion_type) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST,
			      LK_P_CLIENT_ASSERTION_TYPE
			      " is required with " LK_P_CLIENT_ASSERTION);
		return false;
	}
	if (!cr->assertion) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST,
			      LK_P_CLIENT_ASSERTION
			      " is required with " LK_P_CLIENT_ASSERTION_TYPE);
		return false;
	}
	if (strcmp(cr->assertion_type, LK_CLIENT_ASSERTION_JWT) != 0) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_CLIENT,
			      "unsupported " LK_P_CLIENT_ASSERTION_TYPE);
		return false;
	}
	e = lk_client_assertion_verify(env, cr->assertion, cr->client_id, &c, why, sizeof(why));
	if (e == LK_EEXIST) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_CLIENT, "assertion already used");
		return false;
	}
	if (e == LK_EDENIED)
		return refuse(err, false, NULL, why);
	if (e) {
		lk_error("cannot check a client assertion: %s", lk_err_str(e));
		lk_oauth_fail(err, LK_OAUTH_SERVER_ERROR, "client authentication is unavailable");
		return false;
	}
	return accept(c, LK_AUTH_PRIVATE_KEY_JWT, out);
}

/* none (RFC 6749 §2.1): a public client names itself; confidential ones may not. */
static bool by_client_id(const struct lk_auth_env *env, const char *client_id, bool allow_public,
			 struct lk_auth_result *out, struct lk_oauth_error *err)
{
	const struct lk_client *c = lk_clients_find(env->clients, client_id);
	const char *why = "";

	if (!c)
		return refuse(err, false, NULL, "unknown client");
	if (c->app.client_type != LK_CLIENT_PUBLIC)
		return refuse(err, false, client_id, "a confidential client sent no credentials");
	if (!allow_public)
		return refuse(err, false, client_id, "public clients may not use this endpoint");
	if (!usable(c, &why))
		return refuse(err, false, client_id, why);
	return accept(c, LK_AUTH_NONE, out);
}

bool lk_client_authenticate(const struct lk_auth_env *env, const struct lk_request *req,
			    bool allow_public, struct lk_auth_result *out,
			    struct lk_oauth_error *err)
{
	struct creds cr;
	int methods;

	gather(req, &cr);
	methods = (cr.header != NULL) + (cr.secret != NULL) +
		  (cr.assertion != NULL || cr.assertion_type != NULL);
	/* RFC 6749 §2.3: a client must not use more than one method per request. */
	if (methods > 1) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST,
			      "more than one client authentication method was used");
		err->basic = cr.header != NULL;
		return false;
	}
	if (cr.header)
		return by_basic(env, req, &cr, out, err);
	if (cr.secret) {
		if (!cr.client_id) {
			lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST,
				      LK_CM_CLIENT_ID " is required with " LK_CM_CLIENT_SECRET);
			return false;
		}
		return by_secret(env, cr.client_id, cr.secret, false, out, err);
	}
	if (methods)
		return by_assertion(env, &cr, out, err);
	if (cr.client_id)
		return by_client_id(env, cr.client_id, allow_public, out, err);
	lk_oauth_fail(err, LK_OAUTH_INVALID_CLIENT, "client authentication is required");
	err->basic = false;
	return false;
}

/* The application an assertion is for: client_id when given, else its iss. */
static enum lk_err find_client(const struct lk_auth_env *env, const char *assertion, size_t len,
			       const char *client_id, const struct lk_client **out, char *why,
			       size_t whylen)
{
	char iss[LK_TOKEN_STR_MAX];
	const char *id = client_id;
	const struct lk_client *c;

	if (!id) {
		if (lk_assertion_peek_issuer(assertion, len, iss, sizeof(iss)) != LK_OK) {
			snprintf(why, whylen, "the assertion has no readable iss");
			return LK_EDENIED;
		}
		id = iss;
	}
	c = lk_clients_find(env->clients, id);
	if (!c) {
		snprintf(why, whylen, "unknown client");
		return LK_EDENIED;
	}
	*out = c;
	return LK_OK;
}

/*
 * DESIGN §6: the header may name the certificate by kid (its key's RFC 7638
 * thumbprint) or x5t#S256; a name that is not this application's certificate
 * is refused rather than ignored, so a key rotation cannot be confused.
 */
static bool header_names_cert(const struct lk_client *c, const struct lk_jwt_header *h)
{
	if (h->kid[0] && strcmp(h->kid, c->app.cert_kid) != 0)
		return false;
	if (h->x5t_s256[0] && (!c->cert_x5t_s256 || strcmp(h->x5t_s256, c->cert_x5t_s256) != 0))
		return false;
	return true;
}

/* Signature and claims; *a receives the jti and exp. */
static enum lk_err verify_for(const struct lk_auth_env *env, const struct lk_client *c,
			      const char *assertion, size_t len, struct lk_assertion *a, char *why,
			      size_t whylen)
{
	struct lk_jwt_header hdr;
	struct lk_assertion_expect x = {
		.client_id = c->app.client_id,
		.endpoint_url = env->endpoint_url,
		.issuer = env->issuer,
		.now = env->now,
		.cert_not_before = c->app.cert_not_before,
		.cert_not_after = c->app.cert_not_after,
	};
	void *claims = NULL;
	enum lk_err err = lk_jwt_peek_header(assertion, len, &hdr);

	if (err || !header_names_cert(c, &hdr)) {
		snprintf(why, whylen, err ? "malformed JWT" : "the header names another key");
		return LK_EDENIED;
	}
	err = lk_jwt_verify_jwk(c->cert_jwk, assertion, len, &hdr, &claims);
	if (err == LK_ENOMEM)
		return err;
	if (err) {
		snprintf(why, whylen, "the signature does not verify (%s)", lk_err_name(err));
		return LK_EDENIED;
	}
	err = lk_assertion_check(claims, &x, a, why, whylen);
	json_decref(claims);
	return err;
}

enum lk_err lk_client_assertion_verify(const struct lk_auth_env *env, const char *assertion,
				       const char *client_id, const struct lk_client **client,
				       char *why, size_t whylen)
{
	const struct lk_client *c = NULL;
	struct lk_assertion a;
	const char *reason = "";
	size_t len = assertion ? strnlen(assertion, LK_JWT_MAX + 1) : 0;
	enum lk_err err;

	if (len == 0 || len > LK_JWT_MAX) {
		snprintf(why, whylen, "the assertion is empty or too long");
		return LK_EDENIED;
	}
	err = find_client(env, assertion, len, client_id, &c, why, whylen);
	if (err)
		return err;
	if (!usable(c, &reason) || !c->cert_jwk) {
		snprintf(why, whylen, "%s",
			 *reason ? reason : "the application has no certificate");
		return LK_EDENIED;
	}
	err = verify_for(env, c, assertion, len, &a, why, whylen);
	if (err)
		return err;
	/* RFC 7523 §3 item 7: single use, remembered until the assertion expires. */
	if (!env->store)
		return LK_EINVAL;
	err = lk_store_assertion_use(env->store, c->app.client_id, a.jti, a.exp);
	if (err == LK_EEXIST)
		snprintf(why, whylen, "the jti was already used");
	if (err)
		return err;
	*client = c;
	return LK_OK;
}
