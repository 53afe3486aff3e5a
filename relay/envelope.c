/*
 * envelope - seal a case as a signed MIME message inside an age file, and
 * open it again (see envelope.h).
 *
 * Trusts nothing it reads: the age layer authenticates the bytes, then the
 * .eml is parsed line by line against the layouts envelope_seal writes
 * (each header, part header, base64 body and the manifest are re-rendered
 * from the parsed values and compared byte for byte; a binary part of
 * version 2 runs to its boundary line), the
 * relay signature is checked over the exact bytes of manifest.json, and
 * only then are the parts compared with the manifest.  Every size is
 * bounded; decoded parts are wiped when freed.
 */
#include "relay/envelope.h"
#include "relay/port/random.h"
#include "relay/b64.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unistr.h>

#include "relay/age.h"
#include "relay/case.h"
#include "relay/header.h"
#include "relay/sanitize.h"

#define EML_LINE_MAX	998		/* RFC 5322 line limit */
#define B64_COLS	76		/* base64 characters per line */
#define B64_RAW		57		/* bytes per base64 line */
#define BOUNDARY_PFX	"fsrelay-"
#define BOUNDARY_LEN	40		/* "fsrelay-" + 32 hex */
#define MANIFEST_MAX	(1024 * 1024)
#define SUBJECT_MAX	4096
#define MAX_PARTS	(ENVELOPE_MAX_DOCS + 3)
#define T_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */
#define SHA_HEX		65		/* 64 hex + NUL */
#define FPR_LEN		72		/* "SHA256:" + 64 hex + NUL */
#define RFC3339_LEN	21

#define CT_DESC		"Content-Type: text/plain; charset=utf-8"
#define CT_JSON		"Content-Type: application/json"
#define CT_SIG		"Content-Type: text/plain; charset=us-ascii"
#define CTE_B64		"Content-Transfer-Encoding: base64"
#define CTE_7BIT	"Content-Transfer-Encoding: 7bit"
#define CTE_BINARY	"Content-Transfer-Encoding: binary"
#define BOUNDARY_TRIES	8		/* fresh boundaries tried (v2) */
#define CD_DESC		"Content-Disposition: inline; filename=\"description.txt\""
#define CD_JSON		"Content-Disposition: attachment; filename=\"manifest.json\""
#define CD_SIG		"Content-Disposition: attachment; filename=\"manifest.sig\""

/* The manifest, as written and as read back. */
struct mdoc {
	char	*name;
	char	*media;
	size_t	 size;
	char	 sha[SHA_HEX];
};

struct manifest {
	int		 version;	/* ENVELOPE_V1 or ENVELOPE_V2 */
	char		 ref[32];
	char		 fpr[FPR_LEN];
	char		 msgid[256];
	int64_t		 time;
	char		 dsha[SHA_HEX];
	struct mdoc	*docs;
	size_t		 n;
};

/* A part of the .eml as cut by the parser: pointers into the .eml. */
struct raw_part {
	const char	*ct, *cte, *cd;
	size_t		 ctlen, ctelen, cdlen;
	const char	*body;
	size_t		 bodylen;
};

/* What the parser keeps from the outer headers, and how the attachments
 * were encoded (checked against the manifest's version). */
struct eml_meta {
	char	date[64];
	char	msgid[256];
	size_t	n_b64, n_binary;
};

struct cursor {
	const char	*p;
	size_t		 len, off;
};



#define ENVELOPE_RELAY_KEY_B64	44

/* The relay's Ed25519 public key from its 44-character base64 form
 * (surrounding blanks ignored).  0 / -1. */
int
envelope_relay_key_parse(const char *s, uint8_t pk[32])
{
	const char *end = NULL;
	size_t n = 0, len;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strcspn(s, " \t\r\n");
	if (len != ENVELOPE_RELAY_KEY_B64 || s[len + strspn(s + len, " \t\r\n")] != '\0')
		return -1;
	if (sodium_base642bin(pk, 32, s, len, NULL, &n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32 || end != s + len)
		return -1;
	return 0;
}

void
envelope_fingerprint(char out[KEY_FINGERPRINT_LEN], const uint8_t pk[32])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, 32);
	memcpy(out, "SHA256:", 7);
	fs_hex(out + 7, h, sizeof(h));
}

static void
sha256_hex(char out[SHA_HEX], const uint8_t *d, size_t n)
{
	static const uint8_t empty[1];
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, d != NULL ? d : empty, n);
	fs_hex(out, h, sizeof(h));
}

/* ---- time ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* "YYYY-MM-DDTHH:MM:SSZ"; t must be in [0, T_MAX]. */
static void
fmt_rfc3339(char out[RFC3339_LEN], int64_t t)
{
	char tmp[64];
	int y, mo, d;
	int64_t s = t % 86400;

	civil_from_days(t / 86400, &y, &mo, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
	    (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
	fs_strlcpy(out, tmp, RFC3339_LEN);
}

/* RFC 5322 date in UTC: "Thu, 01 Jan 1970 00:00:00 +0000". */
static void
fmt_date_header(char out[64], int64_t t)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon",
	    "Tue", "Wed" };
	static const char *const mn[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, mo, d;
	int64_t s = t % 86400;

	civil_from_days(t / 86400, &y, &mo, &d);
	snprintf(out, 64, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[(t / 86400) % 7], d, mn[mo - 1], y, (int)(s / 3600),
	    (int)(s / 60 % 60), (int)(s % 60));
}

/* Strict inverse of fmt_rfc3339.  0 / -1. */
static int
parse_rfc3339(const char *s, int64_t *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	char again[RFC3339_LEN];
	long v[6];
	size_t i;
	int k;

	if (strlen(s) != RFC3339_LEN - 1)
		return -1;
	for (i = 0; i < RFC3339_LEN - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return -1;
	for (k = 0; k < 6; k++) {
		const char *p = s + (k == 0 ? 0 : 2 + 3 * k);

		v[k] = k == 0 ? (p[0] - '0') * 1000 + (p[1] - '0') * 100 +
		    (p[2] - '0') * 10 + (p[3] - '0') : (p[0] - '0') * 10 + (p[1] - '0');
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 59 || v[0] < 1970)
		return -1;
	*t = days_from_civil(v[0], (int)v[1], (int)v[2]) * 86400 +
	    v[3] * 3600 + v[4] * 60 + v[5];
	fmt_rfc3339(again, *t);
	return strcmp(again, s) == 0 ? 0 : -1;	/* refuses 2026-02-30 */
}

/* ---- field checks ---------------------------------------------------- */

/* 1 if s[0..n) is a file name we carry: the one name check of
 * relay/sanitize (also that of escalate and send), ENVELOPE_NAME_MAX. */
static int
name_ok(const char *s, size_t n)
{
	const char *why;

	return san_name_check(s, n, ENVELOPE_NAME_MAX, &why) == 0;
}

/* RFC 2045 token character. */
static int
tchar(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* 1 if s is "type/subtype" made of RFC 2045 tokens, <= ENVELOPE_MEDIA_MAX. */
static int
media_ok(const char *s, size_t n)
{
	size_t i, slash = 0;

	if (n == 0 || n > ENVELOPE_MEDIA_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '/' && slash == 0 && i > 0)
			slash = i;
		else if (!tchar((unsigned char)s[i]))
			return 0;
	}
	return slash > 0 && slash + 1 < n;
}

static int
hex64_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* ---- writers --------------------------------------------------------- */

/* Append a JSON string: '"' and '\' escaped, control characters as \n,
 * \r, \t or \u00XX, everything else (UTF-8 included) as is. */
static int
json_put(struct buf *b, const char *s, size_t n)
{
	char esc[8];
	size_t i;
	int r = buf_puts(b, "\"");

	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			r = buf_append(b, esc, 2);
		} else if (c == '\n')
			r = buf_puts(b, "\\n");
		else if (c == '\r')
			r = buf_puts(b, "\\r");
		else if (c == '\t')
			r = buf_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			r = buf_puts(b, esc);
		} else
			r = buf_append(b, &c, 1);
	}
	return r == 0 ? buf_puts(b, "\"") : -1;
}

static int
manifest_write(struct buf *b, const struct manifest *m)
{
	char t[RFC3339_LEN];
	size_t i;
	int r = 0;

	fmt_rfc3339(t, m->time);
	r |= buf_printf(b, "{\"version\":%d,\"ref\":", m->version);
	r |= json_put(b, m->ref, strlen(m->ref));
	r |= buf_puts(b, ",\"recipient_fingerprint\":");
	r |= json_put(b, m->fpr, strlen(m->fpr));
	r |= buf_puts(b, ",\"message_id\":");
	r |= json_put(b, m->msgid, strlen(m->msgid));
	r |= buf_puts(b, ",\"time\":");
	r |= json_put(b, t, strlen(t));
	r |= buf_puts(b, ",\"description_sha256\":");
	r |= json_put(b, m->dsha, strlen(m->dsha));
	r |= buf_puts(b, ",\"documents\":[");
	for (i = 0; i < m->n; i++) {
		const struct mdoc *d = &m->docs[i];

		r |= buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		r |= json_put(b, d->name, strlen(d->name));
		r |= buf_printf(b, ",\"size\":%zu,\"sha256\":", d->size);
		r |= json_put(b, d->sha, strlen(d->sha));
		r |= buf_puts(b, ",\"media_type\":");
		r |= json_put(b, d->media, strlen(d->media));
		r |= buf_puts(b, "}");
	}
	r |= buf_puts(b, "]}");
	return r ? -1 : 0;
}

static void
manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->docs[i].name);
		free(m->docs[i].media);
	}
	free(m->docs);
	m->docs = NULL;
	m->n = 0;
}

/* Base64 in lines of B64_COLS characters, each ended by CRLF (relay/b64:
 * why a table encoder is used for the plaintext here). */
static int
b64_lines(struct buf *b, const uint8_t *d, size_t n)
{
	return b64_mime_lines(b, d, n, B64_RAW);
}

/* RFC 2231 attr-char: sent as is in filename*=. */
static int
attr_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$&+-.^_`|~", c) != NULL);
}

/* "Content-Disposition: <kind>; filename=..." without the CRLF: quoted
 * when the name is printable ASCII without '"' or '\', RFC 2231
 * percent-encoded UTF-8 otherwise. */
static int
disposition_write(struct buf *b, const char *kind, const char *name, size_t n)
{
	char pct[4];
	size_t i;
	int quoted = 1, r;

	for (i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '"' ||
		    name[i] == '\\')
			quoted = 0;
	r = buf_printf(b, "Content-Disposition: %s; ", kind);
	if (quoted)
		return r | buf_puts(b, "filename=\"") | buf_append(b, name, n) |
		    buf_puts(b, "\"");
	r |= buf_puts(b, "filename*=utf-8''");
	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = (unsigned char)name[i];

		if (attr_char(c))
			r = buf_append(b, &c, 1);
		else {
			snprintf(pct, sizeof(pct), "%%%02X", c);
			r = buf_puts(b, pct);
		}
	}
	return r ? -1 : 0;
}

static int
part_head(struct buf *b, const char *boundary, const char *ct, const char *cte,
    const char *cd)
{
	return buf_printf(b, "--%s\r\n%s\r\n%s\r\n%s\r\n\r\n", boundary, ct, cte, cd);
}

/* ---- seal ------------------------------------------------------------ */

static int
seal_check_doc(const struct envelope_in *in, size_t i, char *err, size_t errlen)
{
	const struct envelope_doc *d = &in->docs[i];
	size_t j;

	if (d->name == NULL || !name_ok(d->name, strlen(d->name))) {
		fs_seterr(err, errlen, "pièce n° %zu : nom de fichier invalide", i + 1);
		return -1;
	}
	if (d->media_type == NULL || !media_ok(d->media_type, strlen(d->media_type))) {
		fs_seterr(err, errlen, "pièce « %s » : type de média invalide", d->name);
		return -1;
	}
	if (d->len > 0 && d->data == NULL) {
		fs_seterr(err, errlen, "pièce « %s » : contenu absent", d->name);
		return -1;
	}
	for (j = 0; j < i; j++)
		if (strcmp(in->docs[j].name, d->name) == 0) {
			fs_seterr(err, errlen, "nom de pièce en double « %s »", d->name);
			return -1;
		}
	return 0;
}

static int
seal_check(const struct envelope_in *in, char *err, size_t errlen)
{
	size_t i, total = in->description_len;

	if (in->ref == NULL || !case_ref_valid(in->ref)) {
		fs_seterr(err, errlen, "référence de dossier invalide");
		return -1;
	}
	if (in->from == NULL || !header_addr_ok(in->from) ||
	    in->to == NULL || !header_addr_ok(in->to)) {
		fs_seterr(err, errlen, "adresse d'expéditeur ou de destinataire invalide");
		return -1;
	}
	if (in->subject == NULL || !header_value_ok(in->subject)) {
		fs_seterr(err, errlen, "objet invalide");
		return -1;
	}
	if (in->message_id == NULL || !header_msgid_ok(in->message_id)) {
		fs_seterr(err, errlen, "Message-ID invalide");
		return -1;
	}
	if (in->time < 0 || in->time > T_MAX) {
		fs_seterr(err, errlen, "date hors limites");
		return -1;
	}
	if (in->recipient_pk == NULL || (in->description_len > 0 &&
	    (in->description == NULL || u8_check((const uint8_t *)in->description,
	    in->description_len) != NULL))) {
		fs_seterr(err, errlen, "description invalide (UTF-8 attendu) ou clé absente");
		return -1;
	}
	if (in->version != 0 && in->version != ENVELOPE_V1 && in->version != ENVELOPE_V2) {
		fs_seterr(err, errlen, "version de dossier inconnue");
		return -1;
	}
	if (in->n_docs > ENVELOPE_MAX_DOCS || (in->n_docs > 0 && in->docs == NULL)) {
		fs_seterr(err, errlen, "trop de pièces (au plus %d)", ENVELOPE_MAX_DOCS);
		return -1;
	}
	for (i = 0; i <= in->n_docs; i++) {
		if (total > ENVELOPE_MAX_CONTENT) {
			fs_seterr(err, errlen, "dossier trop volumineux (au plus %d Mio)",
			    ENVELOPE_MAX_CONTENT / (1024 * 1024));
			return -1;
		}
		if (i == in->n_docs)
			break;
		if (seal_check_doc(in, i, err, errlen) < 0)
			return -1;
		total = in->docs[i].len > ENVELOPE_MAX_CONTENT - total ?
		    (size_t)ENVELOPE_MAX_CONTENT + 1 : total + in->docs[i].len;
	}
	return 0;
}

/* 1 if s is a digest as the manifest writes it: 64 lowercase hex digits. */
static int
sha_given(const char *s)
{
	return s != NULL && strlen(s) == SHA_HEX - 1 &&
	    strspn(s, "0123456789abcdef") == SHA_HEX - 1;
}

static void
manifest_from_input(struct manifest *m, const struct envelope_in *in)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->version = in->version ? in->version : ENVELOPE_VERSION;
	fs_strlcpy(m->ref, in->ref, sizeof(m->ref));
	envelope_fingerprint(m->fpr, in->recipient_pk);
	fs_strlcpy(m->msgid, in->message_id, sizeof(m->msgid));
	m->time = in->time;
	sha256_hex(m->dsha, (const uint8_t *)in->description, in->description_len);
	m->docs = xcalloc(in->n_docs ? in->n_docs : 1, sizeof(*m->docs));
	m->n = in->n_docs;
	for (i = 0; i < in->n_docs; i++) {
		m->docs[i].name = xstrdup(in->docs[i].name);
		m->docs[i].media = xstrdup(in->docs[i].media_type);
		m->docs[i].size = in->docs[i].len;
		if (sha_given(in->docs[i].sha256))
			memcpy(m->docs[i].sha, in->docs[i].sha256, SHA_HEX);
		else
			sha256_hex(m->docs[i].sha, in->docs[i].data, in->docs[i].len);
	}
}

static int
eml_headers(struct buf *b, const struct envelope_in *in, const char *boundary)
{
	char date[64];
	int r;

	fmt_date_header(date, in->time);
	r = buf_printf(b, "From: %s\r\nTo: %s\r\nSubject: ", in->from, in->to);
	r |= rfc2047_encode(b, in->subject);
	r |= buf_printf(b, "\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", date,
	    in->message_id, boundary);
	return r ? -1 : 0;
}

/* 1 if the boundary occurs in a raw (binary) attachment. */
static int
boundary_in_docs(const struct envelope_in *in, const char *boundary)
{
	size_t i;

	for (i = 0; i < in->n_docs; i++)
		if (in->docs[i].len > 0 && memmem(in->docs[i].data, in->docs[i].len,
		    boundary, BOUNDARY_LEN) != NULL)
			return 1;
	return 0;
}

/* A random boundary; in version 2, one that no raw attachment contains (a
 * binary part ends where the boundary line starts).  0 / -1. */
static int
boundary_make(char boundary[BOUNDARY_LEN + 1], const struct envelope_in *in, int version)
{
	uint8_t rnd[16];
	int k;

	for (k = 0; k < BOUNDARY_TRIES; k++) {
		random_bytes(rnd, sizeof(rnd));
		memcpy(boundary, BOUNDARY_PFX, 8);
		fs_hex(boundary + 8, rnd, sizeof(rnd));
		if (version == ENVELOPE_V1 || !boundary_in_docs(in, boundary))
			return 0;
	}
	return -1;
}

/*
 * The .eml as a list of segments, so that no attachment is copied: the
 * text the writer makes (headers, part heads, base64 of the description
 * and the manifest) in one buffer, and the attachments' own bytes in
 * between.  The age writer reads it as a source.
 */
struct seg {
	const uint8_t	*p;	/* borrowed bytes; NULL: text[off..off+len) */
	size_t		 off, len;
};

struct eml_segs {
	struct buf	 text;
	struct seg	 seg[2 * ENVELOPE_MAX_DOCS + 2];
	size_t		 n, done;	/* segments; text bytes already in one */
	size_t		 total;		/* bytes of the .eml */
	size_t		 i, pos;	/* read position */
};

/* Close the text written since the last segment into one. */
static void
segs_text(struct eml_segs *e)
{
	if (e->text.len > e->done) {
		e->seg[e->n].p = NULL;
		e->seg[e->n].off = e->done;
		e->seg[e->n].len = e->text.len - e->done;
		e->total += e->seg[e->n++].len;
		e->done = e->text.len;
	}
}

static void
segs_bytes(struct eml_segs *e, const uint8_t *p, size_t len)
{
	segs_text(e);
	if (len > 0) {
		e->seg[e->n].p = p;
		e->seg[e->n].len = len;
		e->total += e->seg[e->n++].len;
	}
}

/* age_source: the segments in order. */
static ssize_t
segs_read(void *ctx, uint8_t *p, size_t n)
{
	struct eml_segs *e = ctx;
	size_t got = 0, k;

	while (got < n && e->i < e->n) {
		const struct seg *s = &e->seg[e->i];
		const uint8_t *from = s->p ? s->p : (const uint8_t *)e->text.p + s->off;

		k = s->len - e->pos < n - got ? s->len - e->pos : n - got;
		memcpy(p + got, from + e->pos, k);
		got += k;
		if ((e->pos += k) == s->len) {
			e->i++;
			e->pos = 0;
		}
	}
	return (ssize_t)got;
}

/*
 * A text/... piece whose bytes are UTF-8 (personne.txt, an agent's .txt)
 * says so in its part's Content-Type: a mail program that opens the
 * decrypted .eml otherwise reads it as US-ASCII (issue 11: « Pr��nom »).
 * The manifest keeps the bare media type.
 */
#define CHARSET_UTF8	"; charset=utf-8"

static int
utf8_text(const struct envelope_doc *d)
{
	return strncmp(d->media_type, "text/", 5) == 0 &&
	    u8_check(d->data, d->len) == NULL;
}

/* One attachment's part: its head, then base64 lines (v1) or its bytes
 * and the CRLF that belongs to the next boundary line (v2). */
static int
doc_write(struct eml_segs *e, const char *boundary, const struct envelope_doc *d,
    int version)
{
	struct buf cd, *b = &e->text;
	int r;

	buf_init(&cd, EML_LINE_MAX);
	r = disposition_write(&cd, "attachment", d->name, strlen(d->name));
	r |= buf_printf(b, "--%s\r\nContent-Type: %s%s\r\n%s\r\n%s\r\n\r\n",
	    boundary, d->media_type, utf8_text(d) ? CHARSET_UTF8 : "",
	    version == ENVELOPE_V1 ? CTE_B64 : CTE_BINARY, cd.p ? cd.p : "");
	buf_free(&cd);
	if (version == ENVELOPE_V1)
		return r | b64_lines(b, d->data, d->len);
	segs_bytes(e, d->data, d->len);
	return r | buf_puts(b, "\r\n");
}

static int
eml_write(struct eml_segs *e, const struct envelope_in *in, const struct manifest *m,
    const struct buf *mj, const char *sig64)
{
	char boundary[BOUNDARY_LEN + 1];
	struct buf *b = &e->text;
	size_t i;
	int r;

	if (boundary_make(boundary, in, m->version) < 0)
		return -1;
	r = eml_headers(b, in, boundary);
	r |= part_head(b, boundary, CT_DESC, CTE_B64, CD_DESC);
	r |= b64_lines(b, (const uint8_t *)in->description, in->description_len);
	for (i = 0; i < in->n_docs && r == 0; i++)
		r |= doc_write(e, boundary, &in->docs[i], m->version);
	r |= part_head(b, boundary, CT_JSON, CTE_B64, CD_JSON);
	r |= b64_lines(b, (const uint8_t *)mj->p, mj->len);
	r |= part_head(b, boundary, CT_SIG, CTE_7BIT, CD_SIG);
	r |= buf_printf(b, "%s\r\n--%s--\r\n", sig64, boundary);
	segs_text(e);
	return r || b->p == NULL || e->total > ENVELOPE_MAX_EML ? -1 : 0;
}

int
envelope_seal_stream(const struct age_sink *out, const struct envelope_in *in,
    const uint8_t signing_sk[64], char *err, size_t errlen)
{
	uint8_t sig[crypto_sign_BYTES];
	uint8_t rcpt[1][AGE_X25519_KEY_BYTES];
	char sig64[ENVELOPE_SIG_B64_LEN + 1];
	struct manifest m;
	struct buf mj;
	struct eml_segs *e;
	const char *why;
	int r = -1;

	if (seal_check(in, err, errlen) < 0)
		return -1;
	manifest_from_input(&m, in);
	buf_init(&mj, MANIFEST_MAX);
	e = xcalloc(1, sizeof(*e));
	buf_init(&e->text, ENVELOPE_MAX_EML);
	if (manifest_write(&mj, &m) < 0 || mj.p == NULL) {
		fs_seterr(err, errlen, "manifeste trop volumineux");
		goto out;
	}
	if (crypto_sign_detached(sig, NULL, (const uint8_t *)mj.p, mj.len,
	    signing_sk) != 0) {
		fs_seterr(err, errlen, "signature du manifeste impossible");
		goto out;
	}
	sodium_bin2base64(sig64, sizeof(sig64), sig, sizeof(sig),
	    sodium_base64_VARIANT_ORIGINAL);
	if (eml_write(e, in, &m, &mj, sig64) < 0) {
		fs_seterr(err, errlen, "dossier trop volumineux");
		goto out;
	}
	memcpy(rcpt[0], in->recipient_pk, AGE_X25519_KEY_BYTES);
	{
		const struct age_source src = { segs_read, e };

		if (age_encrypt_stream(out, (const uint8_t (*)[AGE_X25519_KEY_BYTES])rcpt,
		    1, &src, &why) < 0) {
			fs_seterr(err, errlen, "chiffrement age impossible (clé du "
			    "destinataire invalide, fichier trop volumineux ou écriture "
			    "impossible)");
			goto out;
		}
	}
	r = 0;
out:
	buf_free(&e->text);
	free(e);
	buf_free(&mj);
	manifest_free(&m);
	return r;
}

/* The sink of envelope_seal: appends to a struct buf (its maximum). */
static int
seal_buf_write(void *ctx, const uint8_t *p, size_t n, const char **errstr)
{
	if (buf_append(ctx, p, n) < 0) {
		*errstr = "fichier age trop volumineux";
		return -1;
	}
	return 0;
}

int
envelope_seal(struct buf *out, const struct envelope_in *in,
    const uint8_t signing_sk[64], char *err, size_t errlen)
{
	const struct age_sink sink = { seal_buf_write, out };
	size_t mark = out->len;

	if (envelope_seal_stream(&sink, in, signing_sk, err, errlen) < 0) {
		out->len = mark;
		if (out->p != NULL)
			out->p[mark] = '\0';
		return -1;
	}
	return 0;
}

/* ---- .eml reader ----------------------------------------------------- */

/* Next CRLF-ended line (without the CRLF), at most EML_LINE_MAX bytes, no
 * bare CR or LF inside.  0 / -1. */
static int
next_line(struct cursor *c, const char **line, size_t *n)
{
	const char *s = c->p + c->off, *lf;
	size_t left = c->len - c->off;

	lf = memchr(s, '\n', left);
	if (lf == NULL || lf == s || lf[-1] != '\r')
		return -1;
	*line = s;
	*n = (size_t)(lf - s) - 1;
	if (*n > EML_LINE_MAX || memchr(s, '\r', *n) != NULL)
		return -1;
	c->off += *n + 2;
	return 0;
}

static int
line_is(const char *line, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(line, want, n) == 0;
}

/* Value of "Name: value" when line starts with prefix, copied to out as a
 * C string of printable ASCII.  0 / -1. */
static int
header_take(const char *line, size_t n, const char *prefix, char *out, size_t outlen)
{
	size_t pl = strlen(prefix), i;

	if (n < pl || memcmp(line, prefix, pl) != 0 || n - pl >= outlen)
		return -1;
	for (i = pl; i < n; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			return -1;
	memcpy(out, line + pl, n - pl);
	out[n - pl] = '\0';
	return 0;
}

/* The boundary from the Content-Type header line. */
static int
boundary_take(const char *line, size_t n, char boundary[BOUNDARY_LEN + 1])
{
	static const char pfx[] = "Content-Type: multipart/mixed; boundary=\"";
	size_t pl = sizeof(pfx) - 1, i;

	if (n != pl + BOUNDARY_LEN + 1 || memcmp(line, pfx, pl) != 0 ||
	    memcmp(line + pl, BOUNDARY_PFX, 8) != 0 || line[n - 1] != '"')
		return -1;
	for (i = pl + 8; i < n - 1; i++)
		if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
			return -1;
	memcpy(boundary, line + pl, BOUNDARY_LEN);
	boundary[BOUNDARY_LEN] = '\0';
	return 0;
}

/* Subject: its line and continuation lines, printable ASCII. */
static int
subject_skip(struct cursor *c)
{
	char tmp[EML_LINE_MAX + 1];
	struct cursor peek;
	const char *l;
	size_t n, total;

	if (next_line(c, &l, &n) < 0 || header_take(l, n, "Subject: ", tmp, sizeof(tmp)) < 0)
		return -1;
	total = n;
	for (;;) {
		peek = *c;
		if (next_line(&peek, &l, &n) < 0 || n == 0 || l[0] != ' ')
			return 0;
		if (header_take(l, n, " ", tmp, sizeof(tmp)) < 0 ||
		    (total += n) > SUBJECT_MAX)
			return -1;
		*c = peek;
	}
}

static int
parse_headers(struct cursor *c, struct eml_meta *meta, char boundary[BOUNDARY_LEN + 1])
{
	char v[EML_LINE_MAX + 1];
	const char *l;
	size_t n;

	if (next_line(c, &l, &n) < 0 || header_take(l, n, "From: ", v, sizeof(v)) < 0 ||
	    !header_addr_ok(v))
		return -1;
	if (next_line(c, &l, &n) < 0 || header_take(l, n, "To: ", v, sizeof(v)) < 0 ||
	    !header_addr_ok(v))
		return -1;
	if (subject_skip(c) < 0)
		return -1;
	if (next_line(c, &l, &n) < 0 ||
	    header_take(l, n, "Date: ", meta->date, sizeof(meta->date)) < 0)
		return -1;
	if (next_line(c, &l, &n) < 0 || header_take(l, n, "Message-ID: <", v, sizeof(v)) < 0 ||
	    n < 15 || v[n - 14] != '>')
		return -1;
	v[n - 14] = '\0';
	if (!header_msgid_ok(v) || fs_strlcpy(meta->msgid, v, sizeof(meta->msgid)) >=
	    sizeof(meta->msgid))
		return -1;
	if (next_line(c, &l, &n) < 0 || !line_is(l, n, "MIME-Version: 1.0"))
		return -1;
	if (next_line(c, &l, &n) < 0 || boundary_take(l, n, boundary) < 0)
		return -1;
	if (next_line(c, &l, &n) < 0 || n != 0)
		return -1;
	return 0;
}

/* 1 if line is "--B", 2 if "--B--", 0 otherwise. */
static int
delimiter(const char *l, size_t n, const char *boundary)
{
	if (n < 2 + BOUNDARY_LEN || l[0] != '-' || l[1] != '-' ||
	    memcmp(l + 2, boundary, BOUNDARY_LEN) != 0)
		return 0;
	if (n == 2 + BOUNDARY_LEN)
		return 1;
	return n == 4 + BOUNDARY_LEN && l[n - 2] == '-' && l[n - 1] == '-' ? 2 : 0;
}

/* A binary part's bytes: up to the CRLF that starts the next delimiter
 * line (the writer picked a boundary the bytes do not contain), which is
 * then read as a line. */
static int
binary_body(struct cursor *c, const char *boundary, struct raw_part *rp, int *kind)
{
	char delim[4 + BOUNDARY_LEN];
	const char *at, *l;
	size_t n;

	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, BOUNDARY_LEN);
	at = memmem(c->p + c->off, c->len - c->off, delim, sizeof(delim));
	if (at == NULL)
		return -1;
	rp->body = c->p + c->off;
	rp->bodylen = (size_t)(at - rp->body);
	c->off += rp->bodylen + 2;
	if (next_line(c, &l, &n) < 0 || (*kind = delimiter(l, n, boundary)) == 0)
		return -1;
	return 0;
}

/* One part after its "--B" line: three header lines, a blank line, body
 * lines up to the next delimiter (raw bytes for a binary part), whose kind
 * goes to *kind. */
static int
parse_part(struct cursor *c, const char *boundary, struct raw_part *rp, int *kind)
{
	const char *l;
	size_t n, start;

	if (next_line(c, &rp->ct, &rp->ctlen) < 0 || next_line(c, &rp->cte, &rp->ctelen) < 0 ||
	    next_line(c, &rp->cd, &rp->cdlen) < 0 || next_line(c, &l, &n) < 0 || n != 0)
		return -1;
	if (line_is(rp->cte, rp->ctelen, CTE_BINARY))
		return binary_body(c, boundary, rp, kind);
	start = c->off;
	for (;;) {
		size_t at = c->off;

		if (next_line(c, &l, &n) < 0)
			return -1;
		if (n >= 2 && l[0] == '-' && l[1] == '-') {
			if ((*kind = delimiter(l, n, boundary)) == 0)
				return -1;
			rp->body = c->p + start;
			rp->bodylen = at - start;
			return 0;
		}
	}
}

/* Cut the .eml into its headers and parts. */
static int
parse_mime(const char *eml, size_t len, struct eml_meta *meta, struct raw_part *parts,
    size_t *nparts, char *err, size_t errlen)
{
	char boundary[BOUNDARY_LEN + 1];
	struct cursor c = { eml, len, 0 };
	const char *l;
	size_t n;
	int kind = 1;

	*nparts = 0;
	meta->n_b64 = meta->n_binary = 0;
	if (parse_headers(&c, meta, boundary) < 0) {
		fs_seterr(err, errlen, "message mal formé (en-têtes)");
		return -1;
	}
	if (next_line(&c, &l, &n) < 0 || delimiter(l, n, boundary) != 1) {
		fs_seterr(err, errlen, "message mal formé (début des parties)");
		return -1;
	}
	while (kind == 1) {
		if (*nparts == MAX_PARTS) {
			fs_seterr(err, errlen, "trop de parties");
			return -1;
		}
		if (parse_part(&c, boundary, &parts[*nparts], &kind) < 0) {
			fs_seterr(err, errlen, "message mal formé (partie n° %zu)", *nparts + 1);
			return -1;
		}
		(*nparts)++;
	}
	if (c.off != len) {
		fs_seterr(err, errlen, "message mal formé (données après la fin)");
		return -1;
	}
	if (*nparts < 3) {
		fs_seterr(err, errlen, "parties manquantes (description, manifeste, signature)");
		return -1;
	}
	return 0;
}

/* Decode a base64 body that must be exactly what b64_lines writes.  The
 * result (owned by the caller, NUL-terminated) in *out.  0 / -1. */
static int
b64_body(const char *body, size_t n, uint8_t **out, size_t *outlen)
{
	struct buf again;
	const char *end = NULL;
	size_t max = n / 4 * 3 + 3;
	uint8_t *d = xmalloc(max + 1);
	int ok;

	*out = NULL;
	*outlen = 0;
	if (sodium_base642bin(d, max, body, n, "\r\n", outlen, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != body + n) {
		fs_wipe(d, max + 1);
		free(d);
		return -1;
	}
	buf_init(&again, n);
	ok = b64_lines(&again, d, *outlen) == 0 && again.len == n &&
	    (n == 0 || memcmp(again.p, body, n) == 0);
	buf_free(&again);
	if (!ok) {
		fs_wipe(d, max + 1);
		free(d);
		return -1;
	}
	d[*outlen] = 0;
	*out = d;
	return 0;
}

static int
percent_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The file name of an attachment's Content-Disposition line, checked by
 * writing the line again.  Owned by the caller.  0 / -1. */
static int
disposition_name(const char *l, size_t n, char **name)
{
	static const char q[] = "Content-Disposition: attachment; filename=\"";
	static const char e[] = "Content-Disposition: attachment; filename*=utf-8''";
	struct buf nb, again;
	size_t i;
	int ok = 0, h, lo;

	*name = NULL;
	buf_init(&nb, ENVELOPE_NAME_MAX);
	if (n > sizeof(q) && memcmp(l, q, sizeof(q) - 1) == 0 && l[n - 1] == '"')
		ok = buf_append(&nb, l + sizeof(q) - 1, n - sizeof(q)) == 0;
	else if (n >= sizeof(e) && memcmp(l, e, sizeof(e) - 1) == 0) {
		ok = 1;
		for (i = sizeof(e) - 1; i < n && ok; i++) {
			unsigned char c = (unsigned char)l[i];

			if (c == '%' && i + 2 < n && (h = percent_hex(l[i + 1])) >= 0 &&
			    (lo = percent_hex(l[i + 2])) >= 0) {
				c = (unsigned char)(h * 16 + lo);
				i += 2;
			} else if (!attr_char(c))
				ok = 0;
			ok = ok && buf_append(&nb, &c, 1) == 0;
		}
	}
	if (!ok || nb.p == NULL || !name_ok(nb.p, nb.len)) {
		buf_free(&nb);
		return -1;
	}
	buf_init(&again, EML_LINE_MAX);
	ok = disposition_write(&again, "attachment", nb.p, nb.len) == 0 &&
	    again.len == n && memcmp(again.p, l, n) == 0;
	buf_free(&again);
	if (ok)
		*name = xstrndup(nb.p, nb.len);
	buf_free(&nb);
	return ok ? 0 : -1;
}

static void
part_free(struct envelope_part *p)
{
	if (p->data) {
		fs_wipe(p->data, p->len);
		free(p->data);
	}
	free(p->name);
	free(p->media_type);
	memset(p, 0, sizeof(*p));
}

/* An attachment: base64 lines (version 1) or raw bytes (version 2), counted
 * in meta for the check against the manifest's version. */
static int
decode_doc(const struct raw_part *rp, struct envelope_part *doc, size_t idx,
    struct eml_meta *meta, char *err, size_t errlen)
{
	static const char ct[] = "Content-Type: ";
	int binary = line_is(rp->cte, rp->ctelen, CTE_BINARY);
	size_t ctlen = rp->ctlen, cs = sizeof(CHARSET_UTF8) - 1;

	/* the writer's one parameter, on a text type only */
	if (ctlen > sizeof(ct) - 1 + 5 + cs && memcmp(rp->ct + ctlen - cs, CHARSET_UTF8, cs) == 0 &&
	    memcmp(rp->ct + sizeof(ct) - 1, "text/", 5) == 0)
		ctlen -= cs;
	if (ctlen <= sizeof(ct) - 1 || memcmp(rp->ct, ct, sizeof(ct) - 1) != 0 ||
	    !media_ok(rp->ct + sizeof(ct) - 1, ctlen - (sizeof(ct) - 1)) ||
	    (!binary && !line_is(rp->cte, rp->ctelen, CTE_B64)) ||
	    disposition_name(rp->cd, rp->cdlen, &doc->name) < 0) {
		fs_seterr(err, errlen, "pièce n° %zu : en-têtes mal formés", idx + 1);
		return -1;
	}
	doc->media_type = xstrndup(rp->ct + sizeof(ct) - 1, ctlen - (sizeof(ct) - 1));
	if (binary) {
		meta->n_binary++;
		doc->data = xmalloc(rp->bodylen + 1);
		memcpy(doc->data, rp->body, rp->bodylen);
		doc->data[rp->bodylen] = 0;
		doc->len = rp->bodylen;
		return 0;
	}
	meta->n_b64++;
	if (b64_body(rp->body, rp->bodylen, &doc->data, &doc->len) < 0) {
		fs_seterr(err, errlen, "pièce « %s » : base64 invalide", doc->name);
		return -1;
	}
	return 0;
}

static int
decode_description(const struct raw_part *rp, struct envelope_part *d, char *err,
    size_t errlen)
{
	if (!line_is(rp->ct, rp->ctlen, CT_DESC) || !line_is(rp->cte, rp->ctelen, CTE_B64) ||
	    !line_is(rp->cd, rp->cdlen, CD_DESC)) {
		fs_seterr(err, errlen, "première partie : description attendue");
		return -1;
	}
	d->name = xstrdup(ENVELOPE_DESCRIPTION_NAME);
	d->media_type = xstrdup("text/plain");
	if (b64_body(rp->body, rp->bodylen, &d->data, &d->len) < 0 ||
	    u8_check(d->data, d->len) != NULL) {
		fs_seterr(err, errlen, "description : base64 ou UTF-8 invalide");
		return -1;
	}
	return 0;
}

static int
b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

static int
decode_manifest_parts(const struct raw_part *mp, const struct raw_part *sp,
    struct envelope_opened *out, char *err, size_t errlen)
{
	uint8_t *d;
	size_t n, i;
	int r;

	if (!line_is(mp->ct, mp->ctlen, CT_JSON) || !line_is(mp->cte, mp->ctelen, CTE_B64) ||
	    !line_is(mp->cd, mp->cdlen, CD_JSON) || b64_body(mp->body, mp->bodylen, &d, &n) < 0) {
		fs_seterr(err, errlen, "avant-dernière partie : manifest.json attendu");
		return -1;
	}
	r = buf_append(&out->manifest_json, d, n);
	fs_wipe(d, n);
	free(d);
	if (r != 0 || n == 0) {
		fs_seterr(err, errlen, "manifest.json vide ou trop volumineux");
		return -1;
	}
	if (!line_is(sp->ct, sp->ctlen, CT_SIG) || !line_is(sp->cte, sp->ctelen, CTE_7BIT) ||
	    !line_is(sp->cd, sp->cdlen, CD_SIG) || sp->bodylen != ENVELOPE_SIG_B64_LEN + 2 ||
	    sp->body[ENVELOPE_SIG_B64_LEN] != '\r') {
		fs_seterr(err, errlen, "dernière partie : manifest.sig attendu");
		return -1;
	}
	for (i = 0; i < ENVELOPE_SIG_B64_LEN; i++)
		if (!b64_char(sp->body[i])) {
			fs_seterr(err, errlen, "manifest.sig : base64 invalide");
			return -1;
		}
	if (buf_append(&out->manifest_sig, sp->body, ENVELOPE_SIG_B64_LEN) < 0) {
		fs_seterr(err, errlen, "manifest.sig trop volumineux");
		return -1;
	}
	return 0;
}

static void
opened_init(struct envelope_opened *out)
{
	memset(out, 0, sizeof(*out));
	buf_init(&out->eml, ENVELOPE_MAX_EML);
	buf_init(&out->manifest_json, MANIFEST_MAX);
	buf_init(&out->manifest_sig, ENVELOPE_SIG_B64_LEN);
}

/* Cut out->eml into parts and decode them (no manifest check). */
static int
parse_structure(struct envelope_opened *out, struct eml_meta *meta, char *err,
    size_t errlen)
{
	struct raw_part *parts = xcalloc(MAX_PARTS, sizeof(*parts));
	size_t n, i, j;
	int r = -1;

	if (parse_mime(out->eml.p, out->eml.len, meta, parts, &n, err, errlen) < 0 ||
	    decode_description(&parts[0], &out->description, err, errlen) < 0 ||
	    decode_manifest_parts(&parts[n - 2], &parts[n - 1], out, err, errlen) < 0)
		goto done;
	out->docs = xcalloc(n - 3 ? n - 3 : 1, sizeof(*out->docs));
	for (i = 0; i + 3 < n; i++) {
		out->n_docs = i + 1;
		if (decode_doc(&parts[i + 1], &out->docs[i], i, meta, err, errlen) < 0)
			goto done;
		for (j = 0; j < i; j++)
			if (strcmp(out->docs[j].name, out->docs[i].name) == 0) {
				fs_seterr(err, errlen, "nom de pièce en double « %s »",
				    out->docs[i].name);
				goto done;
			}
	}
	r = 0;
done:
	free(parts);
	return r;
}

/* ---- manifest reader ------------------------------------------------- */

static int
j_lit(struct cursor *j, const char *lit)
{
	size_t n = strlen(lit);

	if (j->len - j->off < n || memcmp(j->p + j->off, lit, n) != 0)
		return -1;
	j->off += n;
	return 0;
}

/* A JSON string with only the escapes json_put writes; owned by the
 * caller, NUL-terminated; an embedded NUL is refused. */
static int
j_str(struct cursor *j, char **out, size_t max)
{
	struct buf b;
	int h, lo;

	*out = NULL;
	if (j_lit(j, "\"") < 0)
		return -1;
	buf_init(&b, max);
	while (j->off < j->len && j->p[j->off] != '"') {
		unsigned char c = (unsigned char)j->p[j->off++];

		if (c == '\\' && j->off < j->len) {
			c = (unsigned char)j->p[j->off++];
			if (c == 'n')
				c = '\n';
			else if (c == 'r')
				c = '\r';
			else if (c == 't')
				c = '\t';
			else if (c == 'u' && j->len - j->off >= 4 &&
			    memcmp(j->p + j->off, "00", 2) == 0 &&
			    (h = percent_hex(j->p[j->off + 2])) >= 0 && h <= 7 &&
			    (lo = j->p[j->off + 3]) != 0 && strchr("0123456789abcdef", lo)) {
				c = (unsigned char)(h * 16 + (lo <= '9' ? lo - '0' : lo - 'a' + 10));
				j->off += 4;
				if (c == 0)
					goto bad;
			} else if (c != '"' && c != '\\')
				goto bad;
		} else if (c < 0x20 || c == '\\')
			goto bad;
		if (buf_append(&b, &c, 1) < 0)
			goto bad;
	}
	if (j_lit(j, "\"") < 0)
		goto bad;
	*out = xstrndup(b.p ? b.p : "", b.len);
	buf_free(&b);
	return 0;
bad:
	buf_free(&b);
	return -1;
}

/* A string copied into a fixed field. */
static int
j_field(struct cursor *j, char *out, size_t outlen)
{
	char *s;
	int r;

	if (j_str(j, &s, outlen) < 0)
		return -1;
	r = fs_strlcpy(out, s, outlen) < outlen ? 0 : -1;
	free(s);
	return r;
}

static int
j_size(struct cursor *j, size_t *v)
{
	size_t start = j->off;

	*v = 0;
	while (j->off < j->len && j->p[j->off] >= '0' && j->p[j->off] <= '9') {
		*v = *v * 10 + (size_t)(j->p[j->off++] - '0');
		if (*v > ENVELOPE_MAX_EML)
			return -1;
	}
	if (j->off == start || (j->p[start] == '0' && j->off - start > 1))
		return -1;
	return 0;
}

static int
j_doc(struct cursor *j, struct mdoc *d)
{
	if (j_lit(j, "{\"name\":") < 0 || j_str(j, &d->name, ENVELOPE_NAME_MAX) < 0 ||
	    !name_ok(d->name, strlen(d->name)) ||
	    j_lit(j, ",\"size\":") < 0 || j_size(j, &d->size) < 0 ||
	    j_lit(j, ",\"sha256\":") < 0 || j_field(j, d->sha, sizeof(d->sha)) < 0 ||
	    !hex64_ok(d->sha) ||
	    j_lit(j, ",\"media_type\":") < 0 || j_str(j, &d->media, ENVELOPE_MEDIA_MAX) < 0 ||
	    !media_ok(d->media, strlen(d->media)) || j_lit(j, "}") < 0)
		return -1;
	return 0;
}

static int
j_head(struct cursor *j, struct manifest *m)
{
	char t[RFC3339_LEN + 1];

	if (j_lit(j, "{\"version\":") < 0 || j->off >= j->len ||
	    (j->p[j->off] != '0' + ENVELOPE_V1 && j->p[j->off] != '0' + ENVELOPE_V2))
		return -1;
	m->version = j->p[j->off++] - '0';
	if (j_lit(j, ",\"ref\":") < 0 || j_field(j, m->ref, sizeof(m->ref)) < 0 ||
	    !case_ref_valid(m->ref) ||
	    j_lit(j, ",\"recipient_fingerprint\":") < 0 ||
	    j_field(j, m->fpr, sizeof(m->fpr)) < 0 || strncmp(m->fpr, "SHA256:", 7) != 0 ||
	    !hex64_ok(m->fpr + 7) ||
	    j_lit(j, ",\"message_id\":") < 0 || j_field(j, m->msgid, sizeof(m->msgid)) < 0 ||
	    !header_msgid_ok(m->msgid) ||
	    j_lit(j, ",\"time\":") < 0 || j_field(j, t, sizeof(t)) < 0 ||
	    parse_rfc3339(t, &m->time) < 0 || m->time > T_MAX ||
	    j_lit(j, ",\"description_sha256\":") < 0 ||
	    j_field(j, m->dsha, sizeof(m->dsha)) < 0 || !hex64_ok(m->dsha) ||
	    j_lit(j, ",\"documents\":[") < 0)
		return -1;
	return 0;
}

/* Parse manifest.json strictly and check that writing it again gives the
 * same bytes.  m is emptied by the caller (manifest_free). */
static int
manifest_parse(const char *s, size_t len, struct manifest *m)
{
	struct cursor j = { s, len, 0 };
	struct buf again;
	int ok;

	memset(m, 0, sizeof(*m));
	if (j_head(&j, m) < 0)
		return -1;
	m->docs = xcalloc(ENVELOPE_MAX_DOCS, sizeof(*m->docs));
	if (j_lit(&j, "]") < 0) {
		do {
			if (m->n == ENVELOPE_MAX_DOCS)
				return -1;
			if (j_doc(&j, &m->docs[m->n++]) < 0)
				return -1;
		} while (j_lit(&j, ",") == 0);
		if (j_lit(&j, "]") < 0)
			return -1;
	}
	if (j_lit(&j, "}") < 0 || j.off != len)
		return -1;
	buf_init(&again, MANIFEST_MAX);
	ok = manifest_write(&again, m) == 0 && again.len == len &&
	    memcmp(again.p, s, len) == 0;
	buf_free(&again);
	return ok ? 0 : -1;
}

/* ---- checks against the manifest ------------------------------------- */

static int
check_parts(const struct envelope_opened *out, const struct manifest *m,
    const struct eml_meta *meta, char *err, size_t errlen)
{
	char sha[SHA_HEX], date[64];
	size_t i;

	if ((m->version == ENVELOPE_V1 && meta->n_binary > 0) ||
	    (m->version == ENVELOPE_V2 && meta->n_b64 > 0)) {
		fs_seterr(err, errlen, "encodage des pièces différent de la version %d du "
		    "manifeste", m->version);
		return -1;
	}
	sha256_hex(sha, out->description.data, out->description.len);
	if (strcmp(sha, m->dsha) != 0) {
		fs_seterr(err, errlen, "description modifiée (empreinte)");
		return -1;
	}
	if (m->n != out->n_docs) {
		fs_seterr(err, errlen, "pièces différentes du manifeste (%zu annoncées, %zu "
		    "présentes)", m->n, out->n_docs);
		return -1;
	}
	for (i = 0; i < m->n; i++) {
		const struct envelope_part *p = &out->docs[i];

		if (strcmp(p->name, m->docs[i].name) != 0) {
			fs_seterr(err, errlen, "pièce « %s » absente du manifeste", p->name);
			return -1;
		}
		if (strcmp(p->media_type, m->docs[i].media) != 0 || p->len != m->docs[i].size) {
			fs_seterr(err, errlen, "pièce « %s » modifiée (type ou taille)", p->name);
			return -1;
		}
		sha256_hex(sha, p->data, p->len);
		if (strcmp(sha, m->docs[i].sha) != 0) {
			fs_seterr(err, errlen, "pièce « %s » modifiée (empreinte)", p->name);
			return -1;
		}
	}
	fmt_date_header(date, m->time);
	if (strcmp(meta->msgid, m->msgid) != 0 || strcmp(meta->date, date) != 0) {
		fs_seterr(err, errlen, "en-têtes Message-ID ou Date différents du manifeste");
		return -1;
	}
	return 0;
}

static int
verify_sig(const struct envelope_opened *out, const uint8_t relay_pk[32])
{
	uint8_t sig[crypto_sign_BYTES];
	size_t n = 0;
	const char *end = NULL;

	if (sodium_base642bin(sig, sizeof(sig), out->manifest_sig.p, out->manifest_sig.len,
	    NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL) != 0 || n != sizeof(sig) ||
	    end != out->manifest_sig.p + out->manifest_sig.len)
		return -1;
	return crypto_sign_verify_detached(sig, (const uint8_t *)out->manifest_json.p,
	    out->manifest_json.len, relay_pk) == 0 ? 0 : -1;
}

/* Manifest parse and checks, once the structure is cut (and, for
 * envelope_open, the signature verified). */
static int
finish(struct envelope_opened *out, const struct eml_meta *meta, const char *want_fpr,
    char *err, size_t errlen)
{
	struct manifest m;
	int r = -1;

	if (manifest_parse(out->manifest_json.p, out->manifest_json.len, &m) < 0) {
		fs_seterr(err, errlen, "manifest.json illisible");
		goto done;
	}
	if (want_fpr != NULL && strcmp(want_fpr, m.fpr) != 0) {
		fs_seterr(err, errlen, "dossier scellé pour une autre clé que cette identité "
		    "(empreinte du destinataire)");
		goto done;
	}
	if (check_parts(out, &m, meta, err, errlen) < 0)
		goto done;
	fs_strlcpy(out->ref, m.ref, sizeof(out->ref));
	fs_strlcpy(out->message_id, m.msgid, sizeof(out->message_id));
	fs_strlcpy(out->recipient_fingerprint, m.fpr, sizeof(out->recipient_fingerprint));
	out->time = m.time;
	out->version = m.version;
	r = 0;
done:
	manifest_free(&m);
	return r;
}

int
envelope_parse_eml(struct envelope_opened *out, const char *eml, size_t len,
    char *err, size_t errlen)
{
	struct eml_meta meta;

	opened_init(out);
	if (buf_append(&out->eml, eml, len) < 0) {
		fs_seterr(err, errlen, "dossier trop volumineux");
		return -1;
	}
	if (len == 0 || parse_structure(out, &meta, err, errlen) < 0 ||
	    finish(out, &meta, NULL, err, errlen) < 0) {
		if (len == 0)
			fs_seterr(err, errlen, "message vide");
		envelope_opened_free(out);
		return -1;
	}
	return 0;
}

int
envelope_open(struct envelope_opened *out, const uint8_t *age_file, size_t len,
    const uint8_t identity_sk[32], const uint8_t relay_pk[32], char *err,
    size_t errlen)
{
	struct eml_meta meta;
	uint8_t pk[AGE_X25519_KEY_BYTES];
	char fpr[FPR_LEN];
	const char *why = NULL;

	opened_init(out);
	if (crypto_scalarmult_base(pk, identity_sk) != 0) {
		fs_seterr(err, errlen, "identité invalide");
		return -1;
	}
	envelope_fingerprint(fpr, pk);
	if (age_decrypt(&out->eml, identity_sk, age_file, len, ENVELOPE_MAX_EML, &why) < 0) {
		fs_seterr(err, errlen, "déchiffrement impossible : %s", why ? why : "erreur");
		goto bad;
	}
	if (out->eml.len == 0) {
		fs_seterr(err, errlen, "message vide");
		goto bad;
	}
	if (parse_structure(out, &meta, err, errlen) < 0)
		goto bad;
	if (verify_sig(out, relay_pk) < 0) {
		fs_seterr(err, errlen, "signature du relais invalide");
		goto bad;
	}
	if (finish(out, &meta, fpr, err, errlen) < 0)
		goto bad;
	return 0;
bad:
	envelope_opened_free(out);
	return -1;
}

void
envelope_opened_free(struct envelope_opened *out)
{
	size_t i;

	buf_free(&out->eml);
	buf_free(&out->manifest_json);
	buf_free(&out->manifest_sig);
	part_free(&out->description);
	for (i = 0; i < out->n_docs; i++)
		part_free(&out->docs[i]);
	free(out->docs);
	out->docs = NULL;
	out->n_docs = 0;
	out->ref[0] = out->message_id[0] = out->recipient_fingerprint[0] = '\0';
	out->time = 0;
	out->version = 0;
}
