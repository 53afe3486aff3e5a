/*
 * page_case - one case of the agent (GET /dossiers/REF): its facts, the
 * person, the thread (sent, replies, auto-replies, bounces, titled by
 * case_message_label, quoted history folded by quote_fold into a
 * <details>), the attachments to download (GET /dossiers/REF/pieces/ID),
 * and the actions (POST /dossiers/REF/ACTION): send a follow-up, reroute,
 * wait for the person, resume, close with a resolution, cancel with a
 * reason.  Each action is confirmed: a confirmation page (the follow-up:
 * a box to tick, its files cannot ride through a second form).
 *
 * Every rule is relay/desk's (desk_show, desk_piece, desk_send,
 * desk_reroute, desk_wait, desk_resume, desk_close, desk_cancel) and which
 * actions a state allows is relay/lifecycle's: this file reads fields and
 * writes HTML.  Any refusal of desk_show / desk_piece is the same 404 as
 * a page that does not exist (another structure's case included).
 */
#include "adapters/http/http_int.h"
#include "adapters/store.h"
#include "relay/case.h"
#include "relay/desk.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "relay/lifecycle.h"
#include "relay/quote.h"
#include "relay/sanitize.h"
#include "relay/tick.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The actions of a case: the URL's last segment, the lifecycle event that
 * decides whether the state allows it, the field it takes. */
struct action {
	const char	*slug;
	enum lc_event	 ev;
	const char	*title;		/* the form's heading */
	const char	*button;
	const char	*field;		/* NULL: none */
	const char	*label;
	const char	*hint;
	int		 required;
	const char	*question;	/* the confirmation */
	const char	*done;		/* after it */
};

static const struct action actions[] = {
	{ "relancer", LC_FOLLOW_UP, "Envoyer une relance", "Envoyer la relance", "texte",
	    "Texte de la relance", "Il part chiffré aux destinataires actuels du dossier.", 1,
	    "Je confirme l'envoi de cette relance aux destinataires actuels.",
	    "La relance est enregistrée : elle part au prochain passage du relais." },
	{ "reorienter", LC_REROUTE, "Réorienter vers l'échelon suivant", "Réorienter",
	    "motif", "Motif (facultatif)", "Le motif n'est pas conservé.", 0,
	    "Réorienter ce dossier vers l'échelon suivant de l'annuaire ? Les envois pas"
	    " encore partis vers l'échelon actuel sont abandonnés.",
	    "Le dossier est réorienté vers l'échelon suivant." },
	{ "attendre", LC_WAIT, "Attendre l'usager", "Mettre en attente de l'usager", NULL,
	    NULL, "Le délai du référent est suspendu jusqu'à la reprise.", 0,
	    "Mettre ce dossier en attente de l'usager ? Le délai du référent est suspendu.",
	    "Le dossier attend l'usager : le délai du référent est suspendu." },
	{ "reprendre", LC_RESUME, "Reprendre le dossier", "Reprendre", NULL, NULL,
	    "Le délai du référent repart, prolongé du temps d'attente.", 0,
	    "Reprendre ce dossier ? Le délai du référent repart.",
	    "Le dossier est repris : le délai du référent repart." },
	{ "clore", LC_CLOSE, "Clore le dossier", "Clore le dossier", "resolution",
	    "Résolution (obligatoire)", "Comment la situation a été réglée ; ce texte n'est"
	    " pas conservé.", 1, "Clore ce dossier comme résolu ? Les envois pas encore"
	    " partis sont abandonnés.", "Le dossier est clos (résolu)." },
	{ "annuler", LC_CANCEL, "Annuler le dossier", "Annuler et détruire", "motif",
	    "Motif de l'annulation (obligatoire)", "Le dossier est détruit aussitôt : la"
	    " personne, les textes et les pièces sont effacés. Le motif n'est pas conservé.",
	    1, "Annuler ce dossier ? Il sera détruit aussitôt et ne pourra plus être lu.",
	    "Le dossier est annulé et détruit." },
};

/* An error to show beside the field of one action's form. */
struct action_error {
	const struct action	*a;
	const char		*msg;
};

static const struct action *
action_find(const char *slug)
{
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(actions); i++)
		if (strcmp(actions[i].slug, slug) == 0)
			return &actions[i];
	return NULL;
}

/* Does the case's state allow the action (relay/lifecycle)? */
static int
action_allowed(const struct case_row *c, const struct action *a)
{
	enum case_state st;
	struct lc_step step;

	return case_state_parse(c->state, &st) == 0 &&
	    lifecycle_step(st, a->ev, &step) == LC_APPLY;
}

/* A size in French: "512 octets", "12,3 Ko", "4,5 Mo". */
static void
h_size(struct buf *b, int64_t n)
{
	if (n < 1024)
		buf_printf(b, "%lld octet%s", (long long)n, n > 1 ? "s" : "");
	else if (n < 1024 * 1024)
		buf_printf(b, "%lld,%lld Ko", (long long)(n / 1024),
		    (long long)(n % 1024 * 10 / 1024));
	else
		buf_printf(b, "%lld,%lld Mo", (long long)(n / (1024 * 1024)),
		    (long long)(n % (1024 * 1024) * 10 / (1024 * 1024)));
}

static void
fact(struct buf *b, const char *term, const char *value)
{
	buf_puts(b, "<dt>");
	h_esc(b, term);
	buf_puts(b, "</dt><dd>");
	h_esc(b, value && *value ? value : "—");
	buf_puts(b, "</dd>\n");
}

/* A date AAAA-MM-JJ as JJ/MM/AAAA (anything else as it is). */
static void
date_fact(struct buf *b, const char *term, const char *iso)
{
	char fr[16];

	if (iso != NULL && strlen(iso) == 10 && iso[4] == '-' && iso[7] == '-') {
		snprintf(fr, sizeof(fr), "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
		iso = fr;
	}
	fact(b, term, iso);
}

static void
deadline_fact(struct req *q, const char *term, const struct case_row *c, int64_t due,
    int running)
{
	struct buf *b = &q->r.body;

	buf_puts(b, "<dt>");
	h_esc(b, term);
	buf_puts(b, "</dt><dd>");
	h_time(b, due);
	if (running && due > 0) {
		if (tick_case_overdue(c->state, c->overdue, c->due_at, q->now))
			buf_puts(b, " <span class=\"badge late\">en retard</span>");
		else if (tick_case_due_soon(c, q->now))
			buf_puts(b, " <span class=\"badge soon\">bientôt dû</span>");
	}
	buf_puts(b, "</dd>\n");
}

static void
case_facts(struct req *q, const struct desk_view *v, const struct directory *dir)
{
	const struct case_row *c = &v->c;
	const struct person *p = &v->person;
	const struct dir_topic *t = directory_find_topic(dir, c->partner, c->topic);
	const struct dir_structure *s = directory_find_structure(dir, c->structure);
	struct buf *b = &q->r.body, who;
	size_t i;

	buf_puts(b, "<section aria-labelledby=\"t-dossier\"><h2 id=\"t-dossier\">Le dossier</h2>\n"
	    "<dl class=\"facts\">\n");
	fact(b, "État", desk_state_label(c->state));
	fact(b, "Partenaire", directory_partner_label(dir, c->partner));
	fact(b, "Motif", t ? t->label : c->topic);
	fact(b, "Structure", s ? s->name : c->structure);
	buf_puts(b, "<dt>Destinataires actuels</dt><dd>");
	for (i = 0; i < v->n_rcpt; i++) {
		buf_puts(b, i ? ", " : "");
		h_esc(b, v->rcpt[i].recipient);
	}
	buf_printf(b, "%s (échelon %d)</dd>\n", v->n_rcpt ? "" : "—", c->rung + 1);
	buf_puts(b, "<dt>Créé le</dt><dd>");
	h_time(b, c->created_at);
	buf_puts(b, "</dd>\n");
	deadline_fact(q, "Réponse du référent attendue le", c, c->due_at,
	    strcmp(c->state, "awaiting") == 0);
	deadline_fact(q, "Réponse à l'usager due le", c, c->user_due_at,
	    strcmp(c->state, "waiting_user") == 0);
	if (c->last_error[0])
		fact(b, "Dernière erreur d'envoi", c->last_error);
	buf_puts(b, "</dl></section>\n<section aria-labelledby=\"t-personne\">"
	    "<h2 id=\"t-personne\">La personne</h2>\n<dl class=\"facts\">\n");
	buf_init(&who, 1024);
	buf_printf(&who, "%s %s", p->prenom, p->nom);
	fact(b, "Nom et prénom", who.p);
	buf_free(&who);
	date_fact(b, "Née ou né le", p->ne_le);
	fact(b, "Identifiant chez le partenaire", p->id_partenaire);
	date_fact(b, "Demande reçue le", p->sollicite_le);
	date_fact(b, "Mandat signé le", p->mandat_signe_le);
	buf_puts(b, "</dl></section>\n");
}

/* A text as <pre> blocks; each line where the ingest folded quoted history
 * away (QUOTE_MARK) is a <details>: the first one unfolds the whole text
 * as received (full, kept sealed since issue 11), the others point to it;
 * without full (a message folded before full texts were kept), it says so. */
static void
text_html(struct buf *b, const char *text, const char *full)
{
	const char *p = text, *nl;
	size_t mark = strlen(QUOTE_MARK);
	int open = 0, marks = 0;

	for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == mark && strncmp(p, QUOTE_MARK, mark) == 0) {
			buf_puts(b, open ? "</pre>\n" : "");
			if (full != NULL && marks++ == 0) {
				buf_puts(b, "<details><summary>Historique cité replié</summary><p>Le"
				    " message entier, tel qu'il a été reçu :</p><pre>");
				h_esc(b, full);
				buf_puts(b, "</pre></details>\n");
			} else if (full != NULL)
				buf_puts(b, "<details><summary>Historique cité replié</summary><p>Le"
				    " message entier se déplie au premier repli de ce message.</p>"
				    "</details>\n");
			else
				buf_puts(b, "<details><summary>Historique cité replié</summary><p>Le"
				    " relais reprend les messages précédents de ce fil ; ce message a été"
				    " reçu avant que le texte entier soit gardé.</p></details>\n");
			open = 0;
			continue;
		}
		if (!open)
			buf_puts(b, "<pre>");
		else
			buf_puts(b, "\n");
		open = 1;
		{
			char *line = xstrndup(p, len);

			h_esc(b, line);
			free(line);
		}
	}
	if (open)
		buf_puts(b, "</pre>\n");
}

static void
message_html(struct req *q, const char *ref, const struct desk_message *m, size_t k)
{
	const struct message_row *r = &m->row;
	struct buf *b = &q->r.body, fold;
	char label[128];
	int folded = 0;
	size_t i;

	fs_strlcpy(label, case_message_label(r->kind, r->direction), sizeof(label));
	if (label[0] >= 'a' && label[0] <= 'z')
		label[0] = (char)(label[0] - 'a' + 'A');
	buf_printf(b, "<article aria-labelledby=\"m%zu\"><h3 id=\"m%zu\">", k, k);
	h_esc(b, label);
	buf_puts(b, " — ");
	h_time(b, r->at);
	buf_puts(b, "</h3>\n<p class=\"hint\">De ");
	h_esc(b, r->sender[0] ? r->sender : "—");
	buf_puts(b, " à ");
	h_esc(b, r->recipients[0] ? r->recipients : "—");
	buf_puts(b, "</p>\n");
	if (r->flagged)
		buf_puts(b, "<p class=\"notice\">À vérifier : ce message a été rattaché au dossier"
		    " sans preuve complète de son expéditeur.</p>\n");
	if (m->text == NULL)
		buf_puts(b, "<p class=\"hint\">Texte effacé.</p>\n");
	else if (m->full_text != NULL)
		text_html(b, m->text, m->full_text);	/* folded at ingest */
	else {
		buf_init(&fold, m->text_len + 4096);
		if (quote_fold(m->text, &fold, &folded) < 0)
			folded = 0;
		if (folded) {
			buf_puts(b, "<pre>");
			h_esc(b, fold.p);
			buf_puts(b, "</pre>\n");
		} else
			text_html(b, m->text, NULL);
		if (folded) {
			buf_puts(b, "<details><summary>Afficher l'historique cité</summary><pre>");
			h_esc(b, m->text);
			buf_puts(b, "</pre></details>\n");
		}
		buf_free(&fold);
	}
	if (m->n_att == 0) {
		buf_puts(b, "</article>\n");
		return;
	}
	buf_puts(b, "<ul class=\"pieces\" aria-label=\"Pièces jointes\">");
	for (i = 0; i < m->n_att; i++) {
		buf_printf(b, "<li><a href=\"/dossiers/%s/pieces/%lld\" download>", ref,
		    (long long)m->att[i].id);
		h_esc(b, m->att[i].name[0] ? m->att[i].name : "pièce jointe");
		buf_puts(b, "</a> (");
		h_size(b, m->att[i].size);
		buf_puts(b, ")</li>");
	}
	buf_puts(b, "</ul>\n</article>\n");
}

/* The form of one action: its field (kept after a refusal), the error
 * beside it. */
static void
action_form(struct req *q, const char *ref, const struct action *a,
    const struct action_error *e)
{
	struct buf *b = &q->r.body;
	const char *err = e && e->a == a ? e->msg : NULL;
	const char *kept = err && a->field ? req_field(q, a->field) : NULL;
	int send = a->ev == LC_FOLLOW_UP;

	buf_printf(b, "<form method=\"post\" action=\"/dossiers/%s/%s\" class=\"form\"%s>"
	    "<fieldset><legend>", ref, a->slug, send ? " enctype=\"multipart/form-data\"" : "");
	h_esc(b, a->title);
	buf_puts(b, "</legend>");
	h_csrf(q);
	buf_printf(b, "<p class=\"hint\" id=\"aide-%s\">", a->slug);
	h_esc(b, a->hint);
	buf_puts(b, "</p>");
	if (err) {
		buf_printf(b, "<p class=\"field-error\" id=\"erreur-%s\" role=\"alert\">", a->slug);
		h_esc(b, err);
		buf_puts(b, "</p>");
	}
	if (a->field) {
		buf_printf(b, "<div class=\"field\"><label for=\"%s-%s\">", a->slug, a->field);
		h_esc(b, a->label);
		buf_puts(b, "</label>");
		buf_printf(b, send ? "<textarea rows=\"6\" id=\"%s-%s\" name=\"%s\"" :
		    "<input type=\"text\" id=\"%s-%s\" name=\"%s\"", a->slug, a->field, a->field);
		buf_printf(b, "%s aria-describedby=\"aide-%s%s%s\"%s", a->required ? " required" : "",
		    a->slug, err ? " erreur-" : "", err ? a->slug : "",
		    err ? " aria-invalid=\"true\"" : "");
		if (send) {
			buf_puts(b, ">");
			h_esc(b, kept);
			buf_puts(b, "</textarea></div>");
		} else {
			buf_puts(b, " value=\"");
			h_esc(b, kept);
			buf_puts(b, "\"></div>");
		}
	}
	if (send) {
		buf_printf(b, "<div class=\"field\"><label for=\"relancer-pieces\">Pièces jointes"
		    " (facultatives)</label><input type=\"file\" id=\"relancer-pieces\""
		    " name=\"pieces\" multiple aria-describedby=\"aide-pieces\">"
		    "<p class=\"hint\" id=\"aide-pieces\">%d fichiers au plus, 10 Mo chacun,"
		    " 20 Mo en tout.</p></div><div class=\"field confirm\"><input type=\"checkbox\""
		    " id=\"relancer-confirme\" name=\"confirme\" value=\"1\" required>"
		    "<label for=\"relancer-confirme\">", CASE_PIECES_MAX_COUNT);
		h_esc(b, a->question);
		buf_puts(b, "</label></div>");
	}
	buf_printf(b, "<button type=\"submit\"%s>", a->ev == LC_CANCEL ? " class=\"danger\"" : "");
	h_esc(b, a->button);
	buf_puts(b, "</button></fieldset></form>\n");
}

static void
actions_html(struct req *q, const struct case_row *c, const struct action_error *e)
{
	size_t i, n = 0;

	buf_puts(&q->r.body, "<section aria-labelledby=\"t-actions\" class=\"actions\">"
	    "<h2 id=\"t-actions\">Actions</h2>\n");
	/* refused because the state does not allow it (any more): no form
	 * to show the reason beside */
	if (e != NULL && e->a != NULL && !action_allowed(c, e->a))
		h_notice(q, "alert", e->msg);
	for (i = 0; i < FS_ARRAY_LEN(actions); i++)
		if (action_allowed(c, &actions[i])) {
			action_form(q, c->ref, &actions[i], e);
			n++;
		}
	if (n == 0)
		buf_puts(&q->r.body, "<p>Aucune action n'est possible dans cet état.</p>\n");
	buf_puts(&q->r.body, "</section>\n");
}

/* The case page; status 200, or 400 with e beside its action's field. */
static void
case_page(struct req *q, const char *ref, unsigned status, const struct action_error *e)
{
	struct desk_view v;
	struct directory dir;
	const char *done = req_query(q, "fait");
	const struct action *a = done && !e ? action_find(done) : NULL;
	char err[512], title[64];
	struct buf *b;
	size_t i;

	if (desk_show(q->w->in, ref, q->a.id, &v, err, sizeof(err)) < 0) {
		desk_view_free(&v);
		not_found(q);
		return;
	}
	if (store_directory_load(q->w->in->st, &dir, err, sizeof(err)) < 0) {
		desk_view_free(&v);
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "Le dossier n'a pas pu être lu. Réessayez dans un instant.");
		return;
	}
	q->r.status = status;
	snprintf(title, sizeof(title), "Dossier %s", v.c.ref);
	h_page_begin(q, title);
	b = &q->r.body;
	buf_puts(b, "<p><a href=\"/dossiers\">Retour à mes dossiers</a></p>\n");
	if (a != NULL)
		h_notice(q, "ok", a->done);
	else if (done != NULL && strcmp(done, "cree") == 0 && e == NULL)
		h_notice(q, "ok", "Le dossier est créé. Notez sa référence : il part chiffré au"
		    " référent du partenaire au prochain passage du relais.");
	if (e != NULL && e->a == NULL)
		h_notice(q, "alert", e->msg);
	case_facts(q, &v, &dir);
	buf_puts(b, "<section aria-labelledby=\"t-fil\" class=\"thread\">"
	    "<h2 id=\"t-fil\">Fil des messages</h2>\n");
	for (i = 0; i < v.n_msg; i++)
		message_html(q, v.c.ref, &v.msg[i], i + 1);
	if (v.n_msg == 0)
		buf_puts(b, "<p>Aucun message.</p>\n");
	buf_puts(b, "</section>\n");
	actions_html(q, &v.c, e);
	h_page_end(q);
	directory_free(&dir);
	desk_view_free(&v);
}

/* ---- attachments ---------------------------------------------------- */

/* Content-Disposition: attachment, the name made safe for a disk
 * (san_disk_name), in ASCII and as RFC 5987 UTF-8. */
static void
disposition(struct req *q, const char *name)
{
	char stem[SAN_DISK_MAX + 1], ext[SAN_DISK_MAX + 1], full[2 * SAN_DISK_MAX + 2];
	char ascii[2 * SAN_DISK_MAX + 2], *o = q->r.disposition;
	size_t i, n = sizeof(q->r.disposition), k;
	const unsigned char *p;

	san_disk_name(name, stem, ext);
	snprintf(full, sizeof(full), "%s%s", stem, ext);
	for (i = 0; full[i] && i + 1 < sizeof(ascii); i++) {
		unsigned char ch = (unsigned char)full[i];

		ascii[i] = (ch < 0x80 && ch > 0x20 && ch != '"' && ch != '\\' && ch != ';' &&
		    ch != '%') ? (char)ch : '_';
	}
	ascii[i] = '\0';
	k = (size_t)snprintf(o, n, "attachment; filename=\"%s\"; filename*=UTF-8''", ascii);
	for (p = (const unsigned char *)full; *p && k + 4 < n; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			o[k++] = (char)*p;
		else
			k += (size_t)snprintf(o + k, n - k, "%%%02X", *p);
	}
	o[k] = '\0';
}

static void
piece(struct req *q, const char *ref, const char *id_s)
{
	struct buf name, data;
	char err[512];
	long id;

	if (fs_parse_long(id_s, 1, 0x7fffffffL, &id) < 0) {
		not_found(q);
		return;
	}
	buf_init(&name, 4096);
	buf_init(&data, 64 * 1024 * 1024);
	if (desk_piece(q->w->in, ref, q->a.id, id, &name, &data, err, sizeof(err)) < 0)
		not_found(q);
	else {
		q->r.body.len = 0;
		/* a received piece may be larger than a page */
		if (q->r.body.max < data.len + 1)
			q->r.body.max = data.len + 1;
		if (buf_append(&q->r.body, data.p, data.len) < 0)
			refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
			    "La pièce jointe n'a pas pu être lue. Réessayez dans un instant.");
		else {
			q->r.status = MHD_HTTP_OK;
			q->r.ctype = "application/octet-stream";
			disposition(q, name.p ? name.p : "");
		}
	}
	buf_free(&name);
	buf_free(&data);
}

/* ---- actions -------------------------------------------------------- */

/* The reason of the core without the CLI's flag ("--motif : vide" ->
 * "vide"), capitalised for a sentence of its own. */
static void
reason(char *err)
{
	static const char *const flags[] = { "--motif : ", "--resolution : " };
	size_t i, n;

	for (i = 0; i < FS_ARRAY_LEN(flags); i++) {
		n = strlen(flags[i]);
		if (strncmp(err, flags[i], n) == 0)
			memmove(err, err + n, strlen(err + n) + 1);
	}
	if (err[0] >= 'a' && err[0] <= 'z')
		err[0] = (char)(err[0] - 'a' + 'A');
}

/* Every file field name with a file, as pieces (data and names point into
 * the request: free only p->data).  Also used by page_new.c. */
void
req_files(struct req *q, const char *name, struct pieces *p, char **names)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->data = xcalloc(WEB_FIELDS_MAX, sizeof(*p->data));
	p->names = names;
	for (i = 0; i < q->n_fields; i++) {
		struct field *f = &q->fields[i];

		if (strcmp(f->name, name) != 0 || f->filename[0] == '\0')
			continue;
		names[p->n] = f->filename;
		p->data[p->n++] = f->value;
	}
}

static int
do_send(struct req *q, const char *ref, char *err, size_t errlen)
{
	const char *text = req_field(q, "texte");
	char *names[WEB_FIELDS_MAX];
	struct pieces p;
	int r;

	req_files(q, "pieces", &p, names);
	r = desk_send(q->w->in, ref, q->a.id, text ? text : "", text ? strlen(text) : 0,
	    p.n ? &p : NULL, err, errlen);
	free(p.data);	/* the bytes are the fields', freed with the request */
	return r;
}

/* Do the action a (confirmed): 0, 1 done with a warning in err, -1. */
static int
do_action(struct req *q, const char *ref, const struct action *a, char *err, size_t errlen)
{
	struct desk_view v;
	const char *f = a->field ? req_field(q, a->field) : NULL;
	int rung = 0, queued = 0;

	memset(&v, 0, sizeof(v));
	switch (a->ev) {
	case LC_FOLLOW_UP:
		return do_send(q, ref, err, errlen);
	case LC_REROUTE:
		return desk_reroute(q->w->in, ref, q->a.id, f && *f ? f : NULL, &rung, &queued,
		    err, errlen);
	case LC_WAIT:
		return desk_wait(q->w->in, ref, q->a.id, err, errlen);
	case LC_RESUME:
		return desk_resume(q->w->in, ref, q->a.id, NULL, NULL, err, errlen);
	case LC_CLOSE:
		return desk_close(q->w->in, ref, q->a.id, f ? f : "", err, errlen);
	case LC_CANCEL:
		return desk_cancel(q->w->in, ref, q->a.id, f ? f : "", err, errlen);
	default:
		fs_seterr(err, errlen, "action inconnue");
		return -1;
	}
}

int
case_action(struct req *q, const char *ref, const char *slug, char *err, size_t errlen)
{
	const struct action *a = action_find(slug);

	if (a == NULL)
		return -2;
	if (do_action(q, ref, a, err, errlen) < 0) {
		reason(err);
		return -1;
	}
	return 0;
}

/* The confirmation page of an action without files: the same form again,
 * its field kept, with confirme=1. */
static void
confirm_page(struct req *q, const struct case_row *c, const struct action *a)
{
	const char *f = a->field ? req_field(q, a->field) : NULL;
	char title[96];
	struct buf *b;

	snprintf(title, sizeof(title), "Confirmer : %s", a->title);
	h_page_begin(q, title);
	b = &q->r.body;
	buf_printf(b, "<p>Dossier <strong>%s</strong> (%s).</p>\n", c->ref,
	    desk_state_label(c->state));
	buf_printf(b, "<form method=\"post\" action=\"/dossiers/%s/%s\" class=\"form\">", c->ref,
	    a->slug);
	h_csrf(q);
	buf_puts(b, "<input type=\"hidden\" name=\"confirme\" value=\"1\">");
	if (a->field) {
		buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", a->field);
		h_esc(b, f ? f : "");
		buf_puts(b, "\"><p>");
		h_esc(b, a->label);
		buf_puts(b, " : ");
		h_esc(b, f && *f ? f : "—");
		buf_puts(b, "</p>");
	}
	buf_puts(b, "<p class=\"notice\" role=\"status\">");
	h_esc(b, a->question);
	buf_printf(b, "</p><p class=\"inline\"><button type=\"submit\"%s>",
	    strcmp(a->slug, "annuler") == 0 ? " class=\"danger\"" : "");
	h_esc(b, a->button);
	buf_printf(b, "</button> <a href=\"/dossiers/%s\">Ne rien faire et revenir au dossier</a>"
	    "</p></form>\n", c->ref);
	h_page_end(q);
}

/* After a cancel there is no case to go back to: a page says it. */
static void
cancelled_page(struct req *q, const char *ref, const char *warning)
{
	char title[64];

	snprintf(title, sizeof(title), "Dossier %s annulé", ref);
	h_page_begin(q, title);
	h_notice(q, "ok", "Le dossier est annulé et détruit : la personne, les textes et les"
	    " pièces sont effacés.");
	if (warning)
		h_notice(q, "notice", warning);
	buf_puts(&q->r.body, "<p><a href=\"/dossiers\">Retour à mes dossiers</a></p>\n");
	h_page_end(q);
}

static void
post_action(struct req *q, const char *ref, const struct action *a)
{
	struct action_error e = { a, NULL };
	struct case_row c;
	const char *confirmed = req_field(q, "confirme");
	char err[1024], loc[128];
	int r;

	if (desk_case(q->w->in, ref, q->a.id, &c, err, sizeof(err)) < 0) {
		not_found(q);
		return;
	}
	if (confirmed == NULL || strcmp(confirmed, "1") != 0) {
		if (a->ev == LC_FOLLOW_UP) {
			e.msg = "Cochez la case de confirmation pour envoyer la relance :"
			    " rien n'a été envoyé.";
			case_page(q, c.ref, MHD_HTTP_BAD_REQUEST, &e);
		} else
			confirm_page(q, &c, a);
		return;
	}
	r = do_action(q, c.ref, a, err, sizeof(err));
	if (r < 0) {
		reason(err);
		e.msg = err;
		case_page(q, c.ref, MHD_HTTP_BAD_REQUEST, &e);
		return;
	}
	if (a->ev == LC_CANCEL) {
		cancelled_page(q, c.ref, r == 1 ? err : NULL);
		return;
	}
	snprintf(loc, sizeof(loc), "/dossiers/%s?fait=%s", c.ref, a->slug);
	resp_redirect(q, loc);
}

/* ---- the routes under /dossiers/ ------------------------------------ */

void
route_case(struct req *q, const char *rest, int post)
{
	char ref[CASE_REF_LEN + 1];
	const char *tail = rest + CASE_REF_LEN;
	const struct action *a;

	if (strlen(rest) < CASE_REF_LEN) {
		not_found(q);
		return;
	}
	memcpy(ref, rest, CASE_REF_LEN);
	ref[CASE_REF_LEN] = '\0';
	if (!case_ref_valid(ref) || (*tail != '\0' && *tail != '/')) {
		not_found(q);
		return;
	}
	if (!post && *tail == '\0')
		case_page(q, ref, MHD_HTTP_OK, NULL);
	else if (!post && strncmp(tail, "/pieces/", 8) == 0)
		piece(q, ref, tail + 8);
	else if (post && *tail == '/' && (a = action_find(tail + 1)) != NULL)
		post_action(q, ref, a);
	else
		not_found(q);
}
