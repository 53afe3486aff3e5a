/*
 * cmd_audit - `fsrelay audit checkpoint | verify | export`: the signed
 * checkpoints of the audit log, its verification (optionally against a
 * checkpoint exported earlier, the DPO's off-host copy) and its export as
 * JSON lines for an inquiry.  A verification mismatch opens a suspected
 * breach (nature I).  Trusts nothing in the checkpoint file it is given.
 */
#include "adapters/cli/commands.h"
#include "relay/dpo.h"
#include "relay/audit.h"
#include "relay/breach.h"
#include "relay/calendar.h"
#include "adapters/cli/cli.h"
#include "relay/instance.h"
#include "relay/note.h"
#include "adapters/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 1024

static const struct cli_cmd checkpoint_cmd = { "audit checkpoint", "audit checkpoint",
	"Vérifie le journal d'audit puis écrit sur la sortie un point de contrôle signé\n"
	"(note signée C2SP : origine fsrelay-audit, nombre d'événements, racine de\n"
	"l'arbre de Merkle RFC 9162), signé par la clé du journal (data_dir/keys/\n"
	"audit-log.key) et conservé dans la base.  « fsrelay keys show audit-log »\n"
	"donne la clé qui le vérifie.  Le démon en fait un au moins toutes les\n"
	"checkpoint_interval_hours heures et l'envoie au DPO.  Code 1 si le journal ne\n"
	"correspond plus à un point de contrôle antérieur (rien n'est signé ; une\n"
	"violation suspectée est ouverte au registre).\n", 0, 0 };

static const struct cli_cmd verify_cmd = { "audit verify",
	"audit verify [--checkpoint FICHIER] [--vkey FICHIER]",
	"Recalcule les feuilles et la racine du journal d'audit, vérifie que les numéros\n"
	"de séquence se suivent sans trou, et que chaque point de contrôle conservé est\n"
	"signé par la clé du journal et correspond aux événements qu'il couvre.\n"
	"  --checkpoint FICHIER  vérifie aussi un point de contrôle exporté plus tôt\n"
	"                        (copie du DPO) : signature, puis son arbre doit être un\n"
	"                        préfixe du journal d'aujourd'hui\n"
	"  --vkey FICHIER        clé de vérification (format C2SP) pour ce fichier ;\n"
	"                        défaut : celle de l'instance\n"
	"Code 0 si tout concorde ; code 1 sinon, avec la raison, et une violation\n"
	"suspectée (intégrité) est ouverte au registre.\n", 0, 0 };

static const struct cli_cmd export_cmd = { "audit export",
	"audit export [--from DATE] [--to DATE]",
	"Écrit les événements du journal d'audit, un objet JSON par ligne (docs/json.md) :\n"
	"seq, at, actor, action, case_ref, outcome, leaf (octets de la feuille en\n"
	"hexadécimal) et leaf_hash.  Aucune donnée personnelle.\n"
	"  --from DATE   à partir de cet instant inclus (RFC 3339)\n"
	"  --to DATE     jusqu'à cet instant exclu (RFC 3339)\n", 0, 0 };

static const struct cli_cmd audit_cmd = { "audit", "audit checkpoint|verify|export",
	"", 0, 0 };

static int
audit_checkpoint_main(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	struct buf out;
	char err[ERRLEN];
	int npos, r;

	if ((r = cli_parse(&checkpoint_cmd, argc, argv, NULL, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	buf_init(&out, NOTE_MAX_LEN);
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0)
		r = cli_fail("audit checkpoint : %s", err);
	else if (dpo_audit_checkpoint(&in, &out, err, sizeof(err)) != 0)
		r = cli_fail("audit checkpoint : %s", err);
	else
		r = cli_emit(&out);
	buf_free(&out);
	instance_close(&in);
	return r;
}

/* Read a small text file (a note or a vkey).  0 / -1 with err. */
static int
read_small(const char *path, struct buf *b, char *err, size_t errlen)
{
	if (buf_read_file(b, path) < 0) {
		snprintf(err, errlen, "%s : %s", path, errno == EFBIG ? "fichier trop grand" :
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
audit_verify_main(int argc, char **argv)
{
	const char **pos = NULL, *cp_path = NULL, *vkey_path = NULL;
	const struct cli_opt opts[] = {
		{ "checkpoint", &cp_path, NULL, NULL, NULL },
		{ "vkey", &vkey_path, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct audit_report rep;
	struct instance in;
	struct buf note, vkey;
	char err[ERRLEN], hex[65];
	int npos, r;

	if ((r = cli_parse(&verify_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	buf_init(&note, NOTE_MAX_LEN);
	buf_init(&vkey, 4096);
	memset(&in, 0, sizeof(in));
	if ((cp_path && read_small(cp_path, &note, err, sizeof(err)) < 0) ||
	    (vkey_path && read_small(vkey_path, &vkey, err, sizeof(err)) < 0)) {
		r = cli_fail("audit verify : %s", err);
		goto out;
	}
	if (vkey.len)
		vkey.p[strcspn(vkey.p, "\r\n")] = '\0';
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0) {
		r = cli_fail("audit verify : %s", err);
		goto out;
	}
	if (dpo_audit_verify(&in, cp_path ? (note.p ? note.p : "") : NULL, note.len,
	    vkey.len ? vkey.p : NULL, &rep, err, sizeof(err)) != 0)
		r = cli_fail("audit verify : %s", err);
	else {
		fs_hex(hex, rep.root, sizeof(rep.root));
		printf("journal d'audit intact : %llu événements, %zu point%s de contrôle"
		    " vérifié%s, racine %s\n", (unsigned long long)rep.events, rep.checkpoints,
		    rep.checkpoints > 1 ? "s" : "", rep.checkpoints > 1 ? "s" : "", hex);
		if (cp_path)
			printf("le point de contrôle %s est signé et son arbre est un préfixe du"
			    " journal\n", cp_path);
		r = fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
	}
out:
	buf_free(&note);
	buf_free(&vkey);
	instance_close(&in);
	return r;
}

static int
audit_export_main(int argc, char **argv)
{
	const char **pos = NULL, *from_s = NULL, *to_s = NULL;
	const struct cli_opt opts[] = {
		{ "from", &from_s, NULL, NULL, NULL },
		{ "to", &to_s, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	int64_t from = INT64_MIN, to = INT64_MAX;
	struct instance in;
	struct buf out;
	char err[ERRLEN];
	int npos, r;

	if ((r = cli_parse(&export_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	if ((from_s && cal_parse_rfc3339(from_s, &from) < 0) ||
	    (to_s && cal_parse_rfc3339(to_s, &to) < 0))
		return cli_usage(&export_cmd, "date invalide (attendu RFC 3339, ex."
		    " 2026-03-02T09:00:00Z)");
	buf_init(&out, (size_t)1 << 31);
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0)
		r = cli_fail("audit export : %s", err);
	else if (audit_export(&in, from, to, &out, err, sizeof(err)) < 0)
		r = cli_fail("audit export : %s", err);
	else
		r = cli_emit(&out);
	buf_free(&out);
	instance_close(&in);
	return r;
}

int
cmd_audit(int argc, char **argv)
{
	static const char *const lines[] = {
		"audit checkpoint",
		"audit verify [--checkpoint FICHIER] [--vkey FICHIER]",
		"audit export [--from DATE] [--to DATE]",
		NULL
	};

	if (cli_group_help(argc, argv, "audit", lines))
		return EXIT_OK;
	if (argc >= 1 && strcmp(argv[0], "checkpoint") == 0)
		return audit_checkpoint_main(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "verify") == 0)
		return audit_verify_main(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "export") == 0)
		return audit_export_main(argc - 1, argv + 1);
	return cli_usage(&audit_cmd, "sous-commande attendue : checkpoint, verify ou export");
}
