/*
 * GET and POST /signup (DESIGN §3): self sign-up, off unless [signup]
 * enabled. The form belongs to a pending authorization request, like the
 * login form; a good submission creates a user of the default domain,
 * signs them in as a login does and carries the request forward. Creating
 * the user hashes the password with Argon2id, so a POST is handed to the
 * slow-work pool, after the per-address login limiter.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/endpoints.h"
#include "endpoints/limits.h"
#include "endpoints/signin.h"
#include "oauth/params.h"
#include "oauth/password_policy.h"
#include "oauth/registry.h"

/* The fields of the form that the login form does not have. */
#define F_EMAIL "email"
#define F_PASSWORD_CONFIRM "password_confirm"

/* The audit log's actor for users who created themselves. */
#define ACTOR "signup"

/* RFC 5321 §4.5.3.1: at most 64 octets before the '@', 254 in all (RFC 3696 errata). */
#define EMAIL_MAX 254
#define EMAIL_LOCAL_MAX 64
#define DOMAIN_MAX 64
#define USERNAME_MAX 64

static const char *const msg_username = "Choose a username of letters, digits and . _ - @ + "
					"(at most 64 characters).";
static const char *const msg_domain = "Enter a username without a domain (no backslash).";
static const char *const msg_email = "Enter a valid email address.";
static const char *const msg_mismatch = "The passwords do not match.";
static const char *const msg_user_taken = "That username is taken.";
static const char *const msg_email_taken = "An account with that email exists.";
static const char *const msg_retry = "Something went wrong. Please try again.";

/* What was typed, kept for a form shown again; never the password. */
struct typed {
	const char *username;
	const char *email;
};

/* The sign-up form of a pending request, with an error message or none. */
static void render(struct lk_ctx *c, struct lk_response *res, int status,
		   const struct lk_pending *p, const struct typed *t, const char *error)
{
	struct lk_clients *clients = lk_ctx_clients(c);
	const struct lk_client *client = lk_clients_find(clients, p->authz.client_id);
	const char *app_name = client ? client->app.name : p->authz.client_id;
	char csrf[LK_CSRF_LEN + 1] = "";
	char origin[LK_AUTHZ_URI_MAX + 1] = "";
	char min_length[16];
	const char *login =
		lk_arena_printf(res->arena, "%s?%s=%s", LK_PATH_LOGIN, LK_F_REQUEST, p->rec.id);

	if (p->authz.internal[0])
		app_name = "latchkey administration";
	snprintf(min_length, sizeof(min_length), "%d", c->cfg->min_password_length);
	if (!login || lk_ep_csrf(c, p->rec.id, p->browser, csrf) != LK_OK ||
	    lk_authz_origin(&p->authz, origin, sizeof(origin)) != LK_OK) {
		lk_ep_error_page(res, 500, "Something went wrong", "Please try again later.");
	} else {
		const struct lk_ui_var v[] = {
			{"app_name", app_name}, {"action", LK_PATH_SIGNUP}, {"request", p->rec.id},
			{"csrf", csrf},		{"username", t->username},  {"email", t->email},
			{"error", error},	{"min_length", min_length}, {"login_url", login},
		};

		/* The form ends in a redirect to the application: its origin is a form target. */
		lk_ep_page(res, status, "signup.html", "Create an account", v,
			   sizeof(v) / sizeof(v[0]), origin);
	}
	lk_clients_unref(clients);
}

/* A DNS name of LDH labels (RFC 1035 §2.3.1, RFC 5890 A-labels included), with a dot. */
static bool valid_domain(const char *d)
{
	size_t label = 0, labels = 1;

	for (const char *p = d; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum((unsigned char)*p) && !(*p == '-' && label > 0))
			return false;
		if (++label > 63)
			return false;
	}
	return labels >= 2 && label > 0 && d[strlen(d) - 1] != '-';
}

/*
 * A plain address: the dot-atom local part of RFC 5322 §3.4.1 in ASCII (no
 * quoted strings, no comments), '@', a DNS name. Stricter than the RFC on
 * purpose: what it refuses is far more often a typo than a real address.
 */
static bool valid_email(const char *e)
{
	const char *at = strchr(e, '@');
	size_t local = at ? (size_t)(at - e) : 0;

	if (!at || local == 0 || local > EMAIL_LOCAL_MAX || strlen(e) > EMAIL_MAX || e[0] == '.' ||
	    at[-1] == '.')
		return false;
	for (const char *p = e; p < at; p++) {
		if (*p == '.' && p[1] == '.')
			return false;
		if (!isalnum((unsigned char)*p) && !strchr(".!#$%&'*+/=?^_`{|}~-", *p))
			return false;
	}
	return valid_domain(at + 1);
}

/*
 * Checks what was typed; NULL when all is well, else the message for the
 * form. *name receives the user name (the default domain's).
 */
static const char *check_input(const struct lk_config *cfg, const struct typed *t,
			       const char *password, const char *confirm, char *msg, size_t n,
			       char name[USERNAME_MAX + 1])
{
	char domain[DOMAIN_MAX + 1];
	enum lk_pw_problem problem;

	/* The new user is always in the default domain; naming another is refused. */
	if (strchr(t->username, '\\'))
		return msg_domain;
	if (lk_user_name_parse(t->username, cfg->default_domain, domain, sizeof(domain), name,
			       USERNAME_MAX + 1) != LK_OK)
		return msg_username;
	if (!valid_email(t->email))
		return msg_email;
	problem = lk_password_policy_check(password, cfg->min_password_length, name, t->email);
	if (problem != LK_PW_OK) {
		lk_password_policy_message(problem, cfg->min_password_length, msg, n);
		return msg;
	}
	/* Compared after the policy, so a mistyped confirmation of a bad password says why. */
	if (strcmp(password, confirm) != 0)
		return msg_mismatch;
	return NULL;
}

/* Whether a user is found (LK_OK) or not (LK_ENOTFOUND); else the store's error. */
static enum lk_err found(enum lk_err err, struct lk_user *u)
{
	lk_user_release(u);
	memset(u, 0, sizeof(*u));
	return err;
}

/*
 * Refuses names another account already answers to at the login form, before
 * any hashing. Sign-in looks an input with '@' up as an email first, then as
 * a user name of the default domain (oauth/signin.c), so a new user name must
 * not be anyone's email, and a new email must not be anyone's user name:
 * either would let the newcomer shadow an existing account's sign-in.
 * *taken gets the message, NULL when the names are free.
 */
static enum lk_err check_taken(struct lk_store *s, const struct lk_config *cfg, const char *name,
			       const char *email, const char **taken)
{
	char edomain[DOMAIN_MAX + 1], ename[USERNAME_MAX + 1];
	struct lk_user u = {0};
	enum lk_err err;

	*taken = NULL;
	err = found(lk_store_user_find(s, cfg->default_domain, name, &u), &u);
	if (err == LK_ENOTFOUND && strchr(name, '@'))
		err = found(lk_store_user_find_email(s, name, &u), &u);
	if (err == LK_OK)
		*taken = msg_user_taken;
	if (err != LK_ENOTFOUND)
		return err;
	err = found(lk_store_user_find_email(s, email, &u), &u);
	if (err == LK_ENOTFOUND &&
	    lk_user_name_parse(email, cfg->default_domain, edomain, sizeof(edomain), ename,
			       sizeof(ename)) == LK_OK)
		err = found(lk_store_user_find(s, edomain, ename, &u), &u);
	if (err == LK_OK)
		*taken = msg_email_taken;
	return err == LK_ENOTFOUND ? LK_OK : err;
}

/* The user is created: a new session (never an old one), then onwards, as after a login. */
static void signed_up(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
		      struct lk_response *res, struct lk_pending *p, const struct lk_user *u,
		      int64_t now)
{
	enum lk_err err = lk_ep_sign_in(c, s, req, res, p, u, LK_AMR_PASSWORD, now);

	if (err) {
		/* The account exists; the person can sign in with it. */
		lk_error("cannot create a session: %s", lk_err_str(err));
		lk_ep_error_page(
			res, 500, "Something went wrong",
			"Your account was created. Go back to the application and sign in.");
		return;
	}
	lk_info("user %s\\%s signed up and signed in", u->domain, u->username);
}

/* Creates the user through the registry, which checks again and writes user.add. */
static void create(struct lk_ctx *c, struct lk_store *s, struct lk_request *req,
		   struct lk_response *res, struct lk_pending *p, const struct typed *t,
		   const char *name, const char *password, int64_t now)
{
	struct lk_registry r = {
		.store = s, .cfg = c->cfg, .actor = ACTOR, .now = now, .api_names = true};
	struct lk_user_input in;
	struct lk_user u = {0};
	struct lk_user other = {0};
	enum lk_err err;

	lk_user_input_init(&in);
	in.user = name;
	in.email = t->email;
	in.email_verified = 0;
	in.role = lk_role_name(LK_ROLE_USER);
	err = lk_registry_user_add(&r, &in, password, &u, NULL);
	if (err == LK_OK) {
		signed_up(c, s, req, res, p, &u, now);
	} else if (err == LK_EEXIST) {
		/* Taken between the check and the insert: say which name, as the check does. */
		err = found(lk_store_user_find(s, c->cfg->default_domain, name, &other), &other);
		render(c, res, 200, p, t, err == LK_OK ? msg_user_taken : msg_email_taken);
	} else if (err == LK_EINVAL) {
		lk_warn("sign-up refused by the registry: %s", r.err);
		render(c, res, 200, p, t, msg_retry);
	} else {
		lk_error("cannot create a user at sign-up: %s", lk_err_str(err));
		render(c, res, 500, p, t, msg_retry);
	}
	lk_user_release(&u);
}

static void check_signup(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	struct lk_ctx *c = ctx;
	struct lk_store *s = lk_ctx_store(c);
	struct lk_pending p = {0};
	const struct typed t = {lk_ep_param(req, LK_P_USERNAME), lk_ep_param(req, F_EMAIL)};
	const char *password = lk_ep_param(req, LK_P_PASSWORD);
	const char *taken = NULL, *error;
	char name[USERNAME_MAX + 1], msg[160];
	int64_t now = lk_now();
	enum lk_err err;

	(void)arg;
	if (!s) {
		lk_ep_error_page(res, 503, "Temporarily unavailable", "Please try again later.");
		return;
	}
	if (!lk_pending_load(c, s, req, lk_ep_param(req, LK_F_REQUEST), now, &p, res))
		return;
	/* A forged form is refused before anything is looked at. */
	if (!lk_ep_csrf_ok(c, p.rec.id, p.browser, lk_ep_param(req, LK_F_CSRF))) {
		render(c, res, 403, &p, &t,
		       "The form could not be verified. Check your details and submit it again.");
		goto out;
	}
	error = check_input(c->cfg, &t, password, lk_ep_param(req, F_PASSWORD_CONFIRM), msg,
			    sizeof(msg), name);
	if (error) {
		render(c, res, 200, &p, &t, error);
		goto out;
	}
	err = check_taken(s, c->cfg, name, t.email, &taken);
	if (err) {
		lk_error("cannot look up a user at sign-up: %s", lk_err_str(err));
		render(c, res, 500, &p, &t, msg_retry);
	} else if (taken) {
		render(c, res, 200, &p, &t, taken);
	} else {
		create(c, s, req, res, &p, &t, name, password, now);
	}
out:
	lk_pending_release(&p);
}

void lk_ep_signup(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	const struct typed empty = {"", ""};
	struct lk_pending p = {0};

	/* Off: the path does not exist (DESIGN §3). */
	if (!c->cfg->signup_enabled) {
		lk_ep_not_found(ctx, req, res);
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0 &&
	    strcmp(req->method, "POST") != 0) {
		lk_ep_error_page(res, 405, "Method not allowed", "Use the sign-up form.");
		lk_res_header(res, "Allow", "GET, HEAD, POST");
		return;
	}
	if (!lk_ep_password_page(c, req, res, check_signup, &p))
		return;
	render(c, res, 200, &p, &empty, "");
	lk_pending_release(&p);
}
