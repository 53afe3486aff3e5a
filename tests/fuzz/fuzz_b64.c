/*
 * fuzz_b64 - the relay's one base64 decoder (relay/b64) in both modes.
 * Strict (age): whatever it accepts is canonical, so encoding the result
 * again gives the input back (unpadded); lenient (MIME): never more than
 * 3 bytes per 4 characters of the alphabet, and decoding the re-encoding
 * of its output gives that output again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay/b64.h"
#include "relay/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STRICT_MAX	4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[STRICT_MAX];
	static char enc[STRICT_MAX * 2];
	struct buf b, back;
	size_t n = 0, m, i, alpha = 0;

	if (b64_decode_strict(out, sizeof(out), &n, (const char *)data, size) == 0) {
		if (b64_encode(enc, sizeof(enc), out, n) < 0)
			abort();
		m = strcspn(enc, "=");
		if (m != size || memcmp(enc, data, size) != 0)
			abort();	/* two encodings of the same bytes */
	}
	for (i = 0; i < size; i++)
		alpha += strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/", data[i]) != NULL && data[i] != '\0';
	buf_init(&b, 1 << 20);
	buf_init(&back, 1 << 20);
	if (b64_decode_lenient(&b, (const char *)data, size) == 0) {
		if (b.len > alpha / 4 * 3 + 2)
			abort();
		if (b.len > 0 && b.len <= STRICT_MAX) {
			if (b64_encode(enc, sizeof(enc), (const uint8_t *)b.p, b.len) < 0 ||
			    b64_decode_lenient(&back, enc, strlen(enc)) < 0 ||
			    back.len != b.len || memcmp(back.p, b.p, b.len) != 0)
				abort();
		}
	}
	buf_free(&b);
	buf_free(&back);
	return 0;
}
