/*
 * b64 - table-driven base64 for public bytes (see b64.h): 3 input bytes
 * become 4 characters by four table look-ups; MIME lines are encoded into
 * a stack chunk and appended to the buffer a few kilobytes at a time.
 *
 * Not constant-time, by design: never give it a key or a token (b64.h).
 * Trusts: nothing (sizes checked before any write).
 */
#include <stdint.h>
#include <string.h>

#include "relay/b64.h"

#define B64_LINE_MAX_BYTES	3000	/* input bytes per MIME line */
#define B64_CHUNK		16384	/* characters encoded per append */

static const char b64_table[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
b64_len(size_t n)
{
	size_t groups = n / 3 + (n % 3 != 0);

	if (groups > SIZE_MAX / 4)
		return 0;
	return groups * 4;
}

/* Encode src[0..n) to dst (room for b64_len(n) characters, no NUL
 * written); returns the number of characters. */
static size_t
encode(char *dst, const uint8_t *src, size_t n)
{
	char *p = dst;
	size_t i;
	uint32_t v;

	for (i = 0; n - i >= 3; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		p[0] = b64_table[v >> 18];
		p[1] = b64_table[(v >> 12) & 63];
		p[2] = b64_table[(v >> 6) & 63];
		p[3] = b64_table[v & 63];
		p += 4;
	}
	if (n - i == 1) {
		v = (uint32_t)src[i] << 16;
		p[0] = b64_table[v >> 18];
		p[1] = b64_table[(v >> 12) & 63];
		p[2] = '=';
		p[3] = '=';
		p += 4;
	} else if (n - i == 2) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		p[0] = b64_table[v >> 18];
		p[1] = b64_table[(v >> 12) & 63];
		p[2] = b64_table[(v >> 6) & 63];
		p[3] = '=';
		p += 4;
	}
	return (size_t)(p - dst);
}

int
b64_encode(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t len = b64_len(n);

	if (dst == NULL || (len == 0 && n > 0) || dstlen <= len ||
	    (src == NULL && n > 0))
		return -1;
	dst[encode(dst, src, n)] = '\0';
	return 0;
}

/* Characters b64_mime_lines appends for n bytes in lines of line_bytes;
 * 0 on overflow (n > 0). */
static size_t
lines_len(size_t n, size_t line_bytes)
{
	size_t chars = b64_len(n), lines = n / line_bytes + (n % line_bytes != 0);

	if ((chars == 0 && n > 0) || lines > (SIZE_MAX - chars) / 2)
		return 0;
	return chars + 2 * lines;
}

int
b64_mime_lines(struct buf *out, const uint8_t *src, size_t n, size_t line_bytes)
{
	char chunk[B64_CHUNK];
	size_t total, mark = out->len, off = 0, k, line_chars, used;

	if (line_bytes < 3 || line_bytes > B64_LINE_MAX_BYTES || line_bytes % 3 != 0 ||
	    (src == NULL && n > 0))
		return -1;
	if (n == 0)
		return 0;
	total = lines_len(n, line_bytes);
	if (total == 0 || total > out->max || out->len > out->max - total)
		return -1;
	line_chars = line_bytes / 3 * 4 + 2;	/* with its CRLF */
	while (off < n) {
		/* Whole lines only, as many as the chunk holds (>= 4). */
		for (used = 0; off < n && B64_CHUNK - used >= line_chars; off += k) {
			k = n - off < line_bytes ? n - off : line_bytes;
			used += encode(chunk + used, src + off, k);
			chunk[used++] = '\r';
			chunk[used++] = '\n';
		}
		if (buf_append(out, chunk, used) == -1) {
			/* Cannot happen after the check above; keep out as it was. */
			out->len = mark;
			if (out->p != NULL)
				out->p[mark] = '\0';
			return -1;
		}
	}
	return 0;
}

/* The value of a base64 character, or -1. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
b64_decode_strict(uint8_t *out, size_t outmax, size_t *outlen, const char *s, size_t n)
{
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t i, o = 0;
	int v;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64_value((unsigned char)s[i])) < 0)
			return -1;
		acc = ((acc << 6) | (uint32_t)v) & 0xfff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outmax)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

int
b64_decode_lenient(struct buf *out, const char *s, size_t n)
{
	char chunk[B64_CHUNK];
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t i, k = 0;
	int v;

	for (i = 0; i < n; i++) {
		if ((v = b64_value((unsigned char)s[i])) < 0)
			continue;
		acc = ((acc << 6) | (uint32_t)v) & 0xfff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			chunk[k++] = (char)(acc >> bits);
			if (k == sizeof(chunk)) {
				if (buf_append(out, chunk, k) < 0)
					return -1;
				k = 0;
			}
		}
	}
	return k > 0 ? buf_append(out, chunk, k) : 0;
}
