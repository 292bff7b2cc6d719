/*
 * RFC 7523 §3 (client authentication) and §2.1 (authorization grant): the
 * processing rules for the claims of a client assertion. Both uses apply the
 * same rules; only the error code an endpoint answers with differs.
 */
#include "oauth/assertion.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "jose/jwt_verify.h"
#include "oauth/params.h"

/* A NumericDate past this (year 36812) is not a time anyone meant. */
#define TIME_MAX ((int64_t)1 << 40)

static enum lk_err deny(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum lk_err deny(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return LK_EDENIED;
}

/*
 * A string claim, or NULL when absent, not a string, or holding a NUL (C
 * comparisons would then see another value than the JSON holds).
 */
static const char *claim_str(const json_t *claims, const char *name)
{
	const json_t *v = json_object_get(claims, name);

	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

enum time_claim { TIME_ABSENT, TIME_OK, TIME_BAD };

/*
 * A NumericDate claim (RFC 7519 §2): a non-negative number of seconds, a
 * fraction dropped. TIME_BAD for any other JSON value.
 */
static enum time_claim claim_time(const json_t *claims, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(claims, name);
	double d;

	if (!v)
		return TIME_ABSENT;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > TIME_MAX)
			return TIME_BAD;
		*out = (int64_t)json_integer_value(v);
		return TIME_OK;
	}
	if (!json_is_real(v))
		return TIME_BAD;
	d = json_real_value(v);
	if (!(d >= 0 && d <= (double)TIME_MAX))
		return TIME_BAD;
	*out = (int64_t)d;
	return TIME_OK;
}

/* Whether one audience value names this server. */
static bool aud_value_ok(const json_t *v, const struct lk_assertion_expect *x)
{
	const char *s;

	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return false;
	s = json_string_value(v);
	return (x->endpoint_url && strcmp(s, x->endpoint_url) == 0) ||
	       (x->issuer && strcmp(s, x->issuer) == 0);
}

/*
 * RFC 7523 §3 item 3: aud identifies this server as an intended audience; RFC
 * 7519 §4.1.3 allows one string or an array of them.
 */
static bool aud_ok(const json_t *claims, const struct lk_assertion_expect *x)
{
	const json_t *aud = json_object_get(claims, LK_CLAIM_AUD);
	size_t i;
	const json_t *v;

	if (!json_is_array(aud))
		return aud_value_ok(aud, x);
	for (i = 0; i < json_array_size(aud); i++) {
		v = json_array_get(aud, i);
		if (aud_value_ok(v, x))
			return true;
	}
	return false;
}

/* The certificate must be valid when it is used, not only when it was registered. */
static enum lk_err check_certificate(const struct lk_assertion_expect *x, char *why, size_t n)
{
	if (x->cert_not_before && x->now < x->cert_not_before)
		return deny(why, n, "the certificate is not valid yet");
	if (x->cert_not_after && x->now >= x->cert_not_after)
		return deny(why, n, "the certificate has expired");
	return LK_OK;
}

/* RFC 7523 §3 items 4, 5 and 6: exp required, nbf and iat not in the future. */
static enum lk_err check_times(const json_t *claims, int64_t now, int64_t *exp, char *why, size_t n)
{
	int64_t t = 0;
	enum time_claim tc = claim_time(claims, LK_CLAIM_EXP, exp);

	if (tc == TIME_ABSENT)
		return deny(why, n, "exp is missing");
	if (tc == TIME_BAD)
		return deny(why, n, "exp is not a NumericDate");
	if (*exp <= now)
		return deny(why, n, "the assertion has expired");
	if (*exp > now + LK_ASSERTION_MAX_AHEAD + LK_ASSERTION_SKEW)
		return deny(why, n, "exp is more than %d seconds ahead", LK_ASSERTION_MAX_AHEAD);
	tc = claim_time(claims, LK_CLAIM_NBF, &t);
	if (tc == TIME_BAD || (tc == TIME_OK && t > now + LK_ASSERTION_SKEW))
		return deny(why, n, "nbf is not a NumericDate in the past");
	tc = claim_time(claims, LK_CLAIM_IAT, &t);
	if (tc == TIME_BAD || (tc == TIME_OK && t > now + LK_ASSERTION_SKEW))
		return deny(why, n, "iat is not a NumericDate in the past");
	return LK_OK;
}

enum lk_err lk_assertion_check(const void *claims, const struct lk_assertion_expect *x,
			       struct lk_assertion *out, char *why, size_t whylen)
{
	const json_t *c = claims;
	const char *iss, *sub, *jti;
	int64_t exp = 0;
	enum lk_err err;

	if (!json_is_object(c) || !x || !x->client_id)
		return deny(why, whylen, "the claims are not a JSON object");
	err = check_certificate(x, why, whylen);
	if (err)
		return err;
	/* RFC 7523 §3 items 1 and 2: the client is both the issuer and the subject. */
	iss = claim_str(c, LK_CLAIM_ISS);
	sub = claim_str(c, LK_CLAIM_SUB);
	if (!iss || strcmp(iss, x->client_id) != 0)
		return deny(why, whylen, "iss is not the client_id");
	if (!sub || strcmp(sub, x->client_id) != 0)
		return deny(why, whylen, "sub is not the client_id");
	if (!aud_ok(c, x))
		return deny(why, whylen, "aud names neither this endpoint nor the issuer");
	err = check_times(c, x->now, &exp, why, whylen);
	if (err)
		return err;
	/* RFC 7523 §3 item 7: the jti is what makes a replay detectable. */
	jti = claim_str(c, LK_CLAIM_JTI);
	if (!jti || !*jti)
		return deny(why, whylen, "jti is missing");
	if (strlen(jti) > LK_ASSERTION_JTI_MAX)
		return deny(why, whylen, "jti is longer than %d characters", LK_ASSERTION_JTI_MAX);
	memcpy(out->jti, jti, strlen(jti) + 1);
	out->exp = exp;
	return LK_OK;
}

/* The base64url alphabet (RFC 4648 §5) mapped onto OpenSSL's base64 one. */
static int to_b64(char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return c;
	if (c == '-')
		return '+';
	if (c == '_')
		return '/';
	return -1;
}

/*
 * Decodes the payload part (n bytes of unpadded base64url) into a new JSON
 * value. OpenSSL decodes standard base64 in whole quads, so the alphabet is
 * mapped and the padding put back first.
 */
static json_t *decode_payload(const char *p, size_t n)
{
	size_t padded = (n + 3) / 4 * 4, pad = padded - n;
	unsigned char *in = NULL, *raw = NULL;
	json_t *obj = NULL;
	int got;

	if (n == 0 || pad == 3)
		return NULL;
	in = malloc(padded + 1);
	raw = malloc(padded / 4 * 3 + 1);
	if (!in || !raw)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int c = to_b64(p[i]);

		if (c < 0)
			goto out;
		in[i] = (unsigned char)c;
	}
	memset(in + n, '=', pad);
	in[padded] = '\0';
	got = EVP_DecodeBlock(raw, in, (int)padded);
	if (got < 0 || (size_t)got < pad)
		goto out;
	obj = json_loadb((const char *)raw, (size_t)got - pad, JSON_REJECT_DUPLICATES, NULL);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
out:
	free(in);
	free(raw);
	return obj;
}

enum lk_err lk_assertion_peek_issuer(const char *token, size_t len, char *out, size_t cap)
{
	const char *d1, *d2, *iss;
	json_t *payload;
	enum lk_err err = LK_EPARSE;

	if (len > LK_JWT_MAX)
		return LK_ETOOBIG;
	d1 = token ? memchr(token, '.', len) : NULL;
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
	if (!d2)
		return LK_EPARSE;
	payload = decode_payload(d1 + 1, (size_t)(d2 - d1 - 1));
	iss = payload ? claim_str(payload, LK_CLAIM_ISS) : NULL;
	if (iss && strlen(iss) < cap) {
		memcpy(out, iss, strlen(iss) + 1);
		err = LK_OK;
	} else if (iss) {
		err = LK_ETOOBIG;
	}
	json_decref(payload);
	return err;
}
