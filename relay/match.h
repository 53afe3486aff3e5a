/*
 * match - classify one parsed incoming mail and decide where it goes:
 * which case it answers (keys: our HMAC-checked Message-ID in In-Reply-To /
 * References, the Reply-To +token in To/Cc/Delivered-To, the subject tag),
 * what it is (bounce, our own mail, auto-reply, human) and whether the
 * sender may be attached (three tiers) or the mail is quarantined, with
 * exactly one reason of a closed list.  Design §6, issue 4 item 3.
 *
 * Pure: no I/O and no store.  Everything it knows about cases, the
 * directory and partners comes through struct match_ctx, which the caller
 * (ingest) fills.  Trusts: the context; nothing in the mail.
 */
#ifndef FSRELAY_MATCH_H
#define FSRELAY_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "relay/port/mail.h"
#include "relay/case.h"

enum mail_class {
	MAIL_DSN,		/* delivery status notification (bounce) */
	MAIL_LOOP,		/* our own mail come back */
	MAIL_AUTOREPLY,		/* RFC 3834 auto-reply, out-of-office */
	MAIL_HUMAN,		/* written by a person */
	MAIL_MALFORMED,		/* could not be parsed (m == NULL) */
};

/* Closed list (issue 4 item 5).  QR_NONE: attach to d->ref. */
enum quarantine_reason {
	QR_NONE,
	QR_STRANGER,
	QR_CONFLICTING_KEYS,
	QR_NO_CASE,
	QR_CASE_CLOSED,
	QR_DMARC_FAIL,
	QR_MALFORMED,
	QR_LOOP,
	QR_DSN_UNMATCHED,
	QR_UNVERIFIED,		/* names a case by its subject tag only: the
				 * agent confirms with `quarantine assign` */
	QR_DSN_IMPLAUSIBLE,	/* a bounce quoting our Message-ID from a host
				 * that neither sent nor received that mail,
				 * or naming another recipient */
};

/* Which carrier gave the case (the first that matched, in key order). */
enum match_key {
	MK_NONE,
	MK_MESSAGE_ID,		/* In-Reply-To / References (or, for a DSN,
				 * the original Message-ID) */
	MK_TOKEN,		/* local+token@relay-domain */
	MK_TAG,			/* [FS-NNNNN-YYYY-NNNNNN] in the subject */
};

/* "dsn", "loop", "auto-reply", "human", "malformed"; NULL if invalid. */
const char	*mail_class_name(enum mail_class c);
/* "-" for QR_NONE, then "stranger", "conflicting-keys", "no-case",
 * "case-closed", "dmarc-fail", "malformed", "loop", "dsn-unmatched",
 * "unverified", "dsn-implausible"; NULL if invalid. */
const char	*quarantine_reason_name(enum quarantine_reason r);
/* 0 and *r for one of the names above (not "-"), -1 otherwise. */
int		 quarantine_reason_parse(const char *name,
		    enum quarantine_reason *r);
/* "-", "message-id", "token", "tag"; NULL if invalid. */
const char	*match_key_name(enum match_key k);

/*
 * A case as the matcher sees it, filled by the context's callbacks.  The
 * pointers (recipients) are owned by the caller and must stay valid until
 * the next callback call or until match_decide returns.
 */
struct match_case {
	char		  ref[CASE_REF_LEN + 1];
	enum case_state	  state;
	char		  partner[33];	/* partner id of the case */
	const char *const *recipients;	/* lowercased addr-specs, every rung
					 * the case has been sent to so far */
	size_t		  n_recipients;
};

struct match_ctx {
	const char	*relay_address;	/* "relais@relay.example.fr" (the From
					 * of our mail; its local part + "+"
					 * + token is the Reply-To) */
	const char	*authserv_id;	/* trusted Authentication-Results
					 * authserv-id; NULL or "": DMARC not
					 * checked */
	const uint8_t	*hmac_key;	/* 32 bytes, instance hmac key */
	/* 0 and *out filled when a case with that reference exists, 1 when
	 * none, -1 on failure (match_decide then fails). */
	int	(*case_by_ref)(void *arg, const char *ref,
		    struct match_case *out);
	/* Same, for a reply token (20 lowercase hex characters). */
	int	(*case_by_token)(void *arg, const char *token,
		    struct match_case *out);
	/* The lowercased address delivery `delivery_id` of case ref was sent
	 * to, into addr[len]: 0 found, 1 unknown, -1 failure.  May be NULL
	 * (then the final recipient of a DSN is not checked). */
	int	(*delivery_recipient)(void *arg, const char *ref,
		    int64_t delivery_id, char *addr, size_t len);
	/* 1 when addr_lc is an address of the directory (any partner, any
	 * rung), 0 when not, -1 on failure. */
	int	(*is_directory_address)(void *arg, const char *addr_lc);
	/* 1 when domain_lc is one of the partner's domains (config, default
	 * the domains of its directory addresses), 0 when not, -1 failure. */
	int	(*partner_has_domain)(void *arg, const char *partner,
		    const char *domain_lc);
	/* 1 when the partner's config trusts our MX's Authentication-
	 * Results (trust_auth_results = yes): an authenticated From may then
	 * stand in for the missing key or recipient; 0 no, -1 failure.  May
	 * be NULL (never). */
	int	(*partner_trusts_auth)(void *arg, const char *partner);
	/* Lowercased domains our own MTA writes bounces from (config
	 * bounce_domains), besides the relay address's domain; NULL-ended,
	 * may be NULL. */
	const char *const *bounce_domains;
	void	*arg;
};

struct match_decision {
	enum mail_class		cls;
	enum quarantine_reason	reason;		/* QR_NONE: attach */
	char			ref[CASE_REF_LEN + 1]; /* the case the keys
					 * point to ("" when none); set also
					 * when quarantined (a hint for
					 * `quarantine assign`), except for
					 * conflicting-keys */
	enum match_key		key;		/* carrier that gave ref */
	int64_t			delivery_id;	/* from our Message-ID (the
					 * one quoted, or the bounced one for
					 * a DSN); 0 when unknown */
	int	flagged;		/* tier 2 sender: directory address or
					 * partner domain, not a recipient
					 * (attached only when the partner
					 * trusts Authentication-Results) */
	int	absence;		/* auto-reply announcing an absence:
					 * move the case to the next rung */
	int	dsn_permanent;		/* DSN: 1 permanent (5.x.x / failed),
					 * 0 transient */
	int	final_recipient_mismatch; /* DSN: Final-Recipient is not the
					 * address that delivery was sent to */
	int	security_event;		/* write a security audit event */
	int	suspected_breach;	/* stranger carrying one of our valid
					 * Message-IDs, tokens or case tags */
	char	why[160];		/* French, no personal data */
};

/*
 * Decide for m (NULL: the mail could not be parsed → MAIL_MALFORMED /
 * QR_MALFORMED).  Order: malformed; DSN (original Message-ID must be ours,
 * else dsn-unmatched; it must come from our own MTA — the relay's domain
 * or bounce_domains, the authserv-id host or its parent domain — or
 * from the failed recipient's domain, and name the
 * recipient that delivery was sent to, else dsn-implausible with a
 * security event); loop (From is the relay address, an X-Loop names it,
 * or the mail's own Message-ID is one of ours); DMARC (a trusted
 * Authentication-Results says dmarc=fail, or, with no dmarc result, dkim
 * fails with no aligned dkim pass → dmarc-fail, security event); keys
 * (disagreeing → conflicting-keys); no key → no-case when the sender is a
 * directory address, stranger otherwise; sender tier (stranger → security
 * event, suspected_breach when it carries a valid key or a known case tag,
 * in headers or text); closed case (resolved, cancelled, shredded) →
 * case-closed; a case found by its subject tag alone (no HMAC-checked
 * Message-ID, no reply token), or by a key but from a sender the case was
 * not sent to (directory address, partner domain) → unverified, case
 * named, nothing moves (the tag is guessable, the keys are not), unless
 * the partner trusts Authentication-Results and our authserv-id says the
 * From domain passed DMARC (or aligned DKIM/SPF) with nothing failing;
 * then attach (flagged when the sender is not a recipient).  Auto-reply class: Auto-Submitted other than
 * "no", X-Autoreply, X-Autorespond, Precedence bulk/junk/list/auto_reply,
 * or an absence / automatic-reply phrase in the subject or at the opening
 * of the text (not deep inside a human reply).
 * Returns 0 with *d filled, -1 when a callback failed (*d then says
 * nothing; retry later).
 */
int	match_decide(const struct parsed_mail *m, const struct match_ctx *ctx,
	    struct match_decision *d);

/*
 * Find a case tag "[FS-NNNNN-YYYY-NNNNNN]" in s: 0 and the reference in
 * ref (the first valid one), -1 when there is none.  Pure helper, exported
 * for tests and for `quarantine` displays.
 */
int	match_find_tag(const char *s, char ref[CASE_REF_LEN + 1]);

#endif
