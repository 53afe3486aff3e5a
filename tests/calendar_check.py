#!/usr/bin/python3
# calendar_check.py - the independent side of the working-time calendar's
# cross-check (relay/calendar.c).
#
# Computes, with Debian's python3-holidays (France, by province) and
# zoneinfo over the system tzdata, for 2024-2035:
#   holiday ZONE YEAR DATE...         the public holidays of one zone-year
#   dst YEAR T1 OFF1 T2 OFF2          the instants Europe/Paris changes offset
#   offset UTC OFF LOCAL              the offset and local time at an instant
#   deadline ZONE START N DUE         START + N working days of 24 h
# and writes them to tests/golden/calendar-2024-2035.txt, which is
# committed.  tests/unit/test_calendar.c reads that file and checks that
# the C code gives the same answers (holidays, offsets at every hour and at
# each change, local times, deadlines).  Zones: metropole, solidarite
# (Whit Monday worked), alsace-moselle, 971 972 973 974 976 (metropole +
# the département's abolition-of-slavery day; python-holidays' other
# overseas days - Good Friday, 21 July - are customary, not in the law the
# C code follows, and are left out).
#
# Regenerate (after a tzdata or holidays change, or a new range):
#   /usr/bin/python3 tests/calendar_check.py --write
# Check that the committed file still matches this machine's tzdata:
#   /usr/bin/python3 tests/calendar_check.py --check
# Without option, print to stdout.  Use Debian's /usr/bin/python3: a
# pyenv python does not see python3-holidays.  Written for Debian 12's
# python3-holidays 0.10.1 (France(prov=...) with these province names);
# newer releases renamed provinces and holidays.
#
# The deadline rule written here independently of the C loop: a start in a
# non-working day moves to 00:00 of the next working day; from a local time
# s > 0 on working day D, the due time is the same wall-clock time on the
# N-th working day after D; from 00:00 it is 24:00 of the (N-1)-th working
# day after D (D itself when N = 1).  Local times are turned into instants
# with fold=0 (PEP 495: first occurrence; a gap time read with the offset
# before the gap), the rule relay/calendar.h documents.

import datetime as dt
import sys
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter

YEARS = range(2024, 2036)
GOLDEN = "tests/golden/calendar-2024-2035.txt"
PARIS = ZoneInfo("Europe/Paris")
UTC = dt.timezone.utc
OVERSEAS = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane",
            "974": "La Réunion", "976": "Mayotte"}

# Written by hand (brief of issue 5); asserted against dateutil below.
EASTER = ["2024-03-31", "2025-04-20", "2026-04-05", "2027-03-28",
          "2028-04-16", "2029-04-01", "2030-04-21", "2031-04-13",
          "2032-03-28", "2033-04-17", "2034-04-09", "2035-03-25"]


def holiday_set(zone, year):
    metro = holidays.France(years=year, prov="Métropole")
    if zone == "metropole":
        return set(metro)
    if zone == "solidarite":
        return {d for d, n in metro.items() if n != "Lundi de Pentecôte"}
    if zone == "alsace-moselle":
        return set(holidays.France(years=year, prov="Alsace-Moselle"))
    dom = holidays.France(years=year, prov=OVERSEAS[zone])
    return set(metro) | {d for d, n in dom.items()
                         if n == "Abolition de l'esclavage"}


ZONES = ["metropole", "solidarite", "alsace-moselle"] + sorted(OVERSEAS)


def utc_text(t):
    return dt.datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def offset(t):
    return int(dt.datetime.fromtimestamp(t, PARIS).utcoffset().total_seconds())


def transitions(year):
    t = int(dt.datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(dt.datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    out = []
    while t < end:
        if offset(t) != offset(t + 3600):
            lo, hi = t, t + 3600        # offset(lo) != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == offset(lo):
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        t += 3600
    return out


def offset_line(t):
    local = dt.datetime.fromtimestamp(t, PARIS)
    return "offset %s %d %s" % (utc_text(t), offset(t),
                                local.strftime("%Y-%m-%dT%H:%M:%S"))


def nth_working(d, n, hol):
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5 and d not in hol:
            n -= 1
    return d


def deadline(start, n, hol):
    local = dt.datetime.fromtimestamp(start, PARIS)
    d = local.date()
    s = local.hour * 3600 + local.minute * 60 + local.second
    if n == 0:
        return start
    if d.weekday() >= 5 or d in hol:
        d, s = nth_working(d, 1, hol), 0
    if s > 0:
        due_day, secs = nth_working(d, n, hol), s
    else:
        due_day = nth_working(d, n - 1, hol) + dt.timedelta(days=1)
        secs = 0
    naive = dt.datetime.combine(due_day, dt.time()) + dt.timedelta(seconds=secs)
    return int(naive.replace(tzinfo=PARIS, fold=0).timestamp())


def deadline_line(zone, start, n, hol):
    return "deadline %s %s %d %s" % (zone, utc_text(start), n,
                                     utc_text(deadline(start, n, hol)))


def local_instant(d, hh, mm):
    return int(dt.datetime(d.year, d.month, d.day, hh, mm,
                           tzinfo=PARIS).timestamp())


def deadline_starts(zone, year, hol_all):
    """Start dates whose 3-working-day window touches one of the zone's own
    holidays (all of them for metropole, only those that differ from
    metropole for the others), a change of time or Christmas-New Year."""
    days = set()
    metro = hol_all["metropole"]
    own = hol_all[zone]
    marks = [d for d in own ^ metro if d.year == year]
    if zone == "metropole":
        marks += [d for d in own if d.year == year]
        marks += [dt.datetime.fromtimestamp(t, UTC).date()
                  for t in transitions(year)]
        days.update(dt.date(year, 12, 22) + dt.timedelta(days=k)
                    for k in range(0, 12))
    for m in marks:
        days.update(m + dt.timedelta(days=k) for k in range(-5, 1))
    return sorted(d for d in days if d.year == year)


def generate():
    for y, text in zip(YEARS, EASTER):
        if easter(y).isoformat() != text:
            sys.exit("calendar_check: Pâques %d : %s attendu, %s calculé"
                     % (y, text, easter(y)))
    lines = ["# calendar-2024-2035.txt - generated by tests/calendar_check.py "
             "(python3-holidays %s, %s); do not edit by hand"
             % (holidays.__version__, tzdata_version())]
    hols = {z: set() for z in ZONES}
    for z in ZONES:
        for y in list(YEARS) + [YEARS[-1] + 1]:
            hols[z] |= holiday_set(z, y)
    for z in ZONES:
        for y in YEARS:
            ds = sorted(d for d in hols[z] if d.year == y)
            lines.append("holiday %s %d %s" % (z, y, " ".join(
                d.isoformat() for d in ds)))
    for y in YEARS:
        tr = transitions(y)
        lines.append("dst %d %s" % (y, " ".join(
            "%s %d" % (utc_text(t), offset(t)) for t in tr)))
        pts = set()
        for t in tr:
            for k in (-3601, -3600, -1, 0, 1, 3599, 3600):
                pts.add(t + k)
        for month in range(1, 13):
            base = int(dt.datetime(y, month, 1, tzinfo=UTC).timestamp())
            pts.update((base - 1, base + 43200, base + 14 * 86400 + 84600))
        lines += [offset_line(t) for t in sorted(pts)]
    for z in ("metropole", "alsace-moselle", "solidarite"):
        for y in YEARS:
            for d in deadline_starts(z, y, hols):
                lines.append(deadline_line(z, local_instant(d, 16, 0), 3,
                                           hols[z]))
                # 00:00 starts: the non-working days, and Wednesdays for a
                # working-day midnight (due Friday 24:00 or later).
                if d.weekday() in (2, 5, 6) or d in hols[z]:
                    lines.append(deadline_line(z, local_instant(d, 0, 0), 3,
                                               hols[z]))
    for y in YEARS:
        for month in range(1, 13):
            s = local_instant(dt.date(y, month, 1), 9, 30)
            lines.append(deadline_line("metropole", s, 1, hols["metropole"]))
    return "\n".join(lines) + "\n"


def tzdata_version():
    try:
        with open("/usr/share/zoneinfo/tzdata.zi") as f:
            return "tzdata " + f.readline().split()[-1]
    except OSError:
        return "tzdata ?"


def strip_comments(text):
    return [l for l in text.splitlines() if not l.startswith("#")]


def main():
    text = generate()
    if sys.argv[1:] == ["--write"]:
        with open(GOLDEN, "w") as f:
            f.write(text)
    elif sys.argv[1:] == ["--check"]:
        with open(GOLDEN) as f:
            if strip_comments(f.read()) != strip_comments(text):
                sys.exit("calendar_check: %s ne correspond plus à tzdata / "
                         "python3-holidays de cette machine" % GOLDEN)
        print("calendar_check: %s à jour" % GOLDEN)
    elif sys.argv[1:]:
        sys.exit("usage: calendar_check.py [--write | --check]")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
