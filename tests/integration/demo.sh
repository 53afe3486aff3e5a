# demo.sh - `make demo`'s script runs end to end (on its own stack, on
# another loopback address) and prints the decrypted description.
. "$(dirname "$0")/../lib.sh"
out=$(FSRELAY_TEST_IP=127.0.0.9 FSRELAY_DEMO_DIR=/tmp/fsr-demo-$$ bash "$TOP/scripts/demo.sh" 2>&1)
is "the demo exits 0" "$?" 0
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
