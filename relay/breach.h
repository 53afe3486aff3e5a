/*
 * breach - the personal-data breach register (GDPR art. 33(5)) with the
 * notification clock of art. 33(1), for the data protection officer.
 *
 * An entry has the fields art. 33(3) and 33(5) ask for (facts, effects,
 * remedial action, the notification and its delay: struct breach below,
 * docs/json.md § breach, docs/dpo.md).  Every change is a
 * new version (breach_versions, append-only) and an audit event
 * ("breach.*"), so the history rebuilds any past state.  The version body
 * (every field) is sealed under the KEK (relay/vault, AD
 * "breach_versions|body|<id * 1000000 + version>|<kek id>"); the clear
 * columns hold only status, source, first case reference and times.
 *
 * Statuses: suspected (opened by a detector or declared, awareness not
 * recorded) → open (the DPO recorded aware_at) → notified (a notification
 * to the CNIL recorded) → closed.  deadline_at = aware_at, or provisionally
 * detected_at, + notification_hours calendar hours.  The DPO is mailed at
 * detection, at 1/3, 2/3 and 5/6 of the period and when it is over, each
 * once; moving aware_at moves the later alerts only.
 *
 * Detectors only open "suspected" entries; only the DPO sets aware_at and
 * the risk level (the pre-send scan presets "high", as the issue asks).
 *
 * Trusts its callers for facts_no_pii (no personal data: references,
 * counts, categories only) and the DPO for the text they type.  Needs an
 * instance opened with INST_STORE | INST_KEYS.
 */
#ifndef FSRELAY_BREACH_H
#define FSRELAY_BREACH_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

struct instance;

#define BREACH_TEXT_MAX		2048
#define BREACH_SHORT_MAX	128
#define BREACH_MAX_NOTIF	8
#define BREACH_REFS_MAX		2048

/* Where an entry comes from (detection_source). */
enum breach_source {
	BREACH_SRC_MANUAL,		/* breach declare */
	BREACH_SRC_STRANGER,		/* stranger mail carrying our ids/tokens/tags */
	BREACH_SRC_DSN,			/* DSN final recipient is not who we sent to */
	BREACH_SRC_AUDIT,		/* audit log verification failed */
	BREACH_SRC_INTEGRITY,		/* decryption/signature failure on stored data */
	BREACH_SRC_KEY,			/* a key declared compromised */
	BREACH_SRC_LEAK,		/* pre-send scan found personal data in clear */
};

/* The stable name of a source ("stranger-mail", ...), for JSON. */
const char *breach_source_name(enum breach_source src);

/* The cause categories of the CNIL form: internal or external, accidental
 * or malicious, or unknown.  1 when s is one of them ("interne-accidentelle",
 * "interne-malveillante", "externe-accidentelle", "externe-malveillante",
 * "inconnue"), else 0. */
int	 breach_cause_valid(const char *s);
/* Its French label ("acte interne accidentel", ...); "non renseignée" for "". */
const char *breach_cause_label(const char *s);

/* Alert stages. */
#define BREACH_STAGE_DETECTED	0
#define BREACH_STAGE_THIRD	1
#define BREACH_STAGE_TWO_THIRDS	2
#define BREACH_STAGE_FIVE_SIXTHS 3
#define BREACH_STAGE_OVERDUE	4

struct breach_notification {
	char	kind[16];			/* initial | complementary */
	int64_t	sent_at;
	char	cnil_ref[BREACH_SHORT_MAX];
	char	delay_reasons[BREACH_TEXT_MAX];	/* "" if in time */
};

/* One version of an entry.  Times are Unix seconds, 0 = not set; counts
 * are -1 when unknown. */
struct breach {
	int64_t	id;
	int	version;
	char	author[65];
	int64_t	recorded_at;
	char	status[16];			/* suspected | open | notified | closed */
	char	source[32];			/* breach_source_name() */
	int64_t	detected_at, aware_at, deadline_at;
	int64_t	started_at, ended_at;
	int	ongoing;
	char	nature[4];			/* letters of "CIA", in that order */
	char	cause[24];			/* "" | breach_cause_valid() */
	char	risk_level[8];			/* "" | none | risk | high */
	long	affected_cases, subjects_approx, records_approx;
	char	linked_cases[BREACH_REFS_MAX];	/* space-separated references */
	char	linked_events[BREACH_SHORT_MAX];	/* audit seq numbers */
	char	art34[16];			/* "" | communicated | exempt */
	char	art34_exemption[2];		/* a | b | c when exempt */
	int64_t	communicated_at;
	int64_t	closed_at;
	char	facts[BREACH_TEXT_MAX];
	char	subject_categories[BREACH_TEXT_MAX];
	char	data_categories[BREACH_TEXT_MAX];
	char	measures_in_place[BREACH_TEXT_MAX];
	char	likely_consequences[BREACH_TEXT_MAX];
	char	measures_taken[BREACH_TEXT_MAX];
	char	measures_proposed[BREACH_TEXT_MAX];
	char	risk_rationale[BREACH_TEXT_MAX];
	char	no_notification_reason[BREACH_TEXT_MAX];
	char	art34_justification[BREACH_TEXT_MAX];
	char	channel[BREACH_SHORT_MAX];
	char	message_text[BREACH_TEXT_MAX];
	struct breach_notification notif[BREACH_MAX_NOTIF];
	size_t	n_notif;
};

/* ---- detectors: called by the reply path, the outbox, audit, keys ---- */

/*
 * Open a "suspected" entry, detected now, from src, about case_ref (NULL
 * if none) with facts_no_pii (French, no personal data), and queue the
 * detection alert to the DPO.  If an entry that is not closed already
 * exists for the same source and case, no new entry is opened: the event
 * breach.repeat is recorded on it instead.  Works inside or outside a
 * transaction (savepoint).  0 / -1 on a store or sealing failure.
 */
int	 breach_suspect(struct instance *in, enum breach_source src, const char *case_ref,
	    const char *facts_no_pii);
/* The same; *id_r gets the entry's id (the existing one when repeated). */
int	 breach_suspect_id(struct instance *in, enum breach_source src,
	    const char *case_ref, const char *facts_no_pii, int64_t *id_r);

/* The pre-send scan blocked a mail of case_ref: breach_suspect with
 * BREACH_SRC_LEAK, nature C, risk preset high.  0 / -1. */
int	 breach_blocked_send(struct instance *in, const char *case_ref);

/* An authenticated decryption failed on table.column of row: breach_suspect
 * with BREACH_SRC_INTEGRITY, nature I.  0 / -1. */
int	 breach_integrity_failure(struct instance *in, const char *table,
	    const char *column, int64_t row);

/* Test-only fault injection: 1 if FSRELAY_TEST_FAULT names `fault` and the
 * configuration has test_clock = yes; 0 otherwise (always in production). */
int	 breach_test_fault(const struct instance *in, const char *fault);

/* ---- the register ---------------------------------------------------- */

/* Load the latest version of entry id into *b.  0, 1 no such entry, -1
 * (store, or a body that does not open: err says which). */
int	 breach_load(struct instance *in, int64_t id, struct breach *b, char *err,
	    size_t errlen);

/*
 * Record b as a new version (b->version + 1, or 1 for a new entry whose id
 * is 0: an id is then given), by author, with the audit event
 * "breach.<verb>".  Recomputes deadline_at and sets recorded_at.  Works
 * inside or outside a transaction.  0 / -1 with err.
 */
int	 breach_save(struct instance *in, struct breach *b, const char *author,
	    const char *verb, char *err, size_t errlen);

/* A blank entry: counts unknown, detected now, status suspected. */
void	 breach_init(struct instance *in, struct breach *b, enum breach_source src);

/* deadline_at for b under in's notification_hours. */
int64_t	 breach_deadline(const struct instance *in, const struct breach *b);

/*
 * Why b cannot be closed (a mandatory §3.5 field missing), as a French
 * sentence in why; 0 if it can.  -1 if it cannot.
 */
int	 breach_close_check(const struct breach *b, char *why, size_t whylen);

/* The CNIL online-notification text for b, in French (art. 33(3) a-d,
 * dates, initial or complementary), appended to out.  0 / -1. */
int	 breach_export_text(const struct instance *in, const struct breach *b,
	    struct buf *out);

/* JSON object of b (docs/json.md § breach list / show). */
void	 breach_json(const struct breach *b, struct buf *out);

/*
 * The daemon's part (serve, between ingest and outbox): for every entry
 * still running its clock (suspected or open), queue the alert of the
 * latest stage reached that was not sent yet.  0 / -1 with err.
 */
int	 breach_tick(struct instance *in, char *err, size_t errlen);

/*
 * `keys compromised`: which is "referent" (with address), "relay-identity",
 * "signing", "log" or "kek".  Counts the cases and distinct persons
 * exposed, opens a suspected entry with them (linked cases), and for a
 * referent marks the pinned key compromised and stops the pending
 * deliveries to it.  *id_r gets the entry; *stopped the deliveries
 * stopped.  0; 1 refused (unknown key or address, err says why); -1.
 */
int	 breach_key_compromised(struct instance *in, const char *which, const char *address,
	    int64_t *id_r, long *stopped, char *err, size_t errlen);

#endif
