# demo.sh - `make demo` runs end to end through the Makefile's own recipe
# (so a recipe that runs the bash script with the wrong shell fails here:
# the script refuses any shell but bash), on its own stack, on another
# loopback address, and prints the decrypted description; then the web desk
# under TLS: the test login, agent1 logged in by curl, the case page, the
# server stopped.  FSRELAY_BIN
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
has "the web desk listens over TLS on the stack's address" "$out" "fsrelay web : écoute sur https://127.0.0.9:"
has "… and the demo gives a test login" "$out" "Connexion de test : identifiant agent1, mot de passe "
has "agent1 logs in (curl, certificate verified)" "$out" "Connexion : HTTP 303"
has "the case page is shown" "$out" "Page : Dossier FS-"
has "… its state" "$out" "en attente de réponse"
has "… the person, decrypted for the agent" "$out" "Exemple"
has "the web desk stops on SIGTERM" "$out" "fsrelay web : arrêt (SIGTERM)"
has "the stack and the web desk are stopped at the end" "$out" "La pile de test et le guichet web sont arrêtés"
ok "nothing left running" test -z "$(ls /tmp/fsr-demo-$$/run/*.pgid 2>/dev/null)"
rm -rf "/tmp/fsr-demo-$$"
done_testing
