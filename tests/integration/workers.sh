# workers.sh - the outbox's worker processes (outbox_workers) on the real
# stack: a rung with two recipients delivered by two workers settles once
# (one case.awaiting, or one case.rerouted and one rung-1 delivery), each
# worker has its own SMTP connection, outbox_workers = 1 forks nothing, and a
# kill -9 of serve kills its workers: nothing lost, each message at most
# twice (same Message-ID), at most one duplicate per worker.
# (The instance is given outbox_workers = 2; the default is 1.)
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
DB=$T_DIR/data/fsrelay.db
echo "outbox_workers = 2" >> "$FSRELAY_CONFIG"
export FSRELAY_NOW=2026-03-02T10:00:00Z

# La Poste: rung 0 = Isabelle Benichou + Maria Xavier (both primary).
# CNAV retraite: rung 0 = two addresses the server refuses, rung 1 = the
# real one.
python3 - "$TOP/config/annex6-hauts-de-seine.csv" "$T_DIR/annex6.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
out = []
for r in rows:
    if r['partner'] == 'laposte' and r['email'] == 'maria.xavier@laposte.fr':
        r['role'] = 'primary'
    if r['partner'] == 'cnav' and r['role'] == 'primary':
        for a in ('inexistant.a@cnav.fr', 'inexistant.b@cnav.fr'):
            x = dict(r); x['email'] = a; out.append(x)
        r['role'] = 'secondary'
    out.append(r)
w = csv.DictWriter(open(sys.argv[2], 'w', encoding='utf-8', newline=''), fieldnames=rows[0].keys())
w.writeheader(); w.writerows(out)
PY
ok "import the modified directory" "$FS" referents import "$T_DIR/annex6.csv" >/dev/null
for a in inexistant.a@cnav.fr inexistant.b@cnav.fr; do
	age-keygen -o "$T_DIR/$a.key" 2>/dev/null
	ok "pin $a" "$FS" referents key "$a" "$(age-keygen -y "$T_DIR/$a.key")" --verified-by test >/dev/null
done
printf 'Situation de M. Wolfgang Testeur-Parallele.\n' > "$T_DIR/d.txt"
esc() {
	"$FS" escalate --structure fontenay-aux-roses --partner "$1" --topic "$2" --agent agent1 \
		--nom Testeur-Parallele --prenom Wolfgang --mandat-signe-le 2026-01-10 \
		--description-file "$T_DIR/d.txt" 2>>"$LOG"
}
connects() { grep -h 'smtpd\[[0-9]*\]: connect from' "$FSRELAY_TEST_LOGS"/postfix* 2>/dev/null | wc -l; }
events() { sqlite3 "$DB" "SELECT count(*) FROM events WHERE action = '$1' AND case_ref = '$2'"; }
boxcount() { find "$FSRELAY_TEST_MAILDIRS/laposte.fr/$1/Maildir/new" -type f 2>/dev/null | wc -l; }

# 1. 12 cases x 2 recipients = 24 due deliveries: two workers, each
# case's two deliveries (consecutive ids) on different workers.
REFS=()
for i in $(seq 1 12); do REFS+=("$(esc laposte courrier)"); done
is "24 deliveries pending" "$(sqlite3 "$DB" "SELECT count(*) FROM deliveries WHERE state = 'pending'")" 24
c0=$(connects)
ok "serve --once with two workers" "$FS" serve --once 2>>"$LOG"
is "two SMTP connections (one per worker)" "$(( $(connects) - c0 ))" 2
is "24 sent" "$(sqlite3 "$DB" "SELECT count(*) FROM deliveries WHERE state = 'sent'")" 24
bad=0
for r in "${REFS[@]}"; do
	[ "$(events case.awaiting "$r")" = 1 ] || bad=$((bad + 1))
	[ "$(events delivery.sent "$r")" = 2 ] || bad=$((bad + 1))
done
is "each case: exactly one case.awaiting, two delivery.sent" "$bad" 0
is "12 cases awaiting" "$("$FS" cases --state awaiting | wc -l)" 12
has "the pass counts the workers' sends" "$(cat "$LOG")" "24 envoyé(s)"
# Postfix hands each mailbox its mail in its own time: wait for both.
wait_mail "$FSRELAY_TEST_MAILDIRS/laposte.fr/maria.xavier/Maildir" 12
wait_mail "$FSRELAY_TEST_MAILDIRS/laposte.fr/isabelle.benichou/Maildir" 12
is "Isabelle Benichou got 12" "$(boxcount isabelle.benichou)" 12
is "Maria Xavier got 12" "$(boxcount maria.xavier)" 12

# 2. 10 CNAV cases: both rung-0 recipients refused (550), by two workers.
REFS=()
for i in $(seq 1 10); do REFS+=("$(esc cnav retraite)"); done
ok "serve --once, all refused" "$FS" serve --once 2>>"$LOG"
bad=0
for r in "${REFS[@]}"; do
	[ "$(events case.rerouted "$r")" = 1 ] || bad=$((bad + 1))
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM deliveries d JOIN cases c ON c.id = d.case_id WHERE c.ref = '$r' AND d.rung = 1")" = 1 ] || bad=$((bad + 1))
done
is "each case rerouted once, one rung-1 delivery" "$bad" 0
ok "next pass delivers rung 1" "$FS" serve --once 2>>"$LOG"
bad=0
for r in "${REFS[@]}"; do
	[ "$(events case.awaiting "$r")" = 1 ] || bad=$((bad + 1))
done
is "each CNAV case awaiting once" "$bad" 0

# 3. outbox_workers = 1 (the default): a large pass on one connection; 9
# is refused.
sed 's/^outbox_workers = .*//' "$FSRELAY_CONFIG" > "$T_DIR/one.conf"
echo "outbox_workers = 1" >> "$T_DIR/one.conf"
sed 's/^outbox_workers = .*//' "$FSRELAY_CONFIG" > "$T_DIR/nine.conf"
echo "outbox_workers = 9" >> "$T_DIR/nine.conf"
chmod 600 "$T_DIR/one.conf" "$T_DIR/nine.conf"
err=$("$FS" -c "$T_DIR/nine.conf" cases 2>&1)
is "outbox_workers = 9 refused" "$?" 1
has "naming the key" "$err" "outbox_workers"
for i in $(seq 1 9); do esc laposte courrier >/dev/null; done
c0=$(connects)
ok "serve --once, one process" "$FS" -c "$T_DIR/one.conf" serve --once 2>>"$LOG"
is "one SMTP connection" "$(( $(connects) - c0 ))" 1

# 4. kill -9 of serve in the middle of 50 deliveries (DGFiP), 3 times.
unset FSRELAY_NOW
KDIR=$FSRELAY_TEST_MAILDIRS/dgfip.finances.gouv.fr/delphine.kaczmar/Maildir
mail_for() { find "$KDIR/new" "$KDIR/cur" -type f 2>/dev/null | wc -l; }
for round in 1 2 3; do
	touch "$T_DIR/marker$round"
	for i in $(seq 1 50); do
		"$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
			--agent agent1 --nom Testeur-Parallele --prenom Wolfgang --mandat-signe-le 2026-01-10 \
			--description-file "$T_DIR/d.txt" >/dev/null 2>>"$LOG"
	done
	start=$(mail_for)
	sent0=$(sent_count "$DB")
	# One process starts serve, polls the store every millisecond and
	# kills serve as soon as enough are sent: with a sqlite3 per poll
	# started after serve, all 50 were sometimes sent before the first.
	python3 - "$DB" "$sent0" "$((5 + 7 * round))" "$FS" "$LOG" <<'PY'
import signal, sqlite3, subprocess, sys, time
db, sent0, want, fs, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
c = sqlite3.connect(db, timeout=2)
p = subprocess.Popen([fs, 'serve'], stderr=open(log, 'ab'))
end = time.time() + 20
while time.time() < end:
    n = c.execute("select count(*) from deliveries where state = 'sent'").fetchone()[0]
    if n - sent0 >= want:
        break
    time.sleep(0.001)
p.send_signal(signal.SIGKILL)
p.wait()
PY
	mid=$(( $(sent_count "$DB") - sent0 ))
	# restart at once: a worker still being torn down must not hold the lock
	ok "round $round: restart at once" "$FS" serve --once 2>>"$LOG"
	ok "round $round: killed in the middle ($mid of 50)" test "$mid" -ge 1 -a "$mid" -lt 50
	for _ in $(seq 1 40); do
		left=$(pgrep -f "^$FS serve$" | wc -l)
		[ "$left" = 0 ] && break
		sleep 0.05
	done
	is "round $round: no worker left after kill -9 of serve" "$left" 0
	for _ in $(seq 1 100); do [ "$(mail_for)" -ge $((start + 50)) ] && break; sleep 0.05; done
	sleep 0.3
	total=$(( $(mail_for) - start ))
	ids=$(grep -h '^Message-ID:' $(find "$KDIR/new" "$KDIR/cur" -type f -newer "$T_DIR/marker$round") | sort)
	dups=$(echo "$ids" | uniq -d | wc -l)
	most=$(echo "$ids" | uniq -c | awk '{ if ($1 > m) m = $1 } END { print m + 0 }')
	echo "round $round: $mid before the kill, $total mails, $dups duplicate(s)"
	ok "round $round: all 50 delivered ($total mails, $dups duplicates)" test "$((total - dups))" -ge 50
	ok "round $round: no Message-ID more than twice" test "$most" -le 2
	ok "round $round: at most one duplicate per worker" test "$dups" -le 2
	is "round $round: nothing queued" "$("$FS" cases --state queued | wc -l)" 0
done
# Workers' log lines carry no personal data either.
hasnt "stderr has no name" "$(cat "$LOG")" "Parallele"
done_testing
