/*
 * Minting an access token for an application on the administrator's word
 * (`latchkey app token`, POST /admin/api/apps/APP/token): exactly what the
 * token endpoint's client credentials grant would issue (same issuing code,
 * format, lifetime, audience and scope rules), for the administrator to hand
 * over. The "secret token" a SCIM provisioning connector asks for is a
 * bearer_token application's token (DESIGN §2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "oauth/clients.h"
#include "oauth/params.h"
#include "oauth/registry_int.h"
#include "oauth/scope.h"
#include "oauth/tokens.h"

/*
 * The application as the token endpoint sees it, refused as it would be: a
 * disabled one, one acting as a disabled user, one without the client
 * credentials grant.
 */
static enum lk_err find_client(struct lk_registry *r, const struct lk_clients *clients,
			       const struct lk_app *a, const struct lk_client **out)
{
	const struct lk_client *c = lk_clients_find(clients, a->client_id);

	if (!c)
		return lk_reg_fail(r, LK_ENOTFOUND, "application '%s' is gone", a->name);
	if (!c->app.enabled)
		return lk_reg_fail(r, LK_ESTATE, "application '%s' is disabled", a->name);
	if (!c->user_ok)
		return lk_reg_fail(r, LK_ESTATE, "the user of application '%s' is disabled",
				   a->name);
	if (!lk_client_allows_grant(c, LK_GT_CLIENT_CREDENTIALS))
		return lk_reg_fail(r, LK_ESTATE,
				   "application '%s' (grant %s) cannot use client credentials",
				   a->name, lk_grant_name(c->app.grant));
	*out = c;
	return LK_OK;
}

/*
 * Issues the token and writes the audit entry in one transaction, so an
 * opaque token is never stored without its audit entry. The entry names the
 * token's jti, never the token.
 */
static enum lk_err issue(struct lk_registry *r, const struct lk_keyring *kr,
			 const struct lk_client *c, struct lk_access_token *t)
{
	struct lk_token_env env = {.cfg = r->cfg, .keyring = kr, .store = r->store, .now = r->now};
	char *scope = NULL, detail[160];
	struct lk_audit e = {.at = r->now,
			     .actor = (char *)(r->actor ? r->actor : "unknown"),
			     .action = "app.token",
			     .object_type = "app",
			     .object_id = c->app.client_id,
			     .detail = detail};
	enum lk_err err = lk_scope_grant(NULL, c->app.scopes, &scope);

	if (err)
		return lk_reg_fail(r, err, "cannot compute the scope: %s", lk_err_str(err));
	if (!*scope) {
		free(scope);
		return lk_reg_fail(r, LK_ESTATE, "application '%s' has no scope", c->app.name);
	}
	err = lk_store_begin(r->store);
	if (!err)
		err = lk_access_token_issue(&env, c, c->subject, scope, t);
	if (!err) {
		snprintf(detail, sizeof(detail), "%s access token, jti %s",
			 t->jwt ? "JWT" : "opaque", t->jti);
		err = lk_store_audit_add(r->store, &e);
		if (!err)
			err = lk_store_commit(r->store);
		if (err)
			lk_access_token_release(t);
	}
	if (err)
		lk_store_rollback(r->store);
	free(scope);
	if (err == LK_ENOTFOUND)
		return lk_reg_fail(r, LK_ESTATE, "no signing key for [tokens] access_alg %s",
				   r->cfg->access_alg);
	if (err)
		return lk_reg_fail(r, err, "cannot issue the token: %s", lk_err_str(err));
	return LK_OK;
}

enum lk_err lk_registry_app_token(struct lk_registry *r, const struct lk_keyring *kr,
				  const char *app, struct lk_access_token *out)
{
	struct lk_clients *clients = NULL;
	const struct lk_client *c = NULL;
	struct lk_access_token t = {0};
	struct lk_app a = {0};
	bool found = false;
	enum lk_err err;

	r->err[0] = '\0';
	r->warn[0] = '\0';
	err = lk_registry_app_get(r, app, &a);
	if (err)
		goto out;
	found = true;
	/*
	 * A fresh snapshot, not a server's cached one: an application changed a
	 * moment ago is minted for as it is now.
	 */
	err = lk_clients_load(r->store, r->now, &clients);
	if (err) {
		err = lk_reg_fail(r, err, "cannot read the applications: %s", lk_err_str(err));
		goto out;
	}
	err = find_client(r, clients, &a, &c);
	if (!err)
		err = issue(r, kr, c, &t);
	if (!err)
		*out = t;
out:
	lk_clients_unref(clients);
	if (found)
		lk_app_release(&a);
	return err;
}

void *lk_access_token_to_json(const struct lk_access_token *t)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", LK_TR_ACCESS_TOKEN, t->token, LK_IR_TOKEN_TYPE,
			      LK_IR_BEARER, LK_TR_SCOPE, t->scope);

	if (o && t->expires_in >= 0)
		json_object_set_new(o, LK_TR_EXPIRES_IN, json_integer(t->expires_in));
	return o;
}
