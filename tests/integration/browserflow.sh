# tests/integration/browserflow.sh - the whole way of a case through the web
# desk, in Debian's Chromium and on the real mail stack (issue 10, point 6;
# tests/browser/flow.mjs): agent1 escalates a case with a piece in the
# browser; `serve` delivers it to the CAF referent's mailbox, where it is
# sealed (the referent's key opens it: the description and the piece, byte
# for byte); the referent answers on the stack quoting the history; `serve`
# fetches the reply; agent1 sees it in the thread and downloads the piece;
# agent2 gets 404; the manager's report, the DPO's and the administrator's
# pages; a stranger's mail that names no case, read and rejected by the DPO,
# its metadata only for the administrator.  axe-core on every page; screenshots in
# $B/test-output/browser-parcours/.  Then what the audit log holds.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
W=$T_DIR/work
LOG=$W/stderr.log
mkdir -p "$W"
OUT=$TOP/${B:-build}/test-output/browser-parcours
rm -rf "$OUT"
mkdir -p "$OUT"
[ -d "$TOP/tests/browser/node_modules/playwright-core" ] ||
	{ echo "FAIL: tests/browser/node_modules absent (scripts/deps.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
CAF=partenaires.cafnanterre@caf.cnafmail.fr
CAF_MD=$FSRELAY_TEST_MAILDIRS/caf.cnafmail.fr/partenaires.cafnanterre/Maildir
RELAY_MD=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
DB=$T_DIR/data/fsrelay.db
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
PIECE=$W/attestation-caf.pdf
printf '%%PDF-1.4\n%% attestation de paiement (parcours navigateur)\n' > "$PIECE"
trap 'kill "$WEB_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
ok "fsrelay web démarre" web_start ""

# count the checks of one run of flow.mjs; its output in $W/PHASE.out
flow() {
	local phase=$1 rc line n
	shift
	FSRELAY_TEST_WEB_URL=$WEB_URL FSRELAY_TEST_OUTPUT=$OUT \
	    node "$TOP/tests/browser/flow.mjs" "$phase" "$@" >"$W/$phase.out" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$W/$phase.out" | tail -n 1)
	[ "$rc" = 0 ] || cat "$W/$phase.out" >&2
	is "flow.mjs $phase (Chromium) : tout passe" "$rc" 0
	has "flow.mjs $phase a compté ses vérifications" "$line" " passed, 0 failed"
	n=${line%% passed*}
	T_PASS=$((T_PASS + ${n:-0}))
}

# --- 1. agent1 escalates in the browser ----------------------------------------------
flow escalate "$PIECE"
REF=$(sed -n 's/^REF=//p' "$W/escalate.out")
ok "le navigateur a créé un dossier ($REF)" test -n "$REF"
is "… en file d'envoi, saisi par agent1" \
    "$(sqlite3 "$DB" "select state || ' ' || agent || ' ' || partner from cases where ref = '$REF'")" \
    "queued agent1 caf"

# --- 2. serve delivers it; the referent opens it ---------------------------------------
"$FS" serve --once 2>>"$LOG"
ok "remis à la boîte de la référente de la CAF" wait_delivered "$CAF_MD" "$REF"
subj=$(delivered "$CAF_MD" "$REF" Subject)
hasnt "l'objet ne nomme pas la personne" "$subj" "Vasquez"
M=$(delivered "$CAF_MD" "$REF" :path)
python3 - "$M" "$W/case.age" <<'PY'
import email, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
for part in m.walk():
    if (part.get_filename() or "").endswith(".age"):
        open(sys.argv[2], 'wb').write(part.get_payload(decode=True))
PY
ok "la référente ouvre le dossier (fsrelay open, signature du relais)" \
    "$FS" open "$W/case.age" --identity "$FSRELAY_TEST_REFERENT_KEYS/$CAF.key" \
    --relay-key "$(cat "$T_DIR/relay-signing.pub")" --extraire "$W/ouvert" 2>>"$LOG"
has "… la description saisie dans le navigateur" "$(cat "$W/ouvert/description.txt" 2>/dev/null)" \
    "Allocations familiales suspendues depuis janvier (parcours navigateur)."
ok "… la pièce envoyée par le navigateur, octet pour octet" cmp -s "$PIECE" "$W/ouvert/attestation-caf.pdf"
has "… la personne" "$(cat "$W/ouvert/personne.txt" 2>/dev/null)" "Vasquez-Tiberghien"

# --- 3. the referent answers on the stack; serve fetches it ------------------------------
reply_in "$CAF_MD" "$REF" "$CAF" "Bonjour, le versement reprend le 5 mars.

Le 2 mars 2026 à 10:00, relais a écrit :
> Allocations familiales suspendues depuis janvier (parcours navigateur)." >/dev/null
# and a stranger's mail that names no case: the DPO's part of the quarantine
mail "curieux@example.org" "$FSRELAY_TEST_RELAY_ADDRESS" "Demande de renseignements" "" \
    "Bonjour, comment joindre la CAF ? Motnavigateur." > "$W/nocase.eml"
smtp_send "$FSRELAY_TEST_RELAY_ADDRESS" "$FSRELAY_TEST_RELAY_ADDRESS" "$W/nocase.eml"
ok "la réponse et l'inconnu arrivent au relais" wait_relay 2
"$FS" serve --once 2>>"$LOG"
is "le dossier est répondu" "$(sqlite3 "$DB" "select state from cases where ref = '$REF'")" answered
QN=$(sqlite3 "$DB" "select id from quarantine where case_hint = '' order by id desc limit 1")
ok "le courriel sans dossier en quarantaine" test -n "$QN"

# --- 4. agent1 sees it; the other roles' pages --------------------------------------------
flow answered "$REF" "$PIECE"
for n in parcours-nouveau-dossier parcours-dossier-cree parcours-mes-dossiers \
    parcours-mes-dossiers-repondu parcours-dossier-repondu parcours-agent2-introuvable \
    parcours-rapport parcours-violations parcours-journal parcours-dpo-introuvable \
    parcours-agents parcours-annuaire parcours-admin-introuvable parcours-quarantaine-dpo \
    parcours-quarantaine-courriel-dpo parcours-quarantaine-rejet parcours-quarantaine-admin; do
	ok "capture $n.png" test -s "$OUT/$n.png"
done

# --- 5. what the audit log holds -------------------------------------------------------
is "la création par le navigateur, au nom de agent1" \
    "$(sqlite3 "$DB" "select count(*) from events where case_ref = '$REF' and action = 'case.queued' and actor = 'agent1'")" 1
ok "les lectures du dossier (page, pièce) journalisées au nom de agent1" \
    test "$(sqlite3 "$DB" "select count(distinct outcome) from events where case_ref = '$REF' and action = 'case.viewed' and actor = 'agent1'")" -ge 2
is "aucune lecture par agent2, le DPO ou l'administrateur" \
    "$(sqlite3 "$DB" "select count(*) from events where case_ref = '$REF' and action = 'case.viewed' and actor <> 'agent1'")" 0
is "le courriel sans dossier, rejeté par le DPO" \
    "$(sqlite3 "$DB" "select state from quarantine where id = $QN")" rejected
is "… lu puis rejeté à son nom" \
    "$(sqlite3 "$DB" "select group_concat(action, ' ') from (select action from events where actor = 'dpo' and action like 'quarantine.%' order by seq)")" \
    "quarantine.viewed quarantine.rejected"
ok "le journal d'audit se vérifie" "$FS" audit verify
web_stop
is "arrêt propre" "$web_stop_rc" 0
ok "ni nom ni pièce dans la sortie du serveur" \
    bash -c '! grep -q -e Vasquez -e attestation "$1" "$2"' _ "$T_DIR/web.out" "$T_DIR/web.err"
done_testing
