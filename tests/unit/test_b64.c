/*
 * test_b64 - relay/b64 against libsodium's sodium_bin2base64 (the
 * reference): every size 0..3000 of random bytes, 1 MiB, all-zero and
 * all-0xff inputs; MIME lines against a line-by-line sodium encoding and
 * a sodium decode back; refusals (short dst, bad line size, buffer max).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay/b64.h"
#include "tests/unit/t.h"

#define BIG	(1024 * 1024)

/* 1 if b64_encode(src, n) equals sodium's encoding. */
static int
same_as_sodium(const uint8_t *src, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *ref = xmalloc(len), *got = xmalloc(len + 1);
	int ok;

	sodium_bin2base64(ref, len, src, n, sodium_base64_VARIANT_ORIGINAL);
	memset(got, 'X', len + 1);
	ok = b64_len(n) == len - 1 && b64_encode(got, len, src, n) == 0 &&
	    strcmp(got, ref) == 0;
	free(ref);
	free(got);
	return ok;
}

/* The reference MIME lines: sodium per line of 57 bytes, CRLF after each. */
static void
ref_lines(struct buf *b, const uint8_t *src, size_t n, size_t per)
{
	char line[4096];
	size_t off, k;

	for (off = 0; off < n; off += k) {
		k = n - off < per ? n - off : per;
		sodium_bin2base64(line, sizeof(line), src + off, k,
		    sodium_base64_VARIANT_ORIGINAL);
		buf_puts(b, line);
		buf_puts(b, "\r\n");
	}
}

static void
test_sizes(const uint8_t *rnd)
{
	size_t n, bad = 0;

	for (n = 0; n <= 3000; n++)
		if (!same_as_sodium(rnd + (n * 7) % 1000, n))
			bad++;
	CHECK_INT(bad, 0);
	CHECK(same_as_sodium(rnd, BIG));
	CHECK(same_as_sodium(rnd + 1, BIG - 1));
	CHECK(same_as_sodium(rnd + 2, BIG - 2));
}

static void
test_known(void)
{
	static const uint8_t zeros[6], ff[5] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	char out[16];

	CHECK_INT(b64_encode(out, sizeof(out), (const uint8_t *)"foobar", 6), 0);
	CHECK_STR(out, "Zm9vYmFy");
	CHECK_INT(b64_encode(out, sizeof(out), (const uint8_t *)"fooba", 5), 0);
	CHECK_STR(out, "Zm9vYmE=");
	CHECK_INT(b64_encode(out, sizeof(out), (const uint8_t *)"f", 1), 0);
	CHECK_STR(out, "Zg==");
	CHECK_INT(b64_encode(out, sizeof(out), zeros, 6), 0);
	CHECK_STR(out, "AAAAAAAA");
	CHECK_INT(b64_encode(out, sizeof(out), ff, 5), 0);
	CHECK_STR(out, "//////8=");
	CHECK_INT(b64_encode(out, sizeof(out), ff, 3), 0);
	CHECK_STR(out, "////");
	CHECK_INT(b64_encode(out, sizeof(out), NULL, 0), 0);
	CHECK_STR(out, "");
	CHECK_INT(b64_len(0), 0);
	CHECK_INT(b64_len(1), 4);
	CHECK_INT(b64_len(3), 4);
	CHECK_INT(b64_len(4), 8);
	CHECK_INT(b64_len(SIZE_MAX), 0);	/* overflow */
}

static void
test_refusals(void)
{
	char out[9];

	memcpy(out, "XXXXXXXX", 9);
	/* "foobar" needs 8 characters + NUL: 8 bytes are too few. */
	CHECK_INT(b64_encode(out, 8, (const uint8_t *)"foobar", 6), -1);
	CHECK_STR(out, "XXXXXXXX");
	CHECK_INT(b64_encode(out, sizeof(out), NULL, 3), -1);
	CHECK_INT(b64_encode(NULL, 0, (const uint8_t *)"a", 1), -1);
}

static void
test_lines(const uint8_t *rnd)
{
	static const size_t sizes[] = { 0, 1, 2, 56, 57, 58, 113, 114, 115, 4095, 16384,
	    100000, 140001, BIG };
	struct buf got, ref;
	uint8_t *back = xmalloc(BIG);
	size_t i, n, blen;
	const char *end;

	for (i = 0; i < FS_ARRAY_LEN(sizes); i++) {
		n = sizes[i];
		buf_init(&got, 4 * BIG);
		buf_init(&ref, 4 * BIG);
		buf_puts(&got, "head\r\n");
		buf_puts(&ref, "head\r\n");
		CHECK_INT(b64_mime_lines(&got, rnd, n, 57), 0);
		ref_lines(&ref, rnd, n, 57);
		CHECK(got.len == ref.len && memcmp(got.p, ref.p, got.len) == 0);
		CHECK_INT(got.p[got.len], '\0');
		blen = 0;
		CHECK(sodium_base642bin(back, BIG, got.p + 6, got.len - 6, "\r\n", &blen, &end,
		    sodium_base64_VARIANT_ORIGINAL) == 0 && blen == n &&
		    memcmp(back, rnd, n) == 0);
		buf_free(&got);
		buf_free(&ref);
	}
	/* Other line sizes, including one longer than the chunk's share. */
	buf_init(&got, 4 * BIG);
	buf_init(&ref, 4 * BIG);
	CHECK_INT(b64_mime_lines(&got, rnd, 50000, 3000), 0);
	ref_lines(&ref, rnd, 50000, 3000);
	CHECK(got.len == ref.len && memcmp(got.p, ref.p, got.len) == 0);
	buf_free(&got);
	buf_free(&ref);
	free(back);
}

static void
test_lines_refusals(const uint8_t *rnd)
{
	struct buf b;

	buf_init(&b, 100);
	buf_puts(&b, "keep");
	CHECK_INT(b64_mime_lines(&b, rnd, 10, 56), -1);	/* not a multiple of 3 */
	CHECK_INT(b64_mime_lines(&b, rnd, 10, 0), -1);
	CHECK_INT(b64_mime_lines(&b, rnd, 10, 3003), -1);
	CHECK_INT(b64_mime_lines(&b, NULL, 10, 57), -1);
	/* 57 bytes -> 76 + 2 = 78 characters: fits in 100 with "keep". */
	CHECK_INT(b64_mime_lines(&b, rnd, 57, 57), 0);
	CHECK_INT(b.len, 82);
	/* 100 bytes need 136 + 4 characters: over the maximum, b unchanged. */
	buf_free(&b);
	buf_init(&b, 100);
	buf_puts(&b, "keep");
	CHECK_INT(b64_mime_lines(&b, rnd, 100, 57), -1);
	CHECK_INT(b.len, 4);
	CHECK_STR(b.p, "keep");
	CHECK_INT(b64_mime_lines(&b, rnd, 0, 57), 0);
	CHECK_INT(b.len, 4);
	buf_free(&b);
}

/* The one decoder: strict for age (one encoding per byte string), lenient
 * for MIME (junk, padding and line ends skipped); both undo the encoder. */
static void
test_decode(const uint8_t *rnd)
{
	uint8_t out[64];
	size_t n = 0, k;
	struct buf b;
	char enc[4096];

	CHECK_INT(b64_decode_strict(out, sizeof(out), &n, "Zm9vYmFy", 8), 0);
	CHECK_INT(n, 6);
	CHECK(memcmp(out, "foobar", 6) == 0);
	CHECK_INT(b64_decode_strict(out, sizeof(out), &n, "Zm9vYg", 6), 0);
	CHECK_INT(n, 4);
	CHECK_INT(b64_decode_strict(out, sizeof(out), &n, "", 0), 0);
	CHECK_INT(n, 0);
	/* padding, a non-zero unused bit, a dangling character, junk, room */
	CHECK_INT(b64_decode_strict(out, sizeof(out), &n, "Zm9vYg==", 8), -1);
	CHECK_INT(b64_decode_strict(out, sizeof(out), &n, "Zm9vYh", 6), -1);
	CHECK_INT(b64_decode_strict(out, sizeof(out), &n, "Zm9vY", 5), -1);
	CHECK_INT(b64_decode_strict(out, sizeof(out), &n, "Zm9v\nYg", 7), -1);
	CHECK_INT(b64_decode_strict(out, 3, &n, "Zm9vYg", 6), -1);
	buf_init(&b, 1 << 20);
	CHECK_INT(b64_decode_lenient(&b, "Zm9v\r\nYmFy\r\nYQ==\r\n", 18), 0);
	CHECK_INT(b.len, 7);
	CHECK(memcmp(b.p, "foobara", 7) == 0);
	buf_free(&b);
	buf_init(&b, 1 << 20);
	CHECK_INT(b64_decode_lenient(&b, "Zm9 v!Y*m\tFy", 13), 0);
	CHECK_INT(b.len, 6);
	CHECK(memcmp(b.p, "foobar", 6) == 0);
	buf_free(&b);
	/* a body larger than one chunk of the decoder, and a full buffer */
	for (k = 0; k < 3000; k += 999) {
		CHECK_INT(b64_encode(enc, sizeof(enc), rnd, k), 0);
		buf_init(&b, 1 << 20);
		CHECK_INT(b64_decode_lenient(&b, enc, strlen(enc)), 0);
		CHECK_INT(b.len, k);
		CHECK(k == 0 || memcmp(b.p, rnd, k) == 0);
		buf_free(&b);
	}
	buf_init(&b, 2);
	CHECK_INT(b64_decode_lenient(&b, "Zm9vYmFy", 8), -1);
	buf_free(&b);
	{
		struct buf big, dec;

		buf_init(&big, 1 << 22);
		buf_init(&dec, 1 << 22);
		CHECK_INT(b64_mime_lines(&big, rnd, 100000, 57), 0);
		CHECK_INT(b64_decode_lenient(&dec, big.p, big.len), 0);
		CHECK_INT(dec.len, 100000);
		CHECK(memcmp(dec.p, rnd, 100000) == 0);
		buf_free(&big);
		buf_free(&dec);
	}
}

int
main(void)
{
	uint8_t *rnd;

	if (sodium_init() < 0)
		return 1;
	rnd = xmalloc(BIG);
	randombytes_buf(rnd, BIG);
	test_known();
	test_refusals();
	test_sizes(rnd);
	test_lines(rnd);
	test_lines_refusals(rnd);
	test_decode(rnd);
	free(rnd);
	return t_done();
}
