/*
 * latchkey serve: prepare the database and keys, start the HTTP workers, keep
 * caches in step with the database, stop cleanly on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/commands.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"
#include "endpoints/context.h"
#include "ui/ui.h"
#include "endpoints/endpoints.h"
#include "http/http.h"
#include "oauth/registry.h"
#include "oauth/signing_keys.h"

static const char serve_help[] =
	"usage: latchkey serve [--listen ADDR:PORT] [--issuer URL]\n"
	"                      [--tls-cert FILE --tls-key FILE] [--behind-proxy]\n"
	"                      [--workers N]\n"
	"\n"
	"Runs the authorization server. The default listen address is\n"
	"127.0.0.1:8080 and the default issuer http(s)://LISTEN. Plain HTTP is\n"
	"allowed only on a loopback address or with --behind-proxy (a TLS-ending\n"
	"proxy in front). On an empty database, serve creates the schema and the\n"
	"signing keys.\n";

/* How often running servers look for changes made by the CLI or by peers. */
#define REFRESH_MS 1000

struct refresher {
	struct lk_ctx *ctx;
	struct lk_config *cfg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	int64_t seq;	     /* the change counter the caches reflect */
	int64_t next_change; /* when a key changes state by itself */
	int64_t last_housekeeping;
	bool janitor_behind; /* the last pass left expired rows for the next */
};

/*
 * The longest one housekeeping pass spends deleting, in milliseconds: the
 * batches are short statements, and this bounds how long they follow one
 * another, so that the database is never held for long.
 */
#define JANITOR_BUDGET_MS 200

/* Rebuilds the keyring from the database. */
static void reload_keys(struct refresher *r, struct lk_store *s, int64_t now)
{
	struct lk_keyring *kr = NULL;
	enum lk_err err = lk_signing_keys_load(s, &r->ctx->mk, now, &kr);

	if (err) {
		lk_error("cannot reload the signing keys: %s", lk_err_str(err));
		return;
	}
	r->next_change = lk_keyring_next_change(kr);
	lk_ctx_set_keyring(r->ctx, kr);
	lk_debug("signing keys reloaded");
}

/* Rebuilds the application snapshot from the database. */
static void reload_clients(struct refresher *r, struct lk_store *s, int64_t now)
{
	struct lk_clients *c = NULL;
	enum lk_err err = lk_clients_load(s, now, &c);

	if (err) {
		lk_error("cannot reload the applications: %s", lk_err_str(err));
		return;
	}
	lk_ctx_set_clients(r->ctx, c);
	lk_debug("applications reloaded (%zu)", lk_clients_count(c));
}

/*
 * Deletes expired tokens, codes, sessions and sign-in records, and audit
 * entries older than [audit] retention_days, LK_STORE_JANITOR_BATCH rows of
 * each table at a time, again while a call deleted a full batch, until the
 * time budget is spent. A backlog left over is taken up at the next tick
 * rather than a whole interval later, so it drains over a few passes.
 */
static void janitor(struct refresher *r, struct lk_store *s, int64_t now)
{
	int64_t start = lk_monotonic_ms(), before = 0;
	int64_t total = 0;
	int rounds = 0;
	bool more = true;

	if (r->cfg->audit_retention_days > 0)
		before = now - (int64_t)r->cfg->audit_retention_days * 86400;
	while (more && lk_monotonic_ms() - start < JANITOR_BUDGET_MS) {
		int tokens = 0, signin = 0, audit = 0;

		if (lk_store_tokens_delete_expired(s, now, &tokens) != LK_OK ||
		    lk_store_signin_delete_expired(s, now, &signin) != LK_OK) {
			lk_warn("cannot delete expired tokens and sessions");
			more = false;
			break;
		}
		if (before > 0 && lk_store_audit_delete_before(s, before, LK_STORE_JANITOR_BATCH,
							       &audit) != LK_OK) {
			lk_warn("cannot delete old audit entries");
			more = false;
			break;
		}
		total += (int64_t)tokens + signin + audit;
		rounds++;
		more = tokens >= LK_STORE_JANITOR_BATCH || signin >= LK_STORE_JANITOR_BATCH ||
		       audit >= LK_STORE_JANITOR_BATCH;
	}
	r->janitor_behind = more;
	if (total)
		lk_debug("housekeeping deleted %lld row(s) in %d round(s)%s", (long long)total,
			 rounds, more ? "; more remain" : "");
}

/* One pass: notice changes, run automatic rotation and clean-up. */
static void refresh_once(struct refresher *r, struct lk_store *s)
{
	int64_t now = lk_now(), seq = 0;
	int rotated = 0, deleted = 0;

	lk_ctx_flush_audit(r->ctx, s);
	if (r->janitor_behind && now - r->last_housekeeping < r->cfg->janitor_interval)
		janitor(r, s, now);
	if (now - r->last_housekeeping >= r->cfg->janitor_interval) {
		r->last_housekeeping = now;
		if (lk_signing_keys_auto_rotate(s, &r->ctx->mk, r->cfg, now, &rotated) != LK_OK)
			lk_warn("automatic key rotation failed");
		if (rotated)
			lk_info("rotated %d signing key(s) ([keys] rotate_every)", rotated);
		if (lk_store_key_delete_expired(s, now, &deleted) == LK_OK && deleted)
			lk_info("deleted %d expired signing key(s)", deleted);
		/* Expired tokens, sessions, codes and sign-in records are only clutter. */
		janitor(r, s, now);
	}
	if (lk_store_change_seq(s, &seq) != LK_OK) {
		lk_warn("cannot read the change counter");
		return;
	}
	if (seq != r->seq) {
		r->seq = seq;
		reload_keys(r, s, now);
		reload_clients(r, s, now);
		/* scopes_supported follows `scope add` and `scope remove`. */
		if (lk_ctx_reload_discovery(r->ctx, s) != LK_OK)
			lk_warn("cannot rebuild the discovery document");
	} else if (r->next_change && now >= r->next_change) {
		reload_keys(r, s, now);
	}
}

static void *refresher_main(void *arg)
{
	struct refresher *r = arg;
	struct lk_store *s = NULL;
	struct timespec deadline;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		pthread_mutex_unlock(&r->lock);
		if (!s && lk_store_open(r->cfg->database_url, &s) != LK_OK)
			s = NULL;
		if (s)
			refresh_once(r, s);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += (long)REFRESH_MS * 1000000L;
		deadline.tv_sec += deadline.tv_nsec / 1000000000L;
		deadline.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&r->lock);
		if (!r->stop)
			pthread_cond_timedwait(&r->cond, &r->lock, &deadline);
	}
	pthread_mutex_unlock(&r->lock);
	lk_store_close(s);
	return NULL;
}

/* Reads a whole PEM file (at most 1 MiB) into a NUL-terminated string. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct lk_buf b;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	lk_buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (lk_buf_add(&b, chunk, n) != LK_OK) {
			lk_buf_wipe(&b);
			fclose(f);
			return NULL;
		}
	}
	lk_wipe(chunk, sizeof(chunk));
	fclose(f);
	if (!b.data)
		lk_buf_addstr(&b, "");
	return lk_buf_detach(&b, NULL);
}

static int parse_flags(struct lk_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"issuer", required_argument, NULL, 'i'},
		{"tls-cert", required_argument, NULL, 'c'},
		{"tls-key", required_argument, NULL, 'k'},
		{"behind-proxy", no_argument, NULL, 'p'},
		{"workers", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc = LK_EXIT_OK;

	optind = 0;
	while ((c = lk_cli_getopt(cli, argc, argv, opts, serve_help, &rc)) != -1) {
		if (c == LK_CLI_STOP)
			return rc == LK_EXIT_OK ? -1 : rc;
		switch (c) {
		case 'l':
			rc = lk_cli_set(cli, "server", "listen", optarg, "--listen");
			break;
		case 'i':
			rc = lk_cli_set(cli, "server", "issuer", optarg, "--issuer");
			break;
		case 'c':
			rc = lk_cli_set(cli, "server", "tls_cert", optarg, "--tls-cert");
			break;
		case 'k':
			rc = lk_cli_set(cli, "server", "tls_key", optarg, "--tls-key");
			break;
		case 'p':
			rc = lk_cli_set(cli, "server", "behind_proxy", "true", "--behind-proxy");
			break;
		default:
			rc = lk_cli_set(cli, "server", "workers", optarg, "--workers");
			break;
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return lk_cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	return lk_cli_finish(cli);
}

/*
 * DESIGN §6: on a database without an administrator, serve creates `admin`
 * with a generated password, shown once on standard output (not in the log).
 */
static int bootstrap_admin(struct lk_cli *cli, struct lk_store *s)
{
	struct lk_registry r = {.store = s, .cfg = &cli->cfg, .actor = "serve", .now = lk_now()};
	char password[LK_PASSWORD_GENERATED_LEN + 1] = "";
	bool created = false;

	if (lk_registry_admin_bootstrap(&r, password, &created) != LK_OK)
		return lk_cli_fail(cli, "cannot create the administrator: %s", r.err);
	if (created) {
		printf("Created the administrator %s\\admin with the password: %s\n"
		       "It is shown only this once; change it with 'latchkey user passwd admin'.\n",
		       cli->cfg.default_domain, password);
		fflush(stdout);
	}
	lk_wipe(password, sizeof(password));
	return LK_EXIT_OK;
}

/* Database, master key, signing keys: everything before the first request. */
static int prepare(struct lk_cli *cli, struct lk_ctx *ctx, struct refresher *r)
{
	struct lk_store *s = NULL;
	struct lk_master_key mk;
	struct lk_keyring *kr = NULL;
	struct lk_clients *clients = NULL;
	enum lk_err err;
	int created = 0, rc = LK_EXIT_INVALID;

	if (lk_cli_open_store(cli, &s))
		return LK_EXIT_INVALID;
	if (lk_cli_master_key(cli, true, &mk))
		goto out_store;
	err = lk_signing_keys_ensure(s, &mk, &cli->cfg, lk_now(), &created);
	if (!err)
		err = lk_store_change_seq(s, &r->seq);
	if (!err)
		err = lk_signing_keys_load(s, &mk, lk_now(), &kr);
	if (err == LK_EKEY) {
		lk_cli_fail(cli, "the master key does not open the signing keys in this database");
		goto out_key;
	}
	if (err) {
		lk_cli_fail(cli, "cannot prepare the signing keys: %s", lk_err_str(err));
		goto out_key;
	}
	if (created)
		lk_info("created %d signing key(s)", created);
	/*
	 * The administrator is made only once the master key has opened the
	 * keys: a refused start must not create an account and print a password
	 * that the next start would never show again.
	 */
	if (bootstrap_admin(cli, s)) {
		lk_keyring_unref(kr);
		goto out_key;
	}
	err = lk_ui_load_dir(cli->cfg.template_dir);
	if (err) {
		lk_keyring_unref(kr);
		lk_cli_fail(cli, "cannot load the templates of [ui] template_dir: %s",
			    lk_err_str(err));
		goto out_key;
	}
	err = lk_ctx_init(ctx, &cli->cfg, &mk);
	if (err) {
		lk_keyring_unref(kr);
		lk_cli_fail(cli, "cannot start: %s", lk_err_str(err));
		goto out_key;
	}
	r->next_change = lk_keyring_next_change(kr);
	lk_ctx_set_keyring(ctx, kr);
	err = lk_clients_load(s, lk_now(), &clients);
	if (err) {
		lk_ctx_release(ctx);
		lk_cli_fail(cli, "cannot load the applications: %s", lk_err_str(err));
		goto out_key;
	}
	lk_ctx_set_clients(ctx, clients);
	err = lk_ctx_reload_discovery(ctx, s);
	if (err) {
		lk_ctx_release(ctx);
		lk_cli_fail(cli, "cannot read the scope catalog: %s", lk_err_str(err));
		goto out_key;
	}
	rc = LK_EXIT_OK;
out_key:
	lk_master_key_wipe(&mk);
out_store:
	lk_store_close(s);
	return rc;
}

static int run(struct lk_cli *cli, struct lk_ctx *ctx, struct refresher *r)
{
	const struct lk_config *cfg = &cli->cfg;
	struct lk_http_options opt = {0};
	struct lk_http_server *srv = NULL;
	struct lk_store *s = NULL;
	char *cert = NULL, *key = NULL;
	sigset_t sigs;
	int sig = 0, rc = LK_EXIT_INVALID;

	if (*cfg->tls_cert) {
		cert = read_file(cfg->tls_cert);
		key = read_file(cfg->tls_key);
		if (!cert || !key) {
			lk_cli_fail(cli, "cannot read --tls-cert or --tls-key");
			goto out;
		}
	}
	opt.listen = cfg->listen;
	opt.workers = cfg->workers;
	opt.slow_threads = cfg->slow_threads;
	opt.tls_cert_pem = cert;
	opt.tls_key_pem = key;
	opt.behind_proxy = cfg->behind_proxy;
	opt.max_body = (size_t)cfg->max_body;
	opt.max_header = (size_t)cfg->max_header;
	opt.max_params = (size_t)cfg->max_params;
	opt.timeout_seconds = (unsigned)cfg->timeout;
	opt.max_conns_per_ip = (unsigned)cfg->max_conns_per_ip;
	opt.routes = lk_routes(&opt.nroutes);
	opt.not_found = lk_ep_not_found;
	opt.ctx = ctx;

	/*
	 * Block the stop signals before any thread starts, so every thread
	 * inherits the mask and only sigwait below receives them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (lk_http_server_start(&opt, &srv) != LK_OK) {
		lk_cli_fail(cli, "cannot listen on %s", cfg->listen);
		goto out;
	}
	r->ctx = ctx;
	r->cfg = &cli->cfg;
	if (pthread_create(&r->thread, NULL, refresher_main, r) != 0) {
		lk_http_server_stop(srv);
		lk_cli_fail(cli, "cannot start the refresher thread");
		goto out;
	}
	lk_info("latchkey listening on %s (issuer %s, %d workers)", cfg->listen, cfg->issuer,
		cfg->workers);
	while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	lk_info("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	lk_http_server_stop(srv);
	/* What the last requests queued for the audit log. */
	if (lk_store_open(cfg->database_url, &s) == LK_OK) {
		lk_ctx_flush_audit(ctx, s);
		lk_store_close(s);
	}
	lk_info("stopped");
	rc = LK_EXIT_OK;
out:
	lk_free_secret(key);
	free(cert);
	return rc;
}

int lk_cmd_serve(struct lk_cli *cli, int argc, char **argv)
{
	struct lk_ctx ctx;
	struct refresher r = {0};
	int rc;

	rc = parse_flags(cli, argc, argv);
	if (rc)
		return rc < 0 ? LK_EXIT_OK : rc;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	rc = prepare(cli, &ctx, &r);
	if (!rc) {
		rc = run(cli, &ctx, &r);
		lk_ctx_release(&ctx);
	}
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
	return rc;
}
