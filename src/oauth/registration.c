/*
 * Dynamic client registration (RFC 7591 §3) and the client configuration
 * endpoint (RFC 7592 §2): the steps around the registry service, the
 * registration access tokens, and the responses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/secure.h"
#include "oauth/params.h"
#include "oauth/registration.h"
#include "oauth/scope.h"

/* Scopes that carry power over the server itself (DESIGN §1). */
static const char *const privileged[] = {"admin", LK_DCR_SCOPE};

/* "dcr:" and a client_id, for the audit log. */
#define ACTOR_MAX 160

static void registry_init(struct lk_registry *r, const struct lk_dcr *d, char *actor,
			  const char *client_id)
{
	memset(r, 0, sizeof(*r));
	snprintf(actor, ACTOR_MAX, "dcr:%s", client_id);
	r->store = d->store;
	r->cfg = d->cfg;
	r->actor = actor;
	r->now = d->now;
	r->api_names = true;
}

static enum lk_err server_error(struct lk_oauth_error *e, enum lk_err err)
{
	lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the registration could not be saved");
	return err ? err : LK_EINTERNAL;
}

static enum lk_err invalid_token(struct lk_oauth_error *e)
{
	lk_oauth_fail(e, LK_OAUTH_INVALID_TOKEN,
		      "the registration access token is not valid for this client");
	return LK_EDENIED;
}

/* A refusal of the registry is LK_EINVAL; a failure keeps its error. */
static enum lk_err registry_refused(const struct lk_registry *r, enum lk_err err,
				    struct lk_oauth_error *e)
{
	lk_dcr_registry_error(r, err, e);
	return e->code == LK_OAUTH_SERVER_ERROR ? err : LK_EINVAL;
}

/* The privileged scope named by the n bytes at p, or NULL. */
static const char *privileged_scope(const char *p, size_t n)
{
	for (size_t k = 0; k < sizeof(privileged) / sizeof(privileged[0]); k++)
		if (strlen(privileged[k]) == n && strncmp(p, privileged[k], n) == 0)
			return privileged[k];
	return NULL;
}

/*
 * A registrant may not register powers it does not hold: a privileged scope
 * must be covered by held (the initial access token's scope, or on update
 * the scopes the application already has).
 */
static enum lk_err check_privileged(const struct lk_app_input *in, const char *held,
				    struct lk_oauth_error *e)
{
	for (size_t i = 0; i < in->nscopes; i++) {
		for (const char *p = in->scopes[i]; *p;) {
			const char *scope;
			size_t n;

			p += strspn(p, " \t");
			n = strcspn(p, " \t");
			scope = n ? privileged_scope(p, n) : NULL;
			if (scope && !lk_scope_covers(held, scope)) {
				lk_oauth_fail(e, LK_OAUTH_INVALID_CLIENT_METADATA,
					      "%s: '%s' can be granted only by an administrator",
					      LK_CM_SCOPE, scope);
				return LK_EINVAL;
			}
			p += n;
		}
	}
	return LK_OK;
}

/* Issues a registration access token for client_id; only its hash is kept. */
static enum lk_err new_registration_token(const struct lk_dcr *d, const char *client_id,
					  char token[LK_TOKEN_MAX])
{
	uint8_t hash[LK_SHA256_LEN];
	enum lk_err err = lk_token_new(LK_TOKEN_REGISTRATION, token);

	if (err)
		return err;
	lk_sha256(token, strlen(token), hash);
	err = lk_store_registration_token_set(d->store, client_id, hash);
	lk_wipe(hash, sizeof(hash));
	if (err)
		lk_wipe(token, LK_TOKEN_MAX);
	return err;
}

/* The metadata with the token the client uses at its configuration endpoint. */
static enum lk_err response(const struct lk_app *a, const struct lk_dcr *d, const char *token,
			    void **out)
{
	json_t *o = lk_dcr_app_to_json(a, d->cfg->issuer);

	if (!o)
		return LK_ENOMEM;
	json_object_set_new(o, LK_CM_REGISTRATION_ACCESS_TOKEN, json_string(token));
	*out = o;
	return LK_OK;
}

enum lk_err lk_dcr_register(const struct lk_dcr *d, const char *registrar,
			    const char *granted_scope, const char *body, size_t len, void **out,
			    struct lk_oauth_error *e)
{
	struct lk_dcr_metadata m = {0};
	struct lk_registry r = {0};
	struct lk_app a = {0};
	char actor[ACTOR_MAX], secret[LK_TOKEN_MAX] = "", token[LK_TOKEN_MAX] = "";
	json_t *o = NULL;
	bool added = false;
	enum lk_err err;

	err = lk_dcr_metadata_parse(d->cfg, body, len, false, &m, e);
	if (!err)
		err = check_privileged(&m.in, granted_scope, e);
	if (err)
		goto out;
	registry_init(&r, d, actor, registrar);
	err = lk_registry_app_add(&r, &m.in, &a, secret);
	if (err) {
		err = registry_refused(&r, err, e);
		goto out;
	}
	added = true;
	err = new_registration_token(d, a.client_id, token);
	if (!err)
		err = response(&a, d, token, (void **)&o);
	if (err) {
		server_error(e, err);
		goto out;
	}
	/* RFC 7591 §3.2.1: the secret is shown once, and it does not expire. */
	if (secret[0]) {
		json_object_set_new(o, LK_CM_CLIENT_SECRET, json_string(secret));
		json_object_set_new(o, LK_CM_CLIENT_SECRET_EXPIRES_AT, json_integer(0));
	}
	*out = o;
	o = NULL;
out:
	/* Without its token the client could never be managed: undo the add. */
	if (err && added && lk_registry_app_remove(&r, a.client_id) != LK_OK)
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the registration could not be saved");
	json_decref(o);
	lk_wipe(secret, sizeof(secret));
	lk_wipe(token, sizeof(token));
	lk_app_release(&a);
	lk_dcr_metadata_release(&m);
	return err;
}

enum lk_err lk_dcr_authenticate(const struct lk_dcr *d, const char *client_id, const char *token,
				struct lk_oauth_error *e)
{
	uint8_t want[LK_SHA256_LEN] = {0}, got[LK_SHA256_LEN];
	enum lk_err err;
	bool ok;

	if (!client_id || !*client_id || strlen(client_id) > LK_TOKEN_STR_MAX || !token)
		return invalid_token(e);
	err = lk_store_registration_token_get(d->store, client_id, want);
	if (err && err != LK_ENOTFOUND)
		return server_error(e, err);
	lk_sha256(token, strlen(token), got);
	/* Compare even for an unknown client, so both cost the same. */
	ok = lk_ct_equal(got, sizeof(got), want, sizeof(want)) && err == LK_OK;
	lk_wipe(got, sizeof(got));
	lk_wipe(want, sizeof(want));
	return ok ? LK_OK : invalid_token(e);
}

/* Reads the application of an authenticated client. */
static enum lk_err load_app(const struct lk_dcr *d, const char *client_id, struct lk_app *a,
			    struct lk_oauth_error *e)
{
	enum lk_err err = lk_store_app_get(d->store, client_id, a);

	/* The token outlived its client only if the store forgot the cascade. */
	if (err == LK_ENOTFOUND)
		return invalid_token(e);
	if (err)
		return server_error(e, err);
	if (strcmp(a->client_id, client_id) != 0) {
		/* client_id matched another app's name: never address by name here. */
		lk_app_release(a);
		return invalid_token(e);
	}
	return LK_OK;
}

enum lk_err lk_dcr_read(const struct lk_dcr *d, const char *client_id, const char *token,
			void **out, struct lk_oauth_error *e)
{
	struct lk_app a = {0};
	enum lk_err err = lk_dcr_authenticate(d, client_id, token, e);

	if (!err)
		err = load_app(d, client_id, &a, e);
	if (err)
		return err;
	err = response(&a, d, token, out);
	lk_app_release(&a);
	return err ? server_error(e, err) : LK_OK;
}

/* RFC 7592 §2.2: a client_secret in the document must be a current one. */
static enum lk_err check_secret(const struct lk_dcr *d, const char *client_id, const char *secret,
				struct lk_oauth_error *e)
{
	struct lk_client_secret *s = NULL;
	uint8_t hash[LK_SHA256_LEN];
	size_t n = 0;
	bool ok = false;
	enum lk_err err = lk_store_secret_list(d->store, client_id, &s, &n);

	if (err)
		return server_error(e, err);
	lk_sha256(secret, strlen(secret), hash);
	for (size_t i = 0; i < n; i++) {
		bool live = !s[i].expires_at || d->now < s[i].expires_at;

		ok |= lk_ct_equal(hash, sizeof(hash), s[i].hash, sizeof(s[i].hash)) && live;
	}
	lk_wipe(hash, sizeof(hash));
	free(s);
	if (ok)
		return LK_OK;
	lk_oauth_fail(e, LK_OAUTH_INVALID_CLIENT_METADATA,
		      "%s: does not match the current secret; a client cannot choose its secret",
		      LK_CM_CLIENT_SECRET);
	return LK_EINVAL;
}

enum lk_err lk_dcr_update(const struct lk_dcr *d, const char *client_id, const char *token,
			  const char *body, size_t len, void **out, struct lk_oauth_error *e)
{
	struct lk_dcr_metadata m = {0};
	struct lk_registry r;
	struct lk_app a = {0}, updated = {0};
	char actor[ACTOR_MAX];
	enum lk_err err = lk_dcr_authenticate(d, client_id, token, e);

	if (!err)
		err = load_app(d, client_id, &a, e);
	if (!err)
		err = lk_dcr_metadata_parse(d->cfg, body, len, true, &m, e);
	if (err)
		goto out;
	if (!m.client_id || strcmp(m.client_id, client_id) != 0) {
		lk_oauth_fail(e, LK_OAUTH_INVALID_CLIENT_METADATA,
			      "%s: required, and must be the client_id of the URL",
			      LK_CM_CLIENT_ID);
		err = LK_EINVAL;
		goto out;
	}
	if (m.client_secret && (err = check_secret(d, client_id, m.client_secret, e)))
		goto out;
	if ((err = check_privileged(&m.in, a.scopes, e)))
		goto out;
	registry_init(&r, d, actor, client_id);
	err = lk_registry_app_update(&r, client_id, &m.in, &updated);
	if (err) {
		err = registry_refused(&r, err, e);
		goto out;
	}
	err = response(&updated, d, token, out);
	if (err)
		server_error(e, err);
out:
	lk_app_release(&updated);
	lk_app_release(&a);
	lk_dcr_metadata_release(&m);
	return err;
}

enum lk_err lk_dcr_delete(const struct lk_dcr *d, const char *client_id, const char *token,
			  struct lk_oauth_error *e)
{
	struct lk_registry r;
	char actor[ACTOR_MAX];
	enum lk_err err = lk_dcr_authenticate(d, client_id, token, e);

	if (err)
		return err;
	registry_init(&r, d, actor, client_id);
	err = lk_registry_app_remove(&r, client_id);
	if (err == LK_ENOTFOUND)
		return invalid_token(e);
	if (err)
		return server_error(e, err);
	return LK_OK;
}
