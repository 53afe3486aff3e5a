/*
 * pages_dpo - the DPO's pages: the breach register (GET /violations) with
 * the time left before the 72-hour deadline of each entry not closed, an
 * entry (GET /violations/ID) and its CNIL notification text
 * (GET /violations/ID/export), the audit log's verification and latest
 * checkpoint (GET /journal) and its export (GET /journal/export), and the
 * same register as JSON (GET /api/v1/violations).  Everything is read
 * through the core (relay/breach, relay/audit): no case content, only
 * references, counts, categories and the DPO's own text.
 */
#include "adapters/http/http_int.h"
#include "adapters/store.h"
#include "relay/dpo.h"
#include "relay/audit.h"
#include "relay/breach.h"
#include "relay/calendar.h"
#include "relay/instance.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *label;
} statuses[] = {
	{ "suspected", "soupçonnée" },
	{ "open", "ouverte" },
	{ "notified", "notifiée à la CNIL" },
	{ "closed", "close" },
};

/* By enum breach_source; matched through breach_source_name(). */
static const char *const source_labels[] = {
	[BREACH_SRC_MANUAL] = "déclarée par le DPO",
	[BREACH_SRC_STRANGER] = "courriel d'un inconnu portant nos identifiants",
	[BREACH_SRC_DSN] = "avis de non-remise pour un autre destinataire",
	[BREACH_SRC_AUDIT] = "journal d'audit en échec de vérification",
	[BREACH_SRC_INTEGRITY] = "donnée chiffrée ou signature altérée",
	[BREACH_SRC_KEY] = "clé déclarée compromise",
	[BREACH_SRC_LEAK] = "donnée personnelle en clair avant envoi",
};

static const char *
status_label(const char *s)
{
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(statuses); i++)
		if (strcmp(s, statuses[i].name) == 0)
			return statuses[i].label;
	return s;
}

static const char *
risk_label(const char *s)
{
	return strcmp(s, "none") == 0 ? "aucun risque" : strcmp(s, "risk") == 0 ? "un risque" :
	    strcmp(s, "high") == 0 ? "un risque élevé" : s;
}

static const char *
source_label(const char *s)
{
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(source_labels); i++)
		if (strcmp(s, breach_source_name((enum breach_source)i)) == 0)
			return source_labels[i];
	return s;
}

/* The time left before the deadline (or past it), as a countdown that
 * static/desk.js moves; nothing for a closed or notified entry. */
static void
countdown(struct req *q, const struct breach *b)
{
	struct buf *b2 = &q->r.body;
	int64_t left = b->deadline_at - q->now;

	if (strcmp(b->status, "closed") == 0 || strcmp(b->status, "notified") == 0) {
		buf_puts(b2, "—");
		return;
	}
	buf_printf(b2, "<span class=\"badge %s\" data-remaining=\"%lld\">%s ",
	    left < 0 ? "late" : left < 24 * 3600 ? "soon" : "fine", (long long)left,
	    left < 0 ? "dépassée de" : "reste");
	h_duration(b2, left);
	buf_puts(b2, "</span>");
}

/* The register: every entry's latest version.  0 / -1 (err). */
static int
load_all(struct req *q, struct breach **out, size_t *n, char *err, size_t errlen)
{
	struct breach_version_row *rows = NULL;
	size_t nrows = 0, i;

	*out = NULL;
	*n = 0;
	if (store_breach_list(q->w->in->st, &rows, &nrows) < 0) {
		fs_seterr(err, errlen, "base : %s", store_errmsg(q->w->in->st));
		return -1;
	}
	*out = xcalloc(nrows ? nrows : 1, sizeof(**out));
	for (i = 0; i < nrows; i++)
		if (breach_load(q->w->in, rows[i].breach_id, &(*out)[i], err, errlen) != 0) {
			free(rows);
			free(*out);
			*out = NULL;
			return -1;
		}
	*n = nrows;
	free(rows);
	return 0;
}

static void
server_error(struct req *q, const char *what, const char *err)
{
	fprintf(stderr, "fsrelay web : %s : %s\n", what, err);
	refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
	    "La page n'a pas pu être préparée (erreur enregistrée dans la sortie du serveur)."
	    " Réessayez dans un instant.");
}

void
page_breaches(struct req *q)
{
	breaches_page(q, NULL, MHD_HTTP_OK);
}

void
breaches_page(struct req *q, const struct form_err *fe, unsigned status)
{
	struct breach *all = NULL;
	struct buf *b;
	char err[512];
	const char *done = breach_done_message(req_query(q, "fait"));
	size_t n = 0, i, open = 0;

	if (load_all(q, &all, &n, err, sizeof(err)) < 0) {
		server_error(q, "registre des violations", err);
		return;
	}
	q->r.status = status;
	h_page_begin(q, "Registre des violations");
	b = &q->r.body;
	if (done != NULL && fe == NULL)
		h_notice(q, "ok", done);
	for (i = 0; i < n; i++)
		open += strcmp(all[i].status, "closed") != 0;
	buf_printf(b, "<p>%zu entrée%s au registre, dont %zu non close%s. Le délai de notification"
	    " à la CNIL (article 33 du RGPD) est de %ld heures après la prise de connaissance"
	    " (à titre provisoire : après la détection).</p>\n", n, n > 1 ? "s" : "", open,
	    open > 1 ? "s" : "", q->w->in->cfg.notification_hours);
	if (n == 0) {
		h_notice(q, "ok", "Aucune violation n'est inscrite au registre.");
		breach_declare_form(q, fe);
		h_page_end(q);
		free(all);
		return;
	}
	buf_puts(b, "<table>\n<caption class=\"sr-only\">Entrées du registre</caption>\n<thead><tr>"
	    "<th scope=\"col\">N°</th><th scope=\"col\">Statut</th><th scope=\"col\">Origine</th>"
	    "<th scope=\"col\">Détectée le</th><th scope=\"col\">Échéance</th>"
	    "<th scope=\"col\">Temps restant</th><th scope=\"col\">Dossiers concernés</th>"
	    "</tr></thead>\n<tbody>\n");
	/* Newest first. */
	for (i = n; i-- > 0;) {
		const struct breach *e = &all[i];

		buf_printf(b, "<tr><td><a href=\"/violations/%lld\">n° %lld</a></td><td>",
		    (long long)e->id, (long long)e->id);
		h_esc(b, status_label(e->status));
		buf_puts(b, "</td><td>");
		h_esc(b, source_label(e->source));
		buf_puts(b, "</td><td>");
		h_time(b, e->detected_at);
		buf_puts(b, "</td><td>");
		h_time(b, e->deadline_at);
		if (e->aware_at == 0)
			buf_puts(b, " (provisoire)");
		buf_puts(b, "</td><td>");
		countdown(q, e);
		buf_puts(b, "</td><td>");
		if (e->affected_cases < 0)
			buf_puts(b, "inconnu");
		else
			buf_printf(b, "%ld", e->affected_cases);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	breach_declare_form(q, fe);
	h_page_end(q);
	free(all);
}

static void
fact(struct buf *b, const char *label, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	buf_puts(b, "<dt>");
	h_esc(b, label);
	buf_puts(b, "</dt><dd><pre>");
	h_esc(b, value);
	buf_puts(b, "</pre></dd>\n");
}

static void
fact_time(struct buf *b, const char *label, int64_t t)
{
	buf_puts(b, "<dt>");
	h_esc(b, label);
	buf_puts(b, "</dt><dd>");
	h_time(b, t);
	buf_puts(b, "</dd>\n");
}

void
page_breach(struct req *q, const char *rest)
{
	struct breach *e;
	char err[512];
	long id;
	int export = 0, r;
	const char *slash = strchr(rest, '/');
	char num[24];

	if (slash != NULL) {
		if (strcmp(slash, "/export") != 0 || (size_t)(slash - rest) >= sizeof(num)) {
			not_found(q);
			return;
		}
		memcpy(num, rest, (size_t)(slash - rest));
		num[slash - rest] = '\0';
		export = 1;
	} else if (fs_strlcpy(num, rest, sizeof(num)) >= sizeof(num)) {
		not_found(q);
		return;
	}
	if (fs_parse_long(num, 1, 1000000000L, &id) < 0) {
		not_found(q);
		return;
	}
	e = xcalloc(1, sizeof(*e));
	r = breach_load(q->w->in, id, e, err, sizeof(err));
	if (r == 1) {
		not_found(q);
		goto out;
	}
	if (r < 0) {
		server_error(q, "violation", err);
		goto out;
	}
	if (export) {
		q->r.status = MHD_HTTP_OK;
		q->r.ctype = "text/plain; charset=utf-8";
		snprintf(q->r.disposition, sizeof(q->r.disposition),
		    "attachment; filename=\"violation-%ld-cnil.txt\"", id);
		if (dpo_export(q->w->in, e, &q->r.body, err, sizeof(err)) < 0)
			server_error(q, "export CNIL", err);
		goto out;
	}
	breach_page(q, e, NULL, MHD_HTTP_OK);
out:
	free(e);
}

void
breach_page(struct req *q, const struct breach *e, const struct form_err *fe, unsigned status)
{
	struct buf *b;
	char title[64];
	const char *done = breach_done_message(req_query(q, "fait"));
	char version[128];
	size_t i;

	q->r.status = status;
	snprintf(version, sizeof(version), "%d (par %s)", e->version, e->author);
	snprintf(title, sizeof(title), "Violation n° %lld", (long long)e->id);
	h_page_begin(q, title);
	b = &q->r.body;
	if (done != NULL && fe == NULL)
		h_notice(q, "ok", done);
	buf_puts(b, "<p><a href=\"/violations\">Retour au registre</a></p>\n<dl class=\"facts\">\n");
	fact(b, "Statut", status_label(e->status));
	fact(b, "Origine", source_label(e->source));
	fact_time(b, "Détectée le", e->detected_at);
	fact_time(b, "Prise de connaissance", e->aware_at);
	buf_puts(b, "<dt>Échéance de notification</dt><dd>");
	h_time(b, e->deadline_at);
	buf_puts(b, " ");
	countdown(q, e);
	buf_puts(b, "</dd>\n");
	fact(b, "Nature (C, I, A)", e->nature);
	fact(b, "Niveau de risque", risk_label(e->risk_level));
	fact(b, "Dossiers liés (références)", e->linked_cases);
	fact(b, "Faits", e->facts);
	fact(b, "Catégories de personnes", e->subject_categories);
	fact(b, "Catégories de données", e->data_categories);
	fact(b, "Conséquences probables", e->likely_consequences);
	fact(b, "Mesures prises", e->measures_taken);
	fact(b, "Mesures proposées", e->measures_proposed);
	fact(b, "Justification du risque", e->risk_rationale);
	for (i = 0; i < e->n_notif; i++) {
		fact_time(b, "Notification CNIL envoyée le", e->notif[i].sent_at);
		fact(b, "Référence CNIL", e->notif[i].cnil_ref);
		fact(b, "Motifs du retard", e->notif[i].delay_reasons);
	}
	if (strcmp(e->art34, "communicated") == 0)
		fact_time(b, "Personnes informées (art. 34) le", e->communicated_at);
	else if (strcmp(e->art34, "exempt") == 0) {
		fact(b, "Personnes non informées (art. 34(3)), exception", e->art34_exemption);
		fact(b, "Justification de l'exception", e->art34_justification);
	}
	fact(b, "Version", version);
	buf_printf(b, "</dl>\n<p><a href=\"/violations/%lld/export\">Télécharger le texte de"
	    " notification à la CNIL</a></p>\n", (long long)e->id);
	breach_action_forms(q, e, fe);
	h_page_end(q);
}

/* GET /api/v1/violations: the objects of `breach list --json`. */
void
api_breaches(struct req *q)
{
	struct breach *all = NULL;
	char err[512];
	size_t n = 0, i;

	if (load_all(q, &all, &n, err, sizeof(err)) < 0) {
		server_error(q, "registre des violations", err);
		return;
	}
	q->r.status = MHD_HTTP_OK;
	q->r.ctype = "application/json";
	buf_puts(&q->r.body, "[");
	for (i = 0; i < n; i++) {
		buf_puts(&q->r.body, i ? ",\n" : "\n");
		breach_json(&all[i], &q->r.body);
	}
	buf_puts(&q->r.body, n ? "\n]\n" : "]\n");
	free(all);
}

void
page_journal(struct req *q)
{
	struct audit_checkpoint_row *cps = NULL;
	struct audit_report rep;
	struct buf *b;
	char err[512], hex[65];
	size_t ncp = 0;
	int r;

	memset(&rep, 0, sizeof(rep));
	r = audit_verify(q->w->in, NULL, 0, NULL, &rep, err, sizeof(err));
	if (r < 0) {
		server_error(q, "vérification du journal", err);
		return;
	}
	if (store_audit_checkpoint_list(q->w->in->st, &cps, &ncp) < 0) {
		server_error(q, "points de contrôle", store_errmsg(q->w->in->st));
		return;
	}
	h_page_begin(q, "Journal d'audit");
	b = &q->r.body;
	if (r == 0) {
		fs_hex(hex, rep.root, sizeof(rep.root));
		buf_printf(b, "<p class=\"ok\" role=\"status\"><strong>Journal intact.</strong>"
		    " %llu événement%s, %zu point%s de contrôle vérifié%s. Racine : <code>%s</code>"
		    "</p>\n", (unsigned long long)rep.events, rep.events > 1 ? "s" : "",
		    rep.checkpoints, rep.checkpoints > 1 ? "s" : "", rep.checkpoints > 1 ? "s" : "",
		    hex);
	} else {
		buf_puts(b, "<p class=\"alert\" role=\"alert\"><strong>Le journal a été altéré.</strong> ");
		h_esc(b, err);
		if (rep.first_bad_seq > 0)
			buf_printf(b, " (premier événement en cause : n° %lld)",
			    (long long)rep.first_bad_seq);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<h2>Dernier point de contrôle</h2>\n");
	if (ncp == 0)
		buf_puts(b, "<p>Aucun point de contrôle n'a encore été signé.</p>\n");
	else {
		const struct audit_checkpoint_row *c = &cps[ncp - 1];

		fs_hex(hex, c->root, sizeof(c->root));
		buf_puts(b, "<dl class=\"facts\"><dt>Signé le</dt><dd>");
		h_time(b, c->at);
		buf_printf(b, "</dd><dt>Événements couverts</dt><dd>%llu</dd><dt>Racine</dt>"
		    "<dd><code>%s</code></dd></dl>\n<details><summary>Note signée</summary><pre>",
		    (unsigned long long)c->size, hex);
		h_esc(b, c->note);
		buf_puts(b, "</pre></details>\n");
	}
	buf_puts(b, "<h2>Exporter</h2>\n<form method=\"get\" action=\"/journal/export\""
	    " class=\"form narrow\">\n<div class=\"field\"><label for=\"du\">Du (inclus)</label>"
	    "<input id=\"du\" name=\"du\" type=\"date\" required></div>\n<div class=\"field\">"
	    "<label for=\"au\">Au (inclus)</label><input id=\"au\" name=\"au\" type=\"date\""
	    " required></div>\n<p class=\"hint\">Un événement par ligne (JSON), avec sa feuille et"
	    " son empreinte : de quoi vérifier le journal hors du serveur.</p>\n"
	    "<p><button type=\"submit\">Télécharger</button></p>\n</form>\n");
	h_page_end(q);
	store_audit_checkpoint_free(cps, ncp);
}

/* "AAAA-MM-JJ" at 00:00 Europe/Paris, plus days.  0 / -1. */
static int
paris_day(const char *s, int plus_days, int64_t *t)
{
	struct cal_tm tm;
	int y, m, d, k = 0;

	memset(&tm, 0, sizeof(tm));
	/* what a date input sends, or JJ/MM/AAAA typed in a plain text field */
	if (s == NULL || strlen(s) != 10 || (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &k) != 3 &&
	    (k = 0, sscanf(s, "%2d/%2d/%4d%n", &d, &m, &y, &k) != 3)) || k != 10 ||
	    cal_weekday(y, m, d) < 0)
		return -1;
	tm.year = y;
	tm.mon = m;
	tm.mday = d;
	if (cal_from_paris_local(&tm, t) < 0)
		return -1;
	/* The next local midnight: 24 h later is within the day after a
	 * change of time; take that day's midnight. */
	if (plus_days) {
		struct cal_tm n;

		if (cal_to_paris(*t + 36 * 3600, &n) < 0)
			return -1;
		n.hour = n.min = n.sec = 0;
		return cal_from_paris_local(&n, t);
	}
	return 0;
}

void
page_journal_export(struct req *q)
{
	const char *du = req_query(q, "du"), *au = req_query(q, "au");
	char err[512], dfrom[16], dto[16];
	struct cal_tm a, z;
	int64_t from, to;

	if (paris_day(du, 0, &from) < 0 || paris_day(au, 1, &to) < 0 || to <= from) {
		refuse(q, MHD_HTTP_BAD_REQUEST, "Période invalide",
		    "Donnez deux dates (du, au) au format JJ/MM/AAAA, la seconde après la première.");
		return;
	}
	/* the file is named by the days as AAAA-MM-JJ, whatever was typed */
	if (cal_to_paris(from, &a) < 0 || cal_to_paris(to - 12 * 3600, &z) < 0) {
		refuse(q, MHD_HTTP_BAD_REQUEST, "Période invalide", "Période hors calendrier.");
		return;
	}
	snprintf(dfrom, sizeof(dfrom), "%04d-%02d-%02d", a.year % 10000, a.mon % 100, a.mday % 100);
	snprintf(dto, sizeof(dto), "%04d-%02d-%02d", z.year % 10000, z.mon % 100, z.mday % 100);
	q->r.status = MHD_HTTP_OK;
	q->r.ctype = "application/x-ndjson; charset=utf-8";
	snprintf(q->r.disposition, sizeof(q->r.disposition),
	    "attachment; filename=\"journal-audit-%s-%s.jsonl\"", dfrom, dto);
	if (audit_export(q->w->in, from, to, &q->r.body, err, sizeof(err)) < 0) {
		q->r.disposition[0] = '\0';
		q->r.ctype = NULL;
		q->r.body.len = 0;
		refuse(q, MHD_HTTP_CONTENT_TOO_LARGE, "Export impossible",
		    "L'export n'a pas pu être préparé (période trop longue ?) : choisissez une"
		    " période plus courte.");
	}
}
