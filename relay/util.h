/*
 * util - allocation wrappers that never return NULL, bounded string copies
 * and a growable byte buffer with a hard maximum.
 *
 * Every buffer that grows with untrusted input has a maximum fixed at
 * construction (buf_init); appends past it fail instead of growing.
 */
#ifndef FSRELAY_UTIL_H
#define FSRELAY_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define FS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Print "fsrelay: <message>" on stderr and exit(1).  For conditions the
 * program cannot survive (out of memory, broken invariant). */
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *p, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* asprintf that dies on failure; caller frees. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* BSD strlcpy/strlcat (glibc 2.36 has neither): return the length they
 * tried to create; truncation iff the result >= size. */
size_t	 fs_strlcpy(char *dst, const char *src, size_t size);
size_t	 fs_strlcat(char *dst, const char *src, size_t size);

/* Lowercase ASCII letters in place (addresses compare case-insensitively). */
void	 fs_ascii_lower(char *s);

/* Hex-encode n bytes into out (2n+1 bytes). */
void	 fs_hex(char *out, const uint8_t *in, size_t n);

/* Parse a decimal integer in [min, max]; 0 on success, -1 otherwise. */
int	 fs_parse_long(const char *s, long min, long max, long *out);

/* Growable byte buffer.  Always NUL-terminated after p[len] for convenience
 * (the NUL is not counted in len). */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* appends that would exceed this fail */
};

void	 buf_init(struct buf *b, size_t max);
/* 0 on success, -1 if the maximum would be exceeded (buffer unchanged). */
int	 buf_append(struct buf *b, const void *data, size_t n);
/* Room for n more bytes (and the NUL) without another allocation: 0, or
 * -1 if the maximum would be exceeded (b unchanged). */
int	 buf_reserve(struct buf *b, size_t n);
int	 buf_puts(struct buf *b, const char *s);
int	 buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wipe with sodium_memzero-equivalent and free; leaves b empty. */
void	 buf_free(struct buf *b);
/* Cut s before a UTF-8 sequence left incomplete at its end (after a copy
 * into a smaller buffer), so that what remains is whole characters. */
void	 fs_utf8_clip(char *s);
/* Write all n bytes to fd (retrying on EINTR and short writes).  0; -1
 * with errno set. */
int	 fs_write_all(int fd, const void *p, size_t n);

/* Read a whole file into b (up to b->max bytes).  0 ok; -1 with errno set
 * (EFBIG when the file is larger than the maximum). */
int	 buf_read_file(struct buf *b, const char *path);

/* Format an error message into err (errlen bytes, always terminated);
 * does nothing when err is NULL or errlen is 0. */
void	 fs_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Check the part of a URL after "scheme://": host[:port] and nothing else
 * (host: name of [A-Za-z0-9.-], or an IP literal in brackets; port 1-65535).
 * proto names the URL in the French message ("SMTP", "IMAP").  0 / -1.
 */
int	 fs_url_hostport_check(const char *p, const char *proto, char *err, size_t errlen);

/* Wipe memory the compiler may not elide. */
void	 fs_wipe(void *p, size_t n);

#endif
