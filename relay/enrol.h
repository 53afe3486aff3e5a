/*
 * enrol - a referent's enrolment by email (issue 11, point 1).  The
 * administrator invites a directory address (`referents invite`): the
 * relay mails it a French invitation, reference-free and personal-data-
 * free, with the opener page in « créer ma clé » mode carrying a random
 * invitation token.  The page makes an age identity in the browser and
 * prepares a reply holding only the public key and the token.  The inbox
 * hands such a reply here (enrol_ingest): it is recorded as a proposed key
 * when its token names an open invitation of the sender's address; the
 * administrator reads its fingerprint (`referents list`), checks it by
 * phone, and pins it with `referents key … --verified-by` (admin_key_pin,
 * which marks the invitation pinned and retires the old key).  A proposed
 * key is never used to encrypt: only referent_keys is.
 */
#ifndef FSRELAY_ENROL_H
#define FSRELAY_ENROL_H

#include <stddef.h>
#include <stdint.h>

#include "relay/port/store_enrol.h"

struct instance;
struct parsed_mail;

/* How long an invitation waits for its reply. */
#define ENROL_VALID_DAYS	30
/* The notice kind of an invitation, and the prefix of its once_key (the
 * token follows: the outbox builds the page for it when it sends). */
#define ENROL_NOTICE_KIND	"invitation"
#define ENROL_ONCE_PREFIX	"invitation:"
/* "xxxx xxxx xxxx xxxx xxxx": the first 80 bits of the fingerprint, read
 * out by phone (the page shows the same groups). */
#define ENROL_PHONE_LEN		25

/* A new token "ins-" and 20 lowercase hex (80 random bits). */
void	 enrol_token_new(char out[INVITATION_TOKEN_LEN + 1]);
/*
 * The first token "ins-" + 20 lowercase hex in s[0..n) that stands alone
 * (no letter or digit right before or after): 0 and tok, -1 none.  Pure.
 */
int	 enrol_token_find(const char *s, size_t n, char tok[INVITATION_TOKEN_LEN + 1]);
/*
 * The one age recipient of text[0..n): 0 and rcpt (lowercase, checksum
 * checked); -1 with a static French reason in *why when there is none,
 * when two different ones are given, or when the text holds an age
 * secret key (the referent sent what must stay on their computer).  Pure.
 */
int	 enrol_key_find(const char *text, size_t n, char rcpt[128], const char **why);
/* The phone form of a "SHA256:<hex>" fingerprint into out; "" when the
 * fingerprint is not of that form.  Pure. */
void	 enrol_phone_form(const char *fingerprint, char out[ENROL_PHONE_LEN + 1]);

/*
 * referents invite: address must be a directory address.  Records the
 * invitation (the address's earlier open ones superseded), queues its
 * mail (sent by the next `serve` pass) and the event key.invited, in one
 * transaction.  0 with *r; -1 with a French reason.
 */
int	 enrol_invite(struct instance *in, const char *address, struct invitation_row *r,
	    char *err, size_t errlen);

/*
 * A human mail that names no case (the inbox calls this before
 * quarantining it).  0: no invitation token in its subject or text, the
 * inbox goes on; 1: recorded as the key proposed for the invitation
 * (event key.enrolment-received); 2: refused, with a French reason in why
 * (unknown or closed token, sender other than the invited address, expired,
 * no key or two, a secret key), recorded (key.enrolment-refused): the
 * inbox quarantines the mail.  -1 on a store failure.  Within the inbox's
 * transaction.
 */
int	 enrol_ingest(struct instance *in, const struct parsed_mail *m, char *why,
	    size_t whylen);

/* The address's latest invitation (for `referents list`): 0 and *r, 1
 * none, -1 with the store's reason. */
int	 enrol_latest(struct instance *in, const char *email_lc, struct invitation_row *r,
	    char *err, size_t errlen);

/* French label of an invitation's state, for listings. */
const char	*enrol_state_label(const char *state);

#endif
