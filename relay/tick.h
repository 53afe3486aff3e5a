/*
 * tick - the deadline engine (docs/deadlines.md): the referent's deadline
 * of each rung in French working time, the reminder at a fraction of the
 * period, the escalation ladder of design §4 when the rung stays silent,
 * the "no rung left" alert, the pauses of `wait`/`resume`, and the agents'
 * daily digest.
 *
 * Two layers.  The decisions are pure (no I/O, time passed in): a policy
 * built from the configuration and the structure's opening hours
 * (tick_policy), the arithmetic on it (tick_due, tick_reminder,
 * tick_paused, tick_shift), and what a case needs now (tick_decide).  The
 * apply layer (tick_run, tick_wait, tick_resume, tick_referent_due) reads
 * and writes the store and queues mails through relay/outbox; it runs in
 * `fsrelay serve` between ingest and outbox, so the mails it queues leave
 * in the same pass when their recipient's office hours allow.
 *
 * Exactly once: every step is recorded in the ladder ledger (store
 * ladder_steps, unique per case, rung and step) in the same transaction as
 * the mails and state changes it causes.  A NOW that jumps past several
 * steps fires them in order in one pass (reminder, then escalation).
 *
 * Trusts: the configuration (already validated by relay/config) and the
 * store.  No personal data in anything it writes: references, rung
 * numbers, partner and topic ids, times.
 */
#ifndef FSRELAY_TICK_H
#define FSRELAY_TICK_H

#include <stddef.h>
#include <stdint.h>

#include "relay/calendar.h"

struct config;
struct instance;
struct case_row;

#define TICK_DEFAULT_REM_NUM	2	/* reminder at 2/3 of the period */
#define TICK_DEFAULT_REM_DEN	3

enum tick_unit {
	TICK_DAYS,			/* working days of 24 h */
	TICK_HOURS,			/* working hours within office hours */
};

/*
 * The clock of one partner at one structure.  ref: the structure's
 * holidays and closures (global config), overridden by the partner's
 * whit_monday_worked, alsace_moselle and closures, with the partner's
 * office hours (default Monday-Friday 09:00-17:00): the referent's
 * deadline and the hours its mails may leave.  staff: the structure's
 * holidays and closures with its opening hours (default Monday-Friday
 * 09:00-17:00): the hours mails to its agents and manager may leave.
 */
struct tick_policy {
	struct calendar	ref;
	struct calendar	staff;
	enum tick_unit	unit;
	long		length;		/* working days or hours */
	int		rem_num;	/* reminder fraction, 0 < num < den */
	int		rem_den;
};

/*
 * Build the policy of partner at a structure whose opening hours are
 * structure_hours (the structures CSV "hours" text; NULL or "" for the
 * default).  Pure.  0 on success; -1 with a French message in err when the
 * opening hours do not parse (p is then still usable: staff has the
 * default hours) or a calendar is invalid.
 */
int	 tick_policy(struct tick_policy *p, const struct config *cfg, const char *partner,
	    const char *structure_hours, char *err, size_t errlen);

/* The referent's deadline: p->length units of working time after start,
 * plus `paused` seconds of working time (the closed pauses of the rung).
 * 0 with *due_r; -1 on out-of-range input. */
int	 tick_due(const struct tick_policy *p, int64_t start, int64_t paused,
	    int64_t *due_r);

/* The reminder: rem_num/rem_den of the period after start, plus paused.
 * 0 with *t_r; -1 on out-of-range input. */
int	 tick_reminder(const struct tick_policy *p, int64_t start, int64_t paused,
	    int64_t *t_r);

/* Working time between a and b (0 if b <= a) in the policy's unit,
 * seconds.  0 with *secs_r; -1 on out-of-range input. */
int	 tick_paused(const struct tick_policy *p, int64_t a, int64_t b, int64_t *secs_r);

/* due shifted by secs of working time in the policy's unit (hours unit:
 * rounded to the nearest minute).  0 with *due_r; -1 on bad input. */
int	 tick_shift(const struct tick_policy *p, int64_t due, int64_t secs,
	    int64_t *due_r);

/* The agent's "answer the person" deadline (user_due_at): 3 working days
 * of 24 h from start on the structure's calendar (cfg's closures,
 * whit_monday_worked, alsace_moselle).  0 with *due_r; -1 on bad input. */
int	 tick_user_due(const struct config *cfg, int64_t start, int64_t *due_r);

/* ---- decisions ---- */

enum tick_step {
	TICK_REMIND,		/* mail the rung a reminder */
	TICK_REMIND_LATE,	/* record the reminder, mail nothing: deadline passed */
	TICK_ESCALATE,		/* the next rung gets the case */
	TICK_EXHAUSTED,		/* no rung left: overdue, manager told */
};

/* What tick_decide needs to know of a case and its current rung. */
struct tick_view {
	const char	*state;		/* the case's state ("awaiting"...) */
	int64_t		due_at;		/* 0: the rung's deliveries are not done */
	int64_t		reminder_at;
	int		reminded;	/* steps of this rung already fired */
	int		escalated;	/* "escalate" or "exhausted" */
	int		has_next_rung;
};

#define TICK_MAX_STEPS 2

struct tick_plan {
	enum tick_step	steps[TICK_MAX_STEPS];
	size_t		n;
};

/*
 * The steps due at now, in the order they must fire.  Only `awaiting`
 * cases with a deadline move: answered, waiting_user (clock paused),
 * queued and closed cases get an empty plan.  Cannot fail.
 */
void	 tick_decide(const struct tick_view *v, int64_t now, struct tick_plan *plan);

/* Is a case overdue at now, for `cases --overdue` and `status`?  1 when it
 * is awaiting or waiting_user with the overdue flag (no rung left), or
 * awaiting with its referent deadline passed (the tick has not moved it
 * yet); else 0. */
int	 tick_case_overdue(const char *state, int overdue, int64_t due_at, int64_t now);

#define TICK_DUE_SOON_SECONDS	(24 * 3600)
/* 1 when c is not overdue but its running deadline (the referent's while
 * awaiting, the person's while waiting_user) falls within
 * TICK_DUE_SOON_SECONDS of now; else 0. */
struct case_row;
int	 tick_case_due_soon(const struct case_row *c, int64_t now);
/* Sort n cases most urgent first: overdue, then by the running deadline
 * (soonest first), then open cases without one, then closed ones; newest
 * first within each. */
void	 tick_sort_by_urgency(struct case_row *list, size_t n, int64_t now);
/* The same order on the keys of cases (store_case_keys), for a list read
 * a page at a time. */
struct case_key;
void	 tick_sort_keys_by_urgency(struct case_key *list, size_t n, int64_t now);

/* Step name in the ledger and in events: "reminder", "escalate"... */
const char *tick_step_name(enum tick_step s);

/* ---- apply layer ---- */

struct tick_stats {
	size_t	reminders, late_reminders, escalations, exhausted, digests;
};

/*
 * One pass at in->now: every awaiting case's due steps, then the agents'
 * daily digests.  -1 only on a store or directory failure (French reason
 * in err); a case whose policy cannot be built is skipped and logged.
 */
int	 tick_run(struct instance *in, struct tick_stats *stats, char *err, size_t errlen);

/*
 * The referent deadline of case c's current rung when its clock starts at
 * from (the last 250 of the rung): used by relay/outbox when a rung's
 * deliveries are done.  0 if it cannot be computed.
 */
int64_t	 tick_referent_due(struct instance *in, const struct case_row *c, int64_t from);

/*
 * For the quarterly report (relay/report): the working time, on the
 * clock of c's partner at its structure (dir: the structures' opening
 * hours; NULL for the default hours), from `from` (the first sending) to
 * `to` (the first reply), less the part of c's pauses (`wait`/`resume`,
 * any rung) within that span; and whether `to` came by the deadline of
 * one period counted from `from`, moved by those pauses.  *hours_r: 1
 * when the partner counts in working hours.  0 / -1 (store failure, or a
 * policy that cannot be built).
 */
struct directory;
int	 tick_reply_delay(struct instance *in, const struct directory *dir,
	    const struct case_row *c, int64_t from, int64_t to, int64_t *delay_r,
	    int *in_time_r, int *hours_r);

/*
 * The quarterly report of period p (p->structure: one structure, "" for
 * all): each case's facts from the store (metadata only, shredded cases
 * too), labels from the directory, the first reply's delay on the
 * partner's clock (tick_reply_delay), then report_build.  For every face
 * (report in the CLI, /rapport in the web desk).  0 with *rows (caller
 * frees); -1 with the French reason in err ("refusé : structure inconnue
 * « S »", "base : …", "délai de réponse incalculable …").
 */
struct report_period;
struct report_row;
int	 tick_report(struct instance *in, const struct report_period *p,
	    struct report_row **rows, size_t *nrows, char *err, size_t errlen);

/*
 * `wait`: an awaiting case becomes waiting_user; its referent clock is
 * paused from in->now.  `resume`: back to awaiting; due_at moves by the
 * working time the pause lasted (from the later of the pause start and the
 * rung's start), recorded with the pause; *shift_r (may be NULL) gets it.
 * Both write their events; within their own transaction.  0 on success;
 * -1 with a French message in err (wrong state, store failure).
 */
int	 tick_wait(struct instance *in, const struct case_row *c, const char *actor,
	    char *err, size_t errlen);
int	 tick_resume(struct instance *in, const struct case_row *c, const char *actor,
	    int64_t *shift_r, char *err, size_t errlen);

/* Format t as Europe/Paris local time, with its offset, for French mails
 * and output: "mercredi 11 mars 2026 à 16:00 (heure de Paris, UTC+01:00)"
 * (80 bytes are enough).  Writes "?" if t is out of range. */
void	 tick_format_paris(char *out, size_t outlen, int64_t t);

#endif
