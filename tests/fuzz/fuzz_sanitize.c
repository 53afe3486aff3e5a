/*
 * fuzz_sanitize - feeds arbitrary bytes to relay/sanitize, the one
 * treatment of untrusted text at output time, the shared piece-name check
 * and the on-disk name.  Properties checked (abort otherwise): the output
 * is valid UTF-8 with no C0 control (but LF and TAB in a text), no DEL,
 * no C1, no bidirectional control nor line separator; sanitising it again
 * changes nothing; a name that passes san_name_check is shown unchanged;
 * the disk name is non-empty, at most SAN_DISK_MAX bytes, clean, without
 * '/' or '\' and not starting with a dot.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "relay/sanitize.h"
#include "relay/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_out(const struct buf *b, int flags)
{
	const uint8_t *u = (const uint8_t *)(b->p ? b->p : "");
	struct buf again;
	size_t i = 0;
	ucs4_t c;
	int k;

	if (u8_check(u, b->len) != NULL || !san_clean((const char *)u, b->len,
	    flags))
		abort();
	while (i < b->len) {
		if ((k = u8_mbtoucr(&c, u + i, b->len - i)) <= 0)
			abort();
		if ((c < 0x20 && !((flags & SAN_LINES) && (c == '\n' ||
		    c == '\t'))) || (c >= 0x7f && c <= 0x9f) || c == 0x202e ||
		    c == 0x2066 || c == 0x200f || c == 0x2028)
			abort();
		i += (size_t)k;
	}
	buf_init(&again, b->len * 8 + 16);
	if (san_append(&again, (const char *)u, b->len, flags) != 0 ||
	    again.len != b->len || (b->len && memcmp(again.p, u, b->len) != 0))
		abort();
	buf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char stem[SAN_DISK_MAX + 1], ext[SAN_DISK_MAX + 1], *s, *d;
	const char *why;
	struct buf b;
	size_t n;
	int flags;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (flags = 0; flags <= SAN_LINES; flags++) {
		buf_init(&b, size * 8 + 16);
		n = san_append(&b, s, size, flags);
		check_out(&b, flags);
		if (n == 0 && (b.len != size || (size && memcmp(b.p, s, size)
		    != 0)))
			abort();
		buf_free(&b);
	}
	if (san_name_check(s, size, 255, &why) == 0) {
		if (!san_clean(s, size, 0) || memchr(s, '/', size) != NULL)
			abort();
	}
	san_disk_name(s, stem, ext);
	n = strlen(stem) + strlen(ext);
	if (n == 0 || n > SAN_DISK_MAX || stem[0] == '.' ||
	    strchr(stem, '/') || strchr(stem, '\\') || strchr(ext, '/') ||
	    strchr(ext, '\\') || !san_clean(stem, strlen(stem), 0) ||
	    !san_clean(ext, strlen(ext), 0))
		abort();
	d = san_dup(s, 0);
	if (d == NULL || !san_clean(d, strlen(d), 0))
		abort();
	free(d);
	free(s);
	return 0;
}
