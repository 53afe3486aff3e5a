# ladder.sh - issue 5 on the real stack, driven by FSRELAY_NOW: reminders at
# 2/3 of the period, the escalation ladder of design §4 (CAF: boîte
# partenaires -> Djohra Bakouch -> Ariel Mathot; DGFiP impôts: Kaczmar ->
# Civet -> SIP de Sceaux), each rung's case delivered once and opened with
# its own key only, the manager told when no rung is left, a NOW that jumps
# past several steps, restarts that fire nothing twice, waiting_user that
# shifts the deadline by exactly the paused working time, a reminder due on
# Friday 20:00 that leaves on Monday 09:00, and a reply that stops the
# ladder.  Scenarios are months apart and each case is cancelled at its end,
# so that one scenario's NOW never moves another's case.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
PUB=$(cat "$T_DIR/relay-signing.pub")
DB=$T_DIR/data/fsrelay.db
M=$FSRELAY_TEST_MAILDIRS
CAF0=partenaires.cafnanterre@caf.cnafmail.fr
BAKOUCH=djouara.bakouch@cafnanterre.cnafmail.fr
MATHOT=ariel.mathot@cafnanterre.cnafmail.fr
KACZ=delphine.kaczmar@dgfip.finances.gouv.fr
CIVET=anne-gaelle.civet@dgfip.finances.gouv.fr
SIP=sip.sceaux@dgfip.finances.gouv.fr
AGENT=agent1@fs-fontenay.test
MANAGER=responsable@fs-fontenay.test

box() { local a=${1,,}; echo "$M/${a#*@}/${a%@*}/Maildir"; }
# n_mail ADDR [SUBJECT-WORD]: mails in the box (whose Subject has the word)
n_mail() {
	local b; b=$(box "$1")
	if [ $# -ge 2 ]; then
		subjects "$b" | grep -c -- "$2"
	else
		find "$b/new" "$b/cur" -type f 2>/dev/null | wc -l
	fi
}
# subjects MAILDIR: decoded Subject of each mail, newest last, as "file<TAB>subject"
subjects() {
	python3 - "$1" <<'PY'
import email, email.header, os, sys
files = []
for sub in ("new", "cur"):
    d = os.path.join(sys.argv[1], sub)
    if os.path.isdir(d):
        files += [os.path.join(d, f) for f in os.listdir(d)]
files.sort(key=os.path.getmtime)
for f in files:
    m = email.message_from_bytes(open(f, "rb").read())
    s = str(email.header.make_header(email.header.decode_header(m.get("Subject", ""))))
    print(f + "\t" + s.replace("\n", " "))
PY
}
# last_with ADDR WORD: the newest mail of ADDR whose Subject has WORD
last_with() { subjects "$(box "$1")" | grep -- "$2" | tail -1 | cut -f1; }
# settle: let Postfix hand every accepted mail to Dovecot
settle() { sleep 0.6; }
serve_at() { FSRELAY_NOW=$1 "$FS" serve --once 2>>"$LOG"; settle; }
field() { "$FS" cases --json | python3 -c 'import json,sys; c=[x for x in json.load(sys.stdin) if x["ref"]==sys.argv[1]][0]; print(c[sys.argv[2]])' "$1" "$2"; }
steps() { sqlite3 "$DB" "SELECT l.rung || ':' || l.step FROM ladder_steps l JOIN cases c ON c.id = l.case_id WHERE c.ref = '$1' ORDER BY l.rowid" | tr '\n' ' '; }
# opens ADDR: the newest mail of ADDR carrying an .age opens with ADDR's key
# (age and fsrelay open, signature checked), and not with OTHER's key
opens() {
	local addr=${1,,} other=${2,,} b f
	b=$(box "$addr")
	f=$(grep -l '\.age' $(ls -t "$b"/new/* "$b"/cur/* 2>/dev/null) 2>/dev/null | head -1)
	[ -n "$f" ] || return 1
	python3 - "$f" "$T_DIR/got.age" <<'PY' || return 1
import email, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
for part in m.walk():
    if part.get_filename():
        open(sys.argv[2], 'wb').write(part.get_payload(decode=True))
        sys.exit(0)
sys.exit(1)
PY
	age -d -i "$T_DIR/referents/$addr.key" -o "$T_DIR/got.eml" "$T_DIR/got.age" 2>/dev/null || return 1
	"$FS" open "$T_DIR/got.age" --identity "$T_DIR/referents/$addr.key" --relay-key "$PUB" \
		--extraire "$T_DIR/got.d" 2>>"$LOG" >/dev/null || return 1
	cmp -s "$T_DIR/desc.txt" "$T_DIR/got.d/description.txt" || return 1
	rm -rf "$T_DIR/got.d"
	! age -d -i "$T_DIR/referents/$other.key" -o /dev/null "$T_DIR/got.age" 2>/dev/null
}
printf 'Mme Zélie Pontavice-Orbe attend une réponse depuis trois mois.\n' > "$T_DIR/desc.txt"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --agent agent1 --nom Pontavice-Orbe \
		--prenom Zélie --ne-le 1968-04-02 --mandat-signe-le 2026-01-15 \
		--description-file "$T_DIR/desc.txt" "$@" 2>>"$LOG"
}
cancel() { "$FS" cancel "$1" --motif "fin du scénario" 2>>"$LOG"; }

has "status before any poll: jamais" "$("$FS" status)" "Dernière relève de la boîte : jamais"
is "status --json before any poll: null" "$("$FS" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_mailbox_poll"])')" None

# ---------------------------------------------------------------------------
# A. CAF: reminder, Bakouch, Mathot, then nobody left (March 2026, CET).
export FSRELAY_NOW=2026-03-02T09:00:00Z		# Monday 10:00 Paris
c0=$(n_mail $CAF0); b0=$(n_mail $BAKOUCH); m0=$(n_mail $MATHOT)
ag0=$(n_mail $AGENT "palier"); mg0=$(n_mail $MANAGER "palier")
cr0=$(n_mail $CAF0 Rappel); br0=$(n_mail $BAKOUCH Rappel); mr0=$(n_mail $MATHOT Rappel)
REF=$(escalate --partner caf --topic logement)
ok "CAF escalate" test -n "$REF"
serve_at 2026-03-02T09:00:00Z
is "rung 0 delivered once" "$(n_mail $CAF0)" $((c0 + 1))
is "due 3 working days after the 250" "$(field "$REF" due_at)" 2026-03-05T09:00:00Z
ok "rung 0 opens with its own key only" opens $CAF0 $BAKOUCH
DIGEST="Vos dossiers à échéance"
dg0=$(n_mail $AGENT "$DIGEST")
serve_at 2026-03-03T09:00:00Z
is "no digest while nothing is due by tomorrow evening" "$(n_mail $AGENT "$DIGEST")" "$dg0"
serve_at 2026-03-04T08:59:00Z
is "daily digest when a deadline falls by tomorrow evening" "$(n_mail $AGENT "$DIGEST")" $((dg0 + 1))
dg=$(cat "$(last_with $AGENT "$DIGEST")")
has "the digest names the case" "$dg" "$REF"
for secret in Pontavice Zélie Z=C3=A9lie 1968 "trois mois"; do
	hasnt "the digest carries no personal data ($secret)" "$dg" "$secret"
done
is "no reminder before 2/3 of the period" "$(n_mail $CAF0 Rappel)" "$cr0"
serve_at 2026-03-04T09:00:00Z
is "reminder at 2/3 (Wednesday 10:00)" "$(n_mail $CAF0 Rappel)" $((cr0 + 1))
serve_at 2026-03-04T09:30:00Z
serve_at 2026-03-04T16:00:00Z
is "restarts: the reminder is not sent twice" "$(n_mail $CAF0 Rappel)" $((cr0 + 1))
is "one digest per agent per day" "$(n_mail $AGENT "$DIGEST")" $((dg0 + 1))
rem=$(last_with $CAF0 Rappel)
remtext=$(cat "$rem")
has "the reminder names the reference" "$remtext" "$REF"
for secret in Pontavice Zélie Z=C3=A9lie 1968 "trois mois"; do
	hasnt "the reminder carries no personal data ($secret)" "$remtext" "$secret"
done
is "reminder in the thread" "$("$FS" show "$REF" --json 2>>"$LOG" | python3 -c 'import json,sys; print(sum(m["kind"]=="reminder" for m in json.load(sys.stdin)["messages"]))')" 1
is "nobody else before the deadline" "$(n_mail $BAKOUCH)" "$b0"
serve_at 2026-03-05T08:59:59Z
is "still rung 0 one second before the deadline" "$(field "$REF" rung)" 0
is "next day: a new digest" "$(n_mail $AGENT "$DIGEST")" $((dg0 + 2))
serve_at 2026-03-05T09:00:00Z
is "at the deadline Djohra Bakouch gets the case" "$(n_mail $BAKOUCH)" $((b0 + 1))
ok "Bakouch's copy opens with her key only" opens $BAKOUCH $CAF0
is "case on rung 1" "$(field "$REF" rung)" 1
is "same reference, still awaiting" "$(field "$REF" state)" awaiting
is "rung 1 gets a fresh period from its own 250" "$(field "$REF" due_at)" 2026-03-10T09:00:00Z
is "the agent is told" "$(n_mail $AGENT palier)" $((ag0 + 1))
is "the manager is told" "$(n_mail $MANAGER palier)" $((mg0 + 1))
serve_at 2026-03-05T09:00:30Z
serve_at 2026-03-06T09:00:00Z
is "restart: Bakouch does not get it twice" "$(n_mail $BAKOUCH)" $((b0 + 1))
is "restart: the agent is not told twice" "$(n_mail $AGENT palier)" $((ag0 + 1))
is "no reminder to rung 0 again" "$(n_mail $CAF0 Rappel)" $((cr0 + 1))
serve_at 2026-03-09T09:00:00Z
is "Bakouch reminded at 2/3 (Monday)" "$(n_mail $BAKOUCH Rappel)" $((br0 + 1))
serve_at 2026-03-10T09:00:00Z
is "then Ariel Mathot gets the case" "$(n_mail $MATHOT)" $((m0 + 1))
ok "Mathot's copy opens with his key only" opens $MATHOT $BAKOUCH
is "Bakouch got it once" "$(n_mail $BAKOUCH)" $((b0 + 2))
is "case on rung 2" "$(field "$REF" rung)" 2
is "not overdue while a rung is left" "$(field "$REF" overdue)" False
un0=$(n_mail $MANAGER "sans réponse")
serve_at 2026-03-20T09:00:00Z	# jumps past rung 2's reminder and deadline
is "no rung left: still awaiting" "$(field "$REF" state)" awaiting
is "overdue set" "$(field "$REF" overdue)" True
is "the manager is told the partner is unresponsive" "$(n_mail $MANAGER "sans réponse")" $((un0 + 1))
is "no late reminder mailed to Mathot" "$(n_mail $MATHOT Rappel)" "$mr0"
is "ledger: every step once, in order" "$(steps "$REF")" \
	"0:reminder 0:escalate 1:reminder 1:escalate 2:reminder 2:exhausted "
serve_at 2026-03-23T09:00:00Z
is "the manager is told once" "$(n_mail $MANAGER "sans réponse")" $((un0 + 1))
is "Mathot got it once" "$(n_mail $MATHOT)" $((m0 + 1))
has "cases --overdue lists it" "$("$FS" cases --overdue)" "$REF"
has "status: overdue by partner" "$("$FS" status)" "caf 1"
is "status --json" "$("$FS" status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["overdue"].get("caf"), s["cases"]["awaiting"] >= 1, s["last_mailbox_poll"] is None or isinstance(s["last_mailbox_poll"], str))')" "1 True True"
has "cases --due-before" "$("$FS" cases --due-before 2026-03-14)" "$REF"
hasnt "cases --due-before, earlier date" "$("$FS" cases --due-before 2026-03-02)" "$REF"
ok "cancel A" cancel "$REF"

# ---------------------------------------------------------------------------
# B. DGFiP impôts: Kaczmar -> Civet -> SIP de Sceaux (April 2026, CEST), with
# a NOW that jumps past the reminder and the deadline at once.
export FSRELAY_NOW=2026-04-13T08:00:00Z		# Monday 10:00 Paris
k0=$(n_mail $KACZ); v0=$(n_mail $CIVET); s0=$(n_mail $SIP)
kr0=$(n_mail $KACZ Rappel); vr0=$(n_mail $CIVET Rappel)
REF=$(escalate --partner dgfip --topic impots-particuliers)
ok "DGFiP escalate" test -n "$REF"
serve_at 2026-04-13T08:00:00Z
is "Kaczmar gets the case" "$(n_mail $KACZ)" $((k0 + 1))
ok "Kaczmar's copy opens with her key only" opens $KACZ $CIVET
serve_at 2026-04-16T08:00:00Z	# past the reminder (Wed) and the deadline (Thu)
is "jump: Civet gets the case" "$(n_mail $CIVET)" $((v0 + 1))
is "jump: the passed reminder is recorded, not mailed" "$(n_mail $KACZ Rappel)" "$kr0"
is "jump: reminder recorded before the escalation" "$(steps "$REF")" "0:reminder 0:escalate "
ok "Civet's copy opens with her key only" opens $CIVET $KACZ
serve_at 2026-04-20T08:00:00Z
is "Civet reminded" "$(n_mail $CIVET Rappel)" $((vr0 + 1))
serve_at 2026-04-21T08:00:00Z
is "the SIP de Sceaux mailbox gets the case" "$(n_mail $SIP)" $((s0 + 1))
ok "the SIP's copy opens with its key only" opens $SIP $CIVET
serve_at 2026-04-21T08:00:00Z
serve_at 2026-04-21T09:00:00Z
is "restart: nothing twice (Kaczmar, Civet, SIP)" \
	"$(n_mail $KACZ) $(n_mail $CIVET) $(n_mail $SIP)" "$((k0 + 1)) $((v0 + 2)) $((s0 + 1))"
ok "cancel B" cancel "$REF"

# ---------------------------------------------------------------------------
# C. waiting_user shifts the deadline by exactly the paused working time
# (June 2026): due Wednesday 16:00; paused Friday 16:00 -> Monday 10:00 = 18 h.
export FSRELAY_NOW=2026-06-05T14:00:00Z		# Friday 16:00 Paris
b0=$(n_mail $BAKOUCH); cr0=$(n_mail $CAF0 Rappel)
REF=$(escalate --partner caf --topic logement)
serve_at 2026-06-05T14:00:00Z
is "due Wednesday 16:00" "$(field "$REF" due_at)" 2026-06-10T14:00:00Z
ok "wait" "$FS" wait "$REF" 2>>"$LOG"
is "waiting_user" "$(field "$REF" state)" waiting_user
fails "wait twice is refused" "$FS" wait "$REF"
has "status counts it" "$("$FS" status)" "waiting_user 1"
serve_at 2026-06-08T07:59:00Z
is "no reminder while paused" "$(n_mail $CAF0 Rappel)" "$cr0"
new=$(FSRELAY_NOW=2026-06-08T08:00:00Z "$FS" resume "$REF" 2>>"$LOG")
is "resume: due Thursday 10:00 (+18 h of working time)" "$new" 2026-06-11T08:00:00Z
is "awaiting again" "$(field "$REF" state)" awaiting
is "paused time recorded" "$(sqlite3 "$DB" "SELECT paused_secs FROM case_pauses p JOIN cases c ON c.id = p.case_id WHERE c.ref = '$REF'")" 64800
fails "resume twice is refused" "$FS" resume "$REF"
serve_at 2026-06-10T14:00:00Z	# the old deadline: reminder (shifted), no escalation
is "old deadline: nothing escalates" "$(n_mail $BAKOUCH)" "$b0"
is "the shifted reminder fired" "$(n_mail $CAF0 Rappel)" $((cr0 + 1))
serve_at 2026-06-11T07:59:00Z
is "one minute before the shifted deadline: still rung 0" "$(field "$REF" rung)" 0
serve_at 2026-06-11T08:00:00Z
is "at the shifted deadline: Bakouch" "$(n_mail $BAKOUCH)" $((b0 + 1))
ok "cancel C" cancel "$REF"

# ---------------------------------------------------------------------------
# D. A reminder due Friday 20:00 leaves Monday 09:00 (September 2026).
export FSRELAY_NOW=2026-09-02T18:00:00Z		# Wednesday 20:00 Paris
r0=$(n_mail $CAF0 Rappel)
REF=$(escalate --partner caf --topic logement)
serve_at 2026-09-02T18:00:00Z
is "due Monday 20:00" "$(field "$REF" due_at)" 2026-09-07T18:00:00Z
serve_at 2026-09-04T18:00:00Z	# Friday 20:00: the step fires, the mail waits
is "Friday 20:00: reminder recorded" "$(steps "$REF")" "0:reminder "
is "Friday 20:00: nothing sent" "$(n_mail $CAF0 Rappel)" "$r0"
serve_at 2026-09-05T10:00:00Z
serve_at 2026-09-07T06:59:00Z
is "Saturday and Monday 08:59: nothing sent" "$(n_mail $CAF0 Rappel)" "$r0"
serve_at 2026-09-07T07:00:00Z
is "Monday 09:00: the reminder leaves" "$(n_mail $CAF0 Rappel)" $((r0 + 1))
f=$(last_with $CAF0 Rappel)
has "dated Monday 07:00 UTC" "$(grep -m1 '^Date:' "$f")" "7 Sep 2026 07:00:00"
# Its deadline, Monday 20:00: the next rung's mail waits for office hours
# (Bakouch: 09:00), the agent's notice for the structure's (Tuesday 08:30).
b0=$(n_mail $BAKOUCH); ag0=$(n_mail $AGENT palier)
serve_at 2026-09-07T18:00:00Z
is "Monday 20:00: escalation recorded" "$(steps "$REF")" "0:reminder 0:escalate "
is "Monday 20:00: rung 1 not mailed at night" "$(n_mail $BAKOUCH)" "$b0"
is "Monday 20:00: agent not mailed at night" "$(n_mail $AGENT palier)" "$ag0"
serve_at 2026-09-08T06:29:00Z
is "Tuesday 08:29: agent still not mailed" "$(n_mail $AGENT palier)" "$ag0"
serve_at 2026-09-08T06:30:00Z
is "Tuesday 08:30 (structure opens): agent mailed" "$(n_mail $AGENT palier)" $((ag0 + 1))
is "Tuesday 08:30: rung 1 still waits" "$(n_mail $BAKOUCH)" "$b0"
serve_at 2026-09-08T07:00:00Z
is "Tuesday 09:00: rung 1 gets the case" "$(n_mail $BAKOUCH)" $((b0 + 1))
is "rung 1's period starts at its own 250" "$(field "$REF" due_at)" 2026-09-11T07:00:00Z
ok "cancel D" cancel "$REF"

# ---------------------------------------------------------------------------
# E. A reply stops the ladder (needs the reply path of issue 4 in serve).
export FSRELAY_NOW=2026-10-05T08:00:00Z		# Monday 10:00 Paris
k0=$(n_mail $KACZ); v0=$(n_mail $CIVET); kr0=$(n_mail $KACZ Rappel)
REF=$(escalate --partner dgfip --topic impots-particuliers)
serve_at 2026-10-05T08:00:00Z
f=$(ls -t "$(box $KACZ)"/new/* "$(box $KACZ)"/cur/* 2>/dev/null | head -1)
msgid=$(grep -m1 -i '^Message-ID:' "$f" | sed 's/^[^:]*: *//' | tr -d '\r')
replyto=$(grep -m1 -i '^Reply-To:' "$f" | sed 's/^[^:]*: *//' | tr -d '\r<>')
printf 'From: %s\r\nTo: %s\r\nSubject: Re: [%s] DGFiP\r\nIn-Reply-To: %s\r\nReferences: %s\r\nMessage-ID: <reponse-%s@dgfip.finances.gouv.fr>\r\nDate: Mon, 05 Oct 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, le dossier est traité.\r\n' \
	"$KACZ" "$replyto" "$REF" "$msgid" "$msgid" "$RANDOM" > "$T_DIR/reply.eml"
ok "the referent replies by SMTP" curl -s --cacert "$FSRELAY_TEST_CA" --url "$FSRELAY_TEST_SMTP_URL" \
	--user "$KACZ:$FSRELAY_TEST_PASSWORD" --mail-from "$KACZ" --mail-rcpt "$replyto" \
	--upload-file "$T_DIR/reply.eml"
settle
serve_at 2026-10-05T10:05:00Z
is "the reply answers the case" "$(field "$REF" state)" answered
serve_at 2026-10-08T08:00:00Z	# past the deadline
serve_at 2026-10-20T08:00:00Z
is "answered: no escalation" "$(n_mail $CIVET)" "$v0"
is "answered: no reminder" "$(n_mail $KACZ Rappel)" "$kr0"
is "answered: no step in the ledger" "$(steps "$REF")" ""

logtext=$(cat "$LOG")
for secret in Pontavice Zélie 1968 "trois mois"; do
	hasnt "stderr has no personal data ($secret)" "$logtext" "$secret"
done
done_testing
