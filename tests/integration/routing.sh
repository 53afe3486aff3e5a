# tests/integration/routing.sh - routing (design §4) on the real Annex 6 data
# (config/annex6-hauts-de-seine.csv) through « fsrelay escalate » and
# « fsrelay cases --json »: the rung-0 recipients of each case, one queued
# delivery per recipient with the pinned key's fingerprint, and the refusals
# for an empty rung 0 naming partner, topic and structure.  Only rung 0 is
# visible through the CLI today; the whole ladders are unit-tested in
# tests/unit/test_directory.c.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
DB=$T_DIR/data/fsrelay.db
mkdir -p "$W"
cd "$W" || exit 1
export FSRELAY_NOW=2026-03-01T10:00:00Z
printf 'Situation bloquée, merci.\n' > desc.txt

# fsr ARGS...: run the CLI; sets rc, out (stdout), err (stderr)
fsr() {
	"$FS" "$@" >"$W/out" 2>"$W/err"
	rc=$?
	out=$(cat "$W/out")
	err=$(cat "$W/err")
}
# route AGENT STRUCTURE PARTNER TOPIC: escalate; sets rc, out, err
route() {
	fsr escalate --agent "$1" --structure "$2" --partner "$3" --topic "$4" \
	    --nom Martin --prenom Claire --mandat-signe-le 2026-02-01 --description-file "$W/desc.txt"
}
# summary REF: case REF as listed by « cases --json », on one line
# ("ABSENT" if it is not listed exactly once)
summary() {
	"$FS" cases --json | python3 -c '
import json, sys
cases = [c for c in json.load(sys.stdin) if c["ref"] == sys.argv[1]]
if len(cases) != 1:
    print("ABSENT")
else:
    c = cases[0]
    print("state=%s rung=%s partner=%s topic=%s structure=%s recipients=%s" % (c["state"],
          c["rung"], c["partner"], c["topic"], c["structure"], ",".join(c["recipients"])))
' "$1"
}
# queued REF: "recipient fingerprint" of each delivery row of case REF, in order
queued() {
	sqlite3 "$DB" "select d.rung || ' ' || d.recipient || ' ' || d.state || ' ' ||
	    (d.key_fingerprint = k.fingerprint) from deliveries d
	    left join referent_keys k on k.email_lc = d.recipient_lc
	    where d.case_id = (select id from cases where ref = '$1') order by d.id"
}
# routes DESC AGENT STRUCTURE PARTNER TOPIC RECIPIENT...: accepted, rung 0 is
# exactly RECIPIENT... (in order), one pending delivery each, pinned key
routes() {
	local d=$1 agent=$2 s=$3 p=$4 t=$5 want="" q="" a
	shift 5
	route "$agent" "$s" "$p" "$t"
	is "$d : code (stderr: $err)" "$rc" 0
	ok "$d : référence ($out)" bash -c '[[ $0 =~ ^FS-[0-9]{5}-2026-[0-9]{6}$ ]]' "$out"
	for a in "$@"; do
		want="$want${want:+ }$a"
		q="$q${q:+$'\n'}0 $a pending 1"
	done
	is "$d : cases --json" "$(summary "$out")" \
	    "state=queued rung=0 partner=$p topic=$t structure=$s recipients=${want// /,}"
	is "$d : un envoi en attente par destinataire, clé épinglée" "$(queued "$out")" "$q"
}
# no_route DESC AGENT STRUCTURE PARTNER TOPIC MESSAGE: refused, nothing stored
no_route() {
	local d=$1 before
	before=$(sqlite3 "$DB" 'select count(*) from cases')
	route "$2" "$3" "$4" "$5"
	is "$d : code" "$rc" 1
	has "$d : message" "$err" "$6"
	is "$d : rien sur la sortie" "$out" ""
	is "$d : aucun dossier" "$(sqlite3 "$DB" 'select count(*) from cases')" "$before"
	is "$d : aucun envoi" "$(sqlite3 "$DB" "select count(*) from deliveries d join cases c
	    on c.id = d.case_id where c.partner = '$4' and c.topic = '$5' and c.structure = '$3'")" 0
}

routes "DGFiP impôts des particuliers (Fontenay)" agent1 fontenay-aux-roses dgfip \
    impots-particuliers delphine.kaczmar@dgfip.finances.gouv.fr
routes "DGFiP impôts des particuliers (Antony)" agent2 antony dgfip \
    impots-particuliers delphine.kaczmar@dgfip.finances.gouv.fr
routes "DGFiP produits locaux (Fontenay)" agent1 fontenay-aux-roses dgfip produits-locaux \
    denise.thibault1@dgfip.finances.gouv.fr
routes "CAF logement" agent1 fontenay-aux-roses caf logement \
    partenaires.cafnanterre@caf.cnafmail.fr
routes "CAF prestations familiales (Antony)" agent2 antony caf prestations-familiales \
    partenaires.cafnanterre@caf.cnafmail.fr
routes "CDAD sauj" agent1 fontenay-aux-roses cdad sauj accueil.tj-nanterre@justice.fr
routes "CDAD accès au droit" agent1 fontenay-aux-roses cdad acces-au-droit \
    cdad-hauts-de-seine@justice.fr
routes "Pôle emploi depuis Antony" agent2 antony pole-emploi emploi \
    Rachid.bouziane@pole-emploi.fr
routes "MSA retraite" agent1 fontenay-aux-roses msa retraite amoudry.valerie@msa75.msa.fr
routes "CNAV retraite" agent2 antony cnav retraite cnavpartenariats92@cnav.fr
routes "CPAM remboursements" agent1 fontenay-aux-roses cpam remboursements \
    aurelie.chapelle@assurance-maladie.fr
routes "Préfecture titres" agent1 fontenay-aux-roses prefecture titres \
    sgc-france-services@hauts-de-seine.gouv.fr
routes "La Poste courrier" agent2 antony laposte courrier isabelle.benichou@laposte.fr

no_route "Pôle emploi depuis Fontenay" agent1 fontenay-aux-roses pole-emploi emploi \
    "France Travail (Pôle emploi) – emploi – fontenay-aux-roses : aucun référent"
no_route "DGFiP produits-locaux depuis Antony" agent2 antony dgfip produits-locaux \
    "DGFiP – produits-locaux – antony : aucun référent"
no_route "DGFiP amendes" agent1 fontenay-aux-roses dgfip amendes \
    "DGFiP – amendes – fontenay-aux-roses : aucun référent"
no_route "MSA santé" agent2 antony msa sante "MSA – sante – antony : aucun référent"

# --- the case list: its shape (docs/json.md) and only these cases ---------------
fsr cases --json
is "cases --json : code" "$rc" 0
is "cases --json : forme" "$(printf '%s' "$out" | python3 -c '
import json, re, sys
cases = json.load(sys.stdin)
keys = {"ref", "state", "structure", "partner", "topic", "rung", "recipients",
        "created_at", "due_at", "user_due_at", "overdue", "last_error"}
t = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
bad = [c["ref"] for c in cases if not keys <= set(c)
       or c["created_at"] != "2026-03-01T10:00:00Z"
       or not (c["user_due_at"] is None or t.match(c["user_due_at"]))
       or not isinstance(c["overdue"], bool)
       or not all("@" in a for a in c["recipients"])]
print(len(cases), "dossiers", "mal formés : %s" % bad if bad else "bien formés")
')" "13 dossiers bien formés"
fsr cases
is "cases : code" "$rc" 0
has "cases : liste Antony pôle emploi" "$out" "pole-emploi"
hasnt "cases : pas de nom de personne" "$out" "Martin"
hasnt "cases : pas de prénom" "$out" "Claire"

done_testing
