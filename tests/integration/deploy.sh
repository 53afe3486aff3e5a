# tests/integration/deploy.sh - issue 13, item 6: `fsrelay check` checks
# the deployment: modes and owners of the configuration, its directory and
# data_dir, the account (root warned), the systemd unit (searched in
# SYSTEMD_UNIT_PATH, systemd's own variable, then the usual directories),
# the clock's synchronisation (timedatectl, found through PATH: a fake one
# here).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
new_instance
CONF=$FSRELAY_CONFIG
DATA=$T_DIR/data
W=$T_DIR/deploy
mkdir -p "$W/bin" "$W/units"
chk() { "$FS" check "$@" 2>&1; }
# Fake timedatectl: prints what $W/ntp holds.
printf '#!/bin/sh\n[ "$1 $2 $3 $4" = "show -p NTPSynchronized --value" ] || exit 2\ncat "%s/ntp"\n' "$W" > "$W/bin/timedatectl"
chmod 755 "$W/bin/timedatectl"
echo yes > "$W/ntp"
export PATH=$W/bin:$PATH

out=$(chk)
is "état de départ : 0 erreur" "$(printf '%s\n' "$out" | grep -c '^ERREUR')" 0
if [ "$(id -u)" = 0 ]; then
	has "root averti" "$out" "ATTENTION lancé en root"
else
	hasnt "pas root : rien" "$out" "lancé en root"
fi
hasnt "horloge synchronisée : rien" "$out" "horloge"
hasnt "le bac à sable de l'analyseur fonctionne" "$out" "ERREUR bac à sable"
echo no > "$W/ntp"
has "horloge non synchronisée" "$(chk)" "ATTENTION horloge non synchronisée (timedatectl)"
echo yes > "$W/ntp"

# The unit: absent from an empty unit path, found when installed there.
SYSTEMD_UNIT_PATH=$W/units has "unité absente" "$(SYSTEMD_UNIT_PATH=$W/units chk)" \
    "ATTENTION unité systemd fsrelay.service non installée"
cp "$TOP/dist/fsrelay.service.in" "$W/units/fsrelay.service"
hasnt "unité installée" "$(SYSTEMD_UNIT_PATH=$W/units chk)" "fsrelay.service"

# Modes.
chmod 0660 "$CONF"
out=$(chk); rc=$?
has "configuration g+w : erreur" "$out" "ERREUR configuration modifiable par le groupe ou les autres (mode 0660)"
is "configuration g+w : code 1" "$rc" 1
chmod 0644 "$CONF"
has "configuration lisible par tous" "$(chk)" "ATTENTION configuration lisible par tous (mode 0644)"
chmod 0600 "$CONF"
chmod 0775 "$(dirname "$CONF")"
has "dossier de la configuration g+w" "$(chk)" "ERREUR dossier de la configuration modifiable"
chmod 0755 "$(dirname "$CONF")"
chmod 0750 "$DATA"
has "data_dir 0750 : erreur" "$(chk)" "ERREUR data_dir ouvert au groupe ou aux autres (mode 0750) : chmod 0700"
chmod 0700 "$DATA"
# Issue 16 point 6: a readable database or data_dir is refused like a key,
# by check and check --strict (code 1).
chmod 0755 "$DATA"
out=$(chk --strict); rc=$?
has "data_dir 0755 : erreur" "$out" "ERREUR data_dir ouvert au groupe ou aux autres (mode 0755) : chmod 0700"
is "data_dir 0755 : check --strict code 1" "$rc" 1
chmod 0700 "$DATA"
chmod 0644 "$DATA/fsrelay.db"
out=$(chk); rc=$?
has "fsrelay.db 0644 : erreur" "$out" "ERREUR fsrelay.db : permissions 0644 trop ouvertes"
is "fsrelay.db 0644 : check code 1" "$rc" 1
out=$(chk --strict); rc=$?
is "fsrelay.db 0644 : check --strict code 1" "$rc" 1
chmod 0600 "$DATA/fsrelay.db"
is "rétabli : 0 erreur" "$(chk | grep -c '^ERREUR')" 0
done_testing
