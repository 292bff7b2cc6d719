/* latchkey config dump, latchkey migrate. */
#include <getopt.h>
#include <stdio.h>

#include "app/commands.h"
#include "core/buf.h"

static const char dump_help[] =
	"usage: latchkey config dump [--json]\n"
	"\n"
	"Prints the effective configuration (defaults, then latchkey.conf, then\n"
	"LATCHKEY_<SECTION>_<KEY> environment variables, then flags) as INI, or\n"
	"with --json as one JSON object. Secrets are masked.\n";

int lk_cmd_config_dump(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_buf out;
	bool json = false;
	int c, rc = LK_EXIT_OK;

	optind = 0;
	while ((c = lk_cli_getopt(cli, argc, argv, opts, dump_help, &rc)) != -1) {
		if (c == LK_CLI_STOP)
			return rc;
		json = true;
	}
	if (optind < argc)
		return lk_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	rc = lk_cli_finish(cli);
	if (rc)
		return rc;
	lk_buf_init(&out, 1 << 20);
	if (lk_config_dump(&cli->cfg, json, &out) != LK_OK) {
		lk_buf_release(&out);
		return lk_cli_fail(cli, "cannot print the configuration");
	}
	fputs(lk_buf_str(&out), stdout);
	lk_buf_release(&out);
	return LK_EXIT_OK;
}

static const char migrate_help[] =
	"usage: latchkey migrate [--json]\n"
	"\n"
	"Creates the database schema or applies the migrations it lacks. serve\n"
	"does this too; migrate lets a deployment do it ahead of time.\n";

int lk_cmd_migrate(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	bool json = false;
	int c, rc = LK_EXIT_OK, from = 0, to = 0;
	enum lk_err err;

	optind = 0;
	while ((c = lk_cli_getopt(cli, argc, argv, opts, migrate_help, &rc)) != -1) {
		if (c == LK_CLI_STOP)
			return rc;
		json = true;
	}
	if (optind < argc)
		return lk_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	rc = lk_cli_finish(cli);
	if (rc)
		return rc;
	err = lk_store_open(cli->cfg.database_url, &s);
	if (err)
		return lk_cli_fail(cli, "cannot open the database: %s", lk_err_str(err));
	err = lk_store_migrate(s, &from, &to);
	lk_store_close(s);
	if (err)
		return lk_cli_fail(cli, "cannot migrate the database: %s", lk_err_str(err));
	if (json)
		printf("{\"from\": %d, \"to\": %d}\n", from, to);
	else if (from == to)
		printf("database schema is up to date (version %d)\n", to);
	else
		printf("database schema migrated from version %d to %d\n", from, to);
	return LK_EXIT_OK;
}
