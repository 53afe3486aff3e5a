# tests/integration/webcase.sh - the agent's case pages of the web desk
# (issue 10, point 4): curl over TLS against a real `fsrelay web` on the
# test stack.  A case escalated with a piece, delivered by serve, answered
# by the CAF referent (quoted history); its page (facts, person, thread
# with labels, history folded, piece downloadable with a safe name and
# no-store); another structure's case is the same 404 as a missing one;
# every action without CSRF is 403 and changes nothing; each action
# through its confirmation (follow-up with a piece, wait, resume,
# reroute, close; cancel on a second case); refusals beside the field;
# multipart limits (a piece over 10 Mo refused, a body over 40 Mo 413).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
DB=$T_DIR/data/fsrelay.db
LOG=$W/stderr.log
mkdir -p "$W"
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$FSRELAY_TEST_MAILDIRS/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
RELAY_MD=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
serve1() { "$FS" serve --once 2>>"$LOG"; }
state_of() { sqlite3 "$DB" "select state from cases where ref = '$1'"; }
msgs_of() { sqlite3 "$DB" "select count(*) from messages m join cases c on c.id = m.case_id where c.ref = '$1'"; }

printf 'Situation bloquée depuis janvier : prestations suspendues.\n' > "$W/desc.txt"
printf '%%PDF-1.4 attestation de test\n' > "$W/attestation de loyer é.pdf"
escalate() {	# escalate AGENT STRUCTURE [PIECE]
	"$FS" escalate --structure "$2" --agent "$1" --partner caf \
	    --topic prestations-familiales --nom Quibrante-Zed --prenom Ornella \
	    --mandat-signe-le 2026-01-15 --description-file "$W/desc.txt" ${3:+--piece "$3"} \
	    2>>"$LOG"
}
A=$(escalate agent1 fontenay-aux-roses "$W/attestation de loyer é.pdf")
B=$(escalate agent1 fontenay-aux-roses)
X=$(escalate agent2 antony)
ok "trois dossiers" test -n "$A" -a -n "$B" -a -n "$X"
serve1
reply_in "$CAF_MD" "$A" "$CAF" "Bonjour, le dossier est débloqué : mot Zanzibarquiche.

Le 2 mars 2026 à 10:00, relais a écrit :
> Situation bloquée depuis janvier : prestations suspendues.
> Historiquecitemot" >/dev/null
ok "la réponse arrive au relais" wait_relay 1
serve1
# strangers quoting the subjects of A (twice) and X: the quarantine
for c in "$A:Strangerwordun" "$A:Strangerworddeux" "$X:Strangerwordx"; do
	subj=$(delivered "$CAF_MD" "${c%%:*}" Subject)
	mail "inconnu@example.org" "$FSRELAY_TEST_RELAY_ADDRESS" "Re: $subj" "" \
	    "Je connais ce dossier ${c#*:}." > "$W/stranger.eml"
	smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_TEST_RELAY_ADDRESS" "$W/stranger.eml"
done
# and one that names no case at all (the DPO's and the admin's part)
mail "curieux@example.org" "$FSRELAY_TEST_RELAY_ADDRESS" "Demande de renseignements" "" \
    "Bonjour, comment joindre la CAF ? Nocaseword." > "$W/nocase.eml"
smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_TEST_RELAY_ADDRESS" "$W/nocase.eml"
ok "les inconnus arrivent au relais" wait_relay 4
serve1
qid() { sqlite3 "$DB" "select id from quarantine where case_hint = '$1' order by id limit 1 offset $2"; }
Q1=$(qid "$A" 0)
Q2=$(qid "$A" 1)
QX=$(qid "$X" 0)
ok "trois courriels en quarantaine, désignant A, A et X" test -n "$Q1" -a -n "$Q2" -a -n "$QX"
QN=$(sqlite3 "$DB" "select id from quarantine where case_hint = '' order by id desc limit 1")
ok "un courriel en quarantaine qui ne désigne aucun dossier" test -n "$QN"
is "A : répondu" "$(state_of "$A")" answered

trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
ok "fsrelay web démarre" web_start ""
URL=$WEB_URL

# login ID JAR: a session in the cookie jar; CSRF_ID the session's token
login() {
	local csrf
	csrf=$(curl -s --cacert "$FSRELAY_TEST_CA" -c "$2" "${URL}connexion" |
	    sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
	curl -s --cacert "$FSRELAY_TEST_CA" -b "$2" -c "$2" -o /dev/null -w '%{http_code}' \
	    --data-urlencode "csrf=$csrf" --data-urlencode "identifiant=$1" \
	    --data-urlencode "mot_de_passe=$FSRELAY_TEST_WEB_PASSWORD" "${URL}connexion"
}
J1=$W/jar1
J2=$W/jar2
is "connexion agent1" "$(login agent1 "$J1")" 303
is "connexion agent2" "$(login agent2 "$J2")" 303
C1=(curl -s --cacert "$FSRELAY_TEST_CA" -b "$J1" -c "$J1")
C2=(curl -s --cacert "$FSRELAY_TEST_CA" -b "$J2" -c "$J2")
T1=$("${C1[@]}" "${URL}api/v1/session" | sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
ok "jeton CSRF de la session" test ${#T1} -ge 32
# post1 PATH FIELDS...: agent1 posts a urlencoded form; status then body in $W/p.html
post1() {
	local path=$1 a=()
	shift
	for f in "$@"; do a+=(--data-urlencode "$f"); done
	"${C1[@]}" -o "$W/p.html" -D "$W/p.head" -w '%{http_code}' "${a[@]}" "${URL}$path"
}

# --- the page -------------------------------------------------------------------
code=$("${C1[@]}" -D "$W/h" -o "$W/a.html" -w '%{http_code}' "${URL}dossiers/$A")
is "GET /dossiers/A : 200" "$code" 200
page=$(cat "$W/a.html")
has "titre" "$page" "<h1>Dossier $A</h1>"
has "état en français" "$page" "<dd>répondu</dd>"
has "partenaire" "$page" "<dd>CAF</dd>"
has "la personne, déchiffrée" "$page" "Ornella Quibrante-Zed"
has "date du mandat en français" "$page" "<dt>Mandat signé le</dt><dd>15/01/2026</dd>"
has "fil : dossier envoyé" "$page" ">Dossier envoyé — <time"
has "fil : réponse reçue" "$page" ">Réponse reçue — <time"
has "le texte de la réponse" "$page" "mot Zanzibarquiche."
has "… dans un <details>" "$page" "<details><summary>Historique cité replié</summary>"
# issue 11: the whole text is kept sealed and unfolds in the <details>
has "… le message entier s'y déplie" "$page" "&gt; Historiquecitemot"
has "la pièce à télécharger" "$page" "attestation de loyer é.pdf</a> ("
has "Cache-Control no-store" "$(tr -d '\r' <"$W/h")" "Cache-Control: no-store"
for f in relancer reorienter clore annuler; do
	has "action $f proposée (répondu)" "$page" "action=\"/dossiers/$A/$f\""
done
hasnt "attendre : pas dans l'état répondu" "$page" "/dossiers/$A/attendre\""
ok "chaque formulaire porte le jeton CSRF" \
    test "$(grep -o 'name="csrf" value="' "$W/a.html" | wc -l)" -ge 5
ok "audit : lecture journalisée au nom de l'agent" \
    test "$(sqlite3 "$DB" "select count(*) from events where action = 'case.viewed' and actor = 'agent1' and case_ref = '$A'")" -ge 1

# --- the piece --------------------------------------------------------------------
href=$(grep -o "/dossiers/$A/pieces/[0-9]*" "$W/a.html" | head -n 1)
ok "lien de la pièce" test -n "$href"
code=$("${C1[@]}" -D "$W/ph" -o "$W/piece.bin" -w '%{http_code}' "${URL}${href#/}")
is "GET pièce : 200" "$code" 200
ok "la pièce : les mêmes octets" cmp -s "$W/piece.bin" "$W/attestation de loyer é.pdf"
ph=$(tr -d '\r' <"$W/ph")
has "Content-Disposition attachment, nom ASCII sûr" "$ph" \
    'Content-Disposition: attachment; filename="attestation_de_loyer___.pdf"'
has "… et le nom UTF-8 (RFC 5987)" "$ph" "filename*=UTF-8''attestation%20de%20loyer%20%C3%A9.pdf"
has "pièce : application/octet-stream" "$ph" "Content-Type: application/octet-stream"
has "pièce : no-store" "$ph" "Cache-Control: no-store"
is "pièce inconnue : 404" "$("${C1[@]}" -o /dev/null -w '%{http_code}' "${URL}dossiers/$A/pieces/999999")" 404
is "pièce d'un autre dossier : 404" \
    "$("${C1[@]}" -o /dev/null -w '%{http_code}' "${URL}dossiers/$B/pieces/${href##*/}")" 404

# --- another structure: the same 404 as a missing case ---------------------------------
MISSING=FS-92002-2026-999999
code=$("${C2[@]}" -o "$W/x.html" -w '%{http_code}' "${URL}dossiers/$A")
is "agent2 (Antony) sur le dossier de Fontenay : 404" "$code" 404
"${C2[@]}" -o "$W/m.html" "${URL}dossiers/$MISSING"
ok "… la même page qu'un dossier inexistant" cmp -s "$W/x.html" "$W/m.html"
hasnt "… sans rien du dossier" "$(cat "$W/x.html")" "Quibrante"
is "agent2 : la pièce aussi 404" "$("${C2[@]}" -o /dev/null -w '%{http_code}' "${URL}${href#/}")" 404
T2=$("${C2[@]}" "${URL}api/v1/session" | sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
code=$("${C2[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$T2" \
    --data-urlencode "confirme=1" --data-urlencode "motif=test" "${URL}dossiers/$A/annuler")
is "agent2 : annuler le dossier de Fontenay, 404" "$code" 404
is "… et il n'est pas annulé" "$(state_of "$A")" answered
is "agent1 : son dossier d'Antony ? 404" "$("${C1[@]}" -o /dev/null -w '%{http_code}' "${URL}dossiers/$X")" 404
is "référence mal formée : 404" "$("${C1[@]}" -o /dev/null -w '%{http_code}' "${URL}dossiers/FS-1")" 404

# --- CSRF: 403, nothing done ----------------------------------------------------------
# a wrong token: the real one with its last digit changed (never equal to it)
case $T1 in *0) BAD=${T1%?}1;; *) BAD=${T1%?}0;; esac
for f in relancer reorienter attendre reprendre clore annuler; do
	is "POST $f sans CSRF : 403" "$(post1 "dossiers/$A/$f" confirme=1 motif=x resolution=x texte=x)" 403
	is "POST $f jeton faux : 403" "$(post1 "dossiers/$A/$f" "csrf=$BAD" confirme=1 motif=x \
	    resolution=x texte=x)" 403
done
is "rien n'a changé (état)" "$(state_of "$A")" answered
is "rien n'a changé (messages)" "$(msgs_of "$A")" 2

# --- the follow-up: multipart, confirmation box, piece ---------------------------------
n0=$(msgs_of "$A")
code=$("${C1[@]}" -o "$W/p.html" -w '%{http_code}' -F "csrf=$T1" -F "texte=Voici le justificatif." \
    "${URL}dossiers/$A/relancer")
is "relance sans la case cochée : 400" "$code" 400
has "… l'erreur à côté du champ" "$(cat "$W/p.html")" 'id="erreur-relancer" role="alert">Cochez la case'
has "… le texte gardé" "$(cat "$W/p.html")" ">Voici le justificatif.</textarea>"
has "… le champ lié à l'erreur" "$(cat "$W/p.html")" 'aria-describedby="aide-relancer erreur-relancer" aria-invalid="true"'
is "… rien d'envoyé" "$(msgs_of "$A")" "$n0"
head -c $((10 * 1024 * 1024 + 1)) /dev/zero > "$W/gros.bin"
code=$("${C1[@]}" -o "$W/p.html" -w '%{http_code}' -F "csrf=$T1" -F confirme=1 \
    -F "texte=Trop gros." -F "pieces=@$W/gros.bin" "${URL}dossiers/$A/relancer")
is "pièce de plus de 10 Mo : 400" "$code" 400
has "… refusée à côté du champ" "$(cat "$W/p.html")" 'id="erreur-relancer" role="alert">'
is "… rien d'envoyé" "$(msgs_of "$A")" "$n0"
head -c $((41 * 1024 * 1024)) /dev/zero > "$W/enorme.bin"
code=$("${C1[@]}" -o "$W/p.html" -w '%{http_code}' -F "csrf=$T1" -F confirme=1 \
    -F "texte=Énorme." -F "pieces=@$W/enorme.bin" "${URL}dossiers/$A/relancer")
is "envoi de plus de 40 Mo : 413" "$code" 413
has "… en français" "$(cat "$W/p.html")" "Envoi trop volumineux"
rm -f "$W/gros.bin" "$W/enorme.bin"
printf 'quittance\n' > "$W/quittance.txt"
code=$("${C1[@]}" -o "$W/p.html" -D "$W/p.head" -w '%{http_code}' -F "csrf=$T1" -F confirme=1 \
    -F "texte=Voici le justificatif demandé." -F "pieces=@$W/quittance.txt" "${URL}dossiers/$A/relancer")
is "relance confirmée : 303" "$code" 303
has "… vers le dossier, message de réussite" "$(tr -d '\r' <"$W/p.head")" "Location: /dossiers/$A?fait=relancer"
is "… un message de plus" "$(msgs_of "$A")" $((n0 + 1))
is "… le dossier en file d'envoi" "$(state_of "$A")" queued
page=$("${C1[@]}" "${URL}dossiers/$A?fait=relancer")
has "… le message de réussite" "$page" "La relance est enregistrée"
has "… complément envoyé dans le fil" "$page" ">Complément envoyé — <time"
has "… sa pièce" "$page" "quittance.txt</a>"
serve1
is "serve l'envoie : en attente de réponse" "$(state_of "$A")" awaiting

# --- wait / resume: the confirmation page, then done -------------------------------------
code=$(post1 "dossiers/$A/attendre" "csrf=$T1")
is "attendre sans confirmation : la page de confirmation (200)" "$code" 200
has "… la question" "$(cat "$W/p.html")" "Mettre ce dossier en attente de l&#39;usager ?"
has "… le formulaire confirme" "$(cat "$W/p.html")" '<input type="hidden" name="confirme" value="1">'
has "… et le retour" "$(cat "$W/p.html")" "Ne rien faire et revenir au dossier"
is "… rien de fait" "$(state_of "$A")" awaiting
is "attendre confirmé : 303" "$(post1 "dossiers/$A/attendre" "csrf=$T1" confirme=1)" 303
is "… en attente de l'usager" "$(state_of "$A")" waiting_user
has "… page : en attente de l'usager" "$("${C1[@]}" "${URL}dossiers/$A?fait=attendre")" "Le dossier attend l&#39;usager"
is "attendre de nouveau : refusé (400)" "$(post1 "dossiers/$A/attendre" "csrf=$T1" confirme=1)" 400
has "… la raison, en français" "$(cat "$W/p.html")" "peut être mis en attente de l&#39;usager"
is "reprendre confirmé : 303" "$(post1 "dossiers/$A/reprendre" "csrf=$T1" confirme=1)" 303
is "… en attente de réponse" "$(state_of "$A")" awaiting

# --- reroute ---------------------------------------------------------------------------
r0=$(sqlite3 "$DB" "select rung from cases where ref = '$A'")
code=$(post1 "dossiers/$A/reorienter" "csrf=$T1" "motif=pas de réponse")
is "réorienter : confirmation (200)" "$code" 200
has "… le motif repris" "$(cat "$W/p.html")" '<input type="hidden" name="motif" value="pas de réponse">'
is "réorienter confirmé : 303" "$(post1 "dossiers/$A/reorienter" "csrf=$T1" confirme=1 "motif=pas de réponse")" 303
is "… échelon suivant" "$(sqlite3 "$DB" "select rung from cases where ref = '$A'")" $((r0 + 1))

# --- close: the resolution required, beside the field ------------------------------------------
is "clore sans résolution : 400" "$(post1 "dossiers/$A/clore" "csrf=$T1" confirme=1 resolution=)" 400
has "… l'erreur à côté du champ" "$(cat "$W/p.html")" 'id="erreur-clore" role="alert">'
has "… le champ la désigne" "$(cat "$W/p.html")" 'aria-describedby="aide-clore erreur-clore" aria-invalid="true"'
hasnt "… sans le nom d'option de la ligne de commande" "$(cat "$W/p.html")" "--resolution"
ok "… toujours ouvert" test "$(state_of "$A")" != resolved
is "clore confirmé : 303" "$(post1 "dossiers/$A/clore" "csrf=$T1" confirme=1 "resolution=Droits rétablis")" 303
is "… résolu" "$(state_of "$A")" resolved
page=$("${C1[@]}" "${URL}dossiers/$A?fait=clore")
has "… la page le dit" "$page" "Le dossier est clos (résolu)."
hasnt "… plus de relance possible" "$page" "/dossiers/$A/relancer\""

# --- cancel (case B) -----------------------------------------------------------------------
is "annuler sans motif : 400" "$(post1 "dossiers/$B/annuler" "csrf=$T1" confirme=1 motif=)" 400
has "… l'erreur à côté du champ" "$(cat "$W/p.html")" 'id="erreur-annuler" role="alert">'
is "… pas annulé" "$(state_of "$B")" awaiting
code=$(post1 "dossiers/$B/annuler" "csrf=$T1" "motif=Doublon")
is "annuler : confirmation (200)" "$code" 200
has "… la mise en garde" "$(cat "$W/p.html")" "Il sera détruit aussitôt"
is "annuler confirmé : 200" "$(post1 "dossiers/$B/annuler" "csrf=$T1" confirme=1 "motif=Doublon")" 200
has "… la page le dit" "$(cat "$W/p.html")" "Le dossier est annulé et détruit"
is "… détruit" "$(state_of "$B")" shredded
is "le dossier détruit : 404" "$("${C1[@]}" -o /dev/null -w '%{http_code}' "${URL}dossiers/$B")" 404
is "action inconnue : 404" "$(post1 "dossiers/$A/effacer" "csrf=$T1" confirme=1)" 404

# --- « Nouveau dossier » -------------------------------------------------------------------
ncases() { sqlite3 "$DB" "select count(*) from cases"; }
code=$("${C1[@]}" -D "$W/h" -o "$W/n.html" -w '%{http_code}' "${URL}dossiers/nouveau")
is "GET /dossiers/nouveau : 200" "$code" 200
page=$(cat "$W/n.html")
has "titre" "$page" "<h1>Nouveau dossier</h1>"
has "formulaire multipart" "$page" 'action="/dossiers" enctype="multipart/form-data"'
has "partenaires de l'annuaire" "$page" '<optgroup label="CAF"><option value="caf:prestations-familiales">Prestations familiales</option>'
has "France Travail sans référent pour Fontenay : grisé, et dit" "$page" \
    '<option value="pole-emploi:emploi" disabled>Inscription, indemnisation, recherche d&#39;emploi — aucun référent joignable pour votre structure</option>'
has "… et dans la liste avant l'envoi" "$page" "<li>France Travail (Pôle emploi) : Inscription"
for f in nom prenom ne_le id_partenaire sollicite_le mandat_signe_le mandat description pieces; do
	has "champ $f et son étiquette" "$page" "<label for=\"$f\">"
done
has "Cache-Control no-store" "$(tr -d '\r' <"$W/h")" "Cache-Control: no-store"
printf 'mandat signé (scan)\n' > "$W/mandat.pdf"
printf 'avis d imposition\n' > "$W/avis.pdf"
# new FIELDS...: agent1 posts the form (multipart) with the defaults and
# FIELDS (-F name=value) over them; status, body in $W/p.html, head in $W/p.head
new() {
	"${C1[@]}" -o "$W/p.html" -D "$W/p.head" -w '%{http_code}' \
	    -F "partenaire_motif=${PM:-caf:logement}" -F "nom=${NOM-Vautrin-Lebel}" \
	    -F "prenom=Aurélie" -F "ne_le=1980-04-02" -F "mandat_signe_le=${MS:-2026-01-20}" \
	    -F "description=${DESC:-Aide au logement suspendue depuis février.}" "$@" "${URL}dossiers"
}
n0=$(ncases)
is "POST /dossiers sans CSRF : 403" "$(new)" 403
is "… aucun dossier créé" "$(ncases)" "$n0"
is "nom vide : 400" "$(NOM='' new -F "csrf=$T1")" 400
has "… l'erreur à côté du champ nom" "$(cat "$W/p.html")" 'id="erreur-nom" role="alert">'
has "… le champ la désigne" "$(cat "$W/p.html")" 'id="nom" name="nom" required aria-describedby="erreur-nom" aria-invalid="true"'
has "… les autres champs gardés" "$(cat "$W/p.html")" 'name="prenom" required value="Aurélie"'
has "… le motif gardé" "$(cat "$W/p.html")" '<option value="caf:logement" selected>'
hasnt "… sans nom d'option de la ligne de commande" "$(cat "$W/p.html")" "--nom"
has "… le menu : Nouveau dossier en cours" "$(cat "$W/p.html")" '<a href="/dossiers/nouveau" aria-current="page">'
is "mandat de plus d'un an : 400" "$(MS=2024-01-01 new -F "csrf=$T1")" 400
has "… l'erreur à côté de la date du mandat" "$(cat "$W/p.html")" 'id="erreur-mandat_signe_le" role="alert">Mandat signé le 2024-01-01 : expiré'
is "France Travail pour Fontenay : 400" "$(PM=pole-emploi:emploi new -F "csrf=$T1")" 400
has "… l'erreur à côté du partenaire" "$(cat "$W/p.html")" 'id="erreur-partenaire_motif" role="alert">'
is "sans partenaire : 400" "$(PM=x new -F "csrf=$T1")" 400
has "… à côté du partenaire" "$(cat "$W/p.html")" 'id="erreur-partenaire_motif" role="alert">Choisissez'
is "description vide : 400" "$(DESC=' ' new -F "csrf=$T1")" 400
has "… à côté de la description" "$(cat "$W/p.html")" 'id="erreur-description" role="alert">'
head -c $((10 * 1024 * 1024 + 1)) /dev/zero > "$W/gros.bin"
is "pièce de plus de 10 Mo : 400" "$(new -F "csrf=$T1" -F "pieces=@$W/gros.bin")" 400
has "… à côté des pièces" "$(cat "$W/p.html")" 'id="erreur-pieces" role="alert">'
rm -f "$W/gros.bin"
is "… toujours aucun dossier créé" "$(ncases)" "$n0"
code=$(new -F "csrf=$T1" -F "mandat=@$W/mandat.pdf" -F "pieces=@$W/avis.pdf" \
    -F "pieces=@$W/quittance.txt")
is "dossier complet : 303" "$code" 303
[ "$code" = 303 ] || grep -o 'role="alert">[^<]*' "$W/p.html" >&2
loc=$(tr -d '\r' <"$W/p.head" | sed -n 's/^Location: //p')
N=${loc#/dossiers/}
N=${N%%\?*}
ok "… vers la page du nouveau dossier" test "$loc" = "/dossiers/$N?fait=cree"
is "… un dossier de plus" "$(ncases)" $((n0 + 1))
page=$("${C1[@]}" "${URL}dossiers/$N?fait=cree")
has "… la page le dit, avec la référence" "$page" "<h1>Dossier $N</h1>"
has "… message de réussite" "$page" "Le dossier est créé."
has "… la personne" "$page" "Aurélie Vautrin-Lebel"
has "… ses deux pièces" "$page" "avis.pdf</a>"
"$FS" show "$N" --json > "$W/n.json" 2>>"$LOG"
is "… saisi par agent1 à Fontenay" "$(sqlite3 "$DB" "select agent || ' ' || structure || ' ' || topic from cases where ref = '$N'")" "agent1 fontenay-aux-roses logement"
is "… empreinte du mandat, pas le fichier" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["person"]["mandat_sha256"])' "$W/n.json")" \
    "$(sha256sum "$W/mandat.pdf" | cut -d' ' -f1)"
is "… deux pièces" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["messages"][0]["attachments"]))' "$W/n.json")" 2
is "agent2 : pas de nouveau dossier pour une autre structure (le sien)" \
    "$("${C2[@]}" -o /dev/null -w '%{http_code}' "${URL}dossiers/$N")" 404

# --- the JSON API: the objects of docs/json.md, the same as the CLI's --------------------------
A1=(-H "X-CSRF-Token: $T1")
"${C1[@]}" -o "$W/api.json" -D "$W/h" "${URL}api/v1/dossiers"
"$FS" cases --agent agent1 --json > "$W/cli.json" 2>>"$LOG"
ok "GET /api/v1/dossiers = cases --agent agent1 --json (octet pour octet)" cmp -s "$W/api.json" "$W/cli.json"
has "… application/json" "$(tr -d '\r' <"$W/h")" "Content-Type: application/json"
"${C1[@]}" -o "$W/api.json" "${URL}api/v1/dossiers?etat=resolved"
"$FS" cases --agent agent1 --state resolved --json > "$W/cli.json" 2>>"$LOG"
ok "… filtré par état, le même" cmp -s "$W/api.json" "$W/cli.json"
is "… état inconnu : 400" "$("${C1[@]}" -o /dev/null -w '%{http_code}' "${URL}api/v1/dossiers?etat=x")" 400
"${C1[@]}" -o "$W/api.json" "${URL}api/v1/dossiers/$N"
"$FS" show "$N" --agent agent1 --json > "$W/cli.json" 2>>"$LOG"
ok "GET /api/v1/dossiers/RÉF = show --json (octet pour octet)" cmp -s "$W/api.json" "$W/cli.json"
code=$("${C2[@]}" -o "$W/x.json" -w '%{http_code}' "${URL}api/v1/dossiers/$N")
is "API : dossier d'une autre structure, 404" "$code" 404
"${C2[@]}" -o "$W/m.json" "${URL}api/v1/dossiers/$MISSING"
ok "… le même que pour un dossier inexistant" cmp -s "$W/x.json" "$W/m.json"
has "… une erreur JSON" "$(cat "$W/x.json")" '{"erreur":'
n0=$(ncases)
code=$("${C1[@]}" -o /dev/null -w '%{http_code}' -F partenaire=caf -F motif=naissance -F nom=Api \
    -F prenom=Test -F mandat_signe_le=2026-01-20 -F "description=Par l'API." "${URL}api/v1/dossiers")
is "POST /api/v1/dossiers sans X-CSRF-Token : 403" "$code" 403
is "… rien créé" "$(ncases)" "$n0"
code=$("${C1[@]}" "${A1[@]}" -o "$W/api.json" -w '%{http_code}' -F partenaire=caf -F motif=naissance \
    -F nom=Api -F prenom=Test -F mandat_signe_le=2026-01-20 -F "description=Par l'API." \
    "${URL}api/v1/dossiers")
is "POST /api/v1/dossiers avec X-CSRF-Token : 201" "$code" 201
[ "$code" = 201 ] || cat "$W/api.json" >&2
P=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ref"])' "$W/api.json")
is "… l'objet de cases --json" "$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); print(sorted(o))' "$W/api.json")" \
    "['created_at', 'due_at', 'last_error', 'overdue', 'partner', 'recipients', 'ref', 'rung', 'state', 'structure', 'topic', 'user_due_at']"
is "… créé" "$(state_of "$P")" queued
code=$("${C1[@]}" "${A1[@]}" -o "$W/api.json" -w '%{http_code}' -F partenaire=caf -F motif=naissance \
    -F nom=Api -F prenom=Test -F mandat_signe_le=2026-01-20 "${URL}api/v1/dossiers")
is "API : sans description, 400" "$code" 400
has "… l'erreur et son champ" "$(cat "$W/api.json")" '"champ":"description"}'
code=$("${C1[@]}" "${A1[@]}" -o "$W/api.json" -w '%{http_code}' --data-urlencode "resolution=Réglé" \
    "${URL}api/v1/dossiers/$P/clore")
is "API : clore, 200" "$code" 200
has "… l'objet après" "$(cat "$W/api.json")" '"state":"resolved"'
is "… résolu" "$(state_of "$P")" resolved
code=$("${C1[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "motif=x" "${URL}api/v1/dossiers/$P/annuler")
is "API : action sans jeton, 403" "$code" 403
code=$("${C1[@]}" "${A1[@]}" -o "$W/api.json" -w '%{http_code}' -X POST "${URL}api/v1/dossiers/$P/attendre")
is "API : attendre un dossier résolu, 400" "$code" 400
has "… la raison" "$(cat "$W/api.json")" '{"erreur":"'
T2=$("${C2[@]}" "${URL}api/v1/session" | sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
code=$("${C2[@]}" -H "X-CSRF-Token: $T2" -o /dev/null -w '%{http_code}' --data-urlencode "motif=x" \
    "${URL}api/v1/dossiers/$P/annuler")
is "API : agent2 annule un dossier de Fontenay, 404" "$code" 404
is "… toujours résolu" "$(state_of "$P")" resolved
# the API in JSON: the same fields, the same rules
JS=(-H "Content-Type: application/json")
n0=$(ncases)
code=$("${C1[@]}" "${JS[@]}" -o "$W/api.json" -w '%{http_code}' --data-binary \
    '{"partenaire":"caf","motif":"naissance","nom":"Json","prenom":"Test"}' "${URL}api/v1/dossiers")
is "API JSON sans X-CSRF-Token : 403" "$code" 403
code=$("${C1[@]}" "${A1[@]}" "${JS[@]}" -o "$W/api.json" -w '%{http_code}' --data-binary \
    '{"partenaire":"caf","motif":"naissance","nom":"Json","prenom":"Zo\u00e9",' "${URL}api/v1/dossiers")
is "API JSON illisible (objet non fermé) : 400" "$code" 400
has "… une erreur JSON" "$(cat "$W/api.json")" '{"erreur":"Le formulaire envoyé n'
code=$("${C1[@]}" "${A1[@]}" "${JS[@]}" -o /dev/null -w '%{http_code}' --data-binary \
    '{"partenaire":"caf","nom":{"imbrique":1}}' "${URL}api/v1/dossiers")
is "API JSON imbriqué : 400" "$code" 400
code=$("${C1[@]}" "${A1[@]}" "${JS[@]}" -o /dev/null -w '%{http_code}' --data-binary \
    '{"nom":"Json","nom":"Double"}' "${URL}api/v1/dossiers")
is "API JSON, un champ en double : 400" "$code" 400
code=$("${C1[@]}" "${A1[@]}" "${JS[@]}" -o "$W/api.json" -w '%{http_code}' --data-binary \
    '{"partenaire":"caf","motif":"naissance","nom":"Json","prenom":"Zo\u00e9","mandat_signe_le":"2026-01-20"}' \
    "${URL}api/v1/dossiers")
is "API JSON sans description : 400" "$code" 400
has "… l'erreur et son champ" "$(cat "$W/api.json")" '"champ":"description"}'
is "… rien créé" "$(ncases)" "$n0"
code=$("${C1[@]}" "${A1[@]}" "${JS[@]}" -o "$W/api.json" -w '%{http_code}' --data-binary \
    '{"partenaire":"caf","motif":"naissance","nom":"Json","prenom":"Zo\u00e9","mandat_signe_le":"2026-01-20","description":"Envoy\u00e9 en JSON.\nDeuxi\u00e8me ligne \ud83d\ude42.","ne_le":null}' \
    "${URL}api/v1/dossiers")
is "API JSON : création, 201" "$code" 201
[ "$code" = 201 ] || cat "$W/api.json" >&2
PJ=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ref"])' "$W/api.json")
is "… créé" "$(state_of "$PJ")" queued
out=$("$FS" show "$PJ" 2>&1)
has "… le prénom décodé (\\u00e9)" "$out" "Zoé"
has "… la description, retour à la ligne et paire de substitution décodés" "$out" "Envoyé en JSON.
Deuxième ligne 🙂."
code=$("${C1[@]}" "${JS[@]}" -o "$W/api.json" -w '%{http_code}' --data-binary \
    "{\"csrf\":\"$T1\",\"resolution\":\"R\\u00e9gl\\u00e9 en JSON\"}" "${URL}api/v1/dossiers/$PJ/clore")
is "API JSON : clore avec le jeton CSRF dans le corps, 200" "$code" 200
is "… résolu" "$(state_of "$PJ")" resolved

# --- the quarantine triage --------------------------------------------------------------------
qstate() { sqlite3 "$DB" "select state from quarantine where id = $1"; }
code=$("${C1[@]}" -D "$W/h" -o "$W/q.html" -w '%{http_code}' "${URL}quarantaine")
is "GET /quarantaine : 200" "$code" 200
page=$(cat "$W/q.html")
has "titre" "$page" "<h1>Quarantaine</h1>"
has "deux courriels à trier" "$page" ">2 courriels à trier."
has "le courriel $Q1" "$page" "<a href=\"/quarantaine/$Q1\">n° $Q1</a>"
hasnt "pas celui d'Antony" "$page" "/quarantaine/$QX\""
has "l'expéditeur, déchiffré" "$page" "<td>inconnu@example.org</td>"
has "la raison en français" "$page" "<td>expéditeur inconnu du dossier</td>"
has "le dossier désigné" "$page" "<a href=\"/dossiers/$A\">$A</a>"
has "Cache-Control no-store" "$(tr -d '\r' <"$W/h")" "Cache-Control: no-store"
has "menu : Quarantaine" "$page" '<a href="/quarantaine" aria-current="page">Quarantaine</a>'
has "agent2 : celui d'Antony" "$("${C2[@]}" "${URL}quarantaine")" "/quarantaine/$QX\""
code=$("${C2[@]}" -o "$W/x.html" -w '%{http_code}' "${URL}quarantaine/$Q1")
is "agent2 : le courriel de Fontenay, 404" "$code" 404
"${C2[@]}" -o "$W/m.html" "${URL}quarantaine/999999"
ok "… la même page qu'un numéro inexistant" cmp -s "$W/x.html" "$W/m.html"
page=$("${C1[@]}" "${URL}quarantaine/$Q1")
has "le courriel, déchiffré" "$page" "Je connais ce dossier Strangerwordun."
has "… ses formulaires de tri" "$page" "action=\"/quarantaine/$Q1/rattacher\""
has "… la référence proposée : celle de ses clés" "$page" "value=\"$A\""
ok "lecture journalisée au nom de l'agent" \
    test "$(sqlite3 "$DB" "select count(*) from events where action = 'quarantine.viewed' and actor = 'agent1'")" -ge 1
qpost() {	# qpost ID ACTION FIELDS...
	local id=$1 act=$2 a=()
	shift 2
	for f in "$@"; do a+=(--data-urlencode "$f"); done
	"${C1[@]}" -o "$W/p.html" -D "$W/p.head" -w '%{http_code}' "${a[@]}" "${URL}quarantaine/$id/$act"
}
is "rattacher sans CSRF : 403" "$(qpost "$Q1" rattacher confirme=1 "dossier=$N")" 403
is "rejeter sans CSRF : 403" "$(qpost "$Q1" rejeter confirme=1)" 403
is "… toujours à trier" "$(qstate "$Q1")" held
is "rattacher : confirmation (200)" "$(qpost "$Q1" rattacher "csrf=$T1" "dossier=$N")" 200
has "… la question" "$(cat "$W/p.html")" "Rattacher ce courriel au dossier $N"
is "… toujours à trier" "$(qstate "$Q1")" held
is "rattacher au dossier d'Antony : 400" "$(qpost "$Q1" rattacher "csrf=$T1" confirme=1 "dossier=$X")" 400
has "… « dossier inconnu », à côté du champ" "$(cat "$W/p.html")" "id=\"erreur-dossier\" role=\"alert\">$X : dossier inconnu"
is "… toujours à trier" "$(qstate "$Q1")" held
is "agent2 : rattacher le courriel de Fontenay, 404" "$("${C2[@]}" -o /dev/null -w '%{http_code}' \
    --data-urlencode "csrf=$T2" --data-urlencode confirme=1 --data-urlencode "dossier=$X" \
    "${URL}quarantaine/$Q1/rattacher")" 404
m0=$(msgs_of "$N")
is "rattacher confirmé : 303" "$(qpost "$Q1" rattacher "csrf=$T1" confirme=1 "dossier=$N")" 303
has "… retour à la quarantaine" "$(tr -d '\r' <"$W/p.head")" "Location: /quarantaine?fait=rattacher"
is "… rattaché" "$(qstate "$Q1")" assigned
is "… une réponse de plus au dossier" "$(msgs_of "$N")" $((m0 + 1))
has "… « à vérifier » dans le fil" "$("${C1[@]}" "${URL}dossiers/$N")" "À vérifier"
is "… au nom de l'agent" "$(sqlite3 "$DB" "select actor from events where action = 'quarantine.assigned' order by seq desc limit 1")" agent1
is "rejeter : confirmation (200)" "$(qpost "$Q2" rejeter "csrf=$T1")" 200
has "… la mise en garde" "$(cat "$W/p.html")" "Son contenu sera effacé"
is "rejeter confirmé : 303" "$(qpost "$Q2" rejeter "csrf=$T1" confirme=1)" 303
is "… rejeté" "$(qstate "$Q2")" rejected
has "… la page le dit" "$("${C1[@]}" "${URL}quarantaine?fait=rejeter")" "Le courriel est rejeté"
is "rejeter de nouveau : 400" "$(qpost "$Q2" rejeter "csrf=$T1" confirme=1)" 400
has "… la raison" "$(cat "$W/p.html")" "courriel déjà rejeté"
is "Antony : toujours à trier" "$(qstate "$QX")" held

# --- the mails that name no case: the DPO reads and rejects, the admin sees metadata ----------
hasnt "agent1 : pas le courriel sans dossier" "$("${C1[@]}" "${URL}quarantaine")" "n° $QN<"
is "agent1 : le courriel sans dossier, 404" "$("${C1[@]}" -o /dev/null -w '%{http_code}' "${URL}quarantaine/$QN")" 404
J3=$W/jar3
J4=$W/jar4
is "connexion dpo" "$(login dpo "$J3")" 303
is "connexion admin" "$(login admin "$J4")" 303
C3=(curl -s --cacert "$FSRELAY_TEST_CA" -b "$J3" -c "$J3")
C4=(curl -s --cacert "$FSRELAY_TEST_CA" -b "$J4" -c "$J4")
T3=$("${C3[@]}" "${URL}api/v1/session" | sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
T4=$("${C4[@]}" "${URL}api/v1/session" | sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
page=$("${C3[@]}" "${URL}quarantaine")
has "DPO : menu Quarantaine" "$("${C3[@]}" "$URL")" 'href="/quarantaine"'
has "DPO : le courriel sans dossier" "$page" "<a href=\"/quarantaine/$QN\">n° $QN</a>"
has "DPO : son expéditeur" "$page" "<td>curieux@example.org</td>"
hasnt "DPO : aucun courriel qui désigne un dossier" "$page" "/quarantaine/$QX\""
has "DPO : la page dit ce qu'il trie" "$page" "ne désignent aucun dossier"
is "DPO : un courriel qui désigne un dossier, 404" "$("${C3[@]}" -o /dev/null -w '%{http_code}' "${URL}quarantaine/$QX")" 404
page=$("${C3[@]}" "${URL}quarantaine/$QN")
has "DPO : le courriel, déchiffré" "$page" "Nocaseword."
has "DPO : le formulaire de rejet" "$page" "action=\"/quarantaine/$QN/rejeter\""
hasnt "DPO : pas de rattachement (il ne voit aucun dossier)" "$page" "/rattacher\""
ok "DPO : lecture journalisée à son nom" \
    test "$(sqlite3 "$DB" "select count(*) from events where action = 'quarantine.viewed' and actor = 'dpo'")" -ge 1
code=$("${C3[@]}" -o "$W/p.html" -w '%{http_code}' --data-urlencode "csrf=$T3" \
    --data-urlencode confirme=1 --data-urlencode "dossier=$N" "${URL}quarantaine/$QN/rattacher")
is "DPO : rattacher à un dossier, 400" "$code" 400
has "… refusé par le cœur" "$(cat "$W/p.html")" "Refusé : le DPO ne voit aucun dossier"
is "… toujours à trier" "$(qstate "$QN")" held
page=$("${C4[@]}" "${URL}quarantaine")
has "admin : le courriel sans dossier, son numéro" "$page" "<th scope=\"row\">n° $QN</th>"
hasnt "admin : ni expéditeur" "$page" "curieux@example.org"
hasnt "… ni objet" "$page" "Demande de renseignements"
hasnt "… ni lien de lecture" "$page" "/quarantaine/$QN\""
is "admin : lire le courriel, 404" "$("${C4[@]}" -o /dev/null -w '%{http_code}' "${URL}quarantaine/$QN")" 404
is "admin : le rejeter, 404" "$("${C4[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$T4" \
    --data-urlencode confirme=1 "${URL}quarantaine/$QN/rejeter")" 404
is "… toujours à trier" "$(qstate "$QN")" held
code=$("${C3[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$T3" \
    --data-urlencode confirme=1 "${URL}quarantaine/$QN/rejeter")
is "DPO : rejeter, 303" "$code" 303
is "… rejeté" "$(qstate "$QN")" rejected
is "… au nom du DPO" "$(sqlite3 "$DB" "select actor from events where action = 'quarantine.rejected' order by seq desc limit 1")" dpo

# --- nothing personal in the server's output -------------------------------------------------
ok "ni nom ni texte dans la sortie du serveur" \
    bash -c '! grep -qE "Quibrante|Ornella|Zanzibarquiche|justificatif" "$1" "$2"' _ "$T_DIR/web.err" "$T_DIR/web.out"
kill -TERM "$WEB_PID"
wait "$WEB_PID"
is "arrêt propre" "$?" 0
done_testing
