/*
 * pages_admin - the administrator's page of accounts (GET /agents): every
 * agent with role, password set or not, enabled or not, and the forms
 * that change them (POST /agents).  The rules (who may, nobody locks
 * themself out, password policy, sessions closed, audit) are in
 * relay/account.c (account_list, account_admin); this file reads fields
 * and writes HTML.  Metadata only: no case is shown here.
 */
#include "adapters/http/http_int.h"

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

static void
agents_page(struct req *q, unsigned status, const char *error, const char *error_agent)
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
	buf_puts(b, "<p class=\"hint\">Un compte est créé sur le serveur (fsrelay agents add) ;"
	    " ici, vous changez son rôle, définissez son mot de passe (12 caractères au moins)"
	    " ou le désactivez. Chaque changement ferme les sessions ouvertes du compte et"
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
	h_page_end(q);
	free(list);
}

void
page_agents(struct req *q)
{
	agents_page(q, MHD_HTTP_OK, NULL, NULL);
}

void
post_agents(struct req *q)
{
	const char *id = req_field(q, "agent"), *action = req_field(q, "action");
	const char *pw = req_field(q, "mot_de_passe"), *role_s = req_field(q, "role");
	enum account_op op;
	enum role role = ROLE_AGENT;
	char err[512], path[64];

	if (id == NULL || action == NULL) {
		agents_page(q, MHD_HTTP_BAD_REQUEST, "formulaire incomplet : rien n'a été fait.", NULL);
		return;
	}
	if (strcmp(action, "role") == 0) {
		op = ACCOUNT_OP_ROLE;
		if (account_role_parse(role_s, &role) < 0) {
			agents_page(q, MHD_HTTP_BAD_REQUEST, "rôle inconnu : rien n'a été fait.", id);
			return;
		}
	} else if (strcmp(action, "desactiver") == 0)
		op = ACCOUNT_OP_DISABLE;
	else if (strcmp(action, "reactiver") == 0)
		op = ACCOUNT_OP_ENABLE;
	else if (strcmp(action, "mot_de_passe") == 0 && pw != NULL)
		op = ACCOUNT_OP_PASSWORD;
	else {
		agents_page(q, MHD_HTTP_BAD_REQUEST, "action inconnue : rien n'a été fait.", id);
		return;
	}
	if (account_admin(&q->w->port, &q->a, id, op, role, pw, pw ? strlen(pw) : 0, q->now,
	    err, sizeof(err)) < 0) {
		agents_page(q, MHD_HTTP_BAD_REQUEST, err, id);
		return;
	}
	snprintf(path, sizeof(path), "/agents?fait=%s", action);
	resp_redirect(q, path);
}
