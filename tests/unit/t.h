/*
 * t.h - the unit-test harness: CHECK macros that count, and t_done() which
 * prints "N passed, N failed" and gives the exit status.
 */
#ifndef FSRELAY_T_H
#define FSRELAY_T_H

#include <stdio.h>
#include <string.h>

static int t_passed, t_failed;

#define CHECK(cond) t_check((cond) != 0, #cond, __FILE__, __LINE__)
#define CHECK_INT(a, b) do { long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (!t_check(t_a_ == t_b_, #a " == " #b, __FILE__, __LINE__)) \
		fprintf(stderr, "    got %lld, want %lld\n", t_a_, t_b_); } while (0)
#define CHECK_STR(a, b) do { const char *t_a_ = (a), *t_b_ = (b); \
	if (!t_check(t_a_ != NULL && t_b_ != NULL && strcmp(t_a_, t_b_) == 0, \
	    #a " == " #b, __FILE__, __LINE__)) \
		fprintf(stderr, "    got \"%s\", want \"%s\"\n", t_a_ ? t_a_ : "(null)", \
		    t_b_ ? t_b_ : "(null)"); } while (0)

static inline int
t_check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		t_passed++;
	else {
		t_failed++;
		fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
	}
	return ok;
}

static inline int
t_done(void)
{
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}

#endif
