/*
 * test_age - age v1 reader and writer: HKDF against RFC 5869, key text
 * forms, round trips, interoperability both ways with the real age 1.1.1
 * binaries (required: the test fails if they are missing), and rejection
 * of altered, truncated, extended and malformed files.  Malformed headers
 * are built here with an independent writer (test_* helpers below) that
 * knows the file key, so that each rejection is shown to come from the
 * check it targets and not from the MAC.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "relay/age.h"
#include "relay/bech32.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#define MAXOUT	(4u * 1024 * 1024)

extern char **environ;

static char tmpdir[64];

static char *
tpath(const char *name)
{
	static char p[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

/* Run argv (PATH lookup), stdout to out_path (or inherited), stderr to
 * /dev/null if quiet.  Exit status, or -1 if it could not run. */
static int
run(char *const argv[], const char *out_path, int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, r;

	posix_spawn_file_actions_init(&fa);
	if (out_path != NULL)
		posix_spawn_file_actions_addopen(&fa, 1, out_path,
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
		    0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		fprintf(stderr, "    impossible de lancer %s: %s\n", argv[0],
		    strerror(r));
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL)
		return -1;
	if (n > 0 && fwrite(p, 1, n, f) != n)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Make a key pair with age-keygen into <name>; sk/pk from the file. */
static int
keygen_file(const char *name, uint8_t sk[32], uint8_t pk[32], char *rcpt)
{
	char *argv[] = { "age-keygen", "-o", NULL, NULL };
	char *argy[] = { "age-keygen", "-y", NULL, NULL };
	struct buf b;
	const char *err = NULL;
	char pubname[64];
	int rc = -1;

	argv[2] = tpath(name);
	argy[2] = argv[2];
	snprintf(pubname, sizeof(pubname), "%s.pub", name);
	buf_init(&b, 4096);
	if (run(argv, "/dev/null", 1) != 0 ||
	    buf_read_file(&b, tpath(name)) < 0 ||
	    age_identity_parse(b.p, sk, &err) < 0)
		goto out;
	buf_free(&b);
	buf_init(&b, 4096);
	/* The public key as age-keygen -y prints it. */
	if (run(argy, tpath(pubname), 0) != 0 ||
	    buf_read_file(&b, tpath(pubname)) < 0 || b.len != 63 ||
	    b.p[62] != '\n')
		goto out;
	b.p[62] = '\0';
	memcpy(rcpt, b.p, 63);
	if (age_recipient_parse(b.p, pk, &err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && err != NULL)
		fprintf(stderr, "    %s\n", err);
	buf_free(&b);
	return rc;
}

/* ---- HKDF ---- */

static void
test_hkdf(void)
{
	/* RFC 5869 A.1 (test case 1) and A.3 (test case 3: empty salt and
	 * info, as for the age header key). */
	static const uint8_t okm1[42] = {
		0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43,
		0x4f, 0x64, 0xd0, 0x36, 0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90,
		0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56, 0xec, 0xc4,
		0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18,
		0x58, 0x65
	};
	static const uint8_t okm3[42] = {
		0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f,
		0x80, 0x2a, 0x06, 0x3c, 0x5a, 0x31, 0xb8, 0xa1, 0x1f, 0x5c,
		0x5e, 0xe1, 0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f, 0x3c, 0x73,
		0x8d, 0x2d, 0x9d, 0x20, 0x13, 0x95, 0xfa, 0xa4, 0xb6, 0x1a,
		0x96, 0xc8
	};
	uint8_t ikm[22], salt[13], info[10], out[42], big[255 * 32 + 1];
	size_t i;

	memset(ikm, 0x0b, sizeof(ikm));
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)(0xf0 + i);
	CHECK_INT(age_hkdf_sha256(out, 42, ikm, 22, salt, 13, info, 10), 0);
	CHECK(memcmp(out, okm1, 42) == 0);
	CHECK_INT(age_hkdf_sha256(out, 42, ikm, 22, NULL, 0, NULL, 0), 0);
	CHECK(memcmp(out, okm3, 42) == 0);
	/* Prefix property and length limits. */
	CHECK_INT(age_hkdf_sha256(out, 7, ikm, 22, salt, 13, info, 10), 0);
	CHECK(memcmp(out, okm1, 7) == 0);
	CHECK_INT(age_hkdf_sha256(big, 255 * 32, ikm, 22, NULL, 0, NULL, 0), 0);
	CHECK(memcmp(big, okm3, 42) == 0);
	CHECK_INT(age_hkdf_sha256(big, 255 * 32 + 1, ikm, 22, NULL, 0, NULL, 0),
	    -1);
	CHECK_INT(age_hkdf_sha256(big, 0, ikm, 22, NULL, 0, NULL, 0), -1);
}

/* ---- key text forms ---- */

static void
test_keys(void)
{
	uint8_t sk[32], pk[32], sk2[32], pk2[32];
	char r[AGE_RECIPIENT_LEN + 1], id[AGE_IDENTITY_LEN + 1];
	char text[256], bad[128];
	const char *err;

	CHECK_INT(age_keygen(sk, pk), 0);
	CHECK_INT(crypto_scalarmult_base(pk2, sk), 0);
	CHECK(memcmp(pk, pk2, 32) == 0);
	CHECK_INT(age_recipient_format(r, sizeof(r), pk), 0);
	CHECK_INT(strlen(r), AGE_RECIPIENT_LEN);
	CHECK(strncmp(r, "age1", 4) == 0);
	CHECK_INT(age_recipient_format(r, sizeof(r) - 1, pk), -1);
	CHECK_INT(age_recipient_format(r, sizeof(r), pk), 0);
	CHECK_INT(age_recipient_parse(r, pk2, &err), 0);
	CHECK(memcmp(pk, pk2, 32) == 0);
	CHECK_INT(age_identity_format(id, sizeof(id), sk), 0);
	CHECK_INT(strlen(id), AGE_IDENTITY_LEN);
	CHECK(strncmp(id, "AGE-SECRET-KEY-" "1", 16) == 0);
	CHECK(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == strlen(id));
	CHECK_INT(age_identity_parse(id, sk2, &err), 0);
	CHECK(memcmp(sk, sk2, 32) == 0);

	/* Identity file with comments, CRLF and blank lines. */
	snprintf(text, sizeof(text), "# created: x\r\n# public key: %s\r\n\r\n"
	    "%s\r\n", r, id);
	memset(sk2, 0, 32);
	CHECK_INT(age_identity_parse(text, sk2, &err), 0);
	CHECK(memcmp(sk, sk2, 32) == 0);
	snprintf(text, sizeof(text), "%s\n%s\n", id, id);
	CHECK_INT(age_identity_parse(text, sk2, &err), -1);
	CHECK_INT(age_identity_parse("# nothing\n\n", sk2, &err), -1);
	CHECK_INT(age_identity_parse("", sk2, &err), -1);
	snprintf(text, sizeof(text), " %s\n", id);
	CHECK_INT(age_identity_parse(text, sk2, &err), -1);
	/* A recipient is not an identity and vice versa. */
	CHECK_INT(age_identity_parse(r, sk2, &err), -1);
	CHECK_INT(age_recipient_parse(id, pk2, &err), -1);

	/* Bad Bech32 checksum in a recipient. */
	memcpy(bad, r, sizeof(r));
	bad[30] = bad[30] == 'q' ? 'p' : 'q';
	err = NULL;
	CHECK_INT(age_recipient_parse(bad, pk2, &err), -1);
	CHECK_STR(err, "somme de contrôle bech32 incorrecte");
	memcpy(bad, r, sizeof(r));
	bad[AGE_RECIPIENT_LEN - 1] = bad[AGE_RECIPIENT_LEN - 1] == 'q' ? 'p' : 'q';
	CHECK_INT(age_recipient_parse(bad, pk2, &err), -1);
	/* Mixed case. */
	memcpy(bad, r, sizeof(r));
	bad[10] = 'Q';
	CHECK_INT(age_recipient_parse(bad, pk2, &err), -1);
	/* Identity with a wrong HRP but a valid checksum. */
	CHECK_INT(bech32_encode(bad, sizeof(bad), "age-secret-kez-", sk, 32), 0);
	err = NULL;
	CHECK_INT(age_identity_parse(bad, sk2, &err), -1);
	CHECK_STR(err, "préfixe bech32 inattendu");
	CHECK_INT(bech32_encode(bad, sizeof(bad), "age", sk, 32), 0);
	CHECK_INT(age_identity_parse(bad, sk2, &err), -1);
	/* Wrong data length (31 bytes) with a valid checksum. */
	CHECK_INT(bech32_encode(bad, sizeof(bad), "age", pk, 31), 0);
	CHECK_INT(age_recipient_parse(bad, pk2, &err), -1);
	sodium_memzero(sk, 32);
	sodium_memzero(sk2, 32);
	sodium_memzero(id, sizeof(id));
	sodium_memzero(text, sizeof(text));
}

/* ---- round trips ---- */

static size_t
expected_len(size_t nrcpt, size_t ptlen)
{
	size_t nchunks = ptlen == 0 ? 1 : (ptlen - 1) / AGE_CHUNK_SIZE + 1;

	/* version + per stanza (10 + 43 + 1 + 43 + 1) + footer 48 */
	return 22 + nrcpt * 98 + 48 + 16 + ptlen + 16 * nchunks;
}

static void
test_roundtrip(void)
{
	static const size_t sizes[] = {
		0, 1, 65535, 65536, 65537, 131072, 200000
	};
	uint8_t sk[3][32], pk[3][32], *pt;
	struct buf ct, ct2, dec;
	const char *err;
	size_t i, k;

	for (k = 0; k < 3; k++)
		CHECK_INT(age_keygen(sk[k], pk[k]), 0);
	pt = xmalloc(200000);
	randombytes_buf(pt, 200000);
	for (i = 0; i < FS_ARRAY_LEN(sizes); i++) {
		size_t n = sizes[i];

		buf_init(&ct, MAXOUT);
		CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])pk, 2, pt, n),
		    0);
		CHECK_INT(ct.len, expected_len(2, n));
		CHECK(memcmp(ct.p, "age-encryption.org/v1\n-> X25519 ", 32) == 0);
		for (k = 0; k < 2; k++) {
			buf_init(&dec, MAXOUT);
			err = NULL;
			CHECK_INT(age_decrypt(&dec, sk[k], (uint8_t *)ct.p,
			    ct.len, MAXOUT, &err), 0);
			CHECK_INT(dec.len, n);
			CHECK(dec.len == n && (n == 0 || memcmp(dec.p, pt, n) == 0));
			buf_free(&dec);
		}
		/* A third key is not a recipient. */
		buf_init(&dec, MAXOUT);
		CHECK_INT(age_decrypt(&dec, sk[2], (uint8_t *)ct.p, ct.len,
		    MAXOUT, &err), -1);
		CHECK_STR(err, "aucune clé ne correspond à ce fichier");
		CHECK_INT(dec.len, 0);
		buf_free(&dec);
		/* Two encryptions of the same data differ (fresh keys). */
		buf_init(&ct2, MAXOUT);
		CHECK_INT(age_encrypt(&ct2, (const uint8_t (*)[32])pk, 2, pt, n),
		    0);
		CHECK(ct.len == ct2.len && memcmp(ct.p, ct2.p, ct.len) != 0);
		CHECK(memcmp(ct.p + 32, ct2.p + 32, 43) != 0);
		buf_free(&ct2);
		buf_free(&ct);
	}
	/* Output limits. */
	buf_init(&ct, MAXOUT);
	CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])pk, 1, pt, 70000), 0);
	buf_init(&dec, MAXOUT);
	CHECK_INT(age_decrypt(&dec, sk[0], (uint8_t *)ct.p, ct.len, 69999,
	    &err), -1);
	CHECK_STR(err, "contenu déchiffré trop volumineux");
	CHECK_INT(dec.len, 0);
	CHECK_INT(age_decrypt(&dec, sk[0], (uint8_t *)ct.p, ct.len, 70000,
	    &err), 0);
	CHECK_INT(dec.len, 70000);
	buf_free(&dec);
	buf_init(&dec, 1000);	/* the buffer's own maximum */
	CHECK_INT(age_decrypt(&dec, sk[0], (uint8_t *)ct.p, ct.len, MAXOUT,
	    &err), -1);
	CHECK_INT(dec.len, 0);
	buf_free(&dec);
	buf_free(&ct);
	/* Appending to a non-empty buffer keeps its content; failure
	 * restores it. */
	buf_init(&ct, 100);
	CHECK_INT(buf_puts(&ct, "x"), 0);
	CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])pk, 1, pt, 100), -1);
	CHECK_INT(ct.len, 1);
	buf_free(&ct);
	CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])pk, 0, pt, 1), -1);
	/* A low-order recipient is refused. */
	{
		uint8_t zero[1][32];

		memset(zero, 0, sizeof(zero));
		buf_init(&ct, MAXOUT);
		CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])zero, 1, pt,
		    1), -1);
		CHECK_INT(ct.len, 0);
		buf_free(&ct);
	}
	free(pt);
	sodium_memzero(sk, sizeof(sk));
}

/* ---- interoperability with age 1.1.1 ---- */

static void
test_interop_to_age(void)
{
	static const size_t sizes[] = { 0, 1, 65536, 200000 };
	uint8_t sk[2][32], pk[2][32], *pt;
	char rcpt[2][64];
	struct buf ct, got;
	size_t i, k;

	CHECK_INT(keygen_file("k-to-1", sk[0], pk[0], rcpt[0]), 0);
	CHECK_INT(keygen_file("k-to-2", sk[1], pk[1], rcpt[1]), 0);
	pt = xmalloc(200000);
	randombytes_buf(pt, 200000);
	for (i = 0; i < FS_ARRAY_LEN(sizes); i++) {
		for (k = 1; k <= 2; k++) {	/* 1 then 2 recipients */
			size_t id;

			buf_init(&ct, MAXOUT);
			CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])pk, k,
			    pt, sizes[i]), 0);
			CHECK_INT(write_file(tpath("to.age"), ct.p, ct.len), 0);
			for (id = 0; id < k; id++) {
				char *argv[] = { "age", "-d", "-i", NULL, NULL,
				    NULL };

				/* Plaintext on stdout: age -o creates no file
				 * for an empty plaintext. */
				argv[3] = tpath(id ? "k-to-2" : "k-to-1");
				argv[4] = tpath("to.age");
				unlink(tpath("to.out"));
				CHECK_INT(run(argv, tpath("to.out"), 0), 0);
				buf_init(&got, MAXOUT);
				CHECK_INT(buf_read_file(&got, tpath("to.out")), 0);
				CHECK_INT(got.len, sizes[i]);
				CHECK(got.len == sizes[i] &&
				    (sizes[i] == 0 ||
				    memcmp(got.p, pt, sizes[i]) == 0));
				buf_free(&got);
			}
			buf_free(&ct);
		}
	}
	/* age refuses our file once a payload byte is flipped. */
	{
		char *argv[] = { "age", "-d", "-i", NULL, "-o", NULL, NULL,
		    NULL };

		buf_init(&ct, MAXOUT);
		CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])pk, 1, pt,
		    1000), 0);
		ct.p[ct.len - 20] ^= 1;
		CHECK_INT(write_file(tpath("to.age"), ct.p, ct.len), 0);
		argv[3] = tpath("k-to-1");
		argv[5] = tpath("to.out");
		argv[6] = tpath("to.age");
		CHECK(run(argv, NULL, 1) > 0);
		buf_free(&ct);
	}
	free(pt);
	sodium_memzero(sk, sizeof(sk));
}

static void
test_interop_from_age(void)
{
	static const size_t sizes[] = { 0, 1, 65536, 65537, 200000 };
	uint8_t sk[2][32], pk[2][32], *pt;
	char rcpt[2][64];
	struct buf ct, dec;
	const char *err;
	size_t i, id;

	CHECK_INT(keygen_file("k-from-1", sk[0], pk[0], rcpt[0]), 0);
	CHECK_INT(keygen_file("k-from-2", sk[1], pk[1], rcpt[1]), 0);
	pt = xmalloc(200000);
	randombytes_buf(pt, 200000);
	for (i = 0; i < FS_ARRAY_LEN(sizes); i++) {
		char *one[] = { "age", "-r", rcpt[0], "-o", NULL, NULL, NULL };
		char *two[] = { "age", "-r", rcpt[0], "-r", rcpt[1], "-o", NULL,
		    NULL, NULL };

		CHECK_INT(write_file(tpath("from.in"), pt, sizes[i]), 0);
		one[4] = tpath("from1.age");
		one[5] = tpath("from.in");
		two[6] = tpath("from2.age");
		two[7] = tpath("from.in");
		CHECK_INT(run(one, NULL, 0), 0);
		CHECK_INT(run(two, NULL, 0), 0);
		for (id = 0; id < 3; id++) {
			const char *f = id == 0 ? "from1.age" : "from2.age";

			buf_init(&ct, MAXOUT);
			CHECK_INT(buf_read_file(&ct, tpath(f)), 0);
			buf_init(&dec, MAXOUT);
			err = NULL;
			if (!CHECK(age_decrypt(&dec, sk[id == 2], (uint8_t *)ct.p,
			    ct.len, MAXOUT, &err) == 0))
				fprintf(stderr, "    %s (%zu octets): %s\n", f,
				    sizes[i], err ? err : "?");
			CHECK_INT(dec.len, sizes[i]);
			CHECK(dec.len == sizes[i] && (sizes[i] == 0 ||
			    memcmp(dec.p, pt, sizes[i]) == 0));
			buf_free(&dec);
			/* The second key cannot open the one-recipient file. */
			if (id == 0) {
				buf_init(&dec, MAXOUT);
				CHECK_INT(age_decrypt(&dec, sk[1], (uint8_t *)ct.p,
				    ct.len, MAXOUT, &err), -1);
				buf_free(&dec);
			}
			buf_free(&ct);
		}
	}
	free(pt);
	sodium_memzero(sk, sizeof(sk));
}

/* ---- rejections of altered files ---- */

static int
try_decrypt(const uint8_t sk[32], const char *p, size_t n, const char **err)
{
	struct buf dec;
	int r;

	buf_init(&dec, MAXOUT);
	*err = NULL;
	r = age_decrypt(&dec, sk, (const uint8_t *)p, n, MAXOUT, err);
	if (r < 0 && dec.len != 0)
		r = -2;		/* plaintext left behind: a failure too */
	buf_free(&dec);
	return r;
}

/* Flip one bit at off in a copy of f and try it. */
static int
try_flip(const uint8_t sk[32], const struct buf *f, size_t off,
    const char **err)
{
	char *c = xmalloc(f->len);
	int r;

	memcpy(c, f->p, f->len);
	c[off] ^= 0x01;
	r = try_decrypt(sk, c, f->len, err);
	free(c);
	return r;
}

/* Replace the base64 character at off by another valid one and try it
 * (a bit flip could make it invalid base64 and test the wrong check). */
static int
try_b64_change(const uint8_t sk[32], const struct buf *f, size_t off,
    const char **err)
{
	char *c = xmalloc(f->len);
	int r;

	memcpy(c, f->p, f->len);
	c[off] = c[off] == 'A' ? 'B' : 'A';
	r = try_decrypt(sk, c, f->len, err);
	free(c);
	return r;
}

/* Offset just after the header's "--- <mac>\n" line. */
static size_t
payload_off(const struct buf *f)
{
	const char *m = memmem(f->p, f->len, "\n--- ", 5);

	return m ? (size_t)(m - f->p) + 5 + 43 + 1 : 0;
}

static void
test_alterations(void)
{
	uint8_t sk[2][32], pk[2][32], *pt;
	struct buf f, big;
	const char *err;
	size_t po, i;
	char *c;

	CHECK_INT(age_keygen(sk[0], pk[0]), 0);
	CHECK_INT(age_keygen(sk[1], pk[1]), 0);
	pt = xmalloc(200000);
	randombytes_buf(pt, 200000);
	buf_init(&f, MAXOUT);
	CHECK_INT(age_encrypt(&f, (const uint8_t (*)[32])pk, 1, pt, 200000), 0);
	po = payload_off(&f);
	CHECK_INT(po, 22 + 98 + 48);
	CHECK_INT(try_decrypt(sk[0], f.p, f.len, &err), 0);

	/* Header: version line, stanza argument, stanza body, MAC. */
	CHECK_INT(try_flip(sk[0], &f, 5, &err), -1);
	CHECK_STR(err, "version age non prise en charge");
	CHECK_INT(try_flip(sk[0], &f, 22 + 12, &err), -1);	/* epk */
	CHECK_INT(try_b64_change(sk[0], &f, 22 + 12, &err), -1);
	CHECK_STR(err, "aucune clé ne correspond à ce fichier");
	CHECK_INT(try_flip(sk[0], &f, 22 + 10 + 44 + 5, &err), -1); /* body */
	CHECK_INT(try_b64_change(sk[0], &f, 22 + 10 + 44 + 5, &err), -1);
	CHECK_STR(err, "aucune clé ne correspond à ce fichier");
	CHECK_INT(try_flip(sk[0], &f, 22 + 98 + 10, &err), -1);	/* MAC */
	CHECK_INT(try_b64_change(sk[0], &f, 22 + 98 + 10, &err), -1);
	CHECK_STR(err, "en-tête age altéré (MAC)");
	CHECK_INT(try_flip(sk[0], &f, 22 + 98 + 1, &err), -1);	/* "---" */
	/* Payload: nonce, first chunk, last chunk, last tag byte. */
	CHECK_INT(try_flip(sk[0], &f, po + 3, &err), -1);
	CHECK_INT(try_flip(sk[0], &f, po + 16 + 100, &err), -1);
	CHECK_STR(err, "contenu age altéré ou tronqué");
	CHECK_INT(try_flip(sk[0], &f, po + 16 + 3 * 65552 + 10, &err), -1);
	CHECK_INT(try_flip(sk[0], &f, f.len - 1, &err), -1);

	/* Truncations: mid version line, mid stanza, before the footer,
	 * at the end of the header, mid nonce, mid chunk, at a chunk
	 * boundary, one byte short. */
	{
		size_t cuts[] = { 0, 10, 22 + 50, 22 + 98, po - 1, po, po + 8,
		    po + 16, po + 16 + 15, po + 16 + 1000, po + 16 + 65552,
		    po + 16 + 2 * 65552, f.len - 1 };

		for (i = 0; i < FS_ARRAY_LEN(cuts); i++) {
			if (!CHECK(try_decrypt(sk[0], f.p, cuts[i], &err) == -1))
				fprintf(stderr, "    coupure à %zu\n", cuts[i]);
		}
		CHECK_INT(try_decrypt(sk[0], f.p, po + 16 + 65552, &err), -1);
		CHECK_STR(err, "fichier age tronqué");
	}
	/* Appended data. */
	c = xmalloc(f.len + 65552);
	memcpy(c, f.p, f.len);
	memset(c + f.len, 0, 65552);
	CHECK_INT(try_decrypt(sk[0], c, f.len + 1, &err), -1);
	CHECK_INT(try_decrypt(sk[0], c, f.len + 65552, &err), -1);
	free(c);
	/* Wrong identity. */
	CHECK_INT(try_decrypt(sk[1], f.p, f.len, &err), -1);
	CHECK_STR(err, "aucune clé ne correspond à ce fichier");
	buf_free(&f);

	/* 131072 bytes: two full chunks, the second one last.  Removing it
	 * leaves a valid non-last chunk: truncated.  Appending after it is
	 * named as such. */
	buf_init(&big, MAXOUT);
	CHECK_INT(age_encrypt(&big, (const uint8_t (*)[32])pk, 1, pt, 131072),
	    0);
	po = payload_off(&big);
	CHECK_INT(big.len, po + 16 + 2 * 65552);
	CHECK_INT(try_decrypt(sk[0], big.p, po + 16 + 65552, &err), -1);
	CHECK_STR(err, "fichier age tronqué");
	CHECK_INT(try_decrypt(sk[0], big.p, po + 16, &err), -1);
	CHECK_STR(err, "fichier age tronqué");
	CHECK_INT(buf_append(&big, "\0", 1), 0);
	CHECK_INT(try_decrypt(sk[0], big.p, big.len, &err), -1);
	CHECK_STR(err, "données après la fin du fichier age");
	buf_free(&big);
	free(pt);
	sodium_memzero(sk, sizeof(sk));
}

/* ---- hand-built files (independent writer) ---- */

static void
b64(struct buf *b, const uint8_t *p, size_t n)
{
	char t[200];

	sodium_bin2base64(t, sizeof(t), p, n,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	buf_puts(b, t);
}

/* Append "-> X25519 <epk>\n<body>\n" wrapping fk (fklen bytes) for pk;
 * esk NULL means random.  epk_override replaces the share written. */
static void
test_stanza(struct buf *h, const uint8_t *fk, size_t fklen,
    const uint8_t pk[32], const uint8_t *epk_override)
{
	static const uint8_t n12[12];
	uint8_t esk[32], epk[32], ss[32], salt[64], wk[32], body[64];
	unsigned long long bl;

	randombytes_buf(esk, 32);
	crypto_scalarmult_base(epk, esk);
	if (crypto_scalarmult(ss, esk, pk) != 0)
		abort();
	memcpy(salt, epk, 32);
	memcpy(salt + 32, pk, 32);
	age_hkdf_sha256(wk, 32, ss, 32, salt, 64,
	    (const uint8_t *)"age-encryption.org/v1/X25519", 28);
	crypto_aead_chacha20poly1305_ietf_encrypt(body, &bl, fk, fklen, NULL,
	    0, NULL, n12, wk);
	buf_puts(h, "-> X25519 ");
	b64(h, epk_override ? epk_override : epk, 32);
	buf_puts(h, "\n");
	b64(h, body, (size_t)bl);
	buf_puts(h, "\n");
}

/* Finish header h (stanzas written) with the MAC, then a payload of
 * nchunks chunks of the given plaintext sizes and last flags. */
static void
test_finish(struct buf *h, const uint8_t fk[16], const size_t *sizes,
    const int *last, size_t nchunks)
{
	uint8_t hk[32], mac[32], nonce[16], pk[32], n12[12], *pt, *ct;
	unsigned long long cl;
	size_t i;

	buf_puts(h, "---");
	age_hkdf_sha256(hk, 32, fk, 16, NULL, 0, (const uint8_t *)"header", 6);
	crypto_auth_hmacsha256(mac, (uint8_t *)h->p, h->len, hk);
	buf_puts(h, " ");
	b64(h, mac, 32);
	buf_puts(h, "\n");
	randombytes_buf(nonce, 16);
	buf_append(h, nonce, 16);
	age_hkdf_sha256(pk, 32, fk, 16, nonce, 16,
	    (const uint8_t *)"payload", 7);
	pt = xcalloc(1, 65536);
	ct = xmalloc(65536 + 16);
	for (i = 0; i < nchunks; i++) {
		memset(n12, 0, 12);
		n12[10] = (uint8_t)i;
		n12[11] = (uint8_t)last[i];
		crypto_aead_chacha20poly1305_ietf_encrypt(ct, &cl, pt, sizes[i],
		    NULL, 0, NULL, n12, pk);
		buf_append(h, ct, (size_t)cl);
	}
	free(pt);
	free(ct);
}

/* Build "version + pre + X25519 stanza + post", finish with one chunk of
 * 5 bytes, decrypt with sk. */
static int
crafted(const uint8_t sk[32], const uint8_t pk[32], const char *pre,
    const char *post, const char **err)
{
	static const size_t one = 5;
	static const int yes = 1;
	uint8_t fk[16];
	struct buf h;
	int r;

	randombytes_buf(fk, 16);
	buf_init(&h, MAXOUT);
	buf_puts(&h, "age-encryption.org/v1\n");
	buf_puts(&h, pre);
	test_stanza(&h, fk, 16, pk, NULL);
	buf_puts(&h, post);
	test_finish(&h, fk, &one, &yes, 1);
	r = try_decrypt(sk, h.p, h.len, err);
	buf_free(&h);
	return r;
}

/* A header whose X25519 stanza is replaced by the text given. */
static int
crafted_raw(const uint8_t sk[32], const char *stanzas, const char **err)
{
	static const size_t one = 5;
	static const int yes = 1;
	uint8_t fk[16];
	struct buf h;
	int r;

	randombytes_buf(fk, 16);
	buf_init(&h, MAXOUT);
	buf_puts(&h, "age-encryption.org/v1\n");
	buf_puts(&h, stanzas);
	test_finish(&h, fk, &one, &yes, 1);
	r = try_decrypt(sk, h.p, h.len, err);
	buf_free(&h);
	return r;
}

static void
test_crafted_payloads(const uint8_t sk[32], const uint8_t pk[32])
{
	static const struct {
		size_t	 n;
		size_t	 sizes[3];
		int	 last[3];
		int	 ok;
	} cases[] = {
		{ 1, { 5 }, { 1 }, 0 },			/* sanity */
		{ 1, { 0 }, { 1 }, 0 },			/* empty file */
		{ 2, { 65536, 1 }, { 0, 1 }, 0 },
		{ 1, { 65536 }, { 1 }, 0 },		/* full last chunk */
		{ 2, { 65536, 0 }, { 0, 1 }, -1 },	/* empty final chunk */
		{ 2, { 100, 5 }, { 0, 1 }, -1 },	/* short non-last */
		{ 1, { 5 }, { 0 }, -1 },		/* no last flag */
		{ 2, { 65536, 65536 }, { 0, 0 }, -1 },	/* no last flag */
		{ 2, { 5, 5 }, { 1, 1 }, -1 },		/* data after last */
		{ 3, { 65536, 65536, 1 }, { 0, 1, 1 }, -1 },
	};
	uint8_t fk[16];
	struct buf h;
	const char *err;
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(cases); i++) {
		randombytes_buf(fk, 16);
		buf_init(&h, MAXOUT);
		buf_puts(&h, "age-encryption.org/v1\n");
		test_stanza(&h, fk, 16, pk, NULL);
		test_finish(&h, fk, cases[i].sizes, cases[i].last, cases[i].n);
		if (!CHECK(try_decrypt(sk, h.p, h.len, &err) == cases[i].ok))
			fprintf(stderr, "    cas %zu: %s\n", i, err ? err : "ok");
		if (i == 4)
			CHECK_STR(err, "bloc final vide dans le fichier age");
		buf_free(&h);
	}
}

static void
test_crafted_headers(void)
{
	uint8_t sk[32], pk[32], fk[16], zero[32];
	struct buf h;
	const char *err;
	char line[256];

	CHECK_INT(age_keygen(sk, pk), 0);
	test_crafted_payloads(sk, pk);
	/* Unknown stanzas are skipped, with any body shape. */
	CHECK_INT(crafted(sk, pk, "-> x-grease a b\n\n", "", &err), 0);
	CHECK_INT(crafted(sk, pk, "", "-> x-grease\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "AAAA\n", &err), 0);
	CHECK_INT(crafted(sk, pk, "-> x-grease\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "\n", "", &err), 0);
	/* A full 64-column line must be followed by another body line. */
	CHECK_INT(crafted(sk, pk, "", "-> x-grease\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	    &err), -1);
	/* Lines longer than 64 columns, padding, bad base64. */
	CHECK_INT(crafted(sk, pk, "-> x-grease\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "-> x-grease\nAA==\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "-> x-grease\nAB\n", "", &err), -1); /* bits */
	CHECK_INT(crafted(sk, pk, "-> x-grease\nA\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "-> x-grease\nA-_A\n", "", &err), -1);
	/* Stanza lines: empty argument, no type, control character. */
	CHECK_INT(crafted(sk, pk, "-> x-grease  a\n\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "-> x-grease a \n\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "->\n\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "-> \n\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "->x\n\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "-> x\ta\n\n", "", &err), -1);
	CHECK_INT(crafted(sk, pk, "x\n", "", &err), -1);
	CHECK_STR(err, "bloc d'en-tête age mal formé");
	/* scrypt must be alone. */
	CHECK_INT(crafted(sk, pk, "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "", &err), -1);
	CHECK_STR(err, "un bloc scrypt doit être seul dans l'en-tête age");
	CHECK_INT(crafted_raw(sk, "-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", &err), -1);
	CHECK_STR(err, "aucune clé ne correspond à ce fichier");
	/* No stanza at all. */
	CHECK_INT(crafted_raw(sk, "", &err), -1);
	/* X25519 stanzas: extra argument, short share, body of 31 / 33
	 * bytes (even though it would decrypt), share with bad bits. */
	CHECK_INT(crafted_raw(sk, "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", &err), -1);
	CHECK_STR(err, "bloc X25519 mal formé");
	CHECK_INT(crafted_raw(sk, "-> X25519\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", &err), -1);
	CHECK_STR(err, "bloc X25519 mal formé");
	CHECK_INT(crafted_raw(sk, "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", &err), -1);
	CHECK_STR(err, "bloc X25519 mal formé");
	CHECK_INT(crafted_raw(sk, "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", &err), -1);
	CHECK_STR(err, "bloc X25519 mal formé");
	{
		static const size_t one = 5;
		static const int yes = 1;
		size_t bodylen;

		for (bodylen = 15; bodylen <= 17; bodylen += 2) {
			randombytes_buf(fk, 16);
			buf_init(&h, MAXOUT);
			buf_puts(&h, "age-encryption.org/v1\n");
			test_stanza(&h, fk, bodylen, pk, NULL);
			test_finish(&h, fk, &one, &yes, 1);
			CHECK_INT(try_decrypt(sk, h.p, h.len, &err), -1);
			CHECK_STR(err, "bloc X25519 mal formé");
			buf_free(&h);
		}
	}
	/* All-zero shared secret: a low-order share. */
	memset(zero, 0, sizeof(zero));
	randombytes_buf(fk, 16);
	buf_init(&h, MAXOUT);
	buf_puts(&h, "age-encryption.org/v1\n");
	test_stanza(&h, fk, 16, pk, zero);
	{
		static const size_t one = 5;
		static const int yes = 1;

		test_finish(&h, fk, &one, &yes, 1);
	}
	CHECK_INT(try_decrypt(sk, h.p, h.len, &err), -1);
	CHECK_STR(err, "secret partagé X25519 nul");
	buf_free(&h);
	/* A stanza added to a valid header breaks the MAC. */
	buf_init(&h, MAXOUT);
	CHECK_INT(age_encrypt(&h, (const uint8_t (*)[32])pk, 1,
	    (const uint8_t *)"abc", 3), 0);
	{
		char *m = memmem(h.p, h.len, "---", 3);
		struct buf g;
		size_t off = (size_t)(m - h.p);

		buf_init(&g, MAXOUT);
		buf_append(&g, h.p, off);
		buf_puts(&g, "-> x-grease\n\n");
		buf_append(&g, h.p + off, h.len - off);
		CHECK_INT(try_decrypt(sk, g.p, g.len, &err), -1);
		CHECK_STR(err, "en-tête age altéré (MAC)");
		buf_free(&g);
	}
	buf_free(&h);
	/* Footer and version variants. */
	snprintf(line, sizeof(line), "age-encryption.org/v1\r\n");
	CHECK_INT(try_decrypt(sk, line, strlen(line), &err), -1);
	CHECK_STR(err, "version age non prise en charge");
	CHECK_INT(try_decrypt(sk, "age-encryption.org/v2\n--- x\n", 28, &err),
	    -1);
	CHECK_INT(try_decrypt(sk, "", 0, &err), -1);
	CHECK_INT(crafted(sk, pk, "", "---\n", &err), -1);	/* two footers */
	CHECK_INT(try_decrypt(sk, "age-encryption.org/v1\n---\n", 26, &err), -1);
	CHECK_STR(err, "fin d'en-tête age mal formée");
	/* Armored files are not supported. */
	snprintf(line, sizeof(line), "-----BEGIN AGE ENCRYPTED FILE-----\n");
	CHECK_INT(try_decrypt(sk, line, strlen(line), &err), -1);
	sodium_memzero(sk, sizeof(sk));
}

/* ---- streaming (age_*_stream, age_*_fd) ---- */

/* A source that hands out its bytes 1, then 7, then 1... at a time (short
 * reads), or fails after fail_at bytes. */
struct trickle {
	const uint8_t	*p;
	size_t		 len, pos, calls, fail_at;
};

static ssize_t
trickle_read(void *ctx, uint8_t *p, size_t n)
{
	struct trickle *t = ctx;
	size_t k = t->calls++ % 2 ? 7 : 1;

	if (t->pos >= t->fail_at)
		return -1;
	if (k > n)
		k = n;
	if (k > t->len - t->pos)
		k = t->len - t->pos;
	memcpy(p, t->p + t->pos, k);
	t->pos += k;
	return (ssize_t)k;
}

static int
bufsink_write(void *ctx, const uint8_t *p, size_t n, const char **errstr)
{
	if (buf_append(ctx, p, n) < 0) {
		*errstr = "tampon de test plein";
		return -1;
	}
	return 0;
}

static int
fd_crypt(int enc, const char *in, const char *out, const uint8_t key[32],
    const char **err)
{
	uint8_t r1[1][32];
	int i = open(in, O_RDONLY), o, r;

	memcpy(r1[0], key, 32);
	o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (i < 0 || o < 0)
		return -2;
	r = enc ? age_encrypt_fd(o, (const uint8_t (*)[32])r1, 1, i, err) :
	    age_decrypt_fd(o, key, i, SIZE_MAX, err);
	close(i);
	close(o);
	return r;
}

static void
test_stream(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 131072,
	    131073, 300000 };
	uint8_t sk[32], pk[32], *pt;
	char rcpt[64], kpath[128], age_in[128], age_ct[128], age_out[128],
	    go_ct[128];
	struct buf ct, dec, got;
	struct trickle tr;
	const char *err;
	size_t i;

	CHECK_INT(keygen_file("k-stream", sk, pk, rcpt), 0);
	snprintf(kpath, sizeof(kpath), "%s", tpath("k-stream"));
	snprintf(age_in, sizeof(age_in), "%s", tpath("s.in"));
	snprintf(age_ct, sizeof(age_ct), "%s", tpath("s.age"));
	snprintf(age_out, sizeof(age_out), "%s", tpath("s.out"));
	snprintf(go_ct, sizeof(go_ct), "%s", tpath("g.age"));
	pt = xmalloc(300000);
	randombytes_buf(pt, 300000);
	for (i = 0; i < FS_ARRAY_LEN(sizes); i++) {
		size_t n = sizes[i];
		char *agedec[] = { "age", "-d", "-i", kpath, age_ct, NULL };
		char *ageenc[] = { "age", "-r", rcpt, "-o", go_ct, age_in,
		    NULL };

		/* File to file, then read back by the buffer reader, by the
		 * file reader and by Go's age. */
		CHECK_INT(write_file(age_in, pt, n), 0);
		err = NULL;
		CHECK_INT(fd_crypt(1, age_in, age_ct, pk, &err),
		    0);
		buf_init(&ct, MAXOUT);
		CHECK_INT(buf_read_file(&ct, age_ct), 0);
		CHECK_INT(ct.len, expected_len(1, n));
		buf_init(&dec, MAXOUT);
		CHECK_INT(age_decrypt(&dec, sk, (uint8_t *)ct.p, ct.len, MAXOUT,
		    &err), 0);
		CHECK(dec.len == n && (n == 0 || memcmp(dec.p, pt, n) == 0));
		buf_free(&dec);
		CHECK_INT(fd_crypt(0, age_ct, age_out, sk, &err),
		    0);
		buf_init(&got, MAXOUT);
		CHECK_INT(buf_read_file(&got, age_out), 0);
		CHECK(got.len == n && (n == 0 || memcmp(got.p, pt, n) == 0));
		buf_free(&got);
		unlink(age_out);
		CHECK_INT(run(agedec, age_out, 0), 0);
		buf_init(&got, MAXOUT);
		CHECK_INT(buf_read_file(&got, age_out), 0);
		CHECK(got.len == n && (n == 0 || memcmp(got.p, pt, n) == 0));
		buf_free(&got);
		/* Go's file, read by the file reader. */
		unlink(go_ct);
		CHECK_INT(run(ageenc, NULL, 0), 0);
		CHECK_INT(fd_crypt(0, go_ct, age_out, sk, &err),
		    0);
		buf_init(&got, MAXOUT);
		CHECK_INT(buf_read_file(&got, age_out), 0);
		CHECK(got.len == n && (n == 0 || memcmp(got.p, pt, n) == 0));
		buf_free(&got);
		/* Short reads on both sides give the same results. */
		{
			const struct age_sink sink = { bufsink_write, &dec };
			const struct age_source src = { trickle_read, &tr };

			memset(&tr, 0, sizeof(tr));
			tr.p = (uint8_t *)ct.p;
			tr.len = ct.len;
			tr.fail_at = SIZE_MAX;
			buf_init(&dec, MAXOUT);
			CHECK_INT(age_decrypt_stream(&sink, sk, &src, MAXOUT,
			    &err), 0);
			CHECK(dec.len == n &&
			    (n == 0 || memcmp(dec.p, pt, n) == 0));
			buf_free(&dec);
			memset(&tr, 0, sizeof(tr));
			tr.p = pt;
			tr.len = n;
			tr.fail_at = SIZE_MAX;
			buf_init(&dec, MAXOUT);
			CHECK_INT(age_encrypt_stream(&sink,
			    (const uint8_t (*)[32])pk, 1, &src, &err), 0);
			CHECK_INT(dec.len, expected_len(1, n));
			buf_init(&got, MAXOUT);
			CHECK_INT(age_decrypt(&got, sk, (uint8_t *)dec.p,
			    dec.len, MAXOUT, &err), 0);
			CHECK(got.len == n &&
			    (n == 0 || memcmp(got.p, pt, n) == 0));
			buf_free(&got);
			buf_free(&dec);
		}
		/* Cut anywhere in the payload: refused by the file reader. */
		if (n > 0) {
			size_t cut = ct.len - 1 - (n * 7919) % (n < 65536 ? n : 65536);

			CHECK_INT(write_file(age_ct, ct.p, cut), 0);
			err = NULL;
			CHECK_INT(fd_crypt(0, age_ct, age_out,
			    sk, &err), -1);
			CHECK(err != NULL && (strcmp(err,
			    "fichier age tronqué") == 0 || strcmp(err,
			    "contenu age altéré ou tronqué") == 0));
		}
		buf_free(&ct);
	}
	/* A read error and a write error are named. */
	{
		uint8_t small[100];
		const struct age_source src = { trickle_read, &tr };
		const struct age_sink sink = { bufsink_write, &dec };

		memset(&tr, 0, sizeof(tr));
		tr.p = pt;
		tr.len = 200000;
		tr.fail_at = 70000;
		buf_init(&dec, MAXOUT);
		CHECK_INT(age_encrypt_stream(&sink, (const uint8_t (*)[32])&pk,
		    1, &src, &err), -1);
		CHECK_STR(err, "lecture du fichier impossible");
		buf_free(&dec);
		memset(&tr, 0, sizeof(tr));
		tr.p = pt;
		tr.len = sizeof(small);
		tr.fail_at = SIZE_MAX;
		buf_init(&dec, 50);
		CHECK_INT(age_encrypt_stream(&sink, (const uint8_t (*)[32])&pk,
		    1, &src, &err), -1);
		CHECK_STR(err, "tampon de test plein");
		buf_free(&dec);
		CHECK_INT(age_encrypt_stream(&sink, (const uint8_t (*)[32])&pk,
		    0, &src, &err), -1);
		CHECK_STR(err, "nombre de destinataires age invalide");
	}
	/* A header that never ends is not read past 1 MiB. */
	{
		struct buf h;
		size_t k;

		buf_init(&h, 3u * 1024 * 1024);
		buf_puts(&h, "age-encryption.org/v1\n-> X25519 abc\n");
		for (k = 0; k < 40000; k++)
			buf_puts(&h, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			    "AAAAAAAAAAAAAAAA\n");
		buf_init(&dec, MAXOUT);
		CHECK_INT(age_decrypt(&dec, sk, (uint8_t *)h.p, h.len, MAXOUT,
		    &err), -1);
		CHECK_STR(err, "en-tête age trop long");
		/* The same cut short: truncated, not too long. */
		CHECK_INT(age_decrypt(&dec, sk, (uint8_t *)h.p, 100000, MAXOUT,
		    &err), -1);
		CHECK_STR(err, "fichier age tronqué");
		buf_free(&dec);
		buf_free(&h);
	}
	free(pt);
	sodium_memzero(sk, sizeof(sk));
}

/* age -a: the armored form found in a text, decoded and decrypted; cut,
 * invalid or absent armor. */
static void
test_armor(void)
{
	uint8_t sk[32], pk[32];
	struct buf ct, bin, pt, text;
	char b64[4096];
	const char *why;
	size_t start = 0, end = 0, i, n;

	CHECK_INT(age_keygen(sk, pk), 0);
	buf_init(&ct, 1 << 20);
	CHECK_INT(age_encrypt(&ct, (const uint8_t (*)[32])&pk, 1, (const uint8_t *)"réponse", 8), 0);
	sodium_bin2base64(b64, sizeof(b64), (const uint8_t *)ct.p, ct.len,
	    sodium_base64_VARIANT_ORIGINAL);
	buf_init(&text, 1 << 20);
	buf_puts(&text, "Bonjour,\r\n\r\n-----BEGIN AGE ENCRYPTED FILE-----\r\n");
	for (i = 0, n = strlen(b64); i < n; i += 64) {
		buf_append(&text, b64 + i, n - i < 64 ? n - i : 64);
		buf_puts(&text, " \r\n");	/* a mail program's trailing blank */
	}
	buf_puts(&text, "-----END AGE ENCRYPTED FILE-----\r\nMerci\r\n");
	buf_init(&bin, 1 << 20);
	CHECK_INT(age_armor_find(text.p, text.len, &start, &end, &bin, &why), 0);
	CHECK_INT(start, 12);
	CHECK(end < text.len && strcmp(text.p + end, "\r\nMerci\r\n") == 0);
	CHECK_INT(bin.len, ct.len);
	CHECK(bin.len == ct.len && memcmp(bin.p, ct.p, ct.len) == 0);
	buf_init(&pt, 1 << 20);
	CHECK_INT(age_decrypt(&pt, sk, (const uint8_t *)bin.p, bin.len, 1 << 20, &why), 0);
	CHECK(pt.len == 8 && memcmp(pt.p, "réponse", 8) == 0);
	buf_free(&bin);
	buf_init(&bin, 1 << 20);
	CHECK_INT(age_armor_find("Bonjour", 7, &start, &end, &bin, &why), 1);
	CHECK_INT(age_armor_find(text.p, 60, &start, &end, &bin, &why), -1);
	CHECK(why != NULL && strstr(why, "fin") != NULL);
	CHECK_INT(age_armor_find("-----BEGIN AGE ENCRYPTED FILE-----\n@@@@\n"
	    "-----END AGE ENCRYPTED FILE-----", 72, &start, &end, &bin, &why), -1);
	CHECK(why != NULL && strstr(why, "base64") != NULL);
	buf_free(&ct);
	buf_free(&bin);
	buf_free(&pt);
	buf_free(&text);
}

int
main(void)
{
	char tmpl[] = "/tmp/fsrelay-test-age-XXXXXX";

	if (sodium_init() < 0)
		return 1;
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	fs_strlcpy(tmpdir, tmpl, sizeof(tmpdir));
	test_hkdf();
	test_keys();
	test_armor();
	test_roundtrip();
	test_alterations();
	test_crafted_headers();
	test_interop_to_age();
	test_interop_from_age();
	test_stream();
	nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return t_done();
}
