/*
 * The backend-independent half of the store: choosing a backend from the URL,
 * checking arguments once for every backend, and freeing records. Nothing
 * here knows SQL; each lk_store_* call ends in the connection's ops table.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/secure.h"
#include "store/backend.h"
#include "store/pg_int.h"
#include "store/upstream_int.h"

#define SQLITE_PREFIX "sqlite:"
#define SQLITE_MEMORY ":memory:"

/* RFC 3986 §3.1: schemes compare case-insensitively. */
static bool has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_postgres(const char *url)
{
	return has_prefix(url, "postgres://") || has_prefix(url, "postgresql://");
}

/* The PATH of "sqlite:PATH", or NULL for another scheme or an empty path. */
static const char *sqlite_path(const char *url)
{
	if (!has_prefix(url, SQLITE_PREFIX) || url[strlen(SQLITE_PREFIX)] == '\0')
		return NULL;
	return url + strlen(SQLITE_PREFIX);
}

bool lk_store_url_supported(const char *url)
{
	if (!url || strnlen(url, LK_STORE_URL_MAX + 1) > LK_STORE_URL_MAX)
		return false;
	/*
	 * A PostgreSQL URL is any libpq connection URI of those two schemes;
	 * libpq itself checks the rest when lk_store_open connects.
	 */
	return sqlite_path(url) != NULL || is_postgres(url);
}

enum lk_err lk_store_open(const char *url, struct lk_store **out)
{
	const char *path;

	if (!url || !out)
		return LK_EINVAL;
	if (strnlen(url, LK_STORE_URL_MAX + 1) > LK_STORE_URL_MAX)
		return LK_ETOOBIG;
	path = sqlite_path(url);
	if (path)
		return lk_sqlite_open(path, out);
	if (is_postgres(url))
		return lk_pg_open(url, out);
	/* The URL may hold a password: name the scheme, never the URL. */
	lk_error("store: unknown database URL scheme (want sqlite:PATH or postgres://...)");
	return LK_EINVAL;
}

enum lk_err lk_store_sqlite_dir(const char *url, char *out, size_t outlen)
{
	const char *path, *slash;
	size_t n;

	if (!url || !out || outlen == 0)
		return LK_EINVAL;
	if (strnlen(url, LK_STORE_URL_MAX + 1) > LK_STORE_URL_MAX)
		return LK_ETOOBIG;
	path = sqlite_path(url);
	if (!path || strcmp(path, SQLITE_MEMORY) == 0)
		return LK_EINVAL;
	slash = strrchr(path, '/');
	if (!slash) {
		path = ".";
		n = 1;
	} else if (slash[1] == '\0') {
		return LK_EINVAL; /* names a directory, not a file */
	} else {
		n = (size_t)(slash - path);
		while (n > 0 && path[n - 1] == '/')
			n--;
		if (n == 0) {
			path = "/";
			n = 1;
		}
	}
	if (n >= outlen)
		return LK_ETOOBIG;
	memcpy(out, path, n);
	out[n] = '\0';
	return LK_OK;
}

void lk_store_close(struct lk_store *s)
{
	if (s)
		s->ops->close(s);
}

int lk_store_latest_version(void)
{
	return lk_sqlite_migrations[lk_sqlite_migration_count - 1].version;
}

enum lk_err lk_store_migrate(struct lk_store *s, int *from, int *to)
{
	return s ? s->ops->migrate(s, from, to) : LK_EINVAL;
}

enum lk_err lk_store_schema_version(struct lk_store *s, int *version)
{
	return s && version ? s->ops->schema_version(s, version) : LK_EINVAL;
}

enum lk_err lk_store_ping(struct lk_store *s)
{
	return s ? s->ops->ping(s) : LK_EINVAL;
}

enum lk_err lk_store_begin(struct lk_store *s)
{
	return s ? s->ops->begin(s) : LK_EINVAL;
}

enum lk_err lk_store_commit(struct lk_store *s)
{
	return s ? s->ops->commit(s) : LK_EINVAL;
}

enum lk_err lk_store_rollback(struct lk_store *s)
{
	return s ? s->ops->rollback(s) : LK_EINVAL;
}

enum lk_err lk_store_change_seq(struct lk_store *s, int64_t *seq)
{
	return s && seq ? s->ops->change_seq(s, seq) : LK_EINVAL;
}

enum lk_err lk_store_change_bump(struct lk_store *s)
{
	return s ? s->ops->change_bump(s) : LK_EINVAL;
}

/* The upstream-provider operations of the backend behind s (upstream_int.h). */
static const struct lk_store_upstream_ops *upstream_ops(const struct lk_store *s)
{
	return s->ops->upstream;
}

/* A required string: LK_EINVAL when missing or empty, LK_ETOOBIG when too long. */
static enum lk_err check_str(const char *v, size_t max)
{
	if (!v || v[0] == '\0')
		return LK_EINVAL;
	return strnlen(v, max + 1) > max ? LK_ETOOBIG : LK_OK;
}

/* Checks a record before any backend sees it, so bad input changes nothing. */
static enum lk_err check_key(const struct lk_key_record *r)
{
	enum lk_err err;

	if (!r)
		return LK_EINVAL;
	err = check_str(r->kid, LK_KEY_KID_MAX);
	if (!err)
		err = check_str(r->alg, LK_KEY_ALG_MAX);
	if (!err)
		err = check_str(r->public_jwk, LK_KEY_JWK_MAX);
	if (err)
		return err;
	if (!r->private_sealed || r->private_sealed_len == 0)
		return LK_EINVAL;
	if (r->private_sealed_len > LK_KEY_SEALED_MAX)
		return LK_ETOOBIG;
	if (r->created_at < 0 || r->activate_at < 0 || r->retire_at < 0 || r->expire_at < 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_key_insert(struct lk_store *s, const struct lk_key_record *r)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_key(r);
	return err ? err : s->ops->key_insert(s, r);
}

enum lk_err lk_store_key_list(struct lk_store *s, struct lk_key_record **out, size_t *n)
{
	return s && out && n ? s->ops->key_list(s, out, n) : LK_EINVAL;
}

enum lk_err lk_store_key_set_times(struct lk_store *s, const char *kid, int64_t retire_at,
				   int64_t expire_at)
{
	enum lk_err err;

	if (!s || retire_at < 0 || expire_at < 0)
		return LK_EINVAL;
	err = check_str(kid, LK_KEY_KID_MAX);
	return err ? err : s->ops->key_set_times(s, kid, retire_at, expire_at);
}

enum lk_err lk_store_key_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	int n = 0;
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = s->ops->key_delete_expired(s, now, &n);
	if (!err && deleted)
		*deleted = n;
	return err;
}

void lk_key_record_release(struct lk_key_record *r)
{
	if (!r)
		return;
	free(r->kid);
	free(r->alg);
	free(r->public_jwk);
	if (r->private_sealed) {
		lk_wipe(r->private_sealed, r->private_sealed_len);
		free(r->private_sealed);
	}
	memset(r, 0, sizeof(*r));
}

void lk_key_records_free(struct lk_key_record *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++)
		lk_key_record_release(&r[i]);
	free(r);
}

/* ---- The registry ---- */

/* An optional string: NULL is stored as "", LK_ETOOBIG when too long. */
static enum lk_err check_opt(const char *v, size_t max)
{
	return v && strnlen(v, max + 1) > max ? LK_ETOOBIG : LK_OK;
}

/* An enum value read from a caller's struct: in [0, count). */
static bool in_range(int v, int count)
{
	return v >= 0 && v < count;
}

/* The strings of an application with their limits; the first three are required. */
static enum lk_err check_app_strings(const struct lk_app *a)
{
	const struct {
		const char *v;
		size_t max;
	} f[] = {
		{a->client_id, LK_REC_STR_MAX},
		{a->name, LK_REC_STR_MAX},
		{a->scopes, LK_REC_STR_MAX},
		{a->description, LK_REC_DESCRIPTION_MAX},
		{a->website, LK_REC_STR_MAX},
		{a->redirect_uris, LK_REC_URIS_MAX},
		{a->post_logout_redirect_uris, LK_REC_URIS_MAX},
		{a->cert_subject, LK_REC_STR_MAX},
		{a->cert_key_type, LK_REC_STR_MAX},
		{a->cert_kid, LK_REC_STR_MAX},
		{a->audience, LK_REC_STR_MAX},
		{a->id_token_alg, LK_REC_STR_MAX},
		{a->userinfo_alg, LK_REC_STR_MAX},
	};
	enum lk_err err = LK_OK;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]) && !err; i++)
		err = i < 3 ? check_str(f[i].v, f[i].max) : check_opt(f[i].v, f[i].max);
	return err;
}

/* Checks an application before any backend sees it; a->user is not stored. */
static enum lk_err check_app(const struct lk_app *a)
{
	enum lk_err err;

	if (!a)
		return LK_EINVAL;
	err = check_app_strings(a);
	if (err)
		return err;
	if (!in_range((int)a->grant, LK_GRANT__COUNT) ||
	    !in_range((int)a->strategy, LK_STRATEGY__COUNT) ||
	    !in_range((int)a->lifecycle, LK_LIFECYCLE__COUNT) ||
	    !in_range((int)a->client_type, LK_CLIENT_TYPE__COUNT) ||
	    !in_range((int)a->token_format, LK_TOKEN_FORMAT__COUNT))
		return LK_EINVAL;
	if (a->lifetime < LK_LIFETIME_NEVER || a->user_id < 0)
		return LK_EINVAL;
	if (a->cert_der_len > 0 && !a->cert_der)
		return LK_EINVAL;
	if (a->cert_der_len > LK_REC_CERT_MAX)
		return LK_ETOOBIG;
	if (a->cert_not_before < 0 || a->cert_not_after < 0 || a->created_at < 0 ||
	    a->updated_at < 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_app_insert(struct lk_store *s, const struct lk_app *a)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_app(a);
	return err ? err : s->ops->app_insert(s, a);
}

enum lk_err lk_store_app_get(struct lk_store *s, const char *client_id_or_name, struct lk_app *out)
{
	enum lk_err err;

	if (!s || !out)
		return LK_EINVAL;
	err = check_str(client_id_or_name, LK_REC_STR_MAX);
	return err ? err : s->ops->app_get(s, client_id_or_name, out);
}

enum lk_err lk_store_app_list(struct lk_store *s, struct lk_app **out, size_t *n)
{
	return s && out && n ? s->ops->app_list(s, out, n) : LK_EINVAL;
}

enum lk_err lk_store_app_update(struct lk_store *s, const struct lk_app *a)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_app(a);
	return err ? err : s->ops->app_update(s, a);
}

enum lk_err lk_store_app_delete(struct lk_store *s, const char *client_id)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_str(client_id, LK_REC_STR_MAX);
	return err ? err : s->ops->app_delete(s, client_id);
}

enum lk_err lk_store_secret_add(struct lk_store *s, const char *client_id,
				const uint8_t hash[LK_SHA256_LEN], int64_t created_at, int64_t *id)
{
	int64_t got = 0;
	enum lk_err err;

	if (!s || !hash || created_at < 0)
		return LK_EINVAL;
	err = check_str(client_id, LK_REC_STR_MAX);
	if (!err)
		err = s->ops->secret_add(s, client_id, hash, created_at, &got);
	if (!err && id)
		*id = got;
	return err;
}

enum lk_err lk_store_secret_list(struct lk_store *s, const char *client_id,
				 struct lk_client_secret **out, size_t *n)
{
	enum lk_err err;

	if (!s || !out || !n)
		return LK_EINVAL;
	err = check_str(client_id, LK_REC_STR_MAX);
	return err ? err : s->ops->secret_list(s, client_id, out, n);
}

enum lk_err lk_store_secret_expire_others(struct lk_store *s, const char *client_id,
					  int64_t keep_id, int64_t expires_at)
{
	enum lk_err err;

	/* expires_at 0 means "until rotated": it cannot end anything. */
	if (!s || keep_id < 0 || expires_at <= 0)
		return LK_EINVAL;
	err = check_str(client_id, LK_REC_STR_MAX);
	return err ? err : s->ops->secret_expire_others(s, client_id, keep_id, expires_at);
}

enum lk_err lk_store_secret_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	int n = 0;
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = s->ops->secret_delete_expired(s, now, &n);
	if (!err && deleted)
		*deleted = n;
	return err;
}

/*
 * The fields of a user that update may change, plus the times; insert also
 * checks domain and username (required) and the password hash.
 */
static enum lk_err check_user(const struct lk_user *u, bool inserting)
{
	const char *opt[] = {u->display_name, u->given_name, u->family_name,
			     u->email,	      u->phone,	     u->external_id};
	enum lk_err err = LK_OK;

	if (inserting) {
		err = check_str(u->domain, LK_REC_STR_MAX);
		if (!err)
			err = check_str(u->username, LK_REC_STR_MAX);
		if (!err)
			err = check_opt(u->password_hash, LK_REC_STR_MAX);
	} else if (u->id <= 0) {
		err = LK_EINVAL;
	}
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]) && !err; i++)
		err = check_opt(opt[i], LK_REC_STR_MAX);
	if (err)
		return err;
	if (!in_range((int)u->role, LK_ROLE__COUNT) || u->created_at < 0 || u->updated_at < 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_user_insert(struct lk_store *s, const struct lk_user *u, int64_t *id)
{
	int64_t got = 0;
	enum lk_err err;

	if (!s || !u)
		return LK_EINVAL;
	err = check_user(u, true);
	if (!err)
		err = s->ops->user_insert(s, u, &got);
	if (!err && id)
		*id = got;
	return err;
}

enum lk_err lk_store_user_get(struct lk_store *s, int64_t id, struct lk_user *out)
{
	return s && id > 0 && out ? s->ops->user_get(s, id, out) : LK_EINVAL;
}

enum lk_err lk_store_user_find(struct lk_store *s, const char *domain, const char *username,
			       struct lk_user *out)
{
	enum lk_err err;

	if (!s || !out)
		return LK_EINVAL;
	err = check_str(domain, LK_REC_STR_MAX);
	if (!err)
		err = check_str(username, LK_REC_STR_MAX);
	return err ? err : s->ops->user_find(s, domain, username, out);
}

enum lk_err lk_store_user_find_email(struct lk_store *s, const char *email, struct lk_user *out)
{
	enum lk_err err;

	if (!s || !out)
		return LK_EINVAL;
	err = check_str(email, LK_REC_STR_MAX);
	return err ? err : s->ops->user_find_email(s, email, out);
}

enum lk_err lk_store_user_list(struct lk_store *s, struct lk_user **out, size_t *n)
{
	return s && out && n ? s->ops->user_list(s, out, n) : LK_EINVAL;
}

enum lk_err lk_store_user_update(struct lk_store *s, const struct lk_user *u)
{
	enum lk_err err;

	if (!s || !u)
		return LK_EINVAL;
	err = check_user(u, false);
	return err ? err : s->ops->user_update(s, u);
}

enum lk_err lk_store_user_set_password(struct lk_store *s, int64_t id, const char *hash,
				       int64_t updated_at)
{
	if (!s || id <= 0 || !hash || updated_at < 0)
		return LK_EINVAL;
	if (strnlen(hash, LK_REC_STR_MAX + 1) > LK_REC_STR_MAX)
		return LK_ETOOBIG;
	return s->ops->user_set_password(s, id, hash, updated_at);
}

enum lk_err lk_store_user_delete(struct lk_store *s, int64_t id)
{
	return s && id > 0 ? s->ops->user_delete(s, id) : LK_EINVAL;
}

enum lk_err lk_store_user_count_admins(struct lk_store *s, int64_t *n)
{
	return s && n ? s->ops->user_count_admins(s, n) : LK_EINVAL;
}

enum lk_err lk_store_scope_insert(struct lk_store *s, const struct lk_scope *sc)
{
	enum lk_err err;

	if (!s || !sc || sc->created_at < 0)
		return LK_EINVAL;
	err = check_str(sc->name, LK_REC_STR_MAX);
	if (!err)
		err = check_opt(sc->description, LK_REC_DESCRIPTION_MAX);
	return err ? err : s->ops->scope_insert(s, sc);
}

enum lk_err lk_store_scope_list(struct lk_store *s, struct lk_scope **out, size_t *n)
{
	return s && out && n ? s->ops->scope_list(s, out, n) : LK_EINVAL;
}

enum lk_err lk_store_scope_delete(struct lk_store *s, const char *name)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_str(name, LK_REC_STR_MAX);
	return err ? err : s->ops->scope_delete(s, name);
}

enum lk_err lk_store_audit_add(struct lk_store *s, const struct lk_audit *e)
{
	enum lk_err err;

	if (!s || !e || e->at < 0)
		return LK_EINVAL;
	err = check_str(e->actor, LK_REC_STR_MAX);
	if (!err)
		err = check_str(e->action, LK_REC_STR_MAX);
	if (!err)
		err = check_str(e->object_type, LK_REC_STR_MAX);
	if (!err)
		err = check_opt(e->object_id, LK_REC_STR_MAX);
	if (!err)
		err = check_opt(e->detail, LK_REC_STR_MAX);
	return err ? err : s->ops->audit_add(s, e);
}

enum lk_err lk_store_audit_list(struct lk_store *s, int limit, struct lk_audit **out, size_t *n)
{
	return lk_store_audit_find(s, NULL, limit, out, n);
}

/* The backends see a whole filter: "" for every unset string. */
enum lk_err lk_store_audit_find(struct lk_store *s, const struct lk_audit_filter *f, int limit,
				struct lk_audit **out, size_t *n)
{
	struct lk_audit_filter all = {"", "", "", 0};
	enum lk_err err;

	if (!s || !out || !n || limit < 1 || limit > LK_AUDIT_LIST_MAX || (f && f->since < 0))
		return LK_EINVAL;
	if (f) {
		err = check_opt(f->action_prefix, LK_REC_STR_MAX);
		if (!err)
			err = check_opt(f->actor, LK_REC_STR_MAX);
		if (!err)
			err = check_opt(f->object_id, LK_REC_STR_MAX);
		if (err)
			return err;
		all.action_prefix = f->action_prefix ? f->action_prefix : "";
		all.actor = f->actor ? f->actor : "";
		all.object_id = f->object_id ? f->object_id : "";
		all.since = f->since;
	}
	return s->ops->audit_list(s, &all, limit, out, n);
}

enum lk_err lk_store_audit_delete_before(struct lk_store *s, int64_t before, int limit,
					 int *deleted)
{
	int n = 0;
	enum lk_err err;

	if (!s || limit < 1 || limit > LK_AUDIT_DELETE_MAX)
		return LK_EINVAL;
	err = s->ops->audit_delete_before(s, before, limit, &n);
	if (!err && deleted)
		*deleted = n;
	return err;
}

/* ---- Groups ---- */

/*
 * A group needs a name; its external id is optional; its members are user
 * ids (> 0), at most LK_STORE_LIST_MAX of them (LK_ETOOMANY), which is also
 * the most a read returns. An update also needs the group's id.
 */
static enum lk_err check_group(const struct lk_group *g, bool inserting)
{
	enum lk_err err;

	if (!g || (!inserting && g->id <= 0))
		return LK_EINVAL;
	err = check_str(g->display_name, LK_REC_STR_MAX);
	if (!err)
		err = check_opt(g->external_id, LK_REC_STR_MAX);
	if (err)
		return err;
	if (g->created_at < 0 || g->updated_at < 0 || (g->nmembers > 0 && !g->members))
		return LK_EINVAL;
	if (g->nmembers > LK_STORE_LIST_MAX)
		return LK_ETOOMANY;
	for (size_t i = 0; i < g->nmembers; i++) {
		if (g->members[i] <= 0)
			return LK_EINVAL;
	}
	return LK_OK;
}

enum lk_err lk_store_group_insert(struct lk_store *s, const struct lk_group *g, int64_t *id)
{
	int64_t got = 0;
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_group(g, true);
	if (!err)
		err = s->ops->group_insert(s, g, &got);
	if (!err && id)
		*id = got;
	return err;
}

enum lk_err lk_store_group_get(struct lk_store *s, int64_t id, struct lk_group *out)
{
	return s && id > 0 && out ? s->ops->group_get(s, id, out) : LK_EINVAL;
}

enum lk_err lk_store_group_list(struct lk_store *s, struct lk_group **out, size_t *n)
{
	return s && out && n ? s->ops->group_list(s, out, n) : LK_EINVAL;
}

enum lk_err lk_store_group_update(struct lk_store *s, const struct lk_group *g)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_group(g, false);
	return err ? err : s->ops->group_update(s, g);
}

enum lk_err lk_store_group_delete(struct lk_store *s, int64_t id)
{
	return s && id > 0 ? s->ops->group_delete(s, id) : LK_EINVAL;
}

enum lk_err lk_store_user_groups(struct lk_store *s, int64_t user_id, struct lk_group **out,
				 size_t *n)
{
	return s && user_id > 0 && out && n ? s->ops->user_groups(s, user_id, out, n) : LK_EINVAL;
}

/* ---- Tokens ---- */

void lk_token_record_release(struct lk_token_record *t)
{
	if (!t)
		return;
	free(t->jti);
	free(t->client_id);
	free(t->subject);
	free(t->scope);
	free(t->audience);
	free(t->grant_id);
	memset(t, 0, sizeof(*t));
}

/* Checks a token before any backend sees it, so bad input changes nothing. */
static enum lk_err check_token(const struct lk_token_record *t)
{
	enum lk_err err;

	if (!t)
		return LK_EINVAL;
	err = check_str(t->jti, LK_TOKEN_STR_MAX);
	if (!err)
		err = check_str(t->client_id, LK_TOKEN_STR_MAX);
	if (!err)
		err = check_str(t->subject, LK_TOKEN_STR_MAX);
	if (!err)
		err = check_opt(t->scope, LK_TOKEN_SCOPE_MAX);
	if (!err)
		err = check_opt(t->audience, LK_TOKEN_STR_MAX);
	if (!err)
		err = check_opt(t->grant_id, LK_TOKEN_STR_MAX);
	if (err)
		return err;
	if (t->issued_at < 0 || t->expires_at < 0 || t->sliding_seconds < 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_token_insert(struct lk_store *s, const struct lk_token_record *t)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_token(t);
	return err ? err : s->ops->token_insert(s, t);
}

enum lk_err lk_store_token_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			       struct lk_token_record *out)
{
	return s && hash && out ? s->ops->token_get(s, hash, out) : LK_EINVAL;
}

enum lk_err lk_store_token_revoke(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN])
{
	return s && hash ? s->ops->token_revoke(s, hash) : LK_EINVAL;
}

/* 0 means "never expires", which an extension cannot grant. */
enum lk_err lk_store_token_extend(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  int64_t expires_at)
{
	return s && hash && expires_at > 0 ? s->ops->token_extend(s, hash, expires_at) : LK_EINVAL;
}

enum lk_err lk_store_tokens_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	int n = 0;
	enum lk_err err;

	if (!s || now < 0)
		return LK_EINVAL;
	err = s->ops->tokens_delete_expired(s, now, &n);
	if (!err && deleted)
		*deleted = n;
	return err;
}

enum lk_err lk_store_jti_revoke(struct lk_store *s, const char *jti, int64_t expires_at)
{
	enum lk_err err;

	if (!s || expires_at < 0)
		return LK_EINVAL;
	err = check_str(jti, LK_TOKEN_STR_MAX);
	return err ? err : s->ops->jti_revoke(s, jti, expires_at);
}

enum lk_err lk_store_jti_revoked(struct lk_store *s, const char *jti, bool *revoked)
{
	bool got = false;
	enum lk_err err;

	if (!s || !revoked)
		return LK_EINVAL;
	err = check_str(jti, LK_TOKEN_STR_MAX);
	if (!err)
		err = s->ops->jti_revoked(s, jti, &got);
	if (!err)
		*revoked = got;
	return err;
}

enum lk_err lk_store_assertion_use(struct lk_store *s, const char *client_id, const char *jti,
				   int64_t expires_at)
{
	enum lk_err err;

	if (!s || expires_at < 0)
		return LK_EINVAL;
	err = check_str(client_id, LK_TOKEN_STR_MAX);
	if (!err)
		err = check_str(jti, LK_TOKEN_STR_MAX);
	return err ? err : s->ops->assertion_use(s, client_id, jti, expires_at);
}

enum lk_err lk_store_registration_token_set(struct lk_store *s, const char *client_id,
					    const uint8_t hash[LK_SHA256_LEN])
{
	enum lk_err err;

	if (!s || !hash)
		return LK_EINVAL;
	err = check_str(client_id, LK_TOKEN_STR_MAX);
	return err ? err : s->ops->registration_token_set(s, client_id, hash);
}

enum lk_err lk_store_registration_token_get(struct lk_store *s, const char *client_id,
					    uint8_t hash[LK_SHA256_LEN])
{
	uint8_t got[LK_SHA256_LEN];
	enum lk_err err;

	if (!s || !hash)
		return LK_EINVAL;
	err = check_str(client_id, LK_TOKEN_STR_MAX);
	if (!err)
		err = s->ops->registration_token_get(s, client_id, got);
	if (!err)
		memcpy(hash, got, LK_SHA256_LEN);
	return err;
}

/* ---- Sign-in ---- */

void lk_session_record_release(struct lk_session_record *r)
{
	if (!r)
		return;
	free(r->sid);
	free(r->amr);
	memset(r, 0, sizeof(*r));
}

void lk_auth_request_record_release(struct lk_auth_request_record *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->client_id);
	free(r->params);
	memset(r, 0, sizeof(*r));
}

void lk_code_record_release(struct lk_code_record *r)
{
	if (!r)
		return;
	free(r->grant_id);
	free(r->client_id);
	free(r->redirect_uri);
	free(r->scope);
	free(r->nonce);
	free(r->code_challenge);
	free(r->sid);
	free(r->amr);
	free(r->claims);
	memset(r, 0, sizeof(*r));
}

void lk_refresh_record_release(struct lk_refresh_record *r)
{
	if (!r)
		return;
	free(r->family);
	free(r->client_id);
	free(r->scope);
	free(r->sid);
	free(r->amr);
	free(r->claims);
	memset(r, 0, sizeof(*r));
}

/*
 * A time that doubles as a mark, such as the used_at of a code or the
 * rotated_at of a refresh token, must be > 0: 0 means "not yet", so a use at
 * time 0 would leave the code or token usable again.
 */
static bool is_mark(int64_t t)
{
	return t > 0;
}

static enum lk_err check_session(const struct lk_session_record *r)
{
	enum lk_err err;

	if (!r || r->user_id <= 0)
		return LK_EINVAL;
	err = check_str(r->sid, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_opt(r->amr, LK_SIGNIN_STR_MAX);
	if (err)
		return err;
	if (r->auth_time < 0 || r->last_seen < 0 || r->expires_at <= 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_session_insert(struct lk_store *s, const struct lk_session_record *r)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_session(r);
	return err ? err : s->ops->session_insert(s, r);
}

enum lk_err lk_store_session_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				 struct lk_session_record *out)
{
	return s && hash && out ? s->ops->session_get(s, hash, out) : LK_EINVAL;
}

enum lk_err lk_store_session_touch(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				   int64_t last_seen)
{
	return s && hash && last_seen >= 0 ? s->ops->session_touch(s, hash, last_seen) : LK_EINVAL;
}

enum lk_err lk_store_session_delete(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN])
{
	return s && hash ? s->ops->session_delete(s, hash) : LK_EINVAL;
}

static enum lk_err check_auth_request(const struct lk_auth_request_record *r)
{
	enum lk_err err;

	if (!r)
		return LK_EINVAL;
	err = check_str(r->id, LK_SIGNIN_STR_MAX);
	/* "" for latchkey's own requests, which have no client. */
	if (!err && !r->client_id)
		err = LK_EINVAL;
	if (!err && strnlen(r->client_id, LK_SIGNIN_STR_MAX + 1) > LK_SIGNIN_STR_MAX)
		err = LK_ETOOBIG;
	if (!err)
		err = check_str(r->params, LK_AUTH_PARAMS_MAX);
	if (err)
		return err;
	if (r->created_at < 0 || r->expires_at < 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_auth_request_insert(struct lk_store *s, const struct lk_auth_request_record *r)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_auth_request(r);
	return err ? err : s->ops->auth_request_insert(s, r);
}

enum lk_err lk_store_auth_request_get(struct lk_store *s, const char *id,
				      struct lk_auth_request_record *out)
{
	enum lk_err err;

	if (!s || !out)
		return LK_EINVAL;
	err = check_str(id, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->auth_request_get(s, id, out);
}

enum lk_err lk_store_auth_request_set_consented(struct lk_store *s, const char *id)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_str(id, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->auth_request_set_consented(s, id);
}

enum lk_err lk_store_auth_request_delete(struct lk_store *s, const char *id)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_str(id, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->auth_request_delete(s, id);
}

/* The strings of a code with their limits; the first two are required. */
static enum lk_err check_code_strings(const struct lk_code_record *r)
{
	const struct {
		const char *v;
		size_t max;
	} f[] = {
		{r->grant_id, LK_SIGNIN_STR_MAX},     {r->client_id, LK_SIGNIN_STR_MAX},
		{r->redirect_uri, LK_SIGNIN_STR_MAX}, {r->scope, LK_TOKEN_SCOPE_MAX},
		{r->nonce, LK_SIGNIN_STR_MAX},	      {r->code_challenge, LK_SIGNIN_STR_MAX},
		{r->sid, LK_SIGNIN_STR_MAX},	      {r->amr, LK_SIGNIN_STR_MAX},
		{r->claims, LK_SIGNIN_STR_MAX},
	};
	enum lk_err err = LK_OK;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]) && !err; i++)
		err = i < 2 ? check_str(f[i].v, f[i].max) : check_opt(f[i].v, f[i].max);
	return err;
}

static enum lk_err check_code(const struct lk_code_record *r)
{
	enum lk_err err;

	if (!r || r->user_id <= 0)
		return LK_EINVAL;
	err = check_code_strings(r);
	if (err)
		return err;
	if (r->auth_time < 0 || r->created_at < 0 || r->expires_at < 0 || r->used_at < 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_code_insert(struct lk_store *s, const struct lk_code_record *r)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_code(r);
	return err ? err : s->ops->code_insert(s, r);
}

/* *out is written on LK_OK and, as the contract says, on LK_EEXIST. */
enum lk_err lk_store_code_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  int64_t now, struct lk_code_record *out)
{
	return s && hash && is_mark(now) && out ? s->ops->code_consume(s, hash, now, out)
						: LK_EINVAL;
}

static enum lk_err check_refresh(const struct lk_refresh_record *r)
{
	enum lk_err err;

	if (!r || r->user_id <= 0)
		return LK_EINVAL;
	err = check_str(r->family, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_str(r->client_id, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_opt(r->scope, LK_TOKEN_SCOPE_MAX);
	if (!err)
		err = check_opt(r->sid, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_opt(r->amr, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_opt(r->claims, LK_SIGNIN_STR_MAX);
	if (err)
		return err;
	if (r->auth_time < 0 || r->issued_at < 0 || r->expires_at <= 0 || r->rotated_at < 0)
		return LK_EINVAL;
	return LK_OK;
}

enum lk_err lk_store_refresh_insert(struct lk_store *s, const struct lk_refresh_record *r)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_refresh(r);
	return err ? err : s->ops->refresh_insert(s, r);
}

enum lk_err lk_store_refresh_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				 struct lk_refresh_record *out)
{
	return s && hash && out ? s->ops->refresh_get(s, hash, out) : LK_EINVAL;
}

/* *out is written on LK_OK and, as the contract says, on LK_EEXIST. */
enum lk_err lk_store_refresh_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				     int64_t now, struct lk_refresh_record *out)
{
	return s && hash && is_mark(now) && out ? s->ops->refresh_consume(s, hash, now, out)
						: LK_EINVAL;
}

enum lk_err lk_store_grant_jti_add(struct lk_store *s, const char *grant_id, int64_t user_id,
				   const char *jti, int64_t expires_at)
{
	enum lk_err err;

	if (!s || user_id <= 0 || expires_at < 0)
		return LK_EINVAL;
	err = check_str(grant_id, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_str(jti, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->grant_jti_add(s, grant_id, user_id, jti, expires_at);
}

enum lk_err lk_store_token_claims_set(struct lk_store *s, const char *jti, const char *claims,
				      int64_t expires_at)
{
	enum lk_err err;

	if (!s || expires_at < 0)
		return LK_EINVAL;
	err = check_str(jti, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_str(claims, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->token_claims_set(s, jti, claims, expires_at);
}

enum lk_err lk_store_token_claims_get(struct lk_store *s, const char *jti, char **claims)
{
	enum lk_err err;

	if (!s || !claims)
		return LK_EINVAL;
	err = check_str(jti, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->token_claims_get(s, jti, claims);
}

/* now marks the grant's unredeemed codes used, so it must be > 0. */
enum lk_err lk_store_grant_revoke(struct lk_store *s, const char *grant_id, int64_t now)
{
	enum lk_err err;

	if (!s || !is_mark(now))
		return LK_EINVAL;
	err = check_str(grant_id, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->grant_revoke(s, grant_id, now);
}

/* now marks the grants' unredeemed codes used, so it must be > 0. */
enum lk_err lk_store_refresh_revoke_session(struct lk_store *s, const char *sid,
					    const char *client_id, int64_t now)
{
	enum lk_err err;

	if (!s || !is_mark(now))
		return LK_EINVAL;
	err = check_str(sid, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_str(client_id, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->refresh_revoke_session(s, sid, client_id, now);
}

/* now marks the user's unredeemed codes used, so it must be > 0. */
enum lk_err lk_store_user_revoke_grants(struct lk_store *s, int64_t user_id, int64_t now)
{
	return s && user_id > 0 && is_mark(now) ? s->ops->user_revoke_grants(s, user_id, now)
						: LK_EINVAL;
}

enum lk_err lk_store_consent_get(struct lk_store *s, int64_t user_id, const char *client_id,
				 char **scope)
{
	enum lk_err err;

	if (!s || user_id <= 0 || !scope)
		return LK_EINVAL;
	err = check_str(client_id, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->consent_get(s, user_id, client_id, scope);
}

enum lk_err lk_store_consent_set(struct lk_store *s, int64_t user_id, const char *client_id,
				 const char *scope, int64_t now)
{
	enum lk_err err;

	if (!s || user_id <= 0 || now < 0)
		return LK_EINVAL;
	err = check_str(client_id, LK_SIGNIN_STR_MAX);
	if (!err)
		err = check_opt(scope, LK_TOKEN_SCOPE_MAX);
	return err ? err : s->ops->consent_set(s, user_id, client_id, scope, now);
}

enum lk_err lk_store_throttle_get(struct lk_store *s, const char *key,
				  struct lk_throttle_record *out)
{
	enum lk_err err;

	if (!s || !out)
		return LK_EINVAL;
	err = check_str(key, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->throttle_get(s, key, out);
}

enum lk_err lk_store_throttle_put(struct lk_store *s, const char *key,
				  const struct lk_throttle_record *r)
{
	enum lk_err err;

	if (!s || !r || r->failures < 0 || r->window_start < 0 || r->locked_until < 0 ||
	    r->lock_seconds < 0 || r->expires_at < 0)
		return LK_EINVAL;
	err = check_str(key, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->throttle_put(s, key, r);
}

enum lk_err lk_store_throttle_delete(struct lk_store *s, const char *key)
{
	enum lk_err err;

	if (!s)
		return LK_EINVAL;
	err = check_str(key, LK_SIGNIN_STR_MAX);
	return err ? err : s->ops->throttle_delete(s, key);
}

enum lk_err lk_store_signin_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	int n = 0;
	enum lk_err err;

	if (!s || now < 0)
		return LK_EINVAL;
	err = s->ops->signin_delete_expired(s, now, &n);
	/* Upstream sign-ins in flight are sign-in state too. */
	if (!err)
		err = upstream_ops(s)->flows_delete_expired(s, now, &n);
	if (!err && deleted)
		*deleted = n;
	return err;
}

/* ---- Upstream providers ---- */

void lk_upstream_flow_record_release(struct lk_upstream_flow_record *r)
{
	if (!r)
		return;
	free(r->upstream);
	free(r->request_id);
	memset(r, 0, sizeof(*r));
}

void lk_upstream_link_record_release(struct lk_upstream_link_record *r)
{
	if (!r)
		return;
	free(r->issuer);
	free(r->subject);
	free(r->upstream);
	memset(r, 0, sizeof(*r));
}

enum lk_err lk_store_upstream_flow_insert(struct lk_store *s,
					  const struct lk_upstream_flow_record *r)
{
	enum lk_err err;

	if (!s || !r || r->created_at < 0 || r->expires_at < 0)
		return LK_EINVAL;
	err = check_str(r->upstream, LK_UPSTREAM_STR_MAX);
	if (!err)
		err = check_str(r->request_id, LK_UPSTREAM_STR_MAX);
	return err ? err : upstream_ops(s)->flow_insert(s, r);
}

enum lk_err lk_store_upstream_flow_consume(struct lk_store *s,
					   const uint8_t state_hash[LK_SHA256_LEN],
					   struct lk_upstream_flow_record *out)
{
	if (!s || !state_hash || !out)
		return LK_EINVAL;
	return upstream_ops(s)->flow_consume(s, state_hash, out);
}

enum lk_err lk_store_upstream_flows_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	int n = 0;
	enum lk_err err;

	if (!s || now < 0)
		return LK_EINVAL;
	err = upstream_ops(s)->flows_delete_expired(s, now, &n);
	if (!err && deleted)
		*deleted = n;
	return err;
}

enum lk_err lk_store_upstream_link_insert(struct lk_store *s,
					  const struct lk_upstream_link_record *r)
{
	enum lk_err err;

	if (!s || !r || r->user_id <= 0 || r->created_at < 0)
		return LK_EINVAL;
	err = check_str(r->issuer, LK_UPSTREAM_STR_MAX);
	if (!err)
		err = check_str(r->subject, LK_UPSTREAM_STR_MAX);
	if (!err)
		err = check_str(r->upstream, LK_UPSTREAM_STR_MAX);
	return err ? err : upstream_ops(s)->link_insert(s, r);
}

enum lk_err lk_store_upstream_link_get(struct lk_store *s, const char *issuer, const char *subject,
				       struct lk_upstream_link_record *out)
{
	enum lk_err err;

	if (!s || !out)
		return LK_EINVAL;
	err = check_str(issuer, LK_UPSTREAM_STR_MAX);
	if (!err)
		err = check_str(subject, LK_UPSTREAM_STR_MAX);
	return err ? err : upstream_ops(s)->link_get(s, issuer, subject, out);
}

enum lk_err lk_store_upstream_link_count(struct lk_store *s, int64_t user_id, int64_t *n)
{
	if (!s || !n || user_id <= 0)
		return LK_EINVAL;
	return upstream_ops(s)->link_count(s, user_id, n);
}
