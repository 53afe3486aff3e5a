/*
 * pages_report - the structure manager's quarterly report (GET /rapport,
 * ?trimestre=AAAA-TN, the current quarter by default): the table per
 * partner and topic, the SVG chart inline, the CSV download
 * (GET /rapport.csv) and the JSON object (GET /api/v1/rapport).  Always
 * the manager's own structure; the rows come from the core
 * (tick_report, relay/report's writers): numbers per partner and topic,
 * no personal data.
 */
#include "adapters/http/http_int.h"
#include "relay/calendar.h"
#include "relay/report.h"
#include "relay/tick.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum report_format { AS_HTML, AS_CSV, AS_JSON };

/* The period asked (or the current quarter), of the manager's structure.
 * 0 / -1 (the text asked is not a quarter). */
static int
period_of(struct req *q, struct report_period *p, const char **asked)
{
	struct cal_tm tm;
	char now[32];

	*asked = req_query(q, "trimestre");
	if (*asked == NULL || **asked == '\0') {
		if (cal_to_paris(q->now, &tm) < 0)
			return -1;
		snprintf(now, sizeof(now), "%04d-T%d", tm.year, (tm.mon + 2) / 3);
		*asked = NULL;
		if (report_period_parse(p, now) < 0)
			return -1;
	} else if (report_period_parse(p, *asked) < 0)
		return -1;
	fs_strlcpy(p->structure, q->a.structure, sizeof(p->structure));
	return 0;
}

static void
quarter_form(struct req *q, const char *value, const char *error)
{
	struct buf *b = &q->r.body;

	buf_puts(b, "<form method=\"get\" action=\"/rapport\" class=\"inline\">"
	    "<label for=\"trimestre\">Trimestre (AAAA-TN, par exemple 2026-T1)</label>"
	    "<input id=\"trimestre\" name=\"trimestre\" type=\"text\" required maxlength=\"7\""
	    " pattern=\"[0-9]{4}-[Tt][1-4]\" value=\"");
	h_esc(b, value);
	buf_puts(b, "\"");
	if (error != NULL)
		buf_puts(b, " aria-invalid=\"true\" aria-describedby=\"erreur-trimestre\"");
	buf_puts(b, "><button type=\"submit\">Afficher</button></form>\n");
	if (error != NULL) {
		buf_puts(b, "<p class=\"field-error\" id=\"erreur-trimestre\" role=\"alert\">");
		h_esc(b, error);
		buf_puts(b, "</p>\n");
	}
}

static void
cell_label(struct buf *b, const struct report_row *r)
{
	if (r->partner[0] == '\0') {
		buf_puts(b, "<th scope=\"row\" colspan=\"2\">Total</th>");
		return;
	}
	buf_puts(b, r->topic[0] ? "<td>" : "<th scope=\"row\">");
	h_esc(b, r->partner_label);
	buf_puts(b, r->topic[0] ? "</td><td>" : "</th><td><strong>ensemble</strong>");
	if (r->topic[0])
		h_esc(b, r->topic_label);
	buf_puts(b, "</td>");
}

static void
html_report(struct req *q, const struct report_period *p, const struct report_row *rows,
    size_t n)
{
	struct buf *b, svg;
	char title[64], med[64];
	const char *s;
	size_t i;

	snprintf(title, sizeof(title), "Rapport trimestriel %s", p->name);
	h_page_begin(q, title);
	b = &q->r.body;
	quarter_form(q, p->name, NULL);
	buf_puts(b, "<p>Structure <strong>");
	h_esc(b, p->structure);
	buf_puts(b, "</strong>. Délai : du premier envoi à la première réponse d'un référent,"
	    " en temps ouvré du partenaire. Aucune donnée personnelle : des nombres par"
	    " partenaire et motif.</p>\n");
	buf_printf(b, "<p><a href=\"/rapport.csv?trimestre=%s\" download>Télécharger le tableau"
	    " (CSV)</a></p>\n", p->name);
	buf_puts(b, "<table>\n<caption class=\"sr-only\">Dossiers transmis par partenaire et"
	    " motif</caption>\n<thead><tr><th scope=\"col\">Partenaire</th>"
	    "<th scope=\"col\">Motif</th><th scope=\"col\">Transmis</th>"
	    "<th scope=\"col\">Annulés</th><th scope=\"col\">Avec réponse</th>"
	    "<th scope=\"col\">Dans le délai</th><th scope=\"col\">Délai médian</th>"
	    "<th scope=\"col\">Sans réponse</th><th scope=\"col\">En retard</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];

		buf_puts(b, "<tr>");
		cell_label(b, r);
		buf_printf(b, "<td>%ld</td><td>%ld</td><td>%ld</td><td>%ld (%ld %%)</td><td>",
		    r->cases, r->cancelled, r->answered, r->in_time, report_share_in_time(r));
		h_esc(b, report_median_text(r, med, sizeof(med)));
		buf_printf(b, "</td><td>%ld</td><td>%ld</td></tr>\n", r->unanswered, r->overdue);
	}
	buf_puts(b, "</tbody>\n</table>\n");
	/* The chart inline, without its XML declaration, named by its title. */
	buf_init(&svg, 4 * 1024 * 1024);
	(void)report_svg(&svg, p, rows, n);
	s = svg.p ? strstr(svg.p, "<svg ") : NULL;
	if (s != NULL) {
		buf_puts(b, "<figure class=\"chart\"><svg role=\"img\" aria-labelledby=\"graphique\"");
		s += 4;
		/* the <title> becomes the figure's name */
		{
			const char *t = strstr(s, "<title>");

			if (t != NULL) {
				buf_append(b, s, (size_t)(t - s));
				buf_puts(b, "<title id=\"graphique\">");
				buf_puts(b, t + 7);
			} else
				buf_puts(b, s);
		}
		buf_puts(b, "</figure>\n");
	}
	buf_free(&svg);
	h_page_end(q);
}

static void
report(struct req *q, enum report_format f)
{
	struct report_period p;
	struct report_row *rows = NULL;
	const char *asked;
	char err[512];
	size_t n = 0;

	if (period_of(q, &p, &asked) < 0) {
		if (f != AS_HTML) {
			refuse(q, MHD_HTTP_BAD_REQUEST, "Trimestre invalide",
			    "trimestre attendu au format AAAA-TN, N de 1 à 4 (par exemple 2026-T1)");
			return;
		}
		q->r.status = MHD_HTTP_BAD_REQUEST;
		h_page_begin(q, "Rapport trimestriel");
		quarter_form(q, asked ? asked : "", "Trimestre invalide : attendu AAAA-TN, N de 1"
		    " à 4 (par exemple 2026-T1).");
		h_page_end(q);
		return;
	}
	if (tick_report(q->w->in, &p, &rows, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "fsrelay web : rapport : %s\n", err);
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "Le rapport n'a pas pu être calculé (erreur enregistrée dans la sortie du"
		    " serveur).");
		return;
	}
	switch (f) {
	case AS_CSV:
		q->r.status = MHD_HTTP_OK;
		q->r.ctype = "text/csv; charset=utf-8";
		snprintf(q->r.disposition, sizeof(q->r.disposition),
		    "attachment; filename=\"rapport-%s.csv\"", p.name);
		(void)report_csv(&q->r.body, &p, rows, n);
		break;
	case AS_JSON:
		q->r.status = MHD_HTTP_OK;
		q->r.ctype = "application/json";
		(void)report_json(&q->r.body, &p, rows, n);
		break;
	case AS_HTML:
	default:
		html_report(q, &p, rows, n);
		break;
	}
	free(rows);
}

void
page_report(struct req *q)
{
	report(q, AS_HTML);
}

void
page_report_csv(struct req *q)
{
	report(q, AS_CSV);
}

void
api_report(struct req *q)
{
	report(q, AS_JSON);
}
