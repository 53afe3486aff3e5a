/*
 * test_csv - the RFC 4180 reader: quoting, line ends, BOM, line numbers,
 * and every refusal (unclosed quote, NUL, bad UTF-8, bare CR, limits).
 */
#include <stdlib.h>
#include <string.h>

#include "relay/csv.h"
#include "relay/util.h"
#include "tests/unit/t.h"

/* Parse s whole; join the rows as "f1|f2;f1|f2;" into out.  Returns the
 * last csv_next_row code (0 at a clean end, -1 on error) and copies the
 * error (the reader's own text dies with the reader) into *errstr. */
static int
parse_all(const char *s, size_t len, char *out, size_t outlen,
    const char **errstr)
{
	static char errbuf[200];
	struct csv_reader r;
	const char *e = NULL;
	char **f;
	size_t n, i;
	int rc;

	out[0] = '\0';
	errbuf[0] = '\0';
	*errstr = NULL;
	if (csv_reader_init(&r, s, len, &e) == -1)
		rc = -1;
	else
		while ((rc = csv_next_row(&r, &f, &n, &e)) == 1)
			for (i = 0; i < n; i++) {
				fs_strlcat(out, f[i], outlen);
				fs_strlcat(out, i + 1 < n ? "|" : ";", outlen);
			}
	if (rc == -1 && e != NULL) {
		fs_strlcpy(errbuf, e, sizeof(errbuf));
		*errstr = errbuf;
	}
	csv_reader_free(&r);
	return rc;
}

/* The error text of parsing s, or "" when it parses. */
static const char *
error_of(const char *s, size_t len)
{
	char out[4096];
	const char *errstr;

	if (parse_all(s, len, out, sizeof(out), &errstr) == -1 && errstr)
		return errstr;
	return "";
}

static void
test_basic(void)
{
	char out[512];
	const char *errstr;
	const char *s;

	s = "a,b,c\nd,e,f\n";
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "a|b|c;d|e|f;");

	s = "a,b\r\nc,d\r\n";	/* CRLF */
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "a|b;c|d;");

	s = "a,b\nc,d";		/* no final line end */
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "a|b;c|d;");

	s = "\xef\xbb\xbfpartner,x\n";	/* BOM stripped */
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "partner|x;");

	s = ",,\na,\n";		/* empty fields, trailing comma */
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "||;a|;");

	s = "a\n\n\r\nb\n\n";	/* empty lines skipped */
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "a;b;");

	s = " a , b \n";	/* no trimming */
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, " a | b ;");

	CHECK_INT(parse_all("", 0, out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "");
	CHECK_INT(parse_all(NULL, 0, out, sizeof(out), &errstr), 0);
}

static void
test_quoted(void)
{
	char out[512];
	const char *errstr;
	const char *s;

	s = "\"a,b\",\"say \"\"hi\"\"\",\"\"\n";
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "a,b|say \"hi\"|;");

	s = "x,\"line1\nline2\r\nline3\",y\nz\n";
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "x|line1\nline2\r\nline3|y;z;");

	s = "\"é, à\",\"ü\"\r\n";
	CHECK_INT(parse_all(s, strlen(s), out, sizeof(out), &errstr), 0);
	CHECK_STR(out, "é, à|ü;");
}

static void
test_lines(void)
{
	struct csv_reader r;
	const char *errstr;
	const char *s = "h\n\"a\nb\"\n\nc\n";
	char **f;
	size_t n;

	CHECK_INT(csv_reader_init(&r, s, strlen(s), &errstr), 0);
	CHECK_INT(csv_next_row(&r, &f, &n, &errstr), 1);
	CHECK_INT(csv_row_line(&r), 1);
	CHECK_INT(csv_next_row(&r, &f, &n, &errstr), 1);
	CHECK_INT(csv_row_line(&r), 2);
	CHECK_STR(f[0], "a\nb");
	CHECK_INT(csv_next_row(&r, &f, &n, &errstr), 1);
	CHECK_INT(csv_row_line(&r), 5);
	CHECK_STR(f[0], "c");
	CHECK_INT(n, 1);
	CHECK_INT(csv_next_row(&r, &f, &n, &errstr), 0);
	CHECK(f == NULL);
	csv_reader_free(&r);
}

static void
test_errors(void)
{
	struct csv_reader r;
	const char *errstr = NULL;
	const char *s;
	char **f;
	size_t n;

	s = "a,b\nc,\"d\ne\n";
	CHECK_STR(error_of(s, strlen(s)), "ligne 2 : guillemet non fermé");
	CHECK_STR(error_of("a\n\"b\"c\n", 7),
	    "ligne 2 : caractère inattendu après un guillemet fermant");
	CHECK_STR(error_of("a\nb\"c\n", 6),
	    "ligne 2 : guillemet dans un champ non entre guillemets");
	CHECK_STR(error_of("a\rb\n", 4),
	    "ligne 1 : retour chariot isolé hors guillemets");
	CHECK_STR(error_of("a\r", 2),
	    "ligne 1 : retour chariot isolé hors guillemets");
	CHECK_STR(error_of("\"a\"\rb", 5),
	    "ligne 1 : retour chariot isolé après un guillemet fermant");
	CHECK_STR(error_of("a\nb\0c\n", 6), "ligne 2 : octet NUL interdit");
	CHECK_STR(error_of("a\n\n\xc3\n", 5),
	    "ligne 3 : texte qui n'est pas de l'UTF-8 valide");
	/* overlong '/', surrogate, beyond U+10FFFF, stray continuation */
	CHECK(strstr(error_of("\xc0\xaf", 2), "UTF-8") != NULL);
	CHECK(strstr(error_of("\xed\xa0\x80", 3), "UTF-8") != NULL);
	CHECK(strstr(error_of("\xf4\x90\x80\x80", 4), "UTF-8") != NULL);
	CHECK(strstr(error_of("\x80", 1), "UTF-8") != NULL);
	CHECK(strstr(error_of("\xe0\x80\x80", 3), "UTF-8") != NULL);
	CHECK_STR(error_of("\xf0\x9f\x98\x80", 4), "");	/* emoji is fine */

	/* once failed, always failed */
	s = "\"a";
	CHECK_INT(csv_reader_init(&r, s, strlen(s), &errstr), 0);
	CHECK_INT(csv_next_row(&r, &f, &n, &errstr), -1);
	errstr = NULL;
	CHECK_INT(csv_next_row(&r, &f, &n, &errstr), -1);
	CHECK_STR(errstr, "ligne 1 : guillemet non fermé");
	csv_reader_free(&r);
}

static void
test_limits(void)
{
	char *s, out[64];
	const char *errstr;
	size_t i, len;

	/* 64 fields fit, 65 do not */
	s = xmalloc(200);
	for (i = 0; i < 64; i++)
		s[i] = ',';
	s[63] = '\n';
	CHECK_INT(parse_all(s, 64, out, sizeof(out), &errstr), 0);
	s[63] = ',';
	s[64] = '\n';
	CHECK_STR(error_of(s, 65), "ligne 1 : trop de champs (maximum 64)");
	free(s);

	/* a field of CSV_MAX_FIELD bytes fits, one more does not */
	s = xmalloc(CSV_MAX_FIELD + 4);
	memset(s, 'x', CSV_MAX_FIELD + 1);
	CHECK_STR(error_of(s, CSV_MAX_FIELD), "");
	CHECK_STR(error_of(s, CSV_MAX_FIELD + 1),
	    "ligne 1 : champ trop long (plus de 4096 octets)");
	s[0] = '"';
	s[CSV_MAX_FIELD + 1] = '"';
	CHECK_STR(error_of(s, CSV_MAX_FIELD + 2), "");
	s[CSV_MAX_FIELD + 2] = '"';
	s[CSV_MAX_FIELD + 3] = '"';
	CHECK_STR(error_of(s, CSV_MAX_FIELD + 4),
	    "ligne 1 : champ trop long (plus de 4096 octets)");
	free(s);

	/* CSV_MAX_ROWS rows fit, one more does not */
	len = 2 * (CSV_MAX_ROWS + 1);
	s = xmalloc(len);
	for (i = 0; i < len; i += 2) {
		s[i] = 'a';
		s[i + 1] = '\n';
	}
	CHECK_STR(error_of(s, len - 2), "");
	CHECK_STR(error_of(s, len), "ligne 100001 : trop de lignes "
	    "(maximum 100000)");
	free(s);

	/* the buffer itself is bounded */
	len = CSV_MAX_SIZE + 1;
	s = xmalloc(len);
	memset(s, 'a', len);
	CHECK(strstr(error_of(s, len), "fichier trop gros") != NULL);
	free(s);
}

int
main(void)
{
	test_basic();
	test_quoted();
	test_lines();
	test_errors();
	test_limits();
	return t_done();
}
