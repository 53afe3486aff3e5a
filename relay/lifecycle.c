/*
 * lifecycle - see lifecycle.h.  The whole lifecycle is the table below:
 * one row per state, one column per event.
 */
#include "relay/lifecycle.h"

#include <stdio.h>
#include <string.h>

static const char *const state_names[CASE_STATE_COUNT] = {
	[CASE_QUEUED] = "queued",
	[CASE_AWAITING] = "awaiting",
	[CASE_ANSWERED] = "answered",
	[CASE_WAITING_USER] = "waiting_user",
	[CASE_RESOLVED] = "resolved",
	[CASE_CANCELLED] = "cancelled",
	[CASE_FAILED] = "failed",
	[CASE_SHREDDED] = "shredded",
};

static const char *const state_labels[CASE_STATE_COUNT] = {
	[CASE_QUEUED] = "en file d'envoi",
	[CASE_AWAITING] = "en attente de réponse",
	[CASE_ANSWERED] = "répondu",
	[CASE_WAITING_USER] = "en attente de l'usager",
	[CASE_RESOLVED] = "résolu",
	[CASE_CANCELLED] = "annulé",
	[CASE_FAILED] = "échec d'envoi",
	[CASE_SHREDDED] = "détruit",
};

static const char *const event_names[LC_EVENT_COUNT] = {
	[LC_DELIVERED] = "delivered",
	[LC_RUNG_FAILED] = "rung_failed",
	[LC_BOUNCED] = "bounced",
	[LC_ABSENCE] = "absence",
	[LC_DEADLINE] = "deadline",
	[LC_REPLY] = "reply",
	[LC_FOLLOW_UP] = "send",
	[LC_REROUTE] = "reroute",
	[LC_WAIT] = "wait",
	[LC_RESUME] = "resume",
	[LC_CLOSE] = "close",
	[LC_CANCEL] = "cancel",
	[LC_SHRED] = "shred",
	[LC_MANDATE_EXPIRED] = "mandate_expired",
	[LC_MANDATE_RENEWED] = "mandate_renewed",
};

/* The refusals; "%s" is the state's name. */
enum why {
	W_NONE,
	W_STATE,
	W_SHREDDED,
	W_ALREADY_SHREDDED,
	W_GONE,
	W_WAIT,
	W_RESUME,
	W_SHRED,
	W_RENEW,
};

static const char *const whys[] = {
	[W_NONE] = "",
	[W_STATE] = "impossible dans l'état « %s »",
	[W_SHREDDED] = "dossier détruit",
	[W_ALREADY_SHREDDED] = "dossier déjà détruit",
	[W_GONE] = "dossier détruit ou annulé",
	[W_WAIT] = "seul un dossier en attente de réponse (awaiting) peut être mis en"
	    " attente de l'usager ; celui-ci est « %s »",
	[W_RESUME] = "le dossier n'est pas en attente de l'usager (état « %s »)",
	[W_SHRED] = "seul un dossier résolu ou annulé peut être détruit (état « %s »)",
	[W_RENEW] = "le dossier est « %s » : rien à renouveler",
};

struct cell {
	unsigned char	verdict;
	unsigned char	to;
	unsigned short	effects;
	unsigned char	why;
};

#define A(state, fx)	{ LC_APPLY, (state), (fx), W_NONE }
#define I		{ LC_IGNORE, 0, 0, W_NONE }
#define R(w)		{ LC_REFUSE, 0, 0, (w) }

#define START	LC_FX_START_CLOCK
#define NEXT	LC_FX_NEXT_RUNG
#define QUEUE	LC_FX_QUEUE_RUNG
#define STOP	LC_FX_STOP_PENDING
#define NOTIFY	LC_FX_NOTIFY_AGENT
#define GONE	(LC_FX_STOP_PENDING | LC_FX_SHRED)

/*
 * Columns: delivered, rung_failed, bounced, absence, deadline, reply,
 * send, reroute, wait, resume, close, cancel, shred, mandate_expired,
 * mandate_renewed.
 *
 * A reply on a resolved or failed case (attached by hand) is recorded
 * without reopening it.  A cancelled case is shredded in the same
 * transaction, so "cancelled" is never seen at rest.  A case whose
 * mandate expired waits for its person (waiting_user, no pause of the
 * referent's clock: nothing was sent); the renewal puts it back in the
 * queue (its held deliveries leave); a renewal on a case that still moves
 * changes no state.
 */
static const struct cell table[CASE_STATE_COUNT][LC_EVENT_COUNT] = {
	[CASE_QUEUED] = {
		A(CASE_AWAITING, START), A(CASE_FAILED, NOTIFY), A(CASE_QUEUED, NEXT),
		A(CASE_QUEUED, NEXT), I, A(CASE_ANSWERED, NOTIFY),
		A(CASE_QUEUED, QUEUE), A(CASE_QUEUED, STOP | NEXT), R(W_WAIT),
		R(W_RESUME), A(CASE_RESOLVED, STOP), A(CASE_CANCELLED, GONE),
		R(W_SHRED),
		A(CASE_WAITING_USER, NOTIFY), I,
	},
	[CASE_AWAITING] = {
		A(CASE_AWAITING, START), A(CASE_FAILED, NOTIFY), A(CASE_AWAITING, NEXT),
		A(CASE_AWAITING, NEXT), A(CASE_AWAITING, LC_FX_REMIND),
		A(CASE_ANSWERED, NOTIFY), A(CASE_QUEUED, QUEUE),
		A(CASE_AWAITING, STOP | NEXT), A(CASE_WAITING_USER, LC_FX_PAUSE_CLOCK),
		R(W_RESUME), A(CASE_RESOLVED, STOP), A(CASE_CANCELLED, GONE),
		R(W_SHRED),
		A(CASE_WAITING_USER, NOTIFY), I,
	},
	[CASE_ANSWERED] = {
		A(CASE_ANSWERED, START), A(CASE_FAILED, NOTIFY), I, I, I,
		A(CASE_ANSWERED, NOTIFY), A(CASE_QUEUED, QUEUE),
		A(CASE_QUEUED, STOP | NEXT), R(W_WAIT), R(W_RESUME),
		A(CASE_RESOLVED, STOP), A(CASE_CANCELLED, GONE), R(W_SHRED),
		A(CASE_WAITING_USER, NOTIFY), I,
	},
	[CASE_WAITING_USER] = {
		A(CASE_WAITING_USER, START), A(CASE_FAILED, NOTIFY), I, I, I,
		A(CASE_ANSWERED, NOTIFY), A(CASE_QUEUED, QUEUE),
		A(CASE_QUEUED, STOP | NEXT), R(W_WAIT),
		A(CASE_AWAITING, LC_FX_RESUME_CLOCK), A(CASE_RESOLVED, STOP),
		A(CASE_CANCELLED, GONE), R(W_SHRED),
		I, A(CASE_QUEUED, 0),
	},
	[CASE_RESOLVED] = {
		I, I, I, I, I, A(CASE_RESOLVED, NOTIFY), R(W_STATE), R(W_STATE),
		R(W_WAIT), R(W_RESUME), R(W_STATE), A(CASE_CANCELLED, GONE),
		A(CASE_SHREDDED, LC_FX_SHRED),
		I, R(W_RENEW),
	},
	[CASE_CANCELLED] = {
		I, I, I, I, I, R(W_GONE), R(W_STATE), R(W_STATE), R(W_WAIT),
		R(W_RESUME), R(W_STATE), R(W_STATE), A(CASE_SHREDDED, LC_FX_SHRED),
		I, R(W_RENEW),
	},
	[CASE_FAILED] = {
		I, I, I, I, I, A(CASE_FAILED, NOTIFY), R(W_STATE), R(W_STATE),
		R(W_WAIT), R(W_RESUME), A(CASE_RESOLVED, STOP),
		A(CASE_CANCELLED, GONE), R(W_SHRED),
		I, R(W_RENEW),
	},
	[CASE_SHREDDED] = {
		I, I, I, I, I, R(W_GONE), R(W_SHREDDED), R(W_SHREDDED), R(W_WAIT),
		R(W_RESUME), R(W_SHREDDED), R(W_ALREADY_SHREDDED),
		R(W_ALREADY_SHREDDED),
		I, R(W_SHREDDED),
	},
};

enum lc_verdict
lifecycle_step(enum case_state from, enum lc_event ev, struct lc_step *out)
{
	const struct cell *c;

	memset(out, 0, sizeof(*out));
	if ((unsigned)from >= CASE_STATE_COUNT || (unsigned)ev >= LC_EVENT_COUNT) {
		out->verdict = LC_REFUSE;
		fs_strlcpy(out->why, "état ou événement inconnu", sizeof(out->why));
		return LC_REFUSE;
	}
	c = &table[from][ev];
	out->verdict = (enum lc_verdict)c->verdict;
	out->to = c->verdict == LC_APPLY ? (enum case_state)c->to : from;
	out->effects = c->effects;
	if (c->verdict == LC_REFUSE) {
		/* The templates are the fixed list above: one %s at most. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(out->why, sizeof(out->why), whys[c->why], state_names[from]);
#pragma GCC diagnostic pop
	}
	return out->verdict;
}

const char *
case_state_name(enum case_state s)
{
	return (unsigned)s < CASE_STATE_COUNT ? state_names[s] : NULL;
}

const char *
case_state_label(enum case_state s)
{
	return (unsigned)s < CASE_STATE_COUNT ? state_labels[s] : NULL;
}

int
case_state_parse(const char *name, enum case_state *s)
{
	unsigned i;

	for (i = 0; i < CASE_STATE_COUNT; i++)
		if (strcmp(state_names[i], name) == 0) {
			*s = (enum case_state)i;
			return 0;
		}
	return -1;
}

enum case_state
case_state_of(const char *name)
{
	enum case_state s;

	return name != NULL && case_state_parse(name, &s) == 0 ? s : CASE_STATE_COUNT;
}

const char *
lifecycle_event_name(enum lc_event ev)
{
	return (unsigned)ev < LC_EVENT_COUNT ? event_names[ev] : NULL;
}

int
lifecycle_live(enum case_state s)
{
	return s == CASE_QUEUED || s == CASE_AWAITING || s == CASE_ANSWERED ||
	    s == CASE_WAITING_USER;
}

int
lifecycle_referent_open(enum case_state s)
{
	return s == CASE_AWAITING || s == CASE_WAITING_USER;
}

int
lifecycle_over(enum case_state s)
{
	return s == CASE_RESOLVED || s == CASE_CANCELLED || s == CASE_SHREDDED;
}

/*
 * One node per state, one edge per (from, to) pair that an allowed event
 * moves, labelled with every such event; the events that keep the state
 * are in the table (docs/lifecycle.md), not drawn.
 */
int
lifecycle_dot(struct buf *out)
{
	unsigned s, t, e;
	int r = 0;

	r |= buf_puts(out, "// Generated from relay/lifecycle.c (tests/unit/test_lifecycle.c"
	    " checks it).\n// Render: dot -Tsvg docs/lifecycle.dot -o docs/lifecycle.svg\n"
	    "digraph lifecycle {\n\trankdir=LR;\n\tnode [shape=box, style=rounded,"
	    " fontname=\"DejaVu Sans\"];\n\tedge [fontname=\"DejaVu Sans\", fontsize=10];\n"
	    "\tstart [shape=point];\n");
	for (s = 0; s < CASE_STATE_COUNT; s++)
		r |= buf_printf(out, "\t%s [label=\"%s\\n(%s)\"];\n", state_names[s],
		    state_names[s], state_labels[s]);
	r |= buf_printf(out, "\tstart -> %s [label=\"escalate\"];\n",
	    state_names[LIFECYCLE_INITIAL]);
	for (s = 0; s < CASE_STATE_COUNT; s++)
		for (t = 0; t < CASE_STATE_COUNT; t++) {
			int first = 1;

			if (s == t)
				continue;
			for (e = 0; e < LC_EVENT_COUNT; e++) {
				const struct cell *c = &table[s][e];

				if (c->verdict != LC_APPLY || c->to != t)
					continue;
				if (first)
					r |= buf_printf(out, "\t%s -> %s [label=\"%s",
					    state_names[s], state_names[t], event_names[e]);
				else
					r |= buf_printf(out, ", %s", event_names[e]);
				first = 0;
			}
			if (!first)
				r |= buf_puts(out, "\"];\n");
		}
	r |= buf_puts(out, "}\n");
	return r ? -1 : 0;
}
