# duequery.sh - issue 15: the daemon finds what is due through indexed
# due-time queries.  The reminder instant is stored per rung (remind_at),
# computed once by a pass, cleared when the reminder is sent; a pass with
# nothing due writes no case; a store of the previous schema (version 1)
# is migrated and its reminder instants computed by the next pass.
. "$(dirname "$0")/../lib.sh"
new_instance
DB=$T_DIR/data/fsrelay.db
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
printf 'Allocation non versée depuis janvier.\n' > "$T_DIR/d.txt"
export FSRELAY_NOW=2026-03-02T09:00:00Z
REF=$("$FS" escalate --structure fontenay-aux-roses --partner caf --topic prestations-familiales \
	--agent agent1 --nom Duequery --prenom Ines --mandat-signe-le 2026-01-10 \
	--description-file "$T_DIR/d.txt" 2>>"$T_DIR/log")
ok "escalate" test -n "$REF"
"$FS" serve --once 2>>"$T_DIR/log"
is "delivered: awaiting" "$(q "select state from cases where ref='$REF'")" awaiting
is "schema version 4" "$(q 'pragma user_version')" 4
is "reminder instant still to compute after the rung started" \
	"$(q "select remind_at from cases where ref='$REF'")" -1
"$FS" serve --once 2>>"$T_DIR/log"
R=$(q "select remind_at from cases where ref='$REF'")
D=$(q "select due_at from cases where ref='$REF'")
ok "computed by the next pass, before the deadline ($R < $D)" test "$R" -gt 0 -a "$R" -lt "$D"
ok "after the start" test "$R" -gt "$(date -u -d 2026-03-02T09:00:00Z +%s)"
ok "the due-time query reads the index" \
	sh -c "sqlite3 '$DB' \"explain query plan select id from cases where state = 'awaiting' and remind_at between 1 and 5\" | grep -q cases_state_remind"
ok "deliveries by case read their index" \
	sh -c "sqlite3 '$DB' \"explain query plan select id from deliveries where case_id = 1\" | grep -q deliveries_case"

# a pass with nothing due writes no case (total_changes of cases: the
# updated_at and remind_at columns would move)
before=$(q "select group_concat(id || ':' || updated_at || ':' || remind_at || ':' || due_at) from cases")
"$FS" serve --once 2>>"$T_DIR/log"
is "a pass with nothing due leaves the cases as they were" \
	"$(q "select group_concat(id || ':' || updated_at || ':' || remind_at || ':' || due_at) from cases")" "$before"

# the reminder: sent once, then out of the reminder index
FSRELAY_NOW=$(date -u -d "@$(( R + 60 ))" +%Y-%m-%dT%H:%M:%SZ) "$FS" serve --once 2>"$T_DIR/remind.log"
has "the reminder left" "$(cat "$T_DIR/remind.log")" "1 rappel(s)"
is "reminder instant cleared once sent" "$(q "select remind_at from cases where ref='$REF'")" 0
is "one reminder in the ledger" "$(q "select count(*) from ladder_steps where step='reminder'")" 1

# cases --overdue and status after the deadline, through the index
FSRELAY_NOW=$(date -u -d "@$(( D + 60 ))" +%Y-%m-%dT%H:%M:%SZ)
export FSRELAY_NOW
has "cases --overdue lists it" "$("$FS" cases --overdue 2>&1)" "$REF"
has "status counts it for the CAF" "$("$FS" status 2>&1)" "caf 1"
unset FSRELAY_NOW
export FSRELAY_NOW=2026-03-02T09:00:00Z

# a store of version 1: the new column and indexes dropped, as before
# the migration; opening it migrates, the next pass computes the instant
cp "$DB" "$T_DIR/v1.db"
sqlite3 "$T_DIR/v1.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
for i in cases_state_due cases_state_remind cases_state_updated cases_state_created \
    cases_agent_due cases_agent_user_due cases_created cases_token deliveries_case \
    messages_case documents_case events_case; do
	sqlite3 "$T_DIR/v1.db" "DROP INDEX $i" || echo "DROP INDEX $i failed"
done
sqlite3 "$T_DIR/v1.db" "ALTER TABLE cases DROP COLUMN remind_at; DELETE FROM ladder_steps;
	ALTER TABLE messages DROP COLUMN full_text;
	PRAGMA user_version = 1"
is "downgraded copy at version 1" "$(sqlite3 "$T_DIR/v1.db" 'pragma user_version')" 1
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$T_DIR/v1.db" "$DB"
ok "status opens (and migrates) the old store" "$FS" status
is "migrated to version 4 (migrations 2 to 4)" "$(q 'pragma user_version')" 4
is "remind_at to compute after the migration" "$(q "select remind_at from cases where ref='$REF'")" -1
is "the indexes are back" "$(q "select count(*) from sqlite_master where type='index' and name in ('cases_state_due','cases_state_remind','deliveries_case','messages_case','documents_case')")" 5
"$FS" serve --once 2>>"$T_DIR/log"
is "the first pass computes the same instant as before" \
	"$(q "select remind_at from cases where ref='$REF'")" "$R"
done_testing
