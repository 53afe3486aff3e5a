/*
 * pages_breach - the DPO's actions on the breach register, as forms:
 * declare (POST /violations), and on an entry (POST /violations/ID) assess,
 * notify the CNIL, communicate to the persons, exempt, close.  Each form
 * carries the session's CSRF token and a confirmation box; the rules are
 * the CLI's, in relay/dpo.h (this file reads the fields, turns the dates
 * typed in Paris time into RFC 3339 and puts the core's reason beside the
 * field it names).  Metadata and the DPO's own text only: no case content.
 */
#include "adapters/http/http_int.h"
#include "relay/breach.h"
#include "relay/calendar.h"
#include "relay/dpo.h"
#include "relay/instance.h"

#include <microhttpd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fkind { F_TEXT, F_AREA, F_DATE, F_COUNT };

/* A field of a form: its name, its label, the option of the CLI that the
 * core's reasons name ("--facts : ..."), its kind, where its value goes
 * (struct dpo_assess, for the assessment) and where the current value is
 * (struct breach; SIZE_MAX: none). */
struct ffield {
	const char	*name, *label, *opt;
	enum fkind	 kind;
	size_t		 a_off, b_off;
	const char	*hint;
};

#define NONE	SIZE_MAX
#define A(m)	offsetof(struct dpo_assess, m)
#define B(m)	offsetof(struct breach, m)

static const struct ffield assess_fields[] = {
	{ "prise_de_connaissance", "Prise de connaissance", "aware-at", F_DATE, A(aware_at),
	    B(aware_at), "Le délai de notification court à partir de cette date"
	    " (JJ/MM/AAAA HH:MM, heure de Paris)." },
	{ "faits", "Faits (sans nom de personne)", "facts", F_AREA, A(facts), B(facts), NULL },
	{ "justification_risque", "Justification du niveau de risque", "rationale", F_AREA,
	    A(rationale), B(risk_rationale), NULL },
	{ "categories_personnes", "Catégories de personnes concernées", "subject-categories",
	    F_AREA, A(subject_cat), B(subject_categories), NULL },
	{ "categories_donnees", "Catégories de données concernées", "data-categories", F_AREA,
	    A(data_cat), B(data_categories), NULL },
	{ "personnes", "Nombre approximatif de personnes", "subjects", F_COUNT, A(subjects),
	    B(subjects_approx), NULL },
	{ "enregistrements", "Nombre approximatif d'enregistrements", "records", F_COUNT,
	    A(records), B(records_approx), NULL },
	{ "consequences", "Conséquences probables", "consequences", F_AREA, A(consequences),
	    B(likely_consequences), NULL },
	{ "mesures_en_place", "Mesures déjà en place", "measures-in-place", F_AREA,
	    A(in_place), B(measures_in_place), NULL },
	{ "mesures_prises", "Mesures prises", "measures-taken", F_AREA, A(taken),
	    B(measures_taken), NULL },
	{ "mesures_proposees", "Mesures proposées", "measures-proposed", F_AREA, A(proposed),
	    B(measures_proposed), NULL },
	{ "debut", "Début de la violation", "started-at", F_DATE, A(started), B(started_at),
	    "JJ/MM/AAAA HH:MM, heure de Paris." },
	{ "fin", "Fin de la violation", "ended-at", F_DATE, A(ended), B(ended_at),
	    "JJ/MM/AAAA HH:MM, heure de Paris ; laissez vide si elle dure encore." },
	{ "motif_non_notification", "Motif de non-notification à la CNIL",
	    "no-notification-reason", F_AREA, A(no_notif), B(no_notification_reason),
	    "Seulement si la violation n'est pas notifiée (risque improbable)." },
};

/* The fields whose input is not one of the kinds above, for the reasons
 * of the core only. */
static const struct ffield other_fields[] = {
	{ "nature", "Nature", "nature", F_TEXT, NONE, NONE, NULL },
	{ "risque", "Niveau de risque", "risk", F_TEXT, NONE, NONE, NULL },
	{ "dossiers", "Dossiers concernés", "dossier", F_TEXT, NONE, NONE, NULL },
	{ "en_cours", "La violation dure encore", "ongoing", F_TEXT, NONE, NONE, NULL },
};

static const struct ffield notify_fields[] = {
	{ "reference_cnil", "Référence donnée par la CNIL", "cnil-ref", F_TEXT, NONE, NONE,
	    NULL },
	{ "date_notification", "Date de la notification", "at", F_DATE, NONE, NONE,
	    "JJ/MM/AAAA HH:MM, heure de Paris ; vide : maintenant." },
	{ "motifs_retard", "Motifs du retard", "reasons-for-delay", F_AREA, NONE, NONE,
	    "Obligatoires si la notification initiale est faite après l'échéance"
	    " (article 33(1) du RGPD)." },
};

static const struct ffield communicate_fields[] = {
	{ "date_information", "Date de l'information", "at", F_DATE, NONE, NONE,
	    "JJ/MM/AAAA HH:MM, heure de Paris ; vide : maintenant." },
	{ "moyen", "Moyen (courrier, téléphone, accueil…)", "channel", F_TEXT, NONE,
	    B(channel), NULL },
	{ "message", "Texte adressé aux personnes", "message-file", F_AREA, NONE,
	    B(message_text), "En termes clairs et simples : le contact du DPO, les"
	    " conséquences probables, les mesures prises." },
};

static const struct ffield exempt_fields[] = {
	{ "exception", "Exception de l'article 34(3)", "reason", F_TEXT, NONE, NONE, NULL },
	{ "justification", "Justification", "justification", F_AREA, NONE,
	    B(art34_justification), NULL },
};

/* An action: its name in the form, its title, its fields, the message
 * after it is done. */
struct action {
	const char		*name, *title, *button, *confirm, *done;
	const struct ffield	*fields;
	size_t			 n_fields;
};

enum { AC_DECLARE, AC_ASSESS, AC_NOTIFY, AC_COMMUNICATE, AC_EXEMPT, AC_CLOSE };

static const struct action actions[] = {
	{ "declarer", "Déclarer une violation", "Déclarer",
	    "Je confirme la déclaration de cette violation au registre.",
	    "La violation est inscrite au registre.", NULL, 0 },
	{ "evaluer", "Évaluer ou corriger", "Enregistrer l'évaluation",
	    "Je confirme cette évaluation (une nouvelle version de l'entrée).",
	    "L'évaluation est enregistrée (nouvelle version).", assess_fields,
	    FS_ARRAY_LEN(assess_fields) },
	{ "notifier", "Notification à la CNIL (article 33)", "Enregistrer la notification",
	    "Je confirme avoir notifié cette violation à la CNIL.",
	    "La notification à la CNIL est enregistrée.", notify_fields,
	    FS_ARRAY_LEN(notify_fields) },
	{ "communiquer", "Information des personnes (article 34)",
	    "Enregistrer l'information", "Je confirme que les personnes ont été informées.",
	    "L'information des personnes est enregistrée.", communicate_fields,
	    FS_ARRAY_LEN(communicate_fields) },
	{ "exempter", "Pas d'information des personnes (article 34(3))",
	    "Enregistrer l'exception",
	    "Je confirme que les personnes ne sont pas informées, pour ce motif.",
	    "L'exception est enregistrée.", exempt_fields, FS_ARRAY_LEN(exempt_fields) },
	{ "clore", "Clore l'entrée", "Clore",
	    "Je confirme la clôture : une entrée close ne change plus.",
	    "L'entrée est close.", NULL, 0 },
};

static const struct action *
action_named(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < FS_ARRAY_LEN(actions); i++)
		if (strcmp(name, actions[i].name) == 0)
			return &actions[i];
	return NULL;
}

/* ---- the core's reasons, beside their field ----------------------------- */

static const struct ffield *
field_of_opt(const struct action *ac, const char *opt, size_t len)
{
	static const struct {
		const struct ffield *v;
		size_t n;
	} sets[] = {
		{ assess_fields, FS_ARRAY_LEN(assess_fields) },
		{ other_fields, FS_ARRAY_LEN(other_fields) },
	};
	size_t i, k;

	for (i = 0; ac->fields != NULL && i < ac->n_fields; i++)
		if (strlen(ac->fields[i].opt) == len && strncmp(ac->fields[i].opt, opt, len) == 0)
			return &ac->fields[i];
	for (k = 0; k < FS_ARRAY_LEN(sets); k++)
		for (i = 0; i < sets[k].n; i++)
			if (strlen(sets[k].v[i].opt) == len &&
			    strncmp(sets[k].v[i].opt, opt, len) == 0)
				return &sets[k].v[i];
	return NULL;
}

/*
 * The core words its reasons for the CLI ("--facts : texte trop long",
 * "exemption refusée : --justification est obligatoire"): the first option
 * named is the field in error; every "--option" becomes the field's label,
 * and a hint of a command between parentheses is left out.
 */
static void
reason_for_form(const struct action *ac, const char *err, struct form_err *fe)
{
	struct buf b;
	const char *p = err;

	buf_init(&b, sizeof(fe->msg) - 1);
	fe->field = NULL;
	while (*p) {
		if (strncmp(p, " (fsrelay ", 10) == 0) {
			const char *e = strchr(p, ')');

			if (e != NULL) {
				p = e + 1;
				continue;
			}
		}
		if (p[0] == '-' && p[1] == '-' && p[2] >= 'a' && p[2] <= 'z') {
			size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");
			const struct ffield *f = field_of_opt(ac, p + 2, n);

			if (f != NULL) {
				if (fe->field == NULL)
					fe->field = f->name;
				buf_printf(&b, p == err ? "%s" : "« %s »", f->label);
				p += 2 + n;
				continue;
			}
		}
		buf_append(&b, p, 1);
		p++;
	}
	fs_strlcpy(fe->msg, b.p ? b.p : err, sizeof(fe->msg));
	buf_free(&b);
}

/* ---- dates ------------------------------------------------------------- */

/* A date typed in a form, Europe/Paris: "AAAA-MM-JJTHH:MM[:SS]" (what
 * <input type="datetime-local"> sends), "JJ/MM/AAAA HH:MM" or
 * "JJ/MM/AAAA" (00:00), into RFC 3339 UTC.  0 / -1. */
static int
form_date(const char *v, char out[CAL_RFC3339_LEN])
{
	struct cal_tm tm;
	int64_t t;
	int k = 0, k2 = 0;

	memset(&tm, 0, sizeof(tm));
	if (strchr(v, 'T') != NULL) {
		if (sscanf(v, "%4d-%2d-%2dT%2d:%2d%n", &tm.year, &tm.mon, &tm.mday, &tm.hour,
		    &tm.min, &k) != 5)
			return -1;
		if (v[k] == ':' && sscanf(v + k + 1, "%2d%n", &tm.sec, &k2) == 1)
			k += 1 + k2;
	} else if (sscanf(v, "%2d/%2d/%4d%n", &tm.mday, &tm.mon, &tm.year, &k) == 3) {
		if (v[k] == ' ' && sscanf(v + k + 1, "%2d:%2d%n", &tm.hour, &tm.min, &k2) == 2)
			k += 1 + k2;
	} else
		return -1;
	if (v[k] != '\0' || tm.year < 1970 || tm.hour < 0 || tm.hour > 23 || tm.min < 0 ||
	    tm.min > 59 || tm.sec < 0 || tm.sec > 59 || cal_weekday(tm.year, tm.mon, tm.mday) < 0 ||
	    cal_from_paris_local(&tm, &t) < 0)
		return -1;
	return cal_format_rfc3339_utc(out, t);
}

/* The value of a datetime-local input for t (Paris time), "" for 0. */
static void
date_value(char *out, size_t n, int64_t t)
{
	struct cal_tm tm;

	out[0] = '\0';
	if (t > 0 && cal_to_paris(t, &tm) == 0)
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d", tm.year, tm.mon, tm.mday, tm.hour,
		    tm.min);
}

/* ---- rendering ---------------------------------------------------------- */

/* The posted value of a field when the form comes back with an error, else
 * the entry's current value (into tmp). */
static const char *
current(const struct req *q, const struct form_err *fe, const struct action *ac,
    const struct ffield *f, const struct breach *e, char *tmp, size_t n)
{
	const char *posted;

	if (fe != NULL && strcmp(fe->action, ac->name) == 0) {
		posted = req_field(q, f->name);
		return posted ? posted : "";
	}
	tmp[0] = '\0';
	if (e == NULL || f->b_off == NONE)
		return tmp;
	switch (f->kind) {
	case F_DATE:
		date_value(tmp, n, *(const int64_t *)(const void *)((const char *)e + f->b_off));
		break;
	case F_COUNT: {
		long c = *(const long *)(const void *)((const char *)e + f->b_off);

		if (c >= 0)
			snprintf(tmp, n, "%ld", c);
		break;
	}
	default:
		return (const char *)e + f->b_off;
	}
	return tmp;
}

static int
in_error(const struct form_err *fe, const struct action *ac, const char *field)
{
	return fe != NULL && strcmp(fe->action, ac->name) == 0 && fe->field != NULL &&
	    strcmp(fe->field, field) == 0;
}

/* The attributes of an input that may be in error or have a hint. */
static void
described(struct buf *b, const struct form_err *fe, const struct action *ac,
    const char *field, int hint)
{
	int bad = in_error(fe, ac, field);

	if (bad)
		buf_puts(b, " aria-invalid=\"true\"");
	if (bad || hint) {
		buf_puts(b, " aria-describedby=\"");
		if (hint)
			buf_printf(b, "aide-%s-%s%s", ac->name, field, bad ? " " : "");
		if (bad)
			buf_printf(b, "erreur-%s-%s", ac->name, field);
		buf_puts(b, "\"");
	}
}

/* The hint and the error under an input. */
static void
under(struct buf *b, const struct form_err *fe, const struct action *ac, const char *field,
    const char *hint)
{
	if (hint != NULL) {
		buf_printf(b, "<p class=\"hint\" id=\"aide-%s-%s\">", ac->name, field);
		h_esc(b, hint);
		buf_puts(b, "</p>");
	}
	if (in_error(fe, ac, field)) {
		buf_printf(b, "<p class=\"field-error\" id=\"erreur-%s-%s\">", ac->name, field);
		h_esc(b, fe->msg);
		buf_puts(b, "</p>");
	}
	buf_puts(b, "</div>\n");
}

static void
field(struct req *q, const struct form_err *fe, const struct action *ac, const struct ffield *f,
    const struct breach *e, int required)
{
	struct buf *b = &q->r.body;
	char tmp[64];
	const char *v = current(q, fe, ac, f, e, tmp, sizeof(tmp));

	buf_printf(b, "<div class=\"field\"><label for=\"%s-%s\">", ac->name, f->name);
	h_esc(b, f->label);
	buf_puts(b, required ? " (obligatoire)</label>" : "</label>");
	if (f->kind == F_AREA)
		buf_printf(b, "<textarea id=\"%s-%s\" name=\"%s\" rows=\"3\" maxlength=\"%d\"%s",
		    ac->name, f->name, f->name, BREACH_TEXT_MAX - 1, required ? " required" : "");
	else
		buf_printf(b, "<input id=\"%s-%s\" name=\"%s\" type=\"%s\"%s%s", ac->name, f->name,
		    f->name, f->kind == F_DATE ? "datetime-local" : f->kind == F_COUNT ? "number" :
		    "text", f->kind == F_COUNT ? " min=\"0\" inputmode=\"numeric\"" : "",
		    required ? " required" : "");
	described(b, fe, ac, f->name, f->hint != NULL);
	buf_puts(b, f->kind == F_AREA ? ">" : " value=\"");
	h_esc(b, v);
	buf_puts(b, f->kind == F_AREA ? "</textarea>" : "\">");
	under(b, fe, ac, f->name, f->hint);
}

static void
form_begin(struct req *q, const struct form_err *fe, const struct action *ac, int64_t id)
{
	struct buf *b = &q->r.body;

	buf_printf(b, "<section aria-labelledby=\"titre-%s\"><h2 id=\"titre-%s\">", ac->name,
	    ac->name);
	h_esc(b, ac->title);
	buf_puts(b, "</h2>\n");
	if (fe != NULL && strcmp(fe->action, ac->name) == 0) {
		buf_printf(b, "<p class=\"alert\" role=\"alert\" id=\"erreur-%s\">Rien n'a été"
		    " fait : ", ac->name);
		h_esc(b, fe->msg);
		buf_puts(b, "</p>\n");
	}
	if (id > 0)
		buf_printf(b, "<form method=\"post\" action=\"/violations/%lld\" class=\"form\">",
		    (long long)id);
	else
		buf_puts(b, "<form method=\"post\" action=\"/violations\" class=\"form\">");
	h_csrf(q);
	buf_printf(b, "<input type=\"hidden\" name=\"action\" value=\"%s\">\n", ac->name);
}

static void
form_end(struct req *q, const struct form_err *fe, const struct action *ac)
{
	struct buf *b = &q->r.body;

	buf_printf(b, "<div class=\"field\"><input type=\"checkbox\" class=\"check\""
	    " id=\"%s-confirmer\" name=\"confirmer\" value=\"oui\" required", ac->name);
	described(b, fe, ac, "confirmer", 0);
	buf_printf(b, "><label class=\"check\" for=\"%s-confirmer\">", ac->name);
	h_esc(b, ac->confirm);
	buf_puts(b, "</label>");
	under(b, fe, ac, "confirmer", NULL);
	buf_printf(b, "<p><button type=\"submit\"%s>", strcmp(ac->name, "clore") == 0 ?
	    " class=\"danger\"" : "");
	h_esc(b, ac->button);
	buf_puts(b, "</button></p>\n</form></section>\n");
}

/* Nature: three boxes (C, I, A). */
static void
nature_boxes(struct req *q, const struct form_err *fe, const struct action *ac,
    const struct breach *e)
{
	static const struct {
		char letter;
		const char *name, *label;
	} n[] = {
		{ 'C', "nature_c", "confidentialité (C) : des données ont pu être lues" },
		{ 'I', "nature_i", "intégrité (I) : des données ont pu être modifiées" },
		{ 'A', "nature_a", "disponibilité (A) : des données ont été perdues ou rendues"
		    " inaccessibles" },
	};
	struct buf *b = &q->r.body;
	int back = fe != NULL && strcmp(fe->action, ac->name) == 0;
	size_t i;

	buf_puts(b, "<fieldset class=\"field\"");
	described(b, fe, ac, "nature", 0);
	buf_puts(b, "><legend>Nature de la violation</legend>");
	for (i = 0; i < FS_ARRAY_LEN(n); i++) {
		int on = back ? req_field(q, n[i].name) != NULL :
		    e != NULL && strchr(e->nature, n[i].letter) != NULL;

		buf_printf(b, "<div><input type=\"checkbox\" class=\"check\" id=\"%s-%s\""
		    " name=\"%s\" value=\"oui\"%s><label class=\"check\" for=\"%s-%s\">%s</label>"
		    "</div>", ac->name, n[i].name, n[i].name, on ? " checked" : "", ac->name,
		    n[i].name, n[i].label);
	}
	buf_puts(b, "</fieldset>");
	if (in_error(fe, ac, "nature")) {
		buf_printf(b, "<p class=\"field-error\" id=\"erreur-%s-nature\">", ac->name);
		h_esc(b, fe->msg);
		buf_puts(b, "</p>");
	}
	buf_puts(b, "\n");
}

static void
risk_select(struct req *q, const struct form_err *fe, const struct action *ac,
    const struct breach *e)
{
	static const struct {
		const char *value, *label;
	} r[] = {
		{ "", "— non évalué —" },
		{ "none", "aucun risque pour les personnes" },
		{ "risk", "un risque" },
		{ "high", "un risque élevé (information des personnes, article 34)" },
	};
	struct buf *b = &q->r.body;
	const char *cur = fe != NULL && strcmp(fe->action, ac->name) == 0 ?
	    req_field(q, "risque") : e != NULL ? e->risk_level : "";
	size_t i;

	buf_printf(b, "<div class=\"field\"><label for=\"%s-risque\">Niveau de risque</label>"
	    "<select id=\"%s-risque\" name=\"risque\"", ac->name, ac->name);
	described(b, fe, ac, "risque", 0);
	buf_puts(b, ">");
	for (i = 0; i < FS_ARRAY_LEN(r); i++)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>", r[i].value,
		    cur != NULL && strcmp(cur, r[i].value) == 0 ? " selected" : "", r[i].label);
	buf_puts(b, "</select>");
	under(b, fe, ac, "risque", NULL);
}

/* A folded part of the page, open when the form of ac (or the exemption,
 * folded with the communication) comes back refused. */
static void
details(struct req *q, const struct form_err *fe, const struct action *ac, const char *summary)
{
	int open = fe != NULL && (strcmp(fe->action, ac->name) == 0 ||
	    (ac == &actions[AC_COMMUNICATE] && strcmp(fe->action, "exempter") == 0));

	buf_printf(&q->r.body, "<details%s><summary>", open ? " open" : "");
	h_esc(&q->r.body, summary);
	buf_puts(&q->r.body, "</summary>\n");
}

/* The declaration form, under the register (GET /violations). */
void
breach_declare_form(struct req *q, const struct form_err *fe)
{
	const struct action *ac = &actions[AC_DECLARE];

	form_begin(q, fe, ac, 0);
	buf_puts(&q->r.body, "<p class=\"hint\">Une violation que le relais ne peut pas voir"
	    " (dossier papier perdu, message envoyé à la mauvaise personne…). Sans prise de"
	    " connaissance, elle reste « soupçonnée ».</p>\n");
	nature_boxes(q, fe, ac, NULL);
	field(q, fe, ac, &assess_fields[1], NULL, 1);
	field(q, fe, ac, &assess_fields[0], NULL, 0);
	risk_select(q, fe, ac, NULL);
	form_end(q, fe, ac);
}

/* The forms of an entry not closed, under its facts (GET /violations/ID). */
void
breach_action_forms(struct req *q, const struct breach *e, const struct form_err *fe)
{
	const struct action *ac;
	struct buf *b = &q->r.body;
	char why[512];
	int late;
	size_t i;

	if (strcmp(e->status, "closed") == 0) {
		if (fe != NULL) {
			buf_puts(b, "<p class=\"alert\" role=\"alert\">Rien n'a été fait : ");
			h_esc(b, fe->msg);
			buf_puts(b, "</p>\n");
		}
		h_notice(q, "ok", "Entrée close : plus aucune modification.");
		return;
	}
	ac = &actions[AC_ASSESS];
	details(q, fe, ac, "Évaluer ou corriger l'entrée");
	form_begin(q, fe, ac, e->id);
	nature_boxes(q, fe, ac, e);
	risk_select(q, fe, ac, e);
	for (i = 0; i < ac->n_fields; i++) {
		field(q, fe, ac, &ac->fields[i], e, 0);
		if (i == 12) {	/* after "fin" */
			int on = fe != NULL && strcmp(fe->action, ac->name) == 0 ?
			    req_field(q, "en_cours") != NULL : e->ongoing;

			buf_printf(b, "<div class=\"field\"><input type=\"checkbox\" class=\"check\""
			    " id=\"evaluer-en_cours\" name=\"en_cours\" value=\"oui\"%s><label"
			    " class=\"check\" for=\"evaluer-en_cours\">La violation dure encore</label>"
			    "</div>\n", on ? " checked" : "");
		}
	}
	buf_puts(b, "<div class=\"field\"><label for=\"evaluer-dossiers\">Dossiers concernés"
	    " à ajouter</label><input id=\"evaluer-dossiers\" name=\"dossiers\" type=\"text\""
	    " aria-describedby=\"aide-evaluer-dossiers\" value=\"");
	if (fe != NULL && strcmp(fe->action, "evaluer") == 0)
		h_esc(b, req_field(q, "dossiers"));
	buf_puts(b, "\"><p class=\"hint\" id=\"aide-evaluer-dossiers\">Références séparées par des"
	    " espaces (FS-…).</p>");
	if (in_error(fe, ac, "dossiers")) {
		buf_puts(b, "<p class=\"field-error\" id=\"erreur-evaluer-dossiers\">");
		h_esc(b, fe->msg);
		buf_puts(b, "</p>");
	}
	buf_puts(b, "</div>\n");
	form_end(q, fe, ac);
	buf_puts(b, "</details>\n");

	ac = &actions[AC_NOTIFY];
	if (e->aware_at == 0) {
		buf_printf(b, "<section aria-labelledby=\"titre-notifier\"><h2 id=\"titre-notifier\">"
		    "%s</h2>\n", ac->title);
		h_notice(q, "notice", "Enregistrez d'abord la prise de connaissance (« Évaluer ou"
		    " corriger l'entrée ») : le délai de notification en dépend.");
		buf_puts(b, "</section>\n");
	} else {
		late = e->n_notif == 0 && q->now > e->deadline_at;
		form_begin(q, fe, ac, e->id);
		if (e->n_notif > 0)
			h_notice(q, "notice", "Une notification initiale est déjà enregistrée :"
			    " celle-ci sera complémentaire (article 33(4)).");
		else if (late)
			h_notice(q, "alert", "L'échéance est dépassée : les motifs du retard sont"
			    " obligatoires (article 33(1)).");
		field(q, fe, ac, &ac->fields[0], e, 1);
		field(q, fe, ac, &ac->fields[1], e, 0);
		field(q, fe, ac, &ac->fields[2], e, late);
		form_end(q, fe, ac);
	}

	ac = &actions[AC_COMMUNICATE];
	details(q, fe, ac, "Les personnes concernées : les informer (article 34) ou non (34(3))");
	form_begin(q, fe, ac, e->id);
	for (i = 0; i < ac->n_fields; i++)
		field(q, fe, ac, &ac->fields[i], e, 0);
	form_end(q, fe, ac);

	ac = &actions[AC_EXEMPT];
	form_begin(q, fe, ac, e->id);
	{
		static const struct {
			const char *v, *label;
		} x[] = {
			{ "a", "a) données rendues incompréhensibles (chiffrement, clé non"
			    " compromise)" },
			{ "b", "b) mesures ultérieures : le risque élevé n'est plus susceptible de se"
			    " réaliser" },
			{ "c", "c) efforts disproportionnés : une communication publique est faite à"
			    " la place" },
		};
		const char *cur = fe != NULL && strcmp(fe->action, "exempter") == 0 ?
		    req_field(q, "exception") : e->art34_exemption;

		buf_puts(b, "<fieldset class=\"field\"");
		described(b, fe, ac, "exception", 0);
		buf_puts(b, "><legend>Exception de l'article 34(3) (obligatoire)</legend>");
		for (i = 0; i < FS_ARRAY_LEN(x); i++)
			buf_printf(b, "<div><input type=\"radio\" class=\"check\" id=\"exempter-%s\""
			    " name=\"exception\" value=\"%s\"%s><label class=\"check\""
			    " for=\"exempter-%s\">%s</label></div>", x[i].v, x[i].v,
			    cur != NULL && strcmp(cur, x[i].v) == 0 ? " checked" : "", x[i].v,
			    x[i].label);
		buf_puts(b, "</fieldset>");
		if (in_error(fe, ac, "exception")) {
			buf_puts(b, "<p class=\"field-error\" id=\"erreur-exempter-exception\">");
			h_esc(b, fe->msg);
			buf_puts(b, "</p>");
		}
	}
	field(q, fe, ac, &ac->fields[1], e, 1);
	form_end(q, fe, ac);
	buf_puts(b, "</details>\n");

	ac = &actions[AC_CLOSE];
	form_begin(q, fe, ac, e->id);
	if (breach_close_check(e, why, sizeof(why)) < 0) {
		struct form_err hint;

		reason_for_form(ac, why, &hint);
		buf_puts(b, "<p class=\"notice\">La clôture sera refusée tant que : ");
		h_esc(b, hint.msg);
		buf_puts(b, "</p>\n");
	}
	form_end(q, fe, ac);
}

/* ---- POST ------------------------------------------------------------------ */

/* A form's date field into out (RFC 3339), *v NULL when empty.  0; -1 with
 * the error beside the field. */
static int
date_field(struct req *q, const struct action *ac, const char *name, char out[CAL_RFC3339_LEN],
    const char **v, struct form_err *fe)
{
	const char *s = req_field(q, name);

	*v = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	if (form_date(s, out) < 0) {
		fe->field = name;
		snprintf(fe->msg, sizeof(fe->msg), "date invalide : attendu JJ/MM/AAAA HH:MM"
		    " (heure de Paris)");
		(void)ac;
		return -1;
	}
	*v = out;
	return 0;
}

/* A field's value, NULL when empty. */
static const char *
given(const struct req *q, const char *name)
{
	const char *v = req_field(q, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The assessment (or the declaration) from the form into a; dates into
 * dates[].  0 / -1 with fe set. */
static int
read_assess(struct req *q, const struct action *ac, struct dpo_assess *a,
    char dates[][CAL_RFC3339_LEN], char *nature, char *cases_buf, size_t cases_len,
    const char **cases, size_t max_cases, struct form_err *fe)
{
	size_t i, nd = 0, n = 0, k = 0;
	char *p, *save = NULL;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < FS_ARRAY_LEN(assess_fields); i++) {
		const struct ffield *f = &assess_fields[i];
		const char **slot = (const char **)(void *)((char *)a + f->a_off);

		if (f->kind == F_DATE) {
			if (date_field(q, ac, f->name, dates[nd], slot, fe) < 0)
				return -1;
			nd++;
		} else
			*slot = given(q, f->name);
	}
	if (req_field(q, "nature_c"))
		nature[k++] = 'C';
	if (req_field(q, "nature_i"))
		nature[k++] = 'I';
	if (req_field(q, "nature_a"))
		nature[k++] = 'A';
	nature[k] = '\0';
	a->nature = nature[0] ? nature : NULL;
	a->risk = given(q, "risque");
	a->ongoing = req_field(q, "en_cours") != NULL;
	if (given(q, "dossiers") != NULL) {
		fs_strlcpy(cases_buf, req_field(q, "dossiers"), cases_len);
		for (p = strtok_r(cases_buf, " \t\r\n,", &save); p && n < max_cases;
		    p = strtok_r(NULL, " \t\r\n,", &save))
			cases[n++] = p;
		a->cases = cases;
		a->n_cases = n;
	}
	return 0;
}

static void
redirect_done(struct req *q, int64_t id, const char *action)
{
	char path[80];

	snprintf(path, sizeof(path), "/violations/%lld?fait=%s", (long long)id, action);
	resp_redirect(q, path);
}

/* The message of ?fait=ACTION after a redirect, or NULL. */
const char *
breach_done_message(const char *action)
{
	const struct action *ac = action_named(action);

	return ac ? ac->done : NULL;
}

/* Run the action of the posted form on entry id (NULL: declare).  0 done
 * (e: the saved entry); -1 refused, fe set. */
static int
run_action(struct req *q, const struct action *ac, const char *id, struct breach *e,
    struct form_err *fe)
{
	struct instance *in = q->w->in;
	struct dpo_assess a;
	char dates[4][CAL_RFC3339_LEN], at[CAL_RFC3339_LEN], nature[4], cases_buf[BREACH_REFS_MAX];
	const char *cases[64], *at_v = NULL, *msg;
	char err[1024];
	int r;

	err[0] = '\0';
	fe->field = NULL;
	if (strcmp(ac->name, "declarer") == 0 || strcmp(ac->name, "evaluer") == 0) {
		if (read_assess(q, ac, &a, dates, nature, cases_buf, sizeof(cases_buf), cases,
		    FS_ARRAY_LEN(cases), fe) < 0)
			return -1;
		if (id == NULL && (a.nature == NULL || a.facts == NULL)) {
			fe->field = a.nature == NULL ? "nature" : "faits";
			snprintf(fe->msg, sizeof(fe->msg), a.nature == NULL ?
			    "cochez au moins une nature (C, I ou A)" : "décrivez les faits");
			return -1;
		}
		r = id == NULL ? dpo_declare(in, &a, e, err, sizeof(err)) :
		    dpo_assess(in, id, &a, e, err, sizeof(err));
	} else if (strcmp(ac->name, "notifier") == 0) {
		if (date_field(q, ac, "date_notification", at, &at_v, fe) < 0)
			return -1;
		r = dpo_notify(in, id, given(q, "reference_cnil"), at_v, given(q, "motifs_retard"),
		    e, err, sizeof(err));
	} else if (strcmp(ac->name, "communiquer") == 0) {
		if (date_field(q, ac, "date_information", at, &at_v, fe) < 0)
			return -1;
		msg = given(q, "message");
		r = dpo_communicate(in, id, at_v, given(q, "moyen"), msg, msg ? strlen(msg) : 0, e,
		    err, sizeof(err));
	} else if (strcmp(ac->name, "exempter") == 0)
		r = dpo_exempt(in, id, given(q, "exception"), given(q, "justification"), e, err,
		    sizeof(err));
	else
		r = dpo_close(in, id, e, err, sizeof(err));
	if (r < 0) {
		reason_for_form(ac, err, fe);
		return -1;
	}
	return 0;
}

/* POST /violations (declare) and POST /violations/ID (the other actions). */
void
post_breach(struct req *q, const char *id)
{
	const struct action *ac = action_named(req_field(q, "action"));
	struct form_err fe;
	struct breach *e;
	char err[512];

	memset(&fe, 0, sizeof(fe));
	if (ac == NULL || (id == NULL) != (strcmp(ac->name, "declarer") == 0)) {
		refuse(q, MHD_HTTP_BAD_REQUEST, "Formulaire invalide",
		    "Action inconnue : rien n'a été fait.");
		return;
	}
	e = xcalloc(1, sizeof(*e));
	if (id != NULL && dpo_load(q->w->in, id, e, err, sizeof(err)) < 0) {
		not_found(q);
		goto out;
	}
	fe.action = ac->name;
	if (req_field(q, "confirmer") == NULL) {
		fe.field = "confirmer";
		fs_strlcpy(fe.msg, "cochez la case de confirmation.", sizeof(fe.msg));
	} else if (run_action(q, ac, id, e, &fe) == 0) {
		redirect_done(q, e->id, ac->name);
		goto out;
	}
	/* Refused: the page again, the form as typed, the reason beside it. */
	if (id == NULL)
		breaches_page(q, &fe, MHD_HTTP_BAD_REQUEST);
	else if (dpo_load(q->w->in, id, e, err, sizeof(err)) == 0)
		breach_page(q, e, &fe, MHD_HTTP_BAD_REQUEST);
	else
		not_found(q);
out:
	free(e);
}
