/*
 * Shared libraries loaded when first needed (libpq, libcurl), so that a
 * server that never uses them never maps them.
 */
#ifndef LK_CORE_DL_H
#define LK_CORE_DL_H

#include <stddef.h>

#include "core/err.h"

/*
 * Opens soname and stores the address of each of the n functions names[i]
 * at *slots[i]. The library stays loaded for the life of the process.
 * LK_ENOTFOUND, logged with the loader's reason, when the library or any
 * function is missing; the slots are then unspecified.
 */
enum lk_err lk_dl_resolve(const char *soname, const char *const names[], void **const slots[],
			  size_t n);

#endif
