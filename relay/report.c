/*
 * report - see report.h.
 */
#include "relay/report.h"
#include "relay/calendar.h"
#include "relay/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the period ----------------------------------------------------- */

int
report_period_parse(struct report_period *p, const char *text)
{
	char q, tail;
	int y, n;

	memset(p, 0, sizeof(*p));
	if (text == NULL || strlen(text) != 7 ||
	    sscanf(text, "%4d-%c%1d%c", &y, &q, &n, &tail) != 3 ||
	    (q != 'T' && q != 't' && q != 'Q' && q != 'q') || text[4] != '-' ||
	    y < 2000 || y > 2999 || n < 1 || n > 4)
		return -1;
	p->year = y;
	p->quarter = n;
	if (cal_paris_midnight(y, 3 * (n - 1) + 1, 1, &p->from) < 0 ||
	    cal_paris_midnight(n == 4 ? y + 1 : y, n == 4 ? 1 : 3 * n + 1, 1, &p->to) < 0)
		return -1;
	snprintf(p->name, sizeof(p->name), "%04d-T%d", y, n);
	return 0;
}

/* ---- aggregation ---------------------------------------------------- */

static int
case_cmp(const void *a, const void *b)
{
	const struct report_case *x = *(const struct report_case *const *)a;
	const struct report_case *y = *(const struct report_case *const *)b;
	int r = strcmp(x->partner, y->partner);

	return r ? r : strcmp(x->topic, y->topic);
}

static int
double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Rows of cases c[0..n): counts, and the median of the answered delays. */
static void
fill_row(struct report_row *r, const struct report_case *const *c, size_t n)
{
	double *d = xcalloc(n ? n : 1, sizeof(*d));
	size_t i, nd = 0;
	int days = 0, hours = 0;

	for (i = 0; i < n; i++) {
		r->cases++;
		if (c[i]->cancelled) {
			r->cancelled++;
			continue;
		}
		if (!c[i]->answered) {
			r->unanswered++;
			r->overdue += c[i]->overdue != 0;
			continue;
		}
		r->answered++;
		if (!c[i]->timed)
			continue;
		r->in_time += c[i]->in_time != 0;
		if (c[i]->unit_hours)
			hours = 1;
		else
			days = 1;
		d[nd++] = (double)c[i]->delay / (c[i]->unit_hours ? 3600.0 : 86400.0);
	}
	r->unit = hours && days ? REPORT_MIXED : hours ? REPORT_HOURS : REPORT_DAYS;
	r->median = -1;
	if (nd && r->unit != REPORT_MIXED) {
		qsort(d, nd, sizeof(*d), double_cmp);
		r->median = nd % 2 ? d[nd / 2] : (d[nd / 2 - 1] + d[nd / 2]) / 2;
	}
	free(d);
}

static struct report_row *
add_row(struct report_row **rows, size_t *nrows, const struct report_case *first,
    int with_partner, int with_topic)
{
	struct report_row *r;

	*rows = xreallocarray(*rows, *nrows + 1, sizeof(**rows));
	r = &(*rows)[(*nrows)++];
	memset(r, 0, sizeof(*r));
	if (with_partner) {
		fs_strlcpy(r->partner, first->partner, sizeof(r->partner));
		fs_strlcpy(r->partner_label, first->partner_label, sizeof(r->partner_label));
	}
	if (with_topic) {
		fs_strlcpy(r->topic, first->topic, sizeof(r->topic));
		fs_strlcpy(r->topic_label, first->topic_label, sizeof(r->topic_label));
	}
	return r;
}

void
report_build(const struct report_case *cases, size_t n, struct report_row **rows,
    size_t *nrows)
{
	const struct report_case **c = xcalloc(n ? n : 1, sizeof(*c));
	size_t i, topic_start, partner_start;

	*rows = NULL;
	*nrows = 0;
	for (i = 0; i < n; i++)
		c[i] = &cases[i];
	qsort(c, n, sizeof(*c), case_cmp);
	for (topic_start = partner_start = 0, i = 1; i <= n; i++) {
		int new_partner = i == n || strcmp(c[i]->partner, c[i - 1]->partner) != 0;

		if (new_partner || strcmp(c[i]->topic, c[i - 1]->topic) != 0) {
			fill_row(add_row(rows, nrows, c[topic_start], 1, 1), c + topic_start,
			    i - topic_start);
			topic_start = i;
		}
		if (new_partner) {
			fill_row(add_row(rows, nrows, c[partner_start], 1, 0), c + partner_start,
			    i - partner_start);
			partner_start = i;
		}
	}
	fill_row(add_row(rows, nrows, NULL, 0, 0), c, n);
	free(c);
}

/* ---- writers -------------------------------------------------------- */

static const char *
unit_id(enum report_unit u)
{
	return u == REPORT_HOURS ? "working_hours" : u == REPORT_DAYS ? "working_days" : "mixed";
}

long
report_share_in_time(const struct report_row *r)
{
	long base = r->cases - r->cancelled;

	return base > 0 ? (100 * r->in_time + base / 2) / base : 0;
}

/* 1.5 -> "1,5" (French decimal comma), one decimal. */
static void
french_decimal(char *out, size_t size, double v)
{
	char *dot;

	snprintf(out, size, "%.1f", v);
	if ((dot = strchr(out, '.')) != NULL)
		*dot = ',';
}

static void
period_line(struct buf *b, const struct report_period *p)
{
	int last_month = 3 * p->quarter;
	static const int days[] = { 31, 30, 30, 31 };

	buf_printf(b, "du %04d-%02d-01 au %04d-%02d-%02d (heure de Paris), ", p->year,
	    last_month - 2, p->year, last_month, days[p->quarter - 1]);
	buf_printf(b, "%s\n", p->structure[0] ? p->structure : "toutes les structures");
}

const char *
report_median_text(const struct report_row *r, char *out, size_t size)
{
	char med[32];

	if (r->median >= 0) {
		french_decimal(med, sizeof(med), r->median);
		snprintf(out, size, "%s %s", med,
		    r->unit == REPORT_HOURS ? "heure(s) ouvrée(s)" : "jour(s) ouvré(s)");
	} else
		snprintf(out, size, "%s", r->unit == REPORT_MIXED && r->answered ?
		    "sans objet (unités différentes)" : "aucune réponse");
	return out;
}

static const char *
row_title(const struct report_row *r, char *out, size_t size)
{
	if (r->partner[0] == '\0')
		snprintf(out, size, "Total");
	else if (r->topic[0] == '\0')
		snprintf(out, size, "%s — ensemble", r->partner_label);
	else
		snprintf(out, size, "%s — %s", r->partner_label, r->topic_label);
	return out;
}

int
report_text(struct buf *b, const struct report_period *p, const struct report_row *rows,
    size_t n)
{
	char title[2 * REPORT_LABEL_MAX + 32], med[64];
	size_t i;

	buf_printf(b, "Rapport trimestriel France Services %s : dossiers transmis aux"
	    " partenaires\n", p->name);
	period_line(b, p);
	buf_puts(b, "Délai : depuis le premier envoi jusqu'à la première réponse d'un référent,"
	    " en temps ouvré du partenaire.\n");
	for (i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];

		buf_printf(b, "\n%s\n", row_title(r, title, sizeof(title)));
		buf_printf(b, "  dossiers transmis : %ld", r->cases);
		if (r->cancelled)
			buf_printf(b, " (dont %ld annulé%s)", r->cancelled, r->cancelled > 1 ? "s" : "");
		buf_printf(b, "\n  réponses d'un référent : %ld, dont %ld dans le délai"
		    " (%ld %% des dossiers non annulés)\n", r->answered, r->in_time,
		    report_share_in_time(r));
		buf_printf(b, "  délai médian de première réponse : %s\n",
		    report_median_text(r, med, sizeof(med)));
		buf_printf(b, "  sans réponse : %ld (dont %ld en retard)\n", r->unanswered,
		    r->overdue);
	}
	return buf_printf(b, "\nAucune donnée personnelle : des nombres par partenaire et"
	    " motif.\n");
}

/* A CSV field (RFC 4180), with a leading apostrophe for text a spreadsheet
 * would take for a formula. */
static void
csv_field(struct buf *b, const char *s, int last)
{
	const char *q;
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	buf_puts(b, quote ? "\"" : "");
	if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		buf_puts(b, "'");
	for (q = s; *q; q++)
		buf_printf(b, *q == '"' ? "\"\"" : "%c", *q);
	buf_puts(b, quote ? "\"" : "");
	buf_puts(b, last ? "\r\n" : ",");
}

int
report_csv(struct buf *b, const struct report_period *p, const struct report_row *rows,
    size_t n)
{
	size_t i;

	buf_puts(b, "trimestre,structure,partenaire,partenaire_libelle,motif,motif_libelle,"
	    "dossiers,annules,repondus,dans_le_delai,part_dans_le_delai_pct,delai_median,"
	    "unite_delai,sans_reponse,en_retard\r\n");
	for (i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];
		char num[160];

		csv_field(b, p->name, 0);
		csv_field(b, p->structure[0] ? p->structure : "*", 0);
		csv_field(b, r->partner[0] ? r->partner : "*", 0);
		csv_field(b, r->partner[0] ? r->partner_label : "Total", 0);
		csv_field(b, r->topic[0] ? r->topic : "*", 0);
		csv_field(b, r->topic[0] ? r->topic_label : "", 0);
		snprintf(num, sizeof(num), "%ld,%ld,%ld,%ld,%ld,", r->cases, r->cancelled,
		    r->answered, r->in_time, report_share_in_time(r));
		buf_puts(b, num);
		if (r->median >= 0)
			buf_printf(b, "%.1f", r->median);
		buf_printf(b, ",%s,%ld,%ld\r\n", r->answered ? unit_id(r->unit) : "",
		    r->unanswered, r->overdue);
	}
	return 0;
}

int
report_json(struct buf *b, const struct report_period *p, const struct report_row *rows,
    size_t n)
{
	char t[CAL_RFC3339_LEN];
	size_t i;

	buf_puts(b, "{\"quarter\":");
	json_str(b, p->name);
	cal_format_rfc3339_utc(t, p->from);
	buf_printf(b, ",\"from\":\"%s\"", t);
	cal_format_rfc3339_utc(t, p->to);
	buf_printf(b, ",\"to\":\"%s\",\"structure\":", t);
	if (p->structure[0])
		json_str(b, p->structure);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"rows\":[");
	for (i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];

		buf_printf(b, "%s{\"kind\":\"%s\",\"partner\":", i ? "," : "",
		    !r->partner[0] ? "total" : !r->topic[0] ? "partner" : "topic");
		if (r->partner[0]) {
			json_str(b, r->partner);
			buf_puts(b, ",\"partner_label\":");
			json_str(b, r->partner_label);
		} else
			buf_puts(b, "null,\"partner_label\":null");
		buf_puts(b, ",\"topic\":");
		if (r->topic[0]) {
			json_str(b, r->topic);
			buf_puts(b, ",\"topic_label\":");
			json_str(b, r->topic_label);
		} else
			buf_puts(b, "null,\"topic_label\":null");
		buf_printf(b, ",\"cases\":%ld,\"cancelled\":%ld,\"answered\":%ld,"
		    "\"answered_in_time\":%ld,\"in_time_percent\":%ld,\"median_delay\":",
		    r->cases, r->cancelled, r->answered, r->in_time, report_share_in_time(r));
		if (r->median >= 0)
			buf_printf(b, "%.1f", r->median);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"delay_unit\":");
		if (r->answered)
			buf_printf(b, "\"%s\"", unit_id(r->unit));
		else
			buf_puts(b, "null");
		buf_printf(b, ",\"unanswered\":%ld,\"overdue\":%ld}", r->unanswered, r->overdue);
	}
	return buf_puts(b, "]}\n");
}

/* Text for SVG: the five XML escapes. */
static void
svg_text(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&apos;"); break;
		default: buf_printf(b, "%c", *s);
		}
}

#define SVG_W		760
#define SVG_LABEL_W	250
#define SVG_BAR_W	420
#define SVG_ROW_H	28
#define SVG_TOP		64

static const struct {
	const char	*color;
	const char	*label;
} svg_parts[] = {
	{ "#2e7d32", "répondus dans le délai" },
	{ "#f9a825", "répondus hors délai" },
	{ "#c62828", "sans réponse" },
	{ "#9e9e9e", "annulés" },
};

static void
svg_bar(struct buf *b, const struct report_row *r, long max, int y)
{
	long parts[4];
	double x = SVG_LABEL_W;
	size_t k;

	parts[0] = r->in_time;
	parts[1] = r->answered - r->in_time;
	parts[2] = r->unanswered;
	parts[3] = r->cases - r->answered - r->unanswered;
	buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", SVG_LABEL_W - 8, y + 18);
	svg_text(b, r->partner_label);
	buf_puts(b, "</text>\n");
	for (k = 0; k < FS_ARRAY_LEN(parts); k++) {
		double w = max ? (double)SVG_BAR_W * (double)parts[k] / (double)max : 0;

		if (parts[k] <= 0)
			continue;
		buf_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
		    "<title>%ld %s</title></rect>\n", x, y + 4, w, SVG_ROW_H - 8,
		    svg_parts[k].color, parts[k], svg_parts[k].label);
		x += w;
	}
	buf_printf(b, "<text x=\"%.1f\" y=\"%d\">%ld</text>\n", x + 6, y + 18, r->cases);
}

int
report_svg(struct buf *b, const struct report_period *p, const struct report_row *rows,
    size_t n)
{
	long max = 0;
	size_t i, k, bars = 0;
	int y, h;

	for (i = 0; i < n; i++)
		if (rows[i].partner[0] && !rows[i].topic[0]) {
			bars++;
			if (rows[i].cases > max)
				max = rows[i].cases;
		}
	h = SVG_TOP + (int)bars * SVG_ROW_H + 60;
	buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
	    " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n",
	    SVG_W, h, SVG_W, h);
	buf_printf(b, "<title>Dossiers transmis par partenaire, %s</title>\n", p->name);
	buf_printf(b, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, h);
	buf_printf(b, "<text x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"bold\">"
	    "Dossiers transmis par partenaire — %s</text>\n", p->name);
	buf_puts(b, "<text x=\"16\" y=\"46\">");
	svg_text(b, p->structure[0] ? p->structure : "toutes les structures");
	buf_puts(b, "</text>\n");
	for (i = 0, y = SVG_TOP; i < n; i++)
		if (rows[i].partner[0] && !rows[i].topic[0]) {
			svg_bar(b, &rows[i], max, y);
			y += SVG_ROW_H;
		}
	if (bars == 0)
		buf_printf(b, "<text x=\"16\" y=\"%d\">Aucun dossier ce trimestre.</text>\n",
		    y + 18);
	for (k = 0; k < FS_ARRAY_LEN(svg_parts); k++) {
		int x = 16 + (int)k * 185;

		buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		    "<text x=\"%d\" y=\"%d\">%s</text>\n", x, h - 30, svg_parts[k].color, x + 18,
		    h - 19, svg_parts[k].label);
	}
	return buf_puts(b, "</svg>\n");
}
