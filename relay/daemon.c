/*
 * daemon - see daemon.h.
 */
#include "relay/daemon.h"
#include "relay/config.h"
#include "relay/inbox.h"
#include "relay/instance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct login_backoff daemon_mailbox_login, daemon_submission_login;
static int log_prefix;

void
daemon_log_init(void)
{
	const char *v = getenv("FSRELAY_LOG_PRIORITY");

	if (v && strcmp(v, "1") == 0)
		log_prefix = 1;
	else if (v && strcmp(v, "0") == 0)
		log_prefix = 0;
	else
		log_prefix = getenv("JOURNAL_STREAM") != NULL;
}

void
daemon_vlog(int prio, const char *what, const char *fmt, va_list ap)
{
	char line[2048];

	/* One write per line, so that lines of the parallel sending processes
	 * never interleave. */
	vsnprintf(line, sizeof(line), fmt, ap);
	if (what == NULL)
		what = "";
	if (log_prefix)
		fprintf(stderr, "<%d>fsrelay serve : %s%s\n", prio & 7, what, line);
	else
		fprintf(stderr, "fsrelay serve : %s%s\n", what, line);
}

void
daemon_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daemon_vlog(prio, NULL, fmt, ap);
	va_end(ap);
}

int
backoff_due(const struct login_backoff *b, int64_t now_ms)
{
	return !b->refused || now_ms >= b->next_ms;
}

int
backoff_refused(struct login_backoff *b, int64_t now_ms, int64_t wall)
{
	int changed = !b->refused;

	if (changed) {
		b->refused = 1;
		b->delay_ms = BACKOFF_FIRST_MS;
		b->since = wall;
	} else if (b->delay_ms < BACKOFF_MAX_MS) {
		b->delay_ms *= 2;
		if (b->delay_ms > BACKOFF_MAX_MS)
			b->delay_ms = BACKOFF_MAX_MS;
	}
	b->next_ms = now_ms + b->delay_ms;
	return changed;
}

int
backoff_accepted(struct login_backoff *b)
{
	int changed = b->refused;

	memset(b, 0, sizeof(*b));
	return changed;
}

/*
 * SIGHUP: read the configuration again.  A file that does not load, or
 * that moves data_dir (the store, the keys and the lock stay open), is
 * refused with a log line and the running one kept.  The directory,
 * agents and keys are read from the store at each pass already.
 */
void
daemon_reload(struct instance *in)
{
	struct config fresh;
	char err[1024];

	if (config_load(&fresh, in->cfg.path, err, sizeof(err)) < 0)
		daemon_log(LOG_WARNING, "configuration refusée (%s) : l'ancienne est gardée", err);
	else if (strcmp(fresh.data_dir, in->cfg.data_dir) != 0)
		daemon_log(LOG_WARNING, "configuration refusée (data_dir ne change qu'au"
		    " redémarrage) : l'ancienne est gardée");
	else {
		/* The kept mailbox session points into the old one. */
		inbox_mailbox_close(in);
		config_free(&in->cfg);
		in->cfg = fresh;
		daemon_log(LOG_NOTICE, "configuration relue (%s)", in->cfg.path);
		return;
	}
	config_free(&fresh);
}
