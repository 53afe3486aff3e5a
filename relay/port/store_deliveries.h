/*
 * port/store_deliveries - the store's deliveries area: the outbox,
 * prepared mails, notices. Declared by the core, implemented by
 * adapters/store*.c (SQLite); see port/store.h.
 */
#ifndef FSRELAY_PORT_STORE_DELIVERIES_H
#define FSRELAY_PORT_STORE_DELIVERIES_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"
#include "relay/port/store.h"
#include "relay/port/store_cases.h"

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
 * The chunks of a prepared mail (issue 15: a mail is never held whole):
 * chunk_put adds chunk seq of the delivery's mail (within the caller's
 * transaction, before store_prepared_put, which then holds what reads
 * them back; the caller drops the former mail first), 0 / -1;
 * chunk_get appends chunk seq to *data: 0, 1 none, -1 error (or *data's
 * maximum).  They go with their prepared_mails row.
 */
int	 store_prepared_chunk_put(struct store *st, int64_t delivery_id, int64_t seq,
	    const void *data, size_t len);
int	 store_prepared_chunk_get(struct store *st, int64_t delivery_id, int64_t seq,
	    struct buf *data);
/*
 * Delete the prepared mail of a delivery (within a transaction) without
 * overwriting its pages: it is sealed under the case key (so unreadable
 * once the case is shredded), and the overwrite (PRAGMA secure_delete, on
 * for everything else) would write its whole size again.  0 / -1; ends
 * the process if secure_delete cannot be turned on again.
 */
int	 store_prepared_drop(struct store *st, int64_t delivery_id);


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


#endif
