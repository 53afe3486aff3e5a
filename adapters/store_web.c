/*
 * store_web - the store area of the web desk: implements struct
 * account_port (relay/account.h) on SQLite.  Password hashes (Argon2id
 * strings), session token hashes, CSRF tokens and login counters keyed by
 * keyed hashes: no password, token or client address in clear.
 */
#include "adapters/store.h"
#include "adapters/store_int.h"
#include "relay/account.h"
#include "relay/util.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static const char *const web_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE web_accounts ("
	"  agent TEXT PRIMARY KEY REFERENCES agents (id),"
	"  pwhash TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE web_sessions ("
	"  token_hash BLOB PRIMARY KEY, agent TEXT NOT NULL, csrf TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, seen_at INTEGER NOT NULL);"
	"CREATE INDEX web_sessions_agent ON web_sessions (agent);"
	"CREATE TABLE web_attempts ("
	"  key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at INTEGER NOT NULL,"
	"  locked_until INTEGER NOT NULL);",
	/* 1 -> 2 (issue 14): an account removed for good keeps its id (its
	 * cases and the audit trail name it) with the time of its removal. */
	"ALTER TABLE web_accounts ADD COLUMN removed_at INTEGER NOT NULL DEFAULT 0;",
	/* 2 -> 3: « Mes dossiers » orders an agent's cases by urgency from
	 * this index alone (store_case_keys), not from the case rows. */
	"CREATE INDEX cases_agent_urgency ON cases"
	"  (agent, state, overdue, due_at, user_due_at);",
};

const struct store_area store_area_web = {
	"web", web_migrations, sizeof(web_migrations) / sizeof(web_migrations[0]),
};

static int
fail(struct store *st, char *err, size_t errlen)
{
	fs_seterr(err, errlen, "base : %s", store_errmsg(st));
	return -1;
}

static int
run(struct store *st, sqlite3_stmt *s, char *err, size_t errlen)
{
	if (s == NULL || st_run_release(st, s) < 0)
		return fail(st, err, errlen);
	return 0;
}

#define ACCOUNT_SELECT "SELECT a.id, a.structure, a.name, a.role," \
	" coalesce(w.pwhash, ''), coalesce(w.disabled, 0), coalesce(w.removed_at, 0)" \
	" FROM agents a" \
	" LEFT JOIN web_accounts w ON w.agent = a.id"

static void
account_from_row(sqlite3_stmt *s, struct account *a)
{
	char role[16];

	memset(a, 0, sizeof(*a));
	st_col_copy(s, 0, a->id, sizeof(a->id));
	st_col_copy(s, 1, a->structure, sizeof(a->structure));
	st_col_copy(s, 2, a->name, sizeof(a->name));
	st_col_copy(s, 3, role, sizeof(role));
	st_col_copy(s, 4, a->pwhash, sizeof(a->pwhash));
	a->disabled = sqlite3_column_int(s, 5) != 0;
	a->removed = sqlite3_column_int64(s, 6) != 0;
	if (account_role_parse(role, &a->role) < 0)
		a->role = ROLE_AGENT;
}

static int
w_get(void *ctx, const char *id, struct account *a, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep_cached(st, ACCOUNT_SELECT " WHERE a.id = ?");
	int r;

	if (s == NULL)
		return fail(st, err, errlen);
	st_bind_text(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		account_from_row(s, a);
	st_release(st, s);
	if (r == SQLITE_ROW)
		return 0;
	return r == SQLITE_DONE ? 1 : fail(st, err, errlen);
}

static int
w_set_password(void *ctx, const char *id, const char *h, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "INSERT INTO web_accounts (agent, pwhash) VALUES (?, ?)"
	    " ON CONFLICT (agent) DO UPDATE SET pwhash = excluded.pwhash");

	if (s != NULL) {
		st_bind_text(s, 1, id);
		st_bind_text(s, 2, h);
	}
	return run(st, s, err, errlen);
}

static int
w_set_role(void *ctx, const char *id, enum role r, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "UPDATE agents SET role = ? WHERE id = ?");

	if (s != NULL) {
		st_bind_text(s, 1, account_role_name(r));
		st_bind_text(s, 2, id);
	}
	return run(st, s, err, errlen);
}

static int
w_set_disabled(void *ctx, const char *id, int disabled, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "INSERT INTO web_accounts (agent, disabled) VALUES (?, ?)"
	    " ON CONFLICT (agent) DO UPDATE SET disabled = excluded.disabled");

	if (s != NULL) {
		st_bind_text(s, 1, id);
		sqlite3_bind_int(s, 2, disabled);
	}
	return run(st, s, err, errlen);
}

/* The tombstone: disabled, no password, the agent's name and address
 * erased; one transaction is the caller's (the CLI's or the request's). */
static int
w_remove(void *ctx, const char *id, int64_t at, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "INSERT INTO web_accounts (agent, pwhash, disabled,"
	    " removed_at) VALUES (?, '', 1, ?) ON CONFLICT (agent) DO UPDATE SET pwhash = '',"
	    " disabled = 1, removed_at = excluded.removed_at");

	if (s != NULL) {
		st_bind_text(s, 1, id);
		sqlite3_bind_int64(s, 2, at);
	}
	if (run(st, s, err, errlen) < 0)
		return -1;
	s = st_prep(st, "UPDATE agents SET name = '', email = '' WHERE id = ?");
	if (s != NULL)
		st_bind_text(s, 1, id);
	return run(st, s, err, errlen);
}

static int
w_session_put(void *ctx, const struct session *ss, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "INSERT INTO web_sessions (token_hash, agent, csrf,"
	    " created_at, seen_at) VALUES (?, ?, ?, ?, ?)");

	if (s != NULL) {
		sqlite3_bind_blob(s, 1, ss->token_hash, 32, SQLITE_TRANSIENT);
		st_bind_text(s, 2, ss->agent);
		st_bind_text(s, 3, ss->csrf);
		sqlite3_bind_int64(s, 4, ss->created_at);
		sqlite3_bind_int64(s, 5, ss->seen_at);
	}
	return run(st, s, err, errlen);
}

static int
w_session_get(void *ctx, const uint8_t h[32], struct session *ss, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep_cached(st, "SELECT agent, csrf, created_at, seen_at"
	    " FROM web_sessions WHERE token_hash = ?");
	int r;

	if (s == NULL)
		return fail(st, err, errlen);
	sqlite3_bind_blob(s, 1, h, 32, SQLITE_TRANSIENT);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		memset(ss, 0, sizeof(*ss));
		memcpy(ss->token_hash, h, 32);
		st_col_copy(s, 0, ss->agent, sizeof(ss->agent));
		st_col_copy(s, 1, ss->csrf, sizeof(ss->csrf));
		ss->created_at = sqlite3_column_int64(s, 2);
		ss->seen_at = sqlite3_column_int64(s, 3);
	}
	st_release(st, s);
	if (r == SQLITE_ROW)
		return 0;
	return r == SQLITE_DONE ? 1 : fail(st, err, errlen);
}

static int
w_session_touch(void *ctx, const uint8_t h[32], int64_t at, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep_cached(st, "UPDATE web_sessions SET seen_at = ?"
	    " WHERE token_hash = ?");

	if (s != NULL) {
		sqlite3_bind_int64(s, 1, at);
		sqlite3_bind_blob(s, 2, h, 32, SQLITE_TRANSIENT);
	}
	return run(st, s, err, errlen);
}

static int
w_session_drop(void *ctx, const uint8_t h[32], char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "DELETE FROM web_sessions WHERE token_hash = ?");

	if (s != NULL)
		sqlite3_bind_blob(s, 1, h, 32, SQLITE_TRANSIENT);
	return run(st, s, err, errlen);
}

static int
w_session_drop_agent(void *ctx, const char *id, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "DELETE FROM web_sessions WHERE agent = ?");

	if (s != NULL)
		st_bind_text(s, 1, id);
	return run(st, s, err, errlen);
}

static int
w_attempts_get(void *ctx, const char *key, struct attempts *a, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep_cached(st, "SELECT failures, last_at, locked_until"
	    " FROM web_attempts WHERE key = ?");
	int r;

	if (s == NULL)
		return fail(st, err, errlen);
	st_bind_text(s, 1, key);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		a->failures = sqlite3_column_int(s, 0);
		a->last_at = sqlite3_column_int64(s, 1);
		a->locked_until = sqlite3_column_int64(s, 2);
	}
	st_release(st, s);
	if (r == SQLITE_ROW)
		return 0;
	return r == SQLITE_DONE ? 1 : fail(st, err, errlen);
}

static int
w_attempts_put(void *ctx, const char *key, const struct attempts *a, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "INSERT INTO web_attempts (key, failures, last_at,"
	    " locked_until) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
	    " failures = excluded.failures, last_at = excluded.last_at,"
	    " locked_until = excluded.locked_until");

	if (s != NULL) {
		st_bind_text(s, 1, key);
		sqlite3_bind_int(s, 2, a->failures);
		sqlite3_bind_int64(s, 3, a->last_at);
		sqlite3_bind_int64(s, 4, a->locked_until);
	}
	return run(st, s, err, errlen);
}

static int
w_attempts_clear(void *ctx, const char *key, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, "DELETE FROM web_attempts WHERE key = ?");

	if (s != NULL)
		st_bind_text(s, 1, key);
	return run(st, s, err, errlen);
}

static int
w_event(void *ctx, int64_t at, const char *actor, const char *action, const char *outcome,
    char *err, size_t errlen)
{
	struct store *st = ctx;

	if (store_event(st, at, actor, action, NULL, outcome) < 0)
		return fail(st, err, errlen);
	return 0;
}

static int
w_list(void *ctx, struct account **list, size_t *n, char *err, size_t errlen)
{
	struct store *st = ctx;
	sqlite3_stmt *s = st_prep(st, ACCOUNT_SELECT " ORDER BY a.id");
	size_t cap = 0;
	int r;

	*list = NULL;
	*n = 0;
	if (s == NULL)
		return fail(st, err, errlen);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct account *a;

		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*list = xreallocarray(*list, cap, sizeof(**list));
		}
		a = &(*list)[(*n)++];
		account_from_row(s, a);
	}
	st_release(st, s);
	if (r == SQLITE_DONE)
		return 0;
	free(*list);
	*list = NULL;
	*n = 0;
	return fail(st, err, errlen);
}

void
store_account_port(struct store *st, struct account_port *p)
{
	memset(p, 0, sizeof(*p));
	p->ctx = st;
	p->get = w_get;
	p->set_password = w_set_password;
	p->set_role = w_set_role;
	p->set_disabled = w_set_disabled;
	p->session_put = w_session_put;
	p->session_get = w_session_get;
	p->session_touch = w_session_touch;
	p->session_drop = w_session_drop;
	p->session_drop_agent = w_session_drop_agent;
	p->attempts_get = w_attempts_get;
	p->attempts_put = w_attempts_put;
	p->attempts_clear = w_attempts_clear;
	p->event = w_event;
	p->list = w_list;
	p->remove = w_remove;
}

/* ---- the keys of « Mes dossiers » --------------------------------------- */

static void
case_key_from_row(sqlite3_stmt *s, void *row)
{
	struct case_key *k = row;

	k->id = sqlite3_column_int64(s, 0);
	st_col_copy(s, 1, k->state, sizeof(k->state));
	k->overdue = sqlite3_column_int(s, 2);
	k->due_at = sqlite3_column_int64(s, 3);
	k->user_due_at = sqlite3_column_int64(s, 4);
}

int
store_case_keys(struct store *st, const char *agent, struct case_key **list, size_t *n)
{
	sqlite3_stmt *s = st_prep_cached(st, "SELECT id, state, overdue, due_at, user_due_at"
	    " FROM cases WHERE agent = ?1");
	int r;

	if (s)
		st_bind_text(s, 1, agent);
	*list = st_collect(st, s, sizeof(**list), case_key_from_row, NULL, n, &r);
	return r;
}
