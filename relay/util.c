/*
 * util - see util.h.  Trusts nothing: every size is checked for overflow.
 */
#include "relay/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	fputs("fsrelay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("mémoire insuffisante");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatalx("mémoire insuffisante");
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	void *q = reallocarray(p, nmemb ? nmemb : 1, size ? size : 1);

	if (q == NULL)
		fatalx("mémoire insuffisante");
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatalx("mémoire insuffisante");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		fatalx("mémoire insuffisante");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		fatalx("mémoire insuffisante");
	return s;
}

size_t
fs_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

size_t
fs_strlcat(char *dst, const char *src, size_t size)
{
	size_t d = strnlen(dst, size);

	if (d == size)
		return size + strlen(src);
	return d + fs_strlcpy(dst + d, src, size - d);
}

void
fs_ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

void
fs_hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
fs_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* Move b's bytes to a new block of cap bytes (cap > b->len). */
static void
buf_regrow(struct buf *b, size_t cap)
{
	char *np;

	/* Grow by copy so that the old bytes can be wiped: buffers may hold
	 * plaintext personal data. */
	np = xmalloc(cap);
	if (b->len)
		memcpy(np, b->p, b->len);
	if (b->p) {
		fs_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = cap;
}

int
buf_reserve(struct buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n + 1 > b->cap)
		buf_regrow(b, b->len + n + 1);
	return 0;
}

int
buf_append(struct buf *b, const void *data, size_t n)
{
	size_t need;

	if (n > b->max || b->len > b->max - n)
		return -1;
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		/* A first append takes what it needs, not the next power of
		 * two (a 10 MiB piece read back would take 16 MiB). */
		if (b->cap == 0 && need > 256)
			cap = need;
		buf_regrow(b, cap);
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r, n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("mémoire insuffisante");
	r = buf_append(b, s, (size_t)n);
	fs_wipe(s, (size_t)n);
	free(s);
	return r;
}

void
buf_free(struct buf *b)
{
	if (b->p) {
		fs_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

void
fs_utf8_clip(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char c;

	/* Back over at most three continuation bytes to the lead byte. */
	while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)s[i - 1];
	need = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
	    (c & 0xf8) == 0xf0 ? 4 : 1;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

int
fs_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
buf_read_file(struct buf *b, const char *path)
{
	char chunk[8192];
	struct stat sb;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* a regular file's size known: one block of that size */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uint64_t)sb.st_size <= b->max)
		(void)buf_reserve(b, (size_t)sb.st_size);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_append(b, chunk, (size_t)n) < 0) {
			close(fd);
			fs_wipe(chunk, sizeof(chunk));
			errno = EFBIG;
			return -1;
		}
	}
	saved = errno;
	close(fd);
	fs_wipe(chunk, sizeof(chunk));
	if (n < 0) {
		errno = saved;
		return -1;
	}
	if (b->p == NULL)	/* empty file: still a valid string */
		buf_append(b, "", 0);
	return 0;
}

void
fs_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

void
fs_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static size_t
url_host_len(const char *h)
{
	size_t n;

	if (h[0] == '[') {
		for (n = 1; h[n] != ']'; n++)
			if (!isxdigit((unsigned char)h[n]) && h[n] != ':' && h[n] != '.')
				return 0;
		return n > 1 ? n + 1 : 0;
	}
	for (n = 0; h[n] != '\0'; n++)
		if (!isalnum((unsigned char)h[n]) && h[n] != '.' && h[n] != '-')
			break;
	return n;
}

int
fs_url_hostport_check(const char *p, const char *proto, char *err, size_t errlen)
{
	size_t hl, n;
	long port = 0;

	if ((hl = url_host_len(p)) == 0) {
		fs_seterr(err, errlen, "URL %s : hôte invalide", proto);
		return -1;
	}
	p += hl;
	if (*p == ':') {
		for (n = 1; isdigit((unsigned char)p[n]) && n <= 5; n++)
			port = port * 10 + (p[n] - '0');
		if (n == 1 || port < 1 || port > 65535) {
			fs_seterr(err, errlen, "URL %s : port invalide", proto);
			return -1;
		}
		p += n;
	}
	if (*p != '\0') {
		fs_seterr(err, errlen, "URL %s : rien n'est permis après hôte:port (chemin,"
		    " paramètres, identifiants, caractères de contrôle)", proto);
		return -1;
	}
	return 0;
}
