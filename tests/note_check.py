#!/usr/bin/python3
"""note_check.py - independent verifier for fsrelay audit checkpoints.

Written from the specifications only (C2SP signed-note, C2SP tlog-checkpoint,
RFC 9162 section 2.1), with python3-nacl and hashlib, sharing no code with
relay/note.c and relay/merkle.c, so that the C implementation can be checked
against a second one and so that a data protection officer can verify a
checkpoint without trusting fsrelay.

Usage:
  note_check.py verify NOTE VKEY
      The note in file NOTE carries a valid signature by the verifier key
      in file VKEY (C2SP form "name+keyid+base64"); prints the note text.
  note_check.py checkpoint NOTE VKEY LEAVES
      As verify, then parses the text as a checkpoint and checks that its
      root is the RFC 9162 root of the first <size> leaves of LEAVES.
  note_check.py roots LEAVES
      Prints the hex root of the first n leaves for n = 0..count.

LEAVES holds one leaf per line, as the hex encoding of the leaf bytes (an
empty line is the empty leaf); each leaf is hashed as SHA-256(0x00 || leaf).

Exit status: 0 verified, 1 verification failed, 2 usage or file error.
"""

import base64
import binascii
import hashlib
import sys
import unicodedata

import nacl.exceptions
import nacl.signing

EM_DASH_PREFIX = "\u2014 "
MAX_SIGNATURES = 100


class Invalid(Exception):
    """Raised when a note, key or checkpoint does not verify."""


def b64decode_strict(s):
    try:
        raw = base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as e:
        raise Invalid("base64 invalide : %s" % e)
    if base64.b64encode(raw).decode("ascii") != s:
        raise Invalid("base64 non canonique")
    return raw


def valid_key_name(name):
    if name == "" or "+" in name:
        return False
    return not any(c.isspace() or unicodedata.category(c) == "Zs"
                   for c in name)


def key_id(name, alg_and_key):
    return hashlib.sha256(name.encode("utf-8") + b"\n" + alg_and_key).digest()[:4]


def parse_vkey(vkey):
    parts = vkey.split("+", 2)   # the base64 key may contain "+"
    if len(parts) != 3:
        raise Invalid("clé de vérification mal formée")
    name, hexid, b64key = parts
    if not valid_key_name(name) or len(hexid) != 8:
        raise Invalid("clé de vérification mal formée")
    try:
        kid = bytes.fromhex(hexid)
    except ValueError:
        raise Invalid("identifiant de clé non hexadécimal")
    key = b64decode_strict(b64key)
    if len(key) != 33 or key[0] != 0x01:
        raise Invalid("clé de vérification : pas une clé Ed25519")
    if key_id(name, key) != kid:
        raise Invalid("identifiant de clé incohérent avec la clé")
    return name, kid, nacl.signing.VerifyKey(key[1:])


def open_note(data, vkey):
    """Returns the note text (str) if a signature by vkey verifies."""
    name, kid, verify_key = parse_vkey(vkey)
    try:
        msg = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Invalid("note : UTF-8 invalide")
    if any(ord(c) < 0x20 and c != "\n" for c in msg):
        raise Invalid("note : caractère de contrôle")
    split = msg.rfind("\n\n")
    if split < 0:
        raise Invalid("note : pas de ligne vide avant les signatures")
    text, sigs = msg[:split + 1], msg[split + 2:]
    if sigs == "" or not sigs.endswith("\n"):
        raise Invalid("note : bloc de signatures mal formé")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise Invalid("note : trop de signatures")
    verified = False
    for line in lines:
        if not line.startswith(EM_DASH_PREFIX):
            raise Invalid("note : ligne de signature mal formée")
        sig_name, sep, b64 = line[len(EM_DASH_PREFIX):].partition(" ")
        if sep == "" or not valid_key_name(sig_name):
            raise Invalid("note : ligne de signature mal formée")
        raw = b64decode_strict(b64)
        if len(raw) < 5:
            raise Invalid("note : signature trop courte")
        if sig_name != name or raw[:4] != kid:
            continue        # unknown key: ignored, as the spec requires
        if len(raw) != 4 + 64:
            raise Invalid("note : signature Ed25519 de mauvaise taille")
        try:
            verify_key.verify(text.encode("utf-8"), raw[4:])
        except nacl.exceptions.BadSignatureError:
            raise Invalid("note : signature invalide pour %s" % name)
        verified = True
    if not verified:
        raise Invalid("note : aucune signature de la clé %s" % name)
    return text


def parse_checkpoint(text):
    if not text.endswith("\n"):
        raise Invalid("point de contrôle : pas de fin de ligne")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(line == "" for line in lines):
        raise Invalid("point de contrôle : lignes manquantes ou vides")
    origin, size_s, root_b64 = lines[0], lines[1], lines[2]
    if not size_s.isascii() or not size_s.isdigit() or \
            (len(size_s) > 1 and size_s[0] == "0"):
        raise Invalid("point de contrôle : taille mal formée")
    size = int(size_s)
    if size >= 1 << 64:
        raise Invalid("point de contrôle : taille trop grande")
    root = b64decode_strict(root_b64)
    if len(root) != 32:
        raise Invalid("point de contrôle : racine de mauvaise taille")
    return origin, size, root


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def mth(hashes):
    """RFC 9162 MTH, recursive, from the definition."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()


def read_leaves(path):
    with open(path, "r", encoding="ascii") as f:
        content = f.read()
    if content == "":
        return []
    if not content.endswith("\n"):
        raise Invalid("fichier de feuilles : pas de fin de ligne")
    try:
        return [leaf_hash(bytes.fromhex(line))
                for line in content[:-1].split("\n")]
    except ValueError:
        raise Invalid("fichier de feuilles : hexadécimal invalide")


def read_vkey(path):
    with open(path, "r", encoding="utf-8") as f:
        return f.read().strip()


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "verify":
            with open(argv[2], "rb") as f:
                text = open_note(f.read(), read_vkey(argv[3]))
            sys.stdout.write(text)
            return 0
        if len(argv) == 5 and argv[1] == "checkpoint":
            with open(argv[2], "rb") as f:
                text = open_note(f.read(), read_vkey(argv[3]))
            origin, size, root = parse_checkpoint(text)
            hashes = read_leaves(argv[4])
            if size > len(hashes):
                raise Invalid("point de contrôle : %d feuilles annoncées, "
                              "%d disponibles" % (size, len(hashes)))
            if mth(hashes[:size]) != root:
                raise Invalid("point de contrôle : la racine ne correspond "
                              "pas aux feuilles")
            print("OK %s taille %d racine %s" % (origin, size, root.hex()))
            return 0
        if len(argv) == 3 and argv[1] == "roots":
            hashes = read_leaves(argv[2])
            for n in range(len(hashes) + 1):
                print(mth(hashes[:n]).hex())
            return 0
    except Invalid as e:
        print("ÉCHEC : %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("erreur : %s" % e, file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
