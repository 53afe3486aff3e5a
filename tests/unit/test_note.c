/*
 * test_note - C2SP signed notes and checkpoints: known answers from Go's
 * golang.org/x/mod/sumdb/note tests, round trips, tampering, malformed
 * notes, keys and checkpoints, and verification of our notes and
 * checkpoints by the independent python implementation tests/note_check.py
 * (which must also reject a tampered note).
 *
 * Known answers copied from golang.org/x/mod/sumdb/note/note_test.go
 * (Debian package golang-golang-x-mod-dev 0.7.0-1; TestNewVerifier,
 * TestNewSigner, TestSign, TestOpen): the PeterNeumann and EnochRoot keys
 * and the signed "If you think cryptography..." note.  The checkpoint
 * example is the one of https://c2sp.org/tlog-checkpoint.  No package is
 * needed to run this test; python3-nacl is (for note_check.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "relay/merkle.h"
#include "relay/note.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define GO_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

#define ORIGIN "fsrelay.test/audit"

/* The example of docs/audit-format.md: Ed25519 seed = bytes 0..31, leaves
 * "a", "b", "c".  Its base64 key holds a '+', which a naive split of the
 * verifier key on '+' gets wrong. */
#define EX_ORIGIN "fsrelay.example/audit"
#define EX_VKEY "fsrelay.example/audit+bd78192c+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define EX_NOTE EX_ORIGIN "\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n\n" \
	"\xe2\x80\x94 fsrelay.example/audit vXgZLMLay03ONp0zbpR81LjmyV+LSCbkGNKEPQqXX+nW+YvI0eVCjexguZw9DhuugpSWlIYQZCaX/cH2Hu3D9ako0gA=\n"

/* 0 if the NUL-terminated note verifies under vkey. */
static int
verify_str(const char *note, const char *vkey)
{
	const char *body, *err = NULL;
	size_t blen;

	return note_verify(note, strlen(note), vkey, &body, &blen, &err);
}

static void
test_go_keys(void)
{
	char name[NOTE_NAME_MAX + 1], out[NOTE_SKEY_MAX];
	uint8_t pk[32], sk[64];
	uint32_t keyid = 0;
	const char *err = NULL;

	CHECK_INT(note_vkey_parse(PETER_VKEY, name, sizeof(name), pk, &keyid,
	    &err), 0);
	CHECK_STR(name, "PeterNeumann");
	CHECK(keyid == 0xc74f20a3);
	CHECK_INT(note_skey_parse(PETER_SKEY, name, sizeof(name), sk, &err), 0);
	CHECK_STR(name, "PeterNeumann");
	CHECK(memcmp(sk + 32, pk, 32) == 0);
	CHECK_INT(note_vkey_format(out, sizeof(out), "PeterNeumann", pk), 0);
	CHECK_STR(out, PETER_VKEY);
	CHECK_INT(note_skey_format(out, sizeof(out), "PeterNeumann", sk), 0);
	CHECK_STR(out, PETER_SKEY);
	/* Too small an output buffer. */
	CHECK_INT(note_vkey_format(out, strlen(PETER_VKEY), "PeterNeumann",
	    pk), -1);
	CHECK_STR(out, "");
	CHECK_INT(note_vkey_parse(ENOCH_VKEY, name, sizeof(name), pk, &keyid,
	    &err), 0);
	CHECK(keyid == 0xaf0cfe78);
	/* Name does not fit the caller's buffer. */
	CHECK_INT(note_vkey_parse(PETER_VKEY, name, 12, pk, NULL, &err), -1);
	/* Go's TestNewVerifier: wrong key length and unknown algorithm, each
	 * with a key hash adjusted to match. */
	CHECK_INT(note_vkey_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
	    name, sizeof(name), pk, NULL, &err), -1);
	CHECK_INT(note_vkey_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    name, sizeof(name), pk, NULL, &err), -1);
	/* Uppercase hex key ID is accepted, as by Go. */
	CHECK_INT(note_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    name, sizeof(name), pk, NULL, &err), 0);
	sodium_memzero(sk, sizeof(sk));
}

/* Go's TestNewVerifier / TestNewSigner: every proper substring and every
 * single-byte increment of a key string is refused. */
static int
mangled_keys_refused(const char *key, int secret)
{
	char name[NOTE_NAME_MAX + 1], *b = xstrdup(key);
	uint8_t pk[32], sk[64];
	size_t i, j, len = strlen(key);
	const char *err;
	int accepted = 0;

	for (i = 0; i <= len; i++) {
		for (j = i + 1; j <= len; j++) {
			char *sub;

			if (i == 0 && j == len)
				continue;
			sub = xstrndup(key + i, j - i);
			if (secret)
				accepted += note_skey_parse(sub, name,
				    sizeof(name), sk, &err) == 0;
			else
				accepted += note_vkey_parse(sub, name,
				    sizeof(name), pk, NULL, &err) == 0;
			free(sub);
		}
	}
	for (i = 0; i < len; i++) {
		b[i]++;
		if (secret)
			accepted += note_skey_parse(b, name, sizeof(name), sk,
			    &err) == 0;
		else
			accepted += note_vkey_parse(b, name, sizeof(name), pk,
			    NULL, &err) == 0;
		b[i]--;
	}
	free(b);
	sodium_memzero(sk, sizeof(sk));
	return accepted;
}

static void
test_go_sign_open(void)
{
	struct buf b;
	char name[NOTE_NAME_MAX + 1], *n;
	uint8_t sk[64];
	const char *err = NULL, *body;
	size_t blen;

	CHECK_INT(note_skey_parse(PETER_SKEY, name, sizeof(name), sk, &err), 0);
	buf_init(&b, 4096);
	CHECK_INT(note_sign(&b, GO_TEXT, "PeterNeumann", sk), 0);
	CHECK_STR(b.p, GO_TEXT "\n" PETER_SIG);
	CHECK_INT(note_verify(b.p, b.len, PETER_VKEY, &body, &blen, &err), 0);
	CHECK(blen == strlen(GO_TEXT) && memcmp(body, GO_TEXT, blen) == 0);
	buf_free(&b);
	sodium_memzero(sk, sizeof(sk));

	/* TestOpen: one known signature and one unknown; then each key. */
	CHECK_INT(verify_str(GO_TEXT "\n" PETER_SIG ENOCH_SIG, PETER_VKEY), 0);
	CHECK_INT(verify_str(GO_TEXT "\n" PETER_SIG ENOCH_SIG, ENOCH_VKEY), 0);
	CHECK_INT(verify_str(GO_TEXT "\n" ENOCH_SIG, PETER_VKEY), -1);
	/* Too many signatures. */
	{
		struct buf many;
		int i;

		buf_init(&many, NOTE_MAX_LEN);
		buf_puts(&many, GO_TEXT "\n");
		for (i = 0; i < NOTE_MAX_SIGS; i++)
			buf_puts(&many, PETER_SIG);
		CHECK_INT(verify_str(many.p, PETER_VKEY), 0);
		buf_puts(&many, PETER_SIG);
		CHECK_INT(verify_str(many.p, PETER_VKEY), -1);
		buf_free(&many);
	}
	/* Invalid signature: "ABCD" inserted at offset 60. */
	n = xasprintf("%s\n%.60sABCD%s", GO_TEXT, PETER_SIG, &PETER_SIG[60]);
	CHECK_INT(verify_str(n, PETER_VKEY), -1);
	free(n);
	/* A broken signature by an unknown key is ignored... */
	n = xasprintf("%s\n%s%.60sABCD%s", GO_TEXT, PETER_SIG, ENOCH_SIG,
	    &ENOCH_SIG[60]);
	CHECK_INT(verify_str(n, PETER_VKEY), 0);
	/* ...but not by the known key, even next to a good one. */
	CHECK_INT(verify_str(n, ENOCH_VKEY), -1);
	free(n);
}

static void
test_go_malformed(void)
{
	static const char *bad[] = {
		GO_TEXT,
		GO_TEXT "\n",
		GO_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		"\x01" GO_TEXT "\n" PETER_SIG,
		"\xff" GO_TEXT "\n" PETER_SIG,
		GO_TEXT "\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		GO_TEXT "\n" PETER_SIG "Unexpected line.\n",
		/* Ours: hyphen instead of em dash, two spaces, CR LF, bad
		 * base64, signature too short, control character. */
		GO_TEXT "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		GO_TEXT "\n\xe2\x80\x94  PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		GO_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\r\n",
		GO_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
		GO_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/Y=\n",
		("If you\tthink\n\n" PETER_SIG),
		"",
		"\n\n",
	};
	size_t i;
	int accepted = 0;

	for (i = 0; i < FS_ARRAY_LEN(bad); i++)
		accepted += verify_str(bad[i], PETER_VKEY) == 0;
	CHECK_INT(accepted, 0);
	/* Embedded NUL: counted by length, not by strlen. */
	{
		char n[] = GO_TEXT "\n" PETER_SIG;
		const char *body, *err;
		size_t blen;

		n[5] = '\0';
		CHECK_INT(note_verify(n, sizeof(n) - 1, PETER_VKEY, &body,
		    &blen, &err), -1);
		CHECK(body == NULL);
	}
	/* Invalid verifier key. */
	CHECK_INT(verify_str(GO_TEXT "\n" PETER_SIG, "PeterNeumann+c74f20a3"),
	    -1);
}

/* Sign body under a fresh key; check the round trip and the key ID. */
static void
test_round_trip(void)
{
	static const char body[] = ORIGIN "\n9\n"
	    "4oNNX1ndb26ijAW3ctY8EGQL2nA3qW8Ij9TybdzMldI=\n";
	uint8_t pk[32], sk[64], pk2[32], sk2[64], h[32];
	char vkey[NOTE_VKEY_MAX], vkey2[NOTE_VKEY_MAX], *sig2;
	struct buf b, b2;
	crypto_hash_sha256_state st;
	uint32_t keyid;
	const char *rb, *err;
	size_t rlen, i;
	int accepted = 0;

	CHECK_INT(crypto_sign_keypair(pk, sk), 0);
	CHECK_INT(crypto_sign_keypair(pk2, sk2), 0);
	CHECK_INT(note_vkey_format(vkey, sizeof(vkey), ORIGIN, pk), 0);
	CHECK_INT(note_vkey_format(vkey2, sizeof(vkey2), ORIGIN, pk2), 0);
	/* Key ID = SHA-256(name || 0x0A || 0x01 || pk)[:4], big-endian. */
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)ORIGIN "\n\x01",
	    strlen(ORIGIN) + 2);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	CHECK_INT(note_keyid(&keyid, ORIGIN, pk), 0);
	CHECK(keyid == ((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3]));
	{
		char hex[9], *want;

		fs_hex(hex, h, 4);
		want = xasprintf("%s+%s+", ORIGIN, hex);
		CHECK(strncmp(vkey, want, strlen(want)) == 0);
		free(want);
	}

	buf_init(&b, 4096);
	CHECK_INT(note_sign(&b, body, ORIGIN, sk), 0);
	CHECK_INT(note_verify(b.p, b.len, vkey, &rb, &rlen, &err), 0);
	CHECK(rlen == strlen(body) && memcmp(rb, body, rlen) == 0);
	CHECK(rb == b.p);
	/* Same name, other key (other key ID): unknown, hence refused. */
	CHECK_INT(note_verify(b.p, b.len, vkey2, &rb, &rlen, &err), -1);
	/* Flip one bit anywhere in the note: refused. */
	for (i = 0; i < b.len; i++) {
		b.p[i] ^= 0x02;
		accepted += note_verify(b.p, b.len, vkey, &rb, &rlen, &err) == 0;
		b.p[i] ^= 0x02;
	}
	CHECK_INT(accepted, 0);
	/* Truncated: refused. */
	CHECK_INT(note_verify(b.p, b.len - 1, vkey, &rb, &rlen, &err), -1);

	/* Co-signed by a second key: each key alone verifies. */
	buf_init(&b2, 4096);
	CHECK_INT(note_sign(&b2, body, ORIGIN, sk2), 0);
	sig2 = strstr(b2.p, "\n\n") + 2;
	buf_puts(&b, sig2);
	CHECK_INT(note_verify(b.p, b.len, vkey, &rb, &rlen, &err), 0);
	CHECK_INT(note_verify(b.p, b.len, vkey2, &rb, &rlen, &err), 0);
	CHECK(rlen == strlen(body));
	buf_free(&b2);
	buf_free(&b);

	/* A text with empty lines inside: split at the last blank line. */
	buf_init(&b, 4096);
	CHECK_INT(note_sign(&b, "a\n\nb\n\n", ORIGIN, sk), 0);
	CHECK_INT(note_verify(b.p, b.len, vkey, &rb, &rlen, &err), 0);
	CHECK(rlen == 6 && memcmp(rb, "a\n\nb\n\n", 6) == 0);
	buf_free(&b);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
}

static void
test_sign_refusals(void)
{
	uint8_t pk[32], sk[64];
	char out[NOTE_VKEY_MAX];
	struct buf b;
	size_t i;
	static const char *bad_bodies[] = {
		"", "no newline", "tab\there\n", "cr\r\n", "bad \xc3\x28 utf8\n",
	};
	static const char *bad_names[] = {
		"", "a+b", "a b", "a\tb", "a\xc2\xa0" "b", "a\xe3\x80\x80" "b",
		"\xff",
	};

	CHECK_INT(crypto_sign_keypair(pk, sk), 0);
	buf_init(&b, 4096);
	buf_puts(&b, "kept");
	for (i = 0; i < FS_ARRAY_LEN(bad_bodies); i++)
		CHECK_INT(note_sign(&b, bad_bodies[i], ORIGIN, sk), -1);
	for (i = 0; i < FS_ARRAY_LEN(bad_names); i++) {
		CHECK_INT(note_sign(&b, "x\n", bad_names[i], sk), -1);
		CHECK_INT(note_vkey_format(out, sizeof(out), bad_names[i], pk),
		    -1);
	}
	CHECK_STR(b.p, "kept");
	/* A name of UTF-8 letters is fine. */
	CHECK_INT(note_name_check("fsrelay.maison-\xc3\xa9t\xc3\xa9/audit"), 0);
	/* Output buffer maximum reached: refused, buffer unchanged. */
	b.max = 40;
	CHECK_INT(note_sign(&b, "x\n", ORIGIN, sk), -1);
	CHECK_STR(b.p, "kept");
	CHECK(b.len == 4);
	buf_free(&b);
	/* Secret key whose public half is not its seed's: refused. */
	sk[40] ^= 1;
	buf_init(&b, 4096);
	CHECK_INT(note_sign(&b, "x\n", ORIGIN, sk), -1);
	CHECK(b.len == 0);
	buf_free(&b);
	sodium_memzero(sk, sizeof(sk));
}

static void
test_example(void)
{
	uint8_t seed[32], pk[32], sk[64], lh[3][32], root[32], r2[32];
	char vkey[NOTE_VKEY_MAX], origin[64];
	struct buf body, note;
	const char *rb, *err;
	size_t i, rlen;
	uint64_t size;

	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	CHECK_INT(crypto_sign_seed_keypair(pk, sk, seed), 0);
	for (i = 0; i < 3; i++)
		merkle_leaf_hash(lh[i], (const uint8_t *)"abc" + i, 1);
	merkle_root(root, (const uint8_t (*)[32])lh, 3);
	CHECK_INT(note_vkey_format(vkey, sizeof(vkey), EX_ORIGIN, pk), 0);
	CHECK_STR(vkey, EX_VKEY);
	buf_init(&body, 1024);
	buf_init(&note, 1024);
	CHECK_INT(checkpoint_format(&body, EX_ORIGIN, 3, root), 0);
	CHECK_INT(note_sign(&note, body.p, EX_ORIGIN, sk), 0);
	CHECK_STR(note.p, EX_NOTE);
	CHECK_INT(note_verify(note.p, note.len, EX_VKEY, &rb, &rlen, &err), 0);
	CHECK_INT(checkpoint_parse(rb, rlen, origin, sizeof(origin), &size, r2,
	    &err), 0);
	CHECK(size == 3 && memcmp(r2, root, 32) == 0);
	buf_free(&body);
	buf_free(&note);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(seed, sizeof(seed));
}

static void
test_checkpoint(void)
{
	static const char c2sp[] = "example.com/behind-the-sofa\n20852163\n"
	    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	static const char *bad[] = {
		"o\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
		"o\n1\n",
		"o\n\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n01\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n-1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n+1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n1 \n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n18446744073709551616\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
		"o\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
		"o\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
		"o\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
		"o\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n\n",
		"o\r\n1\n" "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	};
	char origin[64];
	uint8_t root[32], r2[32];
	uint64_t size = 0;
	struct buf b;
	const char *err = NULL;
	size_t i;
	int accepted = 0;

	CHECK_INT(checkpoint_parse(c2sp, strlen(c2sp), origin, sizeof(origin),
	    &size, root, &err), 0);
	CHECK_STR(origin, "example.com/behind-the-sofa");
	CHECK(size == 20852163);
	buf_init(&b, 1024);
	CHECK_INT(checkpoint_format(&b, "example.com/behind-the-sofa",
	    20852163, root), 0);
	CHECK_STR(b.p, c2sp);
	buf_free(&b);

	for (i = 0; i < 32; i++)
		root[i] = (uint8_t)(i * 7);
	buf_init(&b, 1024);
	CHECK_INT(checkpoint_format(&b, ORIGIN, UINT64_MAX, root), 0);
	CHECK_INT(checkpoint_parse(b.p, b.len, origin, sizeof(origin), &size,
	    r2, &err), 0);
	CHECK(size == UINT64_MAX && memcmp(root, r2, 32) == 0);
	CHECK_STR(origin, ORIGIN);
	/* Extension lines are accepted and ignored. */
	buf_puts(&b, "extension\n");
	CHECK_INT(checkpoint_parse(b.p, b.len, origin, sizeof(origin), &size,
	    r2, &err), 0);
	/* Origin too long for the caller's buffer. */
	CHECK_INT(checkpoint_parse(b.p, b.len, origin, strlen(ORIGIN), &size,
	    r2, &err), -1);
	buf_free(&b);
	buf_init(&b, 1024);
	CHECK_INT(checkpoint_format(&b, ORIGIN, 0, root), 0);
	CHECK_INT(checkpoint_parse(b.p, b.len, origin, sizeof(origin), &size,
	    r2, &err), 0);
	CHECK(size == 0);
	CHECK_INT(checkpoint_format(&b, "bad origin", 1, root), -1);
	CHECK_INT(checkpoint_format(&b, "", 1, root), -1);
	buf_free(&b);
	for (i = 0; i < FS_ARRAY_LEN(bad); i++)
		accepted += checkpoint_parse(bad[i], strlen(bad[i]), origin,
		    sizeof(origin), &size, root, &err) == 0;
	CHECK_INT(accepted, 0);
}

/* Run argv with stdout and stderr to /dev/null; its exit status or -1. */
static int
run_cmd(char *const argv[])
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* python3 tests/note_check.py MODE A B [C]: its exit status. */
static int
note_check(const char *mode, const char *a, const char *b, const char *c)
{
	const char *py = getenv("FSRELAY_PYTHON");
	char *argv[7];
	int i = 0, r;

	argv[i++] = xstrdup(py != NULL ? py : "/usr/bin/python3");
	argv[i++] = xstrdup("tests/note_check.py");
	argv[i++] = xstrdup(mode);
	argv[i++] = xstrdup(a);
	argv[i++] = xstrdup(b);
	argv[i++] = c != NULL ? xstrdup(c) : NULL;
	argv[i] = NULL;
	r = run_cmd(argv);
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	return r;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fatalx("test : écriture de %s impossible", path);
}

static void
test_python(void)
{
	char dir[] = "/tmp/fsrelay-note-XXXXXX", vkey[NOTE_VKEY_MAX];
	char vkey2[NOTE_VKEY_MAX], *pnote, *pvkey, *pvkey2, *pleaves, *pgo;
	char *pgovkey, hex[9];
	uint8_t pk[32], sk[64], pk2[32], sk2[64], leaves[12][32], root[32];
	uint8_t data[4];
	struct buf body, note, lf;
	size_t i, n = 12;

	CHECK(mkdtemp(dir) != NULL);
	pnote = xasprintf("%s/checkpoint", dir);
	pvkey = xasprintf("%s/audit-log.vkey", dir);
	pvkey2 = xasprintf("%s/other.vkey", dir);
	pleaves = xasprintf("%s/leaves", dir);
	pgo = xasprintf("%s/go.note", dir);
	pgovkey = xasprintf("%s/go.vkey", dir);

	/* Twelve leaves of 4 bytes (i repeated), hex, one per line. */
	buf_init(&lf, 4096);
	for (i = 0; i < n; i++) {
		memset(data, (int)i, sizeof(data));
		merkle_leaf_hash(leaves[i], data, sizeof(data));
		fs_hex(hex, data, sizeof(data));
		buf_printf(&lf, "%s\n", hex);
	}
	write_file(pleaves, lf.p, lf.len);
	merkle_root(root, (const uint8_t (*)[32])leaves, n);

	CHECK_INT(crypto_sign_keypair(pk, sk), 0);
	CHECK_INT(crypto_sign_keypair(pk2, sk2), 0);
	CHECK_INT(note_vkey_format(vkey, sizeof(vkey), ORIGIN, pk), 0);
	CHECK_INT(note_vkey_format(vkey2, sizeof(vkey2), ORIGIN, pk2), 0);
	buf_init(&body, 1024);
	buf_init(&note, 4096);
	CHECK_INT(checkpoint_format(&body, ORIGIN, n, root), 0);
	CHECK_INT(note_sign(&note, body.p, ORIGIN, sk), 0);
	write_file(pnote, note.p, note.len);
	write_file(pvkey, vkey, strlen(vkey));
	write_file(pvkey2, vkey2, strlen(vkey2));
	write_file(pgo, GO_TEXT "\n" PETER_SIG ENOCH_SIG,
	    strlen(GO_TEXT "\n" PETER_SIG ENOCH_SIG));
	write_file(pgovkey, PETER_VKEY "\n", strlen(PETER_VKEY) + 1);

	CHECK_INT(note_check("verify", pnote, pvkey, NULL), 0);
	CHECK_INT(note_check("checkpoint", pnote, pvkey, pleaves), 0);
	CHECK_INT(note_check("verify", pgo, pgovkey, NULL), 0);
	write_file(pgo, EX_NOTE, strlen(EX_NOTE));
	write_file(pgovkey, EX_VKEY "\n", strlen(EX_VKEY) + 1);
	write_file(pleaves, "61\n62\n63\n", 9);
	CHECK_INT(note_check("checkpoint", pgo, pgovkey, pleaves), 0);
	write_file(pleaves, "61\n62\n64\n", 9);
	CHECK_INT(note_check("checkpoint", pgo, pgovkey, pleaves), 1);
	write_file(pleaves, lf.p, lf.len);
	/* Another key under the same name. */
	CHECK_INT(note_check("verify", pnote, pvkey2, NULL), 1);
	/* Tampered note: one character of the root hash changed. */
	note.p[strlen(ORIGIN) + 4] ^= 0x01;
	write_file(pnote, note.p, note.len);
	CHECK_INT(note_check("verify", pnote, pvkey, NULL), 1);
	CHECK_INT(note_check("checkpoint", pnote, pvkey, pleaves), 1);
	note.p[strlen(ORIGIN) + 4] ^= 0x01;
	/* Validly signed checkpoint whose root is not that of the leaves. */
	buf_free(&note);
	buf_init(&note, 4096);
	root[0] ^= 0x01;
	buf_free(&body);
	buf_init(&body, 1024);
	CHECK_INT(checkpoint_format(&body, ORIGIN, n, root), 0);
	CHECK_INT(note_sign(&note, body.p, ORIGIN, sk), 0);
	write_file(pnote, note.p, note.len);
	CHECK_INT(note_check("verify", pnote, pvkey, NULL), 0);
	CHECK_INT(note_check("checkpoint", pnote, pvkey, pleaves), 1);
	/* A checkpoint of more leaves than the file holds. */
	root[0] ^= 0x01;
	buf_free(&note);
	buf_free(&body);
	buf_init(&note, 4096);
	buf_init(&body, 1024);
	CHECK_INT(checkpoint_format(&body, ORIGIN, n + 1, root), 0);
	CHECK_INT(note_sign(&note, body.p, ORIGIN, sk), 0);
	write_file(pnote, note.p, note.len);
	CHECK_INT(note_check("checkpoint", pnote, pvkey, pleaves), 1);

	unlink(pnote);
	unlink(pvkey);
	unlink(pvkey2);
	unlink(pleaves);
	unlink(pgo);
	unlink(pgovkey);
	CHECK_INT(rmdir(dir), 0);
	free(pnote);
	free(pvkey);
	free(pvkey2);
	free(pleaves);
	free(pgo);
	free(pgovkey);
	buf_free(&body);
	buf_free(&note);
	buf_free(&lf);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
}

int
main(void)
{
	if (sodium_init() < 0)
		fatalx("sodium_init");
	test_go_keys();
	CHECK_INT(mangled_keys_refused(PETER_VKEY, 0), 0);
	CHECK_INT(mangled_keys_refused(PETER_SKEY, 1), 0);
	test_go_sign_open();
	test_go_malformed();
	test_round_trip();
	test_sign_refusals();
	test_example();
	test_checkpoint();
	test_python();
	return t_done();
}
