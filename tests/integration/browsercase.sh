# tests/integration/browsercase.sh - the agent's case pages in Debian's
# Chromium (tests/browser/case.mjs): « Nouveau dossier » (a refusal beside
# its field, then a case), a case answered by the CAF referent on the test
# stack (thread, folded history, a piece downloaded, a follow-up, a close
# confirmed), the quarantine triage, another structure's 404; axe-core on
# every page.  Screenshots in $B/test-output/browser-dossier/.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
LOG=$W/stderr.log
mkdir -p "$W"
OUT=$TOP/${B:-build}/test-output/browser-dossier
rm -rf "$OUT"
mkdir -p "$OUT"
[ -d "$TOP/tests/browser/node_modules/playwright-core" ] ||
	{ echo "FAIL: tests/browser/node_modules absent (scripts/deps.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$FSRELAY_TEST_MAILDIRS/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
RELAY_MD=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
printf 'Situation bloquée depuis janvier : prestations suspendues.\n' > "$W/desc.txt"
printf '%%PDF-1.4 attestation de test\n' > "$W/attestation.pdf"
A=$("$FS" escalate --structure fontenay-aux-roses --agent agent1 --partner caf \
    --topic prestations-familiales --nom Quibrante-Zed --prenom Ornella \
    --mandat-signe-le 2026-01-15 --description-file "$W/desc.txt" --piece "$W/attestation.pdf" 2>>"$LOG")
ok "un dossier" test -n "$A"
"$FS" serve --once 2>>"$LOG"
reply_in "$CAF_MD" "$A" "$CAF" "Bonjour, le dossier est débloqué.

Le 2 mars 2026 à 10:00, relais a écrit :
> Situation bloquée depuis janvier : prestations suspendues." >/dev/null
subj=$(delivered "$CAF_MD" "$A" Subject)
mail "inconnu@example.org" "$FSRELAY_TEST_RELAY_ADDRESS" "Re: $subj" "" \
    "Je connais ce dossier Strangerword." > "$W/stranger.eml"
smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_TEST_RELAY_ADDRESS" "$W/stranger.eml"
ok "la réponse et l'inconnu arrivent au relais" wait_relay 2
"$FS" serve --once 2>>"$LOG"
is "le dossier est répondu" "$(sqlite3 "$T_DIR/data/fsrelay.db" "select state from cases where ref = '$A'")" answered
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
ok "fsrelay web démarre" web_start ""
URL=$WEB_URL
FSRELAY_TEST_WEB_URL=$URL FSRELAY_TEST_OUTPUT=$OUT FSRELAY_TEST_CASE=$A \
    node "$TOP/tests/browser/case.mjs" >"$W/case.out" 2>&1
rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/case.out" | tail -n 1)
[ "$rc" = 0 ] || cat "$W/case.out" >&2
is "case.mjs (Chromium) : tout passe" "$rc" 0
has "case.mjs a compté ses vérifications" "$line" " passed, 0 failed"
n=${line%% passed*}
T_PASS=$((T_PASS + ${n:-0}))
for n in nouveau-dossier nouveau-dossier-erreur dossier-cree dossier dossier-relance \
    dossier-confirmation quarantaine quarantaine-courriel quarantaine-confirmation \
    dossier-introuvable; do
	ok "capture $n.png" test -s "$OUT/$n.png"
done
kill -TERM "$WEB_PID"
wait "$WEB_PID"
is "arrêt propre" "$?" 0
done_testing
