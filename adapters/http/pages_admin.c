/*
 * pages_admin - the administrator's page of accounts (GET /agents): every
 * agent with role, password set or not, enabled or not, the forms that
 * change them and the form that creates one (POST /agents).  The rules
 * (who may, nobody locks themself out, password policy, sessions closed,
 * the fields of a new agent, audit) are in relay/account.c (account_list,
 * account_admin) and relay/admin.c (admin_agent_add_by); this file reads
 * fields and writes HTML.  Metadata only: no case is shown here.
 */
#include "adapters/http/http_int.h"
#include "relay/admin.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "relay/port/store_directory.h"

#include <microhttpd.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* What a successful POST did, for the message after the redirect. */
static const struct {
	const char	*action;
	const char	*done;
} actions[] = {
	{ "role", "Le rôle a été changé ; les sessions de ce compte sont fermées." },
	{ "desactiver", "Le compte est désactivé ; ses sessions sont fermées." },
	{ "reactiver", "Le compte est réactivé." },
	{ "mot_de_passe", "Le mot de passe est défini ; les sessions de ce compte sont"
	    " fermées. Transmettez-le à l'agent par un autre canal que le courriel." },
	{ "ajouter", "Le compte est créé. Définissez son mot de passe (Modifier, dans la"
	    " liste) pour qu'il puisse se connecter." },
};

/* The form creating an account: its fields, in the order of the form,
 * and the field of the core's refusal (enum admin_agent_field). */
static const struct {
	const char		*name;
	const char		*label;
	const char		*hint;
	enum admin_agent_field	 field;
} add_fields[] = {
	{ "identifiant", "Identifiant", "Lettres minuscules, chiffres, « . », « _ » ou « - »"
	    " (64 caractères au plus) ; il ne change plus ensuite.", ADMIN_AGENT_ID },
	{ "nom", "Nom et prénom", NULL, ADMIN_AGENT_NAME },
	{ "email", "Adresse électronique", "Elle reçoit les alertes (références seulement).",
	    ADMIN_AGENT_EMAIL },
	{ "structure", "Structure", NULL, ADMIN_AGENT_STRUCTURE },
	{ "role", "Rôle", NULL, ADMIN_AGENT_ROLE },
};

/* A refused creation: the field (add_fields[].name, NULL: the form) and
 * the reason. */
struct add_err {
	const char	*field;
	char		 msg[600];
};

static void
role_options(struct buf *b, enum role cur)
{
	static const enum role all[] = { ROLE_AGENT, ROLE_MANAGER, ROLE_DPO, ROLE_ADMIN };
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(all); i++) {
		buf_printf(b, "<option value=\"%s\"%s>", account_role_name(all[i]),
		    all[i] == cur ? " selected" : "");
		h_esc(b, account_role_label(all[i]));
		buf_puts(b, "</option>");
	}
}

/* The hidden fields of a form about account id. */
static void
form_begin(struct req *q, const char *id, const char *action)
{
	struct buf *b = &q->r.body;

	buf_puts(b, "<form method=\"post\" action=\"/agents\" class=\"inline\">");
	h_csrf(q);
	buf_puts(b, "<input type=\"hidden\" name=\"agent\" value=\"");
	h_esc(b, id);
	buf_printf(b, "\"><input type=\"hidden\" name=\"action\" value=\"%s\">", action);
}

/* The attributes tying a field of the creation form to its hint and to
 * the refusal. */
static void
add_described(struct buf *b, size_t i, const struct add_err *ae)
{
	int bad = ae != NULL && ae->field != NULL && strcmp(ae->field, add_fields[i].name) == 0;

	if (add_fields[i].hint == NULL && !bad)
		return;
	buf_printf(b, " aria-describedby=\"%s%s%s%s%s\"%s",
	    add_fields[i].hint ? "aide-nouveau-" : "", add_fields[i].hint ? add_fields[i].name : "",
	    add_fields[i].hint && bad ? " " : "", bad ? "erreur-nouveau-" : "",
	    bad ? add_fields[i].name : "", bad ? " aria-invalid=\"true\"" : "");
}

/* The value typed in a refused form, kept. */
static const char *
add_kept(struct req *q, const char *name, const struct add_err *ae)
{
	const char *v = ae != NULL ? req_field(q, name) : NULL;

	return v != NULL ? v : "";
}

static void
structure_options(struct req *q, const char *kept)
{
	const struct directory *dir;
	struct buf *b = &q->r.body;
	char err[512];
	size_t i;

	buf_puts(b, "<option value=\"\">— choisir —</option>");
	if ((dir = instance_directory(q->w->in, err, sizeof(err))) == NULL)
		return;
	for (i = 0; i < dir->n_structures; i++) {
		buf_puts(b, "<option value=\"");
		h_esc(b, dir->structures[i].id);
		buf_printf(b, "\"%s>", strcmp(kept, dir->structures[i].id) == 0 ? " selected" : "");
		h_esc(b, dir->structures[i].name[0] ? dir->structures[i].name : dir->structures[i].id);
		buf_puts(b, "</option>");
	}
}

static void
add_form(struct req *q, const struct add_err *ae)
{
	struct buf *b = &q->r.body;
	enum role kept_role = ROLE_AGENT;
	size_t i;

	buf_puts(b, "<section aria-labelledby=\"titre-nouveau\">\n<h2 id=\"titre-nouveau\">"
	    "Créer un compte</h2>\n");
	if (ae != NULL && ae->field == NULL) {
		buf_puts(b, "<p class=\"alert\" role=\"alert\" id=\"erreur-nouveau\">");
		h_esc(b, ae->msg);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<form method=\"post\" action=\"/agents\" class=\"form narrow\">");
	h_csrf(q);
	buf_puts(b, "<input type=\"hidden\" name=\"action\" value=\"ajouter\">\n");
	for (i = 0; i < FS_ARRAY_LEN(add_fields); i++) {
		const char *name = add_fields[i].name;

		buf_printf(b, "<div class=\"field\"><label for=\"nouveau-%s\">%s</label>", name,
		    add_fields[i].label);
		if (add_fields[i].hint != NULL)
			buf_printf(b, "<p class=\"hint\" id=\"aide-nouveau-%s\">%s</p>", name,
			    add_fields[i].hint);
		if (strcmp(name, "structure") == 0 || strcmp(name, "role") == 0) {
			buf_printf(b, "<select id=\"nouveau-%s\" name=\"%s\" required", name, name);
			add_described(b, i, ae);
			buf_puts(b, ">");
			if (strcmp(name, "structure") == 0)
				structure_options(q, add_kept(q, name, ae));
			else {
				(void)account_role_parse(add_kept(q, name, ae), &kept_role);
				role_options(b, kept_role);
			}
			buf_puts(b, "</select>");
		} else {
			buf_printf(b, "<input id=\"nouveau-%s\" name=\"%s\" type=\"%s\"%s required",
			    name, name, strcmp(name, "email") == 0 ? "email" : "text",
			    strcmp(name, "identifiant") == 0 ? " maxlength=\"64\" autocomplete=\"off\""
			    " spellcheck=\"false\"" : strcmp(name, "email") == 0 ?
			    " autocomplete=\"off\"" : " autocomplete=\"off\" maxlength=\"200\"");
			add_described(b, i, ae);
			buf_puts(b, " value=\"");
			h_esc(b, add_kept(q, name, ae));
			buf_puts(b, "\">");
		}
		if (ae != NULL && ae->field != NULL && strcmp(ae->field, name) == 0) {
			buf_printf(b, "<p class=\"field-error\" id=\"erreur-nouveau-%s\" role=\"alert\">",
			    name);
			h_esc(b, ae->msg);
			buf_puts(b, "</p>");
		}
		buf_puts(b, "</div>\n");
	}
	buf_puts(b, "<button type=\"submit\">Créer le compte</button></form>\n</section>\n");
}

static void
agents_page(struct req *q, unsigned status, const char *error, const char *error_agent,
    const struct add_err *ae)
{
	struct account *list = NULL;
	struct buf *b;
	char err[512];
	const char *done = req_query(q, "fait");
	size_t n = 0, i;

	if (account_list(&q->w->port, &q->a, &list, &n, err, sizeof(err)) < 0) {
		refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "La liste des comptes n'a pas pu être lue. Réessayez dans un instant.");
		return;
	}
	q->r.status = status;
	h_page_begin(q, "Agents");
	b = &q->r.body;
	for (i = 0; done != NULL && i < FS_ARRAY_LEN(actions); i++)
		if (strcmp(done, actions[i].action) == 0)
			h_notice(q, "ok", actions[i].done);
	if (error != NULL) {
		buf_puts(b, "<p class=\"alert\" role=\"alert\" id=\"erreur-compte\">");
		if (error_agent != NULL) {
			buf_puts(b, "Compte ");
			h_esc(b, error_agent);
			buf_puts(b, " : ");
		}
		h_esc(b, error);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<p class=\"hint\">Créez un compte (formulaire sous la liste), puis"
	    " définissez son mot de passe (12 caractères au moins) ; vous pouvez aussi changer son"
	    " rôle ou le désactiver. Chaque changement ferme les sessions ouvertes du compte et"
	    " est inscrit au journal d'audit.</p>\n"
	    "<table>\n<caption class=\"sr-only\">Comptes du guichet</caption>\n<thead><tr>"
	    "<th scope=\"col\">Identifiant</th><th scope=\"col\">Nom</th>"
	    "<th scope=\"col\">Structure</th><th scope=\"col\">Rôle</th>"
	    "<th scope=\"col\">Mot de passe</th><th scope=\"col\">État</th>"
	    "<th scope=\"col\">Modifier</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		const struct account *a = &list[i];

		buf_puts(b, "<tr><td>");
		h_esc(b, a->id);
		buf_puts(b, "</td><td>");
		h_esc(b, a->name);
		buf_puts(b, "</td><td>");
		h_esc(b, a->structure);
		buf_puts(b, "</td><td>");
		h_esc(b, account_role_label(a->role));
		buf_printf(b, "</td><td>%s</td><td>%s</td><td>",
		    a->has_password ? "défini" : "aucun (ne peut pas se connecter)",
		    a->disabled ? "<span class=\"badge late\">désactivé</span>" :
		    "<span class=\"badge fine\">actif</span>");
		buf_puts(b, "<details><summary>Modifier<span class=\"sr-only\"> le compte ");
		h_esc(b, a->id);
		buf_puts(b, "</span></summary>");
		form_begin(q, a->id, "role");
		buf_printf(b, "<label for=\"role-%zu\">Rôle</label><select id=\"role-%zu\" name=\"role\">",
		    i, i);
		role_options(b, a->role);
		buf_puts(b, "</select><button type=\"submit\">Changer le rôle</button></form>");
		form_begin(q, a->id, "mot_de_passe");
		buf_printf(b, "<label for=\"mdp-%zu\">Nouveau mot de passe</label>"
		    "<input id=\"mdp-%zu\" name=\"mot_de_passe\" type=\"password\" minlength=\"%d\""
		    " maxlength=\"%d\" autocomplete=\"new-password\" required>"
		    "<button type=\"submit\">Définir</button></form>", i, i, ACCOUNT_PASSWORD_MIN,
		    ACCOUNT_PASSWORD_MAX);
		form_begin(q, a->id, a->disabled ? "reactiver" : "desactiver");
		buf_printf(b, "<button type=\"submit\"%s>%s</button></form>",
		    a->disabled ? "" : " class=\"danger\"",
		    a->disabled ? "Réactiver le compte" : "Désactiver le compte");
		buf_puts(b, "</details></td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	add_form(q, ae);
	h_page_end(q);
	free(list);
}

void
page_agents(struct req *q)
{
	agents_page(q, MHD_HTTP_OK, NULL, NULL, NULL);
}

/* Copy a field into dst; 0, or -1 when it is absent or does not fit
 * (a truncated value would pass the core's checks short). */
static int
take(struct req *q, const char *name, char *dst, size_t n)
{
	const char *v = req_field(q, name);

	return v != NULL && fs_strlcpy(dst, v, n) < n ? 0 : -1;
}

/* POST /agents, action=ajouter: admin_agent_add_by decides. */
static void
post_agent_add(struct req *q)
{
	struct add_err ae;
	struct agent a;
	enum admin_agent_field f = ADMIN_AGENT_NONE;
	size_t i;

	memset(&ae, 0, sizeof(ae));
	memset(&a, 0, sizeof(a));
	if (take(q, "identifiant", a.id, sizeof(a.id)) < 0) {
		ae.field = "identifiant";
		fs_strlcpy(ae.msg, "Identifiant absent ou trop long (64 caractères au plus).",
		    sizeof(ae.msg));
	} else if (take(q, "nom", a.name, sizeof(a.name)) < 0) {
		ae.field = "nom";
		fs_strlcpy(ae.msg, "Nom absent ou trop long (200 octets au plus).", sizeof(ae.msg));
	} else if (take(q, "email", a.email, sizeof(a.email)) < 0) {
		ae.field = "email";
		fs_strlcpy(ae.msg, "Adresse absente ou trop longue.", sizeof(ae.msg));
	} else if (take(q, "structure", a.structure, sizeof(a.structure)) < 0) {
		ae.field = "structure";
		fs_strlcpy(ae.msg, "Structure absente ou inconnue.", sizeof(ae.msg));
	} else if (take(q, "role", a.role, sizeof(a.role)) < 0) {
		ae.field = "role";
		fs_strlcpy(ae.msg, "Rôle absent ou inconnu.", sizeof(ae.msg));
	} else if (admin_agent_add_by(q->w->in, &q->a, &a, &f, ae.msg, sizeof(ae.msg)) == 0) {
		resp_redirect(q, "/agents?fait=ajouter");
		return;
	} else {
		for (i = 0; i < FS_ARRAY_LEN(add_fields); i++)
			if (add_fields[i].field == f)
				ae.field = add_fields[i].name;
		if (ae.msg[0] >= 'a' && ae.msg[0] <= 'z')
			ae.msg[0] = (char)(ae.msg[0] - 'a' + 'A');
	}
	agents_page(q, MHD_HTTP_BAD_REQUEST, NULL, NULL, &ae);
}

void
post_agents(struct req *q)
{
	const char *id = req_field(q, "agent"), *action = req_field(q, "action");
	const char *pw = req_field(q, "mot_de_passe"), *role_s = req_field(q, "role");
	enum account_op op;
	enum role role = ROLE_AGENT;
	char err[512], path[64];

	if (action != NULL && strcmp(action, "ajouter") == 0) {
		post_agent_add(q);
		return;
	}
	if (id == NULL || action == NULL) {
		agents_page(q, MHD_HTTP_BAD_REQUEST, "formulaire incomplet : rien n'a été fait.", NULL,
		    NULL);
		return;
	}
	if (strcmp(action, "role") == 0) {
		op = ACCOUNT_OP_ROLE;
		if (account_role_parse(role_s, &role) < 0) {
			agents_page(q, MHD_HTTP_BAD_REQUEST, "rôle inconnu : rien n'a été fait.", id,
			    NULL);
			return;
		}
	} else if (strcmp(action, "desactiver") == 0)
		op = ACCOUNT_OP_DISABLE;
	else if (strcmp(action, "reactiver") == 0)
		op = ACCOUNT_OP_ENABLE;
	else if (strcmp(action, "mot_de_passe") == 0 && pw != NULL)
		op = ACCOUNT_OP_PASSWORD;
	else {
		agents_page(q, MHD_HTTP_BAD_REQUEST, "action inconnue : rien n'a été fait.", id,
		    NULL);
		return;
	}
	if (account_admin(&q->w->port, &q->a, id, op, role, pw, pw ? strlen(pw) : 0, q->now,
	    err, sizeof(err)) < 0) {
		agents_page(q, MHD_HTTP_BAD_REQUEST, err, id, NULL);
		return;
	}
	snprintf(path, sizeof(path), "/agents?fait=%s", action);
	resp_redirect(q, path);
}
