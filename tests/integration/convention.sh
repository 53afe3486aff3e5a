# convention.sh - issue 14 on the real stack: the convention's rules.
# Pre-send scan against the relay's own template (point 7): a person whose
# name or first name is a word of the structure's name, the partner's label
# or the structure's address (« France » « Antony » at the Antony desk,
# « Roses » « Chapelle » at Fontenay-aux-Roses) is sent, without any breach
# entry; a value of the case that really would travel in clear (the
# test-only fault hook puts the name into the subject) is refused by
# escalate itself, exit 1, French reason naming the field, and nothing is
# stored or queued.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
DB=$T_DIR/data/fsrelay.db
export FSRELAY_NOW=2026-03-02T10:00:00Z
q() { sqlite3 -cmd '.timeout 2000' "$DB" "$1"; }
printf 'Dossier bloqué depuis trois mois, relances sans réponse.\n' > "$T_DIR/desc.txt"
nbreach() { "$FS" breach list --json 2>>"$LOG" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# state REF: the states of the case's deliveries, sorted
state() { q "select group_concat(state, ' ') from (select d.state from deliveries d join cases c on c.id = d.case_id where c.ref = '$1' order by d.state)"; }

# Agents of our own: other tests count the notices in agent1's and agent2's
# mailboxes (the stack is shared by every test of the run).
"$FS" agents add conv-antony --structure antony --nom "Agent convention" \
	--email convention@fs-antony.test 2>>"$LOG"
"$FS" agents add conv-fontenay --structure fontenay-aux-roses --nom "Agent convention" \
	--email convention@fs-fontenay.test 2>>"$LOG"
b0=$(nbreach)
A=$("$FS" escalate --structure antony --partner pole-emploi --topic emploi --agent conv-antony \
	--nom Antony --prenom France --ne-le 1980-05-04 --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" 2>>"$LOG")
is "escalate accepts France Antony at the Antony desk" "$?" 0
B=$("$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic produits-locaux \
	--agent conv-fontenay --nom Chapelle --prenom Roses --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" 2>>"$LOG")
is "escalate accepts Roses Chapelle at Fontenay-aux-Roses" "$?" 0
is "their mails were prepared (not blocked)" "$(q "select count(*) from prepared_mails")" 2
"$FS" serve --once 2>>"$LOG"
is "France Antony is delivered" "$(state "$A")" sent
is "Roses Chapelle is delivered" "$(state "$B")" sent
is "no breach entry for them" "$(nbreach)" "$b0"
sleep 1	# Postfix hands them to Dovecot after its 250: not into the next test
hasnt "no blocked send in the log" "$(cat "$LOG")" "envoi bloqué"

# A value that really would leave in clear: refused at escalate.
n0=$(q "select count(*) from cases"); d0=$(q "select count(*) from deliveries")
m0=$(q "select count(*) from messages"); e0=$(q "select count(*) from events where action <> 'clock.test'")
err=$(FSRELAY_TEST_FAULT=leak-subject "$FS" escalate --structure antony --partner pole-emploi \
	--topic emploi --agent conv-antony --nom Antony --prenom France --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" 2>&1 >/dev/null)
is "a leaking mail is refused by escalate (exit 1)" "$?" 1
has "with its French reason, naming the field" "$err" "le nom de la personne apparaîtrait en clair"
has "saying nothing is kept" "$err" "rien n'est enregistré ni envoyé"
hasnt "the reason does not quote the value" "$err" "Antony"
is "no case stored" "$(q "select count(*) from cases")" "$n0"
is "no delivery queued" "$(q "select count(*) from deliveries")" "$d0"
is "no message stored" "$(q "select count(*) from messages")" "$m0"
is "no event recorded" "$(q "select count(*) from events where action <> 'clock.test'")" "$e0"
is "no breach entry opened" "$(nbreach)" "$b0"

# Times shown to people are Paris time with the offset; JSON stays UTC.
due=$("$FS" cases --json 2>>"$LOG" | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin) if c["ref"]==sys.argv[1]][0]["due_at"])' "$A")
is "cases --json: due_at in UTC" "$due" 2026-03-05T10:00:00Z
has "cases: the same instant in Paris time, with its offset (winter)" "$("$FS" cases 2>>"$LOG")" "2026-03-05 11:00 (+01:00)"
has "show: messages in Paris time" "$("$FS" show "$A" 2>>"$LOG")" "2026-03-02 11:00 (+01:00)"
FSRELAY_NOW=2026-07-01T08:00:00Z "$FS" serve --once 2>>"$LOG"
has "status: last poll in Paris time, summer offset" "$(FSRELAY_NOW=2026-07-01T08:00:00Z "$FS" status 2>>"$LOG")" "2026-07-01 10:00 (+02:00)"

# A blank description is refused (point 7), and so is a blank follow-up.
printf ' \t\n\xc2\xa0\n\n' > "$T_DIR/blank.txt"
: > "$T_DIR/empty.txt"
for f in blank empty; do
	err=$("$FS" escalate --structure antony --partner pole-emploi --topic emploi \
		--agent conv-antony --nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
		--description-file "$T_DIR/$f.txt" 2>&1 >/dev/null)
	is "an $f description is refused (exit 1)" "$?" 1
	has "saying it is empty" "$err" "description : vide"
done
is "no case stored for them" "$(q "select count(*) from cases")" "$n0"
err=$("$FS" send "$A" --description-file "$T_DIR/blank.txt" 2>&1 >/dev/null)
is "a blank follow-up is refused (exit 1)" "$?" 1
has "saying it is empty" "$err" "texte : vide"
# The SMTP server's SIZE (point 7): a case bigger than the server takes is
# refused at escalate, the limit named, nothing stored; learned from EHLO,
# and remembered for when the server cannot be asked.  The stack's
# STARTTLS port has Postfix's default message_size_limit (10240000), its
# smtps port 40 MiB (tests/mailstack).
sed -e "s|^smtp_url = .*|smtp_url = $FSRELAY_TEST_SMTP_STARTTLS_URL|" -e '$a smtp_starttls = yes' \
	"$FSRELAY_CONFIG" > "$T_DIR/small.conf"
chmod 600 "$T_DIR/small.conf"
head -c 9000000 /dev/urandom > "$T_DIR/p1.bin"
head -c 9000000 /dev/urandom > "$T_DIR/p2.bin"
head -c 4000000 /dev/urandom > "$T_DIR/p3.bin"
n0=$(q "select count(*) from cases"); d0=$(q "select count(*) from deliveries")
err=$(FSRELAY_CONFIG=$T_DIR/small.conf "$FS" escalate --structure antony --partner pole-emploi \
	--topic emploi --agent conv-antony --nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" --piece "$T_DIR/p1.bin" --piece "$T_DIR/p2.bin" \
	2>&1 >/dev/null)
is "two 9 MB pieces: refused by escalate (exit 1)" "$?" 1
has "naming the server's limit" "$err" "limite SIZE de 10240000 octets"
has "and the final mail's size, in French" "$err" "ferait environ 24,9 Mo"
has "and the limit in MB" "$err" "accepte (10,2 Mo,"
has "saying nothing is kept" "$err" "rien n'est enregistré ni envoyé"
is "no case stored for it" "$(q "select count(*) from cases")" "$n0"
is "no delivery queued for it" "$(q "select count(*) from deliveries")" "$d0"
is "the limit is recorded" "$(q "select value from relay_marks where name = 'smtp.size_max'")" 10240000
sed 's|^smtp_url = .*|smtp_url = smtps://127.0.0.2:1|' "$FSRELAY_CONFIG" > "$T_DIR/down.conf"
chmod 600 "$T_DIR/down.conf"
err=$(FSRELAY_CONFIG=$T_DIR/down.conf "$FS" escalate --structure antony --partner pole-emploi \
	--topic emploi --agent conv-antony --nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" --piece "$T_DIR/p1.bin" --piece "$T_DIR/p2.bin" \
	2>&1 >/dev/null)
is "server unreachable: still refused, on the recorded limit" "$?" 1
has "with the same reason" "$err" "limite SIZE de 10240000 octets"
C=$(FSRELAY_CONFIG=$T_DIR/small.conf "$FS" escalate --structure antony --partner pole-emploi \
	--topic emploi --agent conv-antony --nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" --piece "$T_DIR/p3.bin" 2>>"$LOG")
is "a 4 MB piece is accepted" "$?" 0
FSRELAY_CONFIG=$T_DIR/small.conf "$FS" serve --once 2>>"$LOG"
is "and delivered by Postfix (the estimate is not a refusal of what fits)" "$(state "$C")" sent
# Issue 15 point 5: the pieces travel as raw bytes inside the age file, so
# a 7 MB piece (a 13 MB mail in the former base64-in-base64 form) fits a
# stock Postfix, and the mail is at most 1.4 times its piece.
head -c 7000000 /dev/urandom > "$T_DIR/p4.bin"
G=$(FSRELAY_CONFIG=$T_DIR/small.conf "$FS" escalate --structure antony --partner pole-emploi \
	--topic emploi --agent conv-antony --nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" --piece "$T_DIR/p4.bin" 2>>"$LOG")
is "a 7 MB piece is accepted under a stock Postfix's 10240000" "$?" 0
FSRELAY_CONFIG=$T_DIR/small.conf "$FS" serve --once 2>>"$LOG"
is "and delivered by it" "$(state "$G")" sent
G_BOX=$FSRELAY_TEST_MAILDIRS/pole-emploi.fr/rachid.bouziane/Maildir
# mail_ratio REF PIECES_BYTES: the delivered mail's size over its pieces'
mail_ratio() {
	wait_delivered "$G_BOX" "$1"
	python3 - "$G_BOX" "$1" "$2" <<'PY'
import email, glob, os, sys
for f in glob.glob(sys.argv[1] + "/new/*") + glob.glob(sys.argv[1] + "/cur/*"):
    m = email.message_from_bytes(open(f, "rb").read())
    if (m.get("Message-ID") or "").startswith("<" + sys.argv[2] + "."):
        print("%.3f" % (os.path.getsize(f) / int(sys.argv[3])))
PY
}
ratio=$(mail_ratio "$G" 7000000)
echo "convention: a 7000000-byte piece, a mail of $ratio times its size" >&2
ok "that mail is smaller than 1.4 times its piece, opener page included ($ratio)" \
	awk -v r="${ratio:-9}" 'BEGIN { exit !(r > 1 && r <= 1.4) }'
sleep 1
# the smtps port takes what fsrelay's largest case becomes
D=$("$FS" escalate --structure antony --partner pole-emploi --topic emploi --agent conv-antony \
	--nom Martin --prenom Luc --mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" \
	--piece "$T_DIR/p1.bin" --piece "$T_DIR/p2.bin" 2>>"$LOG")
is "the two 9 MB pieces are accepted where the server takes 40 MiB" "$?" 0
is "that limit is recorded" "$(q "select value from relay_marks where name = 'smtp.size_max'")" 41943040
"$FS" serve --once 2>>"$LOG"
ratio=$(mail_ratio "$D" 18000000)
echo "convention: two 9000000-byte pieces, a mail of $ratio times their size" >&2
ok "their mail is at most 1.4 times the pieces ($ratio; 1.88 before version 2)" \
	awk -v r="${ratio:-9}" 'BEGIN { exit !(r > 1 && r <= 1.4) }'

# Topics (point 7): escalate --help lists each partner's topics from the
# imported directory; an unknown topic names the nearest and the list.
help=$("$FS" escalate --help 2>>"$LOG")
has "escalate --help lists the topics" "$help" "Motifs de chaque partenaire (annuaire importé) :"
has "the CAF's, in the topics file's order" "$help" \
	"  caf : prestations-familiales, logement, difficultes-financieres, naissance, deces"
err=$("$FS" escalate --structure antony --partner caf --topic prestation-familiale \
	--agent conv-antony --nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" 2>&1 >/dev/null)
is "an unknown topic is refused (exit 1)" "$?" 1
has "naming the nearest" "$err" "motif inconnu « prestation-familiale » pour CAF ; le plus proche : « prestations-familiales » ; motifs de CAF : prestations-familiales, logement,"
err=$("$FS" escalate --structure antony --partner caf --topic zzz --agent conv-antony \
	--nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" 2>&1 >/dev/null)
hasnt "nothing near: no suggestion" "$err" "le plus proche"
has "but the list" "$err" "motifs de CAF : prestations-familiales"

# France Travail (point 2): Pôle emploi became France Travail on
# 2024-01-01; with both domains in [partner pole-emploi] (as the shipped
# configuration has them), a reply from either is the partner's, never a
# stranger nor a breach.
chk=$("$FS" check 2>&1)
has "check: partners judged on the directory's domains only are named" \
	"$(echo "$chk" | grep 'sans domains dans la configuration')" "pole-emploi"
printf '\n[partner pole-emploi]\ndomains = pole-emploi.fr, francetravail.fr\n' >> "$FSRELAY_CONFIG"
printf '\n[partner msa]\ndomains = autre-msa.fr\n' >> "$FSRELAY_CONFIG"
chk=$("$FS" check 2>&1)
hasnt "check: pole-emploi has its domains now" \
	"$(echo "$chk" | grep 'sans domains dans la configuration')" "pole-emploi"
has "check: a referent's domain missing from domains" "$chk" \
	"ATTENTION [partner msa] domains : le domaine msa75.msa.fr de ses référents n'y est pas"
hasnt "check: both France Travail domains are fine" "$chk" "[partner pole-emploi] domains"
b0=$(nbreach)
PE_BOX=$FSRELAY_TEST_MAILDIRS/pole-emploi.fr/rachid.bouziane/Maildir
m0=$(q "select count(*) from messages m join cases c on c.id = m.case_id where c.ref = '$A' and m.direction = 'in'")
reply_in "$PE_BOX" "$A" Rachid.bouziane@pole-emploi.fr "Dossier reçu, je regarde." >/dev/null
mid=$(delivered "$PE_BOX" "$A" Message-ID); rt=$(delivered "$PE_BOX" "$A" Reply-To)
subj=$(delivered "$PE_BOX" "$A" Subject)
mail rachid.bouziane@francetravail.fr "$rt" "RE: $subj" "$mid" "Réponse depuis francetravail.fr." \
	> "$T_DIR/ft.eml"
smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$rt" "$T_DIR/ft.eml" >/dev/null
sleep 1
"$FS" serve --once 2>>"$LOG"
# The referent's own address (a recipient) reaches the case at once; the
# same referent writing from the other France Travail domain is the
# partner's (no stranger, no breach) but not a recipient of the case: it
# waits, case named, in quarantine 'unverified' (issue 16: key and sender
# disagree) until the agent confirms it.
is "the recipient's reply reaches the case" \
	"$(q "select count(*) from messages m join cases c on c.id = m.case_id where c.ref = '$A' and m.direction = 'in'")" \
	$((m0 + 1))
QFT=$("$FS" quarantine list --json 2>>"$LOG" | python3 -c 'import json,sys
q=[x for x in json.load(sys.stdin) if x["reason"]=="unverified" and x.get("case")==sys.argv[1] and x["state"]=="held"]
print(q[-1]["id"] if q else "")' "$A")
ok "the francetravail.fr reply waits as 'unverified', case named" test -n "$QFT"
ok "the agent confirms it in one step" "$FS" quarantine assign "$QFT" "$A" >/dev/null 2>>"$LOG"
is "both replies reach the case" \
	"$(q "select count(*) from messages m join cases c on c.id = m.case_id where c.ref = '$A' and m.direction = 'in'")" \
	$((m0 + 2))
is "no stranger in quarantine" "$(q "select count(*) from quarantine where reason = 'stranger'")" 0
is "no breach entry for the francetravail.fr reply" "$(nbreach)" "$b0"

# CAF subject (point 4): « France Services » after the reference, by
# default for the CAF (annexe 5 CAF); its name/allocataire part stays off.
# The CAF's first rung moved to one of our own mailboxes (others count
# the CAF referent's).
python3 - "$TOP/config/annex6-hauts-de-seine.csv" "$T_DIR/annex6.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
for r in rows:
    if r['partner'] == 'caf' and r['role'] == 'primary':
        r['email'] = 'convention@fs-fontenay.test'
w = csv.DictWriter(open(sys.argv[2], 'w', encoding='utf-8', newline=''), fieldnames=rows[0].keys())
w.writeheader(); w.writerows(rows)
PY
ok "import the directory with the CAF at our mailbox" "$FS" referents import "$T_DIR/annex6.csv" >/dev/null 2>>"$LOG"
age-keygen -o "$T_DIR/caf.key" 2>/dev/null
ok "pin its key" "$FS" referents key convention@fs-fontenay.test "$(age-keygen -y "$T_DIR/caf.key")" \
	--verified-by test >/dev/null 2>>"$LOG"
F=$("$FS" escalate --structure fontenay-aux-roses --partner caf --topic prestations-familiales \
	--agent conv-fontenay --nom Martin --prenom Luc --mandat-signe-le 2026-01-15 \
	--description-file "$T_DIR/desc.txt" 2>>"$LOG")
is "a CAF case is accepted" "$?" 0
"$FS" serve --once 2>>"$LOG"
CAF_BOX=$FSRELAY_TEST_MAILDIRS/fs-fontenay.test/convention/Maildir
wait_delivered "$CAF_BOX" "$F"
has "its subject carries « France Services »" "$(delivered "$CAF_BOX" "$F" Subject)" \
	"[$F] France Services – CAF – "
hasnt "and no name of the person" "$(delivered "$CAF_BOX" "$F" Subject)" "Martin"

# Times in notices (point 7): Paris time with its offset.  The CAF case
# was delivered Monday 2 March 11:00 (Paris); its reminder, at 2/3 of the
# three working days, says when the answer is due.
FSRELAY_NOW=2026-03-04T10:30:00Z "$FS" serve --once 2>>"$LOG"
rem=""
for _ in $(seq 1 100); do
	rem=$(python3 - "$CAF_BOX" "$F" <<'PY'
import email, email.policy, glob, sys
md, ref = sys.argv[1:3]
for f in glob.glob(md + "/new/*") + glob.glob(md + "/cur/*"):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    if ref in str(m["Subject"]) and "Rappel" in str(m["Subject"]):
        print(m.get_body(("plain",)).get_content())
PY
)
	[ -n "$rem" ] && break
	sleep 0.05
done
has "the reminder gives the due time in Paris time with its offset" "$rem" \
	"avant le jeudi 5 mars 2026 à 11:00 (heure de Paris, UTC+01:00)"
has "and the sending time too" "$rem" "transmis le lundi 2 mars 2026 à 11:00 (heure de Paris, UTC+01:00)"
# the CAF case goes no further: its next rung is the CAF referent whose
# mailbox failures.sh counts
ok "the CAF case is cancelled" "$FS" cancel "$F" --motif "fin du test" 2>>"$LOG"

# The mandate at sending time (point 1): a mandate signed 2025-03-10 is
# valid to 2026-03-09; on 2026-03-12 nothing of the case leaves (the
# follow-up and the next rung are held), the case waits for its person and
# the agent is told, by reference only; after `mandate renew` they leave.
export FSRELAY_NOW=2026-03-02T10:00:00Z
M=$("$FS" escalate --structure antony --partner pole-emploi --topic emploi --agent conv-antony \
	--nom Martin --prenom Luc --mandat-signe-le 2025-03-10 --description-file "$T_DIR/desc.txt" \
	2>>"$LOG")
is "a case under a mandate valid one more week is accepted" "$?" 0
"$FS" serve --once 2>>"$LOG"
mstate() { q "select state from cases where ref = '$M'"; }
msent() { q "select count(*) from deliveries d join cases c on c.id = d.case_id where c.ref = '$M' and d.state = 'sent'"; }
mpending() { q "select count(*) from deliveries d join cases c on c.id = d.case_id where c.ref = '$M' and d.state = 'pending'"; }
is "its rung 0 is delivered" "$(mstate)" awaiting
s0=$(msent)
printf 'Pièce complémentaire demandée par le référent.\n' > "$T_DIR/followup.txt"
export FSRELAY_NOW=2026-03-12T10:00:00Z
err=$("$FS" send "$M" --description-file "$T_DIR/followup.txt" 2>&1)
is "a follow-up under the expired mandate is refused at once (exit 1)" "$?" 1
has "naming the command that renews it" "$err" "n'est plus valable (un an après sa signature) : rien n'est envoyé ; faites signer un nouveau mandat puis « fsrelay mandate renew $M"
err=$("$FS" reroute "$M" --motif "pas de réponse" 2>&1)
is "so is a reroute (exit 1)" "$?" 1
has "for the same reason" "$err" "n'est plus valable"
"$FS" serve --once 2>>"$LOG"
is "mandate expired: the next rung due at the deadline is not sent" "$(msent)" "$s0"
ok "it waits, pending" test "$(mpending)" -ge 1
is "the case waits for its person" "$(mstate)" waiting_user
is "the agent is told once" "$(q "select count(*) from notices where kind = 'mandate-expired' and case_ref = '$M'")" 1
hasnt "by reference only" "$(q "select body from notices where kind = 'mandate-expired' and case_ref = '$M'")" "Martin"
is "the hold is an event" "$(q "select count(*) from events where action = 'case.mandate_expired' and case_ref = '$M'")" 1
"$FS" serve --once 2>>"$LOG"
is "a second pass sends nothing either, tells nobody again" \
	"$(msent) $(q "select count(*) from notices where kind = 'mandate-expired' and case_ref = '$M'")" "$s0 1"
err=$("$FS" mandate renew "$M" --mandat-signe-le 2026-03-13 2>&1)
is "renew: a future date is refused (exit 1)" "$?" 1
has "saying so" "$err" "date dans le futur"
err=$("$FS" mandate renew "$M" --mandat-signe-le 2025-03-11 2>&1)
is "renew: an expired date is refused (exit 1)" "$?" 1
has "saying so" "$err" "expiré (valable un an)"
printf 'mandat signé\n' > "$T_DIR/mandat.pdf"
ok "renew with a new signature" "$FS" mandate renew "$M" --mandat-signe-le 2026-03-11 \
	--mandat-fichier "$T_DIR/mandat.pdf" 2>>"$LOG"
is "the case goes on" "$(mstate)" queued
is "the renewal is an event" "$(q "select count(*) from events where action = 'case.mandate_renewed' and case_ref = '$M'")" 1
"$FS" serve --once 2>>"$LOG"
is "what was held is now sent" "$(mpending)" 0
ok "more deliveries sent than before" test "$(msent)" -gt "$s0"
has "show: the new mandate" "$("$FS" show "$M" 2>>"$LOG")" "2026-03-11"


# Issue 12 point 4: escalate does not open an SMTP connection for each
# case.  A case that fits what the configured server announced less than
# 10 minutes ago is not asked again; a refusal, a stale answer, or another
# server is.  The connections are counted by a TCP relay in front of the
# STARTTLS port (10240000).
python3 - "$FSRELAY_TEST_SMTP_STARTTLS_URL" "$T_DIR/relay.port" "$T_DIR/relay.count" <<'PY' &
import socket, sys, threading
host, port = sys.argv[1].split("//")[1].split(":")
srv = socket.socket()
srv.bind((host, 0))
srv.listen(16)
open(sys.argv[2], "w").write(str(srv.getsockname()[1]))
n = 0
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    n += 1
    open(sys.argv[3], "w").write(str(n))
    u = socket.create_connection((host, int(port)))
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
PY
RELAY=$!
for _ in $(seq 50); do [ -s "$T_DIR/relay.port" ] && break; sleep 0.1; done
RHOST=${FSRELAY_TEST_SMTP_STARTTLS_URL#smtp://}
RHOST=${RHOST%:*}
# (smtp_starttls right after smtp_url: the end of the file is a section)
sed -e "s|^smtp_url = .*|smtp_url = smtp://$RHOST:$(cat "$T_DIR/relay.port")\\nsmtp_starttls = yes|" \
	"$FSRELAY_CONFIG" > "$T_DIR/relay.conf"
chmod 600 "$T_DIR/relay.conf"
nconn() { cat "$T_DIR/relay.count" 2>/dev/null || echo 0; }
# resc NOW PIECE...: escalate through the relay at clock NOW; exit status
resc() {
	local now=$1 args=() p
	shift
	for p; do args+=(--piece "$p"); done
	FSRELAY_NOW=$now FSRELAY_CONFIG=$T_DIR/relay.conf "$FS" escalate --structure antony \
		--partner pole-emploi --topic emploi --agent conv-antony --nom Martin --prenom Luc \
		--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" "${args[@]}" \
		>>"$T_DIR/relay.refs" 2>>"$T_DIR/relay.err"
}
resc 2026-03-12T11:00:00Z "$T_DIR/p3.bin"
is "a first case asks the server (one connection)" "$? $(nconn)" "0 1"
resc 2026-03-12T11:05:00Z "$T_DIR/p3.bin"
is "a second one, 5 minutes later, fits its answer: no connection" "$? $(nconn)" "0 1"
resc 2026-03-12T11:06:00Z "$T_DIR/p1.bin" "$T_DIR/p2.bin"
is "a case too big for it is refused on a new answer (a connection)" "$? $(nconn)" "1 2"
has "with the server's limit" "$(cat "$T_DIR/relay.err")" "limite SIZE de 10240000 octets"
resc 2026-03-12T11:16:00Z "$T_DIR/p3.bin"
is "an answer 10 minutes old is asked again" "$? $(nconn)" "0 3"
is "the instant of the answer is recorded" \
	"$(q "select value from relay_marks where name = 'smtp.size_at'")" \
	"$(date -d 2026-03-12T11:16:00Z +%s)"
kill "$RELAY" 2>/dev/null
wait "$RELAY" 2>/dev/null
while read -r ref; do
	FSRELAY_NOW=2026-03-12T11:17:00Z "$FS" cancel "$ref" --motif "essai de la sonde" \
		--agent conv-antony >/dev/null 2>>"$LOG"
done < "$T_DIR/relay.refs"

done_testing
