/*
 * RFC 7591 client metadata <-> registry options: parsing a registration
 * document into a struct lk_app_input, the registered metadata of an
 * application as JSON, and the registry's refusals as RFC 7591 §3.2.2
 * errors. The table of members is in registration.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oauth/params.h"
#include "oauth/redirect_uri.h"
#include "oauth/registration.h"

/* Sets e to code with a formatted description and returns LK_EINVAL. */
static enum lk_err refuse(struct lk_oauth_error *e, enum lk_oauth_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum lk_err refuse(struct lk_oauth_error *e, enum lk_oauth_code code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->basic = false;
	va_start(ap, fmt);
	vsnprintf(e->description, sizeof(e->description), fmt, ap);
	va_end(ap);
	return LK_EINVAL;
}

/* RFC 7591 §3.2.2: errors about redirect URIs have their own code. */
static enum lk_oauth_code code_for(const char *member)
{
	if (strcmp(member, LK_CM_REDIRECT_URIS) == 0 ||
	    strcmp(member, LK_CM_POST_LOGOUT_REDIRECT_URIS) == 0)
		return LK_OAUTH_INVALID_REDIRECT_URI;
	return LK_OAUTH_INVALID_CLIENT_METADATA;
}

/* The member, or NULL when absent or null (RFC 7592 §2.2 treats both alike). */
static json_t *member(json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, name);

	return v && !json_is_null(v) ? v : NULL;
}

/* A string value without NUL characters, which C strings cannot carry. */
static bool clean_string(json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

/* A string member: *out is NULL when the member is absent or null. */
static enum lk_err get_string(json_t *doc, const char *name, const char **out,
			      struct lk_oauth_error *e)
{
	json_t *v = member(doc, name);

	if (v && !clean_string(v))
		return refuse(e, code_for(name), "%s: must be a string", name);
	*out = v ? json_string_value(v) : NULL;
	return LK_OK;
}

/* An array of strings, at most LK_REGISTRY_MAX_LIST of them. */
static enum lk_err get_list(json_t *doc, const char *name, const char **items, size_t *n,
			    bool *given, struct lk_oauth_error *e)
{
	json_t *v = member(doc, name);
	size_t i;

	if (!v) {
		*n = 0;
		*given = false;
		return LK_OK;
	}
	if (!json_is_array(v))
		return refuse(e, code_for(name), "%s: must be an array of strings", name);
	if (json_array_size(v) > LK_REGISTRY_MAX_LIST)
		return refuse(e, code_for(name), "%s: at most %d values", name,
			      LK_REGISTRY_MAX_LIST);
	for (i = 0; i < json_array_size(v); i++) {
		json_t *item = json_array_get(v, i);

		if (!clean_string(item))
			return refuse(e, code_for(name), "%s: must be an array of strings", name);
		items[i] = json_string_value(item);
	}
	*n = i;
	*given = true;
	return LK_OK;
}

/* What grant_types named. */
struct grants {
	bool code, refresh, credentials, password;
};

static enum lk_err parse_grant_types(json_t *doc, struct grants *g, struct lk_oauth_error *e)
{
	const char *items[LK_REGISTRY_MAX_LIST];
	const char *name = LK_CM_GRANT_TYPES;
	size_t n = 0;
	bool given = false;
	enum lk_err err = get_list(doc, name, items, &n, &given, e);

	memset(g, 0, sizeof(*g));
	if (err)
		return err;
	/* RFC 7591 §2: the default is authorization_code. */
	if (!given) {
		g->code = true;
		return LK_OK;
	}
	if (!n)
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: must name at least one grant type", name);
	for (size_t i = 0; i < n; i++) {
		const char *v = items[i];

		if (strcmp(v, lk_grant_name(LK_GRANT_AUTHORIZATION_CODE)) == 0)
			g->code = true;
		else if (strcmp(v, LK_CM_GRANT_REFRESH_TOKEN) == 0)
			g->refresh = true;
		else if (strcmp(v, lk_grant_name(LK_GRANT_CLIENT_CREDENTIALS)) == 0)
			g->credentials = true;
		else if (strcmp(v, lk_grant_name(LK_GRANT_PASSWORD)) == 0)
			g->password = true;
		else if (strcmp(v, LK_CM_GRANT_JWT_BEARER) == 0)
			return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
				      "%s: %s needs a client certificate; client-certificate "
				      "applications are registered by an administrator",
				      name, v);
		else if (strcmp(v, LK_CM_GRANT_IMPLICIT) == 0)
			return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
				      "%s: implicit is not supported (use authorization_code "
				      "with PKCE)",
				      name);
		else
			return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
				      "%s: '%.64s' is not supported", name, v);
	}
	return LK_OK;
}

/* DESIGN §1: grant types as one of the application's grant options. */
static enum lk_err grant_option(const struct grants *g, enum lk_grant *out,
				struct lk_oauth_error *e)
{
	const char *name = LK_CM_GRANT_TYPES;

	if (g->password && (g->code || g->credentials))
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: password cannot be combined with other grant types", name);
	if (g->password)
		*out = LK_GRANT_PASSWORD;
	else if (g->code && g->credentials)
		*out = LK_GRANT_ALL;
	else if (g->code)
		*out = LK_GRANT_AUTHORIZATION_CODE;
	else if (g->credentials && !g->refresh)
		*out = LK_GRANT_CLIENT_CREDENTIALS;
	else
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: refresh_token comes only with authorization_code or password",
			      name);
	return LK_OK;
}

/* RFC 7591 §2.1: response_types must agree with grant_types. */
static enum lk_err check_response_types(json_t *doc, bool code, struct lk_oauth_error *e)
{
	const char *items[LK_REGISTRY_MAX_LIST];
	const char *name = LK_CM_RESPONSE_TYPES;
	size_t n = 0;
	bool given = false;
	enum lk_err err = get_list(doc, name, items, &n, &given, e);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i], LK_CM_RESPONSE_CODE) != 0)
			return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
				      "%s: only 'code' is supported, not '%.64s'", name, items[i]);
		if (!code)
			return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
				      "%s: 'code' needs the authorization_code grant type", name);
	}
	if (code && given && !n)
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: the authorization_code grant type needs 'code'", name);
	return LK_OK;
}

/* token_endpoint_auth_method -> client type. */
static enum lk_err auth_method(json_t *doc, const char **client_type, struct lk_oauth_error *e)
{
	const char *name = LK_CM_TOKEN_AUTH_METHOD;
	const char *v = NULL;
	enum lk_err err = get_string(doc, name, &v, e);

	if (err)
		return err;
	/* RFC 7591 §2: absent means client_secret_basic. */
	if (!v || strcmp(v, LK_CM_AUTH_SECRET_BASIC) == 0 || strcmp(v, LK_CM_AUTH_SECRET_POST) == 0)
		*client_type = lk_client_type_name(LK_CLIENT_CONFIDENTIAL);
	else if (strcmp(v, LK_CM_AUTH_NONE) == 0)
		*client_type = lk_client_type_name(LK_CLIENT_PUBLIC);
	else if (strcmp(v, LK_CM_AUTH_PRIVATE_KEY_JWT) == 0)
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: private_key_jwt is for client-certificate applications, which "
			      "are registered by an administrator with their certificate",
			      name);
	else
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: '%.64s' is not one of none, client_secret_basic, "
			      "client_secret_post",
			      name, v);
	return LK_OK;
}

/* True when uri's host is a loopback name or address (RFC 8252 §7.3). */
static bool is_loopback(const char *uri)
{
	struct lk_uri u;

	if (!lk_uri_parse(uri, &u))
		return false;
	return (u.host_len == 9 && strncmp(u.host, "127.0.0.1", 9) == 0) ||
	       (u.host_len == 9 && strncmp(u.host, "localhost", 9) == 0) ||
	       (u.host_ipv6 && u.host_len == 3 && strncmp(u.host, "::1", 3) == 0);
}

/*
 * The redirect strategy: redirect_strategy when given, else from
 * application_type (OpenID Connect Registration §2: web is the default).
 * Only the grants with the authorization code flow have one.
 */
static enum lk_err strategy(json_t *doc, bool code, struct lk_app_input *in,
			    struct lk_oauth_error *e)
{
	const char *type = NULL, *given = NULL;
	enum lk_err err = get_string(doc, LK_CM_APPLICATION_TYPE, &type, e);
	bool loopback = in->nredirect_uris > 0;

	if (!err)
		err = get_string(doc, LK_CM_REDIRECT_STRATEGY, &given, e);
	if (err)
		return err;
	if (type && strcmp(type, LK_CM_APP_WEB) != 0 && strcmp(type, LK_CM_APP_NATIVE) != 0)
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA, "%s: must be web or native",
			      LK_CM_APPLICATION_TYPE);
	/* Given without the code flow, the registry refuses it by name. */
	if (given || !code) {
		in->strategy = given;
		return LK_OK;
	}
	for (size_t i = 0; i < in->nredirect_uris; i++)
		loopback = loopback && is_loopback(in->redirect_uris[i]);
	if (type && strcmp(type, LK_CM_APP_NATIVE) == 0 && loopback)
		in->strategy = lk_strategy_name(LK_STRATEGY_MOBILE_LOCALHOST);
	else
		in->strategy = lk_strategy_name(LK_STRATEGY_WEB);
	return LK_OK;
}

/* lifetime: a number of minutes, or a string ("never"). */
static enum lk_err lifetime(json_t *doc, struct lk_dcr_metadata *m, struct lk_oauth_error *e)
{
	json_t *v = member(doc, LK_CM_LIFETIME);

	if (!v)
		return LK_OK;
	if (json_is_integer(v)) {
		snprintf(m->lifetime, sizeof(m->lifetime), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		m->in.lifetime = m->lifetime;
		return LK_OK;
	}
	if (!clean_string(v))
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: must be a number of minutes or \"never\"", LK_CM_LIFETIME);
	m->in.lifetime = json_string_value(v);
	return LK_OK;
}

/* Members only an administrator may set (DESIGN §1: first party, user). */
static enum lk_err refused_members(json_t *doc, struct lk_oauth_error *e)
{
	json_t *fp = member(doc, LK_CM_FIRST_PARTY);

	if (fp && !json_is_false(fp))
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: only an administrator can mark an application first party",
			      LK_CM_FIRST_PARTY);
	if (member(doc, LK_CM_USER))
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: only an administrator can bind an application to a user",
			      LK_CM_USER);
	return LK_OK;
}

/* The plain string members and where they go. */
static enum lk_err strings(json_t *doc, struct lk_app_input *in, struct lk_oauth_error *e)
{
	const struct {
		const char *name;
		const char **dst;
	} map[] = {
		{LK_CM_CLIENT_NAME, &in->name},		 {LK_CM_CLIENT_URI, &in->website},
		{LK_CM_ID_TOKEN_ALG, &in->id_token_alg}, {LK_CM_TOKEN_FORMAT, &in->token_format},
		{LK_CM_LIFECYCLE, &in->lifecycle},	 {LK_CM_AUDIENCE, &in->audience},
		{LK_CM_USERINFO_ALG, &in->userinfo_alg},
	};
	enum lk_err err = LK_OK;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]) && !err; i++)
		err = get_string(doc, map[i].name, map[i].dst, e);
	return err;
}

/*
 * RFC 7592 §2.2: the document replaces the registration, so what it omits
 * returns to its default. The URI lists and the scope keep their stored
 * value: the registry treats an empty list as "not given".
 */
static void replace_defaults(const struct lk_config *cfg, struct lk_app_input *in)
{
	bool opaque = (in->lifecycle && strcmp(in->lifecycle, "sliding") == 0) ||
		      (in->lifetime && strcmp(in->lifetime, "never") == 0);

	if (!in->website)
		in->website = "";
	if (!in->id_token_alg)
		in->id_token_alg = cfg->id_token_alg;
	if (!in->lifetime)
		in->lifetime = "default";
	if (!in->lifecycle)
		in->lifecycle = lk_lifecycle_name(LK_LIFECYCLE_ABSOLUTE);
	if (!in->audience)
		in->audience = "";
	if (!in->userinfo_alg)
		in->userinfo_alg = "";
	/* The registry picks opaque itself when the life cycle needs it. */
	if (!in->token_format && !opaque)
		in->token_format = lk_token_format_name(LK_FORMAT_JWT);
}

/* Maps the members of doc into m->in. */
static enum lk_err map_members(const struct lk_config *cfg, json_t *doc, bool replace,
			       struct lk_dcr_metadata *m, struct lk_oauth_error *e)
{
	struct lk_app_input *in = &m->in;
	struct grants g;
	enum lk_grant grant = LK_GRANT_AUTHORIZATION_CODE;
	bool given;
	const char *scope = NULL;
	enum lk_err err = refused_members(doc, e);

	if (!err)
		err = strings(doc, in, e);
	if (!err && !in->name)
		err = refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA, "%s: required",
			     LK_CM_CLIENT_NAME);
	if (!err)
		err = get_list(doc, LK_CM_REDIRECT_URIS, in->redirect_uris, &in->nredirect_uris,
			       &given, e);
	if (!err)
		err = get_list(doc, LK_CM_POST_LOGOUT_REDIRECT_URIS, in->post_logout_uris,
			       &in->npost_logout_uris, &given, e);
	if (!err)
		err = parse_grant_types(doc, &g, e);
	if (!err)
		err = grant_option(&g, &grant, e);
	if (!err)
		err = check_response_types(doc, g.code, e);
	if (!err)
		err = auth_method(doc, &in->client_type, e);
	if (!err)
		err = get_string(doc, LK_CM_SCOPE, &scope, e);
	if (!err)
		err = strategy(doc, g.code, in, e);
	if (!err)
		err = lifetime(doc, m, e);
	if (!err && replace)
		err = get_string(doc, LK_CM_CLIENT_ID, &m->client_id, e);
	if (!err && replace)
		err = get_string(doc, LK_CM_CLIENT_SECRET, &m->client_secret, e);
	if (err)
		return err;
	in->grant = lk_grant_name(grant);
	/* The registry splits a space-separated list itself. */
	if (scope && scope[strspn(scope, " ")]) {
		in->scopes[0] = scope;
		in->nscopes = 1;
	}
	if (replace)
		replace_defaults(cfg, in);
	return LK_OK;
}

enum lk_err lk_dcr_metadata_parse(const struct lk_config *cfg, const char *body, size_t len,
				  bool replace, struct lk_dcr_metadata *out,
				  struct lk_oauth_error *e)
{
	struct lk_dcr_metadata m;
	json_error_t jerr;
	json_t *doc;
	enum lk_err err;

	if (len > (size_t)cfg->max_body)
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "the document is larger than %d bytes", cfg->max_body);
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "the body is not valid JSON (line %d: %.100s)", jerr.line, jerr.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "the body must be a JSON object");
	}
	memset(&m, 0, sizeof(m));
	lk_app_input_init(&m.in);
	m.doc = doc;
	err = map_members(cfg, doc, replace, &m, e);
	if (err) {
		lk_dcr_metadata_release(&m);
		return err;
	}
	*out = m;
	/* The number was formatted into m's own buffer: point at the copy. */
	if (m.in.lifetime == m.lifetime)
		out->in.lifetime = out->lifetime;
	return LK_OK;
}

void lk_dcr_metadata_release(struct lk_dcr_metadata *m)
{
	if (m->doc) {
		/* client_secret may be a live secret: wipe it before jansson frees it. */
		if (m->client_secret)
			lk_wipe((char *)m->client_secret, strlen(m->client_secret));
		json_decref(m->doc);
	}
	memset(m, 0, sizeof(*m));
}

/* A space-separated list as a JSON array. */
static json_t *list_json(const char *list)
{
	json_t *a = json_array();

	for (const char *p = list; a && *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
	}
	return a;
}

static bool has_code(enum lk_grant g)
{
	return g == LK_GRANT_AUTHORIZATION_CODE || g == LK_GRANT_ALL;
}

/* The grant option as RFC 7591 grant_types: refresh tokens come with code and password. */
static json_t *grant_types_json(enum lk_grant g)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	if (has_code(g))
		json_array_append_new(a, json_string(lk_grant_name(LK_GRANT_AUTHORIZATION_CODE)));
	if (g == LK_GRANT_CLIENT_CREDENTIALS || g == LK_GRANT_ALL || g == LK_GRANT_BEARER_TOKEN ||
	    g == LK_GRANT_CLIENT_CERTIFICATE)
		json_array_append_new(a, json_string(lk_grant_name(LK_GRANT_CLIENT_CREDENTIALS)));
	if (g == LK_GRANT_CLIENT_CERTIFICATE)
		json_array_append_new(a, json_string(LK_CM_GRANT_JWT_BEARER));
	if (g == LK_GRANT_PASSWORD)
		json_array_append_new(a, json_string(lk_grant_name(LK_GRANT_PASSWORD)));
	if (has_code(g) || g == LK_GRANT_PASSWORD)
		json_array_append_new(a, json_string(LK_CM_GRANT_REFRESH_TOKEN));
	return a;
}

static const char *auth_method_name(const struct lk_app *a)
{
	if (a->grant == LK_GRANT_CLIENT_CERTIFICATE)
		return LK_CM_AUTH_PRIVATE_KEY_JWT;
	if (a->client_type == LK_CLIENT_PUBLIC)
		return LK_CM_AUTH_NONE;
	/* client_secret_post works as well; Basic is RFC 7591's default. */
	return LK_CM_AUTH_SECRET_BASIC;
}

void *lk_dcr_app_to_json(const struct lk_app *a, const char *issuer)
{
	json_t *o = json_object();
	char *uri;
	size_t n;

	if (!o)
		return NULL;
	json_object_set_new(o, LK_CM_CLIENT_ID, json_string(a->client_id));
	json_object_set_new(o, LK_CM_CLIENT_ID_ISSUED_AT, json_integer(a->created_at));
	json_object_set_new(o, LK_CM_CLIENT_NAME, json_string(a->name));
	if (a->website[0])
		json_object_set_new(o, LK_CM_CLIENT_URI, json_string(a->website));
	json_object_set_new(o, LK_CM_REDIRECT_URIS, list_json(a->redirect_uris));
	if (a->post_logout_redirect_uris[0])
		json_object_set_new(o, LK_CM_POST_LOGOUT_REDIRECT_URIS,
				    list_json(a->post_logout_redirect_uris));
	json_object_set_new(o, LK_CM_GRANT_TYPES, grant_types_json(a->grant));
	json_object_set_new(o, LK_CM_RESPONSE_TYPES,
			    has_code(a->grant) ? json_pack("[s]", LK_CM_RESPONSE_CODE)
					       : json_array());
	json_object_set_new(o, LK_CM_TOKEN_AUTH_METHOD, json_string(auth_method_name(a)));
	json_object_set_new(o, LK_CM_SCOPE, json_string(a->scopes));
	json_object_set_new(
		o, LK_CM_APPLICATION_TYPE,
		json_string(a->strategy == LK_STRATEGY_WEB ? LK_CM_APP_WEB : LK_CM_APP_NATIVE));
	if (has_code(a->grant))
		json_object_set_new(o, LK_CM_REDIRECT_STRATEGY,
				    json_string(lk_strategy_name(a->strategy)));
	json_object_set_new(o, LK_CM_ID_TOKEN_ALG, json_string(a->id_token_alg));
	/* OpenID Connect Dynamic Client Registration §2: omitted means plain JSON. */
	if (a->userinfo_alg && a->userinfo_alg[0])
		json_object_set_new(o, LK_CM_USERINFO_ALG, json_string(a->userinfo_alg));
	json_object_set_new(o, LK_CM_TOKEN_FORMAT,
			    json_string(lk_token_format_name(a->token_format)));
	if (a->lifetime == LK_LIFETIME_NEVER)
		json_object_set_new(o, LK_CM_LIFETIME, json_string("never"));
	else if (a->lifetime != LK_LIFETIME_DEFAULT)
		json_object_set_new(o, LK_CM_LIFETIME, json_integer(a->lifetime));
	json_object_set_new(o, LK_CM_LIFECYCLE, json_string(lk_lifecycle_name(a->lifecycle)));
	if (a->audience[0])
		json_object_set_new(o, LK_CM_AUDIENCE, json_string(a->audience));
	n = strlen(issuer) + strlen(LK_PATH_REGISTER) + strlen(a->client_id) + 2;
	uri = malloc(n);
	if (!uri) {
		json_decref(o);
		return NULL;
	}
	snprintf(uri, n, "%s%s/%s", issuer, LK_PATH_REGISTER, a->client_id);
	json_object_set_new(o, LK_CM_REGISTRATION_CLIENT_URI, json_string(uri));
	free(uri);
	return o;
}

/* The registry's field names (api_names) and their RFC 7591 members. */
static const struct {
	const char *field;
	const char *member;
} renames[] = {
	{"name", LK_CM_CLIENT_NAME},
	{"website", LK_CM_CLIENT_URI},
	{"scopes", LK_CM_SCOPE},
	{"grant_type", LK_CM_GRANT_TYPES},
	{"client_type", LK_CM_TOKEN_AUTH_METHOD},
};

void lk_dcr_registry_error(const struct lk_registry *r, enum lk_err err, struct lk_oauth_error *e)
{
	const char *msg = r->err, *rest = msg;
	const char *field = LK_CM_CLIENT_NAME;

	if (err != LK_EINVAL && err != LK_EEXIST && err != LK_ESTATE) {
		refuse(e, LK_OAUTH_SERVER_ERROR, "the registration could not be saved");
		return;
	}
	/* Messages start with the field at fault: "redirect_uris: ...". */
	for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++) {
		size_t n = strlen(renames[i].field);

		if (strncmp(msg, renames[i].field, n) == 0 && msg[n] == ':') {
			field = renames[i].member;
			rest = msg + n;
			refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA, "%s%s", field, rest);
			return;
		}
	}
	if (strncmp(msg, LK_CM_REDIRECT_URIS ":", strlen(LK_CM_REDIRECT_URIS) + 1) == 0 ||
	    strncmp(msg, LK_CM_POST_LOGOUT_REDIRECT_URIS ":",
		    strlen(LK_CM_POST_LOGOUT_REDIRECT_URIS) + 1) == 0)
		refuse(e, LK_OAUTH_INVALID_REDIRECT_URI, "%s", msg);
	else
		refuse(e, LK_OAUTH_INVALID_CLIENT_METADATA, "%s",
		       msg[0] ? msg : "the metadata was refused");
}
