/*
 * inbox - ingest of the relay's mailbox (issue 4): every new mail is
 * fetched over verified IMAPS (adapters/imap), stored sealed before
 * anything else, parsed in a contained child process (adapters/mime),
 * matched (relay/match) and its effects applied to the case in one
 * transaction, then expunged from the mailbox.
 *
 * Exactly once across crashes: a mail is stored sealed under its own
 * random key (wrapped by the KEK) in inbox_raw, keyed UNIQUE by
 * (UIDVALIDITY, UID) and by a keyed digest of its bytes, and committed
 * before it is parsed; its effects and its "processed" mark are in one
 * transaction (up to 20 mails and 32 MiB share a transaction: one fsync;
 * a failing group is replayed one mail per transaction, from the parses
 * kept); it is deleted from the mailbox only once stored.  A crash
 * between any two steps redoes the unfinished step and nothing else.
 *
 * Containment: libetpan runs only in a forked child that receives the raw
 * bytes of ONE mail, has CPU (5 s) and address-space (512 MiB) limits and
 * no other descriptor, and returns the parsed model over a pipe
 * (mime_serialize); the daemon re-checks it (mime_deserialize).  A child
 * that crashes, hangs or answers garbage files the mail as malformed
 * (kept sealed in quarantine) and the pass goes on.  In a pass, the
 * children are forked by "zygotes" or parser roots (see
 * inbox_parser_start), helpers started once per pass as a fresh image of
 * the binary, that hold no key and no password and parse nothing
 * themselves; with one zygote per processor plus one, the next mails are
 * parsed while the daemon applies the current one (at most one mail per
 * zygote and 32 MiB sent ahead).
 *
 * Effects (design §6, issue 4 item 4): human reply → message "reply" on
 * the case, case answered, agent told (reference only); flagged sender →
 * also a security event; auto-reply → message "auto-reply", and with an
 * absence the case goes to the next rung at once; DSN → message
 * "bounce", a permanent one fails its delivery and, when nothing of the
 * rung is left, moves the case on and tells the agent; anything else →
 * quarantine with one reason of the closed list.
 *
 * Trusts: the store, the keys, the parsed model once re-checked.
 * Distrusts: the mail and the mailbox server.
 */
#ifndef FSRELAY_INBOX_H
#define FSRELAY_INBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "relay/util.h"

struct instance;
struct case_row;
struct parsed_mail;

#define INBOX_BATCH		5000	/* mails processed per pass at most */
/* The mark a message's text gets for an age attachment the relay could
 * not open (its name follows). */
#define INBOX_AGE_UNOPENED	"À VÉRIFIER : pièce jointe"

#define INBOX_CHILD_CPU_S	5	/* RLIMIT_CPU of the parsing child */
#define INBOX_CHILD_WALL_S	15	/* then SIGKILL */
#define INBOX_CHILD_AS		(512UL * 1024 * 1024)
#define INBOX_ZYGOTE_GRACE_S	5	/* the zygote answers within WALL_S + this */

struct inbox_stats {
	size_t	fetched;	/* new mails stored this pass */
	size_t	expunged;
	size_t	replies;	/* human replies attached */
	size_t	autoreplies;
	size_t	bounces;
	size_t	quarantined;
	size_t	enrolments;	/* keys proposed by invitation replies */
	size_t	malformed;	/* of which the parser failed */
	size_t	skipped;	/* too large: left in the mailbox */
};

/*
 * One pass: when imap_url is configured, list the mailbox, store every new
 * mail sealed; then process every stored mail not yet processed; then
 * delete from the mailbox every mail stored.  Network and parser failures
 * are logged (stderr, no personal data) and leave the rest for the next
 * pass; -1 only when the store fails (French reason in err).
 */
int	 inbox_run(struct instance *in, struct inbox_stats *stats, char *err,
	    size_t errlen);

/*
 * Between two passes of `serve`: wait at most max_ms, less when the relay's
 * mailbox announces new mail (IMAP IDLE on a connection of its own, opened
 * on first use once the pass has made in->mailbox) or a signal comes.
 * Without IDLE (not offered, or its connection lost: retried after 60 s),
 * a plain sleep: the poll fallback.
 */
void	 inbox_wait(struct instance *in, int max_ms);
/* Close the mailbox session `serve` kept across passes (in->mailbox);
 * no-op without one. */
void	 inbox_mailbox_close(struct instance *in);
/* Only the processing step (no network): used by inbox_run and tests. */
int	 inbox_process_pending(struct instance *in, struct inbox_stats *stats,
	    char *err, size_t errlen);

/*
 * Store raw[0..len) as a new mail (sealed, state new) with that
 * (uidvalidity, uid).  0 stored, 1 already known (nothing added), -1 store
 * failure.  Within the caller's transaction.
 */
int	 inbox_store_raw(struct instance *in, uint32_t uidvalidity, uint32_t uid,
	    const char *raw, size_t len, int64_t *raw_id);

/* Unseal a stored mail's raw bytes into out.  0, 1 when its content has
 * been dropped (attached or rejected), -1 (altered, store) with err. */
int	 inbox_raw_content(struct instance *in, int64_t raw_id, struct buf *out,
	    char *err, size_t errlen);

/*
 * Parse raw in a contained child (see above) forked by a parser root of
 * its own, started for this mail and ended after it (the quarantine's
 * re-parse, the decrypted content of an age reply).  0 and *m (mime_free
 * it), -1 with a French reason in err (parser refused the mail, crashed,
 * was killed, or answered garbage; or no root could be started).
 */
int	 inbox_parse_contained(const char *raw, size_t len, struct parsed_mail *m,
	    char *err, size_t errlen);

/*
 * The parser zygote (the parser root), for a pass over many mails: a
 * helper process that the daemon forks and that at once executes the
 * binary again (/proc/self/exe), so that it starts from a fresh image
 * holding none of the daemon's memory: no key, no mailbox or submission
 * password, no configuration (its environment: the sanitizers' and the
 * log mode's variables only).  It keeps only its socket (relay/frames.h
 * on it) and its sandbox (keys/sandbox, SANDBOX_ZYGOTE), then for
 * each mail it receives over a socket pair forks one contained child
 * exactly as inbox_parse_contained does (same limits, same isolation: one
 * child per mail, nothing shared between two mails' parses) and relays
 * its answer.  The zygote never parses.  Forking from it spares the
 * daemon a fork per mail (its page tables copied, then a copy-on-write
 * fault on each page it writes), and with several zygotes several children
 * parse at once while the daemon applies the effects of earlier mails.  A
 * zygote dies with the daemon (PR_SET_PDEATHSIG) and ignores SIGINT and
 * SIGTERM (the daemon ends it).
 */
struct inbox_parser;

/*
 * Start a zygote (in: the test hooks it is sent, may be NULL).  NULL
 * when it cannot be started (logged): callers pass NULL on to
 * inbox_parser_parse, which then starts a root per mail.
 */
struct inbox_parser *inbox_parser_start(struct instance *in);

/*
 * Same contract as inbox_parse_contained, through the zygote p.  If p is
 * NULL, or the zygote fails (not the child: the zygote itself), the mail
 * is parsed by inbox_parse_contained instead and the zygote is given up
 * (the pass starts its lane a new one, once).
 */
int	 inbox_parser_parse(struct inbox_parser *p, const char *raw, size_t len,
	    struct parsed_mail *m, char *err, size_t errlen);

/*
 * inbox_parser_parse in two halves, so that the daemon can work while a
 * child parses: send raw to the zygote (at most one request outstanding
 * per zygote), later receive its answer.  send: 0 sent, -1 not sent (p
 * NULL, broken, or a request outstanding).  recv: the contract of
 * inbox_parse_contained; it needs the same raw bytes, parsed by
 * inbox_parse_contained when nothing was sent or the zygote failed.
 */
int	 inbox_parser_send(struct inbox_parser *p, const char *raw, size_t len);
int	 inbox_parser_recv(struct inbox_parser *p, const char *raw, size_t len,
	    struct parsed_mail *m, char *err, size_t errlen);

/* The zygote's process id (tests, logs); -1 when there is none. */
pid_t	 inbox_parser_pid(const struct inbox_parser *p);

/* End the zygote (and reap it) and free p; NULL is a no-op. */
void	 inbox_parser_stop(struct inbox_parser *p);

/*
 * Replace m's text and attachments by those of the age file it carries
 * for the relay's identity (keys/relay-identity.key), if any.  0 (also
 * when there is none), -1 with err when an age attachment for us does not
 * decrypt (the mail then keeps its clear parts).
 */
int	 inbox_open_age(struct instance *in, struct parsed_mail *m, char *err,
	    size_t errlen);

/*
 * Attach a parsed mail to case c as a message of kind (reply, auto-reply,
 * bounce): text folded and sealed under the case key, attachments sealed
 * as documents.  *msg_id gets messages.id.  Within the caller's
 * transaction.  0 / -1 with err.
 */
int	 inbox_attach(struct instance *in, const struct case_row *c,
	    const struct parsed_mail *m, const char *kind, int flagged,
	    int64_t *msg_id, char *err, size_t errlen);

/*
 * The effects of a human reply on c: case answered (event case.answered),
 * agent told once per mail (once key "reply:<raw_id>").  Within the
 * caller's transaction.  0 / -1.
 */
int	 inbox_reply_effects(struct instance *in, const struct case_row *c,
	    int64_t raw_id);

/*
 * Move c to its next rung now (rerouted by hand, absence, bounce): the
 * case's message is queued to every recipient of rung + 1.  Returns the
 * number of deliveries queued (0: there is no next rung, nothing changed),
 * -1 on a store failure.  Writes case.rerouted with outcome why.  Within
 * the caller's transaction.
 */
int	 inbox_next_rung(struct instance *in, const struct case_row *c, const char *actor,
	    const char *why);

/*
 * Drop the sealed content of a stored mail (its key, its bytes) and of its
 * quarantine meta: crypto-shredding.  Within the caller's transaction.
 */
int	 inbox_raw_drop(struct instance *in, int64_t raw_id, int64_t quarantine_id);

/*
 * The quarantine's sealed Message-ID, From and Subject of row qid (raw
 * raw_id): 0 and the three strings (caller frees; "" when unknown), 1 when
 * dropped (rejected), -1 with err.
 */
int	 inbox_quarantine_meta(struct instance *in, int64_t qid, int64_t raw_id,
	    char **message_id, char **from, char **subject, char *err, size_t errlen);

/*
 * The breach register's hook (issue 6): a stranger's mail carried one of
 * our Message-IDs, tokens or case tags.  Writes the event
 * security.suspected-breach; the register will open its entry here.
 * Within the caller's transaction.  0 / -1.
 */
int	 inbox_suspected_breach(struct instance *in, int64_t quarantine_id,
	    const char *case_ref);

#endif
