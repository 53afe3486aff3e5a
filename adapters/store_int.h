/*
 * store_int - the store's internals, shared by its files only
 * (adapters/store.c and adapters/store_*.c).  Nothing outside adapters/
 * includes this header: the rest of fsrelay sees adapters/store.h.
 */
#ifndef FSRELAY_STORE_INT_H
#define FSRELAY_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>

/*
 * The statement cache (st_prep_cached): statements of the hot paths, kept
 * prepared across calls, keyed by their SQL text.  A slot is busy while a
 * caller holds its statement (between st_prep_cached and st_release).
 */
#define ST_CACHE_MAX	48

struct st_cached {
	const char	*sql;		/* the caller's string (static storage) */
	sqlite3_stmt	*s;
	int		 busy;
};

struct store {
	sqlite3			*db;
	struct st_cached	 cache[ST_CACHE_MAX];
	size_t			 n_cache;
	unsigned long		 cache_hits;	/* for tests */
	unsigned long		 cache_fresh;	/* statements prepared anew */
	int			 relaxed;	/* synchronous = NORMAL until the
						 * transaction ends (store_begin_relaxed) */
	char			 failed[256];	/* the error a rollback came
						 * for ("" when none): kept for
						 * store_errmsg, which would
						 * else tell of the rollback */
};

/*
 * A part of the schema with its own migrations: migrations[i] brings it
 * from version i to i + 1, in one transaction.  Versions are kept in the
 * table schema_areas.  Register new areas in adapters/store.c (areas[]).
 */
struct store_area {
	const char		*name;
	const char *const	*migrations;
	size_t			 n;
};

extern const struct store_area store_area_deadline;
extern const struct store_area store_area_audit;
extern const struct store_area store_area_inbox;
extern const struct store_area store_area_outbox;
extern const struct store_area store_area_web;
extern const struct store_area store_area_enrol;

/* Run SQL without parameters (DDL, pragmas).  0 / -1. */
int		 st_exec(struct store *st, const char *sql);
/* Prepare a statement; NULL on error (store_errmsg tells). */
sqlite3_stmt	*st_prep(struct store *st, const char *sql);
/* Step a statement expected to return no row, then finalize it.  0 / -1. */
int		 st_run_done(sqlite3_stmt *s);
/*
 * A prepared statement for sql, taken from the store's cache when it holds
 * one that is not in use (else prepared, and kept when a slot is free).
 * sql must be a string with static storage duration (a literal, or one of
 * a fixed table): the cache keys on it, and also compares the text, so a
 * reused pointer never gets the wrong statement.  Safe re-entrantly: a
 * statement already in use is never handed out twice (a fresh one is
 * prepared instead).  Give it back with st_release() or st_run_release(),
 * never sqlite3_finalize().  NULL on error (store_errmsg tells).
 */
sqlite3_stmt	*st_prep_cached(struct store *st, const char *sql);
/*
 * Done with s (from st_prep_cached or st_prep): a cached statement is
 * reset and its bindings cleared (nothing of the last call stays bound),
 * any other is finalized.  NULL is a no-op.
 */
void		 st_release(struct store *st, sqlite3_stmt *s);
/* Step a statement expected to return no row, then st_release it.  0 / -1. */
int		 st_run_release(struct store *st, sqlite3_stmt *s);
/* Fill the row element at row (zeroed) from the current row of s. */
typedef void	 st_fill_fn(sqlite3_stmt *s, void *row);
/* Free what a fill function allocated in row (not row itself). */
typedef void	 st_drop_fn(void *row);
/*
 * Step s to its end, one element of size bytes per row filled by fill,
 * then st_release(s).  Returns the array (NULL when empty; the caller
 * frees it) of *n elements, and *rc = 0.  When s is NULL or a step fails:
 * NULL, *n = 0 and *rc = -1, the rows already read freed (with drop first
 * when not NULL), so that a caller has nothing to free on failure.
 */
void		*st_collect(struct store *st, sqlite3_stmt *s, size_t size, st_fill_fn *fill,
		    st_drop_fn *drop, size_t *n, int *rc);
/* Bind a copy of a string (NULL binds NULL). */
void		 st_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Copy a text column into dst (size bytes, always terminated; NULL -> ""). */
void		 st_col_copy(sqlite3_stmt *s, int i, char *dst, size_t size);

#endif
