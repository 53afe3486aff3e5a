/*
 * merkle - RFC 9162 section 2.1 Merkle hash tree; see merkle.h.
 *
 * Proof construction follows the recursive definitions of RFC 9162
 * 2.1.3.1 and 2.1.4.1 literally; verification follows the iterative
 * algorithms of 2.1.3.2 and 2.1.4.2 step by step.  Trusts nothing in
 * the proofs it verifies.
 */
#include "relay/merkle.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relay/util.h"

/* Proof being built: at most one hash per tree level. */
struct proof_acc {
	uint8_t	h[MERKLE_MAX_PROOF][32];
	size_t	n;
};

static void
sha256_parts(uint8_t out[32], uint8_t prefix, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	crypto_hash_sha256_state st;

	if (crypto_hash_sha256_init(&st) != 0 ||
	    crypto_hash_sha256_update(&st, &prefix, 1) != 0 ||
	    (alen && crypto_hash_sha256_update(&st, a, alen) != 0) ||
	    (blen && crypto_hash_sha256_update(&st, b, blen) != 0) ||
	    crypto_hash_sha256_final(&st, out) != 0)
		fatalx("merkle : SHA-256 a échoué");
}

void
merkle_leaf_hash(uint8_t out[32], const uint8_t *data, size_t len)
{
	sha256_parts(out, 0x00, data, len, NULL, 0);
}

void
merkle_node_hash(uint8_t out[32], const uint8_t left[32],
    const uint8_t right[32])
{
	uint8_t l[32], r[32];

	/* Copies so that out may alias either input. */
	memcpy(l, left, 32);
	memcpy(r, right, 32);
	sha256_parts(out, 0x01, l, 32, r, 32);
}

void
merkle_empty_root(uint8_t out[32])
{
	if (crypto_hash_sha256(out, (const unsigned char *)"", 0) != 0)
		fatalx("merkle : SHA-256 a échoué");
}

/* Largest power of two strictly less than n (n >= 2). */
static size_t
merkle_split(size_t n)
{
	size_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

static int
is_pow2(size_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

void
merkle_compact_init(struct merkle_compact *c)
{
	memset(c, 0, sizeof(*c));
}

int
merkle_compact_append(struct merkle_compact *c, const uint8_t leaf_hash[32])
{
	uint8_t h[32];
	unsigned int i;

	if (c->size == UINT64_MAX)
		return -1;
	memcpy(h, leaf_hash, 32);
	/* Merge equal-sized subtrees like a binary carry. */
	for (i = 0; (c->size >> i) & 1; i++)
		merkle_node_hash(h, c->subtree[i], h);
	memcpy(c->subtree[i], h, 32);
	c->size++;
	return 0;
}

void
merkle_compact_root(const struct merkle_compact *c, uint8_t root[32])
{
	uint8_t acc[32];
	unsigned int i;
	int have = 0;

	/* Smallest (rightmost) subtree first, each larger one on its left. */
	for (i = 0; i < 64; i++) {
		if (((c->size >> i) & 1) == 0)
			continue;
		if (have)
			merkle_node_hash(acc, c->subtree[i], acc);
		else
			memcpy(acc, c->subtree[i], 32);
		have = 1;
	}
	if (have)
		memcpy(root, acc, 32);
	else
		merkle_empty_root(root);
}

void
merkle_root(uint8_t root[32], const uint8_t (*leaf_hashes)[32], size_t n)
{
	struct merkle_compact c;
	size_t i;

	merkle_compact_init(&c);
	for (i = 0; i < n; i++)
		if (merkle_compact_append(&c, leaf_hashes[i]) != 0)
			fatalx("merkle : arbre trop grand");
	merkle_compact_root(&c, root);
}

static void
acc_push_root(struct proof_acc *acc, const uint8_t (*leaves)[32], size_t n)
{
	if (acc->n >= MERKLE_MAX_PROOF)
		fatalx("merkle : preuve trop longue");
	merkle_root(acc->h[acc->n], leaves, n);
	acc->n++;
}

/* PATH(m, D[n]) of RFC 9162 2.1.3.1, appended to acc. */
static void
merkle_path(struct proof_acc *acc, const uint8_t (*leaves)[32], size_t n,
    size_t m)
{
	size_t k;

	if (n <= 1)
		return;
	k = merkle_split(n);
	if (m < k) {
		merkle_path(acc, leaves, k, m);
		acc_push_root(acc, leaves + k, n - k);
	} else {
		merkle_path(acc, leaves + k, n - k, m - k);
		acc_push_root(acc, leaves, k);
	}
}

/* SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1, appended to acc (0 < m <= n). */
static void
merkle_subproof(struct proof_acc *acc, const uint8_t (*leaves)[32], size_t n,
    size_t m, int b)
{
	size_t k;

	if (m == n) {
		if (!b)
			acc_push_root(acc, leaves, n);
		return;
	}
	k = merkle_split(n);
	if (m <= k) {
		merkle_subproof(acc, leaves, k, m, b);
		acc_push_root(acc, leaves + k, n - k);
	} else {
		merkle_subproof(acc, leaves + k, n - k, m - k, 0);
		acc_push_root(acc, leaves, k);
	}
}

static void
acc_export(const struct proof_acc *acc, uint8_t (**proof_r)[32],
    size_t *len_r)
{
	*proof_r = xreallocarray(NULL, acc->n ? acc->n : 1, 32);
	if (acc->n)
		memcpy(*proof_r, acc->h, acc->n * 32);
	*len_r = acc->n;
}

int
merkle_inclusion_proof(uint8_t (**proof_r)[32], size_t *len_r,
    const uint8_t (*leaf_hashes)[32], size_t n, size_t m)
{
	struct proof_acc acc;

	*proof_r = NULL;
	*len_r = 0;
	if (m >= n)
		return -1;
	acc.n = 0;
	merkle_path(&acc, leaf_hashes, n, m);
	acc_export(&acc, proof_r, len_r);
	return 0;
}

int
merkle_consistency_proof(uint8_t (**proof_r)[32], size_t *len_r,
    const uint8_t (*leaf_hashes)[32], size_t n, size_t m)
{
	struct proof_acc acc;

	*proof_r = NULL;
	*len_r = 0;
	if (m > n)
		return -1;
	acc.n = 0;
	if (m > 0 && m < n)
		merkle_subproof(&acc, leaf_hashes, n, m, 1);
	acc_export(&acc, proof_r, len_r);
	return 0;
}

/* Shift fn and sn right together until fn's low bit is set or fn is 0. */
static void
shift_while_even(size_t *fn, size_t *sn)
{
	while (*fn != 0 && (*fn & 1) == 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

int
merkle_inclusion_verify(const uint8_t leaf_hash[32], size_t m, size_t n,
    const uint8_t (*proof)[32], size_t len, const uint8_t root[32])
{
	uint8_t r[32];
	size_t fn, sn, i;

	if (m >= n || len > MERKLE_MAX_PROOF)
		return -1;
	fn = m;
	sn = n - 1;
	memcpy(r, leaf_hash, 32);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(r, proof[i], r);
			if ((fn & 1) == 0)
				shift_while_even(&fn, &sn);
		} else
			merkle_node_hash(r, r, proof[i]);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, 32) != 0)
		return -1;
	return 0;
}

static int
consistency_trivial(size_t m, size_t n, const uint8_t old_root[32],
    const uint8_t new_root[32], size_t len)
{
	uint8_t empty[32];

	if (len != 0)
		return -1;
	if (m == n)
		return memcmp(old_root, new_root, 32) == 0 ? 0 : -1;
	merkle_empty_root(empty);
	return memcmp(old_root, empty, 32) == 0 ? 0 : -1;
}

int
merkle_consistency_verify(size_t m, size_t n, const uint8_t old_root[32],
    const uint8_t new_root[32], const uint8_t (*proof)[32], size_t len)
{
	uint8_t fr[32], sr[32];
	size_t fn, sn, i;

	if (m > n || len > MERKLE_MAX_PROOF)
		return -1;
	if (m == 0 || m == n)
		return consistency_trivial(m, n, old_root, new_root, len);
	if (len == 0)
		return -1;
	/* Step 2: a power-of-two old tree is a full subtree of the new one,
	 * so its root is the implicit first element of the path. */
	i = 0;
	if (is_pow2(m))
		memcpy(fr, old_root, 32);
	else
		memcpy(fr, proof[i++], 32);
	memcpy(sr, fr, 32);
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(fr, proof[i], fr);
			merkle_node_hash(sr, proof[i], sr);
			if ((fn & 1) == 0)
				shift_while_even(&fn, &sn);
		} else
			merkle_node_hash(sr, sr, proof[i]);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, old_root, 32) != 0 ||
	    memcmp(sr, new_root, 32) != 0)
		return -1;
	return 0;
}
