/*
 * main - the fsrelay binary: global options, then one subcommand, the way
 * git works.  See docs/cli.md.
 */
#include "adapters/cli/cli.h"
#include "adapters/cli/commands.h"
#include "keys/keystore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "init", cmd_init, "crée l'instance (base et clés)" },
	{ "check", cmd_check, "vérifie configuration, clés, annuaire et fuseau" },
	{ "keys", cmd_keys, "clés publiques (show), clé compromise (compromised)" },
	{ "referents", cmd_referents, "annuaire : import, list, check, key" },
	{ "agents", cmd_agents, "comptes : add, list, password" },
	{ "web", cmd_web, "le guichet web (HTTP) des agents, responsables, DPO et administrateurs" },
	{ "escalate", cmd_escalate, "transmet un dossier au référent" },
	{ "cases", cmd_cases, "liste les dossiers" },
	{ "show", cmd_show, "affiche un dossier déchiffré" },
	{ "cancel", cmd_cancel, "annule et détruit un dossier" },
	{ "mandate", cmd_mandate, "mandat de la personne : renew (nouvelle signature)" },
	{ "open", cmd_open, "déchiffre et vérifie un dossier reçu (.age)" },
	{ "serve", cmd_serve, "le démon : réponses, échéances, envois" },
	{ "wait", cmd_wait, "met un dossier en attente de l'usager (horloge suspendue)" },
	{ "resume", cmd_resume, "relance l'horloge du référent d'un dossier" },
	{ "status", cmd_status, "état du relais : file, boîte, dossiers, retards" },
	{ "report", cmd_report, "rapport trimestriel par partenaire et motif (texte, CSV, JSON, SVG)" },
	{ "send", cmd_send, "envoie un complément dans un dossier" },
	{ "reroute", cmd_reroute, "transmet un dossier à l'échelon suivant" },
	{ "close", cmd_close, "clôt un dossier (résolu)" },
	{ "quarantine", cmd_quarantine, "courriels en quarantaine : list, show, assign, reject" },
	{ "audit", cmd_audit, "journal d'audit : checkpoint, verify, export" },
	{ "breach", cmd_breach, "registre des violations de données (DPO)" },
};

static int
usage(FILE *f, int status)
{
	size_t i;

	fprintf(f, "usage : fsrelay [-c FICHIER] COMMANDE [OPTIONS]\n\n"
	    "Relais sécurisé des dossiers France Services vers les référents partenaires.\n\n"
	    "Commandes :\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions globales :\n"
	    "  -c FICHIER   configuration (défaut : $FSRELAY_CONFIG, sinon %s)\n"
	    "  --version    version\n\n"
	    "« fsrelay COMMANDE --help » détaille chaque commande.  Codes de sortie :\n"
	    "0 succès, 1 refus ou échec (raison en français sur la sortie d'erreur),\n"
	    "2 erreur d'utilisation.\n", CLI_DEFAULT_CONFIG);
	return status;
}

int
main(int argc, char **argv)
{
	char warn[512];
	size_t i;
	int a = 1;

	/* No core dumps, no ptrace, sodium ready, before any key is read. */
	if (keystore_harden_process(warn, sizeof(warn)) < 0) {
		fprintf(stderr, "fsrelay : %s\n", warn);
		return EXIT_REFUSED;
	}
	if (warn[0] && getenv("FSRELAY_QUIET_MLOCK") == NULL)
		fprintf(stderr, "fsrelay : attention : %s\n", warn);
	cli_config_path = getenv("FSRELAY_CONFIG");
	while (a < argc && argv[a][0] == '-') {
		if (strcmp(argv[a], "-c") == 0 || strcmp(argv[a], "--config") == 0) {
			if (a + 1 >= argc)
				return usage(stderr, EXIT_USAGE);
			cli_config_path = argv[a + 1];
			a += 2;
		} else if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
			return usage(stdout, EXIT_OK);
		else if (strcmp(argv[a], "--version") == 0) {
			printf("fsrelay 0.1\n");
			return EXIT_OK;
		} else {
			fprintf(stderr, "fsrelay : option inconnue « %s »\n", argv[a]);
			return usage(stderr, EXIT_USAGE);
		}
	}
	if (cli_config_path == NULL || *cli_config_path == '\0')
		cli_config_path = CLI_DEFAULT_CONFIG;
	if (a >= argc)
		return usage(stderr, EXIT_USAGE);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[a], commands[i].name) == 0)
			return commands[i].fn(argc - a - 1, argv + a + 1);
	fprintf(stderr, "fsrelay : commande inconnue « %s »\n", argv[a]);
	return usage(stderr, EXIT_USAGE);
}
