/*
 * cmd_show - the CLI face of reading and closing cases: cases, show,
 * cancel.  The rules (who may read, what is decrypted, the audit of each
 * reading, the shredding) are relay/desk's; this file parses and prints.
 */
#include "adapters/cli/commands.h"
#include "adapters/cli/cli.h"
#include "relay/calendar.h"
#include "relay/casejson.h"
#include "relay/desk.h"
#include "relay/instance.h"
#include "relay/sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERRLEN 1024
#define OUT_MAX (256 * 1024 * 1024)

/* ---- cases ---------------------------------------------------------- */

static const struct cli_cmd cases_cmd = { "cases",
	"cases [--agent A] [--state ÉTAT] [--overdue] [--due-before DATE]\n"
	"                [--nom N --prenom P [--ne-le AAAA-MM-JJ]] [--json]",
	"Liste les dossiers, du plus récent au plus ancien : référence, état,\n"
	"partenaire, motif, échéance du référent et échéance « répondre à\n"
	"l'usager ».  Aucune donnée personnelle n'est affichée.\n"
	"  --agent A     seulement les dossiers saisis par l'agent A\n"
	"  --state ÉTAT  queued, awaiting, answered, waiting_user, resolved,\n"
	"                cancelled, failed ou shredded\n"
	"  --overdue     seulement les dossiers en retard : échéance du référent\n"
	"                passée, ou plus aucun palier à qui transmettre\n"
	"  --due-before DATE\n"
	"                seulement les dossiers ouverts dont l'échéance du référent\n"
	"                ou « répondre à l'usager » tombe avant DATE (AAAA-MM-JJ :\n"
	"                00:00 heure de Paris ; ou AAAA-MM-JJTHH:MM:SSZ)\n"
	"  --nom N --prenom P [--ne-le AAAA-MM-JJ]\n"
	"                seulement les dossiers de cette personne, détruits compris\n"
	"                (demande d'accès, art. 15 RGPD) : retrouvés par l'index\n"
	"                aveugle, sans que le relais garde le nom ; majuscules,\n"
	"                accents, espaces et tirets ne comptent pas ; la date de\n"
	"                naissance doit être celle donnée à « escalate » (ou\n"
	"                absente des deux côtés).  Chaque recherche est journalisée\n"
	"                (sans le nom).  Lit la clé d'index.\n"
	"  --json        tableau JSON (docs/json.md)\n", 0, 0 };

/* DATE as 00:00 Europe/Paris, or an RFC 3339 instant.  0 / -1. */
static int
parse_limit(const char *s, int64_t *t)
{
	int y, m, d;

	if (cal_parse_date(s, &y, &m, &d) == 0)
		return cal_paris_midnight(y, m, d, t);
	return cal_parse_rfc3339(s, t);
}

static void
case_line(struct instance *in, const struct case_row *c, struct buf *out)
{
	char due[CAL_PARIS_LEN] = "-", udue[CAL_PARIS_LEN] = "-";

	/* Times shown to people: Paris time with its offset (JSON: UTC). */
	if (c->due_at)
		cal_format_paris(due, c->due_at);
	if (c->user_due_at)
		cal_format_paris(udue, c->user_due_at);
	buf_printf(out, "%s  %-22s %-12s %-22s référent : %s  usager : %s%s", c->ref,
	    desk_state_label(c->state), c->partner, c->topic, due, udue,
	    c->overdue ? "  EN RETARD" : "");
	if (c->last_error[0])
		buf_printf(out, "  erreur : %s", c->last_error);
	buf_puts(out, "\n");
	(void)in;
}

int
cmd_cases(int argc, char **argv)
{
	const char *before = NULL, **pos = NULL;
	struct desk_filter f;
	int as_json = 0, by_person;
	const struct cli_opt opts[] = {
		{ "agent", &f.agent, NULL, NULL, NULL },
		{ "state", &f.state, NULL, NULL, NULL },
		{ "overdue", NULL, &f.overdue, NULL, NULL },
		{ "due-before", &before, NULL, NULL, NULL },
		{ "nom", &f.nom, NULL, NULL, NULL },
		{ "prenom", &f.prenom, NULL, NULL, NULL },
		{ "ne-le", &f.ne_le, NULL, NULL, NULL },
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct case_row *list = NULL;
	struct buf out;
	enum case_state s;
	char err[ERRLEN];
	size_t n = 0, i;
	int npos, r;

	memset(&f, 0, sizeof(f));
	memset(&in, 0, sizeof(in));
	buf_init(&out, OUT_MAX);
	if ((r = cli_parse(&cases_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	by_person = f.nom || f.prenom || f.ne_le;
	/* What needs no instance is refused before one is opened. */
	if (f.state && case_state_parse(f.state, &s) < 0) {
		r = cli_usage(&cases_cmd, "état inconnu « %s »", f.state);
		goto out;
	}
	if (before && parse_limit(before, &f.due_before) < 0) {
		r = cli_usage(&cases_cmd, "--due-before : date invalide « %.40s » (AAAA-MM-JJ)",
		    before);
		goto out;
	}
	if (by_person && (f.nom == NULL || f.prenom == NULL)) {
		r = cli_usage(&cases_cmd, "--nom et --prenom vont ensemble");
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE | (by_person ? INST_KEYS : 0), err,
	    sizeof(err)) < 0) {
		r = cli_fail("cases : %s", err);
		goto out;
	}
	if ((r = desk_list(&in, &f, &list, &n, err, sizeof(err))) != 0) {
		r = r == DESK_EINPUT ? cli_usage(&cases_cmd, "%s", err) :
		    cli_fail("cases : %s", err);
		goto out;
	}
	if (as_json)
		buf_puts(&out, "[");
	for (i = 0; i < n; i++) {
		if (as_json) {
			buf_puts(&out, i ? ",\n{" : "\n{");
			casejson_fields(&in, &list[i], &out);
			buf_puts(&out, "}");
		} else
			case_line(&in, &list[i], &out);
	}
	if (as_json)
		buf_puts(&out, "\n]\n");
	r = cli_emit(&out);
out:
	buf_free(&out);
	free(list);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- show ----------------------------------------------------------- */

static const struct cli_cmd show_cmd = { "show",
	"show RÉFÉRENCE [--agent A] [--json] [--extraire DIR] [--deplier]",
	"Affiche un dossier déchiffré : la personne, l'état, les destinataires, les\n"
	"échéances et le fil des messages avec leurs pièces jointes.  Réservé à\n"
	"l'agent de la structure : avec --agent A, l'agent doit appartenir à la\n"
	"structure du dossier et la lecture est journalisée à son nom.  Un dossier\n"
	"détruit (annulé ou résolu puis\n"
	"effacé) ne peut plus être lu : code 1, « dossier détruit ».\n"
	"L'historique cité d'une réponse (le courriel du relais ou un message\n"
	"précédent du fil, repris sous la réponse) est replié en une ligne « [… historique\n"
	"replié …] » ; rien de ce que le référent a écrit lui-même n'est replié.\n"
	"  --deplier       affiche le texte entier de chaque réponse, historique compris\n"
	"  --extraire DIR  écrit aussi les pièces jointes de tous les messages dans DIR\n"
	"                 (créé 0700 s'il n'existe pas ; un fichier existant n'est\n"
	"                 jamais écrasé : le nom est alors préfixé du numéro du message)\n",
	1, 1 };

static void
attachments_out(const struct desk_message *m, struct buf *out)
{
	size_t i;

	for (i = 0; i < m->n_att; i++) {
		const struct desk_attachment *a = &m->att[i];

		buf_puts(out, "    pièce jointe : ");
		(void)san_append(out, a->name, strlen(a->name), 0);
		buf_printf(out, " (%lld octets, sha256 %s)\n", (long long)a->size, a->sha256);
	}
}

static void
message_out(const struct desk_message *dm, int unfold, struct buf *out)
{
	const char *text = unfold && dm->full_text ? dm->full_text : dm->text;
	size_t len = unfold && dm->full_text ? dm->full_len : dm->text_len;
	const struct message_row *m = &dm->row;
	char at[CAL_PARIS_LEN];

	/* Sender, recipients and text may come from a stranger's mail (or
	 * its decrypted age content): sanitised, never raw. */
	cal_format_paris(at, m->at);
	buf_printf(out, "\n--- %s le %s, de ", case_message_label(m->kind, m->direction), at);
	(void)san_append(out, m->sender, strlen(m->sender), 0);
	buf_puts(out, " à ");
	(void)san_append(out, m->recipients, strlen(m->recipients), 0);
	buf_printf(out, "%s\n", m->flagged ? " [À VÉRIFIER]" : "");
	if (text != NULL)
		(void)san_append(out, text, len, SAN_LINES);
	if (len && text[len - 1] != '\n')
		buf_puts(out, "\n");
	if (!unfold && dm->full_text)
		buf_puts(out, "    (historique replié : fsrelay show --deplier pour le texte entier)\n");
	attachments_out(dm, out);
}

static void
show_case(struct instance *in, const struct desk_view *v, int as_json, int unfold,
    struct buf *out)
{
	const struct case_row *c = &v->c;
	const struct person *p = &v->person;
	size_t i;

	if (as_json) {
		casejson_view(in, v, out);
		buf_puts(out, "\n");
		return;
	}
	buf_printf(out, "Dossier %s — %s\nPartenaire : %s, motif : %s, structure : %s,"
	    " agent : %s\nPersonne : %s %s%s%s%s%s\nMandat signé le %s\n", c->ref,
	    desk_state_label(c->state), c->partner, c->topic, c->structure, c->agent,
	    p->prenom, p->nom, p->ne_le[0] ? ", née ou né le " : "", p->ne_le,
	    p->id_partenaire[0] ? ", identifiant partenaire " : "", p->id_partenaire,
	    p->mandat_signe_le);
	buf_puts(out, "Destinataires (échelon courant) : ");
	for (i = 0; i < v->n_rcpt; i++)
		buf_printf(out, "%s%s", i ? " " : "", v->rcpt[i].recipient);
	buf_puts(out, "\n");
	if (c->last_error[0]) {
		/* may quote a server's reply */
		buf_puts(out, "Dernière erreur : ");
		(void)san_append(out, c->last_error, strlen(c->last_error), 0);
		buf_puts(out, "\n");
	}
	for (i = 0; i < v->n_msg; i++)
		message_out(&v->msg[i], unfold, out);
}

/* Write one attachment of the case's thread into dir (issue 4): names
 * cleaned and clashes numbered as `open` does (relay/sanitize). */
struct extract {
	const char	*dir;
	int		 dirfd;
	char		*err;
	size_t		 errlen;
};

static int
extract_one(void *arg, const struct document_row *d, const char *name, const void *data,
    size_t len)
{
	const struct extract *x = arg;
	char used[2 * SAN_DISK_MAX];
	int fd, r = -1;

	(void)d;
	if ((fd = san_create(x->dirfd, name[0] ? name : "piece", used, sizeof(used), x->err,
	    x->errlen)) < 0)
		return -1;
	if (fs_write_all(fd, data, len) < 0 || fsync(fd) < 0)
		snprintf(x->err, x->errlen, "%s/%s : écriture impossible : %s", x->dir, used,
		    strerror(errno));
	else {
		fprintf(stderr, "fsrelay : pièce écrite : %s/%s\n", x->dir, used);
		r = 0;
	}
	if (close(fd) < 0 && r == 0) {
		snprintf(x->err, x->errlen, "%s/%s : écriture impossible : %s", x->dir, used,
		    strerror(errno));
		r = -1;
	}
	return r;
}

static int
extract_all(struct instance *in, const struct case_row *c, const char *dir, char *err,
    size_t errlen)
{
	struct extract x = { dir, -1, err, errlen };
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s : création impossible : %s", dir, strerror(errno));
		return -1;
	}
	if ((x.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s : dossier inutilisable : %s", dir,
		    errno == ELOOP ? "c'est un lien symbolique" : strerror(errno));
		return -1;
	}
	r = desk_attachments(in, c, extract_one, &x, err, errlen) == 0 ? 0 : -1;
	close(x.dirfd);
	return r;
}

int
cmd_show(int argc, char **argv)
{
	const char **pos = NULL, *agent = NULL, *extraire = NULL;
	int as_json = 0, unfold = 0;
	const struct cli_opt opts[] = {
		{ "json", NULL, &as_json, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ "extraire", &extraire, NULL, NULL, NULL },
		{ "deplier", NULL, &unfold, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct desk_view v;
	struct buf out;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	memset(&v, 0, sizeof(v));
	buf_init(&out, OUT_MAX);
	if ((r = cli_parse(&show_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (!case_ref_valid(pos[0])) {
		r = cli_fail("show : référence invalide « %.40s » (attendu FS-NNNNN-AAAA-NNNNNN)",
		    pos[0]);
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0) {
		r = cli_fail("show : %s", err);
		goto out;
	}
	if (desk_show(&in, pos[0], agent, &v, err, sizeof(err)) < 0) {
		r = cli_fail("show : %s", err);
		goto out;
	}
	show_case(&in, &v, as_json, unfold, &out);
	if (extraire && extract_all(&in, &v.c, extraire, err, sizeof(err)) < 0)
		r = cli_fail("show : %s : --extraire : %s", v.c.ref, err);
	else
		r = cli_emit(&out);
out:
	desk_view_free(&v);
	buf_free(&out);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- cancel --------------------------------------------------------- */

static const struct cli_cmd cancel_cmd = { "cancel",
	"cancel RÉFÉRENCE --motif TEXTE [--agent A]",
	"Annule un dossier et le détruit aussitôt (crypto-effacement) : la clé du\n"
	"dossier, la personne, la description et les pièces sont effacées ; seuls\n"
	"restent la référence, les dates, les empreintes et tailles des pièces et,\n"
	"pour chaque envoi, l'empreinte de la clé du destinataire.  Les envois pas\n"
	"encore partis sont abandonnés.  Le motif est exigé mais n'est pas\n"
	"conservé en clair (il pourrait contenir des données personnelles).\n"
	"Avec --agent A, l'agent doit appartenir à la structure du dossier.\n", 1, 1 };

int
cmd_cancel(int argc, char **argv)
{
	const char *motif = NULL, **pos = NULL, *agent = NULL;
	const struct cli_opt opts[] = {
		{ "motif", &motif, NULL, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&cancel_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (motif == NULL) {
		r = cli_usage(&cancel_cmd, "--motif est obligatoire");
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0) {
		r = cli_fail("cancel : %s", err);
		goto out;
	}
	if ((r = desk_cancel(&in, pos[0], agent, motif, err, sizeof(err))) < 0) {
		r = cli_fail("cancel : %s", err);
		goto out;
	}
	if (r == 1)
		fprintf(stderr, "fsrelay : attention : %s\n", err);
	fprintf(stderr, "fsrelay : dossier %s annulé et détruit\n", pos[0]);
	r = EXIT_OK;
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
