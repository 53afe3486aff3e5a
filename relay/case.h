/*
 * case - the case model: references and the checks every agent-supplied
 * field goes through (its states and their changes: relay/lifecycle.h).
 * Pure: no I/O.
 */
#ifndef FSRELAY_CASE_H
#define FSRELAY_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "relay/lifecycle.h"
#include "relay/util.h"

#define CASE_REF_LEN		20	/* FS-92032-2026-000123 */
#define CASE_FIELD_MAX		200	/* bytes, for names, ids... */
#define CASE_DESCRIPTION_MAX	(64 * 1024)
#define CASE_PIECE_MAX		(10 * 1024 * 1024)
#define CASE_PIECES_TOTAL_MAX	(20 * 1024 * 1024)
#define CASE_PIECES_MAX_COUNT	20

/* What a message of the thread is, in French, for the agent reading the
 * case (show, web desk): kind "case", "reply"... and direction "out" or
 * "in" as stored; never NULL (an unknown kind reads « message envoyé » or
 * « message reçu »). */
const char	*case_message_label(const char *kind, const char *direction);

/* Format FS-<insee>-<year>-<6 digits>; -1 if insee is not 5 characters
 * or seq is out of 1..999999. */
int		 case_ref_format(char out[CASE_REF_LEN + 1], const char *insee,
		    int year, long seq);
/* 0 when ref has exactly that shape. */
int		 case_ref_valid(const char *ref);

/*
 * Check an agent-supplied one-line field: valid UTF-8, no control
 * characters (CR and LF included), at most max bytes, not empty when
 * required.  0 ok; -1 with *why set to a French reason.
 */
int		 case_field_check(const char *value, size_t max, int required,
		    const char **why);
/* Same rules for a multi-line text: LF and TAB allowed, CR refused unless
 * followed by LF. */
int		 case_text_check(const char *value, size_t len, size_t max,
		    const char **why);
/* A description or follow-up text (issue 14): case_text_check, and not
 * empty or blank (spaces, TAB, CR, LF, Unicode spaces only). */
int		 case_description_check(const char *value, size_t len, size_t max,
		    const char **why);

/*
 * A mandate signed on (sy, sm, sd) is valid on (y, m, d), both dates in
 * Europe/Paris, iff signed <= today < signed + 1 calendar year (29 February
 * plus one year is 1 March).  Returns 0 valid, -1 not yet signed (future),
 * -2 expired.
 */
int		 case_mandate_check(int sy, int sm, int sd, int y, int m, int d);
/* The last day a mandate signed on (sy, sm, sd) is valid, as
 * "YYYY-MM-DD" (the day before signed + 1 year, by case_mandate_check). */
void		 case_mandate_until(int sy, int sm, int sd, char out[11]);

/*
 * Minimisation by partner (convention art. 4.6, design §5): the social
 * security number (NIR) goes only to the partners that use it.
 * case_partner_takes_nir: 1 for cpam, cnav and msa, else 0.
 * case_find_nir: 1 when text holds a NIR with a valid key (15 characters:
 * sex 1-4/7/8, year, month 01-12 or 20-99, département 01-99/2A/2B,
 * commune, order, key = 97 - number mod 97), written in one piece or in
 * its usual groups (1 2 2 2 3 3 2) separated by one space, tab, dot,
 * hyphen, no-break, narrow no-break or thin space, not inside a longer
 * word or number; else 0.
 */
int		 case_partner_takes_nir(const char *partner);
int		 case_find_nir(const char *text, size_t len);
/* 0, or -1 with a French reason (never quoting the text) when text holds a
 * NIR and partner does not take it. */
int		 case_nir_check(const char *partner, const char *text, size_t len,
		    const char **why);

/* What the case knows of the person; sealed at rest as "key=value\n" lines
 * (values are checked one-line fields, so no escaping is needed). */
struct person {
	char	nom[CASE_FIELD_MAX + 1];
	char	prenom[CASE_FIELD_MAX + 1];
	char	ne_le[11];		/* YYYY-MM-DD or "" */
	char	id_partenaire[CASE_FIELD_MAX + 1];
	char	sollicite_le[11];	/* YYYY-MM-DD or "" */
	char	mandat_signe_le[11];
	char	mandat_sha256[65];	/* of the signed copy, or "" */
	char	mandat_perimetre[64];	/* case_scope_format; "" = all (older) */
};

/*
 * The scope of a mandate (annexe 7: the data it authorises), a closed
 * list: identite (nom, prénom), naissance (--ne-le), identifiant
 * (--id-partenaire), nir (a NIR anywhere), documents (pieces).
 */
#define CASE_SCOPE_IDENTITE	1u
#define CASE_SCOPE_NAISSANCE	2u
#define CASE_SCOPE_IDENTIFIANT	4u
#define CASE_SCOPE_NIR		8u
#define CASE_SCOPE_DOCUMENTS	16u
#define CASE_SCOPE_ALL		31u
/* Parse "identite,naissance,…" (commas, no spaces, each once).  0, or -1
 * with a French reason naming the unknown word. */
int		 case_scope_parse(const char *s, unsigned *scope, char *err, size_t errlen);
/* The canonical list of scope, in the order above. */
void		 case_scope_format(unsigned scope, char out[64]);
/* The scope of p: its mandat_perimetre, or CASE_SCOPE_ALL when empty. */
unsigned	 case_scope_of(const struct person *p);

/* Serialise p into out.  0 / -1 (out's maximum). */
int	 person_encode(struct buf *out, const struct person *p);
/* Parse what person_encode wrote.  0 / -1 on an unknown key or a bad line. */
int	 person_decode(struct person *p, const char *text, size_t len);

#endif
