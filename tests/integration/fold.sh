# fold.sh - issue 11 point 4 on the real stack: replies as referents write
# them.  Only what is proven to be a quote is folded (the mail we sent, an
# earlier message of the thread, or '>' lines after a client's
# attribution); the referent's own words are never folded, even after « Le
# médecin-conseil a écrit : »; the whole decoded text is kept sealed and
# shown by `show --deplier` and `show --json` (full_text).  Every reply
# below marks each of its own lines with a word OWN<n>: `show` must print
# every one of them.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
MD=$FSRELAY_TEST_MAILDIRS
RELAY_MD=$MD/relay.fsrelay.test/relais/Maildir
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$MD/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null

printf 'Situation de Mme Ornella Quibrante-Zed, dossier bloqué.\n' > "$T_DIR/desc.txt"
export FSRELAY_NOW=2026-03-02T10:00:00Z
REF=$("$FS" escalate --structure fontenay-aux-roses --partner caf --topic prestations-familiales \
	--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
	--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" 2>>"$LOG")
ok "escalate" test -n "$REF"
"$FS" serve --once 2>>"$LOG"
wait_delivered "$CAF_MD" "$REF"
# The cover note as the referent's client shows it, to be quoted back.
python3 - "$CAF_MD" "$REF" > "$T_DIR/cover.txt" <<'PY'
import email, email.policy, glob, os, sys
md, ref = sys.argv[1:3]
for f in sorted(glob.glob(md + "/new/*") + glob.glob(md + "/cur/*"), key=os.path.getmtime, reverse=True):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    if (m.get("Message-ID") or "").startswith("<" + ref + "."):
        print(m.get_body(("plain",)).get_content(), end="")
        break
PY
has "the cover note was read" "$(cat "$T_DIR/cover.txt")" "Pour répondre"
COVER_LINE="Pour répondre, répondez simplement à ce message"
# issue 11 point 5: the cover note as a referent new to fsrelay reads it
cover=$(cat "$T_DIR/cover.txt")
has "cover note: the relay's display name" "$cover" "par le relais sécurisé :
    France Services"
has "cover note: the answer deadline, in French" "$cover" "Réponse attendue au plus tard le :
    jeudi 5 mars 2026 à 11 h 00"
has "cover note: the opener first" "$cover" "ouvrez la page « ouvrir-le-dossier.html »"
has "cover note: Windows, macOS, Linux" "$cover" "sous Windows, macOS ou Linux"
has "cover note: then age" "$cover" "age -d -i VOTRE_CLE.key"
has "cover note: a plain reply travels unencrypted" "$cover" "une réponse ordinaire voyage en
clair"
has "cover note: how to reply encrypted" "$cover" "    age -a -r age1"
has "cover note: the guide, in two sentences" "$cover" "Le guide du référent"
hasnt "cover note: nothing of the person" "$cover" "Quibrante"

# The replies: style name, then the body.
outlook_top() {	# Outlook: top-posting, our mail below an unquoted header block
	printf 'Bonjour,\n\nLe médecin-conseil a écrit :\nl arrêt de travail est justifié OWN1.\nLes indemnités seront versées sous huit jours OWN2.\n\nCordialement OWN3\n\nDe : relais@relay.fsrelay.test <relais@relay.fsrelay.test>\nEnvoyé : lundi 2 mars 2026 11:00\nÀ : %s\nObjet : dossier\n\n' "$CAF"
	cat "$T_DIR/cover.txt"
}
gmail_bottom() {	# Gmail / Thunderbird: attribution, '>' quote, answers between
	printf 'Le lun. 2 mars 2026 à 11:00, relais a écrit :\n'
	sed 's/^/> /' "$T_DIR/cover.txt" | head -n 6
	printf '\nMa réponse ligne un OWN4.\n\n'
	sed 's/^/> /' "$T_DIR/cover.txt" | sed -n '7,$p'
	printf '\nMa réponse ligne deux OWN5.\n'
}
own_words_only() {	# the referent's own « a écrit : » and no quote at all
	printf 'Le médecin-conseil a écrit :\nle dossier est accepté OWN6.\n\nLe service a écrit :\nle versement part demain OWN7.\n'
}
own_gt_lines() {	# '>' lines of the referent's own, not from the thread
	printf 'Voici le barème OWN8 :\n> plafond 1 200 euros OWN9\n> plancher 300 euros OWN10\nFin OWN11.\n'
}
n=0
for style in outlook_top gmail_bottom own_words_only own_gt_lines; do
	n=$((n + 1))
	"$style" > "$T_DIR/body-$style.txt"
	export FSRELAY_NOW=2026-03-02T1$n:30:00Z
	reply_in "$CAF_MD" "$REF" "$CAF" "$(cat "$T_DIR/body-$style.txt")"
	ok "reply $style reached the relay" wait_relay 1
	"$FS" serve --once 2>>"$LOG"
	rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
done
# issue 11 point 4: an ASCII-armored age file (age -a) for the relay,
# pasted in the body or attached, is decrypted like the binary form.
RELAY_RCPT=$("$FS" keys show relay-identity 2>>"$LOG")
printf 'Texte chiffré collé OWN12, mot Armurecollee.\n' | age -a -r "$RELAY_RCPT" > "$T_DIR/pasted.txt"
export FSRELAY_NOW=2026-03-02T16:30:00Z
reply_in "$CAF_MD" "$REF" "$CAF" "Bonjour, réponse chiffrée ci-dessous OWN13.

$(cat "$T_DIR/pasted.txt")

Cordialement OWN14"
ok "the pasted armor reached the relay" wait_relay 1
"$FS" serve --once 2>>"$LOG"
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
printf 'Réponse en pièce jointe armurée, mot Armurejointe.\n' | age -a -r "$RELAY_RCPT" > "$T_DIR/reponse.age"
mid=$(delivered "$CAF_MD" "$REF" Message-ID)
rt=$(delivered "$CAF_MD" "$REF" Reply-To)
python3 - "$CAF" "$rt" "$mid" "$T_DIR/reponse.age" > "$T_DIR/att.eml" <<'PY'
import email.message, email.policy, email.utils, sys
frm, to, mid, path = sys.argv[1:5]
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = frm, to, "RE: dossier"
m["In-Reply-To"] = m["References"] = mid
m["Message-ID"] = email.utils.make_msgid(domain="test.invalid")
m["Date"] = "Mon, 2 Mar 2026 17:30:00 +0000"
m.set_content("Voir la pièce jointe chiffrée.\n")
m.add_attachment(open(path, "rb").read(), maintype="text", subtype="plain", filename="reponse.age")
sys.stdout.buffer.write(m.as_bytes())
PY
export FSRELAY_NOW=2026-03-02T17:30:00Z
smtp_send "$CAF" "$rt" "$T_DIR/att.eml"
ok "the armored attachment reached the relay" wait_relay 1
"$FS" serve --once 2>>"$LOG"
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
# an age file for another key: kept, and the agent told in the thread
printf 'pour un autre\n' | age -r "$(age-keygen 2>/dev/null | age-keygen -y)" > "$T_DIR/autre.age"
sed -i 's/Armurejointe/Autrecle/' "$T_DIR/att.eml"
python3 - "$T_DIR/att.eml" "$T_DIR/autre.age" <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.SMTP)
for p in m.iter_attachments():
    p.set_content(open(sys.argv[2], "rb").read(), maintype="application", subtype="octet-stream",
        filename="autre.age")
del m["Message-ID"]
m["Message-ID"] = "<autre.cle@test.invalid>"
open(sys.argv[1], "wb").write(m.as_bytes())
PY
export FSRELAY_NOW=2026-03-02T18:30:00Z
smtp_send "$CAF" "$rt" "$T_DIR/att.eml"
ok "the other key's attachment reached the relay" wait_relay 1
"$FS" serve --once 2>>"$LOG"
show=$("$FS" show "$REF" 2>>"$LOG")
has "an age file the relay cannot open is flagged to the agent" "$show" \
	"[À VÉRIFIER : pièce jointe « autre.age » chiffrée, que le relais ne peut pas ouvrir"
has "the pasted armor is decrypted in place" "$show" "Texte chiffré collé OWN12, mot Armurecollee."
has "… the text around it kept" "$show" "Cordialement OWN14"
hasnt "… and the armor is gone" "$show" "BEGIN AGE ENCRYPTED FILE"
has "the armored attachment is decrypted" "$show" "Réponse en pièce jointe armurée, mot Armurejointe."
show=$("$FS" show "$REF" 2>>"$LOG")
unfolded=$("$FS" show "$REF" --deplier 2>>"$LOG")
for k in 1 2 3 4 5 6 7 8 9 10 11 13 14; do
	line=$(grep -h "OWN$k\b" "$T_DIR"/body-*.txt | head -n 1)
	has "show keeps the referent's own line OWN$k" "$show" "$line"
done
# What was folded is exactly the mail we sent.
has "outlook_top: the quoted mail is folded" "$show" "[… historique replié …]"
hasnt "our cover note is not shown again" "$show" "$COVER_LINE"
has "show says how to unfold" "$show" "fsrelay show --deplier"
has "show --deplier: the whole text is kept" "$unfolded" "$COVER_LINE"
has "show --deplier: the header block too" "$unfolded" "Envoyé : lundi 2 mars 2026 11:00"
full=$("$FS" show "$REF" --json 2>>"$LOG" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["messages"]:
    if m["kind"] == "reply":
        print("FOLDED" if m["full_text"] else "WHOLE", "|", (m["full_text"] or "").count("Pour répondre"))')
is "show --json: full_text for the two quoting replies only" "$full" "FOLDED | 1
FOLDED | 1
WHOLE | 0
WHOLE | 0
WHOLE | 0
WHOLE | 0
WHOLE | 0"
done_testing
