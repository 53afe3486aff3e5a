#!/usr/bin/env python3
"""manwrap FILE... - rewrap the text lines of man(7) sources to 78 bytes
(mandoc -Tlint style), leaving requests (lines starting with . or ') and
no-fill blocks (.nf ... .fi) alone.  A maintainer tool, not run by make."""
import sys

def width(s):
    """mandoc -Tlint measures the line with each non-ASCII character
    written as an escape such as \\[u00E9] (8 bytes)."""
    return sum(1 if ord(c) < 128 else 8 for c in s)

def wrap(words):
    out, cur = [], ""
    for w in words:
        cand = w if not cur else cur + " " + w
        if cur and width(cand) > 78:
            out.append(cur)
            cur = w
        else:
            cur = cand
    if cur:
        out.append(cur)
    # A line may not start with a control character.
    return [("\\&" + l) if l[:1] in ".'" else l for l in out]

for path in sys.argv[1:]:
    lines = open(path, encoding="utf-8").read().split("\n")
    res, para, nofill, tag = [], [], False, False
    def flush():
        if para:
            res.extend(wrap(" ".join(para).split()))
            para.clear()
    for l in lines:
        if tag:
            # The line after .TP is the tag: kept alone.
            res.append(l)
            tag = False
        elif nofill or l.startswith((".", "'")) or l == "":
            flush()
            if l.startswith(".nf") or l.startswith(".EX"):
                nofill = True
            elif l.startswith(".fi") or l.startswith(".EE"):
                nofill = False
            res.append(l)
            tag = l == ".TP"
        else:
            para.append(l)
    flush()
    open(path, "w", encoding="utf-8").write("\n".join(res))
