#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "endpoints/context.h"
#include "endpoints/endpoints.h"
#include "oauth/params.h"

/*
 * The metadata document advertises only what works. Each capability adds its
 * members here as it lands: the authorization, token, introspection,
 * revocation, userinfo and registration endpoints, grant types, client
 * authentication methods, response types and modes, PKCE methods, scopes and
 * claims.
 */

static json_t *endpoint_url(const struct lk_config *cfg, const char *path)
{
	size_t n = strlen(cfg->issuer) + strlen(path) + 1;
	char *url = malloc(n);
	json_t *v;

	if (!url)
		return NULL;
	snprintf(url, n, "%s%s", cfg->issuer, path);
	v = json_string(url);
	free(url);
	return v;
}

/* A JSON array of the words of a space-separated list. */
static json_t *word_array(const char *list)
{
	json_t *a = json_array();
	const char *p = list;

	while (a && *p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
	}
	return a;
}

/* The endpoints that work, as metadata member and path: one line each. */
static const struct {
	const char *member;
	const char *path;
} endpoints[] = {
	{LK_MD_AUTHORIZATION_ENDPOINT, LK_PATH_AUTHORIZE},
	{LK_MD_JWKS_URI, LK_PATH_JWKS},
	{LK_MD_TOKEN_ENDPOINT, LK_PATH_TOKEN},
	{LK_MD_REGISTRATION_ENDPOINT, LK_PATH_REGISTER},
	{LK_MD_INTROSPECTION_ENDPOINT, LK_PATH_INTROSPECT},
	{LK_MD_REVOCATION_ENDPOINT, LK_PATH_REVOKE},
	{LK_MD_USERINFO_ENDPOINT, LK_PATH_USERINFO},
	{LK_MD_END_SESSION_ENDPOINT, LK_PATH_LOGOUT},
};

/*
 * Discovery §3 claims_supported: what the ID token (oauth/id_token.c) and
 * userinfo (oauth/userinfo.c) may carry; of these, the claims request
 * parameter asks for the user claims of oauth/claims.h.
 */
#define CLAIMS                                                                                     \
	LK_CLAIM_SUB " " LK_CLAIM_ISS " " LK_CLAIM_AUD " " LK_CLAIM_EXP " " LK_CLAIM_IAT           \
		     " " LK_CLAIM_AUTH_TIME " " LK_CLAIM_NONCE " " LK_CLAIM_SID " " LK_CLAIM_AMR   \
		     " " LK_CLAIM_AT_HASH " " LK_CLAIM_NAME " " LK_CLAIM_GIVEN_NAME                \
		     " " LK_CLAIM_FAMILY_NAME " " LK_CLAIM_PREFERRED_USERNAME                      \
		     " " LK_CLAIM_UPDATED_AT " " LK_CLAIM_EMAIL " " LK_CLAIM_EMAIL_VERIFIED        \
		     " " LK_CLAIM_PHONE_NUMBER " " LK_CLAIM_PHONE_NUMBER_VERIFIED

/* Client authentication at introspection and revocation (client_auth.h). */
#define INTROSPECTION_AUTH                                                                         \
	LK_CM_AUTH_SECRET_BASIC " " LK_CM_AUTH_SECRET_POST " " LK_CM_AUTH_PRIVATE_KEY_JWT
#define REVOCATION_AUTH INTROSPECTION_AUTH " " LK_CM_AUTH_NONE

/* The token endpoint's grants and client authentication (oauth/token_grants.h). */
#define TOKEN_GRANTS                                                                               \
	LK_GT_AUTHORIZATION_CODE " " LK_GT_REFRESH_TOKEN " " LK_GT_PASSWORD                        \
				 " " LK_GT_CLIENT_CREDENTIALS " " LK_CM_GRANT_JWT_BEARER

/* The authorization endpoint (oauth/authorize.h): code only, S256 only, three modes. */
#define RESPONSE_MODES LK_MODE_QUERY " " LK_MODE_FRAGMENT " " LK_MODE_FORM_POST
#define TOKEN_AUTH INTROSPECTION_AUTH " " LK_CM_AUTH_NONE

/* DESIGN §6: scopes_supported lists the whole catalog. */
static json_t *scope_array(const struct lk_scope *scopes, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(scopes[i].name));
	return a;
}

/* The document; scopes_supported only when with_scopes. */
static enum lk_err build(const struct lk_config *cfg, bool with_scopes,
			 const struct lk_scope *scopes, size_t nscopes, char **out)
{
	json_t *doc = json_object();
	char *s = NULL;

	if (!doc)
		return LK_ENOMEM;
	json_object_set_new(doc, LK_MD_ISSUER, json_string(cfg->issuer));
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		json_object_set_new(doc, endpoints[i].member, endpoint_url(cfg, endpoints[i].path));
	/* OpenID Connect Discovery §3: subjects are the same for every client. */
	json_object_set_new(doc, LK_MD_SUBJECT_TYPES_SUPPORTED, json_pack("[s]", "public"));
	json_object_set_new(doc, LK_MD_ID_TOKEN_SIGNING_ALGS, word_array(cfg->signing_algs));
	/* Core §5.3.2: an application may ask for signed userinfo answers, with the same keys. */
	json_object_set_new(doc, LK_MD_USERINFO_SIGNING_ALGS, word_array(cfg->signing_algs));
	/* RFC 8414 §2: introspection needs a confidential client; revocation takes public ones. */
	json_object_set_new(doc, LK_MD_INTROSPECTION_AUTH_METHODS, word_array(INTROSPECTION_AUTH));
	json_object_set_new(doc, LK_MD_REVOCATION_AUTH_METHODS, word_array(REVOCATION_AUTH));
	json_object_set_new(doc, LK_MD_GRANT_TYPES_SUPPORTED, word_array(TOKEN_GRANTS));
	json_object_set_new(doc, LK_MD_TOKEN_AUTH_METHODS, word_array(TOKEN_AUTH));
	json_object_set_new(doc, LK_MD_RESPONSE_TYPES_SUPPORTED, word_array(LK_CM_RESPONSE_CODE));
	json_object_set_new(doc, LK_MD_RESPONSE_MODES_SUPPORTED, word_array(RESPONSE_MODES));
	json_object_set_new(doc, LK_MD_CODE_CHALLENGE_METHODS, word_array(LK_PKCE_S256));
	/* RFC 9207 §3: every authorization response carries iss. */
	json_object_set_new(doc, LK_MD_AUTH_RESPONSE_ISS, json_true());
	/* RFC 8414 §2: the algorithms private_key_jwt assertions may be signed with. */
	json_object_set_new(doc, LK_MD_TOKEN_AUTH_SIGNING_ALGS, word_array(LK_ASSERTION_ALGS));
	json_object_set_new(doc, LK_MD_CLAIMS_SUPPORTED, word_array(CLAIMS));
	/*
	 * Discovery §3: request objects are not supported;
	 * request_uri_parameter_supported defaults to true, so it must be said,
	 * and request_parameter_supported is said alike. The claims parameter
	 * (Core §5.5, oauth/claims.h) is.
	 */
	json_object_set_new(doc, LK_MD_REQUEST_PARAMETER_SUPPORTED, json_false());
	json_object_set_new(doc, LK_MD_REQUEST_URI_PARAMETER_SUPPORTED, json_false());
	json_object_set_new(doc, LK_MD_CLAIMS_PARAMETER_SUPPORTED, json_true());
	if (with_scopes)
		json_object_set_new(doc, LK_MD_SCOPES_SUPPORTED, scope_array(scopes, nscopes));
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!s)
		return LK_ENOMEM;
	*out = s;
	return LK_OK;
}

enum lk_err lk_discovery_build(const struct lk_config *cfg, char **out)
{
	return build(cfg, false, NULL, 0, out);
}

enum lk_err lk_discovery_build_scopes(const struct lk_config *cfg, const struct lk_scope *scopes,
				      size_t nscopes, char **out)
{
	return build(cfg, true, scopes, nscopes, out);
}

/*
 * GET /.well-known/openid-configuration and
 * GET /.well-known/oauth-authorization-server (RFC 8414 §3): one document
 * serves both, as RFC 8414 §5 allows. Browser-based applications read it
 * too, so it speaks CORS (lk_ep_cors).
 */
void lk_ep_discovery(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;

	if (lk_ep_cors(c->cfg, req, res, "GET"))
		return;
	/* The refresher swaps the document when the scope catalog changes. */
	pthread_mutex_lock(&c->lock);
	lk_res_json(res, 200, c->discovery);
	pthread_mutex_unlock(&c->lock);
	lk_res_header(res, "Cache-Control", "public, max-age=300");
}
