/*
 * calendar - French working time (see calendar.h): Europe/Paris by the EU
 * rule, public holidays for any Gregorian year, working days, office hours
 * and the deadline arithmetic built on them.
 *
 * Trusts nothing it is given: dates, instants, hours texts and calendars
 * are range-checked before use, and every loop over days is bounded by the
 * supported range (years up to 9999).  Pure: no I/O, no globals, no clock.
 *
 * Internally a date is a day number z (days since 1970-01-01, proleptic
 * Gregorian, Howard Hinnant's days_from_civil/civil_from_days), and a local
 * time is (z, seconds since local midnight).
 */
#include "relay/calendar.h"

#include "relay/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CAL_CET		3600
#define CAL_CEST	7200
#define CAL_MIN_YEAR	1583	/* first full Gregorian year (holidays) */
#define CAL_MAX_YEAR	9999
#define CAL_MAX_GAP	400	/* non-working days in a row: never more */
#define CAL_TOKEN_SHOW	32	/* bytes of a bad token quoted in errors */

static const char *const cal_day_names[7] = {
	"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"
};

struct cal_fixed {
	int		 m;
	int		 d;
	const char	*name;
};

static const struct cal_fixed cal_fixed_holidays[] = {
	{ 1, 1, "Jour de l'an" },
	{ 5, 1, "Fête du Travail" },
	{ 5, 8, "Victoire 1945" },
	{ 7, 14, "Fête nationale" },
	{ 8, 15, "Assomption" },
	{ 11, 1, "Toussaint" },
	{ 11, 11, "Armistice 1918" },
	{ 12, 25, "Noël" },
};

struct cal_overseas {
	int	dept;
	int	m;
	int	d;
};

/* Abolition of slavery (loi 83-550, décret 83-1003 as amended). */
static const struct cal_overseas cal_overseas_days[] = {
	{ 971, 5, 27 },		/* Guadeloupe */
	{ 972, 5, 22 },		/* Martinique */
	{ 973, 6, 10 },		/* Guyane */
	{ 974, 12, 20 },	/* La Réunion */
	{ 976, 4, 27 },		/* Mayotte */
};

static int64_t	cal_floordiv(int64_t, int64_t);
static int64_t	cal_days_from_civil(int64_t, int, int);
static void	cal_civil_from_days(int64_t, int *, int *, int *);
static int	cal_wday(int64_t);
static int	cal_month_days(int, int);
static void	cal_utc_to_local(int64_t, int64_t *, int64_t *);
static int64_t	cal_local_to_utc(int64_t, int64_t);
static int	cal_in_range(int64_t);
static int	cal_hours_check(const struct cal_hours *, char *, size_t);
static const struct cal_hours *cal_hours_of(const struct calendar *,
		    struct cal_hours *);
static int	cal_holiday_z(const struct calendar *, int64_t, const char **);
static int	cal_working_z(const struct calendar *, int64_t);
static int	cal_office_z(const struct calendar *, const struct cal_hours *,
		    int64_t);
static int	cal_next_working_z(const struct calendar *, int64_t,
		    int64_t *);
static void	cal_interval_utc(int64_t, const struct cal_interval *,
		    int64_t *, int64_t *);
static int	cal_digits(const char *, int);
static void	cal_put_digits(char *, int, int);
static void	cal_show(char *, size_t, const char *, size_t);
static int	cal_day_lookup(const char *, size_t);
static int	cal_parse_hhmm(const char *, size_t, int *);
static int	cal_parse_interval(const char *, size_t, struct cal_interval *);
static int	cal_parse_clause(struct cal_hours *, int *, const char *,
		    size_t, char *, size_t);

/* ---- arithmetic on days ---- */

/* Floor division for b > 0. */
static int64_t
cal_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/* Days since 1970-01-01 of y-m-d (Hinnant's days_from_civil).  The caller
 * keeps |y| small enough (well under 2^40) for int64_t. */
static int64_t
cal_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = cal_floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of cal_days_from_civil (Hinnant's civil_from_days); z must keep
 * the year within int (the callers clamp to the supported range). */
static void
cal_civil_from_days(int64_t z, int *y_r, int *m_r, int *d_r)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = cal_floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(y + (*m_r <= 2));
}

/* Weekday of day number z, 0 = Monday (1970-01-01 was a Thursday). */
static int
cal_wday(int64_t z)
{
	return (int)(z + 3 - cal_floordiv(z + 3, 7) * 7);
}

static int
cal_month_days(int y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : len[m - 1];
}

int
cal_valid_date(int y, int m, int d)
{
	if (y < 1 || y > CAL_MAX_YEAR || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= cal_month_days(y, m);
}

int
cal_weekday(int y, int m, int d)
{
	if (!cal_valid_date(y, m, d))
		return -1;
	return cal_wday(cal_days_from_civil(y, m, d));
}

static int
cal_in_range(int64_t t)
{
	return t >= CAL_T_MIN && t <= CAL_T_MAX;
}

/* ---- Europe/Paris ---- */

int
cal_paris_offset(int64_t t)
{
	int64_t z, mar, oct, start, end;
	int y, m, d;

	if (t < CAL_T_MIN)
		t = CAL_T_MIN;
	if (t > CAL_T_MAX)
		t = CAL_T_MAX;
	z = cal_floordiv(t, CAL_DAY);
	cal_civil_from_days(z, &y, &m, &d);
	/* Last Sunday (weekday 6) of March and of October. */
	mar = cal_days_from_civil(y, 3, 31);
	mar -= (cal_wday(mar) + 1) % 7;
	oct = cal_days_from_civil(y, 10, 31);
	oct -= (cal_wday(oct) + 1) % 7;
	start = mar * CAL_DAY + 3600;
	end = oct * CAL_DAY + 3600;
	return t >= start && t < end ? CAL_CEST : CAL_CET;
}

/* Local day number and seconds since local midnight of t (in range). */
static void
cal_utc_to_local(int64_t t, int64_t *z_r, int64_t *s_r)
{
	int64_t local = t + cal_paris_offset(t);

	*z_r = cal_floordiv(local, CAL_DAY);
	*s_r = local - *z_r * CAL_DAY;
}

/*
 * The instant of local time (z, s), 0 <= s <= 24 h.  If it can be CEST it
 * is (an overlap time is read as its first occurrence, which is CEST);
 * otherwise CET, which also reads a gap time with the offset before the
 * gap (02:30 -> 01:30Z = 03:30 CEST).
 */
static int64_t
cal_local_to_utc(int64_t z, int64_t s)
{
	int64_t local = z * CAL_DAY + s;

	if (cal_paris_offset(local - CAL_CEST) == CAL_CEST)
		return local - CAL_CEST;
	return local - CAL_CET;
}

int
cal_to_paris(int64_t t, struct cal_tm *tm)
{
	int64_t z, s;

	if (!cal_in_range(t))
		return -1;
	cal_utc_to_local(t, &z, &s);
	cal_civil_from_days(z, &tm->year, &tm->mon, &tm->mday);
	if (tm->year < 1 || tm->year > CAL_MAX_YEAR)
		return -1;
	tm->hour = (int)(s / 3600);
	tm->min = (int)(s / 60 % 60);
	tm->sec = (int)(s % 60);
	tm->wday = cal_wday(z);
	tm->utcoff = cal_paris_offset(t);
	return 0;
}

int
cal_from_paris_local(const struct cal_tm *tm, int64_t *t_r)
{
	int64_t t;

	if (!cal_valid_date(tm->year, tm->mon, tm->mday) ||
	    tm->hour < 0 || tm->hour > 23 || tm->min < 0 || tm->min > 59 ||
	    tm->sec < 0 || tm->sec > 59)
		return -1;
	t = cal_local_to_utc(cal_days_from_civil(tm->year, tm->mon, tm->mday),
	    tm->hour * 3600 + tm->min * 60 + tm->sec);
	if (!cal_in_range(t))
		return -1;
	*t_r = t;
	return 0;
}

int
cal_paris_midnight(int y, int m, int d, int64_t *t_r)
{
	struct cal_tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.year = y;
	tm.mon = m;
	tm.mday = d;
	return cal_from_paris_local(&tm, t_r);
}

/* ---- calendars ---- */

void
cal_hours_default(struct cal_hours *h)
{
	int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < 5; i++) {
		h->day[i].n = 1;
		h->day[i].iv[0].start = 9 * 60;
		h->day[i].iv[0].end = 17 * 60;
	}
}

void
cal_init(struct calendar *c)
{
	memset(c, 0, sizeof(*c));
	cal_hours_default(&c->hours);
}


/* Check the invariants of struct cal_hours; 0 or -1 with a message. */
static int
cal_hours_check(const struct cal_hours *h, char *err, size_t errlen)
{
	const struct cal_day_hours *dh;
	int i, j, total = 0;

	for (i = 0; i < 7; i++) {
		dh = &h->day[i];
		if (dh->n < 0 || dh->n > CAL_MAX_INTERVALS) {
			fs_seterr(err, errlen, "%s : nombre de plages invalide",
			    cal_day_names[i]);
			return -1;
		}
		for (j = 0; j < dh->n; j++) {
			if (dh->iv[j].start < 0 || dh->iv[j].end > 1440 ||
			    dh->iv[j].start >= dh->iv[j].end ||
			    (j > 0 && dh->iv[j].start < dh->iv[j - 1].end)) {
				fs_seterr(err, errlen, "%s : plages invalides, "
				    "dans le désordre ou qui se chevauchent",
				    cal_day_names[i]);
				return -1;
			}
		}
		total += dh->n;
	}
	if (total == 0) {
		fs_seterr(err, errlen, "aucun horaire d'ouverture");
		return -1;
	}
	return 0;
}

int
cal_validate(const struct calendar *c, char *err, size_t errlen)
{
	size_t i;
	int ok = c->overseas_dept == 0;

	for (i = 0; i < FS_ARRAY_LEN(cal_overseas_days); i++)
		if (c->overseas_dept == cal_overseas_days[i].dept)
			ok = 1;
	if (!ok) {
		fs_seterr(err, errlen, "département d'outre-mer inconnu : %d "
		    "(attendu 971, 972, 973, 974 ou 976)", c->overseas_dept);
		return -1;
	}
	if (c->nclosures > CAL_MAX_CLOSURES) {
		fs_seterr(err, errlen, "trop de jours de fermeture (au plus %d)",
		    CAL_MAX_CLOSURES);
		return -1;
	}
	for (i = 0; i < c->nclosures; i++) {
		if (!cal_valid_date(c->closures[i].y, c->closures[i].m,
		    c->closures[i].d)) {
			fs_seterr(err, errlen, "jour de fermeture invalide "
			    "(n° %zu)", i + 1);
			return -1;
		}
	}
	if (c->has_hours && cal_hours_check(&c->hours, err, errlen) == -1)
		return -1;
	return 0;
}

int
cal_add_closure(struct calendar *c, int y, int m, int d)
{
	if (!cal_valid_date(y, m, d) || c->nclosures >= CAL_MAX_CLOSURES)
		return -1;
	c->closures[c->nclosures].y = y;
	c->closures[c->nclosures].m = m;
	c->closures[c->nclosures].d = d;
	c->nclosures++;
	return 0;
}

/* The office hours in force: c's own, or the default written into tmp. */
static const struct cal_hours *
cal_hours_of(const struct calendar *c, struct cal_hours *tmp)
{
	if (c->has_hours)
		return &c->hours;
	cal_hours_default(tmp);
	return tmp;
}

/* ---- holidays ---- */

int
cal_easter(int y, int *m_r, int *d_r)
{
	int a, b, c, d, e, f, g, h, i, k, l, m, n;

	if (y < CAL_MIN_YEAR || y > CAL_MAX_YEAR)
		return -1;
	a = y % 19;
	b = y / 100;
	c = y % 100;
	d = b / 4;
	e = b % 4;
	f = (b + 8) / 25;
	g = (b - f + 1) / 3;
	h = (19 * a + b - d - g + 15) % 30;
	i = c / 4;
	k = c % 4;
	l = (32 + 2 * e + 2 * i - h - k) % 7;
	m = (a + 11 * h + 22 * l) / 451;
	n = h + l - 7 * m + 114;
	*m_r = n / 31;
	*d_r = n % 31 + 1;
	return 0;
}

/* Holiday test on a day number; c is valid.  1/0, or -1 if the year is
 * outside CAL_MIN_YEAR..CAL_MAX_YEAR. */
static int
cal_holiday_z(const struct calendar *c, int64_t z, const char **name_r)
{
	const char *name = NULL;
	int64_t ez;
	int y, m, d, em, ed;
	size_t i;

	cal_civil_from_days(z, &y, &m, &d);
	if (cal_easter(y, &em, &ed) == -1)
		return -1;
	for (i = 0; i < FS_ARRAY_LEN(cal_fixed_holidays); i++)
		if (m == cal_fixed_holidays[i].m &&
		    d == cal_fixed_holidays[i].d)
			name = cal_fixed_holidays[i].name;
	ez = cal_days_from_civil(y, em, ed);
	if (z == ez + 1)
		name = "Lundi de Pâques";
	else if (z == ez + 39)
		name = "Ascension";
	else if (z == ez + 50 && !c->whit_monday_worked)
		name = "Lundi de Pentecôte";
	if (c->alsace_moselle && z == ez - 2)
		name = "Vendredi saint";
	if (c->alsace_moselle && m == 12 && d == 26)
		name = "Saint-Étienne";
	for (i = 0; i < FS_ARRAY_LEN(cal_overseas_days); i++)
		if (c->overseas_dept == cal_overseas_days[i].dept &&
		    m == cal_overseas_days[i].m && d == cal_overseas_days[i].d)
			name = "Abolition de l'esclavage";
	if (name == NULL)
		return 0;
	if (name_r != NULL)
		*name_r = name;
	return 1;
}

int
cal_is_holiday(const struct calendar *c, int y, int m, int d,
    const char **name_r)
{
	if (!cal_valid_date(y, m, d) || cal_validate(c, NULL, 0) == -1)
		return -1;
	return cal_holiday_z(c, cal_days_from_civil(y, m, d), name_r);
}

int
cal_is_closure(const struct calendar *c, int y, int m, int d)
{
	size_t i, n = c->nclosures;

	if (n > CAL_MAX_CLOSURES)
		n = CAL_MAX_CLOSURES;
	for (i = 0; i < n; i++)
		if (c->closures[i].y == y && c->closures[i].m == m &&
		    c->closures[i].d == d)
			return 1;
	return 0;
}

/* Working-day test on a day number; c is valid.  1/0/-1 (year range). */
static int
cal_working_z(const struct calendar *c, int64_t z)
{
	int y, m, d, h;

	if (cal_wday(z) >= 5)
		return 0;
	if ((h = cal_holiday_z(c, z, NULL)) != 0)
		return h == 1 ? 0 : -1;
	cal_civil_from_days(z, &y, &m, &d);
	return !cal_is_closure(c, y, m, d);
}

/* Office-day test on a day number with hours h; c is valid.  1/0/-1. */
static int
cal_office_z(const struct calendar *c, const struct cal_hours *h, int64_t z)
{
	int y, m, d, hol;

	if (h->day[cal_wday(z)].n == 0)
		return 0;
	if ((hol = cal_holiday_z(c, z, NULL)) != 0)
		return hol == 1 ? 0 : -1;
	cal_civil_from_days(z, &y, &m, &d);
	return !cal_is_closure(c, y, m, d);
}

int
cal_is_working_day(const struct calendar *c, int y, int m, int d)
{
	if (!cal_valid_date(y, m, d) || cal_validate(c, NULL, 0) == -1)
		return -1;
	return cal_working_z(c, cal_days_from_civil(y, m, d));
}

int
cal_is_office_day(const struct calendar *c, int y, int m, int d)
{
	struct cal_hours tmp;

	if (!cal_valid_date(y, m, d) || cal_validate(c, NULL, 0) == -1)
		return -1;
	return cal_office_z(c, cal_hours_of(c, &tmp),
	    cal_days_from_civil(y, m, d));
}

/* The first working day after z into *z_r.  0, or -1 past the supported
 * years (or, impossibly, after CAL_MAX_GAP days without one). */
static int
cal_next_working_z(const struct calendar *c, int64_t z, int64_t *z_r)
{
	int i, w;

	for (i = 0; i < CAL_MAX_GAP; i++) {
		z++;
		if ((w = cal_working_z(c, z)) == -1)
			return -1;
		if (w) {
			*z_r = z;
			return 0;
		}
	}
	return -1;
}

/* ---- unit 1: working days of 24 h ---- */

int
cal_add_working_seconds(const struct calendar *c, int64_t start,
    int64_t secs, int64_t *due_r)
{
	int64_t z, s, avail, due;
	int w;

	if (secs < 0 || secs > (int64_t)CAL_MAX_DAYS * CAL_DAY ||
	    !cal_in_range(start) || cal_validate(c, NULL, 0) == -1)
		return -1;
	if (secs == 0) {
		*due_r = start;
		return 0;
	}
	cal_utc_to_local(start, &z, &s);
	if ((w = cal_working_z(c, z)) == -1)
		return -1;
	if (!w) {
		if (cal_next_working_z(c, z, &z) == -1)
			return -1;
		s = 0;
	}
	for (;;) {
		avail = CAL_DAY - s;
		if (secs <= avail)
			break;
		secs -= avail;
		if (cal_next_working_z(c, z, &z) == -1)
			return -1;
		s = 0;
	}
	due = cal_local_to_utc(z, s + secs);
	if (!cal_in_range(due))
		return -1;
	*due_r = due;
	return 0;
}

int
cal_add_working_days(const struct calendar *c, int64_t start, int n,
    int64_t *due_r)
{
	if (n < 0 || n > CAL_MAX_DAYS)
		return -1;
	return cal_add_working_seconds(c, start, (int64_t)n * CAL_DAY, due_r);
}

int
cal_working_seconds_between(const struct calendar *c, int64_t a, int64_t b,
    int64_t *secs_r)
{
	int64_t za, sa, zb, sb, z, total = 0;
	int w;

	if (!cal_in_range(a) || !cal_in_range(b) ||
	    cal_validate(c, NULL, 0) == -1)
		return -1;
	if (b <= a) {
		*secs_r = 0;
		return 0;
	}
	cal_utc_to_local(a, &za, &sa);
	cal_utc_to_local(b, &zb, &sb);
	for (z = za; z <= zb; z++) {
		if ((w = cal_working_z(c, z)) == -1)
			return -1;
		if (!w)
			continue;
		total += (z == zb ? sb : CAL_DAY) - (z == za ? sa : 0);
	}
	/* A wall-clock step back inside one day (never on a weekday in
	 * Europe/Paris) must not count negative time. */
	*secs_r = total > 0 ? total : 0;
	return 0;
}

/* ---- unit 2: office time ---- */

/* The instants where interval iv of local day z opens and closes. */
static void
cal_interval_utc(int64_t z, const struct cal_interval *iv, int64_t *u0_r,
    int64_t *u1_r)
{
	*u0_r = cal_local_to_utc(z, (int64_t)iv->start * 60);
	*u1_r = cal_local_to_utc(z, (int64_t)iv->end * 60);
}

int
cal_add_working_minutes(const struct calendar *c, int64_t start,
    int64_t minutes, int64_t *due_r)
{
	const struct cal_hours *h;
	struct cal_hours tmp;
	const struct cal_day_hours *dh;
	int64_t z, s, u0, u1, from, rest;
	int i, o;

	if (minutes < 0 || minutes > CAL_MAX_MINUTES || !cal_in_range(start) ||
	    cal_validate(c, NULL, 0) == -1)
		return -1;
	if (minutes == 0) {
		*due_r = start;
		return 0;
	}
	h = cal_hours_of(c, &tmp);
	rest = minutes * 60;
	cal_utc_to_local(start, &z, &s);
	for (;; z++) {
		if ((o = cal_office_z(c, h, z)) == -1)
			return -1;
		if (!o)
			continue;
		dh = &h->day[cal_wday(z)];
		for (i = 0; i < dh->n; i++) {
			cal_interval_utc(z, &dh->iv[i], &u0, &u1);
			if (u1 <= start)
				continue;
			from = u0 > start ? u0 : start;
			if (rest <= u1 - from) {
				if (!cal_in_range(from + rest))
					return -1;
				*due_r = from + rest;
				return 0;
			}
			rest -= u1 - from;
		}
	}
}

int
cal_office_seconds_between(const struct calendar *c, int64_t a, int64_t b,
    int64_t *secs_r)
{
	const struct cal_hours *h;
	struct cal_hours tmp;
	const struct cal_day_hours *dh;
	int64_t za, zb, z, s, u0, u1, total = 0;
	int i, o;

	if (!cal_in_range(a) || !cal_in_range(b) ||
	    cal_validate(c, NULL, 0) == -1)
		return -1;
	h = cal_hours_of(c, &tmp);
	cal_utc_to_local(a, &za, &s);
	cal_utc_to_local(b, &zb, &s);
	for (z = za; b > a && z <= zb; z++) {
		if ((o = cal_office_z(c, h, z)) == -1)
			return -1;
		if (!o)
			continue;
		dh = &h->day[cal_wday(z)];
		for (i = 0; i < dh->n; i++) {
			cal_interval_utc(z, &dh->iv[i], &u0, &u1);
			if (u0 < a)
				u0 = a;
			if (u1 > b)
				u1 = b;
			if (u1 > u0)
				total += u1 - u0;
		}
	}
	*secs_r = total;
	return 0;
}

int
cal_next_office_time(const struct calendar *c, int64_t t, int64_t *t_r)
{
	const struct cal_hours *h;
	struct cal_hours tmp;
	const struct cal_day_hours *dh;
	int64_t z, s, u0, u1;
	int i, o;

	if (!cal_in_range(t) || cal_validate(c, NULL, 0) == -1)
		return -1;
	h = cal_hours_of(c, &tmp);
	cal_utc_to_local(t, &z, &s);
	for (;; z++) {
		if ((o = cal_office_z(c, h, z)) == -1)
			return -1;
		if (!o)
			continue;
		dh = &h->day[cal_wday(z)];
		for (i = 0; i < dh->n; i++) {
			cal_interval_utc(z, &dh->iv[i], &u0, &u1);
			if (u1 > t) {
				*t_r = u0 > t ? u0 : t;
				return 0;
			}
		}
	}
}

/* ---- text forms ---- */

/* The n decimal digits at s as a number, or -1 if one is not a digit. */
static int
cal_digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Write v (>= 0) as exactly n digits at out. */
static void
cal_put_digits(char *out, int v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
cal_format_rfc3339_utc(char out[CAL_RFC3339_LEN], int64_t t)
{
	int64_t z, s;
	int y, m, d;

	out[0] = '\0';
	if (!cal_in_range(t))
		return -1;
	z = cal_floordiv(t, CAL_DAY);
	s = t - z * CAL_DAY;
	cal_civil_from_days(z, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00Z", CAL_RFC3339_LEN);
	cal_put_digits(out, y, 4);
	cal_put_digits(out + 5, m, 2);
	cal_put_digits(out + 8, d, 2);
	cal_put_digits(out + 11, (int)(s / 3600), 2);
	cal_put_digits(out + 14, (int)(s / 60 % 60), 2);
	cal_put_digits(out + 17, (int)(s % 60), 2);
	return 0;
}

int
cal_format_paris(char out[CAL_PARIS_LEN], int64_t t)
{
	struct cal_tm tm;

	out[0] = '\0';
	if (cal_to_paris(t, &tm) < 0)
		return -1;
	memcpy(out, "0000-00-00 00:00 (+00:00)", CAL_PARIS_LEN);
	cal_put_digits(out, tm.year, 4);
	cal_put_digits(out + 5, tm.mon, 2);
	cal_put_digits(out + 8, tm.mday, 2);
	cal_put_digits(out + 11, tm.hour, 2);
	cal_put_digits(out + 14, tm.min, 2);
	cal_put_digits(out + 19, tm.utcoff / 3600, 2);
	return 0;
}

int
cal_parse_date(const char *s, int *y, int *m, int *d)
{
	int yy, mm, dd;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	yy = cal_digits(s, 4);
	mm = cal_digits(s + 5, 2);
	dd = cal_digits(s + 8, 2);
	if (yy < 0 || mm < 0 || dd < 0 || !cal_valid_date(yy, mm, dd))
		return -1;
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
}

int
cal_parse_rfc3339(const char *s, int64_t *t_r)
{
	char date[11];
	size_t len = strlen(s);
	int y, m, d, hh, mi, ss, oh, om, off = 0;
	int64_t t;

	if (len != 20 && len != 25)
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (cal_parse_date(date, &y, &m, &d) == -1 || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	hh = cal_digits(s + 11, 2);
	mi = cal_digits(s + 14, 2);
	ss = cal_digits(s + 17, 2);
	if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
		return -1;
	if (len == 20 && s[19] != 'Z')
		return -1;
	if (len == 25) {
		if ((s[19] != '+' && s[19] != '-') || s[22] != ':')
			return -1;
		oh = cal_digits(s + 20, 2);
		om = cal_digits(s + 23, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (s[19] == '-' ? -1 : 1);
	}
	t = cal_days_from_civil(y, m, d) * CAL_DAY + hh * 3600 + mi * 60 + ss -
	    off;
	if (!cal_in_range(t))
		return -1;
	*t_r = t;
	return 0;
}

/* ---- opening hours ---- */

/* Quote at most CAL_TOKEN_SHOW bytes of the token (p, n) into out,
 * control bytes replaced by '?', never cutting a UTF-8 sequence. */
static void
cal_show(char *out, size_t outlen, const char *p, size_t n)
{
	size_t i, k = 0;

	if (n > CAL_TOKEN_SHOW) {
		n = CAL_TOKEN_SHOW;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n && k + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)p[i];

		out[k++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[k] = '\0';
}

/* The weekday named by (p, n): full French name or its first three
 * letters, ASCII case-insensitive; -1 if none. */
static int
cal_day_lookup(const char *p, size_t n)
{
	char low[9];
	size_t i;
	int d;

	if (n < 3 || n >= sizeof(low))
		return -1;
	for (i = 0; i < n; i++)
		low[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' :
		    p[i]);
	low[n] = '\0';
	for (d = 0; d < 7; d++)
		if (strcmp(low, cal_day_names[d]) == 0 ||
		    (n == 3 && strncmp(low, cal_day_names[d], 3) == 0))
			return d;
	return -1;
}

/* "H:MM", "HH:MM" (or with 'h' for ':') at (p, n) into minutes, up to
 * 24:00.  0 or -1. */
static int
cal_parse_hhmm(const char *p, size_t n, int *min_r)
{
	int hh, mm;

	if (n != 4 && n != 5)
		return -1;
	if (p[n - 3] != ':' && p[n - 3] != 'h')
		return -1;
	hh = cal_digits(p, (int)n - 3);
	mm = cal_digits(p + n - 2, 2);
	if (hh < 0 || mm < 0 || mm > 59 || hh * 60 + mm > 1440)
		return -1;
	*min_r = hh * 60 + mm;
	return 0;
}

/* "HH:MM-HH:MM" at (p, n) into *iv, start before end.  0 or -1. */
static int
cal_parse_interval(const char *p, size_t n, struct cal_interval *iv)
{
	const char *dash = memchr(p, '-', n);

	if (dash == NULL ||
	    cal_parse_hhmm(p, (size_t)(dash - p), &iv->start) == -1 ||
	    cal_parse_hhmm(dash + 1, n - (size_t)(dash - p) - 1, &iv->end) == -1)
		return -1;
	return iv->start < iv->end ? 0 : -1;
}

/* Token boundaries inside a clause: spaces, tabs and commas. */
#define CAL_IS_SEP(ch)	((ch) == ' ' || (ch) == '\t' || (ch) == ',')

/*
 * One clause (p, n) of an hours text: day or day range, then intervals or
 * "fermé".  seen[] marks days already given.  An empty clause is fine.
 * 0, or -1 with a message.
 */
static int
cal_parse_clause(struct cal_hours *h, int *seen, const char *p, size_t n,
    char *err, size_t errlen)
{
	struct cal_day_hours dh;
	char show[CAL_TOKEN_SHOW * 2 + 1];
	const char *end = p + n, *tok, *dash;
	size_t len;
	int from, to, d, closed = 0;

	memset(&dh, 0, sizeof(dh));
	while (p < end && CAL_IS_SEP(*p))
		p++;
	if (p == end)
		return 0;
	for (tok = p; p < end && !CAL_IS_SEP(*p); p++)
		;
	len = (size_t)(p - tok);
	dash = memchr(tok, '-', len);
	if (dash == NULL)
		from = to = cal_day_lookup(tok, len);
	else {
		from = cal_day_lookup(tok, (size_t)(dash - tok));
		to = cal_day_lookup(dash + 1, len - (size_t)(dash - tok) - 1);
	}
	if (from == -1 || to == -1 || from > to) {
		cal_show(show, sizeof(show), tok, len);
		fs_seterr(err, errlen, "jour inconnu « %s » (attendu lundi … "
		    "dimanche, ou un intervalle comme lundi-vendredi)", show);
		return -1;
	}
	for (;;) {
		while (p < end && CAL_IS_SEP(*p))
			p++;
		if (p == end)
			break;
		for (tok = p; p < end && !CAL_IS_SEP(*p); p++)
			;
		len = (size_t)(p - tok);
		if ((len == 6 && strncmp(tok, "fermé", 6) == 0) ||
		    (len == 5 && strncmp(tok, "ferme", 5) == 0)) {
			closed = 1;
			continue;
		}
		if (dh.n == CAL_MAX_INTERVALS) {
			fs_seterr(err, errlen, "%s : plus de %d plages horaires",
			    cal_day_names[from], CAL_MAX_INTERVALS);
			return -1;
		}
		if (cal_parse_interval(tok, len, &dh.iv[dh.n]) == -1) {
			cal_show(show, sizeof(show), tok, len);
			fs_seterr(err, errlen, "horaire invalide « %s » (attendu "
			    "HH:MM-HH:MM, début avant la fin)", show);
			return -1;
		}
		if (dh.n > 0 && dh.iv[dh.n].start < dh.iv[dh.n - 1].end) {
			fs_seterr(err, errlen, "%s : plages dans le désordre ou "
			    "qui se chevauchent", cal_day_names[from]);
			return -1;
		}
		dh.n++;
	}
	if (closed == (dh.n > 0)) {
		fs_seterr(err, errlen, "%s : indiquer des plages horaires ou "
		    "« fermé », pas les deux ni aucun", cal_day_names[from]);
		return -1;
	}
	for (d = from; d <= to; d++) {
		if (seen[d]) {
			fs_seterr(err, errlen, "%s indiqué deux fois",
			    cal_day_names[d]);
			return -1;
		}
		seen[d] = 1;
		h->day[d] = dh;
	}
	return 0;
}

int
cal_parse_hours(struct cal_hours *h, const char *text, char *err,
    size_t errlen)
{
	const char *p = text, *semi;
	int seen[7] = { 0 };
	size_t n;

	memset(h, 0, sizeof(*h));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (;;) {
		semi = strchr(p, ';');
		n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		if (cal_parse_clause(h, seen, p, n, err, errlen) == -1)
			return -1;
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	return cal_hours_check(h, err, errlen);
}
