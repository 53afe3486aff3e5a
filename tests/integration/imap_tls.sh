# imap_tls.sh - the relay's mailbox reader (adapters/imap, through
# `fsrelay serve --once`) against `openssl s_server` instances that record
# every byte the client sends after the handshake: a server whose
# certificate comes from another CA, and one from the trusted CA but for
# another host name, receive no LOGIN and no AUTHENTICATE (nor any other
# command); a control server whose certificate verifies does receive
# AUTHENTICATE through the same recording; a TLS 1.1-only server is refused.
# Then the real Dovecot over STARTTLS (imap_starttls = yes) works.
# Fake server: FSRELAY_TEST_FAKE_IP (127.0.0.3), FSRELAY_TEST_FAKE_IMAP_PORT (10996).
. "$(dirname "$0")/../lib.sh"
new_instance
[ -n "${FSRELAY_TEST_KEEP:-}" ] && { trap - EXIT; echo "gardé : $T_DIR"; }
FIP=${FSRELAY_TEST_FAKE_IP:-127.0.0.3}
FPORT=${FSRELAY_TEST_FAKE_IMAP_PORT:-10996}
W=$T_DIR/tls
mkdir -p "$W"

cert() {	# cert NAME SAN: a certificate for SAN issued by ca2
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -addext "subjectAltName=$2" \
		-addext "basicConstraints=critical,CA:FALSE" -CA "$W/ca2.pem" -CAkey "$W/ca2.key" \
		-keyout "$W/$1.key" -out "$W/$1.pem" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=fsrelay autre autorite" -keyout "$W/ca2.key" -out "$W/ca2.pem" 2>/dev/null
cert good "IP:$FIP"
cert wrongname "DNS:wrong.example"
ok "test certificates made" test -s "$W/good.pem" -a -s "$W/wrongname.pem"

# conf CA URL [extra line]: an instance config reading the fake server
conf() {
	sed -e "s|^ca_file = .*|ca_file = $1|" -e "s|^imap_url = .*|imap_url = $2|" \
		"$FSRELAY_CONFIG" > "$W/fake.conf"
	[ -n "${3:-}" ] && echo "$3" >> "$W/fake.conf"
	chmod 600 "$W/fake.conf"
}
listening() {
	local a b c d key
	IFS=. read -r a b c d <<<"$FIP"
	key=$(printf '%02X%02X%02X%02X:%04X' "$d" "$c" "$b" "$a" "$FPORT")
	awk -v k="$key" '$2==k && $4=="0A" {f=1} END {exit !f}' /proc/net/tcp
}
# fake NAME CERT [s_server options...]: one connection, then the recording
# in $W/NAME.out; canned answers let a verified client go through LOGIN
# and SELECT to an empty mailbox.
fake() {
	local name=$1 crt=$2 pid i
	shift 2
	printf '%s\r\n' "* OK fake IMAP ready" "* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR" \
		"A001 OK done" "A002 OK logged in" "* OK [UIDVALIDITY 7] ok" \
		"A003 OK [READ-WRITE] selected" "A004 OK fetch done" "* BYE fake" \
		"A005 OK bye" > "$W/$name.in"
	# stdin stays open (a FIFO): s_server hangs up at the end of its input
	rm -f "$W/fifo"
	mkfifo "$W/fifo"
	openssl s_server -accept "$FIP:$FPORT" -naccept 1 -cert "$W/$crt.pem" -key "$W/$crt.key" \
		"$@" < "$W/fifo" > "$W/$name.out" 2>&1 &
	pid=$!
	exec 7>"$W/fifo"
	cat "$W/$name.in" >&7
	for i in $(seq 1 200); do listening && break; sleep 0.02; done
	timeout -s KILL 30 "$FS" -c "$W/fake.conf" serve --once 2> "$W/$name.log"
	exec 7>&-
	kill $pid 2>/dev/null; wait $pid 2>/dev/null
}
sent_login() { grep -qE 'LOGIN|AUTHENTICATE' "$W/$1.out"; }

# control: a certificate that verifies -> the recording sees the login
conf "$W/ca2.pem" "imaps://$FIP:$FPORT"
fake control good
ok "control: the verified server receives AUTHENTICATE or LOGIN" sent_login control
hasnt "control: no TLS error" "$(cat "$W/control.log")" "certificat non vérifié"

# right name, untrusted CA (the client trusts only the stack's CA)
conf "$FSRELAY_TEST_CA" "imaps://$FIP:$FPORT"
fake untrusted good
fails "untrusted CA: no LOGIN/AUTHENTICATE sent" sent_login untrusted
ok "untrusted CA: no IMAP command at all" sh -c '! grep -qE "^A0[0-9]+ " "$0"' "$W/untrusted.out"
has "untrusted CA: a TLS reason in the log" "$(cat "$W/untrusted.log")" "TLS : certificat non vérifié"

# trusted CA, certificate for another name
conf "$W/ca2.pem" "imaps://$FIP:$FPORT"
fake wrongname wrongname
fails "wrong host name: no LOGIN/AUTHENTICATE sent" sent_login wrongname
ok "wrong host name: no IMAP command at all" sh -c '! grep -qE "^A0[0-9]+ " "$0"' "$W/wrongname.out"
has "wrong host name: a TLS reason in the log" "$(cat "$W/wrongname.log")" "TLS : certificat non vérifié"

# a server limited to TLS 1.1
fake tls11 good -tls1_1 -cipher DEFAULT@SECLEVEL=0
fails "TLS 1.1 only: no LOGIN/AUTHENTICATE sent" sent_login tls11
has "TLS 1.1 only: a TLS reason in the log" "$(cat "$W/tls11.log")" "TLS"

# none of this touched the mailbox state: serve still exits 0
is "serve --once exits 0 despite the refused server" "$(timeout -s KILL 30 "$FS" -c "$W/fake.conf" serve --once 2>/dev/null; echo $?)" 0

# the real Dovecot over STARTTLS
RELAY_MD=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
printf 'From: inconnu@example.org\r\nTo: %s\r\nSubject: starttls\r\nMessage-ID: <st.%s@test.invalid>\r\n\r\ncorps\r\n' \
	"$FSRELAY_TEST_RELAY_ADDRESS" "$$" > "$W/st.eml"
curl -s --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
	-u "$FSRELAY_TEST_RELAY_ADDRESS:$FSRELAY_TEST_PASSWORD" --mail-from "$FSRELAY_TEST_RELAY_ADDRESS" \
	--mail-rcpt "$FSRELAY_TEST_RELAY_ADDRESS" -T "$W/st.eml"
for i in $(seq 1 100); do [ -n "$(ls "$RELAY_MD"/new 2>/dev/null)" ] && break; sleep 0.05; done
sed -e "s|^imap_url = .*|imap_url = $FSRELAY_TEST_IMAP_STARTTLS_URL|" "$FSRELAY_CONFIG" > "$W/st.conf"
echo "imap_starttls = yes" >> "$W/st.conf"
chmod 600 "$W/st.conf"
ok "STARTTLS: serve --once" "$FS" -c "$W/st.conf" serve --once 2>"$W/st.log"
has "STARTTLS: the mail was ingested (quarantined: stranger)" \
	"$("$FS" -c "$W/st.conf" quarantine list 2>&1)" "stranger"
is "STARTTLS: mailbox emptied" "$(find "$RELAY_MD/new" "$RELAY_MD/cur" -type f | wc -l)" 0
done_testing
