/*
 * outbox - the relay's sending.  The mail of a delivery is the case sealed
 * for its recipient (relay/envelope), wrapped in a French cover note
 * (relay/outmail) and scanned for the case's own personal data in every
 * clear part (fail closed).  It is built when the delivery is queued by a
 * command (outbox_prepare) and stored until sent, as an MTA keeps the
 * finished message in its queue; a delivery without one is built when it
 * is due.  One pass (outbox_run) submits every delivery due at "now" over
 * verified TLS (adapters/smtp), one SMTP transaction per recipient, then
 * the staff notices due.
 *
 * A delivery is marked sent only after the server's 250 to DATA; a crash
 * before that re-sends it once, with the same Message-ID (and the same
 * bytes, when it was prepared).  The record of the outcome is a relaxed
 * commit (relay/port/store.h): a power loss may undo it, which only sends
 * the message again.
 *
 * With outbox_workers = N > 1 (fsrelay.conf; default 1: no fork), a pass
 * with 16 due deliveries or more is shared between N child processes,
 * each with its own store connection and SMTP session, each delivery still
 * recorded on its own after its 250; the workers die with `serve`.  A
 * crash then re-sends at most one delivery per worker (each at most once,
 * with its Message-ID).  The notices are sent by `serve` itself once the
 * workers have ended.
 *
 * Temporary failures are retried on this schedule, counted on the relay's
 * clock: 1, 5, 15, 30 minutes, 1, 2, 4 hours, then every 4 hours, for at
 * most OUTBOX_GIVE_UP seconds after the first attempt, after which the
 * delivery fails for good.  When no recipient of a rung remains pending:
 * one delivered → the case awaits its answer, due in working days from the
 * last delivery; all failed → the next rung gets the case, or, on the last
 * rung, the case is `failed` and its agent told (reference only).
 */
#ifndef FSRELAY_OUTBOX_H
#define FSRELAY_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct instance;
struct case_row;
struct buf;

#define OUTBOX_MAX_ATTEMPTS	36
#define OUTBOX_BATCH		1000
/* The part of the envelope that names the person (not a piece name). */
#define PERSON_PART_NAME	"personne.txt"

struct outbox_stats {
	size_t	sent, retried, failed, blocked, notices_sent, notices_retried;
	size_t	held;		/* not attempted: the case's mandate expired */
	/* Sends the submission server refused at login: not counted as an
	 * attempt of the mail (it stays due); the pass sends nothing more,
	 * the next passes wait 1 s doubling to 5 min (relay/daemon). */
	size_t	login_refused;
};

/* The delay before attempt number `attempts` + 1 (attempts >= 1). */
int64_t	 outbox_backoff(int attempts);

/*
 * Attempt every delivery and notice due at in->now.  Failures of a mail are
 * recorded on it; -1 only when the store or configuration fails (French
 * reason in err).
 */
int	 outbox_run(struct instance *in, struct outbox_stats *stats, char *err,
	    size_t errlen);

/*
 * Prepare the mail of every pending delivery of the case that has none
 * yet, and store it (adapters/store_outbox), so that sending is reading it
 * back: called by the commands that queue a case's mail (prog: their
 * name), after their commit.  A delivery whose mail the pre-send scan
 * blocks fails at once (breach register, stderr), as it would when sent;
 * any other build failure is left to the outbox, which builds the mail
 * again when the delivery is due.  -1 on a store failure, told on stderr:
 * the outbox then builds the mails itself.
 */
int	 outbox_prepare(struct instance *in, int64_t case_id, const char *prog);
/*
 * The same inside the caller's open transaction (escalate: the case and
 * its mails in one commit), in a savepoint: a store failure rolls back
 * only the mails (told on stderr, -1; the outbox builds them when due); a
 * mail the scan blocks is left to the outbox too, which fails it when due.
 */
int	 outbox_prepare_in(struct instance *in, int64_t case_id, const char *prog);

/*
 * The pre-send scan at intake, before anything is stored: the clear parts
 * of the mail of case c (ref, reply_token, structure, partner, topic set)
 * for person p and description descr to each address to[0..n), scanned as
 * the outbox will scan them (a value of the case counts only where the same
 * mail built for a blank person does not hold it).  0 clean; 1 blocked,
 * with a French reason naming the field (never the value) in err; -1 with a
 * reason when the check cannot be made (directory, keys).
 */
struct person;
int	 outbox_scan_intake(struct instance *in, const struct case_row *c,
	    const struct person *p, const char *descr, size_t dlen,
	    const char *const *to, size_t n, char *err, size_t errlen);

/* The relay mark (adapters/store: store_mark_*) holding the SIZE limit the
 * SMTP server last announced, in bytes. */
#define OUTBOX_MARK_SMTP_SIZE	"smtp.size_max"
/* When the configured server announced that limit (in->now) and which
 * server it was (a 63-bit hash of smtp_url and smtp_starttls): a fresh
 * answer spares escalate a connection (outbox_size_intake). */
#define OUTBOX_MARK_SMTP_SIZE_AT "smtp.size_at"
#define OUTBOX_MARK_SMTP_SERVER	"smtp.size_server"
/* How long such an answer is believed for a case that fits it, in seconds. */
#define OUTBOX_SIZE_FRESH	600

/*
 * An upper estimate, in bytes, of the mail a case becomes for one referent
 * (cover note, headers, the sealed age file in base64, itself holding the
 * pieces as raw bytes, and the opener page in base64): for a description
 * of dlen bytes and n pieces of piece_len[0..n) bytes.  About 1.37 times
 * the pieces' total, plus about 210 KB.
 */
size_t	 outbox_mail_estimate(size_t dlen, const size_t *piece_len, size_t n);

/*
 * The size check at intake, before anything is stored: a case that fits
 * what the configured server answered less than OUTBOX_SIZE_FRESH seconds
 * ago is not asked again; else asks the SMTP server its SIZE limit
 * (smtp_probe, 15 s at most; recorded), else takes the one it last
 * announced to the outbox or to this check.  A refusal is always made on
 * a fresh answer when the server can be reached.  0 when the
 * estimate fits or no limit is known; 1 when the mail would be refused,
 * with a French reason naming both sizes and the limit in err.
 */
int	 outbox_size_intake(struct instance *in, size_t estimate, char *err,
	    size_t errlen);

/*
 * Queue the deliveries of a rung of the case's ladder (recipients with a
 * usable pinned key; the others are recorded as failed).  Used by escalate
 * for rung 0, and when a rung fails or expires.  Within a transaction.
 * Returns the number of deliveries queued, -1 on a store failure.
 */
int	 outbox_queue_rung(struct instance *in, const struct case_row *c, int rung,
	    int64_t message_id);

/*
 * After a delivery of the case's current rung reached its final state
 * (sent or failed): if none of the rung is pending any more, the case
 * awaits its answer (due from the last 250), or the next rung gets it, or
 * the case fails and its agent is told.  Within a transaction.  0 / -1.
 */
int	 outbox_settle_rung(struct instance *in, const struct case_row *c);

/*
 * Renew the mandate of case ref (issue 14, point 1): a new signature date
 * (valid today, as escalate judges it) and the SHA-256 of its signed copy
 * (or NULL), sealed in the case's person data; the prepared mails of its
 * pending deliveries are dropped and built again (they carry the mandate);
 * a case the outbox held for its mandate (waiting_user without a pause of
 * the agent's) goes back to queued (pending deliveries) or awaiting.  One
 * event case.mandate_renewed by actor.  0, or -1 with a French reason.
 */
int	 outbox_mandate_renew(struct instance *in, const char *ref, const char *signed_on,
	    const char *sha256, const char *actor, char *err, size_t errlen);

/* The mandate of case c judged now, as the outbox judges it before sending
 * (for send and reroute, which refuse at once): 0 valid, or -1 with a
 * French reason naming the command that renews it. */
int	 outbox_mandate_valid(struct instance *in, const struct case_row *c, char *err,
	    size_t errlen);

/* The scope of case c's mandate (case_scope_of its sealed person), for
 * send.  0, or -1 with a French reason. */
int	 outbox_mandate_scope(struct instance *in, const struct case_row *c, unsigned *scope,
	    char *err, size_t errlen);

/* Once a day (Paris): each open case whose mandate ends within
 * mandate_reminder_days gets a notice to its agent (reference and date
 * only), once per mandate.  0, or -1 with a French reason. */
int	 outbox_mandate_reminders(struct instance *in, char *err, size_t errlen);

/* Queue a staff notice (idempotent with a non-empty once_key). */
int	 outbox_notice(struct instance *in, const char *kind, const char *to,
	    const char *case_ref, const char *subject, const char *body,
	    const char *once_key);

/*
 * Queue a staff notice about case c to its agent; when the agent is
 * disabled or removed (`agents disable|remove`), to the active managers
 * (role responsable) of the case's structure instead, so that a case
 * whose agent left is still followed.  once_key as outbox_notice, made
 * per recipient.  0, or -1 (store error).
 */
int	 outbox_agent_notice(struct instance *in, const char *kind, const struct case_row *c,
	    const char *subject, const char *body, const char *once_key);

/* The cover note of case c's mail as the referent reads it (what their
 * client quotes back): malloc'd, or NULL with err. */
char	*outbox_cover_text(struct instance *in, const struct case_row *c, char *err,
	    size_t errlen);

/* The relay's display name (relay_name, default « France Services »). */
const char *outbox_relay_name(const struct instance *in);

/* The opener page (relay/opener.h) of this relay in mode "open" or
 * "enrol" (with the invitation token), into page (buf_init'd here; the
 * caller frees it).  0 / -1 with err. */
int	 outbox_opener_page(struct instance *in, struct buf *page, const char *mode,
	    const char *invitation, char *err, size_t errlen);

#endif
