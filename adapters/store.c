/*
 * store - see store.h.  Only this file includes <sqlite3.h>.  Every query is
 * a prepared statement with bound parameters; table and column names that
 * vary come from fixed lists checked here, never from input.
 */
#include "adapters/store.h"
#include "relay/directory.h"
#include "adapters/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* Schema migrations: index i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE structures ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, insee TEXT NOT NULL,"
	"  address TEXT NOT NULL, email TEXT NOT NULL, phone TEXT NOT NULL,"
	"  hours TEXT NOT NULL);"
	"CREATE TABLE topics ("
	"  partner TEXT NOT NULL, topic TEXT NOT NULL, label TEXT NOT NULL,"
	"  theme TEXT NOT NULL, PRIMARY KEY (partner, topic));"
	"CREATE TABLE referents ("
	"  id INTEGER PRIMARY KEY, partner TEXT NOT NULL, partner_name TEXT NOT NULL,"
	"  structure TEXT NOT NULL, topic TEXT NOT NULL, role TEXT NOT NULL,"
	"  name TEXT NOT NULL, title TEXT NOT NULL, email TEXT NOT NULL,"
	"  email_lc TEXT NOT NULL, phone TEXT NOT NULL, phone_scope TEXT NOT NULL,"
	"  rule TEXT NOT NULL, ident TEXT NOT NULL,"
	"  UNIQUE (partner, structure, topic, role, ident));"
	"CREATE TABLE referent_keys ("
	"  email_lc TEXT PRIMARY KEY, recipient TEXT NOT NULL,"
	"  fingerprint TEXT NOT NULL, verified_by TEXT NOT NULL,"
	"  pinned_at INTEGER NOT NULL, compromised_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE agents ("
	"  id TEXT PRIMARY KEY, structure TEXT NOT NULL, name TEXT NOT NULL,"
	"  email TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE ref_sequences ("
	"  insee TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL,"
	"  PRIMARY KEY (insee, year));"
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
	"  structure TEXT NOT NULL, partner TEXT NOT NULL, topic TEXT NOT NULL,"
	"  agent TEXT NOT NULL, state TEXT NOT NULL, rung INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  due_at INTEGER NOT NULL DEFAULT 0, user_due_at INTEGER NOT NULL DEFAULT 0,"
	"  overdue INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
	"  blind_index BLOB NOT NULL, reply_token TEXT NOT NULL DEFAULT '',"
	"  person BLOB, description BLOB);"
	"CREATE INDEX cases_agent ON cases (agent);"
	"CREATE INDEX cases_blind ON cases (blind_index);"
	"CREATE TABLE case_keys ("
	"  case_id INTEGER PRIMARY KEY REFERENCES cases (id),"
	"  kek_id TEXT NOT NULL, wrapped BLOB NOT NULL);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases (id),"
	"  kind TEXT NOT NULL, direction TEXT NOT NULL, sender TEXT NOT NULL,"
	"  recipients TEXT NOT NULL, message_id TEXT NOT NULL DEFAULT '',"
	"  at INTEGER NOT NULL, flagged INTEGER NOT NULL DEFAULT 0, text BLOB);"
	"CREATE TABLE documents ("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases (id),"
	"  message_id INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL,"
	"  size INTEGER NOT NULL, sha256 TEXT NOT NULL, media_type TEXT NOT NULL,"
	"  name BLOB, content BLOB);"
	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases (id),"
	"  message_id INTEGER NOT NULL DEFAULT 0, rung INTEGER NOT NULL,"
	"  recipient TEXT NOT NULL, recipient_lc TEXT NOT NULL,"
	"  key_recipient TEXT NOT NULL, key_fingerprint TEXT NOT NULL,"
	"  blind_index BLOB NOT NULL, state TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '', smtp_message_id TEXT NOT NULL DEFAULT '',"
	"  sent_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);"
	/* Mails to staff (agents, manager, DPO): references only. */
	"CREATE TABLE notices ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, recipient TEXT NOT NULL,"
	"  subject TEXT NOT NULL, body TEXT NOT NULL, case_ref TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL, sent_at INTEGER NOT NULL DEFAULT 0,"
	"  once_key TEXT UNIQUE);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL, action TEXT NOT NULL, case_ref TEXT NOT NULL,"
	"  outcome TEXT NOT NULL);"
	/* The audit trail is append-only. */
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE schema_areas (area TEXT PRIMARY KEY, version INTEGER NOT NULL);",
	/* 1 -> 2 (issue 15): a pass finds what is due through indexes instead
	 * of visiting every case.  remind_at is the reminder instant of the
	 * current rung (0 none or done, -1 not yet computed: the next pass
	 * computes it, once, for the cases that need it). */
	"ALTER TABLE cases ADD COLUMN remind_at INTEGER NOT NULL DEFAULT -1;"
	"CREATE INDEX cases_state_due ON cases (state, overdue, due_at);"
	"CREATE INDEX cases_state_remind ON cases (state, remind_at);"
	"CREATE INDEX cases_state_updated ON cases (state, updated_at);"
	"CREATE INDEX cases_state_created ON cases (state, created_at);"
	"CREATE INDEX cases_agent_due ON cases (agent, due_at);"
	"CREATE INDEX cases_agent_user_due ON cases (agent, user_due_at);"
	"CREATE INDEX cases_created ON cases (created_at);"
	"CREATE INDEX cases_token ON cases (reply_token);"
	"CREATE INDEX deliveries_case ON deliveries (case_id);"
	"CREATE INDEX messages_case ON messages (case_id);"
	"CREATE INDEX documents_case ON documents (case_id);"
	"CREATE INDEX events_case ON events (case_ref);",
	/* 2 -> 3 (issue 12): the store keeps only the states of the closed
	 * list (relay/lifecycle.h, docs/json.md).  SQLite adds no CHECK to an
	 * existing column: the table is rebuilt (foreign keys off, see
	 * migrate_core), rows and ids kept, then its indexes. */
	"CREATE TABLE cases_v3 ("
	"  id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
	"  structure TEXT NOT NULL, partner TEXT NOT NULL, topic TEXT NOT NULL,"
	"  agent TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('queued',"
	"  'awaiting', 'answered', 'waiting_user', 'resolved', 'cancelled',"
	"  'failed', 'shredded')), rung INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  due_at INTEGER NOT NULL DEFAULT 0, user_due_at INTEGER NOT NULL DEFAULT 0,"
	"  overdue INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
	"  blind_index BLOB NOT NULL, reply_token TEXT NOT NULL DEFAULT '',"
	"  person BLOB, description BLOB,"
	"  remind_at INTEGER NOT NULL DEFAULT -1);"
	"INSERT INTO cases_v3 (id, ref, structure, partner, topic, agent, state, rung,"
	"  created_at, updated_at, due_at, user_due_at, overdue, last_error,"
	"  blind_index, reply_token, person, description, remind_at)"
	"  SELECT id, ref, structure, partner, topic, agent, state, rung,"
	"  created_at, updated_at, due_at, user_due_at, overdue, last_error,"
	"  blind_index, reply_token, person, description, remind_at FROM cases;"
	"DROP TABLE cases;"
	"ALTER TABLE cases_v3 RENAME TO cases;"
	"CREATE INDEX cases_agent ON cases (agent);"
	"CREATE INDEX cases_blind ON cases (blind_index);"
	"CREATE INDEX cases_state_due ON cases (state, overdue, due_at);"
	"CREATE INDEX cases_state_remind ON cases (state, remind_at);"
	"CREATE INDEX cases_state_updated ON cases (state, updated_at);"
	"CREATE INDEX cases_state_created ON cases (state, created_at);"
	"CREATE INDEX cases_agent_due ON cases (agent, due_at);"
	"CREATE INDEX cases_agent_user_due ON cases (agent, user_due_at);"
	"CREATE INDEX cases_created ON cases (created_at);"
	"CREATE INDEX cases_token ON cases (reply_token);",
	/* 3 -> 4 (issue 11): the whole decoded text of a reply, sealed, beside
	 * its text with the proven history folded (messages.text): the agent
	 * unfolds it (show --deplier); shredded with the case. */
	"ALTER TABLE messages ADD COLUMN full_text BLOB;",
};

const char *
store_errmsg(struct store *st)
{
	if (st != NULL && st->failed[0] != '\0')
		return st->failed;
	return st && st->db ? sqlite3_errmsg(st->db) : "base non ouverte";
}

int
st_exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

sqlite3_stmt *
st_prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Step a statement that returns no row, then finalize it. */
int
st_run_done(sqlite3_stmt *s)
{
	int r = sqlite3_step(s);

	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : -1;
}

sqlite3_stmt *
st_prep_cached(struct store *st, const char *sql)
{
	struct st_cached *c;
	sqlite3_stmt *s;
	size_t i, idle = ST_CACHE_MAX;

	for (i = 0; i < st->n_cache; i++) {
		c = &st->cache[i];
		if (c->sql != sql) {
			if (!c->busy && idle == ST_CACHE_MAX)
				idle = i;
			continue;
		}
		/* In use (re-entrant call), or a reused address with other
		 * text: a statement of its own, finalized on release. */
		if (c->busy || strcmp(sqlite3_sql(c->s), sql) != 0) {
			st->cache_fresh++;
			return st_prep(st, sql);
		}
		c->busy = 1;
		st->cache_hits++;
		return c->s;
	}
	st->cache_fresh++;
	if (st->n_cache == ST_CACHE_MAX) {
		if (idle == ST_CACHE_MAX)
			return st_prep(st, sql);
		/* Full: an idle slot makes room. */
		sqlite3_finalize(st->cache[idle].s);
		st->cache[idle] = st->cache[--st->n_cache];
	}
	if ((s = st_prep(st, sql)) == NULL)
		return NULL;
	c = &st->cache[st->n_cache++];
	c->sql = sql;
	c->s = s;
	c->busy = 1;
	return s;
}

void
st_release(struct store *st, sqlite3_stmt *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < st->n_cache; i++)
		if (st->cache[i].s == s) {
			(void)sqlite3_reset(s);
			(void)sqlite3_clear_bindings(s);
			st->cache[i].busy = 0;
			return;
		}
	sqlite3_finalize(s);
}

void *
st_collect(struct store *st, sqlite3_stmt *s, size_t size, st_fill_fn *fill,
    st_drop_fn *drop, size_t *n, int *rc)
{
	unsigned char *v = NULL;
	size_t cap = 0, i;
	int r = SQLITE_MISUSE;

	*n = 0;
	while (s && (r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			v = xreallocarray(v, cap, size);
		}
		memset(v + *n * size, 0, size);
		fill(s, v + (*n)++ * size);
	}
	st_release(st, s);
	*rc = r == SQLITE_DONE ? 0 : -1;
	if (*rc < 0) {
		for (i = 0; drop && i < *n; i++)
			drop(v + i * size);
		free(v);
		v = NULL;
		*n = 0;
	}
	return v;
}

int
st_run_release(struct store *st, sqlite3_stmt *s)
{
	int r = sqlite3_step(s);

	st_release(st, s);
	return r == SQLITE_DONE ? 0 : -1;
}

void
st_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

void
st_col_copy(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	fs_strlcpy(dst, v ? (const char *)v : "", size);
}

static int migrate_core(struct store *st, char *err, size_t errlen);

static int
user_version(struct store *st, int *v)
{
	sqlite3_stmt *s = st_prep(st, "PRAGMA user_version");
	int r = -1;

	if (s && sqlite3_step(s) == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

/*
 * The areas added after the core schema (replies, deadlines, audit...)
 * keep their own migration lists and versions in schema_areas, so each
 * can evolve on its own.  Register an area by adding it here.
 */
static const struct store_area *const areas[] = {
	&store_area_deadline,
	&store_area_audit,
	&store_area_inbox,
	&store_area_outbox,
	&store_area_web,
	&store_area_enrol,
	NULL
};

static int
migrate_area(struct store *st, const struct store_area *a, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	size_t v = 0;

	if ((s = st_prep(st, "SELECT version FROM schema_areas WHERE area = ?")) == NULL)
		goto fail;
	st_bind_text(s, 1, a->name);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = (size_t)sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (v > a->n) {
		snprintf(err, errlen, "partie « %s » de la base en version %zu, plus récente que"
		    " ce programme (%zu)", a->name, v, a->n);
		return -1;
	}
	for (; v < a->n; v++) {
		if (store_begin(st) < 0 || st_exec(st, a->migrations[v]) < 0 ||
		    (s = st_prep(st, "INSERT INTO schema_areas (area, version) VALUES (?, ?)"
		    " ON CONFLICT (area) DO UPDATE SET version = excluded.version")) == NULL) {
			snprintf(err, errlen, "migration %s %zu : %s", a->name, v + 1,
			    sqlite3_errmsg(st->db));
			store_rollback(st);
			return -1;
		}
		st_bind_text(s, 1, a->name);
		sqlite3_bind_int(s, 2, (int)(v + 1));
		if (st_run_done(s) < 0 || store_commit(st) < 0) {
			store_rollback(st);
			goto fail;
		}
	}
	return 0;
fail:
	snprintf(err, errlen, "migration %s : %s", a->name, sqlite3_errmsg(st->db));
	return -1;
}

static int
migrate(struct store *st, char *err, size_t errlen)
{
	size_t i;

	if (migrate_core(st, err, errlen) < 0)
		return -1;
	for (i = 0; areas[i] != NULL; i++)
		if (migrate_area(st, areas[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* 0 when PRAGMA foreign_key_check finds nothing, 1 when it finds a row,
 * -1 on error. */
static int
fk_violations(struct store *st)
{
	sqlite3_stmt *s = st_prep(st, "PRAGMA foreign_key_check");
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? 1 : -1;
}

static int
migrate_core(struct store *st, char *err, size_t errlen)
{
	int v;

	if (user_version(st, &v) < 0)
		goto fail;
	if (v > (int)FS_ARRAY_LEN(migrations)) {
		snprintf(err, errlen, "base de version %d, plus récente que ce programme (%d)",
		    v, (int)FS_ARRAY_LEN(migrations));
		return -1;
	}
	/* A migration may rebuild a table others reference (3): foreign keys
	 * off around the transactions (a no-op inside one), checked before
	 * each commit, then on again. */
	if (v < (int)FS_ARRAY_LEN(migrations) && st_exec(st, "PRAGMA foreign_keys = OFF") < 0)
		goto fail;
	for (; v < (int)FS_ARRAY_LEN(migrations); v++) {
		char pragma[64];
		int fk = 0;

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (store_begin(st) < 0 || st_exec(st, migrations[v]) < 0 ||
		    st_exec(st, pragma) < 0 || (fk = fk_violations(st)) != 0) {
			snprintf(err, errlen, "migration %d : %s", v + 1, fk == 1 ?
			    "clés étrangères incohérentes" : sqlite3_errmsg(st->db));
			store_rollback(st);
			(void)st_exec(st, "PRAGMA foreign_keys = ON");
			return -1;
		}
		if (store_commit(st) < 0)
			goto fail;
	}
	if (st_exec(st, "PRAGMA foreign_keys = ON") < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
	(void)st_exec(st, "PRAGMA foreign_keys = ON");
	return -1;
}

/* Create the file 0600 ourselves: SQLite gives its -wal and -shm files the
 * database file's permissions. */
static int
create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "%s : création impossible : %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int
configure(struct store *st)
{
	int on = 1, off = 0;

	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, on, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, NULL);
	sqlite3_busy_timeout(st->db, 10000);
	/* The WAL is kept, emptied, when the last connection closes, instead
	 * of deleted and created again by the next process (one per CLI
	 * command: an unlink and a create each, issue 12 point 4); emptied to
	 * zero bytes at every reset too, so that what was deleted does not
	 * stay in it (journal_size_limit = 0). */
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	if (st_exec(st, "PRAGMA journal_mode = WAL") < 0 ||
	    st_exec(st, "PRAGMA journal_size_limit = 0") < 0 ||
	    st_exec(st, "PRAGMA secure_delete = ON") < 0 ||
	    st_exec(st, "PRAGMA foreign_keys = ON") < 0 ||
	    st_exec(st, "PRAGMA synchronous = FULL") < 0)
		return -1;
	return 0;
}

int
store_open(struct store **stp, const char *path, int create, char *err, size_t errlen)
{
	struct store *st;
	struct stat sb;

	*stp = NULL;
	if (stat(path, &sb) < 0) {
		if (!create) {
			snprintf(err, errlen, "%s : base absente (lancez « fsrelay init »)", path);
			return -1;
		}
		if (create_private(path, err, errlen) < 0)
			return -1;
	} else if (create) {
		snprintf(err, errlen, "%s existe déjà : refus de l'écraser", path);
		return -1;
	}
	st = xcalloc(1, sizeof(*st));
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK || configure(st) < 0) {
		snprintf(err, errlen, "%s : ouverture impossible : %s", path, store_errmsg(st));
		store_close(&st);
		return -1;
	}
	if (migrate(st, err, errlen) < 0) {
		store_close(&st);
		return -1;
	}
	*stp = st;
	return 0;
}

void
store_close(struct store **stp)
{
	size_t i;

	if (*stp == NULL)
		return;
	for (i = 0; i < (*stp)->n_cache; i++)
		sqlite3_finalize((*stp)->cache[i].s);
	(*stp)->n_cache = 0;
	sqlite3_close_v2((*stp)->db);
	free(*stp);
	*stp = NULL;
}

/*
 * Back to synchronous = FULL once the relaxed transaction has ended
 * (SQLite refuses to change it inside a transaction).  0, or -1 while the
 * connection is still relaxed.
 */
static int
relax_end(struct store *st)
{
	if (st->relaxed && sqlite3_get_autocommit(st->db) &&
	    st_exec(st, "PRAGMA synchronous = FULL") == 0)
		st->relaxed = 0;
	return st->relaxed ? -1 : 0;
}

/*
 * Once no transaction is open, a connection still relaxed would commit
 * later statements without waiting for the disk: stop instead.  (A commit
 * that failed may leave the transaction open: its rollback comes here.)
 */
static void
relax_end_or_die(struct store *st)
{
	if (relax_end(st) < 0 && sqlite3_get_autocommit(st->db))
		fatalx("base : impossible de rétablir synchronous = FULL (%s) ; arrêt",
		    store_errmsg(st));
}

int
store_begin(struct store *st)
{
	/* Never a relaxed commit by mistake. */
	st->failed[0] = '\0';
	if (relax_end(st) < 0)
		return -1;
	return st_exec(st, "BEGIN IMMEDIATE");
}

int
store_begin_relaxed(struct store *st)
{
	st->failed[0] = '\0';
	if (relax_end(st) < 0 || st_exec(st, "PRAGMA synchronous = NORMAL") < 0)
		return -1;
	st->relaxed = 1;
	if (st_exec(st, "BEGIN IMMEDIATE") < 0) {
		(void)relax_end(st);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *st)
{
	int r = st_exec(st, "COMMIT");

	if (r == 0)
		st->failed[0] = '\0';
	relax_end_or_die(st);
	return r;
}

/*
 * The error that made the caller give up stays what store_errmsg says (a
 * full disk, not "cannot rollback"): SQLite may already have rolled the
 * transaction back itself (SQLITE_FULL, SQLITE_IOERR), so ROLLBACK runs
 * only when one is still open.
 */
void
store_rollback(struct store *st)
{
	int code = sqlite3_errcode(st->db);

	if (st->failed[0] == '\0' && code != SQLITE_OK && code != SQLITE_ROW &&
	    code != SQLITE_DONE)
		fs_strlcpy(st->failed, sqlite3_errmsg(st->db), sizeof(st->failed));
	if (!sqlite3_get_autocommit(st->db))
		(void)st_exec(st, "ROLLBACK");
	relax_end_or_die(st);
}

int
store_checkpoint(struct store *st)
{
	int r = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	return r == SQLITE_OK ? 0 : -1;
}

int
store_event(struct store *st, int64_t at, const char *actor, const char *action,
    const char *case_ref, const char *outcome)
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO events (at, actor, action,"
	    " case_ref, outcome)"
	    " VALUES (?, ?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, at);
	st_bind_text(s, 2, actor);
	st_bind_text(s, 3, action);
	st_bind_text(s, 4, case_ref ? case_ref : "");
	st_bind_text(s, 5, outcome ? outcome : "");
	return st_run_release(st, s);
}

/* --- keys ------------------------------------------------------------ */

int
store_key_pin(struct store *st, const struct pinned_key *k)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO referent_keys (email_lc, recipient,"
	    " fingerprint, verified_by, pinned_at, compromised_at) VALUES (?, ?, ?, ?, ?, 0)"
	    " ON CONFLICT (email_lc) DO UPDATE SET recipient = excluded.recipient,"
	    " fingerprint = excluded.fingerprint, verified_by = excluded.verified_by,"
	    " pinned_at = excluded.pinned_at, compromised_at = 0");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, k->email_lc);
	st_bind_text(s, 2, k->recipient);
	st_bind_text(s, 3, k->fingerprint);
	st_bind_text(s, 4, k->verified_by);
	sqlite3_bind_int64(s, 5, k->pinned_at);
	return st_run_done(s);
}

int
store_key_get(struct store *st, const char *email_lc, struct pinned_key *k)
{
	sqlite3_stmt *s = st_prep(st, "SELECT email_lc, recipient, fingerprint, verified_by,"
	    " pinned_at, compromised_at FROM referent_keys WHERE email_lc = ?");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, email_lc);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		st_col_copy(s, 0, k->email_lc, sizeof(k->email_lc));
		st_col_copy(s, 1, k->recipient, sizeof(k->recipient));
		st_col_copy(s, 2, k->fingerprint, sizeof(k->fingerprint));
		st_col_copy(s, 3, k->verified_by, sizeof(k->verified_by));
		k->pinned_at = sqlite3_column_int64(s, 4);
		k->compromised_at = sqlite3_column_int64(s, 5);
	}
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

/* --- agents ---------------------------------------------------------- */

int
store_agent_add(struct store *st, const struct agent *a, int64_t now)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO agents (id, structure, name, email, role,"
	    " created_at) VALUES (?, ?, ?, ?, ?, ?)");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, a->id);
	st_bind_text(s, 2, a->structure);
	st_bind_text(s, 3, a->name);
	st_bind_text(s, 4, a->email);
	st_bind_text(s, 5, a->role);
	sqlite3_bind_int64(s, 6, now);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r == SQLITE_CONSTRAINT)
		return 1;
	return r == SQLITE_DONE ? 0 : -1;
}

/* The account's state lives with the web desk's accounts (store_web.c):
 * one flag for both faces. */
#define AGENT_SELECT "SELECT a.id, a.structure, a.name, a.email, a.role," \
	" coalesce(w.disabled, 0), coalesce(w.removed_at, 0) FROM agents a" \
	" LEFT JOIN web_accounts w ON w.agent = a.id"

static void
agent_from_row(sqlite3_stmt *s, void *row)
{
	struct agent *a = row;

	st_col_copy(s, 0, a->id, sizeof(a->id));
	st_col_copy(s, 1, a->structure, sizeof(a->structure));
	st_col_copy(s, 2, a->name, sizeof(a->name));
	st_col_copy(s, 3, a->email, sizeof(a->email));
	st_col_copy(s, 4, a->role, sizeof(a->role));
	a->disabled = sqlite3_column_int(s, 5) != 0;
	a->removed = sqlite3_column_int64(s, 6) != 0;
}

int
store_agent_get(struct store *st, const char *id, struct agent *a)
{
	sqlite3_stmt *s = st_prep_cached(st, AGENT_SELECT " WHERE a.id = ?");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		agent_from_row(s, a);
	st_release(st, s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

int
store_agent_list(struct store *st, struct agent **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, AGENT_SELECT " ORDER BY a.id");
	int r;

	*list = st_collect(st, s, sizeof(**list), agent_from_row, NULL, n, &r);
	return r;
}

/* --- cases ----------------------------------------------------------- */

int
store_next_seq(struct store *st, const char *insee, int year, long *seq)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO ref_sequences (insee, year, last)"
	    " VALUES (?, ?, 1) ON CONFLICT (insee, year) DO UPDATE SET last = last + 1"
	    " RETURNING last");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, insee);
	sqlite3_bind_int(s, 2, year);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*seq = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : -1;
}

int
store_case_insert(struct store *st, struct case_row *c)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO cases (ref, structure, partner, topic,"
	    " agent, state, rung, created_at, updated_at, due_at, user_due_at,"
	    " blind_index, reply_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, c->ref);
	st_bind_text(s, 2, c->structure);
	st_bind_text(s, 3, c->partner);
	st_bind_text(s, 4, c->topic);
	st_bind_text(s, 5, c->agent);
	st_bind_text(s, 6, c->state);
	sqlite3_bind_int(s, 7, c->rung);
	sqlite3_bind_int64(s, 8, c->created_at);
	sqlite3_bind_int64(s, 9, c->created_at);
	sqlite3_bind_int64(s, 10, c->due_at);
	sqlite3_bind_int64(s, 11, c->user_due_at);
	sqlite3_bind_blob(s, 12, c->blind_index, sizeof(c->blind_index), SQLITE_TRANSIENT);
	st_bind_text(s, 13, c->reply_token);
	if (st_run_done(s) < 0)
		return -1;
	c->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Sealed columns, by table: the only names ever spliced into SQL. */
static const char *
blob_sql(const char *table, const char *column, int set)
{
	static const struct {
		const char *table, *column, *get, *set;
	} cols[] = {
		{ "cases", "person", "SELECT person FROM cases WHERE id = ?",
		  "UPDATE cases SET person = ? WHERE id = ?" },
		{ "cases", "description", "SELECT description FROM cases WHERE id = ?",
		  "UPDATE cases SET description = ? WHERE id = ?" },
		{ "documents", "name", "SELECT name FROM documents WHERE id = ?",
		  "UPDATE documents SET name = ? WHERE id = ?" },
		{ "documents", "content", "SELECT content FROM documents WHERE id = ?",
		  "UPDATE documents SET content = ? WHERE id = ?" },
		{ "messages", "text", "SELECT text FROM messages WHERE id = ?",
		  "UPDATE messages SET text = ? WHERE id = ?" },
		{ "messages", "full_text", "SELECT full_text FROM messages WHERE id = ?",
		  "UPDATE messages SET full_text = ? WHERE id = ?" },
	};
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(cols); i++)
		if (strcmp(cols[i].table, table) == 0 && strcmp(cols[i].column, column) == 0)
			return set ? cols[i].set : cols[i].get;
	return NULL;
}

static int
blob_set(struct store *st, const char *table, const char *column, int64_t id,
    const void *blob, size_t len)
{
	const char *sql = blob_sql(table, column, 1);
	sqlite3_stmt *s;

	if (sql == NULL || (s = st_prep_cached(st, sql)) == NULL)
		return -1;
	sqlite3_bind_blob64(s, 1, blob, len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, id);
	return st_run_release(st, s);
}

static int
blob_get(struct store *st, const char *table, const char *column, int64_t id,
    struct buf *blob)
{
	const char *sql = blob_sql(table, column, 0);
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
			ret = buf_append(blob, sqlite3_column_blob(s, 0),
			    (size_t)sqlite3_column_bytes(s, 0));
	}
	st_release(st, s);
	return ret;
}

int
store_case_set_blob(struct store *st, int64_t case_id, const char *column,
    const void *blob, size_t len)
{
	return blob_set(st, "cases", column, case_id, blob, len);
}

int
store_case_get_blob(struct store *st, int64_t case_id, const char *column, struct buf *blob)
{
	return blob_get(st, "cases", column, case_id, blob);
}

int
store_case_set_state(struct store *st, int64_t case_id, const char *state, int64_t now)
{
	sqlite3_stmt *s = st_prep_cached(st, "UPDATE cases SET state = ?, updated_at = ?"
	    " WHERE id = ?");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, state);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, case_id);
	return st_run_release(st, s);
}

int
store_case_set_error(struct store *st, int64_t case_id, const char *error)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE cases SET last_error = ? WHERE id = ?");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, error ? error : "");
	sqlite3_bind_int64(s, 2, case_id);
	return st_run_done(s);
}

int
store_case_set_due(struct store *st, int64_t case_id, int64_t due_at, int64_t user_due_at)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE cases SET due_at = ?, user_due_at = ? WHERE id = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, due_at);
	sqlite3_bind_int64(s, 2, user_due_at);
	sqlite3_bind_int64(s, 3, case_id);
	return st_run_done(s);
}

#define CASE_COLS "id, ref, structure, partner, topic, agent, state, rung," \
	" created_at, due_at, user_due_at, overdue, last_error, blind_index, reply_token," \
	" updated_at, remind_at"

static void
case_from_row(sqlite3_stmt *s, void *row)
{
	struct case_row *c = row;
	const void *bi;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	st_col_copy(s, 1, c->ref, sizeof(c->ref));
	st_col_copy(s, 2, c->structure, sizeof(c->structure));
	st_col_copy(s, 3, c->partner, sizeof(c->partner));
	st_col_copy(s, 4, c->topic, sizeof(c->topic));
	st_col_copy(s, 5, c->agent, sizeof(c->agent));
	st_col_copy(s, 6, c->state, sizeof(c->state));
	c->rung = sqlite3_column_int(s, 7);
	c->created_at = sqlite3_column_int64(s, 8);
	c->due_at = sqlite3_column_int64(s, 9);
	c->user_due_at = sqlite3_column_int64(s, 10);
	c->overdue = sqlite3_column_int(s, 11);
	st_col_copy(s, 12, c->last_error, sizeof(c->last_error));
	bi = sqlite3_column_blob(s, 13);
	if (bi && sqlite3_column_bytes(s, 13) == (int)sizeof(c->blind_index))
		memcpy(c->blind_index, bi, sizeof(c->blind_index));
	st_col_copy(s, 14, c->reply_token, sizeof(c->reply_token));
	c->updated_at = sqlite3_column_int64(s, 15);
	c->remind_at = sqlite3_column_int64(s, 16);
}

static int
case_get_one(struct store *st, sqlite3_stmt *s, struct case_row *c)
{
	int r;

	if (s == NULL)
		return -1;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		case_from_row(s, c);
	st_release(st, s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

int
store_case_get(struct store *st, const char *ref, struct case_row *c)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " CASE_COLS " FROM cases WHERE ref = ?");

	if (s)
		st_bind_text(s, 1, ref);
	return case_get_one(st, s, c);
}

int
store_case_get_by_id(struct store *st, int64_t id, struct case_row *c)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " CASE_COLS " FROM cases WHERE id = ?");

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return case_get_one(st, s, c);
}

int
store_case_list(struct store *st, const char *agent, struct case_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT " CASE_COLS " FROM cases"
	    " WHERE ?1 IS NULL OR agent = ?1 ORDER BY id DESC");
	int r;

	if (s && agent)
		st_bind_text(s, 1, agent);
	*list = st_collect(st, s, sizeof(**list), case_from_row, NULL, n, &r);
	return r;
}

/* --- due-time queries (issue 15) -------------------------------------- */

int
store_case_due(struct store *st, int64_t now, int64_t after, size_t max,
    struct case_row **list, size_t *n)
{
	/* Three index ranges (cases_state_due, cases_state_remind twice). */
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " CASE_COLS " FROM cases WHERE id IN ("
	    "SELECT id FROM cases WHERE state = 'awaiting' AND overdue = 0"
	    "  AND due_at BETWEEN 1 AND ?1 AND id > ?2"
	    " UNION SELECT id FROM cases WHERE state = 'awaiting'"
	    "  AND remind_at BETWEEN 1 AND ?1 AND id > ?2"
	    " UNION SELECT id FROM cases WHERE state = 'awaiting' AND remind_at = -1"
	    "  AND id > ?2)"
	    " ORDER BY id LIMIT ?3");
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, after);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	}
	*list = st_collect(st, s, sizeof(**list), case_from_row, NULL, n, &r);
	return r;
}

int
store_case_stale(struct store *st, const char *state, int by_update, int64_t before,
    int64_t after, size_t max, struct case_row **list, size_t *n)
{
	static const char *const sql[] = {
		"SELECT " CASE_COLS " FROM cases WHERE state = ?1 AND created_at < ?2"
		" AND id > ?3 ORDER BY id LIMIT ?4",
		"SELECT " CASE_COLS " FROM cases WHERE state = ?1 AND updated_at < ?2"
		" AND id > ?3 ORDER BY id LIMIT ?4",
	};
	sqlite3_stmt *s = st_prep_cached(st, sql[by_update ? 1 : 0]);
	int r;

	if (s) {
		st_bind_text(s, 1, state);
		sqlite3_bind_int64(s, 2, before);
		sqlite3_bind_int64(s, 3, after);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
	}
	*list = st_collect(st, s, sizeof(**list), case_from_row, NULL, n, &r);
	return r;
}

int
store_case_shredded_indexed(struct store *st, int64_t from, int64_t before, int64_t after,
    size_t max, struct case_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " CASE_COLS " FROM cases WHERE"
	    " state = 'shredded' AND updated_at >= ?1 AND updated_at < ?2 AND id > ?3"
	    " AND length(blind_index) > 0 ORDER BY id LIMIT ?4");
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2, before);
		sqlite3_bind_int64(s, 3, after);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)max);
	}
	*list = st_collect(st, s, sizeof(**list), case_from_row, NULL, n, &r);
	return r;
}

int
store_case_unindex(struct store *st, int64_t case_id)
{
	static const char *const sql[] = {
		"UPDATE cases SET blind_index = X'' WHERE id = ? AND state = 'shredded'",
		"UPDATE deliveries SET blind_index = X'' WHERE case_id = ?",
	};
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(sql); i++) {
		sqlite3_stmt *s = st_prep(st, sql[i]);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, case_id);
		if (st_run_done(s) < 0)
			return -1;
	}
	return 0;
}

int
store_case_index_remains(struct store *st, int64_t case_id)
{
	sqlite3_stmt *s = st_prep(st, "SELECT (SELECT count(*) FROM cases WHERE id = ?1 AND"
	    " length(blind_index) > 0) + (SELECT count(*) FROM deliveries WHERE case_id = ?1"
	    " AND length(blind_index) > 0)");
	int r, remains = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		remains = sqlite3_column_int64(s, 0) > 0;
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? remains : -1;
}

int
store_case_set_remind(struct store *st, int64_t case_id, int64_t remind_at)
{
	sqlite3_stmt *s = st_prep_cached(st, "UPDATE cases SET remind_at = ? WHERE id = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, remind_at);
	sqlite3_bind_int64(s, 2, case_id);
	return st_run_release(st, s);
}

int
store_case_agent_due(struct store *st, const char *agent, int64_t before,
    struct case_row **list, size_t *n)
{
	/* An overdue case keeps its past due_at (tick: exhausted). */
	sqlite3_stmt *s = st_prep(st, "SELECT " CASE_COLS " FROM cases WHERE id IN ("
	    "SELECT id FROM cases WHERE agent = ?1 AND due_at BETWEEN 1 AND ?2 - 1"
	    " UNION SELECT id FROM cases WHERE agent = ?1 AND user_due_at BETWEEN 1 AND ?2 - 1)"
	    " ORDER BY id DESC");
	int r;

	if (s) {
		st_bind_text(s, 1, agent);
		sqlite3_bind_int64(s, 2, before);
	}
	*list = st_collect(st, s, sizeof(**list), case_from_row, NULL, n, &r);
	return r;
}

/* tick_case_overdue as SQL, on cases_state_due. */
#define OVERDUE_IDS "SELECT id FROM cases WHERE state = 'awaiting' AND overdue = 0" \
	" AND due_at BETWEEN 1 AND ?1" \
	" UNION ALL SELECT id FROM cases WHERE state IN ('awaiting', 'waiting_user')" \
	" AND overdue = 1"

int
store_case_overdue(struct store *st, int64_t now, const char *agent,
    struct case_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT " CASE_COLS " FROM cases WHERE id IN ("
	    OVERDUE_IDS ") AND (?2 IS NULL OR agent = ?2) ORDER BY id DESC");
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, now);
		if (agent)
			st_bind_text(s, 2, agent);
	}
	*list = st_collect(st, s, sizeof(**list), case_from_row, NULL, n, &r);
	return r;
}

static void
count_from_row(sqlite3_stmt *s, void *row)
{
	struct store_count_row *c = row;

	st_col_copy(s, 0, c->key, sizeof(c->key));
	c->n = (long)sqlite3_column_int64(s, 1);
}

int
store_overdue_by_partner(struct store *st, int64_t now, struct store_count_row **list,
    size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT partner, count(*) FROM cases WHERE id IN ("
	    OVERDUE_IDS ") GROUP BY partner ORDER BY partner");
	int r;

	if (s)
		sqlite3_bind_int64(s, 1, now);
	*list = st_collect(st, s, sizeof(**list), count_from_row, NULL, n, &r);
	return r;
}

/* --- reports --------------------------------------------------------- */

static void
facts_from_row(sqlite3_stmt *s, void *row)
{
	struct case_facts *f = row;

	case_from_row(s, &f->c);
	f->first_sent_at = sqlite3_column_int64(s, 17);
	f->first_reply_at = sqlite3_column_int64(s, 18);
	f->cancelled = sqlite3_column_int(s, 19);
}

int
store_case_facts(struct store *st, int64_t from, int64_t to, const char *structure,
    struct case_facts **list, size_t *n)
{
	/* The cases of the period through cases_created, and for each the
	 * per-case indexes of deliveries, messages and events (issue 15). */
	sqlite3_stmt *s = st_prep(st, "SELECT " CASE_COLS ", first_sent, first_reply,"
	    " cancelled FROM (SELECT c.id, c.ref, c.structure, c.partner, c.topic, c.agent,"
	    " c.state, c.rung, c.created_at, c.due_at, c.user_due_at, c.overdue, c.last_error,"
	    " c.blind_index, c.reply_token, c.updated_at, c.remind_at,"
	    " coalesce((SELECT min(sent_at) FROM deliveries d WHERE d.case_id = c.id"
	    "  AND d.sent_at > 0), 0) AS first_sent,"
	    " coalesce((SELECT min(at) FROM messages m WHERE m.case_id = c.id"
	    "  AND m.kind = 'reply' AND m.direction = 'in'), 0) AS first_reply,"
	    " EXISTS (SELECT 1 FROM events e WHERE e.action = 'case.cancelled'"
	    "  AND e.case_ref = c.ref) AS cancelled"
	    " FROM cases c"
	    " WHERE c.created_at >= ?1 AND c.created_at < ?2 AND (?3 IS NULL OR c.structure = ?3))"
	    " ORDER BY partner, topic, id");
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2, to);
		if (structure)
			st_bind_text(s, 3, structure);
	}
	*list = st_collect(st, s, sizeof(**list), facts_from_row, NULL, n, &r);
	return r;
}

int
store_case_key_put(struct store *st, int64_t case_id, const char *kek_id,
    const void *wrapped, size_t len)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO case_keys (case_id, kek_id, wrapped)"
	    " VALUES (?, ?, ?)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	st_bind_text(s, 2, kek_id);
	sqlite3_bind_blob64(s, 3, wrapped, len, SQLITE_TRANSIENT);
	return st_run_done(s);
}

int
store_case_key_get(struct store *st, int64_t case_id, char kek_id[33], struct buf *blob)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT kek_id, wrapped FROM case_keys"
	    " WHERE case_id = ?");
	int r, ret = -1;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		st_col_copy(s, 0, kek_id, 33);
		ret = buf_append(blob, sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1));
	} else if (r == SQLITE_DONE)
		ret = 1;
	st_release(st, s);
	return ret;
}

int
store_case_shred(struct store *st, int64_t case_id, int64_t now)
{
	static const char *const wipe[] = {
		"DELETE FROM case_keys WHERE case_id = ?",
		"UPDATE cases SET person = NULL, description = NULL WHERE id = ?",
		"UPDATE documents SET name = NULL, content = NULL WHERE case_id = ?",
		"UPDATE messages SET text = NULL, full_text = NULL WHERE case_id = ?",
		/* Mails attached to the case by hand from the quarantine: their
		 * sealed headers and raw copy go with the case. */
		"UPDATE inbox_raw SET key = NULL, content = NULL WHERE id IN"
		"  (SELECT raw_id FROM quarantine WHERE assigned_ref ="
		"  (SELECT ref FROM cases WHERE id = ?))",
		"UPDATE quarantine SET meta = NULL WHERE assigned_ref ="
		"  (SELECT ref FROM cases WHERE id = ?)",
		/* Nothing of a shredded case may leave any more. */
		"DELETE FROM prepared_mails WHERE delivery_id IN"
		"  (SELECT id FROM deliveries WHERE case_id = ?)",
	};
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(wipe); i++) {
		sqlite3_stmt *s = st_prep(st, wipe[i]);

		if (s == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, case_id);
		if (st_run_done(s) < 0)
			return -1;
	}
	return store_case_set_state(st, case_id, "shredded", now);
}

/* --- documents ------------------------------------------------------- */

int
store_document_insert(struct store *st, struct document_row *d)
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO documents (case_id, message_id,"
	    " kind, size, sha256, media_type) VALUES (?, ?, ?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, d->case_id);
	sqlite3_bind_int64(s, 2, d->message_id);
	st_bind_text(s, 3, d->kind);
	sqlite3_bind_int64(s, 4, d->size);
	st_bind_text(s, 5, d->sha256);
	st_bind_text(s, 6, d->media_type);
	if (st_run_release(st, s) < 0)
		return -1;
	d->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_document_set_blob(struct store *st, int64_t id, const char *column,
    const void *blob, size_t len)
{
	return blob_set(st, "documents", column, id, blob, len);
}

int
store_document_get_blob(struct store *st, int64_t id, const char *column, struct buf *blob)
{
	return blob_get(st, "documents", column, id, blob);
}

static void
document_from_row(sqlite3_stmt *s, void *row)
{
	struct document_row *d = row;

	d->id = sqlite3_column_int64(s, 0);
	d->case_id = sqlite3_column_int64(s, 1);
	d->message_id = sqlite3_column_int64(s, 2);
	st_col_copy(s, 3, d->kind, sizeof(d->kind));
	d->size = sqlite3_column_int64(s, 4);
	st_col_copy(s, 5, d->sha256, sizeof(d->sha256));
	st_col_copy(s, 6, d->media_type, sizeof(d->media_type));
}

int
store_document_list(struct store *st, int64_t case_id, int64_t message_id,
    struct document_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT id, case_id, message_id, kind, size, sha256,"
	    " media_type FROM documents WHERE case_id = ?1 AND (?2 = 0 OR message_id = ?2)"
	    " ORDER BY id");
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, case_id);
		sqlite3_bind_int64(s, 2, message_id);
	}
	*list = st_collect(st, s, sizeof(**list), document_from_row, NULL, n, &r);
	return r;
}

/* --- messages -------------------------------------------------------- */

int
store_message_insert(struct store *st, struct message_row *m)
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO messages (case_id, kind,"
	    " direction, sender, recipients, message_id, at, flagged)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, m->case_id);
	st_bind_text(s, 2, m->kind);
	st_bind_text(s, 3, m->direction);
	st_bind_text(s, 4, m->sender);
	st_bind_text(s, 5, m->recipients);
	st_bind_text(s, 6, m->message_id);
	sqlite3_bind_int64(s, 7, m->at);
	sqlite3_bind_int(s, 8, m->flagged);
	if (st_run_release(st, s) < 0)
		return -1;
	m->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_message_set_text(struct store *st, int64_t id, const void *blob, size_t len)
{
	return blob_set(st, "messages", "text", id, blob, len);
}

int
store_message_get_text(struct store *st, int64_t id, struct buf *blob)
{
	return blob_get(st, "messages", "text", id, blob);
}

int
store_message_set_full_text(struct store *st, int64_t id, const void *blob, size_t len)
{
	return blob_set(st, "messages", "full_text", id, blob, len);
}

int
store_message_get_full_text(struct store *st, int64_t id, struct buf *blob)
{
	return blob_get(st, "messages", "full_text", id, blob);
}

static void
message_from_row(sqlite3_stmt *s, void *row)
{
	struct message_row *m = row;

	m->id = sqlite3_column_int64(s, 0);
	m->case_id = sqlite3_column_int64(s, 1);
	st_col_copy(s, 2, m->kind, sizeof(m->kind));
	st_col_copy(s, 3, m->direction, sizeof(m->direction));
	st_col_copy(s, 4, m->sender, sizeof(m->sender));
	st_col_copy(s, 5, m->recipients, sizeof(m->recipients));
	st_col_copy(s, 6, m->message_id, sizeof(m->message_id));
	m->at = sqlite3_column_int64(s, 7);
	m->flagged = sqlite3_column_int(s, 8);
}

int
store_message_list(struct store *st, int64_t case_id, struct message_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT id, case_id, kind, direction, sender, recipients,"
	    " message_id, at, flagged FROM messages WHERE case_id = ? ORDER BY at, id");
	int r;

	if (s)
		sqlite3_bind_int64(s, 1, case_id);
	*list = st_collect(st, s, sizeof(**list), message_from_row, NULL, n, &r);
	return r;
}

/* --- deliveries ------------------------------------------------------ */

int
store_delivery_insert(struct store *st, struct delivery_row *d)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO deliveries (case_id, message_id, rung,"
	    " recipient, recipient_lc, key_recipient, key_fingerprint, blind_index, state,"
	    " attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, d->case_id);
	sqlite3_bind_int64(s, 2, d->message_id);
	sqlite3_bind_int(s, 3, d->rung);
	st_bind_text(s, 4, d->recipient);
	st_bind_text(s, 5, d->recipient_lc);
	st_bind_text(s, 6, d->key_recipient);
	st_bind_text(s, 7, d->key_fingerprint);
	sqlite3_bind_blob(s, 8, d->blind_index, sizeof(d->blind_index), SQLITE_TRANSIENT);
	st_bind_text(s, 9, d->state);
	sqlite3_bind_int64(s, 10, d->next_attempt_at);
	if (st_run_done(s) < 0)
		return -1;
	d->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define DELIVERY_COLS "id, case_id, message_id, rung, recipient, recipient_lc," \
	" key_recipient, key_fingerprint, blind_index, state, attempts," \
	" next_attempt_at, last_error, smtp_message_id, sent_at"

static void
delivery_from_row(sqlite3_stmt *s, void *row)
{
	struct delivery_row *d = row;
	const void *bi;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	d->case_id = sqlite3_column_int64(s, 1);
	d->message_id = sqlite3_column_int64(s, 2);
	d->rung = sqlite3_column_int(s, 3);
	st_col_copy(s, 4, d->recipient, sizeof(d->recipient));
	st_col_copy(s, 5, d->recipient_lc, sizeof(d->recipient_lc));
	st_col_copy(s, 6, d->key_recipient, sizeof(d->key_recipient));
	st_col_copy(s, 7, d->key_fingerprint, sizeof(d->key_fingerprint));
	bi = sqlite3_column_blob(s, 8);
	if (bi && sqlite3_column_bytes(s, 8) == (int)sizeof(d->blind_index))
		memcpy(d->blind_index, bi, sizeof(d->blind_index));
	st_col_copy(s, 9, d->state, sizeof(d->state));
	d->attempts = sqlite3_column_int(s, 10);
	d->next_attempt_at = sqlite3_column_int64(s, 11);
	st_col_copy(s, 12, d->last_error, sizeof(d->last_error));
	st_col_copy(s, 13, d->smtp_message_id, sizeof(d->smtp_message_id));
	d->sent_at = sqlite3_column_int64(s, 14);
}

static int
delivery_collect(struct store *st, sqlite3_stmt *s, struct delivery_row **list, size_t *n)
{
	int r;

	*list = st_collect(st, s, sizeof(**list), delivery_from_row, NULL, n, &r);
	return r;
}

int
store_delivery_list(struct store *st, int64_t case_id, struct delivery_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " DELIVERY_COLS " FROM deliveries"
	    " WHERE case_id = ? ORDER BY id");

	if (s)
		sqlite3_bind_int64(s, 1, case_id);
	return delivery_collect(st, s, list, n);
}

int
store_delivery_due(struct store *st, int64_t now, size_t max,
    struct delivery_row **list, size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT " DELIVERY_COLS " FROM deliveries"
	    " WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id"
	    " LIMIT ?");

	if (s) {
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	}
	return delivery_collect(st, s, list, n);
}

int
store_delivery_get(struct store *st, int64_t id, struct delivery_row *d)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " DELIVERY_COLS " FROM deliveries"
	    " WHERE id = ?");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		memset(d, 0, sizeof(*d));
		delivery_from_row(s, d);
	}
	st_release(st, s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? 1 : -1;
}

/* Write d's mutable columns; only while pending if sql says so.  0 written,
 * 1 no row matched, -1. */
static int
delivery_write(struct store *st, const char *sql, const struct delivery_row *d)
{
	sqlite3_stmt *s = st_prep_cached(st, sql);

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, d->state);
	sqlite3_bind_int(s, 2, d->attempts);
	sqlite3_bind_int64(s, 3, d->next_attempt_at);
	st_bind_text(s, 4, d->last_error);
	st_bind_text(s, 5, d->smtp_message_id);
	sqlite3_bind_int64(s, 6, d->sent_at);
	sqlite3_bind_int64(s, 7, d->id);
	if (st_run_release(st, s) < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

#define DELIVERY_SET "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?," \
	" last_error = ?, smtp_message_id = ?, sent_at = ? WHERE id = ?"

int
store_delivery_record(struct store *st, const struct delivery_row *d)
{
	static const char sql[] = DELIVERY_SET " AND state = 'pending'";

	return delivery_write(st, sql, d);
}

int
store_delivery_update(struct store *st, const struct delivery_row *d)
{
	static const char sql[] = DELIVERY_SET;

	return delivery_write(st, sql, d) < 0 ? -1 : 0;
}

int
store_count_cases_by_state(struct store *st, const char *state, long *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT count(*) FROM cases WHERE state = ?");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, state);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : -1;
}

/* --- directory ------------------------------------------------------- */

/* What identifies a referent row across imports. */
static const char *
entry_ident(const struct dir_entry *e)
{
	return e->email_lc[0] ? e->email_lc : e->name;
}

/* The other columns, joined, to tell a modified row. */
static char *
entry_payload(const struct dir_entry *e)
{
	return xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", e->partner_name,
	    e->name, e->title, e->email, e->phone, e->phone_scope, e->rule);
}

static int
directory_diff(struct store *st, const struct directory *dir, struct buf *changes,
    int *n_changes)
{
	sqlite3_stmt *s = st_prep(st, "SELECT partner, structure, topic, role, ident,"
	    " partner_name || char(31) || name || char(31) || title || char(31) ||"
	    " email || char(31) || phone || char(31) || phone_scope || char(31) || rule,"
	    " name FROM referents");
	unsigned char *matched = xcalloc(dir->n_entries + 1, 1);
	size_t i;
	int r;

	if (s == NULL) {
		free(matched);
		return -1;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c[7];
		int k, found = 0;

		for (k = 0; k < 7; k++)
			c[k] = (const char *)sqlite3_column_text(s, k);
		for (i = 0; i < dir->n_entries; i++) {
			const struct dir_entry *e = &dir->entries[i];
			char *payload;

			if (strcmp(e->partner, c[0]) || strcmp(e->structure, c[1]) ||
			    strcmp(e->topic, c[2]) || strcmp(dir_role_name(e->role), c[3]) ||
			    strcmp(entry_ident(e), c[4]))
				continue;
			found = 1;
			matched[i] = 1;
			payload = entry_payload(e);
			if (strcmp(payload, c[5]) != 0) {
				buf_printf(changes, "~ modifié : %s %s %s %s %s\n", c[0], c[1],
				    c[2], c[3], c[6]);
				(*n_changes)++;
			}
			free(payload);
			break;
		}
		if (!found) {
			buf_printf(changes, "- retiré : %s %s %s %s %s\n", c[0], c[1], c[2],
			    c[3], c[6]);
			(*n_changes)++;
		}
	}
	sqlite3_finalize(s);
	for (i = 0; i < dir->n_entries && r == SQLITE_DONE; i++) {
		const struct dir_entry *e = &dir->entries[i];

		if (matched[i])
			continue;
		buf_printf(changes, "+ ajouté : %s %s %s %s %s%s%s\n", e->partner,
		    e->structure, e->topic, dir_role_name(e->role), e->name,
		    e->email[0] ? " " : "", e->email);
		(*n_changes)++;
	}
	free(matched);
	return r == SQLITE_DONE ? 0 : -1;
}

static int
insert_entry(struct store *st, const struct dir_entry *e)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO referents (partner, partner_name, structure,"
	    " topic, role, name, title, email, email_lc, phone, phone_scope, rule, ident)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, e->partner);
	st_bind_text(s, 2, e->partner_name);
	st_bind_text(s, 3, e->structure);
	st_bind_text(s, 4, e->topic);
	st_bind_text(s, 5, dir_role_name(e->role));
	st_bind_text(s, 6, e->name);
	st_bind_text(s, 7, e->title);
	st_bind_text(s, 8, e->email);
	st_bind_text(s, 9, e->email_lc);
	st_bind_text(s, 10, e->phone);
	st_bind_text(s, 11, e->phone_scope);
	st_bind_text(s, 12, e->rule);
	st_bind_text(s, 13, entry_ident(e));
	return st_run_done(s);
}

static int
insert_structure(struct store *st, const struct dir_structure *x)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO structures (id, name, insee, address, email,"
	    " phone, hours) VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, x->id);
	st_bind_text(s, 2, x->name);
	st_bind_text(s, 3, x->insee);
	st_bind_text(s, 4, x->address);
	st_bind_text(s, 5, x->email);
	st_bind_text(s, 6, x->phone);
	st_bind_text(s, 7, x->hours);
	return st_run_done(s);
}

static int
insert_topic(struct store *st, const struct dir_topic *t)
{
	sqlite3_stmt *s = st_prep(st, "INSERT INTO topics (partner, topic, label, theme)"
	    " VALUES (?, ?, ?, ?)");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, t->partner);
	st_bind_text(s, 2, t->topic);
	st_bind_text(s, 3, t->label);
	st_bind_text(s, 4, t->theme);
	return st_run_done(s);
}

/* The directory's version mark, counted up in the replacing transaction. */
static int
bump_version(struct store *st)
{
	int64_t v = 0;

	if (store_mark_get(st, STORE_DIRECTORY_VERSION, &v) < 0)
		return -1;
	return store_mark_set(st, STORE_DIRECTORY_VERSION, v + 1);
}

int
store_directory_replace(struct store *st, const struct directory *dir,
    struct buf *changes, int *n_changes)
{
	size_t i;

	*n_changes = 0;
	if (directory_diff(st, dir, changes, n_changes) < 0 ||
	    st_exec(st, "DELETE FROM referents; DELETE FROM structures;"
	    " DELETE FROM topics") < 0)
		return -1;
	for (i = 0; i < dir->n_entries; i++)
		if (insert_entry(st, &dir->entries[i]) < 0)
			return -1;
	for (i = 0; i < dir->n_structures; i++)
		if (insert_structure(st, &dir->structures[i]) < 0)
			return -1;
	for (i = 0; i < dir->n_topics; i++)
		if (insert_topic(st, &dir->topics[i]) < 0)
			return -1;
	return bump_version(st);
}

/* A table of the directory read as rows (struct dir_rows): the core's
 * checks see exactly what an import saw, without a CSV text in between. */
struct table_rows {
	sqlite3_stmt	*s;
	const char	*f[16];
	int		 ncols;
};

static int
table_next(void *arg, const char *const **fields, size_t *n)
{
	struct table_rows *t = arg;
	int r = sqlite3_step(t->s), k;

	if (r == SQLITE_DONE)
		return 0;
	if (r != SQLITE_ROW)
		return -1;
	for (k = 0; k < t->ncols; k++) {
		const char *v = (const char *)sqlite3_column_text(t->s, k);

		t->f[k] = v ? v : "";
	}
	*fields = t->f;
	*n = (size_t)t->ncols;
	return 1;
}

static int
load_table(struct store *st, const char *sql, int ncols, struct directory *dir,
    int (*take)(struct directory *, const struct dir_rows *, char *, size_t),
    char *err, size_t errlen)
{
	struct table_rows t = { st_prep(st, sql), { NULL }, ncols };
	struct dir_rows src = { table_next, &t };
	int r;

	if (t.s == NULL) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return -1;
	}
	r = take(dir, &src, err, errlen);
	sqlite3_finalize(t.s);
	return r;
}

int
store_directory_load(struct store *st, struct directory *dir, char *err, size_t errlen)
{
	directory_init(dir);
	if (load_table(st, "SELECT id, name, insee, address, email, phone, hours"
	    " FROM structures ORDER BY rowid", 7, dir, directory_take_structures, err,
	    errlen) < 0 ||
	    load_table(st, "SELECT partner, topic, label, theme FROM topics ORDER BY rowid",
	    4, dir, directory_take_topics, err, errlen) < 0 ||
	    load_table(st, "SELECT partner, partner_name, structure, topic, role, name,"
	    " title, email, phone, phone_scope, rule FROM referents ORDER BY id", 11, dir,
	    directory_take_entries, err, errlen) < 0) {
		directory_free(dir);
		return -1;
	}
	return 0;
}

int
store_case_set_rung(struct store *st, int64_t case_id, int rung, int64_t due_at, int overdue)
{
	/* The reminder instant follows the rung and its deadline: the next
	 * pass computes it again (remind_at = -1). */
	sqlite3_stmt *s = st_prep(st, "UPDATE cases SET rung = ?, due_at = ?, overdue = ?,"
	    " remind_at = -1 WHERE id = ?");

	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, rung);
	sqlite3_bind_int64(s, 2, due_at);
	sqlite3_bind_int(s, 3, overdue);
	sqlite3_bind_int64(s, 4, case_id);
	return st_run_done(s);
}

int
store_case_by_token(struct store *st, const char *token, struct case_row *c)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT " CASE_COLS
	    " FROM cases WHERE reply_token = ?");

	if (s)
		st_bind_text(s, 1, token);
	return case_get_one(st, s, c);
}

/* --- notices --------------------------------------------------------- */

int
store_notice_insert(struct store *st, struct notice_row *n)
{
	sqlite3_stmt *s = st_prep_cached(st, "INSERT INTO notices (kind, recipient, subject, body,"
	    " case_ref, state, next_attempt_at, created_at, once_key)"
	    " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (once_key) DO NOTHING");
	int r;

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, n->kind);
	st_bind_text(s, 2, n->recipient);
	st_bind_text(s, 3, n->subject);
	st_bind_text(s, 4, n->body);
	st_bind_text(s, 5, n->case_ref);
	sqlite3_bind_int64(s, 6, n->next_attempt_at);
	sqlite3_bind_int64(s, 7, n->created_at);
	if (n->once_key[0])
		st_bind_text(s, 8, n->once_key);
	r = st_run_release(st, s);
	if (r == 0)
		n->id = sqlite3_changes(st->db) ? sqlite3_last_insert_rowid(st->db) : 0;
	return r;
}

static void
notice_from_row(sqlite3_stmt *s, void *row)
{
	struct notice_row *x = row;

	x->id = sqlite3_column_int64(s, 0);
	st_col_copy(s, 1, x->kind, sizeof(x->kind));
	st_col_copy(s, 2, x->recipient, sizeof(x->recipient));
	st_col_copy(s, 3, x->subject, sizeof(x->subject));
	st_col_copy(s, 4, x->body, sizeof(x->body));
	st_col_copy(s, 5, x->case_ref, sizeof(x->case_ref));
	st_col_copy(s, 6, x->state, sizeof(x->state));
	x->attempts = sqlite3_column_int(s, 7);
	x->next_attempt_at = sqlite3_column_int64(s, 8);
	st_col_copy(s, 9, x->last_error, sizeof(x->last_error));
	x->created_at = sqlite3_column_int64(s, 10);
	st_col_copy(s, 11, x->once_key, sizeof(x->once_key));
}

int
store_notice_due(struct store *st, int64_t now, size_t max, struct notice_row **list,
    size_t *n)
{
	sqlite3_stmt *s = st_prep(st, "SELECT id, kind, recipient, subject, body, case_ref, state,"
	    " attempts, next_attempt_at, last_error, created_at, coalesce(once_key, '')"
	    " FROM notices WHERE state = 'pending' AND next_attempt_at <= ?"
	    " ORDER BY next_attempt_at, id"
	    " LIMIT ?");
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	}
	*list = st_collect(st, s, sizeof(**list), notice_from_row, NULL, n, &r);
	return r;
}

int
store_notice_update(struct store *st, const struct notice_row *n)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE notices SET state = ?, attempts = ?,"
	    " next_attempt_at = ?, last_error = ?, sent_at = ? WHERE id = ?");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, n->state);
	sqlite3_bind_int(s, 2, n->attempts);
	sqlite3_bind_int64(s, 3, n->next_attempt_at);
	st_bind_text(s, 4, n->last_error);
	sqlite3_bind_int64(s, 5, n->sent_at);
	sqlite3_bind_int64(s, 6, n->id);
	return st_run_done(s);
}

int
store_count(struct store *st, const char *what, long *n)
{
	static const struct { const char *what, *sql; } q[] = {
		{ "deliveries.pending", "SELECT count(*) FROM deliveries WHERE state = 'pending'" },
		{ "deliveries.sent", "SELECT count(*) FROM deliveries WHERE state = 'sent'" },
		{ "notices.pending", "SELECT count(*) FROM notices WHERE state = 'pending'" },
	};
	sqlite3_stmt *s = NULL;
	size_t i;
	int r;

	for (i = 0; i < FS_ARRAY_LEN(q); i++)
		if (strcmp(q[i].what, what) == 0)
			s = st_prep(st, q[i].sql);
	if (s == NULL)
		return -1;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : -1;
}
