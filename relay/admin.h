/*
 * admin - the administrator's use cases that read the instance as a whole
 * (for any face: the CLI's `status` and `keys show`, a web page): plain
 * structs out, a French reason on failure, never personal data.
 */
#ifndef FSRELAY_ADMIN_H
#define FSRELAY_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "relay/lifecycle.h"
#include "relay/port/store_cases.h"

struct instance;

/* status: the queues, what serve last saw of the mail servers, the cases
 * by state (in the order of enum case_state), the overdue cases per
 * partner (by partner). */
struct admin_status {
	long			 deliveries_pending, notices_pending;
	int64_t			 last_mailbox_poll;		/* 0: never */
	int64_t			 mailbox_login_refused_since;	/* 0: not refused */
	int64_t			 submission_login_refused_since;
	long			 cases[CASE_STATE_COUNT];
	struct store_count_row	*overdue;
	size_t			 n_overdue;
};

/* 0 with *s (admin_status_free in both cases); -1 with "base : <why>". */
int	 admin_status(struct instance *in, struct admin_status *s, char *err,
	    size_t errlen);
void	 admin_status_free(struct admin_status *s);

/* keys show: the public keys of the relay, by name. */
enum admin_key {
	ADMIN_KEY_RELAY_IDENTITY,	/* the age recipient (age1...) */
	ADMIN_KEY_SIGNING,		/* Ed25519, base64 of 32 bytes */
	ADMIN_KEY_AUDIT_LOG,		/* the C2SP verifier key */
	ADMIN_KEY_COUNT
};

/* "relay-identity", "signing", "audit-log"; NULL out of range. */
const char	*admin_key_name(enum admin_key k);
/* 0 and *k for a known name; -1 with "clé inconnue « … » (relay-identity,
 * signing ou audit-log)". */
int		 admin_key_parse(const char *name, enum admin_key *k, char *err,
		    size_t errlen);
/* The text of key k into out (NUL-terminated).  0; -1 with the reason
 * (a key file missing or unreadable). */
int		 admin_public_key(struct instance *in, enum admin_key k, char *out,
		    size_t outlen, char *err, size_t errlen);
/* The fingerprint of the signing key (what referents compare). */
int		 admin_signing_fingerprint(struct instance *in, char *out, size_t outlen,
		    char *err, size_t errlen);

/* referents import: the files' bytes as the face read them, each named by
 * how the agent gave it (its path, for the messages); structures and
 * topics may be absent (text NULL): the tables in the store are kept. */
struct admin_csv {
	const char	*name;
	const char	*text;
	size_t		 len;
};

/*
 * Parse, validate and replace the directory in one transaction (all or
 * nothing); the pinned keys are kept.  The changes, one French line each,
 * are appended to changes; *entries the rows imported, *n_changes their
 * number.  0; -1 with "<name> : <why>", "structures ou motifs inconnus :
 * …", the validation's or the store's reason.
 */
int	 admin_directory_import(struct instance *in, const struct admin_csv *annex,
	    const struct admin_csv *structures, const struct admin_csv *topics,
	    struct buf *changes, size_t *entries, int *n_changes, char *err,
	    size_t errlen);

/*
 * referents key: pin the age recipient of a directory address (lowercased),
 * verified by whom the face says; replacing a key is recorded
 * (key.replaced), a key declared compromised is refused.  0 with the pinned
 * key in *k; -1: "clé age invalide : …", "… n'est pas une adresse de
 * l'annuaire", "cette clé de … est déclarée compromise : …", the store's.
 */
struct pinned_key;
int	 admin_key_pin(struct instance *in, const char *address, const char *recipient,
	    const char *verified_by, struct pinned_key *k, char *err, size_t errlen);

/* The same, done by an account of the web desk: actor needs
 * RIGHT_DIRECTORY (else -1, "refusé : …"), the event names it; actor NULL
 * is the service account of the CLI (event actor "admin").  The
 * verifier's name is a one-line text (« vérifiée par : … » otherwise). */
struct account;
int	 admin_key_pin_by(struct instance *in, const struct account *actor,
	    const char *address, const char *recipient, const char *verified_by,
	    struct pinned_key *k, char *err, size_t errlen);
/* The fingerprint an age recipient would be pinned with (what the
 * administrator reads to the referent before pinning).  0; -1 with
 * "clé age invalide : …". */
int	 admin_key_fingerprint(const char *recipient, char *out, size_t outlen,
	    char *err, size_t errlen);

/* The directory's lines with the state of their address's key, for an
 * actor with RIGHT_DIRECTORY (NULL: the CLI).  e points into the
 * instance's directory (valid until the next instance_directory). */
struct dir_entry;
struct invitation_row;
struct admin_referent {
	const struct dir_entry	*e;
	int			 pinned;	/* a key is pinned for e's address */
	struct pinned_key	*k;		/* its key when pinned, else NULL */
	/* its enrolment still to finish (referents invite: sent, or a key
	 * received and not yet verified), else NULL (relay/enrol) */
	struct invitation_row	*enrolment;
};
struct admin_referents {
	struct admin_referent	*v;
	struct pinned_key	*keys;
	struct invitation_row	*invitations;
	size_t			 n;
};
int	 admin_referents(struct instance *in, const struct account *actor,
	    struct admin_referents *out, char *err, size_t errlen);
void	 admin_referents_free(struct admin_referents *r);

/* referents check: the coverage of the directory (directory_coverage
 * with the pinned keys), appended to report.  The number of gaps (>= 0),
 * -1 with err (the directory unreadable, a refused actor). */
struct dir_coverage_counts;
int	 admin_directory_check(struct instance *in, const struct account *actor,
	    struct buf *report, struct dir_coverage_counts *counts, char *err,
	    size_t errlen);

/* agents add: the agent of a known structure.  The core checks every
 * field: the id (lowercase letters, digits, « . », « _ », « - », 64 at
 * most), the name (one line of text), the address, the role, the
 * structure.  0; -1: "identifiant invalide « … »", "nom : …", "adresse
 * invalide « … »", "rôle inconnu « … »", "structure inconnue « … »",
 * "l'agent « … » existe déjà", the store's. */
struct agent;
int	 admin_agent_add(struct instance *in, const struct agent *a, char *err,
	    size_t errlen);
/* Which field of agents add a refusal is about (for a face to place it). */
enum admin_agent_field {
	ADMIN_AGENT_NONE,	/* not a field: the store */
	ADMIN_AGENT_ID,
	ADMIN_AGENT_NAME,
	ADMIN_AGENT_EMAIL,
	ADMIN_AGENT_ROLE,
	ADMIN_AGENT_STRUCTURE,
};
/* The same, by an account with RIGHT_ACCOUNTS (NULL: the CLI's service
 * account), the field refused in *field (may be NULL); the event
 * agent.added names the actor. */
int	 admin_agent_add_by(struct instance *in, const struct account *actor,
	    const struct agent *a, enum admin_agent_field *field, char *err,
	    size_t errlen);

/* check: what the face measured of the system (the core judges it). */
struct admin_file_fact {
	int	present;	/* stat succeeded */
	int	err;		/* its errno otherwise */
	mode_t	mode;
	uid_t	uid;
};

struct admin_check_facts {
	uid_t			 euid;
	int			 ca_file_readable;	/* access(ca_file, R_OK) */
	struct admin_file_fact	 config, config_dir, data_dir;
	struct admin_file_fact	 db[3];		/* fsrelay.db, -wal, -shm */
	int			 tzdata;	/* Europe/Paris in tzdata */
	int			 tz_mismatch;	/* tzdata's offsets differ from ours */
	int			 unit_installed;
	const char		*ntp;		/* timedatectl's NTPSynchronized, or NULL */
	int			 sandbox_probe;	/* sandbox_probe() */
	const char		*sandbox_reason;
	int			 landlock_abi;
};

/* The instants at which the face compares tzdata with our Europe/Paris
 * rule (now, in six months, in a year). */
#define ADMIN_TZ_PROBES	3
void	 admin_tz_probes(int64_t now, int64_t out[ADMIN_TZ_PROBES]);

/* One line of the report: an error or a warning, in French. */
struct admin_check_line {
	int	 error;
	char	 text[640];
};

struct admin_check {
	struct admin_check_line	*v;
	size_t			 n;
	int			 errors, warnings;
};

/*
 * check: the configuration, the key files' modes, the time zone, the
 * directory and its coverage, what serve last saw of the mail servers'
 * logins, the deployment (modes and owners, account, unit, clock,
 * sandbox), in that order.  Fills *out (admin_check_free).
 */
void	 admin_check(struct instance *in, const struct admin_check_facts *f,
	    struct admin_check *out);
/* Add a line (the face's own, e.g. an instance that does not open). */
void	 admin_check_say(struct admin_check *c, int error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 admin_check_free(struct admin_check *c);

#endif
