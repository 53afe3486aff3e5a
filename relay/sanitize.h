/*
 * sanitize - the one treatment of untrusted text at output time (issue 16,
 * point 3): whatever a stranger's mail carried (subject, sender, text,
 * piece names, decrypted age content) is shown through san_append before
 * it reaches a terminal, a JSON value, a mail to an agent or a web page.
 * Replaced visibly: C0 controls (but TAB and LF in a multi-line text) and
 * DEL by their control pictures (ESC → ␛, U+241B), C1 controls, the
 * bidirectional controls (U+061C, U+200E–U+200F, U+202A–U+202E,
 * U+2066–U+2069) and the line/paragraph separators (U+2028–U+2029) by
 * "<U+XXXX>", invalid UTF-8 by U+FFFD.  Nothing else changes.
 *
 * Also the one name check for the pieces we carry (escalate, send,
 * sealing) and the one way a received name becomes a file on disk
 * (`open`, `show --extraire`: cleaned, clashes numbered name-1.ext...).
 */
#ifndef FSRELAY_SANITIZE_H
#define FSRELAY_SANITIZE_H

#include <stddef.h>

#include "relay/util.h"

#define SAN_LINES	1	/* keep LF and TAB (a text), drop CR of CRLF */

#define SAN_DISK_MAX	200	/* bytes of a name made for the disk */
#define SAN_CLASH_MAX	1000	/* name, name-1.ext ... name-999.ext */

/* Append s[0..n) to out, replaced as above.  Returns how many characters
 * were replaced or dropped (0: out got s unchanged); a full out (buf max)
 * truncates on a character boundary. */
size_t	 san_append(struct buf *out, const char *s, size_t n, int flags);

/* Same into a new NUL-terminated string (caller frees); NULL stays NULL. */
char	*san_dup(const char *s, int flags);

/* 1 when s[0..n) needs no replacement (for SAN_LINES or not), else 0. */
int	 san_clean(const char *s, size_t n, int flags);

/*
 * The name of a piece we carry: 1..max bytes of valid UTF-8, one line,
 * none of the characters san_append replaces, no '/'.  0, or -1 with the
 * French reason in *why.
 */
int	 san_name_check(const char *s, size_t n, size_t max, const char **why);

/*
 * The name a received piece gets on disk: the last path component (after
 * '/' or '\'), leading dots removed, ':' and every character san_append
 * would replace made '_', at most SAN_DISK_MAX bytes (the stem is cut on
 * a character boundary, the extension of at most 32 bytes kept), "piece"
 * when nothing is left.  stem and ext (with its dot, maybe "") are
 * NUL-terminated in buffers of SAN_DISK_MAX + 1 bytes.
 */
void	 san_disk_name(const char *name, char *stem, char *ext);

/*
 * Create a new file (O_EXCL, O_NOFOLLOW, 0600) in dirfd for name: the
 * cleaned name, then name-1.ext, name-2.ext ... until one is free.  The
 * name used goes to used.  The fd, or -1 with the French reason in err.
 */
int	 san_create(int dirfd, const char *name, char *used, size_t usedlen,
	    char *err, size_t errlen);

#endif
