#!/bin/bash
# agestream.sh - the age writer and reader file to file (relay/age through
# build/bench/agefile, issue 15 item 3): output read by Go's age and Go's
# output read by ours, a pipe as input, a 48 MiB file in constant memory
# (max RSS < 32 MB: the whole file in memory would be more), a cut or
# altered file refused with nothing left behind.  No mail stack needed.
. "$(dirname "$0")/../lib.sh"
AF=$(dirname "$FSRELAY_BIN")/bench/agefile
[ -x "$AF" ] || { echo "agefile absent ($AF) : make unit"; echo "0 passed, 1 failed"; exit 1; }
D=$(mktemp -d /tmp/fsr-agestream.XXXXXX)
trap 'rm -rf "$D"' EXIT
age-keygen -o "$D/id" 2>/dev/null
R=$(age-keygen -y "$D/id")

# ---- 1. both ways with Go's age, several sizes ----
for n in 0 1 65536 65537 1000000; do
	head -c "$n" /dev/urandom >"$D/p"
	ok "$n octets : chiffré" "$AF" -e "$R" "$D/p" "$D/ours.age"
	age -d -i "$D/id" "$D/ours.age" >"$D/go.out"
	ok "$n octets : age le déchiffre à l'identique" cmp -s "$D/p" "$D/go.out"
	age -r "$R" -o "$D/go.age" "$D/p"
	ok "$n octets : le fichier d'age déchiffré" "$AF" -d "$D/id" "$D/go.age" "$D/ours.out"
	ok "$n octets : à l'identique" cmp -s "$D/p" "$D/ours.out"
	is "$n octets : même taille que celui d'age" "$(stat -c %s "$D/ours.age")" "$(stat -c %s "$D/go.age")"
done

# ---- 2. a pipe as input ----
head -c 300000 /dev/urandom >"$D/p"
ok "tube : chiffré" sh -c "cat '$D/p' | '$AF' -e '$R' - '$D/pipe.age'"
ok "tube : déchiffré" sh -c "cat '$D/pipe.age' | '$AF' -d '$D/id' - '$D/pipe.out'"
ok "tube : à l'identique" cmp -s "$D/p" "$D/pipe.out"

# ---- 3. constant memory ----
head -c $((48 * 1048576)) /dev/urandom >"$D/big"
/usr/bin/time -f %M -o "$D/rss.e" "$AF" -e "$R" "$D/big" "$D/big.age"
/usr/bin/time -f %M -o "$D/rss.d" "$AF" -d "$D/id" "$D/big.age" "$D/big.out"
ok "48 Mio : à l'identique" cmp -s "$D/big" "$D/big.out"
rss_e=$(tail -n 1 "$D/rss.e"); rss_d=$(tail -n 1 "$D/rss.d")
ok "48 Mio : chiffrement en mémoire constante ($rss_e Ko < 32 Mo)" [ "$rss_e" -lt 32768 ]
ok "48 Mio : déchiffrement en mémoire constante ($rss_d Ko < 32 Mo)" [ "$rss_d" -lt 32768 ]
rm -f "$D/big" "$D/big.out"

# ---- 4. cut or altered: refused, no output left ----
size=$(stat -c %s "$D/big.age")
head -c $((size - 70000)) "$D/big.age" >"$D/cut.age"
out=$("$AF" -d "$D/id" "$D/cut.age" "$D/cut.out" 2>&1); rc=$?
is "coupé : refusé" "$rc" 1
has "coupé : la raison" "$out" "tronqué"
ok "coupé : aucune sortie" test ! -e "$D/cut.out" -a ! -e "$D/cut.out.part"
cp "$D/big.age" "$D/alt.age"
# Flip one byte (xor): writing a fixed byte leaves the file unchanged
# once in 256 runs, when the random ciphertext already holds it there.
python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x01]))' \
	"$D/alt.age" $((size / 2))
ok "altéré : un octet a changé" sh -c '! cmp -s "$1" "$2"' - "$D/big.age" "$D/alt.age"
out=$("$AF" -d "$D/id" "$D/alt.age" "$D/alt.out" 2>&1); rc=$?
is "altéré : refusé" "$rc" 1
has "altéré : la raison" "$out" "contenu age altéré ou tronqué"
ok "altéré : aucune sortie" test ! -e "$D/alt.out" -a ! -e "$D/alt.out.part"
age-keygen -o "$D/other" 2>/dev/null
out=$("$AF" -d "$D/other" "$D/pipe.age" "$D/o.out" 2>&1); rc=$?
is "autre clé : refusé" "$rc" 1
has "autre clé : la raison" "$out" "aucune clé ne correspond à ce fichier"

done_testing
