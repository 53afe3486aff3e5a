/*
 * t_store.h - an instance on a throw-away SQLite store for the unit tests
 * of the use cases (relay/desk, relay/dpo): a fresh directory under /tmp,
 * the real store adapter, a random KEK, the clock at t0; and a count of
 * the rows a query selects.  Include after t.h.
 */
#ifndef FSRELAY_T_STORE_H
#define FSRELAY_T_STORE_H

#include "relay/instance.h"
#include "relay/vault.h"
#include "adapters/store.h"
#include "adapters/store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char t_store_dir[64];

/* Open the instance's store in a new directory named after tag. */
static void
t_store_open(struct instance *in, const char *tag, int64_t t0)
{
	char err[512], *db;

	memset(in, 0, sizeof(*in));
	snprintf(t_store_dir, sizeof(t_store_dir), "/tmp/fsr-test-%s.XXXXXX", tag);
	if (mkdtemp(t_store_dir) == NULL)
		abort();
	db = xasprintf("%s/fsrelay.db", t_store_dir);
	if (store_open(&in->st, db, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	free(db);
	if ((in->kek = sodium_malloc(32)) == NULL)
		abort();
	randombytes_buf(in->kek, 32);
	vault_kek_id(in->kek_id, in->kek);
	in->now = t0;
}

/* Close it (instance_close: the store, the keys, the directory kept, the
 * configuration's strings) and remove its files. */
static void
t_store_close(struct instance *in)
{
	static const char *const p[] = { "fsrelay.db", "fsrelay.db-wal", "fsrelay.db-shm" };
	size_t i;

	instance_close(in);
	for (i = 0; i < FS_ARRAY_LEN(p); i++) {
		char *f = xasprintf("%s/%s", t_store_dir, p[i]);

		unlink(f);
		free(f);
	}
	rmdir(t_store_dir);
}

/* The first column of the first row of sql (a count), -1 / -2 on error;
 * text1 (or NULL) bound to ?1. */
static long
t_store_count(struct instance *in, const char *sql, const char *text1)
{
	sqlite3_stmt *s;
	long n = -1;

	if (sqlite3_prepare_v2(in->st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (text1)
		sqlite3_bind_text(s, 1, text1, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

#endif
