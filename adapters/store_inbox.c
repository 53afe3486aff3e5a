/*
 * store_inbox - the store area "inbox" (issue 4): incoming mails as fetched
 * from the relay's mailbox, and the quarantine.
 *
 * inbox_raw holds each fetched mail sealed (content under a per-mail random
 * key, itself sealed under the KEK: columns "key" and "content"), keyed by
 * (uidvalidity, uid) and by a keyed digest of its bytes, both UNIQUE, so a
 * repeat fetch adds nothing.  Its state goes new -> processed in the same
 * transaction as the mail's effects on a case, which makes ingest
 * idempotent across crashes.  quarantine holds one row per mail not
 * attached, with a reason from the closed list and, sealed under the
 * mail's key, its Message-ID, From and Subject ("meta").
 *
 * Its statements come from the store's statement cache (st_prep_cached):
 * ingest runs several of them per mail.
 *
 * Trusts: its callers for sealed blobs; holds no personal data in clear.
 */
#include "adapters/store.h"
#include "adapters/store_int.h"

#include <sqlite3.h>
#include <string.h>

static const char *const inbox_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE inbox_raw ("
	"  id INTEGER PRIMARY KEY, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	"  digest BLOB NOT NULL UNIQUE, received_at INTEGER NOT NULL,"
	"  size INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'new',"
	"  expunged INTEGER NOT NULL DEFAULT 0, key BLOB, content BLOB,"
	"  UNIQUE (uidvalidity, uid));"
	"CREATE INDEX inbox_raw_state ON inbox_raw (state);"
	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY, raw_id INTEGER NOT NULL UNIQUE REFERENCES inbox_raw (id),"
	"  reason TEXT NOT NULL, case_hint TEXT NOT NULL DEFAULT '',"
	"  received_at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'held',"
	"  decided_at INTEGER NOT NULL DEFAULT 0, assigned_ref TEXT NOT NULL DEFAULT '',"
	"  meta BLOB);",
};

const struct store_area store_area_inbox = {
	"inbox", inbox_migrations, FS_ARRAY_LEN(inbox_migrations)
};

#define RAW_COLS "id, uidvalidity, uid, received_at, size, state, expunged"

static void
raw_from_row(sqlite3_stmt *s, void *row)
{
	struct raw_mail_row *r = row;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->uidvalidity = (uint32_t)sqlite3_column_int64(s, 1);
	r->uid = (uint32_t)sqlite3_column_int64(s, 2);
	r->received_at = sqlite3_column_int64(s, 3);
	r->size = sqlite3_column_int64(s, 4);
	st_col_copy(s, 5, r->state, sizeof(r->state));
	r->expunged = sqlite3_column_int(s, 6);
}

int
store_raw_insert(struct store *st, struct raw_mail_row *r, const uint8_t digest[32])
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO inbox_raw (uidvalidity, uid, digest,"
	    " received_at, size, state) VALUES (?, ?, ?, ?, ?, 'new') ON CONFLICT DO NOTHING");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, r->uidvalidity);
	sqlite3_bind_int64(s, 2, r->uid);
	sqlite3_bind_blob(s, 3, digest, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, r->received_at);
	sqlite3_bind_int64(s, 5, r->size);
	if (st_run_release(st, s) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 1;
	r->id = sqlite3_last_insert_rowid(st->db);
	fs_strlcpy(r->state, "new", sizeof(r->state));
	return 0;
}

/* Only these blob columns exist. */
static const char *
raw_blob_sql(const char *column, int set)
{
	if (strcmp(column, "key") == 0)
		return set ? "UPDATE inbox_raw SET key = ? WHERE id = ?" :
		    "SELECT key FROM inbox_raw WHERE id = ?";
	if (strcmp(column, "content") == 0)
		return set ? "UPDATE inbox_raw SET content = ? WHERE id = ?" :
		    "SELECT content FROM inbox_raw WHERE id = ?";
	return NULL;
}

static int
set_blob(struct store *st, const char *sql, int64_t id, const void *blob, size_t len)
{
	sqlite3_stmt *s;

	if (sql == NULL || (s = st_prep_cached(st, sql)) == NULL)
		return -1;
	if (blob)
		sqlite3_bind_blob64(s, 1, blob, len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 1);
	sqlite3_bind_int64(s, 2, id);
	return st_run_release(st, s);
}

static int
get_blob(struct store *st, const char *sql, int64_t id, struct buf *out)
{
	sqlite3_stmt *s;
	int r, ret = -1;

	if (sql == NULL || (s = st_prep_cached(st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) == SQLITE_NULL)
			ret = 1;
		else
			ret = buf_append(out, sqlite3_column_blob(s, 0),
			    (size_t)sqlite3_column_bytes(s, 0)) < 0 ? -1 : 0;
	} else if (r == SQLITE_DONE)
		ret = 1;
	st_release(st, s);
	return ret;
}

int
store_raw_set_blob(struct store *st, int64_t id, const char *column, const void *blob,
    size_t len)
{
	return set_blob(st, raw_blob_sql(column, 1), id, blob, len);
}

int
store_raw_get_blob(struct store *st, int64_t id, const char *column, struct buf *blob)
{
	return get_blob(st, raw_blob_sql(column, 0), id, blob);
}

int
store_raw_get(struct store *st, int64_t id, struct raw_mail_row *r)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " RAW_COLS " FROM inbox_raw WHERE id = ?");
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		raw_from_row(s, r);
	st_release(st, s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static int
raw_collect(struct store *st, sqlite3_stmt *s, struct raw_mail_row **list, size_t *n)
{
	int r;

	*list = st_collect(st, s, sizeof(**list), raw_from_row, NULL, n, &r);
	return r;
}

int
store_raw_pending(struct store *st, size_t max, struct raw_mail_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " RAW_COLS
	    " FROM inbox_raw WHERE state = 'new'"
	    " ORDER BY id LIMIT ?");

	if (s)
		sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	return raw_collect(st, s, list, n);
}

int
store_raw_known(struct store *st, uint32_t uidvalidity, uint32_t uid)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT 1 FROM inbox_raw"
	    " WHERE uidvalidity = ? AND uid = ?");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, uidvalidity);
	sqlite3_bind_int64(s, 2, uid);
	r = sqlite3_step(s);
	st_release(st, s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

int
store_raw_set_state(struct store *st, int64_t id, const char *state)
{
	sqlite3_stmt *s = st_prep_cached(st, "UPDATE inbox_raw SET state = ? WHERE id = ?");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, state);
	sqlite3_bind_int64(s, 2, id);
	return st_run_release(st, s);
}

int
store_raw_set_expunged(struct store *st, uint32_t uidvalidity, uint32_t uid)
{
	sqlite3_stmt *s = st_prep_cached(st, "UPDATE inbox_raw SET expunged = 1"
	    " WHERE uidvalidity = ? AND uid = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, uidvalidity);
	sqlite3_bind_int64(s, 2, uid);
	return st_run_release(st, s);
}

int
store_raw_count(struct store *st, const char *state, long *n)
{
	sqlite3_stmt *s = st_prep_cached(st, state ?
	    "SELECT count(*) FROM inbox_raw WHERE state = ?" : "SELECT count(*) FROM inbox_raw");
	int r;

	if (s == NULL)
		return -1;
	if (state)
		st_bind_text(s, 1, state);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(s, 0);
	st_release(st, s);
	return r == SQLITE_ROW ? 0 : -1;
}

/* --- quarantine ------------------------------------------------------ */

#define Q_COLS "id, raw_id, reason, case_hint, received_at, state, decided_at, assigned_ref"

static void
q_from_row(sqlite3_stmt *s, void *row)
{
	struct quarantine_row *q = row;

	memset(q, 0, sizeof(*q));
	q->id = sqlite3_column_int64(s, 0);
	q->raw_id = sqlite3_column_int64(s, 1);
	st_col_copy(s, 2, q->reason, sizeof(q->reason));
	st_col_copy(s, 3, q->case_hint, sizeof(q->case_hint));
	q->received_at = sqlite3_column_int64(s, 4);
	st_col_copy(s, 5, q->state, sizeof(q->state));
	q->decided_at = sqlite3_column_int64(s, 6);
	st_col_copy(s, 7, q->assigned_ref, sizeof(q->assigned_ref));
}

int
store_quarantine_insert(struct store *st, struct quarantine_row *q)
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO quarantine (raw_id, reason, case_hint,"
	    " received_at, state) VALUES (?, ?, ?, ?, 'held')");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, q->raw_id);
	st_bind_text(s, 2, q->reason);
	st_bind_text(s, 3, q->case_hint);
	sqlite3_bind_int64(s, 4, q->received_at);
	if (st_run_release(st, s) < 0)
		return -1;
	q->id = sqlite3_last_insert_rowid(st->db);
	fs_strlcpy(q->state, "held", sizeof(q->state));
	return 0;
}

int
store_quarantine_set_meta(struct store *st, int64_t id, const void *blob, size_t len)
{
	return set_blob(st, "UPDATE quarantine SET meta = ? WHERE id = ?", id, blob, len);
}

int
store_quarantine_get_meta(struct store *st, int64_t id, struct buf *blob)
{
	return get_blob(st, "SELECT meta FROM quarantine WHERE id = ?", id, blob);
}

int
store_quarantine_get(struct store *st, int64_t id, struct quarantine_row *q)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " Q_COLS " FROM quarantine WHERE id = ?");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		q_from_row(s, q);
	st_release(st, s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

int
store_quarantine_list(struct store *st, struct quarantine_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " Q_COLS " FROM quarantine ORDER BY id");
	int r;

	*list = st_collect(st, s, sizeof(**list), q_from_row, NULL, n, &r);
	return r;
}

int
store_quarantine_decide(struct store *st, int64_t id, const char *state, int64_t at,
    const char *assigned_ref)
{
	sqlite3_stmt *s = st_prep_cached(st, "UPDATE quarantine SET state = ?, decided_at = ?,"
	    " assigned_ref = ? WHERE id = ?");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, state);
	sqlite3_bind_int64(s, 2, at);
	st_bind_text(s, 3, assigned_ref ? assigned_ref : "");
	sqlite3_bind_int64(s, 4, id);
	return st_run_release(st, s);
}
