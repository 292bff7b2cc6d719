/*
 * latchkey app token APP [--json]: mints an access token for an application
 * exactly as the token endpoint's client credentials grant would (same
 * issuing code, same format, lifetime, audience and scope rules), for the
 * administrator to hand over: the "secret token" a SCIM provisioning
 * connector asks for is a bearer_token application's token (DESIGN §2).
 */
#include <stdio.h>

#include <jansson.h>

#include "app/commands.h"
#include "core/clock.h"
#include "core/secure.h"
#include "oauth/params.h"
#include "oauth/registry.h"
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
static int open_keyring(struct lk_cli *cli, struct lk_registry *r, struct lk_keyring **kr)
{
	struct lk_master_key mk;
	enum lk_err err;

	if (lk_cli_master_key(cli, true, &mk))
		return LK_EXIT_INVALID;
	err = lk_registry_keys_prepare(r, &mk, kr);
	lk_master_key_wipe(&mk);
	return err ? lk_cli_registry_fail(cli, r, err) : LK_EXIT_OK;
}

static void print_token(const struct lk_access_token *t, bool json)
{
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
	lk_cli_print_json_secret(lk_access_token_to_json(t), LK_TR_ACCESS_TOKEN);
}

int lk_cmd_app_token(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_keyring *kr = NULL;
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
	/* An unknown application is named before the signing keys are touched. */
	err = lk_registry_app_get(&r, pos[0], &a);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	found = true;
	rc = open_keyring(cli, &r, &kr);
	if (rc)
		goto out;
	err = lk_registry_app_token(&r, kr, a.client_id, &t);
	if (err)
		rc = lk_cli_registry_fail(cli, &r, err);
	else
		print_token(&t, json);
out:
	lk_access_token_release(&t);
	lk_keyring_unref(kr);
	if (found)
		lk_app_release(&a);
	lk_store_close(s);
	return rc;
}
