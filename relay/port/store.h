/*
 * port/store - the store as the core needs it (a port: declared here, in
 * the core; implemented by adapters/store*.c on SQLite).  One file
 * (WAL, secure_delete, defensive mode), schema migrations, prepared
 * statements only.  This header holds what every area shares: opening,
 * transactions, savepoints, the audit trail's one writer, counters.  The
 * areas have their own headers: port/store_{directory,cases,deliveries,
 * inbox,audit,breach}.h.
 *
 * The store holds no personal data in clear: callers hand it sealed blobs
 * (relay/vault) for anything about the person, and clear text only for the
 * directory (public contacts from the convention), agents (staff accounts),
 * opaque references, states and times.  Every state change goes through
 * store_event(), the one function that writes the audit trail.
 */
#ifndef FSRELAY_PORT_STORE_H
#define FSRELAY_PORT_STORE_H

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

/* Savepoints: work inside or outside a transaction.  0 / -1. */
int	 store_savepoint(struct store *st);
int	 store_release(struct store *st);
void	 store_rollback_to(struct store *st);


/* Named counters: "deliveries.pending", "deliveries.sent", "notices.pending". */
int	 store_count(struct store *st, const char *what, long *n);

/* Count rows of a table whose column equals an integer (tests, status). */
int	 store_count_cases_by_state(struct store *st, const char *state, long *n);


#endif
