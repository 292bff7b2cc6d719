/*
 * Deciding whether an access token is active (RFC 7662 §2.2, RFC 9068 §4)
 * and revoking one (RFC 7009 §2.1), for both formats latchkey issues.
 *
 * A JWT costs no disk but one indexed read of the revoked-jti table: the
 * signature is checked against the keyring snapshot and the application
 * against the clients snapshot, both in memory. An opaque token is one read
 * by its SHA-256 (and, for a sliding token, at most one write every
 * LK_SLIDE_BATCH seconds).
 *
 * Nothing here logs a token: a failure says only what kind of failure it was.
 */
#include "oauth/inspect.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/log.h"
#include "core/secure.h"
#include "jose/jwt_verify.h"
#include "oauth/params.h"

/* A NumericDate past this is not one we issued (year 33658). */
#define TIME_MAX ((int64_t)1 << 40)

void lk_token_info_release(struct lk_token_info *t)
{
	if (!t)
		return;
	free(t->client_id);
	free(t->subject);
	free(t->scope);
	free(t->audience);
	free(t->issuer);
	free(t->jti);
	memset(t, 0, sizeof(*t));
}

/* The number of '.' in the token: a compact JWS has exactly two. */
static size_t count_dots(const char *token, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += token[i] == '.';
	return n;
}

/* An opaque access token: the lk_at_ prefix and 256 random bits in base64url. */
static bool opaque_shape(const char *token, size_t len)
{
	return lk_token_has_kind(token, LK_TOKEN_ACCESS) &&
	       len == strlen(lk_token_prefix(LK_TOKEN_ACCESS)) + LK_TOKEN_B64_LEN;
}

/*
 * A string claim, or NULL when it is absent, not a string, or holds a NUL
 * (which would make C comparisons see a different value than the JSON).
 */
static const char *claim_str(const json_t *claims, const char *name)
{
	const json_t *v = json_object_get(claims, name);

	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

/*
 * A NumericDate claim (RFC 7519 §2) in whole seconds. false when absent or
 * not a non-negative number in range; a fraction is dropped.
 */
static bool claim_time(const json_t *claims, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(claims, name);
	double d;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > TIME_MAX)
			return false;
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!(d >= 0 && d <= (double)TIME_MAX))
		return false;
	*out = (int64_t)d;
	return true;
}

/* RFC 9068 §4: typ is "at+jwt" (or the full media type), compared without case. */
static bool typ_ok(const char *typ)
{
	return strcasecmp(typ, LK_TYP_AT_JWT) == 0 || strcasecmp(typ, LK_TYP_AT_JWT_MEDIA) == 0;
}

/*
 * DESIGN §1: the tokens of a removed or disabled application, or of one whose
 * bound user is disabled, are inactive at once. The snapshot is reloaded
 * within seconds of a change, so this takes effect within 5 s everywhere.
 */
static bool client_active(const struct lk_inspect_env *env, const char *client_id)
{
	const struct lk_client *c = lk_clients_find(env->clients, client_id);

	return c && c->app.enabled && c->user_ok;
}

/*
 * A token a user delegated (its subject is not the application's own) is
 * inactive once that user is disabled or removed (DESIGN §5). One indexed
 * read, only for such tokens.
 */
static enum lk_err subject_active(const struct lk_inspect_env *env, const char *client_id,
				  const char *sub, bool *active)
{
	const struct lk_client *c = lk_clients_find(env->clients, client_id);
	struct lk_user u = {0};
	char *end;
	long long id;
	enum lk_err err;

	*active = false;
	if (!c || strcmp(sub, c->subject) == 0) {
		*active = c != NULL;
		return LK_OK;
	}
	id = strtoll(sub, &end, 10);
	if (*sub < '1' || *sub > '9' || *end || id <= 0)
		return LK_OK;
	err = lk_store_user_get(env->store, (int64_t)id, &u);
	if (err == LK_ENOTFOUND)
		return LK_OK;
	if (!err)
		*active = u.enabled;
	lk_user_release(&u);
	return err;
}

/* Copies the strings of an active token into t; "" for NULL. */
static enum lk_err info_strings(struct lk_token_info *t, const char *client_id, const char *sub,
				const char *scope, const char *aud, const char *iss,
				const char *jti)
{
	t->client_id = strdup(client_id ? client_id : "");
	t->subject = strdup(sub ? sub : "");
	t->scope = strdup(scope ? scope : "");
	t->audience = strdup(aud ? aud : "");
	t->issuer = strdup(iss ? iss : "");
	t->jti = strdup(jti ? jti : "");
	if (t->client_id && t->subject && t->scope && t->audience && t->issuer && t->jti)
		return LK_OK;
	lk_token_info_release(t);
	return LK_ENOMEM;
}

/*
 * Verifies a JWT access token of ours: signature by a published key with its
 * own algorithm, typ at+jwt, and iss this issuer. *claims (json_decref it)
 * only on LK_OK; LK_EDENIED for anything that is not such a token.
 */
static enum lk_err verify_jwt(const struct lk_inspect_env *env, const char *token, size_t len,
			      json_t **claims)
{
	struct lk_jwt_header hdr;
	void *payload = NULL;
	const char *iss;
	enum lk_err err = lk_jwt_verify_keyring(env->keyring, token, len, &hdr, &payload);

	if (err) {
		err = err == LK_ENOMEM ? LK_ENOMEM : LK_EDENIED;
		goto out;
	}
	iss = claim_str(payload, LK_CLAIM_ISS);
	if (!typ_ok(hdr.typ) || !iss || strcmp(iss, env->cfg->issuer) != 0) {
		err = LK_EDENIED;
		goto out;
	}
	*claims = payload;
	payload = NULL;
out:
	json_decref(payload);
	return err;
}

/*
 * Whether the revoked-jti table names jti. An id the store refuses (too long)
 * was never recorded; only a database failure is an error.
 */
static enum lk_err jti_revoked(struct lk_store *s, const char *jti, bool *revoked)
{
	bool r = true;
	enum lk_err err = lk_store_jti_revoked(s, jti, &r);

	if (err == LK_EINVAL || err == LK_ETOOBIG) {
		*revoked = true;
		return LK_OK;
	}
	if (!err)
		*revoked = r;
	return err;
}

static enum lk_err inspect_jwt(const struct lk_inspect_env *env, const char *token, size_t len,
			       struct lk_token_info *out)
{
	json_t *claims = NULL;
	const char *client_id, *sub, *jti;
	int64_t exp = 0, nbf = 0, iat = 0;
	bool revoked = true, alive = false;
	enum lk_err err = verify_jwt(env, token, len, &claims);

	if (err) {
		err = err == LK_EDENIED ? LK_OK : err;
		goto out;
	}
	client_id = claim_str(claims, LK_CLAIM_CLIENT_ID);
	sub = claim_str(claims, LK_CLAIM_SUB);
	jti = claim_str(claims, LK_CLAIM_JTI);
	/* RFC 9068 §2.2: exp, sub, client_id and jti are required. */
	if (!client_id || !sub || !jti || !*jti || !claim_time(claims, LK_CLAIM_EXP, &exp) ||
	    exp <= env->now)
		goto out;
	if (json_object_get(claims, LK_CLAIM_NBF) &&
	    (!claim_time(claims, LK_CLAIM_NBF, &nbf) || nbf > env->now))
		goto out;
	if (!client_active(env, client_id))
		goto out;
	err = subject_active(env, client_id, sub, &alive);
	if (err || !alive)
		goto out;
	/* One indexed read for every JWT (RFC 7009 revocation). */
	err = jti_revoked(env->store, jti, &revoked);
	if (err || revoked)
		goto out;
	if (!claim_time(claims, LK_CLAIM_IAT, &iat))
		iat = 0;
	err = info_strings(out, client_id, sub, claim_str(claims, LK_CLAIM_SCOPE),
			   claim_str(claims, LK_CLAIM_AUD), env->cfg->issuer, jti);
	if (err)
		goto out;
	out->active = true;
	out->jwt = true;
	out->issued_at = iat;
	out->expires_at = exp;
out:
	json_decref(claims);
	return err;
}

/*
 * The sliding life cycle (DESIGN §1): each use moves the expiry to now + the
 * token's lifetime. The write is made only when it moves the stored expiry by
 * more than LK_SLIDE_BATCH (5) seconds, so a token used on every request costs
 * at most one write every 5 s instead of one per use. Returns the expiry the
 * store holds afterwards: a resource server that caches the answer must never
 * believe a token lives longer than it does. A failed write is logged and the
 * token stays active with its old expiry.
 */
static int64_t slide(const struct lk_inspect_env *env, const uint8_t hash[LK_SHA256_LEN],
		     const struct lk_token_record *rec)
{
	int64_t want;
	enum lk_err err;

	if (rec->sliding_seconds <= 0 || rec->expires_at == 0 || rec->sliding_seconds > TIME_MAX ||
	    env->now > TIME_MAX)
		return rec->expires_at;
	want = env->now + rec->sliding_seconds;
	if (want - rec->expires_at <= LK_SLIDE_BATCH)
		return rec->expires_at;
	err = lk_store_token_extend(env->store, hash, want);
	if (err) {
		lk_warn("cannot extend a sliding access token: %s", lk_err_str(err));
		return rec->expires_at;
	}
	return want;
}

/* The audience of a token stored without one: [tokens] audience, else the issuer. */
static const char *default_audience(const struct lk_config *cfg)
{
	return cfg->audience && *cfg->audience ? cfg->audience : cfg->issuer;
}

static enum lk_err inspect_opaque(const struct lk_inspect_env *env, const char *token, size_t len,
				  struct lk_token_info *out)
{
	struct lk_token_record rec = {0};
	uint8_t hash[LK_SHA256_LEN];
	int64_t exp;
	bool alive;
	enum lk_err err;

	lk_sha256(token, len, hash);
	err = lk_store_token_get(env->store, hash, &rec);
	if (err) {
		err = err == LK_ENOTFOUND ? LK_OK : err;
		goto out;
	}
	if (rec.revoked || (rec.expires_at != 0 && rec.expires_at <= env->now) ||
	    !client_active(env, rec.client_id))
		goto out;
	err = subject_active(env, rec.client_id, rec.subject, &alive);
	if (err || !alive)
		goto out;
	exp = slide(env, hash, &rec);
	err = info_strings(out, rec.client_id, rec.subject, rec.scope,
			   *rec.audience ? rec.audience : default_audience(env->cfg),
			   env->cfg->issuer, rec.jti);
	if (err)
		goto out;
	out->active = true;
	out->jwt = false;
	out->issued_at = rec.issued_at;
	out->expires_at = exp;
out:
	lk_token_record_release(&rec);
	return err;
}

static bool env_ok(const struct lk_inspect_env *env)
{
	return env && env->cfg && env->keyring && env->clients && env->store;
}

/*
 * The length of a token worth looking at: 0 for NULL, empty or longer than
 * LK_INSPECT_TOKEN_MAX, which are simply not tokens of ours.
 */
static size_t token_len(const char *token)
{
	size_t len = token ? strnlen(token, LK_INSPECT_TOKEN_MAX + 1) : 0;

	return len > LK_INSPECT_TOKEN_MAX ? 0 : len;
}

enum lk_err lk_token_inspect(const struct lk_inspect_env *env, const char *token,
			     struct lk_token_info *out)
{
	struct lk_token_info t = {0};
	size_t len = token_len(token);
	enum lk_err err = LK_OK;

	if (!env_ok(env) || !out)
		return LK_EINVAL;
	if (len && count_dots(token, len) == 2)
		err = inspect_jwt(env, token, len, &t);
	else if (len && opaque_shape(token, len))
		err = inspect_opaque(env, token, len, &t);
	if (err) {
		lk_token_info_release(&t);
		return err;
	}
	*out = t;
	return LK_OK;
}

/*
 * RFC 7009 §2.1: a JWT is revoked only for the client it was issued to; its
 * jti is remembered until exp, after which the token is invalid anyway, so an
 * already expired token needs nothing.
 */
static enum lk_err revoke_jwt(const struct lk_inspect_env *env, const char *token, size_t len,
			      const char *client_id, bool *done)
{
	json_t *claims = NULL;
	const char *owner, *jti;
	int64_t exp = 0;
	enum lk_err err = verify_jwt(env, token, len, &claims);

	if (err) {
		err = err == LK_EDENIED ? LK_OK : err;
		goto out;
	}
	owner = claim_str(claims, LK_CLAIM_CLIENT_ID);
	jti = claim_str(claims, LK_CLAIM_JTI);
	if (!owner || strcmp(owner, client_id) != 0 || !jti || !*jti ||
	    !claim_time(claims, LK_CLAIM_EXP, &exp) || exp <= env->now)
		goto out;
	err = lk_store_jti_revoke(env->store, jti, exp);
	if (err == LK_EINVAL || err == LK_ETOOBIG)
		err = LK_OK; /* not an id we could have issued */
	else if (!err)
		*done = true;
out:
	json_decref(claims);
	return err;
}

/* RFC 7009 §2.1: an opaque token is revoked only for the client it was issued to. */
static enum lk_err revoke_opaque(const struct lk_inspect_env *env, const char *token, size_t len,
				 const char *client_id, bool *done)
{
	struct lk_token_record rec = {0};
	uint8_t hash[LK_SHA256_LEN];
	enum lk_err err;

	lk_sha256(token, len, hash);
	err = lk_store_token_get(env->store, hash, &rec);
	if (err) {
		err = err == LK_ENOTFOUND ? LK_OK : err;
		goto out;
	}
	if (rec.revoked || strcmp(rec.client_id, client_id) != 0)
		goto out;
	err = lk_store_token_revoke(env->store, hash);
	if (err == LK_ENOTFOUND)
		err = LK_OK; /* deleted meanwhile, with its application */
	else if (!err)
		*done = true;
out:
	lk_token_record_release(&rec);
	return err;
}

/*
 * RFC 7009 §2.1: revoking a refresh token of client_id revokes its whole
 * grant, the access tokens issued with it included.
 */
static enum lk_err revoke_refresh(const struct lk_inspect_env *env, const char *token, size_t len,
				  const char *client_id, bool *done)
{
	struct lk_refresh_record rec = {0};
	uint8_t hash[LK_SHA256_LEN];
	enum lk_err err;

	lk_sha256(token, len, hash);
	err = lk_store_refresh_get(env->store, hash, &rec);
	if (err) {
		err = err == LK_ENOTFOUND ? LK_OK : err;
		goto out;
	}
	if (rec.revoked || strcmp(rec.client_id, client_id) != 0)
		goto out;
	err = lk_store_grant_revoke(env->store, rec.family, env->now);
	if (!err)
		*done = true;
out:
	lk_refresh_record_release(&rec);
	return err;
}

static bool refresh_shape(const char *token, size_t len)
{
	return lk_token_has_kind(token, LK_TOKEN_REFRESH) &&
	       len == strlen(lk_token_prefix(LK_TOKEN_REFRESH)) + LK_TOKEN_B64_LEN;
}

enum lk_err lk_token_revoke(const struct lk_inspect_env *env, const char *token,
			    const char *client_id, bool *revoked)
{
	size_t len = token_len(token);
	bool done = false;
	enum lk_err err = LK_OK;

	if (!env_ok(env) || !client_id)
		return LK_EINVAL;
	if (len && count_dots(token, len) == 2)
		err = revoke_jwt(env, token, len, client_id, &done);
	else if (len && opaque_shape(token, len))
		err = revoke_opaque(env, token, len, client_id, &done);
	else if (len && refresh_shape(token, len))
		err = revoke_refresh(env, token, len, client_id, &done);
	if (!err && revoked)
		*revoked = done;
	return err;
}
