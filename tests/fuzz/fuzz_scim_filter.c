/*
 * Fuzz target: the SCIM filter and PATCH path parsers. The input is parsed as
 * a filter, which when valid is evaluated against a fixed sample user, and as
 * a path, whose value filter when present is evaluated against each of the
 * user's e-mail addresses. Everything is freed each run, so leaks show.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "scim/filter.h"
#include "scim/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const SAMPLE_USER =
	"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
	" \"id\": \"2819c223\", \"externalId\": \"AbC\", \"userName\": \"alice@contoso.com\","
	" \"displayName\": \"Alice\", \"nickName\": \"\", \"title\": null, \"active\": true,"
	" \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Smith\"},"
	" \"emails\": [{\"value\": \"alice@contoso.com\", \"type\": \"work\", \"primary\": true},"
	"              {\"value\": \"a@home.example\", \"type\": \"home\"}, 7, null, []],"
	" \"roles\": [\"admin\", [\"nested\"], {\"value\": 3}], \"phoneNumbers\": [],"
	" \"loginCount\": 42, \"rating\": 4.5,"
	" \"members\": [{\"value\": \"42\", \"$ref\": \"../Users/42\"}],"
	" \"meta\": {\"created\": \"2024-01-15T10:00:00Z\"},"
	" \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
	"  {\"employeeNumber\": \"701984\", \"manager\": {\"value\": \"26118915\"}}}";

/* Parsed once and kept for the life of the process. */
static json_t *sample(void)
{
	static json_t *user;

	if (!user)
		user = json_loads(SAMPLE_USER, 0, NULL);
	if (!user)
		__builtin_trap();
	return user;
}

static void try_filter(const char *text, size_t size)
{
	struct lk_scim_filter *f = NULL;
	char err[LK_SCIM_ERR_MAX] = "";
	enum lk_err rc = lk_scim_filter_parse(text, size, &f, err, sizeof(err));

	if (rc != LK_OK) {
		/* A failure explains itself and leaves the out-parameter alone. */
		if (f || !err[0])
			__builtin_trap();
		return;
	}
	if (!f)
		__builtin_trap();
	(void)lk_scim_filter_match(f, sample());
	(void)lk_scim_filter_match(f, lk_scim_member(sample(), "name"));
	lk_scim_filter_free(f);
}

static void try_path(const char *text, size_t size)
{
	struct lk_scim_path p;
	char err[LK_SCIM_ERR_MAX] = "";
	json_t *e;
	size_t i;

	memset(&p, 0, sizeof(p));
	if (lk_scim_path_parse(text, size, &p, err, sizeof(err)) != LK_OK) {
		if (p.value_filter || p.attr[0] || !err[0])
			__builtin_trap();
		return;
	}
	if (!p.attr[0] || strlen(p.attr) >= sizeof(p.attr) || strlen(p.uri) >= sizeof(p.uri))
		__builtin_trap();
	json_array_foreach(lk_scim_member(sample(), p.attr), i, e)(void)
		lk_scim_filter_match(p.value_filter, e);
	(void)lk_scim_scope(sample(), p.uri);
	lk_scim_path_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, not terminated, so a read past the length is caught. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	try_filter(text, size);
	try_path(text, size);
	free(text);
	return 0;
}
