/*
 * Dynamic client registration (RFC 7591 / 7592): the mapping of client
 * metadata to registry options and its refusals, then registration, read,
 * update and delete through the registry on a fresh in-memory database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "oauth/params.h"
#include "oauth/registration.h"

#define REGISTRAR "registrar-client"

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_dcr d;
};

/* The configuration of the running test, for the parse-only helpers. */
static const struct lk_config *cfg;

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(lk_config_init(&f->cfg), LK_OK);
	assert_int_equal(lk_config_finish(&f->cfg, err, sizeof(err)), LK_OK);
	assert_int_equal(lk_store_open("sqlite::memory:", &f->store), LK_OK);
	assert_int_equal(lk_store_migrate(f->store, NULL, NULL), LK_OK);
	f->d.store = f->store;
	f->d.cfg = &f->cfg;
	f->d.now = 1800000000;
	cfg = &f->cfg;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lk_store_close(f->store);
	lk_config_release(&f->cfg);
	free(f);
	return 0;
}

/* Parses doc (POST rules unless replace); expects success. */
static void parse_ok(const char *doc, bool replace, struct lk_dcr_metadata *m)
{
	struct lk_oauth_error e = {0};

	if (lk_dcr_metadata_parse(cfg, doc, strlen(doc), replace, m, &e) != LK_OK)
		fail_msg("'%s' refused: %s", doc, e.description);
}

/* Parses doc; expects a refusal with code and a description holding part. */
static void parse_refused(const char *doc, enum lk_oauth_code code, const char *part)
{
	struct lk_dcr_metadata m = {0};
	struct lk_oauth_error e = {0};

	assert_int_equal(lk_dcr_metadata_parse(cfg, doc, strlen(doc), false, &m, &e), LK_EINVAL);
	if (e.code != code)
		fail_msg("'%s': code %s, want %s (%s)", doc, lk_oauth_code_name(e.code),
			 lk_oauth_code_name(code), e.description);
	if (!strstr(e.description, part))
		fail_msg("'%s': description '%s' lacks '%s'", doc, e.description, part);
	assert_null(m.doc);
}

#define META LK_OAUTH_INVALID_CLIENT_METADATA
#define URI LK_OAUTH_INVALID_REDIRECT_URI

static void test_minimal_defaults(void **state)
{
	struct lk_dcr_metadata m;

	parse_ok("{\"client_name\":\"app\",\"redirect_uris\":[\"https://a.example/cb\"],"
		 "\"logo_uri\":\"https://a.example/l.png\",\"contacts\":[\"x@a.example\"]}",
		 false, &m);
	assert_string_equal(m.in.name, "app");
	assert_string_equal(m.in.grant, "authorization_code");
	assert_string_equal(m.in.client_type, "confidential");
	assert_string_equal(m.in.strategy, "web");
	assert_int_equal(m.in.nredirect_uris, 1);
	assert_string_equal(m.in.redirect_uris[0], "https://a.example/cb");
	/* Not given: the registry's defaults apply. */
	assert_int_equal(m.in.nscopes, 0);
	assert_null(m.in.website);
	assert_null(m.in.lifetime);
	assert_null(m.in.token_format);
	assert_int_equal(m.in.first_party, -1);
	lk_dcr_metadata_release(&m);
}

static void test_grant_types(void **state)
{
	static const struct {
		const char *types;
		const char *grant;
	} cases[] = {
		{"[\"authorization_code\"]", "authorization_code"},
		{"[\"authorization_code\",\"refresh_token\"]", "authorization_code"},
		{"[\"client_credentials\"]", "client_credentials"},
		{"[\"password\"]", "password"},
		{"[\"password\",\"refresh_token\"]", "password"},
		{"[\"client_credentials\",\"authorization_code\"]", "all"},
		{"[\"authorization_code\",\"client_credentials\",\"refresh_token\"]", "all"},
		{"null", "authorization_code"},
	};
	char doc[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lk_dcr_metadata m;

		snprintf(doc, sizeof(doc), "{\"client_name\":\"a\",\"grant_types\":%s}",
			 cases[i].types);
		parse_ok(doc, false, &m);
		assert_string_equal(m.in.grant, cases[i].grant);
		lk_dcr_metadata_release(&m);
	}
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[]}", META, "at least one");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[\"refresh_token\"]}", META,
		      "refresh_token");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\","
		      "\"refresh_token\"]}",
		      META, "refresh_token");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[\"password\","
		      "\"client_credentials\"]}",
		      META, "password cannot be combined");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[\"implicit\"]}", META, "implicit");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":"
		      "[\"urn:ietf:params:oauth:grant-type:jwt-bearer\"]}",
		      META, "administrator");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[\"device_code\"]}", META,
		      "'device_code' is not supported");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":\"client_credentials\"}", META,
		      "grant_types: must be an array of strings");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[1]}", META,
		      "grant_types: must be an array of strings");
}

static void test_response_types(void **state)
{
	struct lk_dcr_metadata m;

	parse_ok("{\"client_name\":\"a\",\"response_types\":[\"code\"]}", false, &m);
	lk_dcr_metadata_release(&m);
	parse_ok("{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
		 "\"response_types\":[]}",
		 false, &m);
	lk_dcr_metadata_release(&m);
	parse_refused("{\"client_name\":\"a\",\"response_types\":[\"token\"]}", META,
		      "only 'code'");
	parse_refused("{\"client_name\":\"a\",\"response_types\":[\"code id_token\"]}", META,
		      "only 'code'");
	parse_refused("{\"client_name\":\"a\",\"response_types\":[]}", META, "needs 'code'");
	parse_refused("{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
		      "\"response_types\":[\"code\"]}",
		      META, "needs the authorization_code");
}

static void test_auth_method(void **state)
{
	static const struct {
		const char *method;
		const char *type;
	} cases[] = {
		{"none", "public"},
		{"client_secret_basic", "confidential"},
		{"client_secret_post", "confidential"},
	};
	char doc[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lk_dcr_metadata m;

		snprintf(doc, sizeof(doc),
			 "{\"client_name\":\"a\",\"token_endpoint_auth_method\":\"%s\"}",
			 cases[i].method);
		parse_ok(doc, false, &m);
		assert_string_equal(m.in.client_type, cases[i].type);
		lk_dcr_metadata_release(&m);
	}
	parse_refused("{\"client_name\":\"a\",\"token_endpoint_auth_method\":"
		      "\"private_key_jwt\"}",
		      META, "registered by an administrator");
	parse_refused("{\"client_name\":\"a\",\"token_endpoint_auth_method\":"
		      "\"client_secret_jwt\"}",
		      META, "not one of none");
	parse_refused("{\"client_name\":\"a\",\"token_endpoint_auth_method\":1}", META,
		      "token_endpoint_auth_method: must be a string");
}

static void test_application_type(void **state)
{
	static const struct {
		const char *doc;
		const char *strategy; /* NULL: none given to the registry */
	} cases[] = {
		{"\"application_type\":\"native\",\"redirect_uris\":[\"http://127.0.0.1/cb\","
		 "\"http://[::1]:8000/cb\"]",
		 "mobile-localhost"},
		{"\"application_type\":\"native\",\"redirect_uris\":[\"https://localhost/cb\"]",
		 "mobile-localhost"},
		{"\"application_type\":\"native\",\"redirect_uris\":[\"https://a.example/cb\"]",
		 "web"},
		{"\"application_type\":\"native\",\"redirect_uris\":[\"http://127.0.0.1/cb\","
		 "\"https://a.example/cb\"]",
		 "web"},
		{"\"application_type\":\"native\"", "web"},
		{"\"application_type\":\"web\",\"redirect_uris\":[\"http://127.0.0.1/cb\"]", "web"},
		{"\"application_type\":\"native\",\"redirect_strategy\":\"mobile-title\"",
		 "mobile-title"},
		{"\"grant_types\":[\"client_credentials\"],\"application_type\":\"web\"", NULL},
		{"\"grant_types\":[\"client_credentials\"],\"redirect_strategy\":\"web\"", "web"},
	};
	char doc[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lk_dcr_metadata m;

		snprintf(doc, sizeof(doc), "{\"client_name\":\"a\",%s}", cases[i].doc);
		parse_ok(doc, false, &m);
		if (!cases[i].strategy)
			assert_null(m.in.strategy);
		else
			assert_string_equal(m.in.strategy, cases[i].strategy);
		lk_dcr_metadata_release(&m);
	}
	parse_refused("{\"client_name\":\"a\",\"application_type\":\"desktop\"}", META,
		      "application_type: must be web or native");
}

static void test_members_and_extensions(void **state)
{
	struct lk_dcr_metadata m;

	parse_ok("{\"client_name\":\"Billing\",\"client_uri\":\"https://b.example\","
		 "\"scope\":\"api openid\",\"post_logout_redirect_uris\":[\"https://b.example/"
		 "bye\"],\"redirect_uris\":[\"https://b.example/cb\"],"
		 "\"id_token_signed_response_alg\":\"ES256\",\"token_format\":\"opaque\","
		 "\"lifetime\":30,\"lifecycle\":\"sliding\",\"audience\":\"https://api.example\","
		 "\"first_party\":false,\"client_id\":\"ignored\"}",
		 false, &m);
	assert_string_equal(m.in.name, "Billing");
	assert_string_equal(m.in.website, "https://b.example");
	assert_int_equal(m.in.nscopes, 1);
	assert_string_equal(m.in.scopes[0], "api openid");
	assert_int_equal(m.in.npost_logout_uris, 1);
	assert_string_equal(m.in.post_logout_uris[0], "https://b.example/bye");
	assert_string_equal(m.in.id_token_alg, "ES256");
	assert_string_equal(m.in.token_format, "opaque");
	assert_string_equal(m.in.lifetime, "30");
	assert_string_equal(m.in.lifecycle, "sliding");
	assert_string_equal(m.in.audience, "https://api.example");
	assert_int_equal(m.in.first_party, -1);
	/* client_id only counts in a replacement (RFC 7592 §2.2). */
	assert_null(m.client_id);
	lk_dcr_metadata_release(&m);

	parse_ok("{\"client_name\":\"a\",\"lifetime\":\"never\",\"scope\":\"  \"}", false, &m);
	assert_string_equal(m.in.lifetime, "never");
	/* A blank scope is no scope: the default applies. */
	assert_int_equal(m.in.nscopes, 0);
	lk_dcr_metadata_release(&m);

	parse_refused("{\"client_name\":\"a\",\"lifetime\":1.5}", META, "lifetime");
	parse_refused("{\"client_name\":\"a\",\"lifetime\":true}", META, "lifetime");
	parse_refused("{\"client_name\":\"a\",\"scope\":[\"api\"]}", META,
		      "scope: must be a string");
	parse_refused("{\"client_name\":\"a\",\"client_uri\":5}", META, "client_uri");
	parse_refused("{\"client_name\":\"a\",\"audience\":{}}", META, "audience");
	parse_refused("{\"client_name\":\"a\",\"first_party\":true}", META, "administrator");
	parse_refused("{\"client_name\":\"a\",\"user\":\"svc\"}", META, "administrator");
}

static void test_document_refusals(void **state)
{
	struct lk_dcr_metadata m = {0};
	struct lk_oauth_error e = {0};
	char *big;
	size_t n = (size_t)cfg->max_body + 1;

	parse_refused("", META, "not valid JSON");
	parse_refused("{\"client_name\":", META, "not valid JSON");
	parse_refused("[]", META, "must be a JSON object");
	parse_refused("{\"client_name\":\"a\",\"client_name\":\"b\"}", META, "not valid JSON");
	parse_refused("{}", META, "client_name: required");
	parse_refused("{\"client_name\":null}", META, "client_name: required");
	parse_refused("{\"client_name\":7}", META, "client_name: must be a string");
	/* jansson refuses an escaped NUL, which C strings could not carry. */
	parse_refused("{\"client_name\":\"a\\u0000b\"}", META, "not valid JSON");
	parse_refused("{\"client_name\":\"a\",\"redirect_uris\":\"https://a.example/cb\"}", URI,
		      "redirect_uris: must be an array");
	parse_refused("{\"client_name\":\"a\",\"post_logout_redirect_uris\":[null]}", URI,
		      "post_logout_redirect_uris");
	parse_refused("{\"client_name\":\"a\",\"redirect_uris\":[\"1\",\"2\",\"3\",\"4\",\"5\","
		      "\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\","
		      "\"17\",\"18\",\"19\",\"20\",\"21\",\"22\",\"23\",\"24\",\"25\",\"26\","
		      "\"27\",\"28\",\"29\",\"30\",\"31\",\"32\",\"33\"]}",
		      URI, "at most 32");
	/* Larger than the server's body limit, however well formed. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	assert_int_equal(lk_dcr_metadata_parse(cfg, big, n, false, &m, &e), LK_EINVAL);
	assert_int_equal(e.code, META);
	assert_non_null(strstr(e.description, "larger"));
	free(big);
}

static void test_replace_defaults(void **state)
{
	struct lk_dcr_metadata m;

	parse_ok("{\"client_id\":\"abc\",\"client_secret\":\"lk_cs_x\",\"client_name\":\"a\","
		 "\"redirect_uris\":[\"https://a.example/cb\"]}",
		 true, &m);
	assert_string_equal(m.client_id, "abc");
	assert_string_equal(m.client_secret, "lk_cs_x");
	/* RFC 7592 §2.2: what is omitted returns to its default. */
	assert_string_equal(m.in.website, "");
	assert_string_equal(m.in.lifetime, "default");
	assert_string_equal(m.in.lifecycle, "absolute");
	assert_string_equal(m.in.token_format, "jwt");
	assert_string_equal(m.in.audience, "");
	assert_string_equal(m.in.id_token_alg, cfg->id_token_alg);
	assert_string_equal(m.in.client_type, "confidential");
	assert_string_equal(m.in.strategy, "web");
	lk_dcr_metadata_release(&m);

	/* A life cycle that needs opaque tokens leaves the format to the registry. */
	parse_ok("{\"client_name\":\"a\",\"lifecycle\":\"sliding\"}", true, &m);
	assert_null(m.in.token_format);
	lk_dcr_metadata_release(&m);
	parse_ok("{\"client_name\":\"a\",\"lifetime\":\"never\"}", true, &m);
	assert_null(m.in.token_format);
	lk_dcr_metadata_release(&m);
}

/* Registers doc; expects success and returns the response object. */
static json_t *register_ok(struct fixture *f, const char *doc, const char *scope)
{
	struct lk_oauth_error e = {0};
	void *out = NULL;

	if (lk_dcr_register(&f->d, REGISTRAR, scope, doc, strlen(doc), &out, &e) != LK_OK)
		fail_msg("registration refused: %s %s", lk_oauth_code_name(e.code), e.description);
	assert_non_null(out);
	return out;
}

static size_t app_count(struct fixture *f)
{
	struct lk_app *a = NULL;
	size_t n = 0;

	assert_int_equal(lk_store_app_list(f->store, &a, &n), LK_OK);
	lk_apps_free(a, n);
	return n;
}

static void register_refused(struct fixture *f, const char *doc, const char *scope,
			     enum lk_oauth_code code, const char *part)
{
	struct lk_oauth_error e = {0};
	void *out = NULL;
	size_t before = app_count(f);

	assert_int_equal(lk_dcr_register(&f->d, REGISTRAR, scope, doc, strlen(doc), &out, &e),
			 LK_EINVAL);
	assert_null(out);
	if (e.code != code || !strstr(e.description, part))
		fail_msg("'%s': got %s '%s', want %s '%s'", doc, lk_oauth_code_name(e.code),
			 e.description, lk_oauth_code_name(code), part);
	assert_int_equal(app_count(f), before);
}

static const char *str(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		fail_msg("member %s is not a string", name);
	return json_string_value(v);
}

static void test_register_confidential(void **state)
{
	struct fixture *f = *state;
	json_t *o = register_ok(f,
				"{\"client_name\":\"web-app\",\"redirect_uris\":"
				"[\"https://w.example/cb\"],\"scope\":\"openid api\","
				"\"client_uri\":\"https://w.example\",\"tos_uri\":\"https://t\"}",
				LK_DCR_SCOPE);
	const char *id = str(o, "client_id");
	char uri[256];
	uint8_t want[LK_SHA256_LEN], got[LK_SHA256_LEN];
	struct lk_audit *audit = NULL;
	struct lk_app a;
	size_t n = 0;

	assert_int_equal(strncmp(str(o, "client_secret"), "lk_cs_", 6), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "client_secret_expires_at")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "client_id_issued_at")), f->d.now);
	assert_int_equal(strncmp(str(o, "registration_access_token"), "lk_rat_", 7), 0);
	snprintf(uri, sizeof(uri), "%s/oauth2/register/%s", f->cfg.issuer, id);
	assert_string_equal(str(o, "registration_client_uri"), uri);
	assert_string_equal(str(o, "client_name"), "web-app");
	assert_string_equal(str(o, "client_uri"), "https://w.example");
	assert_string_equal(str(o, "scope"), "api openid");
	assert_string_equal(str(o, "token_endpoint_auth_method"), "client_secret_basic");
	assert_string_equal(str(o, "application_type"), "web");
	assert_int_equal(json_array_size(json_object_get(o, "grant_types")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "grant_types"), 0)),
			    "authorization_code");
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(o, "response_types"), 0)), "code");
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(o, "redirect_uris"), 0)),
		"https://w.example/cb");
	/* Unknown members are not echoed. */
	assert_null(json_object_get(o, "tos_uri"));
	/* Only the SHA-256 of the registration access token is stored. */
	lk_sha256(str(o, "registration_access_token"), strlen(str(o, "registration_access_token")),
		  want);
	assert_int_equal(lk_store_registration_token_get(f->store, id, got), LK_OK);
	assert_memory_equal(want, got, LK_SHA256_LEN);
	/* The registry did the work, with the registrar as the actor. */
	assert_int_equal(lk_store_app_get(f->store, id, &a), LK_OK);
	assert_string_equal(a.name, "web-app");
	assert_int_equal(a.client_type, LK_CLIENT_CONFIDENTIAL);
	lk_app_release(&a);
	assert_int_equal(lk_store_audit_list(f->store, 1, &audit, &n), LK_OK);
	assert_int_equal(n, 1);
	assert_string_equal(audit[0].actor, "dcr:" REGISTRAR);
	assert_string_equal(audit[0].action, "app.add");
	lk_audits_free(audit, n);
	json_decref(o);
}

static void test_register_public_native(void **state)
{
	struct fixture *f = *state;
	json_t *o = register_ok(f,
				"{\"client_name\":\"cli-tool\",\"application_type\":\"native\","
				"\"token_endpoint_auth_method\":\"none\",\"redirect_uris\":"
				"[\"http://127.0.0.1/callback\"]}",
				LK_DCR_SCOPE);

	assert_null(json_object_get(o, "client_secret"));
	assert_null(json_object_get(o, "client_secret_expires_at"));
	assert_string_equal(str(o, "token_endpoint_auth_method"), "none");
	assert_string_equal(str(o, "application_type"), "native");
	assert_string_equal(str(o, "redirect_strategy"), "mobile-localhost");
	json_decref(o);

	o = register_ok(f,
			"{\"client_name\":\"worker\",\"grant_types\":[\"client_credentials\"],"
			"\"lifetime\":\"never\"}",
			LK_DCR_SCOPE);
	assert_int_equal(json_array_size(json_object_get(o, "grant_types")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "response_types")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "redirect_uris")), 0);
	assert_string_equal(str(o, "lifetime"), "never");
	assert_string_equal(str(o, "token_format"), "opaque");
	assert_null(json_object_get(o, "redirect_strategy"));
	json_decref(o);
}

static void test_register_refusals(void **state)
{
	struct fixture *f = *state;
	json_t *o;

	register_refused(f, "{\"client_name\":\"a\",\"redirect_uris\":[\"http://a.example/cb\"]}",
			 LK_DCR_SCOPE, URI, "redirect_uris: 'http://a.example/cb'");
	register_refused(f, "{\"client_name\":\"a\"}", LK_DCR_SCOPE, URI,
			 "redirect_uris: required");
	register_refused(f,
			 "{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
			 "\"scope\":\"api nope\"}",
			 LK_DCR_SCOPE, META, "scope: 'nope' is not in the scope catalog");
	register_refused(f,
			 "{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
			 "\"token_endpoint_auth_method\":\"none\"}",
			 LK_DCR_SCOPE, META, "token_endpoint_auth_method: a public application");
	register_refused(f,
			 "{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
			 "\"token_format\":\"jwt\",\"lifetime\":\"never\"}",
			 LK_DCR_SCOPE, META, "token_format");
	register_refused(f,
			 "{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
			 "\"id_token_signed_response_alg\":\"HS256\"}",
			 LK_DCR_SCOPE, META, "id_token_signed_response_alg");
	register_refused(f, "{\"client_name\":\" a\",\"grant_types\":[\"client_credentials\"]}",
			 LK_DCR_SCOPE, META, "client_name:");
	register_refused(f,
			 "{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
			 "\"redirect_strategy\":\"web\"}",
			 LK_DCR_SCOPE, META, "redirect_strategy");
	/* Privileged scopes need an initial access token that holds them. */
	register_refused(f,
			 "{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
			 "\"scope\":\"api admin\"}",
			 LK_DCR_SCOPE, META, "'admin' can be granted only by an administrator");
	register_refused(f,
			 "{\"client_name\":\"a\",\"grant_types\":[\"client_credentials\"],"
			 "\"scope\":\"register\"}",
			 "api", META, "'register'");
	o = register_ok(f,
			"{\"client_name\":\"sub-admin\",\"grant_types\":[\"client_credentials\"],"
			"\"scope\":\"api admin\"}",
			"register admin");
	json_decref(o);
	/* Names are unique. */
	register_refused(f,
			 "{\"client_name\":\"SUB-ADMIN\",\"grant_types\":[\"client_credentials\"]}",
			 "register admin", META, "client_name: an application named");
}

/* Registers a client; returns its client_id and token (malloc'd). */
static void registered(struct fixture *f, const char *doc, char **id, char **token)
{
	json_t *o = register_ok(f, doc, LK_DCR_SCOPE);

	*id = strdup(str(o, "client_id"));
	*token = strdup(str(o, "registration_access_token"));
	assert_non_null(*id);
	assert_non_null(*token);
	json_decref(o);
}

static void test_authenticate_and_read(void **state)
{
	struct fixture *f = *state;
	struct lk_oauth_error e = {0};
	char *id1, *tok1, *id2, *tok2;
	void *out = NULL;
	json_t *o;

	registered(f, "{\"client_name\":\"one\",\"grant_types\":[\"client_credentials\"]}", &id1,
		   &tok1);
	registered(f, "{\"client_name\":\"two\",\"grant_types\":[\"client_credentials\"]}", &id2,
		   &tok2);
	assert_int_equal(lk_dcr_authenticate(&f->d, id1, tok1, &e), LK_OK);
	/* Another client's token, a wrong one, an unknown client: all alike. */
	assert_int_equal(lk_dcr_authenticate(&f->d, id1, tok2, &e), LK_EDENIED);
	assert_int_equal(e.code, LK_OAUTH_INVALID_TOKEN);
	assert_int_equal(lk_dcr_authenticate(&f->d, id1, "lk_rat_wrong", &e), LK_EDENIED);
	assert_int_equal(lk_dcr_authenticate(&f->d, "nobody", tok1, &e), LK_EDENIED);
	assert_int_equal(lk_dcr_authenticate(&f->d, "", tok1, &e), LK_EDENIED);
	/* Addressed by name, not by client_id: refused too. */
	assert_int_equal(lk_dcr_authenticate(&f->d, "one", tok1, &e), LK_EDENIED);
	assert_int_equal(lk_dcr_read(&f->d, id1, tok2, &out, &e), LK_EDENIED);
	assert_null(out);

	assert_int_equal(lk_dcr_read(&f->d, id1, tok1, &out, &e), LK_OK);
	o = out;
	assert_string_equal(str(o, "client_id"), id1);
	assert_string_equal(str(o, "client_name"), "one");
	assert_string_equal(str(o, "registration_access_token"), tok1);
	/* RFC 7592 §3: the secret is not shown again. */
	assert_null(json_object_get(o, "client_secret"));
	json_decref(o);
	free(id1);
	free(tok1);
	free(id2);
	free(tok2);
}

static enum lk_err update(struct fixture *f, const char *id, const char *token, const char *doc,
			  json_t **o, struct lk_oauth_error *e)
{
	void *out = NULL;
	enum lk_err err = lk_dcr_update(&f->d, id, token, doc, strlen(doc), &out, e);

	*o = out;
	return err;
}

static void test_update(void **state)
{
	struct fixture *f = *state;
	struct lk_oauth_error e = {0};
	json_t *o = register_ok(f,
				"{\"client_name\":\"web\",\"redirect_uris\":[\"https://w.example/"
				"a\"],\"client_uri\":\"https://w.example\",\"lifetime\":30}",
				LK_DCR_SCOPE);
	char *id = strdup(str(o, "client_id"));
	char *tok = strdup(str(o, "registration_access_token"));
	char *secret = strdup(str(o, "client_secret"));
	char doc[1024];
	struct lk_audit *audit = NULL;
	size_t n = 0;

	json_decref(o);
	/* client_id must be there and be the one of the URL. */
	assert_int_equal(update(f, id, tok, "{\"client_name\":\"web\"}", &o, &e), LK_EINVAL);
	assert_non_null(strstr(e.description, "client_id"));
	assert_int_equal(
		update(f, id, tok, "{\"client_id\":\"other\",\"client_name\":\"web\"}", &o, &e),
		LK_EINVAL);
	/* A client_secret must be the current one. */
	snprintf(doc, sizeof(doc),
		 "{\"client_id\":\"%s\",\"client_secret\":\"lk_cs_chosen\",\"client_name\":\"web\","
		 "\"redirect_uris\":[\"https://w.example/b\"]}",
		 id);
	assert_int_equal(update(f, id, tok, doc, &o, &e), LK_EINVAL);
	assert_non_null(strstr(e.description, "client_secret"));
	/* A client cannot switch to public once registered. */
	snprintf(doc, sizeof(doc),
		 "{\"client_id\":\"%s\",\"client_name\":\"web\",\"token_endpoint_auth_method\":"
		 "\"none\"}",
		 id);
	assert_int_equal(update(f, id, tok, doc, &o, &e), LK_EINVAL);
	assert_non_null(strstr(e.description, "token_endpoint_auth_method: cannot change"));
	/* Nor add a privileged scope. */
	snprintf(doc, sizeof(doc),
		 "{\"client_id\":\"%s\",\"client_name\":\"web\",\"scope\":\"api admin\"}", id);
	assert_int_equal(update(f, id, tok, doc, &o, &e), LK_EINVAL);
	assert_non_null(strstr(e.description, "admin"));
	/* A wrong token changes nothing and says only invalid_token. */
	assert_int_equal(update(f, id, "lk_rat_x", doc, &o, &e), LK_EDENIED);
	assert_int_equal(e.code, LK_OAUTH_INVALID_TOKEN);

	snprintf(doc, sizeof(doc),
		 "{\"client_id\":\"%s\",\"client_secret\":\"%s\",\"client_name\":\"web2\","
		 "\"redirect_uris\":[\"https://w.example/b\",\"https://w.example/c\"],"
		 "\"registration_client_uri\":\"ignored\"}",
		 id, secret);
	if (update(f, id, tok, doc, &o, &e) != LK_OK)
		fail_msg("update refused: %s", e.description);
	assert_string_equal(str(o, "client_name"), "web2");
	assert_int_equal(json_array_size(json_object_get(o, "redirect_uris")), 2);
	/* Omitted members returned to their defaults. */
	assert_null(json_object_get(o, "client_uri"));
	assert_null(json_object_get(o, "lifetime"));
	assert_null(json_object_get(o, "client_secret"));
	assert_string_equal(str(o, "registration_access_token"), tok);
	json_decref(o);
	assert_int_equal(lk_store_audit_list(f->store, 1, &audit, &n), LK_OK);
	assert_string_equal(audit[0].action, "app.update");
	assert_non_null(strstr(audit[0].actor, id));
	assert_int_equal(strncmp(audit[0].actor, "dcr:", 4), 0);
	lk_audits_free(audit, n);
	free(id);
	free(tok);
	lk_free_secret(secret);
}

static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct lk_oauth_error e = {0};
	uint8_t hash[LK_SHA256_LEN];
	struct lk_app a;
	char *id, *tok, *id2, *tok2;

	registered(f, "{\"client_name\":\"gone\",\"grant_types\":[\"client_credentials\"]}", &id,
		   &tok);
	registered(f, "{\"client_name\":\"stays\",\"grant_types\":[\"client_credentials\"]}", &id2,
		   &tok2);
	assert_int_equal(lk_dcr_delete(&f->d, id, tok2, &e), LK_EDENIED);
	assert_int_equal(lk_store_app_get(f->store, id, &a), LK_OK);
	lk_app_release(&a);
	assert_int_equal(lk_dcr_delete(&f->d, id, tok, &e), LK_OK);
	assert_int_equal(lk_store_app_get(f->store, id, &a), LK_ENOTFOUND);
	/* The registration access token went with the application. */
	assert_int_equal(lk_store_registration_token_get(f->store, id, hash), LK_ENOTFOUND);
	assert_int_equal(lk_dcr_authenticate(&f->d, id, tok, &e), LK_EDENIED);
	assert_int_equal(lk_dcr_delete(&f->d, id, tok, &e), LK_EDENIED);
	assert_int_equal(app_count(f), 1);
	free(id);
	free(tok);
	free(id2);
	free(tok2);
}

static void test_registry_error_mapping(void **state)
{
	static const struct {
		enum lk_err err;
		const char *msg;
		enum lk_oauth_code code;
		const char *want;
	} cases[] = {
		{LK_EINVAL, "redirect_uris: 'x' must use https", URI,
		 "redirect_uris: 'x' must use https"},
		{LK_EINVAL, "post_logout_redirect_uris: bad", URI,
		 "post_logout_redirect_uris: bad"},
		{LK_EEXIST, "name: an application named 'a' already exists", META,
		 "client_name: an application named 'a' already exists"},
		{LK_EINVAL, "scopes: 'x' is not in the scope catalog", META,
		 "scope: 'x' is not in the scope catalog"},
		{LK_EINVAL, "website: 'x' is not an absolute http or https URL", META,
		 "client_uri: 'x'"},
		{LK_EINVAL, "grant_type: required", META, "grant_types: required"},
		{LK_EINVAL, "client_type: cannot change", META,
		 "token_endpoint_auth_method: cannot change"},
		{LK_EINVAL, "names: not renamed", META, "names: not renamed"},
		{LK_ESTORE, "cannot save the change: database error", LK_OAUTH_SERVER_ERROR,
		 "could not be saved"},
	};
	struct lk_registry r = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lk_oauth_error e = {0};

		snprintf(r.err, sizeof(r.err), "%s", cases[i].msg);
		lk_dcr_registry_error(&r, cases[i].err, &e);
		assert_int_equal(e.code, cases[i].code);
		if (!strstr(e.description, cases[i].want))
			fail_msg("'%s' -> '%s'", cases[i].msg, e.description);
	}
}

static void test_app_to_json_grants(void **state)
{
	static const struct {
		enum lk_grant grant;
		const char *first;
		size_t n;
	} cases[] = {
		{LK_GRANT_AUTHORIZATION_CODE, "authorization_code", 2},
		{LK_GRANT_CLIENT_CREDENTIALS, "client_credentials", 1},
		{LK_GRANT_PASSWORD, "password", 2},
		{LK_GRANT_ALL, "authorization_code", 3},
		{LK_GRANT_CLIENT_CERTIFICATE, "client_credentials", 2},
		{LK_GRANT_BEARER_TOKEN, "client_credentials", 1},
	};
	struct lk_app a = {
		.client_id = "cid",
		.name = "n",
		.website = "",
		.scopes = "api",
		.redirect_uris = "",
		.post_logout_redirect_uris = "",
		.audience = "aud",
		.id_token_alg = "RS256",
		.lifetime = 15,
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *o, *g;

		a.grant = cases[i].grant;
		o = lk_dcr_app_to_json(&a, "https://issuer.example");
		assert_non_null(o);
		g = json_object_get(o, "grant_types");
		assert_int_equal(json_array_size(g), cases[i].n);
		assert_string_equal(json_string_value(json_array_get(g, 0)), cases[i].first);
		assert_int_equal(json_integer_value(json_object_get(o, "lifetime")), 15);
		assert_string_equal(str(o, "audience"), "aud");
		assert_string_equal(str(o, "registration_client_uri"),
				    "https://issuer.example/oauth2/register/cid");
		if (a.grant == LK_GRANT_CLIENT_CERTIFICATE)
			assert_string_equal(str(o, "token_endpoint_auth_method"),
					    "private_key_jwt");
		json_decref(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minimal_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grant_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_application_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_members_and_extensions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_document_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_error_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_to_json_grants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_confidential, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_public_native, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authenticate_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
