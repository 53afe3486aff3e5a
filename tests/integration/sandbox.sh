# sandbox.sh - issue 13, item 5, on the real stack: the child that parses
# a mail is contained (keys/sandbox: no_new_privs, Landlock, seccomp).  A
# forbidden system call made from inside it (test hook: socket) kills it
# with SIGSYS and the mail is quarantined 'malformed', kept sealed; from
# inside it, opening keys/kek.key fails (EACCES); ordinary mails are still
# parsed under the filter, an ISO-8859-15 one (iconv module loaded before
# the filter) included.  The zygote that forks the children is contained
# as well (kek.key refused); a kill -9 of a zygote in the middle of an
# ingest loses, doubles and sets aside nothing.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
RELAY_MD=$FSRELAY_TEST_MAILDIRS/relay.fsrelay.test/relais/Maildir
RELAY=$FSRELAY_TEST_RELAY_ADDRESS
rm -f "$RELAY_MD"/new/* "$RELAY_MD"/cur/* 2>/dev/null
# quarantined REASON: how many mails are in quarantine for REASON
quarantined() {
	"$FS" quarantine list --json 2>>"$LOG" |
	    python3 -c 'import json,sys; print(sum(1 for q in json.load(sys.stdin) if q["reason"] == sys.argv[1]))' "$1"
}
# one SUBJECT [FAULT]: a stranger's mail to the relay, one pass with FAULT
one() {
	mail "inconnu@example.org" "$RELAY" "$1" "" "Texte sans rapport." > "$T_DIR/m.eml"
	smtp_send "$RELAY" "$RELAY" "$T_DIR/m.eml"
	wait_relay 1
	: > "$T_DIR/pass.log"
	FSRELAY_TEST_FAULT=${2:-} "$FS" serve --once 2>"$T_DIR/pass.log"
	r=$?
	cat "$T_DIR/pass.log" >> "$LOG"
	return $r
}

# 1. A forbidden system call: the child is killed, the mail kept aside.
ok "serve with a forbidden call in the parser: code 0" one "Premier" parser-syscall
has "the parser was killed by SIGSYS" "$(cat "$T_DIR/pass.log")" "l'analyseur a été arrêté (signal 31)"
is "the mail is in quarantine as malformed" "$(quarantined malformed)" 1
is "and gone from the mailbox" "$(find "$RELAY_MD/new" "$RELAY_MD/cur" -type f | wc -l)" 0

# 2. The KEK file, opened from inside the parser.
ok "serve with the parser opening kek.key: code 0" one "Deuxième" parser-open-key
has "kek.key cannot be opened from the parser" "$(cat "$T_DIR/pass.log")" \
    "ouverture de kek.key refusée (EACCES)"
hasnt "and is not" "$(cat "$T_DIR/pass.log")" "kek.key ouvert depuis"
is "that mail in quarantine as malformed too" "$(quarantined malformed)" 2
ok "the key is there (the test opened the right path)" test -f "$T_DIR/data/keys/kek.key"

# 3. Without a hook, mails are parsed under the filter: a stranger.
ok "serve, no hook: code 0" one "Troisième"
is "parsed: quarantined as a stranger" "$(quarantined stranger)" 1
hasnt "no parser killed" "$(cat "$T_DIR/pass.log")" "signal"

# 4. ISO-8859-15 (its iconv module loaded before the filter).
python3 - "$RELAY" > "$T_DIR/l9.eml" <<'PY'
import sys
sys.stdout.buffer.write((
    "From: inconnu@example.org\r\nTo: %s\r\n"
    "Subject: =?ISO-8859-15?Q?Facture_=A4_et_=BD?=\r\n"
    "Message-ID: <latin9@test.invalid>\r\nDate: Mon, 2 Mar 2026 11:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-15\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\n" % sys.argv[1]).encode()
    + "Montant : 12 \u20ac.\r\n".encode("iso-8859-15"))
PY
smtp_send "$RELAY" "$RELAY" "$T_DIR/l9.eml"
wait_relay 1
"$FS" serve --once 2>>"$LOG"
has "the Latin-9 subject converted inside the sandbox" "$("$FS" quarantine list --json 2>>"$LOG")" \
    "Facture € et œ"

# 5. The zygote (it forks the parsing children, has dropped the keys) is
# contained too: it cannot open kek.key either, and still parses.
ok "serve with the zygote opening kek.key: code 0" one "Cinquième" zygote-open-key
has "kek.key cannot be opened from the zygote" "$(cat "$T_DIR/pass.log")" \
    "test : zygote : ouverture de kek.key refusée (EACCES)"
hasnt "no zygote lost" "$(cat "$T_DIR/pass.log")" "analyseur relais"
is "the mail parsed through it: a third stranger" "$(quarantined stranger)" 3

# 6. kill -9 of a zygote in the middle of an ingest: nothing lost, nothing
# doubled, nothing put aside (its mails are parsed by children the daemon
# forks itself).
N=300
python3 - "$RELAY_MD/new" "$N" "$RELAY" <<'PY'
import os, sys, time
d, n, to = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    msg = ("From: inconnu%d@example.org\r\nTo: %s\r\nSubject: Sans rapport %d\r\n"
           "Message-ID: <zk.%d.%d@example.org>\r\nDate: Mon, 2 Mar 2026 11:00:00 +0000\r\n"
           "\r\nTexte %d.\r\n") % (i, to, i, i, os.getpid(), i)
    name = "%d.M%dP%d.zk,S=%d" % (time.time(), i, os.getpid(), len(msg))
    with open(os.path.join(d, name), "w") as f:
        f.write(msg)
PY
chown -R nobody:nogroup "$RELAY_MD" 2>/dev/null || chown -R nobody "$RELAY_MD"
before=$(quarantined stranger)
killed=$(python3 - "$FS" "$T_DIR/pass.log" <<'PY'
import os, signal, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "serve", "--once"], stderr=open(sys.argv[2], "wb"))
killed = 0
end = time.time() + 60
while p.poll() is None and time.time() < end and not killed:
    try:
        kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
    except OSError:
        kids = []
    for k in kids:
        try:
            os.kill(int(k), signal.SIGKILL)
            killed = 1
            break
        except OSError:
            pass
    time.sleep(0.002)
p.wait()
print(killed, p.returncode)
PY
)
cat "$T_DIR/pass.log" >> "$LOG"
is "a zygote was killed, serve ended with 0" "$killed" "1 0"
has "the daemon saw it" "$(cat "$T_DIR/pass.log")" "analyseur relais perdu"
is "every mail parsed and put aside as a stranger, once" "$(( $(quarantined stranger) - before ))" "$N"
is "none as malformed" "$(quarantined malformed)" 2
is "the mailbox is empty" "$(find "$RELAY_MD/new" "$RELAY_MD/cur" -type f | wc -l)" 0
done_testing
