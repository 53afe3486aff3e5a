/*
 * dpo - the application layer of the DPO's breach register (relay/breach
 * holds the register itself): declare, assess, notify, communicate,
 * exempt, close, each with its rules (GDPR articles 33 and 34), for any
 * face (adapters/cli/cmd_breach.c today).
 *
 * A face parses its input, reads the DPO's files and calls one dpo_*
 * function; nothing here parses arguments, prints or reads a file.  Each
 * function loads the entry (except declare), checks the DPO's values
 * (texts bounded, no control character but newline and tab; dates RFC
 * 3339 and not in the future), applies them and saves a new version
 * (author "dpo", an audit event); *b then holds the saved entry.  0; -1
 * with a French reason in err (errlen bytes): "--risk : none, risk ou
 * high attendu", "la violation n° 3 est close : plus aucune modification",
 * ...  The instance needs INST_STORE | INST_KEYS.
 */
#ifndef FSRELAY_DPO_H
#define FSRELAY_DPO_H

#include <stddef.h>
#include <stdint.h>

#include "relay/breach.h"

struct instance;

/* What declare and assess set; NULL leaves a field as it is.  Dates are
 * RFC 3339, counts decimal, nature letters among C, I, A. */
struct dpo_assess {
	const char	*aware_at, *risk, *rationale, *nature, *facts, *subject_cat;
	const char	*data_cat, *subjects, *records, *consequences, *in_place, *taken;
	const char	*proposed, *started, *ended, *no_notif;
	const char	*cause;		/* breach_cause_valid() */
	const char	**cases;	/* case references to link */
	size_t		 n_cases;
	int		 ongoing;
};

/* The entry whose id is the decimal text id.  0; -1: "identifiant
 * invalide « … »", the register's reason. */
int	 dpo_load(struct instance *in, const char *id, struct breach *b, char *err,
	    size_t errlen);

/* A breach the relay cannot see, declared by hand (nature and facts
 * required): detected now, suspected until aware_at is given. */
int	 dpo_declare(struct instance *in, const struct dpo_assess *a, struct breach *b,
	    char *err, size_t errlen);
/* Complete or correct an entry; aware_at moves the deadline and makes a
 * suspected entry open. */
int	 dpo_assess(struct instance *in, const char *id, const struct dpo_assess *a,
	    struct breach *b, char *err, size_t errlen);
/* A notification to the CNIL (art. 33): needs aware_at; the first is
 * initial, the next complementary; late (after the deadline) only with
 * delay reasons.  at NULL: now. */
int	 dpo_notify(struct instance *in, const char *id, const char *cnil_ref,
	    const char *at, const char *delay_reasons, struct breach *b, char *err,
	    size_t errlen);
/* The persons informed (art. 34); message (may be NULL) of len bytes. */
int	 dpo_communicate(struct instance *in, const char *id, const char *at,
	    const char *channel, const char *message, size_t len, struct breach *b,
	    char *err, size_t errlen);
/* The persons not informed under an art. 34(3) exception a, b or c, with
 * a justification (required). */
int	 dpo_exempt(struct instance *in, const char *id, const char *reason,
	    const char *justification, struct breach *b, char *err, size_t errlen);
/* Close an entry: refused while a required field is missing. */
int	 dpo_close(struct instance *in, const char *id, struct breach *b, char *err,
	    size_t errlen);

/* The CNIL export of entry b (art. 33(3), relay/breach), appended to out;
 * the export is recorded in the audit log (breach.exported, author "dpo",
 * the entry and its version) before it is given.  0; -1: "texte trop
 * long", "journal d'audit : <store>". */
int	 dpo_export(struct instance *in, const struct breach *b, struct buf *out,
	    char *err, size_t errlen);

/* --- the audit log (relay/audit) ------------------------------------ */

struct audit_report;
/*
 * audit checkpoint / verify, with the rule of a mismatch: the log does not
 * match its checkpoints (audit_checkpoint or audit_verify returned 1), so
 * a suspected breach (source audit) is opened or repeated in the register.
 * 0 done (out: the signed checkpoint; rep: what was verified); 1 mismatch,
 * err: "<why> ; violation n° N ouverte au registre (fsrelay breach show
 * N)" (or why the register could not be written); -1 with the reason.
 */
int	 dpo_audit_checkpoint(struct instance *in, struct buf *out, char *err,
	    size_t errlen);
int	 dpo_audit_verify(struct instance *in, const char *note, size_t notelen,
	    const char *vkey, struct audit_report *rep, char *err, size_t errlen);

#endif
