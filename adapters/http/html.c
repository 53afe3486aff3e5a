/*
 * html - the frame of every page (French, one <h1>, a skip link, the
 * navigation of the user's role, the logout form) and the escaping of
 * every value written into a page or a JSON document.
 */
#include "adapters/http/http_int.h"
#include "relay/sanitize.h"

#include <microhttpd.h>
#include <string.h>

void
h_esc(struct buf *b, const char *s)
{
	const char *p, *run;
	struct buf t;

	if (s == NULL)
		return;
	buf_init(&t, strlen(s) * 8 + 1);
	(void)san_append(&t, s, strlen(s), SAN_LINES);
	s = run = t.p ? t.p : "";
	for (p = s; *p; p++) {
		const char *rep = NULL;

		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (rep != NULL) {
			buf_append(b, run, (size_t)(p - run));
			buf_puts(b, rep);
			run = p + 1;
		}
	}
	buf_append(b, run, (size_t)(p - run));
	buf_free(&t);
}

void
h_csrf(struct req *q)
{
	buf_puts(&q->r.body, "<input type=\"hidden\" name=\"csrf\" value=\"");
	h_esc(&q->r.body, q->s.csrf);
	buf_puts(&q->r.body, "\">");
}

/* The links of a role: only pages that role may open. */
static void
nav(struct req *q)
{
	struct buf *b = &q->r.body;

	buf_puts(b, "<nav aria-label=\"Menu principal\"><ul>"
	    "<li><a href=\"/\">Accueil</a></li>");
	buf_puts(b, "</ul></nav>");
}

void
h_page_begin(struct req *q, const char *title)
{
	struct buf *b = &q->r.body;

	b->len = 0;
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	h_esc(b, title);
	buf_puts(b, " — fsrelay</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
	    "</head>\n<body>\n<a class=\"skip\" href=\"#contenu\">Aller au contenu</a>\n"
	    "<header><p class=\"brand\"><a href=\"/\">fsrelay</a> <span>guichet France"
	    " Services</span></p>");
	if (q->logged) {
		nav(q);
		buf_puts(b, "<div class=\"who\"><p>");
		h_esc(b, q->a.name);
		buf_puts(b, " <span class=\"role\">(");
		h_esc(b, account_role_label(q->a.role));
		buf_puts(b, ")</span></p><form method=\"post\" action=\"/deconnexion\">");
		h_csrf(q);
		buf_puts(b, "<button type=\"submit\" class=\"link\">Se déconnecter</button></form></div>");
	}
	buf_puts(b, "</header>\n<main id=\"contenu\" tabindex=\"-1\">\n<h1>");
	h_esc(b, title);
	buf_puts(b, "</h1>\n");
}

void
h_page_end(struct req *q)
{
	buf_puts(&q->r.body, "</main>\n<footer><p>fsrelay — relais sécurisé des dossiers France"
	    " Services vers les référents des partenaires.</p></footer>\n</body>\n</html>\n");
	if (q->r.status == 0)
		q->r.status = MHD_HTTP_OK;
}

void
h_error(struct req *q, unsigned status, const char *title, const char *msg)
{
	q->r.status = status;
	h_page_begin(q, title);
	buf_puts(&q->r.body, "<p class=\"alert\" role=\"alert\">");
	h_esc(&q->r.body, msg);
	buf_puts(&q->r.body, "</p>\n<p><a href=\"/\">Retour à l'accueil</a></p>\n");
	h_page_end(q);
}
