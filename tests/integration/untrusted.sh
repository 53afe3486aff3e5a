# untrusted.sh - issue 16 point 3 on the real stack, as an attacker would
# do it: the referent's reply (a genuine one: our Message-ID, its own
# address) carries an age file for the relay whose content holds escape
# sequences (window title, screen clear, OSC 52 clipboard write), a C1 CSI
# (U+009B), a right-to-left override (U+202E) in a piece name, and three
# pieces of the same name; a stranger's mail with the same text goes to
# quarantine.  `show`, `show --json` and `quarantine show` print no raw
# control character; `show --extraire` writes the three pieces numbered;
# escalate refuses the piece names that would not seal.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
MD=$FSRELAY_TEST_MAILDIRS
RELAY_MD=$MD/relay.fsrelay.test/relais/Maildir
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$MD/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null

printf 'Situation de Mme Ornella Quibrante-Zed, dossier bloqué.\n' > "$T_DIR/desc.txt"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --partner caf --topic prestations-familiales \
		--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
		--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" "$@" 2>>"$LOG"
}
serve1() { "$FS" serve --once 2>>"$LOG"; }
py() { python3 -c "$1" "${@:2}"; }
# raw_controls: count of C0 (but LF, TAB), DEL, C1, bidi controls in stdin
raw_controls() {
	python3 -c 'import re,sys
t = sys.stdin.buffer.read().decode("utf-8", "replace")
print(len(re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]", t)))'
}

export FSRELAY_NOW=2026-03-02T10:00:00Z

# ---- 1. escalate refuses names that would not seal ----
printf '%%PDF-1.4 x\n' > "$T_DIR/ok.pdf"
c1=$(printf 'releve\302\233.pdf'); cp "$T_DIR/ok.pdf" "$T_DIR/$c1"
rlo=$(printf 'x\342\200\256fdp.exe'); cp "$T_DIR/ok.pdf" "$T_DIR/$rlo"
out=$(escalate --piece "$T_DIR/$c1" 2>&1); rc=$?
is "a piece named with U+009B is refused at escalate" "$rc" 1
has "saying why" "$(tail -n 3 "$LOG")" "caractère de contrôle interdit"
out=$(escalate --piece "$T_DIR/$rlo" 2>&1); rc=$?
is "a piece named with U+202E is refused at escalate" "$rc" 1
has "saying why" "$(tail -n 3 "$LOG")" "sens d'écriture"
is "nothing was stored" "$(sqlite3 "$T_DIR/data/fsrelay.db" 'select count(*) from cases')" 0

# ---- 2. a genuine reply whose age content is hostile ----
A=$(escalate)
serve1
wait_delivered "$CAF_MD" "$A"
mid=$(delivered "$CAF_MD" "$A" Message-ID)
rt=$(delivered "$CAF_MD" "$A" Reply-To)
subj=$(delivered "$CAF_MD" "$A" Subject)
# The age part is plain text (it skips the MIME cleaning); the pieces
# travel beside it in the mail.
printf 'Dossier vu. Hostileword\033]0;PWNED-TITLE\007\033[2J\033]52;c;ZWNobyBwd25lZA==\007 fin \302\23331m rouge \342\200\256exe.fdp\n' \
	> "$T_DIR/inner.txt"
age -r "$("$FS" keys show relay-identity 2>/dev/null | grep -o 'age1[0-9a-z]*' | head -n 1)" \
	-o "$T_DIR/reponse.age" "$T_DIR/inner.txt"
python3 - "$CAF" "$rt" "RE: $subj" "$mid" "$T_DIR/reponse.age" > "$T_DIR/reply.eml" <<'PY'
import email.message, email.policy, sys
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = sys.argv[1], sys.argv[2], sys.argv[3]
m["In-Reply-To"] = m["References"] = sys.argv[4]
m["Message-ID"] = "<hostile.age@caf.test>"
m.set_content("Voir la pièce jointe chiffrée.")
m.add_attachment(open(sys.argv[5], "rb").read(), maintype="application",
                 subtype="octet-stream", filename="reponse.age")
for i in range(3):
    m.add_attachment(b"%PDF-1.4 piece " + bytes([48 + i]), maintype="application",
                     subtype="pdf", filename="releve.pdf")
m.add_attachment(b"MZ", maintype="application", subtype="octet-stream",
                 filename="x\u202efdp\u009b.exe")
sys.stdout.buffer.write(m.as_bytes())
PY
smtp_send "$CAF" "$rt" "$T_DIR/reply.eml"
wait_relay 1
serve1
"$FS" show "$A" > "$T_DIR/show.txt" 2>>"$LOG"
is "show exits 0" "$?" 0
has "the decrypted reply is on the case" "$(cat "$T_DIR/show.txt")" "Hostileword"
is "show prints no raw control character" "$(raw_controls < "$T_DIR/show.txt")" 0
has "ESC shown as a control picture" "$(cat "$T_DIR/show.txt")" "␛]0;PWNED-TITLE␇␛[2J"
has "C1 CSI shown" "$(cat "$T_DIR/show.txt")" "<U+009B>31m"
has "RLO and C1 in the piece name shown" "$(cat "$T_DIR/show.txt")" "x<U+202E>fdp<U+009B>.exe"
"$FS" show "$A" --json > "$T_DIR/show.json" 2>>"$LOG"
ok "show --json is valid JSON" py 'import json,sys; json.load(open(sys.argv[1]))' "$T_DIR/show.json"
is "no control character in any JSON value" "$(py 'import json,sys
d = json.load(open(sys.argv[1]))
def walk(v):
    if isinstance(v, dict): [walk(x) for x in v.values()]
    elif isinstance(v, list): [walk(x) for x in v]
    elif isinstance(v, str): sys.stdout.write(v.replace("\n", "").replace("\t", ""))
walk(d)' "$T_DIR/show.json" | raw_controls)" 0

# ---- 3. --extraire: names cleaned, clashes numbered like open ----
"$FS" show "$A" --extraire "$T_DIR/out" >/dev/null 2>>"$LOG"
is "show --extraire exits 0" "$?" 0
is "the three pieces of the same name, numbered" "$(cd "$T_DIR/out" && ls releve*.pdf | sort | tr '\n' ' ')" \
	"releve-1.pdf releve-2.pdf releve.pdf "
is "each with its own content" "$(cat "$T_DIR/out/releve.pdf" "$T_DIR/out/releve-1.pdf" "$T_DIR/out/releve-2.pdf" | tr -d '\n')" \
	"%PDF-1.4 piece 0%PDF-1.4 piece 1%PDF-1.4 piece 2"
ok "the RLO name is written without the override" test -f "$T_DIR/out/x_fdp_.exe"
is "no file name on disk holds a control character" "$(ls "$T_DIR/out" | raw_controls)" 0
"$FS" show "$A" --extraire "$T_DIR/out" >/dev/null 2>>"$LOG"
is "extracting again numbers on (nothing overwritten)" "$(ls "$T_DIR/out" | grep -c '^releve')" 6

# ---- 4. the same text from a stranger: quarantine show is clean too ----
python3 - "$subj" > "$T_DIR/stranger.eml" <<'PY'
import email.message, email.policy, sys
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"] = "inconnu@example.org"
m["To"], m["Subject"] = "relais@relay.fsrelay.test", "RE: " + sys.argv[1] + " \u202etxt.exe"
m["Message-ID"] = "<stranger.esc@example.org>"
m.set_content("Strangerhostile \x1b]0;PWNED\x07\x1b[2J \u009b1m \u202e fin\n")
m.add_attachment(b"x", maintype="application", subtype="octet-stream",
                 filename="a\u202egpj.exe")
sys.stdout.buffer.write(m.as_bytes())
PY
smtp_send "$CAF" "$FSRELAY_TEST_RELAY_ADDRESS" "$T_DIR/stranger.eml"
wait_relay 1
serve1
Q=$("$FS" quarantine list --json 2>>"$LOG" | py 'import json,sys; q=[x for x in json.load(sys.stdin) if x["state"]=="held"]; print(q[-1]["id"] if q else "")')
ok "the stranger's mail is held" test -n "$Q"
"$FS" quarantine show "$Q" > "$T_DIR/q.txt" 2>>"$LOG"
is "quarantine show exits 0" "$?" 0
has "its text is shown" "$(cat "$T_DIR/q.txt")" "Strangerhostile"
is "quarantine show prints no raw control character" "$(raw_controls < "$T_DIR/q.txt")" 0
has "the subject's RLO shown" "$(cat "$T_DIR/q.txt")" "<U+202E>txt.exe"
"$FS" quarantine list > "$T_DIR/ql.txt" 2>>"$LOG"
is "quarantine list prints no raw control character" "$(raw_controls < "$T_DIR/ql.txt")" 0
"$FS" quarantine list --json > "$T_DIR/ql.json" 2>>"$LOG"
is "quarantine list --json holds no raw control character" "$(raw_controls < "$T_DIR/ql.json")" 0

hasnt "no sanitizer report (make check)" "$(cat "$LOG")" "Sanitizer"
done_testing
