/*
 * clock - port/clock.h on the system clock (time(2), CLOCK_MONOTONIC) and,
 * for the tests, FSRELAY_NOW: the one place the test clock is read.
 */
#include "relay/port/clock.h"
#include "relay/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
clock_now(int test_clock, int64_t *now, int *from_test, char *err, size_t errlen)
{
	const char *env = getenv("FSRELAY_NOW");

	*from_test = 0;
	if (env != NULL && *env != '\0' && test_clock) {
		if (cal_parse_rfc3339(env, now) < 0) {
			snprintf(err, errlen, "FSRELAY_NOW invalide « %.40s » (attendu RFC 3339,"
			    " ex. 2026-03-02T09:00:00Z)", env);
			return -1;
		}
		*from_test = 1;
		return 0;
	}
	*now = (int64_t)time(NULL);
	return 0;
}

int64_t
clock_system(void)
{
	return (int64_t)time(NULL);
}

int64_t
clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
