/*
 * test_report - the quarterly report's pure part (relay/report): quarters
 * in Paris time (bounds across both DST changes and the new year), the
 * aggregation (per topic, per partner, total; medians odd and even; mixed
 * units; cancelled and overdue cases; an empty quarter), and the writers:
 * CSV byte for byte, JSON, French text, SVG escaping.
 */
#include "relay/report.h"
#include "relay/calendar.h"
#include "tests/unit/t.h"

#include <stdlib.h>
#include <string.h>

static int64_t
utc(const char *s)
{
	int64_t t = 0;

	CHECK_INT(cal_parse_rfc3339(s, &t), 0);
	return t;
}

static void
test_period(void)
{
	struct report_period p;
	static const char *const bad[] = { "2026-T0", "2026-T5", "2026T1", "2026-X1", "26-T1",
		"2026-T1x", "1999-T4", "3000-T1", "", "2026-T-1", "2026--T1" };
	size_t i;

	CHECK_INT(report_period_parse(&p, "2026-T1"), 0);
	CHECK_STR(p.name, "2026-T1");
	CHECK_INT(p.from, utc("2025-12-31T23:00:00Z"));		/* CET */
	CHECK_INT(p.to, utc("2026-03-31T22:00:00Z"));		/* CEST since 29 March */
	CHECK_INT(report_period_parse(&p, "2026-q2"), 0);
	CHECK_STR(p.name, "2026-T2");
	CHECK_INT(p.from, utc("2026-03-31T22:00:00Z"));
	CHECK_INT(p.to, utc("2026-06-30T22:00:00Z"));
	CHECK_INT(report_period_parse(&p, "2026-T4"), 0);
	CHECK_INT(p.from, utc("2026-09-30T22:00:00Z"));
	CHECK_INT(p.to, utc("2026-12-31T23:00:00Z"));		/* back to CET */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(report_period_parse(&p, bad[i]), -1);
	CHECK_INT(report_period_parse(&p, NULL), -1);
}

static struct report_case
rc(const char *partner, const char *topic, int cancelled, int answered, int in_time,
    int64_t delay, int hours, int overdue)
{
	struct report_case c;

	memset(&c, 0, sizeof(c));
	fs_strlcpy(c.partner, partner, sizeof(c.partner));
	snprintf(c.partner_label, sizeof(c.partner_label), "%s", strcmp(partner, "caf") == 0 ?
	    "CAF" : strcmp(partner, "dgfip") == 0 ? "DGFiP" : "Pôle emploi, \"agence\"");
	fs_strlcpy(c.topic, topic, sizeof(c.topic));
	snprintf(c.topic_label, sizeof(c.topic_label), "Motif %s", topic);
	c.cancelled = cancelled;
	c.answered = answered;
	c.timed = answered;
	c.in_time = in_time;
	c.delay = delay;
	c.unit_hours = hours;
	c.overdue = overdue;
	return c;
}

#define DAY	86400

static void
test_build(void)
{
	/* Given out of order on purpose. */
	struct report_case cases[] = {
		rc("dgfip", "impots", 0, 1, 1, 2 * DAY, 0, 0),
		rc("caf", "logement", 0, 1, 1, DAY, 0, 0),
		rc("caf", "alloc", 0, 1, 0, 4 * DAY, 0, 0),
		rc("caf", "logement", 0, 1, 0, 5 * DAY, 0, 0),
		rc("caf", "logement", 1, 0, 0, 0, 0, 0),
		rc("caf", "logement", 0, 0, 0, 0, 0, 1),
		rc("caf", "logement", 0, 1, 1, 2 * DAY, 0, 0),
		rc("pe", "inscription", 0, 1, 1, 3 * 3600, 1, 0),
	};
	struct report_row *rows = NULL;
	size_t n = 0;

	report_build(cases, sizeof(cases) / sizeof(cases[0]), &rows, &n);
	CHECK_INT(n, 8);	/* caf alloc, logement, caf; dgfip impots, dgfip; pe x2; total */
	if (n != 8) {
		free(rows);
		return;
	}
	CHECK_STR(rows[0].partner, "caf");
	CHECK_STR(rows[0].topic, "alloc");
	CHECK_INT(rows[0].cases, 1);
	CHECK_STR(rows[1].topic, "logement");
	CHECK_INT(rows[1].cases, 5);
	CHECK_INT(rows[1].cancelled, 1);
	CHECK_INT(rows[1].answered, 3);
	CHECK_INT(rows[1].in_time, 2);
	CHECK_INT(rows[1].unanswered, 1);
	CHECK_INT(rows[1].overdue, 1);
	CHECK(rows[1].median == 2.0);		/* 1, 2, 5 days */
	CHECK_INT(rows[1].unit, REPORT_DAYS);
	/* CAF subtotal */
	CHECK_STR(rows[2].partner, "caf");
	CHECK_STR(rows[2].topic, "");
	CHECK_STR(rows[2].partner_label, "CAF");
	CHECK_INT(rows[2].cases, 6);
	CHECK_INT(rows[2].answered, 4);
	CHECK(rows[2].median == 3.0);		/* 1, 2, 4, 5: even count */
	CHECK_STR(rows[3].partner, "dgfip");
	CHECK_STR(rows[4].topic, "");
	CHECK_STR(rows[5].partner, "pe");
	CHECK_STR(rows[5].topic, "inscription");
	CHECK_INT(rows[5].unit, REPORT_HOURS);
	CHECK(rows[5].median == 3.0);		/* hours */
	CHECK_STR(rows[6].topic, "");
	/* total: days and hours mixed, no median */
	CHECK_STR(rows[7].partner, "");
	CHECK_INT(rows[7].cases, 8);
	CHECK_INT(rows[7].answered, 6);
	CHECK_INT(rows[7].in_time, 4);
	CHECK_INT(rows[7].unit, REPORT_MIXED);
	CHECK(rows[7].median < 0);
	free(rows);

	/* an empty quarter: the total alone */
	report_build(NULL, 0, &rows, &n);
	CHECK_INT(n, 1);
	CHECK_INT(rows[0].cases, 0);
	CHECK(rows[0].median < 0);
	free(rows);
}

/* A cancelled case counts only as cancelled, even if it was answered; a
 * reply with no recorded sending counts as an answer, without a delay. */
static void
test_cancel_untimed(void)
{
	struct report_case cases[] = {
		rc("caf", "logement", 1, 1, 1, DAY, 0, 0),	/* answered, then cancelled */
		rc("caf", "logement", 0, 1, 1, 2 * DAY, 0, 0),
		rc("caf", "logement", 0, 1, 0, 0, 1, 0),	/* untimed (below) */
		rc("caf", "logement", 1, 0, 0, 0, 0, 1),	/* cancelled while overdue */
	};
	struct report_row *rows = NULL;
	size_t n = 0;

	cases[2].timed = 0;
	report_build(cases, 4, &rows, &n);
	CHECK_INT(n, 3);
	CHECK_INT(rows[0].cases, 4);
	CHECK_INT(rows[0].cancelled, 2);
	CHECK_INT(rows[0].answered, 2);
	CHECK_INT(rows[0].in_time, 1);
	CHECK_INT(rows[0].unanswered, 0);
	CHECK_INT(rows[0].overdue, 0);
	CHECK(rows[0].median == 2.0);		/* the timed answer alone */
	CHECK_INT(rows[0].unit, REPORT_DAYS);	/* the untimed one's unit is not counted */
	free(rows);
}

static void
test_labels(void)
{
	char s[8];
	struct report_case c = rc("caf", "x", 0, 0, 0, 0, 0, 0);
	struct report_period p;
	struct report_row *rows = NULL;
	struct buf b;
	size_t n = 0;

	/* cut inside "é" (2 bytes), "€" (3 bytes), or after whole characters */
	fs_strlcpy(s, "abcdeé", 7);		/* "abcde" + first byte of é */
	fs_utf8_clip(s);
	CHECK_STR(s, "abcde");
	fs_strlcpy(s, "ab€€", 7);		/* "ab€" + 1 byte of € */
	fs_utf8_clip(s);
	CHECK_STR(s, "ab€");
	fs_strlcpy(s, "abc€", 6);		/* "abc" + 2 bytes of € */
	fs_utf8_clip(s);
	CHECK_STR(s, "abc");
	fs_strlcpy(s, "aé€", 7);		/* whole */
	fs_utf8_clip(s);
	CHECK_STR(s, "aé€");
	s[0] = '\0';
	fs_utf8_clip(s);
	CHECK_STR(s, "");
	/* an SVG never carries a raw < or & of a label */
	fs_strlcpy(c.partner_label, "A<B & C>", sizeof(c.partner_label));
	CHECK_INT(report_period_parse(&p, "2026-T3"), 0);
	report_build(&c, 1, &rows, &n);
	buf_init(&b, 1024 * 1024);
	report_svg(&b, &p, rows, n);
	CHECK(strstr(b.p, "A&lt;B &amp; C&gt;") != NULL);
	CHECK(strstr(b.p, "A<B") == NULL);
	buf_free(&b);
	free(rows);
}

static void
test_writers(void)
{
	struct report_case cases[] = {
		rc("caf", "logement", 0, 1, 1, DAY + DAY / 2, 0, 0),
		rc("caf", "logement", 1, 0, 0, 0, 0, 0),
		rc("pe", "inscription", 0, 0, 0, 0, 1, 1),
	};
	static const char want_json[] = "{\"quarter\":\"2026-T1\",\"from\":"
	    "\"2025-12-31T23:00:00Z\",\"to\":\"2026-03-31T22:00:00Z\",\"structure\":"
	    "\"fontenay-aux-roses\",\"rows\":[{\"kind\":\"topic\",\"partner\":\"caf\","
	    "\"partner_label\":\"CAF\",\"topic\":\"logement\",\"topic_label\":"
	    "\"Motif logement\",\"cases\":2,\"cancelled\":1,\"answered\":1,"
	    "\"answered_in_time\":1,\"in_time_percent\":100,\"median_delay\":1.5,"
	    "\"delay_unit\":\"working_days\",\"unanswered\":0,\"overdue\":0},";
	struct report_period p;
	struct report_row *rows = NULL;
	struct buf b;
	size_t n = 0;

	CHECK_INT(report_period_parse(&p, "2026-T1"), 0);
	report_build(cases, 3, &rows, &n);
	buf_init(&b, 1024 * 1024);
	report_csv(&b, &p, rows, n);
	CHECK_STR(b.p,
	    "trimestre,structure,partenaire,partenaire_libelle,motif,motif_libelle,dossiers,"
	    "annules,repondus,dans_le_delai,part_dans_le_delai_pct,delai_median,unite_delai,"
	    "sans_reponse,en_retard\r\n"
	    "2026-T1,*,caf,CAF,logement,Motif logement,2,1,1,1,100,1.5,working_days,0,0\r\n"
	    "2026-T1,*,caf,CAF,*,,2,1,1,1,100,1.5,working_days,0,0\r\n"
	    "2026-T1,*,pe,\"Pôle emploi, \"\"agence\"\"\",inscription,Motif inscription,"
	    "1,0,0,0,0,,,1,1\r\n"
	    "2026-T1,*,pe,\"Pôle emploi, \"\"agence\"\"\",*,,1,0,0,0,0,,,1,1\r\n"
	    "2026-T1,*,*,Total,*,,3,1,1,1,50,1.5,working_days,1,1\r\n");
	buf_free(&b);

	buf_init(&b, 1024 * 1024);
	fs_strlcpy(p.structure, "fontenay-aux-roses", sizeof(p.structure));
	report_json(&b, &p, rows, n);
	CHECK(strncmp(b.p, want_json, strlen(want_json)) == 0);
	CHECK(strstr(b.p, "\"partner_label\":\"Pôle emploi, \\\"agence\\\"\"") != NULL);
	CHECK(strstr(b.p, "{\"kind\":\"total\",\"partner\":null,\"partner_label\":null,"
	    "\"topic\":null,\"topic_label\":null,\"cases\":3") != NULL);
	CHECK(strstr(b.p, "\"median_delay\":null,\"delay_unit\":null") != NULL);
	CHECK(b.len > 0 && b.p[b.len - 1] == '\n');
	buf_free(&b);

	buf_init(&b, 1024 * 1024);
	report_text(&b, &p, rows, n);
	CHECK(strstr(b.p, "Rapport trimestriel France Services 2026-T1") != NULL);
	CHECK(strstr(b.p, "du 2026-01-01 au 2026-03-31 (heure de Paris), fontenay-aux-roses")
	    != NULL);
	CHECK(strstr(b.p, "CAF — Motif logement\n  dossiers transmis : 2 (dont 1 annulé)\n"
	    "  réponses d'un référent : 1, dont 1 dans le délai (100 % des dossiers non"
	    " annulés)\n  délai médian de première réponse : 1,5 jour(s) ouvré(s)\n") != NULL);
	CHECK(strstr(b.p, "  délai médian de première réponse : aucune réponse\n"
	    "  sans réponse : 1 (dont 1 en retard)\n") != NULL);
	CHECK(strstr(b.p, "\nTotal\n") != NULL);
	buf_free(&b);

	buf_init(&b, 1024 * 1024);
	report_svg(&b, &p, rows, n);
	CHECK(strncmp(b.p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
	CHECK(strstr(b.p, "Pôle emploi, &quot;agence&quot;") != NULL);
	CHECK(strstr(b.p, "\"agence\"") == NULL);		/* never unescaped */
	CHECK(strstr(b.p, "<title>1 répondus dans le délai</title>") != NULL);
	CHECK(strstr(b.p, "<title>1 sans réponse</title>") != NULL);
	CHECK(strstr(b.p, "</svg>\n") != NULL);
	buf_free(&b);
	free(rows);
}

static void
test_csv_formula(void)
{
	struct report_case c = rc("caf", "x", 0, 0, 0, 0, 0, 0);
	struct report_period p;
	struct report_row *rows = NULL;
	struct buf b;
	size_t n = 0;

	fs_strlcpy(c.topic_label, "=HYPERLINK(\"x\")", sizeof(c.topic_label));
	CHECK_INT(report_period_parse(&p, "2026-T3"), 0);
	report_build(&c, 1, &rows, &n);
	buf_init(&b, 1024 * 1024);
	report_csv(&b, &p, rows, n);
	/* a spreadsheet must not take a label for a formula */
	CHECK(strstr(b.p, ",x,\"'=HYPERLINK(\"\"x\"\")\",") != NULL);
	buf_free(&b);
	free(rows);
}

int
main(void)
{
	test_period();
	test_build();
	test_cancel_untimed();
	test_labels();
	test_writers();
	test_csv_formula();
	return t_done();
}
