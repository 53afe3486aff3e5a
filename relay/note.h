/*
 * note - C2SP signed notes (https://c2sp.org/signed-note) with Ed25519
 * signatures, their verifier and signer key strings, and C2SP checkpoints
 * (https://c2sp.org/tlog-checkpoint), the signed tree heads of the audit
 * log.  Byte-compatible with Go's golang.org/x/mod/sumdb/note.
 *
 *	key ID        = SHA-256(name || 0x0A || 0x01 || pk)[:4], big-endian
 *	verifier key  = <name>+<keyid, 8 hex>+<base64(0x01 || pk)>
 *	signer key    = PRIVATE+KEY+<name>+<keyid>+<base64(0x01 || seed)>
 *	signed note   = <text ending in \n> \n (— <name> <base64(keyid||sig)>\n)+
 *	checkpoint    = <origin>\n<size, decimal>\n<base64(root)>\n[ext lines]
 *
 * Trusts nothing in the notes, key strings and checkpoint bodies it
 * parses: UTF-8, control characters, key names, base64 (canonical, padded),
 * lengths and key IDs are all checked.  Secret keys are only ever read from
 * the caller's memory and the temporaries are wiped.  Ed25519 is libsodium's
 * (sodium_init() must have been called).  Error strings are static French
 * messages for the user.
 */
#ifndef FSRELAY_NOTE_H
#define FSRELAY_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

/* Longest key name (bytes) this module produces or accepts for a key. */
#define NOTE_NAME_MAX	255
/* Buffer sizes, NUL included, for key strings with a name of at most
 * NOTE_NAME_MAX bytes. */
#define NOTE_VKEY_MAX	(NOTE_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define NOTE_SKEY_MAX	(12 + NOTE_VKEY_MAX)
/* Largest note note_verify accepts, and most signature lines. */
#define NOTE_MAX_LEN	(64 * 1024)
#define NOTE_MAX_SIGS	100

/* 0 if name (a NUL-terminated string) may be a key name: 1 to
 * NOTE_NAME_MAX bytes of valid UTF-8 with no control character, no Unicode
 * space and no '+'.  -1 otherwise. */
int	note_name_check(const char *name);

/* *keyid_r = the C2SP key ID of the Ed25519 public key pk under name.
 * 0 on success; -1 if name is not a valid key name. */
int	note_keyid(uint32_t *keyid_r, const char *name, const uint8_t pk[32]);

/* Write the verifier key string of (name, pk) into out (outlen bytes,
 * NOTE_VKEY_MAX always suffices), NUL-terminated.  0 on success; -1 if
 * the name is invalid or out too small (out is then "" if outlen > 0). */
int	note_vkey_format(char *out, size_t outlen, const char *name,
	    const uint8_t pk[32]);

/* Parse the verifier key string vkey (no trailing newline: strip it when
 * reading a file).  On success returns 0 and fills name (namelen bytes,
 * NUL-terminated), pk and, if keyid_r is not NULL, the key ID.  -1 with
 * *errstr set if it is malformed, not Ed25519, its key ID does not match
 * the key, or the name does not fit. */
int	note_vkey_parse(const char *vkey, char *name, size_t namelen,
	    uint8_t pk[32], uint32_t *keyid_r, const char **errstr);

/* Write the signer key string of (name, sk) (sk: 64-byte libsodium form,
 * seed || pk) into out (NOTE_SKEY_MAX always suffices).  The string is a
 * secret: the caller wipes it.  0 on success; -1 as note_vkey_format. */
int	note_skey_format(char *out, size_t outlen, const char *name,
	    const uint8_t sk[64]);

/* Parse a signer key string into name and sk (64-byte libsodium form, in
 * memory the caller provides, ideally sodium_malloc'd, and wipes).  The key
 * ID must match the key derived from the seed.  0 on success; -1 with
 * *errstr (sk is then wiped). */
int	note_skey_parse(const char *skey, char *name, size_t namelen,
	    uint8_t sk[64], const char **errstr);

/* Sign body with the Ed25519 secret key sk (64-byte libsodium form) under
 * key name name, and append the whole signed note (body, blank line,
 * signature line) to out.  body must be non-empty, end with '\n', be valid
 * UTF-8 without control characters other than '\n', and be at most
 * NOTE_MAX_LEN bytes; it may contain empty lines.  The signature is checked
 * against sk's public half before it is written.  0 on success; -1 if an
 * argument is invalid, signing fails or out's maximum is reached (out is
 * then as it was). */
int	note_sign(struct buf *out, const char *body, const char *name,
	    const uint8_t sk[64]);

/* Verify the len-byte signed note `note` against the verifier key string
 * vkey.  Per the spec, signatures by other keys (other name or key ID) are
 * ignored, but at least one signature by vkey must be present, and every
 * signature by vkey must verify.  On success returns 0 and points
 * *body_r / *bodylen_r at the note text inside `note` (final newline
 * included, separating blank line excluded).  -1 with *errstr if vkey is
 * invalid, the note is malformed (bad UTF-8, control characters, no blank
 * line, bad signature line, more than NOTE_MAX_SIGS signatures, larger
 * than NOTE_MAX_LEN), or no valid signature by vkey is found. */
int	note_verify(const char *note, size_t len, const char *vkey,
	    const char **body_r, size_t *bodylen_r, const char **errstr);

/* Append the checkpoint text "<origin>\n<size>\n<base64 root>\n" to body.
 * origin must be a valid key name (the spec recommends the log's key name
 * match it).  0 on success; -1 if origin is invalid or body's maximum is
 * reached (body is then as it was). */
int	checkpoint_format(struct buf *body, const char *origin, uint64_t size,
	    const uint8_t root[32]);

/* Parse a checkpoint text (the body note_verify returns): at least three
 * non-empty lines, ending with '\n'; the size in decimal without leading
 * zeros; the root as canonical base64 of 32 bytes; extension lines, if
 * any, non-empty and ignored.  On success returns 0 and fills origin
 * (originlen bytes, NUL-terminated), *size_r and root.  -1 with *errstr. */
int	checkpoint_parse(const char *body, size_t len, char *origin,
	    size_t originlen, uint64_t *size_r, uint8_t root[32],
	    const char **errstr);

#endif
