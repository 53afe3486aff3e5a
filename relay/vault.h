/*
 * vault - at-rest sealing of personal fields and documents.
 *
 * XChaCha20-Poly1305-IETF with a random 24-byte nonce per seal (192 bits:
 * random nonces do not collide, unlike the 96 bits of ChaCha20-Poly1305-
 * IETF, so no counter has to be kept), under a random per-case data
 * key (DEK).  The associated data binds where a ciphertext lives:
 *
 *	"fsrelay-v1|<table>|<column>|<row id>|<key id>"
 *
 * so a ciphertext copied to another table, column, row, or read with
 * another key id, fails to open.  DEKs are stored only wrapped under the
 * key-encryption key (KEK); dropping the wrapped DEK shreds the case.
 *
 * Trusts: its callers for keys (32 bytes each) and for the AD names, which
 * are checked anyway (printable ASCII without '|', so the AD is
 * unambiguous).  Trusts nothing in a ciphertext: everything is
 * authenticated before a byte of plaintext is released.
 *
 * sodium_init() must have been called (keystore_harden_process does).
 */
#ifndef FSRELAY_VAULT_H
#define FSRELAY_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

#define VAULT_KEY_BYTES		32
#define VAULT_NONCE_BYTES	24
#define VAULT_TAG_BYTES		16
#define VAULT_OVERHEAD		(VAULT_NONCE_BYTES + VAULT_TAG_BYTES)
#define VAULT_KEK_ID_LEN	16	/* hex chars */
#define VAULT_AD_NAME_MAX	64	/* longest table, column or key id */
#define VAULT_WRAPPED_KEY_BYTES	(VAULT_OVERHEAD + VAULT_KEY_BYTES)

/* Where a ciphertext lives.  table, column and key_id: 1 to
 * VAULT_AD_NAME_MAX printable ASCII characters, no '|'. */
struct vault_ad {
	const char	*table;
	const char	*column;
	int64_t		 row;
	const char	*key_id;
};

/*
 * Seal pt (ptlen bytes, may be 0) under key.  Appends
 * nonce (24) || ciphertext || tag (16), i.e. ptlen + VAULT_OVERHEAD bytes,
 * to *out (caller-initialised with buf_init; its max applies).
 * 0 on success; -1 on a bad AD, a size overflow, out's maximum reached or
 * a libsodium failure, with *out unchanged.
 */
int	 vault_seal(struct buf *out, const uint8_t key[VAULT_KEY_BYTES],
	    const struct vault_ad *ad, const uint8_t *pt, size_t ptlen);

/*
 * Open ct (ctlen bytes) sealed by vault_seal with the same key and AD.
 * Refuses (-1) before any work when ctlen > maxlen or ctlen <
 * VAULT_OVERHEAD.  Appends the plaintext to *out on success (0).
 * -1 on any authentication failure (wrong key, wrong AD, altered or
 * truncated ciphertext), a bad AD, or out's maximum reached; *out is
 * then unchanged and no plaintext was released.
 */
int	 vault_open(struct buf *out, const uint8_t key[VAULT_KEY_BYTES],
	    const struct vault_ad *ad, const uint8_t *ct, size_t ctlen,
	    size_t maxlen);

/*
 * A new random DEK in sodium_malloc'd memory, made read-only.  NULL if
 * memory could not be allocated.  Free with vault_key_free.
 */
uint8_t	*vault_key_new(void);

/* Wipe and free a key from vault_key_new or vault_unwrap_key; NULL ok. */
void	 vault_key_free(uint8_t *key);

/*
 * Wrap dek under kek for the case of row case_row: vault_seal with AD
 * {"case_keys", "dek", case_row, kek_id}.  Appends
 * VAULT_WRAPPED_KEY_BYTES bytes to *out.  0 / -1 as vault_seal.
 */
int	 vault_wrap_key(struct buf *out, const uint8_t kek[VAULT_KEY_BYTES],
	    const char *kek_id, int64_t case_row,
	    const uint8_t dek[VAULT_KEY_BYTES]);

/*
 * Unwrap a DEK wrapped by vault_wrap_key.  Returns it in sodium_malloc'd,
 * read-only memory (free with vault_key_free), or NULL when the wrapped
 * key does not authenticate under kek/kek_id/case_row, has the wrong
 * length, or memory is short.
 */
uint8_t	*vault_unwrap_key(const uint8_t kek[VAULT_KEY_BYTES],
	    const char *kek_id, int64_t case_row, const uint8_t *wrapped,
	    size_t len);

/*
 * KEK id: the first 16 lowercase hex chars of
 * SHA-256("fsrelay-kek-id" || kek).  Names the KEK (stored beside each
 * wrapped DEK, for rotation) without revealing it.  Never fails.
 */
void	 vault_kek_id(char out[VAULT_KEK_ID_LEN + 1],
	    const uint8_t kek[VAULT_KEY_BYTES]);

#endif
