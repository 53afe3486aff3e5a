/*
 * frames - the messages between fsrelay's processes (the daemon and the
 * parser roots, issue 16 point 4): one fixed-size head, then a payload of
 * a bounded length.  Pure: encoding and checking only, no I/O, so that
 * the decoders can be fuzzed (tests/fuzz/fuzz_frames.c).
 *
 * Head: the type (uint32, little endian), then the payload length
 * (uint32, little endian).  A head whose type is unknown or whose length
 * exceeds that type's bound is refused before any payload is read: a
 * peer can never make the reader allocate more than the bound.
 *
 * Trusts: nothing of what it decodes.
 */
#ifndef FSRELAY_FRAMES_H
#define FSRELAY_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEAD_LEN		8
#define FRAME_MAIL_MAX		(32U * 1024 * 1024)		/* = MIME_MSG_MAX */
#define FRAME_OUT_MAX		(2U * FRAME_MAIL_MAX + 1024 * 1024)
#define FRAME_PATH_MAX		511
#define FRAME_HELLO_LEN		(4 + FRAME_PATH_MAX)		/* at most */
#define FRAME_ANSWER_HEAD	12

enum frame_type {
	FRAME_HELLO = 1,	/* daemon → root, once: test hooks */
	FRAME_PARSE = 2,	/* daemon → root: one raw mail */
	FRAME_ANSWER = 3	/* root → daemon: the child's outcome and output */
};

/* The bound of a type's payload; 0 for an unknown type. */
size_t	 frame_max(uint32_t type);

void	 frame_head_put(uint8_t h[FRAME_HEAD_LEN], uint32_t type, uint32_t len);

/* 0 with *type and *len; -1 for an unknown type or a length over its
 * bound. */
int	 frame_head_get(const uint8_t h[FRAME_HEAD_LEN], uint32_t *type, uint32_t *len);

/*
 * The next frame of a byte stream p[0..n): > 0 the bytes it takes (head
 * and payload; *type, *payload and *len set), 0 incomplete, -1 invalid.
 */
long	 frame_next(const uint8_t *p, size_t n, uint32_t *type, const uint8_t **payload,
	    uint32_t *len);

/* HELLO: the test hook to run (0: none, a value the root knows: it
 * refuses others), the key path a hook tries to open ("" if none). */
struct frame_hello {
	uint32_t	fault;
	char		key_path[FRAME_PATH_MAX + 1];
};

/* Encode into out (FRAME_HELLO_LEN bytes at least): the payload length;
 * 0 if the path is too long or holds a control character. */
size_t	 frame_hello_put(uint8_t *out, size_t outlen, const struct frame_hello *h);
int	 frame_hello_get(const uint8_t *p, size_t n, struct frame_hello *h);

/*
 * ANSWER head: started (0 the root could not fork the child, 1 it did),
 * rd (the child's reading: 0 answered, -1 late or too big, -2 not
 * started), status (its wait status); the child's output follows.
 */
struct frame_answer {
	int32_t		started;
	int32_t		rd;
	int32_t		status;
};

void	 frame_answer_put(uint8_t out[FRAME_ANSWER_HEAD], const struct frame_answer *a);

/* 0 with *a when p[0..n) starts with a consistent head (n >= 12,
 * started 0 or 1, rd -2..0, rd -2 exactly when not started); -1 else. */
int	 frame_answer_get(const uint8_t *p, size_t n, struct frame_answer *a);

#endif
