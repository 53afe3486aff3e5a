# tests/integration/browser_dpo_admin.sh - the DPO's and the
# administrator's forms in Debian's Chromium (tests/browser/dpo_admin.mjs):
# declare and notify a breach, a refusal beside its field, French date
# inputs; an account created, a referent's key pinned; axe-core on every
# page.  Then what the register and the store hold.
# Screenshots in $B/test-output/browser/ (one NAME.png per page).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
mkdir -p "$W"
OUT=$TOP/${B:-build}/test-output/browser
mkdir -p "$OUT"
[ -d "$TOP/tests/browser/node_modules/playwright-core" ] ||
	{ echo "FAIL: tests/browser/node_modules absent (scripts/deps.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
NOW=2026-03-02T09:00:00Z
ok "fsrelay web démarre" web_start $NOW
age-keygen -o "$W/pin.key" 2>/dev/null
PIN=$(age-keygen -y "$W/pin.key")
FSRELAY_TEST_WEB_URL=$WEB_URL FSRELAY_TEST_OUTPUT=$OUT FSRELAY_TEST_PIN_KEY=$PIN \
    node "$TOP/tests/browser/dpo_admin.mjs" >"$W/out" 2>&1
rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/out" | tail -n 1)
[ "$rc" = 0 ] || cat "$W/out" >&2
is "dpo_admin.mjs (Chromium) : tout passe" "$rc" 0
has "dpo_admin.mjs a compté ses vérifications" "$line" " passed, 0 failed"
n=${line%% passed*}
T_PASS=$((T_PASS + ${n:-0}))
for n in violation-declarer violation-erreur violation-notifiee journal-dates \
    agents-creer-erreur agents-cree annuaire annuaire-empreinte annuaire-epinglee; do
	ok "capture $n.png" test -s "$OUT/$n.png"
done
# what the browser did, in the register
j=$(FSRELAY_NOW=$NOW "$FS" breach show 1 --json)
has "déclarée par le navigateur" "$j" '"facts":"Dossier papier oublié au guichet (test navigateur)"'
has "… notifiée" "$j" '"status":"notified"'
has "… référence CNIL" "$j" '"cnil_reference":"CNIL-NAV-0001"'
has "… prise de connaissance 09:30 heure de Paris" "$j" '"aware_at":"2026-03-02T08:30:00Z"'
DB=$T_DIR/data/fsrelay.db
is "le compte créé dans le navigateur" \
    "$(sqlite3 "$DB" "select structure || ' ' || role from agents where id = 'claire.nouvelle'")" \
    "fontenay-aux-roses agent"
is "la clé épinglée dans le navigateur" \
    "$(sqlite3 "$DB" "select count(*) from referent_keys where recipient = '$PIN' and verified_by = 'Camille, par téléphone (navigateur)'")" 1
web_stop
is "arrêt propre" "$web_stop_rc" 0
done_testing
