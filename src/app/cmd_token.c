/*
 * latchkey app token APP [--json]: mints an access token for an application
 * exactly as the token endpoint's client credentials grant would (same
 * issuing code, same format, lifetime, audience and scope rules), for the
 * administrator to hand over: the "secret token" a SCIM provisioning
 * connector asks for is a bearer_token application's token (DESIGN §2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app/commands.h"
#include "core/clock.h"
#include "core/secure.h"
#include "oauth/clients.h"
#include "oauth/params.h"
#include "oauth/registry.h"
#include "oauth/scope.h"
#include "oauth/signing_keys.h"
#include "oauth/tokens.h"

static const char token_help[] =
	"usage: latchkey app token APP [--json]\n"
	"\n"
	"Issues an access token for an application that may use client\n"
	"credentials (client_credentials, client_certificate, bearer_token, all),\n"
	"as the token endpoint would: all of the application's scopes, its\n"
	"lifetime and token format. A bearer_token application's token never\n"
	"expires unless a lifetime was set; it is what SCIM connectors take as\n"
	"their secret token. The token is shown only now. JWT access tokens carry\n"
	"the configured issuer ([server] issuer), so use the server's\n"
	"configuration. --json prints a token response (access_token, token_type,\n"
	"expires_in when it expires, scope).\n";

/* The keyring, creating the signing keys if this is the first command to need them. */
static int open_keyring(struct lk_cli *cli, struct lk_store *s, int64_t now, struct lk_keyring **kr)
{
	struct lk_master_key mk;
	enum lk_err err;

	if (lk_cli_master_key(cli, true, &mk))
		return LK_EXIT_INVALID;
	err = lk_signing_keys_ensure(s, &mk, &cli->cfg, now, NULL);
	if (!err)
		err = lk_signing_keys_load(s, &mk, now, kr);
	lk_master_key_wipe(&mk);
	if (err == LK_EKEY)
		return lk_cli_fail(cli, "the master key does not open the signing keys in this "
					"database");
	if (err)
		return lk_cli_fail(cli, "cannot prepare the signing keys: %s", lk_err_str(err));
	return LK_EXIT_OK;
}

/*
 * The application as the token endpoint sees it, refused as it would be: a
 * disabled one, one acting as a disabled user, one without the client
 * credentials grant.
 */
static int find_client(struct lk_cli *cli, const struct lk_clients *clients, const struct lk_app *a,
		       const struct lk_client **out)
{
	const struct lk_client *c = lk_clients_find(clients, a->client_id);

	if (!c)
		return lk_cli_fail(cli, "application '%s' is gone", a->name);
	if (!c->app.enabled)
		return lk_cli_fail(cli, "application '%s' is disabled", a->name);
	if (!c->user_ok)
		return lk_cli_fail(cli, "the user of application '%s' is disabled", a->name);
	if (!lk_client_allows_grant(c, LK_GT_CLIENT_CREDENTIALS))
		return lk_cli_fail(cli, "application '%s' (grant %s) cannot use client credentials",
				   a->name, lk_grant_name(c->app.grant));
	*out = c;
	return LK_EXIT_OK;
}

/*
 * Issues the token and writes the audit entry in one transaction, so an
 * opaque token is never stored without its audit entry. The entry names the
 * token's jti, never the token.
 */
static int issue(struct lk_cli *cli, struct lk_registry *r, const struct lk_keyring *kr,
		 const struct lk_client *c, struct lk_access_token *t)
{
	struct lk_token_env env = {
		.cfg = &cli->cfg, .keyring = kr, .store = r->store, .now = r->now};
	char *scope = NULL, detail[160];
	struct lk_audit e = {.at = r->now,
			     .actor = (char *)r->actor,
			     .action = "app.token",
			     .object_type = "app",
			     .object_id = c->app.client_id,
			     .detail = detail};
	enum lk_err err = lk_scope_grant(NULL, c->app.scopes, &scope);

	if (err)
		return lk_cli_fail(cli, "cannot compute the scope: %s", lk_err_str(err));
	if (!*scope) {
		free(scope);
		return lk_cli_fail(cli, "application '%s' has no scope", c->app.name);
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
		return lk_cli_fail(cli, "no signing key for [tokens] access_alg %s",
				   cli->cfg.access_alg);
	if (err)
		return lk_cli_fail(cli, "cannot issue the token: %s", lk_err_str(err));
	return LK_EXIT_OK;
}

static void print_token(const struct lk_access_token *t, bool json)
{
	json_t *o;
	char when[32];

	if (!json) {
		printf("%s\n", t->token);
		if (t->expires_in < 0) {
			printf("It never expires (revoke it at /oauth2/revoke).\n");
		} else {
			lk_time_format(lk_now() + t->expires_in, when);
			printf("It expires at %s (in %lld seconds).\n", when,
			       (long long)t->expires_in);
		}
		fflush(stdout);
		return;
	}
	o = json_pack("{s:s, s:s, s:s}", LK_TR_ACCESS_TOKEN, t->token, LK_IR_TOKEN_TYPE,
		      LK_IR_BEARER, LK_TR_SCOPE, t->scope);
	if (o && t->expires_in >= 0)
		json_object_set_new(o, LK_TR_EXPIRES_IN, json_integer(t->expires_in));
	lk_cli_print_json_secret(o, LK_TR_ACCESS_TOKEN);
}

int lk_cmd_app_token(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_keyring *kr = NULL;
	struct lk_clients *clients = NULL;
	const struct lk_client *c = NULL;
	struct lk_access_token t = {0};
	struct lk_app a;
	const char *pos[1];
	bool json = false, found = false;
	int npos = 0, rc = LK_EXIT_OK;
	enum lk_err err;

	if (!lk_cli_json_args(cli, argc, argv, token_help, pos, 1, &npos, &json, &rc))
		return rc;
	if (npos < 1)
		return lk_cli_usage(cli, "missing APP (a client_id or an application name)");
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	err = lk_registry_app_get(&r, pos[0], &a);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	found = true;
	rc = open_keyring(cli, s, r.now, &kr);
	if (rc)
		goto out;
	err = lk_clients_load(s, r.now, &clients);
	if (err) {
		rc = lk_cli_fail(cli, "cannot read the applications: %s", lk_err_str(err));
		goto out;
	}
	rc = find_client(cli, clients, &a, &c);
	if (!rc)
		rc = issue(cli, &r, kr, c, &t);
	if (!rc)
		print_token(&t, json);
out:
	lk_access_token_release(&t);
	lk_clients_unref(clients);
	lk_keyring_unref(kr);
	if (found)
		lk_app_release(&a);
	lk_store_close(s);
	return rc;
}
