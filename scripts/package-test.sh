#!/bin/sh
# package-test.sh - issue 13, item 4, run by .ci/run as root on a fresh
# Debian 12: build the Debian package (dpkg-buildpackage -us -uc -b),
# lintian with no error, install it with apt-get, check what it did (the
# account, the directories, the unit enabled and not started), deploy a
# test instance following README.Debian and run `fsrelay check` from the
# package, then purge (the data go) and purge again with
# /etc/fsrelay/keep-data-on-purge (the data stay).  Independent of
# `make test`.  Prints "N passed, N failed" like the other tests.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
pass=0; fail=0
ok() { d=$1; shift; if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $d" >&2; fi; }
is() { if [ "$2" = "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: got '$2', want '$3'" >&2; fi; }

[ "$(id -u)" = 0 ] || { echo "package-test : à lancer en root (CI)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# The build tools come from scripts/deps.sh, as every package CI uses.
for p in debhelper lintian dpkg-dev fakeroot; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    { echo "package-test : paquet $p absent (sh scripts/deps.sh)" >&2; exit 1; }
done
if dpkg-query -W -f='${Status}' fsrelay 2>/dev/null | grep -q "ok installed"; then
	echo "package-test : un paquet fsrelay est déjà installé ici : refus" >&2
	exit 1
fi

W=$(mktemp -d /tmp/fsrelay-pkg.XXXXXX)
trap 'rm -rf "$W"' EXIT
# Build from a clean copy (dpkg-buildpackage writes its results in ..).
mkdir "$W/fsrelay"
tar -C "$TOP" --exclude=./build --exclude=./fsrelay --exclude=./.git -cf - . |
    tar -C "$W/fsrelay" -xf -
(cd "$W/fsrelay" && dpkg-buildpackage -us -uc -b) > "$W/build.log" 2>&1 ||
    { tail -n 40 "$W/build.log"; echo "0 passed, 1 failed"; exit 1; }
deb=$(ls "$W"/fsrelay_*.deb)
ok "paquet construit" test -f "$deb"
rc=0
lintian --fail-on error --tag-display-limit 0 "$deb" > "$W/lintian.log" 2>&1 || rc=$?
cat "$W/lintian.log"
is "lintian : aucune erreur" "$rc" 0

apt-get install -y -q "$deb" > "$W/install.log" 2>&1 || cat "$W/install.log"
ok "apt-get install ./fsrelay_*.deb" dpkg-query -W fsrelay
ok "binaire" test -x /usr/bin/fsrelay
ok "compte fsrelay" getent passwd fsrelay
is "/var/lib/fsrelay" "$(stat -c '%a %U %G' /var/lib/fsrelay)" "700 fsrelay fsrelay"
is "/etc/fsrelay" "$(stat -c '%a %U %G' /etc/fsrelay)" "750 root fsrelay"
ok "unité installée" test -f /lib/systemd/system/fsrelay.service
ok "service activé" test -L /etc/systemd/system/multi-user.target.wants/fsrelay.service
ok "guichet web non activé" test ! -e /etc/systemd/system/multi-user.target.wants/fsrelay-web.service
ok "pas démarré : aucun serve" sh -c '! pgrep -u fsrelay -x fsrelay'
ok "man 8 fsrelay" sh -c 'MANWIDTH=80 man 8 fsrelay | grep -q "relais sécurisé"'
ok "exemple livré" test -f /usr/share/fsrelay/fsrelay.conf.example

# A test instance, as README.Debian says (check connects to no server).
sed -e 's|^data_dir = .*|data_dir = /var/lib/fsrelay|' \
    /usr/share/fsrelay/fsrelay.conf.example > /etc/fsrelay/fsrelay.conf
chgrp fsrelay /etc/fsrelay/fsrelay.conf
chmod 0640 /etc/fsrelay/fsrelay.conf
install -o fsrelay -g fsrelay -m 0600 /dev/null /etc/fsrelay/mail-password
runuser -u fsrelay -- sh -c 'echo mot-de-passe-de-test > /etc/fsrelay/mail-password'
ok "fsrelay init" runuser -u fsrelay -- fsrelay init
ok "referents import" runuser -u fsrelay -- fsrelay referents import \
    /usr/share/fsrelay/annex6-hauts-de-seine.csv \
    --structures /usr/share/fsrelay/structures-hauts-de-seine.csv \
    --topics /usr/share/fsrelay/topics.csv
rc=0
runuser -u fsrelay -- fsrelay check > "$W/check.log" 2>&1 || rc=$?
cat "$W/check.log"
is "fsrelay check (paquet) : code" "$rc" 0
ok "fsrelay check (paquet) : 0 erreur" grep -q "^0 erreur" "$W/check.log"
# The deployment as the package makes it: nothing to say about it.  The
# patterns are the deployment checks' own lines (relay/deploy.c), not any
# line with the word: the directory checks may well name "la configuration"
# (partners without domains), which is about content, not deployment.
for w in "unité systemd" "lancé en root" "^\(ATTENTION\|ERREUR\) \(dossier de la \)\?configuration" \
    "data_dir" "bac à sable"; do
	ok "fsrelay check (paquet) : rien sur « $w »" sh -c '! grep -q "$1" "$2"' sh "$w" "$W/check.log"
done
# The test of the pattern itself: the deployment's wording still matches it.
ok "motif « configuration » : reconnaît la ligne du déploiement" sh -c \
    'echo "ATTENTION configuration lisible par tous (mode 0644) : chmod 0640" |
    grep -q "^\(ATTENTION\|ERREUR\) \(dossier de la \)\?configuration"'
ok "motif « configuration » : la ligne existe dans relay/deploy.c" \
    grep -q '"configuration lisible par tous' "$TOP/relay/deploy.c"
ok "en root, les clés sont refusées" sh -c '! fsrelay check >/dev/null 2>&1'

# Purge: the keys go, unless the administrator chose to keep them.
apt-get purge -y -q fsrelay > "$W/purge.log" 2>&1 || cat "$W/purge.log"
ok "purgé" sh -c '! dpkg-query -W -f="\${Status}" fsrelay 2>/dev/null | grep -q installed'
ok "purge : /var/lib/fsrelay effacé (clés comprises)" test ! -e /var/lib/fsrelay
ok "purge : /etc/fsrelay effacé" test ! -e /etc/fsrelay
apt-get install -y -q "$deb" > "$W/install.log" 2>&1 || cat "$W/install.log"
runuser -u fsrelay -- sh -c 'cd /var/lib/fsrelay && mkdir -m 0700 keys && echo x > keys/kek.key'
touch /etc/fsrelay/keep-data-on-purge
apt-get purge -y -q fsrelay > "$W/purge.log" 2>&1 || cat "$W/purge.log"
ok "purge avec keep-data-on-purge : clés gardées" test -f /var/lib/fsrelay/keys/kek.key
ok "purge avec keep-data-on-purge : /etc/fsrelay gardé" test -f /etc/fsrelay/keep-data-on-purge
rm -rf /var/lib/fsrelay /etc/fsrelay
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
