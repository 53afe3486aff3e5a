/*
 * pages_cases - « Mes dossiers » (GET /dossiers): the cases the agent
 * entered, most urgent first (tick_sort_by_urgency), with state, partner,
 * topic, the referent's and the person's deadlines and their badges (en
 * retard: tick_case_overdue, bientôt dû: tick_case_due_soon), filters by
 * state and overdue (desk_list_page: the filters of `fsrelay cases`, only
 * the page's rows read), 50 per page.  Metadata only: nothing sealed is
 * opened, so no person's name appears here (the reference names a case).
 */
#include "adapters/http/http_int.h"
#include "relay/case.h"
#include "relay/desk.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "relay/tick.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_ROWS	50

static void
deadline(struct buf *b, const struct case_row *c, int64_t due, int running, int64_t now)
{
	h_time(b, due);
	if (!running || due <= 0)
		return;
	if (tick_case_overdue(c->state, c->overdue, c->due_at, now))
		buf_puts(b, " <span class=\"badge late\">en retard</span>");
	else if (tick_case_due_soon(c, now))
		buf_puts(b, " <span class=\"badge soon\">bientôt dû</span>");
}

static void
filters(struct buf *b, const char *state, int late)
{
	size_t i;

	buf_puts(b, "<form method=\"get\" action=\"/dossiers\" class=\"inline\">"
	    "<label for=\"etat\">État</label><select id=\"etat\" name=\"etat\">"
	    "<option value=\"\">tous</option>");
	for (i = 0; i < CASE_STATE_COUNT; i++)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>", case_state_name(i),
		    state && strcmp(state, case_state_name(i)) == 0 ? " selected" : "",
		    desk_state_label(case_state_name(i)));
	buf_printf(b, "</select><input type=\"checkbox\" id=\"retard\" name=\"retard\" value=\"1\"%s>"
	    "<label for=\"retard\">En retard seulement</label>"
	    "<button type=\"submit\">Filtrer</button></form>\n", late ? " checked" : "");
}

void
page_cases(struct req *q)
{
	struct case_row *list = NULL;
	const struct directory *dir;
	struct buf *b;
	const char *state = req_query(q, "etat"), *late_s = req_query(q, "retard");
	const char *page_s = req_query(q, "page");
	struct desk_filter f;
	enum case_state st;
	char err[512], derr[512];
	size_t n = 0, i, shown = 0, first;	/* n: all that pass; shown: this page */
	long page = 1;
	int late = late_s != NULL && strcmp(late_s, "1") == 0;

	if (state != NULL && *state == '\0')
		state = NULL;
	if ((state != NULL && case_state_parse(state, &st) < 0) ||
	    (page_s != NULL && fs_parse_long(page_s, 1, 1000000, &page) < 0)) {
		refuse(q, MHD_HTTP_BAD_REQUEST, "Filtre invalide",
		    "Ce filtre n'existe pas : choisissez l'état dans la liste.");
		return;
	}
	if ((dir = instance_directory(q->w->in, derr, sizeof(derr))) == NULL) {
		fprintf(stderr, "fsrelay web : dossiers : annuaire : %s\n", derr);
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "La liste n'a pas pu être lue. Réessayez dans un instant.");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.agent = q->a.id;
	f.state = state;
	f.overdue = late;
	/* only the page is read (desk_list_page): 10,000 cases cost an index */
	first = (size_t)(page - 1) * PAGE_ROWS;
	if (desk_list_page(q->w->in, &f, first, PAGE_ROWS, &list, &shown, &n, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fsrelay web : dossiers : %s\n", err);
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "La liste n'a pas pu être lue. Réessayez dans un instant.");
		return;
	}

	h_page_begin(q, "Mes dossiers");
	b = &q->r.body;
	filters(b, state, late);
	buf_printf(b, "<p role=\"status\">%zu dossier%s", n, n > 1 ? "s" : "");
	if (n > PAGE_ROWS)
		buf_printf(b, " — page %ld sur %zu", page, (n + PAGE_ROWS - 1) / PAGE_ROWS);
	buf_puts(b, ", les plus urgents d'abord.</p>\n");
	if (n > 0) {
		buf_puts(b, "<table>\n<caption class=\"sr-only\">Mes dossiers</caption>\n<thead><tr>"
		    "<th scope=\"col\">Référence</th><th scope=\"col\">État</th>"
		    "<th scope=\"col\">Partenaire</th><th scope=\"col\">Motif</th>"
		    "<th scope=\"col\">Réponse du référent attendue le</th>"
		    "<th scope=\"col\">Réponse à l'usager due le</th>"
		    "<th scope=\"col\">Créé le</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < shown; i++) {
			const struct case_row *c = &list[i];
			const struct dir_topic *t = directory_find_topic(dir, c->partner, c->topic);

			buf_printf(b, "<tr><th scope=\"row\"><a href=\"/dossiers/%s\">", c->ref);
			h_esc(b, c->ref);
			buf_puts(b, "</a></th><td>");
			h_esc(b, desk_state_label(c->state));
			buf_puts(b, "</td><td>");
			h_esc(b, directory_partner_label(dir, c->partner));
			buf_puts(b, "</td><td>");
			h_esc(b, t ? t->label : c->topic);
			buf_puts(b, "</td><td>");
			deadline(b, c, c->due_at, case_state_of(c->state) == CASE_AWAITING, q->now);
			buf_puts(b, "</td><td>");
			deadline(b, c, c->user_due_at, case_state_of(c->state) == CASE_WAITING_USER, q->now);
			buf_puts(b, "</td><td>");
			h_time(b, c->created_at);
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	if (n > PAGE_ROWS) {
		buf_puts(b, "<nav aria-label=\"Pages de la liste\"><ul class=\"pages\">");
		if (page > 1)
			buf_printf(b, "<li><a href=\"/dossiers?page=%ld%s%s%s\">Page précédente</a></li>",
			    page - 1, state ? "&amp;etat=" : "", state ? state : "",
			    late ? "&amp;retard=1" : "");
		if (first + PAGE_ROWS < n)
			buf_printf(b, "<li><a href=\"/dossiers?page=%ld%s%s%s\">Page suivante</a></li>",
			    page + 1, state ? "&amp;etat=" : "", state ? state : "",
			    late ? "&amp;retard=1" : "");
		buf_puts(b, "</ul></nav>\n");
	}
	h_page_end(q);
	free(list);
}
