/*
 * files - see files.h.  The files are the agent's; their names and
 * contents are untrusted in shape and personal in substance.
 */
#include "adapters/cli/files.h"
#include "relay/case.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cli_read_file(const char *path, struct buf *b, size_t max, const char *what,
    const char *too_big, char *err, size_t errlen)
{
	buf_init(b, max);
	if (buf_read_file(b, path) == 0)
		return 0;
	if (errno == EFBIG)
		snprintf(err, errlen, "%s : %s (%zu octets au plus)", too_big, path, max);
	else
		snprintf(err, errlen, "%s illisible : %s : %s", what, path, strerror(errno));
	return -1;
}

int
cli_read_pieces(struct pieces *p, const char *const *paths, size_t n, char *err, size_t errlen)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	if (n > CASE_PIECES_MAX_COUNT) {
		snprintf(err, errlen, "trop de pièces jointes (%d au plus)", CASE_PIECES_MAX_COUNT);
		return -1;
	}
	p->data = xcalloc(n + 1, sizeof(*p->data));
	p->names = xcalloc(n + 1, sizeof(*p->names));
	for (i = 0; i < n; i++) {
		const char *base = strrchr(paths[i], '/');

		p->names[p->n] = xstrdup(base ? base + 1 : paths[i]);
		buf_init(&p->data[p->n], CASE_PIECE_MAX);
		p->n++;
		/* The names before a file is read, the sizes after. */
		if (pieces_check(p, NULL, err, errlen) < 0 ||
		    cli_read_file(paths[i], &p->data[i], CASE_PIECE_MAX, "pièce jointe",
		    "pièce jointe trop grosse", err, errlen) < 0 || pieces_check(p, NULL, err, errlen) < 0)
			return -1;
	}
	return 0;
}

