/*
 * config - the instance configuration file (fsrelay.conf).
 *
 * An ini file parsed once at start-up from a typed table: every key is named
 * in docs/fsrelay.conf.md, unknown keys and sections are errors, every value
 * is checked (no control characters, bounded numbers).  Global keys come
 * before any section; each partner may have a [partner ID] section.
 * Relative paths are resolved against the directory of the config file.
 */
#ifndef FSRELAY_CONFIG_H
#define FSRELAY_CONFIG_H

#include <stddef.h>

#include "relay/calendar.h"

#define CONFIG_MAX_BYTES	(256 * 1024)
#define CONFIG_MAX_LINE		200	/* libinih's line limit */
#define CONFIG_MAX_PARTNERS	64
#define CONFIG_MAX_DOMAINS	32

struct partner_conf {
	char	 *id;
	char	**domains;		/* lowercased; empty = directory's */
	size_t	  n_domains;
	int	  trust_auth_results;	/* our MX's Authentication-Results
					 * may vouch for a sender (match) */
	long	  deadline_days;	/* working days of 24 h; 0 = default */
	/* Deadlines and reminders (relay/tick, docs/deadlines.md). */
	int	  deadline_hours_unit;	/* deadline_unit = heures */
	long	  deadline_hours;	/* working hours (unit heures); 0 = unset */
	int	  has_office_hours;	/* else Monday-Friday 09:00-17:00 */
	struct cal_hours office_hours;
	int	  reminder_num;		/* reminder_fraction; 0/0 = 2/3 */
	int	  reminder_den;
	int	  whit_monday_worked;	/* -1 = as the structure, 0, 1 */
	int	  alsace_moselle;	/* -1 = as the structure, 0, 1 */
	size_t	  n_closures;		/* extra closure days of the partner */
	struct cal_date closures[CAL_MAX_CLOSURES];
	int	  no_opener;		/* attach_opener = no */
	long	  overseas_dept;	/* -1 = as the structure, 0, 971... */
	char	 *subject_prefix;	/* subject_prefix; NULL: not set */
};

/* Longest subject_prefix (bytes). */
#define CONFIG_SUBJECT_PREFIX_MAX	64
/* The CAF's default subject_prefix (annexe 5 CAF: the subject carries
 * « France Services »; its name and allocataire number stay off). */
#define CONFIG_CAF_SUBJECT_PREFIX	"France Services"

struct config {
	char	*path;			/* absolute path of the file */
	char	*data_dir;		/* store and keys/ */
	char	*smtp_url;
	char	*smtp_user;
	char	*smtp_password_file;
	int	 smtp_starttls;
	char	*imap_url;
	char	*imap_user;
	char	*imap_password_file;
	int	 imap_starttls;
	char	*ca_file;
	char	*relay_address;
	int	 test_clock;
	char	*dpo_name;
	char	*dpo_address;
	long	 notification_hours;
	long	 checkpoint_interval_hours;	/* audit log checkpoints */
	char	*authserv_id;
	char	*bounce_domains;	/* as written: our MTA's bounce domains */
	char	*bounce_domain_list[CONFIG_MAX_DOMAINS + 1];	/* parsed,
					 * lowercased, NULL-ended */
	long	 deadline_days;		/* default referent deadline */
	long	 queued_alert_minutes;	/* tell the agent when still queued */
	long	 shred_grace_days;	/* resolved cases kept this long */
	long	 stale_case_days;	/* an open case without activity: notice */
	long	 stale_grace_days;	/* ... then cancelled and shredded */
	long	 index_retention_days;	/* a shredded case's blind index kept */
	long	 mandate_reminder_days;	/* the agent told before the mandate ends */
	long	 outbox_workers;	/* sending processes of a large pass */
	char	*web_listen;		/* fsrelay web: ADDR:PORT; NULL = 127.0.0.1:8443 */
	char	*web_tls_cert;		/* PEM certificate (chain) of the web desk */
	char	*web_tls_key;		/* its private key */
	char	*relay_name;		/* display name; NULL = "France Services" */
	/* The controller and the breach contact, for the CNIL notification
	 * (breach export; `check` warns when one is missing). */
	char	*organisation_name;
	char	*organisation_siren;	/* 9 digits, Luhn (config_siren_valid) */
	char	*organisation_address;
	char	*breach_contact_name;
	char	*breach_contact_phone;	/* config_phone_valid */
	char	*subcontractors;	/* processors involved (art. 28), free text */
	char	*cross_border;		/* cross-border aspects, free text */
	int	 whit_monday_worked;	/* the structure's calendar (deadlines) */
	int	 alsace_moselle;
	long	 overseas_dept;		/* 0, or 971 972 973 974 976 */
	char	*closures;		/* "YYYY-MM-DD ..." as written */
	size_t	 n_closures;		/* closures, parsed */
	struct cal_date closure_dates[CAL_MAX_CLOSURES];
	struct partner_conf partners[CONFIG_MAX_PARTNERS];
	size_t	 n_partners;
};

/*
 * Load and check the configuration at path.  0 on success; -1 with a French
 * message in err ("fsrelay.conf ligne 3 : clé inconnue « smpt_url »").
 * The caller frees with config_free() in both cases.
 */
int	 config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Same on a string (for tests and the fuzzer); base_dir resolves paths. */
int	 config_parse(struct config *cfg, const char *text, const char *base_dir,
	    char *err, size_t errlen);

/* The words the subject of a case for partner begins with after its
 * reference: the partner's subject_prefix if set (NULL when set empty),
 * else CONFIG_CAF_SUBJECT_PREFIX for caf, else NULL.  Never personal data:
 * it comes from the configuration only. */
const char *config_subject_prefix(const struct config *cfg, const char *partner);

/* 1 when s is 9 digits with a right Luhn key, else 0. */
int	 config_siren_valid(const char *s);
/* 1 when s is a phone number: 10 to 15 digits, spaces, dots or dashes, a
 * leading +; else 0. */
int	 config_phone_valid(const char *s);

/* The [partner ID] section of id, or NULL. */
const struct partner_conf *config_partner(const struct config *cfg, const char *id);

void	 config_free(struct config *cfg);

/* Path of the store and of the key directory (caller frees). */
char	*config_store_path(const struct config *cfg);
char	*config_keys_dir(const struct config *cfg);

#endif
