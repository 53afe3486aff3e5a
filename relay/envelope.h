/*
 * envelope - the sealed form of a case: a MIME message (.eml) holding the
 * description, the attachments under their original names, manifest.json
 * and manifest.sig (detached Ed25519 signature by the relay over the exact
 * bytes of manifest.json), encrypted as a binary age v1 file to the
 * referent's X25519 key (what the referent's side does with it:
 * docs/referent.md; the path of a case: docs/architecture.md § 3).
 *
 * Two versions, named by the signed manifest's "version": 2 (written since
 * issue 15) carries the attachments as raw bytes (Content-Transfer-Encoding:
 * binary, the part ending where the boundary line starts), so the case
 * mail is about 1.37 times its attachments (the age file's base64 only);
 * 1 carried them in base64 lines (about 1.88 times).  The description and
 * the manifest are base64 lines in both.  Every reader (envelope_open,
 * the opener page) accepts both; a part's encoding must be its version's.
 *
 * The writer is deterministic apart from the MIME boundary, and the reader
 * accepts only what the writer produces: every header line, part header,
 * base64 body and the manifest are re-rendered from what was parsed and
 * compared byte for byte.  Nothing read from a file is trusted before the
 * age MAC, the relay signature and the SHA-256 of every part are checked.
 * Decoded parts hold personal data: they are wiped when freed.
 */
#ifndef FSRELAY_ENVELOPE_H
#define FSRELAY_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

#define ENVELOPE_MAX_EML	(64 * 1024 * 1024)	/* decrypted .eml */
/* Description plus attachments, raw bytes: base64 lines grow them by
 * 78/57, and the manifest and headers need room. */
#define ENVELOPE_MAX_CONTENT	(ENVELOPE_MAX_EML / 78 * 57 - 2 * 1024 * 1024)
#define ENVELOPE_MAX_DOCS	64			/* attachments */
#define ENVELOPE_NAME_MAX	255			/* bytes of a file name */
#define ENVELOPE_MEDIA_MAX	127			/* bytes of a media type */
#define ENVELOPE_SIG_B64_LEN	88			/* base64 of 64 bytes */
#define ENVELOPE_DESCRIPTION_NAME "description.txt"
#define ENVELOPE_V1		1	/* attachments in base64 lines */
#define ENVELOPE_V2		2	/* attachments as raw bytes */
#define ENVELOPE_VERSION	ENVELOPE_V2	/* what the relay writes */

/* One attachment to seal (borrowed by envelope_seal). */
struct envelope_doc {
	const char	*name;		/* original name, UTF-8, no controls */
	const char	*media_type;	/* "type/subtype", RFC 2045 tokens */
	const uint8_t	*data;
	size_t		 len;
	/* The SHA-256 of data in 64 lowercase hex digits when the caller
	 * already has it (the store's documents.sha256, computed at intake),
	 * so that a 10 MB piece is not hashed again; NULL: computed here. */
	const char	*sha256;
};

struct envelope_in {
	const char	*ref;		/* FS-92032-2026-000123 */
	const char	*from, *to;	/* relay address, referent address */
	const char	*subject;	/* UTF-8 */
	const char	*message_id;	/* of the outer mail, without <> */
	int64_t		 time;		/* seconds since epoch, UTC */
	const uint8_t	*recipient_pk;	/* 32-byte X25519 key of the referent */
	const char	*description;	/* UTF-8 text */
	size_t		 description_len;
	const struct envelope_doc *docs;
	size_t		 n_docs;
	int		 version;	/* 0: ENVELOPE_VERSION; ENVELOPE_V1 writes
					 * the former form (readers' tests) */
};

/*
 * Build the .eml, sign its manifest with signing_sk (64-byte libsodium
 * Ed25519 secret key) and age-encrypt it to in->recipient_pk; the binary
 * age file is appended to *out (initialised by the caller, who frees it).
 * The clear .eml is wiped before returning.  0 on success; -1 with a
 * French reason in err (a field fails its check, duplicate names, too many
 * or too large parts, out's maximum reached, crypto failure); out is then
 * back to its previous length.
 */
int	envelope_seal(struct buf *out, const struct envelope_in *in,
	    const uint8_t signing_sk[64], char *err, size_t errlen);

/*
 * envelope_seal to a sink, as the age file is made (relay/age: 64 KiB
 * chunks): the attachments are read in place, never copied into a whole
 * .eml, so memory holds the attachments (the caller's), the text parts
 * and two chunks.  Same checks and errors; on -1 the caller discards what
 * the sink received.
 */
struct age_sink;
int	envelope_seal_stream(const struct age_sink *out, const struct envelope_in *in,
	    const uint8_t signing_sk[64], char *err, size_t errlen);

/* One decoded part; every pointer is owned by the envelope_opened. */
struct envelope_part {
	char		*name;
	char		*media_type;
	uint8_t		*data;
	size_t		 len;
};

struct envelope_opened {
	struct buf	 eml;		/* the decrypted .eml, byte for byte */
	char		 ref[32];
	char		 message_id[256];
	char		 recipient_fingerprint[80];	/* "SHA256:<hex>" */
	int64_t		 time;
	int		 version;	/* ENVELOPE_V1 or ENVELOPE_V2 */
	struct envelope_part description;	/* name "description.txt" */
	struct envelope_part *docs;
	size_t		 n_docs;
	struct buf	 manifest_json;	/* exact bytes of the part */
	struct buf	 manifest_sig;	/* exact bytes of the part: 88 chars of
					 * base64, no line end */
};

/*
 * Decrypt the age file with the referent's X25519 identity_sk, parse the
 * .eml strictly, verify manifest.sig over manifest.json with relay_pk
 * (32-byte Ed25519 public key), then check that the recipient fingerprint
 * is identity_sk's public key and that the description and every document
 * match the manifest (name, media type, size, SHA-256).  out need not be
 * initialised; the caller calls envelope_opened_free on success and on
 * failure.  0 on success; -1 with a precise French reason in err
 * ("déchiffrement impossible : …", "signature du relais invalide",
 * "pièce « x » modifiée (empreinte)", ...); out is then emptied.
 */
int	envelope_open(struct envelope_opened *out, const uint8_t *age_file,
	    size_t len, const uint8_t identity_sk[32], const uint8_t relay_pk[32],
	    char *err, size_t errlen);

/*
 * Parse a clear .eml (len bytes, no NUL needed) and check the parts against
 * the manifest, without decryption and without checking the signature or
 * the recipient: for the fuzzer and tests.  Same ownership and errors as
 * envelope_open.
 */
int	envelope_parse_eml(struct envelope_opened *out, const char *eml,
	    size_t len, char *err, size_t errlen);

/* Wipe and free everything out holds; out is left empty (may be called
 * again). */
void	envelope_opened_free(struct envelope_opened *out);

#define KEY_FINGERPRINT_LEN 72	/* "SHA256:" + 64 hex + NUL */
/* Write "SHA256:" + 64 lowercase hex of SHA-256(pk, 32 bytes) into out:
 * the fingerprint of every key people compare by phone (signing key,
 * referents' age keys, the relay identity). */
void	envelope_fingerprint(char out[KEY_FINGERPRINT_LEN], const uint8_t pk[32]);
/* The relay's Ed25519 public key from its 44-character base64 form (what
 * `fsrelay keys show signing` prints; surrounding blanks ignored).  0 /
 * -1. */
int	envelope_relay_key_parse(const char *s, uint8_t pk[32]);

#endif
