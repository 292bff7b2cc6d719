/* Loading libpq on first use (store/pq_lib.h). */
#define LK_PQ_LIB_IMPL
#include "store/pq_lib.h"

#include <pthread.h>

#include "core/dl.h"

struct lk_pq_lib lk_pq;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static enum lk_err result = LK_ENOTFOUND;

static void load(void)
{
	struct lk_pq_lib lib;
#define LK_PQ_NAME(f) #f,
#define LK_PQ_SLOT(f) (void **)&lib.f,
	static const char *const names[] = {LK_PQ_FUNCS(LK_PQ_NAME)};
	void **const slots[] = {LK_PQ_FUNCS(LK_PQ_SLOT)};
#undef LK_PQ_NAME
#undef LK_PQ_SLOT

	result = lk_dl_resolve(LK_PQ_SONAME, names, slots, sizeof(names) / sizeof(names[0]));
	if (result == LK_OK)
		lk_pq = lib;
}

enum lk_err lk_pq_load(void)
{
	pthread_once(&once, load);
	return result;
}
