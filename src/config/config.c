/*
 * Defaults, the environment and flags: every source but the file (file.c)
 * and the final checks (finish.c). All of them go through the table and
 * lk_config_apply, so a value means the same wherever it comes from.
 */
#include "config/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/table.h"

/* The prefix of every latchkey environment variable. */
#define ENV_PREFIX "LATCHKEY_"
#define ENV_UPSTREAM_PREFIX "LATCHKEY_UPSTREAM_"

/*
 * Variables with the prefix that are not configuration keys: the master key,
 * read by the CLI, and those of latchkey's own build and test tooling, which
 * are exported in the shell that runs the binary under test.
 */
static const char *const env_elsewhere[] = {"LATCHKEY_MASTER_KEY",     "LATCHKEY_BIN",
					    "LATCHKEY_TEST_DB_URL",    "LATCHKEY_EXTRA_DEBS",
					    "LATCHKEY_SCREENSHOT_DIR", "LATCHKEY_PG_DIR",
					    "LATCHKEY_E2E_PG_URL", NULL};

__attribute__((format(printf, 3, 4))) static enum lk_err refuse(char *why, size_t whylen,
								const char *fmt, ...)
{
	va_list ap;

	if (!why || whylen == 0)
		return LK_ECONFIG;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return LK_ECONFIG;
}

enum lk_err lk_config_init(struct lk_config *cfg)
{
	char why[256];
	enum lk_err err = LK_OK;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->file_path = strdup("");
	cfg->file_dir = strdup("");
	if (!cfg->file_path || !cfg->file_dir)
		err = LK_ENOMEM;
	for (i = 0; !err && i < lk_config_nkeys; i++)
		err = lk_config_apply(cfg, &lk_config_keys[i], lk_config_keys[i].def, NULL, why,
				      sizeof(why));
	/* A default that does not pass its own checks is a bug in the table. */
	if (err == LK_ECONFIG)
		err = LK_EINTERNAL;
	if (err)
		lk_config_release(cfg);
	return err;
}

/* Resolves an [upstream.NAME] section; see lk_config_target. */
static enum lk_err target_upstream(struct lk_config *cfg, const char *uname, const char *name,
				   void **base, const struct lk_config_key **key, bool *added,
				   char *why, size_t whylen)
{
	const char *reason = lk_config_check_upstream_name(uname);
	const struct lk_config_key *k = NULL;
	struct lk_upstream_config *u;
	enum lk_err err;

	if (reason)
		return refuse(why, whylen, "%s", reason);
	if (name) {
		k = lk_config_find_key(LK_CONFIG_UPSTREAM, name);
		if (!k)
			return refuse(why, whylen, "unknown key");
	}
	u = lk_config_upstream_find(cfg, uname);
	if (!u) {
		err = lk_config_upstream_add(cfg, uname, &u);
		if (err == LK_ETOOMANY)
			return refuse(why, whylen,
				      "at most %d [upstream.NAME] sections are allowed",
				      LK_CONFIG_MAX_UPSTREAMS);
		if (err)
			return err;
		*added = true;
	}
	*base = u;
	if (k)
		*key = k;
	return LK_OK;
}

enum lk_err lk_config_target(struct lk_config *cfg, const char *section, const char *name,
			     void **base, const struct lk_config_key **key, bool *added, char *why,
			     size_t whylen)
{
	const struct lk_config_key *k = NULL;

	*added = false;
	if (section[0] == '\0')
		return refuse(why, whylen, "key before the first [section]");
	if (strncmp(section, LK_CONFIG_UPSTREAM ".", sizeof(LK_CONFIG_UPSTREAM)) == 0)
		return target_upstream(cfg, section + sizeof(LK_CONFIG_UPSTREAM), name, base, key,
				       added, why, whylen);
	if (!lk_config_known_section(section))
		return refuse(why, whylen,
			      strcmp(section, LK_CONFIG_UPSTREAM) == 0
				      ? "unknown section (upstreams are [upstream.NAME])"
				      : "unknown section");
	if (name) {
		k = lk_config_find_key(section, name);
		if (!k)
			return refuse(why, whylen, "unknown key");
		*key = k;
	}
	*base = cfg;
	return LK_OK;
}

enum lk_err lk_config_set(struct lk_config *cfg, const char *section, const char *key,
			  const char *value, const char *origin, char *err, size_t errlen)
{
	const struct lk_config_key *k = NULL;
	char why[512], qs[80], qk[80];
	void *base = NULL;
	bool added = false;
	enum lk_err e;

	if (!section || !key || !value)
		return LK_EINVAL;
	lk_config_quote(section, strlen(section), qs, sizeof(qs));
	lk_config_quote(key, strlen(key), qk, sizeof(qk));
	e = lk_config_target(cfg, section, key, &base, &k, &added, why, sizeof(why));
	if (e == LK_ECONFIG) {
		refuse(err, errlen, "%s: [%s] %s: %s", origin ? origin : "flag", qs, qk, why);
		goto out;
	}
	if (e)
		goto out;
	e = lk_config_apply(base, k, value, NULL, why, sizeof(why));
	if (e && added)
		lk_config_upstream_pop(cfg);
	if (e == LK_ECONFIG && origin)
		refuse(err, errlen, "%s: %s", origin, why);
	else if (e == LK_ECONFIG)
		refuse(err, errlen, "[%s] %s: %s", qs, qk, why);
out:
	return e;
}

/* True when the n bytes at upper are those of lower (a table name) in upper case. */
static bool upper_equal(const char *upper, const char *lower, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = lower[i] >= 'a' && lower[i] <= 'z' ? (char)(lower[i] - 'a' + 'A')
							    : lower[i];

		if (upper[i] != c)
			return false;
	}
	return true;
}

/*
 * True when the variable name (len bytes) is LATCHKEY_<SECTION>_<KEY> for
 * this key, with SECTION and KEY in upper case.
 */
static bool env_names(const char *name, size_t len, const struct lk_config_key *k)
{
	char want[128];
	int n;

	n = snprintf(want, sizeof(want), ENV_PREFIX "%s_%s", k->section, k->name);
	return n > 0 && (size_t)n == len && upper_equal(name, want, len);
}

/* The upstream key whose "_KEY" ends rest (len bytes), the longest such; or NULL. */
static const struct lk_config_key *env_upstream_key(const char *rest, size_t len, size_t *keylen)
{
	const struct lk_config_key *best = NULL;
	size_t i, n;

	for (i = 0; i < lk_config_upstream_nkeys; i++) {
		const char *kn = lk_config_upstream_keys[i].name;

		n = strlen(kn);
		if (len < n + 1 || (best && n <= *keylen) || rest[len - n - 1] != '_')
			continue;
		if (upper_equal(rest + len - n, kn, n)) {
			best = &lk_config_upstream_keys[i];
			*keylen = n;
		}
	}
	return best;
}

/* LATCHKEY_UPSTREAM_<NAME>_<KEY>=value; NAME is lower-cased. */
static enum lk_err env_upstream(struct lk_config *cfg, const char *var, size_t len,
				const char *value, const char *qvar, char *err, size_t errlen)
{
	const char *rest = var + strlen(ENV_UPSTREAM_PREFIX);
	size_t restlen = len - strlen(ENV_UPSTREAM_PREFIX), keylen = 0, namelen, i;
	const struct lk_config_key *k = env_upstream_key(rest, restlen, &keylen);
	char uname[LK_CONFIG_UPSTREAM_NAME_MAX + 1], why[512];
	struct lk_upstream_config *u;
	const char *reason;
	enum lk_err e;

	if (!k)
		return refuse(err, errlen, "%s: names no configuration key", qvar);
	namelen = restlen - keylen - 1;
	if (namelen > LK_CONFIG_UPSTREAM_NAME_MAX)
		namelen = LK_CONFIG_UPSTREAM_NAME_MAX + 1; /* too long: refused below */
	for (i = 0; i < namelen && i < LK_CONFIG_UPSTREAM_NAME_MAX; i++)
		uname[i] = rest[i] >= 'A' && rest[i] <= 'Z' ? (char)(rest[i] - 'A' + 'a') : rest[i];
	uname[i] = '\0';
	reason = namelen > LK_CONFIG_UPSTREAM_NAME_MAX
			 ? "upstream name must be 1 to 32 characters of a-z, 0-9, '_' or '-'"
			 : lk_config_check_upstream_name(uname);
	if (reason)
		return refuse(err, errlen, "%s: %s", qvar, reason);
	u = lk_config_upstream_find(cfg, uname);
	if (!u) {
		e = lk_config_upstream_add(cfg, uname, &u);
		if (e == LK_ETOOMANY)
			return refuse(err, errlen,
				      "%s: at most %d [upstream.NAME] sections are allowed", qvar,
				      LK_CONFIG_MAX_UPSTREAMS);
		if (e)
			return e;
	}
	e = lk_config_apply(u, k, value, NULL, why, sizeof(why));
	if (e == LK_ECONFIG)
		refuse(err, errlen, "%s: %s", qvar, why);
	return e;
}

/* Applies one "NAME=value" entry of the environment when NAME is ours. */
static enum lk_err env_one(struct lk_config *cfg, const char *entry, char *err, size_t errlen)
{
	const char *eq = strchr(entry, '=');
	char qvar[80], why[512];
	size_t len, i;
	enum lk_err e;

	if (strncmp(entry, ENV_PREFIX, strlen(ENV_PREFIX)) != 0 || !eq)
		return LK_OK;
	len = (size_t)(eq - entry);
	for (i = 0; env_elsewhere[i]; i++) {
		if (strlen(env_elsewhere[i]) == len && memcmp(entry, env_elsewhere[i], len) == 0)
			return LK_OK;
	}
	lk_config_quote(entry, len, qvar, sizeof(qvar));
	if (strncmp(entry, ENV_UPSTREAM_PREFIX, strlen(ENV_UPSTREAM_PREFIX)) == 0)
		return env_upstream(cfg, entry, len, eq + 1, qvar, err, errlen);
	for (i = 0; i < lk_config_nkeys; i++) {
		if (!env_names(entry, len, &lk_config_keys[i]))
			continue;
		e = lk_config_apply(cfg, &lk_config_keys[i], eq + 1, NULL, why, sizeof(why));
		if (e == LK_ECONFIG)
			refuse(err, errlen, "%s: %s", qvar, why);
		return e;
	}
	return refuse(err, errlen, "%s: names no configuration key", qvar);
}

enum lk_err lk_config_load_env(struct lk_config *cfg, char *const *envp, char *err, size_t errlen)
{
	struct lk_config scratch;
	enum lk_err e;
	size_t i;

	if (!envp)
		return LK_OK;
	/* Work on a copy so that a bad variable changes nothing. */
	e = lk_config_copy(&scratch, cfg);
	if (e)
		return e;
	for (i = 0; !e && envp[i]; i++)
		e = env_one(&scratch, envp[i], err, errlen);
	if (e) {
		lk_config_release(&scratch);
		return e;
	}
	lk_config_release(cfg);
	*cfg = scratch;
	return LK_OK;
}
