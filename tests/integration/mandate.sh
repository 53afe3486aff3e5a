# mandate.sh - issue 14, item 4, on the real stack: `mandate revoke`
# (convention, annexe 7: the person may withdraw the mandate at any time):
# each referent who received the case gets a French notice, reference
# only, asking to destroy their copy (mailed through the stack); then the
# case is cancelled and shredded, audited; a case not yet sent tells nobody
# and nothing of it leaves.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
DB=$T_DIR/data/fsrelay.db
MD=$FSRELAY_TEST_MAILDIRS
# The primary referent of France Travail at Villeneuve-la-Garenne: no other
# test reads this mailbox.
REF_MD=$MD/pole-emploi.fr/fatima.es-saleh/Maildir
q() { sqlite3 -cmd '.timeout 2000' "$DB" "$1"; }
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }
state_of() { q "select state from cases where ref = '$1'"; }
ev() { q "select group_concat(outcome, '|') from events where action = '$1' and case_ref = '$2'"; }
# ref_subjects REF: subjects of the referent's mails about REF since the marker
ref_subjects() {
	python3 - "$REF_MD" "$1" "$T_DIR/marker" <<'PY'
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
"$FS" agents add mandat-vlg --structure villeneuve-la-garenne --nom "Agent mandat" \
	--email convention@fs-antony.test 2>>"$LOG"
esc() {	# esc NOM PRENOM
	printf 'Inscription bloquée de %s %s.\n' "$2" "$1" > "$T_DIR/d.txt"
	"$FS" escalate --structure villeneuve-la-garenne --partner pole-emploi --topic emploi \
	    --agent mandat-vlg --nom "$1" --prenom "$2" --mandat-signe-le 2026-02-20 \
	    --description-file "$T_DIR/d.txt" 2>>"$LOG"
}
export FSRELAY_NOW=2026-03-02T10:00:00Z
touch "$T_DIR/marker"
sleep 1
k0=$(count "$REF_MD")
R1=$(esc Retractee Solange)
"$FS" serve --once 2>>"$LOG"
wait_mail "$REF_MD" $((k0 + 1))
is "the case reached its referent" "$(count "$REF_MD")" $((k0 + 1))
is "awaiting" "$(state_of "$R1")" awaiting

# refusals first
"$FS" mandate revoke "$R1" >/dev/null 2>&1
is "revoke without --motif: usage (2)" "$?" 2
err=$("$FS" mandate revoke "$R1" --motif "retrait" --agent agent2 2>&1)
is "revoke by an agent of another structure: refused (1)" "$?" 1
has "saying why" "$err" "n'y a pas accès"
is "the case is untouched" "$(state_of "$R1")" awaiting
err=$("$FS" mandate revoke FS-92078-2026-999999 --motif "retrait" 2>&1)
is "an unknown case: refused (1)" "$?" 1

err=$("$FS" mandate revoke "$R1" --motif "la personne retire son mandat" --agent mandat-vlg 2>&1)
is "revoke: exit 0 ($err)" "$?" 0
has "it says how many referents are told" "$err" "1 référent(s) prévenu(s), dossier annulé et détruit"
is "the case is shredded" "$(state_of "$R1")" shredded
is "audited: case.mandate_revoked" "$(ev case.mandate_revoked "$R1")" "1 référent(s) prévenu(s)"
is "by the agent" "$(q "select actor from events where action = 'case.mandate_revoked' and case_ref = '$R1'")" mandat-vlg
is "cancelled" "$(ev case.cancelled "$R1")" "mandat retiré"
is "shredded" "$(ev case.shredded "$R1")" "mandate revoked"
is "no wrapped key left" "$(q "select count(*) from case_keys k join cases c on c.id = k.case_id where c.ref = '$R1'")" 0
ok "no trace of the name in the database" sh -c '! grep -qa Retractee "$0"/data/fsrelay.db*' "$T_DIR"
is "one notice, to the referent who received it" \
    "$(q "select recipient from notices where kind = 'mandate-revoked' and case_ref = '$R1'")" fatima.es-saleh@pole-emploi.fr
body=$(q "select body from notices where kind = 'mandate-revoked' and case_ref = '$R1'")
has "asking to destroy the copy" "$body" "Merci de détruire toute copie de ce dossier que vous détenez"
has "naming the convention" "$body" "annexe 7"
hasnt "no name in it" "$body" "Retractee"
hasnt "nor the motif" "$body" "retire son mandat"
"$FS" serve --once 2>>"$LOG"
is "the notice is sent (250)" "$(q "select state from notices where kind = 'mandate-revoked' and case_ref = '$R1'")" sent
wait_mail "$REF_MD" $((k0 + 2))
sleep 0.5
has "the referent received it" "$(ref_subjects "$R1")" "[$R1] Mandat retiré : merci de détruire votre copie du dossier"
err=$("$FS" mandate revoke "$R1" --motif "encore" 2>&1)
is "revoking a shredded case: refused (1)" "$?" 1
has "saying it is destroyed" "$err" "détruit"

# a case not yet sent: nobody to tell, nothing leaves
R2=$(esc Pressee Odile)
k1=$(count "$REF_MD")
err=$("$FS" mandate revoke "$R2" --motif "retrait avant envoi" 2>&1)
is "revoke before any sending: exit 0" "$?" 0
has "no referent to tell" "$err" "0 référent(s) prévenu(s)"
is "no notice" "$(q "select count(*) from notices where kind = 'mandate-revoked' and case_ref = '$R2'")" 0
is "its delivery stopped" "$(q "select group_concat(d.state || ':' || d.last_error) from deliveries d join cases c on c.id = d.case_id where c.ref = '$R2'")" "failed:mandat retiré"
"$FS" serve --once 2>>"$LOG"
sleep 0.5
is "nothing of it leaves" "$(count "$REF_MD")" "$k1"
# the mandate object of show --json (docs/json.md)
R3=$(esc Montre Jules)
mj() { FSRELAY_NOW=$1 "$FS" show "$R3" --json 2>>"$LOG" | python3 -c 'import json,sys; m=json.load(sys.stdin)["mandate"]; print(m["signed_on"], m["valid_until"], m["sha256"], m["valid"])'; }
is "show --json: the mandate, valid" "$(mj 2026-03-02T10:00:00Z)" "2026-02-20 2027-02-19 None True"
is "valid on its last day (Paris)" "$(mj 2027-02-19T22:30:00Z)" "2026-02-20 2027-02-19 None True"
is "not the day after" "$(mj 2027-02-19T23:30:00Z)" "2026-02-20 2027-02-19 None False"
is "without --mandat-perimetre the mandate covers all" \
    "$("$FS" show "$R3" --json | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["mandate"]["scope"]))')" \
    "identite,naissance,identifiant,nir,documents"

# the mandate's scope (annexe 7: the data it authorises)
printf 'Situation.\n' > "$T_DIR/s.txt"
printf 'justificatif\n' > "$T_DIR/piece.pdf"
scope_esc() {	# scope_esc SCOPE ARGS...
	local sc=$1
	shift
	"$FS" escalate --structure villeneuve-la-garenne --partner pole-emploi --topic emploi \
	    --agent mandat-vlg --nom Perimetre --prenom Ines --mandat-signe-le 2026-02-20 \
	    --mandat-perimetre "$sc" --description-file "$T_DIR/s.txt" "$@"
}
n0=$(q "select count(*) from cases")
err=$(scope_esc identite,naissance --piece "$T_DIR/piece.pdf" 2>&1 >/dev/null)
is "a piece outside the scope: refused (1)" "$?" 1
has "the field named" "$err" "--piece : les pièces sont hors du périmètre du mandat (« documents » absent de --mandat-perimetre)"
err=$(scope_esc identite --ne-le 1980-01-02 2>&1 >/dev/null)
is "a birth date outside the scope: refused" "$?" 1
has "named" "$err" "--ne-le : la date de naissance est hors du périmètre du mandat"
err=$(scope_esc identite,naissance --id-partenaire 1234567A 2>&1 >/dev/null)
is "an identifier outside the scope: refused" "$?" 1
has "named" "$err" "--id-partenaire : l'identifiant est hors du périmètre du mandat"
err=$(scope_esc naissance 2>&1 >/dev/null)
is "a scope without identite: refused" "$?" 1
has "saying it is required" "$err" "« identite » est obligatoire"
err=$(scope_esc identite,adresse 2>&1 >/dev/null)
is "an unknown category: refused" "$?" 1
has "named" "$err" "--mandat-perimetre : « adresse » inconnu"
is "nothing stored by the refusals" "$(q "select count(*) from cases")" "$n0"
R4=$(scope_esc documents,identite --ne-le 1980-01-02 2>&1)
is "documents,identite with --ne-le: refused too (naissance missing)" "$(q "select count(*) from cases")" "$n0"
R4=$(scope_esc identite 2>>"$LOG")
is "a case within its scope is accepted" "$?" 0
is "show --json: its scope" \
    "$("$FS" show "$R4" --json | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["mandate"]["scope"]))')" identite
"$FS" serve --once 2>>"$LOG"
err=$("$FS" send "$R4" --description-file "$T_DIR/s.txt" --piece "$T_DIR/piece.pdf" 2>&1)
is "send: a piece outside the scope is refused (1)" "$?" 1
has "named" "$err" "$R4 : refusé : --piece : les pièces sont hors du périmètre du mandat (« documents »)"
ok "send without it goes" "$FS" send "$R4" --description-file "$T_DIR/s.txt"
# the reminder to the agent mandate_reminder_days (30) before the end
R5=$(FSRELAY_NOW=2026-12-10T10:00:00Z esc Rappel Noemie)
nrem() { q "select count(*) from notices where kind = 'mandate-reminder' and case_ref = '$R5'"; }
FSRELAY_NOW=2027-01-19T10:00:00Z "$FS" serve --once 2>>"$LOG"
is "31 days before the end: no reminder" "$(nrem)" 0
FSRELAY_NOW=2027-01-21T10:00:00Z "$FS" serve --once 2>>"$LOG"
is "29 days before the end: a reminder" "$(nrem)" 1
body=$(q "select body from notices where kind = 'mandate-reminder' and case_ref = '$R5'")
has "naming the last valid day" "$body" "est valable jusqu'au 2027-02-19 inclus"
has "and the command" "$body" "fsrelay mandate renew $R5 --mandat-signe-le AAAA-MM-JJ"
hasnt "by reference only" "$body" "Rappel"
is "to the agent, sent" "$(q "select recipient || ' ' || state from notices where kind = 'mandate-reminder' and case_ref = '$R5'")" "convention@fs-antony.test sent"
FSRELAY_NOW=2027-01-22T10:00:00Z "$FS" serve --once 2>>"$LOG"
is "once per mandate" "$(nrem)" 1
ok "the audit log verifies" "$FS" audit verify
hasnt "the log names no one" "$(cat "$LOG")" "Retractee"
done_testing
