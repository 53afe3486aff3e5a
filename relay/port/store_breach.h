/*
 * port/store_breach - the store's breach area: the breach register and key
 * compromises. Declared by the core, implemented by adapters/store*.c
 * (SQLite); see port/store.h.
 */
#ifndef FSRELAY_PORT_STORE_BREACH_H
#define FSRELAY_PORT_STORE_BREACH_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"
#include "relay/port/store.h"

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


#endif
