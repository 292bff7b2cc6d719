/*
 * Levelled logging to stderr, one line per event, as text or JSON. Each thread
 * may set the id of the request it is serving; every line it writes then
 * carries that id. Callers never pass secrets, tokens, codes or keys.
 */
#ifndef LK_CORE_LOG_H
#define LK_CORE_LOG_H

#include <stdbool.h>

#include "core/err.h"

enum lk_log_level { LK_LOG_DEBUG, LK_LOG_INFO, LK_LOG_WARN, LK_LOG_ERROR };

enum lk_log_format { LK_LOG_TEXT, LK_LOG_JSON };

/* Sets the threshold and the format; call once at start-up. */
void lk_log_setup(enum lk_log_level level, enum lk_log_format format);

/* Parses "debug", "info", "warn", "error"; LK_EINVAL otherwise. */
enum lk_err lk_log_level_parse(const char *s, enum lk_log_level *out);
const char *lk_log_level_name(enum lk_log_level level);

/* Parses "text" or "json"; LK_EINVAL otherwise. */
enum lk_err lk_log_format_parse(const char *s, enum lk_log_format *out);

/* True when a message at this level would be written. */
bool lk_log_enabled(enum lk_log_level level);

/*
 * The request id for lines logged by this thread; NULL clears it. The string
 * must stay valid until it is cleared.
 */
void lk_log_set_request_id(const char *id);

/*
 * Writes one line. Extra fields may follow the message as "key=value" pairs in
 * text, or as JSON members; use lk_log_kv for those.
 */
void lk_log(enum lk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Writes one access-log style line with structured fields: keys[i] = vals[i]
 * for i < n, after the message.
 */
void lk_log_kv(enum lk_log_level level, const char *msg, const char *const *keys,
	       const char *const *vals, int n);

#define lk_debug(...) lk_log(LK_LOG_DEBUG, __VA_ARGS__)
#define lk_info(...) lk_log(LK_LOG_INFO, __VA_ARGS__)
#define lk_warn(...) lk_log(LK_LOG_WARN, __VA_ARGS__)
#define lk_error(...) lk_log(LK_LOG_ERROR, __VA_ARGS__)

#endif
