/* Loading libcurl on first use (http/curl_lib.h). */
#define LK_CURL_LIB_IMPL
#include "http/curl_lib.h"

#include <pthread.h>

#include "core/dl.h"

struct lk_curl_lib lk_curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static enum lk_err result = LK_ENOTFOUND;

static void load(void)
{
	struct lk_curl_lib lib;
#define LK_CURL_NAME(f) #f,
#define LK_CURL_SLOT(f) (void **)&lib.f,
	static const char *const names[] = {LK_CURL_FUNCS(LK_CURL_NAME)};
	void **const slots[] = {LK_CURL_FUNCS(LK_CURL_SLOT)};
#undef LK_CURL_NAME
#undef LK_CURL_SLOT

	result = lk_dl_resolve(LK_CURL_SONAME, names, slots, sizeof(names) / sizeof(names[0]));
	if (result == LK_OK)
		lk_curl = lib;
}

enum lk_err lk_curl_load(void)
{
	pthread_once(&once, load);
	return result;
}
