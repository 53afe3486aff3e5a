/*
 * page_new - « Nouveau dossier » (GET /dossiers/nouveau, POST /dossiers):
 * the partner and topic from the directory of the agent's structure (one
 * that cannot be routed there says so before the form is sent:
 * desk_routable), the person's fields, the mandate's date and optional
 * scan, the request date, the description and the pieces; the form is
 * multipart, read by libmicrohttpd's post processor within WEB_BODY_MAX
 * (server.c).  Every check is desk_escalate's (as `fsrelay escalate`): its
 * refusal is shown beside the field it names; success goes to the new
 * case's page.  The same POST answers JSON under /api/v1/dossiers.
 */
#include "adapters/http/http_int.h"
#include "relay/case.h"
#include "relay/desk.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "relay/json.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The form's fields: name, label, hint, input type, required. */
static const struct nfield {
	const char	*name;
	const char	*label;
	const char	*hint;
	const char	*type;		/* text, date, textarea, file */
	int		 required;
} fields[] = {
	{ "nom", "Nom de l'usager", NULL, "text", 1 },
	{ "prenom", "Prénom de l'usager", NULL, "text", 1 },
	{ "ne_le", "Date de naissance (facultative)", NULL, "date", 0 },
	{ "id_partenaire", "Identifiant chez le partenaire (facultatif)",
	    "Numéro d'allocataire, identifiant France Travail… Le numéro de sécurité sociale"
	    " n'est accepté que pour les partenaires qui l'utilisent.", "text", 0 },
	{ "sollicite_le", "Date de la demande de l'usager (facultative)",
	    "Sans date : aujourd'hui.", "date", 0 },
	{ "mandat_signe_le", "Date de signature du mandat", "Le mandat est valable un an.",
	    "date", 1 },
	{ "mandat", "Copie signée du mandat (facultative)",
	    "Seule son empreinte est conservée, pas le fichier.", "file", 0 },
	{ "description", "Description de la situation",
	    "Ce qui bloque, depuis quand, ce qui a déjà été tenté.", "textarea", 1 },
	{ "pieces", "Pièces jointes (facultatives)", NULL, "file", 0 },
};

/* A refusal of the core tied to the field it names (its CLI flag or its
 * word), the prefix removed for the page. */
struct ferr {
	const char	*field;		/* NULL: the form as a whole */
	char		 msg[1024];
};

static void
ferr_take(struct ferr *e, const char *err)
{
	static const struct { const char *prefix, *field; int cut; } map[] = {
		{ "--nom : ", "nom", 1 }, { "--prenom : ", "prenom", 1 },
		{ "--ne-le : ", "ne_le", 1 }, { "--id-partenaire : ", "id_partenaire", 1 },
		{ "--sollicite-le : ", "sollicite_le", 1 },
		{ "--mandat-signe-le : ", "mandat_signe_le", 1 },
		{ "mandat signé le", "mandat_signe_le", 0 }, { "mandat", "mandat", 0 },
		{ "description : ", "description", 1 }, { "--piece", "pieces", 0 },
		{ "pièce", "pieces", 0 }, { "trop de pièces", "pieces", 0 },
		{ "--partner : ", "partenaire_motif", 1 }, { "--topic : ", "partenaire_motif", 1 },
		{ "partenaire inconnu", "partenaire_motif", 0 },
	};
	size_t i, n;

	e->field = NULL;
	fs_strlcpy(e->msg, err, sizeof(e->msg));
	for (i = 0; i < FS_ARRAY_LEN(map); i++) {
		n = strlen(map[i].prefix);
		if (strncmp(err, map[i].prefix, n) != 0)
			continue;
		e->field = map[i].field;
		if (map[i].cut)
			fs_strlcpy(e->msg, err + n, sizeof(e->msg));
		break;
	}
	/* the routing's refusals name the partner: the choice of topic */
	if (e->field == NULL && (strstr(err, "aucun référent") || strstr(err, "clé")))
		e->field = "partenaire_motif";
	if (e->msg[0] >= 'a' && e->msg[0] <= 'z')
		e->msg[0] = (char)(e->msg[0] - 'a' + 'A');
}

static void
field_error(struct buf *b, const struct ferr *e, const char *name)
{
	if (e == NULL || e->field == NULL || strcmp(e->field, name) != 0)
		return;
	buf_printf(b, "<p class=\"field-error\" id=\"erreur-%s\" role=\"alert\">", name);
	h_esc(b, e->msg);
	buf_puts(b, "</p>");
}

/* aria-describedby of a field: its hint, its error. */
static void
described(struct buf *b, const struct ferr *e, const char *name, int hint)
{
	int bad = e && e->field && strcmp(e->field, name) == 0;

	if (!hint && !bad)
		return;
	buf_printf(b, " aria-describedby=\"%s%s%s%s%s\"%s", hint ? "aide-" : "", hint ? name : "",
	    hint && bad ? " " : "", bad ? "erreur-" : "", bad ? name : "",
	    bad ? " aria-invalid=\"true\"" : "");
}

/* The partner and topic: one <select>, a group per partner; a pair the
 * structure cannot reach is disabled, and said in the list above. */
static void
choose_topic(struct req *q, const struct directory *dir, const struct ferr *e)
{
	struct buf *b = &q->r.body, gaps;
	const char *kept = req_field(q, "partenaire_motif"), *open = NULL, *gap = NULL;
	char err[512], val[2 * DIR_ID_MAX + 2];
	size_t i;

	buf_init(&gaps, 64 * 1024);
	buf_puts(b, "<div class=\"field\"><label for=\"partenaire_motif\">Partenaire et motif"
	    "</label><select id=\"partenaire_motif\" name=\"partenaire_motif\" required");
	described(b, e, "partenaire_motif", 1);
	buf_puts(b, "><option value=\"\">Choisissez…</option>");
	for (i = 0; i < dir->n_topics; i++) {
		const struct dir_topic *t = &dir->topics[i];
		int ok = desk_routable(q->w->in, q->a.structure, t->partner, t->topic, err,
		    sizeof(err)) == 0;

		if (open == NULL || strcmp(open, t->partner) != 0) {
			buf_puts(b, open ? "</optgroup>" : "");
			buf_puts(b, "<optgroup label=\"");
			h_esc(b, directory_partner_label(dir, t->partner));
			buf_puts(b, "\">");
			open = t->partner;
		}
		snprintf(val, sizeof(val), "%s:%s", t->partner, t->topic);
		buf_puts(b, "<option value=\"");
		h_esc(b, val);
		buf_printf(b, "\"%s%s>", !ok ? " disabled" : "",
		    ok && kept && strcmp(kept, val) == 0 ? " selected" : "");
		h_esc(b, t->label);
		buf_puts(b, ok ? "" : " — aucun référent joignable pour votre structure");
		buf_puts(b, "</option>");
		if (ok)
			continue;
		/* the list of gaps: a line per partner, its topics */
		if (gap == NULL || strcmp(gap, t->partner) != 0) {
			buf_puts(&gaps, gap ? "</li><li>" : "<li>");
			h_esc(&gaps, directory_partner_label(dir, t->partner));
			buf_puts(&gaps, " : ");
			gap = t->partner;
		} else
			buf_puts(&gaps, ", ");
		h_esc(&gaps, t->label);
	}
	if (gap != NULL)
		buf_puts(&gaps, "</li>");
	buf_puts(b, open ? "</optgroup>" : "");
	buf_puts(b, "</select>");
	buf_puts(b, "<p class=\"hint\" id=\"aide-partenaire_motif\">Les motifs grisés n'ont"
	    " aucun référent joignable pour votre structure.</p>");
	field_error(b, e, "partenaire_motif");
	buf_puts(b, "</div>\n");
	if (gap != NULL) {
		buf_puts(b, "<div class=\"notice\" role=\"status\"><p>Aucun référent joignable"
		    " pour votre structure : un dossier ne peut pas leur être transmis, adressez-vous"
		    " à votre administrateur.</p><ul>");
		buf_append(b, gaps.p, gaps.len);
		buf_puts(b, "</ul></div>\n");
	}
	buf_free(&gaps);
}

static void
input(struct req *q, const struct nfield *f, const struct ferr *e)
{
	struct buf *b = &q->r.body;
	const char *kept = req_field(q, f->name);

	buf_printf(b, "<div class=\"field\"><label for=\"%s\">", f->name);
	h_esc(b, f->label);
	buf_puts(b, "</label>");
	if (f->hint) {
		buf_printf(b, "<p class=\"hint\" id=\"aide-%s\">", f->name);
		h_esc(b, f->hint);
		buf_puts(b, "</p>");
	}
	if (strcmp(f->type, "textarea") == 0) {
		buf_printf(b, "<textarea id=\"%s\" name=\"%s\" rows=\"8\"%s", f->name, f->name,
		    f->required ? " required" : "");
		described(b, e, f->name, f->hint != NULL);
		buf_puts(b, ">");
		h_esc(b, kept);
		buf_puts(b, "</textarea>");
	} else {
		buf_printf(b, "<input type=\"%s\" id=\"%s\" name=\"%s\"%s%s", f->type, f->name,
		    f->name, f->required ? " required" : "",
		    strcmp(f->name, "pieces") == 0 ? " multiple" : "");
		described(b, e, f->name, f->hint != NULL);
		if (strcmp(f->type, "file") != 0) {
			buf_puts(b, " value=\"");
			h_esc(b, kept);
			buf_puts(b, "\"");
		}
		buf_puts(b, ">");
	}
	field_error(b, e, f->name);
	buf_puts(b, "</div>\n");
}

static void
new_page(struct req *q, unsigned status, const struct ferr *e)
{
	const struct directory *dir;
	struct buf *b;
	char err[512];
	size_t i;

	if ((dir = instance_directory(q->w->in, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fsrelay web : nouveau dossier : %s\n", err);
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "L'annuaire n'a pas pu être lu. Réessayez dans un instant.");
		return;
	}
	q->r.status = status;
	q->path = "/dossiers/nouveau";	/* the menu's current page, also after a POST */
	h_page_begin(q, "Nouveau dossier");
	b = &q->r.body;
	if (e != NULL && e->field == NULL)
		h_notice(q, "alert", e->msg);
	else if (e != NULL)
		h_notice(q, "alert", "Le dossier n'a pas été créé : corrigez le champ signalé.");
	buf_puts(b, "<p>Tous les champs sont obligatoires, sauf mention « facultatif ». Le"
	    " dossier est chiffré et transmis au référent du partenaire.</p>\n"
	    "<form method=\"post\" action=\"/dossiers\" enctype=\"multipart/form-data\""
	    " class=\"form\">");
	h_csrf(q);
	choose_topic(q, dir, e);
	buf_puts(b, "<fieldset><legend>L'usager</legend>");
	for (i = 0; i < FS_ARRAY_LEN(fields); i++) {
		if (strcmp(fields[i].name, "description") == 0)
			buf_puts(b, "</fieldset><fieldset><legend>La demande</legend>");
		input(q, &fields[i], e);
	}
	buf_printf(b, "<p class=\"hint\">Pièces : %d au plus, 10 Mo chacune, 20 Mo en"
	    " tout.</p></fieldset><button type=\"submit\">Créer et transmettre le dossier"
	    "</button></form>\n", CASE_PIECES_MAX_COUNT);
	h_page_end(q);
}

void
page_new_case(struct req *q)
{
	new_page(q, MHD_HTTP_OK, NULL);
}

/* POST /dossiers (and /api/v1/dossiers): 0 with ref; -1 with e. */
static int
escalate(struct req *q, char ref[CASE_REF_LEN + 1], struct ferr *e)
{
	const char *pm = req_field(q, "partenaire_motif"), *descr = req_field(q, "description");
	const struct field *mandate = req_file(q, "mandat");
	char partner[DIR_ID_MAX + 1] = "", *colon, err[1024], *names[WEB_FIELDS_MAX];
	const char *topic = "";
	struct desk_intake it;
	struct pieces p;
	int r;

	if (pm != NULL && (colon = strchr(pm, ':')) != NULL &&
	    (size_t)(colon - pm) < sizeof(partner)) {
		memcpy(partner, pm, (size_t)(colon - pm));
		partner[colon - pm] = '\0';
		topic = colon + 1;
	} else if (req_field(q, "partenaire") != NULL) {
		fs_strlcpy(partner, req_field(q, "partenaire"), sizeof(partner));
		topic = req_field(q, "motif") ? req_field(q, "motif") : "";
	}
	if (partner[0] == '\0' || topic[0] == '\0') {
		e->field = "partenaire_motif";
		fs_strlcpy(e->msg, "Choisissez le partenaire et le motif dans la liste.",
		    sizeof(e->msg));
		return -1;
	}
	memset(&it, 0, sizeof(it));
	it.structure = q->a.structure;
	it.agent = q->a.id;
	it.partner = partner;
	it.topic = topic;
	it.nom = req_field(q, "nom");
	it.prenom = req_field(q, "prenom");
	it.ne_le = req_field(q, "ne_le");
	it.id_partenaire = req_field(q, "id_partenaire");
	it.sollicite_le = req_field(q, "sollicite_le");
	it.mandat_signe_le = req_field(q, "mandat_signe_le");
	if (mandate != NULL) {
		it.mandate_copy = mandate->value.p;
		it.mandate_len = mandate->value.len;
	}
	it.description = descr;
	it.description_len = descr ? strlen(descr) : 0;
	req_files(q, "pieces", &p, names);
	it.pieces = p.n ? &p : NULL;
	r = desk_escalate(q->w->in, &it, ref, err, sizeof(err));
	free(p.data);	/* the bytes are the fields', freed with the request */
	if (r < 0)
		ferr_take(e, err);
	return r;
}

void
post_new_case(struct req *q)
{
	char ref[CASE_REF_LEN + 1], loc[64];
	struct ferr e;

	if (escalate(q, ref, &e) < 0) {
		new_page(q, MHD_HTTP_BAD_REQUEST, &e);
		return;
	}
	snprintf(loc, sizeof(loc), "/dossiers/%s?fait=cree", ref);
	resp_redirect(q, loc);
}

void
api_new_case(struct req *q)
{
	char ref[CASE_REF_LEN + 1];
	struct ferr e;
	struct buf *b = &q->r.body;

	if (escalate(q, ref, &e) == 0) {
		api_case_object(q, MHD_HTTP_CREATED, ref);
		return;
	}
	q->r.ctype = "application/json";
	q->r.status = MHD_HTTP_BAD_REQUEST;
	b->len = 0;
	buf_puts(b, "{\"erreur\":");
	json_str(b, e.msg);
	buf_puts(b, ",\"champ\":");
	json_str(b, e.field);
	buf_puts(b, "}\n");
}
