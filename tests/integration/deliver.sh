# deliver.sh - issue 3 on the real stack: a case leaves as an age file only its
# referent opens, over verified TLS, with clean headers, and is never lost
# (kill -9, server outage).
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
KACZ=delphine.kaczmar@dgfip.finances.gouv.fr
KDIR=$FSRELAY_TEST_MAILDIRS/dgfip.finances.gouv.fr/delphine.kaczmar/Maildir
KEY=$T_DIR/referents/$KACZ.key
PUB=$(cat "$T_DIR/relay-signing.pub")

# Mail to referents only (the DPO receives audit checkpoints as well).
count_mail() { find "$FSRELAY_TEST_MAILDIRS" -path '*/Maildir/new/*' -type f -not -path '*/fs-fontenay.test/*' | wc -l; }
mail_for() { find "$KDIR/new" "$KDIR/cur" -type f 2>/dev/null | wc -l; }
# Postfix hands mail to Dovecot after its 250: wait (5 s at most) for n mails.
wait_count() { local i; for i in $(seq 1 100); do [ "$(count_mail)" -ge "$1" ] && return; sleep 0.05; done; }
wait_for() { local i; for i in $(seq 1 100); do [ "$(mail_for)" -ge "$1" ] && return; sleep 0.05; done; }

printf 'Mme Ornella Quibrante-Zed attend depuis six mois.\nLigne deux du dossier, très distinctive 7781.\n' > "$T_DIR/desc.txt"
head -c 150000 /dev/urandom > "$T_DIR/releve-Quibrante.pdf"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
		--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
		--id-partenaire 3019988776655 --mandat-signe-le 2026-01-15 \
		--description-file "$T_DIR/desc.txt" "$@" 2>>"$LOG"
}
export FSRELAY_NOW=2026-03-02T10:00:00Z
before=$(count_mail)
REF=$(escalate --piece "$T_DIR/releve-Quibrante.pdf")
ok "escalate" test -n "$REF"
# escalate builds the mail; the daemon only sends it (adapters/store_outbox).
DB=$T_DIR/data/fsrelay.db
prepared() { sqlite3 "$DB" "select count(*) from prepared_mails"; }
is "escalate prepared the mail of its delivery" "$(prepared)" 1
# Sealed under the case key like the rest of the case: no header in clear.
ok "the prepared mail is sealed" sh -c '! sqlite3 "$0" "select mail from prepared_mails" | grep -aq "Message-ID"' "$DB"
ok "serve --once" "$FS" serve --once 2>>"$LOG"
wait_count $((before + 1)); sleep 0.2
is "exactly one new mail in the whole stack" "$(count_mail)" "$((before + 1))"
is "it is in Kaczmar's mailbox" "$(mail_for)" 1
is "the prepared mail is gone once sent" "$(prepared)" 0
state=$("$FS" cases --json | python3 -c 'import json,sys; c=json.load(sys.stdin)[0]; print(c["state"], c["due_at"])')
is "case awaiting, due 3 working days later" "$state" "awaiting 2026-03-05T10:00:00Z"

# Fetch it over IMAPS as the referent would, then open it (by its sequence
# number: the mailbox holds this one mail, but earlier tests of the run may
# have used and emptied it, so its UID need not be 1).
curl -s --cacert "$FSRELAY_TEST_CA" -u "$KACZ:$FSRELAY_TEST_PASSWORD" \
	"$FSRELAY_TEST_IMAP_URL/INBOX;MAILINDEX=1" > "$T_DIR/recu.eml"
ok "fetched over IMAPS" test -s "$T_DIR/recu.eml"
python3 - "$T_DIR/recu.eml" "$T_DIR/case.age" > "$T_DIR/headers.txt" <<'PY'
import email, sys
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw)
for part in m.walk():
    if (part.get_filename() or "").endswith(".age"):
        open(sys.argv[2], 'wb').write(part.get_payload(decode=True))
head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
sys.stdout.write(head.decode('utf-8', 'replace'))
for k in ("Subject",):
    print("\nDECODED:", str(email.header.make_header(email.header.decode_header(m[k]))))
for part in m.walk():
    if part.get_filename():
        print("FILENAME:", part.get_filename())
PY
headers=$(cat "$T_DIR/headers.txt")
for secret in Quibrante Ornella 3019988776655 1975-12-24 24/12/1975 "six mois" releve; do
	hasnt "headers carry no personal data ($secret)" "$headers" "$secret"
done
has "subject names partner and topic" "$headers" "DGFiP – Impôts des particuliers"
has "message-id embeds the reference" "$headers" "Message-ID: <$REF."
has "reply-to carries a token" "$headers" "Reply-To: relais+"

ok "age decrypts it" age -d -i "$KEY" -o "$T_DIR/case.eml" "$T_DIR/case.age"
has "the eml holds the signed manifest" "$(cat "$T_DIR/case.eml")" "manifest.sig"
# (open runs on the referent's side: its summary may name the pieces.)
ok "fsrelay open verifies and extracts" "$FS" open "$T_DIR/case.age" --identity "$KEY" \
	--relay-key "$PUB" --extraire "$T_DIR/out" 2>>"$T_DIR/open.log"
ok "description byte for byte" cmp -s "$T_DIR/desc.txt" "$T_DIR/out/description.txt"
ok "attachment byte for byte" cmp -s "$T_DIR/releve-Quibrante.pdf" "$T_DIR/out/releve-Quibrante.pdf"
person=$(cat "$T_DIR/out/personne.txt" 2>/dev/null)
has "the referent gets the person's name" "$person" "Nom : Quibrante-Zed"
has "and the partner id" "$person" "Identifiant chez le partenaire : 3019988776655"
has "and the mandate date" "$person" "Mandat signé le : 2026-01-15"
"$FS" open "$T_DIR/case.age" --identity "$KEY" --relay-key "$PUB" > "$T_DIR/open.eml" 2>>"$T_DIR/open.log"
ok "open without --extraire gives the eml age gives" cmp -s "$T_DIR/open.eml" "$T_DIR/case.eml"

# The envelope's format (issue 15 point 5): the pieces travel as their own
# bytes (version 2), so the mail is the age file's base64 and little more;
# the former form (version 1, pieces in base64) is still read by open and
# by the opener's code, the same case sealed in it by tests/live/seal.c.
eml=$(cat "$T_DIR/case.eml" | tr -d '\0')
has "the manifest says version 2" "$(cat "$T_DIR/out/manifest.json")" '{"version":2,'
has "the piece travels as raw bytes" "$eml" "Content-Transfer-Encoding: binary"
ok "its bytes are in the sealed message as they are" python3 -c '
import sys; sys.exit(open(sys.argv[2], "rb").read() not in open(sys.argv[1], "rb").read())' \
	"$T_DIR/case.eml" "$T_DIR/releve-Quibrante.pdf"
has "open names the format" "$(cat "$T_DIR/open.log")" "format : version 2"
RCPT=$(age-keygen -y "$KEY")
for v in 1 2; do
	"$TOP/$B/tests/live_seal" $v "$RCPT" "$REF" "fs.v$v@relay.fsrelay.test" "$T_DIR/v$v.pub" \
		"$T_DIR/out/description.txt" "$T_DIR/out/personne.txt" "$T_DIR/releve-Quibrante.pdf" \
		> "$T_DIR/v$v.age" 2>>"$T_DIR/open.log"
	ok "the same case sealed in version $v" test -s "$T_DIR/v$v.age"
	ok "age decrypts version $v" age -d -i "$KEY" -o "$T_DIR/v$v.eml" "$T_DIR/v$v.age"
	rm -rf "$T_DIR/out$v"
	"$FS" open "$T_DIR/v$v.age" --identity "$KEY" --relay-key "$(cat "$T_DIR/v$v.pub")" \
		--extraire "$T_DIR/out$v" 2>"$T_DIR/open$v.log"
	is "open reads version $v" "$?" 0
	has "and says so" "$(cat "$T_DIR/open$v.log")" "format : version $v"
	ok "version $v: the piece byte for byte" cmp -s "$T_DIR/releve-Quibrante.pdf" \
		"$T_DIR/out$v/releve-Quibrante.pdf"
	node "$TOP/tests/opener/formats.mjs" "$KEY" "$T_DIR/v$v.pub" "$T_DIR/v$v.age" \
		"$T_DIR/out/description.txt" "$T_DIR/releve-Quibrante.pdf" > "$T_DIR/formats$v.out" 2>&1
	is "the opener's reader ran on version $v" "$(grep -c '^{"ok":true' "$T_DIR/formats$v.out")" 3
	hasnt "and refused nothing" "$(cat "$T_DIR/formats$v.out")" '"ok":false'
done
b64parts() { python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(
b"Content-Transfer-Encoding: base64\r\n"))' "$1"; }
is "version 1 carried the pieces in base64 (and description, manifest)" "$(b64parts "$T_DIR/v1.eml")" 4
is "version 2 only the description and the manifest" "$(b64parts "$T_DIR/v2.eml")" 2
s1=$(stat -c %s "$T_DIR/v1.age"); s2=$(stat -c %s "$T_DIR/v2.age")
p=$(stat -c %s "$T_DIR/releve-Quibrante.pdf")
echo "deliver: age file $s2 bytes (version 2), $s1 (version 1) for a $p-byte piece" >&2
ok "version 2's age file is smaller than version 1's by the piece's base64" \
	test $(( s1 - s2 )) -gt $(( p / 4 ))

# Tampering: a flipped byte, a truncation, another relay key.
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//2]^=1; open(sys.argv[2],"wb").write(b)' \
	"$T_DIR/case.age" "$T_DIR/flipped.age"
head -c $(( $(stat -c %s "$T_DIR/case.age") - 100 )) "$T_DIR/case.age" > "$T_DIR/trunc.age"
fails "age refuses a flipped byte" age -d -i "$KEY" -o /dev/null "$T_DIR/flipped.age"
fails "open refuses a flipped byte" "$FS" open "$T_DIR/flipped.age" --identity "$KEY" --relay-key "$PUB"
fails "age refuses a truncation" age -d -i "$KEY" -o /dev/null "$T_DIR/trunc.age"
fails "open refuses a truncation" "$FS" open "$T_DIR/trunc.age" --identity "$KEY" --relay-key "$PUB"
OTHER=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')
err=$("$FS" open "$T_DIR/case.age" --identity "$KEY" --relay-key "$OTHER" 2>&1 >/dev/null)
is "open with another relay key fails" "$?" 1
has "the reason names the signature" "$err" "signature"
"$FS" open "$T_DIR/case.age" --identity "$KEY" >/dev/null 2>&1
is "open without --relay-key is a usage error" "$?" 2
CIVET=$T_DIR/referents/anne-gaelle.civet@dgfip.finances.gouv.fr.key
fails "another referent cannot open it" "$FS" open "$T_DIR/case.age" --identity "$CIVET" --relay-key "$PUB"

# The pass sends the mail escalate prepared: its Date is escalate's time,
# not the pass's.  A mail prepared for other keys or addresses, or one that
# does not open (recorded as an integrity failure), is built anew.
date_of() {	# date_of REF: the Date of the mail of REF in Kaczmar's mailbox, as UTC
	python3 - "$KDIR" "$1" <<'PY'
import email, email.utils, glob, sys, datetime
for f in glob.glob(sys.argv[1] + "/new/*") + glob.glob(sys.argv[1] + "/cur/*"):
    m = email.message_from_bytes(open(f, 'rb').read())
    if (m["Message-ID"] or "").startswith("<" + sys.argv[2] + "."):
        d = email.utils.parsedate_to_datetime(m["Date"]).astimezone(datetime.timezone.utc)
        print(d.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
}
integrity_entries() { "$FS" breach list --json 2>/dev/null | python3 -c 'import json,sys; print(len([x for x in json.load(sys.stdin) if x["detection_source"]=="integrity"]))'; }
P1=$(FSRELAY_NOW=2026-03-02T11:00:00Z escalate)
P2=$(FSRELAY_NOW=2026-03-02T11:00:00Z escalate)
P3=$(FSRELAY_NOW=2026-03-02T11:00:00Z escalate)
is "three mails prepared" "$(prepared)" 3
sqlite3 "$DB" "update prepared_mails set built_for = 'autre-cle autre@adresse <autre@id>' where delivery_id =
	(select d.id from deliveries d join cases c on c.id = d.case_id where c.ref = '$P2')"
python3 - "$DB" "$P3" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("select p.delivery_id, p.mail from prepared_mails p join deliveries d on d.id = p.delivery_id"
                 " join cases c on c.id = d.case_id where c.ref = ?", (sys.argv[2],)).fetchone()
m = bytearray(row[1]); m[len(m) // 2] ^= 1
db.execute("update prepared_mails set mail = ? where delivery_id = ?", (bytes(m), row[0])); db.commit()
PY
before=$(mail_for)
integ=$(integrity_entries)
FSRELAY_NOW=2026-03-02T11:30:00Z "$FS" serve --once 2>>"$LOG"
wait_for $((before + 3))
is "all three delivered" "$(mail_for)" $((before + 3))
is "the prepared mail left as prepared (Date of escalate)" "$(date_of "$P1")" 2026-03-02T11:00:00Z
is "one prepared for other keys was built anew (Date of the pass)" "$(date_of "$P2")" 2026-03-02T11:30:00Z
is "one that does not open was built anew" "$(date_of "$P3")" 2026-03-02T11:30:00Z
is "and its failure is in the breach register" "$(integrity_entries)" $((integ + 1))
is "no prepared mail left" "$(prepared)" 0

# TLS: a CA that does not sign the server -> nothing sent, case stays queued.
mkdir -p "$T_DIR/evil" && (cd "$T_DIR/evil" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj "/CN=autre autorite" 2>/dev/null)
sed "s|^ca_file = .*|ca_file = $T_DIR/evil/ca.pem|" "$FSRELAY_CONFIG" > "$T_DIR/evil.conf"
chmod 600 "$T_DIR/evil.conf"
REF2=$(escalate)
before=$(count_mail)
FSRELAY_CONFIG=$T_DIR/evil.conf "$FS" serve --once 2>>"$LOG"
is "untrusted server: nothing delivered" "$(count_mail)" "$before"
st=$("$FS" cases --json | python3 -c 'import json,sys; c=[x for x in json.load(sys.stdin) if x["ref"]==sys.argv[1]][0]; print(c["state"]); print(c["last_error"])' "$REF2")
has "case stays queued" "$st" "queued"
has "with a TLS last_error" "$st" "TLS"
ok "with the right CA it leaves at the retry time" env FSRELAY_NOW=2026-03-02T10:05:00Z "$FS" serve --once 2>>"$LOG"
wait_count $((before + 1))
is "then delivered" "$(count_mail)" "$((before + 1))"

# Outage: Postfix stopped, cases stay queued; back up, everything leaves.
STACK=$FSRELAY_TEST_STACK_DIR
starttime() { local s; s=$(cat "/proc/$1/stat") || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
postfix -c "$STACK/etc/postfix" stop >/dev/null 2>&1
sleep 1
for i in 1 2 3; do escalate >/dev/null; done
before=$(count_mail)
FSRELAY_NOW=2026-03-02T11:00:00Z "$FS" serve --once 2>>"$LOG"
is "server down: nothing delivered" "$(count_mail)" "$before"
is "three cases still queued" "$("$FS" cases --state queued | wc -l)" 3
touch -d '-1 minute' "$STACK"/etc/postfix/*
postfix -c "$STACK/etc/postfix" start >/dev/null 2>&1
mp=$(tr -d ' ' < "$STACK/postfix/spool/pid/master.pid")
echo "$mp $(starttime "$mp")" > "$STACK/run/postfix.pgid"
sleep 0.5
FSRELAY_NOW=2026-03-02T11:00:30Z "$FS" serve --once 2>>"$LOG"
is "before the retry time nothing is attempted" "$(count_mail)" "$before"
FSRELAY_NOW=2026-03-02T11:02:00Z "$FS" serve --once 2>>"$LOG"
wait_count $((before + 3))
is "server back: all three delivered" "$(count_mail)" "$((before + 3))"
is "no case queued" "$("$FS" cases --state queued | wc -l)" 0

# kill -9 in the middle of 50 deliveries.
unset FSRELAY_NOW
touch "$T_DIR/marker"
for i in $(seq 1 50); do escalate >/dev/null; done
start=$(mail_for)
sent0=$(sent_count "$DB")
"$FS" serve 2>>"$LOG" &
pid=$!
for _ in $(seq 1 1000); do
	[ $(( $(sent_count "$DB") - sent0 )) -ge 15 ] && break
	sleep 0.01
done
kill -9 $pid; wait $pid 2>/dev/null
mid=$(( $(sent_count "$DB") - sent0 ))
ok "killed in the middle ($mid of 50 recorded sent)" test "$mid" -ge 1 -a "$mid" -lt 50
"$FS" serve --once 2>>"$LOG"
wait_for $((start + 50)); sleep 0.3
total=$(( $(mail_for) - start ))
ids=$(grep -h '^Message-ID:' $(find "$KDIR/new" "$KDIR/cur" -type f -newer "$T_DIR/marker") | sort)
distinct=$(echo "$ids" | uniq | wc -l)
dups=$(echo "$ids" | uniq -d | wc -l)
ok "after restart all 50 delivered ($total mails, $dups duplicate)" test "$((total - dups))" -ge 50
ok "a duplicate at most once, with the same Message-ID" test "$dups" -le 1 -a "$total" -le 51
is "no case queued after restart" "$("$FS" cases --state queued | wc -l)" 0

# The serve log carries no personal data.
logtext=$(cat "$LOG")
for secret in Quibrante Ornella 3019988776655 1975 distinctive; do
	hasnt "stderr has no personal data ($secret)" "$logtext" "$secret"
done
# One daemon per instance.
"$FS" serve 2>/dev/null &
pid=$!
sleep 0.5
err=$("$FS" serve --once 2>&1)
is "a second serve is refused" "$?" 1
has "naming the lock" "$err" "tourne déjà"
kill $pid; wait $pid 2>/dev/null
done_testing
