# opener.sh - issue 11, the opener page: a real case mail fetched over IMAPS
# carries the page beside the .age; Playwright drives it from file:// in
# Debian's chromium (tests/opener/drive.mjs): decrypts, shows description
# and person, the piece downloads byte for byte, a flipped byte, another
# relay's key and another referent's key are refused, no network request;
# the encrypted reply it prepares, sent by SMTP to the relay, is decrypted
# and attached by `serve`.  The committed page is what the pinned npm
# packages build.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
KACZ=delphine.kaczmar@dgfip.finances.gouv.fr
KEY=$T_DIR/referents/$KACZ.key
OTHER=$(find "$T_DIR/referents" -name '*.key' ! -name "$KACZ.key" | head -n 1)
SHOTS=${FSRELAY_OPENER_SHOTS:-$T_DIR/shots}
mkdir -p "$SHOTS"
RELAY_MD=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null

# ---- the committed page is the build of the pinned packages ----
ok "the pinned npm packages are installed" test -x "$TOP/node_modules/.bin/esbuild"
node "$TOP/opener/build.mjs" "$T_DIR/rebuilt.html" >/dev/null 2>>"$LOG"
ok "the committed page is exactly what opener/build.mjs builds" \
	cmp -s "$T_DIR/rebuilt.html" "$TOP/opener/dist/fsrelay-opener.html"
want=$(sed -n 's/^sha256 de la page : \([0-9a-f]*\).*/\1/p' "$TOP/docs/referent.md")
is "docs/referent.md records the page's hash" "$(sha256sum < "$TOP/opener/dist/fsrelay-opener.html" | cut -d' ' -f1)" "$want"

printf 'Mme Ornella Quibrante-Zed attend depuis six mois.\nLigne deux, très distinctive 7781.\n' > "$T_DIR/desc.txt"
head -c 70000 /dev/urandom > "$T_DIR/releve.pdf"
export FSRELAY_NOW=2026-03-02T10:00:00Z
REF=$("$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
	--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
	--mandat-signe-le 2026-01-15 --description-file "$T_DIR/desc.txt" \
	--piece "$T_DIR/releve.pdf" 2>>"$LOG")
ok "escalate" test -n "$REF"
"$FS" serve --once 2>>"$LOG"
KDIR=$FSRELAY_TEST_MAILDIRS/dgfip.finances.gouv.fr/delphine.kaczmar/Maildir
wait_delivered "$KDIR" "$REF"
# The mailbox is shared by the instances of the run: find this mail by its
# whole Message-ID.
mid=$(delivered "$KDIR" "$REF" Message-ID)
uid=$(curl -s --cacert "$FSRELAY_TEST_CA" -u "$KACZ:$FSRELAY_TEST_PASSWORD" \
	"$FSRELAY_TEST_IMAP_URL/INBOX" -X "UID SEARCH HEADER Message-ID \"$mid\"" | tr -d '\r' | awk '{print $NF}')
curl -s --cacert "$FSRELAY_TEST_CA" -u "$KACZ:$FSRELAY_TEST_PASSWORD" \
	"$FSRELAY_TEST_IMAP_URL/INBOX;UID=$uid" > "$T_DIR/recu.eml"
parts=$(python3 - "$T_DIR/recu.eml" "$T_DIR" <<'PY'
import email, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
for p in m.walk():
    n = p.get_filename()
    if n:
        print(n, p.get_content_type(), p.get_content_charset())
        open(sys.argv[2] + "/" + ("case.age" if n.endswith(".age") else n), "wb").write(p.get_payload(decode=True))
PY
)
has "the .age is attached" "$parts" "$REF.age application/octet-stream"
has "the opener page is attached beside it" "$parts" "ouvrir-le-dossier.html text/html utf-8"
PAGE=$T_DIR/ouvrir-le-dossier.html
html=$(cat "$PAGE")
has "strict CSP in a meta tag" "$html" "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-"
hasnt "no external script" "$html" "<script src"
has "the relay's signing key is in the page" "$html" "\"signing_key\":\"$(cat "$T_DIR/relay-signing.pub")\""
hasnt "no personal data in the page" "$html" "Quibrante"

# ---- the browser ----
node "$TOP/tests/opener/drive.mjs" "$PAGE" "$T_DIR/case.age" "$KEY" "$T_DIR/releve.pdf" "$OTHER" \
	"$SHOTS" > "$T_DIR/drive.out" 2>>"$LOG"
ok "the browser run printed its checks" test -s "$T_DIR/drive.out"
while IFS= read -r line; do
	case $line in
	'{"ok":true'*) _t_pass;;
	'{"ok":false'*) _t_fail "navigateur : $line";;
	'{"steps"'*) echo "opener: $line" >&2; echo "$line" > "$T_DIR/measure.json";;
	esac
done < "$T_DIR/drive.out"
ok "the measure was taken" test -s "$T_DIR/measure.json"
[ -n "${FSRELAY_OPENER_SHOTS:-}" ] && cp "$T_DIR/measure.json" "$SHOTS/"

# ---- the encrypted reply, sent as the referent's mail program would ----
ok "the page prepared reply.eml" test -s "$SHOTS/reply.eml"
hasnt "the prepared reply carries the text only encrypted" "$(cat "$SHOTS/reply.eml")" "Opalereponse"
{ printf 'From: %s\r\nDate: Mon, 2 Mar 2026 11:00:00 +0000\r\nMessage-ID: <opener.reply@dgfip.test>\r\n' "$KACZ"
  grep -v '^X-Unsent:' "$SHOTS/reply.eml"; } > "$T_DIR/send.eml"
smtp_send "$KACZ" "$FSRELAY_TEST_RELAY_ADDRESS" "$T_DIR/send.eml"
ok "the reply reached the relay" wait_relay 1
export FSRELAY_NOW=2026-03-02T11:00:00Z
"$FS" serve --once 2>>"$LOG"
text=$("$FS" show "$REF" --json 2>>"$LOG" | python3 -c 'import json,sys; r=[m for m in json.load(sys.stdin)["messages"] if m["kind"]=="reply"]; print(r[-1]["text"] if r else "")')
has "serve decrypted the page's reply and attached it to the case" "$text" "Opalereponse"
done_testing
