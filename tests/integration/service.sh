# tests/integration/service.sh - issue 13, item 3: `serve` as a service.
#   SIGHUP re-reads the configuration (a bad one is refused with a log line
#   and the old one kept; data_dir cannot move); a mailbox that refuses the
#   login is retried with a back-off, logged once when it starts and once
#   when it ends, and shown by status and check; so is a submission server
#   that refuses it (the mail keeps its attempts); SIGTERM ends the current
#   SMTP transaction, records it and exits 0 at once; log lines carry
#   their syslog priority (<N>) under journald (FSRELAY_LOG_PRIORITY=1 here).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
CONF=$FSRELAY_CONFIG
DB=$T_DIR/data/fsrelay.db
LOG=$T_DIR/serve.log
export FSRELAY_LOG_PRIORITY=1
unset FSRELAY_NOW
# wait_log TEXT [N]: until the log holds N (1) lines with TEXT, 15 s at most.
wait_log() {
	local i
	for i in $(seq 1 150); do
		[ "$(grep -cF -- "$1" "$LOG")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}
poll_mark() { sqlite3 -cmd '.timeout 2000' "$DB" "select value from relay_marks where name = 'mailbox.last_poll'" 2>/dev/null; }
cp "$CONF" "$T_DIR/good.conf"

# ---- 1. SIGHUP ----
"$FS" serve 2>"$LOG" &
pid=$!
ok "démarré, priorité notice" wait_log "<5>fsrelay serve : démarré"
printf 'smpt_url = smtps://x.example:465\n' >> "$CONF"
kill -HUP $pid
ok "configuration invalide refusée" wait_log "<4>fsrelay serve : configuration refusée"
has "la raison nommée" "$(grep 'configuration refusée' "$LOG")" "clé inconnue « smpt_url »"
has "l'ancienne gardée" "$(grep 'configuration refusée' "$LOG")" "l'ancienne est gardée"
ok "serve tourne toujours" kill -0 $pid
p1=$(poll_mark); sleep 2.2
ok "et relève toujours la boîte ($p1 -> $(poll_mark))" test "$(poll_mark)" -gt "${p1:-0}"
sed "s|^data_dir = .*|data_dir = $T_DIR/ailleurs|" "$T_DIR/good.conf" > "$CONF"
kill -HUP $pid
ok "data_dir déplacé : refusé" wait_log "data_dir ne change qu'au redémarrage"

# ---- 2. a refused login: back-off, one line per change of state ----
printf 'pas-le-bon-mot-de-passe\n' > "$T_DIR/bad-password"
chmod 600 "$T_DIR/bad-password"
sed "s|^imap_password_file = .*|imap_password_file = $T_DIR/bad-password|" "$T_DIR/good.conf" > "$CONF"
kill -HUP $pid
ok "configuration relue" wait_log "<5>fsrelay serve : configuration relue"
ok "refus journalisé" wait_log "authentification refusée"
sleep 5	# 5 passes; tries at +1, +3 s (back-off), then +7 s
is "une seule ligne pour le refus" "$(grep -c 'authentification refusée' "$LOG")" 1
has "priorité warning" "$(grep 'authentification refusée' "$LOG")" "<4>fsrelay serve : courrier : boîte du relais"
has "status le montre" "$("$FS" status)" "Boîte du relais : authentification refusée depuis"
is "status --json" "$("$FS" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["mailbox_login_refused_since"] is not None)')" True
has "check le montre" "$("$FS" check)" "ATTENTION boîte du relais : authentification refusée"
cp "$T_DIR/good.conf" "$CONF"
kill -HUP $pid
ok "rétablie (prochain essai au plus 8 s après)" wait_log "<5>fsrelay serve : courrier : boîte du relais : connexion rétablie"
is "toujours une seule ligne de refus" "$(grep -c 'authentification refusée' "$LOG")" 1
hasnt "status : plus de refus" "$("$FS" status)" "authentification refusée"
hasnt "check : plus de refus" "$("$FS" check)" "authentification refusée"

# ---- 2b. the submission server refuses the login: the same, and the
# mail keeps its attempts (it is not the recipient's fault) ----
sed "s|^smtp_password_file = .*|smtp_password_file = $T_DIR/bad-password|" "$T_DIR/good.conf" > "$CONF"
kill -HUP $pid
ok "configuration relue (envoi)" wait_log "<5>fsrelay serve : configuration relue" 3
printf 'Dossier de test du refus du serveur d envoi.\n' > "$T_DIR/desc-smtp.txt"
"$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
    --agent agent1 --nom Essai --prenom Refus --mandat-signe-le "$(date +%F)" \
    --description-file "$T_DIR/desc-smtp.txt" >/dev/null 2>>"$T_DIR/escalate.log"
ok "refus d'envoi journalisé" wait_log "serveur d'envoi : authentification refusée"
sleep 4	# passes at +1, +3 s (back-off)
is "une seule ligne pour le refus d'envoi" "$(grep -c "serveur d'envoi : authentification refusée" "$LOG")" 1
has "priorité warning (envoi)" "$(grep "serveur d'envoi : authentification refusée" "$LOG")" "<4>fsrelay serve : serveur d'envoi"
is "l'envoi attend, sans essai compté" \
    "$(sqlite3 "$DB" "select attempts || ' ' || state from deliveries order by id desc limit 1")" "0 pending"
has "status le montre (envoi)" "$("$FS" status)" "Serveur d'envoi : authentification refusée depuis"
is "status --json (envoi)" "$("$FS" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["submission_login_refused_since"] is not None)')" True
has "check le montre (envoi)" "$("$FS" check)" "ATTENTION serveur d'envoi : authentification refusée"
cp "$T_DIR/good.conf" "$CONF"
kill -HUP $pid
ok "envoi rétabli" wait_log "<5>fsrelay serve : serveur d'envoi : connexion rétablie"
for _ in $(seq 1 100); do
	[ "$(sqlite3 "$DB" "select state from deliveries order by id desc limit 1")" = sent ] && break
	sleep 0.1
done
is "le dossier est parti, au premier essai" \
    "$(sqlite3 "$DB" "select attempts || ' ' || state from deliveries order by id desc limit 1")" "1 sent"
is "toujours une seule ligne de refus d'envoi" "$(grep -c "serveur d'envoi : authentification refusée" "$LOG")" 1
hasnt "status : plus de refus d'envoi" "$("$FS" status)" "Serveur d'envoi"
hasnt "check : plus de refus d'envoi" "$("$FS" check)" "serveur d'envoi"

# ---- 3. SIGTERM: exit 0 promptly ----
t0=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$?
t1=$(date +%s%N)
is "SIGTERM : code 0" "$rc" 0
ok "SIGTERM : sorti en moins de 5 s ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000000 )) -lt 5
ok "arrêté, priorité notice" grep -qF "<5>fsrelay serve : arrêté" "$LOG"

# SIGTERM in the middle of a long pass: the transaction under way ends and
# is recorded; what is left is sent after the restart, nothing twice.
KDIR=$FSRELAY_TEST_MAILDIRS/dgfip.finances.gouv.fr/delphine.kaczmar/Maildir
in_box() { find "$KDIR/new" "$KDIR/cur" -type f 2>/dev/null | wc -l; }
before=$(in_box)
printf 'Dossier de test du signal SIGTERM.\n' > "$T_DIR/desc.txt"
N=40
for i in $(seq 1 $N); do
	"$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic impots-particuliers \
	    --agent agent1 --nom Essai --prenom Signal --mandat-signe-le "$(date +%F)" \
	    --description-file "$T_DIR/desc.txt" >/dev/null 2>>"$T_DIR/escalate.log" || break
done
is "$N dossiers en file" "$(sqlite3 "$DB" "select count(*) from deliveries where state = 'pending'")" $N
s0=$(sent_count "$DB")
"$FS" serve 2>"$LOG" &
pid=$!
for _ in $(seq 1 500); do [ "$(sent_count "$DB")" -ge $((s0 + 3)) ] && break; sleep 0.01; done
kill -TERM $pid
wait $pid
rc=$?
is "SIGTERM pendant les envois : code 0" "$rc" 0
mid=$(( $(sent_count "$DB") - s0 ))
echo "service.sh : SIGTERM après $mid envois sur $N"
ok "arrêté avant la fin de la passe ($mid sur $N)" test "$mid" -lt $N
sleep 1
is "chaque courrier remis est enregistré envoyé" "$(( $(in_box) - before ))" "$mid"
"$FS" serve --once 2>>"$LOG"
sleep 1
is "après redémarrage : tout est parti" "$(( $(sent_count "$DB") - s0 ))" $N
is "et une seule fois" "$(( $(in_box) - before ))" $N
done_testing
