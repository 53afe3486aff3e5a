/*
 * test_calendar - the working-time calendar: Easter and holidays 2024-2035,
 * changes of time, local-time conversions (gap, overlap), deadline tables
 * (weekends, Ascension bridge, Christmas-New Year, both changes of time),
 * office time with the Fontenay-aux-Roses opening hours, next office time,
 * pause arithmetic, text forms and parse errors.
 *
 * Then the cross-check: tests/golden/calendar-2024-2035.txt (or argv[1]),
 * produced by tests/calendar_check.py from python3-holidays and tzdata,
 * an implementation independent of this one, must agree line by line with
 * relay/calendar.c.  Run from the top of the tree (tests/run does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/calendar.h"
#include "tests/unit/t.h"

#define GOLDEN		"tests/golden/calendar-2024-2035.txt"
#define FONTENAY	"lundi 08:30-12:00 13:30-17:00; mardi 08:30-12:00; " \
			"mercredi 08:30-12:00 13:30-19:30; jeudi 08:30-12:00; " \
			"vendredi 08:30-12:00 13:30-17:00"
#define H		3600
#define D		86400LL

/* The instant of a Europe/Paris local time (0 and a failure if invalid). */
static int64_t
L(int y, int mo, int d, int hh, int mi)
{
	struct cal_tm tm = { y, mo, d, hh, mi, 0, 0, 0 };
	int64_t t = 0;

	CHECK(cal_from_paris_local(&tm, &t) == 0);
	return t;
}

/* Compare two instants, printing both in UTC on failure. */
#define CHECK_T(got, want) check_t((got), (want), #got, __LINE__)
static void
check_t(int64_t got, int64_t want, const char *what, int line)
{
	char g[CAL_RFC3339_LEN], w[CAL_RFC3339_LEN];

	if (t_check(got == want, what, __FILE__, line))
		return;
	cal_format_rfc3339_utc(g, got);
	cal_format_rfc3339_utc(w, want);
	fprintf(stderr, "    got %s, want %s\n", g, w);
}

/* due = start + n working days under c; -1 on failure (checked). */
static int64_t
add_days(const struct calendar *c, int64_t start, int n)
{
	int64_t due = -1;

	CHECK(cal_add_working_days(c, start, n, &due) == 0);
	return due;
}

static int64_t
add_minutes(const struct calendar *c, int64_t start, int64_t minutes)
{
	int64_t due = -1;

	CHECK(cal_add_working_minutes(c, start, minutes, &due) == 0);
	return due;
}

static int64_t
next_office(const struct calendar *c, int64_t t)
{
	int64_t r = -1;

	CHECK(cal_next_office_time(c, t, &r) == 0);
	return r;
}

static int64_t
between(const struct calendar *c, int64_t a, int64_t b)
{
	int64_t s = -1;

	CHECK(cal_working_seconds_between(c, a, b, &s) == 0);
	return s;
}

/* issue 14: Paris time with its offset for people */
static void
test_format_paris(void)
{
	char out[CAL_PARIS_LEN];

	CHECK_INT(cal_format_paris(out, 1772618400), 0);	/* 2026-03-04T10:00:00Z */
	CHECK_STR(out, "2026-03-04 11:00 (+01:00)");
	CHECK_INT(cal_format_paris(out, 1782892800), 0);	/* 2026-07-01T08:00:00Z */
	CHECK_STR(out, "2026-07-01 10:00 (+02:00)");
}

static void
test_easter(void)
{
	static const struct { int y, m, d; } easter[] = {
		{ 2024, 3, 31 }, { 2025, 4, 20 }, { 2026, 4, 5 },
		{ 2027, 3, 28 }, { 2028, 4, 16 }, { 2029, 4, 1 },
		{ 2030, 4, 21 }, { 2031, 4, 13 }, { 2032, 3, 28 },
		{ 2033, 4, 17 }, { 2034, 4, 9 }, { 2035, 3, 25 },
		/* extremes of the algorithm */
		{ 1818, 3, 22 }, { 2285, 3, 22 }, { 1943, 4, 25 },
		{ 2038, 4, 25 },
	};
	size_t i;
	int m, d;

	for (i = 0; i < sizeof(easter) / sizeof(easter[0]); i++) {
		CHECK(cal_easter(easter[i].y, &m, &d) == 0);
		CHECK_INT(m * 100 + d, easter[i].m * 100 + easter[i].d);
	}
	CHECK(cal_easter(1582, &m, &d) == -1);
	CHECK(cal_easter(10000, &m, &d) == -1);
}

static void
test_holidays(void)
{
	static const struct { int m, d; const char *name; } h2026[] = {
		{ 1, 1, "Jour de l'an" }, { 4, 6, "Lundi de Pâques" },
		{ 5, 1, "Fête du Travail" }, { 5, 8, "Victoire 1945" },
		{ 5, 14, "Ascension" }, { 5, 25, "Lundi de Pentecôte" },
		{ 7, 14, "Fête nationale" }, { 8, 15, "Assomption" },
		{ 11, 1, "Toussaint" }, { 11, 11, "Armistice 1918" },
		{ 12, 25, "Noël" },
	};
	struct calendar c;
	const char *name;
	size_t i;
	int m, d, n = 0;

	cal_init(&c);
	for (i = 0; i < sizeof(h2026) / sizeof(h2026[0]); i++) {
		name = NULL;
		CHECK_INT(cal_is_holiday(&c, 2026, h2026[i].m, h2026[i].d,
		    &name), 1);
		CHECK_STR(name, h2026[i].name);
	}
	for (m = 1; m <= 12; m++)
		for (d = 1; d <= 31; d++)
			if (cal_valid_date(2026, m, d) &&
			    cal_is_holiday(&c, 2026, m, d, NULL) == 1)
				n++;
	CHECK_INT(n, 11);
	CHECK_INT(cal_is_holiday(&c, 2026, 4, 3, NULL), 0);	/* Good Friday */
	CHECK_INT(cal_is_holiday(&c, 2026, 12, 26, NULL), 0);
	CHECK_INT(cal_is_holiday(&c, 2026, 2, 30, NULL), -1);
	CHECK_INT(cal_is_working_day(&c, 2026, 5, 15), 1);
	CHECK_INT(cal_is_working_day(&c, 2026, 5, 14), 0);	/* Ascension */
	CHECK_INT(cal_is_working_day(&c, 2026, 5, 16), 0);	/* Saturday */

	c.whit_monday_worked = 1;	/* journée de solidarité */
	CHECK_INT(cal_is_holiday(&c, 2026, 5, 25, NULL), 0);
	CHECK_INT(cal_is_working_day(&c, 2026, 5, 25), 1);

	cal_init(&c);
	c.alsace_moselle = 1;
	CHECK_INT(cal_is_holiday(&c, 2026, 4, 3, &name), 1);
	CHECK_STR(name, "Vendredi saint");
	CHECK_INT(cal_is_holiday(&c, 2026, 12, 26, &name), 1);
	CHECK_STR(name, "Saint-Étienne");

	cal_init(&c);
	c.overseas_dept = 974;
	CHECK_INT(cal_is_holiday(&c, 2026, 12, 20, &name), 1);
	CHECK_STR(name, "Abolition de l'esclavage");
	CHECK_INT(cal_is_holiday(&c, 2026, 5, 27, NULL), 0);
	c.overseas_dept = 971;
	CHECK_INT(cal_is_holiday(&c, 2026, 5, 27, NULL), 1);
	c.overseas_dept = 972;
	CHECK_INT(cal_is_holiday(&c, 2026, 5, 22, NULL), 1);
	c.overseas_dept = 973;
	CHECK_INT(cal_is_holiday(&c, 2026, 6, 10, NULL), 1);
	c.overseas_dept = 976;
	CHECK_INT(cal_is_holiday(&c, 2026, 4, 27, NULL), 1);
	c.overseas_dept = 975;
	CHECK(cal_validate(&c, NULL, 0) == -1);
	CHECK_INT(cal_is_holiday(&c, 2026, 4, 27, NULL), -1);

	cal_init(&c);
	CHECK(cal_add_closure(&c, 2026, 5, 15) == 0);	/* Ascension bridge */
	CHECK(cal_add_closure(&c, 2026, 2, 29) == -1);
	CHECK_INT(cal_is_closure(&c, 2026, 5, 15), 1);
	CHECK_INT(cal_is_holiday(&c, 2026, 5, 15, NULL), 0);
	CHECK_INT(cal_is_working_day(&c, 2026, 5, 15), 0);
	while (c.nclosures < CAL_MAX_CLOSURES)
		CHECK(cal_add_closure(&c, 2030, 1, 2) == 0);
	CHECK(cal_add_closure(&c, 2030, 1, 3) == -1);
}

static void
test_dst(void)
{
	/* Last Sundays of March and October 2024-2035, written by hand. */
	static const int mar[] = { 31, 30, 29, 28, 26, 25, 31, 30, 28, 27,
	    26, 25 };
	static const int oct[] = { 27, 26, 25, 31, 29, 28, 27, 26, 31, 30,
	    29, 28 };
	struct cal_tm tm;
	int64_t on, off, t;
	int i, y;

	for (i = 0; i < 12; i++) {
		y = 2024 + i;
		CHECK_INT(cal_weekday(y, 3, mar[i]), 6);
		CHECK_INT(cal_weekday(y, 10, oct[i]), 6);
		CHECK(cal_paris_midnight(y, 3, mar[i], &on) == 0);
		on += 2 * H;			/* 01:00Z = 02:00 CET */
		CHECK(cal_paris_midnight(y, 10, oct[i], &off) == 0);
		off += 3 * H;			/* 01:00Z = 03:00 CEST */
		CHECK_INT(cal_paris_offset(on - 1), 3600);
		CHECK_INT(cal_paris_offset(on), 7200);
		CHECK_INT(cal_paris_offset(off - 1), 7200);
		CHECK_INT(cal_paris_offset(off), 3600);
		CHECK_INT(on % D, 3600);
		CHECK_INT(off % D, 3600);
	}
	/* 2026-03-29: 01:59:59 CET is followed by 03:00:00 CEST. */
	CHECK(cal_parse_rfc3339("2026-03-29T01:00:00Z", &t) == 0);
	CHECK(cal_to_paris(t, &tm) == 0);
	CHECK_INT(tm.hour * 100 + tm.min, 300);
	CHECK_INT(tm.utcoff, 7200);
	CHECK_INT(tm.wday, 6);
	CHECK(cal_to_paris(t - 1, &tm) == 0);
	CHECK_INT(tm.hour * 10000 + tm.min * 100 + tm.sec, 15959);
	/* gap: 02:30 does not exist, read with CET -> 01:30Z (03:30 CEST) */
	CHECK_T(L(2026, 3, 29, 2, 30), t + 1800);
	CHECK_T(L(2026, 3, 29, 3, 0), t);
	/* overlap: 02:30 exists twice, the first (CEST, 00:30Z) is taken */
	CHECK(cal_parse_rfc3339("2026-10-25T00:30:00Z", &t) == 0);
	CHECK_T(L(2026, 10, 25, 2, 30), t);
	CHECK(cal_to_paris(t + H, &tm) == 0);	/* the second 02:30, CET */
	CHECK_INT(tm.hour * 100 + tm.min, 230);
	CHECK_INT(tm.utcoff, 3600);
	/* not silently UTC: winter noon is 11:00Z, summer noon 10:00Z */
	CHECK(cal_parse_rfc3339("2026-01-15T11:00:00Z", &t) == 0);
	CHECK_T(L(2026, 1, 15, 12, 0), t);
	CHECK(cal_parse_rfc3339("2026-07-15T10:00:00Z", &t) == 0);
	CHECK_T(L(2026, 7, 15, 12, 0), t);
	/* ranges */
	CHECK_INT(cal_paris_offset(INT64_MIN), 3600);
	CHECK_INT(cal_paris_offset(INT64_MAX), 3600);
	CHECK(cal_to_paris(CAL_T_MAX, &tm) == -1);	/* local year 10000 */
	CHECK(cal_to_paris(CAL_T_MAX + 1, &tm) == -1);
	CHECK(cal_to_paris(CAL_T_MIN, &tm) == 0);
	CHECK_INT(tm.year, 1);
	tm.mon = 2;
	tm.mday = 29;
	tm.year = 2025;
	CHECK(cal_from_paris_local(&tm, &t) == -1);
}

/* from(to(t)) gives t back, except in the repeated hour (first kept). */
static void
test_roundtrip(void)
{
	struct cal_tm tm;
	int64_t t, back, start, bad = 0;

	CHECK(cal_parse_rfc3339("2024-01-01T00:00:00Z", &start) == 0);
	for (t = start; t < start + 12 * 366 * D; t += 7919) {
		if (cal_to_paris(t, &tm) == -1 ||
		    cal_from_paris_local(&tm, &back) == -1) {
			bad++;
			continue;
		}
		if (back != t && !(back == t - H && tm.utcoff == 3600 &&
		    cal_paris_offset(back) == 7200))
			bad++;
	}
	CHECK_INT(bad, 0);
}

static void
test_deadlines(void)
{
	struct calendar c;

	cal_init(&c);
	/* Friday 16:00 -> Wednesday 16:00 (Administration+'s reading) */
	CHECK_T(add_days(&c, L(2026, 3, 6, 16, 0), 3), L(2026, 3, 11, 16, 0));
	CHECK_INT(between(&c, L(2026, 3, 6, 16, 0), L(2026, 3, 11, 16, 0)),
	    3 * D);
	/* Monday 09:15 -> Thursday 09:15 */
	CHECK_T(add_days(&c, L(2026, 3, 9, 9, 15), 3), L(2026, 3, 12, 9, 15));
	/* Saturday (any hour) -> clock from Monday 00:00 -> Thursday 00:00 */
	CHECK_T(add_days(&c, L(2026, 3, 7, 11, 0), 3), L(2026, 3, 12, 0, 0));
	CHECK_T(add_days(&c, L(2026, 3, 8, 23, 59), 3), L(2026, 3, 12, 0, 0));
	/* Wednesday 00:00 -> Friday 24:00 = Saturday 00:00 */
	CHECK_T(add_days(&c, L(2026, 3, 11, 0, 0), 3), L(2026, 3, 14, 0, 0));
	/* 0 days: the start itself */
	CHECK_T(add_days(&c, L(2026, 3, 7, 11, 0), 0), L(2026, 3, 7, 11, 0));
	/* Ascension 2026 (Thursday 14 May): Wednesday 16:00 -> Tuesday
	 * 16:00; the Friday counts unless it is a closure */
	CHECK_T(add_days(&c, L(2026, 5, 13, 16, 0), 3), L(2026, 5, 19, 16, 0));
	CHECK_T(add_days(&c, L(2026, 5, 14, 10, 0), 3), L(2026, 5, 20, 0, 0));
	CHECK(cal_add_closure(&c, 2026, 5, 15) == 0);
	CHECK_T(add_days(&c, L(2026, 5, 13, 16, 0), 3), L(2026, 5, 20, 16, 0));
	cal_init(&c);
	/* Whit Monday 2026-05-25: Friday 16:00 -> Thursday 16:00 ... */
	CHECK_T(add_days(&c, L(2026, 5, 22, 16, 0), 3), L(2026, 5, 28, 16, 0));
	c.whit_monday_worked = 1;	/* ... or Wednesday when worked */
	CHECK_T(add_days(&c, L(2026, 5, 22, 16, 0), 3), L(2026, 5, 27, 16, 0));
	cal_init(&c);
	/* Christmas-New Year 2025-2026 */
	CHECK_T(add_days(&c, L(2025, 12, 24, 16, 0), 3),
	    L(2025, 12, 30, 16, 0));
	CHECK_T(add_days(&c, L(2025, 12, 30, 16, 0), 3), L(2026, 1, 5, 16, 0));
	CHECK_T(add_days(&c, L(2025, 12, 25, 9, 0), 3), L(2025, 12, 31, 0, 0));
	c.alsace_moselle = 1;	/* + 26 December */
	CHECK_T(add_days(&c, L(2025, 12, 24, 16, 0), 3),
	    L(2025, 12, 31, 16, 0));
	CHECK_T(add_days(&c, L(2026, 4, 2, 16, 0), 3), L(2026, 4, 9, 16, 0));
	cal_init(&c);
	CHECK_T(add_days(&c, L(2026, 4, 2, 16, 0), 3), L(2026, 4, 8, 16, 0));
	/* Both changes of time keep the wall-clock time; the real elapsed
	 * time is 71 h or 73 h of working time ... */
	CHECK_T(add_days(&c, L(2026, 3, 27, 16, 0), 3), L(2026, 4, 1, 16, 0));
	CHECK_INT(L(2026, 4, 1, 16, 0) - L(2026, 3, 27, 16, 0), 5 * D - H);
	CHECK_T(add_days(&c, L(2026, 10, 23, 16, 0), 3),
	    L(2026, 10, 28, 16, 0));
	CHECK_INT(L(2026, 10, 28, 16, 0) - L(2026, 10, 23, 16, 0), 5 * D + H);
	/* ... and counts as exactly 3 working days */
	CHECK_INT(between(&c, L(2026, 10, 23, 16, 0), L(2026, 10, 28, 16, 0)),
	    3 * D);
	/* the agent's user_due_at: 3 days from 00:00 of --sollicite-le */
	{
		int64_t t;

		CHECK(cal_paris_midnight(2026, 3, 6, &t) == 0);	/* Friday */
		CHECK_T(add_days(&c, t, 3), L(2026, 3, 11, 0, 0));
		CHECK(cal_paris_midnight(2026, 3, 7, &t) == 0);	/* Saturday */
		CHECK_T(add_days(&c, t, 3), L(2026, 3, 12, 0, 0));
		CHECK(cal_paris_midnight(2026, 2, 30, &t) == -1);
	}
	/* bad input */
	{
		int64_t due = 42;

		CHECK(cal_add_working_days(&c, L(2026, 3, 6, 16, 0), -1,
		    &due) == -1);
		CHECK(cal_add_working_days(&c, L(2026, 3, 6, 16, 0),
		    CAL_MAX_DAYS + 1, &due) == -1);
		CHECK(cal_add_working_days(&c, CAL_T_MAX + 1, 1, &due) == -1);
		CHECK(cal_add_working_days(&c, CAL_T_MAX - 2 * D, 3,
		    &due) == -1);
		CHECK(cal_add_working_days(&c, CAL_T_MIN, 3, &due) == -1);
		CHECK_INT(due, 42);
		CHECK(cal_add_working_days(&c, CAL_T_MAX - 40 * D, 3,
		    &due) == 0);
		CHECK(cal_add_working_days(&c, L(2026, 3, 6, 16, 0),
		    CAL_MAX_DAYS, &due) == 0);
		CHECK(due > L(2039, 1, 1, 0, 0) && due < L(2041, 1, 1, 0, 0));
	}
}

/* waiting_user: the paused working time, added back to the deadline. */
static void
test_pause(void)
{
	struct calendar c;
	int64_t paused = -1, due = -1, start, wait, resume;

	cal_init(&c);
	start = L(2026, 3, 6, 16, 0);			/* Friday */
	wait = L(2026, 3, 6, 16, 0);
	resume = L(2026, 3, 9, 10, 0);			/* Monday 10:00 */
	CHECK_INT(between(&c, wait, resume), 8 * H + 10 * H);
	CHECK(cal_working_seconds_between(&c, wait, resume, &paused) == 0);
	CHECK(cal_add_working_seconds(&c, add_days(&c, start, 3), paused,
	    &due) == 0);
	CHECK_T(due, L(2026, 3, 12, 10, 0));		/* Wed 16:00 + 18 h */
	/* a pause over a weekend only costs nothing */
	CHECK_INT(between(&c, L(2026, 3, 7, 9, 0), L(2026, 3, 8, 18, 0)), 0);
	/* reversed or empty interval */
	CHECK_INT(between(&c, resume, wait), 0);
	CHECK_INT(between(&c, wait, wait), 0);
	/* whole years: 2026 has 252 working days (261 weekdays - 9
	 * holidays on a weekday; 15 August and 1 November are weekend) */
	CHECK_INT(between(&c, L(2026, 1, 1, 0, 0), L(2027, 1, 1, 0, 0)),
	    252 * D);
	CHECK(cal_working_seconds_between(&c, 0, CAL_T_MAX + 1,
	    &paused) == -1);
	CHECK(cal_add_working_seconds(&c, start, -1, &due) == -1);
}

static void
test_office(void)
{
	struct calendar c;
	char err[160];
	int64_t s = -1;

	cal_init(&c);
	/* default Monday-Friday 09:00-17:00 */
	CHECK_T(next_office(&c, L(2026, 3, 6, 20, 0)), L(2026, 3, 9, 9, 0));
	CHECK_T(next_office(&c, L(2026, 3, 9, 7, 0)), L(2026, 3, 9, 9, 0));
	CHECK_T(next_office(&c, L(2026, 3, 9, 11, 0)), L(2026, 3, 9, 11, 0));
	CHECK_T(next_office(&c, L(2026, 3, 9, 17, 0)), L(2026, 3, 10, 9, 0));
	CHECK_T(next_office(&c, L(2026, 4, 3, 20, 0)), L(2026, 4, 7, 9, 0));
	CHECK_T(next_office(&c, L(2025, 12, 31, 18, 0)), L(2026, 1, 2, 9, 0));
	CHECK_T(next_office(&c, L(2026, 4, 3, 10, 0)), L(2026, 4, 3, 10, 0));
	c.alsace_moselle = 1;	/* Good Friday and Easter Monday off */
	CHECK_T(next_office(&c, L(2026, 4, 3, 10, 0)), L(2026, 4, 7, 9, 0));
	c.alsace_moselle = 0;
	CHECK(cal_add_closure(&c, 2026, 3, 9) == 0);
	CHECK_T(next_office(&c, L(2026, 3, 6, 20, 0)), L(2026, 3, 10, 9, 0));
	cal_init(&c);
	CHECK_T(add_minutes(&c, L(2026, 3, 6, 16, 0), 120),
	    L(2026, 3, 9, 10, 0));
	CHECK_T(add_minutes(&c, L(2026, 3, 7, 10, 0), 72 * 60),
	    L(2026, 3, 19, 17, 0));			/* 9 days of 8 h */

	/* Fontenay-aux-Roses, annexe 4 */
	CHECK(cal_parse_hours(&c.hours, FONTENAY, err, sizeof(err)) == 0);
	c.has_hours = 1;
	CHECK(cal_validate(&c, err, sizeof(err)) == 0);
	CHECK_INT(c.hours.day[2].n, 2);
	CHECK_INT(c.hours.day[2].iv[1].end, 19 * 60 + 30);
	CHECK_INT(c.hours.day[5].n, 0);
	/* 2026-03-02 is a Monday */
	CHECK_T(add_minutes(&c, L(2026, 3, 2, 11, 0), 120),
	    L(2026, 3, 2, 14, 30));
	CHECK_T(add_minutes(&c, L(2026, 3, 2, 11, 0), 60),
	    L(2026, 3, 2, 12, 0));			/* at the close */
	CHECK_T(add_minutes(&c, L(2026, 3, 3, 11, 0), 120),
	    L(2026, 3, 4, 9, 30));			/* Tue pm closed */
	CHECK_T(add_minutes(&c, L(2026, 3, 7, 11, 0), 30),
	    L(2026, 3, 9, 9, 0));			/* from Saturday */
	CHECK_T(add_minutes(&c, L(2026, 3, 2, 8, 30), 1830),
	    L(2026, 3, 6, 17, 0));			/* 30 h 30 a week */
	CHECK(cal_office_seconds_between(&c, L(2026, 3, 2, 8, 30),
	    L(2026, 3, 6, 17, 0), &s) == 0);
	CHECK_INT(s, 1830 * 60);
	CHECK(cal_office_seconds_between(&c, L(2026, 3, 2, 0, 0),
	    L(2026, 3, 9, 0, 0), &s) == 0);
	CHECK_INT(s, 1830 * 60);
	CHECK(cal_office_seconds_between(&c, L(2026, 3, 4, 19, 0),
	    L(2026, 3, 4, 18, 0), &s) == 0);
	CHECK_INT(s, 0);
	/* Ascension: Wednesday 19:00 + 1 h -> Friday 09:00 */
	CHECK_T(add_minutes(&c, L(2026, 5, 13, 19, 0), 60),
	    L(2026, 5, 15, 9, 0));
	CHECK_T(next_office(&c, L(2026, 3, 3, 13, 0)), L(2026, 3, 4, 8, 30));
	CHECK_T(next_office(&c, L(2026, 3, 2, 12, 30)), L(2026, 3, 2, 13, 30));
	CHECK_T(next_office(&c, L(2026, 3, 4, 19, 0)), L(2026, 3, 4, 19, 0));
	CHECK_T(add_minutes(&c, L(2026, 3, 4, 19, 0), 0), L(2026, 3, 4, 19, 0));
	/* a structure open on Saturday mornings counts them */
	CHECK(cal_parse_hours(&c.hours, "lun-ven 09:00-17:00; sam 09:00-12:00",
	    err, sizeof(err)) == 0);
	CHECK_T(next_office(&c, L(2026, 3, 6, 20, 0)), L(2026, 3, 7, 9, 0));
	CHECK_INT(cal_is_office_day(&c, 2026, 3, 7), 1);
	CHECK_INT(cal_is_working_day(&c, 2026, 3, 7), 0);
	/* an office change-of-time day: Sunday 01:00-04:00 on 29 March is
	 * 2 h of real time */
	CHECK(cal_parse_hours(&c.hours, "dimanche 01:00-04:00", err,
	    sizeof(err)) == 0);
	CHECK(cal_office_seconds_between(&c, L(2026, 3, 29, 0, 0),
	    L(2026, 3, 30, 0, 0), &s) == 0);
	CHECK_INT(s, 2 * H);
	CHECK(cal_office_seconds_between(&c, L(2026, 10, 25, 0, 0),
	    L(2026, 10, 26, 0, 0), &s) == 0);
	CHECK_INT(s, 4 * H);
	/* hours that never open are refused */
	memset(&c.hours, 0, sizeof(c.hours));
	CHECK(cal_validate(&c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "aucun horaire") != NULL);
	CHECK(cal_next_office_time(&c, L(2026, 3, 2, 8, 0), &s) == -1);
	CHECK(cal_add_working_minutes(&c, L(2026, 3, 2, 8, 0), 1, &s) == -1);
	CHECK(cal_add_working_days(&c, L(2026, 3, 2, 8, 0), 1, &s) == -1);
	c.hours.day[0].n = 1;
	c.hours.day[0].iv[0].start = 600;
	c.hours.day[0].iv[0].end = 500;
	CHECK(cal_validate(&c, err, sizeof(err)) == -1);
}

static void
test_parse_hours(void)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "", "aucun horaire" },
		{ " ; ; ", "aucun horaire" },
		{ "samedi fermé", "aucun horaire" },
		{ "lundy 08:30-12:00", "jour inconnu « lundy »" },
		{ "vendredi-lundi 09:00-17:00", "jour inconnu" },
		{ "lundi 12:00-08:30", "horaire invalide « 12:00-08:30 »" },
		{ "lundi 08:30-12:00 11:00-13:00", "lundi : plages dans le" },
		{ "lundi 13:00-14:00 08:00-09:00", "lundi : plages dans le" },
		{ "lundi 08:30-12:00; lundi 13:00-14:00", "lundi indiqué deux" },
		{ "lun-mer 09:00-10:00; mardi 13:00-14:00", "mardi indiqué" },
		{ "lundi", "lundi : indiquer des plages" },
		{ "lundi fermé 09:00-10:00", "lundi : indiquer des plages" },
		{ "lundi 25:00-26:00", "horaire invalide" },
		{ "lundi 08:30-24:01", "horaire invalide" },
		{ "lundi 8:3-12:00", "horaire invalide" },
		{ "lundi 08:30", "horaire invalide" },
		{ "lundi 0830-1200", "horaire invalide" },
		{ "lundi 08:30-12:00-13:00", "horaire invalide" },
		{ "lundi 01:00-02:00 03:00-04:00 05:00-06:00 07:00-08:00 "
		    "09:00-10:00", "plus de 4 plages" },
		{ "lundi\n08:30-12:00", "jour inconnu « lundi?08:30-12:00 »" },
		{ "mercrediiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii 9:00-10:00",
		    "« mercrediiiiiiiiiiiiiiiiiiiiiiiii »" },
	};
	struct cal_hours h;
	char err[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(cal_parse_hours(&h, bad[i].text, err, sizeof(err)) == -1);
		if (!t_check(strstr(err, bad[i].err) != NULL, bad[i].text,
		    __FILE__, __LINE__))
			fprintf(stderr, "    got \"%s\"\n", err);
	}
	CHECK(cal_parse_hours(&h, "LUNDI 8:30-12:00 13h30-17h00 ;mar 00:00-24:00;"
	    " samedi fermé", err, sizeof(err)) == 0);
	CHECK_INT(h.day[0].n, 2);
	CHECK_INT(h.day[0].iv[0].start, 8 * 60 + 30);
	CHECK_INT(h.day[0].iv[1].end, 17 * 60);
	CHECK_INT(h.day[1].iv[0].end, 1440);
	CHECK_INT(h.day[5].n, 0);
	CHECK_INT(h.day[6].n, 0);
	CHECK(cal_parse_hours(&h, "lundi-vendredi 09:00-12:00, 14:00-17:00",
	    err, sizeof(err)) == 0);
	CHECK_INT(h.day[4].n, 2);
	CHECK_INT(h.day[4].iv[1].start, 14 * 60);
	/* a tiny error buffer is still terminated */
	CHECK(cal_parse_hours(&h, "lundy", err, 8) == -1);
	CHECK_INT((int)strlen(err), 7);
	CHECK(cal_parse_hours(&h, "lundy", NULL, 0) == -1);
}

static void
test_text(void)
{
	static const char *const bad[] = {
		"2026-02-29T00:00:00Z", "2026-03-02T24:00:00Z",
		"2026-03-02T10:60:00Z", "2026-03-02T10:00:60Z",
		"2026-03-02t10:00:00Z", "2026-03-02T10:00:00z",
		"2026-03-02T10:00:00", "2026-03-02T10:00:00.5Z",
		"2026-03-02 10:00:00Z", " 2026-03-02T10:00:00Z",
		"2026-03-02T10:00:00+0100", "2026-03-02T10:00:00+24:00",
		"2026-03-02T10:00:00+01:60", "2026-3-02T10:00:00Z",
		"0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01",
		"+026-03-02T10:00:00Z", "", "2026-03-02T10:00:00Z ",
	};
	char out[CAL_RFC3339_LEN];
	int64_t t, u;
	size_t i;
	int y, m, d;

	CHECK(cal_parse_rfc3339("2026-03-02T10:00:00+01:00", &t) == 0);
	CHECK(cal_parse_rfc3339("2026-03-02T09:00:00Z", &u) == 0);
	CHECK_INT(t, u);
	CHECK_INT(u, 1772442000LL);
	CHECK(cal_parse_rfc3339("2026-03-02T03:30:00-05:30", &t) == 0);
	CHECK_INT(t, u);
	CHECK(cal_parse_rfc3339("2024-02-29T23:59:59-00:00", &t) == 0);
	CHECK(cal_format_rfc3339_utc(out, t) == 0);
	CHECK_STR(out, "2024-02-29T23:59:59Z");
	CHECK(cal_format_rfc3339_utc(out, 0) == 0);
	CHECK_STR(out, "1970-01-01T00:00:00Z");
	CHECK(cal_format_rfc3339_utc(out, -1) == 0);
	CHECK_STR(out, "1969-12-31T23:59:59Z");
	CHECK(cal_format_rfc3339_utc(out, CAL_T_MAX) == 0);
	CHECK_STR(out, "9999-12-31T23:59:59Z");
	CHECK(cal_format_rfc3339_utc(out, CAL_T_MIN) == 0);
	CHECK_STR(out, "0001-01-01T00:00:00Z");
	CHECK(cal_format_rfc3339_utc(out, CAL_T_MAX + 1) == -1);
	CHECK_STR(out, "");
	CHECK(cal_parse_rfc3339("9999-12-31T23:59:59Z", &t) == 0);
	CHECK_INT(t, CAL_T_MAX);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		if (!t_check(cal_parse_rfc3339(bad[i], &t) == -1, bad[i],
		    __FILE__, __LINE__))
			fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
		CHECK_INT(t, 42);
	}

	CHECK(cal_parse_date("2024-02-29", &y, &m, &d) == 0);
	CHECK_INT(y * 10000 + m * 100 + d, 20240229);
	CHECK(cal_parse_date("2000-02-29", &y, &m, &d) == 0);
	CHECK(cal_parse_date("2023-02-29", &y, &m, &d) == -1);
	CHECK(cal_parse_date("1900-02-29", &y, &m, &d) == -1);
	CHECK(cal_parse_date("2024-04-31", &y, &m, &d) == -1);
	CHECK(cal_parse_date("2024-13-01", &y, &m, &d) == -1);
	CHECK(cal_parse_date("2024-00-10", &y, &m, &d) == -1);
	CHECK(cal_parse_date("2024-2-29", &y, &m, &d) == -1);
	CHECK(cal_parse_date("2024-02-29x", &y, &m, &d) == -1);
	CHECK(cal_parse_date("2024/02/29", &y, &m, &d) == -1);
	CHECK(cal_parse_date("0000-01-01", &y, &m, &d) == -1);
	CHECK(cal_parse_date("", &y, &m, &d) == -1);
	CHECK_INT(y * 10000 + m * 100 + d, 20000229);	/* untouched */
}

/* ---- the cross-check against tests/golden (python3-holidays, tzdata) ---- */

/* Set c to the golden file's zone; -1 if unknown. */
static int
zone_calendar(struct calendar *c, const char *zone)
{
	cal_init(c);
	if (strcmp(zone, "metropole") == 0)
		return 0;
	if (strcmp(zone, "solidarite") == 0) {
		c->whit_monday_worked = 1;
		return 0;
	}
	if (strcmp(zone, "alsace-moselle") == 0) {
		c->alsace_moselle = 1;
		return 0;
	}
	c->overseas_dept = (int)strtol(zone, NULL, 10);
	return cal_validate(c, NULL, 0);
}

/* "holiday ZONE YEAR D1 D2 ..." */
static int
golden_holiday(const char *zone, int year, const char *want)
{
	struct calendar c;
	char got[1024];
	size_t len = 0;
	int m, d;

	if (zone_calendar(&c, zone) == -1)
		return -1;
	got[0] = '\0';
	for (m = 1; m <= 12; m++)
		for (d = 1; d <= 31; d++)
			if (cal_valid_date(year, m, d) &&
			    cal_is_holiday(&c, year, m, d, NULL) == 1 &&
			    len + 12 < sizeof(got))
				len += (size_t)snprintf(got + len,
				    sizeof(got) - len, "%s%04d-%02d-%02d",
				    len ? " " : "", year, m, d);
	CHECK_STR(got, want);
	return 0;
}

/* "dst YEAR T1 OFF1 T2 OFF2": scan the year hour by hour as the python
 * side does, bisect each change to the second. */
static int
golden_dst(int year, const char *want)
{
	char got[256], ts[CAL_RFC3339_LEN];
	int64_t t, end, lo, hi, mid;
	size_t len = 0;

	got[0] = '\0';
	if (cal_paris_midnight(year, 1, 1, &t) == -1 ||
	    cal_paris_midnight(year + 1, 1, 1, &end) == -1)
		return -1;
	t += H;		/* 00:00Z */
	end += H;
	for (; t < end; t += H) {
		if (cal_paris_offset(t) == cal_paris_offset(t + H))
			continue;
		for (lo = t, hi = t + H; hi - lo > 1;) {
			mid = lo + (hi - lo) / 2;
			if (cal_paris_offset(mid) == cal_paris_offset(lo))
				lo = mid;
			else
				hi = mid;
		}
		cal_format_rfc3339_utc(ts, hi);
		if (len + 40 < sizeof(got))
			len += (size_t)snprintf(got + len, sizeof(got) - len,
			    "%s%s %d", len ? " " : "", ts,
			    cal_paris_offset(hi));
	}
	CHECK_STR(got, want);
	return 0;
}

/* "offset UTC OFF LOCAL" */
static int
golden_offset(const char *utc, int off, const char *local)
{
	struct cal_tm tm;
	char got[32];
	int64_t t;

	if (cal_parse_rfc3339(utc, &t) == -1 || cal_to_paris(t, &tm) == -1)
		return -1;
	CHECK_INT(cal_paris_offset(t), off);
	CHECK_INT(tm.utcoff, off);
	snprintf(got, sizeof(got), "%04d-%02d-%02dT%02d:%02d:%02d", tm.year,
	    tm.mon, tm.mday, tm.hour, tm.min, tm.sec);
	CHECK_STR(got, local);
	return 0;
}

/* "deadline ZONE START N DUE" */
static int
golden_deadline(const char *zone, const char *start, int n, const char *due)
{
	struct calendar c;
	int64_t s, want;

	if (zone_calendar(&c, zone) == -1 ||
	    cal_parse_rfc3339(start, &s) == -1 ||
	    cal_parse_rfc3339(due, &want) == -1)
		return -1;
	CHECK_T(add_days(&c, s, n), want);
	CHECK_INT(between(&c, s, want), n * D);
	return 0;
}

static void
test_golden(const char *path)
{
	FILE *fp;
	char line[2048], kind[16], a[64], b[64], c[64];
	int year, n, off, pos, rc;
	int nhol = 0, ndst = 0, noff = 0, ndue = 0, nbad = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		t_check(0, "golden file readable", __FILE__, __LINE__);
		perror(path);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		rc = -1;
		if (sscanf(line, "%15s", kind) != 1)
			;
		else if (strcmp(kind, "holiday") == 0 &&
		    sscanf(line, "holiday %63s %d %n", a, &year, &pos) == 2) {
			rc = golden_holiday(a, year, line + pos);
			nhol++;
		} else if (strcmp(kind, "dst") == 0 &&
		    sscanf(line, "dst %d %n", &year, &pos) == 1) {
			rc = golden_dst(year, line + pos);
			ndst++;
		} else if (strcmp(kind, "offset") == 0 &&
		    sscanf(line, "offset %63s %d %63s", a, &off, b) == 3) {
			rc = golden_offset(a, off, b);
			noff++;
		} else if (strcmp(kind, "deadline") == 0 &&
		    sscanf(line, "deadline %63s %63s %d %63s", a, b, &n,
		    c) == 4) {
			rc = golden_deadline(a, b, n, c);
			ndue++;
		}
		if (rc == -1) {
			nbad++;
			fprintf(stderr, "golden: bad line: %s\n", line);
		}
	}
	fclose(fp);
	CHECK_INT(nbad, 0);
	CHECK_INT(nhol, 8 * 12);	/* 8 zones x 2024..2035 */
	CHECK_INT(ndst, 12);
	CHECK(noff >= 12 * 40);
	CHECK(ndue >= 1000);
	printf("golden: %d holiday lists, %d years of changes of time, "
	    "%d offsets, %d deadlines\n", nhol, ndst, noff, ndue);
}

int
main(int argc, char **argv)
{
	test_easter();
	test_holidays();
	test_dst();
	test_roundtrip();
	test_deadlines();
	test_pause();
	test_office();
	test_parse_hours();
	test_text();
	test_golden(argc > 1 ? argv[1] : GOLDEN);
	test_format_paris();
	return t_done();
}
