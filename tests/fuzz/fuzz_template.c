/*
 * Fuzz target: a page template, as an administrator's theme directory may
 * hold (src/ui). Parsing must refuse what is malformed without reading past
 * the input, and free everything it built.
 */
#include <stdint.h>

#include "ui/ui_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_ui_tpl *t = NULL;

	if (lk_ui_tpl_parse("fuzz", (const char *)data, size, &t) == LK_OK && !t)
		__builtin_trap();
	lk_ui_tpl_free(t);
	return 0;
}
