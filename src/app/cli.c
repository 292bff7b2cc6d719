#include "app/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/secure.h"

int lk_cli_set(struct lk_cli *cli, const char *section, const char *key, const char *value,
	       const char *flag)
{
	char err[512];

	if (lk_config_set(&cli->cfg, section, key, value, flag, err, sizeof(err)) != LK_OK)
		return lk_cli_fail(cli, "%s", err);
	return LK_EXIT_OK;
}

int lk_cli_finish(struct lk_cli *cli)
{
	char err[512];
	enum lk_log_level level = LK_LOG_INFO;
	enum lk_log_format format = LK_LOG_TEXT;

	if (lk_config_finish(&cli->cfg, err, sizeof(err)) != LK_OK)
		return lk_cli_fail(cli, "%s", err);
	/* The table has validated both values already. */
	lk_log_level_parse(cli->cfg.log_level, &level);
	lk_log_format_parse(cli->cfg.log_format, &format);
	lk_log_setup(level, format);
	cli->finished = true;
	return LK_EXIT_OK;
}

__attribute__((format(printf, 2, 0))) static void vprint(const struct lk_cli *cli,
							    const char *fmt, va_list ap)
{
	fprintf(stderr, "latchkey%s%s: ", cli && cli->command ? " " : "",
		cli && cli->command ? cli->command : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int lk_cli_usage(const struct lk_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(cli, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'latchkey %s --help'.\n", cli && cli->command ? cli->command : "");
	return LK_EXIT_USAGE;
}

int lk_cli_fail(const struct lk_cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(cli, fmt, ap);
	va_end(ap);
	return LK_EXIT_INVALID;
}

void lk_cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("latchkey: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

enum lk_err lk_cli_open_store(struct lk_cli *cli, struct lk_store **out)
{
	struct lk_store *s = NULL;
	enum lk_err err;
	int from = 0, to = 0;

	err = lk_store_open(cli->cfg.database_url, &s);
	if (err) {
		lk_cli_fail(cli, "cannot open the database: %s", lk_err_str(err));
		return err;
	}
	err = lk_store_migrate(s, &from, &to);
	if (err) {
		lk_cli_fail(cli, "cannot migrate the database: %s", lk_err_str(err));
		lk_store_close(s);
		return err;
	}
	if (from != to)
		lk_info("database migrated from version %d to %d", from, to);
	*out = s;
	return LK_OK;
}

enum lk_err lk_cli_master_key(struct lk_cli *cli, bool create, struct lk_master_key *out)
{
	const char *env = getenv("LATCHKEY_MASTER_KEY");
	char path[4096];
	enum lk_err err;

	if (env && *env) {
		err = lk_master_key_load(env, NULL, false, out);
		if (err)
			lk_cli_fail(cli, "LATCHKEY_MASTER_KEY: %s (expected base64 of 32 bytes)",
				    lk_err_str(err));
		return err;
	}
	if (cli->cfg.master_key_file && *cli->cfg.master_key_file) {
		snprintf(path, sizeof(path), "%s", cli->cfg.master_key_file);
	} else {
		char dir[4000];

		/*
		 * DESIGN §4: with PostgreSQL every instance must be given the
		 * same key, so there is no implicit file to fall back to.
		 */
		if (lk_store_sqlite_dir(cli->cfg.database_url, dir, sizeof(dir)) != LK_OK) {
			lk_cli_fail(cli, "no master key: set LATCHKEY_MASTER_KEY or give "
					 "--master-key-file (required with this database)");
			return LK_EKEY;
		}
		snprintf(path, sizeof(path), "%s/latchkey.key", dir);
	}
	err = lk_master_key_load(NULL, path, create, out);
	if (err == LK_ENOTFOUND)
		lk_cli_fail(cli, "no master key at '%s'", path);
	else if (err)
		lk_cli_fail(cli, "cannot load the master key from '%s': %s", path, lk_err_str(err));
	return err;
}

void lk_cli_print_json(void *value)
{
	json_t *v = value;
	char *s;

	if (!v)
		return;
	s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	json_decref(v);
}

bool lk_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int lk_cli_getopt(struct lk_cli *cli, int argc, char **argv, const struct option *opts,
		  const char *help, int *rc)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, "+:h", opts, NULL);
	switch (c) {
	case 'h':
		fputs(help, stdout);
		*rc = LK_EXIT_OK;
		return LK_CLI_STOP;
	case ':':
		*rc = lk_cli_usage(cli, "option '%s' needs a value", argv[optind - 1]);
		return LK_CLI_STOP;
	case '?':
		*rc = lk_cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
		return LK_CLI_STOP;
	default:
		return c;
	}
}
