/*
 * Time. Everything that decides on expiry asks this module, so tests can move
 * the clock.
 */
#ifndef LK_CORE_CLOCK_H
#define LK_CORE_CLOCK_H

#include <stdint.h>

/* Seconds since the Unix epoch (wall clock, or the fake clock if set). */
int64_t lk_now(void);

/* Milliseconds from a monotonic clock, for durations. */
int64_t lk_monotonic_ms(void);

/* Tests: pin lk_now() to t; 0 goes back to the real clock. */
void lk_clock_set_fake(int64_t t);

/* Formats t as RFC 3339 UTC ("2026-01-31T12:00:00Z") into out (>= 21 bytes). */
void lk_time_format(int64_t t, char out[32]);

#endif
