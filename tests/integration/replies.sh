# replies.sh - issue 4 on the real stack: a referent answers by SMTP to the
# case's Reply-To address; one `serve --once` later the reply is on the right
# case, sealed at rest, gone from the mailbox, the agent told; a second pass
# adds nothing; kill -9 during ingest loses and doubles nothing; a stranger
# goes to quarantine; an out-of-office moves the case to the next rung; a
# Postfix-style DSN too; send, reroute, close and quarantine assign/reject.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
MD=$FSRELAY_TEST_MAILDIRS
RELAY_MD=$MD/relay.fsrelay.test/relais/Maildir
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$MD/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
BAK=djouara.bakouch@cafnanterre.cnafmail.fr
BAK_MD=$MD/cafnanterre.cnafmail.fr/djouara.bakouch/Maildir
AGENT_MD=$MD/fs-fontenay.test/agent1/Maildir
DB=$T_DIR/data/fsrelay.db
[ -f "$DB" ] || DB=$(find "$T_DIR/data" -maxdepth 1 -name '*.db' | head -n 1)

# The relay's mailbox is shared by every instance of the stack: start empty.
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null

printf 'Situation de Mme Ornella Quibrante-Zed, dossier bloqué.\n' > "$T_DIR/desc.txt"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --partner caf --topic prestations-familiales \
		--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
		--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" 2>>"$LOG"
}
serve1() { "$FS" serve --once 2>>"$LOG"; }
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
# reply REF FROM BODY [EXTRA]: the CAF referent answers the delivered mail of REF
reply() { reply_in "$CAF_MD" "$@"; }
wait_count() {	# wait_count MAILDIR N: until MAILDIR holds N mails
	local i
	for i in $(seq 1 100); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
json() { "$FS" show "$1" --json 2>>"$LOG"; }
py() { python3 -c "$1" "${@:2}"; }
msgs_of_kind() { json "$1" | py 'import json,sys; print(sum(1 for m in json.load(sys.stdin)["messages"] if m["kind"]==sys.argv[1]))' "$2"; }
state_of() { json "$1" | py 'import json,sys; c=json.load(sys.stdin); print(c["state"], c["rung"])'; }

export FSRELAY_NOW=2026-03-02T10:00:00Z
A=$(escalate)
serve1
wait_delivered "$CAF_MD" "$A"
ok "case A delivered to the CAF mailbox" test -n "$(delivered "$CAF_MD" "$A" Message-ID)"
has "Reply-To carries a token" "$(delivered "$CAF_MD" "$A" Reply-To)" "relais+"

# ---- 1. a reply, attached exactly once, sealed, gone from the mailbox ----
export FSRELAY_NOW=2026-03-02T11:00:00Z
agent_before=$(count "$AGENT_MD")
reply "$A" "$CAF" "Bonjour, le dossier est débloqué : mot Xylophonequetzal.

Le 2 mars 2026 à 10:00, relais@relay.fsrelay.test a écrit :
> Situation de Mme Ornella
> ancienne ligne citée Zanzibarquote"
ok "the reply reached the relay's mailbox" wait_relay 1
serve1
is "one reply on case A" "$(msgs_of_kind "$A" reply)" 1
text=$(json "$A" | py 'import json,sys; print([m for m in json.load(sys.stdin)["messages"] if m["kind"]=="reply"][0]["text"])')
has "reply text decrypted" "$text" "Xylophonequetzal"
hasnt "quoted history folded" "$text" "Zanzibarquote"
has "a fold mark instead" "$text" "historique"
is "case A answered" "$(state_of "$A")" "answered 0"
is "relay mailbox empty (maildir)" "$(count "$RELAY_MD")" 0
left=$(curl -s --cacert "$FSRELAY_TEST_CA" -u "$FSRELAY_TEST_RELAY_ADDRESS:$FSRELAY_TEST_PASSWORD" \
	"$FSRELAY_TEST_IMAP_URL/INBOX" -X 'UID SEARCH ALL')
is "relay mailbox empty (IMAP SEARCH)" "$(echo "$left" | tr -d '\r' | sed 's/^\* SEARCH *//')" ""
ok "no distinctive word of the reply in the database" \
	sh -c '! cat "$0"* | grep -qa Xylophonequetzal' "$DB"
has "cases lists it as answered" "$("$FS" cases 2>>"$LOG")" "répondu"
serve1
is "a second pass adds nothing" "$(msgs_of_kind "$A" reply)" 1
for i in $(seq 1 50); do [ "$(count "$AGENT_MD")" -gt "$agent_before" ] && break; sleep 0.05; done
is "the agent got one notice" "$(( $(count "$AGENT_MD") - agent_before ))" 1
notice=$(cat $(find "$AGENT_MD/new" "$AGENT_MD/cur" -type f -newer "$T_DIR/reply.eml"))
has "the notice names the case" "$notice" "$A"
hasnt "the notice carries no reply text" "$notice" "Xylophonequetzal"

# ---- 2. token only in Delivered-To (no In-Reply-To, no tag, To without it) ----
B=$(escalate)
serve1
wait_delivered "$CAF_MD" "$B"
rt=$(delivered "$CAF_MD" "$B" Reply-To)
mail "$CAF" "$FSRELAY_TEST_RELAY_ADDRESS" "Votre demande" "" "Réponse par le jeton seul Tokenonlyword." \
	> "$T_DIR/tok.eml"
smtp_send "$CAF" "$rt" "$T_DIR/tok.eml"
wait_relay 1
serve1
is "matched by the Delivered-To token" "$(msgs_of_kind "$B" reply)" 1

# ---- 2b. a reply that is an age file for the relay: decrypted ----
printf 'Réponse chiffrée pour le relais : Agesecretword.\n' > "$T_DIR/secret.txt"
age -r "$("$FS" keys show relay-identity 2>/dev/null | grep -o 'age1[0-9a-z]*' | head -n 1)" \
	-o "$T_DIR/reponse.age" "$T_DIR/secret.txt"
ok "age file made for the relay's identity" test -s "$T_DIR/reponse.age"
python3 - "$CAF" "$rt" "$T_DIR/reponse.age" > "$T_DIR/age.eml" <<'PY'
import email.message, email.policy, sys
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = sys.argv[1], sys.argv[2], "Réponse chiffrée"
m["Message-ID"] = "<age.reply@caf.test>"
m.set_content("Voir la pièce jointe chiffrée.")
m.add_attachment(open(sys.argv[3], "rb").read(), maintype="application",
                 subtype="octet-stream", filename="reponse.age")
sys.stdout.buffer.write(m.as_bytes())
PY
smtp_send "$CAF" "$rt" "$T_DIR/age.eml"
wait_relay 1
serve1
text=$(json "$B" | py 'import json,sys; r=[m for m in json.load(sys.stdin)["messages"] if m["kind"]=="reply"]; print(r[-1]["text"] if r else "")')
has "the age reply is decrypted into the thread" "$text" "Agesecretword"

# ---- 2c. the daemon keeps its IMAPS connections across its passes ----
# (issue 15: one login per connection, not one per pass: one connection
# that fetches, one that waits in IDLE; a reply arriving while it runs is
# announced by IDLE and fetched on the kept connection)
logins() { grep -c 'Login: user=<relais@relay.fsrelay.test>' "$FSRELAY_TEST_LOGS/dovecot.log"; }
l0=$(logins)
"$FS" serve 2>"$T_DIR/daemon.log" &
pid=$!
for i in $(seq 1 100); do grep -q 'connexion IMAPS n° 1' "$T_DIR/daemon.log" && break; sleep 0.05; done
sleep 1.5
n0=$(msgs_of_kind "$B" reply)
reply "$B" "$CAF" "Une autre réponse Keptconnword."
for i in $(seq 1 200); do [ "$(msgs_of_kind "$B" reply)" -gt "$n0" ] && break; sleep 0.05; done
is "a reply seen by the running daemon" "$(msgs_of_kind "$B" reply)" $((n0 + 1))
sleep 1.5
kill -TERM $pid; wait $pid
is "serve exits 0 on SIGTERM" "$?" 0
is "two IMAPS logins over several passes (fetch, IDLE)" "$(( $(logins) - l0 ))" 2
is "one fetch connection in the daemon's log" "$(grep -c 'connexion IMAPS n°' "$T_DIR/daemon.log")" 1
is "one IDLE connection" "$(grep -c 'IDLE sur une connexion IMAPS dédiée' "$T_DIR/daemon.log")" 1
hasnt "no IDLE error" "$(cat "$T_DIR/daemon.log")" "IMAP IDLE"
cat "$T_DIR/daemon.log" >> "$LOG"

# ---- 3. a stranger quoting the tag: quarantine, security events ----
subj=$(delivered "$CAF_MD" "$A" Subject)
mail "inconnu@example.org" "$FSRELAY_TEST_RELAY_ADDRESS" "Re: $subj" "" "Je connais ce dossier Strangerword." \
	> "$T_DIR/stranger.eml"
smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_TEST_RELAY_ADDRESS" "$T_DIR/stranger.eml"
wait_relay 1
serve1
ql=$("$FS" quarantine list --json 2>>"$LOG")
QID=$(echo "$ql" | py 'import json,sys; q=[x for x in json.load(sys.stdin) if x["reason"]=="stranger"]; print(q[-1]["id"] if q else "")')
ok "stranger quarantined" test -n "$QID"
has "with its decrypted sender" "$ql" "inconnu@example.org"
has "and subject" "$ql" "$A"
is "case A untouched" "$(msgs_of_kind "$A" reply)" 1
ev=$(sqlite3 "$DB" "select action from events where action like 'security.%'" 2>/dev/null)
has "security.stranger event" "$ev" "security.stranger"
has "suspected breach event (it carries our tag)" "$ev" "security.suspected-breach"
ok "no stranger text in clear in the db" sh -c '! cat "$0"* | grep -qa Strangerword' "$DB"
has "quarantine show decrypts it" "$("$FS" quarantine show "$QID" 2>>"$LOG")" "Strangerword"

# ---- 4. out-of-office with absence: next rung (Bakouch) at once ----
C=$(escalate)
serve1
bak_before=$(count "$BAK_MD")
reply "$C" "$CAF" "Je suis absente du bureau jusqu'au 20 mars. Je n'ai pas accès à ma messagerie." \
	"Auto-Submitted: auto-replied"
wait_relay 1
serve1
is "auto-reply recorded" "$(msgs_of_kind "$C" auto-reply)" 1
is "case C moved to rung 1" "$(state_of "$C")" "awaiting 1"
for i in $(seq 1 50); do [ "$(count "$BAK_MD")" -gt "$bak_before" ] && break; sleep 0.05; done
ok "Bakouch's mailbox got case C" test -n "$(delivered "$BAK_MD" "$C" Message-ID)"
# issue 11 point 5: the thread shows the new delivery and why, the agent
# is told, the next rung's note says why it receives the case
has "the thread shows the move and why" "$("$FS" show "$C" 2>>"$LOG")" \
	"Dossier transmis au niveau 2 de l'échelle : le référent du niveau précédent a répondu qu'il est absent"
is "the escalation message goes to the new rung" \
	"$(json "$C" | py 'import json,sys; print([m["to"] for m in json.load(sys.stdin)["messages"] if m["kind"]=="escalation"])')" \
	"[['$BAK']]"
is "the agent is told (reference only)" \
	"$(sqlite3 "$DB" "select count(*) from notices where case_ref='$C' and kind='rerouted' and subject like '%niveau suivant'")" 1
note=$(python3 - "$BAK_MD" "$C" <<'PY'
import email, email.policy, glob, os, sys
md, ref = sys.argv[1:3]
for f in sorted(glob.glob(md + "/new/*") + glob.glob(md + "/cur/*"), key=os.path.getmtime, reverse=True):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    if (m.get("Message-ID") or "").startswith("<" + ref + "."):
        print(m.get_body(("plain",)).get_content())
        break
PY
)
has "the next rung's note says why it receives the case" "$note" "Vous recevez ce dossier au niveau 2 de l'échelle"

# ---- 5. a Postfix DSN for rung 0: next rung, agent told ----
D=$(escalate)
serve1
wait_delivered "$CAF_MD" "$D"
mid=$(delivered "$CAF_MD" "$D" Message-ID)
python3 - "$mid" "$CAF" > "$T_DIR/dsn.eml" <<'PY'
import sys
mid, rcpt = sys.argv[1], sys.argv[2]
b = "fsrelay-dsn-boundary"
print(f"""From: MAILER-DAEMON@caf.cnafmail.fr (Mail Delivery System)
To: relais@relay.fsrelay.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <dsn.{abs(hash(mid))}@caf.cnafmail.fr>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.caf.cnafmail.fr.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{rcpt}>: host mx said: 550 5.1.1 User unknown

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.caf.cnafmail.fr

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--{b}
Content-Type: text/rfc822-headers

From: relais@relay.fsrelay.test
To: {rcpt}
Subject: [case]
Message-ID: {mid}

--{b}--
""".replace("\n", "\r\n"), end="")
PY
smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_TEST_RELAY_ADDRESS" "$T_DIR/dsn.eml"
wait_relay 1
serve1
is "bounce recorded" "$(msgs_of_kind "$D" bounce)" 1
is "case D moved to rung 1" "$(state_of "$D")" "awaiting 1"
wait_delivered "$BAK_MD" "$D"
ok "Bakouch's mailbox got case D" test -n "$(delivered "$BAK_MD" "$D" Message-ID)"
n=$(sqlite3 "$DB" "select count(*) from notices where case_ref='$D' and kind='bounce'" 2>/dev/null)
is "the agent is told of the bounce" "$n" 1
# the same bounce repeated by the server (three more, other Message-IDs):
# recorded, but still one notice for that delivery (issue 16, point 5)
for k in 1 2 3; do
	sed "s/^Message-ID: <dsn\./Message-ID: <dsn.copy$k./" "$T_DIR/dsn.eml" > "$T_DIR/dsn$k.eml"
	smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_TEST_RELAY_ADDRESS" "$T_DIR/dsn$k.eml"
done
wait_relay 3
serve1
is "the repeated bounces are recorded" "$(msgs_of_kind "$D" bounce)" 4
is "still one notice for that delivery" \
	"$(sqlite3 "$DB" "select count(*) from notices where case_ref='$D' and kind='bounce'")" 1

# ---- 6. kill -9 during ingest: exactly one copy of each reply ----
E=$(escalate)
serve1
N=60
for i in $(seq 1 $N); do
	reply "$E" "$CAF" "Réponse numéro $i pour le test de reprise."
done
ok "$N replies waiting" wait_relay $N
"$FS" serve 2>"$T_DIR/kill.log" &
pid=$!
# kill once some replies are committed (ingest commits them 20 at a time)
EID=$(sqlite3 "$DB" "select id from cases where ref = '$E'")
for _ in $(seq 1 1000); do
	[ "$(sqlite3 -cmd '.timeout 1000' "$DB" "select count(*) from messages where case_id = $EID and kind = 'reply'" 2>/dev/null || echo 0)" -ge 1 ] && break
	sleep 0.01
done
kill -9 $pid; wait $pid 2>/dev/null
mid=$(msgs_of_kind "$E" reply)
echo "kill -9 after $mid of $N replies ingested"
ok "killed in the middle ($mid of $N ingested)" test "$mid" -lt "$N"
serve1
is "after restart: exactly $N replies" "$(msgs_of_kind "$E" reply)" "$N"
distinct=$(json "$E" | py 'import json,sys; print(len({m["text"] for m in json.load(sys.stdin)["messages"] if m["kind"]=="reply"}))')
is "each one once" "$distinct" "$N"
is "relay mailbox empty after restart" "$(count "$RELAY_MD")" 0

# ---- 7. send, reroute, close; quarantine assign and reject ----
printf 'Voici le justificatif demandé Followupword.\n' > "$T_DIR/suite.txt"
printf 'pièce %s\n' "$RANDOM" > "$T_DIR/justificatif.pdf"
caf_before=$(count "$CAF_MD")
ok "send a follow-up on case A" "$FS" send "$A" --description-file "$T_DIR/suite.txt" \
	--piece "$T_DIR/justificatif.pdf" 2>>"$LOG"
is "follow-up in the thread" "$(msgs_of_kind "$A" follow-up)" 1
serve1
wait_count "$CAF_MD" $((caf_before + 1))
is "follow-up delivered to the current rung" "$(( $(count "$CAF_MD") - caf_before ))" 1
is "case A awaits its answer again" "$(state_of "$A")" "awaiting 0"
"$FS" send "$A" 2>/dev/null; is "send without --description-file: usage" "$?" 2
"$FS" send "$A" --description-file /nonexistent 2>/dev/null; is "send with a missing file refused" "$?" 1
printf 'Son NIR est le 2 69 02 99 341 732 85.\n' > "$T_DIR/nir.txt"
err=$("$FS" send "$A" --description-file "$T_DIR/nir.txt" 2>&1)
is "a follow-up with a NIR to the CAF refused" "$?" 1
has "saying why" "$err" "texte : contient un numéro de sécurité sociale (NIR)"
hasnt "without quoting the number" "$err" "341 732"
is "nothing added to the thread" "$(msgs_of_kind "$A" follow-up)" 1
err=$("$FS" send FS-00000-2026-000999 --description-file "$T_DIR/suite.txt" 2>&1)
is "send to an unknown case refused" "$?" 1
has "saying so" "$err" "dossier inconnu"

ok "reroute case A" "$FS" reroute "$A" --motif "pas pour moi" 2>>"$LOG"
is "case A on rung 1" "$(state_of "$A" | cut -d' ' -f2)" 1
err=$("$FS" reroute "$A" 2>&1); "$FS" reroute "$A" >/dev/null 2>&1
ok "rerouting past the last rung is refused" test $? = 1 -o -n "$err"
err=$("$FS" reroute pas-une-ref 2>&1)
is "reroute with a bad reference refused" "$?" 1
has "saying so" "$err" "référence invalide"

"$FS" close "$B" 2>/dev/null; is "close without --resolution: usage" "$?" 2
ok "close case B" "$FS" close "$B" --resolution "réglé" 2>>"$LOG"
is "case B resolved" "$(state_of "$B" | cut -d' ' -f1)" resolved
err=$("$FS" close "$B" --resolution "encore" 2>&1)
is "closing twice refused" "$?" 1
reply "$B" "$CAF" "Encore une réponse Lateword."
wait_relay 1
serve1
ql=$("$FS" quarantine list --json 2>>"$LOG")
LATE=$(echo "$ql" | py 'import json,sys; q=[x for x in json.load(sys.stdin) if x["reason"]=="case-closed"]; print(q[-1]["id"] if q else "")')
ok "a reply to a closed case goes to quarantine (case-closed)" test -n "$LATE"

ok "quarantine assign to case C" "$FS" quarantine assign "$LATE" "$C" 2>>"$LOG"
flag=$(json "$C" | py 'import json,sys; r=[m for m in json.load(sys.stdin)["messages"] if m["kind"]=="reply"]; print(len(r), r[-1]["flagged"] if r else "")')
is "attached as a flagged reply" "$flag" "1 True"
"$FS" quarantine assign "$LATE" "$C" 2>/dev/null; is "assigning twice refused" "$?" 1
"$FS" quarantine assign 99999 "$C" 2>/dev/null; is "unknown quarantine id refused" "$?" 1
"$FS" quarantine assign "$QID" FS-00000-2026-000999 2>/dev/null; is "unknown case refused" "$?" 1
"$FS" quarantine show abc 2>/dev/null; is "non-integer id refused" "$?" 1
"$FS" quarantine 2>/dev/null; is "quarantine without subcommand: usage" "$?" 2

ok "quarantine reject" "$FS" quarantine reject "$QID" 2>>"$LOG"
"$FS" quarantine show "$QID" >/dev/null 2>&1; is "rejected content is gone" "$?" 1
row=$("$FS" quarantine list --json 2>>"$LOG" | py 'import json,sys; q=[x for x in json.load(sys.stdin) if x["id"]==int(sys.argv[1])][0]; print(q["reason"], q["state"], q["from"], q["received_at"] is not None)' "$QID")
is "its reason and time are kept, nothing else" "$row" "stranger rejected None True"
"$FS" quarantine reject "$QID" 2>/dev/null; is "rejecting twice refused" "$?" 1

# A mail assigned by hand goes with its case when the case is destroyed.
ok "cancel case C" "$FS" cancel "$C" --motif "test" 2>>"$LOG"
is "the assigned mail's sealed headers are gone" \
	"$(sqlite3 "$T_DIR/data/fsrelay.db" "select count(*) from quarantine where id=$LATE and meta is not null")" 0
is "and its raw copy" \
	"$(sqlite3 "$T_DIR/data/fsrelay.db" "select count(*) from inbox_raw r join quarantine q on q.raw_id=r.id where q.id=$LATE and (r.key is not null or r.content is not null)")" 0
"$FS" quarantine list --json >/dev/null 2>>"$LOG"
is "the quarantine list still works" "$?" 0

# ---- 8. show --extraire writes the attachments ----
ok "show --extraire" "$FS" show "$A" --extraire "$T_DIR/out" >/dev/null 2>>"$LOG"
showtext=$("$FS" show "$A" 2>>"$LOG")
has "show labels the sent case in French" "$showtext" "--- dossier envoyé le "
has "show labels the reply in French" "$showtext" "--- réponse reçue le "
hasnt "show does not print the stored kind" "$showtext" "reply entrant"
ok "the follow-up's piece extracted byte for byte" cmp -s "$T_DIR/justificatif.pdf" "$T_DIR/out/justificatif.pdf"

logtext=$(cat "$LOG" "$T_DIR/kill.log")
for secret in Quibrante Ornella Xylophonequetzal Strangerword inconnu@example.org; do
	hasnt "stderr has no personal data ($secret)" "$logtext" "$secret"
done
hasnt "no sanitizer report (make check)" "$logtext" "Sanitizer"
hasnt "no UBSan report (make check)" "$logtext" "runtime error"
done_testing
