/* Applications: add, update, enable/disable, remove, rotate the secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secure.h"
#include "oauth/registry_int.h"

/* 128 random bits, base64url: 22 characters, URL-safe, unguessable. */
#define CLIENT_ID_BYTES 16

void lk_app_input_init(struct lk_app_input *in)
{
	memset(in, 0, sizeof(*in));
	in->first_party = -1;
}

/* The defaults of a new application (DESIGN §1 and §6). */
static enum lk_err app_defaults(struct lk_registry *r, struct lk_app *a)
{
	static const size_t offsets[] = {
		offsetof(struct lk_app, client_id),
		offsetof(struct lk_app, name),
		offsetof(struct lk_app, description),
		offsetof(struct lk_app, website),
		offsetof(struct lk_app, scopes),
		offsetof(struct lk_app, user),
		offsetof(struct lk_app, redirect_uris),
		offsetof(struct lk_app, post_logout_redirect_uris),
		offsetof(struct lk_app, cert_subject),
		offsetof(struct lk_app, cert_key_type),
		offsetof(struct lk_app, cert_kid),
		offsetof(struct lk_app, audience),
		offsetof(struct lk_app, userinfo_alg),
	};
	unsigned char rnd[CLIENT_ID_BYTES];
	char id[32];
	enum lk_err err;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		err = lk_reg_set_str((char **)((char *)a + offsets[i]), "");
		if (err)
			return err;
	}
	err = lk_reg_set_str(&a->id_token_alg, r->cfg->id_token_alg);
	/*
	 * A client_id starting with '-' would read as an option on a command
	 * line, and '_' looks odd: draw again (1 in 32 draws; the id keeps its
	 * 128 random bits).
	 */
	do {
		if (!err)
			err = lk_random_bytes(rnd, sizeof(rnd));
		if (err)
			return err;
		lk_b64url_encode(rnd, sizeof(rnd), id);
	} while (id[0] == '-' || id[0] == '_');
	a->strategy = LK_STRATEGY_WEB;
	a->lifetime = LK_LIFETIME_DEFAULT;
	a->lifecycle = LK_LIFECYCLE_ABSOLUTE;
	a->client_type = LK_CLIENT_CONFIDENTIAL;
	a->token_format = LK_FORMAT_JWT;
	a->enabled = true;
	a->created_at = r->now;
	a->updated_at = r->now;
	return lk_reg_set_str(&a->client_id, id);
}

/* Applications with a client secret: confidential, not certificate-based. */
static bool has_secret(const struct lk_app *a)
{
	return a->client_type == LK_CLIENT_CONFIDENTIAL && a->grant != LK_GRANT_CLIENT_CERTIFICATE;
}

/* Creates a secret, stores its hash; the secret itself goes to the caller. */
static enum lk_err new_secret(struct lk_registry *r, const char *client_id,
			      char secret[LK_TOKEN_MAX], int64_t *id)
{
	uint8_t hash[LK_SHA256_LEN];
	enum lk_err err = lk_token_new(LK_TOKEN_CLIENT_SECRET, secret);

	if (err)
		return err;
	lk_sha256(secret, strlen(secret), hash);
	err = lk_store_secret_add(r->store, client_id, hash, r->now, id);
	lk_wipe(hash, sizeof(hash));
	if (err)
		lk_wipe(secret, LK_TOKEN_MAX);
	return err;
}

static enum lk_err name_taken(struct lk_registry *r, const struct lk_app *a)
{
	return lk_reg_fail(r, LK_EEXIST, "%s: an application named '%s' already exists",
			   lk_reg_field(r, "--name", "name"), a->name);
}

enum lk_err lk_registry_app_add(struct lk_registry *r, const struct lk_app_input *in,
				struct lk_app *out, char secret[LK_TOKEN_MAX])
{
	struct lk_app a;
	char detail[256];
	enum lk_err err;

	secret[0] = '\0';
	err = lk_reg_begin(r);
	if (err)
		return err;
	err = app_defaults(r, &a);
	if (!err)
		err = lk_app_apply_input(r, in, &a, true);
	if (!err) {
		err = lk_store_app_insert(r->store, &a);
		if (err == LK_EEXIST)
			err = name_taken(r, &a);
	}
	if (!err && has_secret(&a))
		err = new_secret(r, a.client_id, secret, NULL);
	snprintf(detail, sizeof(detail), "name=%s grant=%s", a.name ? a.name : "",
		 lk_grant_name(a.grant));
	err = lk_reg_end(r, err, "app.add", "app", a.client_id, detail);
	if (err) {
		lk_wipe(secret, LK_TOKEN_MAX);
		lk_app_release(&a);
		return err;
	}
	*out = a;
	return LK_OK;
}

/* Looks an application up, with the message callers print. */
static enum lk_err find_app(struct lk_registry *r, const char *app, struct lk_app *out)
{
	enum lk_err err = lk_store_app_get(r->store, app, out);

	if (err == LK_ENOTFOUND)
		return lk_reg_fail(r, err, "no application '%s'", app);
	if (err)
		return lk_reg_store_error(r, err, "read the application");
	return LK_OK;
}

enum lk_err lk_registry_app_get(struct lk_registry *r, const char *app, struct lk_app *out)
{
	r->err[0] = '\0';
	return find_app(r, app, out);
}

enum lk_err lk_registry_app_list(struct lk_registry *r, struct lk_app **out, size_t *n)
{
	enum lk_err err;

	r->err[0] = '\0';
	err = lk_store_app_list(r->store, out, n);
	return err ? lk_reg_store_error(r, err, "list the applications") : LK_OK;
}

enum lk_err lk_registry_app_update(struct lk_registry *r, const char *app,
				   const struct lk_app_input *in, struct lk_app *out)
{
	struct lk_app a = {0};
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = find_app(r, app, &a);
	if (!err)
		err = lk_app_apply_input(r, in, &a, false);
	if (!err) {
		a.updated_at = r->now;
		err = lk_store_app_update(r->store, &a);
		if (err == LK_EEXIST)
			err = name_taken(r, &a);
	}
	if (!err && has_secret(&a)) {
		struct lk_client_secret *secrets = NULL;
		size_t n = 0;

		/* An app that now needs a secret may not have one yet. */
		if (lk_store_secret_list(r->store, a.client_id, &secrets, &n) == LK_OK && !n)
			lk_reg_warn(r, "the application has no client secret yet; %s to issue one",
				    r->api_names ? "rotate its secret"
						 : "run 'latchkey app rotate-secret'");
		free(secrets);
	}
	err = lk_reg_end(r, err, "app.update", "app", a.client_id, a.name);
	if (err) {
		lk_app_release(&a);
		return err;
	}
	*out = a;
	return LK_OK;
}

enum lk_err lk_registry_app_set_enabled(struct lk_registry *r, const char *app, bool enabled,
					struct lk_app *out)
{
	struct lk_app a = {0};
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = find_app(r, app, &a);
	if (!err) {
		a.enabled = enabled;
		a.updated_at = r->now;
		err = lk_store_app_update(r->store, &a);
	}
	err = lk_reg_end(r, err, enabled ? "app.enable" : "app.disable", "app", a.client_id,
			 a.name);
	if (err) {
		lk_app_release(&a);
		return err;
	}
	if (out)
		*out = a;
	else
		lk_app_release(&a);
	return LK_OK;
}

enum lk_err lk_registry_app_remove(struct lk_registry *r, const char *app)
{
	struct lk_app a = {0};
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = find_app(r, app, &a);
	if (!err)
		err = lk_store_app_delete(r->store, a.client_id);
	err = lk_reg_end(r, err, "app.remove", "app", a.client_id, a.name);
	lk_app_release(&a);
	return err;
}

enum lk_err lk_registry_app_rotate_secret(struct lk_registry *r, const char *app, int grace_minutes,
					  char secret[LK_TOKEN_MAX])
{
	struct lk_app a = {0};
	int64_t id = 0;
	char detail[64];
	enum lk_err err;

	secret[0] = '\0';
	if (grace_minutes < 0 || grace_minutes > 525600)
		return lk_reg_invalid(r, "%s: must be 0 to 525600 minutes",
				      lk_reg_field(r, "--grace", "grace"));
	err = lk_reg_begin(r);
	if (err)
		return err;
	err = find_app(r, app, &a);
	if (!err && !has_secret(&a))
		err = lk_reg_fail(
			r, LK_ESTATE, "application '%s' has no client secret (%s)", a.name,
			a.client_type == LK_CLIENT_PUBLIC ? "public client"
							  : "it signs with its certificate");
	if (!err)
		err = new_secret(r, a.client_id, secret, &id);
	/* The old secrets keep working for the grace period, then stop. */
	if (!err)
		err = lk_store_secret_expire_others(r->store, a.client_id, id,
						    r->now + (int64_t)grace_minutes * 60);
	snprintf(detail, sizeof(detail), "grace=%d min", grace_minutes);
	err = lk_reg_end(r, err, "app.rotate-secret", "app", a.client_id, detail);
	if (err)
		lk_wipe(secret, LK_TOKEN_MAX);
	lk_app_release(&a);
	return err;
}
