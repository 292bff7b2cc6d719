/*
 * Issuing access tokens. A JWT (RFC 9068) is built and signed in memory with
 * the keyring snapshot: no disk. An opaque token is 256 random bits behind
 * the lk_at_ prefix, and only its SHA-256 is stored, so that a copy of the
 * database does not hold usable tokens.
 */
#include "oauth/tokens.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/secure.h"
#include "oauth/params.h"

/* 128 random bits make a jti that never repeats by chance. */
#define JTI_BYTES 16

bool lk_access_token_opaque(const struct lk_client *client)
{
	const struct lk_app *a = &client->app;

	return a->token_format == LK_FORMAT_OPAQUE || a->lifecycle == LK_LIFECYCLE_SLIDING ||
	       a->lifetime == LK_LIFETIME_NEVER || a->grant == LK_GRANT_BEARER_TOKEN;
}

int64_t lk_access_token_lifetime(const struct lk_config *cfg, const struct lk_client *client)
{
	int minutes = client->app.lifetime;

	if (minutes == LK_LIFETIME_NEVER)
		return 0;
	if (minutes <= 0)
		minutes = cfg->access_lifetime;
	return (int64_t)minutes * 60;
}

/* The app's audience, else [tokens] audience, else NULL. */
static const char *set_audience(const struct lk_config *cfg, const struct lk_client *client)
{
	if (client->app.audience && *client->app.audience)
		return client->app.audience;
	if (cfg->audience && *cfg->audience)
		return cfg->audience;
	return NULL;
}

/* DESIGN §1: the app's audience, else [tokens] audience, else the issuer. */
static const char *audience(const struct lk_config *cfg, const struct lk_client *client)
{
	const char *aud = set_audience(cfg, client);

	return aud ? aud : cfg->issuer;
}

enum lk_err lk_grant_id_new(char out[LK_GRANT_ID_MAX])
{
	return lk_random_id(out, LK_GRANT_ID_MAX, 16);
}

static enum lk_err new_jti(char out[LK_JTI_MAX])
{
	return lk_random_id(out, LK_JTI_MAX, JTI_BYTES);
}

/* RFC 9068 §2.2 claims, §2.1 header typ "at+jwt", signed with [tokens] access_alg. */
static enum lk_err issue_jwt(const struct lk_token_env *env, const struct lk_client *client,
			     const char *subject, const char *scope, int64_t lifetime,
			     struct lk_access_token *t)
{
	json_t *claims;
	char *text = NULL;
	enum lk_err err;

	if (!env->keyring)
		return LK_ENOTFOUND;
	claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", LK_CLAIM_ISS, env->cfg->issuer,
			   LK_CLAIM_SUB, subject, LK_CLAIM_AUD, audience(env->cfg, client),
			   LK_CLAIM_CLIENT_ID, client->app.client_id, LK_CLAIM_SCOPE, scope,
			   LK_CLAIM_IAT, (json_int_t)env->now, LK_CLAIM_JTI, t->jti);
	/* A JWT that never expires is not issued (such apps are opaque), but be safe. */
	if (claims && lifetime &&
	    json_object_set_new(claims, LK_CLAIM_EXP, json_integer(env->now + lifetime)) != 0) {
		json_decref(claims);
		claims = NULL;
	}
	if (claims)
		text = json_dumps(claims, JSON_COMPACT);
	json_decref(claims);
	if (!text)
		return LK_ENOMEM;
	err = lk_jwt_sign(env->keyring, env->cfg->access_alg, LK_TYP_AT_JWT, text, strlen(text),
			  &t->token);
	free(text);
	return err;
}

/* A copy of rec whose strings are malloc'd, for env->unstored. */
static enum lk_err keep_record(const struct lk_token_record *rec, struct lk_token_record *out)
{
	struct lk_token_record k = *rec;

	k.jti = strdup(rec->jti);
	k.client_id = strdup(rec->client_id);
	k.subject = strdup(rec->subject);
	k.scope = strdup(rec->scope);
	k.audience = strdup(rec->audience ? rec->audience : "");
	k.grant_id = strdup(rec->grant_id ? rec->grant_id : "");
	if (!k.jti || !k.client_id || !k.subject || !k.scope || !k.audience || !k.grant_id) {
		lk_token_record_release(&k);
		return LK_ENOMEM;
	}
	*out = k;
	return LK_OK;
}

/* An lk_at_ reference token, stored as its SHA-256 before it is handed out. */
static enum lk_err issue_opaque(const struct lk_token_env *env, const struct lk_client *client,
				const char *subject, const char *scope, int64_t lifetime,
				struct lk_access_token *t)
{
	char value[LK_TOKEN_MAX];
	struct lk_token_record rec = {
		.jti = t->jti,
		.client_id = client->app.client_id,
		.subject = (char *)subject,
		.scope = (char *)scope,
		/*
		 * No audience is stored as "", which inspection reads as the
		 * issuer: `latchkey app token` may not know the server's issuer.
		 */
		.audience = (char *)set_audience(env->cfg, client),
		.issued_at = env->now,
		.expires_at = lifetime ? env->now + lifetime : 0,
		/* DESIGN §1: each use of a sliding token moves its expiry to now + lifetime. */
		.sliding_seconds = client->app.lifecycle == LK_LIFECYCLE_SLIDING ? lifetime : 0,
		.grant_id = (char *)env->grant_id,
	};
	enum lk_err err;

	if (!env->store && !env->unstored)
		return LK_EINVAL;
	err = lk_token_new(LK_TOKEN_ACCESS, value);
	if (err)
		goto out;
	lk_sha256(value, strlen(value), rec.hash);
	t->token = strdup(value);
	if (!t->token)
		err = LK_ENOMEM;
	else if (env->unstored)
		err = keep_record(&rec, env->unstored);
	else
		err = lk_store_token_insert(env->store, &rec);
	if (err) {
		lk_free_secret(t->token);
		t->token = NULL;
	}
out:
	lk_wipe(value, sizeof(value));
	lk_wipe(rec.hash, sizeof(rec.hash));
	return err;
}

enum lk_err lk_access_token_issue(const struct lk_token_env *env, const struct lk_client *client,
				  const char *subject, const char *scope,
				  struct lk_access_token *out)
{
	struct lk_access_token t = {0};
	int64_t lifetime;
	enum lk_err err;

	if (!env || !env->cfg || !client || !subject || !*subject || !scope)
		return LK_EINVAL;
	lifetime = lk_access_token_lifetime(env->cfg, client);
	err = new_jti(t.jti);
	if (err)
		return err;
	t.jwt = !lk_access_token_opaque(client);
	t.expires_in = lifetime ? lifetime : -1;
	t.scope = strdup(scope);
	if (!t.scope)
		return LK_ENOMEM;
	if (t.jwt)
		err = issue_jwt(env, client, subject, scope, lifetime, &t);
	else
		err = issue_opaque(env, client, subject, scope, lifetime, &t);
	/* A JWT cannot be marked in place, so its id is filed under its grant. */
	if (!err && t.jwt && env->grant_id)
		err = env->store ? lk_store_grant_jti_add(env->store, env->grant_id, env->user_id,
							  t.jti, env->now + lifetime)
				 : LK_EINVAL;
	if (err) {
		lk_access_token_release(&t);
		return err;
	}
	*out = t;
	return LK_OK;
}

void lk_access_token_release(struct lk_access_token *t)
{
	if (!t)
		return;
	lk_free_secret(t->token);
	free(t->scope);
	lk_wipe(t, sizeof(*t));
}

void lk_token_response(struct lk_response *res, const struct lk_access_token *t,
		       const char *refresh_token, const char *id_token)
{
	json_t *o = json_pack("{s:s, s:s}", LK_TR_ACCESS_TOKEN, t->token, LK_IR_TOKEN_TYPE,
			      LK_IR_BEARER);

	/* RFC 6749 §5.1: expires_in is left out for a token that never expires. */
	if (o && t->expires_in >= 0)
		json_object_set_new(o, LK_TR_EXPIRES_IN, json_integer(t->expires_in));
	if (o && t->scope)
		json_object_set_new(o, LK_TR_SCOPE, json_string(t->scope));
	if (o && refresh_token)
		json_object_set_new(o, LK_TR_REFRESH_TOKEN, json_string(refresh_token));
	if (o && id_token)
		json_object_set_new(o, LK_TR_ID_TOKEN, json_string(id_token));
	/* lk_res_json_value wipes the serialised text; NULL answers 500. */
	lk_res_json_value(res, 200, o);
	lk_res_no_store(res);
}
