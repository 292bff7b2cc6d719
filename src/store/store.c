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
	 * PostgreSQL URLs are accepted here so that configurations naming one
	 * stay valid; until pg.c exists, lk_store_open refuses them.
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
	/* The URL may hold a password: name the scheme, never the URL. */
	if (is_postgres(url))
		lk_error("store: this build has no PostgreSQL backend yet");
	else
		lk_error("store: unknown database URL scheme (want sqlite:PATH)");
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
