/*
 * Configuration. One declarative table (config/table.c) lists every key: its
 * section, name, type, default, bounds, help text and whether it is secret.
 * That table drives the INI file parser, the LATCHKEY_<SECTION>_<KEY>
 * environment variables, flag overrides and `latchkey config dump`.
 *
 * Precedence: flags > environment > file > defaults. The caller applies them
 * in the opposite order: lk_config_init, lk_config_load_file, lk_config_load_env,
 * lk_config_set for each flag, then lk_config_finish. Every error message names
 * where the bad value came from ("latchkey.conf:12: [tokens] access_lifetime:
 * must be between 1 and 525600").
 */
#ifndef LK_CONFIG_CONFIG_H
#define LK_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* An [upstream.NAME] section (sign-in with another OpenID provider). */
struct lk_upstream_config {
	char *name;
	char *issuer;
	char *client_id;
	char *client_secret; /* secret: masked in dumps */
	char *scopes;
	char *display_name;
	bool link_verified_email;
};

#define LK_CONFIG_MAX_UPSTREAMS 16

struct lk_config {
	/* [server] */
	char *listen;	  /* "127.0.0.1:8080" */
	char *issuer;	  /* "" until finish derives it from listen and TLS */
	int workers;	  /* 0 until finish: the number of cores */
	int slow_threads; /* slow-work pool size */
	bool behind_proxy;
	char *tls_cert;	    /* path or "" */
	char *tls_key;	    /* path or "" */
	char *cors_origins; /* space-separated origins, or "" */
	int max_body;	    /* bytes */
	int max_header;	    /* bytes */
	int max_params;
	int timeout; /* seconds an idle connection is kept */
	int max_conns_per_ip;
	int janitor_interval; /* seconds between housekeeping passes: 60 */

	/* [database] */
	char *database_url; /* "sqlite:latchkey.db" */

	/* [tokens] */
	int access_lifetime;  /* minutes, 60 */
	int refresh_lifetime; /* minutes, 43200 */
	int code_lifetime;    /* seconds, 60 */
	bool pkce_required;   /* PKCE for confidential web apps too: true */
	char *audience;	      /* "" = the issuer */
	char *access_alg;     /* "ES256" */
	char *id_token_alg;   /* "RS256" */

	/* [keys] */
	int publish_delay;     /* minutes, 10 */
	int rotate_every;      /* days, 0 = never */
	char *signing_algs;    /* space-separated algorithms that sign: "ES256 RS256" */
	char *master_key_file; /* "" = latchkey.key beside an SQLite database */

	/* [login] */
	int max_failures;   /* 5 */
	int failure_window; /* minutes, 15 */
	int session_idle;   /* minutes, 60 */
	int session_max;    /* hours, 24 */

	/* [limits]: requests per second per key, 0 = no limit */
	int limit_token_per_address;
	int limit_token_per_client;
	int limit_authorize_per_address;
	int limit_login_per_address; /* POST /login */
	int limit_burst;	     /* seconds of the rate allowed at once: 10 */

	/* [ui] */
	char *template_dir; /* "" = the built-in templates only */

	/* [signup] */
	bool signup_enabled;
	int min_password_length; /* 12 */

	/* [users] */
	char *default_domain;	  /* "local" */
	int password_memory_kib;  /* Argon2id m, KiB: 19456 */
	int password_iterations;  /* Argon2id t: 2 */
	int password_parallelism; /* Argon2id p: 1 */

	/* [audit] */
	int audit_retention_days; /* 90, 0 = keep forever */
	char *audit_token_events; /* none, refused (default), all */

	/* [log] */
	char *log_level;  /* debug, info, warn, error */
	char *log_format; /* text, json */

	/* [upstream.NAME] */
	struct lk_upstream_config upstreams[LK_CONFIG_MAX_UPSTREAMS];
	size_t nupstreams;

	/* Where the file was read from ("" when none); its directory. */
	char *file_path;
	char *file_dir;
};

/* Fills cfg with the defaults. Release with lk_config_release. */
enum lk_err lk_config_init(struct lk_config *cfg);

/*
 * Reads an INI file. When must_exist is false a missing file is not an error.
 * Unknown sections or keys and bad values are LK_ECONFIG with "FILE:LINE: ..."
 * in err. Relative paths in the file are made relative to its directory.
 * Comments are whole lines starting with '#' or ';' (a ';' after a value is
 * part of the value); a key given twice keeps the later value; a section given
 * twice is one section. Files are at most 1 MiB, lines at most 8000 bytes,
 * values at most 4096 bytes. cfg is unchanged on error.
 */
enum lk_err lk_config_load_file(struct lk_config *cfg, const char *path, bool must_exist, char *err,
				size_t errlen);

/*
 * Reads INI text held in memory (len bytes, no NUL needed) as if it were the
 * file path: messages say "PATH:LINE: ..." and relative paths are made
 * relative to the directory of path. Same errors as lk_config_load_file; cfg
 * is unchanged on error. Used by lk_config_load_file and by the fuzz target.
 */
enum lk_err lk_config_load_buffer(struct lk_config *cfg, const char *data, size_t len,
				  const char *path, char *err, size_t errlen);

/*
 * Applies LATCHKEY_<SECTION>_<KEY> variables from envp (NULL-terminated, as
 * environ), and LATCHKEY_UPSTREAM_<NAME>_<KEY> for [upstream.NAME] (NAME is
 * lower-cased). Variables that start with LATCHKEY_ but name no key are
 * LK_ECONFIG, except the ones latchkey reads elsewhere (LATCHKEY_MASTER_KEY)
 * and those of its build and test tooling (LATCHKEY_BIN, LATCHKEY_TEST_DB_URL,
 * LATCHKEY_EXTRA_DEBS, LATCHKEY_SCREENSHOT_DIR, LATCHKEY_PG_DIR,
 * LATCHKEY_E2E_PG_URL). Relative
 * paths are left as given (relative to the current directory). err
 * says "VARIABLE: reason"; cfg is unchanged on error.
 */
enum lk_err lk_config_load_env(struct lk_config *cfg, char *const *envp, char *err, size_t errlen);

/*
 * Sets one key from a string, validating it; origin names the source for
 * messages ("--listen: expected HOST:PORT"; NULL: "[section] key: ...").
 * section is "server", ... or "upstream.NAME", which is added when absent.
 * LK_ECONFIG for an unknown key or a bad value, LK_EINVAL for a NULL
 * argument; cfg is unchanged on error.
 */
enum lk_err lk_config_set(struct lk_config *cfg, const char *section, const char *key,
			  const char *value, const char *origin, char *err, size_t errlen);

/*
 * Derives what depends on other keys (issuer from listen and TLS, workers from
 * the core count, an upstream's empty display_name from its NAME) and checks
 * the combination (TLS needs both files, readable; plain HTTP on a
 * non-loopback address needs behind_proxy; access_alg and id_token_alg are
 * among signing_algs; every upstream has issuer and client_id). A given
 * issuer loses one trailing '/'. LK_ECONFIG with the reason in err; cfg is
 * unchanged on error.
 */
enum lk_err lk_config_finish(struct lk_config *cfg, char *err, size_t errlen);

/*
 * Appends the effective configuration to out as INI that lk_config_load_file
 * reads back (json false) or as one JSON object (json true): {"server": {...},
 * ..., "upstream": {"NAME": {...}}}, numbers and booleans typed. Secrets and
 * the password of a database URL are masked as "********". LK_ETOOBIG when
 * out's maximum is reached, LK_ENOMEM; out is unchanged on error.
 */
enum lk_err lk_config_dump(const struct lk_config *cfg, bool json, struct lk_buf *out);

/*
 * Frees every string of cfg, zeroing it first (values may be secrets), and
 * leaves them NULL, so that a second call does nothing.
 */
void lk_config_release(struct lk_config *cfg);

#endif
