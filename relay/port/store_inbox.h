/*
 * port/store_inbox - the store's inbox area: fetched mails and quarantine.
 * Declared by the core, implemented by adapters/store*.c (SQLite); see
 * port/store.h.
 */
#ifndef FSRELAY_PORT_STORE_INBOX_H
#define FSRELAY_PORT_STORE_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"
#include "relay/port/store.h"

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
