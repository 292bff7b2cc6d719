#include "core/dl.h"

#include <dlfcn.h>

#include "core/log.h"

enum lk_err lk_dl_resolve(const char *soname, const char *const names[], void **const slots[],
			  size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		lk_error("cannot load %s: %s", soname, dlerror());
		return LK_ENOTFOUND;
	}
	for (size_t i = 0; i < n; i++) {
		*slots[i] = dlsym(h, names[i]);
		if (!*slots[i]) {
			lk_error("%s has no function %s", soname, names[i]);
			return LK_ENOTFOUND;
		}
	}
	return LK_OK;
}
