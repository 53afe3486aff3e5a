/*
 * port/clock - the time, as the core reads it (a port: declared here by
 * the core, implemented by adapters/clock.c).  No relay/ file reads the
 * system clock or the environment for the time: `make lint` refuses
 * time(), clock_gettime() and gettimeofday() there, and FSRELAY_NOW is
 * read only by the adapter.
 */
#ifndef FSRELAY_PORT_CLOCK_H
#define FSRELAY_PORT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * The instant the rules use (seconds since the epoch, UTC): the system
 * clock, or, when test_clock is set and FSRELAY_NOW is not empty, that
 * RFC 3339 instant (*from_test = 1; the instance records a clock.test
 * event for it).  0; -1 with a French reason in err (FSRELAY_NOW not RFC
 * 3339).
 */
int	 clock_now(int test_clock, int64_t *now, int *from_test, char *err,
	    size_t errlen);

/* The system's seconds, never the test clock: deadlines of child
 * processes and retries of a connection (real time must pass). */
int64_t	 clock_system(void);

/* A monotonic clock in milliseconds, for durations and backoffs. */
int64_t	 clock_monotonic_ms(void);

#endif
