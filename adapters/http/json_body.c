/*
 * json_body - the body of an API request sent as application/json: one
 * flat object whose members become the request's fields, as if the same
 * names and values had been posted as a form (the routes and the core see
 * no difference).  Strings are taken as they are (escapes decoded, \u0000
 * refused), true as "1", numbers as their text; false and null leave the
 * field out.  A nested object or array, a duplicate or too many members,
 * a name too long, trailing bytes: the body is refused whole (400).
 * Files cannot come this way: a piece needs multipart (docs/web.md).
 */
#include "adapters/http/http_int.h"

#include <string.h>

struct jp {
	const char	*p, *end;
};

static void
ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hex4(const char *p, unsigned *v)
{
	unsigned i, c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			c = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | c;
	}
	return 0;
}

static int
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* A JSON string at j->p (the opening quote) appended to b (which stays
 * NUL-terminated).
 * Raw control characters and \u0000 are refused; the core checks UTF-8. */
static int
string(struct jp *j, struct buf *b)
{
	unsigned cp, lo;

	if (j->p >= j->end || *j->p != '"' || buf_append(b, "", 0) < 0)
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if ((unsigned char)*j->p < 0x20)
			return -1;
		if (*j->p != '\\') {
			if (buf_append(b, j->p++, 1) < 0)
				return -1;
			continue;
		}
		if (++j->p >= j->end)
			return -1;
		switch (*j->p) {
		case '"': case '\\': case '/':
			if (buf_append(b, j->p, 1) < 0)
				return -1;
			break;
		case 'b': if (buf_append(b, "\b", 1) < 0) return -1; break;
		case 'f': if (buf_append(b, "\f", 1) < 0) return -1; break;
		case 'n': if (buf_append(b, "\n", 1) < 0) return -1; break;
		case 'r': if (buf_append(b, "\r", 1) < 0) return -1; break;
		case 't': if (buf_append(b, "\t", 1) < 0) return -1; break;
		case 'u':
			if (j->end - j->p < 5 || hex4(j->p + 1, &cp) < 0 || cp == 0)
				return -1;
			j->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {	/* a surrogate pair */
				if (j->end - j->p < 7 || j->p[1] != '\\' || j->p[2] != 'u' ||
				    hex4(j->p + 3, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				j->p += 6;
			}
			if (put_utf8(b, cp) < 0)
				return -1;
			break;
		default:
			return -1;
		}
		j->p++;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	return 0;
}

/* A number's text as it is (-?digits[.digits][e[+-]digits]). */
static int
number(struct jp *j, struct buf *b)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return -1;
	while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' ||
	    *j->p == 'e' || *j->p == 'E' || *j->p == '+' || *j->p == '-'))
		j->p++;
	return buf_append(b, s, (size_t)(j->p - s));
}

static int
word(struct jp *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

/* One member's value into a new field named name (kept: 1) or nothing
 * (false, null: 0); -1 refused.  Values are NUL-terminated (struct buf). */
static int
member(struct req *q, struct jp *j, const char *name)
{
	struct field *f;
	int r;

	if (word(j, "false") == 0 || word(j, "null") == 0)
		return 0;
	if (req_field(q, name) != NULL || q->n_fields >= WEB_FIELDS_MAX)
		return -1;
	f = &q->fields[q->n_fields++];
	memset(f, 0, sizeof(*f));
	fs_strlcpy(f->name, name, sizeof(f->name));
	buf_init(&f->value, q->body_max);
	if (word(j, "true") == 0)
		r = buf_append(&f->value, "1", 1);
	else if (j->p < j->end && *j->p == '"')
		r = string(j, &f->value);
	else
		r = number(j, &f->value);
	return r < 0 ? -1 : 1;
}

int
req_json_fields(struct req *q)
{
	struct jp j = { q->raw.p ? q->raw.p : "", (q->raw.p ? q->raw.p : "") + q->raw.len };
	struct buf name;
	int r = -1;

	buf_init(&name, WEB_FIELD_NAME_MAX - 1);	/* f->name keeps the NUL */
	ws(&j);
	if (j.p >= j.end || *j.p++ != '{')
		goto out;
	ws(&j);
	if (j.p < j.end && *j.p == '}')
		j.p++;
	else
		for (;;) {
			ws(&j);
			name.len = 0;
			if (string(&j, &name) < 0 || name.len == 0 || strlen(name.p) != name.len)
				goto out;
			ws(&j);
			if (j.p >= j.end || *j.p++ != ':')
				goto out;
			ws(&j);
			if (member(q, &j, name.p) < 0)
				goto out;
			ws(&j);
			if (j.p < j.end && *j.p == ',') {
				j.p++;
				continue;
			}
			if (j.p < j.end && *j.p == '}') {
				j.p++;
				break;
			}
			goto out;
		}
	ws(&j);
	r = j.p == j.end ? 0 : -1;
out:
	buf_free(&name);
	return r;
}
