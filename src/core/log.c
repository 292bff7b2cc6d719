#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static enum lk_log_level threshold = LK_LOG_INFO;
static enum lk_log_format format = LK_LOG_TEXT;
static _Thread_local const char *request_id;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void lk_log_setup(enum lk_log_level level, enum lk_log_format fmt)
{
	threshold = level;
	format = fmt;
}

enum lk_err lk_log_level_parse(const char *s, enum lk_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum lk_log_level)i;
			return LK_OK;
		}
	}
	return LK_EINVAL;
}

const char *lk_log_level_name(enum lk_log_level level)
{
	return (unsigned)level < 4 ? level_names[level] : "?";
}

enum lk_err lk_log_format_parse(const char *s, enum lk_log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LK_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LK_LOG_JSON;
	else
		return LK_EINVAL;
	return LK_OK;
}

bool lk_log_enabled(enum lk_log_level level)
{
	return level >= threshold;
}

void lk_log_set_request_id(const char *id)
{
	request_id = id;
}

/*
 * The calendar part of the time stamp changes once a second, so each thread
 * keeps the text of the second it last formatted and only appends the
 * milliseconds: an access-log line per request must not cost a gmtime_r and
 * a strftime each.
 */
static _Thread_local time_t stamp_sec = (time_t)-1;
static _Thread_local char stamp_text[32];
static _Thread_local size_t stamp_len;

/* Writes "2026-01-31T12:00:00.123Z" into out (at least LOG_STAMP_MAX bytes). */
#define LOG_STAMP_MAX 40
static size_t timestamp(char *out)
{
	struct timespec ts;
	struct tm tm;
	long ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != stamp_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		stamp_len = strftime(stamp_text, sizeof(stamp_text), "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_sec = ts.tv_sec;
	}
	memcpy(out, stamp_text, stamp_len);
	ms = ts.tv_nsec / 1000000;
	out[stamp_len] = '.';
	out[stamp_len + 1] = (char)('0' + ms / 100);
	out[stamp_len + 2] = (char)('0' + ms / 10 % 10);
	out[stamp_len + 3] = (char)('0' + ms % 10);
	out[stamp_len + 4] = 'Z';
	out[stamp_len + 5] = '\0';
	return stamp_len + 5;
}

/*
 * Writes a whole line with one write(2): stdio's stderr is unbuffered and
 * locked, which costs more than the line itself, and one system call per
 * line keeps lines from different threads whole (a pipe or a file opened
 * for appending does not interleave a single write of this size).
 */
static void write_line(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* A line being built on the stack; what does not fit is cut off. */
#define LOG_LINE_MAX 4096
struct lk_text {
	char buf[LOG_LINE_MAX];
	size_t len; /* at most LOG_LINE_MAX - 1: room is kept for the newline */
};

static void text_put(struct lk_text *t, const char *s, size_t n)
{
	if (n > sizeof(t->buf) - 1 - t->len)
		n = sizeof(t->buf) - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void text_puts(struct lk_text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* Characters that make a text value need quotes. */
static bool needs_quote(unsigned char c)
{
	return c == ' ' || c == '"' || c == '\\' || c < 0x20 || c == '=';
}

/* Text values with spaces, quotes or controls are quoted with escapes. */
static void text_value(struct lk_text *t, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(v), i, run;
	char esc[4];

	for (i = 0; i < n && !needs_quote((unsigned char)v[i]); i++)
		;
	if (n > 0 && i == n) {
		text_put(t, v, n);
		return;
	}
	text_put(t, "\"", 1);
	for (i = 0; i < n; i += run) {
		unsigned char c = (unsigned char)v[i];

		for (run = 0; i + run < n && v[i + run] != '"' && v[i + run] != '\\' &&
			      (unsigned char)v[i + run] >= 0x20;
		     run++)
			;
		if (run) {
			text_put(t, v + i, run);
			continue;
		}
		run = 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			text_put(t, esc, 2);
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			text_put(t, esc, 4);
		}
	}
	text_put(t, "\"", 1);
}

static void emit_json(const char *ts, enum lk_log_level level, const char *msg,
		      const char *const *keys, const char *const *vals, int n)
{
	json_t *o = json_object();
	char line[LOG_LINE_MAX];
	char *big = NULL;
	size_t len;

	if (!o)
		return;
	json_object_set_new(o, "time", json_string(ts));
	json_object_set_new(o, "level", json_string(lk_log_level_name(level)));
	if (request_id)
		json_object_set_new(o, "request_id", json_string(request_id));
	json_object_set_new(o, "msg", json_string(msg));
	for (int i = 0; i < n; i++)
		json_object_set_new(o, keys[i], json_string(vals[i] ? vals[i] : ""));
	/* Most lines fit on the stack; a long one is serialised on the heap. */
	len = json_dumpb(o, line, sizeof(line) - 1, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (len > 0 && len < sizeof(line)) {
		line[len] = '\n';
		write_line(line, len + 1);
	} else {
		big = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		len = big ? strlen(big) : 0;
		/* jansson's strings come from malloc: the NUL becomes the newline. */
		if (big) {
			big[len] = '\n';
			write_line(big, len + 1);
		}
	}
	free(big);
	json_decref(o);
}

static void emit(enum lk_log_level level, const char *msg, const char *const *keys,
		 const char *const *vals, int n)
{
	char ts[LOG_STAMP_MAX];
	struct lk_text t;
	size_t tslen = timestamp(ts);

	if (format == LK_LOG_JSON) {
		emit_json(ts, level, msg, keys, vals, n);
		return;
	}
	t.len = 0;
	text_put(&t, ts, tslen);
	text_put(&t, " ", 1);
	text_puts(&t, lk_log_level_name(level));
	if (request_id) {
		text_put(&t, " [", 2);
		text_puts(&t, request_id);
		text_put(&t, "]", 1);
	}
	text_put(&t, " ", 1);
	text_puts(&t, msg);
	for (int i = 0; i < n; i++) {
		text_put(&t, " ", 1);
		text_puts(&t, keys[i]);
		text_put(&t, "=", 1);
		text_value(&t, vals[i] ? vals[i] : "");
	}
	t.buf[t.len++] = '\n';
	write_line(t.buf, t.len);
}

void lk_log(enum lk_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!lk_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(level, msg, NULL, NULL, 0);
}

void lk_log_kv(enum lk_log_level level, const char *msg, const char *const *keys,
	       const char *const *vals, int n)
{
	if (!lk_log_enabled(level))
		return;
	emit(level, msg, keys, vals, n);
}
