#!/usr/bin/env python3
# bench/scale_clone.py DB TEMPLATE_ID COUNT TAG - add COUNT copies of case
# TEMPLATE_ID to the fsrelay store DB, for bench/scale (not a test).
#
# Each copy gets every row the template has in cases, case_keys, messages,
# documents and deliveries (same sizes, same states, same times), with
# fresh values where a real case has its own: reference (TAG-0000001...),
# reply token, blind index, Message-IDs, and sealed columns replaced by
# random bytes of the same length (the wrapped case key too: a copy
# cannot be decrypted, and nothing in a pass decrypts a case that is not
# being sent).  Columns are read from the schema, so the same script fills
# a store of the previous version (the baseline binary) and of this one;
# columns the template does not set keep their defaults (remind_at = -1 in
# the current schema: the next pass computes it, as after a migration).
# One transaction; ids are allocated after the current maximum.
import sqlite3
import sys

db, tmpl, count, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA busy_timeout = 10000")
con.execute("BEGIN IMMEDIATE")


def cols(table):
    return [r[1] for r in con.execute("PRAGMA table_info(%s)" % table)]


def blob(col):
    return "CASE WHEN t.%s IS NULL THEN NULL ELSE randomblob(length(t.%s)) END" % (col, col)


def clone(table, where, over):
    """INSERT ... SELECT of table's template rows for every copy; over maps a
    column to its SQL expression (t = template row, s.i = copy number)."""
    names = [c for c in cols(table) if c in over or c not in ("id", "remind_at")]
    exprs = [over.get(c, "t." + c) for c in names]
    con.execute("INSERT INTO %s (%s) SELECT %s FROM seq s, %s t WHERE %s ORDER BY s.i%s"
                % (table, ", ".join(names), ", ".join(exprs), table, where,
                   ", t.id" if "id" in cols(table) else ""))


con.execute("CREATE TEMP TABLE seq (i INTEGER PRIMARY KEY)")
con.execute("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?)"
            " INSERT INTO seq SELECT i FROM r", (count,))
cbase = con.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0]
mbase = con.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
# the template's messages, ranked: a copy's message k gets id mbase + (i-1)*mc + k
con.execute("CREATE TEMP TABLE tm (k INTEGER PRIMARY KEY, id INTEGER UNIQUE)")
con.execute("INSERT INTO tm (id) SELECT id FROM messages WHERE case_id = ? ORDER BY id", (tmpl,))
mc = con.execute("SELECT count(*) FROM tm").fetchone()[0]
newcase = "%d + s.i" % cbase
newmsg = ("CASE WHEN t.message_id = 0 THEN 0 ELSE %d + (s.i - 1) * %d +"
          " (SELECT k FROM tm WHERE tm.id = t.message_id) END" % (mbase, mc))

clone("cases", "t.id = %d" % tmpl, {
    "id": newcase,
    "ref": "printf('%s-%%07d', s.i)" % tag,
    "reply_token": "lower(hex(randomblob(max(length(t.reply_token) / 2, 1))))",
    "blind_index": "randomblob(length(t.blind_index))",
    "person": blob("person"), "description": blob("description"),
})
clone("case_keys", "t.case_id = %d" % tmpl, {
    "case_id": newcase, "wrapped": "randomblob(length(t.wrapped))"})
clone("messages", "t.case_id = %d" % tmpl, {
    "id": "%d + (s.i - 1) * %d + (SELECT k FROM tm WHERE tm.id = t.id)" % (mbase, mc),
    "case_id": newcase,
    "message_id": "CASE WHEN t.message_id = '' THEN '' ELSE"
                  " printf('<%s.%%d.%%d@bench.fsrelay.test>', s.i, t.id) END" % tag,
    "text": blob("text"),
})
clone("documents", "t.case_id = %d" % tmpl, {
    "case_id": newcase, "message_id": newmsg, "name": blob("name"),
    "content": blob("content")})
clone("deliveries", "t.case_id = %d" % tmpl, {
    "case_id": newcase, "message_id": newmsg,
    "blind_index": "randomblob(length(t.blind_index))",
    "smtp_message_id": "CASE WHEN t.smtp_message_id = '' THEN '' ELSE"
                       " printf('<%s.%%d.%%d@bench.fsrelay.test>', s.i, t.id) END" % tag,
})
con.execute("COMMIT")
