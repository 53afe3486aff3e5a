/*
 * store_deadline - the store area of the deadline engine (relay/tick): the
 * ledger of ladder steps, the pauses of the referent's clock, and named
 * instants (last mailbox poll...).
 *
 * The ledger is what makes each step fire exactly once: a step is a row
 * keyed (case, rung, step) UNIQUE, inserted in the same transaction as the
 * mails and state changes it causes; a second insert is a no-op the caller
 * sees.  No personal data: case ids, rung numbers, step names and times.
 * Trusts its callers for the names it is given (fixed strings of relay/tick).
 */
#include "adapters/store.h"
#include "adapters/store_int.h"

#include <sqlite3.h>
#include <string.h>

static const char *const deadline_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE ladder_steps ("
	"  case_id INTEGER NOT NULL REFERENCES cases (id), rung INTEGER NOT NULL,"
	"  step TEXT NOT NULL, at INTEGER NOT NULL, outcome TEXT NOT NULL,"
	"  UNIQUE (case_id, rung, step));"
	"CREATE TABLE case_pauses ("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases (id),"
	"  rung INTEGER NOT NULL, started_at INTEGER NOT NULL,"
	"  ended_at INTEGER NOT NULL DEFAULT 0, paused_secs INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX case_pauses_case ON case_pauses (case_id);"
	"CREATE TABLE relay_marks (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
};

const struct store_area store_area_deadline = {
	"deadline", deadline_migrations,
	sizeof(deadline_migrations) / sizeof(deadline_migrations[0]),
};

int
store_step_fire(struct store *st, int64_t case_id, int rung, const char *step, int64_t at,
    const char *outcome)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO ladder_steps (case_id, rung, step, at,"
	    " outcome) VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, rung, step) DO NOTHING");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_int(s, 2, rung);
	st_bind_text(s, 3, step);
	sqlite3_bind_int64(s, 4, at);
	st_bind_text(s, 5, outcome);
	if (st_run_done(s) < 0)
		return -1;
	return sqlite3_changes(st->db) ? 1 : 0;
}

int
store_step_fired(struct store *st, int64_t case_id, int rung, const char *step)
{
	sqlite3_stmt *s = st_prep(st, "SELECT 1 FROM ladder_steps WHERE case_id = ? AND"
	    " rung = ? AND step = ?");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_int(s, 2, rung);
	st_bind_text(s, 3, step);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

int
store_step_count(struct store *st, int64_t case_id, const char *step, long *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT count(*) FROM ladder_steps WHERE case_id = ?"
	    " AND (? IS NULL OR step = ?)");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	st_bind_text(s, 2, step);
	st_bind_text(s, 3, step);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : -1;
}

int
store_pause_begin(struct store *st, int64_t case_id, int rung, int64_t at)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO case_pauses (case_id, rung, started_at)"
	    " VALUES (?, ?, ?)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_int(s, 2, rung);
	sqlite3_bind_int64(s, 3, at);
	return st_run_done(s);
}

#define PAUSE_COLS "id, case_id, rung, started_at, ended_at, paused_secs"

static void
pause_from_row(sqlite3_stmt *s, void *row)
{
	struct pause_row *p = row;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->case_id = sqlite3_column_int64(s, 1);
	p->rung = sqlite3_column_int(s, 2);
	p->started_at = sqlite3_column_int64(s, 3);
	p->ended_at = sqlite3_column_int64(s, 4);
	p->paused_secs = sqlite3_column_int64(s, 5);
}

int
store_pause_open(struct store *st, int64_t case_id, struct pause_row *p)
{
	sqlite3_stmt *s = st_prep(st, "SELECT " PAUSE_COLS " FROM case_pauses"
	    " WHERE case_id = ? AND ended_at = 0 ORDER BY id DESC LIMIT 1");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		pause_from_row(s, p);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

int
store_pause_list(struct store *st, int64_t case_id, struct pause_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT " PAUSE_COLS " FROM case_pauses"
	    " WHERE case_id = ? ORDER BY started_at, id");
	int r;

	if (s)
		sqlite3_bind_int64(s, 1, case_id);
	*list = st_collect(st, s, sizeof(**list), pause_from_row, NULL, n, &r);
	return r;
}

int
store_pause_end(struct store *st, int64_t id, int64_t at, int64_t paused_secs)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE case_pauses SET ended_at = ?, paused_secs = ?"
	    " WHERE id = ? AND ended_at = 0");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_int64(s, 2, paused_secs);
	sqlite3_bind_int64(s, 3, id);
	return st_run_done(s);
}

int
store_pause_total(struct store *st, int64_t case_id, int rung, int64_t *secs)
{
	sqlite3_stmt *s = st_prep(st, "SELECT coalesce(sum(paused_secs), 0) FROM case_pauses"
	    " WHERE case_id = ? AND rung = ? AND ended_at != 0");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_int(s, 2, rung);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*secs = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : -1;
}

int
store_mark_set(struct store *st, const char *name, int64_t value)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO relay_marks (name, value) VALUES (?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, value);
	return st_run_done(s);
}

int
store_mark_get(struct store *st, const char *name, int64_t *value)
{
	sqlite3_stmt *s = st_prep(st, "SELECT value FROM relay_marks WHERE name = ?");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, name);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*value = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}
