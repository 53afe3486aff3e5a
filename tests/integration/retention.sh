# retention.sh - issue 14, item 3, on the real stack with FSRELAY_NOW clock
# jumps: an open case without activity for stale_case_days (180) gets a
# notice to its agent (mailed through the stack), then, stale_grace_days
# (30) after it and still untouched, is cancelled and shredded, the purge
# verifying itself; a case touched after the notice is kept; the blind
# index of a shredded case is removed after index_retention_days (365):
# `cases --nom` finds the person until then, not after; the purge verifies
# that no blind index remains (case.unindexed ok).
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
DB=$T_DIR/data/fsrelay.db
AGENT_MD=$FSRELAY_TEST_MAILDIRS/fs-fontenay.test/agent1/Maildir
serve1() { "$FS" serve --once 2>>"$LOG"; }
state_of() { sqlite3 "$DB" "select state from cases where ref = '$1'"; }
ev() { sqlite3 "$DB" "select group_concat(outcome, '|') from events where action = '$1' and case_ref = '$2'"; }
# agent_subjects REF: subjects of the agent's mails about REF since the marker
agent_subjects() {
	python3 - "$AGENT_MD" "$1" "$T_DIR/marker" <<'PY'
import email, email.header, glob, os, sys
since = os.path.getmtime(sys.argv[3])
for f in sorted(glob.glob(sys.argv[1] + "/new/*") + glob.glob(sys.argv[1] + "/cur/*")):
    if os.path.getmtime(f) < since:
        continue
    m = email.message_from_bytes(open(f, "rb").read())
    s = str(email.header.make_header(email.header.decode_header(m["Subject"] or "")))
    if sys.argv[2] in s:
        print(s.replace("\n", " "))
PY
}
# lookup NOM PRENOM: the references cases --nom finds
lookup() { "$FS" cases --nom "$1" --prenom "$2" --json 2>>"$LOG" | python3 -c 'import json,sys; print(" ".join(c["ref"] for c in json.load(sys.stdin)))'; }
esc() {	# esc NOM PRENOM: a CNAV case of agent1
	printf 'Situation de %s %s.\n' "$2" "$1" > "$T_DIR/d.txt"
	"$FS" escalate --structure fontenay-aux-roses --partner cnav --topic retraite --agent agent1 \
	    --nom "$1" --prenom "$2" --mandat-signe-le 2026-02-20 --description-file "$T_DIR/d.txt" \
	    2>>"$LOG"
}

export FSRELAY_NOW=2026-03-02T10:00:00Z
A=$(esc Oubliette Anselme)
B=$(esc Gardebien Berthe)
C=$(esc Resolue Capucine)
ok "three cases" test -n "$A" -a -n "$B" -a -n "$C"
serve1
ok "A waits for the person" "$FS" wait "$A"
ok "B too" "$FS" wait "$B"
ok "C is closed" "$FS" close "$C" --resolution "dossier réglé"

# C, resolved, is shredded after shred_grace_days (as before: purge.sh)
FSRELAY_NOW=2026-04-02T10:00:00Z serve1
is "C shredded 31 days after its resolution" "$(state_of "$C")" shredded
is "cases --nom still finds C's person (blind index kept)" "$(lookup Resolue Capucine)" "$C"

# 120 days without activity: nothing yet
FSRELAY_NOW=2026-06-30T10:00:00Z serve1
is "after 120 days no notice" "$(sqlite3 "$DB" "select count(*) from notices where kind = 'stale-case'")" 0
is "A still waiting" "$(state_of "$A")" waiting_user

# 183 days: a notice to the agent for each, mailed through the stack
touch "$T_DIR/marker"
sleep 1
export FSRELAY_NOW=2026-09-01T10:00:00Z
serve1
is "one notice for A" "$(sqlite3 "$DB" "select count(*) from notices where kind = 'stale-case' and case_ref = '$A'")" 1
is "one notice for B" "$(sqlite3 "$DB" "select count(*) from notices where kind = 'stale-case' and case_ref = '$B'")" 1
is "to the agent" "$(sqlite3 "$DB" "select distinct recipient from notices where kind = 'stale-case'")" "$FSRELAY_TEST_AGENT_ADDRESS"
is "sent (250)" "$(sqlite3 "$DB" "select group_concat(state) from notices where kind = 'stale-case'")" "sent,sent"
body=$(sqlite3 "$DB" "select body from notices where kind = 'stale-case' and case_ref = '$A'")
has "the notice says when it will be destroyed" "$body" "il sera clos et détruit à partir du jeudi 1 octobre 2026 à 12:00 (heure de Paris, UTC+02:00)"
has "and how to keep it" "$body" "fsrelay resume $A"
hasnt "the notice names no one" "$body" "Oubliette"
wait_mail "$AGENT_MD" 1
sleep 0.5
has "the agent received it" "$(agent_subjects "$A")" "[$A] Dossier sans activité : destruction dans 30 jour(s)"
FSRELAY_NOW=2026-09-02T10:00:00Z serve1
is "a notice once per quiet spell" "$(sqlite3 "$DB" "select count(*) from notices where kind = 'stale-case' and case_ref = '$A'")" 1

# B is touched after the notice: kept
FSRELAY_NOW=2026-09-10T10:00:00Z "$FS" resume "$B" >/dev/null 2>>"$LOG"
is "B resumed" "$(state_of "$B")" awaiting

# 29 days after the notice: still kept; 31: A destroyed, B kept
FSRELAY_NOW=2026-09-30T10:00:00Z serve1
is "A kept within stale_grace_days" "$(state_of "$A")" waiting_user
ok "and readable" "$FS" show "$A"
FSRELAY_NOW=2026-10-02T10:00:00Z serve1
is "A shredded 31 days after the notice" "$(state_of "$A")" shredded
is "A: cancelled then shredded, audited" "$(ev case.expired "$A")" "sans activité depuis 214 jours"
is "A: case.shredded stale" "$(ev case.shredded "$A")" stale
is "A: the purge verified itself" "$(ev case.purge-verified "$A")" ok
is "A: no wrapped key left" "$(sqlite3 "$DB" "select count(*) from case_keys k join cases c on c.id = k.case_id where c.ref = '$A'")" 0
is "A: no sealed column left" "$(sqlite3 "$DB" "select count(*) from cases where ref = '$A' and (person is not null or description is not null)")" 0
err=$("$FS" show "$A" 2>&1)
has "show A says it is destroyed" "$err" "dossier détruit"
ok "no trace of A's name in the database" sh -c '! grep -qa Oubliette "$0"/data/fsrelay.db*' "$T_DIR"
is "the agent is told of the destruction" "$(sqlite3 "$DB" "select count(*) from notices where kind = 'stale-shredded' and case_ref = '$A' and state = 'sent'")" 1
hasnt "B (touched) is kept" "$(state_of "$B")" shredded
is "no notice of destruction for B" "$(sqlite3 "$DB" "select count(*) from notices where kind = 'stale-shredded' and case_ref = '$B'")" 0

# the blind index: kept index_retention_days (365) after the shredding
FSRELAY_NOW=2027-04-01T10:00:00Z serve1
is "364 days after C's shredding, cases --nom finds it" "$(lookup Resolue Capucine)" "$C"
is "no case.unindexed yet" "$(ev case.unindexed "$C")" ""
FSRELAY_NOW=2027-04-03T10:00:00Z serve1
is "366 days after: the person is found no more" "$(lookup Resolue Capucine)" ""
is "C: case.unindexed ok (the purge checked it)" "$(ev case.unindexed "$C")" ok
is "C: no blind index in cases nor deliveries" \
    "$(sqlite3 "$DB" "select (select count(*) from cases where ref = '$C' and length(blind_index) > 0) + (select count(*) from deliveries d join cases c on c.id = d.case_id where c.ref = '$C' and length(d.blind_index) > 0)")" 0
is "C still listed by reference" "$(state_of "$C")" shredded
is "A (shredded later) is still found" "$(lookup Oubliette Anselme)" "$A"
FSRELAY_NOW=2027-04-04T10:00:00Z serve1
is "unindexed once" "$(sqlite3 "$DB" "select count(*) from events where action = 'case.unindexed'")" 1
FSRELAY_NOW=2027-10-03T11:00:00Z serve1
is "A's index goes 366 days after its shredding" "$(lookup Oubliette Anselme)" ""
ok "the audit log still verifies" "$FS" audit verify
hasnt "the daemon's log names no one" "$(cat "$LOG")" "Oubliette"
done_testing
