/*
 * What every command of the latchkey binary shares: the configuration being
 * assembled (defaults < file < environment < flags), exit statuses, option
 * parsing conventions, opening the database and the master key.
 */
#ifndef LK_APP_CLI_H
#define LK_APP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "jose/keyring.h"
#include "store/store.h"

/* DESIGN §6: 0 success, 1 invalid input (nothing changed), 2 usage error. */
#define LK_EXIT_OK 0
#define LK_EXIT_INVALID 1
#define LK_EXIT_USAGE 2

struct lk_cli {
	struct lk_config cfg;
	bool finished; /* lk_cli_finish ran */
	const char *command; /* "serve", "key rotate", ... for messages */
};

/* A command: parses argv (argv[0] is the command's last word). */
typedef int (*lk_cmd_fn)(struct lk_cli *cli, int argc, char **argv);

struct lk_command {
	const char *name;    /* "serve", "key list" */
	lk_cmd_fn fn;
	const char *summary; /* one line for `latchkey --help` */
};

/*
 * Applies one flag value to the configuration; on a bad value prints the
 * reason and returns LK_EXIT_INVALID, else LK_EXIT_OK.
 */
int lk_cli_set(struct lk_cli *cli, const char *section, const char *key, const char *value,
	       const char *flag);

/*
 * Derives and checks the configuration and sets up logging. Returns
 * LK_EXIT_OK or LK_EXIT_INVALID (the reason printed).
 */
int lk_cli_finish(struct lk_cli *cli);

/*
 * Prints "latchkey CMD: MESSAGE" and a pointer to --help on stderr; returns
 * LK_EXIT_USAGE.
 */
int lk_cli_usage(const struct lk_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "latchkey CMD: MESSAGE" on stderr; returns LK_EXIT_INVALID. */
int lk_cli_fail(const struct lk_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "latchkey: warning: MESSAGE" on stderr. */
void lk_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Opens the configured database and applies any missing migration. Prints the
 * reason on failure.
 */
enum lk_err lk_cli_open_store(struct lk_cli *cli, struct lk_store **out);

/*
 * Loads the master key (LATCHKEY_MASTER_KEY, else the key file: [keys]
 * master_key_file / --master-key-file, else latchkey.key beside an SQLite
 * database), creating the file when create is true. With PostgreSQL a key
 * must be given explicitly. Prints the reason on failure.
 */
enum lk_err lk_cli_master_key(struct lk_cli *cli, bool create, struct lk_master_key *out);

/*
 * Prints a JSON value (a json_t *, type-erased) on stdout followed by a
 * newline, then releases it.
 */
void lk_cli_print_json(void *value);

/*
 * getopt_long over a command's arguments, with the conventions of every
 * command: --help (option 'h') prints help and stops with exit 0; an unknown
 * option or a missing value stops with a usage error (exit 2). Returns the
 * option character, -1 at the end of the options, or LK_CLI_STOP with *rc set.
 * Set optind = 0 before the first call for an argv (glibc then starts over).
 */
#define LK_CLI_STOP (-2)
struct option;
int lk_cli_getopt(struct lk_cli *cli, int argc, char **argv, const struct option *opts,
		  const char *help, int *rc);

/* True when argv holds --help or -h before any "--". */
bool lk_cli_wants_help(int argc, char **argv);

/* ---- The registry commands (app, user, scope, audit): cli_registry.c ---- */

struct lk_registry;

/*
 * Finishes the configuration (lk_cli_finish), opens and migrates the database
 * (lk_cli_open_store) and fills r for the registry service: the store, the
 * configuration, the actor "cli:" + the operating system user name ("cli:uid-N"
 * when the uid has no name) and the current time. On success *store is open
 * and the caller closes it with lk_store_close; r->actor points to static
 * storage. On failure the reason has been printed and nothing is written.
 */
enum lk_err lk_cli_registry(struct lk_cli *cli, struct lk_store **store, struct lk_registry *r);

/*
 * Prints the service's message (r->err, else the error's name) and returns
 * LK_EXIT_INVALID: every refusal of the registry is invalid input.
 */
int lk_cli_registry_fail(const struct lk_cli *cli, const struct lk_registry *r, enum lk_err err);

/* Prints each line of r->warn as "latchkey: warning: LINE" on stderr. */
void lk_cli_registry_warn(const struct lk_registry *r);

/*
 * Parses the arguments of a command whose only options are --json and
 * --help, with up to maxpos positional arguments (see lk_cli_getopt_pos).
 * Returns true to go on, false to stop with exit status *rc.
 */
bool lk_cli_json_args(struct lk_cli *cli, int argc, char **argv, const char *help,
		      const char **pos, int maxpos, int *npos, bool *json, int *rc);

/* Prints the n records of an array as one JSON array, each through to_json. */
#define LK_CLI_PRINT_JSON_ARRAY(items, n, to_json)                                   \
	do {                                                                         \
		json_t *arr_ = json_array();                                         \
		for (size_t i_ = 0; i_ < (n); i_++)                                  \
			json_array_append_new(arr_, (json_t *)to_json(&(items)[i_])); \
		lk_cli_print_json(arr_);                                             \
	} while (0)

/*
 * lk_cli_getopt for commands with positional arguments (APP, USER, NAME),
 * which may come before, between or after the options; after "--" everything
 * is positional. The arguments are stored in pos, *npos counting them (set it
 * to 0 and optind to 0 before the first call); more than max is a usage
 * error. Returns the option character, -1 at the end, or LK_CLI_STOP with *rc
 * set (--help, a usage error, or --help given as an option's value).
 */
int lk_cli_getopt_pos(struct lk_cli *cli, int argc, char **argv, const struct option *opts,
		      const char *help, const char **pos, int max, int *npos, int *rc);

/*
 * Prints a JSON value like lk_cli_print_json, then wipes the printed text and
 * the string member `member` (a secret or password shown once) and releases
 * the value.
 */
void lk_cli_print_json_secret(void *value, const char *member);

#endif
