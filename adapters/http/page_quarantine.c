/*
 * page_quarantine - the quarantine triage of the agent (GET /quarantaine,
 * GET /quarantaine/ID, POST /quarantaine/ID/rattacher,
 * POST /quarantaine/ID/rejeter): the held mails whose keys point to a
 * case of the agent's structure, read decrypted, then assigned to a case
 * (as a reply « à vérifier ») or rejected (content erased), each after a
 * confirmation page; for the DPO, the mails that name no case (read,
 * rejected); for the administrator, their metadata only.  Every rule
 * (which mails a role sees, what it may do with them, which case a mail
 * may join, the audit) is relay/desk's (desk_quarantine_scope, _list,
 * _summary, _read, _assign, _reject); a mail one may not see is the same
 * 404 as one that does not exist.
 */
#include "adapters/http/http_int.h"
#include "relay/case.h"
#include "relay/desk.h"
#include "relay/inbox.h"
#include "relay/instance.h"
#include "relay/port/mail.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
state_label(const char *state)
{
	if (strcmp(state, "held") == 0)
		return "à trier";
	if (strcmp(state, "assigned") == 0)
		return "rattaché";
	if (strcmp(state, "rejected") == 0)
		return "rejeté";
	return state;
}

/* One row; meta: the administrator's scope (no sender, no subject, no
 * reading). */
static void
list_row(struct req *q, const struct quarantine_row *r, int meta)
{
	struct buf *b = &q->r.body;
	char *from = NULL, *subject = NULL, err[512];

	if (meta)
		buf_printf(b, "<tr><th scope=\"row\">n° %lld</th><td>", (long long)r->id);
	else {
		if (desk_quarantine_summary(q->w->in, r, q->a.id, &from, &subject, err,
		    sizeof(err)) < 0)
			fprintf(stderr, "fsrelay web : quarantaine %lld : %s\n", (long long)r->id, err);
		buf_printf(b, "<tr><th scope=\"row\"><a href=\"/quarantaine/%lld\">n° %lld</a></th>"
		    "<td>", (long long)r->id, (long long)r->id);
	}
	h_time(b, r->received_at);
	if (!meta) {
		buf_puts(b, "</td><td>");
		h_esc(b, from && *from ? from : "—");
		buf_puts(b, "</td><td>");
		h_esc(b, subject && *subject ? subject : "—");
	}
	buf_puts(b, "</td><td>");
	h_esc(b, desk_quarantine_reason_label(r->reason));
	buf_puts(b, "</td><td>");
	h_esc(b, state_label(r->state));
	buf_puts(b, "</td><td>");
	if (r->case_hint[0]) {
		buf_puts(b, "<a href=\"/dossiers/");
		h_esc(b, r->case_hint);
		buf_puts(b, "\">");
		h_esc(b, r->case_hint);
		buf_puts(b, "</a>");
	} else
		buf_puts(b, "—");
	buf_puts(b, "</td></tr>\n");
	free(from);
	free(subject);
}

static void
list_page(struct req *q, unsigned status, const char *err)
{
	struct quarantine_row *list = NULL;
	const char *done = req_query(q, "fait");
	struct buf *b;
	char why[512];
	size_t n = 0, i, held = 0;
	enum desk_qscope sc = DESK_Q_NONE;

	if (desk_quarantine_scope(q->w->in, q->a.id, &sc) < 0 ||
	    desk_quarantine_list(q->w->in, q->a.id, &list, &n, why, sizeof(why)) < 0) {
		fprintf(stderr, "fsrelay web : quarantaine : %s\n", why);
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "La quarantaine n'a pas pu être lue. Réessayez dans un instant.");
		return;
	}
	q->r.status = status;
	h_page_begin(q, "Quarantaine");
	b = &q->r.body;
	if (err != NULL)
		h_notice(q, "alert", err);
	else if (done && strcmp(done, "rattacher") == 0)
		h_notice(q, "ok", "Le courriel est rattaché au dossier comme une réponse « à"
		    " vérifier ».");
	else if (done && strcmp(done, "rejeter") == 0)
		h_notice(q, "ok", "Le courriel est rejeté : son contenu est effacé.");
	for (i = 0; i < n; i++)
		held += strcmp(list[i].state, "held") == 0;
	buf_printf(b, "<p role=\"status\">%zu courriel%s à trier.", held, held > 1 ? "s" : "");
	if (sc == DESK_Q_STRUCTURE)
		buf_puts(b, " Ce sont les courriels que le relais n'a pas pu rattacher seul à un"
		    " dossier de votre structure : lisez-les, puis rattachez-les au bon dossier ou"
		    " rejetez-les.</p>\n");
	else if (sc == DESK_Q_NO_CASE)
		buf_puts(b, " Ce sont les courriels reçus qui ne désignent aucun dossier : lisez-les"
		    " (une violation de données peut s'y trouver), puis rejetez-les ; un courriel qui"
		    " désigne un dossier est trié par les agents de sa structure.</p>\n");
	else
		buf_puts(b, " Ce sont les courriels reçus qui ne désignent aucun dossier ; vous en voyez"
		    " les métadonnées seulement (ni expéditeur, ni objet, ni contenu) : le DPO les lit"
		    " et les trie.</p>\n");
	if (n > 0) {
		buf_puts(b, "<table>\n<caption class=\"sr-only\">Courriels en quarantaine</caption>\n"
		    "<thead><tr><th scope=\"col\">Numéro</th><th scope=\"col\">Reçu le</th>");
		if (sc != DESK_Q_NO_CASE_META)
			buf_puts(b, "<th scope=\"col\">Expéditeur</th><th scope=\"col\">Objet</th>");
		buf_puts(b, "<th scope=\"col\">Raison</th><th scope=\"col\">État</th>"
		    "<th scope=\"col\">Dossier désigné</th></tr></thead>\n<tbody>\n");
		for (i = n; i-- > 0;)
			list_row(q, &list[i], sc == DESK_Q_NO_CASE_META);
		buf_puts(b, "</tbody>\n</table>\n");
	}
	h_page_end(q);
	free(list);
}

void
page_quarantine(struct req *q)
{
	list_page(q, MHD_HTTP_OK, NULL);
}

/* The forms of a held mail; err beside the field of the action named. */
static void
triage_forms(struct req *q, const struct quarantine_row *r, const char *which,
    const char *err)
{
	struct buf *b = &q->r.body;
	const char *kept = req_field(q, "dossier");
	enum desk_qscope sc = DESK_Q_NONE;
	int bad = err && strcmp(which, "rattacher") == 0;

	buf_puts(b, "<section aria-labelledby=\"t-tri\"><h2 id=\"t-tri\">Trier ce courriel</h2>\n");
	/* the DPO sees no case: no case to assign it to (desk refuses it too) */
	if (desk_quarantine_scope(q->w->in, q->a.id, &sc) == 0 && sc == DESK_Q_NO_CASE) {
		if (bad)
			h_notice(q, "alert", err);
		goto reject;
	}
	buf_printf(b, "<form method=\"post\" action=\"/quarantaine/%lld/rattacher\" class=\"form\">"
	    "<fieldset><legend>Rattacher à un dossier</legend>", (long long)r->id);
	h_csrf(q);
	buf_puts(b, "<div class=\"field\"><label for=\"dossier\">Référence du dossier</label>"
	    "<p class=\"hint\" id=\"aide-dossier\">Le courriel devient une réponse du dossier,"
	    " marquée « à vérifier ». Référence de la forme FS-92032-2026-000123.</p>");
	if (bad) {
		buf_puts(b, "<p class=\"field-error\" id=\"erreur-dossier\" role=\"alert\">");
		h_esc(b, err);
		buf_puts(b, "</p>");
	}
	buf_printf(b, "<input type=\"text\" id=\"dossier\" name=\"dossier\" required"
	    " aria-describedby=\"aide-dossier%s\"%s value=\"", bad ? " erreur-dossier" : "",
	    bad ? " aria-invalid=\"true\"" : "");
	h_esc(b, kept ? kept : r->case_hint);
	buf_puts(b, "\"></div><button type=\"submit\">Rattacher</button></fieldset></form>\n");
reject:
	buf_printf(b, "<form method=\"post\" action=\"/quarantaine/%lld/rejeter\" class=\"form\">"
	    "<fieldset><legend>Rejeter</legend>", (long long)r->id);
	h_csrf(q);
	buf_puts(b, "<p class=\"hint\">Le contenu du courriel est effacé ; restent le numéro, la"
	    " raison et les dates.</p>");
	if (err && strcmp(which, "rejeter") == 0) {
		buf_puts(b, "<p class=\"field-error\" role=\"alert\">");
		h_esc(b, err);
		buf_puts(b, "</p>");
	}
	buf_puts(b, "<button type=\"submit\" class=\"danger\">Rejeter le courriel</button>"
	    "</fieldset></form></section>\n");
}

/* GET /quarantaine/ID: the mail decrypted (the reading audited). */
static void
mail_page(struct req *q, const char *id, unsigned status, const char *which, const char *err)
{
	struct quarantine_row r;
	struct parsed_mail m;
	char e[1024], title[64];
	struct buf *b;
	size_t i;

	if (desk_quarantine_read(q->w->in, id, q->a.id, &r, &m, e, sizeof(e)) < 0) {
		mime_free(&m);
		not_found(q);
		return;
	}
	q->r.status = status;
	snprintf(title, sizeof(title), "Courriel en quarantaine n° %lld", (long long)r.id);
	h_page_begin(q, title);
	b = &q->r.body;
	buf_puts(b, "<p><a href=\"/quarantaine\">Retour à la quarantaine</a></p>\n"
	    "<dl class=\"facts\"><dt>Reçu le</dt><dd>");
	h_time(b, r.received_at);
	buf_puts(b, "</dd><dt>Raison</dt><dd>");
	h_esc(b, desk_quarantine_reason_label(r.reason));
	buf_puts(b, "</dd><dt>État</dt><dd>");
	h_esc(b, state_label(r.state));
	buf_puts(b, "</dd><dt>Dossier désigné par ses clés</dt><dd>");
	h_esc(b, r.case_hint[0] ? r.case_hint : "—");
	buf_puts(b, "</dd><dt>De</dt><dd>");
	h_esc(b, m.from);
	buf_puts(b, "</dd><dt>Objet</dt><dd>");
	h_esc(b, m.subject);
	buf_puts(b, "</dd></dl>\n<h2>Texte</h2>\n<pre>");
	h_esc(b, m.text);
	buf_puts(b, "</pre>\n");
	if (m.n_att > 0) {
		buf_puts(b, "<h2>Pièces jointes</h2><ul>");
		for (i = 0; i < m.n_att; i++) {
			buf_puts(b, "<li>");
			h_esc(b, m.att[i].name);
			buf_printf(b, " (%zu octets)</li>", m.att[i].len);
		}
		buf_puts(b, "</ul>\n");
	}
	if (strcmp(r.state, "held") == 0)
		triage_forms(q, &r, which ? which : "", err);
	h_page_end(q);
	mime_free(&m);
}

/* The confirmation of an assign or a reject. */
static void
confirm(struct req *q, const struct quarantine_row *r, const char *which)
{
	const char *ref = req_field(q, "dossier");
	struct buf *b;
	char title[80];
	int assign = strcmp(which, "rattacher") == 0;

	snprintf(title, sizeof(title), "Confirmer : %s le courriel n° %lld",
	    assign ? "rattacher" : "rejeter", (long long)r->id);
	h_page_begin(q, title);
	b = &q->r.body;
	buf_printf(b, "<form method=\"post\" action=\"/quarantaine/%lld/%s\" class=\"form\">",
	    (long long)r->id, which);
	h_csrf(q);
	buf_puts(b, "<input type=\"hidden\" name=\"confirme\" value=\"1\">");
	if (assign) {
		buf_puts(b, "<input type=\"hidden\" name=\"dossier\" value=\"");
		h_esc(b, ref);
		buf_puts(b, "\"><p class=\"notice\" role=\"status\">Rattacher ce courriel au dossier ");
		h_esc(b, ref);
		buf_puts(b, " comme une réponse « à vérifier » ?</p>");
	} else
		buf_puts(b, "<p class=\"notice\" role=\"status\">Rejeter ce courriel ? Son contenu"
		    " sera effacé et ne pourra plus être lu.</p>");
	buf_printf(b, "<p class=\"inline\"><button type=\"submit\"%s>%s</button> <a"
	    " href=\"/quarantaine/%lld\">Ne rien faire et revenir au courriel</a></p></form>\n",
	    assign ? "" : " class=\"danger\"", assign ? "Rattacher" : "Rejeter le courriel",
	    (long long)r->id);
	h_page_end(q);
}

static void
post_triage(struct req *q, const char *id, const char *which)
{
	struct quarantine_row r;
	const char *confirmed = req_field(q, "confirme"), *ref = req_field(q, "dossier");
	char err[1024], loc[64];
	int rc;

	enum desk_qscope sc = DESK_Q_NONE;

	/* the administrator decides nothing on a mail (metadata only) */
	if (desk_quarantine_get(q->w->in, id, q->a.id, &r, err, sizeof(err)) < 0 ||
	    desk_quarantine_scope(q->w->in, q->a.id, &sc) < 0 || sc == DESK_Q_NO_CASE_META) {
		not_found(q);
		return;
	}
	if (confirmed == NULL || strcmp(confirmed, "1") != 0) {
		confirm(q, &r, which);
		return;
	}
	if (strcmp(which, "rattacher") == 0)
		rc = desk_quarantine_assign(q->w->in, id, ref ? ref : "", q->a.id, err,
		    sizeof(err));
	else
		rc = desk_quarantine_reject(q->w->in, id, q->a.id, err, sizeof(err));
	if (rc < 0) {
		if (err[0] >= 'a' && err[0] <= 'z')
			err[0] = (char)(err[0] - 'a' + 'A');
		/* no longer held (decided meanwhile): no form to show it beside */
		if (strcmp(r.state, "held") != 0)
			list_page(q, MHD_HTTP_BAD_REQUEST, err);
		else
			mail_page(q, id, MHD_HTTP_BAD_REQUEST, which, err);
		return;
	}
	snprintf(loc, sizeof(loc), "/quarantaine?fait=%s", which);
	resp_redirect(q, loc);
}

void
route_quarantine(struct req *q, const char *rest, int post)
{
	char id[24];
	const char *slash;

	if (*rest == '\0' && !post) {
		page_quarantine(q);
		return;
	}
	if (*rest != '/') {
		not_found(q);
		return;
	}
	rest++;
	slash = strchr(rest, '/');
	if ((slash ? (size_t)(slash - rest) : strlen(rest)) >= sizeof(id)) {
		not_found(q);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(slash ? slash - rest : (long)strlen(rest)), rest);
	if (!post && slash == NULL)
		mail_page(q, id, MHD_HTTP_OK, NULL, NULL);
	else if (post && slash && (strcmp(slash + 1, "rattacher") == 0 ||
	    strcmp(slash + 1, "rejeter") == 0))
		post_triage(q, id, slash + 1);
	else
		not_found(q);
}
