# tests/integration/units.sh - issue 13, item 3: the shipped systemd units
# (as `make install` writes them) pass `systemd-analyze verify` without a
# word, and `systemd-analyze security --offline=yes` rates each exposure at
# 2.0 or less, with the directives docs/admin.md asks for.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
if ! command -v systemd-analyze >/dev/null; then
	echo "units.sh : systemd-analyze absent (paquet systemd) : unités non vérifiées"
	done_testing
	exit
fi
W=$(mktemp -d /tmp/fsr-units.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$TOP" || exit 1
P=$W/prefix
# A real prefix (not DESTDIR): verify checks that ExecStart's binary and
# the Documentation= pages exist.
ok "make install" make -s install B="$B" PREFIX="$P" sysconfdir="$W/etc" \
    localstatedir="$W/var" >/dev/null
for u in fsrelay.service fsrelay-web.service; do
	f=$P/lib/systemd/system/$u
	out=$(MANPATH=$P/share/man systemd-analyze verify "$f" 2>&1)
	rc=$?
	is "verify $u : code" "$rc" 0
	is "verify $u : aucun message" "$out" ""
	for d in NoNewPrivileges=yes SystemCallFilter=@system-service ProtectProc=invisible \
	    MemoryDenyWriteExecute=yes RestrictNamespaces=yes ProtectSystem=strict \
	    CapabilityBoundingSet= PrivateDevices=yes "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
		has "$u : $d" "$(grep -x -F "$d" "$f")" "$d"
	done
	if [ $u = fsrelay.service ]; then
		# Without them, the parser's Landlock would fail with EPERM.
		d="SystemCallFilter=landlock_create_ruleset landlock_restrict_self seccomp"
		has "$u : $d" "$(grep -x -F "$d" "$f")" "$d"
	fi
	sec=$(systemd-analyze security --offline=yes "$f" 2>&1)
	level=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "units.sh : $u : exposition systemd-analyze security = ${level:-?}"
	ok "security $u : exposition lue" test -n "$level"
	ok "security $u : exposition $level <= 2.0" awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.0) }'
done
# The test can fail: a unit without the sandbox is rated far above 2.0.
printf '[Service]\nExecStart=%s/bin/fsrelay serve\n' "$P" > "$W/bare.service"
bare=$(systemd-analyze security --offline=yes "$W/bare.service" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
ok "une unité sans durcissement dépasse 2.0 ($bare)" awk -v l="${bare:-0}" 'BEGIN { exit !(l > 2.0) }'
done_testing
