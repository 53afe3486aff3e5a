/*
 * test_tick - the deadline engine's pure decisions with fixed clocks: the
 * policy built from the configuration, deadlines and reminders in both
 * units, pauses, the order of steps when NOW jumps, "answered stops the
 * ladder"; and the store's ladder ledger (each step recorded once) and
 * pauses on a throw-away SQLite file.
 */
#include "relay/tick.h"
#include "relay/config.h"
#include "adapters/store.h"
#include "tests/unit/t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Europe/Paris wall time -> instant (test helper). */
static int64_t
paris(int y, int mo, int d, int h, int mi)
{
	struct cal_tm tm;
	int64_t t = 0;

	memset(&tm, 0, sizeof(tm));
	tm.year = y;
	tm.mon = mo;
	tm.mday = d;
	tm.hour = h;
	tm.min = mi;
	if (cal_from_paris_local(&tm, &t) < 0)
		fprintf(stderr, "bad test date\n");
	return t;
}

#define BASE "data_dir = /tmp/x\nrelay_address = relais@fs.test\n"

static int
policy_of(const char *conf, const char *partner, const char *hours, struct tick_policy *p)
{
	struct config cfg;
	char err[512];
	int r;

	if (config_parse(&cfg, conf, "/tmp", err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		config_free(&cfg);
		return -1;
	}
	r = tick_policy(p, &cfg, partner, hours, err, sizeof(err));
	config_free(&cfg);
	return r;
}

static int
conf_fails(const char *conf, const char *needle)
{
	struct config cfg;
	char err[512] = "";
	int r = config_parse(&cfg, conf, "/tmp", err, sizeof(err));

	config_free(&cfg);
	if (r == 0)
		return 0;
	if (needle && strstr(err, needle) == NULL) {
		fprintf(stderr, "    message: %s\n", err);
		return 0;
	}
	return 1;
}

static void
test_days(void)
{
	struct tick_policy p;
	int64_t t = 0, secs = -1;

	CHECK_INT(policy_of(BASE, "caf", NULL, &p), 0);
	CHECK_INT(p.unit, TICK_DAYS);
	CHECK_INT(p.length, 3);
	CHECK_INT(p.rem_num, 2);
	CHECK_INT(p.rem_den, 3);
	/* Friday 16:00 -> due Wednesday 16:00, reminder Tuesday 16:00. */
	CHECK_INT(tick_due(&p, paris(2026, 3, 6, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 3, 11, 16, 0));
	CHECK_INT(tick_reminder(&p, paris(2026, 3, 6, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 3, 10, 16, 0));
	/* Ascension bridge: Wed 13 May 16:00 -> Tue 19 May 16:00. */
	CHECK_INT(tick_due(&p, paris(2026, 5, 13, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 5, 19, 16, 0));
	/* Christmas - New Year. */
	CHECK_INT(tick_due(&p, paris(2025, 12, 30, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 1, 5, 16, 0));
	/* Across both changes of time: the wall-clock hour is kept. */
	CHECK_INT(tick_due(&p, paris(2026, 3, 27, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 4, 1, 16, 0));
	CHECK_INT(tick_due(&p, paris(2026, 10, 23, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 10, 28, 16, 0));

	/* A pause Friday 16:00 -> Monday 10:00 lasts 18 h of working time
	 * and moves Wednesday 16:00 to Thursday 10:00 (docs/deadlines.md §7). */
	CHECK_INT(tick_paused(&p, paris(2026, 3, 6, 16, 0), paris(2026, 3, 9, 10, 0), &secs), 0);
	CHECK_INT(secs, 18 * 3600);
	CHECK_INT(tick_shift(&p, paris(2026, 3, 11, 16, 0), secs, &t), 0);
	CHECK_INT(t, paris(2026, 3, 12, 10, 0));
	/* Same with the pause counted from the start. */
	CHECK_INT(tick_due(&p, paris(2026, 3, 6, 16, 0), secs, &t), 0);
	CHECK_INT(t, paris(2026, 3, 12, 10, 0));
	CHECK_INT(tick_reminder(&p, paris(2026, 3, 6, 16, 0), secs, &t), 0);
	CHECK_INT(t, paris(2026, 3, 11, 10, 0));
	/* A pause over a weekend only moves nothing. */
	CHECK_INT(tick_paused(&p, paris(2026, 3, 7, 10, 0), paris(2026, 3, 8, 20, 0), &secs), 0);
	CHECK_INT(secs, 0);
	CHECK_INT(tick_shift(&p, paris(2026, 3, 11, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 3, 11, 16, 0));
	CHECK(tick_shift(&p, paris(2026, 3, 11, 16, 0), -5, &t) < 0);
}

static void
test_office_time(void)
{
	struct tick_policy p;
	int64_t t = 0;
	const char *fontenay = "lundi 08:30-12:00 13:30-17:00; mardi 08:30-12:00;"
	    " mercredi 08:30-12:00 13:30-19:30; jeudi 08:30-12:00;"
	    " vendredi 08:30-12:00 13:30-17:00";

	CHECK_INT(policy_of(BASE, "caf", fontenay, &p), 0);
	/* A referent mail due Friday 20:00 leaves Monday 09:00. */
	CHECK_INT(cal_next_office_time(&p.ref, paris(2026, 3, 6, 20, 0), &t), 0);
	CHECK_INT(t, paris(2026, 3, 9, 9, 0));
	/* Inside office hours: at once. */
	CHECK_INT(cal_next_office_time(&p.ref, paris(2026, 3, 9, 10, 17), &t), 0);
	CHECK_INT(t, paris(2026, 3, 9, 10, 17));
	/* The staff's clock is the structure's opening hours: Tuesday 13:00
	 * (closed in the afternoon) -> Wednesday 08:30. */
	CHECK_INT(cal_next_office_time(&p.staff, paris(2026, 3, 10, 13, 0), &t), 0);
	CHECK_INT(t, paris(2026, 3, 11, 8, 30));
	/* Easter Monday is not an office day: Friday 18:00 before Easter. */
	CHECK_INT(cal_next_office_time(&p.ref, paris(2026, 4, 3, 18, 0), &t), 0);
	CHECK_INT(t, paris(2026, 4, 7, 9, 0));
	/* Bad opening hours: -1, default staff hours kept. */
	CHECK(policy_of(BASE, "caf", "lundi 25:00-26:00", &p) < 0);
	CHECK_INT(p.staff.has_hours, 0);
	CHECK_INT(cal_next_office_time(&p.staff, paris(2026, 3, 10, 13, 0), &t), 0);
	CHECK_INT(t, paris(2026, 3, 10, 13, 0));
}

static void
test_overrides(void)
{
	struct tick_policy p;
	int64_t t = 0;

	/* A closure on the Ascension bridge. */
	CHECK_INT(policy_of(BASE "closures = 2026-05-15 2026-12-24\n", "caf", NULL, &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 5, 13, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 5, 20, 16, 0));
	/* Whit Monday worked for one partner only. */
	CHECK_INT(policy_of(BASE "[partner dgfip]\nwhit_monday_worked = yes\n", "dgfip", NULL,
	    &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 5, 22, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 5, 27, 16, 0));
	CHECK_INT(policy_of(BASE "[partner dgfip]\nwhit_monday_worked = yes\n", "caf", NULL,
	    &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 5, 22, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 5, 28, 16, 0));
	/* Globally worked, the partner says no. */
	CHECK_INT(policy_of(BASE "whit_monday_worked = yes\n[partner caf]\n"
	    "whit_monday_worked = no\n", "caf", NULL, &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 5, 22, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 5, 28, 16, 0));
	/* Alsace-Moselle: 26 December. */
	CHECK_INT(policy_of(BASE "[partner caf]\nalsace_moselle = yes\n", "caf", NULL, &p), 0);
	CHECK_INT(tick_due(&p, paris(2025, 12, 24, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2025, 12, 31, 16, 0));
	/* overseas_dept (Guadeloupe: 27 May, abolition de l'esclavage), for
	 * the whole structure; a partner may set its own (0: none). */
	CHECK_INT(policy_of(BASE, "caf", NULL, &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 5, 26, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 5, 29, 16, 0));
	CHECK_INT(policy_of(BASE "overseas_dept = 971\n", "caf", NULL, &p), 0);
	CHECK_INT(p.staff.overseas_dept, 971);
	CHECK_INT(tick_due(&p, paris(2026, 5, 26, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 6, 1, 16, 0));
	CHECK_INT(policy_of(BASE "overseas_dept = 971\n[partner caf]\noverseas_dept = 0\n", "caf",
	    NULL, &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 5, 26, 16, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 5, 29, 16, 0));
	CHECK_INT(p.staff.overseas_dept, 971);
	CHECK_INT(policy_of(BASE "[partner caf]\noverseas_dept = 972\n", "caf", NULL, &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 5, 21, 16, 0), 0, &t), 0);	/* Martinique: 22 May */
	CHECK_INT(t, paris(2026, 5, 28, 16, 0));
	/* A partner's own deadline length and reminder fraction. */
	CHECK_INT(policy_of(BASE "[partner caf]\ndeadline_days = 5\nreminder_fraction = 4/5\n",
	    "caf", NULL, &p), 0);
	CHECK_INT(tick_due(&p, paris(2026, 3, 2, 10, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 3, 9, 10, 0));
	CHECK_INT(tick_reminder(&p, paris(2026, 3, 2, 10, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 3, 6, 10, 0));
	/* Working hours within office hours: 16 h from Monday 10:00 ->
	 * Wednesday 10:00; reminder at 2/3 (10 h 40) -> Tuesday 12:40. */
	CHECK_INT(policy_of(BASE "[partner cpam]\ndeadline_unit = heures\n"
	    "deadline_hours = 16\n", "cpam", NULL, &p), 0);
	CHECK_INT(p.unit, TICK_HOURS);
	CHECK_INT(tick_due(&p, paris(2026, 3, 9, 10, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 3, 11, 10, 0));
	CHECK_INT(tick_reminder(&p, paris(2026, 3, 9, 10, 0), 0, &t), 0);
	CHECK_INT(t, paris(2026, 3, 10, 12, 40));
	/* The partner's office hours: a pause Monday 16:00 -> Tuesday 10:00
	 * is 1 h + 2 h = 3 h of office time with 08:00-17:00. */
	CHECK_INT(policy_of(BASE "[partner cpam]\ndeadline_unit = heures\n"
	    "deadline_hours = 16\noffice_hours = lundi-vendredi 08:00-17:00\n", "cpam", NULL,
	    &p), 0);
	{
		int64_t secs = 0;

		CHECK_INT(tick_paused(&p, paris(2026, 3, 9, 16, 0), paris(2026, 3, 10, 10, 0),
		    &secs), 0);
		CHECK_INT(secs, 3 * 3600);
		CHECK_INT(tick_shift(&p, paris(2026, 3, 11, 10, 0), secs, &t), 0);
		CHECK_INT(t, paris(2026, 3, 11, 13, 0));
		CHECK_INT(cal_next_office_time(&p.ref, paris(2026, 3, 10, 7, 0), &t), 0);
		CHECK_INT(t, paris(2026, 3, 10, 8, 0));
	}
}

static void
test_user_due(void)
{
	struct config cfg;
	char err[512];
	int64_t t = 0;

	/* Friday 6 March 00:00 -> Tuesday 10 March 24:00 (docs/deadlines.md §3). */
	CHECK_INT(config_parse(&cfg, BASE, "/tmp", err, sizeof(err)), 0);
	CHECK_INT(tick_user_due(&cfg, paris(2026, 3, 6, 0, 0), &t), 0);
	CHECK_INT(t, paris(2026, 3, 11, 0, 0));
	config_free(&cfg);
	/* The structure's closures count; a partner's do not. */
	CHECK_INT(config_parse(&cfg, BASE "closures = 2026-03-09\n[partner caf]\n"
	    "closures = 2026-03-10\n", "/tmp", err, sizeof(err)), 0);
	CHECK_INT(tick_user_due(&cfg, paris(2026, 3, 6, 0, 0), &t), 0);
	CHECK_INT(t, paris(2026, 3, 12, 0, 0));
	config_free(&cfg);
	/* overseas_dept counts for the person's deadline too (La Réunion:
	 * 20 December) */
	CHECK_INT(config_parse(&cfg, BASE, "/tmp", err, sizeof(err)), 0);
	CHECK_INT(tick_user_due(&cfg, paris(2027, 12, 17, 0, 0), &t), 0);
	CHECK_INT(t, paris(2027, 12, 22, 0, 0));
	config_free(&cfg);
	CHECK_INT(config_parse(&cfg, BASE "overseas_dept = 974\n", "/tmp", err, sizeof(err)), 0);
	CHECK_INT(tick_user_due(&cfg, paris(2027, 12, 17, 0, 0), &t), 0);
	CHECK_INT(t, paris(2027, 12, 23, 0, 0));
	config_free(&cfg);
}

static void
test_config_strict(void)
{
	CHECK(conf_fails(BASE "[partner caf]\ndeadline_unit = semaines\n", "deadline_unit"));
	CHECK(conf_fails(BASE "[partner caf]\ndeadline_unit = heures\n", "deadline_hours"));
	CHECK(conf_fails(BASE "[partner caf]\ndeadline_hours = 10\n", "deadline_unit"));
	CHECK(conf_fails(BASE "[partner caf]\ndeadline_hours = 0\ndeadline_unit = heures\n",
	    "deadline_hours"));
	CHECK(conf_fails(BASE "[partner caf]\ndeadline_days = 3\ndeadline_unit = heures\n"
	    "deadline_hours = 8\n", "s'excluent"));
	CHECK(conf_fails(BASE "[partner caf]\nreminder_fraction = 3/2\n", "reminder_fraction"));
	CHECK(conf_fails(BASE "[partner caf]\nreminder_fraction = 0/3\n", "reminder_fraction"));
	CHECK(conf_fails(BASE "[partner caf]\nreminder_fraction = 0.66\n", "reminder_fraction"));
	CHECK(conf_fails(BASE "[partner caf]\noffice_hours = lundi 18:00-09:00\n",
	    "office_hours"));
	CHECK(conf_fails(BASE "[partner caf]\nwhit_monday_worked = peut-être\n",
	    "whit_monday_worked"));
	CHECK(conf_fails(BASE "[partner caf]\nclosures = 2026-02-30\n", "closures"));
	CHECK(conf_fails(BASE "closures = 2026-05-15 demain\n", "demain"));
	CHECK(conf_fails(BASE "whit_monday_worked = 1\n", "whit_monday_worked"));
	CHECK(conf_fails(BASE "overseas_dept = 975\n", "overseas_dept : 0, 971, 972, 973, 974 ou"
	    " 976 attendu"));
	CHECK(conf_fails(BASE "overseas_dept = guadeloupe\n", "overseas_dept"));
	CHECK(conf_fails(BASE "[partner caf]\noverseas_dept = 977\n", "overseas_dept"));
	CHECK(conf_fails(BASE "closures = 2026-05-15\nclosures = 2026-05-16\n", "deux fois"));
	CHECK(!conf_fails(BASE "closures = 2026-05-15, 2026-12-24\nalsace_moselle = no\n"
	    "[partner caf]\ndeadline_unit = jours\nreminder_fraction = 1/2\n"
	    "office_hours = lun-ven 08:30-12:00 13:30-16:30\n", NULL));
}

static void
test_decide(void)
{
	struct tick_view v;
	struct tick_plan plan;
	int64_t rem = paris(2026, 3, 10, 16, 0), due = paris(2026, 3, 11, 16, 0);

	memset(&v, 0, sizeof(v));
	v.state = "awaiting";
	v.due_at = due;
	v.reminder_at = rem;
	v.has_next_rung = 1;
	tick_decide(&v, rem - 1, &plan);
	CHECK_INT(plan.n, 0);
	tick_decide(&v, rem, &plan);
	CHECK_INT(plan.n, 1);
	CHECK_INT(plan.steps[0], TICK_REMIND);
	v.reminded = 1;
	tick_decide(&v, due - 1, &plan);
	CHECK_INT(plan.n, 0);
	tick_decide(&v, due, &plan);
	CHECK_INT(plan.n, 1);
	CHECK_INT(plan.steps[0], TICK_ESCALATE);
	/* A NOW that jumps past both: reminder recorded first, then escalation. */
	v.reminded = 0;
	tick_decide(&v, due + 5 * CAL_DAY, &plan);
	CHECK_INT(plan.n, 2);
	CHECK_INT(plan.steps[0], TICK_REMIND_LATE);
	CHECK_INT(plan.steps[1], TICK_ESCALATE);
	/* Last rung: no escalation, the case is exhausted. */
	v.has_next_rung = 0;
	v.reminded = 1;
	tick_decide(&v, due, &plan);
	CHECK_INT(plan.n, 1);
	CHECK_INT(plan.steps[0], TICK_EXHAUSTED);
	CHECK_STR(tick_step_name(TICK_EXHAUSTED), "exhausted");
	CHECK_STR(tick_step_name(TICK_REMIND_LATE), "reminder");
	/* Fired already: nothing more, whatever NOW. */
	v.escalated = 1;
	tick_decide(&v, due + 100 * CAL_DAY, &plan);
	CHECK_INT(plan.n, 0);
	/* Answered stops the ladder, before or after the deadline. */
	v.escalated = 0;
	v.reminded = 0;
	v.has_next_rung = 1;
	v.state = "answered";
	tick_decide(&v, rem, &plan);
	CHECK_INT(plan.n, 0);
	tick_decide(&v, due + CAL_DAY, &plan);
	CHECK_INT(plan.n, 0);
	/* waiting_user: the referent clock is paused. */
	v.state = "waiting_user";
	tick_decide(&v, due + CAL_DAY, &plan);
	CHECK_INT(plan.n, 0);
	/* Closed, queued, or a rung whose deliveries are not done. */
	v.state = "resolved";
	tick_decide(&v, due + CAL_DAY, &plan);
	CHECK_INT(plan.n, 0);
	v.state = "awaiting";
	v.due_at = 0;
	tick_decide(&v, due + CAL_DAY, &plan);
	CHECK_INT(plan.n, 0);
}

static void
test_format(void)
{
	char out[80];

	tick_format_paris(out, sizeof(out), paris(2026, 3, 11, 16, 0));
	CHECK_STR(out, "mercredi 11 mars 2026 à 16:00 (heure de Paris, UTC+01:00)");
	tick_format_paris(out, sizeof(out), paris(2026, 8, 15, 9, 5));
	CHECK_STR(out, "samedi 15 août 2026 à 09:05 (heure de Paris, UTC+02:00)");
}

static void
test_ledger(void)
{
	char dir[] = "/tmp/test_tick.XXXXXX", path[256], err[512];
	struct store *st = NULL;
	struct case_row c;
	struct pause_row p;
	int64_t v = 0;
	long n = -1;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/fsrelay.db", dir);
	CHECK_INT(store_open(&st, path, 1, err, sizeof(err)), 0);
	if (st == NULL)
		return;
	memset(&c, 0, sizeof(c));
	fs_strlcpy(c.ref, "FS-92032-2026-000001", sizeof(c.ref));
	fs_strlcpy(c.structure, "fontenay-aux-roses", sizeof(c.structure));
	fs_strlcpy(c.partner, "caf", sizeof(c.partner));
	fs_strlcpy(c.topic, "logement", sizeof(c.topic));
	fs_strlcpy(c.agent, "agent1", sizeof(c.agent));
	fs_strlcpy(c.state, "queued", sizeof(c.state));
	CHECK_INT(store_case_insert(st, &c), 0);
	/* Each step once: the second attempt is a no-op the caller sees. */
	CHECK_INT(store_step_fired(st, c.id, 0, "reminder"), 0);
	CHECK_INT(store_step_fire(st, c.id, 0, "reminder", 100, "sent"), 1);
	CHECK_INT(store_step_fire(st, c.id, 0, "reminder", 200, "sent"), 0);
	CHECK_INT(store_step_fired(st, c.id, 0, "reminder"), 1);
	CHECK_INT(store_step_fired(st, c.id, 1, "reminder"), 0);
	CHECK_INT(store_step_fire(st, c.id, 1, "reminder", 300, "sent"), 1);
	CHECK_INT(store_step_fire(st, c.id, 0, "escalate", 300, "next rung"), 1);
	CHECK_INT(store_step_count(st, c.id, "reminder", &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_step_count(st, c.id, NULL, &n), 0);
	CHECK_INT(n, 3);
	/* Pauses. */
	CHECK_INT(store_pause_open(st, c.id, &p), 1);
	CHECK_INT(store_pause_begin(st, c.id, 0, 1000), 0);
	CHECK_INT(store_pause_open(st, c.id, &p), 0);
	CHECK_INT(p.started_at, 1000);
	CHECK_INT(store_pause_total(st, c.id, 0, &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(store_pause_end(st, p.id, 5000, 3600), 0);
	CHECK_INT(store_pause_open(st, c.id, &p), 1);
	CHECK_INT(store_pause_begin(st, c.id, 0, 9000), 0);
	CHECK_INT(store_pause_open(st, c.id, &p), 0);
	CHECK_INT(store_pause_end(st, p.id, 9500, 500), 0);
	CHECK_INT(store_pause_total(st, c.id, 0, &v), 0);
	CHECK_INT(v, 4100);
	CHECK_INT(store_pause_total(st, c.id, 1, &v), 0);
	CHECK_INT(v, 0);
	/* Marks. */
	CHECK_INT(store_mark_get(st, "mailbox.last_poll", &v), 1);
	CHECK_INT(store_mark_set(st, "mailbox.last_poll", 42), 0);
	CHECK_INT(store_mark_set(st, "mailbox.last_poll", 43), 0);
	CHECK_INT(store_mark_get(st, "mailbox.last_poll", &v), 0);
	CHECK_INT(v, 43);
	store_close(&st);
	/* Reopening migrates nothing twice and keeps the ledger. */
	CHECK_INT(store_open(&st, path, 0, err, sizeof(err)), 0);
	if (st) {
		CHECK_INT(store_step_fire(st, c.id, 0, "reminder", 400, "sent"), 0);
		store_close(&st);
	}
	{
		char db[300];

		snprintf(db, sizeof(db), "%s/fsrelay.db", dir);
		unlink(db);
		snprintf(db, sizeof(db), "%s/fsrelay.db-wal", dir);
		unlink(db);
		snprintf(db, sizeof(db), "%s/fsrelay.db-shm", dir);
		unlink(db);
		rmdir(dir);
	}
}

/* The agent's list: badges and the order of urgency. */
static void
test_urgency(void)
{
	const int64_t now = 1772442000;	/* 2026-03-02T09:00:00Z */
	struct case_row c[6];
	size_t i;

	memset(c, 0, sizeof(c));
	for (i = 0; i < 6; i++)
		c[i].id = (int64_t)i + 1;
	strcpy(c[0].state, "resolved");
	strcpy(c[1].state, "awaiting");		/* due in 3 days */
	c[1].due_at = now + 3 * 86400;
	strcpy(c[2].state, "awaiting");		/* due in 2 hours: soon */
	c[2].due_at = now + 7200;
	strcpy(c[3].state, "awaiting");		/* past its deadline: overdue */
	c[3].due_at = now - 60;
	strcpy(c[4].state, "queued");		/* open, no deadline yet */
	strcpy(c[5].state, "waiting_user");	/* the person's deadline in 12 h: soon */
	c[5].user_due_at = now + 12 * 3600;
	c[5].due_at = now - 86400;		/* the referent's clock is paused */
	CHECK(!tick_case_due_soon(&c[1], now));
	CHECK(tick_case_due_soon(&c[2], now));
	CHECK(!tick_case_due_soon(&c[3], now));	/* overdue, not "soon" */
	CHECK(tick_case_overdue(c[3].state, 0, c[3].due_at, now));
	CHECK(!tick_case_due_soon(&c[4], now));
	CHECK(tick_case_due_soon(&c[5], now));
	CHECK(!tick_case_overdue(c[5].state, 0, c[5].due_at, now));
	CHECK(!tick_case_due_soon(&c[0], now));
	tick_sort_by_urgency(c, 6, now);
	/* overdue, then 2 h, 12 h, 3 days, then open without deadline, closed */
	CHECK_INT(c[0].id, 4);
	CHECK_INT(c[1].id, 3);
	CHECK_INT(c[2].id, 6);
	CHECK_INT(c[3].id, 2);
	CHECK_INT(c[4].id, 5);
	CHECK_INT(c[5].id, 1);
}

int
main(void)
{
	test_urgency();
	test_days();
	test_office_time();
	test_overrides();
	test_config_strict();
	test_user_due();
	test_decide();
	test_format();
	test_ledger();
	return t_done();
}
