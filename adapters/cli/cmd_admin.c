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
keys_show_one(struct instance *in, const char *which, struct buf *out, char *err,
    size_t errlen)
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

/* Compare our Europe/Paris rule with the system's tzdata at the core's
 * probe instants: the face reads the system (TZ, tzdata). */
static void
tz_facts(int64_t now, struct admin_check_facts *f)
{
	int64_t probes[ADMIN_TZ_PROBES];
	char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	size_t i;

	f->tzdata = access("/usr/share/zoneinfo/Europe/Paris", R_OK) == 0;
	if (!f->tzdata) {
		free(old);
		return;
	}
	admin_tz_probes(now, probes);
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	for (i = 0; i < ADMIN_TZ_PROBES && !f->tz_mismatch; i++) {
		time_t tt = (time_t)probes[i];
		struct tm tm;

		f->tz_mismatch = localtime_r(&tt, &tm) == NULL ||
		    tm.tm_gmtoff != cal_paris_offset(probes[i]);
	}
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

static void
file_fact(const char *path, struct admin_file_fact *f)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	if (stat(path, &st) < 0) {
		f->err = errno;
		return;
	}
	f->present = 1;
	f->mode = st.st_mode;
	f->uid = st.st_uid;
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

/* What check needs of the system, measured here. */
static void
check_facts(struct instance *in, struct admin_check_facts *f, char *ntp, size_t ntplen,
    char *reason, size_t reasonlen)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char *dir, *db, *p;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->euid = geteuid();
	f->ca_file_readable = in->cfg.ca_file && access(in->cfg.ca_file, R_OK) == 0;
	tz_facts(in->now, f);
	file_fact(in->cfg.path, &f->config);
	dir = xstrdup(in->cfg.path);
	file_fact(dirname(dir), &f->config_dir);
	free(dir);
	file_fact(in->cfg.data_dir, &f->data_dir);
	db = config_store_path(&in->cfg);
	for (i = 0; i < FS_ARRAY_LEN(sfx); i++) {
		p = xasprintf("%s%s", db, sfx[i]);
		file_fact(p, &f->db[i]);
		free(p);
	}
	free(db);
	f->unit_installed = unit_installed();
	f->ntp = ntp_synchronized(ntp, ntplen) == 0 ? ntp : NULL;
	reason[0] = '\0';
	f->sandbox_probe = sandbox_probe(reason, reasonlen);
	f->sandbox_reason = reason;
	f->landlock_abi = sandbox_landlock_abi();
}

static void
check_print(const struct admin_check *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		printf("%s %s\n", c->v[i].error ? "ERREUR" : "ATTENTION", c->v[i].text);
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
	struct admin_check_facts f;
	struct admin_check c;
	struct instance in;
	char err[ERRLEN], ntp[16], reason[200];

	memset(&c, 0, sizeof(c));
	if ((r = cli_parse(&check_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	free(pos);
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING,
	    err, sizeof(err)) < 0) {
		printf("ERREUR %s\n", err);
		instance_close(&in);
		printf("1 erreur\n");
		return EXIT_REFUSED;
	}
	check_facts(&in, &f, ntp, sizeof(ntp), reason, sizeof(reason));
	admin_check(&in, &f, &c);
	instance_close(&in);
	check_print(&c);
	printf("%d erreur%s, %d avertissement%s\n", c.errors, c.errors > 1 ? "s" : "",
	    c.warnings, c.warnings > 1 ? "s" : "");
	r = c.errors || (strict && c.warnings) ? EXIT_REFUSED : EXIT_OK;
	admin_check_free(&c);
	return r;
}
