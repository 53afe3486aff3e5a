/*
 * fuzz_age - libFuzzer target for the age reader: arbitrary bytes go to
 * age_decrypt with a fixed identity (the seed corpus holds files encrypted
 * to it); then the same bytes as the payload behind a valid header for
 * that identity, so that the chunk splitting runs on arbitrary payloads
 * (the header MAC would stop most mutants before it); then, as a
 * NUL-terminated string, to age_recipient_parse and age_identity_parse.  Any crash or sanitizer report is a bug; a decrypted
 * result must fit the limit given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relay/age.h"
#include "relay/util.h"

#define FUZZ_MAXOUT	(1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed test identity: the scalar 1, 2, ..., 32 (not a secret).  Its
 * recipient, to which the seed files are encrypted, is
 * age1q73he0q5yzfu3d64msd3p6rvksnrwjk3d2598mgtmlqt9wrdr37q2vrn72. */
static const uint8_t fuzz_sk[AGE_X25519_KEY_BYTES] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
};

/* Header of corpus/age/age-empty.age (written by age 1.1.1 for fuzz_sk). */
static const char fuzz_header[] =
    "age-encryption.org/v1\n"
    "-> X25519 7sAdiRkdvO8I3S7QmJ78jtFQwpWifLwuCkzCEhW97yg\n"
    "efbbx9voMtShlrxYZCHCm+wFsip3dt2xEhi0zJ6rYuY\n"
    "--- Mk507rfsWOl7XW/iWTTu4PvFvSTeC5J2CeAjYZm7dVg\n";

static void
fuzz_decrypt(const uint8_t *data, size_t size)
{
	struct buf out;
	const char *err = NULL;

	buf_init(&out, FUZZ_MAXOUT);
	if (age_decrypt(&out, fuzz_sk, data, size, FUZZ_MAXOUT, &err) == 0) {
		if (out.len > FUZZ_MAXOUT)
			abort();
	} else if (err == NULL || out.len != 0)
		abort();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const char *err;
	uint8_t key[AGE_X25519_KEY_BYTES];
	size_t hlen = sizeof(fuzz_header) - 1;
	uint8_t *s;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		ready = 1;
	}
	fuzz_decrypt(data, size);

	s = xmalloc(hlen + size + 1);
	memcpy(s, fuzz_header, hlen);
	if (size > 0)
		memcpy(s + hlen, data, size);
	fuzz_decrypt(s, hlen + size);

	s[hlen + size] = '\0';
	err = NULL;
	if (age_recipient_parse((char *)s + hlen, key, &err) < 0 &&
	    err == NULL)
		abort();
	err = NULL;
	if (age_identity_parse((char *)s + hlen, key, &err) < 0 && err == NULL)
		abort();
	sodium_memzero(key, sizeof(key));
	free(s);
	return 0;
}
