/*
 * test_frames - relay/frames, the messages between the daemon and its
 * parser roots: heads refused for an unknown type or a length over the
 * type's bound (before any payload is read), incomplete streams waited
 * for, HELLO and ANSWER encoded and decoded, inconsistent ones refused.
 */
#include "relay/frames.h"
#include "tests/unit/t.h"

#include <string.h>

static void
test_heads(void)
{
	uint8_t h[FRAME_HEAD_LEN], s[64];
	const uint8_t *pl;
	uint32_t t, l;

	frame_head_put(h, FRAME_PARSE, 5);
	CHECK(memcmp(h, "\x02\0\0\0\x05\0\0\0", 8) == 0);
	CHECK_INT(frame_head_get(h, &t, &l), 0);
	CHECK_INT(t, FRAME_PARSE);
	CHECK_INT(l, 5);
	frame_head_put(h, FRAME_PARSE, FRAME_MAIL_MAX);
	CHECK_INT(frame_head_get(h, &t, &l), 0);
	frame_head_put(h, FRAME_PARSE, FRAME_MAIL_MAX + 1);
	CHECK_INT(frame_head_get(h, &t, &l), -1);
	frame_head_put(h, FRAME_HELLO, FRAME_HELLO_LEN + 1);
	CHECK_INT(frame_head_get(h, &t, &l), -1);
	frame_head_put(h, 0, 0);
	CHECK_INT(frame_head_get(h, &t, &l), -1);
	frame_head_put(h, 4, 0);
	CHECK_INT(frame_head_get(h, &t, &l), -1);
	frame_head_put(h, 0xffffffffU, 0xffffffffU);
	CHECK_INT(frame_head_get(h, &t, &l), -1);
	/* a stream: incomplete head, incomplete payload, whole frame */
	frame_head_put(s, FRAME_PARSE, 3);
	memcpy(s + 8, "abcZ", 4);
	CHECK_INT(frame_next(s, 7, &t, &pl, &l), 0);
	CHECK_INT(frame_next(s, 10, &t, &pl, &l), 0);
	CHECK_INT(frame_next(s, 12, &t, &pl, &l), 11);
	CHECK(pl == s + 8 && l == 3);
	frame_head_put(s, 7, 3);
	CHECK_INT(frame_next(s, 12, &t, &pl, &l), -1);
}

static void
test_hello(void)
{
	struct frame_hello h, g;
	uint8_t out[FRAME_HELLO_LEN];
	size_t n;

	memset(&h, 0, sizeof(h));
	h.fault = 3;
	strcpy(h.key_path, "/var/lib/fsrelay/keys/kek.key");
	CHECK_INT((n = frame_hello_put(out, sizeof(out), &h)), 4 + strlen(h.key_path));
	CHECK_INT(frame_hello_get(out, n, &g), 0);
	CHECK_INT(g.fault, 3);
	CHECK_STR(g.key_path, h.key_path);
	CHECK_INT(frame_hello_put(out, 10, &h), 0);		/* no room */
	CHECK_INT(frame_hello_get(out, 3, &g), -1);		/* too short */
	out[8] = '\x1b';
	CHECK_INT(frame_hello_get(out, n, &g), -1);		/* control character */
	strcpy(h.key_path, "/k\n");
	CHECK_INT(frame_hello_put(out, sizeof(out), &h), 0);
	memset(h.key_path, 'a', FRAME_PATH_MAX);
	h.key_path[FRAME_PATH_MAX] = '\0';
	CHECK_INT(frame_hello_put(out, sizeof(out), &h), FRAME_HELLO_LEN);
}

static void
test_answer(void)
{
	struct frame_answer a = { 1, -1, 9 }, g;
	uint8_t out[FRAME_ANSWER_HEAD];

	frame_answer_put(out, &a);
	CHECK_INT(frame_answer_get(out, sizeof(out), &g), 0);
	CHECK(g.started == 1 && g.rd == -1 && g.status == 9);
	CHECK_INT(frame_answer_get(out, sizeof(out) - 1, &g), -1);
	a.rd = -2;			/* not started, yet started */
	frame_answer_put(out, &a);
	CHECK_INT(frame_answer_get(out, sizeof(out), &g), -1);
	a.started = 0;
	frame_answer_put(out, &a);
	CHECK_INT(frame_answer_get(out, sizeof(out), &g), 0);
	a.rd = 0;			/* answered, yet not started */
	frame_answer_put(out, &a);
	CHECK_INT(frame_answer_get(out, sizeof(out), &g), -1);
	a.started = 2;
	frame_answer_put(out, &a);
	CHECK_INT(frame_answer_get(out, sizeof(out), &g), -1);
	a.started = 1;
	a.rd = 1;
	frame_answer_put(out, &a);
	CHECK_INT(frame_answer_get(out, sizeof(out), &g), -1);
}

int
main(void)
{
	test_heads();
	test_hello();
	test_answer();
	return t_done();
}
