# attacker.sh - issue 16 point 7 on the real stack, written as a stranger
# who knows a case reference would attack, from an account of their own on
# the mail server (submission authenticated as themselves, a forged From:):
#   1. an age reply encrypted to the relay's identity (its public key is
#      public) carrying ESC sequences (window title, screen clear, OSC 52
#      clipboard write), a C1 CSI (U+009B) and a right-to-left override
#      (U+202E), the From: forged to the referent's, only the subject tag:
#      held `unverified`, the case does not move, nothing is re-sent; the
#      agent reads it through `quarantine show` and the web desk's
#      quarantine page: the decrypted text is there, no raw control
#      character anywhere (nor in `quarantine list --json`);
#   2. the same hostile age content in a genuine reply: `show`, `show
#      --json`, the web case page and the JSON API hold no raw control
#      character;
#   3. the attacks forgery.sh does not make: a forged Authentication-Results
#      with our authserv_id claiming DMARC pass (trust is off by default:
#      still `unverified`); a made-up reply-address token; a bounce from the
#      referent's own domain quoting the real Message-ID but naming another
#      failed recipient (`dsn-implausible`); the case's reference in the
#      body only: each time the case does not move and nothing is re-sent.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
W=$T_DIR/work
mkdir -p "$W"
MD=$FSRELAY_TEST_MAILDIRS
RELAY_MD=$MD/relay.fsrelay.test/relais/Maildir
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$MD/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
BAK_MD=$MD/cafnanterre.cnafmail.fr/djouara.bakouch/Maildir
ATTACKER=collegue@fs-fontenay.test
RELAY=$FSRELAY_TEST_RELAY_ADDRESS
DB=$T_DIR/data/fsrelay.db
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null

printf 'Situation de Mme Ornella Quibrante-Zed, dossier bloqué.\n' > "$W/desc.txt"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --partner caf --topic prestations-familiales \
		--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
		--mandat-signe-le 2026-01-15 --description-file "$W/desc.txt" 2>>"$LOG"
}
serve1() { "$FS" serve --once 2>>"$LOG"; }
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
py() { python3 -c "$1" "${@:2}"; }
state_of() { sqlite3 "$DB" "select state || ' ' || rung from cases where ref = '$1'"; }
ins_of() { sqlite3 "$DB" "select count(*) from messages m join cases c on c.id = m.case_id where c.ref = '$1' and m.direction = 'in'"; }
# the attacker's own account submits FILE to the relay
attack() {
	curl -s --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
		-u "$ATTACKER:$FSRELAY_TEST_PASSWORD" --mail-from "$ATTACKER" \
		--mail-rcpt "$RELAY" -T "$1"
}
# held REASON REF: the id of the last mail held for REASON naming REF
held() {
	"$FS" quarantine list --json 2>>"$LOG" | py 'import json,sys
q=[x for x in json.load(sys.stdin) if x["reason"]==sys.argv[1] and x.get("case")==sys.argv[2] and x["state"]=="held"]
print(q[-1]["id"] if q else "")' "$1" "$2"
}
# raw_controls: count of C0 (but LF, TAB, and CR for HTTP), DEL, C1, bidi controls in stdin
raw_controls() {
	python3 -c 'import re,sys
t = sys.stdin.buffer.read().decode("utf-8", "replace")
print(len(re.findall("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]", t)))'
}
# json_controls FILE: raw controls in the decoded string values of FILE
json_controls() {
	py 'import json,sys
d = json.load(open(sys.argv[1]))
def walk(v):
    if isinstance(v, dict): [walk(x) for x in v.values()]
    elif isinstance(v, list): [walk(x) for x in v]
    elif isinstance(v, str): sys.stdout.write(v.replace("\n", "").replace("\t", ""))
walk(d)' "$1" | raw_controls
}
# age_mail FROM TO SUBJECT IN_REPLY_TO AGEFILE: a mail with the age file
age_mail() {
	python3 - "$@" <<'PY'
import email.message, email.policy, email.utils, sys
a = sys.argv[1:]
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = a[0], a[1], a[2]
if a[3]:
    m["In-Reply-To"] = m["References"] = a[3]
m["Message-ID"] = email.utils.make_msgid(domain="attaquant.example")
m.set_content("Voir la pièce jointe chiffrée.")
m.add_attachment(open(a[4], "rb").read(), maintype="application",
                 subtype="octet-stream", filename="reponse.age")
sys.stdout.buffer.write(m.as_bytes())
PY
}

export FSRELAY_NOW=2026-03-02T10:00:00Z
A=$(escalate)
serve1
wait_delivered "$CAF_MD" "$A"
subj=$(delivered "$CAF_MD" "$A" Subject)
mid=$(delivered "$CAF_MD" "$A" Message-ID)
rt=$(delivered "$CAF_MD" "$A" Reply-To)
is "case A awaits the CAF referent" "$(state_of "$A")" "awaiting 0"
caf_before=$(count "$CAF_MD")
bak_before=$(count "$BAK_MD")

# ---- 1. a forged age reply with hostile content, tag only ----
export FSRELAY_NOW=2026-03-02T11:00:00Z
RECIP=$("$FS" keys show relay-identity 2>/dev/null | grep -o 'age1[0-9a-z]*' | head -n 1)
ok "the relay's age recipient is public (keys show)" test -n "$RECIP"
printf 'Attackword\033]0;PWNED-TITLE\007\033[2J\033]52;c;ZWNobyBwd25lZA==\007 fin \302\23331m rouge \342\200\256exe.fdp\n' \
	> "$W/inner.txt"
age -r "$RECIP" -o "$W/hostile.age" "$W/inner.txt"
age_mail "$CAF" "$RELAY" "RE: $subj" "" "$W/hostile.age" > "$W/forged-age.eml"
attack "$W/forged-age.eml"
wait_relay 1
serve1
is "the forged age reply did not answer the case" "$(state_of "$A")" "awaiting 0"
is "nothing attached to the case" "$(ins_of "$A")" 0
Q1=$(held unverified "$A")
ok "held as 'unverified', the case named" test -n "$Q1"
"$FS" quarantine show "$Q1" > "$W/q.txt" 2>>"$LOG"
is "quarantine show exits 0" "$?" 0
has "the age content is decrypted for the agent" "$(cat "$W/q.txt")" "Attackword"
is "quarantine show prints no raw control character" "$(raw_controls < "$W/q.txt")" 0
has "ESC shown as a control picture" "$(cat "$W/q.txt")" "␛]0;PWNED-TITLE␇"
has "C1 CSI shown" "$(cat "$W/q.txt")" "<U+009B>31m"
has "RLO shown" "$(cat "$W/q.txt")" "<U+202E>exe.fdp"
"$FS" quarantine list --json > "$W/ql.json" 2>>"$LOG"
is "quarantine list --json: no raw control character" "$(json_controls "$W/ql.json")" 0

# ---- 2. the same content in a genuine reply (the referent was fooled
# into forwarding it, or its account is the attacker's) ----
age_mail "$CAF" "$rt" "RE: $subj" "$mid" "$W/hostile.age" > "$W/genuine-age.eml"
smtp_send "$CAF" "$rt" "$W/genuine-age.eml"
wait_relay 1
serve1
is "the genuine reply answered the case" "$(state_of "$A")" "answered 0"
"$FS" show "$A" > "$W/show.txt" 2>>"$LOG"
has "show: the decrypted text" "$(cat "$W/show.txt")" "Attackword"
is "show prints no raw control character" "$(raw_controls < "$W/show.txt")" 0
"$FS" show "$A" --json > "$W/show.json" 2>>"$LOG"
is "show --json: no raw control character in any value" "$(json_controls "$W/show.json")" 0
is "show --json: nor in its bytes" "$(raw_controls < "$W/show.json")" 0

# ---- the web desk: the case page, the API, the quarantine page ----
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
ok "fsrelay web starts" web_start ""
J=$W/jar
is "agent1 logs in" "$(web_login "$J" agent1)" 303
web_curl "$J" -o "$W/case.html" "${WEB_URL}dossiers/$A"
has "case page: the decrypted text" "$(cat "$W/case.html")" "Attackword"
is "case page: no raw control character" "$(raw_controls < "$W/case.html")" 0
web_curl "$J" -o "$W/case.json" "${WEB_URL}api/v1/dossiers/$A"
has "API: the decrypted text" "$(cat "$W/case.json")" "Attackword"
is "API: no raw control character in any value" "$(json_controls "$W/case.json")" 0
web_curl "$J" -o "$W/q.html" "${WEB_URL}quarantaine/$Q1"
has "quarantine page: the decrypted text" "$(cat "$W/q.html")" "Attackword"
is "quarantine page: no raw control character" "$(raw_controls < "$W/q.html")" 0
web_stop

# ---- 3. what forgery.sh does not try ----
# 3a. a forged Authentication-Results with our own authserv_id
authserv=$(sed -n 's/^authserv_id *= *//p' "$FSRELAY_CONFIG")
ok "the instance trusts an authserv_id ($authserv)" test -n "$authserv"
B=$(escalate)
serve1
wait_delivered "$CAF_MD" "$B"
subjB=$(delivered "$CAF_MD" "$B" Subject)
midB=$(delivered "$CAF_MD" "$B" Message-ID)
caf_before=$(count "$CAF_MD")
bak_before=$(count "$BAK_MD")
mail "$CAF" "$RELAY" "RE: $subjB" "" "Dossier réglé. Forgedauthword" \
	"Authentication-Results: $authserv; dmarc=pass header.from=caf.cnafmail.fr; spf=pass smtp.mailfrom=caf.cnafmail.fr; dkim=pass header.d=caf.cnafmail.fr" \
	> "$W/ar.eml"
attack "$W/ar.eml"
wait_relay 1
serve1
is "a forged DMARC pass did not answer the case" "$(state_of "$B")" "awaiting 0"
ok "held as 'unverified'" test -n "$(held unverified "$B")"

# 3b. a made-up reply-address token on the relay's address
tok=$(printf '%s' "$rt" | sed -n 's/^[^+]*+\([^@]*\)@.*/\1/p')
ok "the reply address carries a token" test -n "$tok"
fake=$(py 'import sys; t=sys.argv[1]; print(t[:-4] + ("0000" if t[-4:] != "0000" else "1111"))' "$tok")
fakert=${rt%%+*}+$fake@${rt##*@}
mail "$CAF" "$fakert" "RE: $subjB" "" "Réponse au jeton inventé. Faketokword" > "$W/tok.eml"
curl -s --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
	-u "$ATTACKER:$FSRELAY_TEST_PASSWORD" --mail-from "$ATTACKER" \
	--mail-rcpt "$fakert" -T "$W/tok.eml"
wait_relay 1
serve1
is "a made-up token did not answer the case" "$(state_of "$B")" "awaiting 0"
is "nothing attached" "$(ins_of "$B")" 0

# 3c. a bounce from the referent's own domain, the real Message-ID, but
# another failed recipient than the one it was sent to
python3 - "$midB" > "$W/dsn.eml" <<'PY'
import sys
mid = sys.argv[1]
b = "other-rcpt-boundary"
print(f"""From: MAILER-DAEMON@caf.cnafmail.fr (Mail Delivery System)
To: relais@relay.fsrelay.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <dsn.other@caf.cnafmail.fr>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.caf.cnafmail.fr

Final-Recipient: rfc822; quelquun.dautre@caf.cnafmail.fr
Action: failed
Status: 5.1.1

--{b}
Content-Type: text/rfc822-headers

From: relais@relay.fsrelay.test
To: quelquun.dautre@caf.cnafmail.fr
Message-ID: {mid}

--{b}--
""".replace("\n", "\r\n"), end="")
PY
attack "$W/dsn.eml"
wait_relay 1
serve1
serve1
is "the bounce for another recipient did not fail the delivery" \
	"$(sqlite3 "$DB" "select state from deliveries where case_id=(select id from cases where ref='$B') and rung=0")" "sent"
is "the case did not move" "$(state_of "$B")" "awaiting 0"
ok "held as 'dsn-implausible'" test -n "$(held dsn-implausible "$B")"
has "a security event for the other recipient" \
	"$(sqlite3 "$DB" "select action from events where action like 'security.%'")" \
	"security.dsn-recipient-mismatch"
is "and a suspected breach for the DPO (our mail may have gone elsewhere)" \
	"$(sqlite3 "$DB" "select count(distinct breach_id) from breach_versions where source = 'dsn-recipient'")" 1

# 3d. the reference in the body only, From the referent
mail "$CAF" "$RELAY" "Votre demande" "" "Concernant le dossier $B : réglé. Bodyrefword" > "$W/body.eml"
attack "$W/body.eml"
wait_relay 1
serve1
is "a reference in the body only did not answer the case" "$(state_of "$B")" "awaiting 0"
is "still nothing attached to B" "$(ins_of "$B")" 0
sleep 0.5
is "nothing re-sent to the referent" "$(count "$CAF_MD")" "$caf_before"
is "nothing sent to the next rung" "$(count "$BAK_MD")" "$bak_before"
is "no mail of the attacker's left in the relay's mailbox" \
	"$(find "$RELAY_MD/new" "$RELAY_MD/cur" -type f | wc -l)" 0
hasnt "no sanitizer report (make check)" "$(cat "$LOG" "$T_DIR/web.err" 2>/dev/null)" "Sanitizer"
done_testing
