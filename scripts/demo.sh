#!/bin/bash
# demo.sh [--garder] - the main job on the embedded default: escalate one
# case through real local mail servers, show it arrive encrypted, decrypt it;
# then the web desk (fsrelay web, TLS): an agent logs in and reads the case.
# Run by `make demo` (as root on Debian 12).  --garder keeps the stack and
# the web desk running.
# Under another shell (dash as sh) stop at once, with the reason.
[ -n "${BASH_VERSION:-}" ] || { echo "demo : ce script se lance avec bash (make demo)" >&2; exit 2; }
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
keep=0
[ "${1:-}" = --garder ] && keep=1
DIR=${FSRELAY_DEMO_DIR:-/tmp/fsrelay-demo}
export FSRELAY_BIN=${FSRELAY_BIN:-$TOP/build/fsrelay}	# the tests pass their build

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

[ "$(id -u)" = 0 ] || { echo "demo : à lancer en root (serveurs de messagerie de test)" >&2; exit 1; }
if [ -e "$DIR" ]; then
	tests/mailstack/stop "$DIR" >/dev/null 2>&1 || true
	rm -rf "$DIR"
fi
WEB_PID=
cleanup() {
	if [ $keep = 0 ]; then
		[ -z "$WEB_PID" ] || { kill -TERM "$WEB_PID" 2>/dev/null; wait "$WEB_PID" 2>/dev/null; } || true
		tests/mailstack/stop "$DIR" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

say "1. Démarrage d'un Postfix et d'un Dovecot privés sur 127.0.0.2 (TLS, autorité de test)"
tests/mailstack/start "$DIR"

say "2. Création d'une instance fsrelay : clés, base chiffrée, annuaire de l'annexe 6, agents"
tests/instance "$DIR"
# shellcheck disable=SC1091
. "$DIR/env"
FS=$FSRELAY_BIN
run "$FS" referents list --partner dgfip

say "3. L'agent agent1 (Fontenay-aux-Roses) transmet le dossier bloqué d'une personne fictive à la DGFiP ; le dossier est aussitôt scellé pour la référente (fichier age signé) et mis en file"
cat > "$DIR/description.txt" <<'TXT'
Mme Camille Exemple (personne fictive) a reçu un avis d'impôt sur le revenu 2026
qui ne tient pas compte de la naissance de son deuxième enfant en mars.
Elle a déclaré la naissance en ligne le 12 avril ; l'avis rectificatif n'est pas arrivé
et la date de paiement approche.  Pouvez-vous vérifier la prise en compte ?
TXT
printf '%%PDF-1.4\n%% avis d impot (exemple fictif)\n' > "$DIR/avis-impot-2026.pdf"
run "$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
	--agent agent1 --nom Exemple --prenom Camille --ne-le 1988-05-17 \
	--id-partenaire 3012345678901 --mandat-signe-le "$(date +%Y-%m-%d)" \
	--description-file "$DIR/description.txt" --piece "$DIR/avis-impot-2026.pdf" | tee "$DIR/ref"
REF=$(cat "$DIR/ref")
run "$FS" cases

say "4. Une passe du démon : le courrier scellé part en SMTPS vérifié (certificat et nom du serveur contrôlés)"
run "$FS" serve --once
run "$FS" cases

say "5. La référente (delphine.kaczmar@dgfip.finances.gouv.fr) relève sa boîte en IMAPS"
RCPT=delphine.kaczmar@dgfip.finances.gouv.fr
# Postfix hands the mail to Dovecot just after its 250: give it a moment.
for _ in $(seq 1 100); do
	[ -n "$(find "$FSRELAY_TEST_MAILDIRS/dgfip.finances.gouv.fr/delphine.kaczmar/Maildir/new" -type f 2>/dev/null)" ] && break
	sleep 0.05
done
curl -s --cacert "$FSRELAY_TEST_CA" -u "$RCPT:$FSRELAY_TEST_PASSWORD" \
	"$FSRELAY_TEST_IMAP_URL/INBOX;UID=1" > "$DIR/recu.eml"
echo "En-têtes du message reçu (aucune donnée personnelle) :"
grep -E '^(From|To|Reply-To|Subject|Message-ID):' "$DIR/recu.eml" | sed 's/^/    /'
python3 - "$DIR/recu.eml" "$DIR/$REF.age" <<'PY'
import email, email.header, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
print("    Objet décodé :", str(email.header.make_header(email.header.decode_header(m['Subject']))))
for part in m.walk():
    if (part.get_filename() or "").endswith(".age"):
        open(sys.argv[2], 'wb').write(part.get_payload(decode=True))
        print("    Pièce jointe chiffrée :", part.get_filename())
    elif part.get_filename():
        print("    Page pour l'ouvrir dans un navigateur :", part.get_filename())
PY
echo "Début du fichier chiffré :"
head -c 120 "$DIR/$REF.age" | sed -n '1,2p' | sed 's/^/    /'
echo

say "6. Déchiffrement avec l'outil age standard et la clé de la référente"
run age -d -i "$DIR/referents/$RCPT.key" -o "$DIR/$REF.eml" "$DIR/$REF.age"
echo "Fichier $REF.eml ($(wc -c < "$DIR/$REF.eml") octets) : un message MIME lisible dans toute messagerie."

say "7. Ouverture avec fsrelay open : déchiffre et vérifie la signature du relais"
run "$FS" open "$DIR/$REF.age" --identity "$DIR/referents/$RCPT.key" \
	--relay-key "$(cat "$DIR/relay-signing.pub")" --extraire "$DIR/ouvert"
echo "Description déchiffrée :"
sed 's/^/    /' "$DIR/ouvert/description.txt"

say "8. Le guichet web (fsrelay web, TLS) : l'agent se connecte et lit le dossier dans son navigateur"
# a free port of the stack's address, whose certificate names it
"$FS" web --listen "$FSRELAY_TEST_IP:0" >"$DIR/web.out" 2>"$DIR/web.err" &
WEB_PID=$!
URL=
for _ in $(seq 1 100); do
	URL=$(sed -n 's/^fsrelay web : écoute sur \(https:\/\/[^ ]*\).*/\1/p' "$DIR/web.out")
	[ -n "$URL" ] && break
	sleep 0.05
done
[ -n "$URL" ] || { cat "$DIR/web.err" >&2; echo "demo : fsrelay web n'a pas démarré" >&2; exit 1; }
cat "$DIR/web.out"
echo "Adresse : $URL (autorité de test : $FSRELAY_TEST_CA)"
echo "Connexion de test : identifiant agent1, mot de passe $FSRELAY_TEST_WEB_PASSWORD"
JAR=$DIR/web.cookies
C=(curl -sS --fail-with-body --cacert "$FSRELAY_TEST_CA" -c "$JAR" -b "$JAR")
csrf=$("${C[@]}" "${URL}connexion" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
printf '$ curl … --data identifiant=agent1 --data mot_de_passe=… %sconnexion\n' "$URL" >&2
code=$("${C[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	--data-urlencode identifiant=agent1 \
	--data-urlencode "mot_de_passe=$FSRELAY_TEST_WEB_PASSWORD" "${URL}connexion")
echo "Connexion : HTTP $code (303 : session ouverte, cookie __Host-fsrelay HttpOnly, Secure, SameSite=Strict)"
printf '$ curl … %sdossiers/%s\n' "$URL" "$REF" >&2
"${C[@]}" "${URL}dossiers/$REF" > "$DIR/dossier.html"
python3 - "$DIR/dossier.html" <<'PY'
import html, re, sys
page = open(sys.argv[1], encoding='utf-8').read()
print("    Page :", html.unescape(re.search(r'<h1>(.*?)</h1>', page, re.S).group(1)))
for dt, dd in re.findall(r'<dt>(.*?)</dt>\s*<dd>(.*?)</dd>', page, re.S)[:10]:
    print("    %-32s %s" % (html.unescape(re.sub(r'<[^>]+>', '', dt)),
                          html.unescape(re.sub(r'<[^>]+>', '', dd)).strip()))
PY

say "Terminé"
if [ $keep = 1 ]; then
	echo "La pile de test tourne encore dans $DIR ; pour l'arrêter : tests/mailstack/stop $DIR"
	echo "Le guichet web tourne encore sur $URL (pid $WEB_PID) ; pour l'arrêter : kill $WEB_PID"
	echo "Variables : . $DIR/env"
else
	kill -TERM "$WEB_PID"
	wait "$WEB_PID" || true
	WEB_PID=
	tail -n 1 "$DIR/web.out"
	echo "La pile de test et le guichet web sont arrêtés (make demo DEMO_FLAGS=--garder pour les garder)."
fi
