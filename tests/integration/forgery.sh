# forgery.sh - issue 16 on the real stack, as an attacker would do it: mail
# submitted through another account of the mail server with a forged From:
# (the CAF referent's address) and only the case's subject tag, a forged
# « absent du bureau », and a bounce from a foreign domain quoting the
# delivery's real Message-ID, the real Message-ID sent from another
# directory address than the case's recipient.  Each time: the case does not move, nothing
# is re-sent, the mail waits in quarantine with its reason; the agent then
# confirms the genuine-looking one in one step.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
MD=$FSRELAY_TEST_MAILDIRS
RELAY_MD=$MD/relay.fsrelay.test/relais/Maildir
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$MD/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
BAK_MD=$MD/cafnanterre.cnafmail.fr/djouara.bakouch/Maildir
ATTACKER=collegue@fs-fontenay.test
DB=$T_DIR/data/fsrelay.db
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null

printf 'Situation de Mme Ornella Quibrante-Zed, dossier bloqué.\n' > "$T_DIR/desc.txt"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --partner caf --topic prestations-familiales \
		--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
		--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" 2>>"$LOG"
}
serve1() { "$FS" serve --once 2>>"$LOG"; }
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
py() { python3 -c "$1" "${@:2}"; }
state_of() { "$FS" show "$1" --json 2>>"$LOG" | py 'import json,sys; c=json.load(sys.stdin); print(c["state"], c["rung"])'; }
replies_of() { "$FS" show "$1" --json 2>>"$LOG" | py 'import json,sys; print(sum(1 for m in json.load(sys.stdin)["messages"] if m["direction"]=="in"))'; }
# the attacker's own account submits FILE to the relay (envelope: theirs)
attack() {
	curl -s --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
		-u "$ATTACKER:$FSRELAY_TEST_PASSWORD" --mail-from "$ATTACKER" \
		--mail-rcpt "$FSRELAY_TEST_RELAY_ADDRESS" -T "$1"
}
quarantined() {	# quarantined REASON REF: id of the last such held mail
	"$FS" quarantine list --json 2>>"$LOG" | py 'import json,sys
q=[x for x in json.load(sys.stdin) if x["reason"]==sys.argv[1] and x.get("case")==sys.argv[2] and x["state"]=="held"]
print(q[-1]["id"] if q else "")' "$1" "$2"
}

export FSRELAY_NOW=2026-03-02T10:00:00Z
A=$(escalate)
serve1
wait_delivered "$CAF_MD" "$A"
subj=$(delivered "$CAF_MD" "$A" Subject)
is "case A awaits the CAF referent" "$(state_of "$A")" "awaiting 0"

# ---- 1. a forged reply: From the referent, tag only, another account ----
export FSRELAY_NOW=2026-03-02T11:00:00Z
mail "$CAF" "$FSRELAY_TEST_RELAY_ADDRESS" "RE: $subj" "" "Dossier traité, merci. Forgedwordalpha" \
	> "$T_DIR/forged.eml"
attack "$T_DIR/forged.eml"
wait_relay 1
serve1
is "the forged reply did not answer the case" "$(state_of "$A")" "awaiting 0"
is "nothing attached to the case" "$(replies_of "$A")" 0
Q1=$(quarantined unverified "$A")
ok "it waits in quarantine 'unverified', case named" test -n "$Q1"
has "security event written" "$(sqlite3 "$DB" "select action from events where action like 'security.%'")" \
	"security.unverified"

# ---- 2. a forged absence notice: the ladder must not move ----
bak_before=$(count "$BAK_MD")
mail "$CAF" "$FSRELAY_TEST_RELAY_ADDRESS" "Absent du bureau : $subj" "" \
	"Je suis absente du bureau jusqu'au 20 mars." "Auto-Submitted: auto-replied" > "$T_DIR/absence.eml"
attack "$T_DIR/absence.eml"
wait_relay 1
serve1
serve1
is "the forged absence did not move the case" "$(state_of "$A")" "awaiting 0"
sleep 0.5
is "nothing re-sent to the next rung" "$(count "$BAK_MD")" "$bak_before"
ok "the absence waits in quarantine too" test -n "$(quarantined unverified "$A")"

# ---- 3. a bounce from a foreign domain quoting the real Message-ID ----
mid=$(delivered "$CAF_MD" "$A" Message-ID)
python3 - "$mid" "$CAF" > "$T_DIR/dsn.eml" <<'PY'
import sys
mid, rcpt = sys.argv[1], sys.argv[2]
b = "forged-dsn-boundary"
print(f"""From: MAILER-DAEMON@mx.attaquant.example (Mail Delivery System)
To: relais@relay.fsrelay.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <dsn.forged@mx.attaquant.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.attaquant.example

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1

--{b}
Content-Type: text/rfc822-headers

From: relais@relay.fsrelay.test
To: {rcpt}
Message-ID: {mid}

--{b}--
""".replace("\n", "\r\n"), end="")
PY
attack "$T_DIR/dsn.eml"
wait_relay 1
serve1
serve1
is "the forged bounce did not fail the delivery" \
	"$(sqlite3 "$DB" "select state from deliveries where case_id=(select id from cases where ref='$A') and rung=0")" "sent"
is "the case did not move" "$(state_of "$A")" "awaiting 0"
is "still nothing re-sent" "$(count "$BAK_MD")" "$bak_before"
ok "the bounce waits in quarantine 'dsn-implausible'" test -n "$(quarantined dsn-implausible "$A")"
has "security event for the bounce" "$(sqlite3 "$DB" "select action from events where action like 'security.%'")" \
	"security.dsn-implausible"

# ---- 3b. a stolen Message-ID from an address the case was not sent to ----
# The key is genuine (read off a forwarded copy), the sender is another CAF
# address of the directory (the next rung): key and sender disagree.
BAK=djouara.bakouch@cafnanterre.cnafmail.fr
mail "$BAK" "$FSRELAY_TEST_RELAY_ADDRESS" "RE: $subj" "$mid" \
	"Je suis absent du bureau, dossier réglé de mon côté. Forgedwordbeta" \
	"Auto-Submitted: auto-replied" > "$T_DIR/stolen.eml"
attack "$T_DIR/stolen.eml"
wait_relay 1
serve1
serve1
is "a genuine key from a non-recipient did not move the case" "$(state_of "$A")" "awaiting 0"
is "nothing attached" "$(replies_of "$A")" 0
sleep 0.5
is "no rung skipped, nothing re-sent" "$(count "$BAK_MD")" "$bak_before"
ql=$("$FS" quarantine list --json 2>>"$LOG")
is "held as 'unverified', case A named (tag, absence, stolen key)" \
	"$(echo "$ql" | py 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["reason"]=="unverified" and x.get("case")==sys.argv[1] and x["state"]=="held"))' "$A")" 3

# ---- 4. the agent confirms the reply in one step ----
"$FS" quarantine assign "$Q1" "$A" >/dev/null 2>>"$LOG"
is "assign exits 0" "$?" 0
is "confirmed: the case is answered" "$(state_of "$A" | cut -d' ' -f1)" "answered"
is "the confirmed reply is on the case" "$(replies_of "$A")" 1
done_testing
