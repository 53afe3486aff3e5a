/*
 * age - writer and reader for age v1 files (https://c2sp.org/age) with
 * X25519 recipients, on libsodium 1.0.18: HKDF-SHA-256 over HMAC-SHA-256,
 * X25519, ChaCha20-Poly1305 (IETF) and the 64 KiB STREAM payload.
 *
 * Trusts nothing in a file to decrypt: the header grammar is checked
 * strictly (canonical unpadded base64, 64-column bodies), the header MAC
 * and every payload chunk are authenticated before any plaintext is kept,
 * and the output is bounded.  Only the binary format is handled (no ASCII
 * armor), and only X25519 identities (scrypt and other stanza types are
 * parsed and skipped, except that a scrypt stanza must be alone).
 */
#ifndef FSRELAY_AGE_H
#define FSRELAY_AGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "relay/util.h"

#define AGE_X25519_KEY_BYTES	32
#define AGE_FILE_KEY_BYTES	16
#define AGE_CHUNK_SIZE		65536
/* Lengths of the text forms, NUL not included. */
#define AGE_RECIPIENT_LEN	62	/* "age1" + 52 + 6 */
#define AGE_IDENTITY_LEN	74	/* "AGE-SECRET-KEY-" "1" + 52 + 6 */
/* Most stanzas a header may hold before the reader gives up. */
#define AGE_MAX_STANZAS		1024

/* Parse an "age1..." recipient (either case, not mixed; Bech32 checksum
 * checked) into a 32-byte X25519 public key.  0 / -1 with *errstr (static,
 * French). */
int	age_recipient_parse(const char *s, uint8_t pk[AGE_X25519_KEY_BYTES],
	    const char **errstr);

/* Write the "age1..." form of pk into out (outlen >= AGE_RECIPIENT_LEN + 1).
 * 0 / -1 if out is too small. */
int	age_recipient_format(char *out, size_t outlen,
	    const uint8_t pk[AGE_X25519_KEY_BYTES]);

/* Parse an identity as written by age-keygen: lines that are empty or
 * start with '#' are skipped (CRLF accepted), and exactly one
 * "AGE-SECRET-KEY-..." line must remain.  sk receives the X25519 secret
 * key (wiped on failure).  0 / -1 with *errstr (static, French). */
int	age_identity_parse(const char *text, uint8_t sk[AGE_X25519_KEY_BYTES],
	    const char **errstr);

/* Write the uppercase "AGE-SECRET-KEY-..." form of sk into out (outlen >=
 * AGE_IDENTITY_LEN + 1).  0 / -1 if out is too small.  The caller wipes out
 * when done. */
int	age_identity_format(char *out, size_t outlen,
	    const uint8_t sk[AGE_X25519_KEY_BYTES]);

/* Make a fresh X25519 key pair.  0 / -1 (libsodium failure). */
int	age_keygen(uint8_t sk[AGE_X25519_KEY_BYTES],
	    uint8_t pk[AGE_X25519_KEY_BYTES]);

/* Encrypt ptlen bytes of pt to the n (>= 1) recipients into a binary (not
 * armored) age v1 file, appended to out (initialised by the caller with
 * buf_init and a maximum; the caller frees it).  A fresh 16-byte file key
 * and a fresh ephemeral key per stanza are drawn.  0 on success; -1 if n is
 * 0, a recipient is a low-order point, or out's maximum would be exceeded
 * (out is then back to its previous length). */
int	age_encrypt(struct buf *out,
	    const uint8_t (*recipients)[AGE_X25519_KEY_BYTES], size_t n,
	    const uint8_t *pt, size_t ptlen);

/* Decrypt the binary age v1 file in (inlen bytes) with the X25519 identity
 * sk, appending the plaintext to out (initialised by the caller, who frees
 * it).  Plaintext beyond maxlen bytes (or beyond out's maximum) is an
 * error.  On any failure nothing is kept: the bytes appended are wiped and
 * out is back to its previous length.  0 on success; -1 with *errstr
 * (static, French) on a bad version line, a malformed header or stanza, a
 * bad X25519 stanza, an all-zero shared secret, a scrypt stanza mixed with
 * others, no matching stanza, a bad header MAC, a truncated, altered or
 * over-long payload, or an empty final chunk after other chunks. */
int	age_decrypt(struct buf *out, const uint8_t sk[AGE_X25519_KEY_BYTES],
	    const uint8_t *in, size_t inlen, size_t maxlen, const char **errstr);

/*
 * The first ASCII-armored age file (`age -a`: « -----BEGIN AGE ENCRYPTED
 * FILE----- », base64 lines, « -----END AGE ENCRYPTED FILE----- ») in
 * text[0..n): 0 with its binary form appended to out and the block's
 * offsets [*start_r, *end_r) in text (blanks and CRs in the lines
 * ignored); 1 when there is none; -1 with *errstr (static, French) when
 * it is cut or its base64 is invalid.  Pure.
 */
int	age_armor_find(const char *text, size_t n, size_t *start_r, size_t *end_r,
	    struct buf *out, const char **errstr);

/*
 * Streaming forms: the plaintext or the age file read from a source and
 * written to a sink 64 KiB at a time, so that memory does not depend on
 * the size (one chunk of each, plus the header).
 */
struct age_source {
	/* Up to n bytes into p: the count (0 at the end) or -1. */
	ssize_t	(*read)(void *ctx, uint8_t *p, size_t n);
	void	*ctx;
};
struct age_sink {
	/* All n bytes, or -1 with *errstr (static, French). */
	int	(*write)(void *ctx, const uint8_t *p, size_t n,
		    const char **errstr);
	void	*ctx;
};

/* age_encrypt from a source to a sink.  0; -1 with *errstr (static,
 * French): no or too many recipients, a low-order recipient, a read or
 * write failure. */
int	age_encrypt_stream(const struct age_sink *out,
	    const uint8_t (*recipients)[AGE_X25519_KEY_BYTES], size_t n,
	    const struct age_source *in, const char **errstr);

/* age_decrypt from a source to a sink, with the same checks and errors.
 * Each chunk reaches the sink only once it authenticates, but a later
 * chunk may still fail (an altered or cut file): on -1 the caller discards
 * everything the sink received (a file: written aside, renamed only on
 * success).  maxlen bounds the plaintext (SIZE_MAX: no bound). */
int	age_decrypt_stream(const struct age_sink *out,
	    const uint8_t sk[AGE_X25519_KEY_BYTES], const struct age_source *in,
	    size_t maxlen, const char **errstr);

/* The same between two file descriptors (read and write retried on EINTR
 * and short counts). */
int	age_encrypt_fd(int out,
	    const uint8_t (*recipients)[AGE_X25519_KEY_BYTES], size_t n,
	    int in, const char **errstr);
int	age_decrypt_fd(int out, const uint8_t sk[AGE_X25519_KEY_BYTES], int in,
	    size_t maxlen, const char **errstr);

/* HKDF-SHA-256 (RFC 5869): derive outlen (<= 255 * 32) bytes from ikm with
 * salt (may be empty) and info.  0 / -1 (bad length or libsodium failure;
 * out is then wiped). */
int	age_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm,
	    size_t ikmlen, const uint8_t *salt, size_t saltlen,
	    const uint8_t *info, size_t infolen);

#endif
