/*
 * report - the quarterly report of the convention (art. 4.7: solicitations
 * and their motives, design §5): per partner and topic, the cases sent in
 * the quarter, cancelled, answered by a referent, answered within the
 * referent's deadline, the median delay of the first answer, the cases
 * still unanswered and overdue; a subtotal per partner and a total.  As
 * French text, CSV, JSON (docs/json.md) or an SVG bar chart.
 *
 * Pure: the command (adapters/cli/cmd_report.c) reads the store and computes each
 * case's facts (relay/tick: the partner's clock); this module aggregates
 * and writes.  No personal data comes in: partner and topic ids and
 * labels, flags and durations.
 */
#ifndef FSRELAY_REPORT_H
#define FSRELAY_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

#define REPORT_ID_MAX		65
#define REPORT_LABEL_MAX	160

/* What the report needs of one case of the quarter. */
struct report_case {
	char	partner[REPORT_ID_MAX];
	char	partner_label[REPORT_LABEL_MAX];
	char	topic[REPORT_ID_MAX];
	char	topic_label[REPORT_LABEL_MAX];
	int	cancelled;	/* counted only as cancelled, whatever happened before */
	int	answered;	/* a referent replied (a human reply, not an auto-reply) */
	int	timed;		/* ... after a recorded sending: delay and in_time known */
	int	in_time;	/* ... by the deadline */
	int64_t	delay;		/* working seconds from the first sending to the reply */
	int	unit_hours;	/* the partner counts in working hours (else days of 24 h) */
	int	overdue;	/* unanswered and past its deadline */
};

enum report_unit { REPORT_DAYS, REPORT_HOURS, REPORT_MIXED };

/*
 * One line of the report: a partner and topic, a partner's subtotal
 * (topic ""), or the total (partner "").  median < 0: no answer.
 */
struct report_row {
	char		 partner[REPORT_ID_MAX];
	char		 partner_label[REPORT_LABEL_MAX];
	char		 topic[REPORT_ID_MAX];
	char		 topic_label[REPORT_LABEL_MAX];
	long		 cases, cancelled, answered, in_time, unanswered, overdue;
	double		 median;	/* in unit: working days or hours */
	enum report_unit unit;
};

/* The period: a quarter in Europe/Paris time, [from, to). */
struct report_period {
	int	year, quarter;		/* 1..4 */
	int64_t	from, to;
	char	name[16];		/* "2026-T1" */
	char	structure[REPORT_ID_MAX];	/* "" = every structure */
};

/*
 * "2026-T1" (also "2026-Q1", "2026-t1"): 0 with p->year, quarter, from,
 * to and name set; -1 for anything else, or a year outside 2000-2999.
 */
int	 report_period_parse(struct report_period *p, const char *text);

/*
 * The rows of n cases: one per partner and topic, sorted by partner then
 * topic ids, each partner's followed by its subtotal, and the total last
 * (always there, with zeros for an empty quarter).  *rows: caller frees.
 */
void	 report_build(const struct report_case *cases, size_t n, struct report_row **rows,
	    size_t *nrows);

/* Of the cases not cancelled, the share answered in time, in percent. */
long	 report_share_in_time(const struct report_row *r);
/* The median first-reply delay of r in French ("2,5 jour(s) ouvré(s)",
 * "aucune réponse", "sans objet (unités différentes)") into out. */
const char *report_median_text(const struct report_row *r, char *out, size_t size);

/* The writers: each appends to b, whose maximum must allow about 1 KB per
 * row (a directory has some hundred partner and topic pairs at most). */
int	 report_text(struct buf *b, const struct report_period *p,
	    const struct report_row *rows, size_t n);
int	 report_csv(struct buf *b, const struct report_period *p,
	    const struct report_row *rows, size_t n);
int	 report_json(struct buf *b, const struct report_period *p,
	    const struct report_row *rows, size_t n);
/* A horizontal bar per partner (subtotals): answered in time, answered
 * late, unanswered, cancelled; a legend; the period in the title. */
int	 report_svg(struct buf *b, const struct report_period *p,
	    const struct report_row *rows, size_t n);

#endif
