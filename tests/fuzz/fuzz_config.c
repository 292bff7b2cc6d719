/*
 * Fuzz target for the configuration loaders. The input is read as a
 * configuration file; when it loads, its INI dump must load again (the dump
 * is meant to be a valid file), and the checks and the JSON dump must not
 * misbehave. The same input is also read as environment entries, one per
 * line, to exercise the LATCHKEY_<SECTION>_<KEY> matching.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"

#define DUMP_MAX (4 * 1024 * 1024)
#define ENV_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void as_file(const char *text, size_t size)
{
	struct lk_config cfg, back;
	struct lk_buf ini, json;
	char err[1024];

	if (lk_config_init(&cfg))
		return;
	lk_buf_init(&ini, DUMP_MAX);
	lk_buf_init(&json, DUMP_MAX);
	if (lk_config_load_buffer(&cfg, text, size, "fuzz/latchkey.conf", err, sizeof(err)))
		goto out;
	if (lk_config_dump(&cfg, false, &ini) || lk_config_dump(&cfg, true, &json))
		abort();
	/* Read back from a file without a directory, so paths are taken as they are. */
	if (lk_config_init(&back))
		goto out;
	if (lk_config_load_buffer(&back, lk_buf_str(&ini), ini.len, "latchkey.conf", err,
				  sizeof(err)))
		abort();
	if (strcmp(back.listen, cfg.listen) != 0 || back.nupstreams != cfg.nupstreams)
		abort();
	lk_config_release(&back);
	(void)lk_config_finish(&cfg, err, sizeof(err));
out:
	lk_buf_release(&ini);
	lk_buf_release(&json);
	lk_config_release(&cfg);
}

static void as_env(const char *text, size_t size)
{
	char *copy = malloc(size + 1), *env[ENV_MAX + 1], *p;
	struct lk_config cfg;
	char err[1024];
	size_t n = 0;

	if (!copy)
		return;
	memcpy(copy, text, size);
	copy[size] = '\0';
	for (p = copy; n < ENV_MAX && p < copy + size; p += strlen(p) + 1) {
		env[n++] = p;
		p[strcspn(p, "\n")] = '\0';
	}
	env[n] = NULL;
	if (lk_config_init(&cfg) == LK_OK) {
		(void)lk_config_load_env(&cfg, env, err, sizeof(err));
		lk_config_release(&cfg);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_file((const char *)data, size);
	as_env((const char *)data, size);
	return 0;
}
