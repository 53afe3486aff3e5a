/*
 * purge - crypto-shredding of resolved cases once their grace period
 * (shred_grace_days after resolution) has passed (conv. 4.6: data
 * destroyed when the procedure is resolved), of open cases left without
 * activity (stale_case_days, then stale_grace_days after a notice), the
 * removal of a shredded case's blind index (index_retention_days), and a
 * purge that verifies itself: after the shred, the case's wrapped key and
 * every sealed column must be gone, after the index removal no blind
 * index of the case may remain, else the case is reported and a breach
 * suspected.
 */
#ifndef FSRELAY_PURGE_H
#define FSRELAY_PURGE_H

#include <stddef.h>

struct instance;

/*
 * The retention rules at in->now, each destruction verified:
 *  - an open case without activity (updated_at) for stale_case_days: its
 *    agent is told (once per quiet spell), then, stale_grace_days after
 *    that notice and still untouched, it is cancelled and shredded
 *    (case.expired, case.shredded "stale", case.purge-verified);
 *  - a resolved case past shred_grace_days is shredded;
 *  - a case shredded more than index_retention_days ago loses its blind
 *    index (case.unindexed "ok", or "index remains" and a suspected breach).
 * *shredded gets the count of cases shredded.  0 / -1 with a French reason
 * in err (store failure).
 */
int	purge_run(struct instance *in, size_t *shredded, char *err, size_t errlen);

/*
 * After a destruction (shred, cancel, quarantine reject): copy the WAL
 * into the database and empty it, so that the old pages leave the disk
 * (until then the deleted content stays in fsrelay.db, the new zeroed
 * pages waiting in the WAL).  0 done; 1 deferred (a concurrent reader
 * holds the WAL): the mark PURGE_WAL_MARK is set and every `serve` pass
 * retries (purge_run) until done; -1 store failure.  Silent: the caller
 * says PURGE_WAL_DEFERRED.
 */
#define PURGE_WAL_MARK	"purge.wal_pending_since"
#define PURGE_WAL_DEFERRED	"purge du journal WAL différée (lecteur concurrent) :" \
	" nouvel essai à chaque passe de serve"
int	purge_wal(struct instance *in);

/* 0 if nothing of the case's content remains (no wrapped key, no sealed
 * person, description, message text, document name or content); 1 if
 * something remains; -1 on a store failure. */
int	purge_verify(struct instance *in, long long case_id);

#endif
