/*
 * The latchkey binary: global options, then one command.
 *
 *   latchkey [--config FILE] [--db URL] [--master-key-file FILE]
 *            [--log-level L] [--log-format text|json] COMMAND ...
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/commands.h"

extern char **environ;

static const struct lk_command commands[] = {
	{"serve", lk_cmd_serve, "run the authorization server"},
	{"migrate", lk_cmd_migrate, "create or upgrade the database schema"},
	{"config dump", lk_cmd_config_dump, "print the effective configuration"},
	{"key list", lk_cmd_key_list, "list the signing keys"},
	{"key rotate", lk_cmd_key_rotate, "publish a new signing key and retire the old one"},
	{"app add", lk_cmd_app_add, "register an application"},
	{"app list", lk_cmd_app_list, "list the applications"},
	{"app show", lk_cmd_app_show, "print an application's settings"},
	{"app update", lk_cmd_app_update, "change an application's settings"},
	{"app disable", lk_cmd_app_disable, "refuse an application everywhere"},
	{"app enable", lk_cmd_app_enable, "enable a disabled application"},
	{"app remove", lk_cmd_app_remove, "remove an application and its secrets"},
	{"app rotate-secret", lk_cmd_app_rotate_secret, "issue a new client secret"},
	{"app token", lk_cmd_app_token, "issue an access token for an application"},
	{"user add", lk_cmd_user_add, "create a user"},
	{"user list", lk_cmd_user_list, "list the users"},
	{"user show", lk_cmd_user_show, "print a user's profile"},
	{"user disable", lk_cmd_user_disable, "stop a user from signing in"},
	{"user enable", lk_cmd_user_enable, "enable a disabled user"},
	{"user remove", lk_cmd_user_remove, "remove a user"},
	{"user passwd", lk_cmd_user_passwd, "set a user's password"},
	{"scope add", lk_cmd_scope_add, "add a scope to the catalog"},
	{"scope list", lk_cmd_scope_list, "list the scope catalog"},
	{"scope remove", lk_cmd_scope_remove, "remove a scope from the catalog"},
	{"audit", lk_cmd_audit, "print the audit log, newest first"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: latchkey [--config FILE] [--db URL] [--master-key-file FILE]\n"
	      "                [--log-level debug|info|warn|error] [--log-format text|json]\n"
	      "                COMMAND [ARGS]\n\ncommands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'latchkey COMMAND --help' describes a command.\n", f);
}

/* Global flags, kept until the file and the environment have been read. */
struct globals {
	const char *config;
	const char *db;
	const char *master_key_file;
	const char *log_level;
	const char *log_format;
};

static int parse_globals(int argc, char **argv, struct globals *g, int *next)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, 'd'},
		{"master-key-file", required_argument, NULL, 'k'},
		{"log-level", required_argument, NULL, 'l'},
		{"log-format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': g->config = optarg; break;
		case 'd': g->db = optarg; break;
		case 'k': g->master_key_file = optarg; break;
		case 'l': g->log_level = optarg; break;
		case 'f': g->log_format = optarg; break;
		case 'h': usage(stdout); return -1;
		case ':':
			fprintf(stderr, "latchkey: option '%s' needs a value\n", argv[optind - 1]);
			return LK_EXIT_USAGE;
		default:
			fprintf(stderr, "latchkey: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return LK_EXIT_USAGE;
		}
	}
	*next = optind;
	return LK_EXIT_OK;
}

/* defaults < file < environment < global flags; command flags come later. */
static int load_config(struct lk_cli *cli, const struct globals *g)
{
	char err[512];
	const char *path = g->config ? g->config : "latchkey.conf";
	int rc = LK_EXIT_OK;

	if (lk_config_init(&cli->cfg) != LK_OK)
		return lk_cli_fail(cli, "out of memory");
	/* Without --config, ./latchkey.conf is read if it exists (DESIGN §6). */
	if (lk_config_load_file(&cli->cfg, path, g->config != NULL, err, sizeof(err)) ||
	    lk_config_load_env(&cli->cfg, environ, err, sizeof(err)))
		return lk_cli_fail(cli, "%s", err);
	if (g->db)
		rc = lk_cli_set(cli, "database", "url", g->db, "--db");
	if (!rc && g->master_key_file)
		rc = lk_cli_set(cli, "keys", "master_key_file", g->master_key_file,
				"--master-key-file");
	if (!rc && g->log_level)
		rc = lk_cli_set(cli, "log", "level", g->log_level, "--log-level");
	if (!rc && g->log_format)
		rc = lk_cli_set(cli, "log", "format", g->log_format, "--log-format");
	return rc;
}

/* Finds the command named by argv[i] (and argv[i + 1] for two-word ones). */
static const struct lk_command *find_command(int argc, char **argv, int i, int *words)
{
	for (size_t k = 0; k < NCOMMANDS; k++) {
		const char *name = commands[k].name;
		const char *sp = strchr(name, ' ');

		if (!sp && strcmp(argv[i], name) == 0) {
			*words = 1;
			return &commands[k];
		}
		if (sp && strncmp(argv[i], name, (size_t)(sp - name)) == 0 &&
		    argv[i][sp - name] == '\0' && i + 1 < argc && strcmp(argv[i + 1], sp + 1) == 0) {
			*words = 2;
			return &commands[k];
		}
	}
	return NULL;
}

/* `latchkey key` alone, or `latchkey key bogus`: list the subcommands. */
static int unknown_command(int argc, char **argv, int i)
{
	bool group = false;
	size_t n = strlen(argv[i]);

	for (size_t k = 0; k < NCOMMANDS; k++) {
		if (strncmp(commands[k].name, argv[i], n) == 0 && commands[k].name[n] == ' ')
			group = true;
	}
	if (!group) {
		fprintf(stderr, "latchkey: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return LK_EXIT_USAGE;
	}
	if (i + 1 < argc && strcmp(argv[i + 1], "--help") != 0)
		fprintf(stderr, "latchkey %s: unknown subcommand '%s'\n", argv[i], argv[i + 1]);
	fprintf(i + 1 < argc && strcmp(argv[i + 1], "--help") == 0 ? stdout : stderr,
		"usage: latchkey %s SUBCOMMAND\n", argv[i]);
	for (size_t k = 0; k < NCOMMANDS; k++) {
		if (strncmp(commands[k].name, argv[i], n) == 0 && commands[k].name[n] == ' ')
			fprintf(stderr, "  %-18s %s\n", commands[k].name, commands[k].summary);
	}
	return i + 1 < argc && strcmp(argv[i + 1], "--help") == 0 ? LK_EXIT_OK : LK_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct globals g = {0};
	struct lk_cli cli = {0};
	const struct lk_command *cmd;
	int next = 0, words = 0, rc;

	/*
	 * Argon2id takes about 19 MiB per password check. A fixed mmap
	 * threshold keeps such blocks mapped on their own and unmapped when
	 * freed; glibc's default raises the threshold after the first free, and
	 * the heap then keeps the memory of every concurrent check for good.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	rc = parse_globals(argc, argv, &g, &next);
	if (rc < 0)
		return LK_EXIT_OK;
	if (rc)
		return rc;
	if (next >= argc) {
		usage(stderr);
		return LK_EXIT_USAGE;
	}
	cmd = find_command(argc, argv, next, &words);
	if (!cmd)
		return unknown_command(argc, argv, next);
	cli.command = cmd->name;
	argc -= next + words - 1;
	argv += next + words - 1;
	/* --help works even when the configuration is broken. */
	if (lk_cli_wants_help(argc, argv))
		rc = lk_config_init(&cli.cfg) ? LK_EXIT_INVALID : LK_EXIT_OK;
	else
		rc = load_config(&cli, &g);
	if (!rc)
		rc = cmd->fn(&cli, argc, argv);
	lk_config_release(&cli.cfg);
	return rc;
}
