/*
 * test_audit - the audit log (relay/audit): leaf encoding against a vector
 * computed independently (python3 struct + hashlib), checkpoints that
 * verify with relay/note, and tampering that verification must catch:
 * a changed byte in a leaf, a deleted row, a truncated log, a checkpoint
 * from another key, an edited stored checkpoint.  A mismatch found while
 * checkpointing signs nothing.
 *
 * Uses a real store in a temporary directory; edits it with SQLite
 * directly (triggers dropped) the way an attacker with the file would.
 */
#include "tests/unit/t.h"
#include "relay/audit.h"
#include "relay/breach.h"
#include "relay/instance.h"
#include "relay/merkle.h"
#include "relay/note.h"
#include "relay/vault.h"
#include "adapters/store.h"
#include "keys/keystore.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], db[128];

static void
setup(struct instance *in)
{
	uint8_t pk[32], sk[64];
	char err[256], *path;

	memset(in, 0, sizeof(*in));
	fs_strlcpy(dir, "/tmp/fsr-test-audit.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(db, sizeof(db), "%s/fsrelay.db", dir);
	if (store_open(&in->st, db, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	in->keys_dir = xstrdup(dir);
	crypto_sign_keypair(pk, sk);
	path = xasprintf("%s/%s", dir, KEYSTORE_AUDIT);
	if (keystore_write_b64(path, sk, sizeof(sk)) < 0)
		abort();
	free(path);
	sodium_memzero(sk, sizeof(sk));
	in->kek = sodium_malloc(32);
	randombytes_buf(in->kek, 32);
	vault_kek_id(in->kek_id, in->kek);
	in->cfg.notification_hours = 72;
	in->cfg.checkpoint_interval_hours = 24;
	in->now = 1772445600;	/* 2026-03-02T10:00:00Z */
}

static void
teardown(struct instance *in)
{
	store_close(&in->st);
	sodium_free(in->kek);
	free(in->keys_dir);
	if (strncmp(dir, "/tmp/fsr-test-audit.", 20) == 0 && access(dir, F_OK) == 0) {
		char *p[] = { "audit-log.key", "fsrelay.db", "fsrelay.db-wal", "fsrelay.db-shm" };
		size_t i;

		for (i = 0; i < FS_ARRAY_LEN(p); i++) {
			char *f = xasprintf("%s/%s", dir, p[i]);

			unlink(f);
			free(f);
		}
		rmdir(dir);
	}
}

static void
events(struct instance *in, int n)
{
	char ref[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(ref, sizeof(ref), "FS-92032-2026-%06d", i + 1);
		CHECK_INT(store_event(in->st, in->now + i, "relay", "case.queued", ref, "ok"), 0);
	}
}

/* Run SQL on the store file behind fsrelay's back. */
static void
tamper(const char *sql)
{
	sqlite3 *h;

	CHECK_INT(sqlite3_open(db, &h), SQLITE_OK);
	CHECK_INT(sqlite3_exec(h, "DROP TRIGGER IF EXISTS events_no_update;"
	    "DROP TRIGGER IF EXISTS events_no_delete;"
	    "DROP TRIGGER IF EXISTS audit_checkpoints_no_update;", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void
test_leaf_vector(void)
{
	struct store_event_view ev;
	struct buf b;
	char hex[512];
	uint8_t h[32];

	memset(&ev, 0, sizeof(ev));
	ev.seq = 1;
	ev.at = 1772445600;
	ev.field[0] = "relay";
	ev.len[0] = 5;
	ev.field[1] = "case.queued";
	ev.len[1] = 11;
	ev.field[2] = "FS-92032-2026-000001";
	ev.len[2] = 20;
	ev.field[3] = "";
	ev.len[3] = 0;
	buf_init(&b, 4096);
	CHECK_INT(audit_leaf_encode(&b, &ev), 0);
	CHECK(b.len * 2 < sizeof(hex));
	fs_hex(hex, (const uint8_t *)b.p, b.len);
	CHECK_STR(hex, "01000000013100000014323032362d30332d30325431303a30303a30305a0000000572"
	    "656c61790000000b636173652e7175657565640000001446532d39323033322d323032362d30"
	    "303030303100000000");
	merkle_leaf_hash(h, (const uint8_t *)b.p, b.len);
	fs_hex(hex, h, sizeof(h));
	CHECK_STR(hex, "34b06123db2fe3eb7a76db8ed389b558d9eb2befc69692f9332fca868797e1ea");
	/* A time out of range is refused, and leaves the buffer as it was. */
	b.len = 0;
	ev.at = INT64_MAX;
	CHECK_INT(audit_leaf_encode(&b, &ev), -1);
	CHECK_INT(b.len, 0);
	buf_free(&b);
}

/* A fresh checkpoint: verifies with the instance's vkey, names the log. */
static void
test_checkpoint(void)
{
	struct instance in;
	struct audit_report rep;
	struct buf note;
	const char *body, *why = NULL;
	char vkey[512], err[1024], origin[300];
	size_t bodylen;
	uint64_t size;
	uint8_t root[32];

	setup(&in);
	events(&in, 5);
	buf_init(&note, NOTE_MAX_LEN);
	CHECK_INT(audit_checkpoint(&in, &note, err, sizeof(err)), 0);
	CHECK_INT(audit_vkey(&in, vkey, sizeof(vkey), err, sizeof(err)), 0);
	CHECK(strncmp(vkey, AUDIT_LOG_NAME "+", strlen(AUDIT_LOG_NAME) + 1) == 0);
	CHECK_INT(note_verify(note.p, note.len, vkey, &body, &bodylen, &why), 0);
	CHECK_INT(checkpoint_parse(body, bodylen, origin, sizeof(origin), &size, root, &why), 0);
	CHECK_STR(origin, AUDIT_ORIGIN);
	CHECK_INT(size, 5);
	/* The checkpoint event itself is the sixth leaf. */
	CHECK_INT(audit_verify(&in, NULL, 0, NULL, &rep, err, sizeof(err)), 0);
	CHECK_INT(rep.events, 6);
	CHECK_INT(rep.checkpoints, 1);
	/* The exported note verifies against today's longer log. */
	events(&in, 3);
	CHECK_INT(audit_verify(&in, note.p, note.len, NULL, &rep, err, sizeof(err)), 0);
	CHECK_INT(rep.events, 9);
	/* ... but not with another key. */
	{
		uint8_t pk[32], sk[64];
		char other[512];

		crypto_sign_keypair(pk, sk);
		note_vkey_format(other, sizeof(other), AUDIT_LOG_NAME, pk);
		CHECK_INT(audit_verify(&in, note.p, note.len, other, &rep, err, sizeof(err)), 1);
		CHECK(strstr(err, "signature") != NULL);
	}
	buf_free(&note);
	teardown(&in);
}

/* Each tampering makes verification against the exported note fail. */
static void
test_tamper(const char *sql, const char *want)
{
	struct instance in;
	struct audit_report rep;
	struct buf note;
	char err[1024];

	setup(&in);
	events(&in, 7);
	buf_init(&note, NOTE_MAX_LEN);
	CHECK_INT(audit_checkpoint(&in, &note, err, sizeof(err)), 0);
	events(&in, 2);
	CHECK_INT(audit_verify(&in, note.p, note.len, NULL, &rep, err, sizeof(err)), 0);
	tamper(sql);
	CHECK_INT(audit_verify(&in, note.p, note.len, NULL, &rep, err, sizeof(err)), 1);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "raison inattendue pour « %s » : %s\n", sql, err);
	CHECK(strstr(err, want) != NULL);
	/* Nothing is signed over an altered log. */
	note.len = 0;
	CHECK_INT(audit_checkpoint(&in, &note, err, sizeof(err)), 1);
	CHECK_INT(note.len, 0);
	buf_free(&note);
	teardown(&in);
}

/* The exported note alone catches an edit even when the stored
 * checkpoints are deleted too. */
static void
test_exported_only(void)
{
	struct instance in;
	struct audit_report rep;
	struct buf note;
	char err[1024];

	setup(&in);
	events(&in, 4);
	buf_init(&note, NOTE_MAX_LEN);
	CHECK_INT(audit_checkpoint(&in, &note, err, sizeof(err)), 0);
	tamper("DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints;"
	    " UPDATE events SET actor = 'agent1' WHERE seq = 2;");
	CHECK_INT(audit_verify(&in, NULL, 0, NULL, &rep, err, sizeof(err)), 0);
	CHECK_INT(audit_verify(&in, note.p, note.len, NULL, &rep, err, sizeof(err)), 1);
	CHECK(strstr(err, "exporté") != NULL);
	/* A stored checkpoint whose root was edited is caught too. */
	note.len = 0;
	CHECK_INT(audit_checkpoint(&in, &note, err, sizeof(err)), 0);
	tamper("UPDATE audit_checkpoints SET size = size - 1;");
	CHECK_INT(audit_verify(&in, NULL, 0, NULL, &rep, err, sizeof(err)), 1);
	CHECK(strstr(err, "différente") != NULL);
	/* A note that is not a note. */
	CHECK_INT(audit_verify(&in, "bonjour\n", 8, NULL, &rep, err, sizeof(err)), 1);
	buf_free(&note);
	teardown(&in);
}

/* audit_tick: a checkpoint at most every interval, mailed to the DPO. */
static void
test_tick(void)
{
	struct instance in;
	struct notice_row *n = NULL;
	size_t nn = 0, i, mails = 0;
	char err[1024];

	setup(&in);
	in.cfg.dpo_address = "dpo@fs-fontenay.test";
	events(&in, 3);
	CHECK_INT(audit_tick(&in, err, sizeof(err)), 0);	/* not due yet */
	in.now += 24 * 3600;
	CHECK_INT(audit_tick(&in, err, sizeof(err)), 0);	/* first: 24 h after the log's start */
	CHECK_INT(audit_tick(&in, err, sizeof(err)), 0);
	in.now += 23 * 3600;
	CHECK_INT(audit_tick(&in, err, sizeof(err)), 0);
	in.now += 3600;
	CHECK_INT(audit_tick(&in, err, sizeof(err)), 0);
	CHECK_INT(store_notice_due(in.st, in.now, 100, &n, &nn), 0);
	for (i = 0; i < nn; i++)
		if (strcmp(n[i].kind, "audit-checkpoint") == 0) {
			mails++;
			CHECK(strstr(n[i].body, "— " AUDIT_LOG_NAME " ") != NULL);
			CHECK_STR(n[i].recipient, "dpo@fs-fontenay.test");
		}
	CHECK_INT(mails, 2);
	free(n);
	/* A tampered log: no checkpoint, a suspected breach instead. */
	tamper("UPDATE events SET outcome = 'ko' WHERE seq = 1;");
	in.now += 25 * 3600;
	CHECK_INT(audit_tick(&in, err, sizeof(err)), 0);
	{
		struct breach_version_row *rows = NULL;
		size_t nr = 0;

		CHECK_INT(store_breach_list(in.st, &rows, &nr), 0);
		CHECK_INT(nr, 1);
		if (nr == 1) {
			CHECK_STR(rows[0].source, "audit-verify");
			CHECK_STR(rows[0].status, "suspected");
		}
		free(rows);
	}
	teardown(&in);
}

static void
test_export(void)
{
	struct instance in;
	struct buf out;
	char err[1024];

	setup(&in);
	events(&in, 3);
	buf_init(&out, 1024 * 1024);
	CHECK_INT(audit_export(&in, in.now + 1, in.now + 2, &out, err, sizeof(err)), 0);
	CHECK(strstr(out.p, "\"seq\":2,\"at\":\"2026-03-02T10:00:01Z\",\"actor\":\"relay\"") != NULL);
	CHECK(strstr(out.p, "\"seq\":1,") == NULL && strstr(out.p, "\"seq\":3,") == NULL);
	CHECK(strstr(out.p, "\"leaf_hash\":\"") != NULL);
	buf_free(&out);
	teardown(&in);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_leaf_vector();
	test_checkpoint();
	test_tamper("UPDATE events SET action = 'case.qveued' WHERE seq = 3;", "racine");
	test_tamper("DELETE FROM events WHERE seq = 4;", "séquence");
	test_tamper("DELETE FROM events WHERE seq > 6;", "tronqué");
	test_tamper("DELETE FROM events WHERE seq = 1;", "séquence");
	test_tamper("UPDATE events SET at = at + 1 WHERE seq = 7;", "racine");
	test_exported_only();
	test_tick();
	test_export();
	return t_done();
}
