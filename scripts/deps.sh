#!/bin/sh
# deps.sh - install, idempotently, every Debian package fsrelay needs to build,
# test and run its demo. Used by `make demo`, `make test` and `.ci/run`.
# Run as root on Debian 12. Does nothing when everything is present.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev valgrind
libcurl4-gnutls-dev libetpan-dev libgnutls28-dev libsodium-dev libsqlite3-dev
libinih-dev libunistring-dev libmicrohttpd-dev
postfix dovecot-imapd dovecot-lmtpd openssl curl ca-certificates
age tzdata sqlite3 python3 python3-nacl python3-holidays util-linux procps
mandoc man-db systemd"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: paquets manquants :$missing" >&2
	echo "deps: relancez en root (apt-get install) pour les installer." >&2
	exit 1
fi

# No package script may start a system daemon: the tests run their own
# private Postfix and Dovecot on loopback.
if [ ! -x /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
fi

echo "deps: installation de :$missing"
export DEBIAN_FRONTEND=noninteractive
# .ci/run has just updated the lists.
[ -n "${FSRELAY_APT_UPDATED:-}" ] || apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
