/*
 * config - see config.h.  The file is trusted no more than any input: each
 * line is bounded, each value checked against its type before use.
 */
#include "relay/config.h"
#include "relay/util.h"

#include "relay/port/ini.h"
#include <unistr.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum conf_type { CT_STR, CT_PATH, CT_BOOL, CT_LONG, CT_ADDR, CT_URL };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;
	long		 min, max;
};

#define K(n, t, lo, hi) { #n, t, offsetof(struct config, n), lo, hi }
static const struct conf_key conf_keys[] = {
	K(data_dir, CT_PATH, 0, 0),
	K(smtp_url, CT_URL, 0, 0),
	K(smtp_user, CT_STR, 0, 0),
	K(smtp_password_file, CT_PATH, 0, 0),
	K(smtp_starttls, CT_BOOL, 0, 0),
	K(imap_url, CT_URL, 0, 0),
	K(imap_user, CT_STR, 0, 0),
	K(imap_password_file, CT_PATH, 0, 0),
	K(imap_starttls, CT_BOOL, 0, 0),
	K(ca_file, CT_PATH, 0, 0),
	K(relay_address, CT_ADDR, 0, 0),
	K(test_clock, CT_BOOL, 0, 0),
	K(dpo_name, CT_STR, 0, 0),
	K(dpo_address, CT_ADDR, 0, 0),
	K(notification_hours, CT_LONG, 1, 720),
	K(checkpoint_interval_hours, CT_LONG, 1, 168),
	K(authserv_id, CT_STR, 0, 0),
	K(bounce_domains, CT_STR, 0, 0),
	K(deadline_days, CT_LONG, 1, 60),
	K(queued_alert_minutes, CT_LONG, 1, 10080),
	K(shred_grace_days, CT_LONG, 0, 3650),
	K(stale_case_days, CT_LONG, 30, 3650),
	K(stale_grace_days, CT_LONG, 1, 365),
	K(index_retention_days, CT_LONG, 0, 3650),
	K(mandate_reminder_days, CT_LONG, 1, 180),
	K(whit_monday_worked, CT_BOOL, 0, 0),
	K(alsace_moselle, CT_BOOL, 0, 0),
	K(overseas_dept, CT_LONG, 0, 976),
	K(closures, CT_STR, 0, 0),
	K(outbox_workers, CT_LONG, 1, 8),
	K(web_listen, CT_STR, 0, 0),
	K(web_tls_cert, CT_PATH, 0, 0),
	K(web_tls_key, CT_PATH, 0, 0),
	K(relay_name, CT_STR, 0, 0),
	/* The controller, for the CNIL notification (breach export). */
	K(organisation_name, CT_STR, 0, 0),
	K(organisation_siren, CT_STR, 0, 0),
	K(organisation_address, CT_STR, 0, 0),
	K(breach_contact_name, CT_STR, 0, 0),
	K(breach_contact_phone, CT_STR, 0, 0),
	K(subcontractors, CT_STR, 0, 0),
	K(cross_border, CT_STR, 0, 0),
};
#undef K
_Static_assert(sizeof(conf_keys) / sizeof(conf_keys[0]) <= 64, "one bit per key in seen");

struct parse_state {
	struct config	*cfg;
	const char	*base_dir;
	char		*err;
	size_t		 errlen;
	int		 failed;
	uint64_t	 seen;		/* bit per conf_keys entry */
};

static int
value_clean(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

/* A mail address as the relay uses it: local@domain, no spaces, no
 * controls, no angle brackets.  Deliberately strict. */
static int
addr_plausible(const char *v)
{
	const char *at = strchr(v, '@');

	if (at == NULL || at == v || strchr(at + 1, '@') != NULL ||
	    strchr(at + 1, '.') == NULL || strlen(v) > 254)
		return 0;
	for (; *v; v++)
		if ((unsigned char)*v <= 0x20 || *v == '<' || *v == '>' ||
		    *v == '"' || *v == ',' || *v == ';')
			return 0;
	return 1;
}

static int
url_plausible(const char *v)
{
	const char *hostpart;

	if (strncmp(v, "smtps://", 8) == 0 || strncmp(v, "imaps://", 8) == 0)
		hostpart = v + 8;
	else if (strncmp(v, "smtp://", 7) == 0 || strncmp(v, "imap://", 7) == 0)
		hostpart = v + 7;
	else
		return 0;
	/* host[:port] only: the mailbox and envelope come from elsewhere. */
	return *hostpart != '\0' && strchr(hostpart, '/') == NULL &&
	    strchr(hostpart, '@') == NULL && strchr(hostpart, ' ') == NULL;
}

static char *
resolve_path(const char *base_dir, const char *v)
{
	if (v[0] == '/')
		return xstrdup(v);
	return xasprintf("%s/%s", base_dir, v);
}

static int set_error(struct parse_state *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Record the first error only; returns 0 so that inih stops. */
static int
set_error(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	if (!ps->failed) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	ps->failed = 1;
	return 0;
}

static int
set_global(struct parse_state *ps, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(conf_keys); i++) {
		const struct conf_key *k = &conf_keys[i];
		char *base = (char *)ps->cfg;

		if (strcmp(k->name, name) != 0)
			continue;
		if (ps->seen & ((uint64_t)1 << i))
			return set_error(ps, "clé « %s » donnée deux fois%s", name, "");
		ps->seen |= (uint64_t)1 << i;
		switch (k->type) {
		case CT_BOOL: {
			int *dst = (int *)(void *)(base + k->offset);
			if (strcmp(value, "yes") == 0 || strcmp(value, "oui") == 0)
				*dst = 1;
			else if (strcmp(value, "no") == 0 || strcmp(value, "non") == 0)
				*dst = 0;
			else
				return set_error(ps, "« %s » attend yes ou no, pas « %s »", name, value);
			return 1;
		}
		case CT_LONG: {
			long *dst = (long *)(void *)(base + k->offset);
			if (fs_parse_long(value, k->min, k->max, dst) < 0)
				return set_error(ps, "« %s » : nombre hors limites « %s »", name, value);
			return 1;
		}
		case CT_ADDR:
			if (!addr_plausible(value))
				return set_error(ps, "« %s » : adresse invalide « %s »", name, value);
			break;
		case CT_URL:
			if (!url_plausible(value))
				return set_error(ps, "« %s » : URL invalide « %s » (attendu smtps://hôte:port ou imaps://hôte:port, sans chemin)", name, value);
			break;
		case CT_STR:
		case CT_PATH:
			if (*value == '\0')
				return set_error(ps, "« %s » est vide%s", name, "");
			break;
		}
		{
			char **dst = (char **)(void *)(base + k->offset);
			free(*dst);
			*dst = k->type == CT_PATH ? resolve_path(ps->base_dir, value) :
			    xstrdup(value);
			if (k->type == CT_ADDR)
				fs_ascii_lower(*dst);
		}
		return 1;
	}
	return set_error(ps, "clé inconnue « %s »%s", name, "");
}

static struct partner_conf *
partner_section(struct parse_state *ps, const char *id)
{
	struct config *cfg = ps->cfg;
	size_t i;

	for (i = 0; i < cfg->n_partners; i++)
		if (strcmp(cfg->partners[i].id, id) == 0)
			return &cfg->partners[i];
	if (cfg->n_partners == CONFIG_MAX_PARTNERS)
		return NULL;
	cfg->partners[cfg->n_partners].id = xstrdup(id);
	cfg->partners[cfg->n_partners].whit_monday_worked = -1;
	cfg->partners[cfg->n_partners].alsace_moselle = -1;
	cfg->partners[cfg->n_partners].overseas_dept = -1;
	return &cfg->partners[cfg->n_partners++];
}

static int
set_domains(struct parse_state *ps, struct partner_conf *p, const char *value)
{
	char *copy = xstrdup(value), *save = NULL, *tok;

	for (tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		if (p->n_domains == CONFIG_MAX_DOMAINS || strchr(tok, '.') == NULL ||
		    strchr(tok, '@') != NULL) {
			set_error(ps, "domaine invalide « %s »%s", tok, "");
			free(copy);
			return 0;
		}
		p->domains = xreallocarray(p->domains, p->n_domains + 1, sizeof(char *));
		p->domains[p->n_domains] = xstrdup(tok);
		fs_ascii_lower(p->domains[p->n_domains++]);
	}
	free(copy);
	return 1;
}

/* "YYYY-MM-DD YYYY-MM-DD ..." (spaces or commas) into dates.  0 / -1 with
 * the offending word in bad (badlen bytes). */
static int
parse_closures(const char *value, struct cal_date *dates, size_t *n, char *bad,
    size_t badlen)
{
	char *copy = xstrdup(value), *save = NULL, *tok;
	int r = 0;

	*n = 0;
	for (tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		struct cal_date *d = &dates[*n];

		if (*n == CAL_MAX_CLOSURES || cal_parse_date(tok, &d->y, &d->m, &d->d) < 0) {
			fs_strlcpy(bad, tok, badlen);
			r = -1;
			break;
		}
		(*n)++;
	}
	free(copy);
	return r;
}

/* "N/D" with 1 <= N < D <= 100. */
static int
parse_fraction(const char *value, int *num, int *den)
{
	const char *slash = strchr(value, '/');
	char head[8];
	long a, b;

	if (slash == NULL || (size_t)(slash - value) >= sizeof(head))
		return -1;
	memcpy(head, value, (size_t)(slash - value));
	head[slash - value] = '\0';
	if (fs_parse_long(head, 1, 99, &a) < 0 || fs_parse_long(slash + 1, 2, 100, &b) < 0 ||
	    a >= b)
		return -1;
	*num = (int)a;
	*den = (int)b;
	return 0;
}

static int
parse_bool(const char *value, int *dst)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "oui") == 0)
		*dst = 1;
	else if (strcmp(value, "no") == 0 || strcmp(value, "non") == 0)
		*dst = 0;
	else
		return -1;
	return 0;
}

/* The deadline keys of a [partner] section (relay/tick).  1 handled, 0 on
 * error (reported), 2 not a deadline key. */
/* The overseas departments with a holiday of their own (relay/calendar:
 * abolition de l'esclavage), or 0 for none. */
static int
overseas_ok(long d)
{
	return d == 0 || d == 971 || d == 972 || d == 973 || d == 974 || d == 976;
}

static int
set_partner_deadline(struct parse_state *ps, struct partner_conf *p, const char *id,
    const char *name, const char *value)
{
	char detail[128];

	if (strcmp(name, "deadline_unit") == 0) {
		if (strcmp(value, "jours") != 0 && strcmp(value, "heures") != 0)
			return set_error(ps, "[partner %s] deadline_unit : « jours » ou « heures »,"
			    " pas « %s »", id, value);
		p->deadline_hours_unit = strcmp(value, "heures") == 0;
	} else if (strcmp(name, "deadline_hours") == 0) {
		if (fs_parse_long(value, 1, 1000, &p->deadline_hours) < 0)
			return set_error(ps, "[partner %s] deadline_hours : nombre hors limites"
			    " « %s »", id, value);
	} else if (strcmp(name, "office_hours") == 0) {
		if (cal_parse_hours(&p->office_hours, value, detail, sizeof(detail)) < 0)
			return set_error(ps, "[partner %s] office_hours : %s", id, detail);
		p->has_office_hours = 1;
	} else if (strcmp(name, "reminder_fraction") == 0) {
		if (parse_fraction(value, &p->reminder_num, &p->reminder_den) < 0)
			return set_error(ps, "[partner %s] reminder_fraction : fraction N/D"
			    " attendue, 0 < N < D <= 100, pas « %s »", id, value);
	} else if (strcmp(name, "whit_monday_worked") == 0) {
		if (parse_bool(value, &p->whit_monday_worked) < 0)
			return set_error(ps, "[partner %s] whit_monday_worked attend yes ou no,"
			    " pas « %s »", id, value);
	} else if (strcmp(name, "alsace_moselle") == 0) {
		if (parse_bool(value, &p->alsace_moselle) < 0)
			return set_error(ps, "[partner %s] alsace_moselle attend yes ou no,"
			    " pas « %s »", id, value);
	} else if (strcmp(name, "overseas_dept") == 0) {
		if (fs_parse_long(value, 0, 976, &p->overseas_dept) < 0 ||
		    !overseas_ok(p->overseas_dept))
			return set_error(ps, "[partner %s] overseas_dept : 0, 971, 972, 973, 974"
			    " ou 976 attendu, pas « %s »", id, value);
	} else if (strcmp(name, "closures") == 0) {
		if (parse_closures(value, p->closures, &p->n_closures, detail,
		    sizeof(detail)) < 0)
			return set_error(ps, "[partner %s] closures : date invalide « %s »"
			    " (AAAA-MM-JJ)", id, detail);
	} else
		return 2;
	return 1;
}

static int
set_partner(struct parse_state *ps, const char *id, const char *name, const char *value)
{
	struct partner_conf *p;
	const char *c;
	int r;

	for (c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return set_error(ps, "section [partner %s] : identifiant invalide%s", id, "");
	if ((p = partner_section(ps, id)) == NULL)
		return set_error(ps, "trop de sections [partner]%s%s", "", "");
	if (strcmp(name, "domains") == 0)
		return set_domains(ps, p, value);
	if (strcmp(name, "subject_prefix") == 0) {
		if (strlen(value) > CONFIG_SUBJECT_PREFIX_MAX ||
		    u8_check((const uint8_t *)value, strlen(value)) != NULL ||
		    strpbrk(value, "[]") != NULL)
			return set_error(ps, "[partner %s] subject_prefix : texte UTF-8 de %d"
			    " octets au plus, sans crochets, attendu", id, CONFIG_SUBJECT_PREFIX_MAX);
		free(p->subject_prefix);
		p->subject_prefix = xstrdup(value);
		return 1;
	}
	if (strcmp(name, "trust_auth_results") == 0) {
		if (parse_bool(value, &p->trust_auth_results) < 0)
			return set_error(ps, "[partner %s] trust_auth_results attend yes"
			    " ou no, pas « %s »", id, value);
		return 1;
	}
	if (strcmp(name, "deadline_days") == 0) {
		if (fs_parse_long(value, 1, 60, &p->deadline_days) < 0)
			return set_error(ps, "[partner %s] deadline_days : nombre hors limites « %s »", id, value);
		return 1;
	}
	if (strcmp(name, "attach_opener") == 0) {
		int v;

		if (parse_bool(value, &v) < 0)
			return set_error(ps, "[partner %s] attach_opener attend yes ou no, pas « %s »",
			    id, value);
		p->no_opener = !v;
		return 1;
	}
	if ((r = set_partner_deadline(ps, p, id, name, value)) != 2)
		return r;
	return set_error(ps, "clé inconnue « %s » dans [partner %s]", name, id);
}

static int
ini_handler_fn(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;

	if (ps->failed)
		return 0;
	if (!value_clean(value) || !value_clean(name))
		return set_error(ps, "caractère de contrôle dans « %s »%s", name, "");
	if (*section == '\0')
		return set_global(ps, name, value);
	if (strncmp(section, "partner ", 8) == 0)
		return set_partner(ps, section + 8, name, value);
	return set_error(ps, "section inconnue [%s]%s", section, "");
}

static void
set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->notification_hours = 72;
	cfg->checkpoint_interval_hours = 24;
	cfg->deadline_days = 3;
	cfg->queued_alert_minutes = 240;
	cfg->shred_grace_days = 30;
	cfg->stale_case_days = 180;
	cfg->stale_grace_days = 30;
	cfg->index_retention_days = 365;
	cfg->mandate_reminder_days = 30;
	cfg->outbox_workers = 1;	/* 2+ only where it pays: docs/performance.md */
}

/* bounce_domains = "mx.example.fr, example.fr": the domains our own MTA
 * sends delivery reports from (the relay address's domain is implied). */
static int
split_bounce_domains(struct config *cfg, char *err, size_t errlen)
{
	char *copy, *save = NULL, *tok;
	size_t n = 0;

	if (cfg->bounce_domains == NULL)
		return 0;
	copy = xstrdup(cfg->bounce_domains);
	for (tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		if (n == CONFIG_MAX_DOMAINS || strchr(tok, '@') != NULL) {
			snprintf(err, errlen, "bounce_domains : domaine invalide « %.64s »"
			    " (au plus %d, sans @)", tok, CONFIG_MAX_DOMAINS);
			free(copy);
			return -1;
		}
		cfg->bounce_domain_list[n] = xstrdup(tok);
		fs_ascii_lower(cfg->bounce_domain_list[n++]);
	}
	cfg->bounce_domain_list[n] = NULL;
	free(copy);
	return 0;
}

/* The deadline keys, once the whole file is read. */
static int
check_deadlines(struct config *cfg, char *err, size_t errlen)
{
	char bad[64];
	size_t i;

	if (cfg->closures && parse_closures(cfg->closures, cfg->closure_dates,
	    &cfg->n_closures, bad, sizeof(bad)) < 0) {
		snprintf(err, errlen, "closures : date invalide « %s » (AAAA-MM-JJ, au plus %d)",
		    bad, CAL_MAX_CLOSURES);
		return -1;
	}
	for (i = 0; i < cfg->n_partners; i++) {
		const struct partner_conf *p = &cfg->partners[i];

		if (p->deadline_hours_unit && p->deadline_hours == 0) {
			snprintf(err, errlen, "[partner %s] deadline_unit = heures demande"
			    " deadline_hours", p->id);
			return -1;
		}
		if (!p->deadline_hours_unit && p->deadline_hours) {
			snprintf(err, errlen, "[partner %s] deadline_hours demande"
			    " deadline_unit = heures", p->id);
			return -1;
		}
		if (p->deadline_hours_unit && p->deadline_days) {
			snprintf(err, errlen, "[partner %s] deadline_days et deadline_unit ="
			    " heures s'excluent", p->id);
			return -1;
		}
	}
	return 0;
}

int
config_siren_valid(const char *s)
{
	int sum = 0, i;

	if (s == NULL || strlen(s) != 9)
		return 0;
	for (i = 0; i < 9; i++) {
		int d = s[i] - '0';

		if (d < 0 || d > 9)
			return 0;
		/* Luhn from the right: the 2nd, 4th... digits doubled. */
		if (i % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return sum % 10 == 0;
}

int
config_phone_valid(const char *s)
{
	int digits = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 32)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!(*p == ' ' || *p == '.' || *p == '-' || (*p == '+' && p == s)))
			return 0;
	}
	return digits >= 10 && digits <= 15;
}

/* The controller's identity for the CNIL: what is given must be right
 * (a mistyped SIREN would be sent as is); what is missing, `check` says. */
static int
check_organisation(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->organisation_siren != NULL && !config_siren_valid(cfg->organisation_siren)) {
		snprintf(err, errlen, "organisation_siren : « %.40s » n'est pas un numéro SIREN"
		    " (9 chiffres, clé de Luhn)", cfg->organisation_siren);
		return -1;
	}
	if (cfg->breach_contact_phone != NULL && !config_phone_valid(cfg->breach_contact_phone)) {
		snprintf(err, errlen, "breach_contact_phone : « %.40s » n'est pas un numéro de"
		    " téléphone (10 à 15 chiffres, espaces, points ou tirets, + en tête)",
		    cfg->breach_contact_phone);
		return -1;
	}
	return 0;
}

static int
check_required(struct config *cfg, char *err, size_t errlen)
{
	if (check_organisation(cfg, err, errlen) < 0)
		return -1;
	if (!overseas_ok(cfg->overseas_dept)) {
		snprintf(err, errlen, "overseas_dept : 0, 971, 972, 973, 974 ou 976 attendu,"
		    " pas %ld", cfg->overseas_dept);
		return -1;
	}
	if (cfg->data_dir == NULL) {
		snprintf(err, errlen, "« data_dir » manquant");
		return -1;
	}
	if (cfg->relay_address == NULL) {
		snprintf(err, errlen, "« relay_address » manquant");
		return -1;
	}
	if (cfg->smtp_starttls && cfg->smtp_url && strncmp(cfg->smtp_url, "smtp://", 7) != 0) {
		snprintf(err, errlen, "smtp_starttls = yes demande une URL smtp://");
		return -1;
	}
	if (!cfg->smtp_starttls && cfg->smtp_url && strncmp(cfg->smtp_url, "smtps://", 8) != 0) {
		snprintf(err, errlen, "smtp_url doit être smtps:// (TLS implicite) ; "
		    "smtp:// seulement avec smtp_starttls = yes");
		return -1;
	}
	if (!cfg->imap_starttls && cfg->imap_url && strncmp(cfg->imap_url, "imaps://", 8) != 0) {
		snprintf(err, errlen, "imap_url doit être imaps:// (TLS implicite) ; "
		    "imap:// seulement avec imap_starttls = yes");
		return -1;
	}
	if (split_bounce_domains(cfg, err, errlen) < 0)
		return -1;
	return check_deadlines(cfg, err, errlen);
}

int
config_parse(struct config *cfg, const char *text, const char *base_dir,
    char *err, size_t errlen)
{
	struct parse_state ps = { cfg, base_dir, err, errlen, 0, 0 };
	const char *line = text;
	int r, lineno = 1;

	set_defaults(cfg);
	/* libinih silently splits lines longer than its buffer: refuse them. */
	for (; *line; lineno++) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n >= CONFIG_MAX_LINE) {
			snprintf(err, errlen, "ligne %d : trop longue (%zu caractères, maximum %d)",
			    lineno, n, CONFIG_MAX_LINE - 1);
			return -1;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	r = ini_text_parse(text, ini_handler_fn, &ps);
	if (ps.failed || r != 0) {
		char detail[512];

		if (!ps.failed)
			snprintf(detail, sizeof(detail), "syntaxe invalide");
		else
			fs_strlcpy(detail, err, sizeof(detail));
		if (r > 0)
			snprintf(err, errlen, "ligne %d : %s", r, detail);
		else
			snprintf(err, errlen, "%s", detail);
		return -1;
	}
	return check_required(cfg, err, errlen);
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct buf b;
	char *abs, *dircopy, *dir;
	char detail[400];
	int r;

	set_defaults(cfg);
	buf_init(&b, CONFIG_MAX_BYTES);
	if (buf_read_file(&b, path) < 0) {
		snprintf(err, errlen, "%s : lecture impossible : %s", path,
		    errno == EFBIG ? "fichier trop grand" : strerror(errno));
		buf_free(&b);
		return -1;
	}
	if (strlen(b.p) != b.len) {
		snprintf(err, errlen, "%s : octet nul dans le fichier", path);
		buf_free(&b);
		return -1;
	}
	abs = realpath(path, NULL);
	if (abs == NULL)
		abs = xstrdup(path);
	dircopy = xstrdup(abs);
	dir = dirname(dircopy);
	r = config_parse(cfg, b.p, dir, detail, sizeof(detail));
	cfg->path = abs;
	if (r < 0)
		snprintf(err, errlen, "%s : %s", path, detail);
	free(dircopy);
	buf_free(&b);
	return r;
}

const char *
config_subject_prefix(const struct config *cfg, const char *partner)
{
	const struct partner_conf *p = config_partner(cfg, partner);

	if (p != NULL && p->subject_prefix != NULL)
		return p->subject_prefix[0] != '\0' ? p->subject_prefix : NULL;
	return strcmp(partner, "caf") == 0 ? CONFIG_CAF_SUBJECT_PREFIX : NULL;
}

const struct partner_conf *
config_partner(const struct config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_partners; i++)
		if (strcmp(cfg->partners[i].id, id) == 0)
			return &cfg->partners[i];
	return NULL;
}

void
config_free(struct config *cfg)
{
	size_t i, j;

	for (i = 0; i < FS_ARRAY_LEN(conf_keys); i++) {
		const struct conf_key *k = &conf_keys[i];

		if (k->type != CT_BOOL && k->type != CT_LONG) {
			char **p = (char **)(void *)((char *)cfg + k->offset);
			free(*p);
			*p = NULL;
		}
	}
	for (i = 0; cfg->bounce_domain_list[i] != NULL; i++) {
		free(cfg->bounce_domain_list[i]);
		cfg->bounce_domain_list[i] = NULL;
	}
	for (i = 0; i < cfg->n_partners; i++) {
		for (j = 0; j < cfg->partners[i].n_domains; j++)
			free(cfg->partners[i].domains[j]);
		free(cfg->partners[i].domains);
		free(cfg->partners[i].subject_prefix);
		free(cfg->partners[i].id);
	}
	cfg->n_partners = 0;
	free(cfg->path);
	cfg->path = NULL;
}

char *
config_store_path(const struct config *cfg)
{
	return xasprintf("%s/fsrelay.db", cfg->data_dir);
}

char *
config_keys_dir(const struct config *cfg)
{
	return xasprintf("%s/keys", cfg->data_dir);
}
