/*
 * case - see case.h.  Input is the agent's command line: untrusted in shape.
 */
#include "relay/case.h"
#include "relay/util.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

const char *
case_message_label(const char *kind, const char *direction)
{
	static const struct { const char *kind, *label; } labels[] = {
		{ "case", "dossier envoyé" },
		{ "follow-up", "complément envoyé" },
		{ "reminder", "relance envoyée" },
		{ "escalation", "transmission au niveau suivant" },
		{ "reply", "réponse reçue" },
		{ "auto-reply", "réponse automatique reçue" },
		{ "bounce", "avis de non-distribution reçu" },
	};
	size_t i;

	for (i = 0; kind != NULL && i < FS_ARRAY_LEN(labels); i++)
		if (strcmp(kind, labels[i].kind) == 0)
			return labels[i].label;
	return direction != NULL && strcmp(direction, "in") == 0 ? "message reçu" :
	    "message envoyé";
}

int
case_ref_format(char out[CASE_REF_LEN + 1], const char *insee, int year, long seq)
{
	if (strlen(insee) != 5 || seq < 1 || seq > 999999 || year < 2000 || year > 9999)
		return -1;
	snprintf(out, CASE_REF_LEN + 1, "FS-%s-%04d-%06ld", insee, year, seq);
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
case_ref_valid(const char *ref)
{
	/* INSEE codes are digits except Corsica's 2A/2B. */
	if (strlen(ref) != CASE_REF_LEN || strncmp(ref, "FS-", 3) != 0 ||
	    ref[8] != '-' || ref[13] != '-')
		return 0;
	if (!(all_digits(ref + 3, 5) || ((ref[3] == '2') &&
	    (ref[4] == 'A' || ref[4] == 'B') && all_digits(ref + 5, 3))))
		return 0;
	return all_digits(ref + 9, 4) && all_digits(ref + 14, 6);
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * overlongs, surrogates and code points past U+10FFFF are refused. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

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
	if (len > n)
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
check_bytes(const char *value, size_t len, int multiline, const char **why)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t i = 0, k;

	while (i < len) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			if (multiline && (s[i] == '\n' || s[i] == '\t' ||
			    (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))) {
				i++;
				continue;
			}
			*why = s[i] == '\r' || s[i] == '\n' ?
			    "retour à la ligne interdit" : "caractère de contrôle interdit";
			return -1;
		}
		if ((k = utf8_seq(s + i, len - i)) == 0) {
			*why = "texte non UTF-8";
			return -1;
		}
		i += k;
	}
	return 0;
}

int
case_field_check(const char *value, size_t max, int required, const char **why)
{
	size_t len = strlen(value);

	if (required && len == 0) {
		*why = "valeur vide";
		return -1;
	}
	if (len > max) {
		*why = "valeur trop longue (200 octets au plus)";
		return -1;
	}
	return check_bytes(value, len, 0, why);
}

int
case_text_check(const char *value, size_t len, size_t max, const char **why)
{
	if (len > max) {
		*why = "texte trop long";
		return -1;
	}
	if (memchr(value, '\0', len) != NULL) {
		*why = "octet nul interdit";
		return -1;
	}
	return check_bytes(value, len, 1, why);
}

/* Length of the blank character at s (ASCII space, TAB, CR, LF, or a
 * Unicode space: no-break, narrow no-break, figure, thin, zero-width,
 * ideographic, BOM), 0 if s does not start with one. */
static size_t
blank_len(const unsigned char *s, size_t left)
{
	static const char *const wide[] = { "\xc2\xa0", "\xe2\x80\xaf", "\xe2\x80\x87",
	    "\xe2\x80\x89", "\xe2\x80\x8b", "\xe3\x80\x80", "\xef\xbb\xbf" };
	size_t i, n;

	if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		return 1;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		n = strlen(wide[i]);
		if (left >= n && memcmp(s, wide[i], n) == 0)
			return n;
	}
	return 0;
}

int
case_description_check(const char *value, size_t len, size_t max, const char **why)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t i = 0, k;

	if (case_text_check(value, len, max, why) < 0)
		return -1;
	while (i < len && (k = blank_len(p + i, len - i)) > 0)
		i += k;
	if (i == len) {
		*why = len == 0 ? "vide" : "vide (seulement des espaces ou des retours à la ligne)";
		return -1;
	}
	return 0;
}

int
case_mandate_check(int sy, int sm, int sd, int y, int m, int d)
{
	long signed_on = (long)sy * 10000 + sm * 100 + sd;
	long today = (long)y * 10000 + m * 100 + d;
	long expires;

	if (today < signed_on)
		return -1;
	/* signed + 1 year; 29 Feb + 1 year is 1 Mar (no 29 Feb next year). */
	if (sm == 2 && sd == 29)
		expires = (long)(sy + 1) * 10000 + 301;
	else
		expires = (long)(sy + 1) * 10000 + sm * 100 + sd;
	return today < expires ? 0 : -2;
}

void
case_mandate_until(int sy, int sm, int sd, char out[11])
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = sy + 1, m = sm, d = sd;

	if (sm == 2 && sd == 29)
		m = 3, d = 1;		/* the first day it is no longer valid */
	if (--d == 0) {
		if (--m == 0)
			m = 12, y--;
		d = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	}
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	    (unsigned)d % 100u);
}

static const char *const scope_names[] = {
	"identite", "naissance", "identifiant", "nir", "documents",
};

int
case_scope_parse(const char *s, unsigned *scope, char *err, size_t errlen)
{
	const char *p = s;
	size_t i, n;

	*scope = 0;
	while (p != NULL && *p) {
		n = strcspn(p, ",");
		for (i = 0; i < 5; i++)
			if (strlen(scope_names[i]) == n && strncmp(p, scope_names[i], n) == 0)
				break;
		if (i == 5 || (*scope & (1u << i))) {
			snprintf(err, errlen, "--mandat-perimetre : « %.*s » %s (identite,"
			    " naissance, identifiant, nir, documents, séparés par des virgules)",
			    (int)(n > 40 ? 40 : n), p, i == 5 ? "inconnu" : "donné deux fois");
			return -1;
		}
		*scope |= 1u << i;
		p += n;
		if (*p == ',')
			p++;
	}
	if (*scope == 0) {
		snprintf(err, errlen, "--mandat-perimetre : vide");
		return -1;
	}
	return 0;
}

void
case_scope_format(unsigned scope, char out[64])
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < 5; i++)
		if (scope & (1u << i)) {
			if (out[0])
				fs_strlcat(out, ",", 64);
			fs_strlcat(out, scope_names[i], 64);
		}
}

unsigned
case_scope_of(const struct person *p)
{
	unsigned s;
	char err[8];

	if (p->mandat_perimetre[0] == '\0' ||
	    case_scope_parse(p->mandat_perimetre, &s, err, sizeof(err)) < 0)
		return CASE_SCOPE_ALL;
	return s;
}

static const struct {
	const char *key;
	size_t off, size;
} person_fields[] = {
#define F(n) { #n, offsetof(struct person, n), sizeof(((struct person *)0)->n) }
	F(nom), F(prenom), F(ne_le), F(id_partenaire), F(sollicite_le),
	F(mandat_signe_le), F(mandat_sha256), F(mandat_perimetre),
#undef F
};

int
person_encode(struct buf *out, const struct person *p)
{
	size_t i;

	for (i = 0; i < sizeof(person_fields) / sizeof(person_fields[0]); i++)
		if (buf_printf(out, "%s=%s\n", person_fields[i].key,
		    (const char *)p + person_fields[i].off) < 0)
			return -1;
	return 0;
}

int
person_decode(struct person *p, const char *text, size_t len)
{
	const char *end = text + len;

	memset(p, 0, sizeof(*p));
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		const char *eq = memchr(text, '=', nl ? (size_t)(nl - text) : (size_t)(end - text));
		size_t i, klen, vlen;

		if (nl == NULL || eq == NULL)
			return -1;
		klen = (size_t)(eq - text);
		vlen = (size_t)(nl - eq - 1);
		for (i = 0; i < sizeof(person_fields) / sizeof(person_fields[0]); i++)
			if (strlen(person_fields[i].key) == klen &&
			    memcmp(person_fields[i].key, text, klen) == 0)
				break;
		if (i == sizeof(person_fields) / sizeof(person_fields[0]) ||
		    vlen >= person_fields[i].size)
			return -1;
		memcpy((char *)p + person_fields[i].off, eq + 1, vlen);
		((char *)p + person_fields[i].off)[vlen] = '\0';
		text = nl + 1;
	}
	return 0;
}

/* ---- minimisation: the NIR ------------------------------------------- */

int
case_partner_takes_nir(const char *partner)
{
	static const char *const takers[] = { "cpam", "cnav", "msa" };
	size_t i;

	for (i = 0; partner && i < sizeof(takers) / sizeof(takers[0]); i++)
		if (strcmp(partner, takers[i]) == 0)
			return 1;
	return 0;
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The length of the separator at s (space, tab, dot, hyphen, or the
 * no-break, narrow no-break and thin spaces of word processors), or 0. */
static size_t
nir_separator(const char *s, const char *end)
{
	static const char *const wide[] = { "\xc2\xa0", "\xe2\x80\xaf", "\xe2\x80\x89" };
	size_t i, n;

	if (*s == ' ' || *s == '\t' || *s == '.' || *s == '-')
		return 1;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		n = strlen(wide[i]);
		if ((size_t)(end - s) >= n && memcmp(s, wide[i], n) == 0)
			return n;
	}
	return 0;
}

/*
 * The 15 significant characters of a NIR starting at p into out: in one
 * piece, or in its usual groups 1 2 2 2 3 3 2 with one separator between
 * two groups.  The length read, or 0.
 */
static size_t
nir_read(const char *p, const char *end, char out[15])
{
	const char *s = p;
	size_t n = 0, sep;

	while (n < 15 && s < end) {
		char c = *s;

		if (n == 6 && (c == 'A' || c == 'a' || c == 'B' || c == 'b'))
			out[n++] = (char)(c & ~0x20);	/* 2A / 2B */
		else if (c >= '0' && c <= '9')
			out[n++] = c;
		else if ((n == 1 || n == 3 || n == 5 || n == 7 || n == 10 || n == 13) &&
		    (sep = nir_separator(s, end)) > 0 && s[-1] != ' ' && s[-1] != '\t' &&
		    s[-1] != '.' && s[-1] != '-' && s + sep < end && is_alnum(s[sep]))
			s += sep - 1;	/* one separator between two groups */
		else
			return 0;
		s++;
	}
	if (n < 15 || (s < end && is_alnum(*s)))
		return 0;
	return (size_t)(s - p);
}

static int
nir_valid(const char d[15])
{
	unsigned long long v = 0;
	int month = (d[3] - '0') * 10 + (d[4] - '0'), key, i;

	if (strchr("123478", d[0]) == NULL || (d[5] != '2' && (d[6] == 'A' || d[6] == 'B')) ||
	    (d[5] == '0' && d[6] == '0') || month == 0 || (month > 12 && month < 20))
		return 0;
	for (i = 0; i < 13; i++) {
		int digit = d[i] - '0';

		/* Corsica: 2A counts as 19, 2B as 18 (the département's digits). */
		if (i == 5 && (d[6] == 'A' || d[6] == 'B')) {
			v = v * 100 + (d[6] == 'A' ? 19 : 18);
			i++;
			continue;
		}
		v = v * 10 + (unsigned long long)digit;
	}
	key = (d[13] - '0') * 10 + (d[14] - '0');
	return key == 97 - (int)(v % 97);
}

int
case_find_nir(const char *text, size_t len)
{
	const char *end = text + len, *p;
	char d[15];

	for (p = text; p < end; p++) {
		if (*p < '1' || *p > '8' || (p > text && is_alnum(p[-1])))
			continue;
		if (nir_read(p, end, d) > 0 && nir_valid(d))
			return 1;
	}
	return 0;
}

int
case_nir_check(const char *partner, const char *text, size_t len, const char **why)
{
	if (case_partner_takes_nir(partner) || !case_find_nir(text, len))
		return 0;
	*why = "contient un numéro de sécurité sociale (NIR), que seules la CPAM, la CNAV"
	    " et la MSA reçoivent : retirez-le (données strictement nécessaires,"
	    " convention art. 4.6)";
	return -1;
}
