/*
 * latchkey user add|list|show|disable|enable|remove|passwd.
 *
 * Passwords never travel in argv (other local users can read it in /proc):
 * they come on standard input with --password-stdin, or are generated and
 * printed once. Every rule on users lives in the registry service.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "app/commands.h"
#include "core/clock.h"
#include "core/secure.h"
#include "oauth/registry.h"

enum {
	O_EMAIL = 256,
	O_EMAIL_VERIFIED,
	O_NAME,
	O_GIVEN_NAME,
	O_FAMILY_NAME,
	O_PHONE,
	O_ROLE,
	O_PASSWORD_STDIN,
};

/* A password as read: LK_PASSWORD_MAX bytes, a '\r' of a "\r\n" line end, a NUL. */
#define PASSWORD_BUF (LK_PASSWORD_MAX + 2)

static const char missing_user[] = "missing USER (domain\\user or user)";

/*
 * Reads one line of standard input into buf (PASSWORD_BUF bytes) without its
 * line end ("\n" or "\r\n"), byte by byte so that no copy stays in a stdio
 * buffer. A terminal does not echo it. On failure buf holds "" and the reason
 * has been printed.
 */
static int read_password(struct lk_cli *cli, char *buf)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	bool line = false;     /* a byte or a line end was read */
	bool too_long = false; /* more bytes than the buffer holds */
	size_t n = 0;
	char c = 0;
	int rc = LK_EXIT_OK;

	if (tty) {
		fputs("Password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	for (;;) {
		ssize_t got = read(STDIN_FILENO, &c, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			rc = lk_cli_fail(cli, "cannot read standard input: %s", strerror(errno));
		if (got <= 0)
			break;
		line = true;
		if (c == '\n')
			break;
		if (n >= PASSWORD_BUF - 1) {
			too_long = true;
			break;
		}
		buf[n++] = c;
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!too_long && n && buf[n - 1] == '\r')
		n--;
	if (!rc && !line)
		rc = lk_cli_fail(cli, "no password on standard input");
	else if (!rc && (too_long || n > LK_PASSWORD_MAX))
		rc = lk_cli_fail(cli, "the password on standard input is longer than %d bytes",
				 LK_PASSWORD_MAX);
	else if (!rc && memchr(buf, '\0', n))
		rc = lk_cli_fail(cli, "the password on standard input contains a NUL byte");
	buf[rc ? 0 : n] = '\0';
	if (rc)
		lk_wipe(buf, PASSWORD_BUF);
	lk_wipe(&c, sizeof(c));
	return rc;
}

/* The readable form of a user, one "field: value" per line. */
static void print_user(const struct lk_user *u)
{
	char t1[32], t2[32];

	lk_time_format(u->created_at, t1);
	lk_time_format(u->updated_at, t2);
	printf("user:         %s\\%s\n", u->domain, u->username);
	printf("id:           %lld\n", (long long)u->id);
	printf("role:         %s\n", lk_role_name(u->role));
	printf("enabled:      %s\n", u->enabled ? "yes" : "no");
	printf("display name: %s\n", u->display_name[0] ? u->display_name : "-");
	printf("given name:   %s\n", u->given_name[0] ? u->given_name : "-");
	printf("family name:  %s\n", u->family_name[0] ? u->family_name : "-");
	printf("email:        %s%s\n", u->email[0] ? u->email : "-",
	       u->email_verified ? " (verified)" : "");
	printf("phone:        %s\n", u->phone[0] ? u->phone : "-");
	printf("password:     %s\n", u->password_hash[0] ? "set" : "none");
	printf("created:      %s\n", t1);
	printf("updated:      %s\n", t2);
}

static const char add_help[] =
	"usage: latchkey user add USER [options] [--json]\n"
	"\n"
	"Creates a user. USER is domain\\user, or user in the default domain.\n"
	"Without --password-stdin a password is generated and printed once.\n"
	"\n"
	"options:\n"
	"  --email E            email address\n"
	"  --email-verified     the email address is known to be the user's\n"
	"  --name DISPLAY       display name\n"
	"  --given-name G\n"
	"  --family-name F\n"
	"  --phone P\n"
	"  --role admin|user    default user\n"
	"  --password-stdin     read the password from one line of standard input\n"
	"  --json               print the user as JSON (with the generated password)\n";

int lk_cmd_user_add(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"email", required_argument, NULL, O_EMAIL},
		{"email-verified", no_argument, NULL, O_EMAIL_VERIFIED},
		{"name", required_argument, NULL, O_NAME},
		{"given-name", required_argument, NULL, O_GIVEN_NAME},
		{"family-name", required_argument, NULL, O_FAMILY_NAME},
		{"phone", required_argument, NULL, O_PHONE},
		{"role", required_argument, NULL, O_ROLE},
		{"password-stdin", no_argument, NULL, O_PASSWORD_STDIN},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_user_input in;
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_user u;
	char password[PASSWORD_BUF] = "", generated[LK_PASSWORD_GENERATED_LEN + 1] = "";
	const char *pos[1];
	bool json = false, from_stdin = false;
	int c, npos = 0, rc = LK_EXIT_OK;
	enum lk_err err;

	lk_user_input_init(&in);
	optind = 0;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, opts, add_help, pos, 1, &npos, &rc)) != -1) {
		switch (c) {
		case LK_CLI_STOP:
			return rc;
		case O_EMAIL:
			in.email = optarg;
			break;
		case O_EMAIL_VERIFIED:
			in.email_verified = 1;
			break;
		case O_NAME:
			in.display_name = optarg;
			break;
		case O_GIVEN_NAME:
			in.given_name = optarg;
			break;
		case O_FAMILY_NAME:
			in.family_name = optarg;
			break;
		case O_PHONE:
			in.phone = optarg;
			break;
		case O_ROLE:
			in.role = optarg;
			break;
		case O_PASSWORD_STDIN:
			from_stdin = true;
			break;
		default:
			json = true;
			break;
		}
	}
	if (npos < 1)
		return lk_cli_usage(cli, missing_user);
	in.user = pos[0];
	if (from_stdin && (rc = read_password(cli, password)) != LK_EXIT_OK)
		return rc;
	if (lk_cli_registry(cli, &s, &r)) {
		rc = LK_EXIT_INVALID;
		goto out;
	}
	err = lk_registry_user_add(&r, &in, from_stdin ? password : NULL, &u, generated);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	lk_cli_registry_warn(&r);
	if (json) {
		json_t *j = lk_user_to_json(&u);

		if (j && generated[0])
			json_object_set_new(j, "password", json_string(generated));
		lk_cli_print_json_secret(j, "password");
	} else {
		printf("added user '%s\\%s'\n\n", u.domain, u.username);
		print_user(&u);
		if (generated[0])
			printf("\npassword:     %s\n\nThe password is shown only now and will not "
			       "be shown again.\n",
			       generated);
	}
	lk_user_release(&u);
out:
	lk_wipe(password, sizeof(password));
	lk_wipe(generated, sizeof(generated));
	lk_store_close(s);
	return rc;
}

static const char list_help[] = "usage: latchkey user list [--json]\n"
				"\n"
				"Lists the users (--json: an array of users).\n";

int lk_cmd_user_list(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_user *users = NULL;
	size_t n = 0;
	bool json = false;
	int npos = 0, rc = LK_EXIT_OK;
	enum lk_err err;

	if (!lk_cli_json_args(cli, argc, argv, list_help, NULL, 0, &npos, &json, &rc))
		return rc;
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	err = lk_registry_user_list(&r, &users, &n);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	if (json) {
		LK_CLI_PRINT_JSON_ARRAY(users, n, lk_user_to_json);
		goto out;
	}
	printf("%-32s  %-5s  %-7s  %-32s  %s\n", "USER", "ROLE", "ENABLED", "EMAIL", "NAME");
	for (size_t i = 0; i < n; i++) {
		char full[300];

		snprintf(full, sizeof(full), "%s\\%s", users[i].domain, users[i].username);
		printf("%-32s  %-5s  %-7s  %-32s  %s\n", full, lk_role_name(users[i].role),
		       users[i].enabled ? "yes" : "no", users[i].email[0] ? users[i].email : "-",
		       users[i].display_name[0] ? users[i].display_name : "-");
	}
out:
	lk_users_free(users, n);
	lk_store_close(s);
	return rc;
}

enum user_action { SHOW, ENABLE, DISABLE, REMOVE };

/* show, enable, disable, remove: one USER, optional --json. */
static int user_action(struct lk_cli *cli, int argc, char **argv, const char *help,
		       enum user_action act)
{
	struct lk_store *s = NULL;
	struct lk_registry r;
	struct lk_user u;
	const char *pos[1];
	char full[300];
	bool json = false;
	int npos = 0, rc = LK_EXIT_OK;
	enum lk_err err;

	if (!lk_cli_json_args(cli, argc, argv, help, pos, 1, &npos, &json, &rc))
		return rc;
	if (npos < 1)
		return lk_cli_usage(cli, missing_user);
	if (lk_cli_registry(cli, &s, &r))
		return LK_EXIT_INVALID;
	if (act == SHOW || act == REMOVE)
		err = lk_registry_user_get(&r, pos[0], &u);
	else
		err = lk_registry_user_set_enabled(&r, pos[0], act == ENABLE, &u);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	snprintf(full, sizeof(full), "%s\\%s", u.domain, u.username);
	/* The canonical name: "Alice" and "local\Alice" are the same user. */
	if (act == REMOVE && (err = lk_registry_user_remove(&r, full)) != LK_OK) {
		rc = lk_cli_registry_fail(cli, &r, err);
		lk_user_release(&u);
		goto out;
	}
	lk_cli_registry_warn(&r);
	if (json && act == REMOVE)
		lk_cli_print_json(json_pack("{s:s}", "removed", full));
	else if (json)
		lk_cli_print_json(lk_user_to_json(&u));
	else if (act == SHOW)
		print_user(&u);
	else
		printf("user '%s' %s\n", full,
		       act == ENABLE	? "enabled"
		       : act == DISABLE ? "disabled"
					: "removed");
	lk_user_release(&u);
out:
	lk_store_close(s);
	return rc;
}

static const char show_help[] = "usage: latchkey user show USER [--json]\n"
				"\n"
				"Prints a user's profile (never the password hash).\n";

int lk_cmd_user_show(struct lk_cli *cli, int argc, char **argv)
{
	return user_action(cli, argc, argv, show_help, SHOW);
}

static const char disable_help[] =
	"usage: latchkey user disable USER [--json]\n"
	"\n"
	"Disables a user: they can no longer sign in, and applications can no\n"
	"longer be bound to them.\n";

int lk_cmd_user_disable(struct lk_cli *cli, int argc, char **argv)
{
	return user_action(cli, argc, argv, disable_help, DISABLE);
}

static const char enable_help[] = "usage: latchkey user enable USER [--json]\n"
				  "\n"
				  "Enables a user that was disabled.\n";

int lk_cmd_user_enable(struct lk_cli *cli, int argc, char **argv)
{
	return user_action(cli, argc, argv, enable_help, ENABLE);
}

static const char remove_help[] =
	"usage: latchkey user remove USER [--json]\n"
	"\n"
	"Removes a user. Refused while an application is bound to the user\n"
	"(unbind it first with 'latchkey app update APP --user \"\"').\n"
	"--json prints {\"removed\": \"domain\\\\user\"}.\n";

int lk_cmd_user_remove(struct lk_cli *cli, int argc, char **argv)
{
	return user_action(cli, argc, argv, remove_help, REMOVE);
}

static const char passwd_help[] =
	"usage: latchkey user passwd USER [--password-stdin]\n"
	"\n"
	"Sets a user's password: read from one line of standard input with\n"
	"--password-stdin, otherwise generated and printed once.\n";

int lk_cmd_user_passwd(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"password-stdin", no_argument, NULL, O_PASSWORD_STDIN},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lk_store *s = NULL;
	struct lk_registry r;
	char password[PASSWORD_BUF] = "", generated[LK_PASSWORD_GENERATED_LEN + 1] = "";
	const char *pos[1];
	bool from_stdin = false;
	int c, npos = 0, rc = LK_EXIT_OK;
	enum lk_err err;

	optind = 0;
	while ((c = lk_cli_getopt_pos(cli, argc, argv, opts, passwd_help, pos, 1, &npos, &rc)) !=
	       -1) {
		if (c == LK_CLI_STOP)
			return rc;
		from_stdin = true;
	}
	if (npos < 1)
		return lk_cli_usage(cli, missing_user);
	if (from_stdin && (rc = read_password(cli, password)) != LK_EXIT_OK)
		return rc;
	if (lk_cli_registry(cli, &s, &r)) {
		rc = LK_EXIT_INVALID;
		goto out;
	}
	err = lk_registry_user_passwd(&r, pos[0], from_stdin ? password : NULL, generated);
	if (err) {
		rc = lk_cli_registry_fail(cli, &r, err);
		goto out;
	}
	lk_cli_registry_warn(&r);
	if (generated[0])
		printf("password:     %s\n\nThe password is shown only now and will not be shown "
		       "again.\n",
		       generated);
	else
		printf("password of '%s' changed\n", pos[0]);
	fflush(stdout);
out:
	lk_wipe(password, sizeof(password));
	lk_wipe(generated, sizeof(generated));
	lk_store_close(s);
	return rc;
}
