/*
 * Upstream providers: redeeming the code (RFC 6749 §4.1.3), validating the
 * ID token (OpenID Connect Core §3.1.3.7) and reading userinfo (Core §5.3).
 *
 * The signature is checked by src/jose/ with one key of the upstream's
 * JWKS at a time; which algorithms are acceptable is decided there, before
 * any key is touched. What the claims must say is decided here, and every
 * check must pass: a token that fails one is refused whole.
 */
#include "oauth/upstream_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/secure.h"
#include "jose/jwt_verify.h"
#include "oauth/params.h"

#define CLAIM_AZP "azp"
#define FORM_MAX 8192

static const char *const accepted_algs[] = {"RS256", "PS256", "ES256"};

void lk_upstream_identity_release(struct lk_upstream_identity *id)
{
	if (!id)
		return;
	free(id->issuer);
	free(id->subject);
	free(id->email);
	free(id->preferred_username);
	free(id->name);
	free(id->given_name);
	free(id->family_name);
	memset(id, 0, sizeof(*id));
}

static bool alg_accepted(const char *alg)
{
	for (size_t i = 0; i < sizeof(accepted_algs) / sizeof(accepted_algs[0]); i++)
		if (strcmp(alg, accepted_algs[i]) == 0)
			return true;
	return false;
}

/*
 * Verifies token with the keys of jwks (JSON text) that its kid names, or
 * with each key when it names none. LK_OK with *claims; LK_ENOTFOUND when
 * no key is a candidate (an unknown kid: the set may have rotated);
 * LK_EDENIED when every candidate refused the signature.
 */
static enum lk_err try_keys(const char *jwks, const char *token, const struct lk_jwt_header *hdr,
			    json_t **claims)
{
	json_t *doc = json_loads(jwks, JSON_REJECT_DUPLICATES, NULL);
	const json_t *keys = json_object_get(doc, "keys");
	struct lk_jwt_header got;
	enum lk_err err = LK_ENOTFOUND;
	void *obj = NULL;
	size_t i;
	json_t *k;

	json_array_foreach(keys, i, k)
	{
		const char *kid = json_string_value(json_object_get(k, "kid"));
		char *text;

		if (!json_is_object(k) || (hdr->kid[0] && (!kid || strcmp(kid, hdr->kid) != 0)))
			continue;
		text = json_dumps(k, JSON_COMPACT);
		if (!text) {
			err = LK_ENOMEM;
			break;
		}
		err = lk_jwt_verify_jwk(text, token, strlen(token), &got, &obj) == LK_OK
			      ? LK_OK
			      : LK_EDENIED;
		free(text);
		if (!err)
			break;
	}
	json_decref(doc);
	if (!err)
		*claims = obj;
	return err;
}

/* A string claim no longer than LK_UPSTREAM_CLAIM_MAX, without control characters, or NULL. */
static const char *claim_str(const json_t *claims, const char *name)
{
	const char *s = json_string_value(json_object_get(claims, name));

	if (!s || strlen(s) > LK_UPSTREAM_CLAIM_MAX ||
	    json_string_length(json_object_get(claims, name)) != strlen(s))
		return NULL;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return s;
}

/* A NumericDate claim (RFC 7519 §2), or -1 when absent or not a number. */
static int64_t claim_time(const json_t *claims, const char *name)
{
	const json_t *v = json_object_get(claims, name);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9e15)
		return (int64_t)json_real_value(v);
	return -1;
}

/* Core §3.1.3.7 steps 3-5: the client is an audience, and the authorized party when named. */
static bool audience_ok(const json_t *claims, const char *client_id)
{
	const json_t *aud = json_object_get(claims, LK_CLAIM_AUD);
	const json_t *azp = json_object_get(claims, CLAIM_AZP);
	bool found = false;
	size_t i;
	json_t *a;

	if (azp && (!json_is_string(azp) || strcmp(json_string_value(azp), client_id) != 0))
		return false;
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	if (!json_is_array(aud))
		return false;
	json_array_foreach(aud, i, a)
	{
		if (!json_is_string(a))
			return false;
		found = found || strcmp(json_string_value(a), client_id) == 0;
	}
	return found && (json_array_size(aud) == 1 || azp);
}

/* Checks the claims of a signed ID token; the reason of a refusal goes to *why. */
static bool claims_ok(const struct lk_upstream_config *c, const json_t *claims, const char *nonce,
		      int64_t now, const char **why)
{
	const char *iss = json_string_value(json_object_get(claims, LK_CLAIM_ISS));
	const char *got_nonce = json_string_value(json_object_get(claims, LK_CLAIM_NONCE));
	const char *sub = claim_str(claims, LK_CLAIM_SUB);
	int64_t exp = claim_time(claims, LK_CLAIM_EXP), iat = claim_time(claims, LK_CLAIM_IAT);
	int64_t nbf = claim_time(claims, LK_CLAIM_NBF);

	*why = "iss is not the configured issuer";
	if (!iss || strcmp(iss, c->issuer) != 0)
		return false;
	*why = "the client is not its audience";
	if (!audience_ok(claims, c->client_id))
		return false;
	*why = "it has expired or has no exp";
	if (exp < 0 || now >= exp + LK_UPSTREAM_SKEW_SECONDS)
		return false;
	*why = "iat is missing or in the future";
	if (iat < 0 || iat > now + LK_UPSTREAM_SKEW_SECONDS)
		return false;
	*why = "nbf is in the future";
	if (json_object_get(claims, LK_CLAIM_NBF) &&
	    (nbf < 0 || nbf > now + LK_UPSTREAM_SKEW_SECONDS))
		return false;
	*why = "the nonce does not match";
	if (!got_nonce || !lk_ct_equal(got_nonce, strlen(got_nonce), nonce, strlen(nonce)))
		return false;
	*why = "sub is missing or not acceptable";
	return sub && *sub;
}

/* Sets *dst to a copy of the claim, or keeps what it has when the claim is absent. */
static enum lk_err take(char **dst, const json_t *claims, const char *name)
{
	const char *v = claim_str(claims, name);
	char *copy;

	if (!v && *dst)
		return LK_OK;
	copy = strdup(v ? v : "");
	if (!copy)
		return LK_ENOMEM;
	free(*dst);
	*dst = copy;
	return LK_OK;
}

/* Fills the identity claims of id from claims, keeping those it has that claims lacks. */
static enum lk_err take_claims(struct lk_upstream_identity *id, const json_t *claims)
{
	enum lk_err err = take(&id->email, claims, LK_CLAIM_EMAIL);

	if (!err)
		err = take(&id->preferred_username, claims, LK_CLAIM_PREFERRED_USERNAME);
	if (!err)
		err = take(&id->name, claims, LK_CLAIM_NAME);
	if (!err)
		err = take(&id->given_name, claims, LK_CLAIM_GIVEN_NAME);
	if (!err)
		err = take(&id->family_name, claims, LK_CLAIM_FAMILY_NAME);
	if (!err && json_object_get(claims, LK_CLAIM_EMAIL_VERIFIED))
		id->email_verified = json_is_true(json_object_get(claims, LK_CLAIM_EMAIL_VERIFIED));
	return err;
}

/* The signature, with one refetch of the key set for an unknown kid. */
static enum lk_err verify_signature(struct lk_upstreams *u, int i, const char *token,
				    const struct lk_jwt_header *hdr, int64_t now, json_t **claims)
{
	char *jwks = NULL;
	enum lk_err err = lk_up_jwks_get(u, i, now, false, &jwks);

	if (!err)
		err = try_keys(jwks, token, hdr, claims);
	if (err == LK_ENOTFOUND) {
		free(jwks);
		jwks = NULL;
		err = lk_up_jwks_get(u, i, now, true, &jwks);
		if (err == LK_EBUSY)
			err = LK_ENOTFOUND;
		else if (!err)
			err = try_keys(jwks, token, hdr, claims);
	}
	free(jwks);
	return err;
}

enum lk_err lk_upstream_verify_id_token(struct lk_upstreams *u, const char *name,
					const char *id_token, const char *nonce, int64_t now,
					struct lk_upstream_identity *out)
{
	struct lk_upstream_identity id = {0};
	const struct lk_upstream_config *c;
	struct lk_jwt_header hdr;
	json_t *claims = NULL;
	const char *why = "it is not a signed JWT";
	int i = lk_up_index(u, name);
	enum lk_err err = LK_ENOTFOUND;

	if (i < 0)
		goto out;
	c = lk_up_config(u, i);
	err = LK_EINVAL;
	if (!id_token || !nonce || !*nonce || !out)
		goto out;
	/* The algorithm is refused before any key set is fetched. */
	err = LK_EDENIED;
	if (lk_jwt_peek_header(id_token, strlen(id_token), &hdr) != LK_OK)
		goto denied;
	why = "its algorithm is not RS256, PS256 or ES256";
	if (!alg_accepted(hdr.alg))
		goto denied;
	err = verify_signature(u, i, id_token, &hdr, now, &claims);
	why = err == LK_ENOTFOUND ? "no key of the upstream's JWKS has its kid"
				  : "its signature does not verify";
	if (err == LK_ENOTFOUND || err == LK_EDENIED) {
		err = LK_EDENIED;
		goto denied;
	}
	if (err)
		goto out;
	err = LK_EDENIED;
	if (!claims_ok(c, claims, nonce, now, &why))
		goto denied;
	err = LK_ENOMEM;
	id.issuer = strdup(c->issuer);
	id.subject = strdup(claim_str(claims, LK_CLAIM_SUB));
	if (!id.issuer || !id.subject || take_claims(&id, claims) != LK_OK)
		goto out;
	*out = id;
	memset(&id, 0, sizeof(id));
	err = LK_OK;
	goto out;
denied:
	lk_warn("upstream %s: ID token refused: %s", name, why);
out:
	json_decref(claims);
	lk_upstream_identity_release(&id);
	return err;
}

/* RFC 4648 §4 base64 of n bytes into out (4 * ceil(n / 3) + 1 bytes). */
static void base64(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = abc[in[i] >> 2];
		out[o++] = abc[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = abc[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = abc[in[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = abc[in[i] >> 2];
		if (i + 1 < n) {
			out[o++] = abc[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			out[o++] = abc[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = abc[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
}

/*
 * RFC 6749 §2.3.1: "Basic " and the base64 of the form-urlencoded client_id
 * and secret joined by ':'. A new string the caller frees with
 * lk_free_secret.
 */
static enum lk_err basic_auth(const struct lk_upstream_config *c, char **out)
{
	struct lk_buf pair;
	char *hdr = NULL;
	enum lk_err err;

	lk_buf_init(&pair, FORM_MAX);
	err = lk_buf_addurl(&pair, c->client_id);
	if (!err)
		err = lk_buf_addc(&pair, ':');
	if (!err)
		err = lk_buf_addurl(&pair, c->client_secret);
	if (!err) {
		hdr = malloc(6 + 4 * ((pair.len + 2) / 3) + 1);
		err = hdr ? LK_OK : LK_ENOMEM;
	}
	if (!err) {
		memcpy(hdr, "Basic ", 6);
		base64((const unsigned char *)lk_buf_str(&pair), pair.len, hdr + 6);
		*out = hdr;
	}
	lk_buf_wipe(&pair);
	return err;
}

/* Appends "&name=value" (no '&' first), value form-urlencoded. */
static enum lk_err form_add(struct lk_buf *b, const char *name, const char *value)
{
	enum lk_err err = lk_buf_addf(b, "%s%s=", b->len ? "&" : "", name);

	return err ? err : lk_buf_addurl(b, value);
}

/* The token request's body and, for client_secret_basic, its Authorization header. */
static enum lk_err token_request(const struct lk_upstream_config *c,
				 const struct lk_up_discovery *d, const char *redirect_uri,
				 const char *code, const struct lk_upstream_secrets *sec,
				 struct lk_buf *form, char **auth)
{
	bool secret = c->client_secret && *c->client_secret;
	enum lk_err err = form_add(form, LK_P_GRANT_TYPE, LK_GT_AUTHORIZATION_CODE);

	if (!err)
		err = form_add(form, LK_P_CODE, code);
	if (!err)
		err = form_add(form, LK_P_REDIRECT_URI, redirect_uri);
	if (!err)
		err = form_add(form, LK_P_CODE_VERIFIER, sec->verifier);
	/* A client without a secret is public: it names itself in the body (§2.3.1, §3.2.1). */
	if (!err && (!secret || d->auth_post))
		err = form_add(form, LK_CM_CLIENT_ID, c->client_id);
	if (!err && secret && d->auth_post)
		err = form_add(form, LK_CM_CLIENT_SECRET, c->client_secret);
	if (!err && secret && !d->auth_post)
		err = basic_auth(c, auth);
	return err;
}

/* Logs the error code of an upstream's error answer (RFC 6749 §5.2), never more. */
static void log_error_answer(const char *name, const char *what,
			     const struct lk_outbound_response *res)
{
	json_t *doc = json_loadb(res->body, res->len, 0, NULL);
	const char *code = claim_str(doc, LK_P_ERROR);
	char safe[65];

	snprintf(safe, sizeof(safe), "%s", code ? code : "(none)");
	lk_warn("upstream %s: %s answered %ld, error %s", name, what, res->status, safe);
	json_decref(doc);
}

/*
 * Sends req and parses the body of a 200 answer into *doc (NULL when it is
 * not JSON; the caller frees both res and *doc). LK_EIO when the request
 * fails or another status comes back (logged, naming what).
 */
static enum lk_err fetch_json(struct lk_upstreams *u, const char *name, const char *what,
			      const struct lk_outbound_request *req,
			      struct lk_outbound_response *res, json_t **doc)
{
	if (lk_up_fetch(u, req, res) != LK_OK)
		return LK_EIO;
	if (res->status != 200) {
		log_error_answer(name, what, res);
		return LK_EIO;
	}
	*doc = json_loadb(res->body, res->len, JSON_REJECT_DUPLICATES, NULL);
	return LK_OK;
}

/*
 * Posts the token request and takes the ID token and access token of the
 * answer (new strings, freed with lk_free_secret).
 */
static enum lk_err redeem_code(struct lk_upstreams *u, const struct lk_upstream_config *c,
			       const struct lk_up_discovery *d, const char *redirect_uri,
			       const char *code, const struct lk_upstream_secrets *sec,
			       char **id_token, char **access_token)
{
	struct lk_outbound_response res = {0};
	struct lk_outbound_request req = {.url = d->token_endpoint};
	struct lk_buf form;
	char *auth = NULL;
	json_t *doc = NULL;
	const char *idt, *at;
	enum lk_err err;

	lk_buf_init(&form, FORM_MAX);
	err = token_request(c, d, redirect_uri, code, sec, &form, &auth);
	if (err)
		goto out;
	req.form = lk_buf_str(&form);
	req.authorization = auth;
	err = fetch_json(u, c->name, "the token endpoint", &req, &res, &doc);
	if (err)
		goto out;
	err = LK_EPARSE;
	idt = json_string_value(json_object_get(doc, LK_TR_ID_TOKEN));
	at = json_string_value(json_object_get(doc, LK_TR_ACCESS_TOKEN));
	if (!idt || strlen(idt) > LK_JWT_MAX) {
		lk_warn("upstream %s: the token answer has no usable id_token", c->name);
		goto out;
	}
	err = LK_ENOMEM;
	*id_token = strdup(idt);
	*access_token = strdup(at ? at : "");
	if (!*id_token || !*access_token) {
		lk_free_secret(*id_token);
		lk_free_secret(*access_token);
		*id_token = *access_token = NULL;
		goto out;
	}
	err = LK_OK;
out:
	if (doc) {
		/* The answer held tokens: jansson's copies are not zeroed, so drop them early. */
		json_object_clear(doc);
		json_decref(doc);
	}
	lk_outbound_response_release(&res);
	lk_buf_wipe(&form);
	lk_free_secret(auth);
	return err;
}

/* Core §5.3: the userinfo answer, whose sub must be the ID token's. */
static enum lk_err read_userinfo(struct lk_upstreams *u, const struct lk_upstream_config *c,
				 const struct lk_up_discovery *d, const char *access_token,
				 struct lk_upstream_identity *id)
{
	struct lk_outbound_response res = {0};
	struct lk_outbound_request req = {.url = d->userinfo_endpoint};
	json_t *doc = NULL;
	const char *sub;
	char *auth = NULL;
	size_t n = strlen(LK_IR_BEARER) + 1 + strlen(access_token) + 1;
	enum lk_err err = LK_ENOMEM;

	auth = malloc(n);
	if (!auth)
		goto out;
	snprintf(auth, n, "%s %s", LK_IR_BEARER, access_token);
	req.authorization = auth;
	err = fetch_json(u, c->name, "the userinfo endpoint", &req, &res, &doc);
	if (err)
		goto out;
	err = LK_EPARSE;
	sub = json_string_value(json_object_get(doc, LK_CLAIM_SUB));
	if (strcmp(res.content_type, "application/json") != 0 || !json_is_object(doc) || !sub ||
	    strcmp(sub, id->subject) != 0) {
		lk_warn("upstream %s: the userinfo answer is not JSON of the same sub", c->name);
		goto out;
	}
	err = take_claims(id, doc);
out:
	json_decref(doc);
	lk_outbound_response_release(&res);
	lk_free_secret(auth);
	return err;
}

enum lk_err lk_upstream_redeem(struct lk_upstreams *u, const char *name, const char *redirect_uri,
			       const char *code, const struct lk_upstream_secrets *sec, int64_t now,
			       struct lk_upstream_identity *out)
{
	struct lk_upstream_identity id = {0};
	struct lk_up_discovery d = {0};
	char *id_token = NULL, *access_token = NULL;
	int i = lk_up_index(u, name);
	enum lk_err err = LK_ENOTFOUND;

	if (i < 0)
		goto out;
	err = LK_EINVAL;
	if (!redirect_uri || !code || !*code || !sec || !out)
		goto out;
	err = lk_up_discovery_get(u, i, now, &d);
	if (!err)
		err = redeem_code(u, lk_up_config(u, i), &d, redirect_uri, code, sec, &id_token,
				  &access_token);
	if (!err)
		err = lk_upstream_verify_id_token(u, name, id_token, sec->nonce, now, &id);
	if (!err && d.userinfo_endpoint[0] && access_token[0])
		err = read_userinfo(u, lk_up_config(u, i), &d, access_token, &id);
	if (err)
		goto out;
	*out = id;
	memset(&id, 0, sizeof(id));
out:
	lk_upstream_identity_release(&id);
	lk_up_discovery_release(&d);
	lk_free_secret(id_token);
	lk_free_secret(access_token);
	return err;
}
