/*
 * Fuzz target: RFC 7591 client registration documents. The input is parsed
 * as a registration (POST) and as a replacement (RFC 7592 PUT) document by
 * src/oauth/registration_metadata.c, then registered for real on an
 * in-memory database. What must hold for every input: a refusal is
 * invalid_client_metadata or invalid_redirect_uri with a description and
 * leaves the out-parameter alone; an accepted document names the
 * application and its grant; a registered application has only redirect
 * URIs that the document asked for and that pass the redirect-URI rules of
 * its strategy, and can be deleted again with the registration access token
 * it was given. Everything is freed each run, so leaks show.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/log.h"
#include "oauth/params.h"
#include "oauth/redirect_uri.h"
#include "oauth/registration.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Each registration writes audit entries: a fresh database after this many
 * runs keeps memory flat over a long run.
 */
#define RUNS_PER_STORE 5000

static struct lk_config cfg;
static struct lk_dcr dcr;
static long runs;

static void require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void open_store(void)
{
	lk_store_close(dcr.store);
	dcr.store = NULL;
	require(lk_store_open("sqlite::memory:", &dcr.store) == LK_OK &&
		lk_store_migrate(dcr.store, NULL, NULL) == LK_OK);
}

static void setup(void)
{
	/* Every accepted input is audited and logged: errors only, or the log is the run. */
	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	require(lk_config_init(&cfg) == LK_OK);
	free(cfg.issuer);
	cfg.issuer = strdup("https://as.example");
	require(cfg.issuer != NULL);
	dcr.cfg = &cfg;
	dcr.now = 1800000000;
	open_store();
}

/* RFC 7591 §3.2.2: the two error codes of a refused document. */
static void check_refusal(enum lk_err err, const struct lk_oauth_error *e)
{
	require(err == LK_EINVAL);
	require(e->code == LK_OAUTH_INVALID_CLIENT_METADATA ||
		e->code == LK_OAUTH_INVALID_REDIRECT_URI);
	require(e->description[0] != '\0');
}

static void try_parse(const char *body, size_t size, bool replace)
{
	struct lk_oauth_error e = {0};
	struct lk_dcr_metadata m, untouched;
	enum lk_err err;

	memset(&m, 0xa5, sizeof(m));
	memcpy(&untouched, &m, sizeof(m));
	err = lk_dcr_metadata_parse(&cfg, body, size, replace, &m, &e);
	if (err) {
		check_refusal(err, &e);
		require(memcmp(&m, &untouched, sizeof(m)) == 0);
		return;
	}
	require(m.doc && m.in.name && m.in.grant && m.in.client_type);
	require(m.in.nredirect_uris <= LK_REGISTRY_MAX_LIST &&
		m.in.npost_logout_uris <= LK_REGISTRY_MAX_LIST && m.in.nscopes <= 1);
	for (size_t i = 0; i < m.in.nredirect_uris; i++)
		require(m.in.redirect_uris[i] != NULL);
	/* Only an administrator binds a user or vouches for an application. */
	require(!m.in.user && m.in.first_party != 1 && !m.in.cert);
	lk_dcr_metadata_release(&m);
}

/* Whether the document's redirect_uris list holds uri (the n bytes at uri). */
static bool asked_for(const json_t *doc, const char *uri, size_t n)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(doc, LK_CM_REDIRECT_URIS), i, v)
	{
		if (json_string_length(v) == n && memcmp(json_string_value(v), uri, n) == 0)
			return true;
	}
	return false;
}

/* Every registered redirect URI was asked for and passes the rules. */
static void check_redirect_uris(const struct lk_app *a, const json_t *doc)
{
	char why[256], uri[4096];

	for (const char *p = a->redirect_uris; *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (!n)
			break;
		require(n < sizeof(uri) && asked_for(doc, p, n));
		memcpy(uri, p, n);
		uri[n] = '\0';
		require(lk_redirect_uri_check(uri, a->strategy, why, sizeof(why)));
		p += n;
	}
}

static void try_register(const char *body, size_t size)
{
	struct lk_oauth_error e = {0};
	struct lk_app a = {0};
	json_t *out = NULL, *doc = NULL;
	const char *client_id, *token;
	enum lk_err err;

	err = lk_dcr_register(&dcr, "fuzz", "openid profile email", body, size, (void **)&out, &e);
	if (err) {
		check_refusal(err, &e);
		require(out == NULL);
		return;
	}
	client_id = json_string_value(json_object_get(out, LK_CM_CLIENT_ID));
	token = json_string_value(json_object_get(out, LK_CM_REGISTRATION_ACCESS_TOKEN));
	require(client_id && token);
	require(lk_store_app_get(dcr.store, client_id, &a) == LK_OK);
	doc = json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL);
	require(doc != NULL);
	check_redirect_uris(&a, doc);
	/* RFC 7592 §2.3: the registration access token removes the client. */
	require(lk_dcr_delete(&dcr, client_id, token, &e) == LK_OK);
	lk_app_release(&a);
	require(lk_store_app_get(dcr.store, client_id, &a) == LK_ENOTFOUND);
	json_decref(doc);
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, not terminated, so a read past the length is caught. */
	char *body = malloc(size ? size : 1);

	if (!body)
		return 0;
	memcpy(body, data, size);
	if (!dcr.store)
		setup();
	if (++runs % RUNS_PER_STORE == 0)
		open_store();
	try_parse(body, size, false);
	try_parse(body, size, true);
	try_register(body, size);
	free(body);
	return 0;
}
