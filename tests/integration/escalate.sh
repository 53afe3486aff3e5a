# tests/integration/escalate.sh - every refusal of « fsrelay escalate »
# (issue 2, item 6), with its French message and exit code 1, the limits on
# both sides (200-byte fields, 64 KiB description, 10 MiB piece, 20 MiB in
# all, mandate valid for one calendar year in Europe/Paris), usage errors
# (exit 2), « --help » of every subcommand, and that a refusal stores nothing.
# Runs the real CLI on a fresh instance (tests/instance) with test_clock = yes.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
mkdir -p "$W"
cd "$W" || exit 1
# Sunday 1 March 2026, 11:00 in Paris
export FSRELAY_NOW=2026-03-01T10:00:00Z

# fsr ARGS...: run the CLI; sets rc, out (stdout), err (stderr)
fsr() {
	"$FS" "$@" >"$W/out" 2>"$W/err"
	rc=$?
	out=$(cat "$W/out")
	err=$(cat "$W/err")
}
# esc [--FLAG VALUE]...: escalate with a valid default for every required
# flag not given; VALUE @omit leaves the flag out; --piece may repeat
esc() {
	local -A f=([structure]=fontenay-aux-roses [partner]=caf [topic]=logement
	    [agent]=agent1 [nom]=Dupont [prenom]=Jean [mandat-signe-le]=2026-01-15
	    [description-file]=$W/desc.txt)
	local args=() k
	while [ $# -ge 2 ]; do
		if [ "$1" = --piece ]; then args+=(--piece "$2"); else f[${1#--}]=$2; fi
		shift 2
	done
	for k in "${!f[@]}"; do
		[ "${f[$k]}" = @omit ] || args+=("--$k" "${f[$k]}")
	done
	fsr escalate "${args[@]}"
}
ncases() { sqlite3 "$T_DIR/data/fsrelay.db" 'select count(*) from cases'; }
# refused DESC MESSAGE [--FLAG VALUE]...: escalate exits 1, says MESSAGE on
# stderr, prints nothing on stdout and stores no case
refused() {
	local d=$1 msg=$2 before
	shift 2
	before=$(ncases)
	esc "$@"
	is "$d : code" "$rc" 1
	has "$d : message" "$err" "$msg"
	has "$d : préfixe" "$err" "escalate : refusé"
	is "$d : rien sur la sortie" "$out" ""
	is "$d : aucun dossier enregistré" "$(ncases)" "$before"
}
REF_RE='^FS-[0-9]{5}-[0-9]{4}-[0-9]{6}$'
# accepted DESC [--FLAG VALUE]...: escalate exits 0 and prints a reference
accepted() {
	local d=$1
	shift
	esc "$@"
	is "$d : code (stderr: $err)" "$rc" 0
	ok "$d : une référence ($out)" bash -c '[[ $0 =~ $1 ]]' "$out" "$REF_RE"
}

printf 'Dossier bloqué depuis trois mois.\nMerci de votre aide.\n' > desc.txt

# --- the default call is accepted (so each refusal below is due to its flag) --
accepted "appel de référence"
is "la sortie est la référence et un saut de ligne" "$(wc -l < "$W/out")" 1

# --- unknown or foreign parties ------------------------------------------------
refused "agent inconnu" "agent inconnu « nobody »" --agent nobody
refused "partenaire inconnu" "partenaire inconnu « urssaf »" --partner urssaf
refused "motif inconnu" "motif inconnu « vacances » pour" --topic vacances
refused "structure inconnue" "structure inconnue « gotham »" --structure gotham
refused "structure d'un autre agent" \
    "l'agent agent1 est rattaché à fontenay-aux-roses : il ne peut pas saisir de dossier pour antony" \
    --structure antony
refused "agent2 pour Fontenay" "l'agent agent2 est rattaché à antony" --agent agent2

# --- empty rung 0: partner, topic and structure named ---------------------------
refused "Pôle emploi depuis Fontenay" \
    "France Travail (Pôle emploi) – emploi – fontenay-aux-roses : aucun référent" \
    --partner pole-emploi --topic emploi
refused "DGFiP produits-locaux depuis Antony" "DGFiP – produits-locaux – antony : aucun référent" \
    --agent agent2 --structure antony --partner dgfip --topic produits-locaux
refused "MSA santé" "MSA – sante" --partner msa --topic sante
has "MSA santé : aucun référent" "$err" "sante – fontenay-aux-roses : aucun référent"
refused "DGFiP amendes" "amendes – fontenay-aux-roses : aucun référent" --partner dgfip --topic amendes

# --- a rung-0 recipient without a pinned key --------------------------------------
# The directory changes the CNAV address to one no key was pinned for: the
# honest way to get an unpinned rung-0 recipient (there is no « unpin »).
sed 's/cnavpartenariats92@cnav\.fr/Nouvelle.Adresse@cnav.fr/' \
    "$TOP/config/annex6-hauts-de-seine.csv" > annex6-cnav.csv
accepted "CNAV avant le changement d'adresse" --partner cnav --topic retraite
fsr referents import annex6-cnav.csv
is "import de l'annuaire modifié" "$rc" 0
refused "référent sans clé épinglée" "aucune clé épinglée pour Nouvelle.Adresse@cnav.fr" \
    --partner cnav --topic retraite
age-keygen -o "$W/cnav.key" 2>/dev/null
fsr referents key nouvelle.adresse@cnav.fr "$(age-keygen -y "$W/cnav.key")" --verified-by "test escalate"
is "épinglage de la nouvelle clé" "$rc" 0
accepted "CNAV une fois la clé épinglée" --partner cnav --topic retraite

# --- mandate: valid iff signed <= today (Paris) < signed + 1 calendar year -------
refused "mandat dans le futur (demain)" "mandat signé le 2026-03-02 : date dans le futur" \
    --mandat-signe-le 2026-03-02
refused "mandat dans un an" "date dans le futur" --mandat-signe-le 2027-03-01
accepted "mandat signé aujourd'hui" --mandat-signe-le 2026-03-01
refused "mandat signé il y a un an jour pour jour" \
    "mandat signé le 2025-03-01 : expiré (valable un an)" --mandat-signe-le 2025-03-01
accepted "mandat signé il y a un an moins un jour" --mandat-signe-le 2025-03-02
refused "mandat de 2020" "expiré" --mandat-signe-le 2020-06-01
refused "date de mandat invalide" "--mandat-signe-le : date invalide" --mandat-signe-le 2026-02-30
refused "date de mandat mal formée" "--mandat-signe-le : date invalide" --mandat-signe-le 01/03/2026
refused "date de naissance invalide" "--ne-le : date invalide" --ne-le 1980-13-01
refused "date de sollicitation invalide" "--sollicite-le : date invalide" --sollicite-le hier
accepted "dates facultatives valides" --ne-le 1980-02-29 --sollicite-le 2026-02-27
# 2026-02-28 23:30 UTC is already 1 March 00:30 in Paris: "today" is Paris's
FSRELAY_NOW=2026-02-28T23:30:00Z accepted "heure de Paris : signé le 1er mars à 00:30" \
    --mandat-signe-le 2026-03-01
FSRELAY_NOW=2026-02-28T23:30:00Z refused "heure de Paris : un an jour pour jour" \
    "expiré" --mandat-signe-le 2025-03-01
FSRELAY_NOW=2026-02-28T22:30:00Z refused "heure de Paris : encore le 28 février à 23:30" \
    "date dans le futur" --mandat-signe-le 2026-03-01
FSRELAY_NOW=2026-02-28T22:30:00Z accepted "heure de Paris : 28 février, signé le 2025-03-01" \
    --mandat-signe-le 2025-03-01
# summer time (UTC+2): 2026-07-14 22:30 UTC is 15 July 00:30 in Paris
FSRELAY_NOW=2026-07-14T22:30:00Z refused "heure d'été : un an jour pour jour" \
    "expiré" --mandat-signe-le 2025-07-15
FSRELAY_NOW=2026-07-14T22:30:00Z accepted "heure d'été : signé le 15 juillet" \
    --mandat-signe-le 2026-07-15

# --- CR, LF, control characters in a field ----------------------------------------
refused "LF dans --nom" "--nom : retour à la ligne interdit" --nom $'Du\npont'
refused "CR dans --prenom" "--prenom : retour à la ligne interdit" --prenom $'Je\ran'
refused "CRLF dans --id-partenaire" "--id-partenaire : retour à la ligne interdit" \
    --id-partenaire $'123\r\nBcc: x@y.fr'
refused "tabulation dans --nom" "--nom : caractère de contrôle interdit" --nom $'Du\tpont'
refused "ESC dans --prenom" "--prenom : caractère de contrôle interdit" --prenom $'Je\033[31man'
refused "DEL dans --id-partenaire" "--id-partenaire : caractère de contrôle interdit" \
    --id-partenaire $'12\x7f3'
refused "LF dans --agent" "--agent : retour à la ligne interdit" --agent $'agent1\n'
refused "--nom non UTF-8" "--nom : texte non UTF-8" --nom $'Dup\xe9nt'
refused "--nom vide" "--nom : valeur vide" --nom ""
printf 'Ligne 1\r\nLigne 2\tavec tabulation\n' > desc-crlf.txt
accepted "description : CRLF et tabulation permis" --description-file "$W/desc-crlf.txt"
printf 'Ligne 1\rLigne 2\n' > desc-cr.txt
refused "description : CR seul refusé" "description : retour à la ligne interdit" \
    --description-file "$W/desc-cr.txt"
printf 'Bip \a ici\n' > desc-bel.txt
refused "description : caractère de contrôle" "description : caractère de contrôle interdit" \
    --description-file "$W/desc-bel.txt"
printf 'nul \0 ici\n' > desc-nul.txt
refused "description : octet nul" "description : octet nul interdit" \
    --description-file "$W/desc-nul.txt"

# --- minimisation: the NIR (social security number) only to CPAM, CNAV, MSA ---------
printf 'Son NIR : 1 85 05 78 006 084 91, dossier bloqué.\n' > desc-nir.txt
refused "NIR dans la description pour la CAF" \
    "description : contient un numéro de sécurité sociale (NIR), que seules la CPAM" \
    --description-file "$W/desc-nir.txt"
hasnt "le NIR refusé n'est pas cité" "$err" "084 91"
refused "NIR en --id-partenaire pour la DGFiP" \
    "--id-partenaire : contient un numéro de sécurité sociale (NIR)" \
    --partner dgfip --topic impots-particuliers --id-partenaire 185057800608491
hasnt "le NIR refusé n'est pas cité (--id-partenaire)" "$err" "185057800608491"
accepted "NIR pour la CPAM" --partner cpam --topic remboursements \
    --id-partenaire 185057800608491 --description-file "$W/desc-nir.txt"
printf 'pièce\n' > "1 85 05 78 006 084 91.pdf"
refused "NIR dans le nom d'une pièce pour la CAF" \
    "--piece 1 : son nom contient un numéro de sécurité sociale (NIR)" \
    --piece "$W/1 85 05 78 006 084 91.pdf"
hasnt "le NIR du nom de pièce n'est pas cité" "$err" "084 91"
printf 'Numéro de suivi 185057800608492 (pas un NIR : clé fausse).\n' > desc-notnir.txt
accepted "un nombre de 15 chiffres qui n'est pas un NIR" --description-file "$W/desc-notnir.txt"

# --- 200-byte fields ----------------------------------------------------------------
a200=$(printf 'a%.0s' $(seq 200))
e100=$(printf 'é%.0s' $(seq 100))
refused "--nom de 201 octets" "--nom : valeur trop longue (200 octets au plus)" --nom "${a200}b"
accepted "--nom de 200 octets" --nom "$a200"
refused "--prenom de 201 octets (100 « é » + 1)" "--prenom : valeur trop longue" --prenom "${e100}x"
accepted "--prenom de 200 octets (100 « é »)" --prenom "$e100"
refused "--id-partenaire de 201 octets" "--id-partenaire : valeur trop longue" \
    --id-partenaire "$(printf '9%.0s' $(seq 201))"
accepted "--id-partenaire de 200 octets" --id-partenaire "$(printf '9%.0s' $(seq 200))"

# --- description: 64 KiB --------------------------------------------------------------
head -c 65537 /dev/zero | tr '\0' d > desc-65537.txt
head -c 65536 /dev/zero | tr '\0' d > desc-65536.txt
refused "description de 65537 octets" "description trop longue" --description-file "$W/desc-65537.txt"
accepted "description de 65536 octets" --description-file "$W/desc-65536.txt"
refused "description absente" "description illisible" --description-file "$W/absente.txt"

# --- attachments: 10 MiB each, 20 MiB in all -------------------------------------------
head -c $((10 * 1024 * 1024 + 1)) /dev/zero > piece-10M1.pdf
head -c $((10 * 1024 * 1024)) /dev/zero > piece-10M.pdf
head -c $((7 * 1024 * 1024)) /dev/urandom > p7a.pdf
cp p7a.pdf p7b.pdf
cp p7a.pdf p7c.pdf
refused "pièce de 10 Mio + 1 octet" "pièce jointe trop grosse" --piece "$W/piece-10M1.pdf"
accepted "pièce de 10 Mio" --piece "$W/piece-10M.pdf"
refused "trois pièces de 7 Mio (21 Mio)" "pièces jointes trop grosses au total (20 Mio au plus)" \
    --piece "$W/p7a.pdf" --piece "$W/p7b.pdf" --piece "$W/p7c.pdf"
accepted "deux pièces de 7 Mio (14 Mio)" --piece "$W/p7a.pdf" --piece "$W/p7b.pdf"
refused "pièce absente" "pièce jointe illisible" --piece "$W/absente.pdf"
cp desc.txt $'nom\nde-piece.pdf'
refused "nom de pièce avec LF" "--piece : nom de fichier refusé : retour à la ligne interdit" \
    --piece "$W/"$'nom\nde-piece.pdf'

# --- usage errors: exit 2 -----------------------------------------------------------------
for flag in structure partner topic agent nom prenom mandat-signe-le description-file; do
	before=$(ncases)
	esc "--$flag" @omit
	is "sans --$flag : code 2" "$rc" 2
	has "sans --$flag : message" "$err" "sont obligatoires"
	has "sans --$flag : usage" "$err" "usage"
	is "sans --$flag : aucun dossier" "$(ncases)" "$before"
done
fsr escalate --nom A --nom B
is "option donnée deux fois : code 2" "$rc" 2
has "option donnée deux fois : message" "$err" "donnée deux fois"
fsr escalate --couleur bleu
is "option inconnue : code 2" "$rc" 2
fsr commande-inconnue
is "commande inconnue : code 2" "$rc" 2
has "commande inconnue : message" "$err" "commande inconnue"

# --- --help of every command and subcommand: exit 0, « usage » on stdout ----------------
fsr --help
is "fsrelay --help : code" "$rc" 0
has "fsrelay --help : usage" "$out" "usage"
for c in init check escalate cases show cancel "keys show" "referents import" "referents list" \
    "referents check" "referents key" "agents add" "agents list" keys referents agents; do
	# shellcheck disable=SC2086
	fsr $c --help
	is "$c --help : code (stderr: $err)" "$rc" 0
	has "$c --help : usage" "$out" "usage"
done

done_testing
