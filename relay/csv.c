/*
 * csv - a bounded RFC 4180 reader (see csv.h).  Trusts nothing in its
 * input: every byte is checked (UTF-8, no NUL) before parsing, and every
 * field, row and buffer is bounded.
 */
#include "relay/csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int	csv_fail(struct csv_reader *, size_t, const char **,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static size_t	csv_utf8_len(const unsigned char *, size_t);
static size_t	csv_line_at(const struct csv_reader *, size_t);
static int	csv_check_bytes(struct csv_reader *, const char **);
static void	csv_skip_blank(struct csv_reader *);
static int	csv_put(struct csv_reader *, const char *, size_t, const char **);
static int	csv_read_plain(struct csv_reader *, const char **);
static int	csv_read_quoted(struct csv_reader *, const char **);
static int	csv_read_field(struct csv_reader *, const char **);
static int	csv_field_end(struct csv_reader *, int *, const char **);

/* Record "ligne N : <message>" and return -1; the reader stays failed. */
static int
csv_fail(struct csv_reader *r, size_t line, const char **errstr,
    const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "ligne %zu : %s", line, msg);
	r->failed = 1;
	if (errstr != NULL)
		*errstr = r->err;
	return -1;
}

/*
 * Length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) at s, or 0 if it is not valid.
 */
static size_t
csv_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* The line number (from 1) of byte off. */
static size_t
csv_line_at(const struct csv_reader *r, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off && i < r->len; i++)
		if (r->p[i] == '\n')
			line++;
	return line;
}

/* Reject NUL bytes and invalid UTF-8 anywhere in the buffer. */
static int
csv_check_bytes(struct csv_reader *r, const char **errstr)
{
	const unsigned char *s = (const unsigned char *)r->p;
	size_t i = 0, n;

	while (i < r->len) {
		if (s[i] == '\0')
			return csv_fail(r, csv_line_at(r, i), errstr,
			    "octet NUL interdit");
		n = csv_utf8_len(s + i, r->len - i);
		if (n == 0)
			return csv_fail(r, csv_line_at(r, i), errstr,
			    "texte qui n'est pas de l'UTF-8 valide");
		i += n;
	}
	return 0;
}

int
csv_reader_init(struct csv_reader *r, const char *p, size_t len,
    const char **errstr)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = len;
	r->line = 1;
	buf_init(&r->data, (size_t)CSV_MAX_FIELDS * (CSV_MAX_FIELD + 1) + 1);
	if (p == NULL && len != 0)
		return csv_fail(r, 1, errstr, "tampon absent");
	if (len > CSV_MAX_SIZE)
		return csv_fail(r, 1, errstr,
		    "fichier trop gros (plus de %lu octets)", CSV_MAX_SIZE);
	if (csv_check_bytes(r, errstr) == -1)
		return -1;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		r->off = 3;
	return 0;
}

/* Skip empty lines (LF or CRLF with nothing before them). */
static void
csv_skip_blank(struct csv_reader *r)
{
	for (;;) {
		if (r->off < r->len && r->p[r->off] == '\n')
			r->off++;
		else if (r->len - r->off >= 2 && r->p[r->off] == '\r' &&
		    r->p[r->off + 1] == '\n')
			r->off += 2;
		else
			return;
		r->line++;
	}
}

/* Append n bytes to the current field, enforcing CSV_MAX_FIELD. */
static int
csv_put(struct csv_reader *r, const char *s, size_t n, const char **errstr)
{
	size_t have = r->data.len - r->start[r->nfields];

	if (n > CSV_MAX_FIELD || have > CSV_MAX_FIELD - n ||
	    buf_append(&r->data, s, n) == -1)
		return csv_fail(r, r->line, errstr,
		    "champ trop long (plus de %d octets)", CSV_MAX_FIELD);
	return 0;
}

/* An unquoted field: up to a comma, a line end or the end of input. */
static int
csv_read_plain(struct csv_reader *r, const char **errstr)
{
	size_t i = r->off;
	char c;

	while (i < r->len) {
		c = r->p[i];
		if (c == ',' || c == '\n')
			break;
		if (c == '\r') {
			if (i + 1 < r->len && r->p[i + 1] == '\n')
				break;
			return csv_fail(r, r->line, errstr,
			    "retour chariot isolé hors guillemets");
		}
		if (c == '"')
			return csv_fail(r, r->line, errstr,
			    "guillemet dans un champ non entre guillemets");
		i++;
	}
	if (csv_put(r, r->p + r->off, i - r->off, errstr) == -1)
		return -1;
	r->off = i;
	return 0;
}

/* A quoted field: r->off is on the opening quote. */
static int
csv_read_quoted(struct csv_reader *r, const char **errstr)
{
	size_t qline = r->line, i;

	r->off++;
	for (;;) {
		i = r->off;
		while (i < r->len && r->p[i] != '"') {
			if (r->p[i] == '\n')
				r->line++;
			i++;
		}
		if (i >= r->len)
			return csv_fail(r, qline, errstr,
			    "guillemet non fermé");
		if (csv_put(r, r->p + r->off, i - r->off, errstr) == -1)
			return -1;
		if (i + 1 < r->len && r->p[i + 1] == '"') {
			if (csv_put(r, "\"", 1, errstr) == -1)
				return -1;
			r->off = i + 2;
			continue;
		}
		r->off = i + 1;
		return 0;
	}
}

/* Read one field into r->data and NUL-terminate it. */
static int
csv_read_field(struct csv_reader *r, const char **errstr)
{
	int rc;

	if (r->nfields >= CSV_MAX_FIELDS)
		return csv_fail(r, r->line, errstr,
		    "trop de champs (maximum %d)", CSV_MAX_FIELDS);
	r->start[r->nfields] = r->data.len;
	if (r->off < r->len && r->p[r->off] == '"')
		rc = csv_read_quoted(r, errstr);
	else
		rc = csv_read_plain(r, errstr);
	if (rc == -1)
		return -1;
	if (buf_append(&r->data, "", 1) == -1)
		return csv_fail(r, r->line, errstr, "ligne trop longue");
	r->nfields++;
	return 0;
}

/*
 * After a field: a comma (another field follows), a line end or the end of
 * input (*last set), or anything else (an error: text after a closing
 * quote).
 */
static int
csv_field_end(struct csv_reader *r, int *last, const char **errstr)
{
	*last = 0;
	if (r->off >= r->len) {
		*last = 1;
		return 0;
	}
	switch (r->p[r->off]) {
	case ',':
		r->off++;
		return 0;
	case '\n':
		r->off++;
		break;
	case '\r':
		if (r->off + 1 < r->len && r->p[r->off + 1] == '\n') {
			r->off += 2;
			break;
		}
		return csv_fail(r, r->line, errstr,
		    "retour chariot isolé après un guillemet fermant");
	default:
		return csv_fail(r, r->line, errstr,
		    "caractère inattendu après un guillemet fermant");
	}
	r->line++;
	*last = 1;
	return 0;
}

int
csv_next_row(struct csv_reader *r, char ***fields_r, size_t *n_r,
    const char **errstr)
{
	size_t i;
	int last = 0;

	*fields_r = NULL;
	*n_r = 0;
	if (r->failed) {
		if (errstr != NULL)
			*errstr = r->err;
		return -1;
	}
	csv_skip_blank(r);
	if (r->off >= r->len)
		return 0;
	if (r->rows >= CSV_MAX_ROWS)
		return csv_fail(r, r->line, errstr,
		    "trop de lignes (maximum %d)", CSV_MAX_ROWS);
	r->row_line = r->line;
	r->nfields = 0;
	r->data.len = 0;
	while (!last) {
		if (csv_read_field(r, errstr) == -1 ||
		    csv_field_end(r, &last, errstr) == -1)
			return -1;
	}
	for (i = 0; i < r->nfields; i++)
		r->fields[i] = r->data.p + r->start[i];
	r->rows++;
	*fields_r = r->fields;
	*n_r = r->nfields;
	return 1;
}

size_t
csv_row_line(const struct csv_reader *r)
{
	return r->row_line;
}

void
csv_reader_free(struct csv_reader *r)
{
	buf_free(&r->data);
	memset(r->fields, 0, sizeof(r->fields));
	r->nfields = 0;
	r->p = NULL;
	r->len = r->off = 0;
}
