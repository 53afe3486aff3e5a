/*
 * purge - see purge.h.  Runs in each `serve` pass, after the deadlines.
 */
#include "relay/purge.h"
#include "relay/breach.h"
#include "relay/instance.h"
#include "relay/transition.h"
#include "relay/util.h"
#include "relay/port/store_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURGE_PAGE	256	/* cases read per query */

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
	size_t n = 0, i;
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
	/* Deleted pages must leave the disk too. */
	if (*shredded && (r = purge_wal(in)) < 0) {
		snprintf(err, errlen, "purge du journal WAL : base : %s", store_errmsg(in->st));
		return -1;
	}
	if (*shredded && r == 1)
		fprintf(stderr, "fsrelay : attention : " PURGE_WAL_DEFERRED "\n");
	return 0;
}
