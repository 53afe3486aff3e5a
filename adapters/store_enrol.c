/*
 * store_enrol - the store area "enrol": invitations to referents and the
 * keys their replies proposed (relay/port/store_enrol.h).  Nothing here is
 * personal data: a directory address, an opaque token, a public key.
 * Rows are never deleted, so the history of a referent's enrolments stays
 * readable beside the audit trail.
 */
#include "adapters/store.h"
#include "adapters/store_int.h"
#include "relay/port/store_enrol.h"

#include <sqlite3.h>
#include <string.h>

static const char *const enrol_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE invitations ("
	"  id INTEGER PRIMARY KEY, email_lc TEXT NOT NULL, token TEXT NOT NULL UNIQUE,"
	"  state TEXT NOT NULL CHECK (state IN ('sent', 'received', 'pinned', 'superseded')),"
	"  created_at INTEGER NOT NULL, received_at INTEGER NOT NULL DEFAULT 0,"
	"  pinned_at INTEGER NOT NULL DEFAULT 0, recipient TEXT NOT NULL DEFAULT '',"
	"  fingerprint TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX invitations_email ON invitations (email_lc, id);",
};

const struct store_area store_area_enrol = {
	"enrol", enrol_migrations, sizeof(enrol_migrations) / sizeof(enrol_migrations[0]),
};

#define INV_SELECT "SELECT id, email_lc, token, state, created_at, received_at," \
	" pinned_at, recipient, fingerprint FROM invitations"

static int
one_row(sqlite3_stmt *s, struct invitation_row *r)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(s, 0);
		st_col_copy(s, 1, r->email_lc, sizeof(r->email_lc));
		st_col_copy(s, 2, r->token, sizeof(r->token));
		st_col_copy(s, 3, r->state, sizeof(r->state));
		r->created_at = sqlite3_column_int64(s, 4);
		r->received_at = sqlite3_column_int64(s, 5);
		r->pinned_at = sqlite3_column_int64(s, 6);
		st_col_copy(s, 7, r->recipient, sizeof(r->recipient));
		st_col_copy(s, 8, r->fingerprint, sizeof(r->fingerprint));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_invitation_insert(struct store *st, struct invitation_row *r)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE invitations SET state = 'superseded'"
	    " WHERE email_lc = ? AND state IN ('sent', 'received')");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, r->email_lc);
	if (st_run_done(s) < 0)
		return -1;
	if ((s = st_prep(st, "INSERT INTO invitations (email_lc, token, state, created_at)"
	    " VALUES (?, ?, 'sent', ?)")) == NULL)
		return -1;
	st_bind_text(s, 1, r->email_lc);
	st_bind_text(s, 2, r->token);
	sqlite3_bind_int64(s, 3, r->created_at);
	if (st_run_done(s) < 0)
		return -1;
	r->id = sqlite3_last_insert_rowid(st->db);
	memcpy(r->state, INVITATION_SENT, sizeof(INVITATION_SENT));
	return 0;
}

int
store_invitation_by_token(struct store *st, const char *token, struct invitation_row *r)
{
	sqlite3_stmt *s = st_prep(st, INV_SELECT " WHERE token = ?");

	if (s != NULL)
		st_bind_text(s, 1, token);
	return one_row(s, r);
}

int
store_invitation_latest(struct store *st, const char *email_lc, struct invitation_row *r)
{
	sqlite3_stmt *s = st_prep(st, INV_SELECT " WHERE email_lc = ? ORDER BY id DESC LIMIT 1");

	if (s != NULL)
		st_bind_text(s, 1, email_lc);
	return one_row(s, r);
}

int
store_invitation_receive(struct store *st, int64_t id, const char *recipient,
    const char *fingerprint, int64_t at)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE invitations SET state = 'received',"
	    " recipient = ?, fingerprint = ?, received_at = ? WHERE id = ? AND state = 'sent'");

	if (s == NULL)
		return -1;
	st_bind_text(s, 1, recipient);
	st_bind_text(s, 2, fingerprint);
	sqlite3_bind_int64(s, 3, at);
	sqlite3_bind_int64(s, 4, id);
	if (st_run_done(s) < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int
store_invitation_pin(struct store *st, const char *email_lc, const char *recipient,
    int64_t at, int *n)
{
	sqlite3_stmt *s = st_prep(st, "UPDATE invitations SET state = 'pinned', pinned_at = ?"
	    " WHERE email_lc = ? AND recipient = ? AND state = 'received'");

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, at);
	st_bind_text(s, 2, email_lc);
	st_bind_text(s, 3, recipient);
	if (st_run_done(s) < 0)
		return -1;
	*n = sqlite3_changes(st->db);
	return 0;
}
