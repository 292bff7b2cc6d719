/*
 * The one table of configuration keys. Everything else in src/config/ is
 * driven by it: the file parser and the environment look keys up here, the
 * defaults are parsed from the text in .def exactly like user input, and
 * dump walks it in order. Adding a key means adding a field to struct
 * lk_config and one line here.
 */
#include "config/table.h"

#include <stdio.h>
#include <string.h>

#include "core/addr.h"

const char *const lk_config_algs[] = {"ES256", "RS256", "PS256", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_formats[] = {"text", "json", NULL};
static const char *const token_events[] = {"none", "refused", "all", NULL};

static const char *check_listen(char *value)
{
	char host[256];
	unsigned port;

	if (lk_addr_split(value, host, sizeof(host), &port))
		return "expected HOST:PORT";
	return NULL;
}

/* An empty issuer is derived from listen by lk_config_finish. */
static const char *check_issuer(char *value)
{
	if (value[0] == '\0')
		return NULL;
	return lk_config_check_url(value, false);
}

/* Empty means "not given"; lk_config_finish reports it as required. */
static const char *check_upstream_issuer(char *value)
{
	if (value[0] == '\0')
		return NULL;
	return lk_config_check_url(value, true);
}

/* Domains are case-insensitive, so they are stored in lower case. */
static const char *check_domain(char *value)
{
	size_t i, len = strlen(value);

	if (len < 1 || len > 64)
		return "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'";
	for (i = 0; i < len; i++) {
		char c = value[i];

		if (c >= 'A' && c <= 'Z')
			value[i] = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '_' || c == '-'))
			return "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'";
	}
	return NULL;
}

#define OFF(field) offsetof(struct lk_config, field)
#define UOFF(field) offsetof(struct lk_upstream_config, field)

#define KEY(sec, key, typ, off, dflt, hlp)                                                         \
	.section = (sec), .name = (key), .type = (typ), .offset = (off), .def = (dflt),            \
	.help = (hlp)
#define STR(sec, key, field, dflt, hlp)                                                            \
	{                                                                                          \
		KEY(sec, key, LK_CFG_STR, OFF(field), dflt, hlp)                                   \
	}
#define PATH(sec, key, field, hlp)                                                                 \
	{                                                                                          \
		KEY(sec, key, LK_CFG_PATH, OFF(field), "", hlp)                                    \
	}
#define INT(sec, key, field, dflt, lo, hi, hlp)                                                    \
	{                                                                                          \
		KEY(sec, key, LK_CFG_INT, OFF(field), dflt, hlp), .min = (lo), .max = (hi)         \
	}
#define BOOL(sec, key, field, dflt, hlp)                                                           \
	{                                                                                          \
		KEY(sec, key, LK_CFG_BOOL, OFF(field), dflt, hlp)                                  \
	}
#define ENUM(sec, key, field, dflt, vals, hlp)                                                     \
	{                                                                                          \
		KEY(sec, key, LK_CFG_ENUM, OFF(field), dflt, hlp), .values = (vals)                \
	}

const struct lk_config_key lk_config_keys[] = {
	{KEY("server", "listen", LK_CFG_STR, OFF(listen), "127.0.0.1:8080",
	     "Address to listen on, HOST:PORT ([::1]:8080 for IPv6)."),
	 .check = check_listen},
	{KEY("server", "issuer", LK_CFG_STR, OFF(issuer), "",
	     "Public base URL (OpenID issuer); empty: http(s)://LISTEN."),
	 .check = check_issuer},
	INT("server", "workers", workers, "0", 0, 256,
	    "Request threads; 0: the number of CPU cores."),
	INT("server", "slow_threads", slow_threads, "2", 1, 64,
	    "Threads for slow work such as password hashing."),
	BOOL("server", "behind_proxy", behind_proxy, "false",
	     "Trust X-Forwarded-For and allow plain HTTP on any address."),
	PATH("server", "tls_cert", tls_cert, "TLS certificate chain (PEM); needs tls_key."),
	PATH("server", "tls_key", tls_key, "TLS private key (PEM); needs tls_cert."),
	STR("server", "cors_origins", cors_origins, "",
	    "Space-separated origins allowed to call the API from a browser."),
	INT("server", "max_body", max_body, "65536", 1024, 16777216,
	    "Largest request body, in bytes."),
	INT("server", "max_header", max_header, "16384", 1024, 1048576,
	    "Largest request header section, in bytes."),
	INT("server", "max_params", max_params, "64", 8, 1024,
	    "Most form or query parameters in one request."),
	INT("server", "timeout", timeout, "30", 1, 3600,
	    "Seconds an idle connection is kept open."),
	INT("server", "max_conns_per_ip", max_conns_per_ip, "64", 1, 100000,
	    "Most simultaneous connections from one client address."),
	INT("server", "janitor_interval", janitor_interval, "60", 1, 86400,
	    "Seconds between passes that delete expired rows and old audit entries."),

	{KEY("database", "url", LK_CFG_DBURL, OFF(database_url), "sqlite:latchkey.db",
	     "sqlite:PATH, or a postgres:// or postgresql:// connection URI."),
	 .show = LK_CFG_SHOW_DBURL},

	INT("tokens", "access_lifetime", access_lifetime, "60", 1, 525600,
	    "Access token lifetime, in minutes."),
	INT("tokens", "refresh_lifetime", refresh_lifetime, "43200", 1, 5256000,
	    "Refresh token lifetime, in minutes."),
	INT("tokens", "code_lifetime", code_lifetime, "60", 10, 600,
	    "Authorization code lifetime, in seconds."),
	BOOL("tokens", "pkce_required", pkce_required, "true",
	     "Require PKCE of confidential web apps too (public and mobile apps always)."),
	STR("tokens", "audience", audience, "",
	    "Default audience of access tokens; empty: the issuer."),
	ENUM("tokens", "access_alg", access_alg, "ES256", lk_config_algs,
	     "Algorithm that signs JWT access tokens."),
	ENUM("tokens", "id_token_alg", id_token_alg, "RS256", lk_config_algs,
	     "Default algorithm that signs ID tokens."),

	INT("keys", "publish_delay", publish_delay, "10", 0, 10080,
	    "Minutes a new key is published before it signs."),
	INT("keys", "rotate_every", rotate_every, "0", 0, 3650,
	    "Days between automatic key rotations; 0: never."),
	{KEY("keys", "signing_algs", LK_CFG_ALGS, OFF(signing_algs), "ES256 RS256",
	     "Space-separated algorithms that have signing keys.")},
	PATH("keys", "master_key_file", master_key_file,
	     "File holding the master key; empty: latchkey.key beside an SQLite database."),

	INT("login", "max_failures", max_failures, "5", 1, 1000,
	    "Failed logins that lock an account or address."),
	INT("login", "failure_window", failure_window, "15", 1, 1440,
	    "Minutes over which failed logins are counted."),
	INT("login", "session_idle", session_idle, "60", 1, 43200,
	    "Minutes of inactivity that end a login session."),
	INT("login", "session_max", session_max, "24", 1, 8760,
	    "Hours after which a login session ends regardless."),

	INT("limits", "token_per_address", limit_token_per_address, "0", 0, 1000000,
	    "Token endpoint requests per second from one client address; 0: no limit."),
	INT("limits", "token_per_client", limit_token_per_client, "0", 0, 1000000,
	    "Token endpoint requests per second naming one client_id; 0: no limit."),
	INT("limits", "authorize_per_address", limit_authorize_per_address, "0", 0, 1000000,
	    "Authorization endpoint requests per second from one client address; 0: no limit."),
	INT("limits", "login_per_address", limit_login_per_address, "5", 0, 1000000,
	    "Login form submissions per second from one client address; 0: no limit."),
	INT("limits", "burst", limit_burst, "10", 1, 3600,
	    "Seconds' worth of each rate that may be spent at once."),

	PATH("ui", "template_dir", template_dir,
	     "Directory whose files replace the built-in page templates; empty: none."),

	BOOL("signup", "enabled", signup_enabled, "false", "Allow self sign-up at /signup."),
	INT("signup", "min_password_length", min_password_length, "12", 8, 128,
	    "Shortest password accepted, in characters."),

	{KEY("users", "default_domain", LK_CFG_STR, OFF(default_domain), "local",
	     "Domain of a user name given without DOMAIN\\."),
	 .check = check_domain},
	INT("users", "password_memory_kib", password_memory_kib, "19456", 8, 4194304,
	    "Argon2id memory per password hash, in KiB (OWASP: 19456)."),
	INT("users", "password_iterations", password_iterations, "2", 1, 100,
	    "Argon2id passes over the memory (OWASP: 2)."),
	INT("users", "password_parallelism", password_parallelism, "1", 1, 64,
	    "Argon2id lanes (OWASP: 1)."),

	INT("audit", "retention_days", audit_retention_days, "90", 0, 36500,
	    "Days audit entries are kept; 0: forever."),
	ENUM("audit", "token_events", audit_token_events, "refused", token_events,
	     "Token endpoint outcomes written to the audit log: none, refused or all."),

	ENUM("log", "level", log_level, "info", log_levels, "debug, info, warn or error."),
	ENUM("log", "format", log_format, "text", log_formats, "text or json."),
};

const size_t lk_config_nkeys = sizeof(lk_config_keys) / sizeof(lk_config_keys[0]);

const struct lk_config_key lk_config_upstream_keys[] = {
	{KEY(LK_CONFIG_UPSTREAM, "issuer", LK_CFG_STR, UOFF(issuer), "",
	     "Issuer URL of the upstream OpenID provider (https)."),
	 .check = check_upstream_issuer, .required = true},
	{KEY(LK_CONFIG_UPSTREAM, "client_id", LK_CFG_STR, UOFF(client_id), "",
	     "Client id registered at the upstream."),
	 .required = true},
	{KEY(LK_CONFIG_UPSTREAM, "client_secret", LK_CFG_STR, UOFF(client_secret), "",
	     "Client secret registered at the upstream."),
	 .show = LK_CFG_SHOW_SECRET},
	{KEY(LK_CONFIG_UPSTREAM, "scopes", LK_CFG_STR, UOFF(scopes), "openid email profile",
	     "Space-separated scopes requested from the upstream.")},
	/* The default display name is the section's NAME, set when it is added. */
	{KEY(LK_CONFIG_UPSTREAM, "display_name", LK_CFG_STR, UOFF(display_name), NULL,
	     "Shown as \"Sign in with DISPLAY_NAME\"; empty: NAME.")},
	{KEY(LK_CONFIG_UPSTREAM, "link_verified_email", LK_CFG_BOOL, UOFF(link_verified_email),
	     "false", "Link to an existing user whose email the upstream says is verified.")},
};

const size_t lk_config_upstream_nkeys =
	sizeof(lk_config_upstream_keys) / sizeof(lk_config_upstream_keys[0]);

const struct lk_config_key *lk_config_find_key(const char *section, const char *name)
{
	const struct lk_config_key *keys = lk_config_keys;
	size_t i, n = lk_config_nkeys;

	if (strcmp(section, LK_CONFIG_UPSTREAM) == 0) {
		keys = lk_config_upstream_keys;
		n = lk_config_upstream_nkeys;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

bool lk_config_known_section(const char *section)
{
	size_t i;

	for (i = 0; i < lk_config_nkeys; i++) {
		if (strcmp(lk_config_keys[i].section, section) == 0)
			return true;
	}
	return false;
}

const char *lk_config_check_upstream_name(const char *name)
{
	size_t i, len = strlen(name);

	if (len < 1 || len > LK_CONFIG_UPSTREAM_NAME_MAX)
		return "upstream name must be 1 to 32 characters of a-z, 0-9, '_' or '-'";
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return "upstream name must be 1 to 32 characters of a-z, 0-9, '_' or '-'";
	}
	return NULL;
}

/* Checks HOST[:PORT] or [IPV6][:PORT], the authority of an issuer URL. */
static const char *check_authority(const char *a, size_t len)
{
	const char *end = a + len, *port = NULL, *p;
	unsigned long n = 0;

	if (len == 0)
		return "has no host";
	if (memchr(a, '@', len))
		return "must not contain a user name or password";
	if (a[0] == '[') {
		p = memchr(a, ']', len);
		if (!p || p == a + 1)
			return "has a malformed [IPv6] host";
		if (p + 1 < end && p[1] != ':')
			return "has a malformed [IPv6] host";
		port = p + 1 < end ? p + 2 : NULL;
	} else {
		p = memchr(a, ':', len);
		if (p == a)
			return "has no host";
		port = p ? p + 1 : NULL;
	}
	if (!port)
		return NULL;
	if (port == end || end - port > 5)
		return "has a malformed port";
	for (p = port; p < end; p++) {
		if (*p < '0' || *p > '9')
			return "has a malformed port";
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < 1 || n > 65535)
		return "has a port outside 1-65535";
	return NULL;
}

const char *lk_config_check_url(const char *url, bool https_only)
{
	const char *p, *slash;

	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (!https_only && strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (https_only)
		return "must be an https:// URL";
	else
		return "must be an http:// or https:// URL";
	for (slash = url; *slash; slash++) {
		if ((unsigned char)*slash <= ' ' || *slash == 0x7f)
			return "must not contain spaces or control characters";
	}
	if (strchr(url, '?'))
		return "must not have a query (?...)";
	if (strchr(url, '#'))
		return "must not have a fragment (#...)";
	slash = strchr(p, '/');
	return check_authority(p, slash ? (size_t)(slash - p) : strlen(p));
}

void lk_config_quote(const char *text, size_t len, char *out, size_t outlen)
{
	size_t i, n;

	if (outlen == 0)
		return;
	n = len < 64 ? len : 64;
	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		out[i] = (c < ' ' || c >= 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
}
