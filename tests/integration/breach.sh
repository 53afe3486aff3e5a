# breach.sh - issue 6 on the real stack: the breach register and the
# 72-hour clock.  Declaring a referent key compromised opens an entry whose
# counts equal the cases and persons sent to that key, stops the pending
# delivery and blocks further sending; the pre-send scan (test-only fault
# hook) opens a high-risk entry and nothing leaves; with FSRELAY_NOW the DPO
# alerts at detection, 1/3, 2/3, 5/6 and overdue arrive once each; the DPO
# commands refuse what the GDPR refuses (late notification without reasons,
# art. 34 exemption without justification, closing an incomplete entry);
# a stranger quoting a case tag opens a suspected entry (reply path);
# (issue 14) the CNIL export carries the controller, the contact, the cause,
# the subcontractors and cross-border aspects (configuration checked by
# check), and a stranger citing a case in the text only is linked to it.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
MD=$FSRELAY_TEST_MAILDIRS
# The referent of DGFiP "produits locaux" at Fontenay: no other test counts
# this mailbox (the stack is shared by every test of the run).
REFT=denise.thibault1@dgfip.finances.gouv.fr
KDIR=$MD/dgfip.finances.gouv.fr/denise.thibault1/Maildir
DPO_MD=$MD/fs-fontenay.test/dpo/Maildir
RELAY_MD=$MD/relay.fsrelay.test/relais/Maildir
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
py() { python3 -c "$1" "${@:2}"; }
blist() { "$FS" breach list --json 2>>"$LOG"; }
# field ID NAME: a field of entry ID in breach list --json
field() { blist | py 'import json,sys; b=[x for x in json.load(sys.stdin) if x["id"]==int(sys.argv[1])][0]; v=b[sys.argv[2]]; print(v if not isinstance(v,list) else " ".join(v))' "$1" "$2"; }
last_id() { blist | py 'import json,sys; l=json.load(sys.stdin); print(l[-1]["id"] if l else 0)'; }
# dpo_subjects ID: decoded subjects of the DPO's mails about entry ID, one a
# line (only this test's mails: the stack's mailboxes are shared)
touch "$T_DIR/marker"
dpo_subjects() {
	python3 - "$DPO_MD" "$1" "$T_DIR/marker" <<'PY'
import email, email.header, glob, os, sys
tag = "Violation n° %s :" % sys.argv[2]
since = os.path.getmtime(sys.argv[3])
for f in sorted(glob.glob(sys.argv[1] + "/new/*") + glob.glob(sys.argv[1] + "/cur/*")):
    if os.path.getmtime(f) < since:
        continue
    m = email.message_from_bytes(open(f, "rb").read())
    s = str(email.header.make_header(email.header.decode_header(m["Subject"] or "")))
    if tag in s:
        print(s.replace("\n", " "))
PY
}
# An agent of our own, whose notices (failed cases...) land in the DPO's
# mailbox, which only the issue 6 tests read: other tests count agent1's.
"$FS" agents add agent-registre --structure fontenay-aux-roses --nom "Agent registre" \
	--email dpo@fs-fontenay.test 2>>"$LOG"
escalate() {	# escalate NOM PRENOM: a case for that person to the DGFiP referent (produits locaux)
	printf 'Situation de %s %s.\n' "$2" "$1" > "$T_DIR/desc.txt"
	"$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic produits-locaux \
		--agent agent-registre --nom "$1" --prenom "$2" --ne-le 1975-12-24 \
		--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" 2>>"$LOG"
}
export FSRELAY_NOW=2026-03-02T10:00:00Z

# ---- what the CNIL's form asks of the controller, in the configuration (issue 14) ----
out=$("$FS" check 2>&1)
has "check: the CNIL keys missing are named" "$out" "notification à la CNIL incomplète : organisation_name, organisation_siren, organisation_address, breach_contact_name, breach_contact_phone, subcontractors, cross_border absent(s)"
cnil_keys() {	# cnil_keys SIREN PHONE: the keys, after dpo_address
	sed "/^dpo_address = /a organisation_name = Commune de Fontenay-aux-Roses (test)\\
organisation_siren = $1\\
organisation_address = 10 rue Boucicaut, 92260 Fontenay-aux-Roses\\
breach_contact_name = Camille Référente (test)\\
breach_contact_phone = $2\\
subcontractors = Hébergeur Exemple SAS (serveur du relais), Messagerie Exemple (SMTP/IMAP)\\
cross_border = aucun : données traitées et hébergées en France" "$FSRELAY_CONFIG"
}
cnil_keys 219200327 "01 41 13 20 00" > "$T_DIR/badsiren.conf"
chmod 600 "$T_DIR/badsiren.conf"
out=$("$FS" -c "$T_DIR/badsiren.conf" check 2>&1)
is "a SIREN whose Luhn key is wrong: check fails" "$?" 1
has "saying why" "$out" "organisation_siren : « 219200327 » n'est pas un numéro SIREN (9 chiffres, clé de Luhn)"
cnil_keys 219200326 "appeler l'accueil" > "$T_DIR/badphone.conf"
chmod 600 "$T_DIR/badphone.conf"
out=$("$FS" -c "$T_DIR/badphone.conf" check 2>&1)
is "a phone that is no number: check fails" "$?" 1
has "saying why" "$out" "breach_contact_phone : « appeler l'accueil » n'est pas un numéro de téléphone"
cnil_keys 219200326 "+33 1 41 13 20 00" > "$T_DIR/cnil.conf"
cat "$T_DIR/cnil.conf" > "$FSRELAY_CONFIG"
out=$("$FS" check 2>&1)
hasnt "check: nothing missing for the CNIL once set" "$out" "notification à la CNIL"

# ---- a referent key declared compromised ----
k0=$(count "$KDIR")	# the stack's mailboxes are shared by the tests
A=$(escalate Quibrante-Zed Ornella)
B=$(escalate QUIBRANTE-ZED ornella)	# the same person (blind index)
C=$(escalate Lemarchal Paul)
"$FS" serve --once 2>>"$LOG"
wait_mail "$KDIR" $((k0 + 3))
is "three cases delivered to the referent" "$(count "$KDIR")" $((k0 + 3))
export FSRELAY_NOW=2026-03-02T10:30:00Z
D=$(escalate Ndiaye Awa)		# queued, not sent yet
out=$("$FS" keys compromised referent "$REFT" 2>>"$LOG")
is "keys compromised exits 0" "$?" 0
has "it says the counts" "$out" "3 dossier(s), 2 personne(s)"
has "and the pending delivery stopped" "$out" "1 envoi(s) en attente arrêté(s)"
K=$(last_id)
is "entry status" "$(field "$K" status)" suspected
is "entry source" "$(field "$K" detection_source)" key-compromised
is "affected_cases = cases sent to that key" "$(field "$K" affected_cases)" 3
is "subjects_approx = distinct persons" "$(field "$K" subjects_approx)" 2
is "linked cases" "$(field "$K" linked_cases)" "$(printf '%s\n' "$A" "$B" "$C" | sort | tr '\n' ' ' | sed 's/ $//')"
"$FS" serve --once 2>>"$LOG"
is "the pending case did not leave" "$(count "$KDIR")" $((k0 + 3))
E=$(escalate Martin Luc)
"$FS" serve --once 2>>"$LOG"
is "nothing more is sent to the compromised key" "$(count "$KDIR")" $((k0 + 3))
ok "the store holds no name in clear" sh -c '! grep -qai quibrante "$0"/data/fsrelay.db*' "$T_DIR"
"$FS" keys compromised referent "$REFT" >/dev/null 2>&1
is "declaring it twice is refused" "$?" 1
"$FS" keys compromised referent personne@nulle.part >/dev/null 2>&1
is "an address without a pinned key is refused" "$?" 1
"$FS" keys compromised lune >/dev/null 2>&1
is "an unknown key name is a usage error or refusal" "$?" 1
sleep 0.5
has "the DPO was told at detection" "$(dpo_subjects "$K")" "nouvelle violation suspectée"

# ---- the pre-send scan: high risk, nothing leaves (test-only fault) ----
# A compromised key cannot be pinned again: the referent makes a new one.
KEY=$T_DIR/referents/$REFT.new.key
age-keygen -o "$KEY" 2>/dev/null
PUB=$(age-keygen -y "$KEY")
"$FS" referents key "$REFT" "$(age-keygen -y "$T_DIR/referents/$REFT.key")" \
	--verified-by "re-épinglage (test)" >/dev/null 2>&1
is "the compromised key cannot be pinned again" "$?" 1
"$FS" referents key "$REFT" "$PUB" --verified-by "nouvelle clé (test)" 2>>"$LOG"
# The mail is built when the case is queued (escalate), and scanned there.
DB=$T_DIR/data/fsrelay.db
scan_entry() {
	blist | py 'import json,sys; print([x for x in json.load(sys.stdin) if x["detection_source"]=="pre-send-scan"][-1]["id"])'
}
before=$(count "$KDIR")
# (issue 14) escalate refuses such a case itself: nothing stored, no entry.
ncases() { sqlite3 "$DB" "select count(*) from cases"; }
n0=$(ncases)
F=$(FSRELAY_TEST_FAULT=leak-subject escalate Quibrante-Zed Ornella)
is "escalate refuses the case whose mail the scan would block" "$?" 1
is "no case is stored for it" "$(ncases)" "$n0"
is "no prepared mail is kept for it" "$(sqlite3 "$DB" "select count(*) from prepared_mails")" 0
"$FS" serve --once 2>>"$LOG"
is "a refused case leaves nothing" "$(count "$KDIR")" "$before"
is "and opens no pre-send-scan entry" "$(blist | py 'import json,sys; print(len([x for x in json.load(sys.stdin) if x["detection_source"]=="pre-send-scan"]))')" 0
# A mail not prepared at queue time (as after a crash right after the
# commit) is built by the daemon, and scanned there.
F2=$(escalate Quibrante-Zed Ornella)
is "escalate prepared its mail" "$(sqlite3 "$DB" "select count(*) from prepared_mails")" 1
sqlite3 "$DB" "delete from prepared_mails"
FSRELAY_TEST_FAULT=leak-subject "$FS" serve --once 2>>"$LOG"
is "built by the daemon, a leaky mail does not leave either" "$(count "$KDIR")" "$before"
L2=$(scan_entry)
is "pre-send-scan entry is high risk" "$(field "$L2" risk_level)" high
is "it names the case" "$(field "$L2" linked_cases)" "$F2"
sed 's/^test_clock = yes/test_clock = no/' "$FSRELAY_CONFIG" > "$T_DIR/prod.conf"
chmod 600 "$T_DIR/prod.conf"
G=$(FSRELAY_TEST_FAULT=leak-subject env -u FSRELAY_NOW "$FS" -c "$T_DIR/prod.conf" escalate \
	--structure fontenay-aux-roses --partner dgfip --topic produits-locaux \
	--agent agent-registre --nom Bertin --prenom Odile --ne-le 1975-12-24 \
	--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" 2>>"$LOG")
is "without test_clock escalate ignores the fault hook" "$?" 0
FSRELAY_TEST_FAULT=leak-subject env -u FSRELAY_NOW "$FS" -c "$T_DIR/prod.conf" serve --once 2>>"$LOG"
wait_mail "$KDIR" $((before + 1))
is "without test_clock the fault hook is inert: the case leaves" "$(count "$KDIR")" "$((before + 1))"
[ "$(count "$KDIR")" = "$((before + 1))" ] || tail -n 5 "$LOG" >&2

# ---- the 72-hour clock: alerts once each ----
export FSRELAY_NOW=2026-03-09T10:00:00Z
"$FS" breach declare --nature c --facts "Dossier papier perdu lors d'un déménagement." \
	--dossier "$A" >/dev/null 2>>"$LOG"
is "breach declare exits 0" "$?" 0
M=$(last_id)
is "declared entry is suspected until aware_at" "$(field "$M" status)" suspected
is "its provisional deadline" "$(field "$M" deadline_at)" 2026-03-12T10:00:00Z
for t in 2026-03-09T10:00:00Z 2026-03-10T09:59:00Z 2026-03-10T10:00:00Z 2026-03-10T10:00:30Z \
    2026-03-11T10:00:00Z 2026-03-11T12:00:00Z 2026-03-11T22:00:00Z 2026-03-12T09:00:00Z \
    2026-03-12T10:00:00Z 2026-03-12T18:00:00Z 2026-03-13T10:00:00Z; do
	FSRELAY_NOW=$t "$FS" serve --once 2>>"$LOG"
done
sleep 0.5
subjects=$(dpo_subjects "$M")
is "five alerts in all" "$(echo "$subjects" | grep -c .)" 5
for s in "nouvelle violation" "1/3 du délai" "2/3 du délai" "5/6 du délai" "DÉPASSÉ"; do
	is "alert « $s » once" "$(echo "$subjects" | grep -c "$s")" 1
done

# ---- DPO commands ----
export FSRELAY_NOW=2026-03-13T11:00:00Z
err=$("$FS" breach assess "$M" --cause accidentelle 2>&1)
is "an unknown --cause is refused" "$?" 1
has "naming the five causes" "$err" "--cause : interne-accidentelle, interne-malveillante, externe-accidentelle, externe-malveillante ou inconnue attendu"
ok "assess --cause" "$FS" breach assess "$M" --cause interne-accidentelle
is "cause in the register" "$(field "$M" cause)" interne-accidentelle
err=$("$FS" breach notify "$M" --cnil-ref X 2>&1)
is "notify before aware_at is refused" "$?" 1
has "saying why" "$err" "prise de connaissance"
ok "assess sets aware_at and risk" "$FS" breach assess "$M" --aware-at 2026-03-09T12:00:00Z \
	--risk high --rationale "dossiers d'usagers lisibles" --subjects 1 --records 3 \
	--consequences "divulgation" --measures-taken "recherche du dossier" \
	--data-categories "identité, revenus" --subject-categories "usagers"
is "status open" "$(field "$M" status)" open
is "deadline from aware_at" "$(field "$M" deadline_at)" 2026-03-12T12:00:00Z
err=$("$FS" breach notify "$M" --cnil-ref NOTIF-1 2>&1)
is "a late notification without reasons is refused" "$?" 1
has "naming the option" "$err" "--reasons-for-delay"
ok "with reasons it is recorded" "$FS" breach notify "$M" --cnil-ref NOTIF-1 \
	--reasons-for-delay "le DPO était absent"
is "status notified" "$(field "$M" status)" notified
err=$("$FS" breach close "$M" 2>&1)
is "close without art. 34 decision is refused" "$?" 1
has "saying what is missing" "$err" "article 34"
err=$("$FS" breach exempt "$M" --reason a 2>&1)
is "art. 34 exemption without justification is refused" "$?" 1
has "saying why" "$err" "justification"
"$FS" breach exempt "$M" --reason a --justification "   " >/dev/null 2>&1
is "a blank justification too" "$?" 1
"$FS" breach exempt "$M" --reason d --justification x >/dev/null 2>&1
is "an unknown reason too" "$?" 1
ok "exempt with justification" "$FS" breach exempt "$M" --reason a \
	--justification "le dossier papier était sous enveloppe scellée"
text=$("$FS" breach export "$M" 2>>"$LOG")
is "breach export exits 0" "$?" 0
has "export: complementary" "$text" "Type de notification : complémentaire"
has "export: the DPO" "$text" "dpo@fs-fontenay.test"
has "export: art. 33(3)(d)" "$text" "article 33(3)(d)"
has "export: the exemption" "$text" "34(3)(a)"
has "export: the controller" "$text" "Organisme : Commune de Fontenay-aux-Roses (test)"
has "export: its SIREN" "$text" "SIREN : 219200326"
has "export: its address" "$text" "Adresse : 10 rue Boucicaut, 92260 Fontenay-aux-Roses"
has "export: the contact person" "$text" "Personne à contacter : Camille Référente (test)"
has "export: with a phone" "$text" "Téléphone : +33 1 41 13 20 00"
has "export: the cause category" "$text" "Cause : acte interne accidentel"
has "export: the subcontractors" "$text" "Hébergeur Exemple SAS (serveur du relais), Messagerie Exemple (SMTP/IMAP)"
has "export: cross-border aspects" "$text" "Aspects transfrontaliers (autres États membres concernés) :
    aucun : données traitées et hébergées en France"
ok "close" "$FS" breach close "$M"
"$FS" breach assess "$M" --facts "autre" >/dev/null 2>&1
is "a closed entry does not change" "$?" 1
ok "list --open omits it" sh -c '! "$0" breach list --open | grep -q "^$1 "' "$FS" "$M"
hist=$("$FS" audit export | grep -c "\"action\":\"breach\.")
ok "every version is an audit leaf ($hist)" test "$hist" -ge 8
ok "the audit log still verifies" "$FS" audit verify

# ---- a stranger quoting a case tag (reply path, issue 4) ----
if grep -q 'breach_suspect' "$TOP/relay/inbox.c" 2>/dev/null; then
	rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
	python3 - "$C" > "$T_DIR/stranger.eml" <<'PY'
import email.message, email.policy, email.utils, sys
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"] = "inconnu@example.org", "relais@relay.fsrelay.test"
m["Subject"] = "Re: [%s] DGFiP" % sys.argv[1]
m["Message-ID"] = email.utils.make_msgid(domain="test.invalid")
m["Date"] = "Mon, 2 Mar 2026 11:00:00 +0000"
m.set_content("Je connais ce dossier.")
sys.stdout.buffer.write(m.as_bytes())
PY
	curl -s --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
		-u "$FSRELAY_TEST_RELAY_ADDRESS:$FSRELAY_TEST_PASSWORD" \
		--mail-from "$FSRELAY_TEST_RELAY_ADDRESS" --mail-rcpt "$FSRELAY_TEST_RELAY_ADDRESS" \
		-T "$T_DIR/stranger.eml"
	for _ in $(seq 1 100); do [ "$(count "$RELAY_MD")" -ge 1 ] && break; sleep 0.05; done
	"$FS" serve --once 2>>"$LOG"
	sleep 0.5
	S=$(blist | py 'import json,sys; l=[x for x in json.load(sys.stdin) if x["detection_source"]=="stranger-mail"]; print(l[-1]["id"] if l else "")')
	ok "a stranger quoting the tag opens a suspected entry" test -n "$S"
	[ -n "$S" ] && is "on that case" "$(field "$S" linked_cases)" "$C"
	[ -n "$S" ] && has "and the DPO is mailed" "$(dpo_subjects "$S")" "nouvelle violation"
	# (issue 14) a stranger citing a case in the text only, not the
	# subject: the entry names that case (it said « Dossier : aucun »)
	rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
	python3 - "$D" > "$T_DIR/stranger2.eml" <<'PY'
import email.message, email.policy, email.utils, sys
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"] = "curieux@example.net", "relais@relay.fsrelay.test"
m["Subject"] = "Une question"
m["Message-ID"] = email.utils.make_msgid(domain="test.invalid")
m["Date"] = "Mon, 2 Mar 2026 11:30:00 +0000"
m.set_content("Bonjour, que devient le dossier %s ?" % sys.argv[1])
sys.stdout.buffer.write(m.as_bytes())
PY
	curl -s --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
		-u "$FSRELAY_TEST_RELAY_ADDRESS:$FSRELAY_TEST_PASSWORD" \
		--mail-from "$FSRELAY_TEST_RELAY_ADDRESS" --mail-rcpt "$FSRELAY_TEST_RELAY_ADDRESS" \
		-T "$T_DIR/stranger2.eml"
	for _ in $(seq 1 100); do [ "$(count "$RELAY_MD")" -ge 1 ] && break; sleep 0.05; done
	"$FS" serve --once 2>>"$LOG"
	S2=$(blist | py 'import json,sys; l=[x for x in json.load(sys.stdin) if x["detection_source"]=="stranger-mail"]; print(l[-1]["id"] if l else "")')
	ok "a stranger citing a case in the text opens a new entry" test -n "$S2" -a "$S2" != "$S"
	is "linked to the case it cites" "$(field "$S2" linked_cases)" "$D"
	has "the DPO's alert names the case" "$(dpo_subjects "$S2")" "nouvelle violation"
else
	echo "SKIP: relay/inbox.c n'appelle pas encore breach_suspect (issue 4)" >&2
fi
hasnt "stderr has no personal data" "$(cat "$LOG")" "Quibrante"
done_testing
