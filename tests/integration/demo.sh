# demo.sh - `make demo` runs end to end through the Makefile's own recipe
# (so a recipe that runs the bash script with the wrong shell fails here:
# the script refuses any shell but bash), on its own stack, on another
# loopback address, and prints the decrypted description.  FSRELAY_BIN
# (exported by tests/run) makes the recipe use this build, not rebuild.
. "$(dirname "$0")/../lib.sh"
out=$(FSRELAY_TEST_IP=127.0.0.9 FSRELAY_DEMO_DIR=/tmp/fsr-demo-$$ \
	make --no-print-directory -C "$TOP" demo 2>&1)
is "make demo exits 0" "$?" 0
hasnt "the recipe runs the script with bash" "$out" "se lance avec bash"
has "the recipe ran the demo script" "$out" "== 1. Démarrage"
has "it sends the case" "$out" "remis au serveur (250)"
has "the headers shown carry the reference only" "$out" "Objet décodé : [FS-"
hasnt "no name in the headers shown" "$(echo "$out" | grep -E '^    (From|To|Subject|Reply-To):')" "Camille"
has "age decrypts it" "$out" "un message MIME lisible"
has "fsrelay open verifies the signature" "$out" "signature du relais vérifiée"
has "the decrypted description is printed" "$out" "Mme Camille Exemple (personne fictive)"
has "the stack is stopped at the end" "$out" "La pile de test est arrêtée"
ok "nothing left running" test -z "$(ls /tmp/fsr-demo-$$/run/*.pgid 2>/dev/null)"
rm -rf "/tmp/fsr-demo-$$"
done_testing
