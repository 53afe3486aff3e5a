/*
 * cmd_case - the CLI face of escalate: the options into a struct
 * desk_intake, the files it names read within their bounds, the reference
 * printed.  The rules (checks, routing, sealing, queueing in one
 * transaction) are relay/desk's.
 */
#include "adapters/cli/commands.h"
#include "adapters/cli/cli.h"
#include "adapters/cli/files.h"
#include "relay/desk.h"
#include "relay/directory.h"
#include "relay/instance.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 1024

static const struct cli_cmd escalate_cmd = { "escalate",
	"escalate --structure S --partner P --topic T --agent A --nom N --prenom P\n"
	"         [--ne-le AAAA-MM-JJ] [--id-partenaire ID] [--sollicite-le AAAA-MM-JJ]\n"
	"         --mandat-signe-le AAAA-MM-JJ [--mandat-fichier F] [--mandat-perimetre L]\n"
	"         --description-file F [--piece F]...",
	"Transmet le dossier bloqué d'une personne au référent du partenaire.\n"
	"Le dossier est acheminé selon l'annuaire (échelon 0 du partenaire pour la\n"
	"structure et le motif), chiffré au repos, puis mis en file d'envoi : un\n"
	"message chiffré par destinataire.  La référence du dossier est écrite sur\n"
	"la sortie (FS-<INSEE>-<année>-<numéro>) ; elle ne contient aucune donnée\n"
	"personnelle.\n\n"
	"  --structure S         structure France Services de l'agent\n"
	"  --partner P           partenaire (caf, cpam, msa, dgfip, pole-emploi, cnav,\n"
	"                        laposte, prefecture, cdad)\n"
	"  --topic T             motif (voir topics.csv)\n"
	"  --agent A             identifiant de l'agent qui saisit\n"
	"  --nom, --prenom       identité de la personne\n"
	"  --ne-le               date de naissance\n"
	"  --id-partenaire       numéro chez le partenaire (allocataire, fiscal...)\n"
	"  --sollicite-le        date de la demande de la personne (départ du délai\n"
	"                        « répondre à l'usager » ; sinon aujourd'hui)\n"
	"  --mandat-signe-le     date de signature du mandat (valable un an)\n"
	"  --mandat-fichier F    copie signée du mandat : seule son empreinte est gardée\n"
	"  --mandat-perimetre L  données que le mandat autorise, séparées par des\n"
	"                        virgules : identite (obligatoire), naissance,\n"
	"                        identifiant, nir, documents ; sans l'option, toutes.\n"
	"                        Une donnée hors du périmètre est refusée (ici et à send)\n"
	"  --description-file F  description de la situation (UTF-8, 64 Kio au plus)\n"
	"  --piece F             pièce jointe (10 Mio au plus, 20 Mio en tout)\n\n"
	"Refus (code 1, raison sur la sortie d'erreur) : agent, partenaire, motif ou\n"
	"structure inconnus ; structure qui n'est pas celle de l'agent ; aucun\n"
	"référent ; référent sans clé épinglée ; mandat futur ou expiré ; retour à\n"
	"la ligne ou caractère de contrôle dans un champ ; champ de plus de 200\n"
	"octets ; description vide ou trop longue, pièce ou total trop gros ;\n"
	"donnée de la personne qui apparaîtrait en clair dans le courriel,\n"
	"courriel plus gros que ce qu'accepte le serveur d'envoi (limite SIZE\n"
	"annoncée par le serveur, nommée dans le refus) : rien n'est alors\n"
	"enregistré.\n", 0, 0 };

/* The files escalate names, read within their bounds. */
struct files {
	struct buf	 description, mandate;
	struct pieces	 pieces;
};

static void
files_free(struct files *f)
{
	if (f->description.p)
		sodium_memzero(f->description.p, f->description.len);
	buf_free(&f->description);
	buf_free(&f->mandate);
	pieces_free(&f->pieces);
}

static int
files_read(struct files *f, const char *descr, const char *mandate, const char *const *paths,
    size_t n, char *err, size_t errlen)
{
	if (mandate && cli_read_file(mandate, &f->mandate, CASE_PIECE_MAX, "mandat",
	    "mandat trop gros", err, errlen) < 0)
		return -1;
	if (cli_read_file(descr, &f->description, CASE_DESCRIPTION_MAX, "description",
	    "description trop longue", err, errlen) < 0)
		return -1;
	return cli_read_pieces(&f->pieces, paths, n, err, errlen);
}

/* After escalate --help: the topics of the imported directory, if the
 * instance can be read (else nothing more). */
static void
help_topics(void)
{
	struct instance in;
	const struct directory *dir;
	struct buf out;
	char err[ERRLEN];

	memset(&in, 0, sizeof(in));
	buf_init(&out, 1024 * 1024);
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) == 0 &&
	    (dir = instance_directory(&in, err, sizeof(err))) != NULL) {
		directory_topics_list(dir, &out);
		if (out.p != NULL)
			printf("\nMotifs de chaque partenaire (annuaire importé) :\n%s", out.p);
	}
	instance_close(&in);
	buf_free(&out);
}

int
cmd_escalate(int argc, char **argv)
{
	const char *mandat_file = NULL, *descr = NULL, **pos = NULL, **paths = NULL;
	struct desk_intake it;
	struct files f;
	size_t n_paths = 0;
	const struct cli_opt opts[] = {
		{ "structure", &it.structure, NULL, NULL, NULL },
		{ "partner", &it.partner, NULL, NULL, NULL },
		{ "topic", &it.topic, NULL, NULL, NULL },
		{ "agent", &it.agent, NULL, NULL, NULL },
		{ "nom", &it.nom, NULL, NULL, NULL },
		{ "prenom", &it.prenom, NULL, NULL, NULL },
		{ "ne-le", &it.ne_le, NULL, NULL, NULL },
		{ "id-partenaire", &it.id_partenaire, NULL, NULL, NULL },
		{ "sollicite-le", &it.sollicite_le, NULL, NULL, NULL },
		{ "mandat-signe-le", &it.mandat_signe_le, NULL, NULL, NULL },
		{ "mandat-perimetre", &it.mandat_perimetre, NULL, NULL, NULL },
		{ "mandat-fichier", &mandat_file, NULL, NULL, NULL },
		{ "description-file", &descr, NULL, NULL, NULL },
		{ "piece", NULL, NULL, &paths, &n_paths },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN], ref[CASE_REF_LEN + 1];
	int npos, r;

	memset(&it, 0, sizeof(it));
	memset(&f, 0, sizeof(f));
	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&escalate_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		if (r == CLI_HELP_SHOWN)
			help_topics();
		goto out;
	}
	if (!it.structure || !it.partner || !it.topic || !it.agent || !it.nom || !it.prenom ||
	    !it.mandat_signe_le || !descr) {
		r = cli_usage(&escalate_cmd, "--structure, --partner, --topic, --agent, --nom,"
		    " --prenom, --mandat-signe-le et --description-file sont obligatoires");
		goto out;
	}
	if (files_read(&f, descr, mandat_file, paths, n_paths, err, sizeof(err)) < 0) {
		r = cli_fail("escalate : refusé : %s", err);
		goto out;
	}
	it.mandate_copy = mandat_file ? f.mandate.p : NULL;
	it.mandate_len = f.mandate.len;
	it.description = f.description.p;
	it.description_len = f.description.len;
	it.pieces = &f.pieces;
	/* The fields are checked before the instance is opened. */
	if (desk_intake_check(&it, err, sizeof(err)) < 0 ||
	    instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING, err,
	    sizeof(err)) < 0 ||
	    desk_escalate(&in, &it, ref, err, sizeof(err)) < 0)
		r = cli_fail("escalate : refusé : %s", err);
	else
		printf("%s\n", ref);
out:
	instance_close(&in);
	files_free(&f);
	free(paths);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
