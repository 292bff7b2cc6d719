/*
 * From a validated authorization request to its result: what the person
 * must do (sign in, consent), the code, and the shape of the answer for each
 * redirect strategy (DESIGN §2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/log.h"
#include "oauth/authorize.h"
#include "oauth/claims.h"
#include "oauth/id_token.h"
#include "oauth/params.h"
#include "oauth/redirect_uri.h"
#include "oauth/scope.h"
#include "oauth/tokens.h"

/* Results are URLs and titles of bounded parts; this caps them anyway. */
#define RESULT_MAX (16 * 1024)

/*
 * OpenID Connect Core §5.5.1: when the claims request asks the ID token for
 * a sub value, the answer may only be positive for the user it names.
 * *same is true when it names user_id or asks for no sub value.
 */
static enum lk_err sub_matches(const struct lk_authz *a, int64_t user_id, bool *same)
{
	struct lk_claims_req r;
	char sub[24];
	enum lk_err err;

	if (!a->claims || !*a->claims) {
		*same = true;
		return LK_OK;
	}
	err = lk_claims_parse(a->claims, &r);
	if (err)
		return err;
	snprintf(sub, sizeof(sub), "%lld", (long long)user_id);
	*same = !r.sub[0] || strcmp(r.sub, sub) == 0;
	return LK_OK;
}

enum lk_err lk_authz_next(struct lk_store *s, const struct lk_client *client,
			  const struct lk_authz *a, const struct lk_session *sess,
			  int64_t started_at, bool consented, int64_t now, enum lk_authz_step *step,
			  struct lk_oauth_error *err)
{
	char *given = NULL;
	bool fresh, need_login, need_consent, same;
	enum lk_err e = LK_OK;

	/*
	 * A sign-in that happened since the request began satisfies prompt=login
	 * and max_age (OpenID Connect Core §3.1.2.1), or a page would loop.
	 */
	fresh = sess && sess->auth_time >= started_at;
	/* Core §3.1.2.2: the user an id_token_hint names, or a sign-in for this request. */
	if (sess && a->hint_user && sess->user_id != a->hint_user && fresh) {
		lk_oauth_fail(err, LK_OAUTH_LOGIN_REQUIRED,
			      "the signed-in user is not the one id_token_hint names");
		*step = LK_AUTHZ_FAIL;
		return LK_OK;
	}
	need_login = !sess || (!fresh && (a->prompt_login ||
					  (a->max_age >= 0 && now - sess->auth_time > a->max_age) ||
					  (a->hint_user && sess->user_id != a->hint_user)));
	if (need_login) {
		if (a->prompt_none) {
			lk_oauth_fail(err, LK_OAUTH_LOGIN_REQUIRED, "the user is not signed in");
			*step = LK_AUTHZ_FAIL;
		} else {
			*step = LK_AUTHZ_LOGIN;
		}
		return LK_OK;
	}
	e = sub_matches(a, sess->user_id, &same);
	if (e)
		return e;
	if (!same) {
		lk_oauth_fail(err, LK_OAUTH_LOGIN_REQUIRED,
			      "the signed-in user is not the one the claims request names");
		*step = LK_AUTHZ_FAIL;
		return LK_OK;
	}
	need_consent = false;
	if (!client->app.first_party && !consented) {
		if (a->prompt_consent) {
			need_consent = true;
		} else {
			e = lk_store_consent_get(s, sess->user_id, a->client_id, &given);
			if (e == LK_ENOTFOUND)
				e = LK_OK;
			if (e)
				return e;
			need_consent = !given || !lk_scope_covers(given, a->scope);
		}
	}
	free(given);
	if (need_consent && a->prompt_none) {
		lk_oauth_fail(err, LK_OAUTH_CONSENT_REQUIRED, "the user has not consented");
		*step = LK_AUTHZ_FAIL;
	} else {
		*step = need_consent ? LK_AUTHZ_CONSENT : LK_AUTHZ_ISSUE;
	}
	return LK_OK;
}

/* Adds to `have` every scope of `more` it lacks (space-separated). */
static enum lk_err scope_union(const char *have, const char *more, char **out)
{
	struct lk_buf b;
	enum lk_err err;

	lk_buf_init(&b, LK_SCOPE_MAX * 2);
	err = lk_buf_addstr(&b, have);
	for (const char *p = more; *p && !err;) {
		size_t n;
		char one[LK_SCOPE_MAX + 1];

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (!n)
			break;
		if (n > LK_SCOPE_MAX) {
			err = LK_ETOOBIG;
			break;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (!lk_scope_covers(lk_buf_str(&b), one))
			err = lk_buf_addf(&b, "%s%s", b.len ? " " : "", one);
		p += n;
	}
	if (!err) {
		*out = strdup(lk_buf_str(&b));
		err = *out ? LK_OK : LK_ENOMEM;
	}
	lk_buf_release(&b);
	return err;
}

enum lk_err lk_authz_remember_consent(struct lk_store *s, const struct lk_authz *a, int64_t user_id,
				      int64_t now)
{
	char *given = NULL, *all = NULL;
	enum lk_err err = lk_store_consent_get(s, user_id, a->client_id, &given);

	if (err == LK_ENOTFOUND)
		err = LK_OK;
	if (!err)
		err = scope_union(given ? given : "", a->scope, &all);
	if (!err)
		err = lk_store_consent_set(s, user_id, a->client_id, all, now);
	free(given);
	free(all);
	return err;
}

enum lk_err lk_authz_issue_code(struct lk_store *s, const struct lk_config *cfg,
				const struct lk_authz *a, const struct lk_session *sess,
				int64_t now, char code[LK_TOKEN_MAX])
{
	struct lk_code_record r = {0};
	char grant_id[LK_GRANT_ID_MAX];
	char token[LK_TOKEN_MAX];
	enum lk_err err = lk_token_new(LK_TOKEN_CODE, token);

	if (!err)
		err = lk_grant_id_new(grant_id);
	if (err)
		goto out;
	lk_sha256(token, strlen(token), r.hash);
	r.grant_id = grant_id;
	r.client_id = a->client_id;
	r.redirect_uri = a->redirect_uri;
	r.user_id = sess->user_id;
	r.scope = a->scope;
	r.nonce = a->nonce;
	r.code_challenge = a->code_challenge;
	r.sid = (char *)sess->sid;
	r.amr = (char *)sess->amr;
	r.claims = a->claims;
	r.auth_time = sess->auth_time;
	r.created_at = now;
	r.expires_at = now + cfg->code_lifetime;
	err = lk_store_code_insert(s, &r);
	if (!err)
		memcpy(code, token, LK_TOKEN_MAX);
out:
	lk_wipe(token, sizeof(token));
	return err;
}

void lk_authz_result_release(struct lk_authz_result *r)
{
	size_t i;

	if (!r)
		return;
	lk_free_secret(r->url);
	lk_free_secret(r->title);
	for (i = 0; i < r->nfields; i++)
		lk_free_secret(r->fields[i].value);
	memset(r, 0, sizeof(*r));
}

static enum lk_err add_field(struct lk_authz_result *r, const char *name, const char *value)
{
	char *v;

	if (r->nfields >= LK_AUTHZ_RESULT_FIELDS)
		return LK_ETOOMANY;
	v = strdup(value);
	if (!v)
		return LK_ENOMEM;
	r->fields[r->nfields].name = name;
	r->fields[r->nfields].value = v;
	r->nfields++;
	return LK_OK;
}

/* name=value pairs, form-urlencoded, joined by '&'. */
static enum lk_err add_pairs(struct lk_buf *b, const struct lk_authz_result *r, bool first)
{
	enum lk_err err = LK_OK;
	size_t i;

	for (i = 0; i < r->nfields && !err; i++) {
		err = lk_buf_addf(b, "%s%s=", first && i == 0 ? "" : "&", r->fields[i].name);
		if (!err)
			err = lk_buf_addurl(b, r->fields[i].value);
	}
	return err;
}

/* The title of a mobile-title page (DESIGN §2): "Success code=..." or "Error error=...". */
static enum lk_err make_title(struct lk_authz_result *r, const struct lk_authz *a)
{
	struct lk_buf b;
	enum lk_err err;

	lk_buf_init(&b, RESULT_MAX);
	err = lk_buf_addstr(&b, r->error ? "Error " : "Success ");
	if (!err)
		err = lk_buf_addf(&b, "%s=", r->fields[0].name);
	if (!err)
		err = lk_buf_addurl(&b, r->fields[0].value);
	if (!err && *a->state) {
		err = lk_buf_addstr(&b, "&" LK_P_STATE "=");
		if (!err)
			err = lk_buf_addurl(&b, a->state);
	}
	if (!err)
		r->title = lk_buf_detach(&b, NULL);
	lk_buf_wipe(&b);
	return err;
}

static enum lk_err make_url(struct lk_authz_result *r, const struct lk_authz *a)
{
	struct lk_buf b;
	enum lk_err err;
	char sep = a->mode == LK_RESPONSE_FRAGMENT ? '#' : strchr(a->deliver_to, '?') ? '&' : '?';

	lk_buf_init(&b, RESULT_MAX);
	err = lk_buf_addf(&b, "%s%c", a->deliver_to, sep);
	if (!err)
		err = add_pairs(&b, r, true);
	if (!err)
		r->url = lk_buf_detach(&b, NULL);
	lk_buf_wipe(&b);
	return err;
}

enum lk_err lk_authz_result(const struct lk_authz *a, const char *issuer, const char *code,
			    const struct lk_oauth_error *oerr, struct lk_authz_result *out)
{
	struct lk_authz_result r = {0};
	enum lk_err err;

	r.error = code == NULL;
	if (code) {
		err = add_field(&r, LK_P_CODE, code);
	} else {
		err = add_field(&r, LK_P_ERROR, lk_oauth_code_name(oerr->code));
		if (!err && oerr->description[0])
			err = add_field(&r, LK_P_ERROR_DESCRIPTION, oerr->description);
	}
	if (a->strategy == LK_STRATEGY_MOBILE_TITLE) {
		r.kind = LK_DELIVER_TITLE;
		if (!err)
			err = make_title(&r, a);
		goto out;
	}
	if (!err && *a->state)
		err = add_field(&r, LK_P_STATE, a->state);
	/* RFC 9207 §2: the issuer in every response, so a client cannot be mixed up. */
	if (!err)
		err = add_field(&r, LK_P_ISS, issuer);
	if (err)
		goto out;
	if (a->mode == LK_RESPONSE_FORM_POST) {
		r.kind = LK_DELIVER_FORM_POST;
		r.url = strdup(a->deliver_to);
		err = r.url ? LK_OK : LK_ENOMEM;
	} else {
		r.kind = LK_DELIVER_REDIRECT;
		err = make_url(&r, a);
	}
out:
	if (err) {
		lk_authz_result_release(&r);
		return err;
	}
	*out = r;
	return LK_OK;
}

enum lk_err lk_authz_origin(const struct lk_authz *a, char *out, size_t outlen)
{
	return lk_uri_form_source(a->deliver_to, out, outlen);
}

bool lk_authz_take_hint(const struct lk_config *cfg, const struct lk_keyring *kr,
			const struct lk_params *params, struct lk_authz *a,
			struct lk_oauth_error *err)
{
	const char *hint = lk_params_get(params, LK_P_ID_TOKEN_HINT);
	void *claims = NULL;
	enum lk_err e;

	if (!hint)
		return true;
	e = lk_id_token_hint(cfg, kr, hint, &a->hint_user, &claims);
	json_decref(claims);
	if (e == LK_OK)
		return true;
	a->hint_user = 0;
	if (e == LK_ENOMEM)
		lk_oauth_fail(err, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
	else
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST,
			      "id_token_hint is not an ID token issued here");
	return false;
}
