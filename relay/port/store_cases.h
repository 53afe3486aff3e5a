/*
 * port/store_cases - the store's cases area: cases, documents, messages,
 * report facts, deadlines. Declared by the core, implemented by
 * adapters/store*.c (SQLite); see port/store.h.
 */
#ifndef FSRELAY_PORT_STORE_CASES_H
#define FSRELAY_PORT_STORE_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"
#include "relay/port/store.h"

/* --- cases ---------------------------------------------------------- */

/* Next sequence number for (insee, year), never reused.  Within a
 * transaction. */
int	 store_next_seq(struct store *st, const char *insee, int year, long *seq);

struct case_row {
	int64_t	id;
	char	ref[32];
	char	structure[65];
	char	partner[33];
	char	topic[65];
	char	agent[65];
	char	state[16];
	int	rung;
	int64_t	created_at;
	int64_t	due_at;			/* 0 = unknown */
	int64_t	user_due_at;		/* 0 = unknown */
	int	overdue;
	char	last_error[256];	/* "" = none */
	uint8_t	blind_index[32];
	char	reply_token[64];	/* the +token of the Reply-To address */
	int64_t	updated_at;
	int64_t	remind_at;		/* reminder instant of the rung: 0 none or
					 * done, -1 to compute (relay/tick) */
};

/* Insert a case row (state queued); sets c->id. */
int	 store_case_insert(struct store *st, struct case_row *c);
/* Store a sealed blob in a column of cases ("person", "description"). */
int	 store_case_set_blob(struct store *st, int64_t case_id, const char *column,
	    const void *blob, size_t len);
/* 0 and *blob (caller buf_free) / 1 when NULL (shredded) / -1. */
int	 store_case_get_blob(struct store *st, int64_t case_id, const char *column,
	    struct buf *blob);
int	 store_case_set_state(struct store *st, int64_t case_id, const char *state,
	    int64_t now);
int	 store_case_set_error(struct store *st, int64_t case_id, const char *error);
int	 store_case_set_due(struct store *st, int64_t case_id, int64_t due_at,
	    int64_t user_due_at);
/* 0 found, 1 none, -1 error. */
int	 store_case_get(struct store *st, const char *ref, struct case_row *c);
int	 store_case_get_by_id(struct store *st, int64_t id, struct case_row *c);
/* All cases (agent NULL) or an agent's, newest first; caller frees. */
int	 store_case_list(struct store *st, const char *agent, struct case_row **list,
	    size_t *n);

/* What orders a list by urgency (relay/tick): a case's id, state,
 * overdue flag and deadlines, without the rest of its row. */
struct case_key {
	int64_t	id;
	char	state[16];
	int	overdue;
	int64_t	due_at;
	int64_t	user_due_at;
};
/* The keys of an agent's cases, in no particular order (a covering index:
 * the web desk's list of 10,000 cases reads no case row); caller frees.
 * 0 / -1. */
int	 store_case_keys(struct store *st, const char *agent, struct case_key **list,
	    size_t *n);

/*
 * The due-time queries of the daemon pass (issue 15): each reads an index
 * and returns only what it selects, at most max rows with id > after, by
 * id (keyset pages: call again with the last id until fewer than max).
 * Caller frees *list.
 *   store_case_due: awaiting cases whose deadline (due_at, not yet
 *     overdue) or reminder instant (remind_at) is at or before now, or
 *     whose reminder instant is still to compute (remind_at = -1);
 *   store_case_stale: cases in `state` whose updated_at (by_update) or
 *     created_at is before `before`.
 */
int	 store_case_due(struct store *st, int64_t now, int64_t after, size_t max,
	    struct case_row **list, size_t *n);
int	 store_case_stale(struct store *st, const char *state, int by_update, int64_t before,
	    int64_t after, size_t max, struct case_row **list, size_t *n);
/* Retention of the blind index (relay/purge): the shredded cases shredded
 * (updated_at) in [from, before) that still carry a blind index, keyset
 * pages as above; remove the blind index of a shredded case and of its
 * deliveries (an empty blob); 1 when some blind index of the case remains,
 * 0 none, -1. */
int	 store_case_shredded_indexed(struct store *st, int64_t from, int64_t before,
	    int64_t after, size_t max, struct case_row **list, size_t *n);
int	 store_case_unindex(struct store *st, int64_t case_id);
int	 store_case_index_remains(struct store *st, int64_t case_id);
/* Set a case's reminder instant (see struct case_row). */
int	 store_case_set_remind(struct store *st, int64_t case_id, int64_t remind_at);
/* An agent's cases with a referent or user deadline before `before`, or
 * overdue, newest first (the digest filters by state); caller frees. */
int	 store_case_agent_due(struct store *st, const char *agent, int64_t before,
	    struct case_row **list, size_t *n);
/* The overdue cases at now (tick_case_overdue, through the indexes), all or
 * an agent's, newest first; caller frees. */
int	 store_case_overdue(struct store *st, int64_t now, const char *agent,
	    struct case_row **list, size_t *n);
/* A count per key. */
struct store_count_row {
	char	key[65];
	long	n;
};
/* The overdue cases at now counted per partner, by partner; caller frees. */
int	 store_overdue_by_partner(struct store *st, int64_t now,
	    struct store_count_row **list, size_t *n);

/* The case's wrapped data key. */
int	 store_case_key_put(struct store *st, int64_t case_id, const char *kek_id,
	    const void *wrapped, size_t len);
/* 0 found (wrapped in *blob, kek id copied), 1 none (shredded), -1. */
int	 store_case_key_get(struct store *st, int64_t case_id, char kek_id[33],
	    struct buf *blob);

/*
 * Shred a case: delete its wrapped key, every sealed column and document
 * content; keep hashes, sizes, deliveries' fingerprints and blind index;
 * state becomes "shredded".  Then checkpoint the WAL (after commit).
 */
int	 store_case_shred(struct store *st, int64_t case_id, int64_t now);

/* --- documents ------------------------------------------------------- */

struct document_row {
	int64_t	id;
	int64_t	case_id;
	int64_t	message_id;		/* messages.id it belongs to */
	char	kind[16];		/* piece | mandat */
	int64_t	size;
	char	sha256[65];
	char	media_type[128];
};

/* Insert metadata, returns id in d->id; sealed name and content are set
 * with store_document_set_blob ("name", "content"). */
int	 store_document_insert(struct store *st, struct document_row *d);
int	 store_document_set_blob(struct store *st, int64_t id, const char *column,
	    const void *blob, size_t len);
int	 store_document_get_blob(struct store *st, int64_t id, const char *column,
	    struct buf *blob);
/* Documents of a message (message_id) or of the whole case (0). */
int	 store_document_list(struct store *st, int64_t case_id, int64_t message_id,
	    struct document_row **list, size_t *n);

/* --- messages (the case thread) -------------------------------------- */

struct message_row {
	int64_t	id;
	int64_t	case_id;
	char	kind[16];		/* case, reply, auto-reply, bounce, ... */
	char	direction[4];		/* in | out */
	char	sender[256];
	char	recipients[1024];	/* space-separated addresses */
	char	message_id[256];	/* "" until known */
	int64_t	at;
	int	flagged;
};

int	 store_message_insert(struct store *st, struct message_row *m);
int	 store_message_set_text(struct store *st, int64_t id, const void *blob, size_t len);
int	 store_message_get_text(struct store *st, int64_t id, struct buf *blob);
/* The whole decoded text of a reply whose history was folded (sealed);
 * get: 0, 1 when there is none (nothing folded, or shredded), -1. */
int	 store_message_set_full_text(struct store *st, int64_t id, const void *blob,
	    size_t len);
int	 store_message_get_full_text(struct store *st, int64_t id, struct buf *blob);
int	 store_message_list(struct store *st, int64_t case_id, struct message_row **list,
	    size_t *n);

/* Move the case to a rung, with its referent deadline and overdue flag. */
int	 store_case_set_rung(struct store *st, int64_t case_id, int rung, int64_t due_at,
	    int overdue);
/* The case whose reply token is token: 0 found, 1 none, -1 error. */
int	 store_case_by_token(struct store *st, const char *token, struct case_row *c);

/* --- reports (relay/report) ------------------------------------------ */

/* A case created in a period, with what the quarterly report needs. */
struct case_facts {
	struct case_row	c;
	int64_t		first_sent_at;	/* first 250 of any of its deliveries (bounced
					 * later or not); 0 = none */
	int64_t		first_reply_at;	/* first reply of a referent (not automatic); 0 = none */
	int		cancelled;	/* cancelled (then shredded) */
};

/* The cases created in [from, to), of one structure (or all: NULL), by
 * partner, topic and id.  Caller frees *list. */
int	 store_case_facts(struct store *st, int64_t from, int64_t to, const char *structure,
	    struct case_facts **list, size_t *n);

/* --- deadlines: ladder ledger, pauses, marks (store_deadline.c) -------- */

/*
 * Record that a ladder step fired; (case, rung, step) is unique.  1 when
 * recorded now (the caller then does the step, in the same transaction),
 * 0 when it had already fired (do nothing), -1 on error.  step: "reminder",
 * "escalate", "exhausted"; outcome: short, no personal data.
 */
int	 store_step_fire(struct store *st, int64_t case_id, int rung, const char *step,
	    int64_t at, const char *outcome);
/* 1 fired, 0 not, -1 error. */
int	 store_step_fired(struct store *st, int64_t case_id, int rung, const char *step);
/* Steps of a case named step (all steps if step is NULL) into *n.  0 / -1. */
int	 store_step_count(struct store *st, int64_t case_id, const char *step, long *n);

/* A pause of the referent's clock (waiting_user). */
struct pause_row {
	int64_t	id;
	int64_t	case_id;
	int	rung;
	int64_t	started_at;
	int64_t	ended_at;		/* 0 while paused */
	int64_t	paused_secs;		/* working time, in the partner's unit */
};

/* Open a pause of case_id on rung at `at`.  0 / -1. */
int	 store_pause_begin(struct store *st, int64_t case_id, int rung, int64_t at);
/* The case's open pause into *p: 0 found, 1 none, -1 error. */
int	 store_pause_open(struct store *st, int64_t case_id, struct pause_row *p);
/* Close pause id at `at` with the working time it lasted.  0 / -1. */
int	 store_pause_end(struct store *st, int64_t id, int64_t at, int64_t paused_secs);
/* Every pause of a case, any rung, by start.  Caller frees *list. */
int	 store_pause_list(struct store *st, int64_t case_id, struct pause_row **list,
	    size_t *n);
/* Sum of the closed pauses' working time on (case, rung).  0 / -1. */
int	 store_pause_total(struct store *st, int64_t case_id, int rung, int64_t *secs);

/*
 * Named instants and counters kept by the relay, e.g. "mailbox.last_poll"
 * (set by the ingest at each successful poll; shown by `fsrelay status`).
 * get: 0 found, 1 none, -1 error.
 */
int	 store_mark_set(struct store *st, const char *name, int64_t value);
int	 store_mark_get(struct store *st, const char *name, int64_t *value);


#endif
