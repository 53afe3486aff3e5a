/*
 * header - safety checks for RFC 5322 header values and RFC 2047
 * encoding of non-ASCII text (UTF-8, base64 encoded-words).
 *
 * Pure functions, no I/O.  Trusts nothing it is given: every check runs on
 * the bytes themselves (UTF-8 validated with libunistring).
 */
#ifndef FSRELAY_HEADER_H
#define FSRELAY_HEADER_H

#include "relay/util.h"

/* Longest header value accepted (bytes, before any encoding). */
#define HEADER_VALUE_MAX	900
/* Longest RFC 2047 encoded-word we write: "Subject: " + word <= 76. */
#define RFC2047_WORD_MAX	64

/* 1 if s may be a header value: not NULL, at most HEADER_VALUE_MAX bytes,
 * valid UTF-8, no CR, LF, NUL or other control character (C0 except TAB,
 * DEL, C1), 0 otherwise. */
int	header_value_ok(const char *s);

/* 1 if s is a bare address usable in From/To/Reply-To (no display name):
 * local@domain, ASCII graphic characters only, none of the specials
 * ( ) < > [ ] , ; : \ " , one '@' with non-empty sides, <= 254 bytes.
 * 0 otherwise. */
int	header_addr_ok(const char *s);

/* 1 if s is a msg-id without its angle brackets: id-left@id-right, ASCII
 * graphic characters only, no < > ( ) [ ] \ " , ; : or space, one '@',
 * <= 250 bytes.  0 otherwise. */
int	header_msgid_ok(const char *s);

/* Append to out the header-value form of the UTF-8 text s: s itself when
 * it is printable ASCII and holds no "=?"; otherwise a run of encoded-words
 * "=?UTF-8?B?...?=", each at most RFC2047_WORD_MAX characters, cut only
 * between UTF-8 characters, separated by CRLF SP (folding).
 * 0 on success; -1 if s fails header_value_ok or out's maximum would be
 * exceeded (out is then left as it was). */
int	rfc2047_encode(struct buf *out, const char *s);

#endif
