/*
 * store_outbox - the store area "outbox": mails prepared when their
 * delivery is queued (relay/outbox: outbox_prepare), so that sending is
 * only reading them back and handing them to SMTP.
 *
 * A prepared mail is what the submission server will receive (headers
 * without personal data, the French cover note, the age file for the
 * delivery's pinned key), sealed by the caller under the case key like
 * every other byte of the case: the pages a sent mail leaves behind are
 * unreadable once the case is shredded, even with the referent's key.
 * A row exists only while its delivery is pending: triggers delete it
 * when the delivery leaves the state "pending" (sent, failed, cancelled)
 * or is deleted, whichever code path does it, and store_case_shred
 * deletes those of the case.  built_for names what the mail was built
 * with, so that a mail built before a change of key or address is built
 * again rather than sent.
 *
 * A mail is kept in chunks (prepared_chunks, one row per chunk, sealed by
 * the caller) and prepared_mails holds what the caller needs to read them
 * back (sealed too); deleting the prepared_mails row deletes its chunks
 * (trigger), whichever path deletes it.
 *
 * Trusts: its callers for the mail (sealed) and built_for.
 */
#include "adapters/store.h"
#include "adapters/store_int.h"

#include <sqlite3.h>

static const char *const outbox_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE prepared_mails ("
	"  delivery_id INTEGER PRIMARY KEY REFERENCES deliveries (id),"
	"  prepared_at INTEGER NOT NULL, built_for TEXT NOT NULL, mail BLOB NOT NULL);"
	"CREATE TRIGGER prepared_mails_done AFTER UPDATE OF state ON deliveries"
	"  WHEN NEW.state <> 'pending'"
	"  BEGIN DELETE FROM prepared_mails WHERE delivery_id = NEW.id; END;"
	"CREATE TRIGGER prepared_mails_gone AFTER DELETE ON deliveries"
	"  BEGIN DELETE FROM prepared_mails WHERE delivery_id = OLD.id; END;",
	/* 1 -> 2: a prepared mail in chunks (issue 15), so that no process
	 * holds a whole mail; the former whole mails are a cache, built
	 * again when due. */
	"DELETE FROM prepared_mails;"
	"CREATE TABLE prepared_chunks ("
	"  delivery_id INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (delivery_id, seq));"
	"CREATE TRIGGER prepared_chunks_gone AFTER DELETE ON prepared_mails"
	"  BEGIN DELETE FROM prepared_chunks WHERE delivery_id = OLD.delivery_id; END;",
};

const struct store_area store_area_outbox = {
	"outbox", outbox_migrations,
	sizeof(outbox_migrations) / sizeof(outbox_migrations[0]),
};

int
store_prepared_put(struct store *st, int64_t delivery_id, int64_t at, const char *built_for,
    const void *mail, size_t len)
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO prepared_mails (delivery_id,"
	    " prepared_at, built_for, mail) SELECT id, ?, ?, ? FROM deliveries WHERE id = ?"
	    " AND state = 'pending' ON CONFLICT (delivery_id) DO UPDATE SET"
	    " prepared_at = excluded.prepared_at, built_for = excluded.built_for,"
	    " mail = excluded.mail");

	if (s == NULL || len > (size_t)INT32_MAX) {
		st_release(st, s);
		return -1;
	}
	sqlite3_bind_int64(s, 1, at);
	st_bind_text(s, 2, built_for);
	sqlite3_bind_blob64(s, 3, mail, (sqlite3_uint64)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, delivery_id);
	if (st_run_release(st, s) < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int
store_prepared_get(struct store *st, int64_t delivery_id, struct buf *mail, char *built_for,
    size_t size)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT mail, built_for FROM prepared_mails"
	    " WHERE delivery_id = ?");
	int r, ret = 1;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, delivery_id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		ret = buf_append(mail, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0));
		st_col_copy(s, 1, built_for, size);
	} else if (r != SQLITE_DONE)
		ret = -1;
	st_release(st, s);
	return ret;
}

int
store_prepared_exists(struct store *st, int64_t delivery_id)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT 1 FROM prepared_mails"
	    " WHERE delivery_id = ?");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, delivery_id);
	r = sqlite3_step(s);
	st_release(st, s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

int
store_prepared_drop(struct store *st, int64_t delivery_id)
{
	sqlite3_stmt *s;
	int r = -1;

	if (st_exec(st, "PRAGMA secure_delete = OFF") < 0)
		return -1;
	if ((s = st_prep_cached(st, "DELETE FROM prepared_mails WHERE delivery_id = ?"))) {
		sqlite3_bind_int64(s, 1, delivery_id);
		r = st_run_release(st, s);
	}
	/* Back on before anything else is deleted, or stop here: nothing
	 * else may be deleted without overwrite. */
	if (st_exec(st, "PRAGMA secure_delete = ON") < 0)
		fatalx("base : impossible de rétablir secure_delete (%s) ; arrêt",
		    store_errmsg(st));
	return r;
}

int
store_prepared_chunk_put(struct store *st, int64_t delivery_id, int64_t seq,
    const void *data, size_t len)
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO prepared_chunks (delivery_id,"
	    " seq, data) VALUES (?, ?, ?)");

	if (s == NULL || len > (size_t)INT32_MAX) {
		st_release(st, s);
		return -1;
	}
	sqlite3_bind_int64(s, 1, delivery_id);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_blob64(s, 3, data, (sqlite3_uint64)len, SQLITE_STATIC);
	return st_run_release(st, s);
}

int
store_prepared_chunk_get(struct store *st, int64_t delivery_id, int64_t seq,
    struct buf *data)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT data FROM prepared_chunks"
	    " WHERE delivery_id = ? AND seq = ?");
	int r, ret = 1;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, delivery_id);
	sqlite3_bind_int64(s, 2, seq);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		ret = buf_append(data, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0));
	else if (r != SQLITE_DONE)
		ret = -1;
	st_release(st, s);
	return ret;
}
