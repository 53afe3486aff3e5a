/*
 * breach - see breach.h.  The body of a version is a sequence of records
 *
 *	u8 name length || name || u32 big-endian value length || value
 *
 * one per field of struct breach (integers in decimal), sealed with
 * relay/vault under the KEK.  Unknown names are skipped when reading, so
 * fields can be added; a value that does not fit its field is an error.
 */
#include "relay/breach.h"
#include "relay/calendar.h"
#include "relay/json.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/vault.h"
#include "relay/lifecycle.h"
#include "relay/port/store_breach.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_directory.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX	(256 * 1024)
#define AD_ROW_MUL	1000000LL	/* AD row = id * AD_ROW_MUL + version */

static const char *const source_names[] = {
	"manual", "stranger-mail", "dsn-recipient", "audit-verify", "integrity",
	"key-compromised", "pre-send-scan",
};

const char *
breach_source_name(enum breach_source src)
{
	if ((size_t)src >= FS_ARRAY_LEN(source_names))
		return "manual";
	return source_names[src];
}

static const char *const causes[][2] = {
	{ "interne-accidentelle", "acte interne accidentel" },
	{ "interne-malveillante", "acte interne malveillant" },
	{ "externe-accidentelle", "acte externe accidentel" },
	{ "externe-malveillante", "acte externe malveillant" },
	{ "inconnue", "cause inconnue" },
};

int
breach_cause_valid(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < FS_ARRAY_LEN(causes); i++)
		if (strcmp(s, causes[i][0]) == 0)
			return 1;
	return 0;
}

const char *
breach_cause_label(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < FS_ARRAY_LEN(causes); i++)
		if (strcmp(s, causes[i][0]) == 0)
			return causes[i][1];
	return "non renseignée";
}

/* ---- body encoding -------------------------------------------------- */

enum ftype { F_STR, F_I64, F_LONG, F_INT };

struct field {
	const char	*name;
	enum ftype	 type;
	size_t		 off, size;
};

#define FB(n, t) { #n, t, offsetof(struct breach, n), sizeof(((struct breach *)0)->n) }
#define FN(n, t) { "notif." #n, t, offsetof(struct breach_notification, n), \
	sizeof(((struct breach_notification *)0)->n) }

static const struct field breach_fields[] = {
	FB(status, F_STR), FB(source, F_STR), FB(detected_at, F_I64), FB(aware_at, F_I64),
	FB(deadline_at, F_I64), FB(started_at, F_I64), FB(ended_at, F_I64),
	FB(ongoing, F_INT), FB(nature, F_STR), FB(risk_level, F_STR), FB(cause, F_STR),
	FB(affected_cases, F_LONG), FB(subjects_approx, F_LONG), FB(records_approx, F_LONG),
	FB(linked_cases, F_STR), FB(linked_events, F_STR), FB(art34, F_STR),
	FB(art34_exemption, F_STR), FB(communicated_at, F_I64), FB(closed_at, F_I64),
	FB(facts, F_STR), FB(subject_categories, F_STR), FB(data_categories, F_STR),
	FB(measures_in_place, F_STR), FB(likely_consequences, F_STR),
	FB(measures_taken, F_STR), FB(measures_proposed, F_STR), FB(risk_rationale, F_STR),
	FB(no_notification_reason, F_STR), FB(art34_justification, F_STR),
	FB(channel, F_STR), FB(message_text, F_STR),
};

/* "notif.kind" starts a new notification. */
static const struct field notif_fields[] = {
	FN(kind, F_STR), FN(sent_at, F_I64), FN(cnil_ref, F_STR), FN(delay_reasons, F_STR),
};

static void
put_record(struct buf *b, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	uint8_t n8 = (uint8_t)nl, v32[4];

	v32[0] = (uint8_t)(vl >> 24);
	v32[1] = (uint8_t)(vl >> 16);
	v32[2] = (uint8_t)(vl >> 8);
	v32[3] = (uint8_t)vl;
	buf_append(b, &n8, 1);
	buf_append(b, name, nl);
	buf_append(b, v32, 4);
	buf_append(b, value, vl);
}

static void
put_fields(struct buf *b, const void *base, const struct field *f, size_t n)
{
	const char *p = base;
	char num[32];
	size_t i;

	for (i = 0; i < n; i++) {
		const char *v = num;

		switch (f[i].type) {
		case F_STR:
			v = p + f[i].off;
			break;
		case F_I64:
			snprintf(num, sizeof(num), "%lld",
			    (long long)*(const int64_t *)(const void *)(p + f[i].off));
			break;
		case F_LONG:
			snprintf(num, sizeof(num), "%ld", *(const long *)(const void *)(p + f[i].off));
			break;
		case F_INT:
			snprintf(num, sizeof(num), "%d", *(const int *)(const void *)(p + f[i].off));
			break;
		}
		put_record(b, f[i].name, v);
	}
}

/* Encode every field of b.  0 / -1 (b's fields always fit BODY_MAX). */
static int
body_encode(const struct breach *b, struct buf *out)
{
	size_t i;

	put_fields(out, b, breach_fields, FS_ARRAY_LEN(breach_fields));
	for (i = 0; i < b->n_notif; i++)
		put_fields(out, &b->notif[i], notif_fields, FS_ARRAY_LEN(notif_fields));
	return out->len < out->max ? 0 : -1;
}

static int
set_value(void *base, const struct field *f, const char *v, size_t vl)
{
	char *p = (char *)base + f->off, num[32], *end;
	long long x;

	if (memchr(v, '\0', vl) != NULL)
		return -1;
	if (f->type == F_STR) {
		if (vl >= f->size)
			return -1;
		memcpy(p, v, vl);
		p[vl] = '\0';
		return 0;
	}
	if (vl == 0 || vl >= sizeof(num))
		return -1;
	memcpy(num, v, vl);
	num[vl] = '\0';
	errno = 0;
	x = strtoll(num, &end, 10);
	if (errno || *end)
		return -1;
	if (f->type == F_I64)
		*(int64_t *)(void *)p = (int64_t)x;
	else if (f->type == F_LONG)
		*(long *)(void *)p = (long)x;
	else if (x >= -1000000 && x <= 1000000)
		*(int *)(void *)p = (int)x;
	else
		return -1;
	return 0;
}

static const struct field *
find_field(const struct field *f, size_t n, const char *name, size_t nl)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(f[i].name) == nl && memcmp(f[i].name, name, nl) == 0)
			return &f[i];
	return NULL;
}

/* Decode a body into b (its other members untouched).  0 / -1. */
static int
body_decode(struct breach *b, const uint8_t *p, size_t len)
{
	size_t off = 0;

	b->n_notif = 0;
	while (off < len) {
		const char *name, *v;
		const struct field *f;
		size_t nl, vl;

		nl = p[off++];
		if (len - off < nl + 4)
			return -1;
		name = (const char *)p + off;
		off += nl;
		vl = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 | (size_t)p[off + 2] << 8 |
		    p[off + 3];
		off += 4;
		if (len - off < vl)
			return -1;
		v = (const char *)p + off;
		off += vl;
		if ((f = find_field(breach_fields, FS_ARRAY_LEN(breach_fields), name, nl))) {
			if (set_value(b, f, v, vl) < 0)
				return -1;
		} else if ((f = find_field(notif_fields, FS_ARRAY_LEN(notif_fields), name, nl))) {
			if (f == &notif_fields[0]) {
				if (b->n_notif >= BREACH_MAX_NOTIF)
					return -1;
				memset(&b->notif[b->n_notif++], 0, sizeof(b->notif[0]));
			}
			if (b->n_notif == 0 || set_value(&b->notif[b->n_notif - 1], f, v, vl) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- load and save -------------------------------------------------- */

static struct vault_ad
body_ad(const struct breach_version_row *v)
{
	struct vault_ad ad = { "breach_versions", "body",
		v->breach_id * AD_ROW_MUL + v->version, v->kek_id };

	return ad;
}

int
breach_load(struct instance *in, int64_t id, struct breach *b, char *err, size_t errlen)
{
	struct breach_version_row v;
	struct buf sealed, body;
	struct vault_ad ad;
	int r;

	buf_init(&sealed, BODY_MAX + VAULT_OVERHEAD);
	buf_init(&body, BODY_MAX);
	r = store_breach_latest(in->st, id, &v, &sealed);
	if (r < 0)
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
	else if (r == 1)
		snprintf(err, errlen, "violation n° %lld inconnue", (long long)id);
	if (r != 0)
		goto out;
	ad = body_ad(&v);
	memset(b, 0, sizeof(*b));
	if (strcmp(v.kek_id, in->kek_id) != 0 || vault_open(&body, in->kek, &ad,
	    (const uint8_t *)sealed.p, sealed.len, BODY_MAX + VAULT_OVERHEAD) < 0 ||
	    body_decode(b, (const uint8_t *)body.p, body.len) < 0) {
		snprintf(err, errlen, "violation n° %lld : version %d illisible (autre KEK ou"
		    " données altérées)", (long long)id, v.version);
		r = -1;
		goto out;
	}
	b->id = v.breach_id;
	b->version = v.version;
	b->recorded_at = v.recorded_at;
	fs_strlcpy(b->author, v.author, sizeof(b->author));
out:
	buf_free(&sealed);
	buf_free(&body);
	return r;
}

int64_t
breach_deadline(const struct instance *in, const struct breach *b)
{
	int64_t from = b->aware_at ? b->aware_at : b->detected_at;

	return from + (int64_t)in->cfg.notification_hours * 3600;
}

static int send_alert(struct instance *in, int64_t id, const char *status, const char *source,
    const char *case_ref, int64_t deadline_at, int stage);

static void
first_word(char *dst, size_t size, const char *s)
{
	size_t n = strcspn(s, " ");

	if (n >= size)
		n = 0;	/* a reference never is that long: no dedupe key */
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int
save_version(struct instance *in, struct breach *b, const char *verb)
{
	struct breach_version_row v;
	struct buf body, sealed;
	struct vault_ad ad;
	char outcome[64];
	int r = -1;

	memset(&v, 0, sizeof(v));
	if (b->id == 0 && store_breach_next_id(in->st, &b->id) < 0)
		return -1;
	b->version++;
	b->recorded_at = in->now;
	b->deadline_at = breach_deadline(in, b);
	v.breach_id = b->id;
	v.version = b->version;
	v.recorded_at = b->recorded_at;
	fs_strlcpy(v.author, b->author, sizeof(v.author));
	fs_strlcpy(v.status, b->status, sizeof(v.status));
	fs_strlcpy(v.source, b->source, sizeof(v.source));
	first_word(v.case_ref, sizeof(v.case_ref), b->linked_cases);
	v.detected_at = b->detected_at;
	v.deadline_at = b->deadline_at;
	fs_strlcpy(v.kek_id, in->kek_id, sizeof(v.kek_id));
	ad = body_ad(&v);
	buf_init(&body, BODY_MAX);
	buf_init(&sealed, BODY_MAX + VAULT_OVERHEAD);
	snprintf(outcome, sizeof(outcome), "breach %lld v%d %s", (long long)b->id, b->version,
	    b->status);
	if (body_encode(b, &body) == 0 &&
	    vault_seal(&sealed, in->kek, &ad, (const uint8_t *)body.p, body.len) == 0 &&
	    store_breach_version_add(in->st, &v, sealed.p, sealed.len) == 0 &&
	    store_event(in->st, in->now, b->author, verb, v.case_ref[0] ? v.case_ref : NULL,
	    outcome) == 0)
		r = 0;
	buf_free(&body);
	buf_free(&sealed);
	if (r == 0 && b->version == 1)
		r = send_alert(in, b->id, b->status, b->source, v.case_ref, b->deadline_at,
		    BREACH_STAGE_DETECTED);
	return r;
}

int
breach_save(struct instance *in, struct breach *b, const char *author, const char *verb,
    char *err, size_t errlen)
{
	char action[64];

	if (in->st == NULL || in->kek == NULL) {
		snprintf(err, errlen, "registre des violations : base ou KEK non ouverte");
		return -1;
	}
	fs_strlcpy(b->author, author, sizeof(b->author));
	snprintf(action, sizeof(action), "breach.%s", verb);
	if (store_savepoint(in->st) < 0 || save_version(in, b, action) < 0 ||
	    store_release(in->st) < 0) {
		snprintf(err, errlen, "registre des violations : %s", store_errmsg(in->st));
		store_rollback_to(in->st);
		return -1;
	}
	return 0;
}

void
breach_init(struct instance *in, struct breach *b, enum breach_source src)
{
	memset(b, 0, sizeof(*b));
	fs_strlcpy(b->status, "suspected", sizeof(b->status));
	fs_strlcpy(b->source, breach_source_name(src), sizeof(b->source));
	b->detected_at = in->now;
	b->affected_cases = b->subjects_approx = b->records_approx = -1;
}

/* ---- detectors ------------------------------------------------------ */

static int
open_entry(struct instance *in, struct breach *b, int dedupe, int64_t *id_r)
{
	char err[256];
	int64_t id;
	int r;

	if (dedupe) {
		char ref[32];

		first_word(ref, sizeof(ref), b->linked_cases);
		r = store_breach_find_open(in->st, b->source, ref, &id);
		if (r < 0)
			return -1;
		if (r == 0) {
			char outcome[64];

			snprintf(outcome, sizeof(outcome), "breach %lld", (long long)id);
			if (id_r)
				*id_r = id;
			return store_event(in->st, in->now, "relay", "breach.repeat",
			    ref[0] ? ref : NULL, outcome);
		}
	}
	if (breach_save(in, b, "relay", "suspected", err, sizeof(err)) < 0) {
		fprintf(stderr, "fsrelay : %s\n", err);
		return -1;
	}
	if (id_r)
		*id_r = b->id;
	return 0;
}

static int
suspect(struct instance *in, enum breach_source src, const char *case_ref, const char *facts,
    const char *nature, const char *risk, int64_t *id_r)
{
	struct breach *b;
	int r;

	if (in->st == NULL || in->kek == NULL)
		return -1;	/* not a full instance (unit tests of other modules) */
	b = xcalloc(1, sizeof(*b));
	breach_init(in, b, src);
	fs_strlcpy(b->linked_cases, case_ref ? case_ref : "", sizeof(b->linked_cases));
	fs_strlcpy(b->facts, facts ? facts : "", sizeof(b->facts));
	fs_strlcpy(b->nature, nature, sizeof(b->nature));
	fs_strlcpy(b->risk_level, risk, sizeof(b->risk_level));
	if (case_ref && *case_ref)
		b->affected_cases = 1;
	r = open_entry(in, b, 1, id_r);
	free(b);
	return r;
}

int
breach_suspect(struct instance *in, enum breach_source src, const char *case_ref,
    const char *facts_no_pii)
{
	return breach_suspect_id(in, src, case_ref, facts_no_pii, NULL);
}

int
breach_suspect_id(struct instance *in, enum breach_source src, const char *case_ref,
    const char *facts_no_pii, int64_t *id_r)
{
	static const char *const nature[] = { "", "C", "C", "I", "I", "C", "C" };

	return suspect(in, src, case_ref, facts_no_pii,
	    (size_t)src < FS_ARRAY_LEN(nature) ? nature[src] : "", "", id_r);
}

int
breach_blocked_send(struct instance *in, const char *case_ref)
{
	return suspect(in, BREACH_SRC_LEAK, case_ref, "Envoi bloqué par le contrôle avant"
	    " envoi : une donnée personnelle du dossier figurait en clair dans une partie"
	    " non chiffrée du message (objet, corps ou nom de fichier).  Rien n'est parti.",
	    "C", "high", NULL);
}

int
breach_integrity_failure(struct instance *in, const char *table, const char *column,
    int64_t row)
{
	char facts[256];

	snprintf(facts, sizeof(facts), "Échec d'authentification au déchiffrement d'une donnée"
	    " stockée (%s.%s, ligne %lld) : donnée altérée ou clé erronée.", table, column,
	    (long long)row);
	return suspect(in, BREACH_SRC_INTEGRITY, NULL, facts, "I", "", NULL);
}

int
breach_test_fault(const struct instance *in, const char *fault)
{
	const char *env = getenv("FSRELAY_TEST_FAULT");

	return in->cfg.test_clock && env != NULL && fault != NULL && strcmp(env, fault) == 0;
}

/* ---- alerts --------------------------------------------------------- */

static void
paris_time(char *out, size_t size, int64_t t)
{
	struct cal_tm tm;

	if (t == 0 || cal_to_paris(t, &tm) < 0)
		snprintf(out, size, "non renseignée");
	else
		snprintf(out, size, "%02d/%02d/%04d à %02d:%02d (heure de Paris, UTC+%02d:00)",
		    tm.mday, tm.mon, tm.year, tm.hour, tm.min, tm.utcoff / 3600);
}

static const char *
stage_text(int stage)
{
	static const char *const text[] = {
		"nouvelle violation suspectée, à examiner",
		"1/3 du délai de notification écoulé",
		"2/3 du délai de notification écoulés",
		"5/6 du délai de notification écoulés",
		"délai de notification DÉPASSÉ",
	};

	return stage >= 0 && (size_t)stage < FS_ARRAY_LEN(text) ? text[stage] : "?";
}

static const char *
status_fr(const char *status)
{
	if (strcmp(status, "suspected") == 0)
		return "suspectée (prise de connaissance non enregistrée)";
	if (strcmp(status, "open") == 0)
		return "ouverte";
	if (strcmp(status, "notified") == 0)
		return "notifiée";
	if (strcmp(status, "closed") == 0)
		return "close";
	return status;
}

static int
send_alert(struct instance *in, int64_t id, const char *status, const char *source,
    const char *case_ref, int64_t deadline_at, int stage)
{
	char when[96], once[64], *subject, *body;
	int r;

	if (store_breach_alert_add(in->st, id, stage, deadline_at, in->now) < 0)
		return -1;
	if (in->cfg.dpo_address == NULL) {
		fprintf(stderr, "fsrelay : violation n° %lld : %s (dpo_address absent : aucun"
		    " courriel)\n", (long long)id, stage_text(stage));
		return 0;
	}
	paris_time(when, sizeof(when), deadline_at);
	snprintf(once, sizeof(once), "breach:%lld:%d", (long long)id, stage);
	subject = xasprintf("[fsrelay] Violation n° %lld : %s", (long long)id, stage_text(stage));
	body = xasprintf("Bonjour,\n\n"
	    "Registre des violations de données, entrée n° %lld : %s.\n\n"
	    "  Statut : %s\n  Origine : %s\n  Dossier : %s\n"
	    "  Échéance de notification à la CNIL : %s%s\n\n"
	    "Consultez l'entrée avec « fsrelay breach show %lld ».  Si la violation est\n"
	    "avérée, enregistrez la date de prise de connaissance et le risque\n"
	    "(« fsrelay breach assess %lld --aware-at ... --risk ... ») puis notifiez\n"
	    "la CNIL (« fsrelay breach export %lld » donne le texte du téléservice).\n"
	    "Sinon documentez-la et clôturez-la.  Marche à suivre : docs/dpo.md.\n\n"
	    "Ce message ne contient aucune donnée personnelle.\n\n-- \nRelais sécurisé fsrelay\n",
	    (long long)id, stage_text(stage), status_fr(status), source,
	    case_ref && *case_ref ? case_ref : "aucun", when,
	    strcmp(status, "suspected") == 0 ? " (provisoire, depuis la détection)" : "",
	    (long long)id, (long long)id, (long long)id);
	r = outbox_notice(in, "breach-alert", in->cfg.dpo_address, case_ref, subject, body, once);
	free(subject);
	free(body);
	return r;
}

/* The highest stage reached at now for a deadline (-1 if none). */
static int
stage_reached(const struct instance *in, int64_t deadline_at, int64_t now)
{
	int64_t period = (int64_t)in->cfg.notification_hours * 3600;
	int64_t start = deadline_at - period;

	if (now >= deadline_at)
		return BREACH_STAGE_OVERDUE;
	if (now >= start + period * 5 / 6)
		return BREACH_STAGE_FIVE_SIXTHS;
	if (now >= start + period * 2 / 3)
		return BREACH_STAGE_TWO_THIRDS;
	if (now >= start + period / 3)
		return BREACH_STAGE_THIRD;
	return -1;
}

int
breach_tick(struct instance *in, char *err, size_t errlen)
{
	struct breach_version_row *list = NULL;
	size_t n = 0, i;
	int r = 0;

	if (store_breach_list(in->st, &list, &n) < 0)
		goto fail;
	for (i = 0; i < n && r == 0; i++) {
		const struct breach_version_row *v = &list[i];
		int stage = stage_reached(in, v->deadline_at, in->now), sent;

		if (strcmp(v->status, "suspected") != 0 && strcmp(v->status, "open") != 0)
			continue;
		if (stage < 0)
			continue;
		if (store_breach_alert_max(in->st, v->breach_id, &sent) < 0)
			goto fail;
		/* every stage not sent yet, in order, each once: several may
		 * fall due in one pass (a clock jump, a daemon that was down) */
		while (r == 0 && sent < stage)
			r = send_alert(in, v->breach_id, v->status, v->source, v->case_ref,
			    v->deadline_at, ++sent);
	}
	free(list);
	if (r < 0)
		snprintf(err, errlen, "alertes des violations : %s", store_errmsg(in->st));
	return r;
fail:
	free(list);
	snprintf(err, errlen, "alertes des violations : %s", store_errmsg(in->st));
	return -1;
}

/* ---- closing -------------------------------------------------------- */

int
breach_close_check(const struct breach *b, char *why, size_t whylen)
{
	const char *missing = NULL;

	if (b->nature[0] == '\0')
		missing = "la nature (--nature C, I et/ou A)";
	else if (b->facts[0] == '\0')
		missing = "les faits (--facts)";
	else if (b->risk_level[0] == '\0')
		missing = "le niveau de risque (--risk none|risk|high)";
	else if (b->risk_rationale[0] == '\0')
		missing = "la justification du niveau de risque (--rationale)";
	else if (b->n_notif == 0 && b->no_notification_reason[0] == '\0')
		missing = "une notification à la CNIL (breach notify) ou le motif de"
		    " non-notification (--no-notification-reason)";
	else if (strcmp(b->risk_level, "none") != 0 && b->measures_taken[0] == '\0')
		missing = "les mesures prises (--measures-taken)";
	else if (strcmp(b->risk_level, "high") == 0 && b->art34[0] == '\0')
		missing = "la décision sur l'information des personnes (article 34 :"
		    " breach communicate ou breach exempt)";
	if (missing == NULL)
		return 0;
	snprintf(why, whylen, "clôture impossible : il manque %s", missing);
	return -1;
}

/* ---- export for the CNIL -------------------------------------------- */

static const char *
source_fr(const char *source)
{
	static const char *const fr[][2] = {
		{ "manual", "déclaration manuelle" },
		{ "stranger-mail", "courriel d'un inconnu portant une référence du relais" },
		{ "dsn-recipient", "avis de non-remise venant d'un autre destinataire" },
		{ "audit-verify", "vérification du journal d'audit" },
		{ "integrity", "échec de déchiffrement ou de signature" },
		{ "key-compromised", "clé déclarée compromise" },
		{ "pre-send-scan", "contrôle automatique avant envoi" },
	};
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(fr); i++)
		if (strcmp(source, fr[i][0]) == 0)
			return fr[i][1];
	return source;
}

static const char *
or_unknown(const char *s)
{
	return s && *s ? s : "non renseigné";
}

static void
count_line(struct buf *out, const char *label, long n)
{
	if (n < 0)
		buf_printf(out, "  %s : inconnu\n", label);
	else
		buf_printf(out, "  %s : %ld\n", label, n);
}

static void
nature_line(struct buf *out, const char *nature)
{
	const char *sep = "";

	buf_puts(out, "  Type de violation : ");
	if (strchr(nature, 'C'))
		buf_printf(out, "%sperte de confidentialité", sep), sep = ", ";
	if (strchr(nature, 'I'))
		buf_printf(out, "%sperte d'intégrité", sep), sep = ", ";
	if (strchr(nature, 'A'))
		buf_printf(out, "%sperte de disponibilité", sep), sep = ", ";
	buf_puts(out, *sep ? "\n" : "non renseigné\n");
}

static void
text_block(struct buf *out, const char *label, const char *text)
{
	buf_printf(out, "  %s :\n    %s\n", label, or_unknown(text));
}

/* The controller and whom the CNIL calls back (configuration only). */
static void
export_organisation(const struct instance *in, struct buf *out)
{
	buf_printf(out, "\n0. Responsable de traitement\n"
	    "  Organisme : %s\n  SIREN : %s\n  Adresse : %s\n"
	    "  Personne à contacter : %s\n  Téléphone : %s\n",
	    or_unknown(in->cfg.organisation_name), or_unknown(in->cfg.organisation_siren),
	    or_unknown(in->cfg.organisation_address), or_unknown(in->cfg.breach_contact_name),
	    or_unknown(in->cfg.breach_contact_phone));
}

static void
export_dates(const struct instance *in, const struct breach *b, struct buf *out)
{
	char t[96];

	buf_puts(out, "\n1. Dates\n");
	paris_time(t, sizeof(t), b->started_at);
	buf_printf(out, "  Début de la violation : %s\n", b->started_at ? t : "inconnu");
	paris_time(t, sizeof(t), b->ended_at);
	buf_printf(out, "  Fin de la violation : %s\n", b->ended_at ? t : b->ongoing ?
	    "violation en cours" : "inconnue");
	paris_time(t, sizeof(t), b->detected_at);
	buf_printf(out, "  Découverte (détection) : %s\n", t);
	paris_time(t, sizeof(t), b->aware_at);
	buf_printf(out, "  Prise de connaissance par le responsable de traitement : %s\n", t);
	paris_time(t, sizeof(t), b->deadline_at);
	buf_printf(out, "  Échéance de notification (%ld heures) : %s%s\n",
	    in->cfg.notification_hours, t, b->aware_at ? "" : " (provisoire)");
}

static void
export_notifications(const struct breach *b, struct buf *out)
{
	char t[96];
	size_t i;

	buf_puts(out, "\n8. Notifications à la CNIL déjà faites\n");
	if (b->n_notif == 0)
		buf_puts(out, "  Aucune.\n");
	for (i = 0; i < b->n_notif; i++) {
		paris_time(t, sizeof(t), b->notif[i].sent_at);
		buf_printf(out, "  - notification %s du %s, référence CNIL %s\n",
		    strcmp(b->notif[i].kind, "initial") == 0 ? "initiale" : "complémentaire", t,
		    or_unknown(b->notif[i].cnil_ref));
		if (b->notif[i].delay_reasons[0])
			buf_printf(out, "    Motifs du retard : %s\n", b->notif[i].delay_reasons);
	}
}

static void
export_art34(const struct breach *b, struct buf *out)
{
	char t[96];

	buf_puts(out, "\n7. Information des personnes concernées (article 34)\n");
	if (strcmp(b->art34, "communicated") == 0) {
		paris_time(t, sizeof(t), b->communicated_at);
		buf_printf(out, "  Les personnes ont été informées le %s (moyen : %s).\n", t,
		    or_unknown(b->channel));
	} else if (strcmp(b->art34, "exempt") == 0)
		buf_printf(out, "  Les personnes ne sont pas informées : exception de"
		    " l'article 34(3)(%s).\n  Justification : %s\n", b->art34_exemption,
		    or_unknown(b->art34_justification));
	else
		buf_puts(out, "  Décision non encore prise.\n");
}

int
breach_export_text(const struct instance *in, const struct breach *b, struct buf *out)
{
	int complementary = b->n_notif > 0;
	static const char *const risk_fr[][2] = {
		{ "none", "risque improbable pour les droits et libertés" },
		{ "risk", "risque pour les droits et libertés" },
		{ "high", "risque élevé pour les droits et libertés" },
	};
	const char *risk = "non évalué";
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(risk_fr); i++)
		if (strcmp(b->risk_level, risk_fr[i][0]) == 0)
			risk = risk_fr[i][1];
	buf_printf(out, "NOTIFICATION D'UNE VIOLATION DE DONNÉES PERSONNELLES\n"
	    "(article 33 du RGPD) - texte pour le téléservice de la CNIL\n"
	    "Document récapitulatif du registre des violations (fsrelay)\n\n"
	    "Violation n° %lld, version %d du registre\n", (long long)b->id, b->version);
	if (complementary)
		buf_printf(out, "Type de notification : complémentaire (notification initiale"
		    " référence %s)\n", or_unknown(b->notif[0].cnil_ref));
	else
		buf_puts(out, "Type de notification : initiale\n");
	export_organisation(in, out);
	export_dates(in, b, out);
	buf_puts(out, "\n2. Nature de la violation (article 33(3)(a))\n");
	nature_line(out, b->nature);
	buf_printf(out, "  Cause : %s\n", breach_cause_label(b->cause));
	text_block(out, "Circonstances", b->facts);
	buf_printf(out, "  Origine de la détection : %s\n", source_fr(b->source));
	text_block(out, "Catégories de personnes concernées", b->subject_categories);
	count_line(out, "Nombre approximatif de personnes concernées", b->subjects_approx);
	text_block(out, "Catégories de données concernées", b->data_categories);
	count_line(out, "Nombre approximatif d'enregistrements concernés", b->records_approx);
	count_line(out, "Nombre de dossiers concernés", b->affected_cases);
	buf_printf(out, "\n3. Délégué à la protection des données (article 33(3)(b))\n"
	    "  %s\n  %s\n", or_unknown(in->cfg.dpo_name), or_unknown(in->cfg.dpo_address));
	buf_puts(out, "\n4. Conséquences probables (article 33(3)(c))\n");
	text_block(out, "Conséquences", b->likely_consequences);
	buf_printf(out, "  Niveau de risque : %s\n", risk);
	text_block(out, "Justification", b->risk_rationale);
	buf_puts(out, "\n5. Mesures prises ou envisagées (article 33(3)(d))\n");
	text_block(out, "Mesures de protection en place au moment de la violation",
	    b->measures_in_place);
	text_block(out, "Mesures prises pour remédier à la violation", b->measures_taken);
	text_block(out, "Mesures envisagées", b->measures_proposed);
	buf_puts(out, "\n6. Notification par étapes (article 33(4))\n");
	buf_printf(out, "  %s\n", complementary ? "Cette notification complète la notification"
	    " initiale." : "Des informations complémentaires pourront être transmises.");
	export_art34(b, out);
	export_notifications(b, out);
	buf_puts(out, "\n9. Sous-traitants et aspects transfrontaliers\n");
	text_block(out, "Sous-traitants concernés (article 28)", in->cfg.subcontractors);
	text_block(out, "Aspects transfrontaliers (autres États membres concernés)",
	    in->cfg.cross_border);
	return buf_puts(out, "\n-- fin du document --\n");
}

/* ---- JSON ----------------------------------------------------------- */

static void
json_key_str(struct buf *out, const char *key, const char *v)
{
	buf_printf(out, ",\"%s\":", key);
	json_str(out, v && *v ? v : NULL);
}

static void
json_key_time(struct buf *out, const char *key, int64_t t)
{
	buf_printf(out, ",\"%s\":", key);
	json_time(out, t);
}

static void
json_key_count(struct buf *out, const char *key, long n)
{
	if (n < 0)
		buf_printf(out, ",\"%s\":null", key);
	else
		buf_printf(out, ",\"%s\":%ld", key, n);
}

static void
json_words(struct buf *out, const char *key, const char *s)
{
	const char *p = s;
	int first = 1;

	buf_printf(out, ",\"%s\":[", key);
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n) {
			char *w = xstrndup(p, n);

			buf_puts(out, first ? "" : ",");
			json_str(out, w);
			free(w);
			first = 0;
		}
		p += n;
		p += strspn(p, " ");
	}
	buf_puts(out, "]");
}

static void
json_nature(struct buf *out, const char *nature)
{
	const char *sep = "";

	buf_puts(out, ",\"nature\":[");
	if (strchr(nature, 'C'))
		buf_printf(out, "%s\"confidentiality\"", sep), sep = ",";
	if (strchr(nature, 'I'))
		buf_printf(out, "%s\"integrity\"", sep), sep = ",";
	if (strchr(nature, 'A'))
		buf_printf(out, "%s\"availability\"", sep);
	buf_puts(out, "]");
}

static void
json_notifications(const struct breach *b, struct buf *out)
{
	size_t i;

	buf_printf(out, ",\"sa_notified\":%s,\"sa_notifications\":[", b->n_notif ? "true" :
	    "false");
	for (i = 0; i < b->n_notif; i++) {
		buf_printf(out, "%s{\"type\":", i ? "," : "");
		json_str(out, b->notif[i].kind);
		json_key_time(out, "sent_at", b->notif[i].sent_at);
		json_key_str(out, "cnil_reference", b->notif[i].cnil_ref);
		json_key_str(out, "delay_reasons", b->notif[i].delay_reasons);
		buf_puts(out, "}");
	}
	buf_puts(out, "]");
}

void
breach_json(const struct breach *b, struct buf *out)
{
	buf_printf(out, "{\"id\":%lld,\"breach_id\":%lld,\"version\":%d", (long long)b->id,
	    (long long)b->id, b->version);
	json_key_str(out, "author", b->author);
	json_key_time(out, "recorded_at", b->recorded_at);
	json_key_str(out, "status", b->status);
	json_key_str(out, "detection_source", b->source);
	json_key_time(out, "detected_at", b->detected_at);
	json_key_time(out, "aware_at", b->aware_at);
	json_key_time(out, "deadline_at", b->deadline_at);
	json_key_time(out, "breach_started_at", b->started_at);
	json_key_time(out, "breach_ended_at", b->ended_at);
	buf_printf(out, ",\"ongoing\":%s", b->ongoing ? "true" : "false");
	json_nature(out, b->nature);
	json_key_str(out, "cause", b->cause);
	json_key_str(out, "facts", b->facts);
	json_key_count(out, "affected_cases", b->affected_cases);
	json_key_count(out, "subjects_approx", b->subjects_approx);
	json_key_count(out, "records_approx", b->records_approx);
	json_key_str(out, "subject_categories", b->subject_categories);
	json_key_str(out, "data_categories", b->data_categories);
	json_key_str(out, "measures_in_place", b->measures_in_place);
	json_key_str(out, "likely_consequences", b->likely_consequences);
	json_key_str(out, "measures_taken", b->measures_taken);
	json_key_str(out, "measures_proposed", b->measures_proposed);
	json_key_str(out, "risk_level", b->risk_level);
	json_key_str(out, "risk_rationale", b->risk_rationale);
	json_key_str(out, "no_notification_reason", b->no_notification_reason);
	json_notifications(b, out);
	buf_printf(out, ",\"subjects_communicated\":%s", strcmp(b->art34, "communicated") == 0 ?
	    "true" : "false");
	json_key_str(out, "art34_exemption", b->art34_exemption);
	json_key_str(out, "art34_justification", b->art34_justification);
	json_key_time(out, "communicated_at", b->communicated_at);
	json_key_str(out, "channel", b->channel);
	json_key_str(out, "message_text", b->message_text);
	json_words(out, "linked_audit_entries", b->linked_events);
	json_words(out, "linked_cases", b->linked_cases);
	json_key_time(out, "closed_at", b->closed_at);
	buf_puts(out, "}");
}

/* ---- keys compromised ----------------------------------------------- */

struct key_scope {
	const char	*which;
	enum store_scope scope;
	const char	*nature;
	const char	*label;
};

static const struct key_scope key_scopes[] = {
	{ "referent", SCOPE_KEY_SENT, "C", "clé age d'un référent" },
	{ "relay-identity", SCOPE_INBOUND, "C", "identité age du relais (réponses chiffrées)" },
	{ "signing", SCOPE_SENT, "I", "clé de signature des dossiers" },
	{ "log", SCOPE_SENT, "I", "clé du journal d'audit" },
	{ "kek", SCOPE_KEYED, "C", "clé de chiffrement des clés (KEK)" },
};

/* The referent part: mark the key, stop pending deliveries.  0 / 1 / -1. */
/* Stopped deliveries may leave a rung with nothing pending: let the ladder
 * move on (next rung, or a failed case and its agent told). */
static int
settle_queued(struct instance *in)
{
	struct case_row *list = NULL;
	size_t n = 0, i;
	int r = 0;

	if (store_case_list(in->st, NULL, &list, &n) < 0)
		return -1;
	for (i = 0; i < n && r == 0; i++)
		if (case_state_of(list[i].state) == CASE_QUEUED)
			r = outbox_settle_rung(in, &list[i]);
	free(list);
	return r;
}

static int
compromise_referent(struct instance *in, const char *address, char fp[80], long *stopped,
    char *err, size_t errlen)
{
	struct pinned_key k;
	char lc[256];
	int r;

	fs_strlcpy(lc, address ? address : "", sizeof(lc));
	fs_ascii_lower(lc);
	if ((r = store_key_get(in->st, lc, &k)) != 0) {
		if (r < 0)
			snprintf(err, errlen, "base : %s", store_errmsg(in->st));
		else
			snprintf(err, errlen, "aucune clé épinglée pour « %s »", lc);
		return r < 0 ? -1 : 1;
	}
	if (k.compromised_at) {
		snprintf(err, errlen, "la clé de « %s » est déjà déclarée compromise", lc);
		return 1;
	}
	fs_strlcpy(fp, k.fingerprint, 80);
	if (store_key_compromise(in->st, lc, in->now) != 0 ||
	    store_delivery_stop_key(in->st, fp, "clé du référent déclarée compromise :"
	    " envoi arrêté", stopped) < 0 ||
	    store_event(in->st, in->now, "admin", "key.compromised", NULL, "referent") < 0 ||
	    settle_queued(in) < 0) {
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
		return -1;
	}
	return 0;
}

static int
key_entry(struct instance *in, const struct key_scope *ks, const char *address,
    const char *fp, int64_t *id_r, char *err, size_t errlen)
{
	struct breach *b = xcalloc(1, sizeof(*b));
	struct buf refs;
	long cases = 0, persons = 0;
	int r = -1;

	buf_init(&refs, 1024 * 1024);
	if (strcmp(ks->which, "log") != 0 &&
	    store_scope_count(in->st, ks->scope, fp, &cases, &persons, &refs) < 0) {
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
		goto out;
	}
	breach_init(in, b, BREACH_SRC_KEY);
	fs_strlcpy(b->nature, ks->nature, sizeof(b->nature));
	b->affected_cases = cases;
	b->subjects_approx = persons;
	if (refs.len < sizeof(b->linked_cases))
		fs_strlcpy(b->linked_cases, refs.len ? refs.p : "", sizeof(b->linked_cases));
	snprintf(b->facts, sizeof(b->facts), "Clé déclarée compromise : %s%s%s%s%s."
	    "  Dossiers exposés : %ld ; personnes distinctes (index aveugle) : %ld.", ks->label,
	    address ? " " : "", address ? address : "", fp ? ", empreinte " : "", fp ? fp : "",
	    cases, persons);
	fs_strlcpy(b->measures_taken, strcmp(ks->which, "referent") == 0 ? "Clé marquée"
	    " compromise ; envois en attente vers cette clé arrêtés ; plus aucun envoi vers"
	    " elle tant qu'une nouvelle clé n'est pas épinglée." : "", sizeof(b->measures_taken));
	if (breach_save(in, b, "admin", "suspected", err, errlen) == 0) {
		*id_r = b->id;
		r = 0;
	}
out:
	buf_free(&refs);
	free(b);
	return r;
}

int
breach_key_compromised(struct instance *in, const char *which, const char *address,
    int64_t *id_r, long *stopped, char *err, size_t errlen)
{
	const struct key_scope *ks = NULL;
	char fp[80] = "";
	size_t i;
	int r;

	*stopped = 0;
	for (i = 0; i < FS_ARRAY_LEN(key_scopes); i++)
		if (strcmp(which, key_scopes[i].which) == 0)
			ks = &key_scopes[i];
	if (ks == NULL) {
		snprintf(err, errlen, "clé inconnue « %s » (referent ADRESSE, relay-identity,"
		    " signing, log ou kek)", which);
		return 1;
	}
	if (store_begin(in->st) < 0) {
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
		return -1;
	}
	if (ks->scope == SCOPE_KEY_SENT)
		r = compromise_referent(in, address, fp, stopped, err, errlen);
	else
		r = store_event(in->st, in->now, "admin", "key.compromised", NULL, which) < 0 ?
		    -1 : 0;
	if (r == 0)
		r = key_entry(in, ks, ks->scope == SCOPE_KEY_SENT ? address : NULL,
		    fp[0] ? fp : NULL, id_r, err, errlen);
	if (r != 0 || store_commit(in->st) < 0) {
		store_rollback(in->st);
		if (r == 0) {
			snprintf(err, errlen, "base : %s", store_errmsg(in->st));
			r = -1;
		}
	}
	return r;
}
