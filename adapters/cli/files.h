/*
 * files - the files an agent names on the command line (escalate, send):
 * read within bounds for the core (relay/desk takes their bytes; the
 * pieces' rules are relay/pieces' pieces_check).
 */
#ifndef FSRELAY_ADAPTERS_CLI_FILES_H
#define FSRELAY_ADAPTERS_CLI_FILES_H

#include <stddef.h>

#include "relay/pieces.h"
#include "relay/util.h"

/* Read a file of at most max bytes into b (caller frees b); what names it
 * in the French messages ("pièce jointe"), too_big says it is over max
 * with the adjective agreeing with it ("pièce jointe trop grosse",
 * "description trop longue").  0 / -1 with err. */
int	 cli_read_file(const char *path, struct buf *b, size_t max, const char *what,
	    const char *too_big, char *err, size_t errlen);

/* Read n pieces (base names kept), each within CASE_PIECE_MAX, checked by
 * pieces_check without a partner.  0 / -1 with err; pieces_free in both
 * cases. */
int	 cli_read_pieces(struct pieces *p, const char *const *paths, size_t n, char *err,
	    size_t errlen);

#endif
