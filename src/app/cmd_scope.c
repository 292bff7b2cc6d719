/* latchkey scope add|list|remove, latchkey audit. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app/commands.h"
#include "core/clock.h"
#include "oauth/registry.h"

#define AUDIT_DEFAULT_LIMIT 50

enum { O_DESCRIPTION = 256, O_CERTIFICATE, O_LIMIT, O_ACTION, O_ACTOR, O_OBJECT, O_SINCE };

static const char missing_name[] = "missing NAME (a scope name)";

static const char add_help[] =
	"usage: latchkey scope add NAME [--description TEXT] [--certificate]\n"
	"\n"
	"Adds a scope to the catalog. The description is shown on the consent\n"
	"page. --certificate makes it a certificate scope: client_certificate\n"
	"applications are given exactly the catalog's certificate scopes.\n";

int lk_cmd_scope_add(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"description", required_argument, NULL, O_DESCRIPTION},
		{"certificate", no_argument, NULL, O_CERTIFICATE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	struct lk_registry r;
	const char *pos[1], *description = NULL;
	bool certificate = false;
	int c, npos = 0, rc = LK_EXIT_OK;
	enum lk_err err;

	optind = 0;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, opts, add_help, pos, 1, &npos, &rc)) != -1) {
		if (c == LK_CLI_STOP)
			return rc;
		if (c == O_DESCRIPTION)
			description = optarg;
		else
			certificate = true;
	}
	if (npos < 1)
		return lk_cli_usage(cli, missing_name);
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	err = lk_registry_scope_add(&r, pos[0], description, certificate);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
	} else {
		lk_cli_registry_warn(&r);
		printf("scope '%s' added%s\n", pos[0], certificate ? " (certificate scope)" : "");
	}
	lk_store_close(s);
	return rc;
}

static const char list_help[] = "usage: latchkey scope list [--json]\n"
				"\n"
				"Lists the scope catalog (--json: an array of scopes).\n";

int lk_cmd_scope_list(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_scope *scopes = NULL;
	size_t n = 0;
	bool json = false;
	int npos = 0, rc = LK_EXIT_OK, w = (int)strlen("NAME");
	enum lk_err err;

	if (!lk_cli_json_args(cli, argc, argv, list_help, NULL, 0, &npos, &json, &rc))
		return rc;
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	err = lk_registry_scope_list(&r, &scopes, &n);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	if (json) {
		LK_CLI_PRINT_JSON_ARRAY(scopes, n, lk_scope_to_json);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(scopes[i].name) > w)
			w = (int)strlen(scopes[i].name);
	printf("%-*s  %-11s  %s\n", w, "NAME", "CERTIFICATE", "DESCRIPTION");
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %-11s  %s\n", w, scopes[i].name, scopes[i].certificate ? "yes" : "-",
		       scopes[i].description[0] ? scopes[i].description : "-");
out:
	lk_scopes_free(scopes, n);
	lk_store_close(s);
	return rc;
}

static const char remove_help[] =
	"usage: latchkey scope remove NAME\n"
	"\n"
	"Removes a scope from the catalog. Refused for built-in scopes and while\n"
	"an application is allowed the scope.\n";

int lk_cmd_scope_remove(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	struct lk_registry r;
	const char *pos[1];
	int c, npos = 0, rc = LK_EXIT_OK;
	enum lk_err err;

	optind = 0;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, opts, remove_help, pos, 1, &npos, &rc)) !=
	       -1) {
		if (c == LK_CLI_STOP)
			return rc;
	}
	if (npos < 1)
		return lk_cli_usage(cli, missing_name);
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	err = lk_registry_scope_remove(&r, pos[0]);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
	} else {
		lk_cli_registry_warn(&r);
		printf("scope '%s' removed\n", pos[0]);
	}
	lk_store_close(s);
	return rc;
}

static const char audit_help[] =
	"usage: latchkey audit [--limit N] [--action PREFIX] [--actor NAME]\n"
	"                      [--object ID] [--since UNIX_SECONDS] [--json]\n"
	"\n"
	"Prints the newest entries of the audit log first (default 50): time,\n"
	"actor, action, object type, object and detail. Secrets never appear in\n"
	"it. The filters keep only entries whose action starts with PREFIX\n"
	"(\"signin.\", \"app.add\"), whose actor is NAME, whose object is ID, or\n"
	"that were written at or after the time given; together, entries that\n"
	"pass all of them, and --limit counts those. --json prints an array.\n";

/* A filter's text: as the store allows, so that a long one fails here. */
static int audit_text(struct lk_cli *cli, const char *opt, const char *v, const char **out)
{
	if (strnlen(v, LK_REC_STR_MAX + 1) > LK_REC_STR_MAX)
		return lk_cli_fail(cli, "%s: longer than %d bytes", opt, LK_REC_STR_MAX);
	*out = v;
	return LK_EXIT_OK;
}

/* --limit, as the registry reads it; --since, a time in Unix seconds. */
static int audit_number(struct lk_cli *cli, int c, const char *v, int *limit, int64_t *since)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (end == v || *end)
		return lk_cli_fail(cli, "%s: '%s' is not a number",
				   c == O_LIMIT ? "--limit" : "--since", v);
	if (c == O_SINCE) {
		if (n < 0 || errno == ERANGE)
			return lk_cli_fail(cli, "--since: '%s' is not a time in Unix seconds", v);
		*since = (int64_t)n;
		return LK_EXIT_OK;
	}
	if (n < 1 || n > LK_AUDIT_LIST_MAX || errno == ERANGE)
		return lk_cli_fail(cli, "--limit: must be 1 to %d", LK_AUDIT_LIST_MAX);
	*limit = (int)n;
	return LK_EXIT_OK;
}

int lk_cmd_audit(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"limit", required_argument, NULL, O_LIMIT},
		{"action", required_argument, NULL, O_ACTION},
		{"actor", required_argument, NULL, O_ACTOR},
		{"object", required_argument, NULL, O_OBJECT},
		{"since", required_argument, NULL, O_SINCE},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_audit_filter f = {NULL, NULL, NULL, 0};
	struct lk_audit *log = NULL;
	size_t n = 0;
	bool json = false;
	int c, npos = 0, rc = LK_EXIT_OK, limit = AUDIT_DEFAULT_LIMIT;
	enum lk_err err;

	optind = 0;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, opts, audit_help, NULL, 0, &npos, &rc)) !=
	       -1) {
		if (c == LK_CLI_STOP)
			return rc;
		if (c == 'j')
			json = true;
		else if (c == O_ACTION)
			rc = audit_text(cli, "--action", optarg, &f.action_prefix);
		else if (c == O_ACTOR)
			rc = audit_text(cli, "--actor", optarg, &f.actor);
		else if (c == O_OBJECT)
			rc = audit_text(cli, "--object", optarg, &f.object_id);
		else
			rc = audit_number(cli, c, optarg, &limit, &f.since);
		if (rc != LK_EXIT_OK)
			return rc;
	}
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	/*
	 * The filters are the store's: the limit counts matching entries, which
	 * filtering a page of the newest entries afterwards would not.
	 */
	err = lk_store_audit_find(s, &f, limit, &log, &n);
	if (err) {
		rc = lk_cli_fail(cli, "cannot read the audit log: %s", lk_err_str(err));
		goto out;
	}
	if (json) {
		LK_CLI_PRINT_JSON_ARRAY(log, n, lk_audit_to_json);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char at[32];

		lk_time_format(log[i].at, at);
		printf("%s %s %s %s %s %s\n", at, log[i].actor, log[i].action, log[i].object_type,
		       log[i].object_id[0] ? log[i].object_id : "-", log[i].detail);
	}
out:
	lk_audits_free(log, n);
	lk_store_close(s);
	return rc;
}
