/*
 * test_vault - sealing round trips, AD binding (each component), tamper
 * and truncation detection, size cap, key wrapping, KEK id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relay/util.h"
#include "relay/vault.h"
#include "tests/unit/t.h"

#define MAXCT	(1 << 20)

static const uint8_t msg[] = "NIR 1 85 02 92 032 123 45 - Élodie N'Diaye";

static struct vault_ad
mkad(const char *table, const char *column, int64_t row, const char *key_id)
{
	struct vault_ad ad = { table, column, row, key_id };

	return ad;
}

/* Open ct with ad and key; 0 if it opened and gave msg back. */
static int
opens(const uint8_t *key, const struct vault_ad *ad, const uint8_t *ct,
    size_t ctlen)
{
	struct buf pt;
	int r;

	buf_init(&pt, MAXCT);
	r = vault_open(&pt, key, ad, ct, ctlen, MAXCT);
	if (r == 0 && (pt.len != sizeof(msg) || memcmp(pt.p, msg, pt.len) != 0))
		r = -2;
	if (r != 0)
		CHECK_INT(pt.len, 0);	/* nothing released on failure */
	buf_free(&pt);
	return r;
}

static void
test_round_trip_and_ad(void)
{
	uint8_t key[VAULT_KEY_BYTES], key2[VAULT_KEY_BYTES];
	struct vault_ad ad = mkad("cases", "nom", 42, "0123456789abcdef");
	struct vault_ad other;
	struct buf ct;
	uint8_t *c;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(key2, sizeof(key2));
	buf_init(&ct, MAXCT);
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), 0);
	CHECK_INT(ct.len, sizeof(msg) + VAULT_OVERHEAD);
	CHECK(memmem(ct.p, ct.len, "Élodie", strlen("Élodie")) == NULL);
	c = (uint8_t *)ct.p;
	CHECK_INT(opens(key, &ad, c, ct.len), 0);

	/* Each AD component changed: open fails. */
	other = mkad("documents", "nom", 42, "0123456789abcdef");
	CHECK_INT(opens(key, &other, c, ct.len), -1);
	other = mkad("cases", "prenom", 42, "0123456789abcdef");
	CHECK_INT(opens(key, &other, c, ct.len), -1);
	other = mkad("cases", "nom", 43, "0123456789abcdef");
	CHECK_INT(opens(key, &other, c, ct.len), -1);
	other = mkad("cases", "nom", -42, "0123456789abcdef");
	CHECK_INT(opens(key, &other, c, ct.len), -1);
	other = mkad("cases", "nom", 42, "0123456789abcdee");
	CHECK_INT(opens(key, &other, c, ct.len), -1);

	/* Wrong key. */
	CHECK_INT(opens(key2, &ad, c, ct.len), -1);

	/* Any flipped byte (nonce, body, tag) fails. */
	{
		size_t i;
		int bad = 0;

		for (i = 0; i < ct.len; i++) {
			c[i] ^= 0x01;
			if (opens(key, &ad, c, ct.len) != -1)
				bad++;
			c[i] ^= 0x01;
		}
		CHECK_INT(bad, 0);
		CHECK_INT(opens(key, &ad, c, ct.len), 0);
	}

	/* Truncation, too short, extension. */
	CHECK_INT(opens(key, &ad, c, ct.len - 1), -1);
	CHECK_INT(opens(key, &ad, c, VAULT_OVERHEAD - 1), -1);
	CHECK_INT(opens(key, &ad, c, 0), -1);
	{
		struct buf longer, pt;

		buf_init(&longer, MAXCT);
		CHECK_INT(buf_append(&longer, ct.p, ct.len), 0);
		CHECK_INT(buf_append(&longer, "x", 1), 0);
		CHECK_INT(opens(key, &ad, (uint8_t *)longer.p, longer.len), -1);
		/* Size cap: refused when over maxlen, even if authentic. */
		buf_init(&pt, MAXCT);
		CHECK_INT(vault_open(&pt, key, &ad, c, ct.len, ct.len - 1), -1);
		CHECK_INT(vault_open(&pt, key, &ad, c, ct.len, ct.len), 0);
		CHECK_INT(pt.len, sizeof(msg));
		buf_free(&pt);
		buf_free(&longer);
	}
	buf_free(&ct);
}

/* The AD is exactly "fsrelay-v1|table|column|row|key id": pin the format
 * with a raw libsodium decryption. */
static void
test_ad_format(void)
{
	static const char want_ad[] = "fsrelay-v1|cases|nom|-7|k1";
	uint8_t key[VAULT_KEY_BYTES], out[sizeof(msg)];
	struct vault_ad ad = mkad("cases", "nom", -7, "k1");
	unsigned long long mlen = 0;
	struct buf ct;

	randombytes_buf(key, sizeof(key));
	buf_init(&ct, MAXCT);
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), 0);
	CHECK_INT(crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	    (uint8_t *)ct.p + VAULT_NONCE_BYTES, ct.len - VAULT_NONCE_BYTES,
	    (const uint8_t *)want_ad, strlen(want_ad), (uint8_t *)ct.p, key), 0);
	CHECK_INT(mlen, sizeof(msg));
	CHECK(memcmp(out, msg, sizeof(msg)) == 0);
	buf_free(&ct);
}

static void
test_bad_ad_and_sizes(void)
{
	uint8_t key[VAULT_KEY_BYTES];
	char longname[VAULT_AD_NAME_MAX + 2];
	struct vault_ad ad;
	struct buf ct, pt;

	randombytes_buf(key, sizeof(key));
	buf_init(&ct, MAXCT);
	ad = mkad("ca|ses", "nom", 1, "k");
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), -1);
	ad = mkad("cases", "", 1, "k");
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), -1);
	ad = mkad("cases", "nom", 1, NULL);
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), -1);
	ad = mkad("cases", "n m", 1, "k");
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ad = mkad(longname, "nom", 1, "k");
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), -1);
	longname[VAULT_AD_NAME_MAX] = '\0';	/* exactly the maximum */
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), 0);
	buf_free(&ct);
	CHECK_INT(vault_seal(&ct, key, NULL, msg, sizeof(msg)), -1);
	CHECK_INT(ct.len, 0);

	/* Empty plaintext round-trips. */
	ad = mkad("cases", "note", 9, "k");
	CHECK_INT(vault_seal(&ct, key, &ad, NULL, 0), 0);
	CHECK_INT(ct.len, VAULT_OVERHEAD);
	buf_init(&pt, 16);
	CHECK_INT(vault_open(&pt, key, &ad, (uint8_t *)ct.p, ct.len, MAXCT), 0);
	CHECK_INT(pt.len, 0);
	buf_free(&pt);
	buf_free(&ct);

	/* Output buffer too small: -1 and unchanged. */
	buf_init(&ct, sizeof(msg) + VAULT_OVERHEAD - 1);
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), -1);
	CHECK_INT(ct.len, 0);
	buf_free(&ct);
	buf_init(&ct, MAXCT);
	CHECK_INT(vault_seal(&ct, key, &ad, msg, sizeof(msg)), 0);
	buf_init(&pt, sizeof(msg) - 1);
	CHECK_INT(vault_open(&pt, key, &ad, (uint8_t *)ct.p, ct.len, MAXCT), -1);
	CHECK_INT(pt.len, 0);
	buf_free(&pt);
	buf_free(&ct);
}

static void
test_nonce_random(void)
{
	uint8_t key[VAULT_KEY_BYTES];
	struct vault_ad ad = mkad("cases", "nom", 1, "k");
	struct buf a, b;
	int i, dup = 0;

	randombytes_buf(key, sizeof(key));
	buf_init(&a, MAXCT);
	buf_init(&b, MAXCT);
	CHECK_INT(vault_seal(&a, key, &ad, msg, sizeof(msg)), 0);
	CHECK_INT(vault_seal(&b, key, &ad, msg, sizeof(msg)), 0);
	CHECK_INT(a.len, b.len);
	CHECK(memcmp(a.p, b.p, a.len) != 0);
	CHECK(memcmp(a.p, b.p, VAULT_NONCE_BYTES) != 0);
	/* Appends: a second seal goes after the first. */
	for (i = 0; i < 100; i++) {
		buf_free(&b);
		CHECK_INT(vault_seal(&b, key, &ad, msg, sizeof(msg)), 0);
		if (memcmp(a.p, b.p, VAULT_NONCE_BYTES) == 0)
			dup++;
	}
	CHECK_INT(dup, 0);
	CHECK_INT(vault_seal(&a, key, &ad, msg, sizeof(msg)), 0);
	CHECK_INT(a.len, 2 * (sizeof(msg) + VAULT_OVERHEAD));
	CHECK_INT(opens(key, &ad, (uint8_t *)a.p + a.len / 2, a.len / 2), 0);
	buf_free(&a);
	buf_free(&b);
}

static void
test_wrap(void)
{
	uint8_t kek[VAULT_KEY_BYTES], kek2[VAULT_KEY_BYTES];
	char kid[VAULT_KEK_ID_LEN + 1], kid2[VAULT_KEK_ID_LEN + 1];
	uint8_t *dek, *dek2, *back;
	struct buf w;

	randombytes_buf(kek, sizeof(kek));
	randombytes_buf(kek2, sizeof(kek2));
	vault_kek_id(kid, kek);
	vault_kek_id(kid2, kek2);
	CHECK(strcmp(kid, kid2) != 0);

	dek = vault_key_new();
	dek2 = vault_key_new();
	CHECK(dek != NULL && dek2 != NULL);
	if (dek == NULL || dek2 == NULL)
		return;
	CHECK(sodium_memcmp(dek, dek2, VAULT_KEY_BYTES) != 0);

	buf_init(&w, 4096);
	CHECK_INT(vault_wrap_key(&w, kek, kid, 17, dek), 0);
	CHECK_INT(w.len, VAULT_WRAPPED_KEY_BYTES);
	CHECK(memmem(w.p, w.len, dek, VAULT_KEY_BYTES) == NULL);

	back = vault_unwrap_key(kek, kid, 17, (uint8_t *)w.p, w.len);
	CHECK(back != NULL && sodium_memcmp(back, dek, VAULT_KEY_BYTES) == 0);
	vault_key_free(back);

	/* Wrong KEK, wrong KEK id, wrong case row, bad length, flipped byte. */
	CHECK(vault_unwrap_key(kek2, kid, 17, (uint8_t *)w.p, w.len) == NULL);
	CHECK(vault_unwrap_key(kek, kid2, 17, (uint8_t *)w.p, w.len) == NULL);
	CHECK(vault_unwrap_key(kek, kid, 18, (uint8_t *)w.p, w.len) == NULL);
	CHECK(vault_unwrap_key(kek, kid, 17, (uint8_t *)w.p, w.len - 1) == NULL);
	CHECK(vault_unwrap_key(kek, kid, 17, NULL, w.len) == NULL);
	w.p[30] ^= 0x40;
	CHECK(vault_unwrap_key(kek, kid, 17, (uint8_t *)w.p, w.len) == NULL);
	w.p[30] ^= 0x40;

	/* A field sealed under the DEK opens with the unwrapped DEK. */
	{
		struct vault_ad ad = mkad("cases", "nom", 17, "dek");
		struct buf ct;

		buf_init(&ct, MAXCT);
		CHECK_INT(vault_seal(&ct, dek, &ad, msg, sizeof(msg)), 0);
		back = vault_unwrap_key(kek, kid, 17, (uint8_t *)w.p, w.len);
		CHECK(back != NULL);
		if (back != NULL)
			CHECK_INT(opens(back, &ad, (uint8_t *)ct.p, ct.len), 0);
		vault_key_free(back);
		buf_free(&ct);
	}
	buf_free(&w);
	vault_key_free(dek);
	vault_key_free(dek2);
	vault_key_free(NULL);
}

static void
test_kek_id(void)
{
	uint8_t kek[VAULT_KEY_BYTES];
	char a[VAULT_KEK_ID_LEN + 1], b[VAULT_KEK_ID_LEN + 1];
	size_t i;

	/* Known answers, computed independently with Python's hashlib:
	 * sha256(b"fsrelay-kek-id" + kek).hexdigest()[:16]. */
	memset(kek, 0, sizeof(kek));
	vault_kek_id(a, kek);
	CHECK_STR(a, "ce06fd90979507c8");
	for (i = 0; i < sizeof(kek); i++)
		kek[i] = (uint8_t)i;
	vault_kek_id(a, kek);
	CHECK_STR(a, "a053e9fe1ce0b6f2");
	vault_kek_id(b, kek);
	CHECK_STR(a, b);
	CHECK_INT(strlen(a), VAULT_KEK_ID_LEN);
	CHECK_INT(strspn(a, "0123456789abcdef"), VAULT_KEK_ID_LEN);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 2;
	test_round_trip_and_ad();
	test_ad_format();
	test_bad_ad_and_sizes();
	test_nonce_random();
	test_wrap();
	test_kek_id();
	return t_done();
}
