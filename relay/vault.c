/*
 * vault - XChaCha20-Poly1305 sealing at rest with associated data that
 * binds table, column, row and key id; per-case data keys wrapped under the
 * KEK.  See vault.h.  Trusts the caller's keys; authenticates every
 * ciphertext before releasing plaintext and caps its size before any work.
 */
#include "relay/vault.h"
#include "relay/port/random.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define AD_PREFIX	"fsrelay-v1"
#define AD_MAX		(sizeof(AD_PREFIX) + 3 * (VAULT_AD_NAME_MAX + 1) + 24)
#define KEK_ID_DOMAIN	"fsrelay-kek-id"

_Static_assert(VAULT_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    "vault key size");
_Static_assert(VAULT_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    "vault nonce size");
_Static_assert(VAULT_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES,
    "vault tag size");
_Static_assert(VAULT_KEK_ID_LEN / 2 <= crypto_hash_sha256_BYTES,
    "kek id longer than the hash");

/* A name that goes into the AD: 1..VAULT_AD_NAME_MAX printable ASCII
 * characters, no '|' (the separator), so the AD string is injective. */
static int
ad_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= VAULT_AD_NAME_MAX)
			return 0;
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '|')
			return 0;
	}
	return 1;
}

/* Build the AD string into buf (size AD_MAX).  0 / -1 on a bad name. */
static int
ad_format(char *buf, size_t size, const struct vault_ad *ad, size_t *len_r)
{
	int n;

	if (ad == NULL || !ad_name_ok(ad->table) || !ad_name_ok(ad->column) ||
	    !ad_name_ok(ad->key_id))
		return -1;
	n = snprintf(buf, size, AD_PREFIX "|%s|%s|%" PRId64 "|%s",
	    ad->table, ad->column, ad->row, ad->key_id);
	if (n < 0 || (size_t)n >= size)
		return -1;
	*len_r = (size_t)n;
	return 0;
}

int
vault_seal(struct buf *out, const uint8_t key[VAULT_KEY_BYTES],
    const struct vault_ad *ad, const uint8_t *pt, size_t ptlen)
{
	static const uint8_t empty[1];
	char adbuf[AD_MAX];
	unsigned long long clen;
	uint8_t *ct;
	size_t adlen, ctlen;

	if (ad_format(adbuf, sizeof(adbuf), ad, &adlen) == -1)
		return -1;
	if (ptlen > SIZE_MAX - VAULT_OVERHEAD ||
	    ptlen > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return -1;
	if (pt == NULL) {
		if (ptlen != 0)
			return -1;
		pt = empty;
	}
	ctlen = ptlen + VAULT_OVERHEAD;
	/* sealed in place at the end of out: no second copy of a piece */
	if (buf_reserve(out, ctlen) < 0)
		return -1;
	ct = (uint8_t *)out->p + out->len;
	random_bytes(ct, VAULT_NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(ct + VAULT_NONCE_BYTES,
	    &clen, pt, ptlen, (const uint8_t *)adbuf, adlen, NULL, ct,
	    key) != 0 || clen != ptlen + VAULT_TAG_BYTES) {
		sodium_memzero(ct, ctlen);
		return -1;
	}
	out->len += ctlen;
	out->p[out->len] = '\0';
	return 0;
}

int
vault_open(struct buf *out, const uint8_t key[VAULT_KEY_BYTES],
    const struct vault_ad *ad, const uint8_t *ct, size_t ctlen, size_t maxlen)
{
	char adbuf[AD_MAX];
	unsigned long long mlen;
	uint8_t *pt;
	size_t adlen, ptlen;

	if (ct == NULL || ctlen > maxlen || ctlen < VAULT_OVERHEAD)
		return -1;
	if (ad_format(adbuf, sizeof(adbuf), ad, &adlen) == -1)
		return -1;
	ptlen = ctlen - VAULT_OVERHEAD;
	/* opened in place at the end of out: no second copy of a piece */
	if (buf_reserve(out, ptlen) < 0)
		return -1;
	pt = (uint8_t *)out->p + out->len;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &mlen, NULL,
	    ct + VAULT_NONCE_BYTES, ctlen - VAULT_NONCE_BYTES,
	    (const uint8_t *)adbuf, adlen, ct, key) != 0 || mlen != ptlen) {
		sodium_memzero(pt, ptlen);
		return -1;
	}
	out->len += ptlen;
	out->p[out->len] = '\0';
	return 0;
}

uint8_t *
vault_key_new(void)
{
	uint8_t *key;

	if ((key = sodium_malloc(VAULT_KEY_BYTES)) == NULL)
		return NULL;
	random_bytes(key, VAULT_KEY_BYTES);
	if (sodium_mprotect_readonly(key) != 0) {
		sodium_free(key);
		return NULL;
	}
	return key;
}

void
vault_key_free(uint8_t *key)
{
	/* sodium_free makes the pages writable again and zeroes them. */
	if (key != NULL)
		sodium_free(key);
}

static void
dek_ad(struct vault_ad *ad, const char *kek_id, int64_t case_row)
{
	ad->table = "case_keys";
	ad->column = "dek";
	ad->row = case_row;
	ad->key_id = kek_id;
}

int
vault_wrap_key(struct buf *out, const uint8_t kek[VAULT_KEY_BYTES],
    const char *kek_id, int64_t case_row, const uint8_t dek[VAULT_KEY_BYTES])
{
	struct vault_ad ad;

	dek_ad(&ad, kek_id, case_row);
	return vault_seal(out, kek, &ad, dek, VAULT_KEY_BYTES);
}

uint8_t *
vault_unwrap_key(const uint8_t kek[VAULT_KEY_BYTES], const char *kek_id,
    int64_t case_row, const uint8_t *wrapped, size_t len)
{
	struct vault_ad ad;
	char adbuf[AD_MAX];
	unsigned long long mlen;
	uint8_t *dek;
	size_t adlen;

	if (wrapped == NULL || len != VAULT_WRAPPED_KEY_BYTES)
		return NULL;
	dek_ad(&ad, kek_id, case_row);
	if (ad_format(adbuf, sizeof(adbuf), &ad, &adlen) == -1)
		return NULL;
	if ((dek = sodium_malloc(VAULT_KEY_BYTES)) == NULL)
		return NULL;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dek, &mlen, NULL,
	    wrapped + VAULT_NONCE_BYTES, len - VAULT_NONCE_BYTES,
	    (const uint8_t *)adbuf, adlen, wrapped, kek) != 0 ||
	    mlen != VAULT_KEY_BYTES || sodium_mprotect_readonly(dek) != 0) {
		sodium_free(dek);
		return NULL;
	}
	return dek;
}

void
vault_kek_id(char out[VAULT_KEK_ID_LEN + 1], const uint8_t kek[VAULT_KEY_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	if (crypto_hash_sha256_init(&st) != 0 ||
	    crypto_hash_sha256_update(&st, (const uint8_t *)KEK_ID_DOMAIN,
	    sizeof(KEK_ID_DOMAIN) - 1) != 0 ||
	    crypto_hash_sha256_update(&st, kek, VAULT_KEY_BYTES) != 0 ||
	    crypto_hash_sha256_final(&st, h) != 0)
		fatalx("vault : échec de SHA-256");
	fs_hex(out, h, VAULT_KEK_ID_LEN / 2);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(h, sizeof(h));
}
