# failures.sh - permanent and temporary delivery failures on the real stack:
# a refused recipient moves the case to the next rung; a case whose every
# rung fails becomes `failed` and its agent is told, by reference only; a
# case stuck in the queue is reported to its agent once.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
AGENT_BOX=$FSRELAY_TEST_MAILDIRS/fs-fontenay.test/agent1/Maildir
# The stack's mailboxes are shared by the tests of a run, and references
# repeat between instances: count only this test's mails about REF.
touch "$T_DIR/marker"
notices() { find "$AGENT_BOX/new" "$AGENT_BOX/cur" -type f -newer "$T_DIR/marker" \
	-exec grep -l -- "$1" {} + 2>/dev/null | wc -l; }
wait_notices() { local i; for i in $(seq 1 100); do [ "$(notices "$1")" -ge "$2" ] && return; sleep 0.05; done; }

# A directory where the CAF's first rung does not exist on the server, and
# the CNAV's only address does not either.
python3 - "$TOP/config/annex6-hauts-de-seine.csv" "$T_DIR/annex6.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
for r in rows:
    if r['partner'] == 'caf' and r['role'] == 'primary':
        r['email'] = 'inexistant.caf@caf.cnafmail.fr'
    if r['partner'] == 'cnav':
        r['email'] = 'inexistant.cnav@cnav.fr'
w = csv.DictWriter(open(sys.argv[2], 'w', encoding='utf-8', newline=''), fieldnames=rows[0].keys())
w.writeheader(); w.writerows(rows)
PY
ok "import the modified directory" "$FS" referents import "$T_DIR/annex6.csv" >/dev/null
for a in inexistant.caf@caf.cnafmail.fr inexistant.cnav@cnav.fr; do
	age-keygen -o "$T_DIR/$a.key" 2>/dev/null
	ok "pin $a" "$FS" referents key "$a" "$(age-keygen -y "$T_DIR/$a.key")" --verified-by test >/dev/null
done
printf 'Situation de M. Wolfgang Testeur-Distinct.\n' > "$T_DIR/d.txt"
esc() {
	"$FS" escalate --structure fontenay-aux-roses --partner "$1" --topic "$2" --agent agent1 \
		--nom Testeur-Distinct --prenom Wolfgang --mandat-signe-le 2026-01-10 \
		--description-file "$T_DIR/d.txt" 2>>"$LOG"
}
field() { "$FS" cases --json | python3 -c 'import json,sys; c=[x for x in json.load(sys.stdin) if x["ref"]==sys.argv[1]][0]; print(c[sys.argv[2]])' "$1" "$2"; }
export FSRELAY_NOW=2026-03-02T10:00:00Z

CAF=$(esc caf prestations-familiales)
"$FS" serve --once 2>>"$LOG"
is "refused recipient: the CAF case moves to rung 1" "$(field "$CAF" rung)" 1
has "its last error is the server's refusal" "$(field "$CAF" last_error)" "550"
is "still queued while rung 1 waits" "$(field "$CAF" state)" queued
"$FS" serve --once 2>>"$LOG"
is "rung 1 delivered: the case awaits" "$(field "$CAF" state)" awaiting
wait_mail "$FSRELAY_TEST_MAILDIRS/cafnanterre.cnafmail.fr/djouara.bakouch/Maildir" 1
is "Bakouch got it" "$(find "$FSRELAY_TEST_MAILDIRS/cafnanterre.cnafmail.fr/djouara.bakouch/Maildir/new" -type f | wc -l)" 1

CNAV=$(esc cnav retraite)
"$FS" serve --once 2>>"$LOG"
is "every rung failed: the CNAV case is failed" "$(field "$CNAV" state)" failed
"$FS" serve --once 2>>"$LOG"
wait_notices "$CNAV" 1
notice=$(find "$AGENT_BOX/new" -type f -newer "$T_DIR/marker" -exec grep -l -- "$CNAV" {} + 2>/dev/null | head -1)
ok "the agent got a notice about it" test -n "$notice"
text=$(cat "$notice" 2>/dev/null)
has "the notice names the reference" "$text" "$CNAV"
hasnt "the notice carries no name" "$text" "Testeur"
hasnt "the notice carries no first name" "$text" "Wolfgang"

# Stuck in the queue: an untrusted server for longer than queued_alert_minutes.
mkdir -p "$T_DIR/evil" && (cd "$T_DIR/evil" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj "/CN=autre" 2>/dev/null)
sed "s|^ca_file = .*|ca_file = $T_DIR/evil/ca.pem|" "$FSRELAY_CONFIG" > "$T_DIR/evil.conf"
chmod 600 "$T_DIR/evil.conf"
STUCK=$(esc dgfip impots-particuliers)
FSRELAY_CONFIG=$T_DIR/evil.conf "$FS" serve --once 2>>"$LOG"
is "untrusted server: queued" "$(field "$STUCK" state)" queued
FSRELAY_CONFIG=$T_DIR/evil.conf FSRELAY_NOW=2026-03-02T15:00:00Z "$FS" serve --once 2>>"$LOG"
FSRELAY_NOW=2026-03-02T15:00:01Z "$FS" -c "$T_DIR/evil.conf" serve --once 2>>"$LOG"
n=$(notices "$STUCK")
is "queued too long: exactly one notice to the agent (sent when a trusted server is reachable)" "$n" 0
FSRELAY_NOW=2026-03-02T15:10:00Z "$FS" serve --once 2>>"$LOG"
wait_notices "$STUCK" 1
n=$(notices "$STUCK")
is "the notice arrives once the server is trusted again" "$n" 1
FSRELAY_NOW=2026-03-02T16:10:00Z "$FS" serve --once 2>>"$LOG"
sleep 0.3
n=$(notices "$STUCK")
is "and only once" "$n" 1
# A store that cannot be read while the mail is built (issue 12 point 3):
# a temporary failure with its reason, retried, not a permanent failure
# with an empty last_error that moves the ladder on.  The documents table
# is out of reach for one pass (renamed), and the mail prepared at escalate
# is made stale so that the pass builds it.
DB=${DB:-$T_DIR/data/fsrelay.db}
READ=$(FSRELAY_NOW=2026-03-03T10:00:00Z esc dgfip impots-particuliers)
sqlite3 "$DB" "update prepared_mails set built_for = 'autre' where delivery_id in
	(select d.id from deliveries d join cases c on c.id = d.case_id where c.ref = '$READ')"
sqlite3 "$DB" "alter table documents rename to documents_hors_de_portee"
FSRELAY_NOW=2026-03-03T10:00:01Z "$FS" serve --once 2>>"$LOG"
sqlite3 "$DB" "alter table documents_hors_de_portee rename to documents"
dq() { sqlite3 "$DB" "select $1 from deliveries d join cases c on c.id = d.case_id where c.ref = '$READ' order by d.id limit 1"; }
is "store unreadable: the delivery stays pending" "$(dq d.state)" pending
is "store unreadable: one attempt counted" "$(dq d.attempts)" 1
has "store unreadable: the delivery's last error says why" "$(dq d.last_error)" "lecture des pièces jointes du dossier : base : "
has "store unreadable: the case's last error says why (show)" "$(field "$READ" last_error)" "lecture des pièces jointes"
is "store unreadable: the case stays queued on its rung" "$(field "$READ" state) $(field "$READ" rung)" "queued 0"
FSRELAY_NOW=2026-03-03T10:05:00Z "$FS" serve --once 2>>"$LOG"
is "store readable again: the retry delivers" "$(dq d.state)" sent
is "store readable again: the case awaits" "$(field "$READ" state)" awaiting

done_testing
