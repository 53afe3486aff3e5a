/*
 * fuzz_frames - feeds arbitrary bytes to relay/frames, the messages
 * between the daemon and its parser roots, read as a stream of frames.
 * Properties checked (abort otherwise): a frame taken is within the
 * input and its type's bound; its head encodes back to the same bytes;
 * a HELLO or ANSWER that decodes encodes back to the same payload
 * (ANSWER: its 12-byte head) and decodes again to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay/frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_hello(const uint8_t *p, uint32_t len)
{
	struct frame_hello h, again;
	uint8_t out[FRAME_HELLO_LEN];
	size_t n;

	if (frame_hello_get(p, len, &h) < 0)
		return;
	if ((n = frame_hello_put(out, sizeof(out), &h)) != len || memcmp(out, p, n) != 0)
		abort();
	if (frame_hello_get(out, n, &again) < 0 || again.fault != h.fault ||
	    strcmp(again.key_path, h.key_path) != 0)
		abort();
}

static void
check_answer(const uint8_t *p, uint32_t len)
{
	struct frame_answer a, again;
	uint8_t out[FRAME_ANSWER_HEAD];

	if (frame_answer_get(p, len, &a) < 0)
		return;
	if (len < FRAME_ANSWER_HEAD || (a.started != 0 && a.started != 1) || a.rd < -2 ||
	    a.rd > 0)
		abort();
	frame_answer_put(out, &a);
	if (memcmp(out, p, sizeof(out)) != 0 || frame_answer_get(out, sizeof(out), &again) < 0 ||
	    again.started != a.started || again.rd != a.rd || again.status != a.status)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *payload;
	uint8_t head[FRAME_HEAD_LEN];
	uint32_t type, len;
	size_t off = 0;
	long k;

	while (off < size && (k = frame_next(data + off, size - off, &type, &payload,
	    &len)) > 0) {
		if ((size_t)k != FRAME_HEAD_LEN + (size_t)len || (size_t)k > size - off ||
		    len > frame_max(type) || payload != data + off + FRAME_HEAD_LEN)
			abort();
		frame_head_put(head, type, len);
		if (memcmp(head, data + off, sizeof(head)) != 0)
			abort();
		if (type == FRAME_HELLO)
			check_hello(payload, len);
		else if (type == FRAME_ANSWER)
			check_answer(payload, len);
		off += (size_t)k;
	}
	return 0;
}
