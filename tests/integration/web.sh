# tests/integration/web.sh - the web desk's HTTP adapter (issue 10, items 1
# and 2): fsrelay web under TLS with the stack's certificate, the C test
# tests/live/web_http.c over real sockets (headers, cookie, CSRF, lockout),
# then what the store and the server's output hold (no password, no token,
# no address), the audit events, the idle timeout and the lock's expiry
# across a restart (the test clock), a clean SIGTERM, loopback only
# without a certificate, and agents password.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
DB=$T_DIR/data/fsrelay.db
mkdir -p "$W"
T0=2026-03-02T09:00:00Z

# start_web NOW [CONF]: fsrelay web on 127.0.0.2 (a free port) at the test
# time NOW; sets WEB_PID, URL
start_web() {
	local i
	FSRELAY_NOW=$1 "$FS" -c "${2:-$FSRELAY_CONFIG}" web --listen 127.0.0.2:0 \
	    >"$W/web.out" 2>>"$W/web.err" &
	WEB_PID=$!
	for i in $(seq 1 100); do
		URL=$(sed -n 's/^fsrelay web : écoute sur \(https:\/\/[^ ]*\).*/\1/p' "$W/web.out")
		[ -n "$URL" ] && return 0
		sleep 0.05
	done
	return 1
}
stop_web() {
	kill -TERM "$WEB_PID"
	wait "$WEB_PID"
	stop_rc=$?
}
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT

# an entry of the breach register for the DPO's pages
FSRELAY_NOW=$T0 "$FS" breach declare --nature C \
    --facts "Courrier remis à la mauvaise personne (test)" >"$W/declare.out" 2>&1
is "breach declare (pour les pages du DPO)" "$?" 0
# cases for the manager's report: two of Fontenay, one of Antony (not theirs)
printf 'Situation bloquée depuis janvier.\n' > "$W/desc.txt"
for a in agent1:fontenay-aux-roses agent1:fontenay-aux-roses agent2:antony; do
	FSRELAY_NOW=$T0 "$FS" escalate --structure "${a#*:}" --agent "${a%%:*}" --partner caf \
	    --topic prestations-familiales --nom Quibrante-Zed --prenom Ornella \
	    --mandat-signe-le 2026-01-15 --description-file "$W/desc.txt" >>"$W/esc.out" 2>&1
done
is "trois dossiers pour le rapport" "$(grep -c '^FS-' "$W/esc.out")" 3
ok "fsrelay web démarre (TLS)" start_web "$T0"
has "écoute en https" "$URL" "https://127.0.0.2:"
FSRELAY_TEST_WEB_URL=$URL "$TOP/$B/tests/live_web_http" >"$W/c.out" 2>&1 </dev/null
rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/c.out" | tail -n 1)
[ "$rc" = 0 ] || cat "$W/c.out" >&2
is "web_http (C, libcurl) : tout passe" "$rc" 0
has "web_http a compté ses vérifications" "$line" " passed, 0 failed"
n=${line%% passed*}
T_PASS=$((T_PASS + ${n:-0}))

# what the administrator's forms wrote (web_http.c): the agent created
# and the key pinned through the core, audited under the admin's account
is "agents : le compte créé par le formulaire" \
    "$(sqlite3 "$DB" "select role || ' ' || structure from agents where id = 'nouvel.agent'")" \
    "responsable fontenay-aux-roses"
is "agents : création journalisée au nom de l'administrateur" \
    "$(sqlite3 "$DB" "select count(*) from events where action = 'agent.added' and actor = 'admin' and outcome = 'nouvel.agent'")" 1
is "annuaire : la clé épinglée, vérifiée par qui le formulaire dit" \
    "$(sqlite3 "$DB" "select count(*) from referent_keys where verified_by = 'Camille par téléphone'")" 1
is "annuaire : remplacement journalisé au nom de l'administrateur" \
    "$(sqlite3 "$DB" "select count(*) from events where action = 'key.replaced' and actor = 'admin'")" 1
out=$("$FS" referents check 2>&1)
ok "referents check (par le cœur) : toujours le rapport" grep -q "lacune" <<<"$out"

# a session of agent1 kept across the restarts (curl's cookie jar)
J=$W/jar
C=(curl -s --cacert "$FSRELAY_TEST_CA" -c "$J" -b "$J" --interface 127.0.0.11)
csrf=$("${C[@]}" "${URL}connexion" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
code=$("${C[@]}" -o /dev/null -w '%{http_code}' \
    --data-urlencode "csrf=$csrf" --data-urlencode "identifiant=agent1" \
    --data-urlencode "mot_de_passe=$FSRELAY_TEST_WEB_PASSWORD" "${URL}connexion")
is "connexion de agent1 (curl)" "$code" 303
is "page d'accueil avec la session" "$("${C[@]}" -o /dev/null -w '%{http_code}' "$URL")" 200
stop_web
is "SIGTERM : arrêt propre (code 0)" "$stop_rc" 0
has "SIGTERM : le serveur le dit" "$(cat "$W/web.out")" "arrêt (SIGTERM)"

# --- what the store, the log and the output hold -----------------------------------
tok=$(awk '$6 == "__Host-fsrelay" {print $7}' "$J")
is "le jeton du cookie : 64 chiffres hexadécimaux" "${#tok}" 64
is "le jeton n'est pas en clair dans la base" \
    "$(sqlite3 "$DB" "select count(*) from web_sessions where hex(token_hash) = upper('$tok') or csrf = '$tok'")" 0
ok "la base ne contient ni mot de passe ni jeton" \
    bash -c '! grep -aq -e "$1" -e "$2" "$3"' _ "$FSRELAY_TEST_WEB_PASSWORD" "$tok" "$DB"
is "empreintes Argon2id" "$(sqlite3 "$DB" "select count(*) from web_accounts where pwhash like '\$argon2id\$v=19\$m=65536,t=3,%'")" 5
for ev in web.login web.login.failed web.login.locked web.logout account.password; do
	n=$(sqlite3 "$DB" "select count(*) from events where action = '$ev'")
	ok "événement d'audit $ev ($n)" test "$n" -gt 0
done
is "échec sur compte inconnu : acteur « web », sans l'identifiant tapé" \
    "$(sqlite3 "$DB" "select count(*) from events where action like 'web.login%' and (actor like 'inconnu%' or outcome like '%inconnu_%' or outcome like '%127.0.0%')")" 0
is "blocage par adresse journalisé" \
    "$(sqlite3 "$DB" "select count(*) from events where action = 'web.login.locked' and actor = 'web' and outcome = 'adresse'")" 1
[ -s "$W/web.err" ] && sed 's/^/    web.err: /' "$W/web.err" >&2
ok "ni mot de passe ni adresse de client dans la sortie du serveur" \
    bash -c '! grep -qE -e "$1" -e "127\.0\.0\.([6-9]|1[0-2])\b" "$2" "$3"' _ "$FSRELAY_TEST_WEB_PASSWORD" "$W/web.err" "$W/web.out"

# --- the test clock across restarts: lock expiry, idle timeout ----------------------
ok "redémarrage à +16 min" start_web 2026-03-02T09:16:00Z
is "session encore valide après 16 min" "$("${C[@]}" -o /dev/null -w '%{http_code}' "$URL")" 200
csrf=$(curl -s --cacert "$FSRELAY_TEST_CA" -c "$W/jar2" --interface 127.0.0.12 "${URL}connexion" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
code=$(curl -s --cacert "$FSRELAY_TEST_CA" -b "$W/jar2" --interface 127.0.0.12 -o /dev/null -w '%{http_code}' \
    --data-urlencode "csrf=$csrf" --data-urlencode "identifiant=agent2" \
    --data-urlencode "mot_de_passe=$FSRELAY_TEST_WEB_PASSWORD" "${URL}connexion")
is "agent2 débloqué après 15 minutes" "$code" 303
stop_web
ok "redémarrage à +47 min" start_web 2026-03-02T09:47:00Z
code=$("${C[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "$URL")
has "30 min sans activité : session close" "$code" "303"
has "… renvoi vers /connexion" "$code" "/connexion"
stop_web
ok "expiration journalisée" test "$(sqlite3 "$DB" "select count(*) from events where action = 'web.session.expired' and outcome = 'inactivité'")" -ge 1

# --- without a certificate: loopback only --------------------------------------------
grep -v '^web_tls_' "$FSRELAY_CONFIG" > "$W/notls.conf"
chmod 600 "$W/notls.conf"
"$FS" -c "$W/notls.conf" web --listen 0.0.0.0:0 >"$W/o" 2>"$W/e"
is "sans certificat, 0.0.0.0 refusé (code 1)" "$?" 1
has "… et il dit pourquoi" "$(cat "$W/e")" "boucle locale"
"$FS" -c "$W/notls.conf" web --listen 127.0.0.1:0 >"$W/o" 2>"$W/e" &
p=$!
for i in $(seq 1 100); do grep -q "écoute" "$W/o" && break; sleep 0.05; done
has "sans certificat : http sur la boucle locale, et il le dit" "$(cat "$W/o")" "sans TLS : boucle locale seulement"
kill -TERM $p; wait $p
is "arrêt propre sans TLS" "$?" 0
"$FS" -c "$W/notls.conf" web --listen pas-une-adresse >"$W/o" 2>"$W/e"
has "adresse invalide refusée" "$(cat "$W/e")" "adresse d'écoute invalide"

# --- agents password / add --role ------------------------------------------------------
out=$(printf 'court\n' | "$FS" agents password agent1 2>&1)
is "mot de passe trop court : code 1" "$?" 1
has "… message" "$out" "trop court"
out=$(printf '%s\n' "$FSRELAY_TEST_WEB_PASSWORD" | "$FS" agents password personne 2>&1)
is "agent inconnu : code 1" "$?" 1
out=$("$FS" agents password agent1 </dev/null 2>&1)
is "sans entrée : code 1" "$?" 1
out=$("$FS" agents password agent1 "$FSRELAY_TEST_WEB_PASSWORD" 2>&1)
is "le mot de passe jamais en argument : code 2" "$?" 2
out=$("$FS" agents list)
ok "agents list : le DPO et l'administrateur" \
    bash -c 'grep -q "^dpo .* dpo " <<<"$0" && grep -q "^admin .* admin " <<<"$0"' "$out"
done_testing
