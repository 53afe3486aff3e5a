/*
 * pages_directory - the administrator's directory (GET /annuaire): the
 * coverage of the directory (`referents check` as a page), the referents
 * of each partner with the state of their key, and pinning a referent's
 * key (POST /annuaire: a confirmation showing the fingerprint to compare
 * out of band, then admin_key_pin_by).  The rules (who may, a known
 * address, a valid age key, a compromised key refused, the audit event)
 * are relay/admin.c's; this file reads fields and writes HTML.  Metadata
 * only: no case, no phone number.
 */
#include "adapters/http/http_int.h"
#include "relay/admin.h"
#include "relay/directory.h"
#include "relay/enrol.h"
#include "relay/instance.h"
#include "relay/port/store_directory.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The French name of a directory role (the CSV spells them in English). */
static const char *
role_label(enum dir_role r)
{
	switch (r) {
	case DIR_ROLE_PRIMARY:		return "titulaire";
	case DIR_ROLE_SECONDARY:	return "suppléant";
	case DIR_ROLE_ESCALATION:	return "recours";
	case DIR_ROLE_FUNCTIONAL:	return "boîte fonctionnelle";
	case DIR_ROLE_CONTACT:		return "contact";
	case DIR_ROLE_URGENT_PHONE:	return "téléphone d'urgence";
	}
	return "?";
}

/* One line of the coverage report: its French kind and its text. */
static void
coverage_line(struct buf *b, const char *line, size_t len)
{
	static const struct { const char *tag, *label, *cls; } kinds[] = {
		{ "GAP ", "Lacune", "late" },
		{ "WARN ", "Avertissement", "soon" },
		{ "INFO ", "Information", "fine" },
	};
	size_t i, n;
	char *text = xmalloc(len + 1);

	memcpy(text, line, len);
	text[len] = '\0';
	buf_puts(b, "<li>");
	for (i = 0; i < FS_ARRAY_LEN(kinds); i++) {
		n = strlen(kinds[i].tag);
		if (len >= n && strncmp(text, kinds[i].tag, n) == 0) {
			buf_printf(b, "<span class=\"badge %s\">%s</span> ", kinds[i].cls,
			    kinds[i].label);
			h_esc(b, text + n);
			break;
		}
	}
	if (i == FS_ARRAY_LEN(kinds))
		h_esc(b, text);
	buf_puts(b, "</li>\n");
	free(text);
}

static void
coverage(struct req *q)
{
	struct buf *b = &q->r.body, report;
	struct dir_coverage_counts c = { 0, 0, 0 };
	const char *p, *e;
	char err[512];
	int gaps;

	buf_init(&report, 4 * 1024 * 1024);
	buf_puts(b, "<section aria-labelledby=\"titre-couverture\">\n<h2 id=\"titre-couverture\">"
	    "Couverture de l'annuaire</h2>\n");
	gaps = admin_directory_check(q->w->in, &q->a, &report, &c, err, sizeof(err));
	if (gaps < 0)
		h_notice(q, "alert", "La couverture de l'annuaire n'a pas pu être vérifiée.");
	else {
		buf_printf(b, "<p class=\"%s\" role=\"status\">%zu lacune%s (un dossier serait refusé),"
		    " %zu avertissement%s.</p>\n", gaps ? "alert" : "ok", c.gaps,
		    c.gaps > 1 ? "s" : "", c.warnings, c.warnings > 1 ? "s" : "");
		if (report.len > 0) {
			buf_printf(b, "<details><summary>Le détail des constats (%zu)</summary>\n"
			    "<ul class=\"coverage\">\n", c.gaps + c.warnings + c.infos);
			for (p = report.p; p < report.p + report.len; p = e + 1) {
				e = memchr(p, '\n', (size_t)(report.p + report.len - p));
				if (e == NULL)
					e = report.p + report.len;
				if (e > p)
					coverage_line(b, p, (size_t)(e - p));
			}
			buf_puts(b, "</ul>\n</details>\n");
		}
	}
	buf_puts(b, "</section>\n");
	buf_free(&report);
}

/* The state of a key, in a table cell. */
static void
key_cell(struct buf *b, const struct admin_referent *r)
{
	if (r->e->email_lc[0] == '\0') {
		buf_puts(b, "—");
		return;
	}
	if (!r->pinned) {
		buf_puts(b, "<span class=\"badge late\">aucune clé</span>");
		return;
	}
	if (r->k->compromised_at != 0)
		buf_puts(b, "<span class=\"badge late\">compromise</span> ");
	buf_puts(b, "<code>");
	h_esc(b, r->k->fingerprint);
	buf_puts(b, "</code><br><span class=\"hint\">vérifiée par ");
	h_esc(b, r->k->verified_by);
	buf_puts(b, ", ");
	h_time(b, r->k->pinned_at);
	buf_puts(b, "</span>");
}

/* An enrolment under way (referents invite): its state and, for a key
 * received, what to read back on the phone and the key to pin. */
static void
enrolment_cell(struct buf *b, const struct invitation_row *inv)
{
	char phone[ENROL_PHONE_LEN + 1];

	buf_puts(b, "<br><span class=\"badge soon\">inscription</span> ");
	h_esc(b, enrol_state_label(inv->state));
	if (strcmp(inv->state, INVITATION_RECEIVED) != 0)
		return;
	enrol_phone_form(inv->fingerprint, phone);
	buf_puts(b, "<br>Empreinte à lire au téléphone : <strong class=\"phone\">");
	h_esc(b, phone);
	buf_puts(b, "</strong><br><span class=\"hint\">clé reçue par courriel, jamais utilisée"
	    " avant votre vérification : </span><code>");
	h_esc(b, inv->recipient);
	buf_puts(b, "</code>");
}

/* The referents of each partner, in the directory's order. */
static void
referents_tables(struct req *q, const struct admin_referents *rs)
{
	struct buf *b = &q->r.body;
	const struct directory *dir;
	char err[512];
	size_t i, j;
	int seen;

	if ((dir = instance_directory(q->w->in, err, sizeof(err))) == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		const char *partner = rs->v[i].e->partner;

		for (seen = 0, j = 0; j < i && !seen; j++)
			seen = strcmp(rs->v[j].e->partner, partner) == 0;
		if (seen)
			continue;
		buf_printf(b, "<section aria-labelledby=\"partenaire-%zu\">\n<h2 id=\"partenaire-%zu\">",
		    i, i);
		h_esc(b, directory_partner_label(dir, partner));
		buf_puts(b, "</h2>\n<table>\n<caption class=\"sr-only\">Référents de ");
		h_esc(b, directory_partner_label(dir, partner));
		buf_puts(b, "</caption>\n<thead><tr><th scope=\"col\">Structure</th>"
		    "<th scope=\"col\">Motif</th><th scope=\"col\">Rôle</th>"
		    "<th scope=\"col\">Nom</th><th scope=\"col\">Adresse</th>"
		    "<th scope=\"col\">Clé (empreinte)</th></tr></thead>\n<tbody>\n");
		for (j = i; j < rs->n; j++) {
			const struct admin_referent *r = &rs->v[j];
			const struct dir_structure *s;
			const struct dir_topic *t;

			if (strcmp(r->e->partner, partner) != 0)
				continue;
			s = strcmp(r->e->structure, "*") ? directory_find_structure(dir,
			    r->e->structure) : NULL;
			t = strcmp(r->e->topic, "*") ? directory_find_topic(dir, partner,
			    r->e->topic) : NULL;
			buf_puts(b, "<tr><td>");
			h_esc(b, strcmp(r->e->structure, "*") == 0 ? "toutes" :
			    s && s->name[0] ? s->name : r->e->structure);
			buf_puts(b, "</td><td>");
			h_esc(b, strcmp(r->e->topic, "*") == 0 ? "tous" :
			    t && t->label[0] ? t->label : r->e->topic);
			buf_printf(b, "</td><td>%s</td><td>", role_label(r->e->role));
			h_esc(b, r->e->name);
			buf_puts(b, "</td><td>");
			h_esc(b, r->e->email[0] ? r->e->email : "—");
			buf_puts(b, "</td><td>");
			key_cell(b, r);
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody>\n</table>\n</section>\n");
	}
}

/* The pin form of one address: fields kept, a refusal beside its field
 * (field "cle" or "verifie_par"; NULL: none). */
static void
pin_form(struct req *q, const char *address, size_t n, const char *cle, const char *by,
    const char *bad, const char *msg)
{
	struct buf *b = &q->r.body;
	int bc = bad && strcmp(bad, "cle") == 0, bv = bad && strcmp(bad, "verifie_par") == 0;

	buf_puts(b, "<form method=\"post\" action=\"/annuaire\" class=\"form\">");
	h_csrf(q);
	buf_puts(b, "<input type=\"hidden\" name=\"action\" value=\"epingler\">"
	    "<input type=\"hidden\" name=\"adresse\" value=\"");
	h_esc(b, address);
	buf_printf(b, "\"><div class=\"field\"><label for=\"cle-%zu\">Clé publique age"
	    "<span class=\"sr-only\"> de ", n);
	h_esc(b, address);
	buf_printf(b, "</span></label><p class=\"hint\" id=\"aide-cle-%zu\">Commence par age1 ;"
	    " transmise par le référent (jamais apprise d'un courriel reçu).</p>"
	    "<input id=\"cle-%zu\" name=\"cle\" type=\"text\" required spellcheck=\"false\""
	    " autocomplete=\"off\" maxlength=\"127\" aria-describedby=\"aide-cle-%zu%s\"%s value=\"",
	    n, n, n, bc ? " erreur-cle" : "", bc ? " aria-invalid=\"true\"" : "");
	h_esc(b, cle ? cle : "");
	buf_puts(b, "\">");
	if (bc) {
		buf_puts(b, "<p class=\"field-error\" id=\"erreur-cle\" role=\"alert\">");
		h_esc(b, msg);
		buf_puts(b, "</p>");
	}
	buf_printf(b, "</div><div class=\"field\"><label for=\"par-%zu\">Empreinte vérifiée par"
	    "</label><p class=\"hint\" id=\"aide-par-%zu\">Qui a comparé l'empreinte avec le"
	    " référent, et comment (téléphone, en main propre).</p><input id=\"par-%zu\""
	    " name=\"verifie_par\" type=\"text\" required maxlength=\"200\" autocomplete=\"off\""
	    " aria-describedby=\"aide-par-%zu%s\"%s value=\"", n, n, n, n,
	    bv ? " erreur-verifie_par" : "", bv ? " aria-invalid=\"true\"" : "");
	h_esc(b, by ? by : "");
	buf_puts(b, "\">");
	if (bv) {
		buf_puts(b, "<p class=\"field-error\" id=\"erreur-verifie_par\" role=\"alert\">");
		h_esc(b, msg);
		buf_puts(b, "</p>");
	}
	buf_puts(b, "</div><button type=\"submit\">Voir l'empreinte avant d'épingler</button>"
	    "</form>");
}

/* One row per address of the directory: its key and the form to pin one. */
static void
keys_table(struct req *q, const struct admin_referents *rs)
{
	struct buf *b = &q->r.body;
	size_t i, j;
	int seen;

	buf_puts(b, "<section aria-labelledby=\"titre-cles\">\n<h2 id=\"titre-cles\">Clés des"
	    " référents</h2>\n<p class=\"hint\">Une clé s'épingle après avoir comparé son empreinte"
	    " avec le référent hors courriel. Remplacer une clé est inscrit au journal d'audit ;"
	    " une clé déclarée compromise est refusée.</p>\n<table>\n<caption class=\"sr-only\">"
	    "Clés des référents par adresse</caption>\n<thead><tr><th scope=\"col\">Adresse</th>"
	    "<th scope=\"col\">Nom</th><th scope=\"col\">Clé (empreinte)</th>"
	    "<th scope=\"col\">Épingler</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < rs->n; i++) {
		const struct admin_referent *r = &rs->v[i];

		if (r->e->email_lc[0] == '\0')
			continue;
		for (seen = 0, j = 0; j < i && !seen; j++)
			seen = strcmp(rs->v[j].e->email_lc, r->e->email_lc) == 0;
		if (seen)
			continue;
		buf_puts(b, "<tr><td>");
		h_esc(b, r->e->email);
		buf_puts(b, "</td><td>");
		h_esc(b, r->e->name);
		buf_puts(b, "</td><td>");
		key_cell(b, r);
		if (r->enrolment != NULL)
			enrolment_cell(b, r->enrolment);
		buf_puts(b, "</td><td><details><summary>");
		buf_puts(b, r->pinned ? "Remplacer la clé" : "Épingler une clé");
		buf_puts(b, "<span class=\"sr-only\"> de ");
		h_esc(b, r->e->email);
		buf_puts(b, "</span></summary>");
		pin_form(q, r->e->email, i, NULL, NULL, NULL, NULL);
		buf_puts(b, "</details></td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

void
page_directory(struct req *q)
{
	struct admin_referents rs;
	char err[512];

	if (admin_referents(q->w->in, &q->a, &rs, err, sizeof(err)) < 0) {
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "L'annuaire n'a pas pu être lu. Réessayez dans un instant.");
		return;
	}
	q->r.status = MHD_HTTP_OK;
	h_page_begin(q, "Annuaire");
	if (req_query(q, "fait") != NULL && strcmp(req_query(q, "fait"), "epingler") == 0)
		h_notice(q, "ok", "La clé est épinglée ; son empreinte figure dans la liste. Le"
		    " changement est inscrit au journal d'audit.");
	coverage(q);
	keys_table(q, &rs);
	referents_tables(q, &rs);
	h_page_end(q);
	admin_referents_free(&rs);
}

/* Which field a refusal of admin_key_pin_by is about. */
static const char *
pin_field(const char *err)
{
	if (strncmp(err, "vérifiée par", 13) == 0)
		return "verifie_par";
	if (strstr(err, "n'est pas une adresse de l'annuaire") != NULL)
		return NULL;
	return "cle";
}

/* The page of one pin: the form again with a refusal (status 400), or
 * the fingerprint to confirm (200). */
static void
pin_page(struct req *q, unsigned status, const char *address, const char *cle,
    const char *by, const char *fp, const char *err)
{
	struct buf *b = &q->r.body;
	char msg[600];

	q->r.status = status;
	h_page_begin(q, "Épingler une clé");
	buf_puts(b, "<p>Adresse du référent : <strong>");
	h_esc(b, address);
	buf_puts(b, "</strong></p>\n");
	if (err != NULL) {
		fs_strlcpy(msg, err, sizeof(msg));
		if (msg[0] >= 'a' && msg[0] <= 'z')
			msg[0] = (char)(msg[0] - 'a' + 'A');
		if (pin_field(err) == NULL) {
			h_notice(q, "alert", msg);
			buf_puts(b, "<p><a href=\"/annuaire\">Retour à l'annuaire</a></p>\n");
		} else
			pin_form(q, address, 0, cle, by, pin_field(err), msg);
		h_page_end(q);
		return;
	}
	buf_puts(b, "<p>Lisez cette empreinte au référent (téléphone, en main propre) ; elle doit"
	    " être identique à celle que sa clé affiche.</p>\n<p class=\"notice\" role=\"status\">"
	    "Empreinte : <code>");
	h_esc(b, fp);
	buf_puts(b, "</code></p>\n<form method=\"post\" action=\"/annuaire\" class=\"form\">");
	h_csrf(q);
	buf_puts(b, "<input type=\"hidden\" name=\"action\" value=\"epingler\">"
	    "<input type=\"hidden\" name=\"adresse\" value=\"");
	h_esc(b, address);
	buf_puts(b, "\"><input type=\"hidden\" name=\"cle\" value=\"");
	h_esc(b, cle);
	buf_puts(b, "\"><input type=\"hidden\" name=\"verifie_par\" value=\"");
	h_esc(b, by);
	buf_puts(b, "\"><p class=\"confirm\"><input type=\"checkbox\" id=\"confirme\""
	    " name=\"confirme\" value=\"1\" required><label for=\"confirme\">Je confirme que le"
	    " référent a reconnu cette empreinte</label></p>"
	    "<button type=\"submit\">Épingler la clé</button> <a href=\"/annuaire\">Annuler</a>"
	    "</form>\n");
	h_page_end(q);
}

void
post_directory(struct req *q)
{
	const char *action = req_field(q, "action"), *address = req_field(q, "adresse");
	const char *cle = req_field(q, "cle"), *by = req_field(q, "verifie_par");
	const char *conf = req_field(q, "confirme");
	struct pinned_key k;
	char fp[128], err[600];

	if (action == NULL || strcmp(action, "epingler") != 0 || address == NULL) {
		not_found(q);
		return;
	}
	if (cle == NULL)
		cle = "";
	if (by == NULL)
		by = "";
	/* the fingerprint first: what the administrator reads to the referent */
	if (admin_key_fingerprint(cle, fp, sizeof(fp), err, sizeof(err)) < 0) {
		pin_page(q, MHD_HTTP_BAD_REQUEST, address, cle, by, NULL, err);
		return;
	}
	if (conf == NULL || strcmp(conf, "1") != 0) {
		pin_page(q, MHD_HTTP_OK, address, cle, by, fp, NULL);
		return;
	}
	if (admin_key_pin_by(q->w->in, &q->a, address, cle, by, &k, err, sizeof(err)) < 0) {
		pin_page(q, MHD_HTTP_BAD_REQUEST, address, cle, by, NULL, err);
		return;
	}
	resp_redirect(q, "/annuaire?fait=epingler");
}
