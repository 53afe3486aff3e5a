/*
 * store - the SQLite store: one file (WAL, secure_delete, defensive mode),
 * schema migrations, prepared statements only.
 *
 * The store holds no personal data in clear: callers hand it sealed blobs
 * (relay/vault) for anything about the person, and clear text only for the
 * directory (public contacts from the convention), agents (staff accounts),
 * opaque references, states and times.  Every state change goes through
 * store_event(), the one function that writes the audit trail.
 */
#ifndef FSRELAY_STORE_H
#define FSRELAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

struct store;
struct directory;

#define STORE_SCHEMA_VERSION 1

/* Open (creating when create is set) and migrate.  0 / -1 with err. */
int	 store_open(struct store **stp, const char *path, int create,
	    char *err, size_t errlen);
/* Close; *stp becomes NULL; NULL accepted. */
void	 store_close(struct store **stp);
/* Last SQLite error, for messages. */
const char *store_errmsg(struct store *st);

/* Transactions: BEGIN IMMEDIATE, so writers serialise at once. */
int	 store_begin(struct store *st);
int	 store_commit(struct store *st);
void	 store_rollback(struct store *st);
/*
 * A transaction whose commit does not wait for the disk (synchronous =
 * NORMAL in WAL mode; every other transaction is FULL).  A crash of the
 * process loses nothing; a power loss or kernel crash may undo it, with
 * the other relaxed ones committed since the last full commit (a full
 * commit makes all earlier ones durable).  Only for records whose loss
 * repeats work and loses nothing: a delivery's outcome (undone, the
 * message is sent again, with its Message-ID).  Ends with store_commit or
 * store_rollback, which bring back synchronous = FULL.
 */
int	 store_begin_relaxed(struct store *st);

/*
 * Append an audit event.  actor: pseudonymous (agent id, "relay", "admin",
 * "dpo"); action: dotted verb ("case.queued"); case_ref may be NULL;
 * outcome: short, never personal data.
 */
int	 store_event(struct store *st, int64_t at, const char *actor,
	    const char *action, const char *case_ref, const char *outcome);

/* Shred support: checkpoint and truncate the WAL so deleted pages leave it. */
int	 store_checkpoint(struct store *st);

/* --- directory ------------------------------------------------------ */

/*
 * Replace structures, topics and referent rows with those of dir (keyed by
 * partner, structure, topic, role, lowercased address or name).  Pinned keys
 * (keyed by lowercased address) are kept.  Appends one French line per
 * change to changes ("+ ajouté ...", "- retiré ...", "~ modifié ...").
 */
int	 store_directory_replace(struct store *st, const struct directory *dir,
	    struct buf *changes, int *n_changes);
/* Load the directory from the store into dir (directory_free to release).
 * 0 also when empty (n_entries == 0). */
int	 store_directory_load(struct store *st, struct directory *dir);

struct pinned_key {
	char	email_lc[256];
	char	recipient[128];		/* age1... */
	char	fingerprint[80];	/* SHA256:<hex> of the recipient */
	char	verified_by[201];
	int64_t	pinned_at;
	int64_t	compromised_at;		/* 0 if not */
};

/* Pin (or re-pin) the key of an address.  */
int	 store_key_pin(struct store *st, const struct pinned_key *k);
/* 0 found, 1 none, -1 error. */
int	 store_key_get(struct store *st, const char *email_lc, struct pinned_key *k);

/* --- agents --------------------------------------------------------- */

struct agent {
	char	id[65];
	char	structure[65];
	char	name[201];
	char	email[256];
	char	role[16];		/* agent | responsable | dpo | admin */
};

/* 0 added, 1 id already exists, -1 error. */
int	 store_agent_add(struct store *st, const struct agent *a, int64_t now);
/* 0 found, 1 none, -1 error. */
int	 store_agent_get(struct store *st, const char *id, struct agent *a);
/* All agents ordered by id; caller frees *list. */
int	 store_agent_list(struct store *st, struct agent **list, size_t *n);

/* The web desk's accounts, sessions and login counters (relay/account.h),
 * implemented on this store (adapters/store_web.c). */
struct account_port;
void	 store_account_port(struct store *st, struct account_port *p);

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
int	 store_message_list(struct store *st, int64_t case_id, struct message_row **list,
	    size_t *n);

/* --- deliveries (the outbox) ----------------------------------------- */

struct delivery_row {
	int64_t	id;
	int64_t	case_id;
	int64_t	message_id;		/* messages.id */
	int	rung;
	char	recipient[256];		/* display form */
	char	recipient_lc[256];
	char	key_recipient[128];	/* age1... pinned at queue time */
	char	key_fingerprint[80];
	uint8_t	blind_index[32];
	char	state[12];		/* pending | sent | failed */
	int	attempts;
	int64_t	next_attempt_at;
	char	last_error[256];
	char	smtp_message_id[256];
	int64_t	sent_at;
};

int	 store_delivery_insert(struct store *st, struct delivery_row *d);
/* Deliveries of a case, by id. */
int	 store_delivery_list(struct store *st, int64_t case_id,
	    struct delivery_row **list, size_t *n);
/* Pending deliveries due at now, oldest first, at most max. */
int	 store_delivery_due(struct store *st, int64_t now, size_t max,
	    struct delivery_row **list, size_t *n);
int	 store_delivery_update(struct store *st, const struct delivery_row *d);
/* 0 found, 1 none, -1 error. */
int	 store_delivery_get(struct store *st, int64_t id, struct delivery_row *d);
/*
 * The outcome of an attempt: like store_delivery_update, but only while
 * the delivery is still pending.  0 recorded, 1 it is not pending any
 * more (another process finished or stopped it: nothing changed), -1.
 */
int	 store_delivery_record(struct store *st, const struct delivery_row *d);

/*
 * Mails prepared at queue time (adapters/store_outbox.c), one per pending
 * delivery, deleted when it stops being pending; sealed by the caller
 * under the case key.  built_for: what the mail was built with (signing
 * key, addresses, Message-ID), compared before it is used.  put: 0 stored
 * (or replaced), 1 the delivery is not pending (nothing stored), -1 error.
 * get: 0 appended to *mail and built_for copied, 1 none, -1 error (or
 * *mail's maximum).  exists: 1 / 0 / -1.
 */
int	 store_prepared_put(struct store *st, int64_t delivery_id, int64_t at,
	    const char *built_for, const void *mail, size_t len);
int	 store_prepared_get(struct store *st, int64_t delivery_id, struct buf *mail,
	    char *built_for, size_t size);
int	 store_prepared_exists(struct store *st, int64_t delivery_id);
/*
 * Delete the prepared mail of a delivery (within a transaction) without
 * overwriting its pages: it is sealed under the case key (so unreadable
 * once the case is shredded), and the overwrite (PRAGMA secure_delete, on
 * for everything else) would write its whole size again.  0 / -1; ends
 * the process if secure_delete cannot be turned on again.
 */
int	 store_prepared_drop(struct store *st, int64_t delivery_id);

/* Move the case to a rung, with its referent deadline and overdue flag. */
int	 store_case_set_rung(struct store *st, int64_t case_id, int rung, int64_t due_at,
	    int overdue);
/* The case whose reply token is token: 0 found, 1 none, -1 error. */
int	 store_case_by_token(struct store *st, const char *token, struct case_row *c);

/* --- notices: mails to staff, references only ------------------------ */

struct notice_row {
	int64_t	id;
	char	kind[32];		/* delivery-failed, queued-too-long, ... */
	char	recipient[256];
	char	subject[256];
	char	body[4096];
	char	case_ref[32];
	char	state[12];		/* pending | sent | failed */
	int	attempts;
	int64_t	next_attempt_at;
	char	last_error[256];
	int64_t	created_at;
	int64_t	sent_at;
	char	once_key[128];		/* non-empty: insert at most once */
};

/* Queue a notice; with a once_key already used, nothing happens (id 0). */
int	 store_notice_insert(struct store *st, struct notice_row *n);
int	 store_notice_due(struct store *st, int64_t now, size_t max,
	    struct notice_row **list, size_t *n);
int	 store_notice_update(struct store *st, const struct notice_row *n);

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

/* Named counters: "deliveries.pending", "deliveries.sent", "notices.pending". */
int	 store_count(struct store *st, const char *what, long *n);

/* Count rows of a table whose column equals an integer (tests, status). */
int	 store_count_cases_by_state(struct store *st, const char *state, long *n);

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

/* --- audit log and breach register (relay/audit, relay/breach) ------- */

/* One row of events as stored, for the audit log's leaves.  The strings
 * point into SQLite's memory and are valid during the callback only; their
 * lengths are the stored byte lengths. */
struct store_event_view {
	int64_t		 seq;
	int64_t		 at;
	const char	*field[4];	/* actor, action, case_ref, outcome */
	size_t		 len[4];
};

/* Call cb on every event with from <= at < to, in seq order (from = INT64_MIN
 * and to = INT64_MAX give the whole log).  A non-zero return of cb stops
 * the scan and is returned.  0 at the end, -1 on a store error. */
int	 store_event_scan(struct store *st, int64_t from, int64_t to,
	    int (*cb)(void *arg, const struct store_event_view *ev), void *arg);

/* Savepoints: work inside or outside a transaction.  0 / -1. */
int	 store_savepoint(struct store *st);
int	 store_release(struct store *st);
void	 store_rollback_to(struct store *st);

struct audit_checkpoint_row {
	int64_t		 id;
	uint64_t	 size;
	uint8_t		 root[32];
	int64_t		 at;
	char		*note;		/* malloc'd signed note */
};

/* Append a checkpoint (append-only table audit_checkpoints). */
int	 store_audit_checkpoint_add(struct store *st, uint64_t size,
	    const uint8_t root[32], int64_t at, const char *note);
/* Every stored checkpoint in id order; caller frees with
 * store_audit_checkpoint_free.  0 / -1. */
int	 store_audit_checkpoint_list(struct store *st,
	    struct audit_checkpoint_row **list, size_t *n);
void	 store_audit_checkpoint_free(struct audit_checkpoint_row *list, size_t n);
/* The time of the latest checkpoint: 0 found, 1 none, -1 error. */
int	 store_audit_checkpoint_last_at(struct store *st, int64_t *at);
/* The time of the first event: 0 found, 1 none, -1 error. */
int	 store_event_first_at(struct store *st, int64_t *at);

/* The clear columns of a breach register version (the rest is the sealed
 * body, relay/breach). */
struct breach_version_row {
	int64_t	breach_id;
	int	version;
	int64_t	recorded_at;
	char	author[65];
	char	status[16];
	char	source[32];
	char	case_ref[32];		/* first linked case, "" if none */
	int64_t	detected_at;
	int64_t	deadline_at;
	char	kek_id[33];
};

/* Append a version (append-only).  1 if (breach_id, version) exists. */
int	 store_breach_version_add(struct store *st, const struct breach_version_row *v,
	    const void *body, size_t len);
/* The latest version of a breach: 0 found (body in *body), 1 none, -1. */
int	 store_breach_latest(struct store *st, int64_t breach_id,
	    struct breach_version_row *v, struct buf *body);
/* Every breach's latest version, by id; caller frees *list.  0 / -1. */
int	 store_breach_list(struct store *st, struct breach_version_row **list, size_t *n);
/* Next free breach id (within a transaction or savepoint).  0 / -1. */
int	 store_breach_next_id(struct store *st, int64_t *id);
/* A breach not closed with this source and first case: 0 found (*id),
 * 1 none, -1. */
int	 store_breach_find_open(struct store *st, const char *source, const char *case_ref,
	    int64_t *id);
/* Alerts sent to the DPO: stage 0 detection, 1..3 fractions, 4 overdue. */
int	 store_breach_alert_add(struct store *st, int64_t breach_id, int stage,
	    int64_t deadline_at, int64_t at);
/* Highest stage recorded, -1 if none.  0 / -1. */
int	 store_breach_alert_max(struct store *st, int64_t breach_id, int *stage);

/* What a compromised key exposes. */
enum store_scope {
	SCOPE_KEY_SENT,		/* cases sent to the key whose fingerprint is arg */
	SCOPE_INBOUND,		/* cases with a message received by the relay */
	SCOPE_SENT,		/* cases with any delivery sent */
	SCOPE_KEYED,		/* cases whose data key is still stored */
};
/* Count the cases of a scope and the distinct persons (blind index); their
 * references, space-separated, are appended to refs.  0 / -1. */
int	 store_scope_count(struct store *st, enum store_scope scope, const char *arg,
	    long *cases, long *persons, struct buf *refs);
/* Mark the pinned key of email_lc compromised at now: 0, 1 no such key, -1. */
int	 store_key_compromise(struct store *st, const char *email_lc, int64_t now);
/* Pending deliveries to the key fingerprint become failed with reason.
 * *n = how many.  0 / -1. */
int	 store_delivery_stop_key(struct store *st, const char *fingerprint,
	    const char *reason, long *n);

/* --- inbox: fetched mails and quarantine (store_inbox.c, issue 4) ---- */

/* A mail fetched from the relay's mailbox; its content is sealed under a
 * per-mail key (columns "key", "content", see relay/inbox). */
struct raw_mail_row {
	int64_t		id;
	uint32_t	uidvalidity;
	uint32_t	uid;
	int64_t		received_at;
	int64_t		size;
	char		state[12];	/* new | processed */
	int		expunged;
};

/* Insert (state new): 0 and r->id, 1 when (uidvalidity, uid) or the digest
 * (a keyed hash of the raw bytes) is already known, -1 error. */
int	 store_raw_insert(struct store *st, struct raw_mail_row *r,
	    const uint8_t digest[32]);
/* Set ("key", "content") or clear (blob NULL) a sealed column.  0 / -1. */
int	 store_raw_set_blob(struct store *st, int64_t id, const char *column,
	    const void *blob, size_t len);
/* 0 and *blob appended, 1 when NULL or no such row, -1 error. */
int	 store_raw_get_blob(struct store *st, int64_t id, const char *column,
	    struct buf *blob);
/* 0 found, 1 none, -1 error. */
int	 store_raw_get(struct store *st, int64_t id, struct raw_mail_row *r);
/* Mails not yet processed, oldest first, at most max; caller frees. */
int	 store_raw_pending(struct store *st, size_t max, struct raw_mail_row **list,
	    size_t *n);
/* 1 when (uidvalidity, uid) is stored, 0 when not, -1 error. */
int	 store_raw_known(struct store *st, uint32_t uidvalidity, uint32_t uid);
int	 store_raw_set_state(struct store *st, int64_t id, const char *state);
int	 store_raw_set_expunged(struct store *st, uint32_t uidvalidity, uint32_t uid);
/* Rows in state (NULL: all).  0 / -1. */
int	 store_raw_count(struct store *st, const char *state, long *n);

struct quarantine_row {
	int64_t	id;
	int64_t	raw_id;			/* inbox_raw.id */
	char	reason[24];		/* stranger, conflicting-keys, no-case, ... */
	char	case_hint[32];		/* the case its keys point to, or "" */
	int64_t	received_at;
	char	state[12];		/* held | assigned | rejected */
	int64_t	decided_at;
	char	assigned_ref[32];
};

/* Insert (state held); sets q->id.  0 / -1. */
int	 store_quarantine_insert(struct store *st, struct quarantine_row *q);
/* The sealed Message-ID/From/Subject; blob NULL clears it.  0 / -1. */
int	 store_quarantine_set_meta(struct store *st, int64_t id, const void *blob,
	    size_t len);
/* 0 and *blob appended, 1 when NULL (rejected) or no row, -1 error. */
int	 store_quarantine_get_meta(struct store *st, int64_t id, struct buf *blob);
/* 0 found, 1 none, -1 error. */
int	 store_quarantine_get(struct store *st, int64_t id, struct quarantine_row *q);
/* Every row, by id; caller frees. */
int	 store_quarantine_list(struct store *st, struct quarantine_row **list, size_t *n);
/* Set state (assigned | rejected), time and assigned case.  0 / -1. */
int	 store_quarantine_decide(struct store *st, int64_t id, const char *state,
	    int64_t at, const char *assigned_ref);

#endif
