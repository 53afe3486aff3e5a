/*
 * port/store_audit - the store's audit area: the audit log's events and
 * checkpoints. Declared by the core, implemented by adapters/store*.c
 * (SQLite); see port/store.h.
 */
#ifndef FSRELAY_PORT_STORE_AUDIT_H
#define FSRELAY_PORT_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"
#include "relay/port/store.h"

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


#endif
