/*
 * cmd_mandate - fsrelay mandate renew|revoke: the person's new mandate for
 * a case, or its withdrawal (issue 14, point 1).  The rules are the core's
 * (outbox_mandate_renew, desk_mandate_revoke): this file parses and prints.
 */
#include "adapters/cli/cli.h"
#include "adapters/cli/commands.h"
#include "adapters/cli/files.h"
#include "relay/case.h"
#include "relay/desk.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/pieces.h"
#include "relay/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 1024

static const struct cli_cmd renew_cmd = { "mandate renew",
	"mandate renew REF --mandat-signe-le AAAA-MM-JJ [--mandat-fichier F]",
	"Enregistre le nouveau mandat de la personne pour le dossier REF : date de\n"
	"signature (valable un an à partir d'elle, jugée à l'heure de Paris comme à\n"
	"escalate) et, si donnée, l'empreinte SHA-256 de sa copie signée (seule\n"
	"l'empreinte est gardée).  Les envois retenus parce que le mandat avait\n"
	"expiré partent à la passe suivante de serve ; les courriers préparés sont\n"
	"refaits (ils portent la date du mandat).  Journalisé (case.mandate_renewed).\n"
	"Refus (code 1) : dossier inconnu ou clos, date future ou de plus d'un an.\n",
	1, 1 };

/* The signed copy is read here (a face reads the agent's files); the core
 * keeps only its fingerprint. */
static int
mandate_fingerprint(const char *path, char hex[65], char *err, size_t errlen)
{
	struct buf b;
	int r;

	r = cli_read_file(path, &b, CASE_PIECE_MAX, "mandat", "mandat trop gros", err,
	    errlen);
	if (r == 0)
		r = pieces_mandate_sha256((const uint8_t *)b.p, b.len, hex, err, errlen);
	buf_free(&b);
	return r;
}

static int
mandate_renew(int argc, char **argv)
{
	const char **pos = NULL, *signed_on = NULL, *file = NULL;
	const struct cli_opt opts[] = {
		{ "mandat-signe-le", &signed_on, NULL, NULL, NULL },
		{ "mandat-fichier", &file, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN], hex[65];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&renew_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (signed_on == NULL) {
		r = cli_usage(&renew_cmd, "--mandat-signe-le est obligatoire");
		goto out;
	}
	if (file != NULL && mandate_fingerprint(file, hex, err, sizeof(err)) < 0)
		r = cli_fail("mandate renew : refusé : %s", err);
	else if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING, err,
	    sizeof(err)) < 0 ||
	    outbox_mandate_renew(&in, pos[0], signed_on, file ? hex : NULL, "cli", err,
	    sizeof(err)) < 0)
		r = cli_fail("mandate renew : refusé : %s", err);
	else
		fprintf(stderr, "mandat du dossier %s renouvelé (signé le %s)\n", pos[0],
		    signed_on);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

static const struct cli_cmd revoke_cmd = { "mandate revoke",
	"mandate revoke REF --motif TEXTE [--agent A]",
	"La personne retire son mandat (convention, annexe 7) : chaque référent qui a\n"
	"reçu le dossier REF reçoit un avis, en français et sans autre donnée que la\n"
	"référence, lui demandant de détruire sa copie ; puis le dossier est annulé et\n"
	"détruit aussitôt, comme par cancel.  --motif est obligatoire et n'est pas\n"
	"conservé (n'y mettez pas de nom).  Journalisé (case.mandate_revoked, avec le\n"
	"nombre de référents prévenus).  Les avis partent à la passe suivante de serve.\n"
	"Refus (code 1) : dossier inconnu, détruit ou d'une autre structure (--agent).\n",
	1, 1 };

static int
mandate_revoke(int argc, char **argv)
{
	const char **pos = NULL, *motif = NULL, *agent = NULL;
	const struct cli_opt opts[] = {
		{ "motif", &motif, NULL, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	size_t told = 0;
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&revoke_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (motif == NULL) {
		r = cli_usage(&revoke_cmd, "--motif est obligatoire");
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0)
		r = cli_fail("mandate revoke : %s", err);
	else if ((r = desk_mandate_revoke(&in, pos[0], agent, motif, &told, err,
	    sizeof(err))) < 0)
		r = cli_fail("mandate revoke : refusé : %s", err);
	else {
		if (r == 1)
			fprintf(stderr, "attention : %s\n", err);
		fprintf(stderr, "mandat du dossier %s retiré : %zu référent(s) prévenu(s), dossier"
		    " annulé et détruit\n", pos[0], told);
		r = EXIT_OK;
	}
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

int
cmd_mandate(int argc, char **argv)
{
	static const struct cli_cmd m_cmd = { "mandate", "mandate renew|revoke …", "", 0, 0 };
	const char *const lines[] = { renew_cmd.usage, revoke_cmd.usage, NULL };

	if (cli_group_help(argc, argv, "mandate", lines))
		return EXIT_OK;
	if (argc >= 1 && strcmp(argv[0], "renew") == 0)
		return mandate_renew(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "revoke") == 0)
		return mandate_revoke(argc - 1, argv + 1);
	return cli_usage(&m_cmd, "sous-commande attendue : renew ou revoke");
}
