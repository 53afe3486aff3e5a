/*
 * keystore - secret key files and the runtime key directory.
 *
 * The instance's key directory <data_dir>/keys/ (mode 0700) holds one
 * file per secret, each mode 0600 and owned by the relay's user.  This
 * module is a generic "secret key file" layer: it writes such files
 * atomically and without ever overwriting one, reads them into
 * sodium_malloc'd memory after checking type, owner, mode and size, and
 * hardens the process that holds them.  It knows nothing of the formats
 * inside (age identities are formatted by relay/age); binary keys are
 * stored as one line of standard base64 (keystore_write_b64).
 *
 * Trusts: nothing in the file system.  A key file that is a symlink, not a
 * regular file, not ours, group/world accessible, or too big is refused
 * with a French reason for the administrator.
 */
#ifndef FSRELAY_KEYSTORE_H
#define FSRELAY_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

/* Layout of <data_dir>/keys/ (see docs/keys.md). */
#define KEYSTORE_DIR		"keys"
#define KEYSTORE_IDENTITY	"relay-identity.key"	/* age X25519 identity */
#define KEYSTORE_KEK		"kek.key"		/* 32 bytes, b64 */
#define KEYSTORE_SIGNING	"signing.key"		/* Ed25519, 64 bytes, b64 */
#define KEYSTORE_AUDIT		"audit-log.key"		/* Ed25519, 64 bytes, b64 */
#define KEYSTORE_HMAC		"hmac.key"		/* 32 bytes, b64 */
#define KEYSTORE_INDEX		"index.key"		/* 32 bytes, b64 */

#define KEYSTORE_FILE_MAX	4096	/* no key file of ours is larger */
#define KEYSTORE_ERR_MAX	512	/* enough for any reason we give */

/*
 * Write a new key file at path holding contents (len bytes), mode 0600.
 * Atomic: written to a temporary file in the same directory, fsync'd,
 * then linked into place with link(2) (which never replaces anything),
 * then the directory is fsync'd.  A reader sees the whole file or none.
 * 0 on success; -1 with errno set on failure (EEXIST if path already
 * exists, even as a dangling symlink); no temporary file is left behind.
 * (If only the final directory fsync fails, the file is in place but
 * -1 is returned: it may not survive a crash.)
 */
int	 keystore_write(const char *path, const char *contents, size_t len);

/*
 * Load a key file into sodium_malloc'd memory, NUL-terminated (the NUL is
 * not counted in *len_r).  The file is opened with O_NOFOLLOW and checked
 * on the open descriptor: regular file, owned by the effective uid, no
 * group/world permission bit, at most maxlen bytes.  Returns the secret
 * (free with keystore_free), or NULL with a French reason in err (errlen
 * bytes, may be 0).
 */
char	*keystore_read(const char *path, size_t maxlen, size_t *len_r,
	    char *err, size_t errlen);

/* Wipe and free a secret from keystore_read; NULL ok.  len is the length
 * keystore_read gave (kept for symmetry; sodium_free knows the size). */
void	 keystore_free(char *secret, size_t len);

/*
 * Check a key file (is_dir 0) or the key directory (is_dir 1) without
 * reading it, for `fsrelay check`: not a symlink, right type, owned by the
 * effective uid, no group/world permission bit.  0 ok; -1 with a French
 * reason in err.
 */
int	 keystore_check_mode(const char *path, int is_dir, char *err,
	    size_t errlen);

/*
 * Create the key directory with mode 0700 (whatever the umask) and fsync
 * its parent.  If it already exists it is accepted only when
 * keystore_check_mode(dir, 1) accepts it (it is never chmod'ed behind
 * the administrator's back); existing key files are protected by
 * keystore_write's refusal to overwrite.  0 ok; -1 with a French reason.
 */
int	 keystore_mkdir(const char *dir, char *err, size_t errlen);

/*
 * Harden a process that holds secrets: sodium_init(), RLIMIT_CORE 0,
 * PR_SET_DUMPABLE 0 (no core dump, no ptrace by other processes of the
 * same uid).  Call first thing in main for any subcommand that loads
 * keys.  0 on success, with warn set to "" or, when locked memory is not
 * available (sodium_malloc'd keys may then be swapped), to a French
 * warning to show.  -1 with the reason in warn if something failed (the
 * caller should stop).
 */
int	 keystore_harden_process(char *warn, size_t warnlen);

/*
 * Write len bytes of key as a new key file: one line of standard base64
 * (sodium_bin2base64, ORIGINAL variant, with padding) and a newline.
 * 0 / -1 as keystore_write.
 */
int	 keystore_write_b64(const char *path, const uint8_t *key, size_t len);

/*
 * Read a key file written by keystore_write_b64 (checked as
 * keystore_read).  The content must be canonical base64 of exactly
 * want_len bytes, optionally followed by one "\n" (or "\r\n").  Returns
 * the key in sodium_malloc'd read-only memory (free with
 * keystore_key_free), or NULL with a French reason in err.
 */
uint8_t	*keystore_read_b64(const char *path, size_t want_len, char *err,
	    size_t errlen);

/* Wipe and free a key from keystore_read_b64; NULL ok. */
void	 keystore_key_free(uint8_t *key);

#endif
