/*
 * Upstream providers (oauth/upstream.h): ID tokens validated against a JWKS
 * made here with cjose and served by a fake fetch function, the refetch of
 * the JWKS for an unknown kid (once, and not again within
 * LK_UPSTREAM_REFETCH_SECONDS), the authorization URL, the derived secrets,
 * and a whole redemption (token request, ID token, userinfo).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/header.h>
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <jansson.h>

#include "core/log.h"
#include "core/secure.h"
#include "oauth/upstream.h"

#define ISSUER "https://idp.example"
#define CLIENT_ID "latchkey-at-idp"
#define NONCE "the-nonce-that-was-sent"
#define NOW 1700000000
#define REDIRECT "https://login.example/login/upstream/corp/callback"

/* What the fake upstream serves, and what it saw. */
struct fake {
	char *jwks;	    /* the JWKS served now */
	int jwks_fetches;   /* how many times it was fetched */
	char *token_answer; /* the token endpoint's answer */
	char *userinfo;	    /* the userinfo answer */
	char form[2048];    /* the last token request's body */
	char auth[512];	    /* the last Authorization header */
	char userinfo_auth[512];
};

struct keys {
	cjose_jwk_t *a, *b, *rsa;
};

static struct fake fake;
static struct keys keys;
static struct lk_config cfg;
static struct lk_upstreams *ups;

static enum lk_err answer(const char *body, const char *ct, struct lk_outbound_response *out)
{
	memset(out, 0, sizeof(*out));
	out->status = 200;
	out->body = strdup(body);
	out->len = strlen(body);
	snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
	return out->body ? LK_OK : LK_ENOMEM;
}

static enum lk_err fake_fetch(void *arg, const struct lk_outbound_request *req,
			      struct lk_outbound_response *out)
{
	struct fake *f = arg;

	if (strcmp(req->url, ISSUER "/.well-known/openid-configuration") == 0)
		return answer("{\"issuer\":\"" ISSUER "\",\"authorization_endpoint\":\"" ISSUER
			      "/authorize?tenant=1\",\"token_endpoint\":\"" ISSUER
			      "/token\",\"jwks_uri\":\"" ISSUER
			      "/jwks\",\"userinfo_endpoint\":\"" ISSUER "/userinfo\"}",
			      "application/json", out);
	if (strcmp(req->url, ISSUER "/jwks") == 0) {
		f->jwks_fetches++;
		return answer(f->jwks, "application/json", out);
	}
	if (strcmp(req->url, ISSUER "/token") == 0) {
		snprintf(f->form, sizeof(f->form), "%s", req->form ? req->form : "");
		snprintf(f->auth, sizeof(f->auth), "%s",
			 req->authorization ? req->authorization : "");
		return answer(f->token_answer, "application/json", out);
	}
	if (strcmp(req->url, ISSUER "/userinfo") == 0) {
		snprintf(f->userinfo_auth, sizeof(f->userinfo_auth), "%s",
			 req->authorization ? req->authorization : "");
		return answer(f->userinfo, "application/json", out);
	}
	return LK_EIO;
}

/* The public JWK of k with kid, as a JSON object. */
static json_t *public_jwk(const cjose_jwk_t *k, const char *kid)
{
	char *text = cjose_jwk_to_json(k, false, NULL);
	json_t *o = json_loads(text, 0, NULL);

	free(text);
	assert_non_null(o);
	json_object_set_new(o, "kid", json_string(kid));
	return o;
}

/* A JWKS of the keys given (NULL-terminated pairs of key and kid). */
static char *jwks_of(const cjose_jwk_t *k1, const char *kid1, const cjose_jwk_t *k2,
		     const char *kid2)
{
	json_t *set = json_object(), *arr = json_array();
	char *text;

	json_array_append_new(arr, public_jwk(k1, kid1));
	if (k2)
		json_array_append_new(arr, public_jwk(k2, kid2));
	json_object_set_new(set, "keys", arr);
	text = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	return text;
}

/* Signs claims (JSON text) with k under alg and kid (NULL: none). */
static char *sign(const cjose_jwk_t *k, const char *alg, const char *kid, const char *claims)
{
	cjose_header_t *h = cjose_header_new(NULL);
	cjose_jws_t *jws;
	const char *compact = NULL;
	char *out;

	assert_true(cjose_header_set(h, CJOSE_HDR_ALG, alg, NULL));
	if (kid)
		assert_true(cjose_header_set(h, CJOSE_HDR_KID, kid, NULL));
	jws = cjose_jws_sign(k, h, (const uint8_t *)claims, strlen(claims), NULL);
	assert_non_null(jws);
	assert_true(cjose_jws_export(jws, &compact, NULL));
	out = strdup(compact);
	cjose_jws_release(jws);
	cjose_header_release(h);
	return out;
}

/* The claims of a valid ID token, with one member replaced or removed (value NULL). */
static char *claims_with(const char *member, json_t *value)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:s}", "iss", ISSUER, "sub",
			      "248289761001", "aud", CLIENT_ID, "iat", (json_int_t)NOW, "exp",
			      (json_int_t)NOW + 300, "nonce", NONCE, "email", "jane@example.com",
			      "email_verified", 1, "preferred_username", "jane");
	char *text;

	if (member && value)
		json_object_set_new(c, member, value);
	else if (member)
		json_object_del(c, member);
	text = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return text;
}

static char *token_with(const char *member, json_t *value)
{
	char *claims = claims_with(member, value);
	char *t = sign(keys.a, "ES256", "key-a", claims);

	free(claims);
	return t;
}

static enum lk_err verify(const char *token, int64_t now, struct lk_upstream_identity *id)
{
	return lk_upstream_verify_id_token(ups, "corp", token, NONCE, now, id);
}

static void expect_denied(char *token)
{
	struct lk_upstream_identity id = {0};

	assert_int_equal(verify(token, NOW, &id), LK_EDENIED);
	assert_null(id.subject);
	free(token);
}

static int group_setup(void **state)
{
	(void)state;
	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	keys.a = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL);
	keys.b = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL);
	keys.rsa = cjose_jwk_create_RSA_random(2048, (const uint8_t *)"\x01\x00\x01", 3, NULL);
	return keys.a && keys.b && keys.rsa ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	cjose_jwk_release(keys.a);
	cjose_jwk_release(keys.b);
	cjose_jwk_release(keys.rsa);
	return 0;
}

/* A fresh lk_upstreams (empty caches) serving a JWKS of key A and the RSA key. */
static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.nupstreams = 1;
	cfg.upstreams[0] = (struct lk_upstream_config){
		.name = (char *)"corp",
		.issuer = (char *)ISSUER,
		.client_id = (char *)CLIENT_ID,
		.client_secret = (char *)"s3cret:&",
		.scopes = (char *)"openid email profile",
		.display_name = (char *)"Corp",
	};
	memset(&fake, 0, sizeof(fake));
	fake.jwks = jwks_of(keys.a, "key-a", keys.rsa, "key-rsa");
	if (lk_upstreams_new(&cfg, &ups) != LK_OK)
		return -1;
	lk_upstreams_set_fetch(ups, fake_fetch, &fake);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lk_upstreams_free(ups);
	ups = NULL;
	free(fake.jwks);
	free(fake.token_answer);
	free(fake.userinfo);
	return 0;
}

static void test_valid(void **state)
{
	struct lk_upstream_identity id = {0};
	char *claims = claims_with(NULL, NULL);
	char *es = sign(keys.a, "ES256", "key-a", claims);
	char *rs = sign(keys.rsa, "RS256", "key-rsa", claims);
	char *ps = sign(keys.rsa, "PS256", "key-rsa", claims);
	char *nokid = sign(keys.a, "ES256", NULL, claims);

	(void)state;
	assert_int_equal(verify(es, NOW, &id), LK_OK);
	assert_string_equal(id.issuer, ISSUER);
	assert_string_equal(id.subject, "248289761001");
	assert_string_equal(id.email, "jane@example.com");
	assert_true(id.email_verified);
	assert_string_equal(id.preferred_username, "jane");
	assert_string_equal(id.name, "");
	lk_upstream_identity_release(&id);
	assert_int_equal(verify(rs, NOW, &id), LK_OK);
	lk_upstream_identity_release(&id);
	assert_int_equal(verify(ps, NOW, &id), LK_OK);
	lk_upstream_identity_release(&id);
	/* Without a kid, each key is tried. */
	assert_int_equal(verify(nokid, NOW, &id), LK_OK);
	lk_upstream_identity_release(&id);
	/* The JWKS was fetched once and then served from the cache. */
	assert_int_equal(fake.jwks_fetches, 1);
	free(claims);
	free(es);
	free(rs);
	free(ps);
	free(nokid);
}

static void test_bad_signature(void **state)
{
	char *claims = claims_with(NULL, NULL);
	char *t = sign(keys.b, "ES256", "key-a", claims);
	char *tampered = token_with(NULL, NULL);

	(void)state;
	/* Key B claims to be key A: the signature does not verify, and nothing is refetched. */
	expect_denied(t);
	assert_int_equal(fake.jwks_fetches, 1);
	/* One character of the payload changed. */
	tampered[strchr(tampered, '.') - tampered + 5] ^= 1;
	expect_denied(tampered);
	free(claims);
}

static void test_claims(void **state)
{
	(void)state;
	expect_denied(token_with("iss", json_string("https://evil.example")));
	expect_denied(token_with("iss", json_string(ISSUER "/")));
	expect_denied(token_with("iss", NULL));
	expect_denied(token_with("aud", json_string("another-client")));
	expect_denied(token_with("aud", NULL));
	expect_denied(token_with("aud", json_pack("[s,s]", CLIENT_ID, "another")));
	expect_denied(token_with("azp", json_string("another")));
	expect_denied(token_with("nonce", json_string("a-replayed-nonce")));
	expect_denied(token_with("nonce", NULL));
	expect_denied(token_with("exp", json_integer(NOW - LK_UPSTREAM_SKEW_SECONDS)));
	expect_denied(token_with("exp", NULL));
	expect_denied(token_with("exp", json_string("tomorrow")));
	expect_denied(token_with("iat", json_integer(NOW + LK_UPSTREAM_SKEW_SECONDS + 1)));
	expect_denied(token_with("iat", NULL));
	expect_denied(token_with("nbf", json_integer(NOW + 3600)));
	expect_denied(token_with("sub", NULL));
	expect_denied(token_with("sub", json_string("")));
	expect_denied(token_with("sub", json_integer(42)));
}

static void test_audiences(void **state)
{
	struct lk_upstream_identity id = {0};
	char *one = token_with("aud", json_pack("[s]", CLIENT_ID));
	char *claims = claims_with("aud", json_pack("[s,s]", CLIENT_ID, "api"));
	json_t *c = json_loads(claims, 0, NULL);
	char *with_azp, *t;

	(void)state;
	assert_int_equal(verify(one, NOW, &id), LK_OK);
	lk_upstream_identity_release(&id);
	/* Several audiences need azp naming the client (Core §3.1.3.7 step 4). */
	json_object_set_new(c, "azp", json_string(CLIENT_ID));
	with_azp = json_dumps(c, JSON_COMPACT);
	t = sign(keys.a, "ES256", "key-a", with_azp);
	assert_int_equal(verify(t, NOW, &id), LK_OK);
	lk_upstream_identity_release(&id);
	/* Within the skew, an expiry just passed is still accepted. */
	free(one);
	one = token_with("exp", json_integer(NOW - 10));
	assert_int_equal(verify(one, NOW, &id), LK_OK);
	lk_upstream_identity_release(&id);
	json_decref(c);
	free(one);
	free(claims);
	free(with_azp);
	free(t);
}

/* "none" and HS256 (with the public key's bytes as the secret) are refused outright. */
static void test_refused_algs(void **state)
{
	char *claims = claims_with(NULL, NULL);
	char *jwk = cjose_jwk_to_json(keys.a, false, NULL);
	cjose_jwk_t *oct = cjose_jwk_create_oct_spec((const uint8_t *)jwk, strlen(jwk), NULL);
	char hdr[64], payload[1024], *none;
	size_t n;

	(void)state;
	expect_denied(sign(oct, "HS256", "key-a", claims));
	n = lk_b64url_encode("{\"alg\":\"none\"}", 14, hdr);
	hdr[n] = '\0';
	n = lk_b64url_encode(claims, strlen(claims), payload);
	payload[n] = '\0';
	n = strlen(hdr) + strlen(payload) + 3;
	none = malloc(n);
	snprintf(none, n, "%s.%s.", hdr, payload);
	expect_denied(none);
	/* Refused before any key set was fetched. */
	assert_int_equal(fake.jwks_fetches, 0);
	expect_denied(strdup("not a token"));
	cjose_jwk_release(oct);
	free(jwk);
	free(claims);
}

/* An unknown kid: the JWKS is fetched again, once, and not again too soon. */
static void test_key_rotation(void **state)
{
	struct lk_upstream_identity id = {0};
	char *claims = claims_with(NULL, NULL);
	char *a = sign(keys.a, "ES256", "key-a", claims);
	char *b = sign(keys.b, "ES256", "key-b", claims);
	char *c = sign(keys.b, "ES256", "key-c", claims);

	(void)state;
	assert_int_equal(verify(a, NOW, &id), LK_OK);
	lk_upstream_identity_release(&id);
	assert_int_equal(fake.jwks_fetches, 1);
	/* The upstream rotates to key B. */
	free(fake.jwks);
	fake.jwks = jwks_of(keys.b, "key-b", NULL, NULL);
	assert_int_equal(verify(b, NOW + 100, &id), LK_OK);
	lk_upstream_identity_release(&id);
	assert_int_equal(fake.jwks_fetches, 2);
	/* Cached now: no fetch. */
	assert_int_equal(verify(b, NOW + 101, &id), LK_OK);
	lk_upstream_identity_release(&id);
	assert_int_equal(fake.jwks_fetches, 2);
	/* A kid nobody publishes: refused, and too soon after the last refetch to fetch again. */
	assert_int_equal(verify(c, NOW + 110, &id), LK_EDENIED);
	assert_int_equal(fake.jwks_fetches, 2);
	assert_int_equal(verify(c, NOW + 111, &id), LK_EDENIED);
	assert_int_equal(fake.jwks_fetches, 2);
	/* Later, one refetch again, still no such key. */
	assert_int_equal(verify(c, NOW + 100 + LK_UPSTREAM_REFETCH_SECONDS, &id), LK_EDENIED);
	assert_int_equal(fake.jwks_fetches, 3);
	free(claims);
	free(a);
	free(b);
	free(c);
}

static void test_secrets_and_url(void **state)
{
	static const uint8_t key[32] = {1, 2, 3};
	struct lk_upstream_secrets s1, s2, s3;
	char *url = NULL;

	(void)state;
	assert_int_equal(lk_upstream_derive(key, sizeof(key), "state-1", &s1), LK_OK);
	assert_int_equal(lk_upstream_derive(key, sizeof(key), "state-1", &s2), LK_OK);
	assert_int_equal(lk_upstream_derive(key, sizeof(key), "state-2", &s3), LK_OK);
	assert_memory_equal(&s1, &s2, sizeof(s1));
	assert_string_not_equal(s1.nonce, s3.nonce);
	assert_string_not_equal(s1.nonce, s1.verifier);
	assert_int_equal(strlen(s1.verifier), LK_UPSTREAM_SECRET_LEN);
	assert_int_equal(lk_upstream_derive(key, sizeof(key), "", &s3), LK_EINVAL);

	assert_int_equal(lk_upstream_auth_url(ups, "corp", REDIRECT, "st", &s1, NOW, &url), LK_OK);
	assert_non_null(strstr(url,
			       ISSUER "/authorize?tenant=1&response_type=code&client_id=" CLIENT_ID
				      "&redirect_uri=https%3A%2F%2Flogin.example%2F"));
	assert_non_null(strstr(url, "&scope=openid%20email%20profile&state=st&nonce="));
	assert_non_null(strstr(url, s1.challenge));
	assert_non_null(strstr(url, "&code_challenge_method=S256"));
	assert_null(strstr(url, s1.verifier));
	free(url);
	assert_int_equal(lk_upstream_auth_url(ups, "nope", REDIRECT, "st", &s1, NOW, &url),
			 LK_ENOTFOUND);
}

/* A whole redemption: Basic authentication, PKCE, the ID token, userinfo's claims. */
static void test_redeem(void **state)
{
	static const uint8_t key[32] = {9};
	struct lk_upstream_identity id = {0};
	struct lk_upstream_secrets sec;
	char *claims, *token, *answer_text;

	(void)state;
	assert_int_equal(lk_upstream_derive(key, sizeof(key), "st", &sec), LK_OK);
	claims = claims_with("nonce", json_string(sec.nonce));
	token = sign(keys.a, "ES256", "key-a", claims);
	answer_text = malloc(strlen(token) + 128);
	snprintf(answer_text, strlen(token) + 128,
		 "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":\"%s\"}",
		 token);
	fake.token_answer = answer_text;
	fake.userinfo =
		strdup("{\"sub\":\"248289761001\",\"name\":\"Jane Doe\",\"given_name\":\"Jane\"}");
	assert_int_equal(lk_upstream_redeem(ups, "corp", REDIRECT, "the-code", &sec, NOW, &id),
			 LK_OK);
	assert_string_equal(id.subject, "248289761001");
	assert_string_equal(id.name, "Jane Doe");
	assert_string_equal(id.given_name, "Jane");
	assert_string_equal(id.email, "jane@example.com");
	lk_upstream_identity_release(&id);
	assert_non_null(strstr(fake.form, "grant_type=authorization_code&code=the-code"));
	assert_non_null(strstr(fake.form, "&code_verifier="));
	assert_non_null(strstr(fake.form, sec.verifier));
	assert_null(strstr(fake.form, "client_secret"));
	/* RFC 6749 §2.3.1: the secret is form-urlencoded before base64 ("s3cret%3A%26"). */
	assert_string_equal(fake.auth, "Basic bGF0Y2hrZXktYXQtaWRwOnMzY3JldCUzQSUyNg==");
	assert_string_equal(fake.userinfo_auth, "Bearer at-1");

	/* Userinfo of another sub is refused whole. */
	free(fake.userinfo);
	fake.userinfo = strdup("{\"sub\":\"someone-else\"}");
	assert_int_equal(lk_upstream_redeem(ups, "corp", REDIRECT, "the-code", &sec, NOW, &id),
			 LK_EPARSE);
	/* The token answered with the wrong nonce for this state. */
	assert_int_equal(lk_upstream_derive(key, sizeof(key), "other-state", &sec), LK_OK);
	assert_int_equal(lk_upstream_redeem(ups, "corp", REDIRECT, "the-code", &sec, NOW, &id),
			 LK_EDENIED);
	free(claims);
	free(token);
}

static void test_url_allowed(void **state)
{
	(void)state;
	assert_true(lk_outbound_url_allowed("https://idp.example/x"));
	assert_true(lk_outbound_url_allowed("http://127.0.0.1:8080/x"));
	assert_true(lk_outbound_url_allowed("http://[::1]:8080/x"));
	assert_true(lk_outbound_url_allowed("http://localhost/x"));
	assert_false(lk_outbound_url_allowed("http://idp.example/x"));
	assert_false(lk_outbound_url_allowed("http://127.0.0.1.evil.example/x"));
	assert_false(lk_outbound_url_allowed("https://user:pw@idp.example/x"));
	assert_false(lk_outbound_url_allowed("file:///etc/passwd"));
	assert_false(lk_outbound_url_allowed("ftp://idp.example/"));
	assert_false(lk_outbound_url_allowed(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audiences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_algs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_and_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redeem, setup, teardown),
		cmocka_unit_test(test_url_allowed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
