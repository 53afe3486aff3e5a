/*
 * pages - the HTML pages of the web desk.  Each page reads through the
 * core and writes escaped values only; forms work without JavaScript;
 * every input has its label, every error is tied to its field
 * (aria-describedby) and announced (role="alert").
 */
#include "adapters/http/http_int.h"

#include <string.h>

void
page_login(struct req *q, const char *csrf, const char *id, const char *error,
    unsigned status)
{
	struct buf *b;

	q->r.status = status;
	h_page_begin(q, "Connexion");
	b = &q->r.body;
	if (error != NULL)
		buf_puts(b, "<p class=\"alert\" role=\"alert\" id=\"erreur-connexion\">"), h_esc(b, error),
		    buf_puts(b, "</p>\n");
	buf_puts(b, "<form method=\"post\" action=\"/connexion\" class=\"form narrow\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"");
	h_esc(b, csrf);
	buf_puts(b, "\">\n<div class=\"field\"><label for=\"identifiant\">Identifiant</label>\n"
	    "<input id=\"identifiant\" name=\"identifiant\" type=\"text\" required"
	    " autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"64\"");
	if (error != NULL)
		buf_puts(b, " aria-invalid=\"true\" aria-describedby=\"erreur-connexion\"");
	buf_puts(b, " value=\"");
	h_esc(b, id);
	buf_puts(b, "\"></div>\n<div class=\"field\"><label for=\"mot_de_passe\">Mot de passe</label>\n"
	    "<input id=\"mot_de_passe\" name=\"mot_de_passe\" type=\"password\" required"
	    " autocomplete=\"current-password\" maxlength=\"1024\"");
	if (error != NULL)
		buf_puts(b, " aria-invalid=\"true\" aria-describedby=\"erreur-connexion\"");
	buf_puts(b, "></div>\n<p><button type=\"submit\">Se connecter</button></p>\n</form>\n"
	    "<p class=\"hint\">Mot de passe oublié ou compte bloqué : adressez-vous à"
	    " l'administrateur du guichet de votre structure.</p>\n");
	h_page_end(q);
}

void
page_home(struct req *q)
{
	struct buf *b;

	h_page_begin(q, "Accueil");
	b = &q->r.body;
	buf_puts(b, "<p>Bonjour ");
	h_esc(b, q->a.name);
	buf_puts(b, ". Rôle : ");
	h_esc(b, account_role_label(q->a.role));
	if (q->a.structure[0]) {
		buf_puts(b, ", structure <strong>");
		h_esc(b, q->a.structure);
		buf_puts(b, "</strong>");
	}
	buf_puts(b, ".</p>\n");
	h_menu_links(q);
	h_page_end(q);
}
