/*
 * store_int - the store's internals, shared by its files only
 * (adapters/store.c and adapters/store_*.c).  Nothing outside adapters/
 * includes this header: the rest of fsrelay sees adapters/store.h.
 */
#ifndef FSRELAY_STORE_INT_H
#define FSRELAY_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>

struct store {
	sqlite3	*db;
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

/* Run SQL without parameters (DDL, pragmas).  0 / -1. */
int		 st_exec(struct store *st, const char *sql);
/* Prepare a statement; NULL on error (store_errmsg tells). */
sqlite3_stmt	*st_prep(struct store *st, const char *sql);
/* Step a statement expected to return no row, then finalize it.  0 / -1. */
int		 st_run_done(sqlite3_stmt *s);
/* Bind a copy of a string (NULL binds NULL). */
void		 st_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Copy a text column into dst (size bytes, always terminated; NULL -> ""). */
void		 st_col_copy(sqlite3_stmt *s, int i, char *dst, size_t size);

#endif
