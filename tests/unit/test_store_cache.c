/*
 * test_store_cache - the store's prepared-statement cache (adapters/store.c
 * st_prep_cached, st_release, st_run_release): one statement per SQL text,
 * handed out again only once released; released statements are reset and
 * their bindings cleared; a re-entrant use gets a statement of its own;
 * a full cache makes room or falls back; a reused address with other text
 * is never given the old statement; store functions that use the cache
 * give the same answers call after call, errors included.  And the row
 * collector st_collect: order, growth, empty results, a failing step.
 */
#include "adapters/store.h"
#include "adapters/store_int.h"
#include "tests/unit/t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char sql_param[] = "SELECT ?";
static const char sql_two_rows[] = "SELECT 1 UNION ALL SELECT 2";
static const char sql_insert[] = "INSERT INTO t (x) VALUES (?)";
static const char sql_count[] = "SELECT count(*) FROM t";

/* The first column of the first row, or -1 (no row / error). */
static long
first_int(sqlite3_stmt *s)
{
	return sqlite3_step(s) == SQLITE_ROW ? (long)sqlite3_column_int64(s, 0) : -1;
}

static void
test_reuse(struct store *st)
{
	sqlite3_stmt *a, *b, *c;
	unsigned long hits = st->cache_hits;

	a = st_prep_cached(st, sql_param);
	CHECK(a != NULL);
	sqlite3_bind_int(a, 1, 42);
	CHECK_INT(first_int(a), 42);
	st_release(st, a);
	b = st_prep_cached(st, sql_param);
	CHECK(b == a);				/* the same statement again */
	CHECK_INT(st->cache_hits, hits + 1);
	/* released with its binding cleared: a step now gives NULL */
	CHECK_INT(sqlite3_step(b), SQLITE_ROW);
	CHECK_INT(sqlite3_column_type(b, 0), SQLITE_NULL);
	st_release(st, b);
	/* released mid-result: reset, the next use starts again */
	c = st_prep_cached(st, sql_two_rows);
	CHECK_INT(first_int(c), 1);
	st_release(st, c);
	c = st_prep_cached(st, sql_two_rows);
	CHECK_INT(first_int(c), 1);
	CHECK_INT(sqlite3_step(c), SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(c, 0), 2);
	st_release(st, c);
	st_release(st, NULL);			/* no-op */
}

static void
test_reentrant(struct store *st)
{
	sqlite3_stmt *outer, *inner, *again;
	size_t n;

	outer = st_prep_cached(st, sql_param);
	sqlite3_bind_int(outer, 1, 1);
	CHECK_INT(sqlite3_step(outer), SQLITE_ROW);
	n = st->n_cache;
	/* the same SQL while outer is still stepping: another statement */
	inner = st_prep_cached(st, sql_param);
	CHECK(inner != NULL && inner != outer);
	CHECK_INT(st->n_cache, n);
	sqlite3_bind_int(inner, 1, 2);
	CHECK_INT(first_int(inner), 2);
	CHECK_INT(sqlite3_column_int(outer, 0), 1);	/* outer untouched */
	st_release(st, inner);			/* finalized, not cached */
	CHECK_INT(st->n_cache, n);
	st_release(st, outer);
	again = st_prep_cached(st, sql_param);
	CHECK(again == outer);
	st_release(st, again);
}

static void
test_errors(struct store *st)
{
	sqlite3_stmt *s;

	CHECK_INT(st_exec(st, "CREATE TABLE t (x INTEGER UNIQUE)"), 0);
	s = st_prep_cached(st, sql_insert);
	sqlite3_bind_int(s, 1, 7);
	CHECK_INT(st_run_release(st, s), 0);
	/* a constraint failure: -1, and the statement is usable after it */
	s = st_prep_cached(st, sql_insert);
	sqlite3_bind_int(s, 1, 7);
	CHECK_INT(st_run_release(st, s), -1);
	CHECK(strstr(store_errmsg(st), "UNIQUE") != NULL);
	s = st_prep_cached(st, sql_insert);
	sqlite3_bind_int(s, 1, 8);
	CHECK_INT(st_run_release(st, s), 0);
	/* an unbound parameter after release is NULL, not the last value */
	s = st_prep_cached(st, sql_insert);
	CHECK_INT(st_run_release(st, s), 0);
	s = st_prep_cached(st, "SELECT count(*) FROM t WHERE x IS NULL");
	CHECK_INT(first_int(s), 1);
	st_release(st, s);
	/* a cached statement never holds the transaction open */
	CHECK_INT(store_begin(st), 0);
	s = st_prep_cached(st, sql_insert);
	sqlite3_bind_int(s, 1, 9);
	CHECK_INT(st_run_release(st, s), 0);
	s = st_prep_cached(st, sql_count);
	CHECK_INT(first_int(s), 4);
	st_release(st, s);
	CHECK_INT(store_commit(st), 0);
	/* invalid SQL: NULL, nothing cached */
	CHECK(st_prep_cached(st, "SELEC nonsense") == NULL);
}

static void
test_same_address(struct store *st)
{
	static char sql[32];
	sqlite3_stmt *s;

	fs_strlcpy(sql, "SELECT 11", sizeof(sql));
	s = st_prep_cached(st, sql);
	CHECK_INT(first_int(s), 11);
	st_release(st, s);
	fs_strlcpy(sql, "SELECT 22", sizeof(sql));
	s = st_prep_cached(st, sql);
	CHECK_INT(first_int(s), 22);
	st_release(st, s);
}

static void
test_full(struct store *st)
{
	static char sql[ST_CACHE_MAX + 8][32];
	sqlite3_stmt *held[ST_CACHE_MAX + 8], *s;
	size_t i;
	int ok = 1;

	for (i = 0; i < FS_ARRAY_LEN(sql); i++)
		snprintf(sql[i], sizeof(sql[i]), "SELECT %zu", i + 100);
	/* more texts than slots, one at a time: each gives its own answer */
	for (i = 0; i < FS_ARRAY_LEN(sql); i++) {
		s = st_prep_cached(st, sql[i]);
		if (s == NULL || first_int(s) != (long)(i + 100))
			ok = 0;
		st_release(st, s);
	}
	CHECK(ok);
	CHECK_INT(st->n_cache, ST_CACHE_MAX);
	/* every slot busy: the next statement is a fresh one */
	for (i = 0; i < FS_ARRAY_LEN(sql); i++) {
		held[i] = st_prep_cached(st, sql[i]);
		if (held[i] == NULL || first_int(held[i]) != (long)(i + 100))
			ok = 0;
	}
	CHECK(ok);
	CHECK(st->n_cache <= ST_CACHE_MAX);
	for (i = 0; i < FS_ARRAY_LEN(sql); i++)
		st_release(st, held[i]);
	for (i = 0; i < st->n_cache; i++)
		if (st->cache[i].busy)
			ok = 0;
	CHECK(ok);
}

/* A full disk (max_page_count reached: SQLITE_FULL, which SQLite rolls
 * back itself): the caller's rollback must leave the real error for
 * store_errmsg, not « cannot rollback - no transaction is active »
 * (issue 16, point 6). */
static void
test_disk_full(struct store *st)
{
	static char blob[64 * 1024];
	sqlite3_stmt *s;
	int64_t pages = 0;
	int r = 0, i;

	s = st_prep_cached(st, "PRAGMA page_count");
	CHECK(s != NULL);
	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		pages = sqlite3_column_int64(s, 0);
	st_release(st, s);
	CHECK_INT(st_exec(st, "CREATE TABLE IF NOT EXISTS filler (b BLOB)"), 0);
	{
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
		    (long long)pages + 4);
		CHECK_INT(st_exec(st, sql), 0);
	}
	memset(blob, 'x', sizeof(blob));
	CHECK_INT(store_begin(st), 0);
	for (i = 0; i < 20 && r == 0; i++) {
		s = st_prep_cached(st, "INSERT INTO filler (b) VALUES (?)");
		sqlite3_bind_blob(s, 1, blob, sizeof(blob), SQLITE_STATIC);
		r = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
		st_release(st, s);
	}
	CHECK_INT(r, -1);
	store_rollback(st);
	CHECK(strstr(store_errmsg(st), "full") != NULL);
	CHECK(strstr(store_errmsg(st), "rollback") == NULL);
	/* The next transaction starts clean and works. */
	CHECK_INT(st_exec(st, "PRAGMA max_page_count = 1073741823"), 0);
	CHECK_INT(store_begin(st), 0);
	CHECK(strstr(store_errmsg(st), "full") == NULL);
	CHECK_INT(st_exec(st, "DROP TABLE filler"), 0);
	CHECK_INT(store_commit(st), 0);
}

static void
test_store_functions(struct store *st)
{
	struct case_row c;
	sqlite3_stmt *s;
	int i, ok = 1;

	for (i = 0; i < 5; i++)
		if (store_event(st, 1000 + i, "relay", "test.cache", NULL, "ok") != 0)
			ok = 0;
	CHECK(ok);
	s = st_prep(st, "SELECT count(*) FROM events WHERE action = 'test.cache'");
	CHECK_INT(first_int(s), 5);
	sqlite3_finalize(s);
	for (i = 0; i < 3; i++)
		if (store_case_get(st, "FS-00000-2026-000001", &c) != 1)
			ok = 0;
	CHECK(ok);
}

/* ---- st_collect ---- */

static int drops;

static void
fill_pair(sqlite3_stmt *s, void *row)
{
	long *v = row;

	v[0] = (long)sqlite3_column_int64(s, 0);
	v[1] = (long)sqlite3_column_int64(s, 1);
}

static void
drop_pair(void *row)
{
	(void)row;
	drops++;
}

static void
test_collect(struct store *st)
{
	long *v;
	size_t n = 99, i;
	int rc = 1, ok = 1;

	CHECK_INT(st_exec(st, "CREATE TABLE c (x INTEGER);"
	    "WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < 100)"
	    " INSERT INTO c SELECT x FROM k"), 0);
	/* 100 rows, in order, through the geometric growth */
	v = st_collect(st, st_prep(st, "SELECT x, 2 * x FROM c ORDER BY x"), 2 * sizeof(long),
	    fill_pair, drop_pair, &n, &rc);
	CHECK_INT(rc, 0);
	CHECK_INT(n, 100);
	for (i = 0; v && i < n; i++)
		if (v[2 * i] != (long)i + 1 || v[2 * i + 1] != 2 * ((long)i + 1))
			ok = 0;
	CHECK(v != NULL && ok);
	CHECK_INT(drops, 0);
	free(v);
	/* no row: NULL, 0, success */
	v = st_collect(st, st_prep(st, "SELECT x, x FROM c WHERE x > 1000"), 2 * sizeof(long),
	    fill_pair, NULL, &n, &rc);
	CHECK(v == NULL);
	CHECK_INT(n, 0);
	CHECK_INT(rc, 0);
	/* a step that fails at the 3rd row: nothing returned, the rows read
	 * so far dropped and freed (valgrind: no leak) */
	v = st_collect(st, st_prep(st, "SELECT x, CASE WHEN x = 3 THEN"
	    " abs(x - 9223372036854775807 - 4) ELSE x END FROM c"), 2 * sizeof(long),
	    fill_pair, drop_pair, &n, &rc);
	CHECK(v == NULL);
	CHECK_INT(n, 0);
	CHECK_INT(rc, -1);
	CHECK_INT(drops, 2);
	/* no statement (a failed prepare) */
	v = st_collect(st, NULL, 2 * sizeof(long), fill_pair, drop_pair, &n, &rc);
	CHECK(v == NULL);
	CHECK_INT(rc, -1);
}

int
main(void)
{
	char dir[] = "/tmp/test_store_cache.XXXXXX", path[256], err[256];
	struct store *st = NULL;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/fsrelay.db", dir);
	CHECK_INT(store_open(&st, path, 1, err, sizeof(err)), 0);
	if (st == NULL)
		return t_done();
	test_reuse(st);
	test_reentrant(st);
	test_errors(st);
	test_same_address(st);
	test_full(st);
	test_disk_full(st);
	test_store_functions(st);
	test_collect(st);
	store_close(&st);		/* finalizes the cache (valgrind: no leak) */
	CHECK(st == NULL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fsrelay.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fsrelay.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return t_done();
}
