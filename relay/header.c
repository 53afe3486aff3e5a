/*
 * header - safety checks for header values and RFC 2047 encoding.
 *
 * A header value that reaches an outgoing mail must not be able to start a
 * new header or end the header block: CR, LF, NUL and every other control
 * character are refused, and the length is bounded.  Non-ASCII text is
 * written as base64 encoded-words cut on UTF-8 character boundaries, so a
 * decoder never sees half a character in a word.
 *
 * Trusts: libsodium's base64 encoder and libunistring's UTF-8 decoder.
 * Distrusts: every string it is given.
 */
#include <string.h>

#include <sodium.h>
#include <unistr.h>

#include "relay/header.h"

#define EW_PREFIX	"=?UTF-8?B?"
#define EW_SUFFIX	"?="
/* bytes of text per encoded-word: 4 * (39 / 3) = 52 base64 characters,
 * plus 12 for prefix and suffix = RFC2047_WORD_MAX */
#define EW_TEXT_MAX	(((RFC2047_WORD_MAX - 12) / 4) * 3)

_Static_assert(EW_TEXT_MAX == 39, "encoded-word text size");

int
header_value_ok(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 len, i;
	ucs4_t		 uc;
	int		 n;

	if (s == NULL || (len = strlen(s)) > HEADER_VALUE_MAX)
		return 0;
	for (i = 0; i < len; i += (size_t)n) {
		if ((n = u8_mbtouc(&uc, p + i, len - i)) <= 0 ||
		    uc == 0xfffd)
			return 0;	/* invalid UTF-8 (or U+FFFD itself) */
		if ((uc < 0x20 && uc != '\t') || (uc >= 0x7f && uc < 0xa0))
			return 0;
		if (uc == 0x2028 || uc == 0x2029)
			return 0;	/* line / paragraph separators */
	}
	return 1;
}

/* 1 if every byte of s[0..n) is ASCII graphic and not in `bad`. */
static int
graphic_without(const char *s, size_t n, const char *bad)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || strchr(bad, s[i]) != NULL)
			return 0;
	return 1;
}

static int
one_at(const char *s, size_t n)
{
	const char	*at = memchr(s, '@', n);

	return at != NULL && at != s && at != s + n - 1 &&
	    memchr(at + 1, '@', n - (size_t)(at - s) - 1) == NULL;
}

int
header_addr_ok(const char *s)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 254)
		return 0;
	return graphic_without(s, n, "()<>[],;:\\\"") && one_at(s, n);
}

int
header_msgid_ok(const char *s)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 250)
		return 0;
	return graphic_without(s, n, "()<>[],;:\\\"") && one_at(s, n);
}

static int
needs_encoding(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return 1;
	return strstr(s, "=?") != NULL;
}

/* Append one encoded-word for s[0..n), n <= EW_TEXT_MAX. */
static int
put_word(struct buf *out, const char *s, size_t n)
{
	char	b64[sodium_base64_ENCODED_LEN(EW_TEXT_MAX,
		    sodium_base64_VARIANT_ORIGINAL)];

	if (sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s, n,
	    sodium_base64_VARIANT_ORIGINAL) == NULL)
		return -1;
	if (buf_puts(out, EW_PREFIX) == -1 || buf_puts(out, b64) == -1 ||
	    buf_puts(out, EW_SUFFIX) == -1)
		return -1;
	return 0;
}

static int
encode_words(struct buf *out, const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 len = strlen(s), start = 0, i = 0;
	int		 n;

	while (i < len) {
		if ((n = u8_mblen(p + i, len - i)) <= 0)
			return -1;
		if (i + (size_t)n - start > EW_TEXT_MAX) {
			if (put_word(out, s + start, i - start) == -1 ||
			    buf_puts(out, "\r\n ") == -1)
				return -1;
			start = i;
		}
		i += (size_t)n;
	}
	return put_word(out, s + start, i - start);
}

int
rfc2047_encode(struct buf *out, const char *s)
{
	size_t	mark = out->len;

	if (!header_value_ok(s))
		return -1;
	if (!needs_encoding(s)) {
		if (buf_puts(out, s) == -1)
			return -1;
		return 0;
	}
	if (encode_words(out, s) == -1) {
		out->len = mark;
		if (out->p != NULL)
			out->p[mark] = '\0';
		return -1;
	}
	return 0;
}
