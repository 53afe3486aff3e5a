# audit.sh - issue 6 on the real stack: the audit log's checkpoint verifies
# with an independent implementation (tests/note_check.py, python3-nacl,
# re-encoding each leaf from the exported fields); an exported checkpoint
# still verifies later; a byte edited in the database file, a deleted row
# and a truncated log each make `audit verify --checkpoint` fail (exit 1)
# and open a suspected breach; the daemon mails a checkpoint to the DPO.
. "$(dirname "$0")/../lib.sh"
new_instance
LOG=$T_DIR/stderr.log
VKEY=$T_DIR/audit-log.vkey
DPO_MD=$FSRELAY_TEST_MAILDIRS/fs-fontenay.test/dpo/Maildir
export FSRELAY_NOW=2026-03-02T10:00:00Z

printf 'Situation de Mme Ornella Quibrante-Zed.\n' > "$T_DIR/desc.txt"
escalate() {
	"$FS" escalate --structure fontenay-aux-roses --partner dgfip --topic produits-locaux \
		--agent agent1 --nom Quibrante-Zed --prenom Ornella --ne-le 1975-12-24 \
		--id-partenaire 3019988776655 --mandat-signe-le 2026-01-15 \
		--description-file "$T_DIR/desc.txt" 2>>"$LOG"
}
REF=$(escalate)
ok "escalate" test -n "$REF"
"$FS" serve --once 2>>"$LOG"

# ---- a checkpoint, verified by a second implementation ----
"$FS" audit checkpoint > "$T_DIR/cp1.note" 2>>"$LOG"
is "audit checkpoint exits 0" "$?" 0
has "origin is the log's name" "$(head -n 1 "$T_DIR/cp1.note")" "fsrelay-audit"
nc() { /usr/bin/python3 "$TOP/tests/note_check.py" "$@" >/dev/null; }
ok "note_check.py verifies the signature with keys show audit-log's vkey" \
	nc verify "$T_DIR/cp1.note" "$VKEY"
"$FS" audit export > "$T_DIR/export.jsonl" 2>>"$LOG"
is "audit export exits 0" "$?" 0
# Re-encode every leaf from its fields (docs/audit-format.md §1), independently.
python3 - "$T_DIR/export.jsonl" "$T_DIR/leaves.hex" <<'PY'
import json, struct, sys
out = open(sys.argv[2], "w")
for n, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    assert e["seq"] == n, "seq"
    f = [str(e["seq"]), e["at"], e["actor"], e["action"], e["case_ref"] or "", e["outcome"] or ""]
    leaf = b"\x01" + b"".join(struct.pack(">I", len(x.encode())) + x.encode() for x in f)
    assert leaf.hex() == e["leaf"], "leaf %d" % n
    out.write(leaf.hex() + "\n")
PY
is "every exported leaf re-encodes identically" "$?" 0
ok "note_check.py: the root is the root of the first <size> leaves" \
	nc checkpoint "$T_DIR/cp1.note" "$VKEY" "$T_DIR/leaves.hex"
hasnt "the export holds no personal data" "$(cat "$T_DIR/export.jsonl")" "Quibrante"
hasnt "the export holds no personal data (id)" "$(cat "$T_DIR/export.jsonl")" "3019988776655"

ok "audit verify: intact" "$FS" audit verify
for i in 1 2 3; do escalate >/dev/null; done
"$FS" serve --once 2>>"$LOG"
out=$("$FS" audit verify --checkpoint "$T_DIR/cp1.note" --vkey "$VKEY" 2>>"$LOG")
is "an older exported checkpoint still verifies" "$?" 0
has "and says so" "$out" "préfixe du journal"
n=$("$FS" audit export --from 2026-03-02T10:00:00Z --to 2026-03-02T10:00:01Z | wc -l)
ok "export --from/--to selects a range ($n lines)" test "$n" -ge 1
"$FS" audit export --from hier >/dev/null 2>&1
is "a bad date is a usage error" "$?" 2

# ---- tampering, each on its own copy of the instance ----
copy() {	# copy NAME: a copy of data_dir and a config pointing at it
	cp -a "$T_DIR/data" "$T_DIR/$1"
	sed "s|^data_dir = .*|data_dir = $T_DIR/$1|" "$FSRELAY_CONFIG" > "$T_DIR/$1.conf"
	chmod 600 "$T_DIR/$1.conf"
	sqlite3 "$T_DIR/$1/fsrelay.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}
tampered() {	# tampered NAME WHY: verify fails, names why, opens a breach
	local err
	# Without FSRELAY_NOW: opening the instance then appends no event.
	err=$(env -u FSRELAY_NOW "$FS" -c "$T_DIR/$1.conf" audit verify --checkpoint "$T_DIR/cp1.note" 2>&1 >/dev/null)
	is "$1: audit verify exits 1" "$?" 1
	has "$1: the reason" "$err" "$2"
	has "$1: a breach is opened" "$err" "violation n°"
	src=$("$FS" -c "$T_DIR/$1.conf" breach list --json 2>>"$LOG" | python3 -c \
		'import json,sys; print(" ".join(b["detection_source"]+":"+b["status"]+":"+"".join(x[0] for x in b["nature"]) for b in json.load(sys.stdin)))')
	has "$1: suspected, integrity" "$src" "audit-verify:suspected:i"
}
# 1. one byte of the file, changed with a hex editor's worth of python
copy flip
python3 - "$T_DIR/flip/fsrelay.db" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"case.queued")
assert i > 0
b[i + 6] ^= 0x03	# 'q' -> 'r'
open(p, "wb").write(b)
PY
tampered flip "racine"
# 2. a row deleted (triggers dropped first, as an attacker would)
copy delrow
sqlite3 "$T_DIR/delrow/fsrelay.db" 'DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 3;'
tampered delrow "séquence"
# 3. the log truncated, and the stored checkpoints with it
copy trunc
sqlite3 "$T_DIR/trunc/fsrelay.db" 'DROP TRIGGER events_no_delete; DROP TRIGGER audit_checkpoints_no_delete;
	DELETE FROM events WHERE seq > 4; DELETE FROM audit_checkpoints;
	UPDATE sqlite_sequence SET seq = 4 WHERE name = '"'"'events'"'"';'
tampered trunc "tronqué"
ok "untouched instance still verifies" "$FS" audit verify --checkpoint "$T_DIR/cp1.note"
fails "the triggers refuse UPDATE through SQL" \
	sqlite3 "$T_DIR/data/fsrelay.db" 'UPDATE events SET outcome = 1 WHERE seq = 1' 2>/dev/null

# ---- the daemon: a checkpoint per interval, mailed to the DPO ----
before=$(find "$DPO_MD/new" "$DPO_MD/cur" -type f 2>/dev/null | wc -l)
FSRELAY_NOW=2026-03-03T11:00:00Z "$FS" serve --once 2>>"$LOG"
FSRELAY_NOW=2026-03-03T11:00:05Z "$FS" serve --once 2>>"$LOG"
sleep 0.5
after=$(find "$DPO_MD/new" "$DPO_MD/cur" -type f 2>/dev/null | wc -l)
is "one checkpoint mail to the DPO" "$((after - before))" 1
last=$(ls -t "$DPO_MD"/new/* "$DPO_MD"/cur/* 2>/dev/null | head -n 1)
python3 - "$last" "$T_DIR/mailed.note" <<'PY'
import email, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
part = next(p for p in m.walk() if p.get_content_type() == "text/plain")
body = part.get_payload(decode=True).decode("utf-8")
start = body.index("fsrelay-audit\n")
end = body.index("\n", body.index("\u2014 fsrelay-audit ", start)) + 1
open(sys.argv[2], "w").write(body[start:end])
PY
ok "the mailed checkpoint verifies with note_check.py" \
	nc verify "$T_DIR/mailed.note" "$VKEY"
ok "and with audit verify --checkpoint" "$FS" audit verify --checkpoint "$T_DIR/mailed.note"
done_testing
