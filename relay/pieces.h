/*
 * pieces - the attachments an agent gives (escalate, send; the CLI reads
 * them: adapters/cli/files.h): names checked (one-line UTF-8, not reserved,
 * no two alike — the envelope keys parts by name), and sealed into the
 * store under the case key with their hash, size and media type.
 * Messages never quote a file name: it may be personal ("passeport-Dupont").
 */
#ifndef FSRELAY_PIECES_H
#define FSRELAY_PIECES_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

struct instance;

struct pieces {
	size_t		 n;
	struct buf	*data;
	char		**names;	/* base names */
};

void	 pieces_free(struct pieces *p);
/* The rules of the pieces an agent gives, wherever they come from: at most
 * CASE_PIECES_MAX_COUNT, CASE_PIECE_MAX each, CASE_PIECES_TOTAL_MAX in all,
 * names one-line, not reserved, no two alike; with a partner (may be
 * NULL), pieces_nir_check too.  p NULL: no pieces.  0 / -1 with err. */
int	 pieces_check(const struct pieces *p, const char *partner, char *err,
	    size_t errlen);
/* The SHA-256, in hex, of the signed copy of a mandate (its bytes, read by
 * the face; at most CASE_PIECE_MAX): only this fingerprint is kept.  0 / -1
 * with err. */
int	 pieces_mandate_sha256(const uint8_t *copy, size_t len, char hex[65], char *err,
	    size_t errlen);

/* Minimisation (relay/case: case_nir_check) over the pieces' names: 0, or
 * -1 with the French reason in err, naming the piece by its rank only. */
int	 pieces_nir_check(const struct pieces *p, const char *partner, char *err,
	    size_t errlen);

/* A media type from the file name's extension (application/octet-stream
 * when unknown). */
const char *pieces_media_type(const char *name);

/* Insert the pieces as documents of message msg_id of the case, sealed
 * under dek.  Within a transaction.  0 / -1. */
int	 pieces_seal(struct instance *in, const uint8_t *dek, int64_t case_id,
	    int64_t msg_id, const struct pieces *p);

#endif
