/*
 * test_store_outbox - the store area "outbox" (adapters/store_outbox.c):
 * prepared mails stored, read back byte for byte, replaced, refused for a
 * delivery that is not pending, gone as soon as their delivery is sent,
 * failed or deleted (triggers) or their case shredded; dropped without
 * leaving secure_delete off; the chunks of a prepared mail (issue 15)
 * read back by position and gone with their mail, whichever way it goes;
 * and the relaxed transactions of
 * adapters/store.c (synchronous NORMAL only while one is open).
 */
#include "adapters/store.h"
#include "adapters/store_int.h"
#include "tests/unit/t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long
pragma(struct store *st, const char *sql)
{
	sqlite3_stmt *s = st_prep(st, sql);
	long v = -1;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int64_t
new_case(struct store *st, const char *ref)
{
	struct case_row c;

	memset(&c, 0, sizeof(c));
	fs_strlcpy(c.ref, ref, sizeof(c.ref));
	fs_strlcpy(c.structure, "fontenay-aux-roses", sizeof(c.structure));
	fs_strlcpy(c.partner, "dgfip", sizeof(c.partner));
	fs_strlcpy(c.topic, "impots-particuliers", sizeof(c.topic));
	fs_strlcpy(c.agent, "agent1", sizeof(c.agent));
	fs_strlcpy(c.state, "queued", sizeof(c.state));
	CHECK_INT(store_case_insert(st, &c), 0);
	return c.id;
}

static void
new_delivery(struct store *st, int64_t case_id, struct delivery_row *d)
{
	memset(d, 0, sizeof(*d));
	d->case_id = case_id;
	fs_strlcpy(d->recipient, "Delphine.Kaczmar@dgfip.finances.gouv.fr", sizeof(d->recipient));
	fs_strlcpy(d->recipient_lc, "delphine.kaczmar@dgfip.finances.gouv.fr",
	    sizeof(d->recipient_lc));
	fs_strlcpy(d->key_recipient, "age1test", sizeof(d->key_recipient));
	fs_strlcpy(d->key_fingerprint, "SHA256:00", sizeof(d->key_fingerprint));
	fs_strlcpy(d->state, "pending", sizeof(d->state));
	d->next_attempt_at = 1000;
	CHECK_INT(store_delivery_insert(st, d), 0);
}

/* 0 when the prepared mail of id reads back as exactly want. */
static int
reads_back(struct store *st, int64_t id, const char *want, size_t len)
{
	struct buf b;
	char what[64];
	int r;

	buf_init(&b, 1024 * 1024);
	r = store_prepared_get(st, id, &b, what, sizeof(what));
	r = r == 0 && b.len == len && memcmp(b.p, want, len) == 0 &&
	    strcmp(what, "cle adresse <id>") == 0 ? 0 : -1;
	buf_free(&b);
	return r;
}

static void
test_prepared(struct store *st)
{
	static char big[300 * 1024];
	struct delivery_row d1, d2, d3, got;
	struct buf small;
	char what[64];
	int64_t c1 = new_case(st, "FS-92032-2026-000001"), c2;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	new_delivery(st, c1, &d1);
	new_delivery(st, c1, &d2);
	new_delivery(st, c1, &d3);
	CHECK_INT(store_prepared_exists(st, d1.id), 0);
	buf_init(&small, 1024);
	CHECK_INT(store_prepared_get(st, d1.id, &small, what, sizeof(what)), 1);	/* none */
	CHECK_INT(small.len, 0);
	CHECK_INT(store_prepared_put(st, d1.id, 2000, "cle adresse <id>", big, sizeof(big)), 0);
	CHECK_INT(store_prepared_exists(st, d1.id), 1);
	CHECK_INT(reads_back(st, d1.id, big, sizeof(big)), 0);
	/* replaced, not added */
	CHECK_INT(store_prepared_put(st, d1.id, 2001, "cle adresse <id>", "autre", 5), 0);
	CHECK_INT(reads_back(st, d1.id, "autre", 5), 0);
	CHECK_INT(pragma(st, "SELECT count(*) FROM prepared_mails"), 1);
	/* a bounded reader refuses what does not fit */
	CHECK_INT(store_prepared_put(st, d1.id, 2002, "cle adresse <id>", big, sizeof(big)), 0);
	CHECK_INT(store_prepared_get(st, d1.id, &small, what, sizeof(what)), -1);
	buf_free(&small);
	/* no delivery, or not pending: nothing stored */
	CHECK_INT(store_prepared_put(st, 9999, 2000, "cle adresse <id>", "x", 1), 1);
	d3.attempts = 1;
	fs_strlcpy(d3.state, "failed", sizeof(d3.state));
	CHECK_INT(store_delivery_update(st, &d3), 0);
	CHECK_INT(store_prepared_put(st, d3.id, 2000, "cle adresse <id>", "x", 1), 1);
	CHECK_INT(store_prepared_exists(st, d3.id), 0);

	/* get, and the outcome recorded only while pending */
	CHECK_INT(store_delivery_get(st, d3.id, &got), 0);
	CHECK_STR(got.state, "failed");
	CHECK_INT(store_delivery_get(st, 9999, &got), 1);
	fs_strlcpy(d3.state, "sent", sizeof(d3.state));
	CHECK_INT(store_delivery_record(st, &d3), 1);		/* failed stays failed */
	CHECK_INT(store_delivery_get(st, d3.id, &got), 0);
	CHECK_STR(got.state, "failed");

	/* sent: the trigger deletes it */
	fs_strlcpy(d1.state, "sent", sizeof(d1.state));
	CHECK_INT(store_delivery_record(st, &d1), 0);
	CHECK_INT(store_prepared_exists(st, d1.id), 0);
	CHECK_INT(store_delivery_record(st, &d1), 1);		/* once only */
	/* a retry (still pending) keeps it */
	CHECK_INT(store_prepared_put(st, d2.id, 2000, "cle adresse <id>", big, sizeof(big)), 0);
	d2.attempts = 1;
	d2.next_attempt_at = 1060;
	CHECK_INT(store_delivery_update(st, &d2), 0);
	CHECK_INT(store_prepared_exists(st, d2.id), 1);
	/* dropped in a transaction: gone, and secure_delete is on again */
	CHECK_INT(pragma(st, "PRAGMA secure_delete"), 1);
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_prepared_drop(st, d2.id), 0);
	CHECK_INT(pragma(st, "PRAGMA secure_delete"), 1);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_prepared_exists(st, d2.id), 0);
	CHECK_INT(store_prepared_drop(st, d2.id), 0);		/* nothing to drop */

	/* a deleted delivery takes its mail with it */
	CHECK_INT(store_prepared_put(st, d3.id, 2000, "cle adresse <id>", "x", 1), 1);
	fs_strlcpy(d2.state, "pending", sizeof(d2.state));
	CHECK_INT(store_prepared_put(st, d2.id, 2000, "cle adresse <id>", "y", 1), 0);
	CHECK_INT(st_exec(st, "DELETE FROM deliveries WHERE state = 'pending'"), 0);
	CHECK_INT(pragma(st, "SELECT count(*) FROM prepared_mails"), 0);

	/* shredding a case deletes its prepared mails, not the others' */
	c2 = new_case(st, "FS-92032-2026-000002");
	new_delivery(st, c1, &d1);
	new_delivery(st, c2, &d2);
	CHECK_INT(store_prepared_put(st, d1.id, 2000, "cle adresse <id>", "un", 2), 0);
	CHECK_INT(store_prepared_put(st, d2.id, 2000, "cle adresse <id>", "deux", 4), 0);
	CHECK_INT(store_case_shred(st, c1, 3000), 0);
	CHECK_INT(store_prepared_exists(st, d1.id), 0);
	CHECK_INT(reads_back(st, d2.id, "deux", 4), 0);
}

/* The chunks of a prepared mail: by position, gone with their mail. */
static void
test_chunks(struct store *st)
{
	static char big[70 * 1024];
	struct delivery_row d1, d2;
	struct buf b;
	int64_t c1 = new_case(st, "FS-92032-2026-000010");
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 13 + 1);
	new_delivery(st, c1, &d1);
	new_delivery(st, c1, &d2);
	buf_init(&b, sizeof(big));
	CHECK_INT(store_prepared_chunk_get(st, d1.id, 0, &b), 1);	/* none */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_prepared_chunk_put(st, d1.id, 0, big, sizeof(big)), 0);
	CHECK_INT(store_prepared_chunk_put(st, d1.id, 1, "fin", 3), 0);
	CHECK_INT(store_prepared_chunk_put(st, d1.id, 1, "bis", 3), -1);	/* once */
	CHECK_INT(store_prepared_put(st, d1.id, 2000, "cle adresse <id>", "desc", 4), 0);
	CHECK_INT(store_prepared_chunk_put(st, d2.id, 0, "deux", 4), 0);
	CHECK_INT(store_prepared_put(st, d2.id, 2000, "cle adresse <id>", "desc", 4), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_prepared_chunk_get(st, d1.id, 0, &b), 0);
	CHECK(b.len == sizeof(big) && memcmp(b.p, big, sizeof(big)) == 0);
	b.len = 0;
	CHECK_INT(store_prepared_chunk_get(st, d1.id, 1, &b), 0);
	CHECK(b.len == 3 && memcmp(b.p, "fin", 3) == 0);
	CHECK_INT(store_prepared_chunk_get(st, d1.id, 2, &b), 1);
	/* a bounded reader refuses what does not fit */
	b.len = 0;
	b.max = 1024;
	CHECK_INT(store_prepared_chunk_get(st, d1.id, 0, &b), -1);
	b.max = sizeof(big);
	/* dropped: its chunks go, not the other delivery's */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_prepared_drop(st, d1.id), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(pragma(st, "SELECT count(*) FROM prepared_chunks WHERE delivery_id IN"
	    " (SELECT id FROM deliveries WHERE case_id = (SELECT id FROM cases WHERE"
	    " ref = 'FS-92032-2026-000010'))"), 1);
	/* sent: the delivery's trigger takes the mail, the mail's its chunks */
	fs_strlcpy(d2.state, "sent", sizeof(d2.state));
	CHECK_INT(store_delivery_record(st, &d2), 0);
	CHECK_INT(store_prepared_chunk_get(st, d2.id, 0, &b), 1);
	/* shredded: the same */
	new_delivery(st, c1, &d1);
	CHECK_INT(store_prepared_chunk_put(st, d1.id, 0, "x", 1), 0);
	CHECK_INT(store_prepared_put(st, d1.id, 2000, "cle adresse <id>", "desc", 4), 0);
	CHECK_INT(store_case_shred(st, c1, 3000), 0);
	CHECK_INT(pragma(st, "SELECT count(*) FROM prepared_chunks"), 0);
	buf_free(&b);
}

static void
test_relaxed(struct store *st)
{
	/* FULL = 2, NORMAL = 1 */
	CHECK_INT(pragma(st, "PRAGMA synchronous"), 2);
	CHECK_INT(store_begin_relaxed(st), 0);
	CHECK_INT(pragma(st, "PRAGMA synchronous"), 1);
	CHECK_INT(store_event(st, 1000, "relay", "test.relaxed", NULL, "ok"), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(pragma(st, "PRAGMA synchronous"), 2);
	CHECK_INT(pragma(st, "SELECT count(*) FROM events WHERE action = 'test.relaxed'"), 1);
	/* a rollback too brings FULL back */
	CHECK_INT(store_begin_relaxed(st), 0);
	store_rollback(st);
	CHECK_INT(pragma(st, "PRAGMA synchronous"), 2);
	/* an ordinary transaction is never relaxed */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(pragma(st, "PRAGMA synchronous"), 2);
	store_rollback(st);
	/* not inside another transaction */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_begin_relaxed(st), -1);
	store_rollback(st);
	CHECK_INT(pragma(st, "PRAGMA synchronous"), 2);
}

int
main(void)
{
	char dir[] = "/tmp/test_store_outbox.XXXXXX", path[256], err[256];
	const char *const files[] = { "fsrelay.db", "fsrelay.db-wal", "fsrelay.db-shm" };
	struct store *st = NULL;
	size_t i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/fsrelay.db", dir);
	CHECK_INT(store_open(&st, path, 1, err, sizeof(err)), 0);
	if (st == NULL)
		return t_done();
	test_prepared(st);
	test_chunks(st);
	test_relaxed(st);
	store_close(&st);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return t_done();
}
