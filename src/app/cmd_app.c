/*
 * latchkey app add|list|show|update|disable|enable|remove|rotate-secret.
 *
 * The commands only turn options into a struct lk_app_input and print what
 * the registry service returns: every rule of DESIGN §1, the transaction and
 * the audit entry live in oauth/registry*.c, shared with the admin API.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app/commands.h"
#include "core/clock.h"
#include "core/secure.h"
#include "jose/cert.h"
#include "oauth/registry.h"

/* Long-only options: values above any character. */
enum {
	O_NAME = 256,
	O_GRANT,
	O_SCOPE,
	O_USER,
	O_REDIRECT_URI,
	O_STRATEGY,
	O_POST_LOGOUT,
	O_LIFETIME,
	O_LIFECYCLE,
	O_PUBLIC_KEY,
	O_CLIENT_TYPE,
	O_TOKEN_FORMAT,
	O_AUDIENCE,
	O_ID_TOKEN_ALG,
	O_USERINFO_ALG,
	O_FIRST_PARTY,
	O_NO_FIRST_PARTY,
	O_DESCRIPTION,
	O_WEBSITE,
	O_GRACE,
};

/*
 * The options of `app add` and `app update`; --no-first-party is for update
 * only (a new application is not first party unless --first-party is given).
 */
static const struct option app_opts[] = {
	{"name", required_argument, NULL, O_NAME},
	{"grant", required_argument, NULL, O_GRANT},
	{"scope", required_argument, NULL, O_SCOPE},
	{"user", required_argument, NULL, O_USER},
	{"redirect-uri", required_argument, NULL, O_REDIRECT_URI},
	{"redirect-strategy", required_argument, NULL, O_STRATEGY},
	{"post-logout-redirect-uri", required_argument, NULL, O_POST_LOGOUT},
	{"lifetime", required_argument, NULL, O_LIFETIME},
	{"lifecycle", required_argument, NULL, O_LIFECYCLE},
	{"public-key", required_argument, NULL, O_PUBLIC_KEY},
	{"client-type", required_argument, NULL, O_CLIENT_TYPE},
	{"token-format", required_argument, NULL, O_TOKEN_FORMAT},
	{"audience", required_argument, NULL, O_AUDIENCE},
	{"id-token-alg", required_argument, NULL, O_ID_TOKEN_ALG},
	{"userinfo-alg", required_argument, NULL, O_USERINFO_ALG},
	{"first-party", no_argument, NULL, O_FIRST_PARTY},
	{"no-first-party", no_argument, NULL, O_NO_FIRST_PARTY},
	{"description", required_argument, NULL, O_DESCRIPTION},
	{"website", required_argument, NULL, O_WEBSITE},
	{"json", no_argument, NULL, 'j'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

#define APP_OPTIONS_HELP                                                                           \
	"  --name NAME                 unique name; the app is addressed by it or its client_id\n" \
	"  --grant GRANT               authorization_code, client_credentials,\n"                  \
	"                              client_certificate, bearer_token, password or all\n"        \
	"  --scope S                   allowed scope(s) of the catalog; repeat, or give a\n"       \
	"                              space-separated list (default: api)\n"                      \
	"  --user USER                 domain\\user (or user) the app acts as\n"                   \
	"                              (client_credentials, client_certificate, all)\n"            \
	"  --redirect-uri URI          repeatable; https, exact match (loopback for\n"             \
	"                              mobile-localhost)\n"                                        \
	"  --redirect-strategy S       web (default), mobile-title or mobile-localhost\n"          \
	"  --post-logout-redirect-uri URI  repeatable; where logout may return\n"                  \
	"  --lifetime MINUTES|never    access token lifetime (default: the server's)\n"            \
	"  --lifecycle absolute|sliding\n"                                                         \
	"  --public-key FILE           X.509 certificate, PEM or DER (client_certificate)\n"       \
	"  --client-type confidential|public\n"                                                    \
	"  --token-format jwt|opaque\n"                                                            \
	"  --audience AUD              the access token's aud (default: the issuer)\n"             \
	"  --id-token-alg RS256|PS256|ES256\n"                                                     \
	"  --userinfo-alg RS256|PS256|ES256\n"                                                     \
	"                              sign userinfo answers (\"\" = plain JSON, the default)\n"   \
	"  --first-party               skip the consent page\n"                                    \
	"  --description TEXT\n"                                                                   \
	"  --website URL\n"                                                                        \
	"  --json                      print the application as JSON\n"

/* The argument and options of show, enable, disable, remove, rotate-secret. */
struct app_args {
	const char *app;
	bool json;
	int grace;
};

/* Parsed options of `app add` / `app update`. */
struct app_opts {
	struct lk_app_input in;
	const char *public_key; /* file name */
	const char *too_many;	/* the repeated option given too often */
	bool json;
};

static void add_to_list(struct app_opts *o, const char **list, size_t *n, const char *v,
			const char *flag)
{
	if (*n >= LK_REGISTRY_MAX_LIST) {
		o->too_many = flag;
		return;
	}
	list[(*n)++] = v;
}

/* Stores one option of add/update; false for an option this code does not know. */
static bool app_option(struct app_opts *o, int c, const char *v)
{
	struct lk_app_input *in = &o->in;

	switch (c) {
	case O_NAME:
		in->name = v;
		break;
	case O_GRANT:
		in->grant = v;
		break;
	case O_SCOPE:
		add_to_list(o, in->scopes, &in->nscopes, v, "--scope");
		break;
	case O_USER:
		in->user = v;
		break;
	case O_REDIRECT_URI:
		add_to_list(o, in->redirect_uris, &in->nredirect_uris, v, "--redirect-uri");
		break;
	case O_STRATEGY:
		in->strategy = v;
		break;
	case O_POST_LOGOUT:
		add_to_list(o, in->post_logout_uris, &in->npost_logout_uris, v,
			    "--post-logout-redirect-uri");
		break;
	case O_LIFETIME:
		in->lifetime = v;
		break;
	case O_LIFECYCLE:
		in->lifecycle = v;
		break;
	case O_PUBLIC_KEY:
		o->public_key = v;
		break;
	case O_CLIENT_TYPE:
		in->client_type = v;
		break;
	case O_TOKEN_FORMAT:
		in->token_format = v;
		break;
	case O_AUDIENCE:
		in->audience = v;
		break;
	case O_ID_TOKEN_ALG:
		in->id_token_alg = v;
		break;
	case O_USERINFO_ALG:
		in->userinfo_alg = v;
		break;
	case O_FIRST_PARTY:
		in->first_party = 1;
		break;
	case O_NO_FIRST_PARTY:
		in->first_party = 0;
		break;
	case O_DESCRIPTION:
		in->description = v;
		break;
	case O_WEBSITE:
		in->website = v;
		break;
	case 'j':
		o->json = true;
		break;
	default:
		return false;
	}
	return true;
}

/*
 * Reads the certificate file of --public-key (at most LK_CERT_MAX_SIZE bytes)
 * into in->cert; the caller frees it. The service parses and checks it.
 */
static int read_public_key(struct lk_cli *cli, struct app_opts *o)
{
	unsigned char *data;
	size_t n;
	FILE *f;
	int rc = LK_EXIT_OK;

	if (!o->public_key)
		return LK_EXIT_OK;
	f = fopen(o->public_key, "rb");
	if (!f)
		return lk_cli_fail(cli, "--public-key: cannot read '%s': %s", o->public_key,
				   strerror(errno));
	data = malloc(LK_CERT_MAX_SIZE + 1);
	if (!data) {
		fclose(f);
		return lk_cli_fail(cli, "out of memory");
	}
	n = fread(data, 1, LK_CERT_MAX_SIZE + 1, f);
	if (ferror(f))
		rc = lk_cli_fail(cli, "--public-key: cannot read '%s': %s", o->public_key,
				 strerror(errno));
	else if (n > LK_CERT_MAX_SIZE)
		rc = lk_cli_fail(cli, "--public-key: '%s' is larger than %d KiB", o->public_key,
				 LK_CERT_MAX_SIZE / 1024);
	fclose(f);
	if (rc) {
		free(data);
		return rc;
	}
	o->in.cert = data;
	o->in.cert_len = n;
	return LK_EXIT_OK;
}

/*
 * Parses the options of add (update: also APP and --no-first-party). Returns
 * true to go on; false to stop with exit status *rc (--help, a usage error,
 * an unreadable --public-key file).
 */
static bool parse_app_opts(struct lk_cli *cli, int argc, char **argv, const char *help, bool update,
			   struct app_opts *o, const char **app, int *rc)
{
	const char *pos[1];
	int c, npos = 0;

	memset(o, 0, sizeof(*o));
	lk_app_input_init(&o->in);
	optind = 0;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, app_opts, help, pos, update ? 1 : 0, &npos,
				      rc)) != -1) {
		if (c == LK_CLI_STOP)
			return false;
		if (c == O_NO_FIRST_PARTY && !update) {
			*rc = lk_cli_usage(cli, "unknown option '--no-first-party'");
			return false;
		}
		app_option(o, c, optarg);
	}
	if (update && npos < 1) {
		*rc = lk_cli_usage(cli, "missing APP (a client_id or an application name)");
		return false;
	}
	if (update)
		*app = pos[0];
	if (o->too_many) {
		*rc = lk_cli_fail(cli, "%s: at most %d values", o->too_many, LK_REGISTRY_MAX_LIST);
		return false;
	}
	*rc = read_public_key(cli, o);
	return *rc == LK_EXIT_OK;
}

/*
 * Parses commands whose only argument is APP (show, enable, rotate-secret,
 * ...). Returns true to go on, false to stop with exit status *rc.
 */
static bool parse_app_arg(struct lk_cli *cli, int argc, char **argv, const char *help,
			  const struct option *opts, struct app_args *out, int *rc)
{
	const char *pos[1];
	int c, npos = 0;

	optind = 0;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, opts, help, pos, 1, &npos, rc)) != -1) {
		char *end;
		long v;

		if (c == LK_CLI_STOP)
			return false;
		if (c == 'j') {
			out->json = true;
			continue;
		}
		/* --grace: its range is the service's rule; beyond int is out of it too. */
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (end == optarg || *end) {
			*rc = lk_cli_fail(cli, "--grace: '%s' is not a number of minutes", optarg);
			return false;
		}
		out->grace = v > INT_MAX || errno == ERANGE ? INT_MAX
			     : v < INT_MIN		    ? INT_MIN
							    : (int)v;
	}
	if (npos < 1) {
		*rc = lk_cli_usage(cli, "missing APP (a client_id or an application name)");
		return false;
	}
	out->app = pos[0];
	return true;
}

static const char *lifetime_text(const struct lk_app *a, const struct lk_config *cfg, char *buf,
				 size_t n)
{
	if (a->lifetime == LK_LIFETIME_NEVER)
		snprintf(buf, n, "never expires");
	else if (a->lifetime == LK_LIFETIME_DEFAULT)
		snprintf(buf, n, "server default (%d minutes)", cfg->access_lifetime);
	else
		snprintf(buf, n, "%d minutes", a->lifetime);
	return buf;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* The readable form of an application, one "field: value" per line. */
static void print_app(const struct lk_app *a, const struct lk_config *cfg)
{
	char life[64], t1[32], t2[32];

	printf("name:                      %s\n", a->name);
	printf("client_id:                 %s\n", a->client_id);
	printf("enabled:                   %s\n", a->enabled ? "yes" : "no");
	printf("grant:                     %s\n", lk_grant_name(a->grant));
	printf("client type:               %s\n", lk_client_type_name(a->client_type));
	printf("scopes:                    %s\n", or_dash(a->scopes));
	printf("user:                      %s\n", a->user[0] ? a->user : "- (acts as itself)");
	if (a->grant == LK_GRANT_AUTHORIZATION_CODE || a->grant == LK_GRANT_ALL) {
		printf("redirect strategy:         %s\n", lk_strategy_name(a->strategy));
		printf("redirect URIs:             %s\n", or_dash(a->redirect_uris));
		printf("post-logout redirect URIs: %s\n", or_dash(a->post_logout_redirect_uris));
	}
	printf("token lifetime:            %s\n", lifetime_text(a, cfg, life, sizeof(life)));
	printf("life cycle:                %s\n", lk_lifecycle_name(a->lifecycle));
	printf("token format:              %s\n", lk_token_format_name(a->token_format));
	printf("audience:                  %s\n", a->audience[0] ? a->audience : "- (the issuer)");
	printf("ID token algorithm:        %s\n", a->id_token_alg);
	printf("userinfo algorithm:        %s\n",
	       a->userinfo_alg[0] ? a->userinfo_alg : "- (plain JSON)");
	printf("first party:               %s\n", a->first_party ? "yes" : "no");
	printf("description:               %s\n", or_dash(a->description));
	printf("website:                   %s\n", or_dash(a->website));
	if (a->cert_der_len) {
		lk_time_format(a->cert_not_before, t1);
		lk_time_format(a->cert_not_after, t2);
		printf("certificate:               %s (%s), valid %s to %s\n", a->cert_subject,
		       a->cert_key_type, t1, t2);
		printf("certificate kid:           %s\n", a->cert_kid);
	}
	lk_time_format(a->created_at, t1);
	lk_time_format(a->updated_at, t2);
	printf("created:                   %s\n", t1);
	printf("updated:                   %s\n", t2);
}

static const char add_help[] =
	"usage: latchkey app add --name NAME --grant GRANT [options] [--json]\n"
	"\n"
	"Registers an application and prints its client_id and, for confidential\n"
	"applications, its client secret. The secret is shown only now: only a hash\n"
	"of it is stored.\n"
	"\n"
	"options:\n" APP_OPTIONS_HELP;

int lk_cmd_app_add(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct app_opts o;
	struct lk_app a;
	char secret[LK_TOKEN_MAX] = "";
	enum lk_err err;
	int rc = LK_EXIT_OK;

	if (!parse_app_opts(cli, argc, argv, add_help, false, &o, NULL, &rc))
		goto out;
	if (lk_cli_registry(cli, &s, &r)) {
		rc = LK_EXIT_INVALID;
		goto out;
	}
	err = lk_registry_app_add(&r, &o.in, &a, secret);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	lk_cli_registry_warn(&r);
	if (o.json) {
		json_t *j = lk_app_to_json(&a);

		if (j && secret[0])
			json_object_set_new(j, "client_secret", json_string(secret));
		lk_cli_print_json_secret(j, "client_secret");
	} else {
		printf("registered application '%s'\n\n", a.name);
		print_app(&a, &cli->cfg);
		if (secret[0]) {
			printf("\nclient_secret:             %s\n", secret);
			printf("\nThe client secret is shown only now and will not be shown "
			       "again:\n"
			       "store it safely. 'latchkey app rotate-secret' issues a new one.\n");
		}
	}
	lk_app_release(&a);
out:
	lk_wipe(secret, sizeof(secret));
	free((void *)o.in.cert);
	lk_store_close(s);
	return rc;
}

static const char update_help[] =
	"usage: latchkey app update APP [options] [--json]\n"
	"\n"
	"Changes the options given; the others keep their values, and the result\n"
	"is checked as a whole. A list option (--scope, --redirect-uri,\n"
	"--post-logout-redirect-uri) replaces the stored list. --user '' unbinds\n"
	"the user; --no-first-party clears --first-party. APP is a client_id or a\n"
	"name.\n"
	"\n"
	"options:\n" APP_OPTIONS_HELP "  --no-first-party            show the consent page again\n";

int lk_cmd_app_update(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct app_opts o;
	struct lk_app a;
	const char *app = NULL;
	enum lk_err err;
	int rc = LK_EXIT_OK;

	if (!parse_app_opts(cli, argc, argv, update_help, true, &o, &app, &rc))
		goto out;
	if (lk_cli_registry(cli, &s, &r)) {
		rc = LK_EXIT_INVALID;
		goto out;
	}
	err = lk_registry_app_update(&r, app, &o.in, &a);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	lk_cli_registry_warn(&r);
	if (o.json) {
		lk_cli_print_json(lk_app_to_json(&a));
	} else {
		printf("updated application '%s'\n\n", a.name);
		print_app(&a, &cli->cfg);
	}
	lk_app_release(&a);
out:
	free((void *)o.in.cert);
	lk_store_close(s);
	return rc;
}

static const char list_help[] =
	"usage: latchkey app list [--json]\n"
	"\n"
	"Lists the applications by name (--json: an array of applications).\n";

/* The width of a column: its widest value, at least the title's, at most max. */
static int width(int w, const char *v, int max)
{
	int len = (int)strlen(v);

	return len > w ? (len > max ? max : len) : w;
}

int lk_cmd_app_list(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_app *apps = NULL;
	size_t n = 0;
	bool json = false;
	int npos = 0, rc = LK_EXIT_OK, wn, ws;
	enum lk_err err;

	if (!lk_cli_json_args(cli, argc, argv, list_help, NULL, 0, &npos, &json, &rc))
		return rc;
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	err = lk_registry_app_list(&r, &apps, &n);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	if (json) {
		LK_CLI_PRINT_JSON_ARRAY(apps, n, lk_app_to_json);
		goto out;
	}
	wn = (int)strlen("NAME");
	ws = (int)strlen("SCOPES");
	for (size_t i = 0; i < n; i++) {
		wn = width(wn, apps[i].name, 40);
		ws = width(ws, apps[i].scopes, 60);
	}
	printf("%-*s  %-22s  %-18s  %-*s  %s\n", wn, "NAME", "CLIENT_ID", "GRANT", ws, "SCOPES",
	       "ENABLED");
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %-22s  %-18s  %-*s  %s\n", wn, apps[i].name, apps[i].client_id,
		       lk_grant_name(apps[i].grant), ws, or_dash(apps[i].scopes),
		       apps[i].enabled ? "yes" : "no");
out:
	lk_apps_free(apps, n);
	lk_store_close(s);
	return rc;
}

static const struct option app_arg_opts[] = {
	{"json", no_argument, NULL, 'j'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

enum app_action { SHOW, ENABLE, DISABLE, REMOVE };

/* show, enable, disable, remove: one APP, optional --json. */
static int app_action(struct lk_cli *cli, int argc, char **argv, const char *help,
		      enum app_action act)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_app a;
	struct app_args args = {0};
	int rc = LK_EXIT_OK;
	enum lk_err err;

	if (!parse_app_arg(cli, argc, argv, help, app_arg_opts, &args, &rc))
		return rc;
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	if (act == SHOW || act == REMOVE)
		err = lk_registry_app_get(&r, args.app, &a);
	else
		err = lk_registry_app_set_enabled(&r, args.app, act == ENABLE, &a);
	/* Removing by client_id names the app that was found, even if renamed since. */
	if (!err && act == REMOVE) {
		err = lk_registry_app_remove(&r, a.client_id);
		if (err)
			lk_app_release(&a);
	}
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	lk_cli_registry_warn(&r);
	if (args.json && act == REMOVE)
		lk_cli_print_json(json_pack("{s:s}", "removed", a.client_id));
	else if (args.json)
		lk_cli_print_json(lk_app_to_json(&a));
	else if (act == SHOW)
		print_app(&a, &cli->cfg);
	else
		printf("application '%s' (%s) %s\n", a.name, a.client_id,
		       act == ENABLE	? "enabled"
		       : act == DISABLE ? "disabled"
					: "removed");
	lk_app_release(&a);
out:
	lk_store_close(s);
	return rc;
}

static const char show_help[] =
	"usage: latchkey app show APP [--json]\n"
	"\n"
	"Prints an application's settings (never its secret). APP is a client_id\n"
	"or a name.\n";

int lk_cmd_app_show(struct lk_cli *cli, int argc, char **argv)
{
	return app_action(cli, argc, argv, show_help, SHOW);
}

static const char disable_help[] =
	"usage: latchkey app disable APP [--json]\n"
	"\n"
	"Disables an application: the token endpoint refuses it, and its tokens\n"
	"become inactive at introspection, check and userinfo. JWT access tokens\n"
	"verified offline stay valid until they expire.\n";

int lk_cmd_app_disable(struct lk_cli *cli, int argc, char **argv)
{
	return app_action(cli, argc, argv, disable_help, DISABLE);
}

static const char enable_help[] = "usage: latchkey app enable APP [--json]\n"
				  "\n"
				  "Enables an application that was disabled.\n";

int lk_cmd_app_enable(struct lk_cli *cli, int argc, char **argv)
{
	return app_action(cli, argc, argv, enable_help, ENABLE);
}

static const char remove_help[] =
	"usage: latchkey app remove APP [--json]\n"
	"\n"
	"Removes an application and its secrets; its tokens become inactive.\n"
	"--json prints {\"removed\": CLIENT_ID}.\n";

int lk_cmd_app_remove(struct lk_cli *cli, int argc, char **argv)
{
	return app_action(cli, argc, argv, remove_help, REMOVE);
}

static const char rotate_help[] =
	"usage: latchkey app rotate-secret APP [--grace MINUTES] [--json]\n"
	"\n"
	"Issues a new client secret, valid at once, and prints it (shown only now).\n"
	"The previous secrets keep working for --grace minutes (default 0: they\n"
	"stop now). --json prints {\"client_id\": ..., \"client_secret\": ...}.\n";

int lk_cmd_app_rotate_secret(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"grace", required_argument, NULL, O_GRACE},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_app a;
	char secret[LK_TOKEN_MAX] = "";
	struct app_args args = {0};
	int rc = LK_EXIT_OK;
	enum lk_err err;

	if (!parse_app_arg(cli, argc, argv, rotate_help, opts, &args, &rc))
		return rc;
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	/* Resolve a name to the client_id that the output reports. */
	err = lk_registry_app_get(&r, args.app, &a);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	err = lk_registry_app_rotate_secret(&r, a.client_id, args.grace, secret);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
	} else if (args.json) {
		lk_cli_registry_warn(&r);
		lk_cli_print_json_secret(
			json_pack("{s:s, s:s}", "client_id", a.client_id, "client_secret", secret),
			"client_secret");
	} else {
		lk_cli_registry_warn(&r);
		printf("new client secret for '%s' (%s):\n%s\n", a.name, a.client_id, secret);
		if (args.grace > 0)
			printf("The previous secret(s) keep working for %d minutes.\n", args.grace);
		else
			printf("The previous secret(s) no longer work.\n");
		printf("The new secret is shown only now and will not be shown again.\n");
	}
	lk_app_release(&a);
out:
	lk_wipe(secret, sizeof(secret));
	lk_store_close(s);
	return rc;
}
