/*
 * csv - a bounded RFC 4180 reader for untrusted input.
 *
 * Trusts nothing in the buffer it is given: the buffer must be UTF-8
 * (checked, a leading BOM is skipped), hold no NUL byte, and stay within the
 * limits below.  Line ends are LF or CRLF; a bare CR outside quotes is an
 * error.  Fields may be quoted ("..."), with "" standing for one quote and
 * commas, CR and LF allowed inside; a quote inside an unquoted field is an
 * error.  Empty lines (nothing between two line ends) are skipped; a final
 * line without a line end is accepted.  Fields are returned exactly as
 * written: no trimming.  Does no I/O.
 *
 * Usage:
 *	struct csv_reader r;
 *	char **f; size_t n; const char *errstr;
 *	if (csv_reader_init(&r, data, len, &errstr) == -1) ... errstr ...
 *	while ((rc = csv_next_row(&r, &f, &n, &errstr)) == 1)
 *		... f[0..n-1], row starting on line csv_row_line(&r) ...
 *	if (rc == -1) ... errstr ...
 *	csv_reader_free(&r);
 */
#ifndef FSRELAY_CSV_H
#define FSRELAY_CSV_H

#include <stddef.h>

#include "relay/util.h"

#define CSV_MAX_FIELD	4096		/* bytes in one field */
#define CSV_MAX_FIELDS	64		/* fields in one row */
#define CSV_MAX_ROWS	100000		/* rows in one buffer */
#define CSV_MAX_SIZE	(16UL * 1024 * 1024)	/* bytes in one buffer */

struct csv_reader {
	const char	*p;		/* the input, not owned */
	size_t		 len;
	size_t		 off;		/* next byte to read */
	size_t		 line;		/* line of p[off], from 1 */
	size_t		 row_line;	/* first line of the last row */
	size_t		 rows;		/* rows returned so far */
	int		 failed;	/* an error was returned: stay failed */
	struct buf	 data;		/* the current row's fields, NUL-separated */
	size_t		 start[CSV_MAX_FIELDS];	/* field offsets in data */
	char		*fields[CSV_MAX_FIELDS];	/* pointers given out */
	size_t		 nfields;
	char		 err[160];	/* the last error, in French */
};

/*
 * Prepare r to read the len bytes at p (p need not be NUL-terminated and
 * must outlive r).  Checks the whole buffer first: size, NUL bytes, UTF-8.
 * 0 on success; -1 with *errstr set (pointing into r, valid until
 * csv_reader_free) otherwise.  In both cases csv_reader_free(r) must be
 * called.
 */
int	 csv_reader_init(struct csv_reader *r, const char *p, size_t len,
	    const char **errstr);

/*
 * Read the next row.  Returns 1 with *fields_r pointing at *n_r
 * NUL-terminated fields (n >= 1), owned by r and valid until the next call
 * or csv_reader_free; 0 at the end of the input; -1 on a syntax error or a
 * limit exceeded, with *errstr ("ligne N : ...", owned by r).  After -1 every
 * later call returns -1 again.
 */
int	 csv_next_row(struct csv_reader *r, char ***fields_r, size_t *n_r,
	    const char **errstr);

/* The line (from 1) on which the row last returned by csv_next_row starts. */
size_t	 csv_row_line(const struct csv_reader *r);

/* Wipe and release what r holds (not the input).  r may be reused after a
 * new csv_reader_init. */
void	 csv_reader_free(struct csv_reader *r);

#endif
