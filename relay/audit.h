/*
 * audit - the tamper-evident audit log (docs/audit-format.md).  The rows
 * of the store's `events` table are the leaves of an RFC 9162 Merkle tree
 * (relay/merkle); checkpoints of that tree are C2SP signed notes
 * (relay/note) signed by the log's own Ed25519 key
 * (data_dir/keys/audit-log.key, key name AUDIT_LOG_NAME), stored in the
 * table audit_checkpoints and mailed to the DPO, who keeps them off-host.
 *
 * Leaf encoding (version 1), canonical, no personal data:
 *
 *	leaf = 0x01 || field(seq) || field(at) || field(actor) ||
 *	       field(action) || field(case_ref) || field(outcome)
 *	field(x) = uint32 big-endian byte length of x || x
 *
 * seq in decimal ASCII without leading zeros, at as RFC 3339 UTC
 * ("2026-03-02T10:00:00Z"), the other fields as stored (UTF-8).
 *
 * Trusts nothing in the store (it is what is being checked) nor in a
 * checkpoint file; trusts the key files for signing.
 */
#ifndef FSRELAY_AUDIT_H
#define FSRELAY_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

struct instance;
struct store_event_view;

#define AUDIT_ORIGIN	"fsrelay-audit"
/* The name under which the audit log signs its checkpoints. */
#define AUDIT_LOG_NAME	AUDIT_ORIGIN
#define AUDIT_LEAF_VERSION 0x01

/* Append the leaf bytes of ev to out.  0 / -1 (time out of range, out's
 * maximum reached). */
int	 audit_leaf_encode(struct buf *out, const struct store_event_view *ev);

/* What a verification saw. */
struct audit_report {
	uint64_t	events;		/* leaves in the log */
	uint8_t		root[32];	/* root over all of them */
	size_t		checkpoints;	/* stored checkpoints checked */
	int64_t		first_bad_seq;	/* 0 if none located */
};

/*
 * Verify the log: recompute every leaf and the root of the whole log;
 * check that sequence numbers run 1, 2, 3... without a gap (times are not
 * required to increase); check every stored checkpoint (signature by the
 * log key, its recorded size and root match its note, its root is the
 * root of the first `size` leaves, sizes never decrease); and, if note is
 * not NULL, the same for that exported note (notelen bytes), verified
 * with the verifier key string vkey (NULL: the instance's own).
 * Returns 0 if everything matches; 1 on a mismatch, with a French reason
 * in err (the log has been altered, or the note is not ours); -1 on an
 * operational failure (store, key file) with err.
 */
int	 audit_verify(struct instance *in, const char *note, size_t notelen,
	    const char *vkey, struct audit_report *rep, char *err, size_t errlen);

/*
 * Make a checkpoint of the whole log: verify it first (never sign a tree
 * that is inconsistent with an earlier checkpoint), sign it with the log
 * key, store it, record the event audit.checkpoint, and append the signed
 * note to out.  0 on success; 1 if verification found a mismatch (nothing
 * signed; err says why); -1 on failure with err.  Opens its own savepoint.
 */
int	 audit_checkpoint(struct instance *in, struct buf *out, char *err, size_t errlen);

/*
 * The daemon's part (serve, between ingest and outbox): when no checkpoint
 * was made for checkpoint_interval_hours (counted from the first event
 * when there is none yet), make one and queue it as a notice
 * to the DPO (dpo_address), the off-host copy.  On a verification mismatch,
 * open a suspected breach (nature I).  0 / -1 with err.
 */
int	 audit_tick(struct instance *in, char *err, size_t errlen);

/*
 * Write the events with from <= at < to as JSON lines to out: seq, at,
 * actor, action, case_ref, outcome, leaf (hex of the leaf bytes) and
 * leaf_hash (hex).  0 / -1 with err.
 */
int	 audit_export(struct instance *in, int64_t from, int64_t to, struct buf *out,
	    char *err, size_t errlen);

/* The audit log's verifier key (C2SP vkey form, from audit-log.key's
 * public half).  0 / -1 with a French reason in err. */
int	 audit_vkey(const struct instance *in, char *out, size_t outlen, char *err,
	    size_t errlen);

#endif
