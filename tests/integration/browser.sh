# tests/integration/browser.sh - the web desk in Debian's Chromium through
# playwright-core (tests/browser/desk.mjs): login, cookie flags, CSP,
# CSRF refusal, lockout, keyboard, axe-core on every page.  Screenshots in
# $B/test-output/browser/ (one NAME.png per page).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
mkdir -p "$W"
OUT=$TOP/${B:-build}/test-output/browser
rm -rf "$OUT"
mkdir -p "$OUT"
[ -d "$TOP/tests/browser/node_modules/playwright-core" ] ||
	{ echo "FAIL: tests/browser/node_modules absent (scripts/deps.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
FSRELAY_NOW=2026-03-02T09:00:00Z "$FS" breach declare --nature C \
    --facts "Courrier remis à la mauvaise personne (test)" >"$W/declare.out" 2>&1
is "breach declare (pour les pages du DPO)" "$?" 0
# two cases for the manager's report (its chart)
printf 'Situation bloquée depuis janvier.\n' > "$W/desc.txt"
for t in prestations-familiales logement; do
	FSRELAY_NOW=2026-03-02T09:00:00Z "$FS" escalate --structure fontenay-aux-roses \
	    --agent agent1 --partner caf --topic $t --nom Quibrante-Zed --prenom Ornella \
	    --mandat-signe-le 2026-01-15 --description-file "$W/desc.txt" >>"$W/esc.out" 2>&1
done
is "deux dossiers pour le rapport" "$(grep -c '^FS-' "$W/esc.out")" 2
FSRELAY_NOW=2026-03-02T09:00:00Z "$FS" web --listen 127.0.0.2:0 >"$W/web.out" 2>"$W/web.err" &
WEB_PID=$!
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
for i in $(seq 1 100); do
	URL=$(sed -n 's/^fsrelay web : écoute sur \(https:\/\/[^ ]*\).*/\1/p' "$W/web.out")
	[ -n "$URL" ] && break
	sleep 0.05
done
ok "fsrelay web démarre" test -n "$URL"
# Chromium resolves nothing here: 127.0.0.2 is used by address.
FSRELAY_TEST_WEB_URL=$URL FSRELAY_TEST_OUTPUT=$OUT \
    node "$TOP/tests/browser/desk.mjs" >"$W/desk.out" 2>&1
rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/desk.out" | tail -n 1)
[ "$rc" = 0 ] || cat "$W/desk.out" >&2
is "desk.mjs (Chromium) : tout passe" "$rc" 0
has "desk.mjs a compté ses vérifications" "$line" " passed, 0 failed"
n=${line%% passed*}
T_PASS=$((T_PASS + ${n:-0}))
for n in connexion connexion-erreur accueil-agent dossiers agents agents-refus violations violation \
    journal rapport connexion-bloquee; do
	ok "capture $n.png" test -s "$OUT/$n.png"
done
kill -TERM "$WEB_PID"
wait "$WEB_PID"
is "arrêt propre" "$?" 0
done_testing
