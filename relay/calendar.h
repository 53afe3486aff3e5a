/*
 * calendar - French working time: Europe/Paris civil time, public holidays,
 * working days and office hours, and the arithmetic deadlines need.
 *
 * Pure: no I/O, no globals, no time(), no dependence on the process TZ or
 * on tzdata.  Every instant is an int64_t count of seconds since
 * 1970-01-01T00:00:00Z (leap seconds ignored, as POSIX does) and is passed
 * in by the caller.  Trusts its callers for nothing: dates, times, hours
 * texts and calendars are validated; out-of-range input gives -1.
 *
 * Europe/Paris is computed by the EU rule of directive 2000/84/EC, applied
 * to every year: CET (UTC+1), and CEST (UTC+2) from the last Sunday of March
 * 01:00 UTC to the last Sunday of October 01:00 UTC.  France has followed it
 * since 1996; earlier instants get the same rule, not the historical one.
 * Should the EU drop the change of time, cal_paris_offset() is the one
 * place to edit.  tests/calendar_check.py cross-checks it against tzdata.
 *
 * Two units of working time (docs/deadlines.md):
 *  - working days of 24 h (the default, Administration+'s reading of
 *    "72 h ouvrées"): the clock runs during whole local days, 00:00-24:00
 *    Europe/Paris, that are working days (Monday-Friday, minus public
 *    holidays and closures).  A day counts as 24 h of wall-clock time, so a
 *    deadline keeps the local time of its start ("remis vendredi 16:00 ->
 *    échéance mercredi 16:00") even across a change of time.  (In
 *    Europe/Paris the change falls on a Sunday, a day the clock is stopped.)
 *  - office time: real elapsed seconds inside the office hours (struct
 *    cal_hours, default Monday-Friday 09:00-17:00) of days that are neither
 *    public holidays nor closures.  Here the hours decide the weekdays: a
 *    structure open on Saturday morning counts its Saturday mornings.
 *
 * Local times that do not exist or exist twice (the hour of a change of
 * time) are read as RFC 5545 does: a time in the spring gap is read with
 * the offset in force before the gap (02:30 -> 03:30 CEST); a time in the
 * autumn overlap is its first occurrence (02:30 CEST).
 */
#ifndef FSRELAY_CALENDAR_H
#define FSRELAY_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define CAL_T_MIN	(-62135596800LL)	/* 0001-01-01T00:00:00Z */
#define CAL_T_MAX	253402300799LL		/* 9999-12-31T23:59:59Z */
#define CAL_DAY		86400			/* seconds of a working day */
#define CAL_MAX_INTERVALS 4		/* office intervals per weekday */
#define CAL_MAX_CLOSURES 128		/* extra closure dates */
#define CAL_MAX_DAYS	3660		/* bound on days added at once */
#define CAL_MAX_MINUTES	(3660LL * 1440)	/* bound on minutes added at once */
#define CAL_RFC3339_LEN	21		/* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/* A broken-down Europe/Paris local time. */
struct cal_tm {
	int	year;		/* 1..9999 */
	int	mon;		/* 1..12 */
	int	mday;		/* 1..31 */
	int	hour;		/* 0..23 */
	int	min;		/* 0..59 */
	int	sec;		/* 0..59 */
	int	wday;		/* 0 = Monday .. 6 = Sunday (output only) */
	int	utcoff;		/* 3600 or 7200 (output only) */
};

/* One office interval: [start, end) in minutes since local midnight,
 * 0 <= start < end <= 1440 (1440 is 24:00). */
struct cal_interval {
	int	start;
	int	end;
};

/* Office hours per weekday, 0 = Monday .. 6 = Sunday.  Within a day the
 * n intervals are ascending and do not overlap; n == 0: closed all day. */
struct cal_day_hours {
	int			n;
	struct cal_interval	iv[CAL_MAX_INTERVALS];
};

struct cal_hours {
	struct cal_day_hours	day[7];
};

struct cal_date {
	int	y;
	int	m;
	int	d;
};

/*
 * A working-time calendar: the structure's (or a partner's override).
 * Plain value; zero it with cal_init() and set fields directly.
 */
struct calendar {
	int		whit_monday_worked;	/* Lundi de Pentecôte worked
						 * (journée de solidarité) */
	int		alsace_moselle;		/* + Vendredi saint, 26 déc. */
	int		overseas_dept;		/* 0, or 971 972 973 974 976:
						 * + abolition de l'esclavage */
	size_t		nclosures;		/* extra closure days */
	struct cal_date	closures[CAL_MAX_CLOSURES];
	int		has_hours;		/* 0: Monday-Friday 09:00-17:00 */
	struct cal_hours hours;
};

/* Set c to the default calendar: metropolitan holidays, Whit Monday a
 * holiday, no closures, default office hours.  Cannot fail. */
void	 cal_init(struct calendar *c);

/* Check c's fields (département, closure dates, hours).  0 if valid; -1
 * with a French message in err (errlen bytes, always NUL-terminated when
 * errlen > 0) otherwise.  The computing functions below also refuse an
 * invalid calendar, without the message. */
int	 cal_validate(const struct calendar *c, char *err, size_t errlen);

/* Add the date y-m-d to c's closures.  0 on success; -1 if the date is
 * invalid or CAL_MAX_CLOSURES is reached (c unchanged).  Duplicates are
 * accepted and harmless. */
int	 cal_add_closure(struct calendar *c, int y, int m, int d);

/* Set h to Monday-Friday 09:00-17:00.  Cannot fail. */
void	 cal_hours_default(struct cal_hours *h);

/* ---- civil time ---- */

/* 1 if y-m-d is a valid Gregorian date with 1 <= y <= 9999, else 0. */
int	 cal_valid_date(int y, int m, int d);

/* Day of the week of a valid date, 0 = Monday .. 6 = Sunday; -1 if the
 * date is invalid. */
int	 cal_weekday(int y, int m, int d);

/* The UTC offset of Europe/Paris at t: 3600 (CET) or 7200 (CEST).  t is
 * clamped to [CAL_T_MIN, CAL_T_MAX] first, so any value is accepted. */
int	 cal_paris_offset(int64_t t);

/* Europe/Paris local time of t into *tm.  0 on success; -1 if t or the
 * local time falls outside years 1..9999 (*tm unspecified). */
int	 cal_to_paris(int64_t t, struct cal_tm *tm);

/* The instant of the Europe/Paris local time *tm (year..sec; wday and
 * utcoff ignored), with the gap/overlap rule above, into *t_r.  0 on
 * success; -1 if a field is out of range (*t_r unchanged). */
int	 cal_from_paris_local(const struct cal_tm *tm, int64_t *t_r);

/* ---- holidays and working days ---- */

/* Easter Sunday of year y (Gregorian, anonymous/Meeus-Jones-Butcher
 * algorithm).  0 on success; -1 if y is outside 1583..9999. */
int	 cal_easter(int y, int *m_r, int *d_r);

/* Is y-m-d a public holiday (jour férié chômé) under c?  1 with *name_r
 * (if name_r is not NULL) set to its French name, a static string; 0 if
 * not; -1 if the date is invalid (outside 1583..9999) or c invalid.  With
 * whit_monday_worked, Whit Monday is not a holiday.  Closures are not
 * holidays (see cal_is_closure). */
int	 cal_is_holiday(const struct calendar *c, int y, int m, int d,
	    const char **name_r);

/* 1 if y-m-d is one of c's closure dates, else 0. */
int	 cal_is_closure(const struct calendar *c, int y, int m, int d);

/* 1 if y-m-d is Monday-Friday and neither a holiday nor a closure; 0 if
 * not; -1 on an invalid date or calendar. */
int	 cal_is_working_day(const struct calendar *c, int y, int m, int d);

/* 1 if y-m-d is neither a holiday nor a closure and c's office hours (or
 * the default) open that weekday; 0 if not; -1 on an invalid date or
 * calendar. */
int	 cal_is_office_day(const struct calendar *c, int y, int m, int d);

/*
 * Parse opening hours as written in structures-hauts-de-seine.csv:
 *   "lundi 08:30-12:00 13:30-17:00; mardi 08:30-12:00; ..."
 * Clauses are separated by ';'.  Each names a day (lundi .. dimanche, or
 * lun mar mer jeu ven sam dim, any ASCII case) or a range of days
 * ("lundi-vendredi", Monday-first order), then 1..CAL_MAX_INTERVALS
 * intervals H:MM-HH:MM (end up to 24:00), ascending and not overlapping,
 * or the word "fermé".  A day given twice is an error; days not given are
 * closed; at least one interval is required overall.  0 on success with *h
 * filled; -1 with a French message in err (h unspecified).
 */
int	 cal_parse_hours(struct cal_hours *h, const char *text, char *err,
	    size_t errlen);

/* ---- working time, unit 1: working days of 24 h ---- */

/*
 * The deadline n working days of 24 h after start: the earliest instant at
 * which n * 24 h of working time have elapsed.  A start inside a non-working
 * day starts at the next working day's 00:00.  Friday 16:00 + 3 -> Wednesday
 * 16:00; Saturday + 3 -> Thursday 00:00 (Wednesday 24:00); n == 0 -> start.
 * 0 with *due_r set; -1 if n is outside 0..CAL_MAX_DAYS, start or the
 * result outside [CAL_T_MIN, CAL_T_MAX], or c invalid.
 */
int	 cal_add_working_days(const struct calendar *c, int64_t start, int n,
	    int64_t *due_r);

/* Same with a length in seconds of working time (0..CAL_MAX_DAYS * 24 h):
 * shifts a deadline by the working time a pause lasted. */
int	 cal_add_working_seconds(const struct calendar *c, int64_t start,
	    int64_t secs, int64_t *due_r);

/* Working time, in seconds of the 24-h-day unit, between a and b (0 if
 * b <= a): cal_add_working_seconds(c, a, result) gives back b, or the
 * earliest instant with as much working time as b (Friday 24:00 for a b on
 * Monday 00:00 or during the weekend).  Cost: one step per day between a
 * and b.  0 with *secs_r set; -1 if a or b is out of range (years
 * 1583..9999) or c invalid. */
int	 cal_working_seconds_between(const struct calendar *c, int64_t a,
	    int64_t b, int64_t *secs_r);

/* ---- working time, unit 2: office time ---- */

/* The earliest instant at which `minutes` of office time have elapsed since
 * start (minutes in 0..CAL_MAX_MINUTES; 0 -> start).  An amount that ends
 * exactly at the close of an interval gives that close (12:00, not the
 * next 13:30).  0 with *due_r set; -1 on bad input, invalid c or a result
 * past CAL_T_MAX. */
int	 cal_add_working_minutes(const struct calendar *c, int64_t start,
	    int64_t minutes, int64_t *due_r);

/* Office time in seconds between a and b (0 if b <= a).  0 with *secs_r
 * set; -1 on bad input or invalid c. */
int	 cal_office_seconds_between(const struct calendar *c, int64_t a,
	    int64_t b, int64_t *secs_r);

/* The earliest instant >= t inside office hours on an office day (for
 * "send reminders only within office hours"): Friday 20:00 -> Monday 09:00
 * by default.  0 with *t_r set; -1 on bad input or invalid c. */
int	 cal_next_office_time(const struct calendar *c, int64_t t,
	    int64_t *t_r);

/* ---- text forms ---- */

/* Write t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out.  0 on success; -1 if t
 * is outside [CAL_T_MIN, CAL_T_MAX] (out set to ""). */
int	 cal_format_rfc3339_utc(char out[CAL_RFC3339_LEN], int64_t t);

/* Time shown to people (issue 14): Europe/Paris local time with its offset,
 * "YYYY-MM-DD HH:MM (+01:00)" or "(+02:00)"; JSON output stays UTC
 * (cal_format_rfc3339_utc).  0, or -1 (out = "") out of range. */
#define CAL_PARIS_LEN	26		/* "YYYY-MM-DD HH:MM (+HH:MM)" + NUL */
int	 cal_format_paris(char out[CAL_PARIS_LEN], int64_t t);

/* Parse an RFC 3339 date-time, strictly: "YYYY-MM-DDTHH:MM:SS" then "Z" or
 * "+HH:MM"/"-HH:MM" (upper-case T and Z; no fraction, no leap second, no
 * surrounding space; offsets up to 23:59).  0 with *t_r set; -1 otherwise
 * (*t_r unchanged). */
int	 cal_parse_rfc3339(const char *s, int64_t *t_r);

/* Parse "YYYY-MM-DD" (year 0001..9999, real Gregorian date, leap years
 * checked), nothing else.  0 on success; -1 otherwise (outputs unchanged). */
int	 cal_parse_date(const char *s, int *y, int *m, int *d);

/* The instant of 00:00 Europe/Paris on y-m-d (the start of the agent's
 * clock for a --sollicite-le date).  0 with *t_r set; -1 on an invalid
 * date. */
int	 cal_paris_midnight(int y, int m, int d, int64_t *t_r);

#endif
