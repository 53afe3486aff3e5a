/*
 * tick - see tick.h.  The pure part comes first (policy, arithmetic,
 * decisions), then the apply layer that reads and writes the store.  The
 * apply layer trusts the store and the configuration; everything it
 * writes is references, rung numbers and times (no personal data).
 */
#include "relay/tick.h"
#include "relay/config.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_deliveries.h"
#include "relay/port/store_directory.h"
#include "relay/report.h"
#include "relay/transition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN		1024
#define TICK_PAGE	512	/* cases read per due-time query */
#define BODY_MAX	4000	/* a notice body (struct notice_row) */
#define SIGNATURE	"\n-- \nRelais sécurisé fsrelay\n"

/* ---- policy ---------------------------------------------------------- */

static void
add_closures(struct calendar *c, const struct cal_date *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)cal_add_closure(c, d[i].y, d[i].m, d[i].d);
}

int
tick_policy(struct tick_policy *p, const struct config *cfg, const char *partner,
    const char *structure_hours, char *err, size_t errlen)
{
	const struct partner_conf *pc = config_partner(cfg, partner);
	char detail[256];
	int r = 0;

	memset(p, 0, sizeof(*p));
	cal_init(&p->staff);
	p->staff.whit_monday_worked = cfg->whit_monday_worked;
	p->staff.alsace_moselle = cfg->alsace_moselle;
	p->staff.overseas_dept = (int)cfg->overseas_dept;
	add_closures(&p->staff, cfg->closure_dates, cfg->n_closures);
	p->ref = p->staff;
	if (structure_hours && *structure_hours) {
		if (cal_parse_hours(&p->staff.hours, structure_hours, detail,
		    sizeof(detail)) == 0)
			p->staff.has_hours = 1;
		else {
			snprintf(err, errlen, "heures d'ouverture de la structure : %s", detail);
			r = -1;
		}
	}
	p->unit = TICK_DAYS;
	p->length = cfg->deadline_days;
	p->rem_num = TICK_DEFAULT_REM_NUM;
	p->rem_den = TICK_DEFAULT_REM_DEN;
	if (pc) {
		if (pc->whit_monday_worked >= 0)
			p->ref.whit_monday_worked = pc->whit_monday_worked;
		if (pc->alsace_moselle >= 0)
			p->ref.alsace_moselle = pc->alsace_moselle;
		if (pc->overseas_dept >= 0)
			p->ref.overseas_dept = (int)pc->overseas_dept;
		add_closures(&p->ref, pc->closures, pc->n_closures);
		if (pc->has_office_hours) {
			p->ref.hours = pc->office_hours;
			p->ref.has_hours = 1;
		}
		if (pc->deadline_hours_unit) {
			p->unit = TICK_HOURS;
			p->length = pc->deadline_hours;
		} else if (pc->deadline_days)
			p->length = pc->deadline_days;
		if (pc->reminder_den) {
			p->rem_num = pc->reminder_num;
			p->rem_den = pc->reminder_den;
		}
	}
	if (cal_validate(&p->ref, detail, sizeof(detail)) < 0 ||
	    cal_validate(&p->staff, detail, sizeof(detail)) < 0) {
		snprintf(err, errlen, "calendrier invalide : %s", detail);
		return -1;
	}
	return r;
}

int
tick_user_due(const struct config *cfg, int64_t start, int64_t *due_r)
{
	struct tick_policy p;
	char err[256];

	if (tick_policy(&p, cfg, "", NULL, err, sizeof(err)) < 0)
		return -1;
	return cal_add_working_days(&p.staff, start, 3, due_r);
}

/* The period in the unit's seconds. */
static int64_t
period_secs(const struct tick_policy *p)
{
	return (int64_t)p->length * (p->unit == TICK_DAYS ? CAL_DAY : 3600);
}

/* start + secs of working time in the policy's unit. */
static int
add_secs(const struct tick_policy *p, int64_t start, int64_t secs, int64_t *t_r)
{
	if (secs < 0)
		return -1;
	if (p->unit == TICK_DAYS)
		return cal_add_working_seconds(&p->ref, start, secs, t_r);
	return cal_add_working_minutes(&p->ref, start, (secs + 30) / 60, t_r);
}

int
tick_due(const struct tick_policy *p, int64_t start, int64_t paused, int64_t *due_r)
{
	if (paused < 0 || paused > (int64_t)CAL_MAX_DAYS * CAL_DAY)
		return -1;
	return add_secs(p, start, period_secs(p) + paused, due_r);
}

int
tick_reminder(const struct tick_policy *p, int64_t start, int64_t paused, int64_t *t_r)
{
	if (paused < 0 || paused > (int64_t)CAL_MAX_DAYS * CAL_DAY || p->rem_den <= 0 ||
	    p->rem_num <= 0 || p->rem_num >= p->rem_den)
		return -1;
	return add_secs(p, start, period_secs(p) * p->rem_num / p->rem_den + paused, t_r);
}

int
tick_paused(const struct tick_policy *p, int64_t a, int64_t b, int64_t *secs_r)
{
	if (p->unit == TICK_DAYS)
		return cal_working_seconds_between(&p->ref, a, b, secs_r);
	return cal_office_seconds_between(&p->ref, a, b, secs_r);
}

int
tick_shift(const struct tick_policy *p, int64_t due, int64_t secs, int64_t *due_r)
{
	if (secs == 0) {
		*due_r = due;
		return 0;
	}
	return add_secs(p, due, secs, due_r);
}

/* ---- decisions ------------------------------------------------------- */

void
tick_decide(const struct tick_view *v, int64_t now, struct tick_plan *plan)
{
	plan->n = 0;
	struct lc_step st;
	enum case_state s = case_state_of(v->state);

	/* Reminders and escalation run only where the lifecycle says so. */
	if (s == CASE_STATE_COUNT || lifecycle_step(s, LC_DEADLINE, &st) != LC_APPLY ||
	    !(st.effects & LC_FX_REMIND) || v->due_at == 0)
		return;
	if (!v->reminded && v->reminder_at != 0 && now >= v->reminder_at && !v->escalated)
		plan->steps[plan->n++] = now >= v->due_at ? TICK_REMIND_LATE : TICK_REMIND;
	if (!v->escalated && now >= v->due_at)
		plan->steps[plan->n++] = v->has_next_rung ? TICK_ESCALATE : TICK_EXHAUSTED;
}

int
tick_case_overdue(const char *state, int overdue, int64_t due_at, int64_t now)
{
	enum case_state s = case_state_of(state);
	int awaiting = s == CASE_AWAITING;

	if (!lifecycle_referent_open(s))
		return 0;
	return overdue || (awaiting && due_at != 0 && due_at <= now);
}

/* The deadline now running: the referent's while awaiting, the person's
 * while waiting_user; 0 if none. */
static int64_t
running_due_of(const char *state, int64_t due_at, int64_t user_due_at)
{
	switch (case_state_of(state)) {
	case CASE_AWAITING:
		return due_at;
	case CASE_WAITING_USER:
		return user_due_at;
	default:
		return 0;
	}
}

static int64_t
running_due(const struct case_row *c)
{
	return running_due_of(c->state, c->due_at, c->user_due_at);
}

int
tick_case_due_soon(const struct case_row *c, int64_t now)
{
	int64_t due = running_due(c);

	return !tick_case_overdue(c->state, c->overdue, c->due_at, now) && due > 0 &&
	    due - now <= TICK_DUE_SOON_SECONDS;
}

/* What the urgency order reads of a case (a row or a key). */
struct urgency {
	int	 class;		/* 0 overdue, 1 a running deadline, 2 open without one, 3 closed */
	int64_t	 due;		/* the running deadline */
	int64_t	 id;
};

static struct urgency
urgency_of(const char *state, int overdue, int64_t due_at, int64_t user_due_at, int64_t id,
    int64_t now)
{
	struct urgency u = { 2, running_due_of(state, due_at, user_due_at), id };

	if (tick_case_overdue(state, overdue, due_at, now))
		u.class = 0;
	else if (u.due > 0)
		u.class = 1;
	else if (lifecycle_over(case_state_of(state)))
		u.class = 3;
	return u;
}

static int
urgency_order(struct urgency a, struct urgency b)
{
	if (a.class != b.class)
		return a.class < b.class ? -1 : 1;
	if (a.class == 1 && a.due != b.due)
		return a.due < b.due ? -1 : 1;
	return a.id > b.id ? -1 : a.id < b.id ? 1 : 0;
}

static int
urgency_cmp(const void *pa, const void *pb, void *arg)
{
	const struct case_row *a = pa, *b = pb;
	int64_t now = *(const int64_t *)arg;

	return urgency_order(urgency_of(a->state, a->overdue, a->due_at, a->user_due_at, a->id,
	    now), urgency_of(b->state, b->overdue, b->due_at, b->user_due_at, b->id, now));
}

void
tick_sort_by_urgency(struct case_row *list, size_t n, int64_t now)
{
	if (n > 1)
		qsort_r(list, n, sizeof(*list), urgency_cmp, &now);
}

static int
key_urgency_cmp(const void *pa, const void *pb, void *arg)
{
	const struct case_key *a = pa, *b = pb;
	int64_t now = *(const int64_t *)arg;

	return urgency_order(urgency_of(a->state, a->overdue, a->due_at, a->user_due_at, a->id,
	    now), urgency_of(b->state, b->overdue, b->due_at, b->user_due_at, b->id, now));
}

void
tick_sort_keys_by_urgency(struct case_key *list, size_t n, int64_t now)
{
	if (n > 1)
		qsort_r(list, n, sizeof(*list), key_urgency_cmp, &now);
}

const char *
tick_step_name(enum tick_step s)
{
	switch (s) {
	case TICK_REMIND:
	case TICK_REMIND_LATE:
		return "reminder";
	case TICK_ESCALATE:
		return "escalate";
	case TICK_EXHAUSTED:
		return "exhausted";
	}
	return "?";
}

void
tick_format_paris(char *out, size_t outlen, int64_t t)
{
	static const char *const days[] = { "lundi", "mardi", "mercredi", "jeudi",
	    "vendredi", "samedi", "dimanche" };
	static const char *const months[] = { "janvier", "février", "mars", "avril", "mai",
	    "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre" };
	struct cal_tm tm;

	if (cal_to_paris(t, &tm) < 0) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out, outlen, "%s %d %s %d à %02d:%02d (heure de Paris, UTC+%02d:00)",
	    days[tm.wday], tm.mday, months[tm.mon - 1], tm.year, tm.hour, tm.min,
	    tm.utcoff / 3600);
}

/* ---- apply layer: helpers --------------------------------------------- */

/* A reminder instant to write once the page of cases is done. */
struct remind_set {
	int64_t	case_id;
	int64_t	at;
};

/* What a pass keeps for all its cases. */
struct tick_pass {
	struct instance		*in;
	const struct directory	*dir;	/* the instance's */
	struct agent		*agents;
	size_t			 n_agents;
	struct tick_stats	*stats;
	struct remind_set	*reminds;	/* computed on this page (TICK_PAGE) */
	size_t			 n_reminds;
};

/* The current rung as its deliveries show it. */
struct rung_state {
	int64_t	start;		/* last 250 of the rung; 0 if none */
	int64_t	message_id;	/* the case message the rung carries */
	char	to[1024];	/* delivered recipients, space-separated */
};

static int
rung_state(struct instance *in, const struct case_row *c, struct rung_state *rs)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i;

	memset(rs, 0, sizeof(*rs));
	if (store_delivery_list(in->st, c->id, &d, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (d[i].rung != c->rung)
			continue;
		if (rs->message_id == 0)
			rs->message_id = d[i].message_id;
		if (strcmp(d[i].state, "sent") != 0)
			continue;
		if (d[i].sent_at > rs->start)
			rs->start = d[i].sent_at;
		if (rs->to[0])
			fs_strlcat(rs->to, " ", sizeof(rs->to));
		fs_strlcat(rs->to, d[i].recipient, sizeof(rs->to));
	}
	free(d);
	return 0;
}

static const char *
structure_hours(const struct directory *dir, const char *structure)
{
	const struct dir_structure *s = directory_find_structure(dir, structure);

	return s ? s->hours : NULL;
}

/* The policy of a case; a bad opening-hours text is logged, not fatal. */
static int
case_policy(struct instance *in, const struct directory *dir, const struct case_row *c,
    struct tick_policy *p)
{
	char err[ERRLEN];

	if (tick_policy(p, &in->cfg, c->partner, dir ? structure_hours(dir, c->structure) :
	    NULL, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "fsrelay serve : %s (%s) : %s\n", c->ref, c->structure, err);
	return cal_validate(&p->ref, NULL, 0) == 0 && cal_validate(&p->staff, NULL, 0) == 0 ?
	    0 : -1;
}

/* When a mail may leave: now, or the next office time of cal. */
static int64_t
send_time(const struct calendar *cal, int64_t now)
{
	int64_t t;

	return cal_next_office_time(cal, now, &t) == 0 ? t : now;
}

static int
queue_mail(struct instance *in, const char *kind, const char *to, const char *ref,
    const char *subject, const char *body, const char *once, int64_t at)
{
	struct notice_row n;

	memset(&n, 0, sizeof(n));
	fs_strlcpy(n.kind, kind, sizeof(n.kind));
	fs_strlcpy(n.recipient, to, sizeof(n.recipient));
	fs_strlcpy(n.case_ref, ref ? ref : "", sizeof(n.case_ref));
	fs_strlcpy(n.subject, subject, sizeof(n.subject));
	fs_strlcpy(n.body, body, sizeof(n.body));
	fs_strlcpy(n.once_key, once, sizeof(n.once_key));
	n.next_attempt_at = at;
	n.created_at = in->now;
	return store_notice_insert(in->st, &n);
}

static const char *
topic_label(const struct directory *dir, const struct case_row *c)
{
	const struct dir_topic *t = directory_find_topic(dir, c->partner, c->topic);

	return t ? t->label : c->topic;
}

/* Mail the case's agent and the structure's managers (once per key). */
static int
tell_staff(struct tick_pass *tp, const struct case_row *c, const struct tick_policy *pol,
    const char *kind, const char *once_tag, int agent_too, const char *subject,
    const char *body)
{
	struct instance *in = tp->in;
	int64_t at = send_time(&pol->staff, in->now);
	char once[128];
	size_t i, told = 0;

	for (i = 0; i < tp->n_agents; i++) {
		const struct agent *a = &tp->agents[i];
		int is_agent = strcmp(a->id, c->agent) == 0;
		int is_manager = strcmp(a->role, "responsable") == 0 &&
		    strcmp(a->structure, c->structure) == 0;

		/* A disabled or removed account is told nothing: the managers
		 * follow its cases. */
		if (!((agent_too && is_agent) || is_manager) || a->disabled || a->removed)
			continue;
		snprintf(once, sizeof(once), "%s:%s:%s", once_tag, c->ref, a->id);
		if (queue_mail(in, kind, a->email, c->ref, subject, body, once, at) < 0)
			return -1;
		told++;
	}
	if (told == 0)
		fprintf(stderr, "fsrelay serve : %s : aucun agent ni responsable à prévenir\n",
		    c->ref);
	return 0;
}

static int
event(struct instance *in, const char *action, const char *ref, const char *outcome)
{
	return store_event(in->st, in->now, "relay", action, ref, outcome);
}

static int
thread_note(struct instance *in, const struct case_row *c, const char *kind, const char *to)
{
	struct message_row m;

	memset(&m, 0, sizeof(m));
	m.case_id = c->id;
	fs_strlcpy(m.kind, kind, sizeof(m.kind));
	fs_strlcpy(m.direction, "out", sizeof(m.direction));
	fs_strlcpy(m.sender, in->cfg.relay_address, sizeof(m.sender));
	fs_strlcpy(m.recipients, to, sizeof(m.recipients));
	m.at = in->now;
	return store_message_insert(in->st, &m);
}

/* ---- apply layer: the steps ------------------------------------------- */

static int
do_remind(struct tick_pass *tp, const struct case_row *c, const struct tick_policy *pol,
    const struct rung_state *rs)
{
	struct instance *in = tp->in;
	int64_t at = send_time(&pol->ref, in->now);
	char due[80], sent[80], once[400], outcome[32];
	char *copy, *save = NULL, *tok, *subject, *body;
	int r = 0;

	tick_format_paris(due, sizeof(due), c->due_at);
	tick_format_paris(sent, sizeof(sent), rs->start);
	subject = xasprintf("[%s] Rappel : réponse attendue", c->ref);
	body = xasprintf("Bonjour,\n\nLe dossier %s (%s – %s) vous a été transmis le %s par"
	    " le relais France Services.  Il attend votre réponse avant le %s.\n\n"
	    "Pour répondre, répondez au message d'origine (objet « [%s] … ») : il contient"
	    " le dossier chiffré.  Sans réponse à cette échéance, le dossier sera transmis"
	    " au palier suivant prévu par la convention.\n" SIGNATURE, c->ref,
	    directory_partner_label(tp->dir, c->partner), topic_label(tp->dir, c), sent,
	    due, c->ref);
	copy = xstrdup(rs->to);
	for (tok = strtok_r(copy, " ", &save); tok && r == 0; tok = strtok_r(NULL, " ", &save)) {
		snprintf(once, sizeof(once), "reminder:%s:%d:%s", c->ref, c->rung, tok);
		r = queue_mail(in, "reminder", tok, c->ref, subject, body, once, at);
	}
	snprintf(outcome, sizeof(outcome), "rung %d", c->rung);
	if (r == 0)
		r = thread_note(in, c, "reminder", rs->to) == 0 &&
		    event(in, "case.reminded", c->ref, outcome) == 0 ? 0 : -1;
	free(copy);
	free(subject);
	free(body);
	tp->stats->reminders++;
	return r;
}

/* Hold the new rung's deliveries until its recipients' office hours. */
static int
hold_rung(struct instance *in, const struct case_row *c, int rung, int64_t at, char *to,
    size_t tolen)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i;
	int r = 0;

	to[0] = '\0';
	if (store_delivery_list(in->st, c->id, &d, &n) < 0)
		return -1;
	for (i = 0; i < n && r == 0; i++) {
		if (d[i].rung != rung || strcmp(d[i].state, "pending") != 0)
			continue;
		if (to[0])
			fs_strlcat(to, " ", tolen);
		fs_strlcat(to, d[i].recipient, tolen);
		if (d[i].next_attempt_at < at) {
			d[i].next_attempt_at = at;
			r = store_delivery_update(in->st, &d[i]);
		}
	}
	free(d);
	return r;
}

static int
do_exhausted(struct tick_pass *tp, const struct case_row *c, const struct tick_policy *pol)
{
	struct instance *in = tp->in;
	char due[80], *subject, *body;
	int r;

	tick_format_paris(due, sizeof(due), c->due_at);
	subject = xasprintf("[%s] Partenaire sans réponse : dossier en retard", c->ref);
	body = xasprintf("Bonjour,\n\nLe dossier %s (%s – %s) n'a reçu aucune réponse :"
	    " l'échéance du dernier palier de référents prévu par la convention est passée"
	    " (%s).  Il n'y a plus de palier où le transmettre.\n\nLe dossier reste en"
	    " attente de réponse, marqué « en retard ».  Il faut relancer le partenaire"
	    " par un autre moyen (comité de suivi, responsable du partenaire).\n\n"
	    "Consultez-le avec « fsrelay show %s ».\n" SIGNATURE, c->ref,
	    directory_partner_label(tp->dir, c->partner), topic_label(tp->dir, c), due,
	    c->ref);
	r = store_case_set_rung(in->st, c->id, c->rung, c->due_at, 1) == 0 &&
	    event(in, "case.overdue", c->ref, "no rung left") == 0 &&
	    tell_staff(tp, c, pol, "partner-unresponsive", "unresponsive", 1, subject,
	    body) == 0 ? 0 : -1;
	free(subject);
	free(body);
	tp->stats->exhausted++;
	return r;
}

static int
do_escalate(struct tick_pass *tp, const struct case_row *c, const struct tick_policy *pol,
    const struct rung_state *rs, size_t n_rungs)
{
	struct instance *in = tp->in;
	char to[1024], outcome[64], tag[32], due[80], *subject, *body;
	int rung, queued = 0, r;

	for (rung = c->rung + 1; (size_t)rung < n_rungs && queued == 0; rung++)
		if ((queued = outbox_queue_rung(in, c, rung, rs->message_id)) < 0)
			return -1;
	if (queued == 0)	/* no usable key on any later rung */
		return event(in, "case.escalated", c->ref, "no usable rung") == 0 ?
		    do_exhausted(tp, c, pol) : -1;
	rung--;
	if (hold_rung(in, c, rung, send_time(&pol->ref, in->now), to, sizeof(to)) < 0 ||
	    store_case_set_rung(in->st, c->id, rung, 0, 0) < 0 ||
	    thread_note(in, c, "escalation", to) < 0)
		return -1;
	snprintf(outcome, sizeof(outcome), "rung %d -> %d", c->rung, rung);
	snprintf(tag, sizeof(tag), "escalated:%d", rung);
	tick_format_paris(due, sizeof(due), c->due_at);
	subject = xasprintf("[%s] Dossier transmis au palier suivant", c->ref);
	body = xasprintf("Bonjour,\n\nLe dossier %s (%s – %s) n'a pas reçu de réponse du"
	    " palier %d avant l'échéance (%s).  Il est transmis, chiffré, au palier %d des"
	    " référents prévus par la convention (%zu destinataire%s), qui dispose d'un délai"
	    " complet à partir de la remise.\n\nConsultez-le avec « fsrelay show %s ».\n"
	    SIGNATURE, c->ref, directory_partner_label(tp->dir, c->partner),
	    topic_label(tp->dir, c), c->rung, due, rung, (size_t)queued, queued > 1 ? "s" : "",
	    c->ref);
	r = event(in, "case.escalated", c->ref, outcome) == 0 &&
	    tell_staff(tp, c, pol, "escalated", tag, 1, subject, body) == 0 ? 0 : -1;
	free(subject);
	free(body);
	tp->stats->escalations++;
	return r;
}

/* Fire one step, exactly once: ledger row and effects in one transaction. */
static int
fire(struct tick_pass *tp, const struct case_row *c, const struct tick_policy *pol,
    const struct rung_state *rs, enum tick_step step, size_t n_rungs)
{
	struct instance *in = tp->in;
	static const char *const outcomes[] = { "sent", "late", "next rung", "no rung left" };
	int f, r = 0;

	if (store_begin(in->st) < 0)
		return -1;
	f = store_step_fire(in->st, c->id, c->rung, tick_step_name(step), in->now,
	    outcomes[step]);
	if (f < 0)
		goto fail;
	/* The reminder is done for this rung: out of the reminder index. */
	if ((step == TICK_REMIND || step == TICK_REMIND_LATE) &&
	    store_case_set_remind(in->st, c->id, 0) < 0)
		goto fail;
	if (f == 1) {
		switch (step) {
		case TICK_REMIND:
			r = do_remind(tp, c, pol, rs);
			break;
		case TICK_REMIND_LATE:
			r = event(in, "case.reminded", c->ref, "skipped: deadline passed");
			tp->stats->late_reminders++;
			break;
		case TICK_ESCALATE:
			r = do_escalate(tp, c, pol, rs, n_rungs);
			break;
		case TICK_EXHAUSTED:
			r = do_exhausted(tp, c, pol);
			break;
		}
		if (r < 0)
			goto fail;
	}
	if (store_commit(in->st) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(in->st);
	return -1;
}

static size_t
ladder_size(const struct directory *dir, const struct case_row *c)
{
	struct dir_ladder ladder = { NULL, 0 };
	char err[ERRLEN];
	size_t n = 0;

	if (directory_route(dir, c->partner, c->topic, c->structure, &ladder, err,
	    sizeof(err)) == 0)
		n = ladder.n;
	dir_ladder_free(&ladder);
	return n;
}

/* Keep the reminder instant c should have in the index (written with the
 * page, in one transaction, only when it differs). */
static void
remind_later(struct tick_pass *tp, const struct case_row *c, int64_t at)
{
	if (c->remind_at == at)
		return;
	tp->reminds = xreallocarray(tp->reminds, tp->n_reminds + 1, sizeof(*tp->reminds));
	tp->reminds[tp->n_reminds].case_id = c->id;
	tp->reminds[tp->n_reminds++].at = at;
}

/*
 * A case the due-time query selected: its deadline or reminder instant has
 * come, or its reminder instant is to compute (remind_at = -1, after a
 * change of rung or deadline, or a migrated database).
 */
static int
tick_case(struct tick_pass *tp, const struct case_row *c)
{
	struct instance *in = tp->in;
	struct tick_policy pol;
	struct tick_view v;
	struct tick_plan plan;
	struct rung_state rs;
	int64_t paused = 0, want;
	size_t i, n_rungs = 0;
	int a, b;

	struct lc_step st;

	if (case_may(c, LC_DEADLINE, &st) != LC_APPLY || !(st.effects & LC_FX_REMIND) ||
	    c->due_at == 0) {
		remind_later(tp, c, 0);
		return 0;
	}
	if (case_policy(in, tp->dir, c, &pol) < 0)
		return 0;
	if (rung_state(in, c, &rs) < 0 || store_pause_total(in->st, c->id, c->rung,
	    &paused) < 0)
		return -1;
	if (rs.start == 0) {
		remind_later(tp, c, 0);
		return 0;
	}
	memset(&v, 0, sizeof(v));
	v.state = c->state;
	v.due_at = c->due_at;
	if (tick_reminder(&pol, rs.start, paused, &v.reminder_at) < 0)
		v.reminder_at = 0;
	if ((a = store_step_fired(in->st, c->id, c->rung, "reminder")) < 0 ||
	    (b = store_step_fired(in->st, c->id, c->rung, "escalate")) < 0)
		return -1;
	if (!b && (b = store_step_fired(in->st, c->id, c->rung, "exhausted")) < 0)
		return -1;
	v.reminded = a;
	v.escalated = b;
	/* No reminder once it is sent, or once the rung is over. */
	want = a || b ? 0 : v.reminder_at;
	if (in->now >= v.due_at) {
		n_rungs = ladder_size(tp->dir, c);
		v.has_next_rung = (size_t)c->rung + 1 < n_rungs;
	}
	tick_decide(&v, in->now, &plan);
	if (plan.n == 0) {
		remind_later(tp, c, want);
		return 0;
	}
	for (i = 0; i < plan.n; i++)
		if (fire(tp, c, &pol, &rs, plan.steps[i], n_rungs) < 0)
			return -1;
	return 0;
}

/* Write the page's reminder instants: one transaction, none if unchanged. */
static int
flush_reminds(struct tick_pass *tp)
{
	struct store *st = tp->in->st;
	size_t i;

	if (tp->n_reminds == 0)
		return 0;
	if (store_begin(st) < 0)
		return -1;
	for (i = 0; i < tp->n_reminds; i++)
		if (store_case_set_remind(st, tp->reminds[i].case_id, tp->reminds[i].at) < 0) {
			store_rollback(st);
			return -1;
		}
	tp->n_reminds = 0;
	return store_commit(st);
}

/* ---- daily digest ------------------------------------------------------ */

/* Is case c due or overdue for its agent by `limit`? */
static int
digest_wants(const struct case_row *c, int64_t limit)
{
	enum case_state s = case_state_of(c->state);
	int open_referent = lifecycle_referent_open(s);
	int open_user = lifecycle_live(s);

	return (open_referent && (c->overdue || (c->due_at && c->due_at < limit))) ||
	    (open_user && c->user_due_at && c->user_due_at < limit);
}

static void
digest_line(struct buf *b, const struct case_row *c, int64_t now)
{
	char due[80], udue[80];

	tick_format_paris(due, sizeof(due), c->due_at);
	tick_format_paris(udue, sizeof(udue), c->user_due_at);
	buf_printf(b, "- %s (%s, %s)", c->ref, c->partner, c->topic);
	if (c->overdue)
		buf_puts(b, " : partenaire sans réponse au dernier palier");
	else if (c->due_at && lifecycle_referent_open(case_state_of(c->state)))
		buf_printf(b, " : référent %s le %s", c->due_at <= now ? "en retard depuis" :
		    "attendu avant", due);
	if (c->user_due_at)
		buf_printf(b, " ; réponse à l'usager %s le %s", c->user_due_at <= now ?
		    "due depuis" : "due avant", udue);
	buf_puts(b, "\n");
}

static int
digest_agent(struct tick_pass *tp, const struct agent *a)
{
	struct instance *in = tp->in;
	struct tick_policy pol;
	struct cal_tm today;
	struct case_row *cases = NULL;
	struct buf body;
	char once[160], mark[96], err[ERRLEN];
	int64_t limit, t;
	size_t i, n = 0, count = 0;
	int r = 0;

	if (a->disabled || a->removed)
		return 0;	/* no digest to an account that cannot act */
	if (tick_policy(&pol, &in->cfg, "", structure_hours(tp->dir, a->structure), err,
	    sizeof(err)) < 0 && cal_validate(&pol.staff, NULL, 0) < 0)
		return 0;
	/* Only within the agent's office hours. */
	if (cal_next_office_time(&pol.staff, in->now, &t) < 0 || t != in->now ||
	    cal_to_paris(in->now, &today) < 0)
		return 0;
	snprintf(once, sizeof(once), "digest:%s:%04d-%02d-%02d", a->id, today.year, today.mon,
	    today.mday);
	if (cal_paris_midnight(today.year, today.mon, today.mday, &limit) < 0)
		return 0;
	snprintf(mark, sizeof(mark), "digest.%s", a->id);
	if ((r = store_mark_get(in->st, mark, &t)) < 0)
		return -1;
	if (r == 0 && t == limit)
		return 0;	/* already sent today */
	/* Due before tomorrow evening, 24:00: the agent's cases of the index. */
	if (store_case_agent_due(in->st, a->id, limit + 2 * CAL_DAY, &cases, &n) < 0)
		return -1;
	r = 0;
	buf_init(&body, BODY_MAX);
	buf_printf(&body, "Bonjour,\n\nVos dossiers dont une échéance tombe d'ici demain soir"
	    " ou est passée (références seulement ; « fsrelay show RÉF » pour le détail) :\n\n");
	for (i = 0; i < n; i++) {
		if (!digest_wants(&cases[i], limit + 2 * CAL_DAY))
			continue;
		if (count < 30)
			digest_line(&body, &cases[i], in->now);
		count++;
	}
	if (count > 30)
		buf_printf(&body, "… et %zu autres : « fsrelay cases --agent %s --due-before"
		    " DATE ».\n", count - 30, a->id);
	buf_puts(&body, SIGNATURE);
	if (count) {
		char subject[128];

		snprintf(subject, sizeof(subject), "Vos dossiers à échéance (%zu)", count);
		r = queue_mail(in, "digest", a->email, NULL, subject, body.p, once, in->now);
		if (r == 0 && (r = store_mark_set(in->st, mark, limit)) == 0)
			tp->stats->digests++;
	}
	buf_free(&body);
	free(cases);
	return r;
}

static int
digests(struct tick_pass *tp)
{
	size_t i;

	for (i = 0; i < tp->n_agents; i++)
		if (digest_agent(tp, &tp->agents[i]) < 0)
			return -1;
	return 0;
}

/* ---- entry points ------------------------------------------------------- */

int
tick_run(struct instance *in, struct tick_stats *stats, char *err, size_t errlen)
{
	struct tick_pass tp;
	struct case_row *cases = NULL;
	int64_t after = 0;
	size_t n = 0, i;
	int r = -1;

	memset(stats, 0, sizeof(*stats));
	memset(&tp, 0, sizeof(tp));
	tp.in = in;
	tp.stats = stats;
	if ((tp.dir = instance_directory(in, err, errlen)) == NULL ||
	    store_agent_list(in->st, &tp.agents, &tp.n_agents) < 0)
		goto fail;
	/* Only the cases with something due, a page at a time (issue 15). */
	do {
		if (store_case_due(in->st, in->now, after, TICK_PAGE, &cases, &n) < 0)
			goto fail;
		for (i = 0; i < n && !INSTANCE_STOPPING(in); i++) {
			if (tick_case(&tp, &cases[i]) < 0)
				goto fail;
			after = cases[i].id;
		}
		free(cases);
		cases = NULL;
		if (flush_reminds(&tp) < 0)
			goto fail;
		if (INSTANCE_STOPPING(in))
			goto done;	/* SIGTERM: the rest waits for the next start */
	} while (n == TICK_PAGE);
	/* The digest sees the cases as this pass left them. */
	if (digests(&tp) < 0)
		goto fail;
done:
	r = 0;
	goto out;
fail:
	snprintf(err, errlen, "échéances : base : %s", store_errmsg(in->st));
out:
	free(cases);
	free(tp.reminds);
	free(tp.agents);
	return r;
}

int64_t
tick_referent_due(struct instance *in, const struct case_row *c, int64_t from)
{
	struct tick_policy pol;
	int64_t due = 0;

	if (case_policy(in, NULL, c, &pol) < 0 || tick_due(&pol, from, 0, &due) < 0)
		return 0;
	return due;
}

/* The working time of c's pauses (any rung; one still open ends at to)
 * that falls within [from, to). */
static int
paused_within(struct instance *in, const struct tick_policy *pol, int64_t case_id,
    int64_t from, int64_t to, int64_t *secs_r)
{
	struct pause_row *p = NULL;
	size_t n = 0, i;
	int r = 0;

	*secs_r = 0;
	if (store_pause_list(in->st, case_id, &p, &n) < 0)
		return -1;
	for (i = 0; i < n && r == 0; i++) {
		int64_t a = p[i].started_at > from ? p[i].started_at : from;
		int64_t b = p[i].ended_at && p[i].ended_at < to ? p[i].ended_at : to;
		int64_t s = 0;

		if (b > a && (r = tick_paused(pol, a, b, &s)) == 0)
			*secs_r += s;
	}
	free(p);
	return r;
}

int
tick_reply_delay(struct instance *in, const struct directory *dir, const struct case_row *c,
    int64_t from, int64_t to, int64_t *delay_r, int *in_time_r, int *hours_r)
{
	struct tick_policy pol;
	int64_t paused = 0, worked = 0, due = 0;

	if (case_policy(in, dir, c, &pol) < 0 ||
	    paused_within(in, &pol, c->id, from, to, &paused) < 0 ||
	    tick_paused(&pol, from, to, &worked) < 0 || tick_due(&pol, from, paused, &due) < 0)
		return -1;
	*delay_r = worked > paused ? worked - paused : 0;
	*in_time_r = to <= due;
	*hours_r = pol.unit == TICK_HOURS;
	return 0;
}

int
tick_wait(struct instance *in, const struct case_row *c, const char *actor, char *err,
    size_t errlen)
{
	struct case_row now = *c;
	struct lc_step st;

	if (case_may(c, LC_WAIT, &st) != LC_APPLY) {
		snprintf(err, errlen, "%s", st.why);
		return -1;
	}
	if (store_begin(in->st) < 0)
		goto fail;
	if (case_step(in->st, &now, LC_WAIT, in->now, NULL) != LC_APPLY ||
	    store_pause_begin(in->st, c->id, c->rung, in->now) < 0 ||
	    store_event(in->st, in->now, actor, "case.waiting_user", c->ref, "clock paused") < 0 ||
	    store_commit(in->st) < 0) {
		store_rollback(in->st);
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "base : %s", store_errmsg(in->st));
	return -1;
}

int
tick_resume(struct instance *in, const struct case_row *c, const char *actor,
    int64_t *shift_r, char *err, size_t errlen)
{
	struct tick_policy pol;
	struct pause_row p;
	struct rung_state rs;
	int64_t from, secs = 0, due = c->due_at;
	char outcome[64];
	struct case_row now = *c;
	struct lc_step st;
	int r;

	if (case_may(c, LC_RESUME, &st) != LC_APPLY) {
		snprintf(err, errlen, "%s", st.why);
		return -1;
	}
	if (case_policy(in, NULL, c, &pol) < 0) {
		snprintf(err, errlen, "calendrier du partenaire invalide");
		return -1;
	}
	if (store_begin(in->st) < 0 || (r = store_pause_open(in->st, c->id, &p)) < 0 ||
	    rung_state(in, c, &rs) < 0)
		goto fail;
	if (r == 0 && c->due_at != 0 && rs.start != 0) {
		from = p.started_at > rs.start ? p.started_at : rs.start;
		if (tick_paused(&pol, from, in->now, &secs) < 0 ||
		    tick_shift(&pol, c->due_at, secs, &due) < 0) {
			store_rollback(in->st);
			snprintf(err, errlen, "durée de l'attente incalculable");
			return -1;
		}
	}
	snprintf(outcome, sizeof(outcome), "paused %lld s of working time", (long long)secs);
	if ((r == 0 && store_pause_end(in->st, p.id, in->now, secs) < 0) ||
	    store_case_set_rung(in->st, c->id, c->rung, due, c->overdue) < 0 ||
	    case_step(in->st, &now, LC_RESUME, in->now, NULL) != LC_APPLY ||
	    store_event(in->st, in->now, actor, "case.resumed", c->ref, outcome) < 0 ||
	    store_commit(in->st) < 0)
		goto fail;
	if (shift_r)
		*shift_r = secs;
	return 0;
fail:
	store_rollback(in->st);
	snprintf(err, errlen, "base : %s", store_errmsg(in->st));
	return -1;
}

static int
report_cases(struct instance *in, const struct directory *dir,
    const struct case_facts *f, size_t n, struct report_case *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct case_row *c = &f[i].c;
		const struct dir_topic *t = directory_find_topic(dir, c->partner, c->topic);
		struct report_case *r = &out[i];

		memset(r, 0, sizeof(*r));
		fs_strlcpy(r->partner, c->partner, sizeof(r->partner));
		fs_strlcpy(r->partner_label, directory_partner_label(dir, c->partner),
		    sizeof(r->partner_label));
		fs_strlcpy(r->topic, c->topic, sizeof(r->topic));
		fs_strlcpy(r->topic_label, t ? t->label : c->topic, sizeof(r->topic_label));
		/* Long labels are cut: between characters, never inside one. */
		fs_utf8_clip(r->partner_label);
		fs_utf8_clip(r->topic_label);
		r->cancelled = f[i].cancelled;
		r->overdue = tick_case_overdue(c->state, c->overdue, c->due_at, in->now);
		if (f[i].first_reply_at == 0)
			continue;
		r->answered = 1;
		/* A reply with no sending recorded before it: answered, but no
		 * delay to measure (left out of the median and the deadline). */
		if (f[i].first_sent_at == 0 || f[i].first_reply_at <= f[i].first_sent_at)
			continue;
		r->timed = 1;
		if (tick_reply_delay(in, dir, c, f[i].first_sent_at, f[i].first_reply_at,
		    &r->delay, &r->in_time, &r->unit_hours) < 0)
			return -1;
	}
	return 0;
}

int
tick_report(struct instance *in, const struct report_period *p, struct report_row **rows,
    size_t *nrows, char *err, size_t errlen)
{
	struct directory dir;
	struct case_facts *facts = NULL;
	struct report_case *cases = NULL;
	const char *structure = p->structure[0] ? p->structure : NULL;
	char derr[512];
	size_t n = 0;
	int r = -1;

	*rows = NULL;
	*nrows = 0;
	if (store_directory_load(in->st, &dir, derr, sizeof(derr)) < 0) {
		snprintf(err, errlen, "lecture de l'annuaire : %s", derr);
		return -1;
	}
	if (structure != NULL && directory_find_structure(&dir, structure) == NULL)
		snprintf(err, errlen, "refusé : structure inconnue « %.64s »", structure);
	else if (store_case_facts(in->st, p->from, p->to, structure, &facts, &n) < 0)
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
	else {
		cases = xcalloc(n ? n : 1, sizeof(*cases));
		if (report_cases(in, &dir, facts, n, cases) < 0)
			snprintf(err, errlen, "délai de réponse incalculable (base, ou calendrier"
			    " d'un partenaire dans fsrelay.conf : voir fsrelay check) : %s",
			    store_errmsg(in->st));
		else {
			report_build(cases, n, rows, nrows);
			r = 0;
		}
	}
	free(facts);
	free(cases);
	directory_free(&dir);
	return r;
}
