/* latchkey key list, latchkey key rotate. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "app/commands.h"
#include "core/clock.h"
#include "jose/keyring.h"
#include "oauth/registry.h"

/*
 * Opens the registry (the store, with the operator as audit actor) and the
 * master key, and makes sure the signing keys exist: DESIGN §6 has them
 * created by the first command that needs them.
 */
static int open_keys(struct lk_cli *cli, struct lk_store **s, struct lk_registry *r,
		     struct lk_master_key *mk)
{
	enum lk_err err;

	if (lk_cli_registry(cli, s, r))
		return LK_EXIT_INVALID;
	if (lk_cli_master_key(cli, true, mk))
		goto fail;
	err = lk_registry_keys_prepare(r, mk, NULL);
	if (err) {
		lk_master_key_wipe(mk);
		lk_cli_registry_fail(cli, r, err);
		goto fail;
	}
	return LK_EXIT_OK;
fail:
	lk_store_close(*s);
	*s = NULL;
	return LK_EXIT_INVALID;
}

static const char list_help[] =
	"usage: latchkey key list [--json]\n"
	"\n"
	"Lists the signing keys with their state: next (published, not yet\n"
	"signing), active (signing), retired (still published for tokens it\n"
	"signed) or expired (no longer published).\n";

int lk_cmd_key_list(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_master_key mk;
	struct lk_key_record *rows = NULL;
	size_t n = 0;
	bool json = false;
	int c, rc = LK_EXIT_OK;
	enum lk_err err;

	optind = 0;
	while ((c = lk_cli_getopt(cli, argc, argv, opts, list_help, &rc)) != -1) {
		if (c == LK_CLI_STOP)
			return rc;
		json = true;
	}
	if (optind < argc)
		return lk_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	rc = open_keys(cli, &s, &r, &mk);
	if (rc)
		return rc;
	lk_master_key_wipe(&mk);
	err = lk_registry_key_list(&r, &rows, &n);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	if (json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, lk_key_to_json(&rows[i], r.now));
		lk_cli_print_json(arr);
		goto out;
	}
	printf("%-43s  %-5s  %-7s  %-20s  %-20s  %-20s\n", "KID", "ALG", "STATE", "ACTIVATES",
	       "RETIRES", "EXPIRES");
	for (size_t i = 0; i < n; i++) {
		const struct lk_key_record *k = &rows[i];
		char a[32], re[32] = "-", ex[32] = "-";

		lk_time_format(k->activate_at, a);
		if (k->retire_at)
			lk_time_format(k->retire_at, re);
		if (k->expire_at)
			lk_time_format(k->expire_at, ex);
		printf("%-43s  %-5s  %-7s  %-20s  %-20s  %-20s\n", k->kid, k->alg,
		       lk_key_state_name(lk_key_state(k, r.now)), a, re, ex);
	}
out:
	lk_key_records_free(rows, n);
	lk_store_close(s);
	return rc;
}

static const char rotate_help[] =
	"usage: latchkey key rotate [--alg ES256|RS256|PS256] [--now] [--json]\n"
	"\n"
	"Publishes a new signing key in the JWKS at once. It starts signing after\n"
	"[keys] publish_delay minutes (--now: at once), so that clients caching the\n"
	"JWKS learn it first. The key it replaces stays published until the last\n"
	"token it signed has expired. Without --alg every signing algorithm is\n"
	"rotated. Running servers pick the change up within seconds.\n";

int lk_cmd_key_rotate(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"alg", required_argument, NULL, 'a'},
		{"now", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	struct lk_registry r = {0};
	struct lk_master_key mk;
	const char *alg = NULL;
	bool now_flag = false, json = false;
	int c, rc = LK_EXIT_OK;
	json_t *arr = NULL;
	size_t i;
	enum lk_err err;

	optind = 0;
	while ((c = lk_cli_getopt(cli, argc, argv, opts, rotate_help, &rc)) != -1) {
		if (c == LK_CLI_STOP)
			return rc;
		if (c == 'a')
			alg = optarg;
		else if (c == 'n')
			now_flag = true;
		else
			json = true;
	}
	if (optind < argc)
		return lk_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	/* A misspelt algorithm is refused before the database is opened. */
	if (alg && (err = lk_registry_key_alg_check(&r, alg)) != LK_OK)
		return lk_cli_registry_fail(cli, &r, err);
	rc = open_keys(cli, &s, &r, &mk);
	if (rc)
		return rc;
	err = lk_registry_key_rotate(&r, &mk, alg, now_flag, (void **)&arr);
	lk_master_key_wipe(&mk);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	if (json) {
		lk_cli_print_json(arr);
		arr = NULL;
		goto out;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *k = json_array_get(arr, i);

		printf("%s: new key %s published; it signs from %s\n",
		       json_string_value(json_object_get(k, "alg")),
		       json_string_value(json_object_get(k, "kid")),
		       json_string_value(json_object_get(k, "activate_at")));
	}
out:
	json_decref(arr);
	lk_store_close(s);
	return rc;
}
