# tests/integration/install.sh - issue 13, items 1-2: `make install` and
# `make uninstall` (DESTDIR, PREFIX, the GNU directories), what they install
# and with which modes; the man pages render cleanly (mandoc -Tlint, man -l)
# and document every subcommand of the binary, every key of the
# configuration schema and every FSRELAY_* variable the code reads.  The
# lists come from the code (the binary's own --help, relay/config.c,
# getenv calls), so a command or key added without its man entry fails here.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
FS=$FSRELAY_BIN
W=$(mktemp -d /tmp/fsr-install.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$TOP" || exit 1

# --- make install / uninstall -------------------------------------------
D=$W/root
ok "make install (défauts)" make -s install B="$B" DESTDIR="$D" >/dev/null
mode() { stat -c '%a' "$1" 2>/dev/null; }
is "binaire" "$(mode "$D/usr/local/bin/fsrelay")" 755
for f in man/man8/fsrelay.8 man/man5/fsrelay.conf.5 man/man1/fsrelay-open.1 \
    fsrelay/fsrelay.conf.example fsrelay/annex6-hauts-de-seine.csv \
    fsrelay/structures-hauts-de-seine.csv fsrelay/topics.csv doc/fsrelay/admin.md; do
	is "share/$f" "$(mode "$D/usr/local/share/$f")" 644
done
for f in systemd/system/fsrelay.service systemd/system/fsrelay-web.service \
    sysusers.d/fsrelay.conf tmpfiles.d/fsrelay.conf; do
	is "lib/$f" "$(mode "$D/usr/local/lib/$f")" 644
done
U=$D/usr/local/lib/systemd/system/fsrelay.service
has "ExecStart" "$(cat "$U")" "ExecStart=/usr/local/bin/fsrelay -c /etc/fsrelay/fsrelay.conf serve"
has "ReadWritePaths" "$(cat "$U")" "ReadWritePaths=/var/lib/fsrelay"
is "substitutions faites" "$(cat "$D"/usr/local/lib/*/fsrelay.conf "$D"/usr/local/lib/systemd/system/* |
    grep -cE '@[A-Z]+@')" 0
has "tmpfiles data_dir" "$(cat "$D/usr/local/lib/tmpfiles.d/fsrelay.conf")" "d /var/lib/fsrelay 0700 fsrelay fsrelay"
has "tmpfiles /etc" "$(cat "$D/usr/local/lib/tmpfiles.d/fsrelay.conf")" "d /etc/fsrelay 0750 root fsrelay"
has "sysusers" "$(cat "$D/usr/local/lib/sysusers.d/fsrelay.conf")" "u fsrelay - "
ok "make uninstall" make -s uninstall B="$B" DESTDIR="$D" >/dev/null
is "rien ne reste" "$(find "$D" -type f | wc -l)" 0
is "share/fsrelay retiré" "$(test -e "$D/usr/local/share/fsrelay" && echo là)" ""

# The Debian layout: PREFIX=/usr, units under /lib, other sysconfdir.
D2=$W/root2
ok "make install PREFIX=/usr" make -s install B="$B" DESTDIR="$D2" PREFIX=/usr \
    unitdir=/lib/systemd/system sysconfdir=/srv/etc localstatedir=/srv/var >/dev/null
ok "binaire /usr/bin" test -x "$D2/usr/bin/fsrelay"
ok "man8 /usr/share/man" test -f "$D2/usr/share/man/man8/fsrelay.8"
has "unitdir" "$(cat "$D2/lib/systemd/system/fsrelay.service")" \
    "ExecStart=/usr/bin/fsrelay -c /srv/etc/fsrelay/fsrelay.conf serve"
has "localstatedir" "$(cat "$D2/lib/systemd/system/fsrelay.service")" "ReadWritePaths=/srv/var/lib/fsrelay"

# sysusers.d and tmpfiles.d create the account and the directories.
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	R=$W/sysroot
	mkdir -p "$R/etc" "$R/var/lib"
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
	printf 'root:x:0:\n' > "$R/etc/group"
	ok "systemd-sysusers" systemd-sysusers --root="$R" \
	    "$D2/usr/lib/sysusers.d/fsrelay.conf" 2>/dev/null
	has "compte fsrelay" "$(cat "$R/etc/passwd")" "fsrelay:x:"
	sed -e 's|/srv/var|/var|' -e 's|/srv/etc|/etc|' "$D2/usr/lib/tmpfiles.d/fsrelay.conf" > "$W/t.conf"
	ok "systemd-tmpfiles" systemd-tmpfiles --root="$R" --create "$W/t.conf"
	u=$(awk -F: '$1 == "fsrelay" { print $3 }' "$R/etc/passwd")
	is "/var/lib/fsrelay" "$(stat -c '%a %u' "$R/var/lib/fsrelay")" "700 $u"
	is "/etc/fsrelay" "$(stat -c '%a %u %g' "$R/etc/fsrelay")" "750 0 $u"
else
	echo "install.sh : systemd-sysusers absent, création du compte non vérifiée"
fi

# --- man pages: lint and rendering ----------------------------------------
for p in man/fsrelay.8 man/fsrelay.conf.5 man/fsrelay-open.1; do
	is "mandoc -Tlint $p" "$(mandoc -Tlint "$p" 2>&1)" ""
	is "man -l $p" "$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)" ""
done

# tags PAGE SECTION: the bold .TP tags of one .SH section ("\fBname\fR").
tags() {
	awk -v sec="$2" '
	    /^\.SH / { s = substr($0, 5); gsub(/"/, "", s); on = (s == sec); next }
	    on && prev == ".TP" && match($0, /^\\fB[a-z][a-z0-9_ -]*\\fR$/) {
	        t = substr($0, 4, length($0) - 6); print t }
	    { prev = $0 }' "$1" | sort -u
}

# Subcommands, from the dispatch table (fsrelay --help) and each group's
# own --help ("fsrelay keys show ...").
cmds=$("$FS" --help | awk '/^Commandes :/ { on = 1; next } /^$/ && on { exit } on { print $1 }')
is "liste des commandes non vide" "$(printf '%s\n' "$cmds" | grep -c .)" \
    "$(printf '%s\n' "$cmds" | grep -c .)"
has "liste des commandes" "$cmds" "escalate"
want=""
for c in $cmds; do
	subs=$("$FS" "$c" --help 2>/dev/null | awk -v c="$c" \
	    '/^Sous-commandes :/ { on = 1; next } on && $1 == "fsrelay" && $2 == c { print $3 }')
	if [ -n "$subs" ]; then
		for s in $subs; do want="$want$c $s"$'\n'; done
	else
		want="$want$c"$'\n'
	fi
done
want=$(printf '%s' "$want" | sort -u)
has "sous-commandes lues" "$want" "breach declare"
got=$(tags man/fsrelay.8 COMMANDES)
is "fsrelay(8) : commandes non documentées" \
    "$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got") | tr '\n' ' ')" ""
is "fsrelay(8) : commandes documentées qui n'existent pas" \
    "$(comm -13 <(printf '%s\n' "$want") <(printf '%s\n' "$got") | tr '\n' ' ')" ""

# Configuration keys, from the schema: the K(...) table of the global keys
# and the names the [partner] sections accept.
gkeys=$(grep -oE '^[[:space:]]*K\([a-z_]+,' relay/config.c | grep -oE '[a-z_]+,' | tr -d , | sort -u)
pkeys=$(grep -oE 'strcmp\(name, "[a-z_]+"\)' relay/config.c | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)
has "clés générales lues" "$gkeys" "data_dir"
has "clés de partenaire lues" "$pkeys" "office_hours"
is "fsrelay.conf(5) : clés générales" \
    "$(comm -3 <(printf '%s\n' "$gkeys") <(tags man/fsrelay.conf.5 "CLÉS GÉNÉRALES") | tr '\n\t' '  ')" ""
is "fsrelay.conf(5) : clés de [partner]" \
    "$(comm -3 <(printf '%s\n' "$pkeys") <(tags man/fsrelay.conf.5 "SECTIONS PARTENAIRE") | tr '\n\t' '  ')" ""

# Environment: every FSRELAY_* the code reads has its entry.
envs=$(grep -rhoE 'getenv\("FSRELAY_[A-Z_]+"\)' relay adapters keys | grep -oE 'FSRELAY_[A-Z_]+' | sort -u)
has "variables lues" "$envs" "FSRELAY_CONFIG"
documented=$(awk '/^\.SH ENVIRONNEMENT/ { on = 1; next } /^\.SH / { on = 0 } on && /^\.B FSRELAY_/ { print $2 }' man/fsrelay.8 | sort -u)
is "fsrelay(8) : variables non documentées" \
    "$(comm -23 <(printf '%s\n' "$envs") <(printf '%s\n' "$documented") | tr '\n' ' ')" ""

# fsrelay-open(1) covers every option of `fsrelay open --help`.
for o in $("$FS" open --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	has "fsrelay-open(1) $o" "$(grep -F -- "\\fB\\-\\-${o#--}\\fR" man/fsrelay-open.1)" "${o#--}"
done
done_testing
