#include "core/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
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
 * Writes with one write(2): stdio's stderr is unbuffered and locked, which
 * costs more than the line itself. One system call of at most PIPE_BUF bytes
 * keeps lines from different threads whole: Linux does not interleave it
 * with another write to the same file, and POSIX makes it atomic on a pipe.
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

/*
 * Lines about requests (those logged while a request id is set: the access
 * log and what handlers say) are the only ones written at a high rate, and
 * under load a write(2) per line costs more than the line itself: a system
 * call and the file's lock, per request. So a thread that is serving
 * requests gathers its lines in a buffer of its own and writes them together
 * when the buffer is full or its oldest line is LOG_BATCH_MS old; a flusher
 * thread writes the buffers of threads that went quiet. A thread that has
 * written nothing for LOG_BATCH_MS writes its next line at once, so at a low
 * rate every line goes out as before. Every other line, and every warning or
 * error, is written at once, after what the thread has gathered, so each
 * thread's lines keep their order. A line is never split; a crash loses at
 * most about 2 * LOG_BATCH_MS of the access log. The process never forks, so
 * no buffer can be left taken by a thread that does not exist.
 *
 * The buffer belongs to its thread; the flusher takes it only with one
 * compare-and-swap on its state, which its owner finds free unless the
 * flusher is writing it at that very moment: no lock is waited for on the
 * request path.
 */
#define LOG_BATCH_BYTES PIPE_BUF
#define LOG_BATCH_MS 20

enum { BATCH_FREE, BATCH_OWNER, BATCH_FLUSHER };

struct batch {
	atomic_int state;      /* who is using data and len right now */
	atomic_bool claimed;   /* a live thread owns this buffer */
	struct batch *next;    /* the list of every buffer, never shortened */
	int64_t first_ms;      /* when the oldest line in data was added */
	int64_t last_write_ms; /* when the owner last wrote */
	size_t len;
	char data[LOG_BATCH_BYTES];
};

static _Atomic(struct batch *) batches;
static _Thread_local struct batch *my_batch;
static pthread_once_t batch_once = PTHREAD_ONCE_INIT;
static pthread_key_t batch_key;
static bool batch_ready; /* the key, the flusher and the exit hook are in place */

static int64_t coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes a buffer for its owner (who) or the flusher; waits out the other. */
static void batch_take(struct batch *b, int who)
{
	int expected = BATCH_FREE;

	while (!atomic_compare_exchange_weak(&b->state, &expected, who)) {
		expected = BATCH_FREE;
		sched_yield();
	}
}

static void batch_give(struct batch *b)
{
	atomic_store(&b->state, BATCH_FREE);
}

/* Writes what b holds; the caller has taken b. */
static void batch_write(struct batch *b)
{
	if (b->len) {
		write_line(b->data, b->len);
		b->len = 0;
	}
}

/* Writes b out if it holds lines at least LOG_BATCH_MS old and nobody has it. */
static void batch_flush_idle(struct batch *b, int64_t now, bool all)
{
	if (all) {
		batch_take(b, BATCH_FLUSHER);
	} else {
		int expected = BATCH_FREE;

		if (!atomic_compare_exchange_strong(&b->state, &expected, BATCH_FLUSHER))
			return;
	}
	if (b->len && (all || now - b->first_ms >= LOG_BATCH_MS))
		batch_write(b);
	batch_give(b);
}

static void flush_all(bool all)
{
	int64_t now = coarse_ms();
	struct batch *b;

	for (b = atomic_load(&batches); b; b = b->next)
		batch_flush_idle(b, now, all);
}

static void *flusher_main(void *arg)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = LOG_BATCH_MS * 1000000L};

	for (;;) {
		nanosleep(&ts, NULL);
		flush_all(false);
	}
	return NULL;
}

/* At exit, whatever is still gathered goes out. */
static void flush_at_exit(void)
{
	flush_all(true);
}

/* A thread that ends writes its lines and hands its buffer back. */
static void batch_release(void *p)
{
	struct batch *b = p;

	batch_take(b, BATCH_OWNER);
	batch_write(b);
	batch_give(b);
	my_batch = NULL;
	atomic_store(&b->claimed, false);
}

static void batch_init(void)
{
	pthread_t t;
	pthread_attr_t attr;
	sigset_t all, old;

	if (pthread_key_create(&batch_key, batch_release) != 0)
		return;
	if (pthread_attr_init(&attr) != 0)
		return;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The flusher must not take the signals the server waits for. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, &attr, flusher_main, NULL) == 0 && atexit(flush_at_exit) == 0)
		batch_ready = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

/* This thread's buffer: one a finished thread gave back, or a new one. */
static struct batch *own_batch(void)
{
	struct batch *b;
	bool no = false;

	if (my_batch)
		return my_batch;
	pthread_once(&batch_once, batch_init);
	if (!batch_ready)
		return NULL;
	for (b = atomic_load(&batches); b; b = b->next) {
		no = false;
		if (atomic_compare_exchange_strong(&b->claimed, &no, true))
			break;
	}
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		atomic_init(&b->state, BATCH_FREE);
		atomic_init(&b->claimed, true);
		b->next = atomic_load(&batches);
		while (!atomic_compare_exchange_weak(&batches, &b->next, b))
			;
	}
	if (pthread_setspecific(batch_key, b) != 0) {
		atomic_store(&b->claimed, false);
		return NULL;
	}
	my_batch = b;
	return b;
}

/*
 * Writes one whole line (newline included). gather: the line may wait in
 * this thread's buffer; otherwise it is written now, after the buffer.
 */
static void put_line(const char *line, size_t n, bool gather)
{
	struct batch *b = gather ? own_batch() : my_batch;
	int64_t now;

	if (!b) {
		write_line(line, n);
		return;
	}
	now = coarse_ms();
	batch_take(b, BATCH_OWNER);
	if (b->len && (!gather || b->len + n > sizeof(b->data) ||
		       now - b->first_ms >= LOG_BATCH_MS)) {
		batch_write(b);
		b->last_write_ms = now;
	}
	if (!gather || n > sizeof(b->data) ||
	    (b->len == 0 && now - b->last_write_ms >= LOG_BATCH_MS)) {
		write_line(line, n);
		b->last_write_ms = now;
	} else {
		if (b->len == 0)
			b->first_ms = now;
		memcpy(b->data + b->len, line, n);
		b->len += n;
	}
	batch_give(b);
}

/* A line being built on the stack; what does not fit is cut off. */
#define LOG_LINE_MAX PIPE_BUF
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
		      const char *const *keys, const char *const *vals, int n, bool gather)
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
		put_line(line, len + 1, gather);
	} else {
		big = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		len = big ? strlen(big) : 0;
		/* jansson's strings come from malloc: the NUL becomes the newline. */
		if (big) {
			big[len] = '\n';
			put_line(big, len + 1, false);
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
	bool gather = request_id != NULL && level < LK_LOG_WARN;

	if (format == LK_LOG_JSON) {
		emit_json(ts, level, msg, keys, vals, n, gather);
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
	put_line(t.buf, t.len, gather);
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
