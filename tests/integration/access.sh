# access.sh - who may read or cancel a case, and piece names that would
# collide inside the envelope.
. "$(dirname "$0")/../lib.sh"
new_instance
printf 'Texte.\n' > "$T_DIR/d.txt"
mkdir -p "$T_DIR/a" "$T_DIR/b"
echo un > "$T_DIR/a/avis-Zorglub.pdf"; echo deux > "$T_DIR/b/avis-Zorglub.pdf"
echo x > "$T_DIR/personne.txt"
esc() {
	"$FS" escalate --structure fontenay-aux-roses --partner caf --topic logement --agent agent1 \
		--nom Zorglub --prenom Ada --mandat-signe-le 2026-01-10 --description-file "$T_DIR/d.txt" "$@"
}
export FSRELAY_NOW=2026-03-02T10:00:00Z
err=$(esc --piece "$T_DIR/a/avis-Zorglub.pdf" --piece "$T_DIR/b/avis-Zorglub.pdf" 2>&1)
is "two pieces with one name: refused" "$?" 1
has "naming their positions" "$err" "les pièces 1 et 2 portent le même nom"
hasnt "without quoting the name" "$err" "Zorglub"
err=$(esc --piece "$T_DIR/personne.txt" 2>&1)
is "a reserved piece name: refused" "$?" 1
has "saying it is reserved" "$err" "nom de fichier réservé"
REF=$(esc --piece "$T_DIR/a/avis-Zorglub.pdf" 2>/dev/null)
ok "a valid case" test -n "$REF"
ok "agent1 (same structure) may read it" "$FS" show "$REF" --agent agent1
err=$("$FS" show "$REF" --agent agent2 2>&1 >/dev/null)
is "agent2 (Antony) may not" "$?" 1
has "and is told why" "$err" "n'y a pas accès"
err=$("$FS" cancel "$REF" --motif test --agent agent2 2>&1)
is "agent2 may not cancel it" "$?" 1
ok "the case is intact" "$FS" show "$REF"
ok "agent1 cancels it" "$FS" cancel "$REF" --motif "doublon" --agent agent1
events=$(sqlite3 "$T_DIR/data/fsrelay.db" "select actor || ' ' || action from events where case_ref='$REF'")
has "the reading is audited in the agent's name" "$events" "agent1 case.viewed"
has "so is the cancellation" "$events" "agent1 case.cancelled"
has "a reading without --agent is audited as cli" "$events" "cli case.viewed"

# send, reroute, close take --agent the same way.
REF2=$(esc 2>/dev/null)
"$FS" serve --once 2>/dev/null
printf 'Complément.\n' > "$T_DIR/c.txt"
err=$("$FS" send "$REF2" --description-file "$T_DIR/c.txt" --agent agent2 2>&1)
is "agent2 may not send a follow-up" "$?" 1
has "told why" "$err" "n'y a pas accès"
err=$("$FS" reroute "$REF2" --agent agent2 2>&1)
is "agent2 may not reroute" "$?" 1
ok "agent1 closes it" "$FS" close "$REF2" --resolution "réglé" --agent agent1
has "the closing is audited in agent1's name" \
	"$(sqlite3 "$T_DIR/data/fsrelay.db" "select actor from events where action='case.resolved' and case_ref='$REF2'")" agent1

# A key declared compromised cannot be pinned again; a new one can.
A=partenaires.cafnanterre@caf.cnafmail.fr
OLD=$(age-keygen -y "$T_DIR/referents/$A.key")
ok "declare the CAF mailbox key compromised" "$FS" keys compromised referent "$A"
err=$("$FS" referents key "$A" "$OLD" --verified-by test 2>&1)
is "the same key is refused" "$?" 1
has "saying it is compromised" "$err" "déclarée compromise"
age-keygen -o "$T_DIR/new.key" 2>/dev/null
ok "a new key is accepted" "$FS" referents key "$A" "$(age-keygen -y "$T_DIR/new.key")" --verified-by test
done_testing
