#!/bin/sh
# lint-includes.sh - the include rule of the house (docs/architecture.md
# § 2): a relay/ file (the core) includes no adapters/ header, and no
# header outside the allowed list: the C library, POSIX and Linux system
# headers, libsodium and libunistring.  Every third-party library other
# than those two is reached through a port (relay/port/*.h) that an
# adapters/ file implements; so are the clock and randomness (no time(),
# clock_gettime(), randombytes_*(), FSRELAY_NOW in relay/).  Prints each
# offence; exit 1 if any.
set -eu
cd "$(dirname "$0")/.."

# C17 and POSIX/Linux headers the core may use, then the two libraries.
ALLOWED='assert.h ctype.h errno.h fcntl.h float.h inttypes.h libgen.h
limits.h locale.h math.h poll.h signal.h stdarg.h stdbool.h stddef.h
stdint.h stdio.h stdlib.h string.h strings.h time.h unistd.h
sys/file.h sys/mman.h sys/prctl.h sys/resource.h sys/socket.h sys/stat.h
sys/syscall.h sys/time.h sys/types.h sys/wait.h syslog.h
sodium.h
unicase.h unictype.h uninorm.h unistr.h uniconv.h unigbrk.h uniwidth.h
unistdio.h'

bad=0
for f in $(find relay -name '*.[ch]' | sort); do
	# Quoted includes: only the core's own headers.
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case $h in
		relay/*) ;;
		keys/*) ;;	# the key files (keys/keystore), not a library
		*)	echo "lint: $f inclut \"$h\" : le cœur (relay/) n'inclut que relay/"
			bad=1;;
		esac
	done
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f"); do
		ok=0
		for a in $ALLOWED; do
			[ "$h" = "$a" ] && { ok=1; break; }
		done
		if [ $ok = 0 ]; then
			echo "lint: $f inclut <$h> : hors de la liste permise (docs/architecture.md)"
			bad=1
		fi
	done
done

# The clock and randomness ports (relay/port/clock.h, random.h): no core
# code reads the system clock, the test clock FSRELAY_NOW or the random
# generator itself (comment lines are not code).
calls='(^|[^a-zA-Z0-9_.>])time\(|clock_gettime\(|gettimeofday\(|randombytes_[a-z_]*\('
calls="$calls"'|crypto_[a-z0-9_]*(keygen|[^d]_keypair)\(|getenv\("FSRELAY_NOW"\)'
for f in $(find relay -name '*.[ch]' | sort); do
	grep -nE "$calls" "$f" | grep -vE '^[0-9]+:[[:space:]]*(\*|/\*)' |
	while IFS= read -r l; do
		echo "lint: $f:${l%%:*} lit l'horloge ou le hasard sans passer par relay/port/clock.h ou random.h"
	done | grep . && bad=1
done
exit $bad
