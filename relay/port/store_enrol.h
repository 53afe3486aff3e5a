/*
 * port/store_enrol - the store's enrolment area (issue 11): the
 * invitations sent to referents and the public key each one's reply
 * proposed.  A proposed key is only a record: the outbox reads keys from
 * referent_keys alone (port/store_directory.h), which only `referents key
 * --verified-by` writes.  Declared by the core, implemented by
 * adapters/store_enrol.c (SQLite); see port/store.h.
 */
#ifndef FSRELAY_PORT_STORE_ENROL_H
#define FSRELAY_PORT_STORE_ENROL_H

#include <stddef.h>
#include <stdint.h>

#include "relay/port/store.h"

#define INVITATION_TOKEN_LEN	24	/* "ins-" and 20 lowercase hex */

/* The states of an invitation, in the order they come. */
#define INVITATION_SENT		"sent"		/* queued or sent, no reply yet */
#define INVITATION_RECEIVED	"received"	/* a key came back, not verified */
#define INVITATION_PINNED	"pinned"	/* that key was verified and pinned */
#define INVITATION_SUPERSEDED	"superseded"	/* a later invitation replaced it */

struct invitation_row {
	int64_t	id;
	char	email_lc[256];
	char	token[INVITATION_TOKEN_LEN + 1];
	char	state[12];
	int64_t	created_at;
	int64_t	received_at;		/* 0: no reply yet */
	int64_t	pinned_at;		/* 0: not pinned */
	char	recipient[128];		/* the proposed age1..., "" before */
	char	fingerprint[80];	/* SHA256:<hex> of it, "" before */
};

/* Insert r (state "sent"), the address's earlier invitations still open
 * (sent or received) becoming "superseded"; r->id is set.  0 / -1. */
int	 store_invitation_insert(struct store *st, struct invitation_row *r);
/* 0 and *r for the token, 1 none, -1 error. */
int	 store_invitation_by_token(struct store *st, const char *token,
	    struct invitation_row *r);
/* 0 and *r for the address's latest invitation, 1 none, -1 error. */
int	 store_invitation_latest(struct store *st, const char *email_lc,
	    struct invitation_row *r);
/* Record the key a reply proposed for invitation id (state "sent" to
 * "received").  0 done, 1 the invitation was not in state "sent", -1. */
int	 store_invitation_receive(struct store *st, int64_t id, const char *recipient,
	    const char *fingerprint, int64_t at);
/* The address's invitations in state "received" proposing recipient
 * become "pinned" at at; *n how many.  0 / -1. */
int	 store_invitation_pin(struct store *st, const char *email_lc,
	    const char *recipient, int64_t at, int *n);

#endif
