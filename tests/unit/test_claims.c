/*
 * The claims request parameter (src/oauth/claims.c, OpenID Connect Core
 * §5.5): what a request may hold and what latchkey keeps of it, the
 * normalised form it travels in, the claims of a scope, the user claims
 * userinfo builds for a set of names (lk_userinfo_add_claims), and the
 * pending authorization request carrying the normalised form.
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

#include "oauth/authorize.h"
#include "oauth/claims.h"
#include "oauth/userinfo.h"

#define BIT(c) LK_CL_BIT(c)
#define PROFILE                                                                                    \
	(BIT(LK_CL_NAME) | BIT(LK_CL_GIVEN_NAME) | BIT(LK_CL_FAMILY_NAME) |                        \
	 BIT(LK_CL_PREFERRED_USERNAME) | BIT(LK_CL_UPDATED_AT))
#define EMAIL (BIT(LK_CL_EMAIL) | BIT(LK_CL_EMAIL_VERIFIED))
#define PHONE (BIT(LK_CL_PHONE_NUMBER) | BIT(LK_CL_PHONE_NUMBER_VERIFIED))

/* lk_claims_parse succeeds on text; its result. */
static struct lk_claims_req parsed(const char *text)
{
	struct lk_claims_req r;

	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(lk_claims_parse(text, &r), LK_OK);
	return r;
}

/* lk_claims_parse fails on text with want and leaves its output alone. */
static void refused(const char *text, enum lk_err want)
{
	struct lk_claims_req r = {.userinfo = 77};

	assert_int_equal(lk_claims_parse(text, &r), want);
	assert_int_equal(r.userinfo, 77);
}

/* The normalised text of r (lk_claims_to_json), to be freed. */
static char *normalised(const struct lk_claims_req *r)
{
	char *out = NULL;

	assert_int_equal(lk_claims_to_json(r, &out), LK_OK);
	assert_non_null(out);
	return out;
}

static void empty_request(void **state)
{
	struct lk_claims_req r = parsed("");

	assert_int_equal(r.userinfo, 0);
	assert_int_equal(r.id_token, 0);
	assert_string_equal(r.sub, "");
	assert_true(lk_claims_empty(&r));
	r = parsed(NULL);
	assert_true(lk_claims_empty(&r));
	/* An object asking for nothing is empty too. */
	r = parsed("{}");
	assert_true(lk_claims_empty(&r));
	r = parsed("{\"userinfo\":{},\"id_token\":{}}");
	assert_true(lk_claims_empty(&r));
}

/* Core §5.5's own example, less the claims latchkey does not keep. */
static void known_claims_are_kept(void **state)
{
	struct lk_claims_req r =
		parsed("{\"userinfo\":{\"given_name\":{\"essential\":true},"
		       "\"nickname\":null,\"email\":{\"essential\":true},"
		       "\"email_verified\":{\"essential\":true},\"picture\":null,"
		       "\"http://example.info/claims/groups\":null},"
		       "\"id_token\":{\"auth_time\":{\"essential\":true},"
		       "\"acr\":{\"values\":[\"urn:mace:incommon:iap:silver\"]}}}");

	assert_int_equal(r.userinfo, BIT(LK_CL_GIVEN_NAME) | EMAIL);
	/* auth_time and acr are not user claims: the ID token has what it has. */
	assert_int_equal(r.id_token, 0);
	assert_string_equal(r.sub, "");
	assert_false(lk_claims_empty(&r));

	r = parsed("{\"id_token\":{\"name\":null,\"phone_number\":{\"value\":\"+1\"},"
		   "\"phone_number_verified\":{\"values\":[true]},\"updated_at\":{}},"
		   "\"userinfo\":{\"preferred_username\":{\"essential\":false,\"x-ext\":1}},"
		   "\"x-top\":[1,2]}");
	assert_int_equal(r.id_token, BIT(LK_CL_NAME) | PHONE | BIT(LK_CL_UPDATED_AT));
	assert_int_equal(r.userinfo, BIT(LK_CL_PREFERRED_USERNAME));
	/* Every claim of the list is known by its name. */
	for (unsigned i = 0; i < LK_CL__COUNT; i++) {
		char text[128];

		snprintf(text, sizeof(text), "{\"userinfo\":{\"%s\":null}}", lk_claim_name(i));
		r = parsed(text);
		assert_int_equal(r.userinfo, 1u << i);
		assert_int_equal(r.id_token, 0);
	}
	assert_null(lk_claim_name(LK_CL__COUNT));
}

/* Core §5.5.1: a sub value asked of the ID token is kept; elsewhere it is ignored. */
static void sub_value(void **state)
{
	struct lk_claims_req r = parsed("{\"id_token\":{\"sub\":{\"value\":\"42\"}}}");

	assert_string_equal(r.sub, "42");
	assert_int_equal(r.id_token, 0);
	assert_false(lk_claims_empty(&r));
	r = parsed("{\"id_token\":{\"sub\":null}}");
	assert_string_equal(r.sub, "");
	r = parsed("{\"id_token\":{\"sub\":{\"essential\":true}}}");
	assert_string_equal(r.sub, "");
	r = parsed("{\"userinfo\":{\"sub\":{\"value\":\"42\"}}}");
	assert_string_equal(r.sub, "");
	assert_true(lk_claims_empty(&r));

	refused("{\"id_token\":{\"sub\":{\"value\":42}}}", LK_EPARSE);
	refused("{\"id_token\":{\"sub\":{\"value\":\"\"}}}", LK_EPARSE);
	refused("{\"id_token\":{\"sub\":{\"value\":\"a\\u0000b\"}}}", LK_EPARSE);
	{
		char text[256];
		char sub[LK_CLAIMS_SUB_MAX + 2];

		memset(sub, '7', sizeof(sub) - 1);
		sub[sizeof(sub) - 1] = '\0';
		snprintf(text, sizeof(text), "{\"id_token\":{\"sub\":{\"value\":\"%s\"}}}", sub);
		refused(text, LK_EPARSE);
		sub[LK_CLAIMS_SUB_MAX] = '\0';
		snprintf(text, sizeof(text), "{\"id_token\":{\"sub\":{\"value\":\"%s\"}}}", sub);
		r = parsed(text);
		assert_string_equal(r.sub, sub);
	}
}

static void malformed(void **state)
{
	const char *bad[] = {
		"{",
		"null",
		"[]",
		"\"claims\"",
		"{\"userinfo\":[]}",
		"{\"userinfo\":null}",
		"{\"id_token\":\"email\"}",
		"{\"userinfo\":{\"email\":true}}",
		"{\"userinfo\":{\"email\":\"yes\"}}",
		"{\"userinfo\":{\"email\":[]}}",
		"{\"userinfo\":{\"email\":{\"essential\":\"true\"}}}",
		"{\"userinfo\":{\"email\":{\"essential\":1}}}",
		"{\"userinfo\":{\"email\":{\"values\":\"a\"}}}",
		/* An unknown claim must still have the shape of one. */
		"{\"userinfo\":{\"nickname\":7}}",
		/* A repeated key leaves the request unclear. */
		"{\"userinfo\":{\"email\":null},\"userinfo\":{\"name\":null}}",
		"{\"userinfo\":{\"email\":null,\"email\":null}}",
		"{\"userinfo\":{}} trailing",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i], LK_EPARSE);
}

/* At most LK_CLAIMS_PARAM_MAX bytes, whatever they hold. */
static void size_limit(void **state)
{
	char *text = malloc(LK_CLAIMS_PARAM_MAX + 2);
	struct lk_claims_req r;

	assert_non_null(text);
	memset(text, ' ', LK_CLAIMS_PARAM_MAX + 1);
	memcpy(text, "{\"userinfo\":{\"email\":null}}", 27);
	text[LK_CLAIMS_PARAM_MAX + 1] = '\0';
	refused(text, LK_ETOOBIG);
	text[LK_CLAIMS_PARAM_MAX] = '\0';
	r = parsed(text);
	assert_int_equal(r.userinfo, BIT(LK_CL_EMAIL));
	free(text);
}

static void normalised_form(void **state)
{
	struct lk_claims_req r = {0}, back;
	char *text = normalised(&r);

	assert_string_equal(text, "");
	free(text);

	r = parsed("{\"id_token\":{\"email\":{\"essential\":true},\"sub\":{\"value\":\"7\"},"
		   "\"name\":null,\"acr\":null},\"userinfo\":{\"phone_number\":{\"value\":\"x\"},"
		   "\"given_name\":null,\"picture\":null},\"other\":1}");
	text = normalised(&r);
	/* The known claims only, as null, in the order of the list; sub keeps its value. */
	assert_string_equal(text, "{\"userinfo\":{\"given_name\":null,\"phone_number\":null},"
				  "\"id_token\":{\"name\":null,\"email\":null,"
				  "\"sub\":{\"value\":\"7\"}}}");
	back = parsed(text);
	assert_int_equal(back.userinfo, r.userinfo);
	assert_int_equal(back.id_token, r.id_token);
	assert_string_equal(back.sub, "7");
	free(text);

	/* A member that asks for nothing is left out. */
	r = parsed("{\"userinfo\":{\"nickname\":null},\"id_token\":{\"email\":null}}");
	text = normalised(&r);
	assert_string_equal(text, "{\"id_token\":{\"email\":null}}");
	free(text);
	r = (struct lk_claims_req){0};
	strcpy(r.sub, "12");
	text = normalised(&r);
	assert_string_equal(text, "{\"id_token\":{\"sub\":{\"value\":\"12\"}}}");
	free(text);
}

static void scopes_and_limits(void **state)
{
	struct lk_claims_req r;

	assert_int_equal(lk_claims_of_scope(""), 0);
	assert_int_equal(lk_claims_of_scope(NULL), 0);
	assert_int_equal(lk_claims_of_scope("openid api"), 0);
	assert_int_equal(lk_claims_of_scope("openid profile"), PROFILE);
	assert_int_equal(lk_claims_of_scope("email"), EMAIL);
	assert_int_equal(lk_claims_of_scope("phone openid email"), PHONE | EMAIL);
	assert_int_equal(lk_claims_of_scope("profile email phone"), (1u << LK_CL__COUNT) - 1);

	r = parsed("{\"userinfo\":{\"email\":null,\"name\":null},"
		   "\"id_token\":{\"phone_number\":null,\"email_verified\":null,"
		   "\"sub\":{\"value\":\"5\"}}}");
	lk_claims_limit(&r, "openid email");
	assert_int_equal(r.userinfo, BIT(LK_CL_EMAIL));
	assert_int_equal(r.id_token, BIT(LK_CL_EMAIL_VERIFIED));
	/* The sub value is not a claim about the user: no scope removes it. */
	assert_string_equal(r.sub, "5");
	lk_claims_limit(&r, "openid");
	assert_int_equal(r.userinfo, 0);
	assert_int_equal(r.id_token, 0);
	assert_false(lk_claims_empty(&r));
}

/* The claims lk_userinfo_add_claims writes for user u and the set which, as JSON text. */
static char *claims_of(const struct lk_user *u, unsigned which)
{
	struct lk_config cfg = {.default_domain = (char *)"local"};
	json_t *o = json_object();
	char *text;

	assert_non_null(o);
	assert_int_equal(lk_userinfo_add_claims(o, &cfg, u, which), LK_OK);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(text);
	return text;
}

static void user_claims(void **state)
{
	struct lk_user u = {
		.domain = (char *)"local",
		.username = (char *)"alice",
		.display_name = (char *)"Alice Liddell",
		.given_name = (char *)"Alice",
		.family_name = (char *)"Liddell",
		.email = (char *)"alice@example.com",
		.email_verified = true,
		.phone = (char *)"+1 555 0100",
		.updated_at = 1700000000,
	};
	char *text = claims_of(&u, (1u << LK_CL__COUNT) - 1);

	assert_string_equal(text,
			    "{\"email\":\"alice@example.com\",\"email_verified\":true,"
			    "\"family_name\":\"Liddell\",\"given_name\":\"Alice\","
			    "\"name\":\"Alice Liddell\",\"phone_number\":\"+1 555 0100\","
			    "\"phone_number_verified\":false,\"preferred_username\":\"alice\","
			    "\"updated_at\":1700000000}");
	free(text);
	text = claims_of(&u, BIT(LK_CL_EMAIL_VERIFIED) | BIT(LK_CL_GIVEN_NAME));
	assert_string_equal(text, "{\"email_verified\":true,\"given_name\":\"Alice\"}");
	free(text);
	text = claims_of(&u, 0);
	assert_string_equal(text, "{}");
	free(text);

	/* Empty values are left out, and so are the flags of empty values. */
	u.domain = (char *)"corp";
	u.display_name = (char *)"";
	u.given_name = (char *)"";
	u.family_name = (char *)"";
	u.email = (char *)"";
	u.phone = (char *)"";
	u.updated_at = 0;
	text = claims_of(&u, (1u << LK_CL__COUNT) - 1);
	/* Outside the default domain the login is domain\user. */
	assert_string_equal(text, "{\"preferred_username\":\"corp\\\\alice\"}");
	free(text);
}

/* A pending authorization request carries the normalised claims request. */
static void pending_request(void **state)
{
	struct lk_authz a = {
		.client_id = (char *)"c1",
		.redirect_uri = (char *)"https://app.example/cb",
		.deliver_to = (char *)"https://app.example/cb",
		.scope = (char *)"openid",
		.state = (char *)"s",
		.nonce = (char *)"n",
		.code_challenge = (char *)"",
		.max_age = -1,
		.login_hint = (char *)"",
		.claims = (char *)"{\"userinfo\":{\"email\":null}}",
	};
	struct lk_authz back = {0};
	char *text = lk_authz_to_json(&a);

	assert_non_null(text);
	assert_int_equal(lk_authz_from_json(text, &back), LK_OK);
	assert_string_equal(back.claims, a.claims);
	assert_string_equal(back.scope, "openid");
	lk_authz_release(&back);
	free(text);

	/* One pending since before the claims parameter has none. */
	assert_int_equal(
		lk_authz_from_json(
			"{\"client_id\":\"c1\",\"redirect_uri\":\"\",\"deliver_to\":\"\","
			"\"strategy\":0,\"mode\":0,\"scope\":\"openid\",\"state\":\"\",\"nonce\":"
			"\"\","
			"\"code_challenge\":\"\",\"prompt_none\":false,\"prompt_login\":false,"
			"\"prompt_consent\":false,\"max_age\":-1,\"login_hint\":\"\"}",
			&back),
		LK_OK);
	assert_string_equal(back.claims, "");
	lk_authz_release(&back);
	assert_null(back.claims);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_request),     cmocka_unit_test(known_claims_are_kept),
		cmocka_unit_test(sub_value),	     cmocka_unit_test(malformed),
		cmocka_unit_test(size_limit),	     cmocka_unit_test(normalised_form),
		cmocka_unit_test(scopes_and_limits), cmocka_unit_test(user_claims),
		cmocka_unit_test(pending_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
