/*
 * cmd_serve - the daemon: `fsrelay serve [--once]`.  One pass is ingest
 * (replies, later) → tick (deadlines, later) → outbox, so that a mail the
 * tick queues leaves in the same pass.  One daemon per instance: a lock
 * file in data_dir, held for the life of the process.
 */
#include "adapters/cli/commands.h"
#include "relay/audit.h"
#include "relay/breach.h"
#include "adapters/cli/cli.h"
#include "relay/inbox.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/purge.h"
#include "relay/tick.h"
#include "adapters/smtp.h"
#include "adapters/store.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define ERRLEN		1024
#define POLL_SECONDS	1	/* a reply shows within 5 s */

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
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
	"--once, recommence chaque seconde jusqu'à SIGTERM ou SIGINT.\n"
	"  --once   une seule passe, puis sortie\n"
	"Journal sur la sortie d'erreur, sans donnée personnelle.  Code 1 seulement\n"
	"pour une erreur de configuration ou de base, ou si un autre « fsrelay serve »\n"
	"tourne déjà sur cette instance ; les échecs d'envoi sont enregistrés sur les\n"
	"dossiers (code 0).\n", 0, 0 };

static int
take_lock(const struct config *cfg, char *err)
{
	char *path = xasprintf("%s/serve.lock", cfg->data_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		snprintf(err, ERRLEN, "%s : %s", path, strerror(errno));
	else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, ERRLEN, "un autre « fsrelay serve » tourne déjà sur cette instance"
		    " (verrou %s)", path);
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

static int
one_pass(struct instance *in, char *err)
{
	struct outbox_stats s;
	struct tick_stats ts;
	struct inbox_stats is;
	size_t shredded;

	if (inbox_run(in, &is, err, ERRLEN) < 0)
		return -1;
	if (is.fetched || is.replies || is.autoreplies || is.bounces || is.quarantined)
		fprintf(stderr, "fsrelay serve : courrier : %zu reçu(s), %zu réponse(s), %zu"
		    " réponse(s) automatique(s), %zu avis de non-remise, %zu en quarantaine\n",
		    is.fetched, is.replies, is.autoreplies, is.bounces, is.quarantined);
	if (tick_run(in, &ts, err, ERRLEN) < 0)
		return -1;
	if (ts.reminders || ts.escalations || ts.exhausted || ts.digests)
		fprintf(stderr, "fsrelay serve : échéances : %zu rappel(s), %zu passage(s) de"
		    " palier, %zu dossier(s) sans palier restant, %zu récapitulatif(s)\n",
		    ts.reminders, ts.escalations, ts.exhausted, ts.digests);
	/* Issue 6: the audit log's checkpoints and the DPO's breach alerts. */
	if (audit_tick(in, err, ERRLEN) < 0 || breach_tick(in, err, ERRLEN) < 0)
		return -1;
	if (purge_run(in, &shredded, err, ERRLEN) < 0)
		return -1;
	if (outbox_run(in, &s, err, ERRLEN) < 0)
		return -1;
	if (s.sent || s.retried || s.failed || s.blocked || s.notices_sent)
		fprintf(stderr, "fsrelay serve : passe : %zu envoyé(s), %zu à réessayer,"
		    " %zu échec(s) définitif(s), %zu bloqué(s), %zu avis\n", s.sent, s.retried,
		    s.failed, s.blocked, s.notices_sent);
	return 0;
}

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
	    sizeof(err)) < 0 || (lock = take_lock(&in.cfg, err)) < 0 ||
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
	in.stop = &stop_requested;	/* a pass stops between cases */
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (!once)
		fprintf(stderr, "fsrelay serve : démarré\n");
	for (;;) {
		if (one_pass(&in, err) < 0) {
			r = cli_fail("serve : %s", err);
			break;
		}
		if (once || stop_requested)
			break;
		sleep(POLL_SECONDS);
		if (stop_requested)
			break;
		if (instance_clock(&in.cfg, &in.now, &in.now_from_env, err, sizeof(err)) < 0) {
			r = cli_fail("serve : %s", err);
			break;
		}
	}
	if (!once && r == 0)
		fprintf(stderr, "fsrelay serve : arrêté\n");
	smtp_global_cleanup();
out:
	if (lock >= 0)
		close(lock);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
