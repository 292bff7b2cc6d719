/*
 * The private side of the configuration module: the one declarative table of
 * keys (table.c) and the helpers that the loaders (file.c, config.c), the
 * checks (finish.c) and the dump (dump.c) share. Nothing outside src/config/
 * includes this header.
 */
#ifndef LK_CONFIG_TABLE_H
#define LK_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "core/err.h"

/* The longest value any key accepts, in bytes, after trimming. */
#define LK_CONFIG_VALUE_MAX 4096

/* The longest [upstream.NAME] name. */
#define LK_CONFIG_UPSTREAM_NAME_MAX 32

/* The section of the upstream keys in the table; in files it is "upstream.NAME". */
#define LK_CONFIG_UPSTREAM "upstream"

enum lk_config_type {
	LK_CFG_STR,   /* any text */
	LK_CFG_PATH,  /* a file name, relative to the file's directory when read from it */
	LK_CFG_DBURL, /* sqlite:PATH (PATH as LK_CFG_PATH), postgres://, postgresql:// */
	LK_CFG_INT,   /* decimal, within min..max */
	LK_CFG_BOOL,  /* true/false, yes/no, on/off, 1/0 */
	LK_CFG_ENUM,  /* one of values, stored in the table's spelling */
	LK_CFG_ALGS,  /* space-separated JWS algorithms, each once, at least one */
};

/* How dump shows a value. */
enum lk_config_show {
	LK_CFG_SHOW_PLAIN,
	LK_CFG_SHOW_SECRET, /* "********" when set */
	LK_CFG_SHOW_DBURL,  /* only the password in the URL is masked */
};

/*
 * One configuration key. The field it fills lives at offset in struct
 * lk_config, or in struct lk_upstream_config for the keys of the section
 * LK_CONFIG_UPSTREAM. The field is a char * for the text types, an int for
 * LK_CFG_INT and a bool for LK_CFG_BOOL.
 */
struct lk_config_key {
	const char *section;
	const char *name;
	enum lk_config_type type;
	size_t offset;
	const char *def; /* the default as text, parsed like any value; NULL: see the key */
	int min, max;	 /* LK_CFG_INT bounds, inclusive */
	const char *const *values; /* LK_CFG_ENUM: the allowed values, NULL-terminated */
	/*
	 * Extra validation of a trimmed copy of the value, which it may
	 * normalise in place; returns the reason it is refused, or NULL.
	 */
	const char *(*check)(char *value);
	enum lk_config_show show;
	bool required; /* checked by lk_config_finish (upstream keys only) */
	const char *help;
};

/* The keys of the fixed sections, grouped by section in the order dump prints them. */
extern const struct lk_config_key lk_config_keys[];
extern const size_t lk_config_nkeys;

/* The keys of every [upstream.NAME] section. */
extern const struct lk_config_key lk_config_upstream_keys[];
extern const size_t lk_config_upstream_nkeys;

/* The JWS algorithms latchkey signs with, NULL-terminated. */
extern const char *const lk_config_algs[];

/* The address of the field a key fills in base (a struct lk_config or lk_upstream_config). */
#define LK_CONFIG_FIELD(base, key, type) ((type *)(void *)((char *)(base) + (key)->offset))

/*
 * The key named name in section ("server", or LK_CONFIG_UPSTREAM for the
 * upstream keys), or NULL. Static storage.
 */
const struct lk_config_key *lk_config_find_key(const char *section, const char *name);

/* True when section is one of the fixed sections ("server", "database", ...). */
bool lk_config_known_section(const char *section);

/*
 * Checks an upstream name: 1 to 32 characters of a-z, 0-9, '_' and '-'.
 * Returns the reason it is refused, or NULL.
 */
const char *lk_config_check_upstream_name(const char *name);

/*
 * Checks an issuer URL (OpenID Connect Discovery 1.0 §2: https, or http when
 * https_only is false; a host; no query, fragment or user information).
 * Returns the reason it is refused, or NULL.
 */
const char *lk_config_check_url(const char *url, bool https_only);

/*
 * Parses and validates value (trimmed first) for key and, only when it is
 * valid, stores it in base, freeing the previous string. dir is the
 * directory of the configuration file a relative path is joined to, or NULL
 * when the value does not come from a file. LK_ECONFIG with the reason in
 * why (which never repeats a secret value), or LK_ENOMEM.
 */
enum lk_err lk_config_apply(void *base, const struct lk_config_key *key, const char *value,
			    const char *dir, char *why, size_t whylen);

/*
 * Finds what a key of section fills: cfg itself for a fixed section, or the
 * upstream of "upstream.NAME", which is added (with its defaults) when absent
 * and *added set. With name NULL only the section is resolved and *key is
 * untouched. LK_ECONFIG with the reason in why for an unknown section or key,
 * a bad upstream name or too many upstreams; LK_ENOMEM. Nothing is added on
 * error.
 */
enum lk_err lk_config_target(struct lk_config *cfg, const char *section, const char *name,
			     void **base, const struct lk_config_key **key, bool *added, char *why,
			     size_t whylen);

/*
 * The upstream called name in cfg, or NULL. The pointer stays valid until
 * the next upstream is added or cfg is released.
 */
struct lk_upstream_config *lk_config_upstream_find(struct lk_config *cfg, const char *name);

/*
 * Adds an upstream called name (already checked) with its defaults.
 * LK_ETOOMANY past LK_CONFIG_MAX_UPSTREAMS, LK_ENOMEM; cfg unchanged then.
 */
enum lk_err lk_config_upstream_add(struct lk_config *cfg, const char *name,
				   struct lk_upstream_config **out);

/* Frees (after zeroing) the strings of the last upstream and removes it. */
void lk_config_upstream_pop(struct lk_config *cfg);

/*
 * Makes dst a deep copy of src, so that a loader can work on the copy and
 * leave src untouched when the input is bad. LK_ENOMEM; dst is then empty.
 */
enum lk_err lk_config_copy(struct lk_config *dst, const struct lk_config *src);

/*
 * Copies text that came from the input (a section or variable name) into
 * out for an error message: at most 64 bytes, non-printable bytes as '?'.
 */
void lk_config_quote(const char *text, size_t len, char *out, size_t outlen);

#endif
