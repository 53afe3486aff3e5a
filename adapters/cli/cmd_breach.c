/*
 * cmd_breach - the DPO's commands on the breach register (relay/breach):
 * `fsrelay breach list|show|declare|assess|notify|communicate|exempt|close|
 * export`, and `fsrelay keys compromised ...` (reached from cmd_keys).
 * Every change is a new version of the entry and an audit event; a refused
 * action exits 1 with the reason in French.  Trusts the DPO's text, which
 * it bounds and checks for control characters.
 */
#include "adapters/cli/commands.h"
#include "relay/breach.h"
#include "relay/dpo.h"
#include "relay/calendar.h"
#include "adapters/cli/cli.h"
#include "relay/instance.h"
#include "adapters/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 1024
#define DPO_ACTOR "dpo"

/* ---- shared --------------------------------------------------------- */

/* Open the instance and load entry pos (the ID argument).  0; else the
 * exit status (the instance must still be closed). */
static int
open_entry(struct instance *in, const char *what, const char *idarg, struct breach *b)
{
	char err[ERRLEN];

	if (instance_open(in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0 ||
	    dpo_load(in, idarg, b, err, sizeof(err)) < 0)
		return cli_fail("breach %s : %s", what, err);
	return 0;
}

/* Open the instance for a change.  0 / exit status. */
static int
open_dpo(struct instance *in, const char *what)
{
	char err[ERRLEN];

	if (instance_open(in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0)
		return cli_fail("breach %s : %s", what, err);
	return 0;
}

/* A change done (r == 0: print the saved version) or refused. */
static int
saved(int r, const struct breach *b, const char *what, const char *err)
{
	char when[96];

	if (r < 0)
		return cli_fail("breach %s : %s", what, err);
	cal_format_rfc3339_utc(when, b->deadline_at);
	printf("violation n° %lld, version %d : %s (échéance %s)\n", (long long)b->id,
	    b->version, b->status, b->status[0] == 'c' || b->status[0] == 'n' ? "sans objet" :
	    when);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
}

/* ---- list, show, export --------------------------------------------- */

static const struct cli_cmd list_cmd = { "breach list", "breach list [--open] [--json]",
	"Liste le registre des violations (dernière version de chaque entrée).\n"
	"  --open   seulement les entrées non closes\n"
	"  --json   tableau JSON (docs/json.md)\n", 0, 0 };

static void
list_line(const struct breach *b, struct buf *out)
{
	char d[CAL_RFC3339_LEN], dl[CAL_RFC3339_LEN];

	cal_format_rfc3339_utc(d, b->detected_at);
	cal_format_rfc3339_utc(dl, b->deadline_at);
	buf_printf(out, "%-4lld %-10s %-16s détectée %s  échéance %s%s  dossiers %s%ld%s\n",
	    (long long)b->id, b->status, b->source, d, dl, b->aware_at ? "" : " (prov.)",
	    b->affected_cases < 0 ? "?" : "", b->affected_cases < 0 ? 0 : b->affected_cases,
	    "");
}

static int
breach_list(int argc, char **argv)
{
	const char **pos = NULL;
	int open_only = 0, as_json = 0, npos, r, n_out = 0;
	const struct cli_opt opts[] = {
		{ "open", NULL, &open_only, NULL, NULL },
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct breach_version_row *rows = NULL;
	struct breach *b = NULL;
	struct instance in;
	struct buf out;
	char err[ERRLEN];
	size_t n = 0, i;

	if ((r = cli_parse(&list_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	buf_init(&out, 256 * 1024 * 1024);
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0) {
		r = cli_fail("breach list : %s", err);
		goto out;
	}
	if (store_breach_list(in.st, &rows, &n) < 0) {
		r = cli_fail("breach list : base : %s", store_errmsg(in.st));
		goto out;
	}
	b = xcalloc(1, sizeof(*b));
	if (as_json)
		buf_puts(&out, "[");
	for (i = 0; i < n; i++) {
		if (open_only && strcmp(rows[i].status, "closed") == 0)
			continue;
		if (breach_load(&in, rows[i].breach_id, b, err, sizeof(err)) != 0) {
			r = cli_fail("breach list : %s", err);
			goto out;
		}
		if (as_json) {
			buf_puts(&out, n_out ? ",\n" : "\n");
			breach_json(b, &out);
		} else
			list_line(b, &out);
		n_out++;
	}
	if (as_json)
		buf_puts(&out, n_out ? "\n]\n" : "]\n");
	r = cli_emit(&out);
out:
	buf_free(&out);
	free(rows);
	free(b);
	instance_close(&in);
	return r;
}

static const struct cli_cmd show_cmd = { "breach show", "breach show ID [--json]",
	"Affiche la dernière version d'une entrée du registre, tous ses champs.\n"
	"  --json   objet JSON (docs/json.md)\n", 1, 1 };

static void
show_text(const struct instance *in, const struct breach *b, struct buf *out)
{
	char t[CAL_RFC3339_LEN];

	cal_format_rfc3339_utc(t, b->recorded_at);
	buf_printf(out, "Violation n° %lld — version %d enregistrée le %s par %s\n"
	    "Statut : %s\n", (long long)b->id, b->version, t, b->author, b->status);
	(void)breach_export_text(in, b, out);
	buf_printf(out, "Dossiers liés : %s\nÉvénements d'audit liés : %s\n",
	    b->linked_cases[0] ? b->linked_cases : "aucun",
	    b->linked_events[0] ? b->linked_events : "aucun");
	if (b->no_notification_reason[0])
		buf_printf(out, "Motif de non-notification : %s\n", b->no_notification_reason);
}

static int
breach_show(int argc, char **argv)
{
	const char **pos = NULL;
	int as_json = 0, npos, r;
	const struct cli_opt opts[] = {
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	struct buf out;

	memset(&in, 0, sizeof(in));
	buf_init(&out, 1024 * 1024);
	if ((r = cli_parse(&show_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if ((r = open_entry(&in, "show", pos[0], b)) != 0)
		goto out;
	if (as_json) {
		breach_json(b, &out);
		buf_puts(&out, "\n");
	} else
		show_text(&in, b, &out);
	r = cli_emit(&out);
out:
	buf_free(&out);
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

static const struct cli_cmd export_cmd = { "breach export", "breach export ID",
	"Écrit, en français, le texte à reporter dans le téléservice de notification\n"
	"de la CNIL (article 33(3) a à d, dates, notification initiale ou\n"
	"complémentaire).  Ce texte est aussi le « document récapitulatif » du\n"
	"registre ; l'export est tracé dans le journal d'audit.\n", 1, 1 };

static int
breach_export(int argc, char **argv)
{
	const char **pos = NULL;
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	struct buf out;
	char err[512];
	int npos, r;

	memset(&in, 0, sizeof(in));
	buf_init(&out, 1024 * 1024);
	if ((r = cli_parse(&export_cmd, argc, argv, NULL, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if ((r = open_entry(&in, "export", pos[0], b)) != 0)
		goto out;
	if (dpo_export(&in, b, &out, err, sizeof(err)) < 0)
		r = cli_fail("breach export : échec de l'export (%s)", err);
	else
		r = cli_emit(&out);
out:
	buf_free(&out);
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

/* ---- declare, assess ------------------------------------------------ */

#define ASSESS_OPTS(a) \
	{ "aware-at", &(a).aware_at, NULL, NULL, NULL }, \
	{ "risk", &(a).risk, NULL, NULL, NULL }, \
	{ "rationale", &(a).rationale, NULL, NULL, NULL }, \
	{ "nature", &(a).nature, NULL, NULL, NULL }, \
	{ "cause", &(a).cause, NULL, NULL, NULL }, \
	{ "facts", &(a).facts, NULL, NULL, NULL }, \
	{ "subject-categories", &(a).subject_cat, NULL, NULL, NULL }, \
	{ "data-categories", &(a).data_cat, NULL, NULL, NULL }, \
	{ "subjects", &(a).subjects, NULL, NULL, NULL }, \
	{ "records", &(a).records, NULL, NULL, NULL }, \
	{ "consequences", &(a).consequences, NULL, NULL, NULL }, \
	{ "measures-in-place", &(a).in_place, NULL, NULL, NULL }, \
	{ "measures-taken", &(a).taken, NULL, NULL, NULL }, \
	{ "measures-proposed", &(a).proposed, NULL, NULL, NULL }, \
	{ "started-at", &(a).started, NULL, NULL, NULL }, \
	{ "ended-at", &(a).ended, NULL, NULL, NULL }, \
	{ "ongoing", NULL, &(a).ongoing, NULL, NULL }, \
	{ "no-notification-reason", &(a).no_notif, NULL, NULL, NULL }, \
	{ "dossier", NULL, NULL, &(a).cases, &(a).n_cases }

#define ASSESS_HELP \
	"  --aware-at DATE        prise de connaissance (RFC 3339) : fait courir le délai\n" \
	"  --risk none|risk|high  niveau de risque pour les personnes\n" \
	"  --rationale TEXTE      justification du niveau de risque\n" \
	"  --nature CIA           confidentialité (C), intégrité (I), disponibilité (A)\n" \
	"  --cause CAUSE          interne-accidentelle, interne-malveillante,\n" \
	"                         externe-accidentelle, externe-malveillante ou inconnue\n" \
	"  --facts TEXTE          les faits (sans nom de personne)\n" \
	"  --subject-categories TEXTE, --data-categories TEXTE\n" \
	"  --subjects N, --records N   nombres approximatifs de personnes, d'enregistrements\n" \
	"  --consequences TEXTE   conséquences probables\n" \
	"  --measures-in-place TEXTE, --measures-taken TEXTE, --measures-proposed TEXTE\n" \
	"  --started-at DATE, --ended-at DATE, --ongoing   période de la violation\n" \
	"  --no-notification-reason TEXTE   pourquoi la CNIL n'est pas notifiée\n" \
	"  --dossier RÉF          dossier concerné (répétable)\n"

static const struct cli_cmd declare_cmd = { "breach declare",
	"breach declare --nature CIA --facts TEXTE [options de breach assess]",
	"Déclare à la main une violation que le relais ne peut pas voir (dossier papier\n"
	"perdu, message envoyé à la main à la mauvaise personne...).  Détectée\n"
	"maintenant ; « suspectée » tant que --aware-at n'est pas donné, « ouverte »\n"
	"ensuite.  Le DPO reçoit l'alerte de détection.\n" ASSESS_HELP, 0, 0 };

static int
breach_declare(int argc, char **argv)
{
	const char **pos = NULL;
	struct dpo_assess a;
	const struct cli_opt opts[] = {
		ASSESS_OPTS(a),
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&a, 0, sizeof(a));
	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&declare_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if (a.nature == NULL || a.facts == NULL || *a.facts == '\0') {
		r = cli_usage(&declare_cmd, "--nature et --facts sont obligatoires");
		goto out;
	}
	if ((r = open_dpo(&in, "declare")) != 0)
		goto out;
	r = saved(dpo_declare(&in, &a, b, err, sizeof(err)), b, "declare", err);
out:
	free(a.cases);
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

static const struct cli_cmd assess_cmd = { "breach assess", "breach assess ID [OPTIONS]",
	"Complète ou corrige une entrée (nouvelle version).  Seul le DPO fixe la prise de\n"
	"connaissance et le risque ; fixer --aware-at déplace l'échéance (les alertes\n"
	"déjà envoyées ne sont pas renvoyées) et passe l'entrée de « suspectée » à\n"
	"« ouverte ».\n" ASSESS_HELP, 1, 1 };

static int
breach_assess(int argc, char **argv)
{
	const char **pos = NULL;
	struct dpo_assess a;
	const struct cli_opt opts[] = {
		ASSESS_OPTS(a),
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&a, 0, sizeof(a));
	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&assess_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if ((r = open_dpo(&in, "assess")) != 0)
		goto out;
	r = saved(dpo_assess(&in, pos[0], &a, b, err, sizeof(err)), b, "assess", err);
out:
	free(a.cases);
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

/* ---- notify, communicate, exempt, close ----------------------------- */

static const struct cli_cmd notify_cmd = { "breach notify",
	"breach notify ID --cnil-ref RÉF [--at DATE] [--reasons-for-delay TEXTE]",
	"Enregistre une notification faite à la CNIL par son téléservice : la première\n"
	"est « initiale », les suivantes « complémentaires » (article 33(4)).  Exige une\n"
	"prise de connaissance enregistrée (breach assess --aware-at).\n"
	"  --cnil-ref RÉF              référence donnée par la CNIL (obligatoire)\n"
	"  --at DATE                   date de la notification (défaut : maintenant)\n"
	"  --reasons-for-delay TEXTE   obligatoire si la notification initiale est faite\n"
	"                              après l'échéance (article 33(1))\n", 1, 1 };

static int
breach_notify(int argc, char **argv)
{
	const char **pos = NULL, *ref = NULL, *at_s = NULL, *delay = NULL;
	const struct cli_opt opts[] = {
		{ "cnil-ref", &ref, NULL, NULL, NULL },
		{ "at", &at_s, NULL, NULL, NULL },
		{ "reasons-for-delay", &delay, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&notify_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if (ref == NULL || *ref == '\0') {
		r = cli_usage(&notify_cmd, "--cnil-ref est obligatoire");
		goto out;
	}
	if ((r = open_dpo(&in, "notify")) != 0)
		goto out;
	r = saved(dpo_notify(&in, pos[0], ref, at_s, delay, b, err, sizeof(err)), b, "notify",
	    err);
out:
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

static const struct cli_cmd communicate_cmd = { "breach communicate",
	"breach communicate ID [--at DATE] [--channel TEXTE] [--message-file FICHIER]",
	"Enregistre l'information des personnes concernées (article 34 : risque élevé),\n"
	"en termes clairs et simples, avec le contact du DPO, les conséquences et les\n"
	"mesures.\n"
	"  --at DATE               date de l'information (défaut : maintenant)\n"
	"  --channel TEXTE         moyen (courrier, téléphone, accueil...)\n"
	"  --message-file FICHIER  texte adressé aux personnes\n", 1, 1 };

static int
breach_communicate(int argc, char **argv)
{
	const char **pos = NULL, *at_s = NULL, *channel = NULL, *file = NULL;
	const struct cli_opt opts[] = {
		{ "at", &at_s, NULL, NULL, NULL },
		{ "channel", &channel, NULL, NULL, NULL },
		{ "message-file", &file, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	char err[ERRLEN];
	struct buf msg;
	int npos, r;

	memset(&in, 0, sizeof(in));
	buf_init(&msg, BREACH_TEXT_MAX - 1);
	if ((r = cli_parse(&communicate_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if (file && buf_read_file(&msg, file) < 0) {
		r = cli_fail("breach communicate : %s : %s", file, errno == EFBIG ?
		    "texte trop long" : strerror(errno));
		goto out;
	}
	if ((r = open_dpo(&in, "communicate")) != 0)
		goto out;
	r = saved(dpo_communicate(&in, pos[0], at_s, channel, file ? msg.p : NULL,
	    file ? msg.len : 0, b, err, sizeof(err)), b, "communicate", err);
out:
	buf_free(&msg);
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

static const struct cli_cmd exempt_cmd = { "breach exempt",
	"breach exempt ID --reason a|b|c --justification TEXTE",
	"Enregistre que les personnes ne sont pas informées, au titre d'une exception de\n"
	"l'article 34(3) :\n"
	"  a  données rendues incompréhensibles (chiffrement, clé non compromise)\n"
	"  b  mesures ultérieures : le risque élevé n'est plus susceptible de se réaliser\n"
	"  c  efforts disproportionnés : une communication publique est faite à la place\n"
	"--justification est obligatoire : sans elle, l'exemption est refusée (code 1).\n",
	1, 1 };

static int
breach_exempt(int argc, char **argv)
{
	const char **pos = NULL, *reason = NULL, *just = NULL;
	const struct cli_opt opts[] = {
		{ "reason", &reason, NULL, NULL, NULL },
		{ "justification", &just, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&exempt_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if ((r = open_dpo(&in, "exempt")) != 0)
		goto out;
	r = saved(dpo_exempt(&in, pos[0], reason, just, b, err, sizeof(err)), b, "exempt", err);
out:
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

static const struct cli_cmd close_cmd = { "breach close", "breach close ID",
	"Clôt une entrée.  Refusé (code 1) tant qu'il manque un champ obligatoire :\n"
	"nature, faits, niveau de risque et sa justification, notification à la CNIL ou\n"
	"motif de non-notification, mesures prises (si risque), décision article 34\n"
	"(si risque élevé).  Une entrée close ne change plus.\n", 1, 1 };

static int
breach_close(int argc, char **argv)
{
	const char **pos = NULL;
	struct breach *b = xcalloc(1, sizeof(*b));
	struct instance in;
	char why[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&close_cmd, argc, argv, NULL, &pos, &npos)) != 0) {
		r = r == CLI_HELP_SHOWN ? EXIT_OK : r;
		goto out;
	}
	if ((r = open_dpo(&in, "close")) != 0)
		goto out;
	r = saved(dpo_close(&in, pos[0], b, why, sizeof(why)), b, "close", why);
out:
	free(b);
	free(pos);
	instance_close(&in);
	return r;
}

/* ---- dispatch ------------------------------------------------------- */

static const struct cli_cmd breach_cmd = { "breach",
	"breach list|show|declare|assess|notify|communicate|exempt|close|export", "", 0, 0 };

int
cmd_breach(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "list", breach_list }, { "show", breach_show }, { "declare", breach_declare },
		{ "assess", breach_assess }, { "notify", breach_notify },
		{ "communicate", breach_communicate }, { "exempt", breach_exempt },
		{ "close", breach_close }, { "export", breach_export },
	};
	static const char *const lines[] = {
		"breach list [--open] [--json]",
		"breach show ID [--json]",
		"breach declare --nature CIA --facts TEXTE [OPTIONS]",
		"breach assess ID [--aware-at DATE] [--risk none|risk|high] [OPTIONS]",
		"breach notify ID --cnil-ref RÉF [--at DATE] [--reasons-for-delay TEXTE]",
		"breach communicate ID [--at DATE] [--channel TEXTE] [--message-file FICHIER]",
		"breach exempt ID --reason a|b|c --justification TEXTE",
		"breach close ID",
		"breach export ID",
		NULL
	};
	size_t i;

	if (cli_group_help(argc, argv, "breach", lines))
		return EXIT_OK;
	for (i = 0; argc >= 1 && i < FS_ARRAY_LEN(subs); i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	return cli_usage(&breach_cmd, "sous-commande attendue : list, show, declare, assess,"
	    " notify, communicate, exempt, close ou export");
}

/* ---- keys compromised ----------------------------------------------- */

static const struct cli_cmd compromised_cmd = { "keys compromised",
	"keys compromised referent ADRESSE | relay-identity | signing | log | kek",
	"Déclare une clé compromise.  Ouvre une violation suspectée au registre avec le\n"
	"nombre de dossiers exposés et de personnes distinctes (index aveugle), et les\n"
	"références des dossiers.  Pour un référent : la clé épinglée est marquée\n"
	"compromise, les envois en attente vers elle sont arrêtés (échec) et plus rien\n"
	"ne part vers elle tant qu'une nouvelle clé n'est pas épinglée (referents key).\n"
	"  referent ADRESSE  dossiers remis à la clé de ce référent\n"
	"  relay-identity    dossiers dont une réponse chiffrée a été reçue\n"
	"  signing, log      dossiers envoyés (intégrité)\n"
	"  kek               tous les dossiers dont la clé est encore conservée\n", 1, 2 };

int
cmd_keys_compromised(int argc, char **argv)
{
	const char **pos = NULL;
	struct instance in;
	char err[ERRLEN];
	int64_t id = 0;
	long stopped = 0;
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&compromised_cmd, argc, argv, NULL, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	if ((strcmp(pos[0], "referent") == 0) != (npos == 2)) {
		free(pos);
		return cli_usage(&compromised_cmd, "une ADRESSE avec referent, et seulement"
		    " avec lui");
	}
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0)
		r = cli_fail("keys compromised : %s", err);
	else if ((r = breach_key_compromised(&in, pos[0], npos == 2 ? pos[1] : NULL, &id,
	    &stopped, err, sizeof(err))) != 0)
		r = cli_fail("keys compromised : %s", err);
	else {
		struct breach *b = xcalloc(1, sizeof(*b));

		if (breach_load(&in, id, b, err, sizeof(err)) == 0)
			printf("violation n° %lld ouverte : %ld dossier(s), %ld personne(s)"
			    " distincte(s) ; %ld envoi(s) en attente arrêté(s)\n", (long long)id,
			    b->affected_cases, b->subjects_approx, stopped);
		free(b);
		r = fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
	}
	free(pos);
	instance_close(&in);
	return r;
}
