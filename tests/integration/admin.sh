# tests/integration/admin.sh - the instance and its administration (issue 2,
# items 3, 5 and the test clock of item 4): the env file of tests/instance,
# FSRELAY_NOW honoured only with test_clock = yes, init that never
# overwrites, key file modes and what check / escalate make of them,
# referents import / list / check, agents add refusals, keys show;
# agents disable / enable / remove (issue 14), with the web desk's login.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
DATA=$T_DIR/data
DB=$DATA/fsrelay.db
KEYS=$DATA/keys
CSV=$TOP/config/annex6-hauts-de-seine.csv
mkdir -p "$W"
cd "$W" || exit 1
printf 'Dossier bloqué.\n' > desc.txt

# fsr ARGS...: run the CLI; sets rc, out (stdout), err (stderr)
fsr() {
	"$FS" "$@" >"$W/out" 2>"$W/err"
	rc=$?
	out=$(cat "$W/out")
	err=$(cat "$W/err")
}
# esc MANDATE [ARGS...]: a CAF case from agent1 (ARGS first: -c CONFIG)
esc() {
	local m=$1
	shift
	fsr "$@" escalate --agent agent1 --structure fontenay-aux-roses --partner caf \
	    --topic logement --nom Durand --prenom Paul --mandat-signe-le "$m" \
	    --description-file "$W/desc.txt"
}
# created REF: created_at of case REF in « cases --json »
created() {
	"$FS" cases --json | python3 -c '
import json, sys
print(*[c["created_at"] for c in json.load(sys.stdin) if c["ref"] == sys.argv[1]])' "$1"
}
ENV=$T_DIR/env

# --- tests/instance: the env file --------------------------------------------------------
for n in FSRELAY_BIN FSRELAY_TEST_SMTP_URL FSRELAY_TEST_IMAP_URL FSRELAY_TEST_CA \
    FSRELAY_TEST_PASSWORD FSRELAY_TEST_RELAY_ADDRESS FSRELAY_CONFIG \
    FSRELAY_TEST_AGENT_ADDRESS FSRELAY_TEST_MANAGER_ADDRESS FSRELAY_TEST_DPO_ADDRESS; do
	is "env : $n une seule fois, export NAME='valeur'" \
	    "$(grep -c "^export $n='[^']\+'\$" "$ENV")" 1
	v=$(bash -c '. "$1" && printf "%s" "${!2}"' _ "$ENV" "$n")
	case $n in
	FSRELAY_BIN | FSRELAY_TEST_CA | FSRELAY_CONFIG)
		has "env : $n chemin absolu" "x$v" "x/"
		ok "env : $n existe ($v)" test -s "$v";;
	FSRELAY_TEST_SMTP_URL)
		ok "env : $n = smtps://hôte:port ($v)" bash -c '[[ $0 =~ ^smtps://[^/:]+:[0-9]+$ ]]' "$v";;
	FSRELAY_TEST_IMAP_URL)
		ok "env : $n = imaps://hôte:port ($v)" bash -c '[[ $0 =~ ^imaps://[^/:]+:[0-9]+$ ]]' "$v";;
	FSRELAY_TEST_PASSWORD)
		ok "env : $n non vide" test -n "$v";;
	*)
		ok "env : $n est une adresse ($v)" bash -c '[[ $0 =~ ^[a-z0-9.+-]+@[a-z0-9.-]+$ ]]' "$v";;
	esac
done
ok "env : toutes les lignes sont des export NAME='valeur' ou des commentaires" \
    bash -c '! grep -v -e "^#" -e "^export [A-Z_][A-Z0-9_]*='\''[^'\'']*'\''\$" "$0"' "$ENV"
is "env : FSRELAY_BIN du test" "$(bash -c '. "$0" && echo "$FSRELAY_BIN"' "$ENV")" "$FS"
is "env : FSRELAY_CONFIG" "$FSRELAY_CONFIG" "$T_DIR/fsrelay.conf"
ok "config : test_clock = yes" grep -qx 'test_clock = yes' "$FSRELAY_CONFIG"
ok "config : authserv_id = mx.fsrelay.test" grep -qx 'authserv_id = mx.fsrelay.test' "$FSRELAY_CONFIG"
ok "config : dpo_address = FSRELAY_TEST_DPO_ADDRESS" \
    grep -qx "dpo_address = $FSRELAY_TEST_DPO_ADDRESS" "$FSRELAY_CONFIG"
ok "config : relay_address = FSRELAY_TEST_RELAY_ADDRESS" \
    grep -qx "relay_address = $FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_CONFIG"
fsr agents list
has "agents : agent1 à FSRELAY_TEST_AGENT_ADDRESS" "$out" "<$FSRELAY_TEST_AGENT_ADDRESS>"
ok "agents : le responsable à FSRELAY_TEST_MANAGER_ADDRESS" \
    bash -c 'grep -q "^responsable .*fontenay-aux-roses .*responsable .*<$1>" <<<"$0"' \
    "$out" "$FSRELAY_TEST_MANAGER_ADDRESS"
has "agents : agent2 d'Antony" "$out" "agent2@fs-antony.test"
naddr=$(python3 -c '
import csv, sys
print(len({r["email"].strip().lower() for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if r["email"].strip()}))' "$CSV")
is "une clé age par adresse de l'annuaire" "$(find "$T_DIR/referents" -name '*@*.key' | wc -l)" "$naddr"
ok "clé de Rachid.bouziane en minuscules" test -s "$T_DIR/referents/rachid.bouziane@pole-emploi.fr.key"
again=$("$TOP/tests/instance" "$T_DIR" 2>&1)
is "tests/instance une seconde fois : code" "$?" 1
has "tests/instance une seconde fois : refus" "$again" "refus de l'écraser"

# --- keys: modes, init refuses to overwrite, keys show ---------------------------------------
is "répertoire des clés en 0700" "$(stat -c %a "$KEYS")" 700
nkeys=0
for f in "$KEYS"/*; do
	is "clé $(basename "$f") en 0600" "$(stat -c %a "$f")" 600
	nkeys=$((nkeys + 1))
done
ok "au moins 5 fichiers de clés ($nkeys)" test "$nkeys" -ge 5
is "base en 0600" "$(stat -c %a "$DB")" 600
before=$(cat "$KEYS"/* | sha256sum)
fsr init
is "init une seconde fois : code" "$rc" 1
has "init une seconde fois : message" "$err" "refus d'écraser"
is "init une seconde fois : clés inchangées" "$(cat "$KEYS"/* | sha256sum)" "$before"
fsr keys show signing
is "keys show signing : code" "$rc" 0
ok "keys show signing : 44 caractères base64 ($out)" bash -c '[[ $0 =~ ^[A-Za-z0-9+/]{43}=$ ]]' "$out"
is "keys show signing : 32 octets" "$(printf '%s' "$out" | base64 -d | wc -c)" 32
is "keys show signing = relay-signing.pub" "$out" "$(cat "$T_DIR/relay-signing.pub")"
fsr keys show
is "keys show : code" "$rc" 0
has "keys show : identité age du relais" "$out" "age1"
has "keys show : clé de signature" "$out" "$(cat "$T_DIR/relay-signing.pub")"
fsr keys show nimportequoi
ok "keys show nimportequoi : refusé ($rc)" test "$rc" -ne 0

# --- check ------------------------------------------------------------------------------------
fsr check
is "check : code" "$rc" 0
has "check : avertit pour test_clock" "$out$err" "test_clock"
has "check : avertit pour les lacunes de l'annuaire" "$out$err" "lacunes"
has "check : 0 erreur" "$out$err" "0 erreur"
fsr check --strict
is "check --strict : code" "$rc" 1
has "check --strict : test_clock" "$out$err" "test_clock"
chmod 644 "$KEYS/kek.key"
fsr check
is "check, kek.key en 0644 : code" "$rc" 1
has "check, kek.key en 0644 : message" "$out$err" "kek.key : permissions 0644 trop ouvertes"
FSRELAY_NOW=2026-03-01T10:00:00Z esc 2026-02-01
is "escalate, kek.key en 0644 : code" "$rc" 1
has "escalate, kek.key en 0644 : message" "$err" "kek.key : permissions 0644 trop ouvertes"
is "escalate, kek.key en 0644 : rien sur la sortie" "$out" ""
chmod 600 "$KEYS/kek.key"
chmod 640 "$KEYS/index.key"
fsr check
is "check, index.key en 0640 : code" "$rc" 1
FSRELAY_NOW=2026-03-01T10:00:00Z esc 2026-02-01
is "escalate, index.key en 0640 : code" "$rc" 1
has "escalate, index.key en 0640 : message" "$err" "index.key : permissions 0640 trop ouvertes"
chmod 600 "$KEYS/index.key"
chmod 604 "$KEYS/signing.key"
fsr check
is "check, signing.key en 0604 : code" "$rc" 1
has "check, signing.key en 0604 : message" "$out$err" "signing.key : permissions 0604 trop ouvertes"
chmod 600 "$KEYS/signing.key"
chmod 755 "$KEYS"
fsr check
is "check, répertoire des clés en 0755 : code" "$rc" 1
has "check, répertoire des clés en 0755 : message" "$out$err" "permissions 0755 trop ouvertes"
chmod 700 "$KEYS"
DBF=$(dirname "$KEYS")/fsrelay.db
chmod 644 "$DBF"
fsr check
is "check, fsrelay.db en 0644 : code" "$rc" 1
has "check, fsrelay.db en 0644 : message" "$out$err" "fsrelay.db : permissions 0644 trop ouvertes"
chmod 600 "$DBF"
chmod 755 "$(dirname "$KEYS")"
fsr check
is "check, data_dir en 0755 : code" "$rc" 1
has "check, data_dir en 0755 : message" "$out$err" "data_dir ouvert au groupe ou aux autres (mode 0755)"
chmod 700 "$(dirname "$KEYS")"
fsr check
is "check, droits rétablis : code" "$rc" 0

# --- FSRELAY_NOW: honoured only with test_clock = yes ------------------------------------------
sed 's/^test_clock = yes$/test_clock = no/' "$FSRELAY_CONFIG" > "$W/noclock.conf"
chmod 600 "$W/noclock.conf"
ok "config sans horloge de test" grep -qx 'test_clock = no' "$W/noclock.conf"
clock_events() { sqlite3 "$DB" "select count(*) from events where action = 'clock.test'"; }
ev0=$(clock_events)
t0=$(date -u +%s)
today=$(TZ=Europe/Paris date +%F)
FSRELAY_NOW=2020-01-01T00:00:00Z esc "$today" -c "$W/noclock.conf"
t1=$(date -u +%s)
is "test_clock = no : escalate accepté (stderr: $err)" "$rc" 0
NOCLOCK=$out
has "test_clock = no : référence de l'année en cours" "$NOCLOCK" "-$(TZ=Europe/Paris date +%Y)-"
c=$(created "$NOCLOCK")
ct=$(date -u -d "${c%Z}" +%s 2>/dev/null || echo 0)
ok "test_clock = no : created_at ($c) est maintenant, pas 2020" test "$ct" -ge "$t0" -a "$ct" -le "$t1"
is "test_clock = no : pas d'événement clock.test" "$(clock_events)" "$ev0"
FSRELAY_NOW=2020-01-01T00:00:00Z esc 2019-06-01 -c "$W/noclock.conf"
is "test_clock = no : le mandat se juge à la vraie date (expiré)" "$rc" 1
has "test_clock = no : message" "$err" "expiré"
FSRELAY_NOW=n-importe-quoi fsr -c "$W/noclock.conf" cases
is "test_clock = no : FSRELAY_NOW invalide ignoré" "$rc" 0
fsr -c "$W/noclock.conf" check
hasnt "test_clock = no : check n'avertit pas pour test_clock" "$out$err" "test_clock"
FSRELAY_NOW=2020-01-01T00:00:00Z esc 2019-06-01
is "test_clock = yes : escalate accepté (stderr: $err)" "$rc" 0
has "test_clock = yes : référence de 2020" "$out" "-2020-"
is "test_clock = yes : created_at = FSRELAY_NOW" "$(created "$out")" "2020-01-01T00:00:00Z"
is "test_clock = yes : un événement clock.test" "$(clock_events)" "$((ev0 + 1))"
FSRELAY_NOW=n-importe-quoi fsr cases
is "test_clock = yes : FSRELAY_NOW invalide refusé" "$rc" 1
has "test_clock = yes : message" "$err" "FSRELAY_NOW invalide"

# --- referents import / list / check ------------------------------------------------------------
fps() {
	"$FS" referents list --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["email"]:
        print(r["email"].lower(), r["key_fingerprint"] or "null")' | sort -u
}
fp_before=$(fps)
is "list --json : toutes les adresses ont une clé épinglée" "$(grep -c ' null$' <<<"$fp_before")" 0
fsr referents import "$CSV"
is "réimport identique : code" "$rc" 0
has "réimport identique : 0 changement" "$out$err" "0 changement"
is "réimport identique : empreintes inchangées" "$(fps)" "$fp_before"
sed 's/cnavpartenariats92@cnav\.fr/Nouvelle.Adresse@cnav.fr/' "$CSV" > annex6-cnav.csv
fsr referents import annex6-cnav.csv
is "import modifié : code" "$rc" 0
has "import modifié : ligne retirée" "$out$err" "- retiré : cnav * retraite primary"
has "import modifié : ligne ajoutée" "$out$err" "+ ajouté : cnav * retraite primary Référents retraite back office 92 Nouvelle.Adresse@cnav.fr"
has "import modifié : décompte" "$out$err" "2 changements"
fp_after=$(fps)
is "import modifié : nouvelle adresse sans clé" "$(grep '^nouvelle.adresse@cnav.fr ' <<<"$fp_after")" \
    "nouvelle.adresse@cnav.fr null"
is "import modifié : les autres clés épinglées gardées" \
    "$(grep -v '^nouvelle.adresse@cnav.fr ' <<<"$fp_after")" \
    "$(grep -v '^cnavpartenariats92@cnav.fr ' <<<"$fp_before")"
fsr referents import annex6-cnav.csv
has "réimport du fichier modifié : 0 changement" "$out$err" "0 changement"
printf 'partner,partner_name\ncaf\n' > broken.csv
fsr referents import broken.csv
is "import d'un CSV invalide : code" "$rc" 1
is "import d'un CSV invalide : rien changé" "$(fps)" "$fp_after"
fsr referents import "$CSV"
is "retour à l'annuaire d'origine" "$rc" 0
is "retour : la clé de l'ancienne adresse est toujours épinglée" "$(fps)" "$fp_before"

fsr referents check
is "referents check : code (lacunes)" "$rc" 1
gaps=$out$err
for s in antony bourg-la-reine sceaux villeneuve-la-garenne colombes chaville levallois asnieres-sur-seine; do
	has "lacune : DGFiP produits-locaux à $s" "$gaps" "GAP $s dgfip produits-locaux : aucun référent"
	hasnt "pas de lacune : Pôle emploi à $s" "$gaps" "GAP $s pole-emploi"
done
hasnt "pas de lacune : DGFiP produits-locaux à Fontenay" "$gaps" "GAP fontenay-aux-roses dgfip produits-locaux"
for s in fontenay-aux-roses antony colombes; do
	has "lacune : DGFiP amendes à $s" "$gaps" "GAP $s dgfip amendes : aucun référent"
	has "lacune : MSA santé à $s" "$gaps" "GAP $s msa sante : aucun référent"
done
has "lacune : Pôle emploi à Fontenay" "$gaps" "GAP fontenay-aux-roses pole-emploi emploi : aucun référent"
hasnt "pas de lacune : CAF" "$gaps" "GAP fontenay-aux-roses caf"
has "info : numéros à usage interne" "$gaps" "à usage interne uniquement"
has "avertissement : pas de secours" "$gaps" "WARN fontenay-aux-roses msa retraite : pas de référent de secours"
hasnt "toutes les clés épinglées" "$gaps" "clé non épinglée"

# --- agents add ------------------------------------------------------------------------------------
fsr agents add agent3 --structure antony --nom "Agent Trois" --email 'x@'
is "agents add, adresse invalide : code" "$rc" 1
has "agents add, adresse invalide : message" "$err" "adresse invalide « x@ »"
fsr agents add agent3 --structure antony --nom "Agent Trois" --email 'agent3 fs-antony.test'
is "agents add, adresse sans @ : code" "$rc" 1
has "agents add, adresse sans @ : message" "$err" "adresse invalide"
fsr agents add agent3 --structure antony --nom "Agent Trois" --email $'agent3@fs-antony.test\r\nBcc: a@b.fr'
is "agents add, adresse avec CRLF : code" "$rc" 1
fsr agents add agent3 --structure gotham --nom "Agent Trois" --email agent3@fs-antony.test
is "agents add, structure inconnue : code" "$rc" 1
has "agents add, structure inconnue : message" "$err" "structure inconnue « gotham »"
fsr agents add 'Agent Trois' --structure antony --nom "Agent Trois" --email agent3@fs-antony.test
is "agents add, identifiant invalide : code" "$rc" 1
has "agents add, identifiant invalide : message" "$err" "identifiant invalide"
fsr agents add agent3 --structure antony --nom "Agent Trois" --email agent3@fs-antony.test --role chef
is "agents add, rôle inconnu : code 2" "$rc" 2
fsr agents add agent3 --structure antony --nom "Agent Trois"
is "agents add sans --email : code 2" "$rc" 2
fsr agents add agent1 --structure antony --nom "Agent Trois" --email agent3@fs-antony.test
is "agents add, identifiant déjà pris : code" "$rc" 1
has "agents add, identifiant déjà pris : message" "$err" "existe déjà"
fsr agents list
hasnt "aucun agent3 ajouté par les refus" "$out" "agent3"
fsr agents add agent3 --structure antony --nom "Agent Trois" --email agent3@fs-antony.test
is "agents add valide : code (stderr: $err)" "$rc" 0
fsr agents list
has "agents list : agent3" "$out" "agent3@fs-antony.test"

# A directory row the parser refuses (issue 12 point 3): every command that
# reads the directory says why, never « not an error » (the reason was
# dropped by store_directory_load).  The row is put back after.
RID=$(sqlite3 "$DB" "select min(id) from referents")
ROLE=$(sqlite3 "$DB" "select role from referents where id = $RID")
sqlite3 "$DB" "update referents set role = 'chef' where id = $RID"
fsr referents list
is "annuaire altéré : referents list, code 1" "$rc" 1
has "annuaire altéré : referents list dit pourquoi" "$err" "rôle inconnu"
hasnt "annuaire altéré : referents list, pas « not an error »" "$err" "not an error"
fsr referents check
has "annuaire altéré : referents check dit pourquoi" "$err" "rôle inconnu"
fsr check
has "annuaire altéré : check dit pourquoi" "$out$err" "annuaire illisible : "
has "annuaire altéré : check, la raison" "$out$err" "rôle inconnu"
esc "$today"
is "annuaire altéré : escalate refusé" "$rc" 1
has "annuaire altéré : escalate dit pourquoi" "$err" "lecture de l'annuaire : "
has "annuaire altéré : escalate, la raison" "$err" "rôle inconnu"
hasnt "annuaire altéré : escalate, pas « not an error »" "$err" "not an error"
sqlite3 "$DB" "update referents set role = '$ROLE' where id = $RID"
fsr referents list
is "annuaire rétabli : referents list, code 0" "$rc" 0

# --- agents disable / enable / remove (issue 14): one core rule (account_admin) for
# the CLI and the web desk; audited; the cases stay ------------------------------------------
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
esc "$today"
is "agents : un dossier d'agent1 avant (stderr: $err)" "$rc" 0
REF1=$out
ok "fsrelay web démarre" web_start ""
J=$W/jar
is "web : agent1 se connecte" "$(web_login "$J" agent1)" 303
is "web : sa session ouvre la liste" "$(web_curl "$J" -o /dev/null -w '%{http_code}' "${WEB_URL}dossiers")" 200
fsr agents disable agent1
is "agents disable : code (stderr: $err)" "$rc" 0
has "agents disable : message" "$err" "compte de « agent1 » désactivé"
is "agents disable : journalisé" \
    "$(sqlite3 "$DB" "select count(*) from events where actor = 'admin' and action = 'account.disabled' and outcome = 'agent1'")" 1
fsr agents list
ok "agents list : agent1 (désactivé)" bash -c 'grep -q "^agent1 .*<$1> (désactivé)$" <<<"$0"' \
    "$out" "$FSRELAY_TEST_AGENT_ADDRESS"
hasnt "web : la session d'agent1 est fermée" \
    "$(web_curl "$J" -o /dev/null -w '%{http_code}' "${WEB_URL}dossiers")" 200
rm -f "$J"
is "web : agent1 désactivé ne se connecte plus (401)" "$(web_login "$J" agent1)" 401
esc "$today"
is "escalate par un agent désactivé : code" "$rc" 1
has "escalate par un agent désactivé : raison" "$err" "le compte de l'agent « agent1 » est désactivé"
is "escalate par un agent désactivé : rien sur la sortie" "$out" ""
fsr show "$REF1" --agent agent1
is "show --agent d'un agent désactivé : code" "$rc" 1
fsr show "$REF1"
is "le dossier d'agent1 reste (show : code $rc, $err)" "$rc" 0
fsr agents disable personne
is "agents disable, inconnu : code" "$rc" 1
has "agents disable, inconnu : message" "$err" "agent « personne » inconnu"
fsr agents disable
is "agents disable sans ID : code 2" "$rc" 2
fsr agents enable agent1
is "agents enable : code (stderr: $err)" "$rc" 0
is "agents enable : journalisé" \
    "$(sqlite3 "$DB" "select count(*) from events where actor = 'admin' and action = 'account.enabled' and outcome = 'agent1'")" 1
is "web : agent1 réactivé se connecte" "$(web_login "$J" agent1)" 303
esc "$today"
is "escalate par agent1 réactivé : code (stderr: $err)" "$rc" 0
web_stop

printf 'Dossier bloqué à Antony.\n' > desc3.txt
fsr escalate --agent agent3 --structure antony --partner caf --topic logement --nom Martin \
    --prenom Léa --mandat-signe-le "$today" --description-file "$W/desc3.txt"
REF3=$out
fsr agents remove agent3
is "agents remove : code (stderr: $err)" "$rc" 0
has "agents remove : message" "$err" "compte de « agent3 » supprimé"
is "agents remove : journalisé" \
    "$(sqlite3 "$DB" "select count(*) from events where actor = 'admin' and action = 'account.removed' and outcome = 'agent3'")" 1
is "agents remove : nom et adresse effacés" \
    "$(sqlite3 "$DB" "select name || '|' || email from agents where id = 'agent3'")" "|"
fsr agents list
ok "agents list : agent3 (supprimé)" bash -c 'grep -q "^agent3 .*antony .*(supprimé)$" <<<"$0"' "$out"
hasnt "agents list : plus l'adresse d'agent3" "$out" "agent3@fs-antony.test"
fsr agents enable agent3
is "agents enable d'un compte supprimé : code" "$rc" 1
has "agents enable d'un compte supprimé : message" "$err" "le compte « agent3 » a été supprimé"
fsr agents remove agent3
is "agents remove une seconde fois : code" "$rc" 1
fsr agents add agent3 --structure antony --nom "Agent Trois" --email agent3@fs-antony.test
is "agents add sur un identifiant supprimé : code" "$rc" 1
has "agents add sur un identifiant supprimé : message" "$err" "existe déjà"
printf 'un mot de passe assez long\n' | "$FS" agents password agent3 >/dev/null 2>"$W/err"
is "agents password d'un compte supprimé : code" "$?" 1
fsr escalate --agent agent3 --structure antony --partner caf --topic logement --nom Martin \
    --prenom Léa --mandat-signe-le "$today" --description-file "$W/desc3.txt"
is "escalate par un agent supprimé : code" "$rc" 1
has "escalate par un agent supprimé : raison" "$err" "le compte de l'agent « agent3 » est supprimé"
fsr show "$REF3" --json
is "le dossier d'agent3 reste (show : code $rc)" "$rc" 0
is "le dossier d'agent3 le nomme encore" \
    "$(sqlite3 "$DB" "select agent from cases where ref = '$REF3'")" agent3

done_testing
