# tests/integration/privacy.sh - no personal data in clear at rest or in the
# logs (issue 2, item 7), and « cancel » shreds at once.
# After escalations with distinctive names, numbers, texts, an attachment and
# its file name, a byte search (also upper/lower case, NFD and without
# accents) of everything under data/ - the database, its -wal file while
# another connection keeps it alive, before and after a checkpoint - and of
# everything the commands wrote (stderr = the logs, stdout but for « show »)
# finds none of them; « show » does (so the data really went in).  Then
# « cancel »: « show » refuses with « dossier détruit », no wrapped key is left
# for the case (row, and its bytes in the database and the WAL), its sealed
# blobs are gone, the delivery rows keep key fingerprint and blind index.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
DATA=$T_DIR/data
DB=$DATA/fsrelay.db
LOG=$W/stderr.log	# every command's stderr: « the logs »
OUTS=$W/stdout.log	# every command's stdout, but show's (show decrypts, on purpose)
mkdir -p "$W"
cd "$W" || exit 1
export FSRELAY_NOW=2026-03-01T10:00:00Z
HOLDER=
trap '[ -z "$HOLDER" ] || kill "$HOLDER" 2>/dev/null; rm -rf "$T_DIR"' EXIT

# fsr ARGS...: run the CLI; sets rc, out, err; logs stderr (and stdout unless show)
fsr() {
	"$FS" "$@" >"$W/out" 2>"$W/err"
	rc=$?
	out=$(cat "$W/out")
	err=$(cat "$W/err")
	cat "$W/err" >> "$LOG"
	[ "$1" = show ] || cat "$W/out" >> "$OUTS"
}
# scan FILE...: the needles of $W/needles found in FILE... (one "file: form"
# a line), or "rien".  Each needle is searched as UTF-8 bytes in its given,
# upper, lower, NFD and accentless forms, ASCII case ignored.
scan() {
	python3 - "$W/needles" "$@" <<'PY'
import sys, unicodedata
needles = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l]
forms = set()
for n in needles:
    nfd = unicodedata.normalize("NFD", n)
    for v in (n, n.upper(), n.lower(), nfd, "".join(c for c in nfd if not unicodedata.combining(c))):
        forms.add(v.encode("utf-8").lower())
hits = []
for path in sys.argv[2:]:
    try:
        data = open(path, "rb").read().lower()
    except (FileNotFoundError, IsADirectoryError):
        continue
    hits += ["%s: %s" % (path, f.decode("utf-8", "replace")) for f in sorted(forms) if f in data]
print("\n".join(hits) if hits else "rien")
PY
}
# hexscan HEX FILE...: how many FILEs contain the bytes HEX
hexscan() {
	python3 -c '
import sys
b = bytes.fromhex(sys.argv[1])
print(sum(1 for p in sys.argv[2:] if b in open(p, "rb").read()))' "$@"
}
# scan_data / hexscan_data HEX: the same over every file under data/ now
scan_data() { local f; mapfile -t f < <(find "$DATA" -type f | sort); scan "${f[@]}"; }
hexscan_data() { local f; mapfile -t f < <(find "$DATA" -type f | sort); hexscan "$1" "${f[@]}"; }

# --- the distinctive personal data ---------------------------------------------------
cat > needles <<'EOF'
Zyxwvutsonne
Quixotéa
9876543210987
1937-11-23
23/11/1937
19371123
MotSecretUnique42
ÉtéConfidentiel88
ContenuSecretPiece77
passeport-Zyxwvutsonne
MandatSecret55
Brzęczyszczykiewicz
Ölafürmina
AB1234567XQ
1941-02-17
DeuxièmeSecret61
MotifSecret31
EOF
printf 'Madame Quixotéa Zyxwvutsonne (n° 9876543210987) est bloquée.\n' > desc-a.txt
for _ in $(seq 300); do
	printf 'MotSecretUnique42 ÉtéConfidentiel88 — situation détaillée.\n' >> desc-a.txt
done
printf 'ContenuSecretPiece77\n%.0s' $(seq 2000) > passeport-Zyxwvutsonne.pdf
printf 'Mandat signé par Zyxwvutsonne MandatSecret55\n' > mandat-a.pdf
printf 'DeuxièmeSecret61 : M. Brzęczyszczykiewicz attend.\n' > desc-b.txt

# the scanner finds what it must (so "rien" below means something)
printf 'xx QUIXOTÉA yy ZYXWVUTSONNE' > control1
printf 'Quixote\xcc\x81a' > control2
printf 'xx quixotea' > control3
is "contrôle : majuscules trouvées" "$(scan control1 | wc -l)" 2
is "contrôle : forme NFD trouvée" "$(scan control2 | wc -l)" 1
is "contrôle : forme sans accent trouvée" "$(scan control3 | wc -l)" 1

# --- another connection keeps the WAL alive (the last one to close deletes it) -------
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("select count(*) from cases").fetchall()
print("ouvert", flush=True)
time.sleep(120)' "$DB" > holder.out 2>&1 &
HOLDER=$!
for _ in $(seq 50); do grep -q ouvert holder.out && break; sleep 0.1; done
is "connexion témoin ouverte" "$(cat holder.out)" "ouvert"

# --- escalations ---------------------------------------------------------------------
fsr escalate --agent agent1 --structure fontenay-aux-roses --partner caf --topic logement \
    --nom Zyxwvutsonne --prenom Quixotéa --ne-le 1937-11-23 --id-partenaire 9876543210987 \
    --sollicite-le 2026-02-27 --mandat-signe-le 2026-02-01 --mandat-fichier "$W/mandat-a.pdf" \
    --description-file "$W/desc-a.txt" --piece "$W/passeport-Zyxwvutsonne.pdf"
is "dossier A accepté (stderr: $err)" "$rc" 0
A=$out
fsr escalate --agent agent2 --structure antony --partner pole-emploi --topic emploi \
    --nom Brzęczyszczykiewicz --prenom Ölafürmina --ne-le 1941-02-17 --id-partenaire AB1234567XQ \
    --mandat-signe-le 2026-01-10 --description-file "$W/desc-b.txt"
is "dossier B accepté (stderr: $err)" "$rc" 0
B=$out
fsr escalate --agent agent1 --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
    --nom Zyxwvutsonne --prenom Quixotéa --ne-le 1937-11-23 --mandat-signe-le 2026-02-01 \
    --description-file "$W/desc-a.txt"
is "dossier C (même personne) accepté (stderr: $err)" "$rc" 0
C=$out
fsr escalate --agent agent1 --structure fontenay-aux-roses --partner caf --topic logement \
    --nom Zyxwvutsonne --prenom $'Quixot\néa' --mandat-signe-le 2026-02-01 --description-file "$W/desc-a.txt"
is "refus (champ invalide) : code" "$rc" 1
fsr escalate --agent agent2 --structure fontenay-aux-roses --partner caf --topic logement \
    --nom Zyxwvutsonne --prenom Quixotéa --mandat-signe-le 2026-02-01 --description-file "$W/desc-a.txt"
is "refus (structure) : code" "$rc" 1
fsr escalate --agent agent1 --structure fontenay-aux-roses --partner caf --topic logement \
    --nom Zyxwvutsonne --prenom Quixotéa --mandat-signe-le 2019-02-01 --description-file "$W/desc-a.txt"
is "refus (mandat expiré) : code" "$rc" 1
fsr cases
fsr cases --json
fsr cases --agent agent1 --json
is "cases --agent agent1 --json : A et C" "$(printf '%s' "$out" | python3 -c '
import json, sys; print(len(json.load(sys.stdin)))')" 2

# --- show decrypts: the data is in there ------------------------------------------------
fsr show "$A"
is "show A : code" "$rc" 0
has "show A : nom" "$out" "Zyxwvutsonne"
has "show A : prénom" "$out" "Quixotéa"
has "show A : identifiant" "$out" "9876543210987"
has "show A : description" "$out" "MotSecretUnique42"
fsr show "$A" --json
is "show A --json : code" "$rc" 0
has "show A --json : pièce" "$out" "passeport-Zyxwvutsonne.pdf"
is "show A --json : taille de la pièce" "$(printf '%s' "$out" | python3 -c '
import json, sys
m = json.load(sys.stdin)["messages"]
print([a["size"] for x in m for a in x["attachments"]])')" "[$(wc -c < passeport-Zyxwvutsonne.pdf)]"
fsr show "$B"
has "show B : nom" "$out" "Brzęczyszczykiewicz"

# --- byte search, the WAL alive, before a checkpoint --------------------------------------
ok "le fichier WAL existe et n'est pas vide" test -s "$DB-wal"
ok "le WAL contient les pages des dossiers (> 64 Kio)" test "$(stat -c %s "$DB-wal")" -gt 65536
is "base et WAL avant checkpoint : aucune donnée en clair" "$(scan_data)" "rien"
is "WAL avant checkpoint : aucune donnée en clair" "$(scan "$DB-wal")" "rien"
sqlite3 "$DB" 'pragma wal_checkpoint(PASSIVE);' > /dev/null
ok "le WAL existe encore après le checkpoint" test -s "$DB-wal"
is "base et WAL après checkpoint : aucune donnée en clair" "$(scan_data)" "rien"
is "journaux (stderr) : aucune donnée en clair" "$(scan "$LOG")" "rien"
is "sorties (stdout sauf show) : aucune donnée en clair" "$(scan "$OUTS")" "rien"
ok "les journaux ne sont pas vides (les refus y sont)" grep -q "refusé" "$LOG"

# --- cancel: shredded at once ----------------------------------------------------------------
ID_A=$(sqlite3 "$DB" "select id from cases where ref = '$A'")
WRAPPED=$(sqlite3 "$DB" "select hex(wrapped) from case_keys where case_id = $ID_A")
PERSON=$(sqlite3 "$DB" "select hex(substr(person, 1, 48)) from cases where id = $ID_A")
PIECE=$(sqlite3 "$DB" "select hex(substr(content, 30, 48)) from documents where case_id = $ID_A")
ok "clé enveloppée de A présente avant cancel" test "${#WRAPPED}" -ge 64
ok "personne scellée de A présente avant cancel" test "${#PERSON}" -eq 96
ok "pièce scellée de A présente avant cancel" test "${#PIECE}" -eq 96
is "contrôle : octets de la clé enveloppée trouvés" "$(hexscan "$WRAPPED" "$DB" "$DB-wal")" 2
# the prepared mail lives in sealed chunks (issue 15): bytes of its first
PREP=$(sqlite3 "$DB" "select hex(substr(data, length(data) - 2000, 48)) from prepared_chunks
    where seq = 0 and delivery_id in (select id from deliveries where case_id = $ID_A)")
ok "courrier préparé de A présent avant cancel" test "${#PREP}" -eq 96

fsr cancel "$A" --motif "Demande retirée MotifSecret31"
is "cancel A : code (stderr: $err)" "$rc" 0
has "cancel A : message" "$err" "dossier $A annulé et détruit"
is "cancel A : rien sur la sortie" "$out" ""
fsr show "$A"
is "show après cancel : code" "$rc" 1
has "show après cancel : « dossier détruit »" "$err" "dossier détruit"
is "show après cancel : rien sur la sortie" "$out" ""
fsr show "$A" --json
is "show --json après cancel : code" "$rc" 1
has "show --json après cancel : « dossier détruit »" "$err" "dossier détruit"
fsr cancel "$A" --motif "encore"
is "second cancel : code" "$rc" 1
has "second cancel : message" "$err" "dossier déjà détruit"
is "plus de clé enveloppée pour A (case_keys)" \
    "$(sqlite3 "$DB" "select count(*) from case_keys where case_id = (select id from cases where ref = '$A')")" 0
is "plus de données scellées pour A" "$(sqlite3 "$DB" "select
    (select count(*) from cases where id = $ID_A and (person is not null or description is not null)) +
    (select count(*) from documents where case_id = $ID_A and (name is not null or content is not null)) +
    (select count(*) from messages where case_id = $ID_A and text is not null)")" 0
is "envois de A : empreinte de clé et index aveugle gardés" "$(sqlite3 "$DB" "select count(*)
    from deliveries where case_id = $ID_A and key_fingerprint like 'SHA256:%' and length(blind_index) >= 16")" 1
is "envois de A : abandonnés" "$(sqlite3 "$DB" "select group_concat(state) from deliveries where case_id = $ID_A")" failed
is "cases --json : A shredded, B et C queued" "$("$FS" cases --json 2>>"$LOG" | python3 -c '
import json, sys
s = {c["ref"]: c["state"] for c in json.load(sys.stdin)}
print(s.get(sys.argv[1]), s.get(sys.argv[2]), s.get(sys.argv[3]))' "$A" "$B" "$C")" "shredded queued queued"
is "clé enveloppée de A : ni dans la base ni dans le WAL" "$(hexscan_data "$WRAPPED")" 0
is "personne scellée de A : ni dans la base ni dans le WAL" "$(hexscan_data "$PERSON")" 0
is "pièce scellée de A : ni dans la base ni dans le WAL" "$(hexscan_data "$PIECE")" 0
is "plus de courrier préparé pour A" "$(sqlite3 "$DB" "select count(*) from prepared_mails
    where delivery_id in (select id from deliveries where case_id = $ID_A)")" 0
is "courrier préparé de A : ni dans la base ni dans le WAL" "$(hexscan_data "$PREP")" 0
fsr show "$C"
is "C (même personne) toujours lisible" "$rc" 0
has "C : nom" "$out" "Zyxwvutsonne"

# --- a person's cases (access request, art. 15): by the blind index, shredded ones included -------
fsr cases --nom "ZYXWVUTSONNE" --prenom "Quixotea" --ne-le 1937-11-23
is "cases --nom : code" "$rc" 0
is "cases --nom : A (détruit) et C, pas B" "$(echo "$out" | awk '{print $1}' | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "$A" "$C" | sort | tr '\n' ' ')"
has "cases --nom : A apparaît détruit" "$out" "$A  détruit"
fsr cases --nom Zyxwvutsonne --prenom Quixotéa --json
is "cases --nom sans la date de naissance donnée à escalate : aucun dossier" "$out" "[
]"
fsr cases --nom Brzęczyszczykiewicz --prenom Ölafürmina --ne-le 1941-02-17 --agent agent2
is "cases --nom avec --agent : B seul" "$(echo "$out" | awk '{print $1}')" "$B"
fsr cases --nom Brzęczyszczykiewicz --prenom Ölafürmina --ne-le 1941-02-17 --agent inconnu
is "cases --nom avec un agent inconnu : refusé" "$rc" 1
has "cases --nom avec un agent inconnu : message" "$err" "agent inconnu « inconnu »"
fsr cases --nom Zyxwvutsonne --prenom Quixotéa --ne-le ""
is "cases --ne-le vide : comme sans date (code)" "$rc" 0
is "chaque recherche est journalisée, sans le nom" \
    "$(sqlite3 "$DB" "select actor || ':' || outcome from events where action = 'person.lookup' order by seq")" \
    "cli:2 case(s)
cli:0 case(s)
agent2:1 case(s)
cli:0 case(s)"
fsr cases --nom Zyxwvutsonne
is "cases --nom sans --prenom : usage" "$rc" 2
has "cases --nom sans --prenom : message" "$err" "--nom et --prenom vont ensemble"
fsr cases --nom Zyxwvutsonne --prenom Quixotéa --ne-le 1937-13-01
is "cases --ne-le invalide : usage" "$rc" 2

# --- and still nothing in clear anywhere ---------------------------------------------------------
is "après cancel : base et WAL" "$(scan_data)" "rien"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
HOLDER=
is "après fermeture de toutes les connexions : base" "$(scan_data)" "rien"
is "après cancel : journaux (stderr)" "$(scan "$LOG")" "rien"
is "après cancel : sorties (stdout sauf show)" "$(scan "$OUTS")" "rien"

done_testing
