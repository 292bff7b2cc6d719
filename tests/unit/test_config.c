/*
 * Configuration: defaults, the INI file, the environment, flags, the final
 * checks and the dump. Files are written under /tmp with mkstemp/mkdtemp and
 * removed by each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config/config.h"
#include "core/buf.h"

#define DUMP_MAX (1024 * 1024)

/* A scratch directory and the files made in it, removed at the end of a test. */
struct fx {
	char dir[64];
	char files[8][PATH_MAX];
	int nfiles;
	struct lk_config cfg;
	char err[1024];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/lk_config_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_int_equal(lk_config_init(&fx->cfg), LK_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int i;

	lk_config_release(&fx->cfg);
	for (i = fx->nfiles - 1; i >= 0; i--)
		remove(fx->files[i]);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Creates DIR/name (a directory when text is NULL) and returns its path. */
static const char *make(struct fx *fx, const char *name, const char *text, size_t len)
{
	char *path = fx->files[fx->nfiles++], dir[sizeof(fx->dir)];
	FILE *f;

	/* A copy, as gcc cannot tell that path and fx->dir do not overlap. */
	memcpy(dir, fx->dir, sizeof(dir));
	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	if (!text) {
		assert_int_equal(mkdir(path, 0700), 0);
		return path;
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *conf(struct fx *fx, const char *text)
{
	return make(fx, "latchkey.conf", text, strlen(text));
}

static enum lk_err load_path(struct fx *fx, const char *path)
{
	return lk_config_load_file(&fx->cfg, path, true, fx->err, sizeof(fx->err));
}

static enum lk_err load(struct fx *fx, const char *text)
{
	return load_path(fx, conf(fx, text));
}

static enum lk_err set(struct fx *fx, const char *section, const char *key, const char *value,
		       const char *origin)
{
	return lk_config_set(&fx->cfg, section, key, value, origin, fx->err, sizeof(fx->err));
}

static enum lk_err finish(struct fx *fx)
{
	return lk_config_finish(&fx->cfg, fx->err, sizeof(fx->err));
}

static void test_defaults(void **state)
{
	struct lk_config *c = &((struct fx *)*state)->cfg;

	assert_string_equal(c->listen, "127.0.0.1:8080");
	assert_string_equal(c->issuer, "");
	assert_int_equal(c->workers, 0);
	assert_int_equal(c->slow_threads, 2);
	assert_false(c->behind_proxy);
	assert_string_equal(c->tls_cert, "");
	assert_string_equal(c->tls_key, "");
	assert_string_equal(c->cors_origins, "");
	assert_int_equal(c->max_body, 65536);
	assert_int_equal(c->max_header, 16384);
	assert_int_equal(c->max_params, 64);
	assert_int_equal(c->timeout, 30);
	assert_int_equal(c->max_conns_per_ip, 64);
	assert_string_equal(c->database_url, "sqlite:latchkey.db");
	assert_int_equal(c->access_lifetime, 60);
	assert_int_equal(c->refresh_lifetime, 43200);
	assert_int_equal(c->code_lifetime, 60);
	assert_string_equal(c->audience, "");
	assert_string_equal(c->access_alg, "ES256");
	assert_string_equal(c->id_token_alg, "RS256");
	assert_int_equal(c->publish_delay, 10);
	assert_int_equal(c->rotate_every, 0);
	assert_string_equal(c->signing_algs, "ES256 RS256");
	assert_string_equal(c->master_key_file, "");
	assert_int_equal(c->max_failures, 5);
	assert_int_equal(c->failure_window, 15);
	assert_int_equal(c->session_idle, 60);
	assert_int_equal(c->session_max, 24);
	assert_false(c->signup_enabled);
	assert_int_equal(c->min_password_length, 12);
	assert_string_equal(c->default_domain, "local");
	assert_string_equal(c->log_level, "info");
	assert_string_equal(c->log_format, "text");
	assert_int_equal(c->nupstreams, 0);
	assert_string_equal(c->file_path, "");
	assert_string_equal(c->file_dir, "");

	/* Release is idempotent. */
	lk_config_release(c);
	lk_config_release(c);
	assert_null(c->listen);
}

static void test_file_parse(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;

	assert_int_equal(load(fx, "\xef\xbb\xbf# a comment\n"
				  "; another comment\n"
				  "[server]\n"
				  "listen = [::1]:9000\n"
				  "  workers=4  \n"
				  "behind_proxy = YES\n"
				  "max_body = 1024\n"
				  "cors_origins = https://a.example https://b.example\n"
				  "[tokens]\n"
				  "access_lifetime = 5\n"
				  "access_lifetime = 7\n"
				  "access_alg = rs256\n"
				  "[keys]\n"
				  "signing_algs =  ps256   es256 RS256 \n"
				  "[signup]\n"
				  "enabled = on\n"
				  "[users]\n"
				  "default_domain = Corp.Example\n"
				  "[log]\n"
				  "level = DEBUG\n"
				  "format = json\n"
				  "[server]\n"
				  "timeout = 0010\n"),
			 LK_OK);
	assert_string_equal(c->listen, "[::1]:9000");
	assert_int_equal(c->workers, 4);
	assert_true(c->behind_proxy);
	assert_int_equal(c->max_body, 1024);
	assert_string_equal(c->cors_origins, "https://a.example https://b.example");
	/* A key given twice keeps the later value. */
	assert_int_equal(c->access_lifetime, 7);
	assert_string_equal(c->access_alg, "RS256");
	assert_string_equal(c->signing_algs, "PS256 ES256 RS256");
	assert_true(c->signup_enabled);
	assert_string_equal(c->default_domain, "corp.example");
	assert_string_equal(c->log_level, "debug");
	assert_string_equal(c->log_format, "json");
	/* A section given twice is one section. */
	assert_int_equal(c->timeout, 10);
	assert_string_equal(c->file_path, fx->files[0]);
	assert_string_equal(c->file_dir, fx->dir);
}

/* There are no inline comments: what follows '=' is the value, ';' included. */
static void test_file_literal_values(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load(fx, "[upstream.x]\nclient_secret = abc ;def # ghi\n"), LK_OK);
	assert_string_equal(fx->cfg.upstreams[0].client_secret, "abc ;def # ghi");
}

struct bad_case {
	const char *text;
	int line;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{"[tokens]\naccess_lifetime = 5m\n", 2,
	 "[tokens] access_lifetime: expected a whole number, got '5m'"},
	{"[tokens]\n\naccess_lifetime = 0\n", 3,
	 "[tokens] access_lifetime: must be between 1 and 525600"},
	{"[tokens]\ncode_lifetime = 0x10\n", 2,
	 "[tokens] code_lifetime: expected a whole number, got '0x10'"},
	{"[tokens]\ncode_lifetime = 99999999999999999999\n", 2,
	 "[tokens] code_lifetime: must be between 10 and 600"},
	{"[tokens]\ncode_lifetime = -5\n", 2, "[tokens] code_lifetime: must be between 10 and 600"},
	{"[tokens]\ncode_lifetime =\n", 2,
	 "[tokens] code_lifetime: expected a whole number, got ''"},
	{"[server]\nworkers = 257\n", 2, "[server] workers: must be between 0 and 256"},
	{"[server]\nbehind_proxy = maybe\n", 2,
	 "[server] behind_proxy: expected true or false (also yes/no, on/off, 1/0)"},
	{"[log]\nlevel = loud\n", 2, "[log] level: must be one of: debug, info, warn, error"},
	{"[tokens]\nid_token_alg = HS256\n", 2,
	 "[tokens] id_token_alg: must be one of: ES256, RS256, PS256"},
	{"[keys]\nsigning_algs = ES256 none\n", 2,
	 "[keys] signing_algs: unknown algorithm 'none' (expected ES256, RS256 or PS256)"},
	{"[keys]\nsigning_algs = ES256 es256\n", 2, "[keys] signing_algs: ES256 is listed twice"},
	{"[keys]\nsigning_algs =\n", 2,
	 "[keys] signing_algs: needs at least one of ES256, RS256 and PS256"},
	{"[server]\nlisten = localhost\n", 2, "[server] listen: expected HOST:PORT"},
	{"[server]\nlisten = 127.0.0.1:8080 ; dev\n", 2, "[server] listen: expected HOST:PORT"},
	{"[server]\nissuer = https://example.com/?a=b\n", 2,
	 "[server] issuer: must not have a query (?...)"},
	{"[database]\nurl = mysql://db/x\n", 2,
	 "[database] url: must start with sqlite:, postgres:// or postgresql://"},
	{"[database]\nurl = sqlite:\n", 2, "[database] url: needs a file name after sqlite:"},
	{"[users]\ndefault_domain = a b\n", 2,
	 "[users] default_domain: must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'"},
	{"[server]\ncors_origins = a\x01z\n", 2,
	 "[server] cors_origins: must not contain control characters"},
	{"[server]\ncors_origins = \xff\xfe\n", 2, "[server] cors_origins: must be valid UTF-8"},
	{"[server]\nlistn = 1\n", 2, "[server] listn: unknown key"},
	{"# x\n[servers]\n", 2, "[servers]: unknown section"},
	{"[bogus]\nx = 1\n", 1, "[bogus]: unknown section"},
	{"[upstream]\nissuer = https://a\n", 1,
	 "[upstream]: unknown section (upstreams are [upstream.NAME])"},
	{"listen = 127.0.0.1:1\n", 1, "listen: key before the first [section]"},
	{"[server]\nlisten\n", 2, "expected [section] or key = value"},
	{"[server\n", 1, "expected [section] or key = value"},
	{"[upstream.Google]\n", 1,
	 "[upstream.Google]: upstream name must be 1 to 32 characters of a-z, 0-9, '_' or '-'"},
	{"[upstream.g]\nissuer = http://accounts.example\n", 2,
	 "[upstream.g] issuer: must be an https:// URL"},
	{"[upstream.g]\nscope = x\n", 2, "[upstream.g] scope: unknown key"},
};

/* Every bad value is refused with "PATH:LINE: [section] key: reason" and changes nothing. */
static void test_file_errors(void **state)
{
	struct fx *fx = *state;
	char want[1024], name[32];
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		const char *path;

		snprintf(name, sizeof(name), "bad%zu.conf", i);
		path = make(fx, name, bc->text, strlen(bc->text));
		fx->err[0] = '\0';
		assert_int_equal(load_path(fx, path), LK_ECONFIG);
		snprintf(want, sizeof(want), "%s:%d: %s", path, bc->line, bc->message);
		assert_string_equal(fx->err, want);
		remove(path);
		fx->nfiles--;
	}
	/* Nothing of a refused file is applied, not even the keys before the error. */
	assert_int_equal(load(fx, "[server]\nworkers = 3\n[upstream.a]\nclient_id = x\n"
				  "[server]\nlisten = bad\n"),
			 LK_ECONFIG);
	assert_int_equal(fx->cfg.workers, 0);
	assert_int_equal(fx->cfg.nupstreams, 0);
	assert_string_equal(fx->cfg.file_path, "");
}

static void test_file_limits(void **state)
{
	struct fx *fx = *state;
	char *text = malloc(10000), want[1024];
	const char *path;

	assert_non_null(text);
	/* A value of 4096 bytes is accepted, one of 4097 is not. */
	memcpy(text, "[server]\ncors_origins = ", 24);
	memset(text + 24, 'a', 4096);
	memcpy(text + 24 + 4096, "\n", 2);
	assert_int_equal(load(fx, text), LK_OK);
	assert_int_equal(strlen(fx->cfg.cors_origins), 4096);
	memset(text + 24, 'b', 4097);
	memcpy(text + 24 + 4097, "\n", 2);
	path = make(fx, "long.conf", text, strlen(text));
	assert_int_equal(load_path(fx, path), LK_ECONFIG);
	snprintf(want, sizeof(want), "%s:2: [server] cors_origins: must be at most 4096 bytes",
		 path);
	assert_string_equal(fx->err, want);
	assert_int_equal(fx->cfg.cors_origins[0], 'a');

	/* A line too long for the parser is refused, not split in two. */
	memset(text + 24, 'c', 9000);
	memcpy(text + 24 + 9000, "\n", 2);
	path = make(fx, "longer.conf", text, strlen(text));
	assert_int_equal(load_path(fx, path), LK_ECONFIG);
	snprintf(want, sizeof(want), "%s:2: line longer than 8000 bytes", path);
	assert_string_equal(fx->err, want);
	free(text);

	/* A NUL byte would hide the rest of the file from the parser. */
	assert_int_equal(lk_config_load_buffer(&fx->cfg, "[server]\n\nworkers = 2\0x", 23, "m.conf",
					       fx->err, sizeof(fx->err)),
			 LK_ECONFIG);
	assert_string_equal(fx->err, "m.conf:3: contains a NUL byte");
}

static void test_file_missing(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], want[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/absent.conf", fx->dir);
	assert_int_equal(lk_config_load_file(&fx->cfg, path, false, fx->err, sizeof(fx->err)),
			 LK_OK);
	assert_string_equal(fx->cfg.file_path, "");
	assert_int_equal(load_path(fx, path), LK_ECONFIG);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(fx->err, want);
	/* A directory is not a file, whether or not one must exist. */
	assert_int_equal(lk_config_load_file(&fx->cfg, fx->dir, false, fx->err, sizeof(fx->err)),
			 LK_ECONFIG);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", fx->dir);
	assert_string_equal(fx->err, want);
}

static void test_env(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;
	char *const env[] = {
		"PATH=/usr/bin",
		"LATCHKEY_SERVER_LISTEN=0.0.0.0:9999",
		"LATCHKEY_TOKENS_ACCESS_LIFETIME= 30 ",
		"LATCHKEY_DATABASE_URL=postgres://db.example/lk",
		"LATCHKEY_LOG_FORMAT=json",
		"LATCHKEY_KEYS_MASTER_KEY_FILE=rel/m.key",
		"LATCHKEY_MASTER_KEY=not-read-here",
		"LATCHKEY_BIN=/path/of/the/binary/under/test",
		"LATCHKEY_SIGNUP_ENABLED=1",
		NULL,
	};
	char *const bad_name[] = {"LATCHKEY_SERVER_WORKERS=2", "LATCHKEY_SERVER_LISTN=x", NULL};
	char *const bad_value[] = {"LATCHKEY_SERVER_WORKERS=2", "LATCHKEY_SERVER_MAX_BODY=1", NULL};
	char *const lower[] = {"LATCHKEY_server_listen=127.0.0.1:1", NULL};

	assert_int_equal(load(fx, "[server]\nlisten = 127.0.0.1:1234\nworkers = 5\n"
				  "[tokens]\naccess_lifetime = 90\n"),
			 LK_OK);
	assert_int_equal(lk_config_load_env(c, env, fx->err, sizeof(fx->err)), LK_OK);
	/* The environment beats the file; what it does not name stays. */
	assert_string_equal(c->listen, "0.0.0.0:9999");
	assert_int_equal(c->access_lifetime, 30);
	assert_int_equal(c->workers, 5);
	assert_string_equal(c->database_url, "postgres://db.example/lk");
	assert_string_equal(c->log_format, "json");
	assert_true(c->signup_enabled);
	/* A relative path from the environment is left as given (the current directory). */
	assert_string_equal(c->master_key_file, "rel/m.key");

	assert_int_equal(lk_config_load_env(c, bad_name, fx->err, sizeof(fx->err)), LK_ECONFIG);
	assert_string_equal(fx->err, "LATCHKEY_SERVER_LISTN: names no configuration key");
	assert_int_equal(c->workers, 5);
	assert_int_equal(lk_config_load_env(c, bad_value, fx->err, sizeof(fx->err)), LK_ECONFIG);
	assert_string_equal(fx->err, "LATCHKEY_SERVER_MAX_BODY: must be between 1024 and 16777216");
	assert_int_equal(c->workers, 5);
	assert_int_equal(lk_config_load_env(c, lower, fx->err, sizeof(fx->err)), LK_ECONFIG);
	assert_string_equal(fx->err, "LATCHKEY_server_listen: names no configuration key");
	assert_int_equal(lk_config_load_env(c, NULL, fx->err, sizeof(fx->err)), LK_OK);
}

static void test_set(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;
	char *const env[] = {"LATCHKEY_SERVER_LISTEN=0.0.0.0:9999", NULL};

	assert_int_equal(lk_config_load_env(c, env, fx->err, sizeof(fx->err)), LK_OK);
	assert_int_equal(set(fx, "server", "listen", "127.0.0.2:80", "--listen"), LK_OK);
	assert_string_equal(c->listen, "127.0.0.2:80");
	assert_int_equal(set(fx, "server", "listen", "nope", "--listen"), LK_ECONFIG);
	assert_string_equal(fx->err, "--listen: expected HOST:PORT");
	assert_string_equal(c->listen, "127.0.0.2:80");
	assert_int_equal(set(fx, "server", "workers", "x", NULL), LK_ECONFIG);
	assert_string_equal(fx->err, "[server] workers: expected a whole number, got 'x'");
	assert_int_equal(set(fx, "server", "nope", "1", "--nope"), LK_ECONFIG);
	assert_string_equal(fx->err, "--nope: [server] nope: unknown key");
	assert_int_equal(set(fx, "servr", "listen", "1", "--x"), LK_ECONFIG);
	assert_string_equal(fx->err, "--x: [servr] listen: unknown section");
	/* A flag's relative path is relative to the current directory: left as given. */
	assert_int_equal(set(fx, "server", "tls_cert", "c.pem", "--tls-cert"), LK_OK);
	assert_string_equal(c->tls_cert, "c.pem");
	assert_int_equal(set(fx, "database", "url", "sqlite:x.db", "--db"), LK_OK);
	assert_string_equal(c->database_url, "sqlite:x.db");
	/* A bad value for a new upstream does not leave the upstream behind. */
	assert_int_equal(set(fx, "upstream.new", "issuer", "http://x", "--up"), LK_ECONFIG);
	assert_string_equal(fx->err, "--up: must be an https:// URL");
	assert_int_equal(c->nupstreams, 0);
	assert_int_equal(set(fx, "upstream.new", "scopes", "openid", "--up"), LK_OK);
	assert_int_equal(c->nupstreams, 1);
	assert_string_equal(c->upstreams[0].scopes, "openid");
	assert_int_equal(set(fx, NULL, "x", "y", "--x"), LK_EINVAL);
}

static void test_relative_paths(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;
	char want[PATH_MAX + 64];

	assert_int_equal(load(fx, "[server]\ntls_cert = cert.pem\ntls_key = /etc/ssl/k.pem\n"
				  "[keys]\nmaster_key_file = keys/master.key\n"
				  "[database]\nurl = sqlite:data/lk.db\n"),
			 LK_OK);
	snprintf(want, sizeof(want), "%s/cert.pem", fx->dir);
	assert_string_equal(c->tls_cert, want);
	assert_string_equal(c->tls_key, "/etc/ssl/k.pem");
	snprintf(want, sizeof(want), "%s/keys/master.key", fx->dir);
	assert_string_equal(c->master_key_file, want);
	snprintf(want, sizeof(want), "sqlite:%s/data/lk.db", fx->dir);
	assert_string_equal(c->database_url, want);

	assert_int_equal(lk_config_load_buffer(c, "[database]\nurl = sqlite::memory:\n", 33,
					       "/etc/latchkey/latchkey.conf", fx->err,
					       sizeof(fx->err)),
			 LK_OK);
	assert_string_equal(c->database_url, "sqlite::memory:");
	assert_string_equal(c->file_dir, "/etc/latchkey");
	assert_int_equal(lk_config_load_buffer(c, "[database]\nurl = sqlite:/var/lk.db\n", 35,
					       "/x.conf", fx->err, sizeof(fx->err)),
			 LK_OK);
	assert_string_equal(c->database_url, "sqlite:/var/lk.db");
	assert_string_equal(c->file_dir, "/");
	/* A file named without a directory is in the current one: paths stay as given. */
	assert_int_equal(lk_config_load_buffer(c, "[keys]\nmaster_key_file = m.key\n", 31,
					       "latchkey.conf", fx->err, sizeof(fx->err)),
			 LK_OK);
	assert_string_equal(c->master_key_file, "m.key");
	assert_string_equal(c->file_dir, ".");
	assert_int_equal(lk_config_load_buffer(c, "[keys]\nmaster_key_file = m.key\n", 31,
					       "conf/latchkey.conf", fx->err, sizeof(fx->err)),
			 LK_OK);
	assert_string_equal(c->master_key_file, "conf/m.key");
}

static void test_upstreams(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;
	char *const env[] = {
		"LATCHKEY_UPSTREAM_MY_IDP_ISSUER=https://idp.example/realms/x",
		"LATCHKEY_UPSTREAM_MY_IDP_CLIENT_ID=lk",
		"LATCHKEY_UPSTREAM_GOOGLE_CLIENT_SECRET=from-env",
		"LATCHKEY_UPSTREAM_GOOGLE_LINK_VERIFIED_EMAIL=true",
		NULL,
	};
	char *const bad[] = {"LATCHKEY_UPSTREAM_X_COLOR=red", NULL};
	char *const bad_name[] = {"LATCHKEY_UPSTREAM__ISSUER=https://a", NULL};

	assert_int_equal(load(fx, "[upstream.google]\n"
				  "issuer = https://accounts.google.com\n"
				  "client_id = abc\n"
				  "[upstream.empty]\n"
				  "[upstream.google]\n"
				  "client_secret = s3cret\n"
				  "display_name = Google\n"),
			 LK_OK);
	assert_int_equal(c->nupstreams, 2);
	assert_string_equal(c->upstreams[0].name, "google");
	assert_string_equal(c->upstreams[0].issuer, "https://accounts.google.com");
	assert_string_equal(c->upstreams[0].client_id, "abc");
	assert_string_equal(c->upstreams[0].client_secret, "s3cret");
	assert_string_equal(c->upstreams[0].display_name, "Google");
	assert_string_equal(c->upstreams[0].scopes, "openid email profile");
	assert_false(c->upstreams[0].link_verified_email);
	assert_string_equal(c->upstreams[1].name, "empty");
	assert_string_equal(c->upstreams[1].display_name, "empty");

	assert_int_equal(lk_config_load_env(c, env, fx->err, sizeof(fx->err)), LK_OK);
	assert_int_equal(c->nupstreams, 3);
	assert_string_equal(c->upstreams[0].client_secret, "from-env");
	assert_true(c->upstreams[0].link_verified_email);
	assert_string_equal(c->upstreams[2].name, "my_idp");
	assert_string_equal(c->upstreams[2].issuer, "https://idp.example/realms/x");
	assert_string_equal(c->upstreams[2].client_id, "lk");
	assert_int_equal(lk_config_load_env(c, bad, fx->err, sizeof(fx->err)), LK_ECONFIG);
	assert_string_equal(fx->err, "LATCHKEY_UPSTREAM_X_COLOR: names no configuration key");
	assert_int_equal(lk_config_load_env(c, bad_name, fx->err, sizeof(fx->err)), LK_ECONFIG);
	assert_string_equal(fx->err, "LATCHKEY_UPSTREAM__ISSUER: upstream name must be 1 to 32 "
				     "characters of a-z, 0-9, '_' or '-'");
	assert_int_equal(c->nupstreams, 3);

	/* The empty section lacks what every upstream needs. */
	assert_int_equal(finish(fx), LK_ECONFIG);
	assert_string_equal(fx->err, "[upstream.empty] issuer: required");
	assert_int_equal(set(fx, "upstream.empty", "issuer", "https://e.example", "--e"), LK_OK);
	assert_int_equal(finish(fx), LK_ECONFIG);
	assert_string_equal(fx->err, "[upstream.empty] client_id: required");
	assert_int_equal(set(fx, "upstream.empty", "client_id", "id", "--e"), LK_OK);
	assert_int_equal(set(fx, "upstream.empty", "display_name", "", "--e"), LK_OK);
	assert_int_equal(finish(fx), LK_OK);
	assert_string_equal(c->upstreams[1].display_name, "empty");
	assert_string_equal(c->upstreams[2].display_name, "my_idp");
}

static void test_upstream_limit(void **state)
{
	struct fx *fx = *state;
	char text[2048], want[PATH_MAX + 128];
	size_t used = 0;
	const char *path;
	int i;

	for (i = 0; i <= LK_CONFIG_MAX_UPSTREAMS; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "[upstream.u%d]\nclient_id = c\n", i);
	path = conf(fx, text);
	assert_int_equal(load_path(fx, path), LK_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:%d: [upstream.u16]: at most 16 [upstream.NAME] sections are allowed", path,
		 2 * LK_CONFIG_MAX_UPSTREAMS + 1);
	assert_string_equal(fx->err, want);
	assert_int_equal(fx->cfg.nupstreams, 0);
}

static void test_finish_issuer(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;
	const char *cert = make(fx, "cert.pem", "C", 1), *key = make(fx, "key.pem", "K", 1);

	assert_int_equal(finish(fx), LK_OK);
	assert_string_equal(c->issuer, "http://127.0.0.1:8080");
	assert_true(c->workers >= 1 && c->workers <= 256);

	lk_config_release(c);
	assert_int_equal(lk_config_init(c), LK_OK);
	assert_int_equal(set(fx, "server", "tls_cert", cert, "--tls-cert"), LK_OK);
	assert_int_equal(set(fx, "server", "tls_key", key, "--tls-key"), LK_OK);
	assert_int_equal(set(fx, "server", "listen", "0.0.0.0:8443", "--listen"), LK_OK);
	assert_int_equal(set(fx, "server", "workers", "3", "--workers"), LK_OK);
	assert_int_equal(finish(fx), LK_OK);
	assert_string_equal(c->issuer, "https://0.0.0.0:8443");
	assert_int_equal(c->workers, 3);

	/* One trailing slash is removed. */
	assert_int_equal(set(fx, "server", "issuer", "https://id.example/auth/", "--issuer"),
			 LK_OK);
	assert_int_equal(finish(fx), LK_OK);
	assert_string_equal(c->issuer, "https://id.example/auth");

	/* Bad issuers, refused when set and again by finish. */
	assert_int_equal(set(fx, "server", "issuer", "https://id.example/#x", "--issuer"),
			 LK_ECONFIG);
	assert_string_equal(fx->err, "--issuer: must not have a fragment (#...)");
	assert_int_equal(set(fx, "server", "issuer", "https://u:p@id.example", "--issuer"),
			 LK_ECONFIG);
	assert_string_equal(fx->err, "--issuer: must not contain a user name or password");
	assert_int_equal(set(fx, "server", "issuer", "https:///x", "--issuer"), LK_ECONFIG);
	assert_string_equal(fx->err, "--issuer: has no host");
	assert_int_equal(set(fx, "server", "issuer", "https://h:99999", "--issuer"), LK_ECONFIG);
	assert_string_equal(fx->err, "--issuer: has a port outside 1-65535");
	assert_int_equal(set(fx, "server", "issuer", "id.example", "--issuer"), LK_ECONFIG);
	assert_string_equal(fx->err, "--issuer: must be an http:// or https:// URL");
	assert_int_equal(set(fx, "server", "issuer", "https://[::1]:8443", "--issuer"), LK_OK);
	free(c->issuer);
	c->issuer = strdup("ftp://id.example");
	assert_non_null(c->issuer);
	assert_int_equal(finish(fx), LK_ECONFIG);
	assert_string_equal(fx->err, "[server] issuer: must be an http:// or https:// URL");
	assert_string_equal(c->issuer, "ftp://id.example");
}

static void test_finish_transport(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;
	const char *cert = make(fx, "cert.pem", "C", 1);
	char want[PATH_MAX + 128];

	/* Half of TLS. */
	assert_int_equal(set(fx, "server", "tls_cert", cert, "--tls-cert"), LK_OK);
	assert_int_equal(finish(fx), LK_ECONFIG);
	assert_string_equal(fx->err, "[server] tls_cert and tls_key must be given together");
	/* Both, but the key cannot be read. */
	snprintf(want, sizeof(want), "%s/absent.pem", fx->dir);
	assert_int_equal(set(fx, "server", "tls_key", want, "--tls-key"), LK_OK);
	assert_int_equal(finish(fx), LK_ECONFIG);
	snprintf(want, sizeof(want),
		 "[server] tls_key: cannot read %s/absent.pem: No such file or directory", fx->dir);
	assert_string_equal(fx->err, want);
	assert_int_equal(set(fx, "server", "tls_key", fx->dir, "--tls-key"), LK_OK);
	assert_int_equal(finish(fx), LK_ECONFIG);
	snprintf(want, sizeof(want), "[server] tls_key: %s is not a regular file", fx->dir);
	assert_string_equal(fx->err, want);

	/* Plain HTTP on a public address. */
	lk_config_release(c);
	assert_int_equal(lk_config_init(c), LK_OK);
	assert_int_equal(set(fx, "server", "listen", "0.0.0.0:8080", "--listen"), LK_OK);
	assert_int_equal(finish(fx), LK_ECONFIG);
	assert_string_equal(fx->err, "plain HTTP is allowed only on a loopback address; give "
				     "--tls-cert and --tls-key, or --behind-proxy");
	assert_string_equal(c->issuer, "");
	assert_int_equal(c->workers, 0);
	assert_int_equal(set(fx, "server", "behind_proxy", "true", "--behind-proxy"), LK_OK);
	assert_int_equal(finish(fx), LK_OK);
	/* Behind a proxy the derived issuer is still http; configure it to say otherwise. */
	assert_string_equal(c->issuer, "http://0.0.0.0:8080");

	lk_config_release(c);
	assert_int_equal(lk_config_init(c), LK_OK);
	assert_int_equal(set(fx, "server", "listen", "[::1]:8080", "--listen"), LK_OK);
	assert_int_equal(finish(fx), LK_OK);
	assert_string_equal(c->issuer, "http://[::1]:8080");
}

static void test_finish_algs(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;

	assert_int_equal(set(fx, "tokens", "access_alg", "PS256", "--a"), LK_OK);
	assert_int_equal(finish(fx), LK_ECONFIG);
	assert_string_equal(
		fx->err, "[tokens] access_alg: PS256 is not in [keys] signing_algs (ES256 RS256)");
	assert_int_equal(set(fx, "keys", "signing_algs", "ps256 es256", "--s"), LK_OK);
	assert_string_equal(c->signing_algs, "PS256 ES256");
	assert_int_equal(finish(fx), LK_ECONFIG);
	assert_string_equal(
		fx->err,
		"[tokens] id_token_alg: RS256 is not in [keys] signing_algs (PS256 ES256)");
	assert_int_equal(set(fx, "tokens", "id_token_alg", "ES256", "--i"), LK_OK);
	assert_int_equal(finish(fx), LK_OK);
}

static const char *const full_conf = "[server]\n"
				     "listen = 127.0.0.1:9000\n"
				     "workers = 2\n"
				     "behind_proxy = true\n"
				     "[database]\n"
				     "url = postgres://lk:hunter2@db.example:5432/lk?"
				     "sslmode=require&password=other\n"
				     "[tokens]\n"
				     "access_lifetime = 15\n"
				     "[upstream.google]\n"
				     "issuer = https://accounts.google.com\n"
				     "client_id = abc\n"
				     "client_secret = s3cret-value\n";

static void test_dump_ini(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg, back;
	struct lk_buf out;
	const char *s, *path;

	assert_int_equal(load(fx, full_conf), LK_OK);
	assert_int_equal(finish(fx), LK_OK);
	lk_buf_init(&out, DUMP_MAX);
	assert_int_equal(lk_config_dump(c, false, &out), LK_OK);
	s = lk_buf_str(&out);
	assert_non_null(strstr(s, "\n[server]\n# "));
	assert_non_null(strstr(s, "\nlisten = 127.0.0.1:9000\n"));
	assert_non_null(strstr(s, "\nworkers = 2\n"));
	assert_non_null(strstr(s, "\nbehind_proxy = true\n"));
	assert_non_null(strstr(s, "\nurl = postgres://lk:********@db.example:5432/lk?"
				  "sslmode=require&password=********\n"));
	assert_non_null(strstr(s, "\n[upstream.google]\n"));
	assert_non_null(strstr(s, "\nclient_secret = ********\n"));
	assert_null(strstr(s, "hunter2"));
	assert_null(strstr(s, "s3cret"));
	assert_null(strstr(s, "other"));
	/* Sections in table order. */
	assert_true(strstr(s, "[server]") < strstr(s, "[database]"));
	assert_true(strstr(s, "[database]") < strstr(s, "[tokens]"));
	assert_true(strstr(s, "[log]") < strstr(s, "[upstream.google]"));

	/* The dump reads back as the same configuration (secrets aside). */
	path = make(fx, "dump.conf", s, out.len);
	assert_int_equal(lk_config_init(&back), LK_OK);
	assert_int_equal(lk_config_load_file(&back, path, true, fx->err, sizeof(fx->err)), LK_OK);
	assert_string_equal(back.listen, c->listen);
	assert_string_equal(back.issuer, c->issuer);
	assert_int_equal(back.workers, 2);
	assert_int_equal(back.access_lifetime, 15);
	assert_true(back.behind_proxy);
	assert_int_equal(back.nupstreams, 1);
	assert_string_equal(back.upstreams[0].client_secret, "********");
	lk_config_release(&back);
	lk_buf_release(&out);
}

static void test_dump_json(void **state)
{
	struct fx *fx = *state;
	struct lk_config *c = &fx->cfg;
	struct lk_buf out;
	json_error_t jerr;
	json_t *root, *v;

	assert_int_equal(load(fx, full_conf), LK_OK);
	assert_int_equal(set(fx, "upstream.plain", "issuer", "https://p.example", "--p"), LK_OK);
	lk_buf_init(&out, DUMP_MAX);
	assert_int_equal(lk_config_dump(c, true, &out), LK_OK);
	root = json_loads(lk_buf_str(&out), 0, &jerr);
	assert_non_null(root);
	v = json_object_get(json_object_get(root, "server"), "listen");
	assert_string_equal(json_string_value(v), "127.0.0.1:9000");
	v = json_object_get(json_object_get(root, "server"), "workers");
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), 2);
	assert_true(json_is_true(json_object_get(json_object_get(root, "server"), "behind_proxy")));
	assert_true(json_is_false(json_object_get(json_object_get(root, "signup"), "enabled")));
	v = json_object_get(json_object_get(root, "tokens"), "access_lifetime");
	assert_int_equal(json_integer_value(v), 15);
	v = json_object_get(json_object_get(root, "database"), "url");
	assert_string_equal(json_string_value(v), "postgres://lk:********@db.example:5432/lk?"
						  "sslmode=require&password=********");
	v = json_object_get(json_object_get(root, "log"), "level");
	assert_string_equal(json_string_value(v), "info");
	v = json_object_get(json_object_get(root, "upstream"), "google");
	assert_string_equal(json_string_value(json_object_get(v, "client_secret")), "********");
	assert_string_equal(json_string_value(json_object_get(v, "issuer")),
			    "https://accounts.google.com");
	assert_true(json_is_false(json_object_get(v, "link_verified_email")));
	/* An unset secret shows as empty, not as masked. */
	v = json_object_get(json_object_get(root, "upstream"), "plain");
	assert_string_equal(json_string_value(json_object_get(v, "client_secret")), "");
	assert_int_equal(json_object_size(root), 12);
	json_decref(root);

	/* The output buffer is appended to, and left as it was when it is too small. */
	lk_buf_release(&out);
	lk_buf_init(&out, 64);
	assert_int_equal(lk_buf_addstr(&out, "x"), LK_OK);
	assert_int_equal(lk_config_dump(c, true, &out), LK_ETOOBIG);
	assert_string_equal(lk_buf_str(&out), "x");
	lk_buf_release(&out);
}

/* A database URL shows everything but its passwords. */
static void test_dump_masks_urls(void **state)
{
	static const char *const cases[][2] = {
		{"postgres://db.example/lk", "postgres://db.example/lk"},
		{"postgresql://user@db/lk", "postgresql://user@db/lk"},
		{"postgres://user:pw@db/lk", "postgres://user:********@db/lk"},
		{"postgres://user:p%40ss@db", "postgres://user:********@db"},
		{"postgres:///lk?host=/run/pg&password=x&user=u",
		 "postgres:///lk?host=/run/pg&password=********&user=u"},
		{"postgres://db/lk?sslpassword=k", "postgres://db/lk?sslpassword=********"},
		{"postgres://db/lk?mypassword=k", "postgres://db/lk?mypassword=k"},
		{"sqlite:/var/lib/lk.db", "sqlite:/var/lib/lk.db"},
	};
	struct fx *fx = *state;
	struct lk_buf out;
	json_t *root;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(set(fx, "database", "url", cases[i][0], "--db"), LK_OK);
		lk_buf_init(&out, DUMP_MAX);
		assert_int_equal(lk_config_dump(&fx->cfg, true, &out), LK_OK);
		root = json_loads(lk_buf_str(&out), 0, NULL);
		assert_non_null(root);
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(root, "database"), "url")),
				    cases[i][1]);
		json_decref(root);
		lk_buf_release(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_literal_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstreams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upstream_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_issuer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_algs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_ini, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_masks_urls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
