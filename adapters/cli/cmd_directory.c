/*
 * cmd_directory - referents import|list|check|key and agents
 * add|list|password|disable|enable|remove: the Annex 6 directory, the
 * referents' pinned keys and the desk's agents.
 */
#include "adapters/cli/commands.h"
#include "relay/account.h"
#include "relay/admin.h"
#include "relay/age.h"
#include "relay/case.h"
#include "adapters/cli/cli.h"
#include "relay/directory.h"
#include "relay/enrol.h"
#include "relay/envelope.h"
#include "relay/instance.h"
#include "adapters/store.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN		1024
#define CSV_MAX		(8 * 1024 * 1024)

/* ---- referents import ----------------------------------------------- */

static const struct cli_cmd import_cmd = { "referents import",
	"referents import ANNEXE6.csv [--structures STRUCTURES.csv] [--topics TOPICS.csv]",
	"Importe l'annuaire des référents (annexe 6) et, la première fois, les\n"
	"structures France Services et les motifs.  Une réimportation remplace les\n"
	"lignes (clé : partenaire, structure, motif, rôle, adresse en minuscules ou\n"
	"nom quand il n'y a pas d'adresse), garde les clés épinglées (clé : adresse\n"
	"en minuscules) et affiche ce qui a changé.  Sans --structures ni --topics,\n"
	"les tables déjà importées sont gardées.  Tout ou rien : une erreur ne\n"
	"modifie rien.\n", 1, 1 };

static int
read_csv(const char *path, struct buf *b, char *err, size_t errlen)
{
	buf_init(b, CSV_MAX);
	if (buf_read_file(b, path) < 0) {
		snprintf(err, errlen, "%s : lecture impossible : %s", path,
		    errno == EFBIG ? "fichier trop grand" : strerror(errno));
		return -1;
	}
	return 0;
}

/* The three files, read here (bounded), judged by the core. */
static int
import_all(struct instance *in, const char *annex, const char *structures,
    const char *topics, char *err, size_t errlen)
{
	const char *path[3] = { annex, structures, topics };
	struct admin_csv f[3];
	struct buf b[3], changes;
	size_t entries = 0, i;
	int n = 0, r = -1;

	memset(f, 0, sizeof(f));
	buf_init(&changes, 1024 * 1024);
	for (i = 0; i < 3; i++) {
		buf_init(&b[i], CSV_MAX);
		f[i].name = path[i];
	}
	for (i = 0; i < 3; i++)
		if (path[i]) {
			if (read_csv(path[i], &b[i], err, errlen) < 0)
				goto out;
			f[i].text = b[i].p ? b[i].p : "";
			f[i].len = b[i].len;
		}
	if (admin_directory_import(in, &f[0], &f[1], &f[2], &changes, &entries, &n, err,
	    errlen) < 0)
		goto out;
	if (changes.len)
		fwrite(changes.p, 1, changes.len, stdout);
	printf("%zu lignes importées, %d changement%s\n", entries, n, n > 1 ? "s" : "");
	r = 0;
out:
	for (i = 0; i < 3; i++)
		buf_free(&b[i]);
	buf_free(&changes);
	return r;
}

static int
referents_import(int argc, char **argv)
{
	const char *structures = NULL, *topics = NULL, **pos = NULL;
	const struct cli_opt opts[] = {
		{ "structures", &structures, NULL, NULL, NULL },
		{ "topics", &topics, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	if ((r = cli_parse(&import_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0 ||
	    import_all(&in, pos[0], structures, topics, err, sizeof(err)) < 0)
		r = cli_fail("referents import : %s", err);
	instance_close(&in);
	free(pos);
	return r;
}

/* ---- referents list ------------------------------------------------- */

static const struct cli_cmd list_cmd = { "referents list",
	"referents list [--partner ID] [--json]",
	"Liste les lignes de l'annuaire : partenaire, structure, motif, rôle, nom,\n"
	"adresse et l'état de la clé épinglée (« clé » ou « sans clé »).  Les numéros\n"
	"internes (phone_scope = internal-only) sont affichés : cette commande est\n"
	"réservée à la structure.  Sous une adresse invitée (referents invite) dont\n"
	"l'inscription est en cours : son état et, quand la clé du référent est\n"
	"reçue, l'empreinte à vérifier par téléphone et la commande qui l'épingle.\n", 0, 0 };

static void
list_entry_json(struct buf *out, const struct dir_entry *e, const struct pinned_key *k,
    int pinned, const struct invitation_row *inv, const char *phone)
{
	buf_puts(out, "{\"partner\":");
	json_str(out, e->partner);
	buf_puts(out, ",\"structure\":");
	json_str(out, e->structure);
	buf_puts(out, ",\"topic\":");
	json_str(out, e->topic);
	buf_puts(out, ",\"role\":");
	json_str(out, dir_role_name(e->role));
	buf_puts(out, ",\"name\":");
	json_str(out, e->name);
	buf_puts(out, ",\"email\":");
	json_str(out, e->email[0] ? e->email : NULL);
	buf_puts(out, ",\"phone\":");
	json_str(out, e->phone[0] ? e->phone : NULL);
	buf_puts(out, ",\"phone_scope\":");
	json_str(out, e->phone_scope[0] ? e->phone_scope : NULL);
	buf_puts(out, ",\"key_fingerprint\":");
	json_str(out, pinned ? k->fingerprint : NULL);
	buf_puts(out, ",\"enrolment\":");
	if (inv == NULL) {
		buf_puts(out, "null}");
		return;
	}
	buf_puts(out, "{\"state\":");
	json_str(out, inv->state);
	buf_puts(out, ",\"invited_at\":");
	json_time(out, inv->created_at);
	buf_puts(out, ",\"received_at\":");
	if (inv->received_at)
		json_time(out, inv->received_at);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"recipient\":");
	json_str(out, inv->recipient[0] ? inv->recipient : NULL);
	buf_puts(out, ",\"fingerprint\":");
	json_str(out, inv->fingerprint[0] ? inv->fingerprint : NULL);
	buf_puts(out, ",\"phone_fingerprint\":");
	json_str(out, inv->fingerprint[0] ? phone : NULL);
	buf_puts(out, "}}");
}

/* The enrolment of a line, in words: where it stands and, for a key
 * received, what the administrator checks by phone and then types. */
static void
list_enrolment_text(struct buf *out, const struct invitation_row *inv, const char *phone)
{
	buf_printf(out, "    inscription : %s", enrol_state_label(inv->state));
	if (strcmp(inv->state, INVITATION_RECEIVED) == 0)
		buf_printf(out, "\n    empreinte à lire au téléphone : %s\n    puis : fsrelay"
		    " referents key %s %s --verified-by NOM", phone, inv->email_lc,
		    inv->recipient);
	buf_puts(out, "\n");
}

static int
referents_list(int argc, char **argv)
{
	const char *partner = NULL, **pos = NULL;
	int as_json = 0;
	const struct cli_opt opts[] = {
		{ "partner", &partner, NULL, NULL, NULL },
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct directory dir;
	struct buf out;
	char err[ERRLEN];
	size_t i;
	int npos, r, first = 1;

	if ((r = cli_parse(&list_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	directory_init(&dir);
	buf_init(&out, 16 * 1024 * 1024);
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0 ||
	    store_directory_load(in.st, &dir, err, sizeof(err)) < 0) {
		r = cli_fail("referents list : %s%s", in.st ? "lecture de l'annuaire : " : "", err);
		goto out;
	}
	if (as_json)
		buf_puts(&out, "[");
	for (i = 0; i < dir.n_entries; i++) {
		const struct dir_entry *e = &dir.entries[i];
		struct pinned_key k;
		struct invitation_row inv;
		char phone[ENROL_PHONE_LEN + 1] = "";
		int pinned = e->email_lc[0] && store_key_get(in.st, e->email_lc, &k) == 0;
		int invited = 0;

		if (partner && strcmp(partner, e->partner) != 0)
			continue;
		if (e->email_lc[0]) {
			if ((invited = enrol_latest(&in, e->email_lc, &inv, err, sizeof(err))) < 0) {
				r = cli_fail("referents list : %s", err);
				goto out;
			}
			invited = invited == 0;
			if (invited)
				enrol_phone_form(inv.fingerprint, phone);
		}
		if (as_json) {
			buf_puts(&out, first ? "\n" : ",\n");
			list_entry_json(&out, e, &k, pinned, invited ? &inv : NULL, phone);
		} else {
			buf_printf(&out, "%-12s %-22s %-22s %-12s %s%s%s%s%s\n", e->partner,
			    e->structure, e->topic, dir_role_name(e->role), e->name,
			    e->email[0] ? " <" : "", e->email, e->email[0] ? ">" : "",
			    e->email[0] ? (pinned ? " clé" : " sans clé") : "");
			if (invited && strcmp(inv.state, INVITATION_SUPERSEDED) != 0 &&
			    !(pinned && strcmp(inv.state, INVITATION_PINNED) == 0))
				list_enrolment_text(&out, &inv, phone);
		}
		first = 0;
	}
	if (as_json)
		buf_puts(&out, "\n]\n");
	r = cli_emit(&out);
out:
	buf_free(&out);
	directory_free(&dir);
	instance_close(&in);
	return r;
}

/* ---- referents check ------------------------------------------------ */

static const struct cli_cmd rcheck_cmd = { "referents check", "referents check",
	"Vérifie la couverture de l'annuaire pour chaque structure × partenaire ×\n"
	"motif : référent d'échelon 0 présent, référent de secours, clés épinglées,\n"
	"numéros internes.  Une ligne par constat (GAP, WARN, INFO).  Code 1 s'il y a\n"
	"au moins un GAP (un dossier serait refusé), 0 sinon.\n", 0, 0 };

static int
referents_check(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	struct dir_coverage_counts counts = { 0, 0, 0 };
	struct buf report;
	char err[ERRLEN];
	int npos, r, gaps;

	if ((r = cli_parse(&rcheck_cmd, argc, argv, NULL, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	buf_init(&report, 16 * 1024 * 1024);
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0 ||
	    (gaps = admin_directory_check(&in, NULL, &report, &counts, err, sizeof(err))) < 0) {
		r = cli_fail("referents check : %s%s", in.st ? "lecture de l'annuaire : " : "", err);
		goto out;
	}
	buf_printf(&report, "%zu lacune%s, %zu avertissement%s\n", counts.gaps,
	    counts.gaps > 1 ? "s" : "", counts.warnings, counts.warnings > 1 ? "s" : "");
	r = cli_emit(&report);
	if (r == EXIT_OK && gaps != 0)
		r = EXIT_REFUSED;
out:
	buf_free(&report);
	instance_close(&in);
	return r;
}

/* ---- referents key -------------------------------------------------- */

static const struct cli_cmd key_cmd = { "referents key",
	"referents key ADRESSE age1… --verified-by NOM",
	"Épingle la clé publique age d'un référent.  L'empreinte doit avoir été\n"
	"vérifiée hors bande (téléphone, remise en main propre) : --verified-by\n"
	"nomme la personne qui l'a vérifiée.  Une clé n'est jamais apprise d'un\n"
	"courriel reçu.  Remplacer une clé déjà épinglée est journalisé.\n", 2, 2 };

static int
pin_key(struct instance *in, const char *address, const char *recipient,
    const char *verified_by, char *err, size_t errlen)
{
	struct pinned_key k;

	if (admin_key_pin(in, address, recipient, verified_by, &k, err, errlen) < 0)
		return -1;
	printf("%s %s\n", k.email_lc, k.fingerprint);
	return 0;
}

static int
referents_key(int argc, char **argv)
{
	const char *verified_by = NULL, **pos = NULL;
	const struct cli_opt opts[] = {
		{ "verified-by", &verified_by, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&key_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	if (verified_by == NULL)
		r = cli_usage(&key_cmd, "--verified-by est obligatoire");
	else if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0 ||
	    pin_key(&in, pos[0], pos[1], verified_by, err, sizeof(err)) < 0)
		r = cli_fail("referents key : %s", err);
	instance_close(&in);
	free(pos);
	return r;
}

/* ---- referents invite ----------------------------------------------- */

static const struct cli_cmd invite_cmd = { "referents invite",
	"referents invite ADRESSE",
	"Invite un référent de l'annuaire à créer sa clé : le prochain passage de\n"
	"« fsrelay serve » lui envoie un courriel en français (sans référence de\n"
	"dossier ni donnée personnelle) avec la page d'ouverture en mode « créer ma\n"
	"clé ».  Sa réponse, venue de cette adresse et portant le jeton de\n"
	"l'invitation, est enregistrée comme clé proposée : « referents list » en\n"
	"montre l'empreinte, à vérifier par téléphone avant « referents key ADRESSE\n"
	"age1… --verified-by NOM ».  Une clé reçue par courriel n'est jamais utilisée\n"
	"avant cette vérification.  Une nouvelle invitation (clé perdue) remplace la\n"
	"précédente ; l'ancienne clé est retirée quand la nouvelle est épinglée.\n",
	1, 1 };

static int
referents_invite(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	struct invitation_row inv;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&invite_cmd, argc, argv, NULL, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0 ||
	    enrol_invite(&in, pos[0], &inv, err, sizeof(err)) < 0)
		r = cli_fail("referents invite : %s", err);
	else
		printf("invitation de %s enregistrée : envoyée au prochain passage de serve\n",
		    inv.email_lc);
	instance_close(&in);
	free(pos);
	return r;
}

int
cmd_referents(int argc, char **argv)
{
	static const struct cli_cmd ref_cmd = { "referents",
		"referents import|list|check|key|invite …", "", 0, 0 };
	const char *const lines[] = { import_cmd.usage, list_cmd.usage,
		rcheck_cmd.usage, key_cmd.usage, invite_cmd.usage, NULL };

	if (cli_group_help(argc, argv, "referents", lines))
		return EXIT_OK;

	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return referents_import(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return referents_list(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "check") == 0)
		return referents_check(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "key") == 0)
		return referents_key(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "invite") == 0)
		return referents_invite(argc - 1, argv + 1);
	return cli_usage(&ref_cmd, "sous-commande attendue : import, list, check, key ou invite");
}

/* ---- agents --------------------------------------------------------- */

static const struct cli_cmd agents_add_cmd = { "agents add",
	"agents add ID --structure S --nom NOM --email ADRESSE [--role agent|responsable|dpo|admin]",
	"Ajoute un agent (ou le responsable de la structure, --role responsable ;\n"
	"le délégué à la protection des données, --role dpo ; un administrateur du\n"
	"guichet web, --role admin).  Pour se connecter au guichet web (fsrelay web),\n"
	"le compte reçoit ensuite un mot de passe : « fsrelay agents password ID ».\n"
	"ID : lettres minuscules, chiffres, « . », « _ » ou « - ».  L'agent ne peut\n"
	"saisir des dossiers que pour sa structure ; son adresse reçoit les alertes\n"
	"(références seulement).\n", 1, 1 };

static int
agent_add(struct instance *in, struct agent *a, char *err, size_t errlen)
{
	return admin_agent_add(in, a, err, errlen);
}

static int
agents_add(int argc, char **argv)
{
	const char *structure = NULL, *nom = NULL, *email = NULL, *role = NULL, **pos = NULL;
	const struct cli_opt opts[] = {
		{ "structure", &structure, NULL, NULL, NULL },
		{ "nom", &nom, NULL, NULL, NULL },
		{ "email", &email, NULL, NULL, NULL },
		{ "role", &role, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct agent a;
	enum role rl = ROLE_AGENT;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&agents_add_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (!structure || !nom || !email) {
		r = cli_usage(&agents_add_cmd, "--structure, --nom et --email sont obligatoires");
		goto out;
	}
	if (role == NULL)
		role = "agent";
	if (account_role_parse(role, &rl) < 0)
		r = cli_usage(&agents_add_cmd, "--role : agent, responsable, dpo ou admin, pas « %s »",
		    role);
	if (r != 0)
		goto out;
	memset(&a, 0, sizeof(a));
	fs_strlcpy(a.role, account_role_name(rl), sizeof(a.role));
	/* a truncated value would be checked short: refused whole */
	if (fs_strlcpy(a.id, pos[0], sizeof(a.id)) >= sizeof(a.id))
		r = cli_fail("agents add : identifiant invalide « %.64s… » (trop long)", pos[0]);
	else if (fs_strlcpy(a.structure, structure, sizeof(a.structure)) >= sizeof(a.structure))
		r = cli_fail("agents add : structure inconnue (identifiant trop long)");
	else if (fs_strlcpy(a.name, nom, sizeof(a.name)) >= sizeof(a.name))
		r = cli_fail("agents add : nom : trop long (%zu octets au plus)", sizeof(a.name) - 1);
	else if (fs_strlcpy(a.email, email, sizeof(a.email)) >= sizeof(a.email))
		r = cli_fail("agents add : adresse invalide (trop longue)");
	if (r != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0 ||
	    agent_add(&in, &a, err, sizeof(err)) < 0)
		r = cli_fail("agents add : %s", err);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

static const struct cli_cmd agents_list_cmd = { "agents list", "agents list",
	"Liste les agents : identifiant, structure, rôle, nom, adresse, et\n"
	"« (désactivé) » ou « (supprimé) » pour un compte désactivé ou supprimé.\n", 0, 0 };

static int
agents_list(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	struct agent *list = NULL;
	struct buf out;
	char err[ERRLEN];
	size_t n = 0, i;
	int npos, r;

	if ((r = cli_parse(&agents_list_cmd, argc, argv, NULL, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	buf_init(&out, 16 * 1024 * 1024);
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0 ||
	    store_agent_list(in.st, &list, &n) < 0)
		r = cli_fail("agents list : %s", in.st ? store_errmsg(in.st) : err);
	else {
		for (i = 0; i < n; i++)
			if (list[i].removed)
				buf_printf(&out, "%-16s %-22s %-11s (supprimé)\n", list[i].id,
				    list[i].structure, list[i].role);
			else
				buf_printf(&out, "%-16s %-22s %-11s %s <%s>%s\n", list[i].id,
				    list[i].structure, list[i].role, list[i].name, list[i].email,
				    list[i].disabled ? " (désactivé)" : "");
		r = cli_emit(&out);
	}
	buf_free(&out);
	free(list);
	instance_close(&in);
	return r;
}

static const struct cli_cmd agents_password_cmd = { "agents password", "agents password ID",
	"Donne (ou remplace) le mot de passe du guichet web de l'agent ID : lu sur\n"
	"l'entrée standard (une ligne, jamais en argument), 12 caractères au moins,\n"
	"conservé en empreinte Argon2id.  Les sessions ouvertes de l'agent sont fermées.\n",
	1, 1 };

static int
agents_password(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	struct account_port port;
	char *pw = NULL, err[ERRLEN];
	size_t len = 0;
	int npos, r, c;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&agents_password_cmd, argc, argv, NULL, &pos, &npos)) != 0)
		goto out;
	pw = sodium_malloc(ACCOUNT_PASSWORD_MAX + 2);
	if (pw == NULL) {
		r = cli_fail("agents password : mémoire insuffisante");
		goto out;
	}
	while ((c = getchar()) != EOF && c != '\n' && len <= ACCOUNT_PASSWORD_MAX)
		pw[len++] = (char)c;
	pw[len] = '\0';
	if (len > 0 && pw[len - 1] == '\r')
		pw[--len] = '\0';
	if (len == 0)
		r = cli_fail("agents password : mot de passe attendu sur l'entrée standard");
	else if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0)
		r = cli_fail("agents password : %s", err);
	else {
		store_account_port(in.st, &port);
		if (store_begin(in.st) < 0)
			r = cli_fail("agents password : %s", store_errmsg(in.st));
		else if (account_set_password(&port, "admin", pos[0], pw, len, in.now, err,
		    sizeof(err)) < 0) {
			store_rollback(in.st);
			r = cli_fail("agents password : %s", err);
		} else if (store_commit(in.st) < 0)
			r = cli_fail("agents password : %s", store_errmsg(in.st));
		else
			fprintf(stderr, "mot de passe de « %s » enregistré\n", pos[0]);
	}
out:
	if (pw != NULL)
		sodium_free(pw);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

static const struct cli_cmd agents_disable_cmd = { "agents disable", "agents disable ID",
	"Désactive le compte de l'agent ID : il ne peut plus se connecter au guichet\n"
	"web (ses sessions sont fermées), ni saisir ou suivre un dossier, et ne reçoit\n"
	"plus d'alertes (elles vont au responsable de sa structure).  Ses dossiers\n"
	"restent, pour les autres agents de la structure.  Journalisé.\n", 1, 1 };
static const struct cli_cmd agents_enable_cmd = { "agents enable", "agents enable ID",
	"Réactive le compte désactivé de l'agent ID.  Journalisé.\n", 1, 1 };
static const struct cli_cmd agents_remove_cmd = { "agents remove", "agents remove ID",
	"Supprime définitivement le compte de l'agent ID : désactivé, mot de passe,\n"
	"nom et adresse effacés.  L'identifiant reste (ses dossiers et le journal\n"
	"d'audit le citent) et ne peut pas être réattribué.  Ses dossiers restent,\n"
	"pour les autres agents de la structure.  Journalisé.\n", 1, 1 };

/* disable / enable / remove: the web desk's own rule (account_admin), the
 * actor being the administrator at the console. */
static int
agents_change(const struct cli_cmd *cmd, enum account_op op, const char *done, int argc,
    char **argv)
{
	const char **pos = NULL;
	struct instance in;
	struct account_port port;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(cmd, argc, argv, NULL, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0) {
		r = cli_fail("%s : %s", cmd->name, err);
		goto out;
	}
	store_account_port(in.st, &port);
	if (store_begin(in.st) < 0)
		r = cli_fail("%s : %s", cmd->name, store_errmsg(in.st));
	else if (account_admin(&port, NULL, pos[0], op, ROLE_AGENT, NULL, 0, in.now, err,
	    sizeof(err)) < 0) {
		store_rollback(in.st);
		r = cli_fail("%s : %s", cmd->name, err);
	} else if (store_commit(in.st) < 0)
		r = cli_fail("%s : %s", cmd->name, store_errmsg(in.st));
	else
		fprintf(stderr, "compte de « %s » %s\n", pos[0], done);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

int
cmd_agents(int argc, char **argv)
{
	static const struct cli_cmd ag_cmd = { "agents",
		"agents add|list|password|disable|enable|remove …", "", 0, 0 };
	const char *const lines[] = { agents_add_cmd.usage, agents_list_cmd.usage,
		agents_password_cmd.usage, agents_disable_cmd.usage, agents_enable_cmd.usage,
		agents_remove_cmd.usage, NULL };

	if (cli_group_help(argc, argv, "agents", lines))
		return EXIT_OK;

	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return agents_add(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return agents_list(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "password") == 0)
		return agents_password(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "disable") == 0)
		return agents_change(&agents_disable_cmd, ACCOUNT_OP_DISABLE, "désactivé",
		    argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "enable") == 0)
		return agents_change(&agents_enable_cmd, ACCOUNT_OP_ENABLE, "réactivé",
		    argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "remove") == 0)
		return agents_change(&agents_remove_cmd, ACCOUNT_OP_REMOVE, "supprimé",
		    argc - 1, argv + 1);
	return cli_usage(&ag_cmd, "sous-commande attendue : add, list, password, disable,"
	    " enable ou remove");
}
