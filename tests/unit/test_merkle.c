/*
 * test_merkle - RFC 9162 Merkle tree: roots, inclusion and consistency
 * proofs against the certificate-transparency test vectors, exhaustive
 * proof checks with tampering for every m <= n <= 9 (and n <= 40 for the
 * positive checks), the compact range, and a cross-check of the roots with
 * the independent python implementation in tests/note_check.py.
 *
 * Vectors copied from google/certificate-transparency (Debian package
 * golang-github-google-certificate-transparency-dev,
 * 0.0~git20160709.0.0f6e3d1~ds1-3), file
 * go/merkletree/merkle_verifier_test.go: getInputs(), getRoots(),
 * getInclusionTestVector() (1-based leaf numbers there, 0-based here) and
 * getConsistencyProofs().  The package is not needed to run this test.
 *
 * Size 9 is not in that file: the ninth leaf is the 32 bytes 0x70..0x8f
 * (our choice); its root was computed with tests/note_check.py (recursive
 * MTH from the RFC text) and checked by hand with openssl dgst:
 *	leaf hash 9 = ef29dd52bce3d016ac8fbe7602b4142cc592eb2ea56b98fdd3c8e5238b9ed7f1
 *	root 9 = SHA-256(0x01 || root 8 || leaf hash 9)
 *	       = e2834d5f59dd6f6ea28c05b772d63c10640bda7037a96f088fd4f26ddccc95d2
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "relay/merkle.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#define NLEAVES	9

static const char *leaves_hex[NLEAVES] = {
	"",
	"00",
	"10",
	"2021",
	"3031",
	"40414243",
	"5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
	"707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f",
};

/* roots_hex[n] = MTH of the first n leaves; 1..8 from getRoots(). */
static const char *roots_hex[NLEAVES + 1] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	"e2834d5f59dd6f6ea28c05b772d63c10640bda7037a96f088fd4f26ddccc95d2",
};

struct proof_vec {
	size_t		 m, n, len;
	const char	*h[3];
};

/* getInclusionTestVector(), leaf numbers made 0-based. */
static const struct proof_vec incl_vecs[] = {
	{ 0, 8, 3, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, {
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, {
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

/* getConsistencyProofs(): {m = snapshot1, n = snapshot2}. */
static const struct proof_vec cons_vecs[] = {
	{ 1, 8, 3, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, {
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 1, 1, 0, { NULL } },
};

static uint8_t	 vleaf[NLEAVES][32];	/* leaf hashes of leaves_hex */
static uint8_t	 vroot[NLEAVES + 1][32];

static void
unhex(uint8_t *out, size_t outlen, const char *hex, size_t *len_r)
{
	size_t len;

	if (sodium_hex2bin(out, outlen, hex, strlen(hex), NULL, &len,
	    NULL) != 0)
		fatalx("test : hexadécimal invalide %s", hex);
	if (len_r != NULL)
		*len_r = len;
}

static void
setup_vectors(void)
{
	uint8_t data[64];
	size_t i, len;

	for (i = 0; i < NLEAVES; i++) {
		unhex(data, sizeof(data), leaves_hex[i], &len);
		merkle_leaf_hash(vleaf[i], data, len);
	}
	for (i = 0; i <= NLEAVES; i++)
		unhex(vroot[i], 32, roots_hex[i], NULL);
}

static void
test_roots(void)
{
	struct merkle_compact c;
	uint8_t root[32], empty[32];
	size_t n;

	merkle_empty_root(empty);
	CHECK(memcmp(empty, vroot[0], 32) == 0);
	merkle_compact_init(&c);
	for (n = 0; n <= NLEAVES; n++) {
		merkle_root(root, (const uint8_t (*)[32])vleaf, n);
		CHECK(memcmp(root, vroot[n], 32) == 0);
		merkle_compact_root(&c, root);
		CHECK(memcmp(root, vroot[n], 32) == 0);
		CHECK_INT(c.size, n);
		if (n < NLEAVES)
			CHECK_INT(merkle_compact_append(&c, vleaf[n]), 0);
	}
	/* A leaf hash is not the raw leaf: size 1 root = H(0x00 || ""). */
	merkle_leaf_hash(root, NULL, 0);
	CHECK(memcmp(root, vroot[1], 32) == 0);
	/* Node hash aliasing its output with an input. */
	memcpy(root, vleaf[0], 32);
	merkle_node_hash(root, root, vleaf[1]);
	CHECK(memcmp(root, vroot[2], 32) == 0);
	/* Overflow of the compact range is refused, state unchanged. */
	c.size = UINT64_MAX;
	CHECK_INT(merkle_compact_append(&c, vleaf[0]), -1);
	CHECK(c.size == UINT64_MAX);
}

static int
proof_equals(uint8_t (*proof)[32], size_t len, const struct proof_vec *v)
{
	uint8_t h[32];
	size_t i;

	if (len != v->len)
		return 0;
	for (i = 0; i < len; i++) {
		unhex(h, 32, v->h[i], NULL);
		if (memcmp(h, proof[i], 32) != 0)
			return 0;
	}
	return 1;
}

static void
test_known_proofs(void)
{
	const uint8_t (*L)[32] = (const uint8_t (*)[32])vleaf;
	uint8_t (*proof)[32];
	size_t i, len;

	for (i = 0; i < FS_ARRAY_LEN(incl_vecs); i++) {
		const struct proof_vec *v = &incl_vecs[i];

		CHECK_INT(merkle_inclusion_proof(&proof, &len, L, v->n, v->m), 0);
		CHECK(proof_equals(proof, len, v));
		CHECK_INT(merkle_inclusion_verify(vleaf[v->m], v->m, v->n,
		    (const uint8_t (*)[32])proof, len, vroot[v->n]), 0);
		free(proof);
	}
	for (i = 0; i < FS_ARRAY_LEN(cons_vecs); i++) {
		const struct proof_vec *v = &cons_vecs[i];

		CHECK_INT(merkle_consistency_proof(&proof, &len, L, v->n, v->m),
		    0);
		CHECK(proof_equals(proof, len, v));
		CHECK_INT(merkle_consistency_verify(v->m, v->n, vroot[v->m],
		    vroot[v->n], (const uint8_t (*)[32])proof, len), 0);
		free(proof);
	}
}

/* Every way of spoiling a valid inclusion proof must be refused. */
static int
inclusion_tamper_fails(const uint8_t (*L)[32], const uint8_t root[32],
    size_t n, size_t m, uint8_t (*proof)[32], size_t len)
{
	const uint8_t (*P)[32] = (const uint8_t (*)[32])proof;
	uint8_t (*longer)[32], bad[32];
	size_t i;
	int ok = 1;

	memcpy(bad, root, 32);
	bad[31] ^= 1;
	ok &= merkle_inclusion_verify(L[m], m, n, P, len, bad) == -1;
	if (m > 0)
		ok &= merkle_inclusion_verify(L[m], m - 1, n, P, len, root) == -1;
	ok &= merkle_inclusion_verify(L[m], m + 1, n, P, len, root) == -1;
	/* A size with the same path shape (n + 1 often) legitimately
	 * verifies: the signed checkpoint, not the proof, binds the size.
	 * A size one level taller or shorter must not. */
	ok &= merkle_inclusion_verify(L[m], m, n * 2, P, len, root) == -1;
	if (m < n / 2)
		ok &= merkle_inclusion_verify(L[m], m, n / 2, P, len, root) ==
		    -1;
	ok &= merkle_inclusion_verify(L[(m + 1) % n], m, n, P, len, root) ==
	    -1 || n == 1;
	for (i = 0; i < len; i++) {
		proof[i][i % 32] ^= 0x80;
		ok &= merkle_inclusion_verify(L[m], m, n, P, len, root) == -1;
		proof[i][i % 32] ^= 0x80;
	}
	if (len > 0)
		ok &= merkle_inclusion_verify(L[m], m, n, P, len - 1, root) == -1;
	longer = xreallocarray(NULL, len + 1, 32);
	memcpy(longer, proof, len * 32);
	memcpy(longer[len], root, 32);
	ok &= merkle_inclusion_verify(L[m], m, n,
	    (const uint8_t (*)[32])longer, len + 1, root) == -1;
	free(longer);
	return ok;
}

static int
consistency_tamper_fails(size_t m, size_t n, const uint8_t r1[32],
    const uint8_t r2[32], uint8_t (*proof)[32], size_t len)
{
	const uint8_t (*P)[32] = (const uint8_t (*)[32])proof;
	uint8_t bad[32];
	size_t i;
	int ok = 1;

	memcpy(bad, r1, 32);
	bad[0] ^= 1;
	ok &= merkle_consistency_verify(m, n, bad, r2, P, len) == -1;
	memcpy(bad, r2, 32);
	bad[0] ^= 1;
	ok &= merkle_consistency_verify(m, n, r1, bad, P, len) == -1;
	ok &= merkle_consistency_verify(m, n, r2, r1, P, len) == -1;
	ok &= merkle_consistency_verify(m - 1, n, r1, r2, P, len) == -1;
	ok &= merkle_consistency_verify(m + 1, n, r1, r2, P, len) == -1;
	ok &= merkle_consistency_verify(m, n * 2, r1, r2, P, len) == -1;
	ok &= merkle_consistency_verify(m, m, r1, r2, P, len) == -1;
	ok &= merkle_consistency_verify(m, n, r1, r2, P, 0) == -1;
	ok &= merkle_consistency_verify(m, n, r1, r2, P, len - 1) == -1;
	for (i = 0; i < len; i++) {
		proof[i][31 - i % 32] ^= 0x01;
		ok &= merkle_consistency_verify(m, n, r1, r2, P, len) == -1;
		proof[i][31 - i % 32] ^= 0x01;
	}
	return ok;
}

/* All proofs of the 9 vector leaves, with tampering. */
static void
test_all_proofs_small(void)
{
	const uint8_t (*L)[32] = (const uint8_t (*)[32])vleaf;
	uint8_t (*proof)[32], bad[32];
	size_t m, n, len;

	for (n = 1; n <= NLEAVES; n++) {
		for (m = 0; m < n; m++) {
			CHECK_INT(merkle_inclusion_proof(&proof, &len, L, n, m), 0);
			CHECK_INT(merkle_inclusion_verify(L[m], m, n,
			    (const uint8_t (*)[32])proof, len, vroot[n]), 0);
			CHECK(inclusion_tamper_fails(L, vroot[n], n, m, proof,
			    len));
			free(proof);
		}
		CHECK_INT(merkle_inclusion_proof(&proof, &len, L, n, n), -1);
		CHECK(proof == NULL && len == 0);
	}
	for (n = 0; n <= NLEAVES; n++) {
		for (m = 0; m <= n; m++) {
			CHECK_INT(merkle_consistency_proof(&proof, &len, L, n, m),
			    0);
			CHECK_INT(merkle_consistency_verify(m, n, vroot[m],
			    vroot[n], (const uint8_t (*)[32])proof, len), 0);
			if (m > 0 && m < n)
				CHECK(consistency_tamper_fails(m, n, vroot[m],
				    vroot[n], proof, len));
			else {
				CHECK_INT(len, 0);
				/* Trivial cases still check the roots. */
				memcpy(bad, vroot[m], 32);
				bad[5] ^= 0x10;
				CHECK_INT(merkle_consistency_verify(m, n, bad,
				    vroot[n], NULL, 0), -1);
				CHECK_INT(merkle_consistency_verify(m, n,
				    vroot[m], vroot[n], L, 1), -1);
			}
			free(proof);
		}
		CHECK_INT(merkle_consistency_proof(&proof, &len, L, n, n + 1),
		    -1);
		CHECK_INT(merkle_consistency_verify(n + 1, n, vroot[n],
		    vroot[n], NULL, 0), -1);
	}
}

#define NBIG	40

/* Run argv, return its exit status (-1 if it did not exit normally). */
static int
run_cmd(char *const argv[], const char *stdout_path)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (stdout_path != NULL && freopen(stdout_path, "w", stdout) ==
		    NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static const char *
python(void)
{
	const char *p = getenv("FSRELAY_PYTHON");

	return p != NULL ? p : "/usr/bin/python3";
}

/* Leaves i = 0..NBIG-1 are the 4 bytes of i big-endian, repeated i % 5
 * times: a mix of sizes including empty leaves. */
static size_t
big_leaf(uint8_t *out, size_t i)
{
	size_t k, len = 0;

	for (k = 0; k < i % 5; k++) {
		out[len++] = (uint8_t)(i >> 24);
		out[len++] = (uint8_t)(i >> 16);
		out[len++] = (uint8_t)(i >> 8);
		out[len++] = (uint8_t)i;
	}
	return len;
}

static void
test_against_python(const uint8_t (*L)[32])
{
	char dir[] = "/tmp/fsrelay-merkle-XXXXXX", *leaves, *out;
	char hex[2 * 16 + 1], line[80];
	struct merkle_compact c;
	uint8_t data[16], root[32], pyroot[32];
	size_t i, n, len;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	leaves = xasprintf("%s/leaves", dir);
	out = xasprintf("%s/roots", dir);
	if ((f = fopen(leaves, "w")) == NULL)
		fatalx("test : %s", leaves);
	for (i = 0; i < NBIG; i++) {
		len = big_leaf(data, i);
		fs_hex(hex, data, len);
		fprintf(f, "%s\n", hex);
	}
	fclose(f);
	{
		char py[256], script[] = "tests/note_check.py", mode[] = "roots";
		char *argv[] = { py, script, mode, leaves, NULL };

		fs_strlcpy(py, python(), sizeof(py));

		CHECK_INT(run_cmd(argv, out), 0);
	}
	merkle_compact_init(&c);
	f = fopen(out, "r");
	CHECK(f != NULL);
	for (n = 0; f != NULL && n <= NBIG; n++) {
		CHECK(fgets(line, sizeof(line), f) != NULL);
		line[strcspn(line, "\n")] = '\0';
		unhex(pyroot, 32, line, NULL);
		merkle_root(root, L, n);
		CHECK(memcmp(root, pyroot, 32) == 0);
		merkle_compact_root(&c, root);
		CHECK(memcmp(root, pyroot, 32) == 0);
		if (n < NBIG)
			merkle_compact_append(&c, L[n]);
	}
	if (f != NULL) {
		CHECK(fgets(line, sizeof(line), f) == NULL);
		fclose(f);
	}
	unlink(leaves);
	unlink(out);
	rmdir(dir);
	free(leaves);
	free(out);
}

/* Every inclusion and consistency proof for n <= NBIG verifies. */
static void
test_all_proofs_big(const uint8_t (*L)[32])
{
	uint8_t roots[NBIG + 1][32], (*proof)[32];
	size_t m, n, len;
	int bad_incl = 0, bad_cons = 0;

	for (n = 0; n <= NBIG; n++)
		merkle_root(roots[n], L, n);
	for (n = 1; n <= NBIG; n++) {
		for (m = 0; m <= n; m++) {
			if (m < n) {
				if (merkle_inclusion_proof(&proof, &len, L, n,
				    m) != 0 || merkle_inclusion_verify(L[m], m,
				    n, (const uint8_t (*)[32])proof, len,
				    roots[n]) != 0)
					bad_incl++;
				free(proof);
			}
			if (merkle_consistency_proof(&proof, &len, L, n, m) !=
			    0 || merkle_consistency_verify(m, n, roots[m],
			    roots[n], (const uint8_t (*)[32])proof, len) != 0)
				bad_cons++;
			/* The proof for m must not prove m' = m + 1. */
			if (m > 0 && m + 1 < n && merkle_consistency_verify(m + 1,
			    n, roots[m + 1], roots[n],
			    (const uint8_t (*)[32])proof, len) == 0)
				bad_cons++;
			free(proof);
		}
	}
	CHECK_INT(bad_incl, 0);
	CHECK_INT(bad_cons, 0);
}

int
main(void)
{
	static uint8_t big[NBIG][32];
	uint8_t data[16];
	size_t i;

	if (sodium_init() < 0)
		fatalx("sodium_init");
	setup_vectors();
	test_roots();
	test_known_proofs();
	test_all_proofs_small();
	for (i = 0; i < NBIG; i++)
		merkle_leaf_hash(big[i], data, big_leaf(data, i));
	test_against_python((const uint8_t (*)[32])big);
	test_all_proofs_big((const uint8_t (*)[32])big);
	return t_done();
}
