/*
 * The consistency rules of an application (DESIGN §1). lk_app_apply_input
 * takes the options as given, checks each, fills in what follows from the
 * others, and checks the combination. Every message names its field.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "jose/cert.h"
#include "jose/keyring.h"
#include "oauth/params.h"
#include "oauth/redirect_uri.h"
#include "oauth/registry_int.h"

#define NAME_MAX_LEN 100
#define TEXT_MAX_LEN 1000
#define URL_MAX_LEN 2000
#define AUDIENCE_MAX_LEN 512
/* Ten years, in minutes: longer lifetimes should be "never". */
#define LIFETIME_MAX 5256000

/* Grants that include the authorization code flow. */
static bool has_code(enum lk_grant g)
{
	return g == LK_GRANT_AUTHORIZATION_CODE || g == LK_GRANT_ALL;
}

/* Grants whose application may act as a bound user (DESIGN §1). */
static bool may_bind_user(enum lk_grant g)
{
	return g == LK_GRANT_CLIENT_CREDENTIALS || g == LK_GRANT_CLIENT_CERTIFICATE ||
	       g == LK_GRANT_ALL;
}

/* Grants that need a secret or a certificate, so no public client. */
static bool needs_credentials(enum lk_grant g)
{
	return g != LK_GRANT_AUTHORIZATION_CODE;
}

static enum lk_err check_text(struct lk_registry *r, const char *field, const char *v,
			      size_t max, bool ok_ws)
{
	if (strlen(v) > max)
		return lk_reg_invalid(r, "%s: longer than %zu characters", field, max);
	if (lk_reg_has_control(v, ok_ws))
		return lk_reg_invalid(r, "%s: contains control characters", field);
	return LK_OK;
}

static enum lk_err apply_name(struct lk_registry *r, const char *v, struct lk_app *app)
{
	const char *field = lk_reg_field(r, "--name", "name");
	enum lk_err err = check_text(r, field, v, NAME_MAX_LEN, false);
	const char *p = v;

	if (err)
		return err;
	while (*p == ' ')
		p++;
	if (!*p)
		return lk_reg_invalid(r, "%s: must not be empty", field);
	if (v[0] == ' ' || v[strlen(v) - 1] == ' ')
		return lk_reg_invalid(r, "%s: must not start or end with a space", field);
	if (v[0] == '-')
		return lk_reg_invalid(r, "%s: must not start with '-'", field);
	return lk_reg_set_str(&app->name, v);
}

static enum lk_err apply_website(struct lk_registry *r, const char *v, struct lk_app *app)
{
	const char *field = lk_reg_field(r, "--website", "website");
	enum lk_err err = check_text(r, field, v, URL_MAX_LEN, false);

	if (err)
		return err;
	if (*v && !lk_uri_is_web_url(v))
		return lk_reg_invalid(r, "%s: '%s' is not an absolute http or https URL", field, v);
	return lk_reg_set_str(&app->website, v);
}

/* Whether a space-separated list holds word. */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/*
 * Allowed scopes: every word given must be in the catalog; the result is in
 * catalog order without repeats. Not given: "api" for a new application; the
 * stored scopes on update. Client-certificate applications are fixed to the
 * catalog's certificate scopes (DESIGN §1).
 */
static enum lk_err apply_scopes(struct lk_registry *r, const struct lk_app_input *in,
				struct lk_app *app, bool adding, bool became_cert)
{
	const char *field = lk_reg_field(r, "--scope", "scopes");
	bool cert = app->grant == LK_GRANT_CLIENT_CERTIFICATE;
	struct lk_scope *cat = NULL;
	size_t ncat = 0, i;
	struct lk_buf given, out;
	enum lk_err err;

	if (!in->nscopes && !adding && !became_cert)
		return LK_OK;
	err = lk_store_scope_list(r->store, &cat, &ncat);
	if (err)
		return lk_reg_store_error(r, err, "read the scope catalog");
	lk_buf_init(&given, 64 * 1024);
	lk_buf_init(&out, 64 * 1024);
	for (i = 0; i < in->nscopes && !err; i++) {
		err = lk_buf_addc(&given, ' ');
		if (!err)
			err = lk_buf_addstr(&given, in->scopes[i]);
	}
	if (err) {
		err = lk_reg_invalid(r, "%s: too long", field);
		goto out;
	}
	/* Each given word must name a scope of the catalog. */
	for (const char *p = lk_buf_str(&given); *p;) {
		size_t n;
		const struct lk_scope *hit = NULL;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		for (i = 0; i < ncat && !hit; i++)
			if (strlen(cat[i].name) == n && strncmp(cat[i].name, p, n) == 0)
				hit = &cat[i];
		if (!hit) {
			err = lk_reg_invalid(r, "%s: '%.*s' is not in the scope catalog", field,
					     (int)(n > 64 ? 64 : n), p);
			goto out;
		}
		if (cert && !hit->certificate) {
			err = lk_reg_invalid(r,
					     "%s: '%s' is not a certificate scope; a client-"
					     "certificate application's scopes are fixed to the "
					     "catalog's certificate scopes",
					     field, hit->name);
			goto out;
		}
		p += n;
	}
	for (i = 0; i < ncat; i++) {
		bool take;

		if (in->nscopes)
			take = list_has(lk_buf_str(&given), cat[i].name);
		else if (cert)
			take = cat[i].certificate;
		else
			take = strcmp(cat[i].name, "api") == 0;
		if (!take)
			continue;
		if (out.len)
			lk_buf_addc(&out, ' ');
		lk_buf_addstr(&out, cat[i].name);
	}
	if (!out.len) {
		err = cert ? lk_reg_invalid(r, "%s: the scope catalog has no certificate scope "
					       "(add one with 'latchkey scope add NAME "
					       "--certificate')",
					    field)
			   : lk_reg_invalid(r, "%s: at least one scope is required", field);
		goto out;
	}
	err = lk_reg_set_str(&app->scopes, lk_buf_str(&out));
out:
	lk_buf_release(&given);
	lk_buf_release(&out);
	lk_scopes_free(cat, ncat);
	return err;
}

static enum lk_err apply_user(struct lk_registry *r, const char *v, struct lk_app *app)
{
	const char *field = lk_reg_field(r, "--user", "user");
	char domain[128], name[128], full[260];
	struct lk_user u = {0};
	enum lk_err err;

	if (!*v) {
		app->user_id = 0;
		return lk_reg_set_str(&app->user, "");
	}
	if (lk_user_name_parse(v, r->cfg->default_domain, domain, sizeof(domain), name,
			       sizeof(name)))
		return lk_reg_invalid(r, "%s: '%s' is not a user name (domain\\user or user)",
				      field, v);
	err = lk_store_user_find(r->store, domain, name, &u);
	if (err == LK_ENOTFOUND)
		return lk_reg_invalid(r, "%s: no user '%s\\%s'", field, domain, name);
	if (err)
		return lk_reg_store_error(r, err, "look up the user");
	if (!u.enabled) {
		lk_user_release(&u);
		return lk_reg_invalid(r, "%s: user '%s\\%s' is disabled", field, domain, name);
	}
	if (u.role == LK_ROLE_ADMIN)
		lk_reg_warn(r,
			    "the application acts as administrator '%s\\%s'; prefer a user "
			    "with only the rights it needs (least privilege)",
			    u.domain, u.username);
	app->user_id = u.id;
	snprintf(full, sizeof(full), "%s\\%s", u.domain, u.username);
	lk_user_release(&u);
	return lk_reg_set_str(&app->user, full);
}

/* Joins, checks and de-duplicates a list of redirect URIs. */
static enum lk_err apply_uris(struct lk_registry *r, const char *field, const char *const *uris,
			      size_t n, enum lk_strategy strategy, char **dst)
{
	struct lk_buf out;
	enum lk_err err = LK_OK;
	char why[160];

	lk_buf_init(&out, 64 * 1024);
	for (size_t i = 0; i < n && !err; i++) {
		if (strlen(uris[i]) > URL_MAX_LEN) {
			err = lk_reg_invalid(r, "%s: longer than %d characters", field,
					     URL_MAX_LEN);
			break;
		}
		if (!lk_redirect_uri_check(uris[i], strategy, why, sizeof(why))) {
			err = lk_reg_invalid(r, "%s: '%s' %s", field, uris[i], why);
			break;
		}
		if (list_has(lk_buf_str(&out), uris[i]))
			continue;
		if (out.len)
			err = lk_buf_addc(&out, ' ');
		if (!err)
			err = lk_buf_addstr(&out, uris[i]);
		if (err)
			err = lk_reg_invalid(r, "%s: too many or too long", field);
	}
	if (!err)
		err = lk_reg_set_str(dst, lk_buf_str(&out));
	lk_buf_release(&out);
	return err;
}

static enum lk_err apply_lifetime(struct lk_registry *r, const char *v, struct lk_app *app)
{
	const char *field = lk_reg_field(r, "--lifetime", "lifetime");
	char *end;
	long n;

	if (strcmp(v, "never") == 0) {
		app->lifetime = LK_LIFETIME_NEVER;
		return LK_OK;
	}
	if (strcmp(v, "default") == 0) {
		app->lifetime = LK_LIFETIME_DEFAULT;
		return LK_OK;
	}
	if (!isdigit((unsigned char)v[0]))
		return lk_reg_invalid(r, "%s: '%s' is not a number of minutes or 'never'", field,
				      v);
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > LIFETIME_MAX)
		return lk_reg_invalid(r, "%s: must be 'never' or 1 to %d minutes", field,
				      LIFETIME_MAX);
	app->lifetime = (int)n;
	return LK_OK;
}

static enum lk_err apply_cert(struct lk_registry *r, const struct lk_app_input *in,
			      struct lk_app *app)
{
	const char *field = lk_reg_field(r, "--public-key", "public_key");
	struct lk_cert_info c = {0};
	char why[200];
	enum lk_err err;

	if (lk_cert_parse(in->cert, in->cert_len, r->now, &c, why, sizeof(why)) != LK_OK)
		return lk_reg_invalid(r, "%s: %s", field, why);
	free(app->cert_der);
	app->cert_der = c.der;
	app->cert_der_len = c.der_len;
	c.der = NULL;
	app->cert_not_before = c.not_before;
	app->cert_not_after = c.not_after;
	err = lk_reg_set_str(&app->cert_subject, c.subject);
	if (!err)
		err = lk_reg_set_str(&app->cert_key_type, c.key_type);
	if (!err)
		err = lk_reg_set_str(&app->cert_kid, c.kid);
	lk_cert_info_release(&c);
	return err;
}

/* Parses one enum-valued option; name_fn lists the choices for the message. */
#define APPLY_ENUM(val, flag, member, parse, dst, choices)                                    \
	do {                                                                                  \
		if ((val) && parse((val), &(dst)) != LK_OK)                                   \
			return lk_reg_invalid(r, "%s: '%s' is not one of %s",                 \
					      lk_reg_field(r, flag, member), (val), choices); \
	} while (0)

/* Each option on its own: syntax and lookups. */
/* An algorithm that signs for the application: one of three, with a key of the server's. */
static enum lk_err check_alg(struct lk_registry *r, const char *f, const char *alg)
{
	if (strcmp(alg, "RS256") && strcmp(alg, "PS256") && strcmp(alg, "ES256"))
		return lk_reg_invalid(r, "%s: '%s' is not one of RS256, PS256, ES256", f, alg);
	if (!list_has(r->cfg->signing_algs, alg))
		return lk_reg_invalid(r,
				      "%s: the server has no %s signing key (see [keys] "
				      "signing_algs)",
				      f, alg);
	return LK_OK;
}

/*
 * OpenID Connect Core §5.3.2: an application may ask for signed userinfo
 * answers; "" returns it to plain JSON (Dynamic Client Registration §2: the
 * default when the member is omitted).
 */
static enum lk_err apply_userinfo_alg(struct lk_registry *r, const char *v, struct lk_app *app)
{
	enum lk_err err = LK_OK;

	if (*v)
		err = check_alg(r, lk_reg_field(r, "--userinfo-alg", LK_CM_USERINFO_ALG), v);
	return err ? err : lk_reg_set_str(&app->userinfo_alg, v);
}

static enum lk_err apply_fields(struct lk_registry *r, const struct lk_app_input *in,
				struct lk_app *app)
{
	enum lk_err err = LK_OK;

	if (in->name && (err = apply_name(r, in->name, app)))
		return err;
	if (in->description) {
		err = check_text(r, lk_reg_field(r, "--description", "description"),
				 in->description, TEXT_MAX_LEN, true);
		if (!err)
			err = lk_reg_set_str(&app->description, in->description);
		if (err)
			return err;
	}
	if (in->website && (err = apply_website(r, in->website, app)))
		return err;
	APPLY_ENUM(in->grant, "--grant", "grant_type", lk_grant_parse, app->grant,
		   "authorization_code, client_credentials, client_certificate, bearer_token, "
		   "password, all");
	APPLY_ENUM(in->strategy, "--redirect-strategy", "redirect_strategy", lk_strategy_parse,
		   app->strategy, "web, mobile-title, mobile-localhost");
	APPLY_ENUM(in->lifecycle, "--lifecycle", "lifecycle", lk_lifecycle_parse, app->lifecycle,
		   "absolute, sliding");
	APPLY_ENUM(in->token_format, "--token-format", "token_format", lk_token_format_parse,
		   app->token_format, "jwt, opaque");
	if (in->lifetime && (err = apply_lifetime(r, in->lifetime, app)))
		return err;
	if (in->audience) {
		const char *f = lk_reg_field(r, "--audience", "audience");

		err = check_text(r, f, in->audience, AUDIENCE_MAX_LEN, false);
		if (!err && strchr(in->audience, ' '))
			err = lk_reg_invalid(r, "%s: must not contain spaces", f);
		if (!err)
			err = lk_reg_set_str(&app->audience, in->audience);
		if (err)
			return err;
	}
	if (in->id_token_alg) {
		err = check_alg(r, lk_reg_field(r, "--id-token-alg", "id_token_signed_response_alg"),
				in->id_token_alg);
		if (!err)
			err = lk_reg_set_str(&app->id_token_alg, in->id_token_alg);
		if (err)
			return err;
	}
	if (in->userinfo_alg && (err = apply_userinfo_alg(r, in->userinfo_alg, app)))
		return err;
	if (in->first_party >= 0)
		app->first_party = in->first_party != 0;
	return LK_OK;
}

/* What follows from other options when it was not given. */
static void derive(const struct lk_app_input *in, struct lk_app *app, bool adding)
{
	bool forced_opaque = app->lifecycle == LK_LIFECYCLE_SLIDING ||
			     app->lifetime == LK_LIFETIME_NEVER ||
			     app->grant == LK_GRANT_BEARER_TOKEN;

	/* Bearer tokens for provisioning connectors do not expire by default. */
	if (adding && !in->lifetime && app->grant == LK_GRANT_BEARER_TOKEN)
		app->lifetime = LK_LIFETIME_NEVER;
	if (adding && !in->client_type)
		app->client_type = app->strategy == LK_STRATEGY_WEB ? LK_CLIENT_CONFIDENTIAL
								     : LK_CLIENT_PUBLIC;
	forced_opaque = forced_opaque || app->lifetime == LK_LIFETIME_NEVER;
	if (!in->token_format && forced_opaque)
		app->token_format = LK_FORMAT_OPAQUE;
}

/* The rules that tie options together. */
static enum lk_err check_combination(struct lk_registry *r, const struct lk_app_input *in,
				     struct lk_app *app)
{
	const char *grant = lk_grant_name(app->grant);

	if (app->user_id && !may_bind_user(app->grant))
		return lk_reg_invalid(r,
				      "%s: only client_credentials, client_certificate and all "
				      "applications act as a user, not %s",
				      lk_reg_field(r, "--user", "user"), grant);
	if (in->strategy && !has_code(app->grant))
		return lk_reg_invalid(r, "%s: applies only to authorization_code and all, not %s",
				      lk_reg_field(r, "--redirect-strategy", "redirect_strategy"),
				      grant);
	if (!has_code(app->grant) && (app->redirect_uris[0] || app->post_logout_redirect_uris[0]))
		return lk_reg_invalid(r, "%s: applies only to authorization_code and all, not %s",
				      app->redirect_uris[0]
					      ? lk_reg_field(r, "--redirect-uri", "redirect_uris")
					      : lk_reg_field(r, "--post-logout-redirect-uri",
							     "post_logout_redirect_uris"),
				      grant);
	if (has_code(app->grant) && app->strategy == LK_STRATEGY_MOBILE_TITLE &&
	    app->redirect_uris[0])
		return lk_reg_invalid(r,
				      "%s: a mobile-title application registers no redirect URI "
				      "(the result is shown in the page title)",
				      lk_reg_field(r, "--redirect-uri", "redirect_uris"));
	if (has_code(app->grant) && app->strategy != LK_STRATEGY_MOBILE_TITLE &&
	    !app->redirect_uris[0])
		return lk_reg_invalid(r, "%s: required for %s with the %s redirect strategy",
				      lk_reg_field(r, "--redirect-uri", "redirect_uris"), grant,
				      lk_strategy_name(app->strategy));
	if (app->grant == LK_GRANT_CLIENT_CERTIFICATE && !app->cert_der_len)
		return lk_reg_invalid(r, "%s: required for client_certificate (an X.509 .cer file)",
				      lk_reg_field(r, "--public-key", "public_key"));
	if (app->grant != LK_GRANT_CLIENT_CERTIFICATE && in->cert)
		return lk_reg_invalid(r, "%s: applies only to client_certificate, not %s",
				      lk_reg_field(r, "--public-key", "public_key"), grant);
	if (app->client_type == LK_CLIENT_PUBLIC && needs_credentials(app->grant))
		return lk_reg_invalid(r,
				      "%s: a public application has no secret and cannot use the "
				      "%s grant",
				      lk_reg_field(r, "--client-type", "client_type"), grant);
	if (app->token_format == LK_FORMAT_JWT) {
		const char *why = app->grant == LK_GRANT_BEARER_TOKEN ? "bearer_token applications"
				  : app->lifecycle == LK_LIFECYCLE_SLIDING ? "the sliding life cycle"
				  : app->lifetime == LK_LIFETIME_NEVER	   ? "a lifetime of never"
									   : NULL;
		if (why)
			return lk_reg_invalid(r, "%s: jwt is not possible with %s (use opaque)",
					      lk_reg_field(r, "--token-format", "token_format"),
					      why);
	}
	return LK_OK;
}

enum lk_err lk_app_apply_input(struct lk_registry *r, const struct lk_app_input *in,
			       struct lk_app *app, bool adding)
{
	enum lk_grant old_grant = app->grant;
	enum lk_client_type old_type = app->client_type;
	enum lk_err err;

	if (adding && (!in->name || !in->grant))
		return lk_reg_invalid(r, "%s: required",
				      !in->name ? lk_reg_field(r, "--name", "name")
						: lk_reg_field(r, "--grant", "grant_type"));
	err = apply_fields(r, in, app);
	if (err)
		return err;
	if (in->client_type) {
		APPLY_ENUM(in->client_type, "--client-type", "client_type", lk_client_type_parse,
			   app->client_type, "confidential, public");
		if (!adding && app->client_type != old_type)
			return lk_reg_invalid(r,
					      "%s: cannot change once registered; register a new "
					      "application",
					      lk_reg_field(r, "--client-type", "client_type"));
	}
	if (in->user && (err = apply_user(r, in->user, app)))
		return err;
	if (in->nredirect_uris &&
	    (err = apply_uris(r, lk_reg_field(r, "--redirect-uri", "redirect_uris"),
			      in->redirect_uris, in->nredirect_uris, app->strategy,
			      &app->redirect_uris)))
		return err;
	if (in->npost_logout_uris &&
	    (err = apply_uris(r,
			      lk_reg_field(r, "--post-logout-redirect-uri",
					   "post_logout_redirect_uris"),
			      in->post_logout_uris, in->npost_logout_uris, app->strategy,
			      &app->post_logout_redirect_uris)))
		return err;
	/* A new strategy re-checks the stored URIs against its rules. */
	if (!adding && in->strategy && !in->nredirect_uris && app->redirect_uris[0]) {
		char *stored = strdup(app->redirect_uris);
		const char *list[LK_REGISTRY_MAX_LIST];
		size_t n = 0;

		if (!stored)
			return LK_ENOMEM;
		/* The stored list is space-separated; split it in place. */
		for (char *t = stored; *t && n < LK_REGISTRY_MAX_LIST;) {
			char *sp = strchr(t, ' ');

			list[n++] = t;
			if (!sp)
				break;
			*sp = '\0';
			t = sp + 1;
		}
		err = apply_uris(r, lk_reg_field(r, "--redirect-strategy", "redirect_strategy"),
				 list, n, app->strategy, &app->redirect_uris);
		free(stored);
		if (err)
			return err;
	}
	if (in->cert && (err = apply_cert(r, in, app)))
		return err;
	err = apply_scopes(r, in, app, adding,
			   app->grant == LK_GRANT_CLIENT_CERTIFICATE && old_grant != app->grant);
	if (err)
		return err;
	derive(in, app, adding);
	return check_combination(r, in, app);
}
