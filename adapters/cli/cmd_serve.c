/*
 * cmd_serve - the daemon's face: `fsrelay serve [--once]`.  The lock and
 * the pass are the core's (relay/serve); here, the process: signals
 * (SIGTERM/SIGINT stop between cases, SIGHUP reloads), the wait between
 * passes (IMAP IDLE or a sleep), the exit code.
 */
#include "adapters/cli/commands.h"
#include "adapters/cli/cli.h"
#include "relay/daemon.h"
#include "relay/deploy.h"
#include "relay/inbox.h"
#include "keys/sandbox.h"
#include "relay/instance.h"
#include "relay/serve.h"
#include "adapters/smtp.h"
#include "adapters/store.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ERRLEN		1024
#define POLL_SECONDS	1	/* a reply shows within 5 s */

static volatile sig_atomic_t stop_requested, reload_requested;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static const struct cli_cmd serve_cmd = { "serve", "serve [--once]",
	"Le démon du relais.  Chaque passe : relève la boîte du relais (IMAPS vérifié)\n"
	"et rattache les réponses aux dossiers (ou les met en quarantaine), fait\n"
	"avancer les échéances (rappels, palier suivant, responsable prévenu,\n"
	"récapitulatif quotidien : docs/deadlines.md), puis envoie les dossiers en\n"
	"file (un message\n"
	"chiffré par destinataire, TLS vérifié), réessaie les échecs temporaires selon\n"
	"le calendrier documenté (docs/cli.md), envoie les avis aux agents.  Sans\n"
	"--once, recommence chaque seconde jusqu'à SIGTERM ou SIGINT (la transaction\n"
	"SMTP ou le courriel en cours est terminé et enregistré, puis code 0) ;\n"
	"SIGHUP relit la configuration (refusée si invalide : l'ancienne reste).\n"
	"  --once   une seule passe, puis sortie\n"
	"Journal sur la sortie d'erreur, une ligne par événement, sans donnée\n"
	"personnelle, préfixée de sa priorité syslog (<3> à <6>) sous journald.\n"
	"Code 1 seulement\n"
	"pour une erreur de configuration ou de base, ou si un autre « fsrelay serve »\n"
	"tourne déjà sur cette instance ; les échecs d'envoi sont enregistrés sur les\n"
	"dossiers (code 0).\n", 0, 0 };

int
cmd_serve(int argc, char **argv)
{
	const char **pos = NULL;
	int once = 0, npos, r, lock = -1;
	const struct cli_opt opts[] = {
		{ "once", NULL, &once, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&serve_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING, err,
	    sizeof(err)) < 0 || (lock = serve_lock(&in.cfg, err, sizeof(err))) < 0 ||
	    smtp_global_init() < 0) {
		r = cli_fail("serve : %s", err[0] ? err : "initialisation de libcurl impossible");
		goto out;
	}
	/* Keep the pass's large buffers (mail, age files) in the heap instead of
	 * mapping and unmapping them for every message (docs/performance.md).
	 * Buffers of case data are wiped when freed (buf_free), and the process
	 * is neither dumpable nor traceable (keystore_harden_process). */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	in.stop = &stop_requested;	/* a pass stops between cases, mails */
	in.keep_mailbox = 1;		/* one IMAPS connection across passes */
	daemon_log_init();
	{
		/* No SA_RESTART: a signal cuts the sleep between two passes. */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	if (!once)
		daemon_log(LOG_NOTICE, "démarré");
	{
		/* The mail parser's sandbox, said once (fsrelay check too). */
		char why[320];

		if (deploy_sandbox(0, NULL, sandbox_landlock_abi(), why, sizeof(why)) != DEPLOY_OK)
			daemon_log(LOG_WARNING, "%s", why);
	}
	for (;;) {
		if (serve_pass(&in, err, sizeof(err)) < 0) {
			daemon_log(LOG_ERR, "arrêt sur erreur : %s", err);
			r = EXIT_REFUSED;
			break;
		}
		if (once || stop_requested)
			break;
		inbox_wait(&in, POLL_SECONDS * 1000);	/* IMAP IDLE, or a sleep */
		if (stop_requested)
			break;
		if (reload_requested) {
			reload_requested = 0;
			daemon_reload(&in);
		}
		if (instance_clock(&in.cfg, &in.now, &in.now_from_env, err, sizeof(err)) < 0) {
			r = cli_fail("serve : %s", err);
			break;
		}
	}
	if (!once && r == 0)
		daemon_log(LOG_NOTICE, "arrêté");
	inbox_mailbox_close(&in);
	smtp_global_cleanup();
out:
	if (lock >= 0)
		close(lock);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
