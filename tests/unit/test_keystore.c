/*
 * test_keystore - key files: modes, owner, symlinks, FIFOs, sizes,
 * no-overwrite atomic writes, base64 keys (known answer, exact length,
 * canonical form), the key directory, process hardening.  Works in a
 * private mkdtemp directory that it removes at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "keys/keystore.h"
#include "relay/util.h"
#include "tests/unit/t.h"

static char tmpdir[] = "/tmp/test_keystore.XXXXXX";
static char errbuf[KEYSTORE_ERR_MAX];

static char *
p(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tmpdir, name);
	return path[i];
}

static int
mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* Number of entries in dir, "." and ".." excluded. */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Write a file the ordinary way (no keystore), with mode. */
static void
plain_file(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(s, f);
	fclose(f);
	CHECK_INT(chmod(path, mode), 0);
}

/* 1 if keystore_read refuses path, with needle (if any) in the reason. */
static int
refused(const char *path, size_t max, const char *needle)
{
	size_t len;
	char *s;

	errbuf[0] = '\0';
	s = keystore_read(path, max, &len, errbuf, sizeof(errbuf));
	if (s != NULL) {
		keystore_free(s, len);
		return 0;
	}
	if (needle != NULL && strstr(errbuf, needle) == NULL) {
		fprintf(stderr, "    reason \"%s\" lacks \"%s\"\n", errbuf,
		    needle);
		return 0;
	}
	return 1;
}

static void
test_mkdir(void)
{
	mode_t old;

	old = umask(0);
	CHECK_INT(keystore_mkdir(p("keys"), errbuf, sizeof(errbuf)), 0);
	umask(old);
	CHECK_INT(mode_of(p("keys")), 0700);
	CHECK_INT(keystore_check_mode(p("keys"), 1, errbuf, sizeof(errbuf)), 0);
	/* Exists with the right mode: accepted again. */
	CHECK_INT(keystore_mkdir(p("keys"), errbuf, sizeof(errbuf)), 0);

	/* Exists too open: refused, not chmod'ed. */
	CHECK_INT(mkdir(p("opendir"), 0755), 0);
	CHECK_INT(chmod(p("opendir"), 0755), 0);
	CHECK_INT(keystore_mkdir(p("opendir"), errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "0755") != NULL);
	CHECK(strstr(errbuf, "chmod 700") != NULL);
	CHECK_INT(mode_of(p("opendir")), 0755);
	CHECK_INT(keystore_check_mode(p("opendir"), 1, errbuf,
	    sizeof(errbuf)), -1);
	CHECK_INT(keystore_check_mode(p("nothere"), 1, errbuf,
	    sizeof(errbuf)), -1);
	/* A file is not a directory; a directory is not a key file. */
	plain_file(p("afile"), "x", 0600);
	CHECK_INT(keystore_check_mode(p("afile"), 1, errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "répertoire") != NULL);
	CHECK_INT(keystore_check_mode(p("keys"), 0, errbuf, sizeof(errbuf)), -1);
	/* A symlink to a good directory is refused. */
	CHECK_INT(symlink(p("keys"), p("keyslink")), 0);
	CHECK_INT(keystore_check_mode(p("keyslink"), 1, errbuf,
	    sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "lien symbolique") != NULL);
	/* Parent missing. */
	CHECK_INT(keystore_mkdir(p("no/such"), errbuf, sizeof(errbuf)), -1);
}

static void
test_write_read(void)
{
	static const char secret[] = "SECRET-TEST-KEY\n";
	char *s;
	size_t len = 0;
	mode_t old;

	old = umask(0);		/* the file must still be 0600 */
	CHECK_INT(keystore_write(p("keys/id.key"), secret, strlen(secret)), 0);
	umask(old);
	CHECK_INT(mode_of(p("keys/id.key")), 0600);
	CHECK_INT(count_entries(p("keys")), 1);	/* no temporary left */

	s = keystore_read(p("keys/id.key"), 4096, &len, errbuf, sizeof(errbuf));
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_INT(len, strlen(secret));
		CHECK_STR(s, secret);
		keystore_free(s, len);
	}
	CHECK_INT(keystore_check_mode(p("keys/id.key"), 0, errbuf,
	    sizeof(errbuf)), 0);

	/* Overwrite refused, contents unchanged, nothing left behind. */
	errno = 0;
	CHECK_INT(keystore_write(p("keys/id.key"), "other", 5), -1);
	CHECK_INT(errno, EEXIST);
	CHECK_INT(count_entries(p("keys")), 1);
	s = keystore_read(p("keys/id.key"), 4096, &len, errbuf, sizeof(errbuf));
	CHECK(s != NULL && strcmp(s, secret) == 0);
	keystore_free(s, len);

	/* Missing directory: -1, errno ENOENT. */
	errno = 0;
	CHECK_INT(keystore_write(p("nodir/x.key"), "x", 1), -1);
	CHECK_INT(errno, ENOENT);

	/* Empty file is readable (an empty string). */
	CHECK_INT(keystore_write(p("keys/empty.key"), NULL, 0), 0);
	s = keystore_read(p("keys/empty.key"), 10, &len, errbuf, sizeof(errbuf));
	CHECK(s != NULL && len == 0 && s[0] == '\0');
	keystore_free(s, len);

	/* Size cap: exactly maxlen ok, one more refused. */
	CHECK(!refused(p("keys/id.key"), strlen(secret), NULL));
	CHECK(refused(p("keys/id.key"), strlen(secret) - 1,
	    "trop grand"));
}

static void
test_modes(void)
{
	static const int bad[] = { 0644, 0640, 0604, 0660, 0602, 0620, 0610,
	    0601, 0666, 0700 | 04 };
	char want[16];
	size_t i;

	plain_file(p("keys/m.key"), "secret\n", 0600);
	CHECK(!refused(p("keys/m.key"), 100, NULL));
	CHECK_INT(chmod(p("keys/m.key"), 0400), 0);
	CHECK(!refused(p("keys/m.key"), 100, NULL));
	CHECK_INT(keystore_check_mode(p("keys/m.key"), 0, errbuf,
	    sizeof(errbuf)), 0);

	for (i = 0; i < FS_ARRAY_LEN(bad); i++) {
		CHECK_INT(chmod(p("keys/m.key"), (mode_t)bad[i]), 0);
		snprintf(want, sizeof(want), "%04o", bad[i]);
		CHECK(refused(p("keys/m.key"), 100, want));
		CHECK(strstr(errbuf, "chmod 600") != NULL);
		CHECK(strstr(errbuf, "trop ouvertes") != NULL);
		CHECK_INT(keystore_check_mode(p("keys/m.key"), 0, errbuf,
		    sizeof(errbuf)), -1);
		CHECK(strstr(errbuf, want) != NULL);
	}
	CHECK_INT(chmod(p("keys/m.key"), 0600), 0);
	CHECK(!refused(p("keys/m.key"), 100, NULL));
}

static void
test_not_regular(void)
{
	/* Symlink to a good key file: refused by read and check. */
	CHECK_INT(symlink(p("keys/id.key"), p("keys/link.key")), 0);
	CHECK(refused(p("keys/link.key"), 4096, "lien symbolique"));
	CHECK_INT(keystore_check_mode(p("keys/link.key"), 0, errbuf,
	    sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "lien symbolique") != NULL);

	/* Writing through a dangling symlink creates nothing. */
	CHECK_INT(symlink(p("keys/target.key"), p("keys/dangling.key")), 0);
	errno = 0;
	CHECK_INT(keystore_write(p("keys/dangling.key"), "x", 1), -1);
	CHECK_INT(errno, EEXIST);
	CHECK_INT(mode_of(p("keys/target.key")), -1);

	/* A FIFO must not block the reader and is refused. */
	CHECK_INT(mkfifo(p("keys/fifo.key"), 0600), 0);
	CHECK(refused(p("keys/fifo.key"), 4096, "fichier ordinaire"));

	/* A directory is refused. */
	CHECK_INT(mkdir(p("keys/dir.key"), 0700), 0);
	CHECK(refused(p("keys/dir.key"), 4096, "fichier ordinaire"));

	/* Missing file: refused with the system's reason. */
	CHECK(refused(p("keys/none.key"), 4096, "ouverture impossible"));

	/* Owned by someone else (only testable as root). */
	if (geteuid() == 0) {
		plain_file(p("keys/other.key"), "x", 0600);
		CHECK_INT(chown(p("keys/other.key"), 12345, 12345), 0);
		CHECK(refused(p("keys/other.key"), 4096, "uid 12345"));
		CHECK_INT(keystore_check_mode(p("keys/other.key"), 0, errbuf,
		    sizeof(errbuf)), -1);
	}
}

static void
test_b64(void)
{
	uint8_t key[32], sk[64];
	uint8_t *back;
	char *s;
	size_t i, len;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	CHECK_INT(keystore_write_b64(p("keys/kek.key"), key, sizeof(key)), 0);
	CHECK_INT(mode_of(p("keys/kek.key")), 0600);
	/* Known answer: standard base64 with padding, one line. */
	s = keystore_read(p("keys/kek.key"), 100, &len, errbuf, sizeof(errbuf));
	CHECK(s != NULL);
	if (s != NULL)
		CHECK_STR(s, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
	keystore_free(s, len);

	back = keystore_read_b64(p("keys/kek.key"), 32, errbuf, sizeof(errbuf));
	CHECK(back != NULL && memcmp(back, key, 32) == 0);
	keystore_key_free(back);
	/* Exact length required, both ways. */
	CHECK(keystore_read_b64(p("keys/kek.key"), 64, errbuf,
	    sizeof(errbuf)) == NULL);
	CHECK(strstr(errbuf, "64 octets") != NULL);
	CHECK(keystore_read_b64(p("keys/kek.key"), 16, errbuf,
	    sizeof(errbuf)) == NULL);
	CHECK(keystore_read_b64(p("keys/kek.key"), 31, errbuf,
	    sizeof(errbuf)) == NULL);
	CHECK(keystore_read_b64(p("keys/kek.key"), 0, errbuf,
	    sizeof(errbuf)) == NULL);
	/* Overwrite refused for b64 keys too. */
	CHECK_INT(keystore_write_b64(p("keys/kek.key"), key, sizeof(key)), -1);
	CHECK_INT(keystore_write_b64(p("keys/zero.key"), key, 0), -1);

	/* An Ed25519 secret key (64 bytes) round-trips. */
	randombytes_buf(sk, sizeof(sk));
	CHECK_INT(keystore_write_b64(p("keys/signing.key"), sk, sizeof(sk)), 0);
	back = keystore_read_b64(p("keys/signing.key"), 64, errbuf,
	    sizeof(errbuf));
	CHECK(back != NULL && memcmp(back, sk, 64) == 0);
	keystore_key_free(back);
	keystore_key_free(NULL);

	/* Variants of the text: CRLF and no newline ok; anything else not. */
	plain_file(p("keys/crlf.key"),
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n", 0600);
	back = keystore_read_b64(p("keys/crlf.key"), 32, errbuf, sizeof(errbuf));
	CHECK(back != NULL && memcmp(back, key, 32) == 0);
	keystore_key_free(back);
	plain_file(p("keys/nonl.key"),
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 0600);
	back = keystore_read_b64(p("keys/nonl.key"), 32, errbuf, sizeof(errbuf));
	CHECK(back != NULL && memcmp(back, key, 32) == 0);
	keystore_key_free(back);
	{
		static const char *badtext[] = {
		    /* stray bits in the last character */
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",
		    /* no padding */
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
		    /* two newlines, leading space */
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
		    " AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		    /* URL-safe alphabet */
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaG_wdHh8=\n",
		    /* empty */
		    "",
		};
		for (i = 0; i < FS_ARRAY_LEN(badtext); i++) {
			char name[32];

			snprintf(name, sizeof(name), "keys/bad%zu.key", i);
			plain_file(p(name), badtext[i], 0600);
			back = keystore_read_b64(p(name), 32, errbuf,
			    sizeof(errbuf));
			CHECK(back == NULL);
			CHECK(strstr(errbuf, "contenu invalide") != NULL);
			keystore_key_free(back);
		}
	}
	/* Mode checks apply to b64 keys. */
	CHECK_INT(chmod(p("keys/kek.key"), 0640), 0);
	CHECK(keystore_read_b64(p("keys/kek.key"), 32, errbuf,
	    sizeof(errbuf)) == NULL);
	CHECK(strstr(errbuf, "0640") != NULL);
}

/* Permissions of the mapping holding addr from /proc/self/maps ("rw-p"
 * and so on) into perms[5]; 0 found, -1 not. */
static int
map_perms(const void *addr, char perms[5])
{
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)addr;
	char line[512];
	FILE *f;
	int r = -1;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    a >= lo && a < hi) {
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

/* A key from keystore_read_b64 lives in a read-only mapping. */
static void
test_readonly(void)
{
	char perms[5] = "";
	uint8_t *k;

	CHECK_INT(chmod(p("keys/kek.key"), 0600), 0);
	k = keystore_read_b64(p("keys/kek.key"), 32, errbuf, sizeof(errbuf));
	CHECK(k != NULL);
	if (k == NULL)
		return;
	CHECK_INT(map_perms(k, perms), 0);
	CHECK(perms[0] == 'r' && perms[1] == '-');
	keystore_key_free(k);
}

/* Hardening in a child: its effects (no dump, no core) would outlive the
 * test otherwise. */
static void
test_harden(void)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		char warn[KEYSTORE_ERR_MAX];
		struct rlimit rl;

		if (keystore_harden_process(warn, sizeof(warn)) != 0)
			_exit(2);
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 ||
		    rl.rlim_max != 0)
			_exit(3);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(4);
		if (warn[0] != '\0' && strstr(warn, "mlock") == NULL)
			_exit(5);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 2;
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_mkdir();
	test_write_read();
	test_modes();
	test_not_regular();
	test_b64();
	test_readonly();
	test_harden();
	CHECK_INT(nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	return t_done();
}
