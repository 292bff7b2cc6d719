/*
 * Fuzz target: SCIM PATCH bodies (RFC 7644 §3.5.2), at two levels. First the
 * applier of src/scim/patch.c on a copy of a fixed user resource, as the
 * Users endpoint calls it: the patch document is never changed, a refusal is
 * a SCIM error with a status and a detail, an accepted patch leaves the
 * read-only attributes (id, meta, groups) as they were, and the result
 * serialises to JSON that reads back the same. Then the whole PATCH of a
 * stored user on an in-memory database: a refused patch leaves the stored
 * user as it was, an accepted one answers what is then stored, and a PUT of
 * the original resource restores it for the next input. Everything is freed
 * each run, so leaks show.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/log.h"
#include "scim/scim_int.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The attributes the Users endpoint passes as read-only (src/scim/users.c). */
static const char *const READONLY[] = {"id", "meta", "groups", NULL};

static const char *const SAMPLE_USER =
	"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"id\": \"7\","
	" \"externalId\": \"e-7\", \"userName\": \"alice\","
	" \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Smith\"},"
	" \"displayName\": \"Alice S\", \"active\": true,"
	" \"emails\": [{\"value\": \"alice@example.com\", \"type\": \"work\", \"primary\": true},"
	"              {\"value\": \"a@home.example\", \"type\": \"home\"}],"
	" \"phoneNumbers\": [],"
	" \"groups\": [{\"value\": \"3\", \"display\": \"staff\"}],"
	" \"meta\": {\"resourceType\": \"User\", \"location\": "
	"\"https://id.example/scim/v2/Users/7\"},"
	" \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\": {\"employeeNumber\": "
	"\"42\"}}";

/* The stored user: what it is created from. */
static const char *const STORED_USER =
	"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
	" \"userName\": \"alice\", \"externalId\": \"e-7\","
	" \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Smith\"},"
	" \"displayName\": \"Alice S\", \"active\": true,"
	" \"emails\": [{\"value\": \"alice@example.com\", \"type\": \"work\", \"primary\": true}]}";

/*
 * Each accepted patch of the stored user adds audit entries: a fresh
 * database after this many runs keeps memory flat over a long run.
 */
#define RUNS_PER_STORE 5000

static struct lk_config cfg;
static struct lk_store *store;
static struct lk_scim_env env;
static json_t *sample, *original;
static char user_id[24];
static long runs;

static void require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* A fresh database holding the one user every run patches. */
static void open_store(void)
{
	struct lk_scim_error e;
	json_t *out = NULL;

	lk_store_close(store);
	store = NULL;
	require(lk_store_open("sqlite::memory:", &store) == LK_OK &&
		lk_store_migrate(store, NULL, NULL) == LK_OK);
	env.store = store;
	require(lk_scim_user_create(&env, NULL, STORED_USER, strlen(STORED_USER), &out, &e) ==
		LK_OK);
	snprintf(user_id, sizeof(user_id), "%s", json_string_value(json_object_get(out, "id")));
	json_decref(out);
	json_decref(original);
	original = NULL;
	require(user_id[0] && lk_scim_user_get(&env, user_id, NULL, &original, &e) == LK_OK);
}

static void setup(void)
{
	/* Every accepted input is audited and logged: errors only, or the log is the run. */
	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	require(lk_config_init(&cfg) == LK_OK);
	/* Patches may set a password: the cheapest hash keeps runs fast. */
	cfg.password_memory_kib = 8;
	cfg.password_iterations = 1;
	env.cfg = &cfg;
	env.base = "https://id.example/scim/v2";
	env.actor = "scim:fuzz";
	env.now = 1800000000;
	sample = json_loads(SAMPLE_USER, 0, NULL);
	require(sample != NULL);
	open_store();
}

/* A SCIM error as RFC 7644 §3.12 needs it: a status, and a detail for people. */
static void check_error(const struct lk_scim_error *e)
{
	require(e->status >= 400 && e->status <= 599 && e->detail[0]);
	require(e->status != 400 || e->type != NULL);
}

/* The JSON text of v must read back as v. */
static void check_serialises(const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	json_t *back;

	require(text != NULL);
	back = json_loads(text, 0, NULL);
	require(back && json_equal(back, v));
	json_decref(back);
	free(text);
}

static void check_readonly(const json_t *before, const json_t *after)
{
	for (const char *const *n = READONLY; *n; n++)
		require(json_equal(json_object_get(before, *n), json_object_get(after, *n)) ||
			(!json_object_get(before, *n) && !json_object_get(after, *n)));
}

/* The applier alone, on a copy of the sample resource. */
static void try_apply(const json_t *patch)
{
	struct lk_scim_error e = {0};
	json_t *res = json_deep_copy(sample), *copy = json_deep_copy(patch);
	enum lk_err err;

	if (!res || !copy)
		goto out;
	err = lk_scim_patch_apply(res, patch, READONLY, &e);
	/* The patch is const: applying it never changes it. */
	require(json_equal(copy, patch));
	if (err) {
		require(err == LK_EINVAL || err == LK_EINTERNAL);
		check_error(&e);
		goto out;
	}
	require(json_is_object(res));
	check_readonly(sample, res);
	check_serialises(res);
out:
	json_decref(res);
	json_decref(copy);
}

/* The whole PATCH of the stored user. */
static void try_user_patch(const char *body, size_t size)
{
	struct lk_scim_error e = {0};
	json_t *out = NULL, *now = NULL, *put = NULL;
	char *text;
	enum lk_err err = lk_scim_user_patch(&env, user_id, NULL, body, size, &out, &e);

	require(lk_scim_user_get(&env, user_id, NULL, &now, &e) == LK_OK);
	if (err) {
		/* Refused: the out-parameter untouched, nothing stored. */
		require(out == NULL);
		check_error(&e);
		require(json_equal(now, original));
		goto out;
	}
	require(out != NULL && json_equal(out, now));
	check_readonly(original, now);
	check_serialises(now);
	if (json_equal(now, original))
		goto out;
	/* Put the user back as it was for the next input. */
	text = json_dumps(original, JSON_COMPACT);
	require(text != NULL);
	err = lk_scim_user_replace(&env, user_id, NULL, text, strlen(text), &put, &e);
	free(text);
	json_decref(now);
	now = NULL;
	require(err == LK_OK && lk_scim_user_get(&env, user_id, NULL, &now, &e) == LK_OK);
	require(json_equal(now, original));
out:
	json_decref(out);
	json_decref(now);
	json_decref(put);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_scim_error e = {0};
	json_t *patch = NULL;
	/* An exact-size copy, not terminated, so a read past the length is caught. */
	char *body = malloc(size ? size : 1);

	if (!body)
		return 0;
	memcpy(body, data, size);
	if (!sample)
		setup();
	if (++runs % RUNS_PER_STORE == 0)
		open_store();
	if (lk_scim_body(body, size, &patch, &e) == LK_OK)
		try_apply(patch);
	try_user_patch(body, size);
	json_decref(patch);
	free(body);
	return 0;
}
