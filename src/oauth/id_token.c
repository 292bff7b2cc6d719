#include "oauth/id_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "jose/jwt_verify.h"

#include "core/secure.h"
#include "oauth/params.h"
#include "oauth/tokens.h"
#include "oauth/userinfo.h"

/* An ID token says who signed in; it is not a credential to keep for long. */
#define ID_TOKEN_MAX_LIFETIME 3600

/* Core §3.1.3.6: base64url of the left half of the hash (SHA-256 for every alg here). */
static void at_hash(const char *token, char out[32])
{
	uint8_t digest[LK_SHA256_LEN];

	lk_sha256(token, strlen(token), digest);
	out[lk_b64url_encode(digest, LK_SHA256_LEN / 2, out)] = '\0';
}

static json_t *word_array(const char *list)
{
	json_t *a = json_array();

	for (const char *p = list; a && *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n && json_array_append_new(a, json_stringn(p, n)) != 0) {
			json_decref(a);
			return NULL;
		}
		p += n;
	}
	return a;
}

enum lk_err lk_id_token_issue(const struct lk_config *cfg, const struct lk_keyring *kr,
			      const struct lk_client *client, const struct lk_id_token_claims *c,
			      int64_t now, char **out)
{
	int64_t lifetime = lk_access_token_lifetime(cfg, client);
	char sub[24], hash[32];
	const char *alg =
		client->app.id_token_alg[0] ? client->app.id_token_alg : cfg->id_token_alg;
	json_t *o;
	char *text = NULL;
	enum lk_err err = LK_ENOMEM;

	if (lifetime <= 0 || lifetime > ID_TOKEN_MAX_LIFETIME)
		lifetime = ID_TOKEN_MAX_LIFETIME;
	snprintf(sub, sizeof(sub), "%lld", (long long)c->user_id);
	o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", LK_CLAIM_ISS, cfg->issuer, LK_CLAIM_SUB, sub,
		      LK_CLAIM_AUD, client->app.client_id, LK_CLAIM_IAT, (json_int_t)now,
		      LK_CLAIM_EXP, (json_int_t)(now + lifetime), LK_CLAIM_AUTH_TIME,
		      (json_int_t)c->auth_time);
	if (!o)
		return LK_ENOMEM;
	if (c->nonce && *c->nonce &&
	    json_object_set_new(o, LK_CLAIM_NONCE, json_string(c->nonce)) != 0)
		goto out;
	if (c->sid && *c->sid && json_object_set_new(o, LK_CLAIM_SID, json_string(c->sid)) != 0)
		goto out;
	if (c->amr && *c->amr && json_object_set_new(o, LK_CLAIM_AMR, word_array(c->amr)) != 0)
		goto out;
	if (c->access_token) {
		at_hash(c->access_token, hash);
		if (json_object_set_new(o, LK_CLAIM_AT_HASH, json_string(hash)) != 0)
			goto out;
	}
	if (c->user && c->user_claims &&
	    lk_userinfo_add_claims(o, cfg, c->user, c->user_claims) != LK_OK)
		goto out;
	text = json_dumps(o, JSON_COMPACT);
	if (!text)
		goto out;
	err = lk_jwt_sign(kr, alg, NULL, text, strlen(text), out);
out:
	free(text);
	json_decref(o);
	return err;
}

/* A user id in decimal (lk_id_token_issue writes sub so), or 0. */
static int64_t user_id_of(const char *sub)
{
	char *end = NULL;
	long long id;

	if (!sub || *sub < '1' || *sub > '9' || strlen(sub) > 19)
		return 0;
	id = strtoll(sub, &end, 10);
	return *end || id <= 0 ? 0 : (int64_t)id;
}

enum lk_err lk_id_token_hint(const struct lk_config *cfg, const struct lk_keyring *kr,
			     const char *hint, int64_t *user_id, void **claims)
{
	struct lk_jwt_header hdr;
	void *payload = NULL;
	const json_t *iss;
	int64_t id;
	enum lk_err err;

	if (!kr || !hint || strlen(hint) > LK_JWT_MAX)
		return LK_EDENIED;
	err = lk_jwt_verify_keyring(kr, hint, strlen(hint), &hdr, &payload);
	if (err)
		return err == LK_ENOMEM ? LK_ENOMEM : LK_EDENIED;
	iss = json_object_get(payload, LK_CLAIM_ISS);
	id = user_id_of(json_string_value(json_object_get(payload, LK_CLAIM_SUB)));
	if (strcasecmp(hdr.typ, LK_TYP_AT_JWT) == 0 ||
	    strcasecmp(hdr.typ, LK_TYP_AT_JWT_MEDIA) == 0 || !json_is_string(iss) ||
	    strcmp(json_string_value(iss), cfg->issuer) != 0 || !id) {
		json_decref(payload);
		return LK_EDENIED;
	}
	*user_id = id;
	*claims = payload;
	return LK_OK;
}
