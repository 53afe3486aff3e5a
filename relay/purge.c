/*
 * purge - see purge.h.  Runs in each `serve` pass, after the deadlines.
 */
#include "relay/purge.h"
#include "relay/breach.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/tick.h"
#include "relay/transition.h"
#include "relay/util.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_deliveries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURGE_PAGE	256	/* cases read per query */
#define DAY		86400

/* The states of a case still open: what a stale case may be in. */
static const enum case_state open_states[] = {
	CASE_QUEUED, CASE_AWAITING, CASE_ANSWERED, CASE_WAITING_USER, CASE_FAILED,
};

int
purge_verify(struct instance *in, long long case_id)
{
	static const char *const case_cols[] = { "person", "description" };
	struct document_row *docs = NULL;
	struct message_row *msgs = NULL;
	struct buf b;
	char kek_id[33];
	size_t nd = 0, nm = 0, i;
	int r = 0, k;

	buf_init(&b, 256 * 1024 * 1024);
	if ((k = store_case_key_get(in->st, case_id, kek_id, &b)) != 1)
		r = k < 0 ? -1 : 1;
	for (i = 0; r == 0 && i < FS_ARRAY_LEN(case_cols); i++)
		if ((k = store_case_get_blob(in->st, case_id, case_cols[i], &b)) != 1)
			r = k < 0 ? -1 : 1;
	if (r == 0 && (store_document_list(in->st, case_id, 0, &docs, &nd) < 0 ||
	    store_message_list(in->st, case_id, &msgs, &nm) < 0))
		r = -1;
	for (i = 0; r == 0 && i < nd; i++)
		if ((k = store_document_get_blob(in->st, docs[i].id, "name", &b)) != 1 ||
		    (k = store_document_get_blob(in->st, docs[i].id, "content", &b)) != 1)
			r = k < 0 ? -1 : 1;
	for (i = 0; r == 0 && i < nm; i++)
		if ((k = store_message_get_text(in->st, msgs[i].id, &b)) != 1 ||
		    (k = store_message_get_full_text(in->st, msgs[i].id, &b)) != 1)
			r = k < 0 ? -1 : 1;
	free(docs);
	free(msgs);
	buf_free(&b);
	return r;
}

static int
shred_one(struct instance *in, const struct case_row *c)
{
	struct lc_step st;
	int v;

	if (case_may(c, LC_SHRED, &st) != LC_APPLY)
		return 1;	/* not resolved (any more): nothing to shred */
	if (store_begin(in->st) < 0)
		return -1;
	if (store_case_shred(in->st, c->id, in->now) < 0 ||
	    store_event(in->st, in->now, "relay", "case.shredded", c->ref, "resolved") < 0 ||
	    (v = purge_verify(in, c->id)) < 0 ||
	    store_event(in->st, in->now, "relay", "case.purge-verified", c->ref,
	    v == 0 ? "ok" : "content remains") < 0 ||
	    (v != 0 && breach_suspect(in, BREACH_SRC_INTEGRITY, c->ref,
	    "Destruction d'un dossier résolu incomplète : du contenu scellé subsiste") < 0) ||
	    store_commit(in->st) < 0) {
		store_rollback(in->st);
		return -1;
	}
	fprintf(stderr, "fsrelay serve : dossier %s détruit (résolu depuis plus de %ld"
	    " jour(s))%s\n", c->ref, in->cfg.shred_grace_days,
	    v == 0 ? "" : " : VÉRIFICATION ÉCHOUÉE");
	return 0;
}

/* ---- stale open cases (stale_case_days, then stale_grace_days) ------- */

/* Pending deliveries of c are stopped: nothing of a destroyed case leaves. */
static int
stop_pending(struct instance *in, const struct case_row *c)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i;
	int r = 0;

	if (store_delivery_list(in->st, c->id, &d, &n) < 0)
		return -1;
	for (i = 0; i < n && r == 0; i++) {
		if (strcmp(d[i].state, "pending") != 0)
			continue;
		fs_strlcpy(d[i].state, "failed", sizeof(d[i].state));
		fs_strlcpy(d[i].last_error, "dossier détruit : sans activité", sizeof(d[i].last_error));
		r = store_delivery_update(in->st, &d[i]);
	}
	free(d);
	return r;
}

/* The agent (or, their account disabled, the managers) is told that c has
 * had no activity since its updated_at and when it will be destroyed. */
static int
stale_notice(struct instance *in, const struct case_row *c)
{
	char since[128], when[128], once[96];
	char *subject, *body;
	int r;

	tick_format_paris(since, sizeof(since), c->updated_at);
	tick_format_paris(when, sizeof(when), in->now + in->cfg.stale_grace_days * DAY);
	snprintf(once, sizeof(once), "stale:%s:%lld", c->ref, (long long)c->updated_at);
	subject = xasprintf("[%s] Dossier sans activité : destruction dans %ld jour(s)", c->ref,
	    in->cfg.stale_grace_days);
	body = xasprintf("Bonjour,\n\nLe dossier %s n'a connu aucune activité depuis le %s"
	    " (plus de %ld jours).  Les données d'un dossier ne sont gardées que le temps de"
	    " la démarche (convention France Services, article 4.6) : sans nouvelle activité,"
	    " il sera clos et détruit à partir du %s.\n\nPour le garder, agissez sur le"
	    " dossier : relance du référent (« fsrelay send %s »), attente de l'usager ou"
	    " reprise (« fsrelay wait %s », « fsrelay resume %s »), ou changement de"
	    " référent (« fsrelay reroute %s »).  S'il est terminé : « fsrelay close %s"
	    " --resolution … ».\n\n-- \nRelais sécurisé fsrelay\n", c->ref, since,
	    in->cfg.stale_case_days, when, c->ref, c->ref, c->ref, c->ref, c->ref);
	r = outbox_agent_notice(in, "stale-case", c, subject, body, once);
	free(subject);
	free(body);
	return r;
}

/* Cancel and shred c, verified, in one transaction; then tell the agent. */
static int
stale_shred(struct instance *in, struct case_row *c)
{
	char mark[64], outcome[48], *subject, *body;
	struct lc_step st;
	int v = 0, r;

	if (case_may(c, LC_CANCEL, &st) != LC_APPLY)
		return 1;
	snprintf(mark, sizeof(mark), "stale.%s", c->ref);
	snprintf(outcome, sizeof(outcome), "sans activité depuis %ld jours",
	    (long)((in->now - c->updated_at) / DAY));
	if (store_begin(in->st) < 0)
		return -1;
	if (stop_pending(in, c) < 0 ||
	    case_step(in->st, c, LC_CANCEL, in->now, NULL) != LC_APPLY ||
	    store_event(in->st, in->now, "relay", "case.expired", c->ref, outcome) < 0 ||
	    case_may(c, LC_SHRED, &st) != LC_APPLY ||
	    store_case_shred(in->st, c->id, in->now) < 0 ||
	    store_event(in->st, in->now, "relay", "case.shredded", c->ref, "stale") < 0 ||
	    (v = purge_verify(in, c->id)) < 0 ||
	    store_event(in->st, in->now, "relay", "case.purge-verified", c->ref,
	    v == 0 ? "ok" : "content remains") < 0 ||
	    (v != 0 && breach_suspect(in, BREACH_SRC_INTEGRITY, c->ref,
	    "Destruction d'un dossier sans activité incomplète : du contenu scellé subsiste") < 0) ||
	    store_mark_set(in->st, mark, 0) < 0 ||
	    store_commit(in->st) < 0) {
		store_rollback(in->st);
		return -1;
	}
	fprintf(stderr, "fsrelay serve : dossier %s détruit (sans activité depuis plus de %ld"
	    " jour(s))%s\n", c->ref, in->cfg.stale_case_days + in->cfg.stale_grace_days,
	    v == 0 ? "" : " : VÉRIFICATION ÉCHOUÉE");
	subject = xasprintf("[%s] Dossier détruit faute d'activité", c->ref);
	body = xasprintf("Bonjour,\n\nLe dossier %s, sans activité depuis plus de %ld jours"
	    " malgré l'avis envoyé il y a %ld jours, a été clos et détruit (convention France"
	    " Services, article 4.6).  Son contenu n'est plus lisible ; sa référence reste"
	    " dans « fsrelay cases ».\n\n-- \nRelais sécurisé fsrelay\n", c->ref,
	    in->cfg.stale_case_days, in->cfg.stale_grace_days);
	r = outbox_agent_notice(in, "stale-shredded", c, subject, body, NULL);
	free(subject);
	free(body);
	return r < 0 ? -1 : 0;
}

/*
 * One stale case (no activity since before now - stale_case_days): the
 * notice once per quiet spell (the mark "stale.REF" holds when it was
 * sent; an activity after it makes it void), then, stale_grace_days after
 * the notice, the destruction.  0 nothing, 1 noticed, 2 shredded, -1.
 */
static int
stale_one(struct instance *in, struct case_row *c)
{
	char mark[64];
	int64_t told = 0;
	int r;

	snprintf(mark, sizeof(mark), "stale.%s", c->ref);
	if (store_mark_get(in->st, mark, &told) < 0)
		return -1;
	if (told <= c->updated_at) {
		if (stale_notice(in, c) < 0 || store_mark_set(in->st, mark, in->now) < 0)
			return -1;
		return 1;
	}
	if (in->now < told + in->cfg.stale_grace_days * DAY)
		return 0;
	r = stale_shred(in, c);
	return r < 0 ? -1 : r == 0 ? 2 : 0;
}

static int
purge_stale(struct instance *in, size_t *shredded)
{
	struct case_row *list = NULL;
	int64_t before = in->now - in->cfg.stale_case_days * DAY, after;
	size_t n = 0, i, k;
	int r = 0;

	for (k = 0; k < FS_ARRAY_LEN(open_states) && r >= 0; k++) {
		after = 0;
		do {
			if (store_case_stale(in->st, case_state_name(open_states[k]), 1, before,
			    after, PURGE_PAGE, &list, &n) < 0)
				return -1;
			for (i = 0; i < n && r >= 0 && !INSTANCE_STOPPING(in); i++) {
				after = list[i].id;
				if ((r = stale_one(in, &list[i])) == 2)
					(*shredded)++;
			}
			free(list);
			list = NULL;
		} while (r >= 0 && n == PURGE_PAGE && !INSTANCE_STOPPING(in));
	}
	return r < 0 ? -1 : 0;
}

/* ---- the blind index of shredded cases (index_retention_days) ------- */

#define INDEX_MARK	"purge.index_until"

/* Remove the blind index of the cases shredded more than
 * index_retention_days ago, each verified; the mark INDEX_MARK bounds the
 * next scan (a shredded case's updated_at, its shredding, never moves). */
static int
purge_index(struct instance *in, size_t *unindexed)
{
	struct case_row *list = NULL;
	int64_t before = in->now - in->cfg.index_retention_days * DAY + 1, from = 0, after = 0;
	size_t n = 0, i;
	int r = 0, v;

	if (store_mark_get(in->st, INDEX_MARK, &from) < 0)
		return -1;
	if (before <= from)
		return 0;
	do {
		if (store_case_shredded_indexed(in->st, from, before, after, PURGE_PAGE, &list,
		    &n) < 0)
			return -1;
		for (i = 0; i < n && r == 0 && !INSTANCE_STOPPING(in); i++) {
			after = list[i].id;
			if (store_begin(in->st) < 0)
				r = -1;
			else if (store_case_unindex(in->st, list[i].id) < 0 ||
			    (v = store_case_index_remains(in->st, list[i].id)) < 0 ||
			    store_event(in->st, in->now, "relay", "case.unindexed", list[i].ref,
			    v == 0 ? "ok" : "index remains") < 0 ||
			    (v != 0 && breach_suspect(in, BREACH_SRC_INTEGRITY, list[i].ref,
			    "Effacement de l'index aveugle d'un dossier détruit incomplet") < 0) ||
			    store_commit(in->st) < 0) {
				store_rollback(in->st);
				r = -1;
			} else
				(*unindexed)++;
		}
		free(list);
		list = NULL;
	} while (r == 0 && n == PURGE_PAGE && !INSTANCE_STOPPING(in));
	if (r == 0 && !INSTANCE_STOPPING(in) && store_mark_set(in->st, INDEX_MARK, before) < 0)
		r = -1;
	return r;
}

int
purge_wal(struct instance *in)
{
	int64_t since = 0;

	if (store_checkpoint(in->st) == 0) {
		if (store_mark_get(in->st, PURGE_WAL_MARK, &since) < 0 ||
		    (since != 0 && store_mark_set(in->st, PURGE_WAL_MARK, 0) < 0))
			return -1;
		return 0;
	}
	if (store_mark_get(in->st, PURGE_WAL_MARK, &since) < 0 ||
	    (since == 0 && store_mark_set(in->st, PURGE_WAL_MARK, in->now) < 0))
		return -1;
	return 1;
}

int
purge_run(struct instance *in, size_t *shredded, char *err, size_t errlen)
{
	struct case_row *list = NULL;
	size_t n = 0, i, unindexed = 0;
	int64_t grace = (int64_t)in->cfg.shred_grace_days * 86400, after = 0, pending = 0;
	int r = 0;

	*shredded = 0;
	/* A purge deferred by a concurrent reader is retried each pass. */
	if (store_mark_get(in->st, PURGE_WAL_MARK, &pending) < 0 ||
	    (pending != 0 && (r = purge_wal(in)) < 0)) {
		snprintf(err, errlen, "purge du journal WAL : base : %s", store_errmsg(in->st));
		return -1;
	}
	if (pending != 0 && r == 0)
		fprintf(stderr, "fsrelay : purge du journal WAL faite (différée jusqu'ici)\n");
	r = 0;
	/* Open cases left without activity: notice, then destruction. */
	if (purge_stale(in, shredded) < 0) {
		snprintf(err, errlen, "destruction des dossiers sans activité : base : %s",
		    store_errmsg(in->st));
		return -1;
	}
	/* updated_at is the resolution: a resolved case changes no more.  Only
	 * the cases resolved long enough ago, through the index (issue 15). */
	do {
		if (store_case_stale(in->st, case_state_name(CASE_RESOLVED), 1, in->now - grace + 1, after,
		    PURGE_PAGE, &list, &n) < 0) {
			snprintf(err, errlen, "destruction : base : %s", store_errmsg(in->st));
			return -1;
		}
		for (i = 0; i < n && r == 0 && !INSTANCE_STOPPING(in); i++) {
			after = list[i].id;
			if ((r = shred_one(in, &list[i])) == 0)
				(*shredded)++;
			else if (r == 1)
				r = 0;
		}
		free(list);
		list = NULL;
	} while (r == 0 && n == PURGE_PAGE && !INSTANCE_STOPPING(in));
	if (r < 0) {
		snprintf(err, errlen, "destruction : base : %s", store_errmsg(in->st));
		return -1;
	}
	if (purge_index(in, &unindexed) < 0) {
		snprintf(err, errlen, "effacement de l'index aveugle : base : %s",
		    store_errmsg(in->st));
		return -1;
	}
	if (unindexed)
		fprintf(stderr, "fsrelay serve : index aveugle effacé pour %zu dossier(s) détruit(s)"
		    " depuis plus de %ld jour(s)\n", unindexed, in->cfg.index_retention_days);
	/* Deleted pages must leave the disk too. */
	if ((*shredded || unindexed) && (r = purge_wal(in)) < 0) {
		snprintf(err, errlen, "purge du journal WAL : base : %s", store_errmsg(in->st));
		return -1;
	}
	if ((*shredded || unindexed) && r == 1)
		fprintf(stderr, "fsrelay : attention : " PURGE_WAL_DEFERRED "\n");
	return 0;
}
