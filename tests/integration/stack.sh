# tests/integration/stack.sh - the test mail stack itself (tests/mailstack):
# TLS with its own CA only, case-insensitive and "+detail" addresses, any
# envelope sender from an authenticated client, nothing for outside domains,
# no plaintext IMAP LOGIN, and a complete DIR/env.  Uses curl (the tool), not
# fsrelay, so it runs even while the CLI is being written.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck disable=SC1091
. "$FSRELAY_TEST_STACK/env"

RUN=$(mktemp -d /tmp/fsr-stacktest.XXXXXX)
trap 'rm -rf "$RUN"' EXIT
PW=$FSRELAY_TEST_PASSWORD
RELAY=$FSRELAY_TEST_RELAY_ADDRESS
MARK=stk$$-$(date +%s%N)

# msg FILE SUBJECT: a small message
msg() {
	printf 'From: <%s>\r\nTo: <test@fsrelay.test>\r\nSubject: %s\r\nMessage-ID: <%s@fsrelay.test>\r\n\r\nCorps %s\r\n' \
	    "$RELAY" "$2" "$2" "$2" > "$1"
}
# send FROM RCPT FILE [curl options...]: SMTPS submission as the relay
send() {
	local from=$1 rcpt=$2 file=$3
	shift 3
	curl -sS --max-time 20 --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
	    --user "$RELAY:$PW" --mail-from "$from" --mail-rcpt "$rcpt" --upload-file "$file" "$@" \
	    2>>"$RUN/curl.err"
}
# delivered DIR TEXT: wait (10 s max) for a message containing TEXT in maildir DIR/new
delivered() {
	for _ in $(seq 100); do
		grep -qls -- "$2" "$1"/new/* 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# imap_uid USER SUBJECT: UID of the message with this subject in USER's INBOX (IMAPS)
imap_uid() {
	curl -sS --max-time 20 --cacert "$FSRELAY_TEST_CA" --user "$1:$PW" \
	    "$FSRELAY_TEST_IMAP_URL/INBOX" -X "UID SEARCH SUBJECT \"$2\"" 2>>"$RUN/curl.err" |
	    tr -d '\r' | awk '/^\* SEARCH/ {print $3}'
}
# curl_rc CMD...: prints curl's exit status
curl_rc() { "$@" >/dev/null 2>&1; echo $?; }
# plain_login: LOGIN without STARTTLS on the STARTTLS port; prints the tagged answer
plain_login() {
	local hostport=${FSRELAY_TEST_IMAP_STARTTLS_URL#imap://}
	timeout 10 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		IFS= read -r l <&3
		printf "a1 LOGIN %s %s\r\n" "$2" "$3" >&3
		while IFS= read -r l <&3; do
			case $l in a1\ *) printf "%s\n" "$l"; exit 0;; esac
		done' "${hostport%:*}" "${hostport#*:}" "$RELAY" "$PW" 2>/dev/null | tr -d '\r'
}

# tls_handshake HOST:PORT -tls1_N: does the server complete a handshake in that
# version?  SECLEVEL=0 so that the client side never refuses old versions itself.
tls_handshake() {
	openssl s_client -connect "$1" "$2" -cipher 'DEFAULT:@SECLEVEL=0' \
	    -CAfile "$FSRELAY_TEST_CA" -verify_return_error </dev/null 2>/dev/null |
	    grep -q '^New, TLSv1'
}

# --- env: every name, absolute values ---------------------------------------
for n in FSRELAY_BIN FSRELAY_TEST_CA FSRELAY_TEST_STACK_DIR FSRELAY_TEST_MAILDIRS; do
	v=$(grep "^export $n=" "$FSRELAY_TEST_STACK/env" | sed "s/^export $n='\(.*\)'\$/\1/")
	has "env: $n absolu" "x$v" "x/"
done
ok "env: FSRELAY_TEST_CA lisible" test -s "$FSRELAY_TEST_CA"
ok "env: FSRELAY_TEST_MAILDIRS existe" test -d "$FSRELAY_TEST_MAILDIRS"
is "env: FSRELAY_TEST_STACK_DIR" "$FSRELAY_TEST_STACK_DIR" "$(cd "$FSRELAY_TEST_STACK" && pwd)"
is "env: FSRELAY_TEST_MAILDIRS" "$FSRELAY_TEST_MAILDIRS" "$FSRELAY_TEST_STACK_DIR/mail"
is "env: FSRELAY_TEST_SMTP_URL" "$FSRELAY_TEST_SMTP_URL" "smtps://127.0.0.2:10465"
is "env: FSRELAY_TEST_IMAP_URL" "$FSRELAY_TEST_IMAP_URL" "imaps://127.0.0.2:10993"
is "env: FSRELAY_TEST_SMTP_STARTTLS_URL" "$FSRELAY_TEST_SMTP_STARTTLS_URL" "smtp://127.0.0.2:10025"
is "env: FSRELAY_TEST_IMAP_STARTTLS_URL" "$FSRELAY_TEST_IMAP_STARTTLS_URL" "imap://127.0.0.2:10143"
is "env: FSRELAY_TEST_RELAY_ADDRESS" "$RELAY" "relais@relay.fsrelay.test"
ok "env: FSRELAY_TEST_PASSWORD = 32 chiffres hexa" \
    bash -c '[[ $0 =~ ^[0-9a-f]{32}$ ]]' "$PW"
for n in FSRELAY_BIN FSRELAY_TEST_SMTP_URL FSRELAY_TEST_IMAP_URL FSRELAY_TEST_SMTP_STARTTLS_URL \
    FSRELAY_TEST_IMAP_STARTTLS_URL FSRELAY_TEST_CA FSRELAY_TEST_PASSWORD \
    FSRELAY_TEST_RELAY_ADDRESS FSRELAY_TEST_STACK_DIR FSRELAY_TEST_MAILDIRS; do
	ok "env: $n exporté" grep -q "^export $n='[^']\+'\$" "$FSRELAY_TEST_STACK/env"
done

# --- SMTPS to a directory address written with capitals ----------------------
msg "$RUN/m1" "$MARK-casse"
ok "SMTPS vers Rachid.bouziane@pole-emploi.fr" \
    send "$RELAY" Rachid.bouziane@pole-emploi.fr "$RUN/m1"
ok "livré dans la boîte en minuscules" \
    delivered "$FSRELAY_TEST_MAILDIRS/pole-emploi.fr/rachid.bouziane/Maildir" "$MARK-casse"
fails "pas de boîte en majuscules" test -e "$FSRELAY_TEST_MAILDIRS/pole-emploi.fr/Rachid.bouziane"
uid=$(curl -sS --max-time 20 --cacert "$FSRELAY_TEST_CA" --user "Rachid.Bouziane@Pole-Emploi.fr:$PW" \
    "$FSRELAY_TEST_IMAP_URL/INBOX" -X "UID SEARCH SUBJECT \"$MARK-casse\"" 2>>"$RUN/curl.err" |
    tr -d '\r' | awk '/^\* SEARCH/ {print $3}')
ok "IMAPS: identifiant en majuscules, même boîte (uid '$uid')" test -n "$uid"

# --- relais+token lands in the relay's INBOX, read over IMAPS -----------------
msg "$RUN/m2" "$MARK-jeton"
ok "SMTPS vers relais+tok123@relay.fsrelay.test" \
    send "$RELAY" relais+tok123@relay.fsrelay.test "$RUN/m2"
ok "livré dans la boîte du relais" \
    delivered "$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir" "$MARK-jeton"
fails "pas de boîte relais+tok123" test -e "$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais+tok123"
uid=$(imap_uid "$RELAY" "$MARK-jeton")
ok "IMAPS: message trouvé dans INBOX du relais (uid '$uid')" test -n "$uid"
body=$(curl -sS --max-time 20 --cacert "$FSRELAY_TEST_CA" --user "$RELAY:$PW" \
    "$FSRELAY_TEST_IMAP_URL/INBOX/;UID=${uid:-0}" 2>&1 | tr -d '\r')
has "IMAPS: corps du message" "$body" "Corps $MARK-jeton"
has "IMAPS: destinataire d'origine conservé" "$body" "relais+tok123@relay.fsrelay.test"

# --- a stranger envelope sender is accepted from an authenticated client ------
msg "$RUN/m3" "$MARK-inconnu"
ok "expéditeur inconnu@ailleurs.example accepté" \
    send inconnu@ailleurs.example collegue@fs-fontenay.test "$RUN/m3"
ok "livré à collegue@fs-fontenay.test" \
    delivered "$FSRELAY_TEST_MAILDIRS/fs-fontenay.test/collegue/Maildir" "$MARK-inconnu"
uid=$(imap_uid collegue@fs-fontenay.test "$MARK-inconnu")
ok "IMAPS: collegue voit le message" test -n "$uid"
body=$(curl -sS --max-time 20 --cacert "$FSRELAY_TEST_CA" --user "collegue@fs-fontenay.test:$PW" \
    "$FSRELAY_TEST_IMAP_URL/INBOX/;UID=${uid:-0}" 2>&1 | tr -d '\r')
has "Return-Path de l'inconnu" "$body" "Return-Path: <inconnu@ailleurs.example>"

# --- refusals -------------------------------------------------------------------
msg "$RUN/m4" "$MARK-refus"
is "destinataire hors des domaines de test refusé (curl 55)" \
    "$(curl_rc send "$RELAY" quelquun@example.org "$RUN/m4")" 55
is "utilisateur inconnu d'un domaine de test refusé (curl 55)" \
    "$(curl_rc send "$RELAY" personne@fs-fontenay.test "$RUN/m4")" 55
is "mauvais mot de passe refusé (curl 67)" \
    "$(curl_rc curl -sS --max-time 20 --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
        --user "$RELAY:mauvais" --mail-from "$RELAY" --mail-rcpt "$RELAY" --upload-file "$RUN/m4")" 67
is "SMTP sans authentification refusé (curl 55)" \
    "$(curl_rc curl -sS --max-time 20 --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
        --mail-from "$RELAY" --mail-rcpt "$RELAY" --upload-file "$RUN/m4")" 55
sleep 0.5
ok "rien n'est parti vers example.org" \
    bash -c '! grep -rqs "$0" "$1"' "$MARK-refus" "$FSRELAY_TEST_MAILDIRS"

# --- TLS: our CA only, TLS >= 1.2, STARTTLS ports ---------------------------------
is "SMTPS sans la CA : certificat non reconnu (curl 60)" \
    "$(curl_rc curl -sS --max-time 20 --url "$FSRELAY_TEST_SMTP_URL" --user "$RELAY:$PW" \
        --mail-from "$RELAY" --mail-rcpt "$RELAY" --upload-file "$RUN/m4")" 60
is "IMAPS sans la CA : certificat non reconnu (curl 60)" \
    "$(curl_rc curl -sS --max-time 20 --user "$RELAY:$PW" "$FSRELAY_TEST_IMAP_URL/INBOX")" 60
for hp in "${FSRELAY_TEST_IMAP_URL#imaps://}" "${FSRELAY_TEST_SMTP_URL#smtps://}"; do
	fails "$hp : TLS 1.1 refusé par le serveur" tls_handshake "$hp" -tls1_1
	ok "$hp : TLS 1.2 accepté" tls_handshake "$hp" -tls1_2
	ok "$hp : TLS 1.3 accepté" tls_handshake "$hp" -tls1_3
done
msg "$RUN/m5" "$MARK-starttls"
ok "SMTP STARTTLS (10025) avec --ssl-reqd" \
    curl -sS --max-time 20 --url "$FSRELAY_TEST_SMTP_STARTTLS_URL" --ssl-reqd --cacert "$FSRELAY_TEST_CA" \
        --user "$RELAY:$PW" --mail-from "$RELAY" --mail-rcpt agent1@fs-fontenay.test --upload-file "$RUN/m5"
ok "livré à agent1@fs-fontenay.test" \
    delivered "$FSRELAY_TEST_MAILDIRS/fs-fontenay.test/agent1/Maildir" "$MARK-starttls"
ok "IMAP STARTTLS (10143) avec --ssl-reqd" \
    curl -sS --max-time 20 --ssl-reqd --cacert "$FSRELAY_TEST_CA" --user "$RELAY:$PW" \
        "$FSRELAY_TEST_IMAP_STARTTLS_URL/INBOX" -o /dev/null
ans=$(plain_login)
has "LOGIN en clair sans STARTTLS refusé" "$ans" "a1 NO"
hasnt "LOGIN en clair sans STARTTLS : pas de OK" "$ans" "a1 OK"

done_testing
