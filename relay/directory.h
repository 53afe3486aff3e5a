/*
 * directory - the Annex 6 referent directory: the partners' referents
 * (annex6-*.csv), the France Services structures (structures-*.csv) and the
 * topics a case may carry (topics.csv); the routing ladder of a case
 * (directory_route below states its rules) and the coverage check of the
 * whole directory.
 *
 * Trusts nothing in the CSV text: every column is checked (ids, roles,
 * addresses, phone scopes, INSEE codes, no control characters) before a row
 * is kept, and a parse either succeeds whole or leaves the directory as it
 * was.  Does no I/O: callers read the files and pass the bytes.
 * Messages are in French and name the line and the column.
 */
#ifndef FSRELAY_DIRECTORY_H
#define FSRELAY_DIRECTORY_H

#include <stddef.h>

#include "relay/util.h"

#define DIR_ID_MAX	64	/* partner, structure and topic ids */
#define DIR_ADDR_MAX	254	/* RFC 5321 path limit, less the brackets */

enum dir_role {
	DIR_ROLE_PRIMARY,
	DIR_ROLE_SECONDARY,
	DIR_ROLE_ESCALATION,
	DIR_ROLE_FUNCTIONAL,
	DIR_ROLE_CONTACT,
	DIR_ROLE_URGENT_PHONE
};

/* One annex6 row.  Every string is owned by the directory, never NULL. */
struct dir_entry {
	char		*partner;	/* [a-z0-9-]+ */
	char		*partner_name;
	char		*structure;	/* a structure id or "*" */
	char		*topic;		/* a topic id or "*" */
	enum dir_role	 role;
	char		*name;
	char		*title;
	char		*email;		/* display form; "" when none */
	char		*email_lc;	/* lowercased: compare with this */
	char		*phone;
	char		*phone_scope;	/* "", "public", "service", "internal-only" */
	char		*rule;
	size_t		 line;		/* line in the CSV, for messages */
};

/* One structures-*.csv row ("" for an empty column). */
struct dir_structure {
	char	*id;
	char	*name;
	char	*insee;			/* 5 characters */
	char	*address;
	char	*email;
	char	*phone;
	char	*hours;
};

/* One topics.csv row (column bouquet_theme is kept as theme). */
struct dir_topic {
	char	*partner;
	char	*topic;
	char	*label;
	char	*theme;
};

struct directory {
	struct dir_entry	*entries;
	size_t			 n_entries;
	struct dir_structure	*structures;
	size_t			 n_structures;
	struct dir_topic	*topics;
	size_t			 n_topics;
};

/* A routing ladder: rungs of indices into dir->entries. */
struct dir_rung {
	size_t	*idx;
	size_t	 n;
};

struct dir_ladder {
	struct dir_rung	*rungs;
	size_t		 n;
};

struct dir_coverage_counts {
	size_t	gaps;		/* no referent, or a rung-0 key not pinned */
	size_t	warnings;	/* no backup rung, a later key not pinned */
	size_t	infos;		/* informative lines (urgent numbers) */
};

/* Initialise an empty directory (all zero). */
void	 directory_init(struct directory *dir);

/*
 * Parse an annex6 CSV (header exactly
 * partner,partner_name,structure,topic,role,name,title,email,phone,
 * phone_scope,rule) into dir->entries, replacing what was there.
 * 0 on success; -1 with a French message in err (e.g. « annexe 6, ligne 4,
 * colonne role : rôle « boss » inconnu ») and dir unchanged.  Also checks
 * within the file: one partner_name per partner, no row twice, a phone for
 * urgent-phone rows (which must be internal-only), a phone_scope for every
 * phone, an address or a phone on every row.
 */
int	 directory_parse_entries(struct directory *dir, const char *csv,
	    size_t len, char *err, size_t errlen);

/* Same for structures.csv (structure,name,insee,address,email,phone,hours):
 * unique ids, 5-character INSEE codes (digits, or 2A/2B for Corsica). */
int	 directory_parse_structures(struct directory *dir, const char *csv,
	    size_t len, char *err, size_t errlen);

/* Same for topics.csv (partner,topic,label,bouquet_theme): unique
 * (partner, topic) pairs, a non-empty label. */
int	 directory_parse_topics(struct directory *dir, const char *csv,
	    size_t len, char *err, size_t errlen);

/*
 * The same three tables from rows instead of CSV text (the store keeps
 * the directory as rows: relay/port/store_directory.h).  next gives the
 * fields of the next row, in the files' column order (pointers valid
 * until the next call): 1, 0 at the end, -1 on a read error.  The rows go
 * through the same checks as a file's lines (row k is « ligne k+1 »).
 */
struct dir_rows {
	int	(*next)(void *arg, const char *const **fields, size_t *n);
	void	*arg;
};
int	 directory_take_entries(struct directory *dir, const struct dir_rows *src,
	    char *err, size_t errlen);
int	 directory_take_structures(struct directory *dir, const struct dir_rows *src,
	    char *err, size_t errlen);
int	 directory_take_topics(struct directory *dir, const struct dir_rows *src,
	    char *err, size_t errlen);

/*
 * Cross-file checks: every annex6 topic other than "*" exists in the topics
 * for that partner, every annex6 structure other than "*" exists in the
 * structures.  0 if all hold; -1 with the first failure in err.
 */
int	 directory_validate(const struct directory *dir, char *err,
	    size_t errlen);

/*
 * 1 if addr is an address fsrelay accepts to write to: at most
 * DIR_ADDR_MAX bytes, exactly one '@', a non-empty local part of printable
 * ASCII without spaces, quotes, '<', '>', '(', ')', ',', ';', ':', '\\' or
 * '[' ']', no leading, trailing or double dot; a domain of dot-separated
 * labels [A-Za-z0-9-] (not starting or ending with '-') holding at least
 * one dot.  0 otherwise (including NULL).  Safe for SMTP envelopes: no CR,
 * LF, NUL or control character can pass.
 */
int	 dir_address_valid(const char *addr);

/*
 * An identifier typed by a person (a partner, topic or structure: "CAF",
 * "Impots-Particuliers") in the form the directory keeps them, ASCII
 * letters lowered (ids are [a-z0-9-]), so that any case finds its row;
 * cut to dstlen - 1 bytes (longer is no id: the lookup then fails).
 */
void	 directory_id_fold(char *dst, size_t dstlen, const char *s);

/* The structure with this id, or NULL.  Points into dir. */
const struct dir_structure *directory_find_structure(const struct directory *dir,
	    const char *id);

/* The topic (partner, topic), or NULL.  Points into dir. */
const struct dir_topic *directory_find_topic(const struct directory *dir,
	    const char *partner, const char *topic);

/* The partner's name as written in annex6, or NULL if no row names it. */
const char *directory_partner_name(const struct directory *dir,
	    const char *partner);

/* 1 if an annex6 row has this partner, 0 otherwise. */
int	 directory_partner_known(const struct directory *dir,
	    const char *partner);

/*
 * A short label for messages: "DGFiP", "CAF", "France Travail (Pôle
 * emploi)"... for the partners of the convention; else the partner_name of
 * annex6; else the id itself.  Never NULL; points into static data or dir.
 */
const char *directory_partner_label(const struct directory *dir,
	    const char *partner);

/*
 * Route a case.  Candidates: rows of the partner whose
 * structure is the case's or "*", whose topic is the case's or "*", with an
 * address and a role primary, secondary, escalation or functional.  The
 * most specific rows win (exact structure first, then exact topic).  Rungs:
 * winners' primary (or, if none, functional), secondary, escalation,
 * functional (if not used yet), then the losers' primary, secondary,
 * escalation, functional.  Empty rungs are skipped; an address appears once
 * (its first place), compared lowercased.
 * 0 with *ladder filled (rung 0 non-empty; free with dir_ladder_free);
 * -1 with err set and *ladder empty: "<label> – <topic> – <structure> :
 * aucun référent" when rung 0 is empty, or a message naming a malformed
 * id, or a topic or structure missing from a loaded topics/structures
 * table.
 */
int	 directory_route(const struct directory *dir, const char *partner,
	    const char *topic, const char *structure, struct dir_ladder *ladder,
	    char *err, size_t errlen);

/* Release a ladder filled by directory_route (or zeroed); leaves it empty. */
void	 dir_ladder_free(struct dir_ladder *ladder);

/*
 * Check every structure x topic (topics.csv gives the partners' topics):
 * rung 0 present ("GAP <structure> <partner> <topic> : aucun référent"),
 * each rung-0 address has a pinned key ("GAP ... : clé non épinglée pour
 * <address>"), a backup rung present ("WARN ... : pas de référent de
 * secours"), later rungs' keys pinned ("WARN ... : clé non épinglée pour
 * <address> (échelon N)"); and for each structure x partner, the urgent
 * internal-only numbers that apply ("INFO <structure> <partner> : ...").
 * key_pinned(email_lc, arg) returns nonzero when a key is pinned for the
 * address; key_pinned NULL skips the key checks.  One line per finding is
 * appended to report; counts (may be NULL) receives the tallies.
 * Returns the number of gaps (0: the directory covers everything; capped at
 * INT_MAX), or -1 if report reached its maximum (counts are complete
 * anyway).
 */
int	 directory_coverage(const struct directory *dir,
	    int (*key_pinned)(const char *email_lc, void *arg), void *arg,
	    struct buf *report, struct dir_coverage_counts *counts);

/* The role's CSV spelling ("primary", "urgent-phone"...). */
const char *dir_role_name(enum dir_role role);

/* Free everything dir holds and leave it empty. */
/*
 * The partner-domain checks of `fsrelay check` (issue 14, point 2): for
 * each partner of the directory, a warning when its [partner] section sets
 * `domains` without the domain of one of its referents' addresses (a
 * colleague of that domain would be a stranger), and when it has no
 * domain at all (no `domains`, no address in the directory: every reply
 * from outside a case's recipients would be a stranger); then one warning
 * naming the partners without `domains`, whose replies are judged on the
 * directory's domains only.  Each warning is one French line appended to
 * out.  Returns the number of warnings.
 */
struct config;
size_t	 directory_domain_warnings(const struct directory *dir, const struct config *cfg,
	    struct buf *out);

/*
 * The reason a topic unknown for partner is refused, in French, in err:
 * « motif inconnu « x » pour CAF ; le plus proche : « prestations-
 * familiales » ; motifs de CAF : a, b, c » -- the nearest by edit
 * distance (ASCII case folded), offered only when within half of the
 * longer of the two lengths; the partner's topics in the order of the
 * topics file.
 */
void	 directory_topic_unknown(const struct directory *dir, const char *partner,
	    const char *topic, char *err, size_t errlen);

/* The topics of every partner, one line each ("  caf : a, b, c\n"), in the
 * order of the topics file, appended to out (escalate --help). */
void	 directory_topics_list(const struct directory *dir, struct buf *out);

void	 directory_free(struct directory *dir);

#endif
