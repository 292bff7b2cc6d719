/*
 * The log: the text and JSON formats, escaping, and the per-thread gathering
 * of request lines (flushed when the thread ends, by the flusher, and before
 * a warning).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/log.h"

/* Standard error goes to a temporary file while a test runs. */
static int saved_fd = -1;
static int log_fd = -1;
static char text[1 << 20];

static void capture_start(void)
{
	char path[] = "/tmp/lk-log-XXXXXX";

	log_fd = mkstemp(path);
	assert_true(log_fd >= 0);
	unlink(path);
	saved_fd = dup(2);
	dup2(log_fd, 2);
}

/* What has been written so far, NUL-terminated in text. */
static const char *captured(void)
{
	ssize_t n = pread(log_fd, text, sizeof(text) - 1, 0);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void capture_stop(void)
{
	dup2(saved_fd, 2);
	close(saved_fd);
	close(log_fd);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (s = strstr(s, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

static void test_text_format(void **state)
{
	static const char *const keys[] = {"path", "empty", "odd"};
	const char *vals[] = {"/a b", "", "q\"\\\x01"};
	const char *t;

	capture_start();
	lk_log_setup(LK_LOG_INFO, LK_LOG_TEXT);
	lk_debug("hidden %d", 1);
	lk_info("shown %d", 2);
	lk_log_kv(LK_LOG_INFO, "request", keys, vals, 3);
	t = captured();
	capture_stop();
	assert_null(strstr(t, "hidden"));
	assert_non_null(strstr(t, " info shown 2\n"));
	assert_non_null(strstr(t, "request path=\"/a b\" empty=\"\" odd=\"q\\\"\\\\\\x01\"\n"));
	/* 2026-01-31T12:00:00.123Z */
	assert_int_equal(strcspn(t, " "), 24);
	assert_int_equal(t[23], 'Z');
	assert_int_equal(t[19], '.');
}

static void test_json_format(void **state)
{
	static const char *const keys[] = {"status"};
	const char *vals[] = {"200"};
	json_t *o;

	capture_start();
	lk_log_setup(LK_LOG_INFO, LK_LOG_JSON);
	lk_log_set_request_id("00000000000000aa");
	lk_log_kv(LK_LOG_WARN, "request", keys, vals, 1);
	lk_log_set_request_id(NULL);
	o = json_loads(captured(), 0, NULL);
	capture_stop();
	lk_log_setup(LK_LOG_INFO, LK_LOG_TEXT);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(o, "request_id")), "00000000000000aa");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "200");
	json_decref(o);
}

static void *burst(void *arg)
{
	int n = *(int *)arg;

	lk_log_set_request_id("00000000000000bb");
	for (int i = 0; i < n; i++)
		lk_info("line %d", i);
	lk_log_set_request_id(NULL);
	return NULL;
}

/* Lines gathered by a thread are all written, whole and in order, when it ends. */
static void test_thread_exit_flushes(void **state)
{
	int n = 2000;
	pthread_t t;
	const char *s;
	char last[32];

	capture_start();
	lk_log_setup(LK_LOG_INFO, LK_LOG_TEXT);
	assert_int_equal(pthread_create(&t, NULL, burst, &n), 0);
	pthread_join(t, NULL);
	s = captured();
	capture_stop();
	assert_int_equal(count(s, "[00000000000000bb] line "), n);
	assert_int_equal(count(s, "\n"), n);
	snprintf(last, sizeof(last), "line %d\n", n - 1);
	assert_non_null(strstr(s, last));
	assert_true(strstr(s, "line 10\n") < strstr(s, "line 11\n"));
}

/* A thread that stays alive: the flusher writes what it gathered. */
static void test_flusher(void **state)
{
	int i, n = 0;

	capture_start();
	lk_log_setup(LK_LOG_INFO, LK_LOG_TEXT);
	lk_log_set_request_id("00000000000000cc");
	for (i = 0; i < 50; i++)
		lk_info("gathered %d", i);
	lk_log_set_request_id(NULL);
	for (i = 0; i < 100 && n < 50; i++) {
		sleep_ms(10);
		n = count(captured(), "gathered ");
	}
	capture_stop();
	assert_int_equal(n, 50);
}

/* A warning goes out at once, after the lines gathered before it. */
static void test_warning_order(void **state)
{
	const char *s;

	capture_start();
	lk_log_setup(LK_LOG_INFO, LK_LOG_TEXT);
	lk_log_set_request_id("00000000000000dd");
	lk_info("first");
	lk_info("second");
	lk_warn("third");
	lk_log_set_request_id(NULL);
	s = captured();
	capture_stop();
	assert_non_null(strstr(s, "first"));
	assert_non_null(strstr(s, "second"));
	assert_non_null(strstr(s, "third"));
	assert_true(strstr(s, "first") < strstr(s, "second"));
	assert_true(strstr(s, "second") < strstr(s, "third"));
}

static void test_parse(void **state)
{
	enum lk_log_level l;
	enum lk_log_format f;

	assert_int_equal(lk_log_level_parse("warn", &l), LK_OK);
	assert_int_equal(l, LK_LOG_WARN);
	assert_int_equal(lk_log_level_parse("loud", &l), LK_EINVAL);
	assert_int_equal(lk_log_format_parse("json", &f), LK_OK);
	assert_int_equal(f, LK_LOG_JSON);
	assert_int_equal(lk_log_format_parse("xml", &f), LK_EINVAL);
	assert_string_equal(lk_log_level_name(LK_LOG_ERROR), "error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_json_format),
		cmocka_unit_test(test_thread_exit_flushes),
		cmocka_unit_test(test_flusher),
		cmocka_unit_test(test_warning_order),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
