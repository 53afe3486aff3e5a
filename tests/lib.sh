# tests/lib.sh - sourced by integration tests.  Gives:
#   new_instance      make a fresh instance dir (tests/instance) and source its env
#   ok DESC CMD...    passes when CMD exits 0
#   fails DESC CMD... passes when CMD exits non-zero
#   is DESC GOT WANT  passes when GOT = WANT
#   has DESC TEXT NEEDLE / hasnt DESC TEXT NEEDLE
#   wait_mail DIR N   waits until maildir DIR/new holds N mails
#   sent_count DB     deliveries recorded sent (read while serve writes)
#   wait_relay N      waits until N mails wait in the relay's mailbox
#   delivered, wait_delivered, smtp_send, mail, reply_in: mail as a referent
#                     sees and answers it (below)
#   web_start NOW, web_stop, web_login JAR ID, web_csrf JAR PATH: fsrelay web
#                     on 127.0.0.2 at the test time NOW ($WEB_URL), a curl
#                     session in a cookie jar
#   done_testing      prints "N passed, N failed" and sets the exit status
# The mail stack is already running: tests/run exported FSRELAY_TEST_STACK.
set -u
T_PASS=0; T_FAIL=0
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

_t_pass() { T_PASS=$((T_PASS + 1)); }
_t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }

ok()    { local d=$1; shift; if "$@"; then _t_pass; else _t_fail "$d"; fi; }
fails() { local d=$1; shift; if "$@"; then _t_fail "$d (devait échouer)"; else _t_pass; fi; }
is()    { if [ "$2" = "$3" ]; then _t_pass; else _t_fail "$1: got '$2', want '$3'"; fi; }
has()   { case $2 in *"$3"*) _t_pass;; *) _t_fail "$1: '$3' absent de: $2";; esac; }
hasnt() { case $2 in *"$3"*) _t_fail "$1: '$3' présent dans: $2";; *) _t_pass;; esac; }

# new_instance: instance under a fresh world-traversable dir, removed at exit.
new_instance() {
	T_DIR=$(mktemp -d /tmp/fsr-inst.XXXXXX)
	# Mail delivered before this instance existed is another test's, even
	# when it carries the same reference (references repeat between
	# instances): delivered() looks at nothing older.
	T_SINCE=$(date +%s.%N)
	export T_SINCE
	chmod 755 "$T_DIR"
	trap 'rm -rf "$T_DIR"' EXIT
	cp "$FSRELAY_TEST_STACK/env" "$T_DIR/env"
	"$TOP/tests/instance" "$T_DIR" >"$T_DIR/instance.log" 2>&1 ||
		{ cat "$T_DIR/instance.log" >&2; echo "0 passed, 1 failed"; exit 1; }
	# shellcheck disable=SC1091
	. "$T_DIR/env"
	FS=$FSRELAY_BIN
}

# sent_count DB: the deliveries recorded sent.  Progress is measured in the
# store, not in a Maildir, which lags behind the server's 250.
sent_count() {
	sqlite3 -cmd '.timeout 2000' "$1" "select count(*) from deliveries where state = 'sent'" \
		2>/dev/null || echo 0
}

# wait_relay N: until N mails wait in the relay's own mailbox (the input
# of the ingest; Postfix hands them to Dovecot by LMTP), 30 s at most.
wait_relay() {
	local i md=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
	for i in $(seq 1 600); do
		[ "$(find "$md/new" "$md/cur" -type f 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_mail MAILDIR N: Postfix hands mail to Dovecot after its 250, so a
# test waits (5 s at most) until MAILDIR/new holds at least N files.
wait_mail() {
	local i
	for i in $(seq 1 100); do
		[ "$(find "$1/new" -type f 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# delivered MAILDIR REF HEADER: a header (decoded) of the last mail of REF
# in MAILDIR delivered since new_instance; HEADER :path gives the file
delivered() {
	python3 - "$@" <<'PY'
import email, email.header, glob, os, sys
md, ref, name = sys.argv[1:4]
since = float(os.environ.get("T_SINCE") or 0)
files = sorted(glob.glob(md + "/new/*") + glob.glob(md + "/cur/*"), key=os.path.getmtime)
for f in reversed(files):
    if os.path.getmtime(f) < since:
        break
    m = email.message_from_bytes(open(f, "rb").read())
    if (m.get("Message-ID") or "").startswith("<" + ref + "."):
        if name == ":path":
            print(f)
            break
        v = m.get(name)
        if v is not None:
            print(str(email.header.make_header(email.header.decode_header(v))).replace("\n", " "))
        break
PY
}
wait_delivered() {	# wait_delivered MAILDIR REF
	local i
	for i in $(seq 1 100); do
		[ -n "$(delivered "$1" "$2" Message-ID)" ] && return 0
		sleep 0.05
	done
	return 1
}
# smtp_send FROM RCPT FILE: submit FILE through the stack as FROM
smtp_send() {
	curl -s --url "$FSRELAY_TEST_SMTP_URL" --cacert "$FSRELAY_TEST_CA" \
		-u "$1:$FSRELAY_TEST_PASSWORD" --mail-from "$1" --mail-rcpt "$2" -T "$3"
}
# mail FROM TO SUBJECT IN_REPLY_TO BODY [EXTRA_HEADER]: an RFC 5322 mail on stdout
mail() {
	python3 - "$@" <<'PY'
import email.message, email.policy, email.utils, sys
a = sys.argv[1:] + [""] * 6
m = email.message.EmailMessage(policy=email.policy.SMTP)
m["From"], m["To"], m["Subject"] = a[0], a[1], a[2]
if a[3]:
    m["In-Reply-To"] = a[3]
    m["References"] = a[3]
m["Message-ID"] = email.utils.make_msgid(domain="test.invalid")
m["Date"] = "Mon, 2 Mar 2026 11:00:00 +0000"
if a[5]:
    k, v = a[5].split(": ", 1)
    m[k] = v
m.set_content(a[4])
sys.stdout.buffer.write(m.as_bytes())
PY
}
# reply_in MAILDIR REF FROM BODY [EXTRA]: the referent whose mailbox is
# MAILDIR answers the delivered mail of REF
reply_in() {
	local mid rt subj
	wait_delivered "$1" "$2"
	mid=$(delivered "$1" "$2" Message-ID)
	rt=$(delivered "$1" "$2" Reply-To)
	subj=$(delivered "$1" "$2" Subject)
	mail "$3" "$rt" "RE: $subj" "$mid" "$4" "${5:-}" > "$T_DIR/reply.eml"
	smtp_send "$3" "$rt" "$T_DIR/reply.eml"
}
# web_start NOW [CONF]: fsrelay web on 127.0.0.2 (a free port) at the test
# time NOW, output in $T_DIR/web.out and web.err; sets WEB_PID, WEB_URL.
web_start() {
	local i
	FSRELAY_NOW=$1 "$FS" -c "${2:-$FSRELAY_CONFIG}" web --listen 127.0.0.2:0 \
	    >"$T_DIR/web.out" 2>>"$T_DIR/web.err" &
	WEB_PID=$!
	for i in $(seq 1 100); do
		WEB_URL=$(sed -n 's/^fsrelay web : écoute sur \(https:\/\/[^ ]*\).*/\1/p' "$T_DIR/web.out")
		[ -n "$WEB_URL" ] && return 0
		sleep 0.05
	done
	return 1
}
# web_stop: SIGTERM and wait; web_stop_rc: its exit status
web_stop() {
	kill -TERM "$WEB_PID"
	wait "$WEB_PID"
	web_stop_rc=$?
}
# web_curl JAR ARGS...: curl with the stack's CA and the cookie jar JAR
web_curl() {
	local jar=$1
	shift
	curl -s --cacert "$FSRELAY_TEST_CA" -c "$jar" -b "$jar" "$@"
}
# web_csrf JAR PATH: the hidden csrf field of the page PATH
web_csrf() {
	web_curl "$1" "${WEB_URL}${2#/}" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1
}
# web_login JAR ID: log ID in with the test password; prints the status (303)
web_login() {
	local csrf
	csrf=$(web_csrf "$1" connexion)
	web_curl "$1" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	    --data-urlencode "identifiant=$2" --data-urlencode "mot_de_passe=$FSRELAY_TEST_WEB_PASSWORD" \
	    "${WEB_URL}connexion"
}
done_testing() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ]
	exit $?
}
