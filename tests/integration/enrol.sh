# enrol.sh - issue 11 point 1, a referent's enrolment end to end on the
# real stack: `referents invite` queues a French invitation (no reference,
# no personal data) that `serve` sends with the opener page in « créer ma
# clé » mode; Playwright creates the key in that page from file:// in
# Debian's chromium (tests/opener/enrol.mjs), the real `age` reads the key
# file; the reply the page prepared, sent by SMTP, is ingested as a
# proposed key (a forged one from another address is refused); `referents
# list` shows its fingerprint as the page does; a case escalated before the
# phone check is still sealed to the old key; after `referents key …
# --verified-by` the old key is retired and the next case opens in the
# page with the new key only.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
DB=$T_DIR/data/fsrelay.db
KACZ=delphine.kaczmar@dgfip.finances.gouv.fr
OLDKEY=$T_DIR/referents/$KACZ.key
KDIR=$FSRELAY_TEST_MAILDIRS/dgfip.finances.gouv.fr/delphine.kaczmar/Maildir
SHOTS=${FSRELAY_ENROL_SHOTS:-$T_DIR/shots}
mkdir -p "$SHOTS"
RELAY_MD=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
export FSRELAY_NOW=2026-03-02T09:00:00Z

# ---- the invitation ----
fails "an address outside the directory is not invited" "$FS" referents invite inconnu@exemple.fr
out=$("$FS" referents invite "Delphine.Kaczmar@dgfip.finances.gouv.fr" 2>>"$LOG")
has "referents invite" "$out" "invitation de $KACZ enregistrée"
TOKEN=$(sqlite3 "$DB" "select token from invitations where email_lc = '$KACZ' and state = 'sent'")
ok "the invitation has its token" test "${#TOKEN}" = 24
has "referents list: the invitation is waiting" "$("$FS" referents list --partner dgfip 2>>"$LOG")" \
	"inscription : invitation envoyée, en attente de la clé"
"$FS" serve --once 2>>"$LOG"
is "the invitation was sent" "$(sqlite3 "$DB" "select state from notices where kind = 'invitation'")" sent
# The mailbox is shared by the instances of the run: this invitation is the
# one whose page carries this token.
python3 - "$KDIR" "$TOKEN" "$T_DIR" > "$T_DIR/invitation.txt" <<'PY'
import email, email.policy, glob, os, sys
md, token, out = sys.argv[1:4]
for f in sorted(glob.glob(md + "/new/*") + glob.glob(md + "/cur/*"), key=os.path.getmtime, reverse=True):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    pages = [p for p in m.walk() if p.get_filename() == "ouvrir-le-dossier.html"]
    if pages and token.encode() in pages[0].get_payload(decode=True):
        open(out + "/invitation.html", "wb").write(pages[0].get_payload(decode=True))
        body = m.get_body(("plain",)).get_content()
        print("SUBJECT:", m["Subject"])
        print("TYPE:", pages[0].get_content_type(), pages[0].get_content_charset())
        print("ATTACHMENTS:", len([p for p in m.walk() if p.get_filename()]))
        print(body)
        break
PY
inv=$(cat "$T_DIR/invitation.txt")
has "the invitation reached the referent" "$inv" "SUBJECT: Relais"
has "its subject says what to do" "$inv" "créez votre clé pour recevoir les dossiers chiffrés"
has "the page is attached as HTML in UTF-8" "$inv" "TYPE: text/html utf-8"
has "one attachment, the page" "$inv" "ATTACHMENTS: 1"
has "the French explanation: the steps" "$inv" "Cliquez sur « Créer ma clé »"
has "the French explanation: the phone check" "$inv" "vous appellera pour vérifier l'empreinte"
has "the French explanation: no personal data" "$inv" "Ce message ne contient aucune donnée personnelle."
hasnt "no case reference in the invitation" "$inv" "FS-"
hasnt "no link in the invitation" "$inv" "http"
page=$(cat "$T_DIR/invitation.html")
has "the page is in « créer ma clé » mode" "$page" "\"mode\":\"enrol\",\"invitation\":\"$TOKEN\""

# ---- the key, created in the page ----
node "$TOP/tests/opener/enrol.mjs" create "$T_DIR/invitation.html" "$SHOTS" > "$T_DIR/create.out" 2>>"$LOG"
ok "the browser run printed its checks" test -s "$T_DIR/create.out"
RCPT= PHONE=
while IFS= read -r line; do
	case $line in
	'{"ok":true'*) _t_pass;;
	'{"ok":false'*) _t_fail "navigateur : $line";;
	'{"recipient"'*)
		echo "enrol: $line" >&2
		echo "$line" > "$T_DIR/measure.json"
		RCPT=$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["recipient"])')
		PHONE=$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["phone"])');;
	esac
done < "$T_DIR/create.out"
[ -n "${FSRELAY_ENROL_SHOTS:-}" ] && cp "$T_DIR/measure.json" "$SHOTS/"
NEWKEY=$T_DIR/new.key
cp "$SHOTS/ma-cle-fsrelay.key" "$NEWKEY" && chmod 600 "$NEWKEY"
is "the real age reads the key file the page saved" "$(age-keygen -y "$NEWKEY" 2>>"$LOG")" "$RCPT"
hasnt "the reply mail carries no secret key" "$(python3 -c 'import email,sys; m=email.message_from_bytes(open(sys.argv[1],"rb").read()); print(m.get_payload(decode=True).decode())' "$SHOTS/inscription.eml")" "SECRET"

# ---- a forged enrolment, then the referent's reply ----
FORGER=$(find "$T_DIR/referents" -name '*.key' ! -name "$KACZ.key" -printf '%f\n' | head -n 1)
FORGER=${FORGER%.key}
mail "$FORGER" "$FSRELAY_TEST_RELAY_ADDRESS" "Inscription au relais [$TOKEN]" "" \
	"Clé publique : $(age-keygen 2>/dev/null | age-keygen -y)" > "$T_DIR/forged.eml"
smtp_send "$FORGER" "$FSRELAY_TEST_RELAY_ADDRESS" "$T_DIR/forged.eml"
{ printf 'From: %s\r\nDate: Mon, 2 Mar 2026 09:30:00 +0000\r\nMessage-ID: <enrol.%s@dgfip.test>\r\n' "$KACZ" "$TOKEN"
  grep -v '^X-Unsent:' "$SHOTS/inscription.eml"; } > "$T_DIR/send.eml"
smtp_send "$KACZ" "$FSRELAY_TEST_RELAY_ADDRESS" "$T_DIR/send.eml"
ok "both mails reached the relay" wait_relay 2
export FSRELAY_NOW=2026-03-02T09:45:00Z
"$FS" serve --once 2>>"$LOG"
is "the forged one is refused for its sender" \
	"$(sqlite3 "$DB" "select count(*) from events where action = 'key.enrolment-refused' and outcome = 'l''expéditeur n''est pas l''adresse invitée'")" 1
is "… and the audit log does not keep the stranger's address" \
	"$(sqlite3 "$DB" "select count(*) from events where outcome like '%$FORGER%'")" 0
is "and kept in quarantine" "$(sqlite3 "$DB" "select count(*) from quarantine")" 1
is "the referent's reply is a proposed key" \
	"$(sqlite3 "$DB" "select state || ' ' || recipient from invitations where token = '$TOKEN'")" "received $RCPT"
json=$("$FS" referents list --partner dgfip --json 2>>"$LOG")
enr=$(printf '%s' "$json" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["email"] and e["email"].lower() == sys.argv[1] and e["enrolment"]:
        x = e["enrolment"]; print(x["state"], x["recipient"], x["phone_fingerprint"], x["fingerprint"][:7], x["received_at"]); break
' "$KACZ")
is "referents list --json: the proposed key and the fingerprint the page showed" "$enr" \
	"received $RCPT $PHONE SHA256: 2026-03-02T09:45:00Z"
txt=$("$FS" referents list --partner dgfip 2>>"$LOG")
has "referents list: the fingerprint to read out" "$txt" "empreinte à lire au téléphone : $PHONE"
has "referents list: the command that pins it" "$txt" "fsrelay referents key $KACZ $RCPT --verified-by NOM"

# the web desk's directory page shows the same, to the administrator
ok "fsrelay web starts" web_start 2026-03-02T09:50:00Z
JAR=$T_DIR/jar
is "admin logs in" "$(web_login "$JAR" "$FSRELAY_TEST_ADMIN")" 303
ann=$(web_curl "$JAR" "${WEB_URL}annuaire")
has "/annuaire: the enrolment under way" "$ann" "clé reçue, à vérifier par téléphone"
has "/annuaire: the fingerprint to read out" "$ann" "Empreinte à lire au téléphone : <strong class=\"phone\">$PHONE</strong>"
has "/annuaire: the key received, to pin" "$ann" "<code>$RCPT</code>"
web_stop

# ---- a key learnt from mail alone is never used ----
printf 'Mme Albertine Quenouille attend.\nLigne deux, mot Ambregrise.\n' > "$T_DIR/desc.txt"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
		--agent agent1 --nom Quenouille --prenom Albertine --ne-le 1960-01-02 \
		--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" 2>>"$LOG"
}
# the .age of the last mail of REF in KDIR into FILE, the page beside it into PAGE
fetch_age() {
	wait_delivered "$KDIR" "$1"
	python3 - "$KDIR" "$1" "$2" "$3" <<'PY'
import email, glob, os, sys
md, ref, out, page = sys.argv[1:5]
for f in sorted(glob.glob(md + "/new/*") + glob.glob(md + "/cur/*"), key=os.path.getmtime, reverse=True):
    m = email.message_from_bytes(open(f, "rb").read())
    if (m.get("Message-ID") or "").startswith("<" + ref + "."):
        for p in m.walk():
            n = p.get_filename() or ""
            if n.endswith(".age"):
                open(out, "wb").write(p.get_payload(decode=True))
            if n.endswith(".html"):
                open(page, "wb").write(p.get_payload(decode=True))
        break
PY
}
REF1=$(escalate)
ok "escalate before the phone check" test -n "$REF1"
"$FS" serve --once 2>>"$LOG"
fetch_age "$REF1" "$T_DIR/c1.age" "$T_DIR/c1.html"
ok "the case opens with the old, pinned key" sh -c 'age -d -i "$0" "$1" >/dev/null 2>&1' "$OLDKEY" "$T_DIR/c1.age"
fails "not with the key learnt from mail" sh -c 'age -d -i "$0" "$1" >/dev/null 2>&1' "$NEWKEY" "$T_DIR/c1.age"

# ---- pinned after the phone check; the old key retired ----
out=$("$FS" referents key "$KACZ" "$RCPT" --verified-by "Claire Admin (appel du 2 mars)" 2>>"$LOG")
has "referents key pins the enrolled key" "$out" "$KACZ SHA256:"
is "the enrolment is closed as pinned" "$(sqlite3 "$DB" "select state from invitations where token = '$TOKEN'")" pinned
is "the old key is retired (event with its fingerprint)" \
	"$(sqlite3 "$DB" "select count(*) from events where action = 'key.retired'")" 1
is "the check is recorded" "$(sqlite3 "$DB" "select count(*) from events where action = 'key.enrolment-verified'")" 1
hasnt "referents list: nothing left to check" "$("$FS" referents list --partner dgfip 2>>"$LOG")" "empreinte à lire"

export FSRELAY_NOW=2026-03-02T10:30:00Z
REF2=$(escalate)
ok "escalate after the pin" test -n "$REF2"
"$FS" serve --once 2>>"$LOG"
fetch_age "$REF2" "$T_DIR/c2.age" "$T_DIR/c2.html"
ok "the next case opens with the new key" sh -c 'age -d -i "$0" "$1" >/dev/null 2>&1' "$NEWKEY" "$T_DIR/c2.age"
fails "no longer with the retired one" sh -c 'age -d -i "$0" "$1" >/dev/null 2>&1' "$OLDKEY" "$T_DIR/c2.age"
# issue 11 point 5: the decrypted case read by Python's email module, as a
# mail program would: personne.txt declares UTF-8 and reads as written.
pers=$(age -d -i "$NEWKEY" "$T_DIR/c2.age" 2>>"$LOG" | python3 -c '
import email, email.policy, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
for p in m.walk():
    if p.get_filename() == "personne.txt":
        print(p.get_content_charset(), p.get_content())')
has "personne.txt says charset=utf-8 and reads « Prénom : Albertine »" "$pers" "utf-8 Personne concernée"
has "… with its accents" "$pers" "Prénom : Albertine"
node "$TOP/tests/opener/enrol.mjs" open "$T_DIR/c2.html" "$T_DIR/c2.age" "$NEWKEY" "$SHOTS" Ambregrise \
	> "$T_DIR/open.out" 2>>"$LOG"
ok "the browser run printed its checks" test -s "$T_DIR/open.out"
while IFS= read -r line; do
	case $line in
	'{"ok":true'*) _t_pass;;
	'{"ok":false'*) _t_fail "navigateur : $line";;
	esac
done < "$T_DIR/open.out"
# The referent guide's screenshots are these runs' (FSRELAY_ENROL_SHOTS,
# FSRELAY_OPENER_SHOTS): each one it shows is in the tree.
for img in $(sed -n 's/.*](\(referent\/[^)]*\.png\)).*/\1/p' "$TOP/docs/referent.md"); do
	ok "docs/referent.md: $img exists" test -s "$TOP/docs/$img"
done
done_testing
