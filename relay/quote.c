/*
 * quote - fold quoted history out of a reply (see quote.h).
 *
 * Trusts: nothing; the text is the untrusted body of a mail.  Works line by
 * line on copies bounded by the input; no allocation grows with anything
 * but the input length.
 */
#include "relay/quote.h"
#include "relay/util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_CMP_MAX	600	/* longer lines are never separators */

struct line {
	const char	*p;
	size_t		 n;	/* without CR/LF */
};

struct lines {
	struct line	*v;
	size_t		 n;
};

static void
split_lines(const char *text, struct lines *ls)
{
	const char *p = text, *nl;
	size_t n, cap = 0;

	ls->v = NULL;
	ls->n = 0;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (ls->n == cap) {
			cap = cap ? cap * 2 : 64;
			ls->v = xreallocarray(ls->v, cap, sizeof(*ls->v));
		}
		ls->v[ls->n].p = p;
		ls->v[ls->n].n = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
		ls->n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/*
 * Normalise a line for matching into out (size LINE_CMP_MAX + 1): NBSP and
 * narrow NBSP become spaces, runs of blanks one space, both ends trimmed.
 * -1 when the line is too long to be a separator.
 */
static int
norm(const struct line *l, char *out)
{
	size_t i, j = 0;
	const unsigned char *s = (const unsigned char *)l->p;
	int sp = 0;

	if (l->n > LINE_CMP_MAX)
		return -1;
	for (i = 0; i < l->n; i++) {
		if (s[i] == 0xc2 && i + 1 < l->n && s[i + 1] == 0xa0) {
			i++;
			sp = 1;
		} else if (s[i] == 0xe2 && i + 2 < l->n && s[i + 1] == 0x80 &&
		    s[i + 2] == 0xaf) {
			i += 2;
			sp = 1;
		} else if (s[i] == ' ' || s[i] == '\t')
			sp = 1;
		else {
			if (sp && j > 0)
				out[j++] = ' ';
			sp = 0;
			out[j++] = (char)s[i];
		}
	}
	out[j] = '\0';
	return 0;
}

static int
blank(const struct line *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t')
			return 0;
	return 1;
}

static int
quoted(const struct line *l)
{
	size_t i = 0;

	while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	return i < l->n && l->p[i] == '>';
}

static int
starts_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* "Le … a écrit :" / "On … wrote:" in one normalised string. */
static int
attribution_text(const char *s)
{
	if (!starts_ci(s, "Le ") && !starts_ci(s, "On ") &&
	    !starts_ci(s, "Am "))
		return 0;
	return ends_with(s, "a écrit :") || ends_with(s, "a écrit:") ||
	    ends_with(s, "wrote:") || ends_with(s, "wrote :") ||
	    ends_with(s, "schrieb:");
}

/* Lines (1 or 2) the attribution at i spans, 0 if none. */
static size_t
attribution(const struct lines *ls, size_t i)
{
	char a[LINE_CMP_MAX + 1], b[LINE_CMP_MAX + 1];
	char joined[2 * LINE_CMP_MAX + 2];

	if (norm(&ls->v[i], a) == -1)
		return 0;
	if (attribution_text(a))
		return 1;
	if (i + 1 >= ls->n || norm(&ls->v[i + 1], b) == -1 ||
	    (!starts_ci(a, "Le ") && !starts_ci(a, "On ")))
		return 0;
	fs_strlcpy(joined, a, sizeof(joined));
	fs_strlcat(joined, " ", sizeof(joined));
	fs_strlcat(joined, b, sizeof(joined));
	return attribution_text(joined) ? 2 : 0;
}

/* Does the '>' block at i open with a quoted attribution (Apple Mail)? */
static int quoted_attribution(const struct lines *ls, size_t i);

/* "-----Original Message-----" and friends. */
static int
separator_line(const char *s)
{
	static const char *const seps[] = { "original message",
	    "message d'origine", "message d’origine", "mail original",
	    "message original", "original email", "courriel original",
	    NULL };
	const char *const *k;
	size_t n = strlen(s);

	if (n < 8 || s[0] != '-' || s[1] != '-' || s[n - 1] != '-')
		return 0;
	for (k = seps; *k != NULL; k++)
		if (strcasestr(s, *k) != NULL)
			return 1;
	return 0;
}

static int
header_like(const char *s, const char *const *names)
{
	const char *const *k;
	size_t n;

	for (k = names; *k != NULL; k++) {
		n = strlen(*k);
		if (strncasecmp(s, *k, n) == 0 && (s[n] == ':' ||
		    (s[n] == ' ' && s[n + 1] == ':')))
			return 1;
	}
	return 0;
}

/* Outlook header block: "De : …" / "From: …" with "Envoyé : …" / "Sent:"
 * / "Date :" within the next four lines.  Also the "____" rule above it. */
static int
outlook_block(const struct lines *ls, size_t i)
{
	static const char *const from[] = { "De", "From", "*De", "*From",
	    "Von", NULL };
	static const char *const sent[] = { "Envoyé", "Sent", "Date",
	    "*Envoyé", "*Sent", "*Date", "Gesendet", NULL };
	char a[LINE_CMP_MAX + 1], b[LINE_CMP_MAX + 1];
	size_t j, first = i;

	if (norm(&ls->v[i], a) == -1)
		return 0;
	if (strlen(a) >= 10 && strspn(a, "_") == strlen(a)) {
		/* the rule: look at the next non-blank line */
		for (first = i + 1; first < ls->n && blank(&ls->v[first]);
		    first++)
			;
		if (first >= ls->n || norm(&ls->v[first], a) == -1)
			return 0;
	}
	if (!header_like(a, from))
		return 0;
	for (j = first + 1; j < ls->n && j <= first + 4; j++)
		if (norm(&ls->v[j], b) == 0 && header_like(b, sent))
			return 1;
	return 0;
}

static int
put_line(struct buf *out, const struct line *l)
{
	if (buf_append(out, l->p, l->n) == -1 || buf_append(out, "\n", 1) == -1)
		return -1;
	return 0;
}

/* End of the '>' block starting at i (blank lines inside are part of it). */
static size_t
quote_block_end(const struct lines *ls, size_t i)
{
	size_t j = i, last = i;

	while (j < ls->n && (quoted(&ls->v[j]) || blank(&ls->v[j]))) {
		if (quoted(&ls->v[j]))
			last = j;
		j++;
	}
	return last + 1;
}

static int
quoted_attribution(const struct lines *ls, size_t i)
{
	struct line l = ls->v[i];
	struct lines one = { &l, 1 };

	while (l.n > 0 && (*l.p == '>' || *l.p == ' ' || *l.p == '\t')) {
		l.p++;
		l.n--;
	}
	return attribution(&one, 0) > 0;
}

/* Remove trailing blanks and blank lines; end with exactly one LF. */
static size_t
skip_blank(const struct lines *ls, size_t i)
{
	while (i < ls->n && blank(&ls->v[i]))
		i++;
	return i;
}

static void
trim_trailing_blank(struct buf *out)
{
	size_t n = out->len;

	while (n > 0 && (out->p[n - 1] == '\n' || out->p[n - 1] == ' ' ||
	    out->p[n - 1] == '\t'))
		n--;
	if (n == out->len) {
		if (n > 0)
			(void)buf_append(out, "\n", 1);
		return;
	}
	out->len = n;
	if (n > 0)
		out->p[out->len++] = '\n';	/* a byte we removed */
	out->p[out->len] = '\0';
}

/* Append the mark, after trimming blank lines before it. */
static int
put_mark(struct buf *out)
{
	trim_trailing_blank(out);
	if (out->len > 0 && buf_puts(out, "\n") == -1)
		return -1;
	return buf_puts(out, QUOTE_MARK "\n\n");
}

/* Does out hold anything but marks and blanks? */
static int
has_text(const struct buf *out)
{
	const char *p = out->p, *nl;
	size_t n;

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0 && !(n == strlen(QUOTE_MARK) &&
		    memcmp(p, QUOTE_MARK, n) == 0) &&
		    strspn(p, " \t") < n)
			return 1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

/* ---- proof: does a block repeat text the thread already holds? ---- */

#define GRAM_MAX	3	/* words per n-gram */
#define PROVEN_PCT	60	/* % of a block's n-grams found in the thread */

/* Sorted hashes of the thread's 1-, 2- and 3-grams of words. */
struct known {
	uint64_t	*g[GRAM_MAX];
	size_t		 n[GRAM_MAX];
};

struct words {
	uint64_t	*h;	/* FNV-1a of each word, lowercased */
	size_t		 n, cap;
};

/* Letters, digits and any non-ASCII byte: punctuation, '>' marks,
 * emphasis and rules are not part of a word. */
static int
word_byte(unsigned char c)
{
	return c >= 0x80 || isalnum(c);
}

/* The words of p[0..n). */
static void
words_add(struct words *w, const char *p, size_t n)
{
	size_t i = 0, j;
	uint64_t h;

	while (i < n) {
		while (i < n && !word_byte((unsigned char)p[i]))
			i++;
		for (j = i, h = 1469598103934665603ULL; j < n && word_byte((unsigned char)p[j]); j++)
			h = (h ^ (uint64_t)(unsigned char)tolower((unsigned char)p[j])) *
			    1099511628211ULL;
		if (j == i)
			break;
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 256;
			w->h = xreallocarray(w->h, w->cap, sizeof(*w->h));
		}
		w->h[w->n++] = h;
		i = j;
	}
}

static uint64_t
gram(const struct words *w, size_t at, size_t k)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < k; i++)
		h = (h ^ w->h[at + i]) * 1099511628211ULL + (uint64_t)i;
	return h;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
known_init(struct known *k, const char *text, size_t len)
{
	struct words w = { NULL, 0, 0 };
	size_t g, i;

	memset(k, 0, sizeof(*k));
	if (text == NULL || len == 0)
		return;
	words_add(&w, text, len);
	for (g = 0; g < GRAM_MAX; g++) {
		if (w.n < g + 1)
			break;
		k->n[g] = w.n - g;
		k->g[g] = xreallocarray(NULL, k->n[g], sizeof(uint64_t));
		for (i = 0; i < k->n[g]; i++)
			k->g[g][i] = gram(&w, i, g + 1);
		qsort(k->g[g], k->n[g], sizeof(uint64_t), cmp_u64);
	}
	free(w.h);
}

static void
known_free(struct known *k)
{
	size_t g;

	for (g = 0; g < GRAM_MAX; g++)
		free(k->g[g]);
	memset(k, 0, sizeof(*k));
}

/* A header line of a client's quoted block (not the quoted text itself). */
static int
quoted_header(const struct line *l)
{
	static const char *const names[] = { "De", "From", "Envoyé", "Sent", "Date", "À",
	    "A", "To", "Cc", "Objet", "Subject", "Von", "An", "Betreff", "Gesendet", NULL };
	char a[LINE_CMP_MAX + 1];
	const char *p;

	if (norm(l, a) == -1)
		return 0;
	for (p = a; *p == '>' || *p == ' ' || *p == '*'; p++)
		;
	return header_like(p, names) || separator_line(p) ||
	    (strlen(p) >= 10 && strspn(p, "_-") == strlen(p));
}

/*
 * Is lines [from, to) a quote of the thread: at least PROVEN_PCT % of its
 * word n-grams (trigrams; shorter blocks, their one or two words) occur in
 * the known text?  Rewrapping does not matter, words do.  A block of
 * headers only is the client's, not the referent's.
 */
static int
proven(const struct known *k, const struct lines *ls, size_t from, size_t to)
{
	struct words w = { NULL, 0, 0 };
	size_t i, g, hit = 0, total;
	uint64_t h;
	int r;

	for (i = from; i < to; i++)
		if (!quoted_header(&ls->v[i]) && attribution(ls, i) == 0)
			words_add(&w, ls->v[i].p, ls->v[i].n);
	if (w.n == 0) {
		free(w.h);
		return 1;
	}
	g = w.n < GRAM_MAX ? w.n : GRAM_MAX;
	if (k->n[g - 1] == 0) {
		free(w.h);
		return 0;
	}
	total = w.n - g + 1;
	for (i = 0; i < total; i++) {
		h = gram(&w, i, g);
		hit += bsearch(&h, k->g[g - 1], k->n[g - 1], sizeof(h), cmp_u64) != NULL;
	}
	r = hit * 100 >= total * PROVEN_PCT;
	free(w.h);
	return r;
}

/* The next line from i on that opens a block of history (a '>' line, an
 * attribution, a separator, an Outlook header block), or ls->n: a block's
 * proof is judged on its own lines, not on a later quote's. */
static size_t
next_marker(const struct lines *ls, size_t i)
{
	char a[LINE_CMP_MAX + 1];

	for (; i < ls->n; i++)
		if (quoted(&ls->v[i]) || attribution(ls, i) > 0 || outlook_block(ls, i) ||
		    (norm(&ls->v[i], a) == 0 && separator_line(a)))
			return i;
	return ls->n;
}

static int
put_lines(struct buf *out, const struct lines *ls, size_t from, size_t to)
{
	for (; from < to; from++)
		if (put_line(out, &ls->v[from]) == -1)
			return -1;
	return 0;
}

/*
 * Fold what is proven to be history: a '>' block after a client's
 * attribution line (or opening with a quoted one, as Apple Mail writes
 * it); any block that repeats the thread (k): a '>' block, or the rest
 * of the text after an attribution, a separator or an Outlook header
 * block.  Anything else is kept: « Le médecin-conseil a écrit : » followed
 * by the referent's own lines is the answer, not history.
 */
static int
fold(const struct lines *ls, const struct known *kn, struct buf *out, int *folded)
{
	size_t i = 0, k, j, end;
	int attributed = 0;

	while (i < ls->n) {
		if (quoted(&ls->v[i])) {
			end = quote_block_end(ls, i);
			if (attributed || quoted_attribution(ls, i) || proven(kn, ls, i, end)) {
				i = skip_blank(ls, end);
				(*folded)++;
				if (put_mark(out) == -1)
					return -1;
			} else {
				if (put_lines(out, ls, i, end) == -1)
					return -1;
				i = end;
			}
			continue;
		}
		if ((k = attribution(ls, i)) > 0) {
			for (j = i + k; j < ls->n && blank(&ls->v[j]); j++)
				;
			if (j < ls->n && quoted(&ls->v[j])) {
				(*folded)++;
				attributed = 1;
				if (put_mark(out) == -1)
					return -1;
				i = skip_blank(ls, quote_block_end(ls, j));
				continue;
			}
			if (j < ls->n && proven(kn, ls, j, next_marker(ls, j))) {
				(*folded)++;
				return put_mark(out);	/* top-posting: the rest is history */
			}
			if (put_lines(out, ls, i, i + k) == -1)
				return -1;
			i += k;
			continue;
		}
		{
			char a[LINE_CMP_MAX + 1];

			if (((norm(&ls->v[i], a) == 0 && separator_line(a)) ||
			    outlook_block(ls, i)) && proven(kn, ls, i, next_marker(ls, i + 1))) {
				(*folded)++;
				return put_mark(out);
			}
		}
		if (put_line(out, &ls->v[i]) == -1)
			return -1;
		i++;
	}
	return 0;
}

int
quote_fold(const char *text, struct buf *out, int *folded_r)
{
	return quote_fold_known(text, NULL, 0, out, folded_r);
}

int
quote_history_marks(const char *text)
{
	struct lines ls;
	size_t i;
	int n = 0;

	split_lines(text, &ls);
	for (i = 0; i < ls.n; i++) {
		char a[LINE_CMP_MAX + 1];

		n += quoted(&ls.v[i]) || attribution(&ls, i) > 0 || outlook_block(&ls, i) ||
		    (norm(&ls.v[i], a) == 0 && separator_line(a));
	}
	free(ls.v);
	return n;
}

int
quote_fold_known(const char *text, const char *known, size_t known_len, struct buf *out,
    int *folded_r)
{
	struct lines ls;
	struct known kn;
	struct buf tmp;
	size_t i;
	int folded = 0, rc;

	buf_init(&tmp, out->max);
	split_lines(text, &ls);
	known_init(&kn, known, known_len);
	rc = fold(&ls, &kn, &tmp, &folded);
	known_free(&kn);
	if (rc == 0 && folded > 0 && !has_text(&tmp)) {
		/* Nothing new was written: keep the whole text. */
		buf_free(&tmp);
		buf_init(&tmp, out->max);
		folded = 0;
		for (i = 0; i < ls.n && rc == 0; i++)
			rc = put_line(&tmp, &ls.v[i]);
	}
	free(ls.v);
	if (rc == 0) {
		trim_trailing_blank(&tmp);
		rc = tmp.len > 0 ? buf_append(out, tmp.p, tmp.len) : 0;
	}
	buf_free(&tmp);
	if (rc == 0 && folded_r != NULL)
		*folded_r = folded;
	return rc;
}
