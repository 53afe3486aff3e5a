#!/bin/sh
# deps.sh - install, idempotently, every Debian package fsrelay needs to build,
# test and run its demo, then the npm packages of the opener page (pinned in
# package-lock.json) and of the browser tests (tests/browser/package-lock.json).
# Used by `make demo`, `make test` and `.ci/run`.
# Run as root on Debian 12. Does nothing when everything is present.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)

PKGS="build-essential pkg-config clang libclang-rt-14-dev valgrind
libcurl4-gnutls-dev libetpan-dev libgnutls28-dev libsodium-dev libsqlite3-dev
libinih-dev libunistring-dev libmicrohttpd-dev libseccomp-dev
postfix dovecot-imapd dovecot-lmtpd openssl curl ca-certificates
age tzdata sqlite3 python3 python3-nacl python3-holidays util-linux procps time
mandoc man-db systemd cppcheck
debhelper dpkg-dev fakeroot lintian
nodejs chromium chromium-l10n fonts-dejavu-core"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# The npm packages, each tree from its lock file (exact versions and
# integrity hashes), again only when the lock file changed: the opener
# page's sources (package.json at the top: age-encryption, esbuild...)
# and the browser tests' (tests/browser: playwright-core, axe-core).  No
# install script runs (--ignore-scripts): playwright-core drives Debian's
# /usr/bin/chromium and downloads no browser.
npm_tree() {
	b=$1
	if [ -f "$b/node_modules/.fsrelay-lock" ] &&
	    cmp -s "$b/package-lock.json" "$b/node_modules/.fsrelay-lock"; then
		return 0
	fi
	command -v npm >/dev/null 2>&1 || { echo "deps: npm absent (paquet npm)" >&2; return 1; }
	echo "deps: npm ci ($2)"
	npm ci --prefix "$b" --no-audit --no-fund --ignore-scripts --loglevel=error
	cp "$b/package-lock.json" "$b/node_modules/.fsrelay-lock"
}

npm_deps() {
	npm_tree "$TOP" "page d'ouverture : age-encryption, esbuild" &&
	    npm_tree "$TOP/tests/browser" "tests/browser : playwright-core, axe-core"
}

if [ -z "$missing" ]; then
	npm_deps
	exit 0
fi

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
# Debian's nodejs comes without npm (NodeSource's includes it).
command -v npm >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends npm
npm_deps
