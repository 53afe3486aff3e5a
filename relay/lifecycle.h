/*
 * lifecycle - the case lifecycle: the closed list of states (docs/json.md),
 * the events that move a case, and one transition function.  Every change
 * of a case's state in the program is decided here; the callers apply the
 * effects it names.  Pure: no I/O.  The table is drawn in
 * docs/lifecycle.dot (docs/lifecycle.svg) and listed in docs/lifecycle.md.
 */
#ifndef FSRELAY_LIFECYCLE_H
#define FSRELAY_LIFECYCLE_H

#include <stddef.h>

#include "relay/util.h"

/* docs/json.md, « État d'un dossier »: a closed list, in this order. */
enum case_state {
	CASE_QUEUED,		/* accepted, not yet handed to the MTA */
	CASE_AWAITING,		/* handed over, waiting for the referent */
	CASE_ANSWERED,
	CASE_WAITING_USER,	/* referent's clock suspended */
	CASE_RESOLVED,
	CASE_CANCELLED,
	CASE_FAILED,		/* every delivery of the last rung failed */
	CASE_SHREDDED,
	CASE_STATE_COUNT
};

/* The state of a case just created by escalate. */
#define LIFECYCLE_INITIAL	CASE_QUEUED

enum lc_event {
	LC_DELIVERED,		/* outbox: a rung settled, at least one 250 */
	LC_RUNG_FAILED,		/* every recipient failed, no next rung */
	LC_BOUNCED,		/* every delivery of the current rung bounced */
	LC_ABSENCE,		/* absence notice from the current rung */
	LC_DEADLINE,		/* tick: reminder or deadline of the rung due */
	LC_REPLY,		/* a referent's reply attached to the case */
	LC_FOLLOW_UP,		/* agent: send (a follow-up on the same rung) */
	LC_REROUTE,		/* agent: reroute to the next rung */
	LC_WAIT,		/* agent: wait (for the user) */
	LC_RESUME,		/* agent: resume */
	LC_CLOSE,		/* agent: close (resolved) */
	LC_CANCEL,		/* agent: cancel (then shredded at once) */
	LC_SHRED,		/* purge after the grace period, end of cancel */
	LC_MANDATE_EXPIRED,	/* outbox: a due delivery held, mandate expired */
	LC_MANDATE_RENEWED,	/* agent: mandate renew (the hold ends) */
	LC_EVENT_COUNT
};

/* What the caller does besides recording the new state (bit flags). */
enum lc_effect {
	LC_FX_START_CLOCK	= 1 << 0, /* referent's deadline from the last 250 */
	LC_FX_NEXT_RUNG		= 1 << 1, /* queue the next rung's recipients */
	LC_FX_QUEUE_RUNG	= 1 << 2, /* queue the current rung again */
	LC_FX_STOP_PENDING	= 1 << 3, /* pending deliveries marked failed */
	LC_FX_PAUSE_CLOCK	= 1 << 4, /* open a pause of the referent's clock */
	LC_FX_RESUME_CLOCK	= 1 << 5, /* close it, shift the deadline */
	LC_FX_REMIND		= 1 << 6, /* reminders and escalation may run */
	LC_FX_NOTIFY_AGENT	= 1 << 7, /* tell the case's agent */
	LC_FX_SHRED		= 1 << 8, /* crypto-erase the case */
};

enum lc_verdict {
	LC_APPLY,		/* allowed: state becomes `to`, apply effects */
	LC_IGNORE,		/* the event changes nothing in this state */
	LC_REFUSE,		/* refused: `why` says why, in French */
};

#define LC_WHY_MAX	200

struct lc_step {
	enum lc_verdict	 verdict;
	enum case_state	 to;		/* LC_APPLY: may equal the old state */
	unsigned	 effects;	/* LC_APPLY: enum lc_effect bits */
	char		 why[LC_WHY_MAX];	/* LC_REFUSE */
};

/*
 * The transition function: state `from` meets event `ev`.  Fills *out and
 * returns its verdict.  An out-of-range state or event is refused.
 */
enum lc_verdict	 lifecycle_step(enum case_state from, enum lc_event ev,
		    struct lc_step *out);

/* "queued", "awaiting"...; NULL for an invalid value. */
const char	*case_state_name(enum case_state s);
/* 0 and *s on a known name, -1 otherwise. */
int		 case_state_parse(const char *name, enum case_state *s);
/* The state of that name (as stored in cases.state), CASE_STATE_COUNT for
 * NULL or an unknown name: the one place a state name is compared. */
enum case_state	 case_state_of(const char *name);
/* The French label shown to agents ("en attente de réponse"...). */
const char	*case_state_label(enum case_state s);
/* "delivered", "wait"...; NULL for an invalid value. */
const char	*lifecycle_event_name(enum lc_event ev);

/*
 * Questions the daemon and the listings ask of a state:
 *   live: the case can still move (queued, awaiting, answered,
 *         waiting_user), so the user's deadline is still due;
 *   referent_open: a referent still owes an answer (awaiting,
 *         waiting_user), so the referent's deadline is shown and counts
 *         for `cases --overdue`.
 */
int		 lifecycle_live(enum case_state s);
int		 lifecycle_referent_open(enum case_state s);
/* over: nothing more will happen to the case (resolved, cancelled,
 * shredded); a failed case is not over (it can still be closed). */
int		 lifecycle_over(enum case_state s);

/* The Graphviz drawing of the table (docs/lifecycle.dot).  0 / -1. */
int		 lifecycle_dot(struct buf *out);

#endif
