# tests/lib.sh - sourced by integration tests.  Gives:
#   new_instance      make a fresh instance dir (tests/instance) and source its env
#   ok DESC CMD...    passes when CMD exits 0
#   fails DESC CMD... passes when CMD exits non-zero
#   is DESC GOT WANT  passes when GOT = WANT
#   has DESC TEXT NEEDLE / hasnt DESC TEXT NEEDLE
#   wait_mail DIR N   waits until maildir DIR/new holds N mails
#   done_testing      prints "N passed, N failed" and sets the exit status
# The mail stack is already running: tests/run exported FSRELAY_TEST_STACK.
set -u
T_PASS=0; T_FAIL=0
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

_t_pass() { T_PASS=$((T_PASS + 1)); }
_t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }

ok()    { local d=$1; shift; if "$@"; then _t_pass; else _t_fail "$d"; fi; }
fails() { local d=$1; shift; if "$@"; then _t_fail "$d (devait échouer)"; else _t_pass; fi; }
is()    { if [ "$2" = "$3" ]; then _t_pass; else _t_fail "$1: got '$2', want '$3'"; fi; }
has()   { case $2 in *"$3"*) _t_pass;; *) _t_fail "$1: '$3' absent de: $2";; esac; }
hasnt() { case $2 in *"$3"*) _t_fail "$1: '$3' présent dans: $2";; *) _t_pass;; esac; }

# new_instance: instance under a fresh world-traversable dir, removed at exit.
new_instance() {
	T_DIR=$(mktemp -d /tmp/fsr-inst.XXXXXX)
	chmod 755 "$T_DIR"
	trap 'rm -rf "$T_DIR"' EXIT
	cp "$FSRELAY_TEST_STACK/env" "$T_DIR/env"
	"$TOP/tests/instance" "$T_DIR" >"$T_DIR/instance.log" 2>&1 ||
		{ cat "$T_DIR/instance.log" >&2; echo "0 passed, 1 failed"; exit 1; }
	# shellcheck disable=SC1091
	. "$T_DIR/env"
	FS=$FSRELAY_BIN
}

# wait_mail MAILDIR N: Postfix hands mail to Dovecot after its 250, so a
# test waits (5 s at most) until MAILDIR/new holds at least N files.
wait_mail() {
	local i
	for i in $(seq 1 100); do
		[ "$(find "$1/new" -type f 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

done_testing() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ]
	exit $?
}
