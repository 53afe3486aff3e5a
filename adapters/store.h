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
	char	role[16];		/* agent | responsable */
};

/* 0 added, 1 id already exists, -1 error. */
int	 store_agent_add(struct store *st, const struct agent *a, int64_t now);
/* 0 found, 1 none, -1 error. */
int	 store_agent_get(struct store *st, const char *id, struct agent *a);
/* All agents ordered by id; caller frees *list. */
int	 store_agent_list(struct store *st, struct agent **list, size_t *n);

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

/* Named counters: "deliveries.pending", "deliveries.sent", "notices.pending". */
int	 store_count(struct store *st, const char *what, long *n);

/* Count rows of a table whose column equals an integer (tests, status). */
int	 store_count_cases_by_state(struct store *st, const char *state, long *n);

#endif
