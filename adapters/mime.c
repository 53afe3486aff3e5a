/*
 * mime - parse one untrusted mail into struct parsed_mail (see mime.h).
 *
 * Trusts: nothing in the input.  The top-level header block is scanned
 * here (limits, NUL bytes, unfolding); libetpan parses the MIME structure
 * (mailmime_parse), address lists (mailimf_*_parse) and transfer
 * encodings (mailmime_part_parse).  The result is checked again (depth,
 * part count, boundaries present) and every string is converted to clean
 * UTF-8 before it leaves this file.  This is the only file that includes
 * libetpan headers.
 */
#include "adapters/mime.h"
#include "relay/util.h"

#include <libetpan/libetpan.h>

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AGE_MAGIC	"age-encryption.org/v1"
#define MSGID_MAX	998

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

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 s[0..n) (lenient: skips junk) into b. */
static void
b64_decode(struct buf *b, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			c = (char)((acc >> bits) & 0xff);
			(void)buf_append(b, &c, 1);
		}
	}
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
		else if (c == '=' && i + 2 < n + 0 + 1 && i + 2 <= n - 1 + 1 &&
		    i + 2 < n + 1 && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    i + 2 < n && (l = hexval((unsigned char)s[i + 2])) >= 0) {
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
		if (*q == ' ' || *q == '\t')
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
				b64_decode(&raw, txt, txtlen);
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

	if (mailimf_address_list_parse(value, strlen(value), &idx, &al) !=
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
	mailimf_address_list_free(al);
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
			const char *lt = strchr(v, '<'), *gt;

			if (lt != NULL && (gt = strchr(lt, '>')) != NULL &&
			    gt == lt + 1)
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

	s = xasprintf("%.60s/%.60s", type_name(ct), sub);
	fs_ascii_lower(s);
	return clean_ascii(s);
}
