/*
 * mime - parse one untrusted mail into struct parsed_mail (see mime.h).
 *
 * Trusts: nothing in the input.  The top-level header block is scanned
 * here (limits, NUL bytes, unfolding); libetpan parses the MIME structure
 * (mailmime_parse, given a NUL-padded copy) and address lists
 * (mailimf_*_parse); transfer encodings (base64 by relay/b64), RFC
 * 2047/2231 and charsets are
 * decoded here.  The result is checked again (depth,
 * part count, boundaries present) and every string is converted to clean
 * UTF-8 before it leaves this file.  This file and adapters/libs (which
 * loads libetpan when first needed) are the only ones that include
 * libetpan headers.
 */
#include "adapters/mime.h"
#include "relay/b64.h"
#include "relay/util.h"

#include <libetpan/libetpan.h>

#include "adapters/libs.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AGE_MAGIC	"age-encryption.org/v1"
#define MSGID_MAX	998
#define EW_MAX		1000	/* encoded-word text (RFC 2047 says 75) */
#define ACTION_MAX	32
#define LIBETPAN_PAD	64	/* NUL bytes after libetpan's input */

/* One header field: name as written, value unfolded and trimmed. */
struct hfield {
	char	*name;
	char	*value;
};

struct hblock {
	struct hfield	*f;
	size_t		 n;
};

/* The walk over the MIME tree. */
struct walk {
	struct parsed_mail	*m;
	struct buf		 text;
	int			 have_plain;
	int			 have_html;
	int			 nparts;
	int			 failed;
	const char		*why;
};

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		fs_strlcpy(err, msg, errlen);
}

/* ---- UTF-8 and charsets ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* The code point of a valid sequence of length len (from utf8_len). */
static unsigned
utf8_cp(const unsigned char *s, size_t len)
{
	static const unsigned char lead[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned cp = s[0] & lead[len];
	size_t i;

	for (i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

static int
utf8_valid(const char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		if ((l = utf8_len((const unsigned char *)s + i, n - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* Cut valid UTF-8 s to at most max bytes, on a character boundary. */
static void
utf8_cut(char *s, size_t max)
{
	size_t cut = max;

	if (strlen(s) <= max)
		return;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	s[cut] = '\0';
}

static void
put_cp(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		(void)buf_append(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		(void)buf_append(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		(void)buf_append(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		(void)buf_append(b, u, 4);
	}
}

/* Windows-1252 0x80..0x9f; 0 = undefined (U+FFFD). */
static const unsigned short cp1252_hi[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* Append s[0..n) read as Windows-1252 (a superset of ISO-8859-1 for
 * printable text, as browsers do). */
static void
cp1252_append(struct buf *b, const char *s, size_t n)
{
	size_t i;
	unsigned c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x80 && c < 0xa0)
			put_cp(b, cp1252_hi[c - 0x80] ? cp1252_hi[c - 0x80] :
			    0xfffd);
		else
			put_cp(b, c);
	}
}

/* Append s[0..n) as UTF-8, invalid sequences as U+FFFD. */
static void
utf8_append_repair(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		l = utf8_len((const unsigned char *)s + i, n - i);
		if (l == 0) {
			put_cp(b, 0xfffd);
			i++;
		} else {
			(void)buf_append(b, s + i, l);
			i += l;
		}
	}
}

static int
charset_is(const char *cs, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcasecmp(cs, *names) == 0)
			return 1;
	return 0;
}

/* Convert with iconv; 0 ok, -1 unknown charset or invalid input. */
static int
iconv_append(struct buf *b, const char *cs, const char *s, size_t n)
{
	iconv_t cd;
	char out[4096], *ip, *op;
	size_t il, ol, r;
	int rc = 0;

	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return -1;
	ip = (char *)(uintptr_t)s;
	il = n;
	while (il > 0) {
		op = out;
		ol = sizeof(out);
		r = iconv(cd, &ip, &il, &op, &ol);
		(void)buf_append(b, out, sizeof(out) - ol);
		if (r == (size_t)-1 && errno != E2BIG) {
			rc = -1;
			break;
		}
	}
	iconv_close(cd);
	return rc;
}

/* Append s[0..n) in charset cs (NULL: undeclared) as UTF-8. */
static void
charset_append(struct buf *b, const char *cs, const char *s, size_t n)
{
	static const char *const utf8[] = { "utf-8", "utf8", "us-ascii",
	    "ascii", "ansi_x3.4-1968", NULL };
	static const char *const latin[] = { "iso-8859-1", "iso8859-1",
	    "latin1", "latin-1", "windows-1252", "cp1252", "x-cp1252",
	    "iso_8859-1", NULL };
	size_t mark;

	if (cs == NULL || *cs == '\0' || charset_is(cs, utf8)) {
		/* Undeclared 8-bit that is not UTF-8: Windows-1252. */
		if (utf8_valid(s, n))
			(void)buf_append(b, s, n);
		else if (cs != NULL && strcasecmp(cs, "utf-8") == 0)
			utf8_append_repair(b, s, n);
		else
			cp1252_append(b, s, n);
		return;
	}
	if (charset_is(cs, latin)) {
		cp1252_append(b, s, n);
		return;
	}
	mark = b->len;
	if (iconv_append(b, cs, s, n) == -1) {
		b->len = mark;
		if (b->p != NULL)
			b->p[mark] = '\0';
		if (utf8_valid(s, n))
			(void)buf_append(b, s, n);
		else
			cp1252_append(b, s, n);
	}
}

/*
 * Clean a UTF-8 string in place: invalid bytes already repaired by the
 * caller; here CR is dropped, and other controls become a space (one-line
 * values) or are dropped (texts, which keep LF and TAB).
 */
static char *
clean_owned(struct buf *b, int multiline)
{
	size_t i, j = 0;
	unsigned char c;
	char *s;

	if (b->p == NULL)
		return xstrdup("");
	for (i = 0; i < b->len; i++) {
		c = (unsigned char)b->p[i];
		if (c == '\r')
			continue;
		if (c < 0x20 || c == 0x7f) {
			if (multiline && (c == '\n' || c == '\t'))
				b->p[j++] = (char)c;
			else if (!multiline)
				b->p[j++] = ' ';
			continue;
		}
		b->p[j++] = (char)c;
	}
	b->p[j] = '\0';
	s = xstrndup(b->p, j);
	buf_free(b);
	return s;
}

/* Owned clean UTF-8 copy of s[0..n) in charset cs. */
static char *
to_utf8(const char *cs, const char *s, size_t n, int multiline, size_t max)
{
	struct buf b;

	buf_init(&b, max);
	charset_append(&b, cs, s, n);
	return clean_owned(&b, multiline);
}

/* ---- RFC 2047 ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode RFC 2047 Q text s[0..n) into b. */
static void
q_decode(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int h, l;
	char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			c = (char)(h * 16 + l);
			i += 2;
		}
		(void)buf_append(b, &c, 1);
	}
}

/*
 * Parse an encoded word at s: "=?charset?B|Q?text?=".  0 and the pieces,
 * -1 when s does not start one.  The charset may carry "*lang" (RFC 2231).
 */
static int
ew_parse(const char *s, const char **cs, size_t *cslen, char *enc,
    const char **txt, size_t *txtlen, const char **end)
{
	const char *p, *q;

	if (s[0] != '=' || s[1] != '?')
		return -1;
	p = s + 2;
	if ((q = strchr(p, '?')) == NULL || q == p || q - p > 40)
		return -1;
	*cs = p;
	*cslen = (size_t)(q - p);
	if (memchr(p, '*', *cslen) != NULL)
		*cslen = (size_t)((const char *)memchr(p, '*', *cslen) - p);
	if ((q[1] != 'B' && q[1] != 'b' && q[1] != 'Q' && q[1] != 'q') ||
	    q[2] != '?')
		return -1;
	*enc = (char)toupper((unsigned char)q[1]);
	p = q + 3;
	for (q = p; *q != '\0' && !(q[0] == '?' && q[1] == '='); q++)
		if (*q == ' ' || *q == '\t' || q - p > EW_MAX)
			return -1;
	if (*q == '\0')
		return -1;
	*txt = p;
	*txtlen = (size_t)(q - p);
	*end = q + 2;
	return 0;
}

/*
 * Decode the encoded words of a header value.  Adjacent words of the same
 * charset are joined before conversion (a character split across two
 * words survives); whitespace between encoded words is dropped.
 */
static char *
decode_2047(const char *s)
{
	struct buf out, raw;
	char cur[41] = "", enc;
	const char *cs, *txt, *end, *p = s, *ws;
	size_t cslen, txtlen;

	buf_init(&out, MIME_HEADER_MAX * 2);
	buf_init(&raw, MIME_HEADER_MAX);
	while (*p != '\0') {
		if (ew_parse(p, &cs, &cslen, &enc, &txt, &txtlen, &end) == 0) {
			char csname[41];

			memcpy(csname, cs, cslen);
			csname[cslen] = '\0';
			if (raw.len > 0 && strcasecmp(csname, cur) != 0) {
				charset_append(&out, cur, raw.p, raw.len);
				raw.len = 0;
			}
			fs_strlcpy(cur, csname, sizeof(cur));
			if (enc == 'B')
				(void)b64_decode_lenient(&raw, txt, txtlen);
			else
				q_decode(&raw, txt, txtlen);
			/* Skip whitespace up to a following encoded word. */
			for (ws = end; *ws == ' ' || *ws == '\t' || *ws == '\r' ||
			    *ws == '\n'; ws++)
				;
			if (ws != end && ws[0] == '=' && ws[1] == '?' &&
			    ew_parse(ws, &cs, &cslen, &enc, &txt, &txtlen,
			    &txt) == 0)
				p = ws;
			else
				p = end;
			continue;
		}
		if (raw.len > 0) {
			charset_append(&out, cur, raw.p, raw.len);
			raw.len = 0;
		}
		for (end = p + 1; *end != '\0' && !(end[0] == '=' &&
		    end[1] == '?'); end++)
			;
		charset_append(&out, NULL, p, (size_t)(end - p));
		p = end;
	}
	if (raw.len > 0)
		charset_append(&out, cur, raw.p, raw.len);
	buf_free(&raw);
	return clean_owned(&out, 0);
}

/* ---- header block ---- */

static void
hblock_free(struct hblock *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->f[i].name);
		free(h->f[i].value);
	}
	free(h->f);
	h->f = NULL;
	h->n = 0;
}

/* Trim spaces and tabs at both ends of s[0..*n); returns the start. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t' ||
	    s[*n - 1] == '\r'))
		(*n)--;
	return s;
}

/* Add one raw field p[0..n) ("Name: value\r\n continuation"). */
static int
hblock_add(struct hblock *h, const char *p, size_t n, int strict)
{
	const char *colon;
	struct buf v;
	size_t i, nl;
	const char *val;
	struct hfield *f;

	if ((colon = memchr(p, ':', n)) == NULL || colon == p)
		return strict ? -1 : 0;
	for (i = 0; p + i < colon; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return strict ? -1 : 0;
	if (h->n >= MIME_HEADERS_MAX)
		return -1;
	buf_init(&v, MIME_HEADER_MAX);
	for (val = colon + 1; val < p + n; val++) {
		if (*val == '\r' || *val == '\n')
			continue;
		if (buf_append(&v, val, 1) == -1) {
			buf_free(&v);
			return -1;
		}
	}
	nl = v.len;
	val = trim(v.p != NULL ? v.p : "", &nl);
	h->f = xreallocarray(h->f, h->n + 1, sizeof(*h->f));
	f = &h->f[h->n++];
	f->name = xstrndup(p, (size_t)(colon - p));
	f->value = xstrndup(val, nl);
	buf_free(&v);
	return 0;
}

/*
 * Scan the header block at p[0..len): fields into h, *body_r the offset of
 * the body.  strict: NUL bytes, over-long fields and too many fields fail
 * (-1, reason in *why); otherwise bad lines are skipped.
 */
static int
hblock_scan(const char *p, size_t len, struct hblock *h, size_t *body_r,
    int strict, const char **why)
{
	size_t i = 0, start, end;

	while (i < len) {
		if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len &&
		    p[i + 1] == '\n')) {
			i += p[i] == '\r' ? 2 : 1;
			break;
		}
		start = i;
		for (;;) {
			while (i < len && p[i] != '\n') {
				if (p[i] == '\0' && strict) {
					*why = "octet nul dans l'en-tête";
					return -1;
				}
				i++;
			}
			if (i < len)
				i++;
			if (i >= len || (p[i] != ' ' && p[i] != '\t'))
				break;
		}
		end = i;
		if (end - start > MIME_HEADER_MAX) {
			if (strict) {
				*why = "champ d'en-tête trop long";
				return -1;
			}
			continue;
		}
		if (start == 0 && end - start > 5 && memcmp(p, "From ", 5) == 0)
			continue;	/* mbox separator */
		if (hblock_add(h, p + start, end - start, 0) == -1) {
			if (strict) {
				*why = "trop de champs d'en-tête";
				return -1;
			}
			break;
		}
	}
	*body_r = i;
	return 0;
}

static const char *
hget(const struct hblock *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->f[i].name, name) == 0)
			return h->f[i].value;
	return NULL;
}

/* ---- lists, addresses, ids ---- */

static void
list_add(struct mime_list *l, char *s, size_t max)
{
	if (l->n >= max) {
		free(s);
		return;
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

static void
list_free(struct mime_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* A lowercased copy of an addr-spec if it looks like one, else NULL. */
static char *
addr_clean(const char *a, size_t n)
{
	char *s;
	size_t i;

	a = trim(a, &n);
	if (n > 0 && a[0] == '<' && a[n - 1] == '>') {
		a++;
		n -= 2;
	}
	if (n == 0 || n > 320 || memchr(a, '@', n) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] <= ' ' || (unsigned char)a[i] >= 0x7f ||
		    a[i] == '<' || a[i] == '>' || a[i] == ',' || a[i] == ';')
			return NULL;
	s = xstrndup(a, n);
	fs_ascii_lower(s);
	return s;
}

/* Crude fallback: every "<x@y>" or bare x@y token of s. */
static void
addr_fallback(struct mime_list *l, const char *s, char **name_r)
{
	const char *p = s, *e;
	char *a;

	while (*p != '\0') {
		if (*p == '<' && (e = strchr(p, '>')) != NULL) {
			if ((a = addr_clean(p + 1, (size_t)(e - p - 1))) != NULL)
				list_add(l, a, MIME_ADDRS_MAX);
			p = e + 1;
			continue;
		}
		e = p + strcspn(p, " \t,;<>\"");
		if (e > p && memchr(p, '@', (size_t)(e - p)) != NULL &&
		    (a = addr_clean(p, (size_t)(e - p))) != NULL)
			list_add(l, a, MIME_ADDRS_MAX);
		p = *e != '\0' ? e + 1 : e;
	}
	(void)name_r;
}

static void
mailbox_add(struct mime_list *l, const struct mailimf_mailbox *mb,
    char **name_r)
{
	char *a;

	if (mb == NULL || mb->mb_addr_spec == NULL)
		return;
	if ((a = addr_clean(mb->mb_addr_spec, strlen(mb->mb_addr_spec))) ==
	    NULL)
		return;
	if (name_r != NULL && *name_r == NULL && l->n == 0 &&
	    mb->mb_display_name != NULL && *mb->mb_display_name != '\0')
		*name_r = decode_2047(mb->mb_display_name);
	list_add(l, a, MIME_ADDRS_MAX);
}

/* Parse an address-list header value into l (and the first display name
 * into *name_r when name_r is set). */
static void
addr_parse(struct mime_list *l, const char *value, char **name_r)
{
	struct mailimf_address_list *al = NULL;
	struct mailimf_address *ad;
	clistiter *c, *g;
	size_t idx = 0;

	if (libs_etpan()->address_list_parse(value, strlen(value), &idx, &al) !=
	    MAILIMF_NO_ERROR || al == NULL) {
		addr_fallback(l, value, name_r);
		return;
	}
	for (c = clist_begin(al->ad_list); c != NULL; c = clist_next(c)) {
		ad = clist_content(c);
		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
			mailbox_add(l, ad->ad_data.ad_mailbox, name_r);
		else if (ad->ad_type == MAILIMF_ADDRESS_GROUP &&
		    ad->ad_data.ad_group != NULL &&
		    ad->ad_data.ad_group->grp_mb_list != NULL)
			for (g = clist_begin(ad->ad_data.ad_group->grp_mb_list->mb_list);
			    g != NULL; g = clist_next(g))
				mailbox_add(l, clist_content(g), NULL);
	}
	libs_etpan()->address_list_free(al);
	if (l->n == 0)
		addr_fallback(l, value, name_r);
}

/* A copy of a message id s[0..n) if it is a sane one. */
static char *
msgid_clean(const char *s, size_t n)
{
	size_t i;

	s = trim(s, &n);
	if (n == 0 || n > MSGID_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '<' || s[i] == '>')
			return NULL;
	return xstrndup(s, n);
}

/* Every "<id>" of value into l (or the bare value when it has none);
 * only the last MIME_REFS_MAX are kept. */
static void
ids_parse(struct mime_list *l, const char *value)
{
	const char *p = value, *e;
	char *id;
	int found = 0;

	while ((p = strchr(p, '<')) != NULL) {
		if ((e = strchr(p, '>')) == NULL)
			break;
		if ((id = msgid_clean(p + 1, (size_t)(e - p - 1))) != NULL) {
			found = 1;
			if (l->n >= MIME_REFS_MAX) {
				free(l->v[0]);
				memmove(l->v, l->v + 1,
				    (l->n - 1) * sizeof(*l->v));
				l->n--;
			}
			list_add(l, id, MIME_REFS_MAX);
		}
		p = e + 1;
	}
	if (!found && (id = msgid_clean(value, strlen(value))) != NULL)
		list_add(l, id, MIME_REFS_MAX);
}

static char *
first_id(const char *value)
{
	struct mime_list l = { NULL, 0 };
	char *id = NULL;

	ids_parse(&l, value);
	if (l.n > 0) {
		id = l.v[0];
		l.v[0] = NULL;
	}
	list_free(&l);
	return id;
}

static char *
raw_value(const char *v)
{
	return to_utf8(NULL, v, strlen(v), 0, MIME_HEADER_MAX * 3);
}

static void
set_once(char **dst, const char *v)
{
	if (*dst == NULL)
		*dst = raw_value(v);
}

/* Fill the header part of m from the top-level block. */
static void
headers_fill(struct parsed_mail *m, const struct hblock *h)
{
	size_t i;
	const char *n, *v;

	for (i = 0; i < h->n; i++) {
		n = h->f[i].name;
		v = h->f[i].value;
		if (strcasecmp(n, "Message-ID") == 0 && m->message_id == NULL)
			m->message_id = first_id(v);
		else if (strcasecmp(n, "In-Reply-To") == 0 &&
		    m->in_reply_to == NULL)
			m->in_reply_to = first_id(v);
		else if (strcasecmp(n, "References") == 0)
			ids_parse(&m->references, v);
		else if (strcasecmp(n, "From") == 0 && m->from == NULL) {
			struct mime_list l = { NULL, 0 };

			addr_parse(&l, v, &m->from_name);
			if (l.n > 0) {
				m->from = l.v[0];
				l.v[0] = NULL;
			}
			list_free(&l);
		} else if (strcasecmp(n, "To") == 0)
			addr_parse(&m->to, v, NULL);
		else if (strcasecmp(n, "Cc") == 0)
			addr_parse(&m->cc, v, NULL);
		else if (strcasecmp(n, "Delivered-To") == 0 ||
		    strcasecmp(n, "X-Original-To") == 0)
			addr_parse(&m->delivered_to, v, NULL);
		else if (strcasecmp(n, "Reply-To") == 0)
			addr_parse(&m->reply_to, v, NULL);
		else if (strcasecmp(n, "Subject") == 0 && m->subject == NULL)
			m->subject = decode_2047(v);
		else if (strcasecmp(n, "Date") == 0)
			set_once(&m->date, v);
		else if (strcasecmp(n, "Return-Path") == 0 &&
		    m->return_path == NULL) {
			const char *lt = strchr(v, '<'), *gt = NULL;

			if (lt != NULL)
				gt = strchr(lt, '>');
			if (lt != NULL && gt == lt + 1)
				m->return_path = xstrdup("");
			else if ((m->return_path = addr_clean(v, strlen(v))) ==
			    NULL && lt != NULL && gt != NULL)
				m->return_path = addr_clean(lt + 1,
				    (size_t)(gt - lt - 1));
		} else if (strcasecmp(n, "Auto-Submitted") == 0)
			set_once(&m->auto_submitted, v);
		else if (strcasecmp(n, "X-Autoreply") == 0)
			set_once(&m->x_autoreply, v);
		else if (strcasecmp(n, "X-Autorespond") == 0)
			set_once(&m->x_autorespond, v);
		else if (strcasecmp(n, "Precedence") == 0)
			set_once(&m->precedence, v);
		else if (strcasecmp(n, "X-Mailer") == 0)
			set_once(&m->x_mailer, v);
		else if (strcasecmp(n, "X-Loop") == 0)
			list_add(&m->x_loop, raw_value(v), MIME_ADDRS_MAX);
		else if (strcasecmp(n, "Authentication-Results") == 0)
			list_add(&m->auth_results, raw_value(v),
			    MIME_ADDRS_MAX);
	}
	if (m->subject == NULL)
		m->subject = xstrdup("");
}

/* ---- MIME tree ---- */

static const char *
type_name(const struct mailmime_content *ct)
{
	const struct mailmime_type *t;

	if (ct == NULL || (t = ct->ct_type) == NULL)
		return "text";
	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		switch (t->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: return "text";
		case MAILMIME_DISCRETE_TYPE_IMAGE: return "image";
		case MAILMIME_DISCRETE_TYPE_AUDIO: return "audio";
		case MAILMIME_DISCRETE_TYPE_VIDEO: return "video";
		case MAILMIME_DISCRETE_TYPE_APPLICATION: return "application";
		default:
			return t->tp_data.tp_discrete_type->dt_extension != NULL ?
			    t->tp_data.tp_discrete_type->dt_extension : "x-unknown";
		}
	}
	switch (t->tp_data.tp_composite_type->ct_type) {
	case MAILMIME_COMPOSITE_TYPE_MESSAGE: return "message";
	case MAILMIME_COMPOSITE_TYPE_MULTIPART: return "multipart";
	default:
		return t->tp_data.tp_composite_type->ct_token != NULL ?
		    t->tp_data.tp_composite_type->ct_token : "x-unknown";
	}
}

/* "type/subtype", lowercased, owned. */
static char *
media_type(const struct mailmime_content *ct)
{
	char *s;
	const char *sub = ct != NULL && ct->ct_subtype != NULL ?
	    ct->ct_subtype : "plain";

	size_t i;

	s = xasprintf("%.60s/%.60s", type_name(ct), sub);
	fs_ascii_lower(s);
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("/.+-_", s[i]) == NULL)
			s[i] = '_';
	return s;
}

/* ---- parameters (RFC 2231) ---- */

struct param {
	const char	*name;
	const char	*value;
};

struct params {
	struct param	 p[64];
	size_t		 n;
};

static void
params_add(struct params *ps, const char *name, const char *value)
{
	if (name == NULL || value == NULL || ps->n >= FS_ARRAY_LEN(ps->p))
		return;
	ps->p[ps->n].name = name;
	ps->p[ps->n].value = value;
	ps->n++;
}

static const char *
params_get(const struct params *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcasecmp(ps->p[i].name, name) == 0)
			return ps->p[i].value;
	return NULL;
}

/* Percent-decode s into b. */
static void
pct_decode(struct buf *b, const char *s)
{
	int h, l;
	char c;

	for (; *s != '\0'; s++) {
		c = *s;
		if (c == '%' && (h = hexval((unsigned char)s[1])) >= 0 &&
		    (l = hexval((unsigned char)s[2])) >= 0) {
			c = (char)(h * 16 + l);
			s += 2;
		}
		(void)buf_append(b, &c, 1);
	}
}

/* The value of parameter base (RFC 2231 extended, continued, or plain
 * with RFC 2047 words), UTF-8, owned; NULL when absent. */
static char *
param_decode(const struct params *ps, const char *base)
{
	struct buf raw, out;
	char key[80], cs[41] = "";
	const char *v, *q;
	int i, ext;

	snprintf(key, sizeof(key), "%s*", base);
	buf_init(&raw, MIME_NAME_MAX * 4);
	if ((v = params_get(ps, key)) != NULL ||
	    (snprintf(key, sizeof(key), "%s*0*", base),
	    v = params_get(ps, key)) != NULL) {
		/* charset'lang'value */
		if ((q = strchr(v, '\'')) != NULL && strchr(q + 1, '\'') != NULL) {
			snprintf(cs, sizeof(cs), "%.*s", (int)(q - v), v);
			v = strchr(q + 1, '\'') + 1;
		}
		pct_decode(&raw, v);
		for (i = 1; i < 50; i++) {
			snprintf(key, sizeof(key), "%s*%d*", base, i);
			ext = 1;
			if ((v = params_get(ps, key)) == NULL) {
				snprintf(key, sizeof(key), "%s*%d", base, i);
				ext = 0;
				if ((v = params_get(ps, key)) == NULL)
					break;
			}
			if (ext)
				pct_decode(&raw, v);
			else
				(void)buf_puts(&raw, v);
		}
	} else if ((snprintf(key, sizeof(key), "%s*0", base),
	    v = params_get(ps, key)) != NULL) {
		(void)buf_puts(&raw, v);
		for (i = 1; i < 50; i++) {
			snprintf(key, sizeof(key), "%s*%d", base, i);
			if ((v = params_get(ps, key)) == NULL)
				break;
			(void)buf_puts(&raw, v);
		}
		v = raw.p != NULL ? raw.p : "";
		out.p = decode_2047(v);
		buf_free(&raw);
		return out.p;
	} else if ((v = params_get(ps, base)) != NULL) {
		buf_free(&raw);
		return decode_2047(v);
	} else {
		buf_free(&raw);
		return NULL;
	}
	buf_init(&out, MIME_NAME_MAX * 4);
	charset_append(&out, cs[0] != '\0' ? cs : NULL,
	    raw.p != NULL ? raw.p : "", raw.len);
	buf_free(&raw);
	return clean_owned(&out, 0);
}

static void
content_params(const struct mailmime_content *ct, struct params *ps)
{
	struct mailmime_parameter *pa;
	clistiter *c;

	if (ct == NULL || ct->ct_parameters == NULL)
		return;
	for (c = clist_begin(ct->ct_parameters); c != NULL; c = clist_next(c)) {
		pa = clist_content(c);
		params_add(ps, pa->pa_name, pa->pa_value);
	}
}

static const struct mailmime_disposition *
disposition(const struct mailmime *mm)
{
	struct mailmime_field *f;
	clistiter *c;

	if (mm->mm_mime_fields == NULL || mm->mm_mime_fields->fld_list == NULL)
		return NULL;
	for (c = clist_begin(mm->mm_mime_fields->fld_list); c != NULL;
	    c = clist_next(c)) {
		f = clist_content(c);
		if (f->fld_type == MAILMIME_FIELD_DISPOSITION)
			return f->fld_data.fld_disposition;
	}
	return NULL;
}

static void
disposition_params(const struct mailmime_disposition *d, struct params *ps)
{
	struct mailmime_disposition_parm *pa;
	clistiter *c;

	if (d == NULL || d->dsp_parms == NULL)
		return;
	for (c = clist_begin(d->dsp_parms); c != NULL; c = clist_next(c)) {
		pa = clist_content(c);
		if (pa->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
			params_add(ps, "filename", pa->pa_data.pa_filename);
		else if (pa->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER &&
		    pa->pa_data.pa_parameter != NULL)
			params_add(ps, pa->pa_data.pa_parameter->pa_name,
			    pa->pa_data.pa_parameter->pa_value);
	}
}

/* The file name of a part (disposition filename, else type name),
 * sanitised: no path separators or controls, at most MIME_NAME_MAX bytes
 * cut on a character boundary.  Owned; "" when none. */
static char *
part_filename(const struct mailmime *mm)
{
	struct params dp = { .n = 0 }, cp = { .n = 0 };
	char *name;
	size_t i;

	disposition_params(disposition(mm), &dp);
	content_params(mm->mm_content_type, &cp);
	if ((name = param_decode(&dp, "filename")) == NULL &&
	    (name = param_decode(&cp, "name")) == NULL)
		return xstrdup("");
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '/' || name[i] == '\\' ||
		    (unsigned char)name[i] < 0x20)
			name[i] = '_';
	utf8_cut(name, MIME_NAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		name[0] = '_';
	return name;
}

static const char *
content_param(const struct mailmime_content *ct, const char *name)
{
	struct params ps = { .n = 0 };

	content_params(ct, &ps);
	return params_get(&ps, name);
}

/* Decode a quoted-printable body s[0..n) into b (lenient: a bad escape
 * is kept literally).  Our own decoder: libetpan's reads past the end of
 * a part that ends with "=". */
static void
qp_body_decode(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, k;
	int h, l;
	char c;

	while (i < n) {
		c = s[i];
		if (c != '=') {
			(void)buf_append(b, &c, 1);
			i++;
			continue;
		}
		for (k = i + 1; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
			;
		if (k < n && s[k] == '\r' && k + 1 < n && s[k + 1] == '\n') {
			i = k + 2;	/* soft line break */
			continue;
		}
		if (k == n || s[k] == '\n') {
			i = k + 1;	/* soft break, or "=" ending the part */
			continue;
		}
		if (i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			c = (char)(h * 16 + l);
			i += 3;
		} else
			i++;
		(void)buf_append(b, &c, 1);
	}
}

/* Decoded bytes of a leaf part (transfer encoding undone), owned, with a
 * NUL after them (not counted). */
static uint8_t *
part_bytes(const struct mailmime *mm, size_t *len_r)
{
	const struct mailmime_data *d = mm->mm_body;
	const char *src;
	size_t n;
	uint8_t *out;
	struct buf b;

	*len_r = 0;
	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return xcalloc(1, 1);
	src = d->dt_data.dt_text.dt_data;
	n = d->dt_data.dt_text.dt_length;
	if (d->dt_encoded && (d->dt_encoding == MAILMIME_MECHANISM_BASE64 ||
	    d->dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE)) {
		buf_init(&b, MIME_MSG_MAX);
		if (d->dt_encoding == MAILMIME_MECHANISM_BASE64)
			(void)b64_decode_lenient(&b, src, n);
		else
			qp_body_decode(&b, src, n);
		n = b.len;
		out = xmalloc(n + 1);
		if (n > 0)
			memcpy(out, b.p, n);
		buf_free(&b);
	} else {
		out = xmalloc(n + 1);
		memcpy(out, src, n);
	}
	out[n] = '\0';
	*len_r = n;
	return out;
}

/* ---- HTML to text ---- */

struct entity {
	const char	*name;
	unsigned	 cp;
};

static const struct entity entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 }, { "eacute", 0xe9 },
	{ "egrave", 0xe8 }, { "ecirc", 0xea }, { "euml", 0xeb },
	{ "agrave", 0xe0 }, { "acirc", 0xe2 }, { "ccedil", 0xe7 },
	{ "icirc", 0xee }, { "iuml", 0xef }, { "ocirc", 0xf4 },
	{ "ugrave", 0xf9 }, { "ucirc", 0xfb }, { "uuml", 0xfc },
	{ "Eacute", 0xc9 }, { "Egrave", 0xc8 }, { "Agrave", 0xc0 },
	{ "Ccedil", 0xc7 }, { "oelig", 0x153 }, { "laquo", 0xab },
	{ "raquo", 0xbb }, { "euro", 0x20ac }, { "rsquo", 0x2019 },
	{ "lsquo", 0x2018 }, { "ldquo", 0x201c }, { "rdquo", 0x201d },
	{ "hellip", 0x2026 }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "deg", 0xb0 }, { "copy", 0xa9 }, { "middot", 0xb7 },
};

struct html {
	struct buf	*out;
	int		 bq;		/* blockquote depth */
	int		 bol;		/* at the beginning of a line */
	int		 space;		/* a space is pending */
	int		 pre;
};

static void
html_newline(struct html *h, int force)
{
	if (!force && h->bol)
		return;
	(void)buf_append(h->out, "\n", 1);
	h->bol = 1;
	h->space = 0;
}

static void
html_char(struct html *h, unsigned cp)
{
	int i;

	if (!h->pre && (cp == ' ' || cp == '\t' || cp == '\n' ||
	    cp == '\r' || cp == 0xa0)) {
		if (cp == 0xa0 && !h->bol)
			h->space = 1;
		else if (!h->bol)
			h->space = 1;
		return;
	}
	if (h->pre && cp == '\n') {
		html_newline(h, 1);
		return;
	}
	if (h->bol) {
		for (i = 0; i < h->bq && i < MIME_DEPTH_MAX; i++)
			(void)buf_append(h->out, "> ", 2);
		h->bol = 0;
	} else if (h->space)
		(void)buf_append(h->out, " ", 1);
	h->space = 0;
	put_cp(h->out, cp);
}

/* Decode the entity at s[0..n) (after '&'); returns bytes used, 0 if
 * none (the '&' is then literal). */
static size_t
html_entity(const char *s, size_t n, unsigned *cp)
{
	size_t i, k;
	unsigned long v = 0;

	if (n > 1 && s[0] == '#') {
		int hex = (s[1] == 'x' || s[1] == 'X');

		for (i = hex ? 2 : 1; i < n && i < 10; i++) {
			int d = hex ? hexval((unsigned char)s[i]) :
			    (isdigit((unsigned char)s[i]) ? s[i] - '0' : -1);
			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (i == (hex ? 2u : 1u))
			return 0;
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			v = 0xfffd;
		*cp = (unsigned)v;
		return i < n && s[i] == ';' ? i + 1 : i;
	}
	for (k = 0; k < FS_ARRAY_LEN(entities); k++) {
		i = strlen(entities[k].name);
		if (i < n && strncmp(s, entities[k].name, i) == 0 &&
		    s[i] == ';') {
			*cp = entities[k].cp;
			return i + 1;
		}
	}
	return 0;
}

static int
tag_is(const char *t, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(t, *set) == 0)
			return 1;
	return 0;
}

/* Handle tag <[/]name ...>; returns how far to skip for raw-text elements
 * (script, style...), else 0. */
static void
html_tag(struct html *h, const char *name, int closing)
{
	static const char *const blocks[] = { "p", "div", "tr", "li", "h1",
	    "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre",
	    "dt", "dd", "address", "section", "article", "header", "footer",
	    "center", "form", NULL };

	if (strcmp(name, "br") == 0) {
		html_newline(h, 1);
		return;
	}
	if (strcmp(name, "blockquote") == 0) {
		html_newline(h, 0);
		h->bq += closing ? (h->bq > 0 ? -1 : 0) : 1;
		return;
	}
	if (strcmp(name, "pre") == 0)
		h->pre = !closing;
	if (tag_is(name, blocks))
		html_newline(h, 0);
	else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		h->space = !h->bol;
}

/* Reduce HTML s[0..n) (UTF-8) to text appended to out. */
static void
html_to_text(struct buf *out, const char *s, size_t n)
{
	static const char *const rawtext[] = { "script", "style", "head",
	    "title", "xml", NULL };
	struct html h = { out, 0, 1, 0, 0 };
	char name[16], endtag[24];
	size_t i = 0, k, used, l;
	unsigned cp;
	const char *e;
	int closing;

	while (i < n) {
		if (s[i] == '<') {
			if (i + 3 < n && memcmp(s + i, "<!--", 4) == 0) {
				e = memmem(s + i + 4, n - i - 4, "-->", 3);
				i = e != NULL ? (size_t)(e - s) + 3 : n;
				continue;
			}
			k = i + 1;
			closing = k < n && s[k] == '/';
			if (closing)
				k++;
			for (l = 0; k < n && l < sizeof(name) - 1 &&
			    isalnum((unsigned char)s[k]); k++, l++)
				name[l] = (char)tolower((unsigned char)s[k]);
			name[l] = '\0';
			if (l == 0 && !(k < n && (s[k] == '!' || s[k] == '?'))) {
				html_char(&h, '<');
				i++;
				continue;
			}
			e = memchr(s + k, '>', n - k);
			i = e != NULL ? (size_t)(e - s) + 1 : n;
			if (l == 0)
				continue;
			if (!closing && tag_is(name, rawtext)) {
				snprintf(endtag, sizeof(endtag), "</%s", name);
				for (; i < n; i++)
					if (n - i >= strlen(endtag) &&
					    strncasecmp(s + i, endtag,
					    strlen(endtag)) == 0)
						break;
				continue;
			}
			html_tag(&h, name, closing);
			continue;
		}
		if (s[i] == '&' && (used = html_entity(s + i + 1, n - i - 1,
		    &cp)) > 0) {
			html_char(&h, cp);
			i += used + 1;
			continue;
		}
		l = utf8_len((const unsigned char *)s + i, n - i);
		if (l <= 1) {
			html_char(&h, (unsigned char)s[i]);
			i++;
			continue;
		}
		html_char(&h, utf8_cp((const unsigned char *)s + i, l));
		i += l;
	}
}

/* ---- DSN ---- */

/* "rfc822; User@Example.FR" → "user@example.fr" (owned) or NULL. */
static char *
dsn_addr(const char *v)
{
	const char *semi = strchr(v, ';');

	if (semi != NULL)
		v = semi + 1;
	return addr_clean(v, strlen(v));
}

/* "dns; MX1.Example.FR" → "mx1.example.fr" (owned) or NULL. */
static char *
dsn_host(const char *v)
{
	const char *semi = strchr(v, ';');
	size_t n, i;
	char *h;

	if (semi != NULL)
		v = semi + 1;
	v += strspn(v, " \t");
	n = strcspn(v, " \t;()\r\n");
	if (n == 0 || n > 253)
		return NULL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '.' && v[i] != '-')
			return NULL;
	h = xstrndup(v, n);
	fs_ascii_lower(h);
	return h;
}

static char *
dsn_status(const char *v)
{
	size_t n = strspn(v, "0123456789.");

	if (n < 5 || n > 15 || (v[0] != '2' && v[0] != '4' && v[0] != '5') ||
	    v[1] != '.')
		return NULL;
	return xstrndup(v, n);
}

/* Parse a message/delivery-status body: the per-recipient block to keep
 * is the first that failed, else the first. */
static void
dsn_fields(struct mime_dsn *d, const char *s, size_t n)
{
	struct hblock h;
	size_t off = 0, used, guard = 0;
	const char *why = NULL, *v;
	int first = 1, failed;

	while (off < n && guard++ < MIME_PARTS_MAX) {
		h.f = NULL;
		h.n = 0;
		(void)hblock_scan(s + off, n - off, &h, &used, 0, &why);
		if (used == 0)
			used = 1;
		off += used;
		if (first) {	/* per-message block */
			first = 0;
			if ((v = hget(&h, "Reporting-MTA")) != NULL &&
			    d->reporting_mta == NULL)
				d->reporting_mta = dsn_host(v);
			hblock_free(&h);
			continue;
		}
		if (h.n == 0 || hget(&h, "Final-Recipient") == NULL) {
			hblock_free(&h);
			continue;
		}
		v = hget(&h, "Action");
		failed = v != NULL && strncasecmp(v, "failed", 6) == 0;
		if (d->final_recipient == NULL || (failed && (d->action == NULL ||
		    strcmp(d->action, "failed") != 0))) {
			free(d->final_recipient);
			free(d->original_recipient);
			free(d->action);
			free(d->status);
			d->final_recipient = dsn_addr(hget(&h, "Final-Recipient"));
			d->original_recipient = (v = hget(&h,
			    "Original-Recipient")) != NULL ? dsn_addr(v) : NULL;
			d->action = (v = hget(&h, "Action")) != NULL ?
			    raw_value(v) : NULL;
			if (d->action != NULL) {
				d->action[strcspn(d->action, " \t(;")] = '\0';
				utf8_cut(d->action, ACTION_MAX);
				fs_ascii_lower(d->action);
			}
			d->status = (v = hget(&h, "Status")) != NULL ?
			    dsn_status(v) : NULL;
		}
		hblock_free(&h);
	}
	d->permanent = (d->action != NULL && strcmp(d->action, "failed") == 0) ||
	    (d->status != NULL && d->status[0] == '5');
}

/* The Message-ID of a header block at s[0..n) (lenient), owned or NULL. */
static char *
headers_message_id(const char *s, size_t n)
{
	struct hblock h = { NULL, 0 };
	size_t used;
	const char *why = NULL, *v;
	char *id = NULL;

	(void)hblock_scan(s, n, &h, &used, 0, &why);
	if ((v = hget(&h, "Message-ID")) != NULL)
		id = first_id(v);
	hblock_free(&h);
	return id;
}

/* A "Message-ID:" line anywhere in a text (quoted headers of a bounce);
 * the id may be folded on the next line. */
static char *
text_message_id(const char *t)
{
	const char *p = t, *line, *nl;
	char *id = NULL, *cand;
	size_t n;

	while (*p != '\0' && id == NULL) {
		line = p;
		nl = strchr(p, '\n');
		p = nl != NULL ? nl + 1 : p + strlen(p);
		while (*line == ' ' || *line == '\t' || *line == '>')
			line++;
		if (strncasecmp(line, "Message-ID:", 11) != 0)
			continue;
		n = (nl != NULL ? (size_t)(nl - line) : strlen(line)) - 11;
		if (memchr(line + 11, '<', n) == NULL && *p != '\0') {
			nl = strchr(p, '\n');
			n = nl != NULL ? (size_t)(nl - line) : strlen(line);
			n -= 11;
		}
		cand = xstrndup(line + 11, n);
		id = first_id(cand);
		free(cand);
	}
	return id;
}

/* ---- the walk ---- */

static int
is_type(const char *t, const char *want)
{
	return strcmp(t, want) == 0;
}

static void
text_append(struct walk *w, const char *s, size_t n, int html)
{
	struct buf u;

	if (w->text.len > 0 && w->text.p[w->text.len - 1] != '\n')
		(void)buf_append(&w->text, "\n", 1);
	if (html) {
		buf_init(&u, MIME_TEXT_MAX);
		(void)buf_append(&u, s, n);
		html_to_text(&w->text, u.p != NULL ? u.p : "", u.len);
		buf_free(&u);
	} else
		(void)buf_append(&w->text, s, n);
}

static void
add_attachment(struct walk *w, const struct mailmime *mm, const char *type,
    uint8_t *data, size_t len)
{
	struct parsed_mail *m = w->m;
	struct mime_attachment *a;

	m->att = xreallocarray(m->att, m->n_att + 1, sizeof(*m->att));
	a = &m->att[m->n_att++];
	memset(a, 0, sizeof(*a));
	a->name = part_filename(mm);
	a->type = xstrdup(type);
	a->data = data;
	a->len = len;
	a->is_age = len >= strlen(AGE_MAGIC) &&
	    memcmp(data, AGE_MAGIC, strlen(AGE_MAGIC)) == 0;
	a->is_tnef = strcmp(type, "application/ms-tnef") == 0 ||
	    strcasecmp(a->name, "winmail.dat") == 0;
	a->is_rfc822 = strcmp(type, "message/rfc822") == 0;
	if (a->is_rfc822)
		a->rfc822_message_id = headers_message_id((const char *)data,
		    len);
}

/* A text part converted to UTF-8, owned. */
static char *
part_text(const struct mailmime *mm, size_t *len_r)
{
	struct buf b;
	uint8_t *raw;
	size_t n;

	raw = part_bytes(mm, &n);
	buf_init(&b, MIME_TEXT_MAX);
	charset_append(&b, content_param(mm->mm_content_type, "charset"),
	    (const char *)raw, n);
	free(raw);
	*len_r = b.len;
	if (b.p == NULL)
		return xcalloc(1, 1);
	return b.p;	/* owned; buf_free not needed beyond free() */
}

static int
is_attachment_disposition(const struct mailmime *mm)
{
	const struct mailmime_disposition *d = disposition(mm);
	struct params dp = { .n = 0 };

	if (d == NULL)
		return 0;
	if (d->dsp_type != NULL &&
	    d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
		return 1;
	disposition_params(d, &dp);
	return params_get(&dp, "filename") != NULL ||
	    params_get(&dp, "filename*") != NULL ||
	    params_get(&dp, "filename*0*") != NULL ||
	    params_get(&dp, "filename*0") != NULL;
}

static void walk(struct walk *, struct mailmime *, int);

static void
walk_single(struct walk *w, struct mailmime *mm)
{
	char *type = media_type(mm->mm_content_type), *t;
	uint8_t *data;
	size_t len;
	int att = is_attachment_disposition(mm);

	if (is_type(type, "message/delivery-status") ||
	    is_type(type, "message/global-delivery-status")) {
		data = part_bytes(mm, &len);
		if (w->m->dsn.kind == MIME_DSN_REPORT)
			dsn_fields(&w->m->dsn, (const char *)data, len);
		free(data);
	} else if (!att && is_type(type, "text/plain")) {
		t = part_text(mm, &len);
		text_append(w, t, len, 0);
		w->have_plain = 1;
		free(t);
	} else if (!att && is_type(type, "text/html") && w->text.len == 0) {
		t = part_text(mm, &len);
		text_append(w, t, len, 1);
		w->have_html = 1;
		free(t);
	} else {
		data = part_bytes(mm, &len);
		/* message/rfc822-headers: the non-standard name some
		 * gateways give the quoted headers (RFC 6522 says text/). */
		if ((is_type(type, "text/rfc822-headers") ||
		    is_type(type, "message/rfc822-headers") ||
		    is_type(type, "message/global-headers")) &&
		    w->m->dsn.original_message_id == NULL)
			w->m->dsn.original_message_id = headers_message_id(
			    (const char *)data, len);
		add_attachment(w, mm, type, data, len);
	}
	free(type);
}

/* The child of a multipart/alternative to show: text/plain, else
 * text/html, else the first multipart. */
static struct mailmime *
pick_alternative(struct mailmime *mm)
{
	struct mailmime *c, *html = NULL, *multi = NULL;
	clistiter *it;
	char *t;

	for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it != NULL;
	    it = clist_next(it)) {
		c = clist_content(it);
		if (c->mm_type == MAILMIME_MULTIPLE) {
			if (multi == NULL)
				multi = c;
			continue;
		}
		if (c->mm_type != MAILMIME_SINGLE)
			continue;
		t = media_type(c->mm_content_type);
		if (is_type(t, "text/plain")) {
			free(t);
			return c;
		}
		if (is_type(t, "text/html") && html == NULL)
			html = c;
		free(t);
	}
	return html != NULL ? html : multi;
}

static void
walk_multi(struct walk *w, struct mailmime *mm, int depth)
{
	char *type = media_type(mm->mm_content_type);
	const char *rt;
	struct mailmime *c;
	clistiter *it;

	if (is_type(type, "multipart/alternative")) {
		if ((c = pick_alternative(mm)) != NULL)
			walk(w, c, depth + 1);
		free(type);
		return;
	}
	if (is_type(type, "multipart/report") && depth <= 1 &&
	    (rt = content_param(mm->mm_content_type, "report-type")) != NULL) {
		if (strcasecmp(rt, "delivery-status") == 0 ||
		    strcasecmp(rt, "global-delivery-status") == 0)
			w->m->dsn.kind = MIME_DSN_REPORT;
		else if (strcasecmp(rt, "disposition-notification") == 0)
			w->m->report_mdn = 1;
	}
	free(type);
	for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it != NULL;
	    it = clist_next(it))
		walk(w, clist_content(it), depth + 1);
}

static void
walk(struct walk *w, struct mailmime *mm, int depth)
{
	char *type;
	uint8_t *data;
	size_t len;

	switch (mm->mm_type) {
	case MAILMIME_SINGLE:
		walk_single(w, mm);
		break;
	case MAILMIME_MULTIPLE:
		walk_multi(w, mm, depth);
		break;
	case MAILMIME_MESSAGE:
		if (depth == 0) {
			if (mm->mm_data.mm_message.mm_msg_mime != NULL)
				walk(w, mm->mm_data.mm_message.mm_msg_mime, 1);
			break;
		}
		type = media_type(mm->mm_content_type);
		data = part_bytes(mm, &len);
		add_attachment(w, mm, type, data, len);
		if (w->m->dsn.original_message_id == NULL &&
		    w->m->att[w->m->n_att - 1].rfc822_message_id != NULL &&
		    w->m->dsn.kind == MIME_DSN_REPORT)
			w->m->dsn.original_message_id = xstrdup(
			    w->m->att[w->m->n_att - 1].rfc822_message_id);
		free(type);
		break;
	default:
		break;
	}
}

/* Does the raw multipart body contain "--boundary" at a line start? */
static int
boundary_present(const struct mailmime *mm)
{
	const char *b = content_param(mm->mm_content_type, "boundary");
	const struct mailmime_data *d = mm->mm_body;
	const char *p, *end, *hit;
	size_t bl;

	if (b == NULL || (bl = strlen(b)) == 0 || bl > 200 || d == NULL ||
	    d->dt_type != MAILMIME_DATA_TEXT || d->dt_data.dt_text.dt_data == NULL)
		return 0;
	p = d->dt_data.dt_text.dt_data;
	end = p + d->dt_data.dt_text.dt_length;
	while (p < end && (hit = memmem(p, (size_t)(end - p), b, bl)) != NULL) {
		if (hit - 2 >= d->dt_data.dt_text.dt_data && hit[-1] == '-' &&
		    hit[-2] == '-' && (hit - 2 == d->dt_data.dt_text.dt_data ||
		    hit[-3] == '\n'))
			return 1;
		p = hit + 1;
	}
	return 0;
}

/* Depth, part count and boundaries; 0 ok, -1 with *why. */
static int
check_tree(const struct mailmime *mm, int depth, int *count, const char **why,
    int quoted)
{
	clistiter *it;

	if (depth > MIME_DEPTH_MAX) {
		*why = "imbrication MIME trop profonde";
		return -1;
	}
	if (++*count > MIME_PARTS_MAX) {
		*why = "trop de parties MIME";
		return -1;
	}
	if (mm->mm_type == MAILMIME_MULTIPLE) {
		if (mm->mm_data.mm_multipart.mm_mp_list == NULL ||
		    clist_begin(mm->mm_data.mm_multipart.mm_mp_list) == NULL ||
		    !boundary_present(mm)) {
			/* A quoted original (message/rfc822 inside the
			 * mail) is often cut by the reporting server: its
			 * own broken structure does not spoil the mail. */
			if (quoted)
				return 0;
			*why = "frontière MIME absente";
			return -1;
		}
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
		    it != NULL; it = clist_next(it))
			if (check_tree(clist_content(it), depth + 1, count,
			    why, quoted) == -1)
				return -1;
	} else if (mm->mm_type == MAILMIME_MESSAGE &&
	    mm->mm_data.mm_message.mm_msg_mime != NULL)
		return check_tree(mm->mm_data.mm_message.mm_msg_mime, depth + 1,
		    count, why, depth > 0);
	return 0;
}

/* ---- non-standard bounces ---- */

static int
has_any(const char *hay, const char *const *needles)
{
	for (; *needles != NULL; needles++)
		if (strcasestr(hay, *needles) != NULL)
			return 1;
	return 0;
}

static int
daemon_sender(const struct parsed_mail *m)
{
	static const char *const locals[] = { "mailer-daemon@", "postmaster@",
	    "mail-daemon@", "mailerdaemon@", "mailer_daemon@", NULL };
	size_t i;

	if ((m->return_path != NULL && m->return_path[0] == '\0') ||
	    m->from[0] == '\0')
		return 1;
	for (i = 0; locals[i] != NULL; i++)
		if (strncmp(m->from, locals[i], strlen(locals[i])) == 0)
			return 1;
	return 0;
}

/* A status code "5.1.1" in a text, owned or NULL. */
static char *
text_status(const char *t)
{
	const char *p;

	for (p = t; *p != '\0'; p++)
		if ((p[0] == '4' || p[0] == '5') && p[1] == '.' &&
		    isdigit((unsigned char)p[2]) && (p == t ||
		    strchr(" #(\t\n[", p[-1]) != NULL))
			return dsn_status(p);
	return NULL;
}

/* qmail: the recipient line "<user@example.fr>:". */
static char *
qmail_recipient(const char *t)
{
	const char *p = t, *gt;

	while ((p = strstr(p, "\n<")) != NULL) {
		p++;
		if ((gt = strchr(p, '>')) != NULL && gt[1] == ':')
			return addr_clean(p + 1, (size_t)(gt - p - 1));
	}
	return NULL;
}

static void
text_bounce(struct parsed_mail *m, const struct hblock *h)
{
	static const char *const subj[] = { "undeliverable", "non remis",
	    "delivery status notification", "undelivered mail",
	    "failure notice", "mail delivery failed", "returned mail",
	    "delivery failure", "non distribuable", "échec de la remise",
	    "delivery has failed", NULL };
	static const char *const body[] = { "delivery has failed",
	    "wasn't delivered", "could not be delivered",
	    "address not found", "n'a pas pu être remis", "la remise",
	    "message not delivered", "permanent error", NULL };
	static const char *const transient[] = { "delay", "retard",
	    "temporar", "will retry", "still trying", "nouvel essai", NULL };
	struct mime_dsn *d = &m->dsn;
	const char *v;
	size_t i;
	struct mime_list l = { NULL, 0 };

	if (d->kind != MIME_DSN_NONE) {
		if (d->kind == MIME_DSN_REPORT && d->original_message_id == NULL)
			d->original_message_id = text_message_id(m->text);
		return;
	}
	if (!daemon_sender(m))
		return;
	if (strstr(m->text, "This is the qmail-send program") != NULL)
		d->kind = MIME_DSN_QMAIL;
	else if (has_any(m->subject, subj) || has_any(m->text, body))
		d->kind = MIME_DSN_TEXT;
	else {
		/* Structure first: a mail from the mail system (null
		 * Return-Path, MAILER-DAEMON) quoting an original
		 * Message-ID is a bounce even in wording we do not know;
		 * without a status code it is only recorded (transient). */
		for (i = 0; i < m->n_att && d->original_message_id == NULL;
		    i++)
			if (m->att[i].rfc822_message_id != NULL)
				d->original_message_id = xstrdup(
				    m->att[i].rfc822_message_id);
		if (d->original_message_id == NULL)
			d->original_message_id = text_message_id(m->text);
		if (d->original_message_id == NULL)
			return;
		d->kind = MIME_DSN_TEXT;
		d->status = text_status(m->text);
		d->permanent = d->status != NULL && d->status[0] == '5';
		d->action = xstrdup(d->permanent ? "failed" : "delayed");
		return;
	}
	for (i = 0; i < m->n_att && d->original_message_id == NULL; i++)
		if (m->att[i].rfc822_message_id != NULL)
			d->original_message_id = xstrdup(
			    m->att[i].rfc822_message_id);
	if (d->original_message_id == NULL)
		d->original_message_id = text_message_id(m->text);
	if ((v = hget(h, "X-Failed-Recipients")) != NULL) {
		addr_parse(&l, v, NULL);
		if (l.n > 0) {
			d->final_recipient = l.v[0];
			l.v[0] = NULL;
		}
		list_free(&l);
	}
	if (d->final_recipient == NULL && d->kind == MIME_DSN_QMAIL)
		d->final_recipient = qmail_recipient(m->text);
	d->status = text_status(m->text);
	if (d->status != NULL)
		d->permanent = d->status[0] == '5';
	else
		d->permanent = !has_any(m->subject, transient) &&
		    !has_any(m->text, transient);
	d->action = xstrdup(d->permanent ? "failed" : "delayed");
}

/* ---- entry points ---- */

/* Bound libetpan's work before calling it: count Content-Type lines. */
static int
count_content_types(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len, *nl;
	int n = 0;

	while (p < end) {
		if ((size_t)(end - p) > 13 && strncasecmp(p, "content-type:", 13) == 0)
			n++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

int
mime_parse(const char *raw, size_t len, struct parsed_mail *m, char *err,
    size_t errlen)
{
	struct hblock h = { NULL, 0 };
	struct mailmime *mm = NULL;
	struct walk w;
	char *copy = NULL;
	size_t body, idx = 0;
	const char *why = NULL;
	int count = 0;

	memset(m, 0, sizeof(*m));
	if (len > MIME_MSG_MAX) {
		seterr(err, errlen, "message trop volumineux");
		return -1;
	}
	if (hblock_scan(raw, len, &h, &body, 1, &why) == -1 || h.n == 0) {
		seterr(err, errlen, why != NULL ? why : "aucun en-tête");
		hblock_free(&h);
		return -1;
	}
	headers_fill(m, &h);
	/* "From: <>", "From: MAILER-DAEMON": bounces from whole MTA
	 * families.  A From field that names no address gives "" (it can
	 * then only be quarantined or, as a bounce, checked through its
	 * Reporting-MTA); no From field at all is malformed. */
	if (m->from == NULL && hget(&h, "From") != NULL)
		m->from = xstrdup("");
	if (m->from == NULL) {
		why = "expéditeur (From) absent ou illisible";
		goto fail;
	}
	if (count_content_types(raw, len) > MIME_PARTS_MAX) {
		why = "trop de parties MIME";
		goto fail;
	}
	/* libetpan is known to read a few bytes past the end of its input:
	 * give it a copy followed by NUL padding. */
	copy = xcalloc(1, len + LIBETPAN_PAD);
	memcpy(copy, raw, len);
	if (libs_etpan()->mime_parse(copy, len, &idx, &mm) != MAILIMF_NO_ERROR ||
	    mm == NULL) {
		why = "structure MIME illisible";
		goto fail;
	}
	if (check_tree(mm, 0, &count, &why, 0) == -1)
		goto fail;
	memset(&w, 0, sizeof(w));
	w.m = m;
	buf_init(&w.text, MIME_TEXT_MAX);
	walk(&w, mm, 0);
	m->text_from_html = w.have_html && !w.have_plain;
	m->text = clean_owned(&w.text, 1);
	m->text_len = strlen(m->text);
	text_bounce(m, &h);
	libs_etpan()->mime_free(mm);
	free(copy);
	hblock_free(&h);
	return 0;
fail:
	if (mm != NULL)
		libs_etpan()->mime_free(mm);
	free(copy);
	hblock_free(&h);
	mime_free(m);
	seterr(err, errlen, why);
	return -1;
}

void
mime_free(struct parsed_mail *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	list_free(&m->references);
	free(m->from);
	free(m->from_name);
	list_free(&m->to);
	list_free(&m->cc);
	list_free(&m->delivered_to);
	list_free(&m->reply_to);
	free(m->subject);
	free(m->date);
	free(m->return_path);
	free(m->auto_submitted);
	free(m->x_autoreply);
	free(m->x_autorespond);
	free(m->precedence);
	free(m->x_mailer);
	list_free(&m->x_loop);
	list_free(&m->auth_results);
	free(m->text);
	for (i = 0; i < m->n_att; i++) {
		free(m->att[i].name);
		free(m->att[i].type);
		if (m->att[i].data != NULL)
			fs_wipe(m->att[i].data, m->att[i].len);
		free(m->att[i].data);
		free(m->att[i].rfc822_message_id);
	}
	free(m->att);
	free(m->dsn.original_recipient);
	free(m->dsn.final_recipient);
	free(m->dsn.action);
	free(m->dsn.status);
	free(m->dsn.original_message_id);
	free(m->dsn.reporting_mta);
	memset(m, 0, sizeof(*m));
}

/* ---- serialisation (child → daemon) ---- */

#define SER_MAGIC	"FSM1"
#define SER_NULL	0xffffffffu

/* String kinds for the checks on the way back. */
enum { S_LINE, S_TEXT };

static int
put_u32(struct buf *out, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return buf_append(out, b, 4);
}

static int
put_bytes(struct buf *out, const void *p, size_t n)
{
	if (n >= SER_NULL || put_u32(out, (uint32_t)n) == -1)
		return -1;
	return buf_append(out, p, n);
}

static int
put_str(struct buf *out, const char *s)
{
	if (s == NULL)
		return put_u32(out, SER_NULL);
	return put_bytes(out, s, strlen(s));
}

static int
put_list(struct buf *out, const struct mime_list *l)
{
	size_t i;

	if (put_u32(out, (uint32_t)l->n) == -1)
		return -1;
	for (i = 0; i < l->n; i++)
		if (put_str(out, l->v[i]) == -1)
			return -1;
	return 0;
}

int
mime_serialize(const struct parsed_mail *m, struct buf *out)
{
	const struct mime_list *lists[] = { &m->references, &m->to, &m->cc,
	    &m->delivered_to, &m->reply_to, &m->x_loop, &m->auth_results };
	const char *strs[] = { m->message_id, m->in_reply_to, m->from,
	    m->from_name, m->subject, m->date, m->return_path,
	    m->auto_submitted, m->x_autoreply, m->x_autorespond,
	    m->precedence, m->x_mailer, m->text };
	const struct mime_dsn *d = &m->dsn;
	const struct mime_attachment *a;
	size_t i;

	if (buf_append(out, SER_MAGIC, 4) == -1)
		return -1;
	for (i = 0; i < FS_ARRAY_LEN(strs); i++)
		if (put_str(out, strs[i]) == -1)
			return -1;
	for (i = 0; i < FS_ARRAY_LEN(lists); i++)
		if (put_list(out, lists[i]) == -1)
			return -1;
	if (put_u32(out, (uint32_t)m->text_from_html) == -1 ||
	    put_u32(out, (uint32_t)m->report_mdn) == -1 ||
	    put_u32(out, (uint32_t)d->kind) == -1 ||
	    put_str(out, d->original_recipient) == -1 ||
	    put_str(out, d->final_recipient) == -1 ||
	    put_str(out, d->action) == -1 || put_str(out, d->status) == -1 ||
	    put_str(out, d->original_message_id) == -1 ||
	    put_str(out, d->reporting_mta) == -1 ||
	    put_u32(out, (uint32_t)d->permanent) == -1 ||
	    put_u32(out, (uint32_t)m->n_att) == -1)
		return -1;
	for (i = 0; i < m->n_att; i++) {
		a = &m->att[i];
		if (put_str(out, a->name) == -1 || put_str(out, a->type) == -1 ||
		    put_bytes(out, a->data, a->len) == -1 ||
		    put_u32(out, (uint32_t)a->is_rfc822) == -1 ||
		    put_u32(out, (uint32_t)a->is_tnef) == -1 ||
		    put_str(out, a->rfc822_message_id) == -1)
			return -1;
	}
	return 0;
}

struct rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 bad;
	size_t		 total;	/* attachment bytes so far */
};

static uint32_t
get_u32(struct rd *r)
{
	uint32_t v;

	if (r->bad || r->len - r->off < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | (uint32_t)r->p[r->off + 3];
	r->off += 4;
	return v;
}

static uint32_t
get_flag(struct rd *r)
{
	uint32_t v = get_u32(r);

	if (v > 1)
		r->bad = 1;
	return v;
}

/* A string: NULL allowed only when nullable; valid UTF-8, no NUL, no
 * control characters but (S_TEXT) LF and TAB. */
static char *
get_str(struct rd *r, int kind, size_t max, int nullable)
{
	uint32_t n = get_u32(r);
	const char *s;
	size_t i;

	if (r->bad)
		return NULL;
	if (n == SER_NULL) {
		if (!nullable)
			r->bad = 1;
		return NULL;
	}
	if (n > max || r->len - r->off < n) {
		r->bad = 1;
		return NULL;
	}
	s = (const char *)r->p + r->off;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(kind == S_TEXT && (c == '\n' ||
		    c == '\t'))) || c == 0x7f) {
			r->bad = 1;
			return NULL;
		}
	}
	if (!utf8_valid(s, n)) {
		r->bad = 1;
		return NULL;
	}
	r->off += n;
	return xstrndup(s, n);
}

static void
get_list(struct rd *r, struct mime_list *l, size_t maxn)
{
	uint32_t n = get_u32(r), i;
	char *s;

	if (n > maxn) {
		r->bad = 1;
		return;
	}
	for (i = 0; i < n && !r->bad; i++)
		if ((s = get_str(r, S_LINE, MIME_HEADER_MAX * 3, 0)) != NULL)
			list_add(l, s, maxn);
}

static void
get_att(struct rd *r, struct mime_attachment *a)
{
	uint32_t n;

	a->name = get_str(r, S_LINE, MIME_NAME_MAX, 0);
	a->type = get_str(r, S_LINE, 200, 0);
	n = get_u32(r);
	if (r->bad || n == SER_NULL || n > MIME_MSG_MAX - r->total ||
	    r->len - r->off < n) {
		r->bad = 1;
		return;
	}
	a->data = xmalloc((size_t)n + 1);
	memcpy(a->data, r->p + r->off, n);
	a->data[n] = 0;
	a->len = n;
	r->off += n;
	r->total += n;
	a->is_age = a->len >= strlen(AGE_MAGIC) &&
	    memcmp(a->data, AGE_MAGIC, strlen(AGE_MAGIC)) == 0;
	a->is_rfc822 = (int)get_flag(r);
	a->is_tnef = (int)get_flag(r);
	a->rfc822_message_id = get_str(r, S_LINE, MSGID_MAX, 1);
	if (a->name != NULL && (strchr(a->name, '/') != NULL ||
	    strchr(a->name, '\\') != NULL))
		r->bad = 1;
}

int
mime_deserialize(const uint8_t *p, size_t len, struct parsed_mail *m)
{
	struct mime_list *lists[] = { &m->references, &m->to, &m->cc,
	    &m->delivered_to, &m->reply_to, &m->x_loop, &m->auth_results };
	char **strs[] = { &m->message_id, &m->in_reply_to, &m->from,
	    &m->from_name, &m->subject, &m->date, &m->return_path,
	    &m->auto_submitted, &m->x_autoreply, &m->x_autorespond,
	    &m->precedence, &m->x_mailer, &m->text };
	struct rd r = { p, len, 4, 0, 0 };
	struct mime_dsn *d = &m->dsn;
	uint32_t n, i, k;

	memset(m, 0, sizeof(*m));
	if (len < 4 || memcmp(p, SER_MAGIC, 4) != 0)
		return -1;
	for (i = 0; i < FS_ARRAY_LEN(strs); i++) {
		int text = strs[i] == &m->text;

		*strs[i] = get_str(&r, text ? S_TEXT : S_LINE, text ?
		    MIME_TEXT_MAX : MIME_HEADER_MAX * 3, !(text ||
		    strs[i] == &m->from || strs[i] == &m->subject));
	}
	for (i = 0; i < FS_ARRAY_LEN(lists); i++)
		get_list(&r, lists[i], i == 0 ? MIME_REFS_MAX : MIME_ADDRS_MAX);
	m->text_from_html = (int)get_flag(&r);
	m->report_mdn = (int)get_flag(&r);
	k = get_u32(&r);
	if (k > MIME_DSN_TEXT)
		r.bad = 1;
	d->kind = (enum mime_dsn_kind)k;
	d->original_recipient = get_str(&r, S_LINE, 320, 1);
	d->final_recipient = get_str(&r, S_LINE, 320, 1);
	d->action = get_str(&r, S_LINE, ACTION_MAX, 1);
	d->status = get_str(&r, S_LINE, 16, 1);
	d->original_message_id = get_str(&r, S_LINE, MSGID_MAX, 1);
	d->reporting_mta = get_str(&r, S_LINE, 254, 1);
	d->permanent = (int)get_flag(&r);
	n = get_u32(&r);
	if (n > MIME_PARTS_MAX)
		r.bad = 1;
	if (!r.bad && n > 0) {
		m->att = xcalloc(n, sizeof(*m->att));
		for (i = 0; i < n && !r.bad; i++, m->n_att++)
			get_att(&r, &m->att[i]);
	}
	if (r.bad || r.off != len || m->from == NULL || m->subject == NULL ||
	    m->text == NULL) {
		mime_free(m);
		return -1;
	}
	m->text_len = strlen(m->text);
	return 0;
}

void
mime_preload(void)
{
	(void)libs_etpan();
}
