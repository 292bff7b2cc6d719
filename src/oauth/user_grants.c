/*
 * The grants that act for a person: authorization code (RFC 6749 §4.1.3 with
 * PKCE, RFC 7636), refresh token (§6) and resource owner password (§4.3).
 * Every token they issue belongs to a grant (the code's, or the password
 * grant's), so that a code replay or a refresh token reuse can revoke all of
 * it at once (RFC 9700 §2.1.1, §4.14.2). Each grant runs in one database
 * transaction: the single-use check and the tokens it yields commit together.
 * The claims request of the authorization (OpenID Connect Core §5.5) rides
 * with the code and then each refresh token of its family, so that every ID
 * token of the grant carries what it asked for; what it asked of userinfo
 * is filed under each access token's jti, where userinfo finds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "oauth/claims.h"
#include "oauth/grants_int.h"
#include "oauth/id_token.h"
#include "oauth/params.h"
#include "oauth/pkce.h"
#include "oauth/redirect_uri.h"
#include "oauth/scope.h"
#include "oauth/signin.h"

/* What the tokens of a user grant carry over from the sign-in. */
struct user_grant {
	const struct lk_client *client;
	int64_t user_id;
	const char *grant_id;
	const char *scope;	   /* of the access token */
	const char *refresh_scope; /* of the refresh token; NULL = scope */
	const char *sid;
	const char *amr;
	const char *nonce;  /* of the authorization request, for the ID token */
	const char *claims; /* its claims request, normalised (oauth/claims.h); NULL or "": none */
	const struct lk_user *user; /* the user, enabled */
	int64_t auth_time;
	int64_t refresh_expires; /* the family's end for absolute refresh tokens; 0 = new */
};

/*
 * A replayed code or refresh token is evidence of theft (RFC 9700 §4.5,
 * §4.14): it goes to the audit log with the client, inside the grant's
 * transaction, so it is recorded exactly when the revocation is.
 */
static enum lk_err audit_reuse(struct lk_store *s, int64_t now, const char *action,
			       const char *client_id, int64_t user_id)
{
	char uid[24];
	struct lk_audit e = {
		.at = now,
		.actor = (char *)"oauth",
		.action = (char *)action,
		.object_type = (char *)"app",
		.object_id = (char *)client_id,
		.detail = uid,
	};

	snprintf(uid, sizeof(uid), "user %lld", (long long)user_id);
	return lk_store_audit_add(s, &e);
}

static bool invalid_grant(struct lk_oauth_error *err, const char *why)
{
	lk_oauth_fail(err, LK_OAUTH_INVALID_GRANT, "%s", why);
	return false;
}

/*
 * The user the grant is for must still exist and be enabled; *out receives
 * the user when it is (the ID token may carry claims about them).
 */
static enum lk_err user_ok(struct lk_store *s, int64_t id, struct lk_user *out, bool *ok)
{
	struct lk_user u = {0};
	enum lk_err err = lk_store_user_get(s, id, &u);

	if (err == LK_ENOTFOUND) {
		*ok = false;
		return LK_OK;
	}
	if (!err && u.enabled) {
		*out = u;
		*ok = true;
		return LK_OK;
	}
	if (!err)
		*ok = false;
	lk_user_release(&u);
	return err;
}

/*
 * The claims request's entry for userinfo (lk_store_token_claims_set) lives
 * as long as the access token: until its expiry, or, for a token that never
 * expires or whose expiry slides (an opaque token either way), for as long
 * as the token's row.
 */
static int64_t claims_expiry(const struct lk_grant_env *env, const struct user_grant *g,
			     const struct lk_access_token *t)
{
	if (t->expires_in < 0 || g->client->app.lifecycle == LK_LIFECYCLE_SLIDING)
		return 0;
	return env->now + t->expires_in;
}

/*
 * Issues the access token and, when the scope includes offline_access, a
 * refresh token of the same family. The caller holds the transaction.
 */
static enum lk_err issue_tokens(const struct lk_grant_env *env, struct lk_store *s,
				const struct user_grant *g, struct lk_grant_result *out)
{
	struct lk_token_env te = {.cfg = env->cfg,
				  .keyring = env->keyring,
				  .store = s,
				  .now = env->now,
				  .grant_id = g->grant_id,
				  .user_id = g->user_id};
	struct lk_refresh_record r = {0};
	struct lk_claims_req asked = {0};
	const char *claims = g->claims ? g->claims : "";
	bool oidc = lk_scope_covers(g->scope, LK_SCOPE_OPENID);
	char subject[24];
	int64_t lifetime = (int64_t)env->cfg->refresh_lifetime * 60;
	enum lk_err err;

	snprintf(subject, sizeof(subject), "%lld", (long long)g->user_id);
	const char *rscope = g->refresh_scope ? g->refresh_scope : g->scope;

	/* The request was normalised when it was stored; unreadable now, the store is at fault. */
	err = lk_claims_parse(claims, &asked);
	if (err == LK_EPARSE || err == LK_ETOOBIG)
		err = LK_ESTORE;
	if (!err)
		err = lk_access_token_issue(&te, g->client, subject, g->scope, &out->access);
	if (!err) {
		out->client_id = g->client->app.client_id;
		snprintf(out->subject, sizeof(out->subject), "%s", subject);
	}
	/* Core §5.5: what the request asks of userinfo goes with the access token. */
	if (!err && oidc && asked.userinfo)
		err = lk_store_token_claims_set(s, out->access.jti, claims,
						claims_expiry(env, g, &out->access));
	if (!err && oidc) {
		const struct lk_id_token_claims idc = {.user_id = g->user_id,
						       .auth_time = g->auth_time,
						       .nonce = g->nonce,
						       .sid = g->sid,
						       .amr = g->amr,
						       .access_token = out->access.token,
						       .user = g->user,
						       .user_claims = asked.id_token};

		err = lk_id_token_issue(env->cfg, env->keyring, g->client, &idc, env->now,
					&out->id_token);
	}
	if (err || !lk_scope_covers(rscope, LK_SCOPE_OFFLINE_ACCESS))
		return err;
	err = lk_token_new(LK_TOKEN_REFRESH, out->refresh);
	if (err)
		return err;
	lk_sha256(out->refresh, strlen(out->refresh), r.hash);
	r.family = (char *)g->grant_id;
	r.client_id = g->client->app.client_id;
	r.user_id = g->user_id;
	r.scope = (char *)rscope;
	r.sid = (char *)g->sid;
	r.amr = (char *)g->amr;
	r.claims = (char *)claims;
	r.auth_time = g->auth_time;
	r.issued_at = env->now;
	/* DESIGN §1: a sliding app's refresh tokens live on while used; absolute ones end. */
	r.expires_at = g->refresh_expires && g->client->app.lifecycle == LK_LIFECYCLE_ABSOLUTE
			       ? g->refresh_expires
			       : env->now + lifetime;
	return lk_store_refresh_insert(s, &r);
}

static bool commit_or_fail(struct lk_store *s, struct lk_oauth_error *err, bool ok)
{
	enum lk_err e = lk_store_commit(s);

	if (e) {
		lk_store_rollback(s);
		return lk_grant_server_error(err, "commit a grant", e);
	}
	return ok;
}

/* RFC 6749 §4.1.3: the redirect_uri of the token request must equal the authorization request's. */
static bool same_redirect(const struct lk_client *c, const char *stored, const char *sent)
{
	if (c->app.strategy == LK_STRATEGY_MOBILE_TITLE) {
		/* DESIGN §6: absent and the out-of-band URN are one value. */
		if (sent && strcmp(sent, LK_OOB_AUTO_URI) == 0)
			sent = NULL;
		if (strcmp(stored, LK_OOB_AUTO_URI) == 0)
			stored = "";
	}
	return strcmp(stored, sent ? sent : "") == 0;
}

/* The checks of a consumed code, in the order RFC 6749 §4.1.3 lists them. */
static bool code_binds(const struct lk_client *c, const struct lk_code_record *code,
		       const struct lk_request *req, int64_t now, struct lk_oauth_error *err)
{
	const char *verifier = lk_grant_param(req, LK_P_CODE_VERIFIER);

	if (strcmp(code->client_id, c->app.client_id) != 0)
		return invalid_grant(err, "the code was issued to another client");
	if (code->expires_at <= now)
		return invalid_grant(err, "the code has expired");
	if (!same_redirect(c, code->redirect_uri, lk_grant_param(req, LK_P_REDIRECT_URI)))
		return invalid_grant(err, "redirect_uri differs from the authorization request");
	if (code->code_challenge[0] && !verifier)
		return invalid_grant(err, "code_verifier is required");
	/* RFC 9700 §2.1.1: a verifier for a code without a challenge is a downgrade. */
	if (!code->code_challenge[0] && verifier)
		return invalid_grant(err, "the authorization request had no code_challenge");
	if (verifier && !lk_pkce_verify(verifier, code->code_challenge))
		return invalid_grant(err, "code_verifier does not match the code_challenge");
	return true;
}

bool lk_grant_authorization_code(const struct lk_grant_env *env, const struct lk_request *req,
				 struct lk_grant_result *out, struct lk_oauth_error *err)
{
	const char *code = lk_grant_param(req, LK_P_CODE);
	struct lk_code_record rec = {0};
	struct lk_user user = {0};
	struct lk_auth_result who;
	struct user_grant g = {0};
	uint8_t hash[LK_SHA256_LEN];
	struct lk_store *s;
	bool ok = false, alive;
	enum lk_err e;

	if (!lk_grant_authenticate(env, req, true, &who, err))
		return false;
	if (!lk_client_allows_grant(who.client, LK_GT_AUTHORIZATION_CODE))
		return lk_grant_unauthorized(err, LK_GT_AUTHORIZATION_CODE);
	if (!code) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST, LK_P_CODE " is required");
		return false;
	}
	if (strlen(code) >= LK_TOKEN_MAX || !lk_token_has_kind(code, LK_TOKEN_CODE))
		return invalid_grant(err, "the code is not valid");
	s = lk_grant_store(env, err);
	if (!s)
		return false;
	lk_sha256(code, strlen(code), hash);
	e = lk_store_begin(s);
	if (e)
		return lk_grant_server_error(err, "begin a transaction", e);
	e = lk_store_code_consume(s, hash, env->now, &rec);
	if (e == LK_ENOTFOUND) {
		ok = invalid_grant(err, "the code is not valid");
		goto commit;
	}
	if (e == LK_EEXIST) {
		/* RFC 6749 §4.1.2: a second use revokes what the first one issued. */
		lk_warn("authorization code used twice (client %s); revoking its tokens",
			rec.client_id);
		e = lk_store_grant_revoke(s, rec.grant_id, env->now);
		if (!e)
			e = audit_reuse(s, env->now, "code.reuse", rec.client_id, rec.user_id);
		if (e)
			goto fail;
		ok = invalid_grant(err, "the code has already been used");
		goto commit;
	}
	if (e)
		goto fail;
	if (!code_binds(who.client, &rec, req, env->now, err))
		goto commit;
	e = user_ok(s, rec.user_id, &user, &alive);
	if (e)
		goto fail;
	if (!alive) {
		ok = invalid_grant(err, "the user is no longer active");
		goto commit;
	}
	g.client = who.client;
	g.user_id = rec.user_id;
	g.user = &user;
	g.grant_id = rec.grant_id;
	g.scope = rec.scope;
	g.sid = rec.sid;
	g.amr = rec.amr;
	g.nonce = rec.nonce;
	g.claims = rec.claims;
	g.auth_time = rec.auth_time;
	e = issue_tokens(env, s, &g, out);
	if (e)
		goto fail;
	ok = true;
commit:
	ok = commit_or_fail(s, err, ok);
	goto out;
fail:
	lk_store_rollback(s);
	ok = lk_grant_server_error(err, "redeem a code", e);
out:
	if (!ok)
		lk_grant_result_release(out);
	lk_user_release(&user);
	lk_code_record_release(&rec);
	return ok;
}

bool lk_grant_refresh_token(const struct lk_grant_env *env, const struct lk_request *req,
			    struct lk_grant_result *out, struct lk_oauth_error *err)
{
	const char *token = lk_grant_param(req, LK_P_REFRESH_TOKEN);
	const char *asked = lk_grant_param(req, LK_P_SCOPE);
	struct lk_refresh_record rec = {0};
	struct lk_user user = {0};
	struct lk_auth_result who;
	struct user_grant g = {0};
	uint8_t hash[LK_SHA256_LEN];
	char *scope = NULL;
	struct lk_store *s;
	bool ok = false, alive;
	enum lk_err e;

	if (!lk_grant_authenticate(env, req, true, &who, err))
		return false;
	if (!lk_client_allows_grant(who.client, LK_GT_REFRESH_TOKEN))
		return lk_grant_unauthorized(err, LK_GT_REFRESH_TOKEN);
	if (!token) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST, LK_P_REFRESH_TOKEN " is required");
		return false;
	}
	if (strlen(token) >= LK_TOKEN_MAX || !lk_token_has_kind(token, LK_TOKEN_REFRESH))
		return invalid_grant(err, "the refresh token is not valid");
	s = lk_grant_store(env, err);
	if (!s)
		return false;
	lk_sha256(token, strlen(token), hash);
	e = lk_store_begin(s);
	if (e)
		return lk_grant_server_error(err, "begin a transaction", e);
	/* A token of another client, or expired, is refused without being used up. */
	e = lk_store_refresh_get(s, hash, &rec);
	if (e == LK_ENOTFOUND || (!e && strcmp(rec.client_id, who.client->app.client_id) != 0)) {
		ok = invalid_grant(err, "the refresh token is not valid");
		goto commit;
	}
	if (e)
		goto fail;
	if (!rec.revoked && !rec.rotated_at && rec.expires_at <= env->now) {
		ok = invalid_grant(err, "the refresh token has expired");
		goto commit;
	}
	if (asked) {
		e = lk_scope_grant(asked, rec.scope, &scope);
		if (e == LK_EPARSE || (!e && !lk_scope_covers(rec.scope, asked))) {
			lk_oauth_fail(err, LK_OAUTH_INVALID_SCOPE,
				      "the scope may only narrow what was granted");
			goto commit;
		}
		if (e)
			goto fail;
	}
	lk_refresh_record_release(&rec);
	e = lk_store_refresh_consume(s, hash, env->now, &rec);
	if (e == LK_EEXIST) {
		/* RFC 9700 §4.14.2: a used refresh token again means a theft; end the family. */
		lk_warn("refresh token reused (client %s); revoking its family", rec.client_id);
		e = lk_store_grant_revoke(s, rec.family, env->now);
		if (!e)
			e = audit_reuse(s, env->now, "refresh.reuse", rec.client_id, rec.user_id);
		if (e)
			goto fail;
		ok = invalid_grant(err, "the refresh token is not valid");
		goto commit;
	}
	if (e)
		goto fail;
	e = user_ok(s, rec.user_id, &user, &alive);
	if (e)
		goto fail;
	if (!alive) {
		ok = invalid_grant(err, "the user is no longer active");
		goto commit;
	}
	g.client = who.client;
	g.user_id = rec.user_id;
	g.user = &user;
	g.grant_id = rec.family;
	/*
	 * RFC 6749 §6: the access token may be narrower; the new refresh token
	 * keeps the scope of the one it replaces.
	 */
	g.scope = scope ? scope : rec.scope;
	g.refresh_scope = rec.scope;
	g.sid = rec.sid;
	g.amr = rec.amr;
	g.claims = rec.claims;
	g.auth_time = rec.auth_time;
	g.refresh_expires = rec.expires_at;
	e = issue_tokens(env, s, &g, out);
	if (e)
		goto fail;
	ok = true;
commit:
	ok = commit_or_fail(s, err, ok);
	goto out;
fail:
	lk_store_rollback(s);
	ok = lk_grant_server_error(err, "refresh a token", e);
out:
	if (!ok)
		lk_grant_result_release(out);
	free(scope);
	lk_user_release(&user);
	lk_refresh_record_release(&rec);
	return ok;
}

bool lk_grant_password(const struct lk_grant_env *env, const struct lk_request *req,
		       struct lk_grant_result *out, struct lk_oauth_error *err)
{
	const char *username = lk_grant_param(req, LK_P_USERNAME);
	const char *password = lk_grant_param(req, LK_P_PASSWORD);
	struct lk_auth_result who;
	struct lk_user user = {0};
	struct user_grant g = {0};
	char grant_id[LK_GRANT_ID_MAX];
	char *scope = NULL;
	int64_t wait = 0;
	struct lk_store *s;
	bool ok = false;
	enum lk_err e;

	if (!lk_grant_authenticate(env, req, false, &who, err))
		return false;
	if (!lk_client_allows_grant(who.client, LK_GT_PASSWORD))
		return lk_grant_unauthorized(err, LK_GT_PASSWORD);
	if (!username || !password) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_REQUEST, "username and password are required");
		return false;
	}
	e = lk_scope_grant(lk_grant_param(req, LK_P_SCOPE), who.client->app.scopes, &scope);
	if (e == LK_EPARSE || (!e && !*scope)) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_SCOPE,
			      "none of the requested scopes is allowed for this client");
		goto out;
	}
	if (e) {
		lk_grant_server_error(err, "compute the scope", e);
		goto out;
	}
	s = lk_grant_store(env, err);
	if (!s)
		goto out;
	e = lk_signin_password(s, env->cfg, username, password, env->client_addr, env->now, &user,
			       &wait);
	if (e == LK_EBUSY) {
		lk_oauth_fail(err, LK_OAUTH_INVALID_GRANT,
			      "too many failed attempts; try again later");
		err->retry_after = wait;
		goto out;
	}
	if (e == LK_EDENIED || e == LK_ETOOBIG) {
		invalid_grant(err, "the username or password is incorrect");
		goto out;
	}
	if (e) {
		lk_grant_server_error(err, "check a password", e);
		goto out;
	}
	e = lk_grant_id_new(grant_id);
	if (!e)
		e = lk_store_begin(s);
	if (e) {
		lk_grant_server_error(err, "begin a transaction", e);
		goto out;
	}
	g.client = who.client;
	g.user_id = user.id;
	g.user = &user;
	g.grant_id = grant_id;
	g.scope = scope;
	g.sid = "";
	g.amr = LK_AMR_PASSWORD;
	g.auth_time = env->now;
	e = issue_tokens(env, s, &g, out);
	if (e) {
		lk_store_rollback(s);
		lk_grant_server_error(err, "issue tokens", e);
		goto out;
	}
	ok = commit_or_fail(s, err, true);
out:
	if (!ok)
		lk_grant_result_release(out);
	lk_user_release(&user);
	free(scope);
	return ok;
}
