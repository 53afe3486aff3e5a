/*
 * merkle - the RFC 9162 section 2.1 Merkle hash tree (same hashing as
 * RFC 6962) over SHA-256: leaf and node hashes, tree roots, inclusion and
 * consistency proofs and their verification, and a compact range that
 * appends a leaf in O(log n) for the audit log.
 *
 *	leaf hash  = SHA-256(0x00 || leaf)
 *	node hash  = SHA-256(0x01 || left || right)
 *	MTH({})    = SHA-256("")
 *	MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of
 *		     two strictly less than n
 *
 * Pure computation, no I/O.  Trusts nothing in proofs, sizes or roots
 * given to the verifiers: any inconsistency makes them return -1.  The
 * leaf hash arrays given to the builders are the caller's own data.
 */
#ifndef FSRELAY_MERKLE_H
#define FSRELAY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN		32
/* A proof never has more entries than the tree has levels. */
#define MERKLE_MAX_PROOF	64

/* out = SHA-256(0x00 || data[0..len)).  data may be NULL when len is 0. */
void	merkle_leaf_hash(uint8_t out[32], const uint8_t *data, size_t len);

/* out = SHA-256(0x01 || left || right).  out may alias left or right. */
void	merkle_node_hash(uint8_t out[32], const uint8_t left[32],
	    const uint8_t right[32]);

/* out = SHA-256(""), the root of the empty tree. */
void	merkle_empty_root(uint8_t out[32]);

/* root = MTH of the n leaves whose leaf hashes (already
 * SHA-256(0x00 || data)) are leaf_hashes[0..n); H("") when n is 0.
 * O(n) hashing, O(log n) memory. */
void	merkle_root(uint8_t root[32], const uint8_t (*leaf_hashes)[32],
	    size_t n);

/* Inclusion proof of leaf m in the tree of the first n leaf hashes
 * (RFC 9162 2.1.3.1, PATH(m, D[n])), innermost sibling first.
 * 0 on success: *proof_r is a malloc'd array of *len_r hashes (never NULL,
 * even when *len_r is 0) that the caller frees with free().  -1 if m >= n
 * (*proof_r is then NULL and *len_r 0). */
int	merkle_inclusion_proof(uint8_t (**proof_r)[32], size_t *len_r,
	    const uint8_t (*leaf_hashes)[32], size_t n, size_t m);

/* Verify that leaf_hash is leaf m of the tree of size n whose root is
 * root, given the len hashes of proof (RFC 9162 2.1.3.2).  0 if it
 * verifies; -1 otherwise (m >= n, proof too long or too short, any hash
 * wrong). */
int	merkle_inclusion_verify(const uint8_t leaf_hash[32], size_t m, size_t n,
	    const uint8_t (*proof)[32], size_t len, const uint8_t root[32]);

/* Consistency proof between the tree of the first m leaf hashes and the
 * tree of the first n (RFC 9162 2.1.4.1, PROOF(m, D[n])).  Empty when
 * m == 0 or m == n.  0 on success with the same ownership rules as
 * merkle_inclusion_proof; -1 if m > n. */
int	merkle_consistency_proof(uint8_t (**proof_r)[32], size_t *len_r,
	    const uint8_t (*leaf_hashes)[32], size_t n, size_t m);

/* Verify that the tree of size m with root old_root is a prefix of the
 * tree of size n with root new_root, given the len hashes of proof
 * (RFC 9162 2.1.4.2).  Edge cases, where RFC 9162 asks nothing of the
 * proof: m == n requires an empty proof and equal roots; m == 0 requires
 * an empty proof and old_root == H("").  0 if consistent; -1 otherwise
 * (including m > n). */
int	merkle_consistency_verify(size_t m, size_t n, const uint8_t old_root[32],
	    const uint8_t new_root[32], const uint8_t (*proof)[32], size_t len);

/*
 * Compact range: the roots of the perfect subtrees that make up a tree of
 * `size` leaves (one per bit set in size), enough to append a leaf and to
 * compute the root in O(log n) without keeping the leaves.  Plain value:
 * may be copied, stored or compared with memcmp after merkle_compact_init.
 */
struct merkle_compact {
	uint64_t	size;
	/* subtree[i] is the root of the subtree of 2^i leaves, valid iff
	 * bit i of size is set. */
	uint8_t		subtree[64][32];
};

/* Empty range (size 0). */
void	merkle_compact_init(struct merkle_compact *c);

/* Append one leaf hash.  0 on success; -1 if the size would overflow
 * (2^64 - 1 leaves), c unchanged. */
int	merkle_compact_append(struct merkle_compact *c,
	    const uint8_t leaf_hash[32]);

/* root = MTH of the leaves appended so far (H("") when none). */
void	merkle_compact_root(const struct merkle_compact *c, uint8_t root[32]);

#endif
