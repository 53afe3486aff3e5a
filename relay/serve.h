/*
 * serve - the daemon's use case (`fsrelay serve`): one daemon per instance
 * (a lock file in data_dir, held for the life of the process) and one
 * pass in the order the rules need: ingest (replies) → deadlines (tick) →
 * audit checkpoint and DPO alerts → purge → outbox, so that a mail queued
 * by an earlier step leaves in the same pass.  The face (adapters/cli
 * cmd_serve.c) runs the loop: signals, the wait between passes, reloads.
 */
#ifndef FSRELAY_SERVE_H
#define FSRELAY_SERVE_H

#include <stddef.h>

struct config;
struct instance;

/* Take the instance's serve.lock (flock, not blocking): its descriptor
 * (keep it open), or -1 with the reason in err ("un autre « fsrelay
 * serve » tourne déjà sur cette instance (verrou …)"). */
int	 serve_lock(const struct config *cfg, char *err, size_t errlen);

/* One pass; each step's counts logged (daemon_log) when something
 * happened.  0; -1 with the reason of the step that failed (the daemon
 * stops). */
int	 serve_pass(struct instance *in, char *err, size_t errlen);

#endif
