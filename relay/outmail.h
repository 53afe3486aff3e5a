/*
 * outmail - compose the outbound case mail (pure, no I/O): a MIME
 * multipart/mixed message with a French cover note (quoted-printable) and
 * the age-encrypted case file (base64), and the pre-send scan that looks
 * for the case's sealed values in everything that travels in clear.
 *
 * Trusts: nothing in struct outmail; every header value is checked (no
 * CR/LF/controls), addresses and ids are syntax-checked, file names are
 * restricted to a safe set.
 */
#ifndef FSRELAY_OUTMAIL_H
#define FSRELAY_OUTMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "relay/util.h"

struct outmail {
	const char	*from;		/* relay address, relais@relay.fsrelay.test */
	const char	*to;		/* referent address */
	const char	*reply_to;	/* relais+<token>@...; NULL: none */
	const char	*subject;	/* UTF-8 */
	const char	*message_id;	/* without <> */
	const char	*in_reply_to;	/* without <>; NULL: none */
	time_t		 date;
	const char	*body_text;	/* French cover note, UTF-8, LF or CRLF */
	const char	*attachment_name; /* [A-Za-z0-9._-], e.g. FS-...age;
					   * NULL: no attachment */
	const uint8_t	*attachment;
	size_t		 attachment_len;
	const char	*attachment_type; /* NULL: application/octet-stream;
					   * may carry "; charset=utf-8" */
	/* A second attachment after the first (the opener page); NULL: none.
	 * Its type may carry parameters ("text/html; charset=utf-8"). */
	const char	*extra_name;	/* same rules as attachment_name */
	const uint8_t	*extra;
	size_t		 extra_len;
	const char	*extra_type;	/* NULL: application/octet-stream */
};

/* Largest cover note accepted (bytes). */
#define OUTMAIL_BODY_MAX	(64 * 1024)
/* Longest attachment file name. */
#define OUTMAIL_NAME_MAX	100

/*
 * Append to out a MIME message with CRLF line ends: Date (RFC 5322,
 * +0000), From, To, Reply-To, Subject (RFC 2047 when not ASCII),
 * Message-ID, In-Reply-To and References (when in_reply_to is set),
 * MIME-Version, X-Mailer: fsrelay, multipart/mixed with a random boundary
 * starting with "=_" (it can occur neither in quoted-printable nor in
 * base64 text); part 1 the cover note, text/plain; charset=utf-8,
 * quoted-printable; part 2 the attachment, base64 in 76-column lines, with
 * Content-Disposition: attachment; filename="..."; part 3, when extra_name
 * is set, the extra attachment the same way.  No display names, no
 * Auto-Submitted (a referent's reply must not look automatic).
 * Needs sodium_init() (random boundary).
 * 0 on success; -1 with a French reason in err if a field is missing or
 * unsafe (CR, LF, control characters, invalid UTF-8, bad address or id,
 * unsafe file name) or out's maximum is reached; out is then left as it
 * was.
 */
int	outmail_build(struct buf *out, const struct outmail *m, char *err,
	    size_t errlen);

/*
 * The same message written to a sink as it is made, for an attachment
 * too large to hold (the age file of a case): outmail_stream_begin checks
 * m and writes everything before the attachment's base64 (m->attachment
 * is not used; attachment_name must be set), outmail_stream_write encodes
 * the attachment's bytes as they come (whole 76-column lines; less than a
 * line is kept), outmail_stream_end writes its last line, the extra part
 * and the closing delimiter.  The output is outmail_build's for the same
 * bytes and boundary.  Each returns 0, or -1 (a field refused, with its
 * reason in err; a sink failure); after -1 the stream is over.
 */
struct outmail_sink {
	/* All n bytes, or -1. */
	int	(*write)(void *ctx, const void *p, size_t n);
	void	*ctx;
};

struct outmail_stream {
	const struct outmail	*m;
	struct outmail_sink	 sink;
	char			 boundary[48];
	uint8_t			 rest[57];	/* part of a line in hand */
	size_t			 nrest;
	size_t			 total;		/* attachment bytes seen */
	int			 failed;
};

int	outmail_stream_begin(struct outmail_stream *s, const struct outmail *m,
	    const struct outmail_sink *sink, char *err, size_t errlen);
int	outmail_stream_write(struct outmail_stream *s, const uint8_t *p, size_t n);
int	outmail_stream_end(struct outmail_stream *s, char *err, size_t errlen);

/*
 * Append to out, decoded and separated by newlines, every part of m that
 * travels in clear: the addresses, subject, ids, cover note, attachment
 * name and type (everything but the attachment bytes).  This, not the
 * encoded message, is what outmail_scan_clear must be given: in the built
 * message a name may be hidden by RFC 2047 or quoted-printable encoding.
 * 0 on success, -1 if out's maximum is reached.
 */
int	outmail_clear_parts(struct buf *out, const struct outmail *m);

/*
 * Pre-send scan: search each needle (the case's sealed values: name, first
 * name, birth date in several formats, partner id, description lines) in
 * clear[0..len), ignoring case and accents ("Dupont" finds "DUPONT",
 * "Helene" finds "HÉLÈNE"), as a whole word: "Personne" is not found in
 * "personnelles", but "France" is found in "France Services" (fail closed).  Needles that are NULL or shorter than 3
 * characters after folding are ignored.
 * Returns 1 if one is found (*hit_r = its index, if hit_r is not NULL),
 * 0 if none, -1 on failure (memory, normalisation): the caller must then
 * treat the mail as unsafe.  Temporary copies are wiped.
 */
int	outmail_scan_clear(const char *clear, size_t len,
	    const char *const *needles, size_t n, size_t *hit_r);

/*
 * The pre-send scan against the relay's own template (issue 14): like
 * outmail_scan_clear, but a needle is found only where it occurs, as a
 * whole word, more often in clear[0..len) than in base[0..baselen), the
 * clear parts of the same mail built for a blank person.  So a person
 * named « France », « Antony » or « Roses » is not blocked by « France
 * Services », the Antony desk's name or the structure's address, while the
 * same value added anywhere by the case itself still is.  base NULL (and
 * baselen 0): plain outmail_scan_clear.  Same returns.
 */
int	outmail_scan_beyond(const char *clear, size_t len, const char *base,
	    size_t baselen, const char *const *needles, size_t n, size_t *hit_r);

#endif
