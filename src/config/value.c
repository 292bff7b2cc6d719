/*
 * Values: turning the text of one key (from the file, the environment, a
 * flag or the table's default) into the field it fills, with the same checks
 * whatever the source; and the copy and release of a whole struct lk_config
 * that the loaders use to leave it untouched when the input is bad.
 */
#include "config/table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/secure.h"

__attribute__((format(printf, 3, 4))) static enum lk_err refuse(char *why, size_t whylen,
								const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return LK_ECONFIG;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Refuses what a configuration value may not contain, whatever its type. */
static const char *check_text(const char *v, size_t len)
{
	size_t i;
	json_t *s;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < ' ' || c == 0x7f)
			return "must not contain control characters";
	}
	/* jansson refuses to make a JSON string of bytes that are not UTF-8. */
	s = json_stringn(v, len);
	if (!s)
		return "must be valid UTF-8";
	json_decref(s);
	return NULL;
}

static enum lk_err parse_int(const struct lk_config_key *k, const char *v, int *out, char *why,
			     size_t whylen)
{
	const char *p = v[0] == '-' ? v + 1 : v;
	char *end;
	long n;

	if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
		return refuse(why, whylen, "expected a whole number, got '%.32s'", v);
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno == ERANGE || *end != '\0' || n < k->min || n > k->max)
		return refuse(why, whylen, "must be between %d and %d", k->min, k->max);
	*out = (int)n;
	return LK_OK;
}

static enum lk_err parse_bool(const char *v, bool *out, char *why, size_t whylen)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return LK_OK;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return LK_OK;
		}
	}
	return refuse(why, whylen, "expected true or false (also yes/no, on/off, 1/0)");
}

/* Index of the value in a NULL-terminated list, compared without case; -1 if absent. */
static int find_value(const char *const *values, const char *v, size_t len)
{
	int i;

	for (i = 0; values[i]; i++) {
		if (strlen(values[i]) == len && strncasecmp(values[i], v, len) == 0)
			return i;
	}
	return -1;
}

static enum lk_err parse_enum(const struct lk_config_key *k, const char *v, char **out, char *why,
			      size_t whylen)
{
	char list[256];
	size_t used = 0;
	int i = find_value(k->values, v, strlen(v));

	if (i >= 0) {
		*out = strdup(k->values[i]);
		return *out ? LK_OK : LK_ENOMEM;
	}
	list[0] = '\0';
	for (i = 0; k->values[i] && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
					 k->values[i]);
	return refuse(why, whylen, "must be one of: %s", list);
}

/* Space-separated algorithms, stored normalised: one space apart, table spelling. */
static enum lk_err parse_algs(const char *v, char **out, char *why, size_t whylen)
{
	struct lk_buf b;
	unsigned seen = 0;
	enum lk_err err = LK_OK;
	size_t n;
	int i;

	lk_buf_init(&b, LK_CONFIG_VALUE_MAX);
	for (v += strspn(v, " "); !err && *v != '\0'; v += strspn(v, " ")) {
		n = strcspn(v, " ");
		i = find_value(lk_config_algs, v, n);
		if (i < 0)
			err = refuse(why, whylen,
				     "unknown algorithm '%.*s' (expected ES256, RS256 or PS256)",
				     (int)(n < 32 ? n : 32), v);
		else if (seen & (1u << i))
			err = refuse(why, whylen, "%s is listed twice", lk_config_algs[i]);
		else
			err = lk_buf_addf(&b, "%s%s", seen ? " " : "", lk_config_algs[i]);
		if (!err)
			seen |= 1u << i;
		v += n;
	}
	if (!err && !seen)
		err = refuse(why, whylen, "needs at least one of ES256, RS256 and PS256");
	if (!err)
		*out = lk_buf_detach(&b, NULL);
	lk_buf_release(&b);
	return err;
}

/*
 * Joins a relative path to the directory of the configuration file it was
 * read from, so that the file means the same whatever the current directory.
 * prefix goes in front ("sqlite:" for a database URL).
 */
static enum lk_err resolve_path(const char *prefix, const char *path, const char *dir, char **out,
				char *why, size_t whylen)
{
	struct lk_buf b;
	bool join = dir && dir[0] && strcmp(dir, ".") != 0 && path[0] && path[0] != '/';
	const char *sep = join && dir[strlen(dir) - 1] != '/' ? "/" : "";
	enum lk_err err;

	lk_buf_init(&b, LK_CONFIG_VALUE_MAX);
	err = lk_buf_addf(&b, "%s%s%s%s", prefix, join ? dir : "", sep, path);
	if (err == LK_ETOOBIG)
		err = refuse(why, whylen,
			     "must be at most %d bytes once joined to the file's directory",
			     LK_CONFIG_VALUE_MAX);
	if (!err)
		*out = lk_buf_detach(&b, NULL);
	lk_buf_release(&b);
	if (!err && !*out)
		err = LK_ENOMEM;
	return err;
}

static enum lk_err parse_dburl(const char *v, const char *dir, char **out, char *why, size_t whylen)
{
	const char *path;

	if (strncmp(v, "postgres://", 11) == 0 || strncmp(v, "postgresql://", 13) == 0) {
		*out = strdup(v);
		return *out ? LK_OK : LK_ENOMEM;
	}
	if (strncmp(v, "sqlite:", 7) != 0)
		return refuse(why, whylen, "must start with sqlite:, postgres:// or postgresql://");
	path = v + 7;
	if (path[0] == '\0')
		return refuse(why, whylen, "needs a file name after sqlite:");
	/* An in-memory database and SQLite URI file names have no directory. */
	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		dir = NULL;
	return resolve_path("sqlite:", path, dir, out, why, whylen);
}

/* Parses a value of one of the text types into a new string. */
static enum lk_err parse_text(const struct lk_config_key *k, const char *v, const char *dir,
			      char **out, char *why, size_t whylen)
{
	switch (k->type) {
	case LK_CFG_ENUM:
		return parse_enum(k, v, out, why, whylen);
	case LK_CFG_ALGS:
		return parse_algs(v, out, why, whylen);
	case LK_CFG_PATH:
		return resolve_path("", v, dir, out, why, whylen);
	case LK_CFG_DBURL:
		return parse_dburl(v, dir, out, why, whylen);
	default:
		*out = strdup(v);
		return *out ? LK_OK : LK_ENOMEM;
	}
}

enum lk_err lk_config_apply(void *base, const struct lk_config_key *k, const char *value,
			    const char *dir, char *why, size_t whylen)
{
	const char *reason;
	char *v = NULL, *text = NULL;
	size_t len;
	enum lk_err err = LK_OK;
	int n = 0;
	bool b = false;

	while (is_space(*value))
		value++;
	len = strlen(value);
	while (len > 0 && is_space(value[len - 1]))
		len--;
	if (len > LK_CONFIG_VALUE_MAX) {
		err = refuse(why, whylen, "must be at most %d bytes", LK_CONFIG_VALUE_MAX);
		goto out;
	}
	reason = check_text(value, len);
	if (reason) {
		err = refuse(why, whylen, "%s", reason);
		goto out;
	}
	v = strndup(value, len);
	if (!v) {
		err = LK_ENOMEM;
		goto out;
	}
	reason = k->check ? k->check(v) : NULL;
	if (reason) {
		err = refuse(why, whylen, "%s", reason);
		goto out;
	}
	if (k->type == LK_CFG_INT)
		err = parse_int(k, v, &n, why, whylen);
	else if (k->type == LK_CFG_BOOL)
		err = parse_bool(v, &b, why, whylen);
	else
		err = parse_text(k, v, dir, &text, why, whylen);
	if (err)
		goto out;
	if (k->type == LK_CFG_INT) {
		*LK_CONFIG_FIELD(base, k, int) = n;
	} else if (k->type == LK_CFG_BOOL) {
		*LK_CONFIG_FIELD(base, k, bool) = b;
	} else {
		lk_free_secret(*LK_CONFIG_FIELD(base, k, char *));
		*LK_CONFIG_FIELD(base, k, char *) = text;
	}
out:
	lk_free_secret(v);
	return err;
}

struct lk_upstream_config *lk_config_upstream_find(struct lk_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nupstreams; i++) {
		if (strcmp(cfg->upstreams[i].name, name) == 0)
			return &cfg->upstreams[i];
	}
	return NULL;
}

static void upstream_release(struct lk_upstream_config *u)
{
	size_t i;

	for (i = 0; i < lk_config_upstream_nkeys; i++) {
		const struct lk_config_key *k = &lk_config_upstream_keys[i];

		if (k->type == LK_CFG_INT || k->type == LK_CFG_BOOL)
			continue;
		lk_free_secret(*LK_CONFIG_FIELD(u, k, char *));
		*LK_CONFIG_FIELD(u, k, char *) = NULL;
	}
	free(u->name);
	u->name = NULL;
}

void lk_config_upstream_pop(struct lk_config *cfg)
{
	if (cfg->nupstreams == 0)
		return;
	cfg->nupstreams--;
	upstream_release(&cfg->upstreams[cfg->nupstreams]);
}

enum lk_err lk_config_upstream_add(struct lk_config *cfg, const char *name,
				   struct lk_upstream_config **out)
{
	struct lk_upstream_config *u;
	char why[128];
	enum lk_err err = LK_OK;
	size_t i;

	if (cfg->nupstreams >= LK_CONFIG_MAX_UPSTREAMS)
		return LK_ETOOMANY;
	u = &cfg->upstreams[cfg->nupstreams];
	memset(u, 0, sizeof(*u));
	cfg->nupstreams++;
	u->name = strdup(name);
	if (!u->name)
		err = LK_ENOMEM;
	for (i = 0; !err && i < lk_config_upstream_nkeys; i++) {
		const struct lk_config_key *k = &lk_config_upstream_keys[i];

		err = lk_config_apply(u, k, k->def ? k->def : name, NULL, why, sizeof(why));
	}
	/* A default that does not pass its own checks is a bug in the table. */
	if (err == LK_ECONFIG)
		err = LK_EINTERNAL;
	if (err)
		lk_config_upstream_pop(cfg);
	else
		*out = u;
	return err;
}

/* Duplicates the text fields of keys from src into dst, which holds no string yet. */
static enum lk_err copy_strings(void *dst, const void *src, const struct lk_config_key *keys,
				size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct lk_config_key *k = &keys[i];
		char *const *from = LK_CONFIG_FIELD(src, k, char *const);

		if (k->type == LK_CFG_INT || k->type == LK_CFG_BOOL || !*from)
			continue;
		*LK_CONFIG_FIELD(dst, k, char *) = strdup(*from);
		if (!*LK_CONFIG_FIELD(dst, k, char *))
			return LK_ENOMEM;
	}
	return LK_OK;
}

/* Sets every string field to NULL, so that a half-made copy can be released. */
static void clear_strings(void *base, const struct lk_config_key *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (keys[i].type != LK_CFG_INT && keys[i].type != LK_CFG_BOOL)
			*LK_CONFIG_FIELD(base, &keys[i], char *) = NULL;
	}
}

static char *dup_or_null(const char *s, enum lk_err *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = LK_ENOMEM;
	return d;
}

enum lk_err lk_config_copy(struct lk_config *dst, const struct lk_config *src)
{
	enum lk_err err = LK_OK;
	size_t i;

	*dst = *src;
	clear_strings(dst, lk_config_keys, lk_config_nkeys);
	for (i = 0; i < src->nupstreams; i++) {
		clear_strings(&dst->upstreams[i], lk_config_upstream_keys,
			      lk_config_upstream_nkeys);
		dst->upstreams[i].name = NULL;
	}
	dst->file_path = dup_or_null(src->file_path, &err);
	dst->file_dir = dup_or_null(src->file_dir, &err);
	if (!err)
		err = copy_strings(dst, src, lk_config_keys, lk_config_nkeys);
	for (i = 0; !err && i < src->nupstreams; i++) {
		dst->upstreams[i].name = dup_or_null(src->upstreams[i].name, &err);
		if (!err)
			err = copy_strings(&dst->upstreams[i], &src->upstreams[i],
					   lk_config_upstream_keys, lk_config_upstream_nkeys);
	}
	if (err)
		lk_config_release(dst);
	return err;
}

void lk_config_release(struct lk_config *cfg)
{
	size_t i;

	for (i = 0; i < lk_config_nkeys; i++) {
		const struct lk_config_key *k = &lk_config_keys[i];

		if (k->type == LK_CFG_INT || k->type == LK_CFG_BOOL)
			continue;
		/* Every value is zeroed: a database URL may hold a password. */
		lk_free_secret(*LK_CONFIG_FIELD(cfg, k, char *));
		*LK_CONFIG_FIELD(cfg, k, char *) = NULL;
	}
	while (cfg->nupstreams > 0)
		lk_config_upstream_pop(cfg);
	free(cfg->file_path);
	cfg->file_path = NULL;
	free(cfg->file_dir);
	cfg->file_dir = NULL;
}
