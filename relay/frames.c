/*
 * frames - see frames.h.
 */
#include "relay/frames.h"

#include <string.h>

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

size_t
frame_max(uint32_t type)
{
	switch (type) {
	case FRAME_HELLO:
		return FRAME_HELLO_LEN;
	case FRAME_PARSE:
		return FRAME_MAIL_MAX;
	case FRAME_ANSWER:
		return FRAME_ANSWER_HEAD + FRAME_OUT_MAX;
	default:
		return 0;
	}
}

void
frame_head_put(uint8_t h[FRAME_HEAD_LEN], uint32_t type, uint32_t len)
{
	put32(h, type);
	put32(h + 4, len);
}

int
frame_head_get(const uint8_t h[FRAME_HEAD_LEN], uint32_t *type, uint32_t *len)
{
	uint32_t t = get32(h), l = get32(h + 4);

	if (frame_max(t) == 0 || l > frame_max(t))
		return -1;
	*type = t;
	*len = l;
	return 0;
}

long
frame_next(const uint8_t *p, size_t n, uint32_t *type, const uint8_t **payload,
    uint32_t *len)
{
	uint32_t t, l;

	if (n < FRAME_HEAD_LEN)
		return 0;
	if (frame_head_get(p, &t, &l) < 0)
		return -1;
	if (n - FRAME_HEAD_LEN < l)
		return 0;
	*type = t;
	*len = l;
	*payload = p + FRAME_HEAD_LEN;
	return (long)(FRAME_HEAD_LEN + (size_t)l);
}

size_t
frame_hello_put(uint8_t *out, size_t outlen, const struct frame_hello *h)
{
	size_t n = strnlen(h->key_path, sizeof(h->key_path)), i;

	if (n > FRAME_PATH_MAX || outlen < 4 + n)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)h->key_path[i] < 0x20 || h->key_path[i] == 0x7f)
			return 0;
	put32(out, h->fault);
	memcpy(out + 4, h->key_path, n);
	return 4 + n;
}

int
frame_hello_get(const uint8_t *p, size_t n, struct frame_hello *h)
{
	size_t i;

	if (n < 4 || n - 4 > FRAME_PATH_MAX)
		return -1;
	for (i = 4; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
	memset(h, 0, sizeof(*h));
	h->fault = get32(p);
	memcpy(h->key_path, p + 4, n - 4);
	return 0;
}

void
frame_answer_put(uint8_t out[FRAME_ANSWER_HEAD], const struct frame_answer *a)
{
	put32(out, (uint32_t)a->started);
	put32(out + 4, (uint32_t)a->rd);
	put32(out + 8, (uint32_t)a->status);
}

int
frame_answer_get(const uint8_t *p, size_t n, struct frame_answer *a)
{
	struct frame_answer x;

	if (n < FRAME_ANSWER_HEAD)
		return -1;
	x.started = (int32_t)get32(p);
	x.rd = (int32_t)get32(p + 4);
	x.status = (int32_t)get32(p + 8);
	if ((x.started != 0 && x.started != 1) || x.rd < -2 || x.rd > 0 ||
	    (x.rd == -2) != (x.started == 0))
		return -1;
	*a = x;
	return 0;
}
