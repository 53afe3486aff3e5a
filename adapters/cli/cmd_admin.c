/*
 * cmd_admin - the administrator's subcommands: init, check, keys show.
 * (referents and agents are in cmd_directory.c.)
 */
#include "adapters/cli/commands.h"
#include "relay/admin.h"
#include "relay/age.h"
#include "relay/audit.h"
#include "relay/calendar.h"
#include "adapters/cli/cli.h"
#include "relay/deploy.h"
#include "relay/directory.h"
#include "relay/envelope.h"
#include "relay/instance.h"
#include "relay/note.h"
#include "adapters/store.h"
#include "keys/keystore.h"
#include "keys/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ERRLEN 1024

/* ---- init ----------------------------------------------------------- */

static const struct cli_cmd init_cmd = { "init", "init",
	"Crée l'instance décrite par la configuration : la base (data_dir/fsrelay.db)\n"
	"et le répertoire des clés (data_dir/keys, mode 0700) avec l'identité age du\n"
	"relais (réponses chiffrées), la clé de signature Ed25519, la clé du journal\n"
	"d'audit, la clé de chiffrement des clés (KEK) et les clés HMAC (mode 0600).\n"
	"Refuse d'écraser une instance existante.\n", 0, 0 };

int
cmd_init(int argc, char **argv)
{
	const char **pos = NULL;
	char err[ERRLEN];
	int npos, r;

	if ((r = cli_parse(&init_cmd, argc, argv, NULL, &pos, &npos)) != 0)
		goto out;
	if (instance_create(cli_config_path, err, sizeof(err)) < 0)
		r = cli_fail("init : %s", err);
	else
		fprintf(stderr, "fsrelay : instance créée (clés et base initialisées)\n");
out:
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- keys show ------------------------------------------------------ */

static const struct cli_cmd keys_show_cmd = { "keys show",
	"keys show [relay-identity | signing | audit-log]",
	"Affiche les clés publiques du relais et leurs empreintes.\n"
	"  relay-identity  destinataire age (age1…) pour chiffrer une réponse au relais\n"
	"  signing         clé publique Ed25519 de signature des dossiers (base64 de\n"
	"                  32 octets : la valeur de « fsrelay open --relay-key »)\n"
	"  audit-log       clé de vérification du journal d'audit (format C2SP)\n"
	"Avec un nom, seule cette valeur est écrite sur la sortie.\n", 0, 1 };

static int
keys_show_one(struct instance *in, const char *which, struct buf *out, char *err, size_t errlen)
{
	enum admin_key k;
	char text[512];

	if (admin_key_parse(which, &k, err, errlen) < 0 ||
	    admin_public_key(in, k, text, sizeof(text), err, errlen) < 0)
		return -1;
	buf_printf(out, "%s\n", text);
	return 0;
}

static int
keys_show_all(struct instance *in, struct buf *out, char *err, size_t errlen)
{
	char text[512];
	unsigned i;

	for (i = 0; i < ADMIN_KEY_COUNT; i++) {
		if (admin_public_key(in, i, text, sizeof(text), err, errlen) < 0)
			return -1;
		buf_printf(out, "%-15s %s\n", admin_key_name(i), text);
	}
	if (admin_signing_fingerprint(in, text, sizeof(text), err, errlen) < 0)
		return -1;
	buf_printf(out, "empreinte de la clé de signature : %s\n", text);
	return 0;
}

int
cmd_keys(int argc, char **argv)
{
	struct instance in;
	struct buf out;
	const char **pos = NULL;
	char err[ERRLEN];
	int npos, r;

	static const char *const lines[] = { "keys show [relay-identity | signing | audit-log]",
		"keys compromised referent ADRESSE | relay-identity | signing | log | kek",
		NULL };

	if (cli_group_help(argc, argv, "keys", lines))
		return EXIT_OK;
	if (argc >= 1 && strcmp(argv[0], "compromised") == 0)
		return cmd_keys_compromised(argc - 1, argv + 1);	/* cmd_breach.c */
	if (argc < 1 || strcmp(argv[0], "show") != 0)
		return cli_usage(&keys_show_cmd, "sous-commande attendue : show ou compromised");
	if ((r = cli_parse(&keys_show_cmd, argc - 1, argv + 1, NULL, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	buf_init(&out, 64 * 1024);
	if (instance_open(&in, cli_config_path, 0, err, sizeof(err)) < 0)
		r = cli_fail("%s", err);
	else if ((npos ? keys_show_one(&in, pos[0], &out, err, sizeof(err)) :
	    keys_show_all(&in, &out, err, sizeof(err))) < 0)
		r = cli_fail("keys show : %s", err);
	else
		r = cli_emit(&out);
	buf_free(&out);
	instance_close(&in);
	free(pos);
	return r;
}

/* ---- check ---------------------------------------------------------- */

static const struct cli_cmd check_cmd = { "check", "check [--strict]",
	"Vérifie l'instance : configuration, présence et droits des clés (0600, dossier\n"
	"0700), fichiers de mot de passe, base, annuaire importé et sa couverture,\n"
	"fuseau Europe/Paris (calcul interne comparé à tzdata), refus d'authentification\n"
	"de la boîte vu par serve, et le déploiement : droits et propriétaires de la\n"
	"configuration, de son dossier et de data_dir, compte utilisé (pas root), unité\n"
	"systemd fsrelay.service installée, horloge synchronisée (timedatectl),\n"
	"bac à sable de l'analyseur des courriels (seccomp, Landlock).\n"
	"Les erreurs donnent le code 1 ; les avertissements (test_clock activé,\n"
	"lacunes de l'annuaire, root...) le code 0, sauf avec --strict.\n", 0, 0 };

struct check_tally {
	int errors, warnings;
};

static void
check_say(struct check_tally *t, int is_error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
check_say(struct check_tally *t, int is_error, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", is_error ? "ERREUR" : "ATTENTION");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (is_error)
		t->errors++;
	else
		t->warnings++;
}

static void
check_keys_modes(struct instance *in, struct check_tally *t)
{
	static const char *const files[] = { KEYSTORE_IDENTITY, KEYSTORE_SIGNING, KEYSTORE_AUDIT,
		KEYSTORE_KEK, KEYSTORE_INDEX, KEYSTORE_HMAC };
	char err[ERRLEN];
	size_t i;

	if (keystore_check_mode(in->keys_dir, 1, err, sizeof(err)) < 0) {
		check_say(t, 1, "%s", err);
		return;
	}
	for (i = 0; i < FS_ARRAY_LEN(files); i++) {
		char *p = xasprintf("%s/%s", in->keys_dir, files[i]);

		if (keystore_check_mode(p, 0, err, sizeof(err)) < 0)
			check_say(t, 1, "%s", err);
		free(p);
	}
	if (in->cfg.smtp_password_file &&
	    keystore_check_mode(in->cfg.smtp_password_file, 0, err, sizeof(err)) < 0)
		check_say(t, 1, "smtp_password_file : %s", err);
	if (in->cfg.imap_password_file &&
	    keystore_check_mode(in->cfg.imap_password_file, 0, err, sizeof(err)) < 0)
		check_say(t, 1, "imap_password_file : %s", err);
}

/* Compare our Europe/Paris rule with the system's tzdata at a few instants. */
static void
check_timezone(struct instance *in, struct check_tally *t)
{
	int64_t probes[3] = { in->now, in->now + 182 * 86400LL, in->now + 365 * 86400LL };
	char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	size_t i;

	if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) != 0) {
		check_say(t, 0, "tzdata absent : impossible de recouper le fuseau Europe/Paris"
		    " (le calcul interne reste utilisé)");
		free(old);
		return;
	}
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	for (i = 0; i < FS_ARRAY_LEN(probes); i++) {
		time_t tt = (time_t)probes[i];
		struct tm tm;

		if (localtime_r(&tt, &tm) == NULL || tm.tm_gmtoff != cal_paris_offset(probes[i])) {
			check_say(t, 1, "fuseau Europe/Paris : le calcul interne diffère de tzdata");
			break;
		}
	}
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

static int
dir_key_pinned(const char *email_lc, void *arg)
{
	struct pinned_key k;

	return store_key_get(arg, email_lc, &k) == 0 && k.compromised_at == 0;
}

/* The partners' domains against their referents' (relay/directory). */
static void
check_domains(struct instance *in, const struct directory *dir, struct check_tally *t)
{
	struct buf lines;
	char *p, *nl;

	buf_init(&lines, 1024 * 1024);
	if (directory_domain_warnings(dir, &in->cfg, &lines) > 0 && lines.p != NULL)
		for (p = lines.p; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			*nl = '\0';
			check_say(t, 0, "%s", p);
		}
	buf_free(&lines);
}

static void
check_directory(struct instance *in, struct check_tally *t)
{
	struct directory dir;
	struct dir_coverage_counts counts = { 0, 0, 0 };
	struct buf report;
	char derr[512];

	if (store_directory_load(in->st, &dir, derr, sizeof(derr)) < 0) {
		check_say(t, 1, "annuaire illisible : %s", derr);
		return;
	}
	if (dir.n_entries == 0)
		check_say(t, 0, "annuaire vide : lancez « fsrelay referents import »");
	else {
		buf_init(&report, 16 * 1024 * 1024);
		(void)directory_coverage(&dir, dir_key_pinned, in->st, &report, &counts);
		if (counts.gaps)
			check_say(t, 0, "annuaire : %zu lacune%s (détail : fsrelay referents check)",
			    counts.gaps, counts.gaps > 1 ? "s" : "");
		buf_free(&report);
		check_domains(in, &dir, t);
	}
	directory_free(&dir);
}

static void
check_verdict(struct check_tally *t, enum deploy_verdict v, const char *why)
{
	if (v != DEPLOY_OK)
		check_say(t, v == DEPLOY_ERROR, "%s", why);
}

/* The unit in systemd's unit path ($SYSTEMD_UNIT_PATH, then the usual
 * directories when it is unset or ends with ':'). */
static int
unit_installed(void)
{
	const char *env = getenv("SYSTEMD_UNIT_PATH");
	int found = 0, defaults = env == NULL || *env == '\0' ||
	    env[strlen(env) - 1] == ':';
	size_t i;

	if (env && *env) {
		char *copy = xstrdup(env), *save = NULL, *dir;

		for (dir = strtok_r(copy, ":", &save); dir && !found;
		    dir = strtok_r(NULL, ":", &save)) {
			char *p = xasprintf("%s/fsrelay.service", dir);
			found = access(p, F_OK) == 0;
			free(p);
		}
		free(copy);
	}
	for (i = 0; defaults && !found && deploy_unit_dirs[i]; i++) {
		char *p = xasprintf("%s/fsrelay.service", deploy_unit_dirs[i]);
		found = access(p, F_OK) == 0;
		free(p);
	}
	return found;
}

/* `timedatectl show -p NTPSynchronized --value` into out ("yes", "no"),
 * 0; -1 when it cannot run or says nothing (no systemd here).  Found
 * through PATH; stdin and stderr closed; at most 5 s. */
static int
ntp_synchronized(char *out, size_t len)
{
	int fds[2], st, i;
	ssize_t n = 0, k;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		dup2(fds[1], 1);
		alarm(5);
		execlp("timedatectl", "timedatectl", "show", "-p", "NTPSynchronized",
		    "--value", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((size_t)n + 1 < len && (k = read(fds[0], out + n, len - 1 - (size_t)n)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += k;
	}
	close(fds[0]);
	out[n] = '\0';
	while ((i = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	out[strcspn(out, "\r\n")] = '\0';
	if (i < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || out[0] == '\0')
		return -1;
	return 0;
}

/* The deployment (relay/deploy): modes and owners, account, unit, clock. */
static void
check_deployment(struct instance *in, struct check_tally *t)
{
	char why[512], ntp[16], *dir;
	struct stat st;
	uid_t self = geteuid();

	check_verdict(t, deploy_account(self, why, sizeof(why)), why);
	if (stat(in->cfg.path, &st) == 0)
		check_verdict(t, deploy_config_file(st.st_mode, st.st_uid, self, why,
		    sizeof(why)), why);
	dir = xstrdup(in->cfg.path);
	if (stat(dirname(dir), &st) == 0)
		check_verdict(t, deploy_config_dir(st.st_mode, why, sizeof(why)), why);
	free(dir);
	if (stat(in->cfg.data_dir, &st) < 0)
		check_say(t, 1, "data_dir %s : %s", in->cfg.data_dir, strerror(errno));
	else
		check_verdict(t, deploy_data_dir(st.st_mode, st.st_uid, self, why,
		    sizeof(why)), why);
	{
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char *db = config_store_path(&in->cfg), *p, *name;
		size_t i;

		for (i = 0; i < FS_ARRAY_LEN(sfx); i++) {
			p = xasprintf("%s%s", db, sfx[i]);
			name = xasprintf("fsrelay.db%s", sfx[i]);
			if (stat(p, &st) == 0)
				check_verdict(t, deploy_database(name, st.st_mode, st.st_uid,
				    self, why, sizeof(why)), why);
			free(name);
			free(p);
		}
		free(db);
	}
	check_verdict(t, deploy_unit(unit_installed(), why, sizeof(why)), why);
	check_verdict(t, deploy_clock(ntp_synchronized(ntp, sizeof(ntp)) == 0 ? ntp : NULL,
	    why, sizeof(why)), why);
	{
		char reason[200] = "";
		int probe = sandbox_probe(reason, sizeof(reason));

		check_verdict(t, deploy_sandbox(probe, reason, sandbox_landlock_abi(), why,
		    sizeof(why)), why);
	}
}

/* What serve last saw of the mailbox's and the submission server's
 * logins (it does not connect here). */
static void
check_mail_login(struct instance *in, struct check_tally *t)
{
	static const char *const mark[2] = { "mailbox.login_refused_since",
		"submission.login_refused_since" };
	static const char *const what[2] = { "boîte du relais", "serveur d'envoi" };
	static const char *const keys[2] = { "imap_user, imap_password_file",
		"smtp_user, smtp_password_file" };
	char when[CAL_RFC3339_LEN];
	int64_t since = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (store_mark_get(in->st, mark[i], &since) < 0)
			check_say(t, 1, "base : %s", store_errmsg(in->st));
		else if (since > 0) {
			cal_format_rfc3339_utc(when, since);
			check_say(t, 0, "%s : authentification refusée depuis %s (%s ; serve"
			    " réessaie)", what[i], when, keys[i]);
		}
}

int
cmd_check(int argc, char **argv)
{
	const char **pos = NULL;
	int strict = 0, npos, r;
	const struct cli_opt opts[] = {
		{ "strict", NULL, &strict, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct check_tally t = { 0, 0 };
	struct instance in;
	char err[ERRLEN];

	if ((r = cli_parse(&check_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING,
	    err, sizeof(err)) < 0) {
		check_say(&t, 1, "%s", err);
		instance_close(&in);
		printf("1 erreur\n");
		return EXIT_REFUSED;
	}
	if (in.cfg.test_clock)
		check_say(&t, 0, "test_clock = yes : FSRELAY_NOW peut fixer l'heure du relais"
		    " (réservé aux tests)");
	if (in.cfg.smtp_url == NULL || in.cfg.ca_file == NULL)
		check_say(&t, 0, "smtp_url ou ca_file absent : aucun envoi possible");
	else if (access(in.cfg.ca_file, R_OK) != 0)
		check_say(&t, 1, "ca_file %s illisible", in.cfg.ca_file);
	if (in.cfg.dpo_address == NULL)
		check_say(&t, 0, "dpo_address absent : le délégué à la protection des données"
		    " ne recevra pas les alertes");
	check_keys_modes(&in, &t);
	check_timezone(&in, &t);
	check_directory(&in, &t);
	check_mail_login(&in, &t);
	check_deployment(&in, &t);
	instance_close(&in);
	printf("%d erreur%s, %d avertissement%s\n", t.errors, t.errors > 1 ? "s" : "",
	    t.warnings, t.warnings > 1 ? "s" : "");
	if (t.errors || (strict && t.warnings))
		return EXIT_REFUSED;
	return EXIT_OK;
}
