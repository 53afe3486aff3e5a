# tests/integration/web_dpo.sh - the DPO's actions on the breach register
# through the web desk (issue 10, point 4, DPO): declare, assess, notify
# the CNIL (late: reasons for delay required), communicate, exempt, close,
# each a POST form with the session's CSRF token and a confirmation box,
# the same rules as `fsrelay breach` (relay/dpo), the refusals in French
# beside their field; what the register holds after each (breach show
# --json), the audit events, and 404 for other roles.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
mkdir -p "$W"
J=$W/dpo.jar
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT

# post PATH FIELD=VALUE...: a form of the DPO's session (csrf added unless
# NOCSRF=1); the status in $code, the page in $W/body
post() {
	local path=$1 a=()
	shift
	[ "${NOCSRF:-0}" = 1 ] || a+=(--data-urlencode "csrf=$(web_csrf "$J" "$path")")
	for f in "$@"; do a+=(--data-urlencode "$f"); done
	code=$(web_curl "$J" -o "$W/body" -w '%{http_code} %{redirect_url}' "${a[@]}" "${WEB_URL}${path#/}")
	body=$(cat "$W/body")
}
show() { FSRELAY_NOW=${NOW:-2026-03-02T12:00:00Z} "$FS" breach show 1 --json; }
field() { show | python3 -c 'import json,sys; v=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

ok "fsrelay web démarre" web_start 2026-03-02T12:00:00Z
is "connexion du DPO" "$(web_login "$J" dpo)" 303

# --- declare (POST /violations) -------------------------------------------------------
page=$(web_curl "$J" "${WEB_URL}violations")
has "le registre propose de déclarer" "$page" '<h2 id="titre-declarer">Déclarer une violation</h2>'
has "… un formulaire POST avec le jeton CSRF" "$page" '<form method="post" action="/violations" class="form"><input type="hidden" name="csrf" value="'
has "… et une case de confirmation" "$page" 'name="confirmer" value="oui" required'
NOCSRF=1 post violations action=declarer nature_c=oui "faits=Courrier remis à un tiers" confirmer=oui
has "sans jeton CSRF : 403" "$code" "403"
post violations action=declarer nature_c=oui "faits=Courrier remis à un tiers"
has "sans confirmation : 400" "$code" "400"
has "… l'erreur à côté de la case" "$body" '<p class="field-error" id="erreur-declarer-confirmer">cochez la case de confirmation.</p>'
has "… liée à la case (aria-describedby)" "$body" 'name="confirmer" value="oui" required aria-invalid="true" aria-describedby="erreur-declarer-confirmer"'
has "… le texte tapé est gardé" "$body" '>Courrier remis à un tiers</textarea>'
post violations action=declarer "faits=Courrier remis à un tiers" confirmer=oui
has "sans nature : 400" "$code" "400"
has "… l'erreur liée aux cases de nature" "$body" 'aria-describedby="erreur-declarer-nature"><legend>'
post violations action=declarer nature_c=oui "faits=Courrier remis à un tiers" \
    prise_de_connaissance=2026-03-02T13:30 confirmer=oui
has "prise de connaissance dans le futur : 400 (règle du cœur)" "$code" "400"
has "… la raison du cœur, avec le nom du champ" "$body" 'id="erreur-declarer-prise_de_connaissance">Prise de connaissance : date dans le futur</p>'
post violations action=declarer nature_c=oui "faits=Courrier remis à un tiers" \
    "prise_de_connaissance=31/02/2026 10:00" confirmer=oui
has "date impossible : 400" "$code" "400"
has "… dite à côté du champ" "$body" 'id="erreur-declarer-prise_de_connaissance">date invalide : attendu JJ/MM/AAAA HH:MM'
is "rien n'a été inscrit jusqu'ici" "$(FSRELAY_NOW=2026-03-02T12:00:00Z "$FS" breach list --json | tr -d ' \n')" "[]"
post violations action=declarer nature_c=oui "faits=Courrier remis à un tiers (dossier papier)" \
    "prise_de_connaissance=02/03/2026 10:30" risque=high confirmer=oui
is "déclaration : 303 vers l'entrée" "$code" "303 ${WEB_URL}violations/1?fait=declarer"
is "… entrée ouverte" "$(field 'v["status"]')" open
is "… origine manuelle" "$(field 'v["detection_source"]')" manual
is "… prise de connaissance à 10:30 heure de Paris" "$(field 'v["aware_at"]')" 2026-03-02T09:30:00Z
is "… risque élevé" "$(field 'v["risk_level"]')" high
page=$(web_curl "$J" "${WEB_URL}violations/1?fait=declarer")
has "… le message de réussite" "$page" "La violation est inscrite au registre."
has "… le compte à rebours (72 h depuis 10:30 : reste 2 j 21 h)" "$page" "reste 2 j 21 h</span>"

# --- assess ---------------------------------------------------------------------------
post violations/1 action=evaluer "prise_de_connaissance=2026-03-02T14:30" confirmer=oui
has "évaluation dans le futur : 400" "$code" "400"
has "… à côté du champ" "$body" 'aria-invalid="true" aria-describedby="aide-evaluer-prise_de_connaissance erreur-evaluer-prise_de_connaissance"'
has "… formulaire rouvert" "$body" '<details open><summary>Évaluer'
post violations/1 action=evaluer "personnes=beaucoup" confirmer=oui
has "nombre invalide : 400" "$code" "400"
has "… la raison, le champ nommé en français" "$body" 'id="erreur-evaluer-personnes">Nombre approximatif de personnes : nombre invalide « beaucoup »</p>'
is "version inchangée après les refus" "$(field 'v["version"]')" 1
post violations/1 action=evaluer "justification_risque=Adresse et situation familiale exposées" \
    "mesures_prises=Courrier récupéré" "categories_donnees=identité, situation familiale" \
    personnes=1 enregistrements=1 "dossiers=FS-92032-2026-000001" confirmer=oui
is "évaluation : 303" "$code" "303 ${WEB_URL}violations/1?fait=evaluer"
is "… justification enregistrée" "$(field 'v["risk_rationale"]')" "Adresse et situation familiale exposées"
is "… mesures prises" "$(field 'v["measures_taken"]')" "Courrier récupéré"
is "… personnes" "$(field 'v["subjects_approx"]')" 1
is "… dossier lié" "$(field 'v["linked_cases"]')" "['FS-92032-2026-000001']"
is "… les faits déclarés restent" "$(field 'v["facts"]')" "Courrier remis à un tiers (dossier papier)"
is "… version 2" "$(field 'v["version"]')" 2

# --- exempt, close refused ------------------------------------------------------------
post violations/1 action=exempter exception=a "justification=  " confirmer=oui
has "exemption sans justification : 400 (règle du cœur, article 34(3))" "$code" "400"
has "… la raison, à côté de la justification" "$body" 'id="erreur-exempter-justification">exemption refusée : « Justification » est obligatoire (article 34(3)'
post violations/1 action=clore confirmer=oui
has "clôture sans notification : 400" "$code" "400"
has "… dit ce qui manque" "$body" "id=\"erreur-clore\">Rien n'a été fait : "

# --- notify late (the test clock, 80 h later) ----------------------------------------
web_stop
NOW=2026-03-05T20:00:00Z
ok "redémarrage 80 h plus tard" web_start $NOW
is "nouvelle connexion du DPO" "$(web_login "$J" dpo)" 303
page=$(web_curl "$J" "${WEB_URL}violations/1")
has "échéance dépassée : le compte à rebours le dit" "$page" "dépassée de"
has "… les motifs du retard sont obligatoires" "$page" 'name="motifs_retard" rows="3" maxlength="2047" required'
post violations/1 action=notifier reference_cnil=CNIL-2026-0042 confirmer=oui
has "notification tardive sans motifs : 400 (article 33(1))" "$code" "400"
has "… la raison du cœur à côté des motifs" "$body" 'id="erreur-notifier-motifs_retard">notification tardive (échéance 2026-03-05T09:30:00Z dépassée) : « Motifs du retard » est obligatoire (article 33(1))</p>'
is "… pas notifiée" "$(field 'v["status"]')" open
post violations/1 action=notifier reference_cnil=CNIL-2026-0042 \
    "motifs_retard=Découverte un vendredi soir, DPO absent" confirmer=oui
is "notification avec motifs : 303" "$code" "303 ${WEB_URL}violations/1?fait=notifier"
is "… notifiée" "$(field 'v["status"]')" notified
is "… référence CNIL" "$(field 'v["sa_notifications"][0]["cnil_reference"]')" CNIL-2026-0042
is "… initiale, à l'heure du serveur" "$(field 'v["sa_notifications"][0]["type"]+" "+v["sa_notifications"][0]["sent_at"][:16]')" "initial 2026-03-05T20:00"
is "… motifs du retard" "$(field 'v["sa_notifications"][0]["delay_reasons"]')" "Découverte un vendredi soir, DPO absent"

# --- communicate, close ---------------------------------------------------------------
post violations/1 action=communiquer moyen=courrier "date_information=05/03/2026 18:00" \
    "message=Madame, un courrier vous concernant a été remis par erreur à un tiers." confirmer=oui
is "information des personnes : 303" "$code" "303 ${WEB_URL}violations/1?fait=communiquer"
is "… communiquée" "$(field 'v["subjects_communicated"]')" True
is "… à 18:00 heure de Paris" "$(field 'v["communicated_at"]')" 2026-03-05T17:00:00Z
post violations/1 action=clore
has "clôture sans confirmation : 400" "$code" "400"
is "… pas close" "$(field 'v["status"]')" notified
post violations/1 action=clore confirmer=oui
is "clôture : 303" "$code" "303 ${WEB_URL}violations/1?fait=clore"
is "… close" "$(field 'v["status"]')" closed
page=$(web_curl "$J" "${WEB_URL}violations/1")
has "entrée close : dit" "$page" "Entrée close : plus aucune modification."
hasnt "… plus de formulaire" "$page" 'name="action"'
post violations/1 action=evaluer "mesures_prises=encore" confirmer=oui
has "une entrée close ne change plus : 400" "$code" "400"
has "… la raison du cœur" "$body" "la violation n° 1 est close : plus aucune modification"
code=$(web_curl "$J" -o /dev/null -w '%{http_code}' "${WEB_URL}violations/1/export")
is "export CNIL" "$code" 200
hdr=$(web_curl "$J" -D - -o /dev/null "${WEB_URL}journal/export?du=01%2F03%2F2026&au=31%2F03%2F2026")
has "export du journal avec des dates JJ/MM/AAAA (texte)" "$hdr" 'filename="journal-audit-2026-03-01-2026-03-31.jsonl"'
code=$(web_curl "$J" -o /dev/null -w '%{http_code}' "${WEB_URL}journal/export?du=31%2F02%2F2026&au=31%2F03%2F2026")
is "… une date impossible : 400" "$code" 400

# --- the audit trail, as the CLI writes it --------------------------------------------
DB=$T_DIR/data/fsrelay.db
for ev in breach.declared breach.assessed breach.notified breach.communicated breach.closed \
    breach.exported; do
	is "événement $ev (acteur dpo)" "$(sqlite3 "$DB" "select count(*) from events where action = '$ev' and actor = 'dpo'")" 1
done
is "ni texte du DPO ni référence CNIL dans le journal" \
    "$(sqlite3 "$DB" "select count(*) from events where outcome like '%tiers%' or outcome like '%CNIL-2026%'")" 0
ok "audit verify : journal intact" "$FS" audit verify

# --- other roles: 404, nothing done ---------------------------------------------------
JA=$W/agent.jar
is "connexion de agent1" "$(web_login "$JA" agent1)" 303
csrf=$(web_csrf "$JA" /)
code=$(web_curl "$JA" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" \
    --data-urlencode action=declarer --data-urlencode nature_c=oui \
    --data-urlencode "faits=x" --data-urlencode confirmer=oui "${WEB_URL}violations")
is "un agent ne déclare pas (404, même avec son jeton CSRF)" "$code" 404
is "… rien au registre" "$(NOW=$NOW; FSRELAY_NOW=$NOW "$FS" breach list --json | grep -c breach_id)" 1
web_stop
is "arrêt propre" "$web_stop_rc" 0
done_testing
