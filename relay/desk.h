/*
 * desk - the application layer of the agent's desk: every use case an
 * agent starts on a case (escalate, send, reroute, wait, resume, close,
 * cancel, show, list), with its rules, for any face (the CLI in
 * adapters/cli, the web desk in adapters/http).
 *
 * A face parses its input (argv, a form), reads the agent's files, calls
 * one desk_* function and prints or renders what it returns.  Nothing here
 * parses arguments, prints, or reads the environment or a file chosen by
 * the agent: inputs are plain structs and bytes, outputs plain structs.
 *
 * The error channel: every function returns 0 on success and -1 when it
 * refuses or fails, with a French reason in err (errlen bytes, always
 * NUL-terminated, never a personal datum of the case: names, texts and
 * file names are not quoted).  The reason is what follows the command's
 * name in the CLI's message ("fsrelay : <cmd> : <reason>"), e.g.
 * "FS-92032-2026-000001 : dossier détruit".  DESK_EINPUT (-2) is returned
 * instead of -1 where the face's input itself is malformed (a usage error
 * for the CLI); it is documented where it can happen.
 *
 * The actor: `agent` is the id of the agent acting, or NULL when the face
 * trusts its Unix user (the CLI without --agent): the audit trail then
 * names "cli".  With an agent, the agent must exist and belong to the
 * case's structure (escalate: the structure given).
 *
 * Every function needs an instance opened with INST_STORE; escalate, send
 * and reroute also INST_KEYS | INST_SIGNING, show and a list by person
 * INST_KEYS.
 */
#ifndef FSRELAY_DESK_H
#define FSRELAY_DESK_H

#include <stddef.h>
#include <stdint.h>

#include "relay/case.h"
#include "relay/pieces.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_deliveries.h"
#include "relay/port/store_inbox.h"

struct instance;

#define DESK_EINPUT	(-2)

/* --- escalate ------------------------------------------------------- */

/* What an agent gives to open a case.  Strings are NUL-terminated (NULL is
 * the empty string for optional ones); bytes are the files' contents. */
struct desk_intake {
	const char	*structure, *partner, *topic, *agent;	/* required */
	const char	*nom, *prenom;				/* required */
	const char	*ne_le;			/* AAAA-MM-JJ or NULL */
	const char	*id_partenaire;		/* or NULL */
	const char	*sollicite_le;		/* AAAA-MM-JJ or NULL: today */
	const char	*mandat_signe_le;	/* AAAA-MM-JJ, required */
	const char	*mandat_perimetre;	/* case_scope_parse; NULL = all */
	/* The signed copy of the mandate (only its SHA-256 is kept), or
	 * mandate_copy NULL. */
	const void	*mandate_copy;
	size_t		 mandate_len;
	const char	*description;		/* UTF-8 text, not NUL-terminated */
	size_t		 description_len;
	/* The pieces: base names and contents (pieces.h); NULL for none.
	 * Checked here: count, sizes, names. */
	const struct pieces *pieces;
};

/*
 * Check every field (one-line UTF-8 <= 200 bytes, dates, description,
 * pieces, the NIR only to the partners that take it): pure, no store.
 * 0, or -1 with the reason ("--nom : ...", "description : ...").
 */
int	 desk_intake_check(const struct desk_intake *it, char *err, size_t errlen);

/*
 * escalate: desk_intake_check, then the agent of the structure, known
 * partner, topic and structure, mandate valid today (Paris), routed by
 * the directory (rung 0 not empty, every rung-0 referent with a pinned,
 * non-compromised key), the outgoing mail scanned for personal data in
 * clear; then the case, its sealed person, description and pieces, its
 * message and one delivery per rung-0 referent in one transaction, and
 * the mails prepared.  0 with the new reference in ref; -1 with the
 * reason (the CLI prints "escalate : refusé : <reason>"); nothing is
 * stored on a refusal.
 */
int	 desk_escalate(struct instance *in, const struct desk_intake *it,
	    char ref[CASE_REF_LEN + 1], char *err, size_t errlen);

/*
 * Can a case of structure go to (partner, topic) now: the directory routes
 * it (rung 0 not empty) and every rung-0 referent has a usable pinned key
 * (escalate's own checks), for a face to say so before the agent fills a
 * form.  0 yes; -1 with the reason ("<partenaire> – <motif> – <structure> :
 * aucun référent", "<partenaire> : aucune clé épinglée pour …", "… : la clé
 * de … est déclarée compromise …", the directory's reason).
 */
int	 desk_routable(struct instance *in, const char *structure, const char *partner,
	    const char *topic, char *err, size_t errlen);

/* --- one case ------------------------------------------------------- */

/*
 * The case named ref as the agent may act on it: ref well formed, the case
 * known, the agent (if any) of its structure, not shredded.  0 with *c;
 * -1: "référence invalide « … » (attendu FS-NNNNN-AAAA-NNNNNN)", "dossier
 * inconnu", "refusé : <why>", "<REF> : dossier détruit".
 */
int	 desk_case(struct instance *in, const char *ref, const char *agent,
	    struct case_row *c, char *err, size_t errlen);

/* The deliveries of the case's current rung (its recipients now), by id;
 * caller frees *list.  0 / -1 with the store's reason. */
int	 desk_recipients(struct instance *in, const struct case_row *c,
	    struct delivery_row **list, size_t *n, char *err, size_t errlen);

/*
 * send: a follow-up (text, pieces) to the current rung's recipients, in
 * the same case (queued, awaiting, answered or waiting_user), with the
 * NIR rule; the case becomes queued again.  0; -1 with desk_case's
 * reasons, "<REF> : impossible dans l'état « X »", "<REF> : refusé :
 * <why>" (text, pieces, no usable key, store).
 */
int	 desk_send(struct instance *in, const char *ref, const char *agent,
	    const char *text, size_t len, const struct pieces *pieces,
	    char *err, size_t errlen);

/*
 * reroute: to the next rung of the ladder now; the pending deliveries of
 * the current rung are dropped.  motif (may be NULL) is checked, never
 * stored.  0 with the new rung in *rung and its number of deliveries in
 * *queued; -1: "--motif : <why>", desk_case's reasons, the state, "<REF> :
 * pas d'échelon suivant (…)", the store's reason.
 */
int	 desk_reroute(struct instance *in, const char *ref, const char *agent,
	    const char *motif, int *rung, int *queued, char *err, size_t errlen);

/*
 * close: the case becomes resolved (from queued, awaiting, answered,
 * waiting_user or failed); pending deliveries dropped.  resolution is
 * required, checked, never stored.  0; -1 as desk_reroute
 * ("--resolution : <why>").
 */
int	 desk_close(struct instance *in, const char *ref, const char *agent,
	    const char *resolution, char *err, size_t errlen);

/*
 * cancel: the case becomes cancelled then shredded at once (its key, the
 * person, texts and pieces erased; pending deliveries dropped).  motif is
 * required, checked, never stored.  0 done; 1 done but the WAL purge was
 * deferred (its reason in err: a warning); -1: "--motif : <why>",
 * desk_case's reasons ("<REF> : dossier déjà détruit"), "<REF> : <store>".
 */
/*
 * mandate revoke (convention, annexe 7: « l'utilisateur peut à tout moment
 * retirer son mandat »): every referent who received the case (a delivery
 * accepted by the server, 250) is sent a notice, in French and with the
 * reference only, asking to destroy their copy; then the case is cancelled
 * and shredded as by desk_cancel, in the same transaction; audited
 * (case.mandate_revoked: the count of referents told).  motif is required,
 * checked, never stored (it may name the person).  *told gets the count of
 * referents told.  0 / 1 / -1 as desk_cancel.
 */
int	 desk_mandate_revoke(struct instance *in, const char *ref, const char *agent,
	    const char *motif, size_t *told, char *err, size_t errlen);

int	 desk_cancel(struct instance *in, const char *ref, const char *agent,
	    const char *motif, char *err, size_t errlen);

/*
 * wait / resume: the referent's clock paused (awaiting -> waiting_user) or
 * resumed (back to awaiting, the deadline moved by the working time
 * paused: *paused in seconds, may be NULL).  resume gives the case as it
 * is after (with its new due_at) in *after (may be NULL).  0; -1:
 * "référence invalide …", "dossier inconnu", "refusé : <why>", "<REF> :
 * <why>" (wrong state, store).
 */
int	 desk_wait(struct instance *in, const char *ref, const char *agent,
	    char *err, size_t errlen);
int	 desk_resume(struct instance *in, const char *ref, const char *agent,
	    struct case_row *after, int64_t *paused, char *err, size_t errlen);

/* --- show: the case decrypted for a person to read ------------------ */

struct desk_attachment {
	int64_t	 id;
	char	*name;			/* decrypted, NUL-terminated */
	int64_t	 size;
	char	 sha256[65];
};

struct desk_message {
	struct message_row	 row;
	char			*text;	/* NUL-terminated; NULL once shredded */
	size_t			 text_len;
	/* The whole decoded text when quoted history was folded out of
	 * text (issue 11); NULL otherwise, and once shredded. */
	char			*full_text;
	size_t			 full_len;
	struct desk_attachment	*att;
	size_t			 n_att;
};

struct desk_view {
	struct case_row		 c;
	struct person		 person;
	struct delivery_row	*rcpt;	/* the current rung's deliveries */
	size_t			 n_rcpt;
	struct desk_message	*msg;	/* the thread, in order */
	size_t			 n_msg;
};

/*
 * show: desk_case, then the person, the thread and the attachments'
 * names decrypted; the reading is recorded (case.viewed, as the agent or
 * "cli") before anything is returned.  0 with *v (desk_view_free in both
 * cases); -1: desk_case's reasons, "<REF> : données de la personne
 * illisibles (altérées ?)", "<REF> : message illisible (données altérées
 * ?)", "journal d'audit : <store>".
 */
int	 desk_show(struct instance *in, const char *ref, const char *agent,
	    struct desk_view *v, char *err, size_t errlen);
void	 desk_view_free(struct desk_view *v);

/*
 * Every attachment of the case's thread, decrypted, handed to cb one at a
 * time (name NUL-terminated, data len bytes; both wiped after the call).
 * A non-zero return of cb stops and is returned.  0; -1: "pièce jointe
 * illisible (données altérées ?)", the store's reason.
 */
int	 desk_attachments(struct instance *in, const struct case_row *c,
	    int (*cb)(void *arg, const struct document_row *d, const char *name,
	    const void *data, size_t len), void *arg, char *err, size_t errlen);

/*
 * One attachment (document id doc_id) of the case ref, as the agent may
 * read it (desk_case's rules), decrypted: its name appended to name
 * (NUL-terminated), its bytes to data (the caller wipes and frees both,
 * also on failure).  The reading is recorded (case.viewed, outcome
 * « pièce jointe ») before anything is returned.  0; -1: desk_case's
 * reasons, "<REF> : pièce jointe inconnue" (not of this case), "<REF> :
 * pièce jointe illisible (données altérées ?)", the store's reason.
 */
int	 desk_piece(struct instance *in, const char *ref, const char *agent, int64_t doc_id,
	    struct buf *name, struct buf *data, char *err, size_t errlen);

/* --- list ----------------------------------------------------------- */

struct desk_filter {
	const char	*agent;		/* entered by this agent, or NULL */
	const char	*state;		/* a state name (case.h), or NULL */
	int		 overdue;	/* overdue cases only */
	int64_t		 due_before;	/* 0, or open cases with a deadline before */
	/* A person (art. 15 access request), by blind index: nom and prenom
	 * together, ne_le optional; shredded cases included; the lookup is
	 * audited as agent (which must exist) or "cli", without the name. */
	const char	*nom, *prenom, *ne_le;
};

/*
 * list: the cases that pass every filter, newest first; caller frees
 * *list.  0; DESK_EINPUT: unknown state, nom without prenom, bad ne_le,
 * a name with no letter; -1: "refusé : agent inconnu « … »", the store's
 * reason, "journal d'audit : <store>".
 */
int	 desk_list(struct instance *in, const struct desk_filter *f,
	    struct case_row **list, size_t *n, char *err, size_t errlen);

/*
 * list, a page at a time (the web desk's « Mes dossiers »): the cases
 * entered by f->agent (required) that pass f->state and f->overdue, most
 * urgent first (tick_sort_by_urgency); the rows [offset, offset + max) in
 * *list (caller frees), their number in *n, the number of all that pass in
 * *total.  The order is taken from the cases' keys (store_case_keys) and
 * only the page's rows are read: a list of 10,000 cases costs one index
 * scan and 50 rows.  0; DESK_EINPUT: unknown state, no agent, a filter by
 * person or due_before (desk_list has them); -1: the store's reason.
 */
int	 desk_list_page(struct instance *in, const struct desk_filter *f, size_t offset,
	    size_t max, struct case_row **list, size_t *n, size_t *total, char *err,
	    size_t errlen);

/* --- quarantine ----------------------------------------------------- */

/*
 * agent: NULL for the CLI (every mail, audited as "cli"); with an agent
 * (the web desk), only the mails whose keys point to a case of the
 * agent's structure (case_hint): any other is "numéro de quarantaine
 * inconnu", the same as a number that does not exist, and a mail is
 * assigned only to a case the agent may act on (desk_case).
 */
struct parsed_mail;
/* What a face may show of the quarantine to agent (the core enforces it
 * in every function below): everything (the CLI, agent NULL), the mails
 * pointing to a case of their structure (agent, manager: read, assign to
 * a case of their structure, reject), the mails that name no case (the
 * DPO: read, reject; the administrator: their metadata only, without
 * sender or subject), nothing (an unknown agent). */
enum desk_qscope {
	DESK_Q_ALL,
	DESK_Q_STRUCTURE,
	DESK_Q_NO_CASE,
	DESK_Q_NO_CASE_META,
	DESK_Q_NONE,
};
/* 0 with *sc; -1 the store's error. */
int	 desk_quarantine_scope(struct instance *in, const char *agent, enum desk_qscope *sc);
/* The decrypted sender and subject of a mail agent sees (caller frees
 * both; NULL when absent); refused to the administrator.  0; -1 with the
 * reason. */
int	 desk_quarantine_summary(struct instance *in, const struct quarantine_row *q,
	    const char *agent, char **from, char **subject, char *err, size_t errlen);
/* The quarantined mails the agent may see, by id (caller frees *list).
 * 0; -1 with the store's reason. */
int	 desk_quarantine_list(struct instance *in, const char *agent,
	    struct quarantine_row **list, size_t *n, char *err, size_t errlen);
/* The quarantined mail numbered id (decimal text).  0 with *q; -1:
 * "numéro invalide « … » (entier positif attendu)", "numéro de quarantaine
 * inconnu", the store's reason. */
int	 desk_quarantine_get(struct instance *in, const char *id, const char *agent,
	    struct quarantine_row *q, char *err, size_t errlen);
/* Its content, decrypted and parsed in a contained child into *m
 * (mime_free); a mail that does not parse comes back as one attachment
 * courriel.eml with a French note as its text.  0; -1: "contenu effacé
 * (courriel …)", the reason. */
int	 desk_quarantine_mail(struct instance *in, const struct quarantine_row *q,
	    struct parsed_mail *m, char *err, size_t errlen);
/* show: its content as desk_quarantine_mail gives it, the reading
 * recorded (quarantine.viewed, as the agent or "cli") before it is
 * returned.  0 with *m (mime_free); -1: desk_quarantine_mail's reasons,
 * "journal d'audit : <store>". */
int	 desk_quarantine_show(struct instance *in, const struct quarantine_row *q,
	    const char *agent, struct parsed_mail *m, char *err, size_t errlen);
/* get then mail, the reading recorded (quarantine.viewed, as agent or
 * "cli") before it is returned.  0 with *q and *m (mime_free); -1 with
 * the reasons of both. */
int	 desk_quarantine_read(struct instance *in, const char *id, const char *agent,
	    struct quarantine_row *q, struct parsed_mail *m, char *err, size_t errlen);
/* The French label of a quarantine reason ("expéditeur inconnu du
 * dossier"), or the reason itself. */
const char *desk_quarantine_reason_label(const char *reason);
/*
 * assign: the held mail id becomes a reply of the case ref, flagged "à
 * vérifier" (the case answered, the agent told).  0; -1: "référence
 * invalide « … »", desk_quarantine_get's reasons, "<id> : courriel déjà
 * rattaché|rejeté", "<REF> : dossier inconnu|dossier détruit ou annulé",
 * (with an agent, any case it may not act on is "<REF> : dossier
 * inconnu"), "<id> : <why>", the store's reason.
 * reject: its sealed content erased (crypto-shredding).  0; 1 done but
 * the WAL purge deferred; -1 as assign.
 */
int	 desk_quarantine_assign(struct instance *in, const char *id, const char *ref,
	    const char *agent, char *err, size_t errlen);
int	 desk_quarantine_reject(struct instance *in, const char *id, const char *agent,
	    char *err, size_t errlen);

/* The French label of a state ("en file d'envoi"), or the name itself. */
const char *desk_state_label(const char *state);

#endif
