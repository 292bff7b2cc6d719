#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static _Atomic int64_t fake_now;

int64_t lk_now(void)
{
	int64_t f = atomic_load_explicit(&fake_now, memory_order_relaxed);

	return f ? f : (int64_t)time(NULL);
}

int64_t lk_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lk_clock_set_fake(int64_t t)
{
	atomic_store(&fake_now, t);
}

void lk_time_format(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
