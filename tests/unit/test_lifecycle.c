/*
 * test_lifecycle - the case lifecycle (relay/lifecycle.c): every (state,
 * event) pair against a table written here by hand, the reasons of the
 * refusals people read, the names, the drawing (docs/lifecycle.dot is
 * what lifecycle_dot writes) and the table of docs/lifecycle.md.  Then the
 * store: the CHECK of cases.state refuses any other state, and migration
 * 3 adds it to an existing version-2 store, keeping rows, ids, the rows
 * that reference them and the indexes; a version-2 store holding a state
 * outside the list is not migrated (the reason is given).
 */
#include "relay/lifecycle.h"
#include "adapters/store.h"
#include "adapters/store_int.h"
#include "tests/unit/t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One cell: "·" ignored, "refus" refused, else the new state ("=" when
 * unchanged) and the effects, joined by "+". */
static void
cell(char *out, size_t len, enum case_state from, enum lc_event ev)
{
	static const char *const fx[] = { "start", "next", "queue", "stop", "pause",
		"resume", "remind", "notify", "shred" };
	struct lc_step st;
	unsigned i;
	int first = 1;

	switch (lifecycle_step(from, ev, &st)) {
	case LC_IGNORE:
		snprintf(out, len, "·");
		return;
	case LC_REFUSE:
		snprintf(out, len, "refus");
		return;
	case LC_APPLY:
		break;
	}
	snprintf(out, len, "%s", st.to == from ? "=" : case_state_name(st.to));
	for (i = 0; i < sizeof(fx) / sizeof(fx[0]); i++)
		if (st.effects & (1u << i)) {
			size_t n = strlen(out);

			snprintf(out + n, len - n, "%s%s", first ? " " : "+", fx[i]);
			first = 0;
		}
}

/* Columns: delivered, rung_failed, bounced, absence, deadline, reply, send,
 * reroute, wait, resume, close, cancel, shred, mandate_expired,
 * mandate_renewed. */
static const char *const want[CASE_STATE_COUNT][LC_EVENT_COUNT] = {
	[CASE_QUEUED] = { "awaiting start", "failed notify", "= next", "= next", "·",
		"answered notify", "= queue", "= next+stop", "refus", "refus",
		"resolved stop", "cancelled stop+shred", "refus",
		"waiting_user notify", "·" },
	[CASE_AWAITING] = { "= start", "failed notify", "= next", "= next", "= remind",
		"answered notify", "queued queue", "= next+stop", "waiting_user pause",
		"refus", "resolved stop", "cancelled stop+shred", "refus",
		"waiting_user notify", "·" },
	[CASE_ANSWERED] = { "= start", "failed notify", "·", "·", "·", "= notify",
		"queued queue", "queued next+stop", "refus", "refus", "resolved stop",
		"cancelled stop+shred", "refus",
		"waiting_user notify", "·" },
	[CASE_WAITING_USER] = { "= start", "failed notify", "·", "·", "·",
		"answered notify", "queued queue", "queued next+stop", "refus",
		"awaiting resume", "resolved stop", "cancelled stop+shred", "refus",
		"·", "queued" },
	[CASE_RESOLVED] = { "·", "·", "·", "·", "·", "= notify", "refus", "refus",
		"refus", "refus", "refus", "cancelled stop+shred", "shredded shred",
		"·", "refus" },
	[CASE_CANCELLED] = { "·", "·", "·", "·", "·", "refus", "refus", "refus",
		"refus", "refus", "refus", "refus", "shredded shred",
		"·", "refus" },
	[CASE_FAILED] = { "·", "·", "·", "·", "·", "= notify", "refus", "refus",
		"refus", "refus", "resolved stop", "cancelled stop+shred", "refus",
		"·", "refus" },
	[CASE_SHREDDED] = { "·", "·", "·", "·", "·", "refus", "refus", "refus",
		"refus", "refus", "refus", "refus", "refus",
		"·", "refus" },
};

static void
test_table(void)
{
	unsigned s, e;
	char got[128];

	for (s = 0; s < CASE_STATE_COUNT; s++)
		for (e = 0; e < LC_EVENT_COUNT; e++) {
			struct lc_step st;
			enum lc_verdict v = lifecycle_step(s, e, &st);

			cell(got, sizeof(got), s, e);
			if (strcmp(got, want[s][e]) != 0)
				fprintf(stderr, "    %s x %s\n", case_state_name(s),
				    lifecycle_event_name(e));
			CHECK_STR(got, want[s][e]);
			CHECK_INT(st.verdict, v);
			/* a refusal always says why; the others never do */
			CHECK_INT(st.why[0] != '\0', v == LC_REFUSE);
			if (v != LC_APPLY)
				CHECK_INT(st.to, s);
		}
}

static void
refusal(enum case_state s, enum lc_event e, const char *why)
{
	struct lc_step st;

	CHECK_INT(lifecycle_step(s, e, &st), LC_REFUSE);
	CHECK_STR(st.why, why);
}

static void
test_reasons(void)
{
	struct lc_step st;

	/* the words the commands print today (the integration tests) */
	refusal(CASE_RESOLVED, LC_CLOSE, "impossible dans l'état « resolved »");
	refusal(CASE_FAILED, LC_FOLLOW_UP, "impossible dans l'état « failed »");
	refusal(CASE_CANCELLED, LC_REROUTE, "impossible dans l'état « cancelled »");
	refusal(CASE_SHREDDED, LC_FOLLOW_UP, "dossier détruit");
	refusal(CASE_SHREDDED, LC_CLOSE, "dossier détruit");
	refusal(CASE_SHREDDED, LC_CANCEL, "dossier déjà détruit");
	refusal(CASE_SHREDDED, LC_REPLY, "dossier détruit ou annulé");
	refusal(CASE_CANCELLED, LC_REPLY, "dossier détruit ou annulé");
	refusal(CASE_ANSWERED, LC_WAIT, "seul un dossier en attente de réponse (awaiting)"
	    " peut être mis en attente de l'usager ; celui-ci est « answered »");
	refusal(CASE_AWAITING, LC_RESUME,
	    "le dossier n'est pas en attente de l'usager (état « awaiting »)");
	refusal(CASE_QUEUED, LC_SHRED,
	    "seul un dossier résolu ou annulé peut être détruit (état « queued »)");
	refusal(CASE_RESOLVED, LC_MANDATE_RENEWED,
	    "le dossier est « resolved » : rien à renouveler");
	/* out of range */
	CHECK_INT(lifecycle_step(CASE_STATE_COUNT, LC_CLOSE, &st), LC_REFUSE);
	CHECK_STR(st.why, "état ou événement inconnu");
	CHECK_INT(lifecycle_step(CASE_QUEUED, LC_EVENT_COUNT, &st), LC_REFUSE);
	CHECK_INT(lifecycle_step((enum case_state)-1, LC_CLOSE, &st), LC_REFUSE);
	CHECK_INT(LIFECYCLE_INITIAL, CASE_QUEUED);
}

static void
test_names(void)
{
	static const char *const names[] = { "queued", "awaiting", "answered",
		"waiting_user", "resolved", "cancelled", "failed", "shredded" };
	enum case_state s;
	unsigned i;

	CHECK_INT(sizeof(names) / sizeof(names[0]), CASE_STATE_COUNT);
	for (i = 0; i < CASE_STATE_COUNT; i++) {
		CHECK_STR(case_state_name(i), names[i]);
		CHECK(case_state_parse(names[i], &s) == 0 && s == i);
		CHECK(case_state_label(i) != NULL && *case_state_label(i) != '\0');
	}
	CHECK(case_state_name(CASE_STATE_COUNT) == NULL);
	CHECK(case_state_label(CASE_STATE_COUNT) == NULL);
	CHECK(case_state_parse("open", &s) < 0);
	CHECK(case_state_parse("Queued", &s) < 0);
	CHECK(case_state_parse("", &s) < 0);
	CHECK_STR(case_state_label(CASE_WAITING_USER), "en attente de l'usager");
	for (i = 0; i < LC_EVENT_COUNT; i++)
		CHECK(lifecycle_event_name(i) != NULL);
	CHECK(lifecycle_event_name(LC_EVENT_COUNT) == NULL);
	/* the predicates */
	for (i = 0; i < CASE_STATE_COUNT; i++) {
		CHECK_INT(lifecycle_live(i), i == CASE_QUEUED || i == CASE_AWAITING ||
		    i == CASE_ANSWERED || i == CASE_WAITING_USER);
		CHECK_INT(lifecycle_referent_open(i), i == CASE_AWAITING ||
		    i == CASE_WAITING_USER);
		CHECK_INT(lifecycle_over(i), i == CASE_RESOLVED || i == CASE_CANCELLED ||
		    i == CASE_SHREDDED);
		CHECK_INT(case_state_of(names[i]), i);
	}
	CHECK_INT(case_state_of(NULL), CASE_STATE_COUNT);
	CHECK_INT(case_state_of("open"), CASE_STATE_COUNT);
	CHECK_INT(case_state_of("Awaiting"), CASE_STATE_COUNT);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    (p = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(p, 1, (size_t)n, f);
	p[*len] = '\0';
	fclose(f);
	return p;
}

static void
test_docs(void)
{
	struct buf b, t;
	size_t len = 0;
	char *dot = slurp("docs/lifecycle.dot", &len), *md, c[128];
	unsigned s, e;

	buf_init(&b, 64 * 1024);
	CHECK_INT(lifecycle_dot(&b), 0);
	CHECK(dot != NULL);
	if (dot)
		CHECK(len == b.len && memcmp(dot, b.p, len) == 0);
	if (dot == NULL || len != b.len || memcmp(dot, b.p, len) != 0)
		fprintf(stderr, "    docs/lifecycle.dot differs from lifecycle_dot():\n%.*s",
		    (int)b.len, b.p);
	CHECK(strstr(b.p, "queued -> awaiting [label=\"delivered\"]") != NULL);
	CHECK(strstr(b.p, "awaiting -> waiting_user [label=\"wait, mandate_expired\"]") != NULL);
	free(dot);
	buf_free(&b);

	/* the table of docs/lifecycle.md, written from lifecycle_step */
	buf_init(&t, 64 * 1024);
	buf_puts(&t, "| état |");
	for (e = 0; e < LC_EVENT_COUNT; e++)
		buf_printf(&t, " %s |", lifecycle_event_name(e));
	buf_puts(&t, "\n|---|");
	for (e = 0; e < LC_EVENT_COUNT; e++)
		buf_puts(&t, "---|");
	buf_puts(&t, "\n");
	for (s = 0; s < CASE_STATE_COUNT; s++) {
		buf_printf(&t, "| %s |", case_state_name(s));
		for (e = 0; e < LC_EVENT_COUNT; e++) {
			cell(c, sizeof(c), s, e);
			buf_printf(&t, " %s |", c);
		}
		buf_puts(&t, "\n");
	}
	md = slurp("docs/lifecycle.md", &len);
	CHECK(md != NULL && strstr(md, t.p) != NULL);
	if (md == NULL || strstr(md, t.p) == NULL)
		fprintf(stderr, "    docs/lifecycle.md lacks the table:\n%s", t.p);
	free(md);
	buf_free(&t);
}

/* ---- the store ------------------------------------------------------ */

static long
count(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	long n = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static const char insert_case[] =
	"INSERT INTO cases (id, ref, structure, partner, topic, agent, state, rung,"
	" created_at, updated_at, blind_index, remind_at) VALUES (7, 'FS-92032-2026-000007',"
	" 'mfs', 'caf', 'rsa', 'a1', '%s', 1, 10, 20, x'00', 55);"
	"INSERT INTO messages (case_id, kind, direction, sender, recipients, at)"
	" VALUES (7, 'case', 'out', 'r@x', 'p@x', 10);";

/* Bring a fresh store back to what version 2 was: cases without the CHECK
 * (the table of migrations 1 and 2), user_version 2, one case in state. */
static int
make_v2(const char *path, const char *state)
{
	struct store *st = NULL;
	char err[256], sql[1024];
	int r;

	if (store_open(&st, path, 1, err, sizeof(err)) < 0)
		return -1;
	snprintf(sql, sizeof(sql), insert_case, state);
	r = sqlite3_exec(st->db, "PRAGMA foreign_keys = OFF;"
	    "ALTER TABLE messages DROP COLUMN full_text;"	/* migration 4's */
	    "DROP TABLE cases;"
	    "CREATE TABLE cases ("
	    "  id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
	    "  structure TEXT NOT NULL, partner TEXT NOT NULL, topic TEXT NOT NULL,"
	    "  agent TEXT NOT NULL, state TEXT NOT NULL, rung INTEGER NOT NULL DEFAULT 0,"
	    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	    "  due_at INTEGER NOT NULL DEFAULT 0, user_due_at INTEGER NOT NULL DEFAULT 0,"
	    "  overdue INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
	    "  blind_index BLOB NOT NULL, reply_token TEXT NOT NULL DEFAULT '',"
	    "  person BLOB, description BLOB);"
	    "ALTER TABLE cases ADD COLUMN remind_at INTEGER NOT NULL DEFAULT -1;"
	    "CREATE INDEX cases_agent ON cases (agent);"
	    "PRAGMA user_version = 2;", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	if (r == 0 && count(st, "SELECT count(*) FROM sqlite_master WHERE name = 'cases'"
	    " AND sql LIKE '%CHECK%'") != 0)
		r = -1;
	store_close(&st);
	return r;
}

static void
test_store(void)
{
	char path[] = "/tmp/fsrelay-test-lifecycle-XXXXXX", db[64], err[256];
	struct store *st = NULL;
	unsigned i;

	if (mkdtemp(path) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(db, sizeof(db), "%s/a.db", path);

	/* migrations 3 and 4 on a version-2 store with a case and its message */
	CHECK_INT(make_v2(db, "awaiting"), 0);
	CHECK_INT(store_open(&st, db, 0, err, sizeof(err)), 0);
	if (st == NULL) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	CHECK_INT(count(st, "PRAGMA user_version"), 4);
	CHECK_INT(count(st, "PRAGMA foreign_keys"), 1);
	CHECK_INT(count(st, "SELECT count(*) FROM sqlite_master WHERE name = 'cases'"
	    " AND sql LIKE '%CHECK (state IN%'"), 1);
	CHECK_INT(count(st, "SELECT count(*) FROM cases WHERE id = 7 AND state = 'awaiting'"
	    " AND rung = 1 AND updated_at = 20 AND remind_at = 55"
	    " AND ref = 'FS-92032-2026-000007'"), 1);
	CHECK_INT(count(st, "SELECT count(*) FROM messages m JOIN cases c ON c.id = m.case_id"), 1);
	CHECK_INT(count(st, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND tbl_name = 'cases' AND name LIKE 'cases_%'"), 10);
	CHECK_INT(count(st, "SELECT count(*) FROM sqlite_master WHERE name = 'cases_v3'"), 0);
	/* every state of the list is kept, any other refused */
	for (i = 0; i < CASE_STATE_COUNT; i++)
		CHECK_INT(store_case_set_state(st, 7, case_state_name(i), 30), 0);
	CHECK(store_case_set_state(st, 7, "open", 31) < 0);
	CHECK(store_case_set_state(st, 7, "Queued", 31) < 0);
	CHECK(store_case_set_state(st, 7, "", 31) < 0);
	CHECK_INT(count(st, "SELECT count(*) FROM cases WHERE id = 7 AND state = 'shredded'"
	    " AND updated_at = 30"), 1);
	/* foreign keys are enforced again after the migration */
	CHECK(sqlite3_exec(st->db, "INSERT INTO messages (case_id, kind, direction, sender,"
	    " recipients, at) VALUES (99, 'case', 'out', 'r', 'p', 1)", NULL, NULL, NULL) !=
	    SQLITE_OK);
	store_close(&st);
	/* a fresh store has the CHECK too; opening it again migrates nothing */
	CHECK_INT(store_open(&st, db, 0, err, sizeof(err)), 0);
	if (st)
		CHECK_INT(count(st, "PRAGMA user_version"), 4);
	store_close(&st);
	unlink(db);

	/* a version-2 store holding a state outside the list: not migrated */
	CHECK_INT(make_v2(db, "open"), 0);
	err[0] = '\0';
	CHECK(store_open(&st, db, 0, err, sizeof(err)) < 0);
	CHECK(strstr(err, "migration 3 : ") != NULL && strstr(err, "CHECK") != NULL);
	if (strstr(err, "migration 3 : ") == NULL)
		fprintf(stderr, "    err: %s\n", err);
	store_close(&st);
	unlink(db);
	{
		char wal[80];

		snprintf(wal, sizeof(wal), "%s-wal", db);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", db);
		unlink(wal);
	}
	rmdir(path);
}

int
main(void)
{
	test_table();
	test_reasons();
	test_names();
	test_docs();
	test_store();
	return t_done();
}
