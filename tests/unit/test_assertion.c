/*
 * RFC 7523 client assertion claims (src/oauth/assertion.c): every rule of
 * lk_assertion_check on claims built by hand around a fixed clock, and
 * lk_assertion_peek_issuer on hand-assembled compact JWTs.
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

#include "core/secure.h"
#include "jose/jwt_verify.h"
#include "oauth/assertion.h"

#define NOW 1800000000
#define CLIENT "client-1"
#define ENDPOINT "https://as.example/oauth2/token"
#define ISSUER "https://as.example"

static const struct lk_assertion_expect expect = {
	.client_id = CLIENT,
	.endpoint_url = ENDPOINT,
	.issuer = ISSUER,
	.now = NOW,
	.cert_not_before = NOW - 86400,
	.cert_not_after = NOW + 86400,
};

/* Claims that pass every rule; tests change one member at a time. */
static json_t *good_claims(void)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", CLIENT, "sub", CLIENT,
			      "aud", ENDPOINT, "exp", (json_int_t)NOW + 300, "iat", (json_int_t)NOW,
			      "nbf", (json_int_t)NOW, "jti", "jti-1");

	assert_non_null(c);
	return c;
}

/* Runs the check on claims (consumed); returns the result and fills *a on success. */
static enum lk_err check_with(json_t *claims, const struct lk_assertion_expect *x,
			      struct lk_assertion *a)
{
	char why[128] = "";
	enum lk_err err = lk_assertion_check(claims, x, a, why, sizeof(why));

	/* A refusal always says why, for the debug log. */
	if (err)
		assert_true(why[0] != '\0');
	json_decref(claims);
	return err;
}

static enum lk_err check(json_t *claims)
{
	struct lk_assertion a;

	return check_with(claims, &expect, &a);
}

/* good_claims() with one member replaced (value consumed; NULL removes it). */
static json_t *with(const char *name, json_t *value)
{
	json_t *c = good_claims();

	if (value)
		assert_int_equal(json_object_set_new(c, name, value), 0);
	else
		assert_int_equal(json_object_del(c, name), 0);
	return c;
}

static void accepts_good_claims(void **state)
{
	struct lk_assertion a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(check_with(good_claims(), &expect, &a), LK_OK);
	assert_string_equal(a.jti, "jti-1");
	assert_int_equal(a.exp, NOW + 300);
	/* nbf and iat are optional. */
	json_t *c = good_claims();
	json_object_del(c, "nbf");
	json_object_del(c, "iat");
	assert_int_equal(check(c), LK_OK);
	/* NumericDate may be a real number (RFC 7519 §2). */
	assert_int_equal(check(with("exp", json_real(NOW + 300.5))), LK_OK);
}

static void issuer_and_subject_are_the_client(void **state)
{
	assert_int_equal(check(with("iss", json_string("client-2"))), LK_EDENIED);
	assert_int_equal(check(with("sub", json_string("client-2"))), LK_EDENIED);
	assert_int_equal(check(with("iss", NULL)), LK_EDENIED);
	assert_int_equal(check(with("sub", NULL)), LK_EDENIED);
	assert_int_equal(check(with("iss", json_integer(1))), LK_EDENIED);
	assert_int_equal(check(with("sub", json_pack("[s]", CLIENT))), LK_EDENIED);
	/* A NUL inside the JSON string must not compare equal to its prefix. */
	assert_int_equal(check(with("iss", json_stringn(CLIENT "\0x", sizeof(CLIENT) + 1))),
			 LK_EDENIED);
	assert_int_equal(check(with("iss", json_string("CLIENT-1"))), LK_EDENIED);
}

static void audience_string_or_array(void **state)
{
	assert_int_equal(check(with("aud", json_string(ISSUER))), LK_OK);
	assert_int_equal(check(with("aud", json_pack("[s]", ENDPOINT))), LK_OK);
	assert_int_equal(check(with("aud", json_pack("[s,s]", "https://other", ISSUER))), LK_OK);
	assert_int_equal(check(with("aud", json_string("https://other"))), LK_EDENIED);
	assert_int_equal(check(with("aud", json_string(ISSUER "/"))), LK_EDENIED);
	assert_int_equal(check(with("aud", json_pack("[s,s]", "https://a", "https://b"))),
			 LK_EDENIED);
	assert_int_equal(check(with("aud", json_array())), LK_EDENIED);
	assert_int_equal(check(with("aud", json_pack("[i]", 1))), LK_EDENIED);
	assert_int_equal(check(with("aud", json_pack("{s:s}", "x", ISSUER))), LK_EDENIED);
	assert_int_equal(check(with("aud", NULL)), LK_EDENIED);
}

static void expiry_required_future_and_near(void **state)
{
	assert_int_equal(check(with("exp", NULL)), LK_EDENIED);
	assert_int_equal(check(with("exp", json_integer(NOW))), LK_EDENIED);
	assert_int_equal(check(with("exp", json_integer(NOW - 1))), LK_EDENIED);
	assert_int_equal(check(with("exp", json_integer(NOW + 1))), LK_OK);
	/* At most 600 s ahead, plus 60 s of clock skew. */
	assert_int_equal(check(with("exp", json_integer(NOW + 600 + 60))), LK_OK);
	assert_int_equal(check(with("exp", json_integer(NOW + 600 + 61))), LK_EDENIED);
	assert_int_equal(check(with("exp", json_integer(NOW + 86400))), LK_EDENIED);
	assert_int_equal(check(with("exp", json_string("1800000300"))), LK_EDENIED);
	assert_int_equal(check(with("exp", json_integer(-1))), LK_EDENIED);
	assert_int_equal(check(with("exp", json_true())), LK_EDENIED);
}

static void not_before_and_issued_at_with_skew(void **state)
{
	static const char *const names[] = {"nbf", "iat"};

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(check(with(names[i], json_integer(NOW - 3600))), LK_OK);
		assert_int_equal(check(with(names[i], json_integer(NOW + 60))), LK_OK);
		assert_int_equal(check(with(names[i], json_integer(NOW + 61))), LK_EDENIED);
		assert_int_equal(check(with(names[i], json_integer(NOW + 500))), LK_EDENIED);
		assert_int_equal(check(with(names[i], json_string("now"))), LK_EDENIED);
		assert_int_equal(check(with(names[i], json_null())), LK_EDENIED);
	}
}

static void jti_required_and_bounded(void **state)
{
	char id[LK_ASSERTION_JTI_MAX + 2];
	struct lk_assertion a;

	assert_int_equal(check(with("jti", NULL)), LK_EDENIED);
	assert_int_equal(check(with("jti", json_string(""))), LK_EDENIED);
	assert_int_equal(check(with("jti", json_integer(7))), LK_EDENIED);
	memset(id, 'j', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(check(with("jti", json_string(id))), LK_EDENIED);
	id[LK_ASSERTION_JTI_MAX] = '\0';
	assert_int_equal(check_with(with("jti", json_string(id)), &expect, &a), LK_OK);
	assert_int_equal(strlen(a.jti), LK_ASSERTION_JTI_MAX);
}

static void certificate_validity_at_now(void **state)
{
	struct lk_assertion_expect x = expect;
	struct lk_assertion a;

	x.cert_not_before = NOW + 1;
	assert_int_equal(check_with(good_claims(), &x, &a), LK_EDENIED);
	x.cert_not_before = NOW;
	assert_int_equal(check_with(good_claims(), &x, &a), LK_OK);
	x.cert_not_after = NOW;
	assert_int_equal(check_with(good_claims(), &x, &a), LK_EDENIED);
	x.cert_not_after = NOW - 3600;
	assert_int_equal(check_with(good_claims(), &x, &a), LK_EDENIED);
	x.cert_not_after = NOW + 1;
	assert_int_equal(check_with(good_claims(), &x, &a), LK_OK);
}

static void refusal_leaves_output_alone(void **state)
{
	struct lk_assertion a;
	json_t *c = json_string("not an object");

	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(check_with(with("aud", json_string("x")), &expect, &a), LK_EDENIED);
	assert_int_equal(a.exp, (int64_t)0x5a5a5a5a5a5a5a5a);
	assert_int_equal(check_with(c, &expect, &a), LK_EDENIED);
	assert_int_equal(a.exp, (int64_t)0x5a5a5a5a5a5a5a5a);
}

/* A compact JWT "header.payload.sig" with payload the base64url of json. */
static char *jwt_of(const char *json)
{
	static const char hdr[] = "{\"alg\":\"ES256\"}";
	size_t n = strlen(json);
	char *out = malloc(4 * (n + sizeof(hdr)) / 3 + 16);
	size_t k;

	assert_non_null(out);
	k = lk_b64url_encode(hdr, strlen(hdr), out);
	out[k++] = '.';
	k += lk_b64url_encode(json, n, out + k);
	memcpy(out + k, ".c2ln", 6);
	return out;
}

static enum lk_err peek(const char *token, char *out, size_t cap)
{
	return lk_assertion_peek_issuer(token, strlen(token), out, cap);
}

static void peek_reads_the_issuer(void **state)
{
	/* Payload lengths of every remainder modulo 3 exercise the padding. */
	static const char *const payloads[] = {
		"{\"iss\":\"client-1\"}",
		"{\"iss\":\"client-1\" }",
		"{\"iss\":\"client-1\"  }",
		"{\"sub\":\"x\",\"iss\":\"client-1\",\"aud\":[\"a\"]}",
	};
	char iss[64];

	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *t = jwt_of(payloads[i]);

		memset(iss, 0, sizeof(iss));
		assert_int_equal(peek(t, iss, sizeof(iss)), LK_OK);
		assert_string_equal(iss, "client-1");
		free(t);
	}
}

static void peek_refuses_what_is_not_a_jwt(void **state)
{
	static const char *const payloads[] = {
		"{\"sub\":\"client-1\"}",	 "{\"iss\":1}", "[\"iss\"]", "not json",
		"{\"iss\":\"a\",\"iss\":\"b\"}",
	};
	char iss[64] = "untouched";
	char *t;

	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		t = jwt_of(payloads[i]);
		assert_int_equal(peek(t, iss, sizeof(iss)), LK_EPARSE);
		free(t);
	}
	assert_int_equal(peek("", iss, sizeof(iss)), LK_EPARSE);
	assert_int_equal(peek("abc", iss, sizeof(iss)), LK_EPARSE);
	assert_int_equal(peek("abc.def", iss, sizeof(iss)), LK_EPARSE);
	assert_int_equal(peek("abc..sig", iss, sizeof(iss)), LK_EPARSE);
	assert_int_equal(peek("abc.e30*.sig", iss, sizeof(iss)), LK_EPARSE);
	assert_int_equal(peek("abc.e30=.sig", iss, sizeof(iss)), LK_EPARSE);
	/* One base64url character cannot encode a byte. */
	assert_int_equal(peek("abc.eyJpc3MiOiJhIn0a.sig", iss, sizeof(iss)), LK_EPARSE);
	assert_string_equal(iss, "untouched");
}

static void peek_limits(void **state)
{
	char iss[8] = "untouch";
	char *t = jwt_of("{\"iss\":\"a-much-longer-client\"}");
	char *big;

	assert_int_equal(peek(t, iss, sizeof(iss)), LK_ETOOBIG);
	assert_string_equal(iss, "untouch");
	free(t);
	big = malloc(LK_JWT_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', LK_JWT_MAX + 1);
	big[LK_JWT_MAX + 1] = '\0';
	big[10] = '.';
	big[20] = '.';
	assert_int_equal(peek(big, iss, sizeof(iss)), LK_ETOOBIG);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_good_claims),
		cmocka_unit_test(issuer_and_subject_are_the_client),
		cmocka_unit_test(audience_string_or_array),
		cmocka_unit_test(expiry_required_future_and_near),
		cmocka_unit_test(not_before_and_issued_at_with_skew),
		cmocka_unit_test(jti_required_and_bounded),
		cmocka_unit_test(certificate_validity_at_now),
		cmocka_unit_test(refusal_leaves_output_alone),
		cmocka_unit_test(peek_reads_the_issuer),
		cmocka_unit_test(peek_refuses_what_is_not_a_jwt),
		cmocka_unit_test(peek_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
