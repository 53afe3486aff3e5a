/*
 * serve - see serve.h.
 */
#include "relay/serve.h"
#include "relay/audit.h"
#include "relay/breach.h"
#include "relay/config.h"
#include "relay/daemon.h"
#include "relay/inbox.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/purge.h"
#include "relay/tick.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int
serve_lock(const struct config *cfg, char *err, size_t errlen)
{
	char *path = xasprintf("%s/serve.lock", cfg->data_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		snprintf(err, errlen, "%s : %s", path, strerror(errno));
	else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "un autre « fsrelay serve » tourne déjà sur cette instance"
		    " (verrou %s)", path);
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

int
serve_pass(struct instance *in, char *err, size_t errlen)
{
	struct outbox_stats s;
	struct tick_stats ts;
	struct inbox_stats is;
	size_t shredded;

	if (inbox_run(in, &is, err, errlen) < 0)
		return -1;
	if (is.fetched || is.replies || is.autoreplies || is.bounces || is.quarantined)
		daemon_log(LOG_INFO, "courrier : %zu reçu(s), %zu réponse(s), %zu"
		    " réponse(s) automatique(s), %zu avis de non-remise, %zu en quarantaine",
		    is.fetched, is.replies, is.autoreplies, is.bounces, is.quarantined);
	if (INSTANCE_STOPPING(in))
		return 0;
	if (tick_run(in, &ts, err, errlen) < 0)
		return -1;
	if (ts.reminders || ts.escalations || ts.exhausted || ts.digests)
		daemon_log(LOG_INFO, "échéances : %zu rappel(s), %zu passage(s) de"
		    " palier, %zu dossier(s) sans palier restant, %zu récapitulatif(s)",
		    ts.reminders, ts.escalations, ts.exhausted, ts.digests);
	/* Issue 6: the audit log's checkpoints and the DPO's breach alerts. */
	if (audit_tick(in, err, errlen) < 0 || breach_tick(in, err, errlen) < 0)
		return -1;
	if (purge_run(in, &shredded, err, errlen) < 0 ||
	    outbox_mandate_reminders(in, err, errlen) < 0)
		return -1;
	if (outbox_run(in, &s, err, errlen) < 0)
		return -1;
	if (s.sent || s.retried || s.failed || s.blocked || s.notices_sent)
		daemon_log(LOG_INFO, "passe : %zu envoyé(s), %zu à réessayer,"
		    " %zu échec(s) définitif(s), %zu bloqué(s), %zu avis", s.sent, s.retried,
		    s.failed, s.blocked, s.notices_sent);
	return 0;
}
