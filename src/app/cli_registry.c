/*
 * What the registry commands (app, user, scope, audit) share: opening the
 * registry with the operator as audit actor, options mixed with positional
 * arguments, the service's messages and warnings, and output that carries a
 * secret shown once.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "app/cli.h"
#include "core/clock.h"
#include "core/secure.h"
#include "oauth/registry.h"

/* "cli:" and a login name; longer names are cut, which only shortens the audit entry. */
#define ACTOR_MAX 96

enum lk_err lk_cli_registry(struct lk_cli *cli, struct lk_store **store, struct lk_registry *r)
{
	/* The CLI runs one command per process, so one actor string suffices. */
	static char actor[ACTOR_MAX];
	struct lk_store *s = NULL;
	struct passwd *pw;
	uid_t uid = geteuid();
	enum lk_err err;

	if (lk_cli_finish(cli) != LK_EXIT_OK)
		return LK_EINVAL;
	err = lk_cli_open_store(cli, &s);
	if (err)
		return err;
	/* The audit log says who made the change: the operating system account. */
	pw = getpwuid(uid);
	if (pw && pw->pw_name && pw->pw_name[0])
		snprintf(actor, sizeof(actor), "cli:%s", pw->pw_name);
	else
		snprintf(actor, sizeof(actor), "cli:uid-%lu", (unsigned long)uid);
	memset(r, 0, sizeof(*r));
	r->store = s;
	r->cfg = &cli->cfg;
	r->actor = actor;
	r->now = lk_now();
	*store = s;
	return LK_OK;
}

int lk_cli_registry_fail(const struct lk_cli *cli, const struct lk_registry *r, enum lk_err err)
{
	return lk_cli_fail(cli, "%s", r->err[0] ? r->err : lk_err_str(err));
}

void lk_cli_registry_warn(const struct lk_registry *r)
{
	const char *p = r->warn;

	while (*p) {
		size_t n = strcspn(p, "\n");

		if (n)
			lk_cli_warn("%.*s", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
}

int lk_cli_getopt_pos(struct lk_cli *cli, int argc, char **argv, const struct option *opts,
		      const char *help, const char **pos, int max, int *npos, int *rc)
{
	for (;;) {
		/* optind is 0 before the first call, which then starts at argv[1]. */
		int at = optind ? optind : 1;
		int c;

		/*
		 * "--" ends the options. It is looked for here, not left to
		 * getopt, so that its -1 always means "a positional argument
		 * or the end".
		 */
		if (at < argc && strcmp(argv[at], "--") == 0) {
			for (int i = at + 1; i < argc; i++) {
				if (*npos >= max) {
					*rc = lk_cli_usage(cli, "unexpected argument '%s'",
							   argv[i]);
					return LK_CLI_STOP;
				}
				pos[(*npos)++] = argv[i];
			}
			optind = argc;
			return -1;
		}
		c = lk_cli_getopt(cli, argc, argv, opts, help, rc);
		if (c != -1)
			return c;
		if (optind >= argc)
			break;
		/* Options may follow the positional arguments ("app show APP --json"). */
		if (*npos >= max) {
			*rc = lk_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
			return LK_CLI_STOP;
		}
		pos[(*npos)++] = argv[optind++];
	}
	/*
	 * main() saw --help and skipped loading the configuration, but it was
	 * the value of an option ("--name --help"): going on would act on the
	 * default database.
	 */
	if (lk_cli_wants_help(argc, argv)) {
		*rc = lk_cli_usage(cli, "'--help' or '-h' given as the value of an option");
		return LK_CLI_STOP;
	}
	return -1;
}

void lk_cli_print_json_secret(void *value, const char *member)
{
	json_t *v = value;
	json_t *s;
	char *text;

	if (!v)
		return;
	text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (text) {
		fputs(text, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		lk_wipe(text, strlen(text));
		free(text);
	}
	/* jansson keeps its own copy of the string; clear it before release. */
	s = json_object_get(v, member);
	if (json_is_string(s))
		lk_wipe((char *)json_string_value(s), json_string_length(s));
	json_decref(v);
}

bool lk_cli_json_args(struct lk_cli *cli, int argc, char **argv, const char *help,
		      const char **pos, int maxpos, int *npos, bool *json, int *rc)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	*npos = 0;
	*json = false;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, opts, help, pos, maxpos, npos, rc)) != -1) {
		if (c == LK_CLI_STOP)
			return false;
		*json = true;
	}
	return true;
}
