/*
 * agefile - the relay's age writer and reader (relay/age), file to file,
 * for bench/age and tests/integration/agestream.sh.  Not installed.
 *
 *   agefile -e RECIPIENT IN OUT    encrypt IN to the age1... RECIPIENT
 *   agefile -d IDENTITY IN OUT     decrypt IN with the identity file
 *   agefile -E / -D ...            the same through the in-memory forms
 *                                  (age_encrypt, age_decrypt: the whole
 *                                  file in a struct buf, as before the
 *                                  streaming forms; for comparison)
 *
 * IN may be "-" (standard input) with -e and -d.  OUT is written as OUT.part and renamed
 * only on success, so a file that fails to decrypt leaves nothing.
 * Exit 0, or 1 with the reason on standard error (French).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "relay/age.h"
#include "relay/util.h"

#define IDENTITY_MAX	4096

static int
fail(const char *what, const char *why)
{
	fprintf(stderr, "agefile : %s : %s\n", what, why);
	return 1;
}

/* -E / -D: the whole input in memory, the output built in memory. */
static int
in_memory(int enc, const uint8_t key[AGE_X25519_KEY_BYTES], const char *in,
    int out, const char **why)
{
	uint8_t r1[1][AGE_X25519_KEY_BYTES];
	struct buf src, dst;
	int r = -1;

	memcpy(r1[0], key, sizeof(r1[0]));
	buf_init(&src, SIZE_MAX / 2);
	buf_init(&dst, SIZE_MAX / 2);
	*why = "lecture du fichier impossible";
	if (buf_read_file(&src, in) == 0) {
		*why = "chiffrement impossible";
		r = enc ? age_encrypt(&dst, (const uint8_t (*)[32])r1, 1,
		    (const uint8_t *)src.p, src.len) :
		    age_decrypt(&dst, key, (const uint8_t *)src.p, src.len,
		    SIZE_MAX, why);
	}
	if (r == 0 && fs_write_all(out, dst.p, dst.len) < 0) {
		*why = "écriture du fichier impossible";
		r = -1;
	}
	sodium_memzero(r1, sizeof(r1));
	buf_free(&src);
	buf_free(&dst);
	return r;
}

static int
load_identity(const char *path, uint8_t sk[AGE_X25519_KEY_BYTES])
{
	struct buf b;
	const char *why;
	int rc;

	buf_init(&b, IDENTITY_MAX);
	if (buf_read_file(&b, path) < 0) {
		buf_free(&b);
		return fail(path, strerror(errno));
	}
	rc = age_identity_parse(b.p, sk, &why) < 0 ? fail(path, why) : 0;
	buf_free(&b);
	return rc;
}

int
main(int argc, char **argv)
{
	uint8_t key[AGE_X25519_KEY_BYTES];
	char part[4096];
	const char *why = NULL;
	int in, out, r, enc, mem;

	if (argc != 5 || strlen(argv[1]) != 2 || argv[1][0] != '-' ||
	    strchr("edED", argv[1][1]) == NULL) {
		fprintf(stderr, "usage : agefile -e|-E DESTINATAIRE ENTRÉE SORTIE"
		    " | -d|-D IDENTITÉ ENTRÉE SORTIE\n");
		return 2;
	}
	if (sodium_init() < 0)
		return fail("libsodium", "initialisation impossible");
	enc = argv[1][1] == 'e' || argv[1][1] == 'E';
	mem = argv[1][1] == 'E' || argv[1][1] == 'D';
	if (enc ? age_recipient_parse(argv[2], key, &why) < 0 :
	    load_identity(argv[2], key) != 0)
		return why != NULL ? fail(argv[2], why) : 1;
	if (snprintf(part, sizeof(part), "%s.part", argv[4]) >=
	    (int)sizeof(part))
		return fail(argv[4], "chemin trop long");
	in = strcmp(argv[3], "-") == 0 ? STDIN_FILENO :
	    open(argv[3], O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail(argv[3], strerror(errno));
	out = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return fail(part, strerror(errno));
	if (mem)
		r = in_memory(enc, key, argv[3], out, &why);
	else
		r = enc ? age_encrypt_fd(out, (const uint8_t (*)[32])key, 1,
		    in, &why) : age_decrypt_fd(out, key, in, SIZE_MAX, &why);
	sodium_memzero(key, sizeof(key));
	if (r == 0 && close(out) < 0) {
		why = strerror(errno);
		r = -1;
	}
	if (r < 0) {
		unlink(part);
		return fail(argv[3], why);
	}
	if (rename(part, argv[4]) < 0) {
		unlink(part);
		return fail(argv[4], strerror(errno));
	}
	return 0;
}
