/*
 * b64 - a plain table-driven base64 encoder (RFC 4648 section 4, standard
 * alphabet, '=' padding), for the bulk of the mail the relay writes.
 *
 * Its memory accesses and timing depend on the bytes encoded, so it never
 * sees a key or a token: those stay with libsodium's constant-time
 * sodium_bin2base64.  It encodes (1) the outgoing mail's attachment, the
 * age ciphertext (what an observer of the SMTP link sees anyway), and (2)
 * the parts of the envelope's plaintext .eml (description, pieces) right
 * before age seals them.  For (2), a timing channel would need an attacker
 * measuring this process's cache behaviour on the relay host itself, which
 * already holds the plaintext: the threat model leaves the host's
 * integrity to the host (docs/threat-model.md), as every mail client and
 * MTA that base64-encodes attachments does.  On 140 KB it takes 0.1 ms
 * where sodium_bin2base64 takes 0.8 ms, most of the relay's CPU per
 * message (docs/performance.md).
 *
 * It is also the relay's one base64 decoder, in two modes: strict (age
 * headers: the canonical unpadded form only) and lenient (MIME bodies and
 * encoded-words as mail software writes them).  The bytes decoded are
 * public there too (age's ephemeral keys and MAC, received mail).
 *
 * Trusts: nothing; every size is overflow-checked.
 */
#ifndef FSRELAY_B64_H
#define FSRELAY_B64_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

/* Number of base64 characters for n bytes, padding included, NUL not
 * included; 0 for n = 0 and also when the result would not fit in a
 * size_t (callers with n > 0 must treat 0 as a failure). */
size_t	 b64_len(size_t n);

/*
 * Encode src[0..n) into dst as b64_len(n) characters followed by a
 * NUL (dstlen must be at least b64_len(n) + 1).  Same output as
 * sodium_bin2base64(..., sodium_base64_VARIANT_ORIGINAL).  0 on success;
 * -1 if dst is too small or the size overflows (dst then untouched).
 */
int	 b64_encode(char *dst, size_t dstlen, const uint8_t *src, size_t n);

/*
 * Append to out the base64 of src[0..n) as MIME lines: each line encodes
 * line_bytes input bytes (the last one what is left; 57 gives the 76
 * characters of RFC 2045) and ends with CRLF.  Nothing is appended for
 * n = 0.  line_bytes must be a multiple of 3 in [3, 3000], so that only the
 * last line carries padding.  0 on success; -1 if line_bytes is invalid or
 * out's maximum would be exceeded (out is then left as it was).
 */
int	 b64_mime_lines(struct buf *out, const uint8_t *src, size_t n,
	    size_t line_bytes);

/*
 * Strict decoding of s[0..n) (age, RFC 4648 without padding): only the 64
 * characters of the standard alphabet, no '=', no dangling character, and
 * the unused low bits of the last character zero, so that a byte string
 * has exactly one encoding.  At most outmax bytes into out, their number
 * in *outlen.  0; -1 on any refusal or if out is too small.
 */
int	 b64_decode_strict(uint8_t *out, size_t outmax, size_t *outlen,
	    const char *s, size_t n);

/*
 * Lenient decoding of s[0..n) appended to out (MIME base64 bodies and
 * RFC 2047 "B" words): any character outside the alphabet ('=', line
 * ends, spaces, junk) is skipped, a dangling partial group dropped, as
 * mail readers do.  0; -1 if out's maximum is reached (what fitted stays).
 */
int	 b64_decode_lenient(struct buf *out, const char *s, size_t n);

#endif
