/*
 * store_audit - the store's part for the audit log and the breach register
 * (relay/audit, relay/breach): the checkpoints of the audit log, the
 * versions of the breach register and the alerts sent to the DPO, all
 * append-only (triggers refuse UPDATE and DELETE); plus the read-only
 * queries they need on the core tables (events, deliveries, cases) and the
 * two writes a key compromise makes (referent_keys, deliveries).
 *
 * Trusts its callers for the values; prepared statements only.  The
 * breach bodies arrive sealed (relay/breach seals them under the KEK).
 */
#include "adapters/store.h"
#include "adapters/store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const audit_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE audit_checkpoints ("
	"  id INTEGER PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL,"
	"  at INTEGER NOT NULL, note TEXT NOT NULL);"
	"CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
	"CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints"
	"  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
	"CREATE TABLE breach_versions ("
	"  breach_id INTEGER NOT NULL, version INTEGER NOT NULL,"
	"  recorded_at INTEGER NOT NULL, author TEXT NOT NULL, status TEXT NOT NULL,"
	"  source TEXT NOT NULL, case_ref TEXT NOT NULL, detected_at INTEGER NOT NULL,"
	"  deadline_at INTEGER NOT NULL, kek_id TEXT NOT NULL, body BLOB NOT NULL,"
	"  PRIMARY KEY (breach_id, version));"
	"CREATE TRIGGER breach_versions_no_update BEFORE UPDATE ON breach_versions"
	"  BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;"
	"CREATE TRIGGER breach_versions_no_delete BEFORE DELETE ON breach_versions"
	"  BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;"
	"CREATE TABLE breach_alerts ("
	"  breach_id INTEGER NOT NULL, stage INTEGER NOT NULL,"
	"  deadline_at INTEGER NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (breach_id, stage));"
	"CREATE TRIGGER breach_alerts_no_update BEFORE UPDATE ON breach_alerts"
	"  BEGIN SELECT RAISE(ABORT, 'alerts are append-only'); END;"
	"CREATE TRIGGER breach_alerts_no_delete BEFORE DELETE ON breach_alerts"
	"  BEGIN SELECT RAISE(ABORT, 'alerts are append-only'); END;",
};

const struct store_area store_area_audit = {
	"audit", audit_migrations, FS_ARRAY_LEN(audit_migrations)
};

/* ---- events --------------------------------------------------------- */

int
store_event_scan(struct store *st, int64_t from, int64_t to,
    int (*cb)(void *arg, const struct store_event_view *ev), void *arg)
{
	sqlite3_stmt *s = st_prep(st, "SELECT seq, at, actor, action, case_ref, outcome"
	    " FROM events WHERE at >= ? AND at < ? ORDER BY seq");
	struct store_event_view ev;
	int r, k, stop = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while (!stop && (r = sqlite3_step(s)) == SQLITE_ROW) {
		ev.seq = sqlite3_column_int64(s, 0);
		ev.at = sqlite3_column_int64(s, 1);
		for (k = 0; k < 4; k++) {
			const unsigned char *t = sqlite3_column_text(s, 2 + k);

			ev.field[k] = t ? (const char *)t : "";
			ev.len[k] = t ? (size_t)sqlite3_column_bytes(s, 2 + k) : 0;
		}
		stop = cb(arg, &ev);
	}
	sqlite3_finalize(s);
	if (stop)
		return stop;
	return r == SQLITE_DONE ? 0 : -1;
}

int
store_savepoint(struct store *st)
{
	return st_exec(st, "SAVEPOINT fsrelay_sp");
}

int
store_release(struct store *st)
{
	return st_exec(st, "RELEASE fsrelay_sp");
}

void
store_rollback_to(struct store *st)
{
	(void)st_exec(st, "ROLLBACK TO fsrelay_sp");
	(void)st_exec(st, "RELEASE fsrelay_sp");
}

/* ---- checkpoints ---------------------------------------------------- */

int
store_audit_checkpoint_add(struct store *st, uint64_t size, const uint8_t root[32],
    int64_t at, const char *note)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO audit_checkpoints (size, root, at, note)"
	    " VALUES (?, ?, ?, ?)");

	if (s == NULL || size > INT64_MAX) {
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(s, 2, root, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, at);
	st_bind_text(s, 4, note);
	return st_run_done(s);
}

static void
checkpoint_from_row(sqlite3_stmt *s, void *row)
{
	struct audit_checkpoint_row *c = row;
	const void *root = sqlite3_column_blob(s, 2);
	const unsigned char *note = sqlite3_column_text(s, 4);
	int64_t size = sqlite3_column_int64(s, 1);

	c->id = sqlite3_column_int64(s, 0);
	/* A negative size can only come from an edited file: make it an
	 * impossible size, which the verifier reports. */
	c->size = size < 0 ? UINT64_MAX : (uint64_t)size;
	if (root && sqlite3_column_bytes(s, 2) == 32)
		memcpy(c->root, root, 32);
	c->at = sqlite3_column_int64(s, 3);
	c->note = xstrdup(note ? (const char *)note : "");
}

static void
checkpoint_drop(void *row)
{
	struct audit_checkpoint_row *c = row;

	free(c->note);
}

int
store_audit_checkpoint_list(struct store *st, struct audit_checkpoint_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT id, size, root, at, note FROM audit_checkpoints"
	    " ORDER BY id");
	int r;

	*list = st_collect(st, s, sizeof(**list), checkpoint_from_row, checkpoint_drop, n, &r);
	return r;
}

void
store_audit_checkpoint_free(struct audit_checkpoint_row *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i].note);
	free(list);
}

int
store_audit_checkpoint_last_at(struct store *st, int64_t *at)
{
	sqlite3_stmt *s = st_prep(st, "SELECT at FROM audit_checkpoints ORDER BY id DESC"
	    " LIMIT 1");
	int r;

	if (s == NULL)
		return -1;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*at = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

int
store_event_first_at(struct store *st, int64_t *at)
{
	sqlite3_stmt *s = st_prep(st, "SELECT at FROM events ORDER BY seq LIMIT 1");
	int r;

	if (s == NULL)
		return -1;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*at = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

/* ---- breach register ------------------------------------------------ */

int
store_breach_version_add(struct store *st, const struct breach_version_row *v,
    const void *body, size_t len)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO breach_versions (breach_id, version,"
	    " recorded_at, author, status, source, case_ref, detected_at, deadline_at,"
	    " kek_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	int r;

	if (s == NULL || len > INT32_MAX) {
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_bind_int64(s, 1, v->breach_id);
	sqlite3_bind_int(s, 2, v->version);
	sqlite3_bind_int64(s, 3, v->recorded_at);
	st_bind_text(s, 4, v->author);
	st_bind_text(s, 5, v->status);
	st_bind_text(s, 6, v->source);
	st_bind_text(s, 7, v->case_ref);
	sqlite3_bind_int64(s, 8, v->detected_at);
	sqlite3_bind_int64(s, 9, v->deadline_at);
	st_bind_text(s, 10, v->kek_id);
	sqlite3_bind_blob(s, 11, body, (int)len, SQLITE_TRANSIENT);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return 1;
	return r == SQLITE_DONE ? 0 : -1;
}

#define BREACH_COLS "breach_id, version, recorded_at, author, status, source, case_ref," \
	" detected_at, deadline_at, kek_id, body"

static void
version_from_row(sqlite3_stmt *s, void *row)
{
	struct breach_version_row *v = row;

	memset(v, 0, sizeof(*v));
	v->breach_id = sqlite3_column_int64(s, 0);
	v->version = sqlite3_column_int(s, 1);
	v->recorded_at = sqlite3_column_int64(s, 2);
	st_col_copy(s, 3, v->author, sizeof(v->author));
	st_col_copy(s, 4, v->status, sizeof(v->status));
	st_col_copy(s, 5, v->source, sizeof(v->source));
	st_col_copy(s, 6, v->case_ref, sizeof(v->case_ref));
	v->detected_at = sqlite3_column_int64(s, 7);
	v->deadline_at = sqlite3_column_int64(s, 8);
	st_col_copy(s, 9, v->kek_id, sizeof(v->kek_id));
}

int
store_breach_latest(struct store *st, int64_t breach_id, struct breach_version_row *v,
    struct buf *body)
{
	sqlite3_stmt *s = st_prep(st, "SELECT " BREACH_COLS " FROM breach_versions"
	    " WHERE breach_id = ? ORDER BY version DESC LIMIT 1");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, breach_id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		version_from_row(s, v);
		if (buf_append(body, sqlite3_column_blob(s, 10),
		    (size_t)sqlite3_column_bytes(s, 10)) < 0)
			r = SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

int
store_breach_list(struct store *st, struct breach_version_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT " BREACH_COLS " FROM breach_versions v"
	    " WHERE version = (SELECT max(version) FROM breach_versions w"
	    " WHERE w.breach_id = v.breach_id) ORDER BY breach_id");
	int r;

	*list = st_collect(st, s, sizeof(**list), version_from_row, NULL, n, &r);
	return r;
}

int
store_breach_next_id(struct store *st, int64_t *id)
{
	sqlite3_stmt *s = st_prep(st, "SELECT coalesce(max(breach_id), 0) + 1"
	    " FROM breach_versions");
	int r;

	if (s == NULL)
		return -1;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : -1;
}

int
store_breach_find_open(struct store *st, const char *source, const char *case_ref,
    int64_t *id)
{
	sqlite3_stmt *s = st_prep(st, "SELECT breach_id FROM breach_versions v"
	    " WHERE version = (SELECT max(version) FROM breach_versions w"
	    " WHERE w.breach_id = v.breach_id) AND status <> 'closed' AND source = ?"
	    " AND case_ref = ? ORDER BY breach_id LIMIT 1");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, source);
	st_bind_text(s, 2, case_ref ? case_ref : "");
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

int
store_breach_alert_add(struct store *st, int64_t breach_id, int stage, int64_t deadline_at,
    int64_t at)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO breach_alerts (breach_id, stage,"
	    " deadline_at, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, breach_id);
	sqlite3_bind_int(s, 2, stage);
	sqlite3_bind_int64(s, 3, deadline_at);
	sqlite3_bind_int64(s, 4, at);
	return st_run_done(s);
}

int
store_breach_alert_max(struct store *st, int64_t breach_id, int *stage)
{
	sqlite3_stmt *s = st_prep(st, "SELECT coalesce(max(stage), -1) FROM breach_alerts"
	    " WHERE breach_id = ?");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, breach_id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*stage = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : -1;
}

/* ---- what a compromised key exposes --------------------------------- */

/* The cases of each scope, as a FROM ... WHERE over cases c; "?" is arg. */
static const char *
scope_where(enum store_scope scope)
{
	switch (scope) {
	case SCOPE_KEY_SENT:
		return " FROM cases c WHERE c.id IN (SELECT case_id FROM deliveries"
		    " WHERE state = 'sent' AND key_fingerprint = ?1)";
	case SCOPE_INBOUND:
		return " FROM cases c WHERE c.id IN (SELECT case_id FROM messages"
		    " WHERE direction = 'in')";
	case SCOPE_SENT:
		return " FROM cases c WHERE c.id IN (SELECT case_id FROM deliveries"
		    " WHERE state = 'sent')";
	case SCOPE_KEYED:
		return " FROM cases c WHERE c.id IN (SELECT case_id FROM case_keys)";
	}
	return NULL;
}

int
store_scope_count(struct store *st, enum store_scope scope, const char *arg,
    long *cases, long *persons, struct buf *refs)
{
	const char *where = scope_where(scope);
	sqlite3_stmt *s;
	char *sql;
	int r;

	*cases = *persons = 0;
	if (where == NULL)
		return -1;
	/* A case whose blind index was removed (index_retention_days) counts
	 * as one person: an upper bound. */
	sql = xasprintf("SELECT count(*), count(DISTINCT nullif(c.blind_index, X''))"
	    " + coalesce(sum(length(c.blind_index) = 0), 0)%s", where);
	s = st_prep(st, sql);
	free(sql);
	if (s == NULL)
		return -1;
	if (scope == SCOPE_KEY_SENT)
		st_bind_text(s, 1, arg ? arg : "");
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*cases = (long)sqlite3_column_int64(s, 0);
		*persons = (long)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (r != SQLITE_ROW)
		return -1;
	sql = xasprintf("SELECT c.ref%s ORDER BY c.ref", where);
	s = st_prep(st, sql);
	free(sql);
	if (s == NULL)
		return -1;
	if (scope == SCOPE_KEY_SENT)
		st_bind_text(s, 1, arg ? arg : "");
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *ref = sqlite3_column_text(s, 0);

		buf_printf(refs, "%s%s", refs->len ? " " : "", ref ? (const char *)ref : "");
	}
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : -1;
}

int
store_key_compromise(struct store *st, const char *email_lc, int64_t now)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE referent_keys SET compromised_at = ?"
	    " WHERE email_lc = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	st_bind_text(s, 2, email_lc);
	if (st_run_done(s) < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int
store_delivery_stop_key(struct store *st, const char *fingerprint, const char *reason,
    long *n)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE deliveries SET state = 'failed', last_error = ?"
	    " WHERE state = 'pending' AND key_fingerprint = ?");

	*n = 0;
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, reason);
	st_bind_text(s, 2, fingerprint);
	if (st_run_done(s) < 0)
		return -1;
	*n = (long)sqlite3_changes(st->db);
	return 0;
}
