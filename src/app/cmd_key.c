/* latchkey key list, latchkey key rotate. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "app/commands.h"
#include "core/clock.h"
#include "oauth/signing_keys.h"

/*
 * Opens the store and the master key and makes sure the signing keys exist:
 * DESIGN §6 has them created by the first command that needs them.
 */
static int open_keys(struct lk_cli *cli, struct lk_store **s, struct lk_master_key *mk)
{
	struct lk_keyring *kr = NULL;
	enum lk_err err;
	int rc = lk_cli_finish(cli);

	if (rc)
		return rc;
	if (lk_cli_open_store(cli, s))
		return LK_EXIT_INVALID;
	if (lk_cli_master_key(cli, true, mk))
		goto fail;
	err = lk_signing_keys_ensure(*s, mk, &cli->cfg, lk_now(), NULL);
	/* Prove the master key opens the keys before changing anything. */
	if (!err)
		err = lk_signing_keys_load(*s, mk, lk_now(), &kr);
	lk_keyring_unref(kr);
	if (err == LK_EKEY) {
		lk_cli_fail(cli, "the master key does not open the signing keys in this database");
		goto fail;
	}
	if (err) {
		lk_cli_fail(cli, "cannot prepare the signing keys: %s", lk_err_str(err));
		goto fail;
	}
	return LK_EXIT_OK;
fail:
	lk_master_key_wipe(mk);
	lk_store_close(*s);
	*s = NULL;
	return LK_EXIT_INVALID;
}

static json_t *time_or_null(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	lk_time_format(t, buf);
	return json_string(buf);
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
	struct lk_master_key mk;
	struct lk_key_record *rows = NULL;
	size_t n = 0;
	bool json = false;
	int c, rc = LK_EXIT_OK;
	int64_t now;

	optind = 0;
	while ((c = lk_cli_getopt(cli, argc, argv, opts, list_help, &rc)) != -1) {
		if (c == LK_CLI_STOP)
			return rc;
		json = true;
	}
	if (optind < argc)
		return lk_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	rc = open_keys(cli, &s, &mk);
	if (rc)
		return rc;
	lk_master_key_wipe(&mk);
	if (lk_store_key_list(s, &rows, &n) != LK_OK) {
		rc = lk_cli_fail(cli, "cannot read the signing keys");
		goto out;
	}
	now = lk_now();
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("%-43s  %-5s  %-7s  %-20s  %-20s  %-20s\n", "KID", "ALG", "STATE",
		       "ACTIVATES", "RETIRES", "EXPIRES");
	for (size_t i = 0; i < n; i++) {
		const struct lk_key_record *r = &rows[i];
		const char *state = lk_key_state_name(lk_key_state(r, now));
		char a[32], re[32] = "-", ex[32] = "-";

		if (json) {
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "kid", r->kid,
					       "alg", r->alg, "state", state, "created_at",
					       time_or_null(r->created_at), "activate_at",
					       time_or_null(r->activate_at), "retire_at",
					       time_or_null(r->retire_at), "expire_at",
					       time_or_null(r->expire_at)));
			continue;
		}
		lk_time_format(r->activate_at, a);
		if (r->retire_at)
			lk_time_format(r->retire_at, re);
		if (r->expire_at)
			lk_time_format(r->expire_at, ex);
		printf("%-43s  %-5s  %-7s  %-20s  %-20s  %-20s\n", r->kid, r->alg, state, a, re,
		       ex);
	}
	if (json)
		lk_cli_print_json(arr);
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
	static const char *const all[] = {"ES256", "RS256", "PS256"};
	struct lk_store *s = NULL;
	struct lk_master_key mk;
	const char *alg = NULL;
	bool now_flag = false, json = false;
	int c, rc = LK_EXIT_OK;
	json_t *arr;

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
	if (alg && !lk_alg_supported(alg))
		return lk_cli_fail(cli, "--alg: '%s' is not one of ES256, RS256, PS256", alg);
	rc = open_keys(cli, &s, &mk);
	if (rc)
		return rc;
	if (alg && !strstr(cli->cfg.signing_algs, alg)) {
		rc = lk_cli_fail(cli, "--alg: %s is not in [keys] signing_algs (%s)", alg,
				 cli->cfg.signing_algs);
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char kid[64];
		int64_t now = lk_now();
		int64_t at = now_flag ? now : now + (int64_t)cli->cfg.publish_delay * 60;
		char when[32];
		enum lk_err err;

		if (alg ? strcmp(alg, all[i]) != 0 : !strstr(cli->cfg.signing_algs, all[i]))
			continue;
		err = lk_signing_keys_rotate(s, &mk, &cli->cfg, all[i], now_flag, now, kid);
		if (err) {
			rc = lk_cli_fail(cli, "cannot rotate the %s key: %s", all[i],
					 lk_err_str(err));
			break;
		}
		lk_time_format(at, when);
		if (json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "kid", kid, "alg",
							     all[i], "activate_at", when));
		else
			printf("%s: new key %s published; it signs from %s\n", all[i], kid, when);
	}
	if (json && !rc)
		lk_cli_print_json(arr);
	else
		json_decref(arr);
out:
	lk_master_key_wipe(&mk);
	lk_store_close(s);
	return rc;
}
