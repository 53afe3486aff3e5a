# report.sh - the quarterly report (design §5, convention art. 4.7) on the
# real stack: cases escalated, delivered, answered by SMTP at chosen times,
# cancelled, escalated along the ladder; then `report --trimestre` counts
# them per partner and topic, measures the first reply in working days,
# says which came within the deadline, in text, CSV, JSON and SVG, with no
# personal data, without any key, and refuses bad input clearly.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
MD=$FSRELAY_TEST_MAILDIRS
RELAY_MD=$MD/relay.fsrelay.test/relais/Maildir
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$MD/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
# The relay's mailbox is shared by every instance of the stack: start empty.
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null

printf 'Situation de Mme Ornella Quibrante-Zed, dossier bloqué.\n' > "$T_DIR/desc.txt"
escalate() {	# escalate STRUCTURE AGENT PARTNER TOPIC
	"$FS" escalate --structure "$1" --agent "$2" --partner "$3" --topic "$4" \
		--nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 --id-partenaire 3019988776655 \
		--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" 2>>"$LOG"
}
serve_at() { FSRELAY_NOW=$1 "$FS" serve --once 2>>"$LOG"; }

# ---- the quarter: Monday 2 March 2026 ------------------------------------
export FSRELAY_NOW=2026-03-02T10:00:00Z
A=$(escalate fontenay-aux-roses agent1 caf prestations-familiales)
B=$(escalate fontenay-aux-roses agent1 caf prestations-familiales)
C=$(escalate fontenay-aux-roses agent1 dgfip impots-particuliers)
D=$(escalate fontenay-aux-roses agent1 caf logement)
E=$(escalate antony agent2 caf prestations-familiales)
G=$(escalate fontenay-aux-roses agent1 caf prestations-familiales)
ok "six cases escalated" test -n "$A" -a -n "$B" -a -n "$C" -a -n "$D" -a -n "$E" -a -n "$G"
ok "D cancelled" "$FS" cancel "$D" --motif "La personne a retiré sa demande." 2>>"$LOG"
serve_at 2026-03-02T10:00:00Z
# A answered the next day (1 working day).
reply_in "$CAF_MD" "$A" "$CAF" "Bonjour, c'est réglé."
wait_relay 1
serve_at 2026-03-03T10:00:00Z
# G waits for the person two working days (Tuesday to Thursday 10:00).
ok "G waits for the person" env FSRELAY_NOW=2026-03-03T10:00:00Z "$FS" wait "$G" 2>>"$LOG"
ok "G resumes" env FSRELAY_NOW=2026-03-05T10:00:00Z "$FS" resume "$G" 2>>"$LOG"
# B and G answered on Friday 6 March: 4 working days after the sending, B
# late; G in time (2 days once its pause is deducted; deadline moved by 2).
reply_in "$CAF_MD" "$B" "$CAF" "Bonjour, c'est réglé aussi, avec retard."
reply_in "$CAF_MD" "$G" "$CAF" "Bonjour, réglé après le retour de la personne."
wait_relay 2
# C and E stay silent: at this pass their first rung's deadline has passed.
serve_at 2026-03-06T10:00:00Z
# A case of the next quarter.
F=$(FSRELAY_NOW=2026-04-02T10:00:00Z escalate fontenay-aux-roses agent1 caf prestations-familiales)
ok "a case of the second quarter" test -n "$F"
states=$("$FS" cases --json | python3 -c 'import json,sys; print(" ".join(sorted(c["ref"][-2:]+":"+c["state"] for c in json.load(sys.stdin))))')
has "A answered" "$states" "${A: -2}:answered"
has "B answered" "$states" "${B: -2}:answered"
has "G answered" "$states" "${G: -2}:answered"

export FSRELAY_NOW=2026-04-15T10:00:00Z
# ---- text ----
out=$("$FS" report --trimestre 2026-T1 --structure fontenay-aux-roses 2>>"$LOG")
is "report exits 0" "$?" 0
has "title names the quarter" "$out" "Rapport trimestriel France Services 2026-T1"
has "and the period" "$out" "du 2026-01-01 au 2026-03-31 (heure de Paris), fontenay-aux-roses"
has "CAF, Prestations familiales: 1, 4 and 2 (pause deducted) working days" "$out" \
	"CAF — Prestations familiales
  dossiers transmis : 3
  réponses d'un référent : 3, dont 2 dans le délai (67 % des dossiers non annulés)
  délai médian de première réponse : 2,0 jour(s) ouvré(s)
  sans réponse : 0 (dont 0 en retard)"
has "CAF, Aide au logement: the cancelled case" "$out" "CAF — Aide au logement
  dossiers transmis : 1 (dont 1 annulé)"
has "DGFiP: unanswered and overdue" "$out" "DGFiP — Impôts des particuliers
  dossiers transmis : 1
  réponses d'un référent : 0, dont 0 dans le délai (0 % des dossiers non annulés)
  délai médian de première réponse : aucune réponse
  sans réponse : 1 (dont 1 en retard)"
has "the total" "$out" "Total
  dossiers transmis : 5 (dont 1 annulé)
  réponses d'un référent : 3, dont 2 dans le délai (50 % des dossiers non annulés)
  délai médian de première réponse : 2,0 jour(s) ouvré(s)
  sans réponse : 1 (dont 1 en retard)"
for secret in Quibrante Ornella 3019988776655 1975 "$A" "$D"; do
	hasnt "no personal data nor reference in the report ($secret)" "$out" "$secret"
done

# ---- CSV: every structure ----
"$FS" report --trimestre 2026-t1 --csv > "$T_DIR/r.csv" 2>>"$LOG"
is "report --csv exits 0" "$?" 0
csv=$(python3 - "$T_DIR/r.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
for r in rows:
    print(r["partenaire"], r["motif"], r["dossiers"], r["annules"], r["repondus"],
          r["dans_le_delai"], r["delai_median"], r["unite_delai"], r["sans_reponse"], r["en_retard"])
PY
)
has "CSV: CAF prestations, both structures (E from Antony is unanswered)" "$csv" \
	"caf prestations-familiales 4 0 3 2 2.0 working_days 1 1"
has "CSV: CAF subtotal" "$csv" "caf * 5 1 3 2 2.0 working_days 1 1"
has "CSV: DGFiP (no answer: no median, no unit)" "$csv" "dgfip impots-particuliers 1 0 0 0   1 1"
has "CSV: total" "$csv" "* * 6 1 3 2 2.0 working_days 2 2"
ok "CSV lines end with CRLF" grep -q $'\r$' "$T_DIR/r.csv"

# ---- JSON: the next quarter; SVG written alongside ----
"$FS" report --trimestre 2026-T2 --json --svg "$T_DIR/r.svg" > "$T_DIR/r.json" 2>>"$LOG"
is "report --json --svg exits 0" "$?" 0
js=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = [r for r in d["rows"] if r["kind"] == "total"][0]
print(d["quarter"], d["from"], d["to"], d["structure"], t["cases"], t["answered"], t["median_delay"], t["delay_unit"])' "$T_DIR/r.json")
is "JSON: Q2 holds F only" "$js" "2026-T2 2026-03-31T22:00:00Z 2026-06-30T22:00:00Z None 1 0 None None"
svg=$(python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
print(root.tag == ns + "svg", root.find(ns + "title").text, len(root.findall(ns + "rect")))' "$T_DIR/r.svg")
# background, one bar (F, unanswered), four legend squares
is "SVG: well-formed, titled, bars and legend" "$svg" "True Dossiers transmis par partenaire, 2026-T2 6"
hasnt "SVG: no personal data" "$(cat "$T_DIR/r.svg")" "Quibrante"

# ---- no key needed: the report reads metadata only ----
KEYS=$(dirname "$(find "$T_DIR/data" -name kek.key | head -n 1)")
mv "$KEYS" "$KEYS.off"
ok "the report works without the keys" "$FS" report --trimestre 2026-T1 --csv
mv "$KEYS.off" "$KEYS"

# ---- refusals ----
"$FS" report >/dev/null 2>"$T_DIR/e1"
is "no --trimestre: usage error" "$?" 2
has "it says what is missing" "$(cat "$T_DIR/e1")" "--trimestre est obligatoire"
"$FS" report --trimestre 2026-T5 >/dev/null 2>"$T_DIR/e2"
is "T5: usage error" "$?" 2
has "it gives the expected form" "$(cat "$T_DIR/e2")" "attendu AAAA-TN"
"$FS" report --trimestre 2026-T1 --csv --json >/dev/null 2>&1
is "--csv with --json: usage error" "$?" 2
"$FS" report --trimestre 2026-T1 --structure nulle-part >/dev/null 2>"$T_DIR/e3"
is "unknown structure: refused" "$?" 1
has "it names it" "$(cat "$T_DIR/e3")" "structure inconnue « nulle-part »"
"$FS" report --trimestre 2026-T1 --svg "$T_DIR/absent/r.svg" >/dev/null 2>"$T_DIR/e4"
is "SVG into a missing directory: refused" "$?" 1
has "with the reason" "$(cat "$T_DIR/e4")" "No such file or directory"
out=$("$FS" report --trimestre 2030-T3 2>>"$LOG")
has "an empty quarter still has its total" "$out" "Total
  dossiers transmis : 0"
done_testing
