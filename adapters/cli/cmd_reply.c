/*
 * cmd_reply - what the agent does once a case has left (issue 4): send a
 * follow-up in the same case, reroute it to the next rung, close it, and
 * handle the quarantine (list, show, assign, reject).
 *
 * Trusts: the store and the keys.  Every argument is checked; texts the
 * agent types (motif, resolution) may carry personal data, so they are
 * required but never stored in clear.
 */
#include "adapters/cli/commands.h"
#include "relay/desk.h"
#include "relay/calendar.h"
#include "adapters/cli/cli.h"
#include "adapters/cli/files.h"
#include "relay/inbox.h"
#include "relay/instance.h"
#include "relay/match.h"
#include "relay/outbox.h"
#include "relay/pieces.h"
#include "relay/sanitize.h"
#include "relay/sealed.h"
#include "relay/vault.h"
#include "adapters/mime.h"
#include "adapters/store.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN	1024
#define OUT_MAX	(256 * 1024 * 1024)

/* ---- send ----------------------------------------------------------- */

static const struct cli_cmd send_cmd = { "send",
	"send RÉFÉRENCE --description-file F [--piece F]... [--agent A]",
	"Envoie un complément dans le même dossier (le référent a demandé une pièce,\n"
	"une précision) aux destinataires de l'échelon courant : un message chiffré\n"
	"par destinataire, comme le dossier, avec le même sujet ; la réponse revient\n"
	"sur le dossier.  Le dossier repasse « en file d'envoi » puis « en attente\n"
	"de réponse ».\n"
	"  --description-file F  le texte du complément (UTF-8, 64 Kio au plus)\n"
	"  --piece F             pièce jointe (10 Mio au plus, 20 Mio en tout)\n"
	"Refus (code 1) : dossier inconnu, détruit, résolu, annulé ou en échec ;\n"
	"aucun destinataire avec une clé épinglée ; texte ou pièce trop gros.\n"
	"Avec --agent A, l'agent doit appartenir à la structure du dossier et\n"
	"l'action est journalisée à son nom (sinon au nom de « cli »).\n", 1, 1 };

int
cmd_send(int argc, char **argv)
{
	const char *descr = NULL, **pos = NULL, *agent = NULL, **paths = NULL;
	size_t n_paths = 0;
	const struct cli_opt opts[] = {
		{ "description-file", &descr, NULL, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ "piece", NULL, NULL, &paths, &n_paths },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct pieces pieces;
	struct buf text;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	memset(&pieces, 0, sizeof(pieces));
	buf_init(&text, CASE_DESCRIPTION_MAX);
	if ((r = cli_parse(&send_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (descr == NULL) {
		r = cli_usage(&send_cmd, "--description-file est obligatoire");
		goto out;
	}
	if (cli_read_file(descr, &text, CASE_DESCRIPTION_MAX, "texte", "texte trop long",
	    err, sizeof(err)) < 0 ||
	    cli_read_pieces(&pieces, paths, n_paths, err, sizeof(err)) < 0) {
		r = cli_fail("send : refusé : %s", err);
		goto out;
	}
	if (!case_ref_valid(pos[0])) {
		r = cli_fail("send : référence invalide « %.40s » (attendu FS-NNNNN-AAAA-NNNNNN)",
		    pos[0]);
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING, err,
	    sizeof(err)) < 0)
		r = cli_fail("send : %s", err);
	else if (desk_send(&in, pos[0], agent, text.p, text.len, &pieces, err, sizeof(err)) < 0)
		r = cli_fail("send : %s", err);
	else
		fprintf(stderr, "fsrelay : complément du dossier %s mis en file d'envoi\n", pos[0]);
out:
	buf_free(&text);
	pieces_free(&pieces);
	free(paths);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- reroute -------------------------------------------------------- */

static const struct cli_cmd reroute_cmd = { "reroute", "reroute RÉFÉRENCE [--motif TEXTE] [--agent A]",
	"Transmet le dossier à l'échelon suivant de l'annuaire, tout de suite (le\n"
	"référent a répondu « ce n'est pas pour moi », ou ne répond pas).  Les envois\n"
	"encore en file de l'échelon courant sont abandonnés.  Le motif, facultatif,\n"
	"n'est pas conservé en clair.\n"
	"Refus (code 1) : dossier inconnu, détruit, résolu, annulé ou en échec ; pas\n"
	"d'échelon suivant.\n"
	"Avec --agent A, l'agent doit appartenir à la structure du dossier et\n"
	"l'action est journalisée à son nom (sinon au nom de « cli »).\n", 1, 1 };

int
cmd_reroute(int argc, char **argv)
{
	const char *motif = NULL, **pos = NULL, *agent = NULL;
	const struct cli_opt opts[] = {
		{ "motif", &motif, NULL, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	int npos, r, rung = 0, q = 0;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&reroute_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING, err,
	    sizeof(err)) < 0)
		r = cli_fail("reroute : %s", err);
	else if (desk_reroute(&in, pos[0], agent, motif, &rung, &q, err, sizeof(err)) < 0)
		r = cli_fail("reroute : %s", err);
	else
		fprintf(stderr, "fsrelay : dossier %s transmis à l'échelon %d (%d"
		    " destinataire(s))\n", pos[0], rung, q);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- close ---------------------------------------------------------- */

static const struct cli_cmd close_cmd = { "close", "close RÉFÉRENCE --resolution TEXTE [--agent A]",
	"Clôt le dossier : état « résolu ».  Les envois encore en file sont abandonnés,\n"
	"les relances s'arrêtent ; une réponse qui arriverait ensuite va en\n"
	"quarantaine (« case-closed »).  Le dossier sera détruit après le délai de\n"
	"conservation (shred_grace_days).  La résolution est exigée mais n'est pas\n"
	"conservée en clair.\n"
	"Refus (code 1) : dossier inconnu, détruit, déjà résolu ou annulé.\n"
	"Avec --agent A, l'agent doit appartenir à la structure du dossier et\n"
	"l'action est journalisée à son nom (sinon au nom de « cli »).\n", 1, 1 };

int
cmd_close(int argc, char **argv)
{
	const char *resolution = NULL, **pos = NULL, *agent = NULL;
	const struct cli_opt opts[] = {
		{ "resolution", &resolution, NULL, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&close_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (resolution == NULL) {
		r = cli_usage(&close_cmd, "--resolution est obligatoire");
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0)
		r = cli_fail("close : %s", err);
	else if (desk_close(&in, pos[0], agent, resolution, err, sizeof(err)) < 0)
		r = cli_fail("close : %s", err);
	else
		fprintf(stderr, "fsrelay : dossier %s clos (résolu)\n", pos[0]);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- quarantine ----------------------------------------------------- */

static const struct cli_cmd q_list_cmd = { "quarantine list", "quarantine list [--json]",
	"Liste les courriels en quarantaine (non rattachés à un dossier) : numéro,\n"
	"date de réception, raison, état, expéditeur, objet (déchiffrés pour\n"
	"l'affichage), dossier désigné par leurs clés s'il y en a un.  Raisons :\n"
	"stranger (expéditeur inconnu), conflicting-keys (clés de dossiers\n"
	"différents), no-case (aucune clé), case-closed (dossier clos), dmarc-fail,\n"
	"malformed (illisible), loop (notre propre courriel), dsn-unmatched (avis de\n"
	"non-remise sans envoi correspondant), unverified (dossier désigné par la seule\n"
	"référence de l'objet : à confirmer par quarantine assign), dsn-implausible\n"
	"(avis de non-remise venu d'un serveur étranger à l'envoi).  États : held,\n"
	"assigned, rejected.\n"
	"  --json   tableau JSON (docs/json.md)\n", 0, 0 };

static const struct cli_cmd q_show_cmd = { "quarantine show", "quarantine show ID",
	"Affiche un courriel en quarantaine, déchiffré : en-têtes utiles, texte (analysé\n"
	"dans un processus isolé) et pièces jointes.\n", 1, 1 };

static const struct cli_cmd q_assign_cmd = { "quarantine assign",
	"quarantine assign ID RÉFÉRENCE",
	"Rattache un courriel en quarantaine au dossier RÉFÉRENCE comme une réponse,\n"
	"marquée « à vérifier » : le dossier passe « répondu » et l'agent est prévenu.\n"
	"Refus (code 1) : numéro inconnu, courriel déjà rattaché ou rejeté, dossier\n"
	"inconnu ou détruit.\n", 2, 2 };

static const struct cli_cmd q_reject_cmd = { "quarantine reject", "quarantine reject ID",
	"Rejette un courriel en quarantaine : son contenu chiffré est effacé ; seuls\n"
	"restent le numéro, la raison et les dates.\n", 1, 1 };

static void
q_json(struct buf *out, const struct quarantine_row *q, const char *mid, const char *from,
    const char *subject)
{
	buf_printf(out, "{\"id\":%lld,\"message_id\":", (long long)q->id);
	json_str(out, mid && *mid ? mid : NULL);
	buf_puts(out, ",\"from\":");
	json_str(out, from && *from ? from : NULL);
	buf_puts(out, ",\"subject\":");
	json_str(out, subject);
	buf_puts(out, ",\"received_at\":");
	json_time(out, q->received_at);
	buf_puts(out, ",\"reason\":");
	json_str(out, q->reason);
	buf_puts(out, ",\"state\":");
	json_str(out, q->state);
	buf_puts(out, ",\"case\":");
	json_str(out, q->case_hint[0] ? q->case_hint : NULL);
	buf_puts(out, ",\"assigned_to\":");
	json_str(out, q->assigned_ref[0] ? q->assigned_ref : NULL);
	buf_puts(out, ",\"decided_at\":");
	json_time(out, q->decided_at);
	buf_puts(out, "}");
}

/* One line of untrusted text, at most max bytes of it, through the one
 * sanitiser (controls, C1, bidirectional overrides shown, not sent). */
static void
safe_line(struct buf *out, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	(void)san_append(out, s, n, 0);
}

static int
q_list(int argc, char **argv)
{
	const char **pos = NULL;
	int as_json = 0, npos, r;
	const struct cli_opt opts[] = {
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct quarantine_row *q = NULL;
	struct instance in;
	struct buf out;
	char err[ERRLEN], at[CAL_RFC3339_LEN];
	size_t n = 0, i;

	memset(&in, 0, sizeof(in));
	buf_init(&out, OUT_MAX);
	if ((r = cli_parse(&q_list_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0 ||
	    desk_quarantine_list(&in, NULL, &q, &n, err, sizeof(err)) < 0) {
		r = cli_fail("quarantine list : %s", err);
		goto out;
	}
	if (as_json)
		buf_puts(&out, "[");
	for (i = 0; i < n; i++) {
		char *mid = NULL, *from = NULL, *subject = NULL;
		int m = inbox_quarantine_meta(&in, q[i].id, q[i].raw_id, &mid, &from, &subject,
		    err, sizeof(err));

		if (m < 0)
			fprintf(stderr, "fsrelay : quarantaine %lld : %s\n", (long long)q[i].id, err);
		if (as_json) {
			buf_puts(&out, i ? ",\n" : "\n");
			q_json(&out, &q[i], mid, from, subject);
		} else {
			cal_format_rfc3339_utc(at, q[i].received_at);
			buf_printf(&out, "%lld  %s  %-16s %-8s ", (long long)q[i].id, at, q[i].reason,
			    q[i].state);
			safe_line(&out, from && *from ? from : "-", 100);
			buf_puts(&out, "  « ");
			safe_line(&out, subject ? subject : "(effacé)", 100);
			buf_puts(&out, " »");
			if (q[i].case_hint[0])
				buf_printf(&out, "  dossier %s", q[i].case_hint);
			if (q[i].assigned_ref[0])
				buf_printf(&out, "  rattaché à %s", q[i].assigned_ref);
			buf_puts(&out, "\n");
		}
		free(mid);
		free(from);
		free(subject);
	}
	if (as_json)
		buf_puts(&out, "\n]\n");
	r = cli_emit(&out);
out:
	buf_free(&out);
	free(q);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* Open instance and quarantine row pos[0]. */
static int
q_open(struct instance *in, const char *cmd, const char *id_s, struct quarantine_row *q)
{
	char err[ERRLEN];

	if (instance_open(in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0 ||
	    desk_quarantine_get(in, id_s, NULL, q, err, sizeof(err)) < 0)
		return cli_fail("%s : %s", cmd, err);
	return 0;
}


static int
q_show(int argc, char **argv)
{
	const char **pos = NULL;
	struct quarantine_row q;
	struct parsed_mail m;
	struct instance in;
	struct buf out;
	char err[ERRLEN], at[CAL_RFC3339_LEN];
	size_t i;
	int npos, r;

	memset(&in, 0, sizeof(in));
	memset(&m, 0, sizeof(m));
	buf_init(&out, OUT_MAX);
	if ((r = cli_parse(&q_show_cmd, argc, argv, NULL, &pos, &npos)) != 0 ||
	    (r = q_open(&in, "quarantine show", pos[0], &q)) != 0)
		goto out;
	if (desk_quarantine_show(&in, &q, NULL, &m, err, sizeof(err)) < 0) {
		r = cli_fail("quarantine show : %lld : %s", (long long)q.id, err);
		goto out;
	}
	cal_format_rfc3339_utc(at, q.received_at);
	buf_printf(&out, "Quarantaine %lld — raison : %s, état : %s, reçu le %s\n",
	    (long long)q.id, q.reason, q.state, at);
	if (q.case_hint[0])
		buf_printf(&out, "Dossier désigné par ses clés : %s\n", q.case_hint);
	buf_puts(&out, "De : ");
	safe_line(&out, m.from, 300);
	buf_puts(&out, "\nObjet : ");
	safe_line(&out, m.subject, 1000);
	buf_puts(&out, "\nMessage-ID : ");
	safe_line(&out, m.message_id ? m.message_id : "-", 300);
	buf_puts(&out, "\n\n");
	if (m.text != NULL)
		(void)san_append(&out, m.text, m.text_len, SAN_LINES);
	if (m.text_len && m.text[m.text_len - 1] != '\n')
		buf_puts(&out, "\n");
	for (i = 0; i < m.n_att; i++) {
		buf_puts(&out, "    pièce jointe : ");
		safe_line(&out, m.att[i].name, 300);
		buf_printf(&out, " (%zu octets, ", m.att[i].len);
		safe_line(&out, m.att[i].type, 100);
		buf_puts(&out, ")\n");
	}
	r = cli_emit(&out);
out:
	mime_free(&m);
	buf_free(&out);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

static int
q_assign(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&q_assign_cmd, argc, argv, NULL, &pos, &npos)) != 0)
		goto out;
	if (!case_ref_valid(pos[1])) {
		r = cli_fail("quarantine assign : référence invalide « %.40s »", pos[1]);
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0 ||
	    desk_quarantine_assign(&in, pos[0], pos[1], NULL, err, sizeof(err)) < 0)
		r = cli_fail("quarantine assign : %s", err);
	else
		fprintf(stderr, "fsrelay : courriel %s rattaché au dossier %s (à vérifier)\n",
		    pos[0], pos[1]);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

static int
q_reject(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&q_reject_cmd, argc, argv, NULL, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0 ||
	    (r = desk_quarantine_reject(&in, pos[0], NULL, err, sizeof(err))) < 0) {
		r = cli_fail("quarantine reject : %s", err);
		goto out;
	}
	if (r == 1)
		fprintf(stderr, "fsrelay : attention : %s\n", err);
	fprintf(stderr, "fsrelay : courriel %s rejeté, contenu effacé\n", pos[0]);
	r = EXIT_OK;
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

int
cmd_quarantine(int argc, char **argv)
{
	static const char *const lines[] = { "quarantine list [--json]", "quarantine show ID",
		"quarantine assign ID RÉFÉRENCE", "quarantine reject ID", NULL };

	if (cli_group_help(argc, argv, "quarantine", lines))
		return EXIT_OK;
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return q_list(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "show") == 0)
		return q_show(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "assign") == 0)
		return q_assign(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "reject") == 0)
		return q_reject(argc - 1, argv + 1);
	return cli_usage(&q_list_cmd, "sous-commande attendue : list, show, assign ou reject");
}
