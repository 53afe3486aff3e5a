/*
 * keystore - secret key files: atomic no-overwrite writes, checked reads
 * into sodium_malloc'd memory, mode checks, process hardening.  See
 * keystore.h.  Trusts nothing in the file system: every check is made on
 * the opened descriptor (fstat) or without following symlinks (lstat).
 */
#include "keys/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "relay/util.h"

#define B64_VARIANT	sodium_base64_VARIANT_ORIGINAL



/* The directory part of path ("." if none); caller frees. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int
fsync_dir(const char *dir)
{
	int fd, r, saved;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* Write contents to a new temporary file beside path; its name in *tmp_r
 * (caller frees).  0 / -1 with errno, nothing left behind on failure. */
static int
write_tmp(const char *path, const char *contents, size_t len, char **tmp_r)
{
	char *tmp;
	int fd, saved;

	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		goto fail;
	if (fchmod(fd, 0600) == -1 || fs_write_all(fd, contents, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	*tmp_r = tmp;
	return 0;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int
keystore_write(const char *path, const char *contents, size_t len)
{
	char *tmp, *dir;
	int r = -1, saved;

	if (path == NULL || path[0] == '\0' || (contents == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	if (contents == NULL)
		contents = "";
	if (write_tmp(path, contents, len, &tmp) == -1)
		return -1;
	dir = dir_of(path);
	/* link(2) never replaces an existing name, not even a symlink. */
	if (link(tmp, path) == 0 && fsync_dir(dir) == 0)
		r = 0;
	saved = errno;
	unlink(tmp);
	free(tmp);
	free(dir);
	errno = saved;
	return r;
}

/* Check what (l)stat said of a key file or directory; 0 / -1 + reason. */
static int
check_stat(const struct stat *st, const char *path, int is_dir, char *err,
    size_t errlen)
{
	if (S_ISLNK(st->st_mode)) {
		fs_seterr(err, errlen, "%s : est un lien symbolique (refusé)", path);
		return -1;
	}
	if (is_dir && !S_ISDIR(st->st_mode)) {
		fs_seterr(err, errlen, "%s : n'est pas un répertoire", path);
		return -1;
	}
	if (!is_dir && !S_ISREG(st->st_mode)) {
		fs_seterr(err, errlen, "%s : n'est pas un fichier ordinaire", path);
		return -1;
	}
	if (st->st_uid != geteuid()) {
		fs_seterr(err, errlen, "%s : appartient à l'uid %u et non à "
		    "l'utilisateur courant (uid %u)", path,
		    (unsigned)st->st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((st->st_mode & 077) != 0) {
		fs_seterr(err, errlen, "%s : permissions %04o trop ouvertes "
		    "(attendu %s, corriger avec « chmod %s %s »)", path,
		    (unsigned)(st->st_mode & 07777), is_dir ? "0700" : "0600",
		    is_dir ? "700" : "600", path);
		return -1;
	}
	return 0;
}

int
keystore_check_mode(const char *path, int is_dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		fs_seterr(err, errlen, "%s : %s", path, strerror(errno));
		return -1;
	}
	return check_stat(&st, path, is_dir, err, errlen);
}

/* Read exactly size bytes from fd into p, then expect end of file. */
static int
read_exact(int fd, char *p, size_t size)
{
	size_t got = 0;
	char extra;
	ssize_t n;

	while (got < size) {
		n = read(fd, p + got, size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	do
		n = read(fd, &extra, 1);
	while (n == -1 && errno == EINTR);
	return n == 0 ? 0 : -1;
}

static int
open_key(const char *path, char *err, size_t errlen)
{
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			fs_seterr(err, errlen, "%s : est un lien symbolique "
			    "(refusé)", path);
		else
			fs_seterr(err, errlen, "%s : ouverture impossible : %s",
			    path, strerror(errno));
	}
	return fd;
}

char *
keystore_read(const char *path, size_t maxlen, size_t *len_r, char *err,
    size_t errlen)
{
	struct stat st;
	char *secret = NULL;
	size_t size;
	int fd;

	if ((fd = open_key(path, err, errlen)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		fs_seterr(err, errlen, "%s : %s", path, strerror(errno));
		goto out;
	}
	if (check_stat(&st, path, 0, err, errlen) == -1)
		goto out;
	if (st.st_size < 0 || (unsigned long long)st.st_size > maxlen) {
		fs_seterr(err, errlen, "%s : fichier trop grand (%lld octets, "
		    "maximum %zu)", path, (long long)st.st_size, maxlen);
		goto out;
	}
	size = (size_t)st.st_size;
	if ((secret = sodium_malloc(size + 1)) == NULL) {
		fs_seterr(err, errlen, "%s : mémoire insuffisante", path);
		goto out;
	}
	if (read_exact(fd, secret, size) == -1) {
		fs_seterr(err, errlen, "%s : lecture impossible ou fichier "
		    "modifié pendant la lecture", path);
		sodium_free(secret);
		secret = NULL;
		goto out;
	}
	secret[size] = '\0';
	if (len_r != NULL)
		*len_r = size;
out:
	close(fd);
	return secret;
}

void
keystore_free(char *secret, size_t len)
{
	(void)len;
	if (secret != NULL)
		sodium_free(secret);	/* zeroes before freeing */
}

int
keystore_mkdir(const char *dir, char *err, size_t errlen)
{
	char *parent;
	int fd, r;

	if (mkdir(dir, 0700) == -1) {
		if (errno == EEXIST)
			return keystore_check_mode(dir, 1, err, errlen);
		fs_seterr(err, errlen, "%s : création impossible : %s", dir,
		    strerror(errno));
		return -1;
	}
	/* The umask may have removed bits we want; never adds any. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fchmod(fd, 0700) == -1) {
		fs_seterr(err, errlen, "%s : chmod 700 impossible : %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	parent = dir_of(dir);
	r = fsync_dir(parent);
	if (r == -1)
		fs_seterr(err, errlen, "%s : fsync impossible : %s", parent,
		    strerror(errno));
	free(parent);
	return r;
}

int
keystore_harden_process(char *warn, size_t warnlen)
{
	static const struct rlimit nocore = { 0, 0 };
	unsigned char probe[64];

	fs_seterr(warn, warnlen, "%s", "");
	if (sodium_init() < 0) {
		fs_seterr(warn, warnlen, "libsodium : initialisation impossible");
		return -1;
	}
	if (setrlimit(RLIMIT_CORE, &nocore) == -1) {
		fs_seterr(warn, warnlen, "setrlimit(RLIMIT_CORE) : %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		fs_seterr(warn, warnlen, "prctl(PR_SET_DUMPABLE) : %s",
		    strerror(errno));
		return -1;
	}
	/* sodium_malloc tries mlock and ignores failure: find out here. */
	if (sodium_mlock(probe, sizeof(probe)) != 0)
		fs_seterr(warn, warnlen, "avertissement : mémoire verrouillée "
		    "(mlock) indisponible, les clés pourraient aller en swap "
		    "(augmenter LimitMEMLOCK ou utiliser un swap chiffré)");
	else
		sodium_munlock(probe, sizeof(probe));
	return 0;
}

int
keystore_write_b64(const char *path, const uint8_t *key, size_t len)
{
	size_t enc;
	char *b64;
	int r, saved;

	if (key == NULL || len == 0 || len > KEYSTORE_FILE_MAX) {
		errno = EINVAL;
		return -1;
	}
	enc = sodium_base64_ENCODED_LEN(len, B64_VARIANT);	/* with NUL */
	if ((b64 = sodium_malloc(enc)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (sodium_bin2base64(b64, enc, key, len, B64_VARIANT) == NULL) {
		sodium_free(b64);
		errno = EINVAL;
		return -1;
	}
	b64[enc - 1] = '\n';	/* the NUL becomes the final newline */
	r = keystore_write(path, b64, enc);
	saved = errno;
	sodium_free(b64);
	errno = saved;
	return r;
}

/* Decode canonical base64 s (n bytes) of exactly want bytes into key. */
static int
decode_b64(uint8_t *key, size_t want, const char *s, size_t n)
{
	const char *end = NULL;
	size_t binlen = 0, enc;
	char *again;
	int r = -1;

	if (sodium_base642bin(key, want, s, n, NULL, &binlen, &end,
	    B64_VARIANT) != 0 || end != s + n || binlen != want)
		return -1;
	/* Canonical: re-encoding gives the same text (no stray bits). */
	enc = sodium_base64_ENCODED_LEN(want, B64_VARIANT);
	if ((again = sodium_malloc(enc)) == NULL)
		return -1;
	if (sodium_bin2base64(again, enc, key, want, B64_VARIANT) != NULL &&
	    enc - 1 == n && sodium_memcmp(again, s, n) == 0)
		r = 0;
	sodium_free(again);
	return r;
}

uint8_t *
keystore_read_b64(const char *path, size_t want_len, char *err, size_t errlen)
{
	uint8_t *key = NULL;
	size_t n = 0, maxlen;
	char *s;

	if (want_len == 0 || want_len > KEYSTORE_FILE_MAX) {
		fs_seterr(err, errlen, "%s : longueur de clé invalide", path);
		return NULL;
	}
	maxlen = sodium_base64_ENCODED_LEN(want_len, B64_VARIANT) + 1;
	if ((s = keystore_read(path, maxlen, &n, err, errlen)) == NULL)
		return NULL;
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if ((key = sodium_malloc(want_len)) == NULL) {
		fs_seterr(err, errlen, "%s : mémoire insuffisante", path);
		goto out;
	}
	if (decode_b64(key, want_len, s, n) == -1 ||
	    sodium_mprotect_readonly(key) != 0) {
		fs_seterr(err, errlen, "%s : contenu invalide (attendu une ligne "
		    "base64 d'une clé de %zu octets)", path, want_len);
		sodium_free(key);
		key = NULL;
	}
out:
	keystore_free(s, n);
	return key;
}

void
keystore_key_free(uint8_t *key)
{
	if (key != NULL)
		sodium_free(key);
}
