#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void timestamp(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	len = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + len, n - len, ".%03ldZ", ts.tv_nsec / 1000000);
}

struct lk_text {
	char buf[4096];
	size_t len;
};

static void text_put(struct lk_text *t, const char *s, size_t n)
{
	if (n > sizeof(t->buf) - 1 - t->len)
		n = sizeof(t->buf) - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

/* Text values with spaces, quotes or controls are quoted with escapes. */
static void text_value(struct lk_text *t, const char *v)
{
	bool plain = *v != '\0';
	const char *p;
	char esc[8];

	for (p = v; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || *p == '=')
			plain = false;
	if (plain) {
		text_put(t, v, strlen(v));
		return;
	}
	text_put(t, "\"", 1);
	for (p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			text_put(t, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			text_put(t, esc, 4);
		} else {
			text_put(t, p, 1);
		}
	}
	text_put(t, "\"", 1);
}

static void emit(enum lk_log_level level, const char *msg, const char *const *keys,
		 const char *const *vals, int n)
{
	char ts[40];

	timestamp(ts, sizeof(ts));
	if (format == LK_LOG_JSON) {
		json_t *o = json_object();
		char *line;

		if (!o)
			return;
		json_object_set_new(o, "time", json_string(ts));
		json_object_set_new(o, "level", json_string(lk_log_level_name(level)));
		if (request_id)
			json_object_set_new(o, "request_id", json_string(request_id));
		json_object_set_new(o, "msg", json_string(msg));
		for (int i = 0; i < n; i++)
			json_object_set_new(o, keys[i], json_string(vals[i] ? vals[i] : ""));
		line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (line)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
		return;
	}
	struct lk_text t = {.len = 0};
	t.buf[0] = '\0';
	text_put(&t, ts, strlen(ts));
	text_put(&t, " ", 1);
	text_put(&t, lk_log_level_name(level), strlen(lk_log_level_name(level)));
	if (request_id) {
		text_put(&t, " [", 2);
		text_put(&t, request_id, strlen(request_id));
		text_put(&t, "]", 1);
	}
	text_put(&t, " ", 1);
	text_put(&t, msg, strlen(msg));
	for (int i = 0; i < n; i++) {
		text_put(&t, " ", 1);
		text_put(&t, keys[i], strlen(keys[i]));
		text_put(&t, "=", 1);
		text_value(&t, vals[i] ? vals[i] : "");
	}
	fprintf(stderr, "%s\n", t.buf);
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
