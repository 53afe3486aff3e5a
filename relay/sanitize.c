/*
 * sanitize - untrusted text at output time, piece names (see sanitize.h).
 */
#include "relay/sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <unistr.h>

/* 1 when the code point (not a C0 or DEL) must not reach a display: C1,
 * the bidirectional controls and the line/paragraph separators. */
static int
hidden(ucs4_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c ||
	    c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

/* Length of the character at u[0..n) and its code point; *bad when the
 * bytes are not valid UTF-8 (then length 1). */
static size_t
next_char(const uint8_t *u, size_t n, ucs4_t *c, int *bad)
{
	int k = u8_mbtoucr(c, u, n);

	*bad = k <= 0;
	return k <= 0 ? 1 : (size_t)k;
}

size_t
san_append(struct buf *out, const char *s, size_t n, int flags)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0, k, nrep = 0;
	char rep[16];
	ucs4_t c;
	int bad, r;

	while (s != NULL && i < n) {
		k = next_char(u + i, n - i, &c, &bad);
		rep[0] = '\0';
		if (bad)
			memcpy(rep, "\xef\xbf\xbd", 4);		/* U+FFFD */
		else if (c < 0x20 || c == 0x7f) {
			if ((flags & SAN_LINES) && (c == '\n' || c == '\t'))
				;
			else if ((flags & SAN_LINES) && c == '\r' &&
			    i + 1 < n && u[i + 1] == '\n') {
				i++;
				nrep++;
				continue;
			} else {
				/* Control pictures: U+2400 + c, DEL U+2421. */
				c = c == 0x7f ? 0x2421 : 0x2400 + c;
				rep[0] = (char)0xe2;
				rep[1] = (char)(0x80 | ((c >> 6) & 0x3f));
				rep[2] = (char)(0x80 | (c & 0x3f));
				rep[3] = '\0';
			}
		} else if (hidden(c))
			snprintf(rep, sizeof(rep), "<U+%04X>", (unsigned)c);
		if (rep[0] != '\0') {
			r = buf_puts(out, rep);
			nrep++;
		} else
			r = buf_append(out, u + i, k);
		if (r < 0)
			break;
		i += k;
	}
	return nrep;
}

char *
san_dup(const char *s, int flags)
{
	struct buf b;
	char *r;

	if (s == NULL)
		return NULL;
	buf_init(&b, strlen(s) * 8 + 1);
	(void)san_append(&b, s, strlen(s), flags);
	r = xstrndup(b.p ? b.p : "", b.len);
	buf_free(&b);
	return r;
}

int
san_clean(const char *s, size_t n, int flags)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0;
	ucs4_t c;
	int bad;

	while (i < n) {
		i += next_char(u + i, n - i, &c, &bad);
		if (bad || hidden(c))
			return 0;
		if ((c < 0x20 || c == 0x7f) && !((flags & SAN_LINES) &&
		    (c == '\n' || c == '\t')))
			return 0;
	}
	return 1;
}

int
san_name_check(const char *s, size_t n, size_t max, const char **why)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0;
	ucs4_t c;
	int bad;

	if (n == 0) {
		*why = "nom vide";
		return -1;
	}
	if (n > max) {
		*why = "nom trop long";
		return -1;
	}
	while (i < n) {
		i += next_char(u + i, n - i, &c, &bad);
		if (bad) {
			*why = "nom non UTF-8";
			return -1;
		}
		if (c == '\n' || c == '\r') {
			*why = "retour à la ligne interdit";
			return -1;
		}
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
			*why = "caractère de contrôle interdit";
			return -1;
		}
		if (hidden(c)) {
			*why = "caractère de contrôle du sens d'écriture "
			    "interdit (il déguise l'extension)";
			return -1;
		}
		if (c == '/') {
			*why = "barre oblique interdite";
			return -1;
		}
	}
	return 0;
}

/* Cut n so that s[0..n) ends on a character boundary. */
static size_t
utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

void
san_disk_name(const char *name, char *stem, char *ext)
{
	const uint8_t *u;
	const char *p = name, *s, *dot;
	char tmp[4 * SAN_DISK_MAX + 1];
	size_t n = 0, i, k, el, sl, len;
	ucs4_t c;
	int bad;

	for (s = name; *s; s++)
		if (*s == '/' || *s == '\\')
			p = s + 1;
	while (*p == '.')
		p++;
	u = (const uint8_t *)p;
	len = strlen(p);
	for (i = 0; i < len && n + 4 < sizeof(tmp); i += k) {
		k = next_char(u + i, len - i, &c, &bad);
		if (bad || c < 0x20 || c == 0x7f || c == ':' || hidden(c))
			tmp[n++] = '_';
		else {
			memcpy(tmp + n, u + i, k);
			n += k;
		}
	}
	tmp[n] = '\0';
	if (n == 0)
		fs_strlcpy(tmp, "piece", sizeof(tmp));
	dot = strrchr(tmp, '.');
	if (dot == NULL || dot == tmp || strlen(dot) > 32)
		dot = tmp + strlen(tmp);
	el = strlen(dot);
	sl = (size_t)(dot - tmp);
	if (sl + el > SAN_DISK_MAX)
		sl = utf8_cut(tmp, SAN_DISK_MAX - el);
	memcpy(stem, tmp, sl);
	stem[sl] = '\0';
	fs_strlcpy(ext, dot, SAN_DISK_MAX + 1);
}

int
san_create(int dirfd, const char *name, char *used, size_t usedlen, char *err,
    size_t errlen)
{
	char stem[SAN_DISK_MAX + 1], ext[SAN_DISK_MAX + 1];
	int fd = -1, k;

	san_disk_name(name, stem, ext);
	for (k = 0; k < SAN_CLASH_MAX && fd < 0; k++) {
		if (k == 0)
			snprintf(used, usedlen, "%s%s", stem, ext);
		else
			snprintf(used, usedlen, "%s-%d%s", stem, k, ext);
		fd = openat(dirfd, used, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			fs_seterr(err, errlen, "création de « %s » impossible : %s",
			    used, strerror(errno));
			return -1;
		}
	}
	if (fd < 0)
		fs_seterr(err, errlen, "trop de fichiers nommés « %s%s »", stem,
		    ext);
	return fd;
}
