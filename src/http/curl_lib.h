/*
 * libcurl, loaded when latchkey first makes an outbound request rather
 * than at start: a server without upstream providers then never maps
 * libcurl and its dependencies (SSH, RTMP, HTTP/2, IDN, compression), a
 * good part of a megabyte of resident memory (DESIGN §7's idle-memory
 * budget). outbound.c includes this header instead of <curl/curl.h>; each
 * function it calls is a pointer here, filled by lk_curl_load, and the
 * names below point the calls at them.
 */
#ifndef LK_HTTP_CURL_LIB_H
#define LK_HTTP_CURL_LIB_H

/* Plain prototypes for curl_easy_setopt and _getinfo, not the checking macros. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "core/err.h"

/* The shared object of Debian's libcurl4 package (OpenSSL flavour). */
#define LK_CURL_SONAME "libcurl.so.4"

#define LK_CURL_FUNCS(X)                                                                           \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_init)                                                                          \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_strerror)                                                                      \
	X(curl_free)                                                                               \
	X(curl_global_cleanup)                                                                     \
	X(curl_global_init)                                                                        \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)                                                                     \
	X(curl_url)                                                                                \
	X(curl_url_cleanup)                                                                        \
	X(curl_url_get)                                                                            \
	X(curl_url_set)

struct lk_curl_lib {
#define LK_CURL_POINTER(f) __typeof__(f) *f;
	LK_CURL_FUNCS(LK_CURL_POINTER)
#undef LK_CURL_POINTER
};

/* Filled by lk_curl_load; read only after it succeeded. */
extern struct lk_curl_lib lk_curl;

/*
 * Loads libcurl once per process (later calls return the first result).
 * LK_ENOTFOUND, logged with the loader's reason, when it or one of its
 * functions is missing.
 */
enum lk_err lk_curl_load(void);

#ifndef LK_CURL_LIB_IMPL
/* curl.h wraps these two in argument-count macros; the pointers replace them. */
#undef curl_easy_getinfo
#undef curl_easy_setopt
#define curl_easy_cleanup (lk_curl.curl_easy_cleanup)
#define curl_easy_getinfo (lk_curl.curl_easy_getinfo)
#define curl_easy_init (lk_curl.curl_easy_init)
#define curl_easy_perform (lk_curl.curl_easy_perform)
#define curl_easy_setopt (lk_curl.curl_easy_setopt)
#define curl_easy_strerror (lk_curl.curl_easy_strerror)
#define curl_free (lk_curl.curl_free)
#define curl_global_cleanup (lk_curl.curl_global_cleanup)
#define curl_global_init (lk_curl.curl_global_init)
#define curl_slist_append (lk_curl.curl_slist_append)
#define curl_slist_free_all (lk_curl.curl_slist_free_all)
#define curl_url (lk_curl.curl_url)
#define curl_url_cleanup (lk_curl.curl_url_cleanup)
#define curl_url_get (lk_curl.curl_url_get)
#define curl_url_set (lk_curl.curl_url_set)
#endif

#endif
