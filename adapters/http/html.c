/*
 * html - the frame of every page (French, one <h1>, a skip link, the
 * navigation of the user's role, the logout form) and the escaping of
 * every value written into a page or a JSON document.
 */
#include "adapters/http/http_int.h"
#include "relay/sanitize.h"

#include "relay/calendar.h"

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

/* The menu: only the pages the role may open (account_may), the current
 * one marked aria-current. */
static const struct {
	const char	*path;
	const char	*label;
	enum right	 right;
} menu[] = {
	{ "/dossiers", "Mes dossiers", RIGHT_CASES },
	{ "/dossiers/nouveau", "Nouveau dossier", RIGHT_CASES },
	{ "/quarantaine", "Quarantaine", RIGHT_QUARANTINE },
	{ "/rapport", "Rapport trimestriel", RIGHT_REPORT },
	{ "/violations", "Registre des violations", RIGHT_BREACHES },
	{ "/journal", "Journal d'audit", RIGHT_AUDIT },
	{ "/agents", "Agents", RIGHT_ACCOUNTS },
	{ "/annuaire", "Annuaire", RIGHT_DIRECTORY },
};

/* Is menu entry i the page shown: its path or below, and no longer entry
 * ("/dossiers/nouveau" under "/dossiers") matches better. */
static int
menu_current(const struct req *q, size_t i)
{
	size_t n = strlen(menu[i].path), j;

	if (strncmp(q->path, menu[i].path, n) != 0 || (q->path[n] != '\0' && q->path[n] != '/'))
		return 0;
	for (j = 0; j < FS_ARRAY_LEN(menu); j++)
		if (strlen(menu[j].path) > n && strncmp(q->path, menu[j].path,
		    strlen(menu[j].path)) == 0)
			return 0;
	return 1;
}

static void
nav(struct req *q)
{
	struct buf *b = &q->r.body;
	size_t i;

	buf_puts(b, "<nav aria-label=\"Menu principal\"><ul>"
	    "<li><a href=\"/\"");
	if (strcmp(q->path, "/") == 0)
		buf_puts(b, " aria-current=\"page\"");
	buf_puts(b, ">Accueil</a></li>");
	for (i = 0; i < FS_ARRAY_LEN(menu); i++) {
		if (!account_may(&q->a, menu[i].right))
			continue;
		buf_printf(b, "<li><a href=\"%s\"", menu[i].path);
		if (menu_current(q, i))
			buf_puts(b, " aria-current=\"page\"");
		buf_printf(b, ">%s</a></li>", menu[i].label);
	}
	buf_puts(b, "</ul></nav>");
}

void
h_menu_links(struct req *q)
{
	struct buf *b = &q->r.body;
	size_t i, k = 0;

	for (i = 0; i < FS_ARRAY_LEN(menu); i++) {
		if (!account_may(&q->a, menu[i].right))
			continue;
		buf_puts(b, k++ ? "" : "<ul class=\"menu\">");
		buf_printf(b, "<li><a href=\"%s\">%s</a></li>", menu[i].path, menu[i].label);
	}
	if (k)
		buf_puts(b, "</ul>\n");
}

void
h_time(struct buf *b, int64_t t)
{
	struct cal_tm tm;

	if (t <= 0 || cal_to_paris(t, &tm) < 0) {
		buf_puts(b, "—");
		return;
	}
	buf_printf(b, "<time datetime=\"%04d-%02d-%02dT%02d:%02d%s\">%02d/%02d/%04d %02d:%02d</time>",
	    tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.utcoff == 7200 ? "+02:00" : "+01:00",
	    tm.mday, tm.mon, tm.year, tm.hour, tm.min);
}

void
h_duration(struct buf *b, int64_t secs)
{
	int64_t m = (secs < 0 ? -secs : secs) / 60;

	if (m >= 48 * 60)
		buf_printf(b, "%lld j %lld h", (long long)(m / 1440), (long long)(m % 1440 / 60));
	else if (m >= 60)
		buf_printf(b, "%lld h %02lld min", (long long)(m / 60), (long long)(m % 60));
	else
		buf_printf(b, "%lld min", (long long)m);
}

void
h_notice(struct req *q, const char *cls, const char *msg)
{
	buf_printf(&q->r.body, "<p class=\"%s\" role=\"%s\">", cls,
	    strcmp(cls, "alert") == 0 ? "alert" : "status");
	h_esc(&q->r.body, msg);
	buf_puts(&q->r.body, "</p>\n");
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
	    "<script src=\"/static/desk.js\" defer></script>\n"
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
