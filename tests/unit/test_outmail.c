/*
 * test_outmail - relay/outmail and relay/header: the built message parses
 * back (headers, boundary, quoted-printable note, base64 attachment decoded
 * with libsodium to the same bytes), RFC 2047 subjects decode back and are
 * cut on character boundaries, CR/LF in any field is refused, and the
 * pre-send scan finds sealed values ignoring case and accents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unistr.h>

#include "relay/header.h"
#include "relay/opener.h"
#include "relay/outmail.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#define SUBJ_UTF8 "[FS-92032-2026-000123] CAF \xe2\x80\x93 " \
	"Prestations familiales"
#define NOTE "Bonjour,\n\nVous trouverez ci-joint un dossier chiffr\xc3\xa9 " \
	"(FS-92032-2026-000123.age).\nPour l'ouvrir : age -d -i cl\xc3\xa9." \
	"txt FS-92032-2026-000123.age > dossier.eml\n" \
	"From here on, a line that mbox would mangle.\n" \
	".a line starting with a dot\n" \
	"trailing space \n" \
	"Une tr\xc3\xa8s longue ligne qui d\xc3\xa9passe largement " \
	"soixante-seize caract\xc3\xa8res afin de v\xc3\xa9rifier les " \
	"retours \xc3\xa0 la ligne doux du quoted-printable = signe \xc3\xa9gal.\n" \
	"R\xc3\xa9pondez normalement \xc3\xa0 ce message.\n"

static uint8_t att[1000];

static void
sample(struct outmail *m)
{
	memset(m, 0, sizeof(*m));
	m->from = "relais@relay.fsrelay.test";
	m->to = "delphine.kaczmar@dgfip.finances.gouv.fr";
	m->reply_to = "relais+Zt3kP9q@relay.fsrelay.test";
	m->subject = SUBJ_UTF8;
	m->message_id = "fs.0a1b2c3d@relay.fsrelay.test";
	m->in_reply_to = NULL;
	m->date = 1795000000;	/* 2026-11-18 */
	m->body_text = NOTE;
	m->attachment_name = "FS-92032-2026-000123.age";
	m->attachment = att;
	m->attachment_len = sizeof(att);
	m->attachment_type = "application/octet-stream";
}

/* Value of header `name` (unfolded: CRLF SP -> SP) in a header block that
 * ends at the first empty line; caller frees; NULL if absent. */
static char *
header_get(const char *msg, const char *name)
{
	const char	*end = strstr(msg, "\r\n\r\n"), *p = msg, *v, *e;
	struct buf	 b;
	size_t		 nl = strlen(name);

	if (end == NULL)
		return NULL;
	while (p < end) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == ' ')
			break;
		if ((p = strstr(p, "\r\n")) == NULL)
			return NULL;
		p += 2;
	}
	if (p >= end)
		return NULL;
	buf_init(&b, 65536);
	for (v = p + nl + 2; ; v = e + 3) {
		e = strstr(v, "\r\n");
		buf_append(&b, v, (size_t)(e - v));
		if (e[2] != ' ' && e[2] != '\t')
			break;
		buf_puts(&b, " ");
	}
	return b.p;
}

/* Decode a header value made of encoded-words separated by spaces.
 * Returns a malloc'd string or NULL if a word is malformed.  Checks that
 * every word is at most RFC2047_WORD_MAX and decodes to valid UTF-8. */
static char *
rfc2047_decode(const char *v, int *words_ok)
{
	struct buf	 b;
	const char	*p = v, *q;
	unsigned char	 bin[256];
	size_t		 binlen, wl;

	buf_init(&b, 65536);
	*words_ok = 1;
	while (*p != '\0') {
		if (strncmp(p, "=?UTF-8?B?", 10) != 0 ||
		    (q = strstr(p + 10, "?=")) == NULL)
			goto bad;
		wl = (size_t)(q + 2 - p);
		if (wl > RFC2047_WORD_MAX)
			*words_ok = 0;
		if (sodium_base642bin(bin, sizeof(bin), p + 10,
		    (size_t)(q - p - 10), NULL, &binlen, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0)
			goto bad;
		if (u8_check(bin, binlen) != NULL)
			*words_ok = 0;
		buf_append(&b, bin, binlen);
		p = q + 2;
		if (*p == ' ')
			p++;
		else if (*p != '\0')
			goto bad;
	}
	if (b.p == NULL)
		buf_append(&b, "", 0);
	return b.p;
bad:
	buf_free(&b);
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Quoted-printable decode s[0..n) (CRLF line ends) into a malloc'd
 * string with LF line ends; *maxline gets the longest encoded line. */
static char *
qp_decode(const char *s, size_t n, size_t *maxline)
{
	struct buf	b;
	size_t		i, col = 0;
	char		c;

	buf_init(&b, 65536);
	*maxline = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_puts(&b, "\n");
			i++;
			col = 0;
			continue;
		}
		if (++col > *maxline)
			*maxline = col;
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n') {
			i += 2;
			col = 0;
			continue;
		}
		if (s[i] == '=' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			buf_append(&b, &c, 1);
			i += 2;
			col += 2;
			if (col > *maxline)
				*maxline = col;
			continue;
		}
		buf_append(&b, s + i, 1);
	}
	if (b.p == NULL)
		buf_append(&b, "", 0);
	return b.p;
}

/* Every line ends in CRLF, is at most maxlen bytes, and all is 7-bit. */
static int
lines_ok(const char *s, size_t n, size_t maxlen)
{
	size_t	i, col = 0;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] > 0x7e || s[i] == '\0')
			return 0;
		if (s[i] == '\n')
			return 0;	/* a CRLF is consumed below */
		if (s[i] == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				return 0;
			i++;
			col = 0;
			continue;
		}
		if (++col > maxlen)
			return 0;
	}
	return col == 0;
}

static size_t
count(const char *s, const char *needle)
{
	size_t	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
check_attachment(const char *msg, const char *delim_end, const uint8_t *want,
    size_t wantlen)
{
	const char	*a = strstr(msg, "filename=\"FS-92032-2026-000123.age\""
	    "\r\n\r\n"), *e;
	uint8_t		*bin = xmalloc(wantlen + 1);
	size_t		 binlen = 0;

	CHECK(a != NULL);
	if (a == NULL) {
		free(bin);
		return;
	}
	a += strlen("filename=\"FS-92032-2026-000123.age\"\r\n\r\n");
	e = strstr(a, delim_end);
	CHECK(e != NULL && e >= a);
	CHECK(lines_ok(a, (size_t)(e - a) + 2, 76));
	CHECK_INT(sodium_base642bin(bin, wantlen + 1, a, (size_t)(e - a),
	    "\r\n", &binlen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	CHECK_INT(binlen, wantlen);
	CHECK(binlen == wantlen && memcmp(bin, want, wantlen) == 0);
	free(bin);
}

/* The opener page as a second attachment, and the page's configuration. */
static void
test_extra_and_opener(void)
{
	static const char key[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	static const char rcpt[] = "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";
	struct opener_conf oc = { "Relais <b>&\"x\"", key, rcpt, "relais@relay.fsrelay.test",
	    "open", NULL };
	struct outmail m;
	struct buf b, page;
	char err[200];
	const char *tpl;
	size_t tlen;

	tpl = opener_template(&tlen);
	CHECK(tlen > 10000 && memmem(tpl, tlen, "@@FSRELAY_CONFIG@@", 18) != NULL);
	buf_init(&page, 4 << 20);
	CHECK_INT(opener_page(&page, &oc, err, sizeof(err)), 0);
	CHECK(page.p != NULL && strstr(page.p, "@@FSRELAY_CONFIG@@") == NULL);
	CHECK(page.p != NULL && strstr(page.p, "{\"relay_name\":\"Relais \\u003cb\\u003e"
	    "\\u0026\\u0022x\\u0022\",\"signing_key\":\"AAAA") != NULL);
	CHECK(page.p != NULL && strstr(page.p, "<b>") == NULL);
	oc.mode = "autre";
	CHECK_INT(opener_page(&page, &oc, err, sizeof(err)), -1);
	oc.mode = "enrol";
	oc.relay_recipient = "age1short";
	CHECK_INT(opener_page(&page, &oc, err, sizeof(err)), -1);
	oc.relay_recipient = rcpt;
	oc.relay_name = "a\nb";
	CHECK_INT(opener_page(&page, &oc, err, sizeof(err)), -1);

	sample(&m);
	m.extra_name = OPENER_NAME;
	m.extra = (const uint8_t *)page.p;
	m.extra_len = page.len;
	m.extra_type = OPENER_TYPE "; charset=utf-8";
	buf_init(&b, 8 << 20);
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), 0);
	CHECK(b.p != NULL && strstr(b.p, "Content-Type: text/html; charset=utf-8; "
	    "name=\"ouvrir-le-dossier.html\"\r\nContent-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"ouvrir-le-dossier.html\"") != NULL);
	CHECK(b.p != NULL && strstr(b.p, "filename=\"FS-92032-2026-000123.age\"") <
	    strstr(b.p, "filename=\"ouvrir-le-dossier.html\""));
	buf_free(&b);
	buf_init(&b, 8 << 20);
	m.extra_type = "text/html; charset=latin1";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	m.extra_type = NULL;
	m.extra_name = "../x.html";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	buf_free(&b);
	buf_free(&page);
}

static void
test_build_parse(void)
{
	struct outmail	 m;
	struct buf	 b;
	char		 err[200], delim[128], delim_end[128];
	char		*v, *dec, *note, *ct;
	const char	*p, *q;
	size_t		 maxline;
	int		 words_ok = 0;

	sample(&m);
	buf_init(&b, 1 << 20);
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), 0);
	CHECK(lines_ok(b.p, b.len, 78));

	v = header_get(b.p, "Date");
	CHECK_STR(v, "Wed, 18 Nov 2026 11:06:40 +0000");
	free(v);
	v = header_get(b.p, "From");
	CHECK_STR(v, "relais@relay.fsrelay.test");
	free(v);
	v = header_get(b.p, "To");
	CHECK_STR(v, "delphine.kaczmar@dgfip.finances.gouv.fr");
	free(v);
	v = header_get(b.p, "Reply-To");
	CHECK_STR(v, "relais+Zt3kP9q@relay.fsrelay.test");
	free(v);
	v = header_get(b.p, "Message-ID");
	CHECK_STR(v, "<fs.0a1b2c3d@relay.fsrelay.test>");
	free(v);
	v = header_get(b.p, "MIME-Version");
	CHECK_STR(v, "1.0");
	free(v);
	v = header_get(b.p, "X-Mailer");
	CHECK_STR(v, "fsrelay");
	free(v);
	CHECK(header_get(b.p, "Auto-Submitted") == NULL);
	CHECK(header_get(b.p, "In-Reply-To") == NULL);

	/* Subject: RFC 2047, decodes back, words on char boundaries */
	v = header_get(b.p, "Subject");
	CHECK(v != NULL && strncmp(v, "=?UTF-8?B?", 10) == 0);
	dec = v ? rfc2047_decode(v, &words_ok) : NULL;
	CHECK_STR(dec, SUBJ_UTF8);
	CHECK(words_ok);
	free(v);
	free(dec);

	/* boundary: quoted, starts with =_, two parts and a close */
	ct = header_get(b.p, "Content-Type");
	CHECK(ct != NULL && strncmp(ct, "multipart/mixed; boundary=\"=_", 29)
	    == 0);
	if (ct == NULL) {
		buf_free(&b);
		return;
	}
	q = strrchr(ct, '"');
	snprintf(delim, sizeof(delim), "\r\n--%.*s\r\n",
	    (int)(q - (ct + 27)), ct + 27);
	snprintf(delim_end, sizeof(delim_end), "\r\n--%.*s--\r\n",
	    (int)(q - (ct + 27)), ct + 27);
	free(ct);
	CHECK_INT(count(b.p, delim), 2);
	CHECK_INT(count(b.p, delim_end), 1);
	CHECK(b.len > strlen(delim_end) &&
	    strcmp(b.p + b.len - strlen(delim_end), delim_end) == 0);

	/* part 1: quoted-printable note decodes to the note */
	p = strstr(b.p, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	CHECK(p != NULL);
	if (p != NULL) {
		p += strlen("Content-Transfer-Encoding: quoted-printable\r\n"
		    "\r\n");
		q = strstr(p, delim);
		CHECK(q != NULL);
		if (q != NULL) {
			note = qp_decode(p, (size_t)(q - p), &maxline);
			CHECK_STR(note, NOTE);
			CHECK(maxline <= 76);
			free(note);
		}
	}
	CHECK(strstr(b.p, "\r\nFrom here") == NULL);	/* =46rom */
	CHECK(strstr(b.p, "trailing space=20\r\n") != NULL);
	CHECK(strstr(b.p, "Content-Type: text/plain; charset=utf-8\r\n") !=
	    NULL);

	/* part 2: the attachment */
	CHECK(strstr(b.p, "Content-Type: application/octet-stream; "
	    "name=\"FS-92032-2026-000123.age\"\r\n") != NULL);
	CHECK(strstr(b.p, "Content-Disposition: attachment; "
	    "filename=\"FS-92032-2026-000123.age\"\r\n") != NULL);
	check_attachment(b.p, delim_end, att, sizeof(att));
	buf_free(&b);
}

static void
test_attachment_sizes(void)
{
	static const size_t	sizes[] = { 0, 1, 2, 3, 56, 57, 58, 114, 115 };
	struct outmail		m;
	struct buf		b;
	char			err[200], delim_end[128], *ct, *q;
	size_t			i;

	for (i = 0; i < FS_ARRAY_LEN(sizes); i++) {
		sample(&m);
		m.attachment_len = sizes[i];
		buf_init(&b, 1 << 20);
		CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), 0);
		ct = header_get(b.p, "Content-Type");
		if (ct == NULL || (q = strrchr(ct, '"')) == NULL) {
			CHECK(0);
			free(ct);
			buf_free(&b);
			continue;
		}
		snprintf(delim_end, sizeof(delim_end), "\r\n--%.*s--\r\n",
		    (int)(q - (ct + 27)), ct + 27);
		if (sizes[i] == 0)	/* empty body: delimiter follows */
			CHECK(strstr(b.p, "\"\r\n\r\n\r\n--=_") != NULL);
		else
			check_attachment(b.p, delim_end, att, sizes[i]);
		free(ct);
		buf_free(&b);
	}
}

static void
test_ascii_and_reply(void)
{
	struct outmail	 m;
	struct buf	 b, b2;
	char		 err[200], *v, *ct1, *ct2;

	sample(&m);
	m.subject = "[FS-92032-2026-000123] CAF - Prestations familiales";
	m.in_reply_to = "fs.99@relay.fsrelay.test";
	buf_init(&b, 1 << 20);
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), 0);
	v = header_get(b.p, "Subject");
	CHECK_STR(v, "[FS-92032-2026-000123] CAF - Prestations familiales");
	free(v);
	v = header_get(b.p, "In-Reply-To");
	CHECK_STR(v, "<fs.99@relay.fsrelay.test>");
	free(v);
	v = header_get(b.p, "References");
	CHECK_STR(v, "<fs.99@relay.fsrelay.test>");
	free(v);
	/* two builds: different random boundaries */
	buf_init(&b2, 1 << 20);
	CHECK_INT(outmail_build(&b2, &m, err, sizeof(err)), 0);
	ct1 = header_get(b.p, "Content-Type");
	ct2 = header_get(b2.p, "Content-Type");
	CHECK(ct1 != NULL && ct2 != NULL && strcmp(ct1, ct2) != 0);
	free(ct1);
	free(ct2);
	buf_free(&b);
	buf_free(&b2);
}

static void
test_refused(void)
{
	static const char	*bads[] = {
		"x\r\nBcc: evil@evil.test", "x\nBcc: evil@evil.test",
		"x\rX", "x\x01y", "x\x7fy", "x\xc2\x85y", "bad\xff",
	};
	struct outmail		 m;
	struct buf		 b;
	char			 err[200], big[HEADER_VALUE_MAX + 2];
	const char		**fields[8];
	size_t			 f, i;

	sample(&m);
	fields[0] = &m.from;
	fields[1] = &m.to;
	fields[2] = &m.reply_to;
	fields[3] = &m.subject;
	fields[4] = &m.message_id;
	fields[5] = &m.in_reply_to;
	fields[6] = &m.attachment_name;
	fields[7] = &m.attachment_type;
	for (f = 0; f < FS_ARRAY_LEN(fields); f++) {
		for (i = 0; i < FS_ARRAY_LEN(bads); i++) {
			sample(&m);
			*fields[f] = bads[i];
			buf_init(&b, 1 << 20);
			buf_puts(&b, "keep");
			err[0] = '\0';
			CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
			CHECK_STR(b.p, "keep");
			CHECK(err[0] != '\0' && strcmp(err, "OK") != 0);
			buf_free(&b);
		}
	}
	/* display names, specials, empty and unsafe names */
	sample(&m);
	m.to = "Delphine Kaczmar <delphine.kaczmar@dgfip.finances.gouv.fr>";
	buf_init(&b, 1 << 20);
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "To") != NULL);
	sample(&m);
	m.attachment_name = "Dupont Jean.age";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	m.attachment_name = "../x.age";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	m.attachment_name = "a\"b.age";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	sample(&m);
	m.subject = "";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m.subject = big;
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	sample(&m);
	m.body_text = "bad \xff utf-8";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	sample(&m);
	m.message_id = "<x@y>";
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	CHECK_INT(b.len, 0);
	/* maximum reached: out unchanged */
	sample(&m);
	buf_free(&b);
	buf_init(&b, 500);
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), -1);
	CHECK_INT(b.len, 0);
	buf_free(&b);
	CHECK_INT(outmail_build(&b, NULL, err, sizeof(err)), -1);
}

static void
test_header(void)
{
	struct buf	 b;
	char		 big[HEADER_VALUE_MAX + 1], *dec;
	int		 words_ok;
	const char	*s;

	CHECK(header_value_ok("abc\tdef"));
	CHECK(header_value_ok("\xc3\xa9t\xc3\xa9 \xe2\x80\x93 \xf0\x9f\x93\x84"));
	CHECK(!header_value_ok(NULL));
	CHECK(!header_value_ok("a\rb"));
	CHECK(!header_value_ok("a\nb"));
	CHECK(!header_value_ok("a\x1b[0m"));
	CHECK(!header_value_ok("a\x7f"));
	CHECK(!header_value_ok("a\xc2\x85"));		/* NEL (C1) */
	CHECK(!header_value_ok("a\xe2\x80\xa8"));	/* U+2028 */
	CHECK(!header_value_ok("a\xc3"));		/* truncated */
	CHECK(!header_value_ok("\xc0\xaf"));		/* overlong */
	CHECK(!header_value_ok("\xed\xa0\x80"));	/* surrogate */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(header_value_ok(big));
	buf_init(&b, 8192);
	CHECK_INT(rfc2047_encode(&b, big), 0);
	CHECK_INT(b.len, HEADER_VALUE_MAX);
	buf_free(&b);

	CHECK(header_addr_ok("relais+tok@relay.fsrelay.test"));
	CHECK(!header_addr_ok("a b@c"));
	CHECK(!header_addr_ok("a@b@c"));
	CHECK(!header_addr_ok("a@b,c@d"));
	CHECK(!header_addr_ok("\"a\"@b"));
	CHECK(!header_addr_ok("a@b\r\n"));
	CHECK(header_msgid_ok("fs.1@relay.fsrelay.test"));
	CHECK(!header_msgid_ok("fs.1"));
	CHECK(!header_msgid_ok("<fs.1@x>"));

	/* "=?" in ASCII text is encoded so that it is not read as a word */
	buf_init(&b, 8192);
	CHECK_INT(rfc2047_encode(&b, "a =?UTF-8?B?QQ==?= b"), 0);
	dec = rfc2047_decode(b.p, &words_ok);
	CHECK_STR(dec, "a =?UTF-8?B?QQ==?= b");
	free(dec);
	buf_free(&b);

	/* long text with 2-, 3- and 4-byte characters: every word decodes
	 * to valid UTF-8 on its own, and <= RFC2047_WORD_MAX */
	s = "\xc3\xa9\xc3\xa8\xe2\x80\x93\xf0\x9f\x93\x84xyz\xc3\xa9\xc3\xa9"
	    "\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x93\x84\xf0\x9f\x93\x84" "abc"
	    "\xc3\xa7\xc3\xa7\xc3\xa7\xe2\x80\x93\xe2\x80\x93\xe2\x80\x93"
	    "\xf0\x9f\x93\x84 fin du texte tr\xc3\xa8s long \xc3\xa0 couper "
	    "en plusieurs mots encod\xc3\xa9" "s";
	buf_init(&b, 8192);
	CHECK_INT(rfc2047_encode(&b, s), 0);
	CHECK(count(b.p, "\r\n ") >= 2);
	{
		struct buf	h;

		buf_init(&h, 8192);
		buf_puts(&h, "Subject: ");
		buf_append(&h, b.p, b.len);
		buf_puts(&h, "\r\n");
		CHECK(lines_ok(h.p, h.len, 76));
		buf_free(&h);
	}
	{
		struct buf	u;
		const char	*p;

		buf_init(&u, 8192);
		for (p = b.p; *p != '\0'; p++) {
			if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
				buf_puts(&u, " ");
				p += 2;
			} else
				buf_append(&u, p, 1);
		}
		dec = rfc2047_decode(u.p, &words_ok);
		CHECK_STR(dec, s);
		CHECK(words_ok);
		free(dec);
		buf_free(&u);
	}
	buf_free(&b);

	/* refused input leaves out unchanged */
	buf_init(&b, 8192);
	buf_puts(&b, "X");
	CHECK_INT(rfc2047_encode(&b, "\xc3\xa9\r\nBcc: x"), -1);
	CHECK_STR(b.p, "X");
	buf_free(&b);
	/* maximum reached while encoding: out unchanged */
	buf_init(&b, 40);
	buf_puts(&b, "X");
	CHECK_INT(rfc2047_encode(&b, s), -1);
	CHECK_STR(b.p, "X");
	buf_free(&b);
}

static void
test_scan(void)
{
	const char	*needles[] = { "Jean", "Dupont", "12/03/1985",
	    "NA", NULL, "H\xc3\xa9l\xc3\xa8ne" };
	const char	*dirty = "Bonjour, le dossier de M. DUPONT est joint.";
	const char	*clean = "Bonjour, le dossier est joint.";
	const char	*accent = "Mme HELENE X";
	const char	*accent2 = "Mme h\xc3\xa9l\xc3\xa8ne X";
	const char	*upper_acc = "Mme H\xc3\x89L\xc3\x88NE X";
	struct outmail	 m;
	struct buf	 b;
	size_t		 hit = 99;
	char		 err[200];

	CHECK_INT(outmail_scan_clear(dirty, strlen(dirty), needles, 6, &hit),
	    1);
	CHECK_INT(hit, 1);
	CHECK_INT(outmail_scan_clear(clean, strlen(clean), needles, 6, &hit),
	    0);
	/* "NA" (2 characters) and NULL are ignored */
	CHECK_INT(outmail_scan_clear("nana", 4, needles + 3, 2, &hit), 0);
	CHECK_INT(outmail_scan_clear(accent, strlen(accent), needles, 6, &hit),
	    1);
	CHECK_INT(hit, 5);
	CHECK_INT(outmail_scan_clear(accent2, strlen(accent2), needles, 6,
	    &hit), 1);
	CHECK_INT(outmail_scan_clear(upper_acc, strlen(upper_acc), needles, 6,
	    &hit), 1);
	CHECK_INT(outmail_scan_clear("né le 12/03/1985", 17, needles, 6, &hit),
	    1);
	CHECK_INT(hit, 2);
	CHECK_INT(outmail_scan_clear("", 0, needles, 6, &hit), 0);
	CHECK_INT(outmail_scan_clear("x\xff DUPONT", 9, needles, 6, &hit), 1);
	/* whole words: a name is not found inside a longer word... */
	{
		const char *personne[] = { "Personne" };
		const char *cover = "aucune donn\xc3\xa9" "e personnelle en clair";
		const char *sep = "dossier de Mme PERSONNE, suite";

		CHECK_INT(outmail_scan_clear(cover, strlen(cover), personne, 1, &hit), 0);
		CHECK_INT(outmail_scan_clear(sep, strlen(sep), personne, 1, &hit), 1);
		CHECK_INT(outmail_scan_clear("Dupontel", 8, needles, 6, &hit), 0);
		CHECK_INT(outmail_scan_clear("[Dupont]", 8, needles, 6, &hit), 1);
		CHECK_INT(outmail_scan_clear("x12/03/1985y", 12, needles, 6, &hit), 0);
	}

	/* the clear parts of a mail: a name in a non-ASCII subject is hidden
	 * by RFC 2047 in the built mail but found in the clear parts */
	sample(&m);
	m.subject = "[FS-92032-2026-000123] H\xc3\xa9l\xc3\xa8ne";
	buf_init(&b, 1 << 20);
	CHECK_INT(outmail_build(&b, &m, err, sizeof(err)), 0);
	CHECK_INT(outmail_scan_clear(b.p, b.len, needles + 5, 1, &hit), 0);
	buf_free(&b);
	buf_init(&b, 1 << 20);
	CHECK_INT(outmail_clear_parts(&b, &m), 0);
	CHECK_INT(outmail_scan_clear(b.p, b.len, needles + 5, 1, &hit), 1);
	CHECK(strstr(b.p, "FS-92032-2026-000123.age\n") != NULL);
	CHECK(strstr(b.p, "Bonjour,") != NULL);
	buf_free(&b);
	/* a clean mail has none of the case's values */
	sample(&m);
	buf_init(&b, 1 << 20);
	CHECK_INT(outmail_clear_parts(&b, &m), 0);
	CHECK_INT(outmail_scan_clear(b.p, b.len, needles, 6, &hit), 0);
	buf_free(&b);
}

/* Issue 14: a value of the case counts only beyond the template's own
 * occurrences (the same mail for a blank person). */
static void
test_scan_beyond(void)
{
	const char *needles[] = { "Antony", "France", "Roses", "1980-05-04" };
	const char *base = "[FS-92002-2026-000001] France Travail \xe2\x80\x93 emploi\n"
	    "France Services d'Antony vous transmet un dossier\nFontenay-aux-Roses\n";
	const char *leak = "[FS-92002-2026-000001] France Travail \xe2\x80\x93 emploi ANTONY\n"
	    "France Services d'Antony vous transmet un dossier\nFontenay-aux-Roses\n";
	const char *france2 = "[FS-92002-2026-000001] France Travail \xe2\x80\x93 emploi\n"
	    "France Services d'Antony vous transmet un dossier\nFontenay-aux-Roses\nfrance\n";
	size_t hit = 99;

	/* the template alone: nothing, though every name is a word of it */
	CHECK_INT(outmail_scan_clear(base, strlen(base), needles, 3, &hit), 1);
	CHECK_INT(outmail_scan_beyond(base, strlen(base), base, strlen(base), needles, 4,
	    &hit), 0);
	/* one more occurrence than the template holds: found, and which */
	CHECK_INT(outmail_scan_beyond(leak, strlen(leak), base, strlen(base), needles, 4,
	    &hit), 1);
	CHECK_INT(hit, 0);
	CHECK_INT(outmail_scan_beyond(france2, strlen(france2), base, strlen(base), needles,
	    4, &hit), 1);
	CHECK_INT(hit, 1);
	/* accents and case folded on both sides */
	CHECK_INT(outmail_scan_beyond("Ren\xc3\xa9" "e RENEE", 12, "renee", 5,
	    (const char *[]){ "Ren\xc3\xa9" "e" }, 1, &hit), 1);
	CHECK_INT(outmail_scan_beyond("Ren\xc3\xa9" "e", 6, "RENEE", 5,
	    (const char *[]){ "Renee" }, 1, &hit), 0);
	/* no base: the plain scan */
	CHECK_INT(outmail_scan_beyond(base, strlen(base), NULL, 0, needles, 3, &hit), 1);
	CHECK_INT(outmail_scan_beyond(base, strlen(base), NULL, 3, needles, 3, &hit), -1);
}

int
main(void)
{
	size_t	i;

	if (sodium_init() < 0)
		return 1;
	for (i = 0; i < sizeof(att); i++)
		att[i] = (uint8_t)(i * 7 + 3);
	test_header();
	test_build_parse();
	test_attachment_sizes();
	test_ascii_and_reply();
	test_refused();
	test_scan();
	test_scan_beyond();
	test_extra_and_opener();
	return t_done();
}
