/*
 * outmail - compose the outbound case mail and scan its clear parts.
 *
 * The message is built in one buffer, headers first, then a two-part
 * multipart/mixed body.  The boundary starts with "=_", a sequence that
 * quoted-printable and base64 output never contain, so it cannot collide
 * with the content whatever the random part.  Every header value goes
 * through header.c; the cover note is quoted-printable so that no line is
 * longer than 76 characters and no 8-bit byte reaches the SMTP server.
 *
 * The pre-send scan folds case and strips accents (NFD, then combining
 * marks dropped, then lower case) on both sides before a plain substring
 * search; its copies of personal data are wiped (buf_free).
 *
 * The attachment (the age ciphertext of the case, never plaintext) is
 * base64-encoded with relay/b64, a table-driven encoder that is not
 * constant-time: fine for ciphertext, and a quarter of the CPU of
 * libsodium's constant-time base64 (0.3 ms against 1.1 ms for 140 KB in
 * 76-column lines).
 *
 * Trusts: libsodium (random), relay/b64 (base64), libunistring (UTF-8,
 * NFD, case).
 * Distrusts: every field of struct outmail.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "relay/b64.h"
#include "relay/header.h"
#include "relay/port/random.h"
#include "relay/outmail.h"

#define QP_LINE_MAX	76	/* including the soft-break '=' */
#define B64_IN_LINE	57	/* 57 bytes -> 76 base64 characters */
#define BOUNDARY_RAND	16
/* Input bytes base64-encoded per sink write (64 lines of 57). */
#define STREAM_IN	(64 * B64_IN_LINE)



static void
buf_cut(struct buf *b, size_t len)
{
	b->len = len;
	if (b->p != NULL)
		b->p[len] = '\0';
}

/* 1 if s is 1..OUTMAIL_NAME_MAX bytes of [A-Za-z0-9._-], not starting
 * with '.'. */
static int
filename_ok(const char *s)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n > OUTMAIL_NAME_MAX ||
	    s[0] == '.')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

/* 1 if s is type/subtype made of RFC 2045 token characters. */
static int
mimetype_ok(const char *s)
{
	static const char	tok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-";
	size_t			a, b;

	if (s == NULL || strlen(s) > 100)
		return 0;
	a = strspn(s, tok);
	if (a == 0 || s[a] != '/')
		return 0;
	b = strspn(s + a + 1, tok);
	return b > 0 && s[a + 1 + b] == '\0';
}

/* A type with at most one "; charset=utf-8" parameter. */
static int
extra_type_ok(const char *s)
{
	const char *semi = strchr(s, ';');
	char head[101];

	if (semi == NULL)
		return mimetype_ok(s);
	if ((size_t)(semi - s) >= sizeof(head) || strcmp(semi, "; charset=utf-8") != 0)
		return 0;
	memcpy(head, s, (size_t)(semi - s));
	head[semi - s] = '\0';
	return mimetype_ok(head);
}

static int
check_addrs(const struct outmail *m, char *err, size_t errlen)
{
	if (!header_addr_ok(m->from)) {
		fs_seterr(err, errlen, "adresse d'expéditeur (From) absente ou "
		    "invalide");
		return -1;
	}
	if (!header_addr_ok(m->to)) {
		fs_seterr(err, errlen, "adresse de destinataire (To) absente ou "
		    "invalide");
		return -1;
	}
	if (m->reply_to != NULL && !header_addr_ok(m->reply_to)) {
		fs_seterr(err, errlen, "adresse de réponse (Reply-To) invalide");
		return -1;
	}
	if (!header_msgid_ok(m->message_id)) {
		fs_seterr(err, errlen, "Message-ID absent ou invalide");
		return -1;
	}
	if (m->in_reply_to != NULL && !header_msgid_ok(m->in_reply_to)) {
		fs_seterr(err, errlen, "In-Reply-To invalide");
		return -1;
	}
	return 0;
}

static int
check_fields(const struct outmail *m, char *err, size_t errlen)
{
	size_t	n;

	if (check_addrs(m, err, errlen) == -1)
		return -1;
	if (m->subject == NULL || m->subject[0] == '\0' ||
	    !header_value_ok(m->subject)) {
		fs_seterr(err, errlen, "objet (Subject) absent, trop long ou "
		    "contenant CR, LF ou un caractère de contrôle");
		return -1;
	}
	if (m->body_text == NULL || (n = strlen(m->body_text)) >
	    OUTMAIL_BODY_MAX || u8_check((const uint8_t *)m->body_text,
	    n) != NULL) {
		fs_seterr(err, errlen, "note d'accompagnement absente, trop "
		    "longue ou pas en UTF-8");
		return -1;
	}
	if (m->attachment_name == NULL)
		return 0;
	if (!filename_ok(m->attachment_name)) {
		fs_seterr(err, errlen, "nom de pièce jointe refusé (caractères "
		    "permis : A-Z a-z 0-9 . _ -)");
		return -1;
	}
	if (m->attachment_type != NULL && !extra_type_ok(m->attachment_type)) {
		fs_seterr(err, errlen, "type MIME de pièce jointe invalide");
		return -1;
	}
	if (m->attachment == NULL && m->attachment_len > 0) {
		fs_seterr(err, errlen, "pièce jointe absente");
		return -1;
	}
	if (m->extra_name == NULL)
		return 0;
	if (!filename_ok(m->extra_name) || (m->extra == NULL && m->extra_len > 0) ||
	    (m->extra_type != NULL && !extra_type_ok(m->extra_type))) {
		fs_seterr(err, errlen, "seconde pièce jointe refusée (nom, type ou contenu)");
		return -1;
	}
	return 0;
}

static int
put_date(struct buf *out, time_t t)
{
	static const char	*days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char	*months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm		 tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 70 ||
	    tm.tm_year > 8099 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	return buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
put_headers(struct buf *out, const struct outmail *m, const char *boundary)
{
	if (put_date(out, m->date) == -1 ||
	    buf_printf(out, "From: %s\r\nTo: %s\r\n", m->from, m->to) == -1)
		return -1;
	if (m->reply_to != NULL &&
	    buf_printf(out, "Reply-To: %s\r\n", m->reply_to) == -1)
		return -1;
	if (buf_puts(out, "Subject: ") == -1 ||
	    rfc2047_encode(out, m->subject) == -1 ||
	    buf_printf(out, "\r\nMessage-ID: <%s>\r\n", m->message_id) == -1)
		return -1;
	if (m->in_reply_to != NULL && buf_printf(out, "In-Reply-To: <%s>\r\n"
	    "References: <%s>\r\n", m->in_reply_to, m->in_reply_to) == -1)
		return -1;
	return buf_printf(out, "MIME-Version: 1.0\r\nX-Mailer: fsrelay\r\n"
	    "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
	    "Ce message est au format MIME.\r\n", boundary);
}

/* Append one quoted-printable token, with a soft break first if the line
 * would pass QP_LINE_MAX. */
static int
qp_token(struct buf *out, const char *tok, size_t n, size_t *col)
{
	if (*col + n > QP_LINE_MAX - 1) {
		if (buf_puts(out, "=\r\n") == -1)
			return -1;
		*col = 0;
	}
	*col += n;
	return buf_append(out, tok, n);
}

/* Encode one line s[0..n) (no line end; none is written). */
static int
qp_line(struct buf *out, const char *s, size_t n)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;
	char			tok[3];
	size_t			i, col = 0;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 33 && c <= 126 && c != '=' &&
		    !(i == 0 && c == 'F' && n >= 5 &&
		    strncmp(s, "From ", 5) == 0) && !(i == 0 && c == '.')) ||
		    ((c == ' ' || c == '\t') && i + 1 < n)) {
			if (qp_token(out, s + i, 1, &col) == -1)
				return -1;
			continue;
		}
		tok[0] = '=';
		tok[1] = hex[c >> 4];
		tok[2] = hex[c & 15];
		if (qp_token(out, tok, 3, &col) == -1)
			return -1;
	}
	return 0;
}

static int
put_note(struct buf *out, const char *text, const char *boundary)
{
	const char	*p = text, *nl;
	size_t		 n;

	if (buf_printf(out, "--%s\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n", boundary) == -1)
		return -1;
	for (;;) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (nl != NULL && n > 0 && p[n - 1] == '\r')
			n--;	/* CRLF in the input */
		if (qp_line(out, p, n) == -1)
			return -1;
		if (nl == NULL)
			break;
		if (buf_puts(out, "\r\n") == -1)
			return -1;
		p = nl + 1;
	}
	/* the CRLF of the next delimiter (RFC 2046 5.1.1) */
	return buf_puts(out, "\r\n");
}

static int
put_attachment_head(struct buf *out, const char *boundary, const char *name,
    const char *type)
{
	return buf_printf(out, "--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\nContent-Disposition: "
	    "attachment; filename=\"%s\"\r\n\r\n", boundary,
	    type ? type : "application/octet-stream", name, name) == -1 ? -1 : 0;
}

static int
put_attachment(struct buf *out, const char *boundary, const char *name, const char *type,
    const uint8_t *data, size_t len)
{
	if (put_attachment_head(out, boundary, name, type) == -1)
		return -1;
	/* The attachments are the age ciphertext, public on the wire, and
	 * the opener page, built from the relay's public values only: the
	 * table-driven encoder is fine for them (relay/b64.h). */
	if (b64_mime_lines(out, data, len, B64_IN_LINE) == -1)
		return -1;
	/* an empty body still needs the CRLF of the next delimiter */
	return len == 0 ? buf_puts(out, "\r\n") : 0;
}

/* Send b's bytes to the stream's sink; b is emptied for the next use. */
static int
stream_flush(struct outmail_stream *s, struct buf *b)
{
	int r = 0;

	if (b->len > 0 && s->sink.write(s->sink.ctx, b->p, b->len) < 0)
		r = -1;
	buf_cut(b, 0);
	return r;
}

int
outmail_stream_begin(struct outmail_stream *s, const struct outmail *m,
    const struct outmail_sink *sink, char *err, size_t errlen)
{
	uint8_t	rnd[BOUNDARY_RAND];
	char	hex[2 * BOUNDARY_RAND + 1];
	struct buf head;
	int	r;

	memset(s, 0, sizeof(*s));
	fs_seterr(err, errlen, "OK");
	if (m == NULL || sink == NULL || m->attachment_name == NULL) {
		fs_seterr(err, errlen, "message absent");
		return -1;
	}
	if (check_fields(m, err, errlen) == -1)
		return -1;
	s->m = m;
	s->sink = *sink;
	random_bytes(rnd, sizeof(rnd));
	fs_hex(hex, rnd, sizeof(rnd));
	snprintf(s->boundary, sizeof(s->boundary), "=_fsrelay_%s", hex);
	buf_init(&head, 2 * OUTMAIL_BODY_MAX + 16384);
	r = put_headers(&head, m, s->boundary) == -1 ||
	    put_note(&head, m->body_text, s->boundary) == -1 ||
	    put_attachment_head(&head, s->boundary, m->attachment_name,
	    m->attachment_type) == -1 || stream_flush(s, &head) == -1 ? -1 : 0;
	buf_free(&head);
	if (r < 0) {
		s->failed = 1;
		fs_seterr(err, errlen, "message trop gros ou date invalide");
	}
	return r;
}

/* Whole base64 lines of s->rest + p, at most STREAM_IN bytes per sink
 * write; what is left of a line stays in s->rest. */
int
outmail_stream_write(struct outmail_stream *s, const uint8_t *p, size_t n)
{
	struct buf lines;
	size_t k;

	if (s->failed)
		return -1;
	buf_init(&lines, STREAM_IN / 3 * 4 + 2 * (STREAM_IN / B64_IN_LINE) + 8);
	s->total += n;
	while (n > 0 && !s->failed) {
		if (s->nrest > 0 || n < B64_IN_LINE) {
			/* complete the line in hand */
			k = B64_IN_LINE - s->nrest < n ? B64_IN_LINE - s->nrest : n;
			memcpy(s->rest + s->nrest, p, k);
			s->nrest += k;
			p += k;
			n -= k;
			if (s->nrest < B64_IN_LINE)
				break;
			if (b64_mime_lines(&lines, s->rest, B64_IN_LINE, B64_IN_LINE) == -1)
				s->failed = 1;
			s->nrest = 0;
		} else {
			k = n < STREAM_IN ? n - n % B64_IN_LINE : STREAM_IN;
			if (b64_mime_lines(&lines, p, k, B64_IN_LINE) == -1)
				s->failed = 1;
			p += k;
			n -= k;
		}
		if (stream_flush(s, &lines) == -1)
			s->failed = 1;
	}
	buf_free(&lines);
	return s->failed ? -1 : 0;
}

int
outmail_stream_end(struct outmail_stream *s, char *err, size_t errlen)
{
	const struct outmail *m = s->m;
	struct buf tail;
	int r = -1;

	if (s->failed) {
		fs_seterr(err, errlen, "message trop gros ou écriture impossible");
		return -1;
	}
	buf_init(&tail, 8 * 1024 * 1024);
	if (b64_mime_lines(&tail, s->rest, s->nrest, B64_IN_LINE) == 0 &&
	    /* an empty body still needs the CRLF of the next delimiter */
	    (s->total > 0 || buf_puts(&tail, "\r\n") == 0) &&
	    (m->extra_name == NULL || put_attachment(&tail, s->boundary,
	    m->extra_name, m->extra_type, m->extra, m->extra_len) == 0) &&
	    buf_printf(&tail, "--%s--\r\n", s->boundary) != -1 &&
	    stream_flush(s, &tail) == 0)
		r = 0;
	buf_free(&tail);
	sodium_memzero(s->rest, sizeof(s->rest));
	s->failed = 1;	/* the stream is over */
	if (r < 0)
		fs_seterr(err, errlen, "message trop gros ou écriture impossible");
	return r;
}

/* The sink of outmail_build: appends to a struct buf. */
static int
buf_sink_write(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n);
}

int
outmail_build(struct buf *out, const struct outmail *m, char *err,
    size_t errlen)
{
	uint8_t	rnd[BOUNDARY_RAND];
	char	boundary[sizeof("=_fsrelay_") + 2 * BOUNDARY_RAND];
	char	hex[2 * BOUNDARY_RAND + 1];
	size_t	mark = out->len;

	fs_seterr(err, errlen, "OK");
	if (m == NULL) {
		fs_seterr(err, errlen, "message absent");
		return -1;
	}
	if (m->attachment_name != NULL) {
		/* the streamed form, into out: one code for both */
		const struct outmail_sink sink = { buf_sink_write, out };
		struct outmail_stream s;

		if (m->attachment == NULL && m->attachment_len > 0) {
			(void)check_fields(m, err, errlen);
			return -1;
		}
		if (outmail_stream_begin(&s, m, &sink, err, errlen) == -1) {
			buf_cut(out, mark);
			return -1;
		}
		if (outmail_stream_write(&s, m->attachment, m->attachment_len) == -1 ||
		    outmail_stream_end(&s, err, errlen) == -1) {
			buf_cut(out, mark);
			fs_seterr(err, errlen, "message trop gros ou date invalide");
			return -1;
		}
		return 0;
	}
	if (check_fields(m, err, errlen) == -1)
		return -1;
	random_bytes(rnd, sizeof(rnd));
	fs_hex(hex, rnd, sizeof(rnd));
	snprintf(boundary, sizeof(boundary), "=_fsrelay_%s", hex);
	if (put_headers(out, m, boundary) == -1 ||
	    put_note(out, m->body_text, boundary) == -1 ||
	    (m->extra_name != NULL && put_attachment(out, boundary,
	    m->extra_name, m->extra_type, m->extra, m->extra_len) == -1) ||
	    buf_printf(out, "--%s--\r\n", boundary) == -1) {
		buf_cut(out, mark);
		fs_seterr(err, errlen, "message trop gros ou date invalide");
		return -1;
	}
	return 0;
}

int
outmail_clear_parts(struct buf *out, const struct outmail *m)
{
	const char	*f[11];
	size_t		 i, mark = out->len;

	f[0] = m->from;
	f[1] = m->to;
	f[2] = m->reply_to;
	f[3] = m->subject;
	f[4] = m->message_id;
	f[5] = m->in_reply_to;
	f[6] = m->body_text;
	f[7] = m->attachment_name;
	f[8] = m->attachment_type;
	f[9] = m->extra_name;
	f[10] = m->extra_type;
	for (i = 0; i < FS_ARRAY_LEN(f); i++) {
		if (f[i] == NULL)
			continue;
		if (buf_puts(out, f[i]) == -1 || buf_puts(out, "\n") == -1) {
			buf_cut(out, mark);
			return -1;
		}
	}
	return 0;
}

/* Fold s[0..n) into out: NFD, combining marks dropped, lower case.  Bytes
 * that are not valid UTF-8 make the whole input folded as ASCII bytes.
 * 0 on success, -1 on failure. */
static int
fold(struct buf *out, const char *s, size_t n)
{
	const uint8_t	*u = (const uint8_t *)s;
	uint8_t		*d, enc[6];
	size_t		 dl = 0, i;
	ucs4_t		 uc;
	int		 k, e;

	if (u8_check(u, n) != NULL) {
		for (i = 0; i < n; i++) {
			enc[0] = (uint8_t)(s[i] >= 'A' && s[i] <= 'Z' ?
			    s[i] - 'A' + 'a' : s[i]);
			if (buf_append(out, enc, 1) == -1)
				return -1;
		}
		return 0;
	}
	if (n == 0)
		return buf_append(out, "", 0);
	if ((d = u8_normalize(UNINORM_NFD, u, n, NULL, &dl)) == NULL)
		return -1;
	for (i = 0; i < dl; i += (size_t)k) {
		if ((k = u8_mbtouc(&uc, d + i, dl - i)) <= 0)
			break;
		if (uc_is_general_category(uc, UC_CATEGORY_Mn))
			continue;
		if ((e = u8_uctomb(enc, uc_tolower(uc), sizeof(enc))) <= 0 ||
		    buf_append(out, enc, (size_t)e) == -1)
			break;
	}
	fs_wipe(d, dl);
	free(d);
	return i < dl ? -1 : 0;
}

/* A byte that continues a word: ASCII letter or digit, or any byte of a
 * non-ASCII character (folding left only letters there). */
static int
word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

/* How many times the folded needle occurs in h as a whole word (so that
 * the name "Personne" is not found in "personnelles"). */
static size_t
count_word(const struct buf *h, const char *n, size_t nlen)
{
	const char *p = h->p, *end = h->p + h->len, *q;
	size_t k = 0;

	while (p < end && (q = memmem(p, (size_t)(end - p), n, nlen)) != NULL) {
		int before = q > h->p && word_byte((unsigned char)q[-1]) &&
		    word_byte((unsigned char)n[0]);
		int after = q + nlen < end && word_byte((unsigned char)q[nlen]) &&
		    word_byte((unsigned char)n[nlen - 1]);

		if (!before && !after)
			k++;
		p = q + 1;
	}
	return k;
}

/* 1 if folded needle s occurs in the folded haystack h more often than in
 * the folded base b (NULL: never), 0 if not (or if it is ignored), -1 on
 * failure. */
static int
scan_one(const struct buf *h, const struct buf *b, const char *s)
{
	struct buf	nb;
	int		r = 0;

	if (s == NULL)
		return 0;
	buf_init(&nb, 4 * strlen(s) + 16);
	if (fold(&nb, s, strlen(s)) == -1)
		r = -1;
	else if (u8_mbsnlen((const uint8_t *)nb.p, nb.len) >= 3 &&
	    count_word(h, nb.p, nb.len) > (b != NULL ? count_word(b, nb.p, nb.len) : 0))
		r = 1;
	buf_free(&nb);
	return r;
}

int
outmail_scan_beyond(const char *clear, size_t len, const char *base, size_t baselen,
    const char *const *needles, size_t n, size_t *hit_r)
{
	struct buf	h, b;
	size_t		i;
	int		r = 0;

	if (clear == NULL || (n > 0 && needles == NULL) ||
	    len > (SIZE_MAX - 16) / 4 || baselen > (SIZE_MAX - 16) / 4 ||
	    (base == NULL && baselen > 0))
		return -1;
	buf_init(&h, 4 * len + 16);
	buf_init(&b, 4 * baselen + 16);
	if (fold(&h, clear, len) == -1 ||
	    (base != NULL && fold(&b, base, baselen) == -1)) {
		buf_free(&h);
		buf_free(&b);
		return -1;
	}
	for (i = 0; i < n && r == 0; i++)
		if ((r = scan_one(&h, base != NULL ? &b : NULL, needles[i])) == 1 &&
		    hit_r != NULL)
			*hit_r = i;
	buf_free(&h);
	buf_free(&b);
	return r;
}

int
outmail_scan_clear(const char *clear, size_t len, const char *const *needles,
    size_t n, size_t *hit_r)
{
	return outmail_scan_beyond(clear, len, NULL, 0, needles, n, hit_r);
}
