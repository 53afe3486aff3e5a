/*
 * test_bech32 - Bech32 against the BIP 173 valid and invalid vectors, the
 * padding rules, buffer limits, and round trips of keys written by
 * age-keygen 1.1.1 (a throw-away test key pair, never used elsewhere).
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "relay/bech32.h"
#include "relay/util.h"
#include "tests/unit/t.h"

/* A public test vector, generated with `age-keygen` (age 1.1.1) for this
 * test only and never used as a key.  The secret half is kept in lower
 * case here; main() makes the upper-case form age-keygen writes. */
static const char test_pub[] =
    "age1t383rq98xlukmz5zrc7zh03p9ryxnk3f3ry50msgh8m0h6t5vdpqw7x3y7";
static const char test_sec_lc[] =
    "age-secret-key-1j5e3njkwqkumhue46uf32zep36y6mrf7yeassct9g6554agmkklq27ddff";
static char test_sec[sizeof(test_sec_lc)];

static const char *valid[] = {
	"A12UEL5L",
	"a12uel5l",
	"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
	"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
	"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	"?1ezyfcl",
};

/* BIP 173 invalid vectors, less the 90-character limit one (not enforced,
 * see test_no_length_limit). */
static const char *invalid[] = {
	"\x20" "1nwldj5",	/* HRP character out of range */
	"\x7f" "1axkwrx",	/* HRP character out of range */
	"\x80" "1eym55h",	/* HRP character out of range */
	"pzry9x0s0muk",		/* no separator */
	"1pzry9x0s0muk",	/* empty HRP */
	"x1b4n0q5v",		/* invalid data character */
	"li1dgmt3",		/* too short checksum */
	"de1lg7wt\xff",		/* invalid character in checksum */
	"A1G7SGD8",		/* checksum computed with uppercase HRP */
	"10a06t8",		/* empty HRP */
	"1qzzfhee",		/* empty HRP */
	"a12UEL5L",		/* mixed case */
	"A12uEL5L",		/* mixed case */
	"",
};

static void
test_vectors(void)
{
	char hrp[100];
	uint8_t v[100];
	size_t i, n;
	const char *err;

	for (i = 0; i < FS_ARRAY_LEN(valid); i++) {
		err = NULL;
		if (!CHECK(bech32_decode_raw(valid[i], hrp, sizeof(hrp), v,
		    sizeof(v), &n, &err) == 0))
			fprintf(stderr, "    valid[%zu]: %s\n", i, err);
	}
	for (i = 0; i < FS_ARRAY_LEN(invalid); i++) {
		err = NULL;
		CHECK(bech32_decode_raw(invalid[i], hrp, sizeof(hrp), v,
		    sizeof(v), &n, &err) == -1);
		CHECK(err != NULL);
	}
	/* Flipping any data character breaks the checksum. */
	{
		char s[] = "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw";
		for (i = 7; i < sizeof(s) - 1; i++) {
			char c = s[i];
			s[i] = c == 'q' ? 'p' : 'q';
			CHECK(bech32_decode_raw(s, hrp, sizeof(hrp), v,
			    sizeof(v), &n, &err) == -1);
			s[i] = c;
		}
	}
	CHECK_INT(bech32_decode_raw("A12UEL5L", hrp, sizeof(hrp), v, sizeof(v),
	    &n, &err), 0);
	CHECK_STR(hrp, "a");
	CHECK_INT(n, 0);
	CHECK_INT(bech32_decode_raw("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	    hrp, sizeof(hrp), v, sizeof(v), &n, &err), 0);
	CHECK_STR(hrp, "split");
	CHECK_INT(n, 48);
	CHECK_INT(v[0], 24);	/* 'c' */
	/* Buffers too small. */
	CHECK_INT(bech32_decode_raw("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	    hrp, 5, v, sizeof(v), &n, &err), -1);
	CHECK_INT(bech32_decode_raw("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
	    hrp, sizeof(hrp), v, 47, &n, &err), -1);
}

static void
test_encode(void)
{
	static const uint8_t abc[20] = {
		0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf,
		0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf
	};
	char out[100];
	uint8_t d[40];
	size_t n;
	const char *err;

	CHECK_INT(bech32_encode(out, sizeof(out), "a", NULL, 0), 0);
	CHECK_STR(out, "a12uel5l");
	CHECK_INT(bech32_encode(out, sizeof(out), "?", NULL, 0), 0);
	CHECK_STR(out, "?1ezyfcl");
	CHECK_INT(bech32_encode(out, sizeof(out), "ABCDEF", abc, sizeof(abc)), 0);
	CHECK_STR(out, "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
	CHECK_INT(bech32_encoded_len(6, 20), strlen(out));
	CHECK_INT(bech32_decode(out, "abcdef", d, sizeof(d), &n, &err), 0);
	CHECK_INT(n, 20);
	CHECK(memcmp(d, abc, 20) == 0);
	/* HRP compared case-insensitively, but must match. */
	CHECK_INT(bech32_decode("ABCDEF1QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7LMQQQXW",
	    "abcdef", d, sizeof(d), &n, &err), 0);
	CHECK_INT(bech32_decode(out, "abcdeg", d, sizeof(d), &n, &err), -1);
	CHECK_INT(bech32_decode(out, "abcde", d, sizeof(d), &n, &err), -1);
	CHECK_INT(bech32_decode(out, "abcdef", d, 19, &n, &err), -1);
	/* Output buffer: exactly enough, then one byte short. */
	CHECK_INT(bech32_encode(out, 46, "abcdef", abc, sizeof(abc)), 0);
	CHECK_INT(bech32_encode(out, 45, "abcdef", abc, sizeof(abc)), -1);
	CHECK_STR(out, "");
	CHECK_INT(bech32_encode(out, sizeof(out), "", abc, 1), -1);
	CHECK_INT(bech32_encode(out, sizeof(out), "a b", abc, 1), -1);
}

/* Independent Bech32 checksum, to build strings with bad padding. */
static uint32_t
ref_polymod(const uint8_t *v, size_t n)
{
	static const uint32_t g[5] = {
		0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
	};
	uint32_t c = 1, b;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		b = c >> 25;
		c = ((c & 0x1ffffff) << 5) ^ v[i];
		for (j = 0; j < 5; j++)
			if ((b >> j) & 1)
				c ^= g[j];
	}
	return c;
}

/* "a1" + 5-bit values + checksum. */
static void
ref_encode(char *out, const uint8_t *vals, size_t n)
{
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	uint8_t v[64];
	uint32_t c;
	size_t i, k = 0;

	v[k++] = 'a' >> 5;
	v[k++] = 0;
	v[k++] = 'a' & 31;
	for (i = 0; i < n; i++)
		v[k++] = vals[i];
	for (i = 0; i < 6; i++)
		v[k++] = 0;
	c = ref_polymod(v, k) ^ 1;
	out[0] = 'a';
	out[1] = '1';
	for (i = 0; i < n; i++)
		out[2 + i] = cs[vals[i]];
	for (i = 0; i < 6; i++)
		out[2 + n + i] = cs[(c >> (5 * (5 - i))) & 31];
	out[2 + n + 6] = '\0';
}

static void
test_padding(void)
{
	char s[64];
	uint8_t d[8], vals[4];
	size_t n;
	const char *err;

	/* Two values = 10 bits: one byte and 2 zero bits. */
	vals[0] = 0x1f;
	vals[1] = 0x1c;
	ref_encode(s, vals, 2);
	CHECK_INT(bech32_decode(s, "a", d, sizeof(d), &n, &err), 0);
	CHECK_INT(n, 1);
	CHECK_INT(d[0], 0xff);
	/* Same with a non-zero padding bit. */
	vals[1] = 0x1d;
	ref_encode(s, vals, 2);
	CHECK_INT(bech32_decode(s, "a", d, sizeof(d), &n, &err), -1);
	/* One value = 5 bits: more than 4 padding bits. */
	vals[0] = 0;
	ref_encode(s, vals, 1);
	CHECK_INT(bech32_decode(s, "a", d, sizeof(d), &n, &err), -1);
	/* Three values = 15 bits: one byte and 7 bits of padding. */
	vals[0] = vals[1] = vals[2] = 0;
	ref_encode(s, vals, 3);
	CHECK_INT(bech32_decode(s, "a", d, sizeof(d), &n, &err), -1);
	/* The independent checksum agrees with the encoder. */
	{
		char e[32];
		uint8_t b = 0xff;

		CHECK_INT(bech32_encode(e, sizeof(e), "a", &b, 1), 0);
		vals[0] = 0x1f;
		vals[1] = 0x1c;
		ref_encode(s, vals, 2);
		CHECK_STR(e, s);
	}
}

static void
test_no_length_limit(void)
{
	char hrp[100];
	uint8_t v[100];
	size_t n;
	const char *err;

	/* BIP 173 rejects this for its 90-character limit only; age strings
	 * are longer than 90 characters, so it must decode here. */
	CHECK_INT(bech32_decode_raw("an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
	    hrp, sizeof(hrp), v, sizeof(v), &n, &err), 0);
}

static void
test_age_keys(void)
{
	uint8_t sk[32], pk[32], pk2[32];
	char out[128], lower[128];
	size_t n, i;
	const char *err;

	CHECK_INT(bech32_decode(test_pub, "age", pk, sizeof(pk), &n, &err), 0);
	CHECK_INT(n, 32);
	CHECK_INT(bech32_decode(test_sec, "age-secret-key-", sk, sizeof(sk), &n,
	    &err), 0);
	CHECK_INT(n, 32);
	/* The pair is consistent: the strings decoded to the right bytes. */
	CHECK_INT(crypto_scalarmult_base(pk2, sk), 0);
	CHECK(memcmp(pk, pk2, 32) == 0);
	CHECK_INT(bech32_encode(out, sizeof(out), "age", pk, 32), 0);
	CHECK_STR(out, test_pub);
	CHECK_INT(strlen(out), 62);
	CHECK_INT(bech32_encode(out, sizeof(out), "AGE-SECRET-KEY-", sk, 32), 0);
	for (i = 0; test_sec[i]; i++)
		lower[i] = (char)((test_sec[i] >= 'A' && test_sec[i] <= 'Z') ?
		    test_sec[i] - 'A' + 'a' : test_sec[i]);
	lower[i] = '\0';
	CHECK_STR(out, lower);
	CHECK_INT(strlen(out), 74);
	/* Lowercase identity decodes too; wrong HRPs do not. */
	CHECK_INT(bech32_decode(lower, "age-secret-key-", sk, sizeof(sk), &n,
	    &err), 0);
	CHECK_INT(bech32_decode(test_sec, "age", sk, sizeof(sk), &n, &err), -1);
	CHECK_INT(bech32_decode(test_pub, "age-secret-key-", sk, sizeof(sk), &n,
	    &err), -1);
	/* One changed character in the key is caught. */
	memcpy(out, test_pub, sizeof(test_pub));
	out[20] = out[20] == 'q' ? 'p' : 'q';
	CHECK_INT(bech32_decode(out, "age", pk, sizeof(pk), &n, &err), -1);
	CHECK_STR(err, "somme de contrôle bech32 incorrecte");
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(lower, sizeof(lower));
	sodium_memzero(out, sizeof(out));
}

int
main(void)
{
	size_t u;

	if (sodium_init() < 0)
		return 1;
	for (u = 0; test_sec_lc[u]; u++)
		test_sec[u] = (char)(test_sec_lc[u] >= 'a' && test_sec_lc[u] <= 'z' ?
		    test_sec_lc[u] - 'a' + 'A' : test_sec_lc[u]);
	test_vectors();
	test_encode();
	test_padding();
	test_no_length_limit();
	test_age_keys();
	return t_done();
}
