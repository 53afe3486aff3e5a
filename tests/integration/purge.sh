# purge.sh - a resolved case is crypto-shredded once shred_grace_days have
# passed, and the purge checks itself.
. "$(dirname "$0")/../lib.sh"
new_instance
printf 'Situation très particulière de Mme Xanthippe Purgeable.\n' > "$T_DIR/d.txt"
export FSRELAY_NOW=2026-03-02T10:00:00Z
REF=$("$FS" escalate --structure fontenay-aux-roses --partner cnav --topic retraite --agent agent1 \
	--nom Purgeable --prenom Xanthippe --mandat-signe-le 2026-01-10 --description-file "$T_DIR/d.txt")
ok "escalate" test -n "$REF"
"$FS" serve --once 2>/dev/null
ok "close the case" "$FS" close "$REF" --resolution "dossier réglé"
state() { "$FS" cases --json | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin) if c["ref"]==sys.argv[1]][0]["state"])' "$REF"; }
is "resolved" "$(state)" resolved
FSRELAY_NOW=2026-03-31T09:00:00Z "$FS" serve --once 2>/dev/null
is "within the 30-day grace it is kept" "$(state)" resolved
ok "and still readable" "$FS" show "$REF"
FSRELAY_NOW=2026-04-02T10:00:00Z "$FS" serve --once 2>"$T_DIR/serve.log"
is "after the grace it is shredded" "$(state)" shredded
err=$("$FS" show "$REF" 2>&1)
has "show says it is destroyed" "$err" "dossier détruit"
DB=$T_DIR/data/fsrelay.db
is "no wrapped key left" "$(sqlite3 "$DB" "select count(*) from case_keys k join cases c on c.id=k.case_id where c.ref='$REF'")" 0
is "no sealed column left" "$(sqlite3 "$DB" "select count(*) from cases where ref='$REF' and (person is not null or description is not null)")" 0
is "the purge verified itself" "$(sqlite3 "$DB" "select outcome from events where action='case.purge-verified' and case_ref='$REF'")" ok
ok "no trace of the name in the database or its WAL" sh -c '! grep -qa Purgeable "$0"/data/fsrelay.db*' "$T_DIR"
hasnt "the log names no one" "$(cat "$T_DIR/serve.log")" "Purgeable"

# ---- a purge deferred by a concurrent reader is retried by the next pass ----
printf 'Situation de M. Zebulon Retardataire.\n' > "$T_DIR/d2.txt"
export FSRELAY_NOW=2026-04-02T11:00:00Z
REF2=$("$FS" escalate --structure fontenay-aux-roses --partner cnav --topic retraite --agent agent1 \
	--nom Retardataire --prenom Zebulon --mandat-signe-le 2026-01-10 --description-file "$T_DIR/d2.txt")
"$FS" serve --once 2>/dev/null
ok "close the second case" "$FS" close "$REF2" --resolution "dossier réglé"
# a reader holding a read transaction on the database for 14 s
python3 - "$DB" "$T_DIR/reader.ready" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN")
c.execute("SELECT count(*) FROM cases").fetchone()
open(sys.argv[2], "w").close()
time.sleep(14)
c.execute("COMMIT")
PY
READER=$!
for _ in $(seq 50); do [ -e "$T_DIR/reader.ready" ] && break; sleep 0.1; done
FSRELAY_NOW=2026-05-10T10:00:00Z "$FS" serve --once 2>"$T_DIR/serve2.log"
is "shredded while the reader holds the WAL" "$("$FS" show "$REF2" 2>&1 >/dev/null | grep -c 'dossier détruit')" 1
has "the deferral is said" "$(cat "$T_DIR/serve2.log")" "purge du journal WAL différée"
ok "and remembered" test "$(sqlite3 "$DB" "select value from relay_marks where name='purge.wal_pending_since'" 2>/dev/null || echo 0)" != 0
wait "$READER"
FSRELAY_NOW=2026-05-10T10:01:00Z "$FS" serve --once 2>"$T_DIR/serve3.log"
has "the next pass does it" "$(cat "$T_DIR/serve3.log")" "purge du journal WAL faite"
is "the mark is cleared" "$(sqlite3 "$DB" "select value from relay_marks where name='purge.wal_pending_since'")" 0
is "the WAL is empty" "$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)" 0
ok "no trace of the second name in the database or its WAL" sh -c '! grep -qa Retardataire "$0"/data/fsrelay.db*' "$T_DIR"
done_testing
