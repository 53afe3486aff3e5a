/*
 * dpo - see dpo.h.  The rules moved here from adapters/cli/cmd_breach.c.
 * Trusts the register (relay/breach); bounds and checks the DPO's text.
 */
#include "relay/dpo.h"
#include "relay/audit.h"
#include "relay/calendar.h"
#include "relay/instance.h"
#include "relay/port/store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DPO_ACTOR "dpo"

/* Copy the DPO's text into a field: bounded, no control character but
 * newline and tab. */
static int
set_text(char *dst, size_t size, const char *v, const char *opt, char *err, size_t errlen)
{
	const unsigned char *p;

	if (v == NULL)
		return 0;
	if (strlen(v) >= size) {
		snprintf(err, errlen, "--%s : texte trop long (%zu octets au plus)", opt, size - 1);
		return -1;
	}
	for (p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
			snprintf(err, errlen, "--%s : caractère de contrôle refusé", opt);
			return -1;
		}
	fs_strlcpy(dst, v, size);
	return 0;
}

static int
set_time(int64_t *dst, const char *v, const char *opt, int64_t now, char *err,
    size_t errlen)
{
	if (v == NULL)
		return 0;
	if (cal_parse_rfc3339(v, dst) < 0) {
		snprintf(err, errlen, "--%s : date invalide « %.40s » (attendu RFC 3339, ex."
		    " 2026-03-02T09:00:00Z)", opt, v);
		return -1;
	}
	if (*dst > now) {
		snprintf(err, errlen, "--%s : date dans le futur", opt);
		return -1;
	}
	return 0;
}

static int
set_count(long *dst, const char *v, const char *opt, char *err, size_t errlen)
{
	if (v == NULL)
		return 0;
	if (fs_parse_long(v, 0, LONG_MAX, dst) < 0) {
		snprintf(err, errlen, "--%s : nombre invalide « %.40s »", opt, v);
		return -1;
	}
	return 0;
}

/* Letters C, I, A in any order and case, kept in "CIA" order. */
static int
set_nature(char dst[4], const char *v, char *err, size_t errlen)
{
	const char *p;
	char out[4];
	size_t n = 0;

	if (v == NULL)
		return 0;
	for (p = v; *p; p++)
		if (!strchr("CIAcia", *p)) {
			snprintf(err, errlen, "--nature : lettres C (confidentialité), I"
			    " (intégrité) ou A (disponibilité) attendues");
			return -1;
		}
	if (strpbrk(v, "Cc"))
		out[n++] = 'C';
	if (strpbrk(v, "Ii"))
		out[n++] = 'I';
	if (strpbrk(v, "Aa"))
		out[n++] = 'A';
	out[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "--nature : vide");
		return -1;
	}
	memcpy(dst, out, n + 1);
	return 0;
}

/* Add case references to the linked cases (no duplicates). */
static int
add_cases(struct breach *b, const char *const *refs, size_t n, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = refs[i];

		if (*p == '\0' || strlen(p) >= 32 || strpbrk(p, " \t\r\n")) {
			snprintf(err, errlen, "--dossier : référence invalide « %.40s »", p);
			return -1;
		}
		if (strstr(b->linked_cases, p) != NULL)
			continue;
		if (strlen(b->linked_cases) + strlen(p) + 2 > sizeof(b->linked_cases)) {
			snprintf(err, errlen, "--dossier : trop de dossiers liés");
			return -1;
		}
		if (b->linked_cases[0])
			fs_strlcat(b->linked_cases, " ", sizeof(b->linked_cases));
		fs_strlcat(b->linked_cases, p, sizeof(b->linked_cases));
	}
	return 0;
}

static int
apply_assess(struct instance *in, struct breach *b, const struct dpo_assess *a, char *err,
    size_t errlen)
{
	if (a->risk && strcmp(a->risk, "none") && strcmp(a->risk, "risk") &&
	    strcmp(a->risk, "high")) {
		snprintf(err, errlen, "--risk : none, risk ou high attendu");
		return -1;
	}
	if (a->cause && !breach_cause_valid(a->cause)) {
		snprintf(err, errlen, "--cause : interne-accidentelle, interne-malveillante,"
		    " externe-accidentelle, externe-malveillante ou inconnue attendu, pas"
		    " « %.40s »", a->cause);
		return -1;
	}
	if (a->cause)
		fs_strlcpy(b->cause, a->cause, sizeof(b->cause));
	if (set_time(&b->aware_at, a->aware_at, "aware-at", in->now, err, errlen) < 0 ||
	    set_time(&b->started_at, a->started, "started-at", in->now, err, errlen) < 0 ||
	    set_time(&b->ended_at, a->ended, "ended-at", in->now, err, errlen) < 0 ||
	    set_nature(b->nature, a->nature, err, errlen) < 0 ||
	    set_count(&b->subjects_approx, a->subjects, "subjects", err, errlen) < 0 ||
	    set_count(&b->records_approx, a->records, "records", err, errlen) < 0 ||
	    set_text(b->risk_level, sizeof(b->risk_level), a->risk, "risk", err, errlen) < 0 ||
	    set_text(b->risk_rationale, sizeof(b->risk_rationale), a->rationale,
	    "rationale", err, errlen) < 0 ||
	    set_text(b->facts, sizeof(b->facts), a->facts, "facts", err, errlen) < 0 ||
	    set_text(b->subject_categories, sizeof(b->subject_categories), a->subject_cat,
	    "subject-categories", err, errlen) < 0 ||
	    set_text(b->data_categories, sizeof(b->data_categories), a->data_cat,
	    "data-categories", err, errlen) < 0 ||
	    set_text(b->likely_consequences, sizeof(b->likely_consequences), a->consequences,
	    "consequences", err, errlen) < 0 ||
	    set_text(b->measures_in_place, sizeof(b->measures_in_place), a->in_place,
	    "measures-in-place", err, errlen) < 0 ||
	    set_text(b->measures_taken, sizeof(b->measures_taken), a->taken,
	    "measures-taken", err, errlen) < 0 ||
	    set_text(b->measures_proposed, sizeof(b->measures_proposed), a->proposed,
	    "measures-proposed", err, errlen) < 0 ||
	    set_text(b->no_notification_reason, sizeof(b->no_notification_reason), a->no_notif,
	    "no-notification-reason", err, errlen) < 0 ||
	    add_cases(b, a->cases, a->n_cases, err, errlen) < 0)
		return -1;
	if (a->ongoing) {
		b->ongoing = 1;
		b->ended_at = 0;
	} else if (a->ended)
		b->ongoing = 0;
	if (b->ended_at && b->started_at && b->ended_at < b->started_at) {
		snprintf(err, errlen, "--ended-at : antérieure au début de la violation");
		return -1;
	}
	if (b->aware_at && strcmp(b->status, "suspected") == 0)
		fs_strlcpy(b->status, "open", sizeof(b->status));
	return 0;
}

int
dpo_load(struct instance *in, const char *id, struct breach *b, char *err, size_t errlen)
{
	long n;

	if (id == NULL || fs_parse_long(id, 1, LONG_MAX, &n) < 0) {
		snprintf(err, errlen, "identifiant invalide « %.40s »", id ? id : "");
		return -1;
	}
	return breach_load(in, n, b, err, errlen) == 0 ? 0 : -1;
}

/* The entry id, open to changes. */
static int
load_open(struct instance *in, const char *id, struct breach *b, char *err, size_t errlen)
{
	if (dpo_load(in, id, b, err, errlen) < 0)
		return -1;
	if (strcmp(b->status, "closed") == 0) {
		snprintf(err, errlen, "la violation n° %lld est close : plus aucune modification",
		    (long long)b->id);
		return -1;
	}
	return 0;
}

int
dpo_declare(struct instance *in, const struct dpo_assess *a, struct breach *b, char *err,
    size_t errlen)
{
	if (a->nature == NULL || a->facts == NULL || *a->facts == '\0') {
		snprintf(err, errlen, "--nature et --facts sont obligatoires");
		return -1;
	}
	breach_init(in, b, BREACH_SRC_MANUAL);
	if (apply_assess(in, b, a, err, errlen) < 0)
		return -1;
	return breach_save(in, b, DPO_ACTOR, "declared", err, errlen) < 0 ? -1 : 0;
}

int
dpo_assess(struct instance *in, const char *id, const struct dpo_assess *a,
    struct breach *b, char *err, size_t errlen)
{
	if (load_open(in, id, b, err, errlen) < 0 || apply_assess(in, b, a, err, errlen) < 0)
		return -1;
	return breach_save(in, b, DPO_ACTOR, "assessed", err, errlen) < 0 ? -1 : 0;
}

int
dpo_notify(struct instance *in, const char *id, const char *cnil_ref, const char *at_s,
    const char *delay, struct breach *b, char *err, size_t errlen)
{
	struct breach_notification *n;
	int64_t at;

	if (cnil_ref == NULL || *cnil_ref == '\0') {
		snprintf(err, errlen, "--cnil-ref est obligatoire");
		return -1;
	}
	if (load_open(in, id, b, err, errlen) < 0)
		return -1;
	at = in->now;
	if (set_time(&at, at_s, "at", in->now, err, errlen) < 0)
		return -1;
	if (b->aware_at == 0) {
		snprintf(err, errlen, "enregistrez d'abord la prise de connaissance (fsrelay"
		    " breach assess %lld --aware-at DATE)", (long long)b->id);
		return -1;
	}
	if (b->n_notif >= BREACH_MAX_NOTIF) {
		snprintf(err, errlen, "%d notifications au plus", BREACH_MAX_NOTIF);
		return -1;
	}
	if (b->n_notif == 0 && at > b->deadline_at && (delay == NULL || *delay == '\0')) {
		char dl[CAL_RFC3339_LEN];

		cal_format_rfc3339_utc(dl, b->deadline_at);
		snprintf(err, errlen, "notification tardive (échéance %s dépassée) :"
		    " --reasons-for-delay est obligatoire (article 33(1))", dl);
		return -1;
	}
	n = &b->notif[b->n_notif];
	memset(n, 0, sizeof(*n));
	fs_strlcpy(n->kind, b->n_notif ? "complementary" : "initial", sizeof(n->kind));
	n->sent_at = at;
	if (set_text(n->cnil_ref, sizeof(n->cnil_ref), cnil_ref, "cnil-ref", err, errlen) < 0 ||
	    set_text(n->delay_reasons, sizeof(n->delay_reasons), delay, "reasons-for-delay",
	    err, errlen) < 0)
		return -1;
	b->n_notif++;
	fs_strlcpy(b->status, "notified", sizeof(b->status));
	return breach_save(in, b, DPO_ACTOR, "notified", err, errlen) < 0 ? -1 : 0;
}

int
dpo_communicate(struct instance *in, const char *id, const char *at_s, const char *channel,
    const char *message, size_t len, struct breach *b, char *err, size_t errlen)
{
	int64_t at;

	if (load_open(in, id, b, err, errlen) < 0)
		return -1;
	at = in->now;
	if (message && strlen(message) != len) {
		snprintf(err, errlen, "--message-file : caractère de contrôle refusé");
		return -1;
	}
	if (set_time(&at, at_s, "at", in->now, err, errlen) < 0 ||
	    set_text(b->channel, sizeof(b->channel), channel, "channel", err, errlen) < 0 ||
	    (message && len && set_text(b->message_text, sizeof(b->message_text), message,
	    "message-file", err, errlen) < 0))
		return -1;
	fs_strlcpy(b->art34, "communicated", sizeof(b->art34));
	b->art34_exemption[0] = '\0';
	b->art34_justification[0] = '\0';
	b->communicated_at = at;
	return breach_save(in, b, DPO_ACTOR, "communicated", err, errlen) < 0 ? -1 : 0;
}

int
dpo_exempt(struct instance *in, const char *id, const char *reason, const char *just,
    struct breach *b, char *err, size_t errlen)
{
	if (reason == NULL || strlen(reason) != 1 || strchr("abc", reason[0]) == NULL) {
		snprintf(err, errlen, "--reason a, b ou c est obligatoire (article 34(3))");
		return -1;
	}
	if (just == NULL || just[strspn(just, " \t\r\n")] == '\0') {
		snprintf(err, errlen, "exemption refusée : --justification est obligatoire"
		    " (article 34(3) : l'exception doit être justifiée)");
		return -1;
	}
	if (load_open(in, id, b, err, errlen) < 0 ||
	    set_text(b->art34_justification, sizeof(b->art34_justification), just,
	    "justification", err, errlen) < 0)
		return -1;
	fs_strlcpy(b->art34, "exempt", sizeof(b->art34));
	fs_strlcpy(b->art34_exemption, reason, sizeof(b->art34_exemption));
	b->communicated_at = 0;
	return breach_save(in, b, DPO_ACTOR, "exempted", err, errlen) < 0 ? -1 : 0;
}

int
dpo_close(struct instance *in, const char *id, struct breach *b, char *err, size_t errlen)
{
	if (load_open(in, id, b, err, errlen) < 0 || breach_close_check(b, err, errlen) < 0)
		return -1;
	fs_strlcpy(b->status, "closed", sizeof(b->status));
	b->closed_at = in->now;
	return breach_save(in, b, DPO_ACTOR, "closed", err, errlen) < 0 ? -1 : 0;
}

int
dpo_export(struct instance *in, const struct breach *b, struct buf *out, char *err,
    size_t errlen)
{
	char outcome[64];

	snprintf(outcome, sizeof(outcome), "breach %lld v%d", (long long)b->id, b->version);
	if (store_event(in->st, in->now, DPO_ACTOR, "breach.exported", NULL, outcome) < 0) {
		snprintf(err, errlen, "journal d'audit : %s", store_errmsg(in->st));
		return -1;
	}
	if (breach_export_text(in, b, out) < 0) {
		snprintf(err, errlen, "texte trop long");
		return -1;
	}
	return 0;
}

/* The log does not match: open (or repeat) the suspected breach, and say
 * so after the reason in err. */
static int
audit_mismatch(struct instance *in, char *err, size_t errlen)
{
	char facts[BREACH_TEXT_MAX], reason[BREACH_TEXT_MAX / 2];
	int64_t id = 0;

	fs_strlcpy(reason, err, sizeof(reason));
	snprintf(facts, sizeof(facts), "Vérification du journal d'audit en échec : %s",
	    reason);
	if (in->kek == NULL ||
	    breach_suspect_id(in, BREACH_SRC_AUDIT, NULL, facts, &id) < 0)
		snprintf(err, errlen, "%s (et l'ouverture d'une violation au registre a"
		    " échoué)", reason);
	else
		snprintf(err, errlen, "%s ; violation n° %lld ouverte au registre (fsrelay"
		    " breach show %lld)", reason, (long long)id, (long long)id);
	return 1;
}

int
dpo_audit_checkpoint(struct instance *in, struct buf *out, char *err, size_t errlen)
{
	int r = audit_checkpoint(in, out, err, errlen);

	return r == 1 ? audit_mismatch(in, err, errlen) : r < 0 ? -1 : 0;
}

int
dpo_audit_verify(struct instance *in, const char *note, size_t notelen, const char *vkey,
    struct audit_report *rep, char *err, size_t errlen)
{
	int r = audit_verify(in, note, notelen, vkey, rep, err, errlen);

	return r == 1 ? audit_mismatch(in, err, errlen) : r < 0 ? -1 : 0;
}
